"""The history of records: how each change is kept in the ``history`` table and read back.

One row per change: the layer, the record's id, the action (``insert``, ``update``,
``delete``), the version it made (a delete: the version it removed), who and when, and
the record ``before`` and ``after`` the change as a document
``{"properties": {...}, "geometry_wkb": "<hex>"}`` (:func:`~.values.record_json`: the
geometry as upper-case hex ISO WKB, little-endian, exact; no ``geometry_wkb`` without a
geometry), JSON text on GeoPackage, jsonb on PostGIS.

An insert's geometry is kept apart from its document, as binary WKB in the
``after_geometry`` column (BLOB on GeoPackage, bytea on PostGIS; migrations gpkg 0013,
postgis 0015): a bulk import's history was two thirds hex digits, twice the bytes of the
geometry, and this halves them (``benchmarks/store.py``'s import table). Nothing is lost:
:func:`read_history` puts the geometry back into the ``after`` document as the same
``geometry_wkb`` text, so :meth:`Store.history <pasture.store.base.Store.history>` gives
what it gave when the whole document was kept in ``after``, and entries written that way
(stores from before 0013, updates and deletes) read as they always did. A whole-store
copy (:func:`copied_rows`) keeps an insert's geometry apart in the destination too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import shapely

from ..geometry import geometry_values
from ..model import Layer
from .values import Record, record_json, record_json_texts

__all__ = [
    "HISTORY_COLUMNS",
    "NEW_COLUMNS",
    "STORED_COLUMNS",
    "change_row",
    "copied_rows",
    "insert_rows",
    "read_history",
]

#: The columns :meth:`Store.history` gives, in its order.
HISTORY_COLUMNS = (
    "seq",
    "layer",
    "record_id",
    "action",
    "version",
    "username",
    "at",
    "before",
    "after",
)
#: The table's columns: an insert's geometry (WKB) apart from its ``after`` document.
STORED_COLUMNS = (*HISTORY_COLUMNS, "after_geometry")
#: The columns a new entry is written with (``seq`` comes from the table).
NEW_COLUMNS = STORED_COLUMNS[1:]

_GEOMETRY_KEY = "geometry_wkb"


def insert_rows(spec: Layer, inserts: pd.DataFrame, user: str, at: Any) -> list[tuple[Any, ...]]:
    """The history rows (:data:`NEW_COLUMNS`) of new records, built a column at a time.

    The documents go as JSON text (SQLite keeps it as it is, PostGIS's COPY parses it into
    jsonb), the geometries as WKB beside them, encoded in one call.
    """
    docs = record_json_texts(spec.field_names, inserts, geometry=False)
    if spec.geometry_type is None:
        blobs: list[bytes | None] = [None] * len(inserts)
    else:
        geoms = geometry_values(inserts["geometry"])
        blobs = shapely.to_wkb(geoms, byte_order=1, flavor="iso").tolist()
    return [
        (spec.name, record_id, "insert", 1, user, at, None, doc, blob)
        for record_id, doc, blob in zip(inserts["id"].tolist(), docs, blobs, strict=True)
    ]


def change_row(
    spec: Layer,
    record_id: str,
    action: str,
    version: int,
    user: str,
    at: Any,
    before: Record | None,
    after: Mapping[str, Any] | None,
    json_param: Callable[[Any], Any],
) -> tuple[Any, ...]:
    """The history row (:data:`NEW_COLUMNS`) of an update or a delete: whole documents."""
    before_doc = record_json(before.properties, before.geometry) if before else None
    after_doc = None
    if after is not None:
        after_doc = record_json({f: after.get(f) for f in spec.field_names}, after.get("geometry"))
    return (
        spec.name,
        record_id,
        action,
        version,
        user,
        at,
        json_param(before_doc),
        json_param(after_doc),
        None,
    )


def with_geometry(doc: dict[str, Any] | None, wkb: bytes | None, *, first: bool) -> Any:
    """``doc`` with ``wkb`` put back as its ``geometry_wkb`` text (as :func:`record_json`
    writes it); ``first``: the key where the backend's own documents have it."""
    if wkb is None or doc is None:
        return doc
    text = bytes(wkb).hex().upper()
    return {_GEOMETRY_KEY: text, **doc} if first else {**doc, _GEOMETRY_KEY: text}


def read_history(
    rows: Sequence[tuple[Any, ...]],
    *,
    time_value: Callable[[Any], Any],
    json_value: Callable[[Any], Any],
    geometry_first: bool,
) -> pd.DataFrame:
    """The frame :meth:`Store.history` gives from rows of :data:`STORED_COLUMNS`."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(STORED_COLUMNS)
    raw = dict(zip(STORED_COLUMNS, columns, strict=True))
    after = [
        with_geometry(json_value(doc), wkb, first=geometry_first)
        for doc, wkb in zip(raw["after"], raw["after_geometry"], strict=True)
    ]
    return pd.DataFrame(
        {
            "seq": pd.Series(raw["seq"], dtype="int64"),
            "layer": pd.Series(raw["layer"], dtype=object),
            "record_id": pd.Series(raw["record_id"], dtype=object),
            "action": pd.Series(raw["action"], dtype=object),
            "version": pd.Series(raw["version"], dtype="int64"),
            "username": pd.Series(raw["username"], dtype=object),
            "at": pd.to_datetime([time_value(v) for v in raw["at"]], utc=True),
            "before": pd.Series([json_value(v) for v in raw["before"]], dtype=object),
            "after": pd.Series(after, dtype=object),
        }
    )


def _split_geometry(action: str, doc: Any) -> tuple[Any, bytes | None]:
    """An insert's ``after`` document without its geometry, and the geometry as WKB; any
    other document whole (and one whose hex would not read back the same)."""
    if action != "insert" or not isinstance(doc, dict):
        return doc, None
    text = doc.get(_GEOMETRY_KEY)
    if not isinstance(text, str):
        return doc, None
    try:
        wkb = bytes.fromhex(text)
    except ValueError:
        return doc, None
    if wkb.hex().upper() != text:
        return doc, None
    return {k: v for k, v in doc.items() if k != _GEOMETRY_KEY}, wkb


def copied_rows(
    history: pd.DataFrame, time_param: Callable[[Any], Any], json_param: Callable[[Any], Any]
) -> list[tuple[Any, ...]]:
    """Rows of :data:`STORED_COLUMNS` of another store's :meth:`Store.history`, for a
    whole-store copy: its seq kept, an insert's geometry kept apart."""
    rows = []
    for h in history.itertuples(index=False):
        after, wkb = _split_geometry(h.action, h.after)
        rows.append(
            (
                int(h.seq),
                h.layer,
                h.record_id,
                h.action,
                int(h.version),
                h.username,
                time_param(h.at.to_pydatetime()),
                json_param(h.before),
                json_param(after),
                wkb,
            )
        )
    return rows
