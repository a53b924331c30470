"""The store interface: layers read, written with versions and history, copied whole.

A backend supplies connections, transactions and the few SQL pieces that
differ between SQLite/GeoPackage and PostGIS (:mod:`pasture.store.backend`);
validation, versions, history and frame building live here once (the history's format in
:mod:`pasture.store.history`), result tables in :mod:`pasture.store.tables`. Table and column names in SQL come only from
:mod:`pasture.model`; values are always bound parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ..errors import AlreadyExists, InvalidInput, NotFound, StoreError, VersionConflict
from ..geometry import geodesic_area_ha
from ..model import LAYERS, TABLES, FieldType, Layer
from ..model import layer as layer_named
from ..model import table as table_named
from ..progress import Progress
from . import counter, validation
from .accounts import Accounts
from .backend import read_migrations
from .history import NEW_COLUMNS, STORED_COLUMNS, change_row, copied_rows, insert_rows, read_history
from .tables import ResultTables
from .validation import CensusLimits, ValidationContext, check_records, normalise_table
from .values import (
    BATCH,
    IDS_PER_QUERY,
    BBox,
    LayerInfo,
    Record,
    StoreInfo,
    WriteMode,
    WriteResult,
    as_record,
    bounds,
    db_column,
    db_value,
    empty_fields,
    is_unchanged,
    layer_frame,
    now_utc,
    paused_gc,
    quoted,
)

__all__ = ["Store", "read_migrations"]

#: Decodes a whole-layer read's geometries beside the attribute fetch.
_DECODER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pasture-decode")


class Store(ResultTables):
    """The pasture geodata store: one interface, a GeoPackage and a PostGIS backend.

    Open one with :func:`pasture.open_store`. Every write validates its records,
    runs in one transaction (all or nothing), bumps versions and records who
    changed what in the history.
    """

    backend: str = ""
    #: How many ``meta`` rows count the writes (:meth:`version` sums them): one where
    #: writes are serial anyway (SQLite); more where concurrent writers would queue on
    #: one row's lock until each other's commit (PostGIS).
    version_shards: int = 1
    #: The accounts of the web API (see :mod:`pasture.store.accounts`).
    accounts: Accounts
    #: Whether the backend's own history documents hold ``geometry_wkb`` before
    #: ``properties`` (sorted JSON text; jsonb puts the shorter key first).
    _wkb_key_first = True

    def __init__(self, url: str, *, census_limits: CensusLimits | None = None) -> None:
        self.url = url
        self.census_limits = census_limits or CensusLimits()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"

    # ----------------------------------------------------------------- reading
    def _select(
        self, layer: Layer, skip: frozenset[str] = frozenset(), *, geometry: bool = True
    ) -> tuple[str, list[str]]:
        columns = ["id", *(f for f in layer.field_names if f not in skip), "version"]
        select = ", ".join(columns)
        if layer.geometry_type and geometry:
            select += f", {self._geom_select}"
        return select, columns

    def _conditions(
        self, layer: Layer, where: Mapping[str, Any] | None, ids: Sequence[str] | None
    ) -> tuple[list[str], list[Any]]:
        conds: list[str] = []
        params: list[Any] = []
        for key, value in (where or {}).items():
            if key not in layer.field_names and key != "id":
                known = ", ".join(("id", *layer.field_names))
                raise InvalidInput(
                    layer.name, [f"cannot filter on {key!r}; filter on one of {known}"]
                )
            kind = FieldType.TEXT if key == "id" else layer.field(key).type
            if value is None:
                conds.append(f"{key} IS NULL")
            elif kind is FieldType.SEASONS:
                # a season filter matches plots open in that season
                conds.append(f"(',' || {key} || ',') LIKE ?")
                params.append(f"%,{value},%")
            else:
                conds.append(f"{key} = ?")
                params.append(value)
        if ids is not None:
            if not ids:
                conds.append("1 = 0")
            else:
                conds.append(f"id IN ({', '.join('?' * len(ids))})")
                params.extend(ids)
        return conds, params

    def read(
        self,
        layer: str,
        *,
        bbox: BBox | None = None,
        where: Mapping[str, Any] | None = None,
        ids: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> pd.DataFrame:
        """Read a layer as a (Geo)DataFrame in EPSG:4326, ordered by id.

        ``bbox`` (minx, miny, maxx, maxy in lon/lat) keeps features whose geometry
        intersects it; ``where`` keeps exact matches (a season matches plots open
        in it; ``None`` matches empty values); ``limit`` and ``offset`` page.
        """
        spec = layer_named(layer)
        with self._snapshot() as cur:
            # two statements (empty fields, then the rest): only in a snapshot
            page = dict(bbox=bbox, where=where, ids=ids, limit=limit, offset=offset)
            return self._read(cur, spec, **page, skip_empty=True)  # type: ignore[arg-type]

    def _read(
        self,
        cur: Any,
        spec: Layer,
        *,
        bbox: BBox | None = None,
        where: Mapping[str, Any] | None = None,
        ids: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        skip_empty: bool = False,
    ) -> pd.DataFrame:
        conds, params = self._conditions(spec, where, ids)
        refine = False
        if bbox is not None and spec.geometry_type:
            cond, bbox_params, refine = self._bbox_filter(spec.name, bbox)
            conds.append(cond)
            params.extend(bbox_params)
        whole = skip_empty and ids is None and limit is None and not offset
        skip = empty_fields(cur, self._sql, spec, conds, params) if whole else frozenset()
        if whole and spec.geometry_type:
            frame = self._read_whole(cur, spec, conds, params, skip)
            if refine and bbox is not None:
                frame = frame[frame.intersects(shapely.box(*bbox))].reset_index(drop=True)
            return frame
        select, columns = self._select(spec, skip)
        sql = f"SELECT {select} FROM {spec.name}"
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        sql += f" ORDER BY {self._order_by_id}"
        if not refine and (limit is not None or offset):
            sql += " LIMIT ? OFFSET ?"
            params.extend([-1 if limit is None else limit, offset])
            if self._placeholder != "?" and limit is None:
                params[-2] = None  # PostgreSQL: LIMIT NULL means no limit
        cur.execute(self._sql(sql), params)
        frame = self._frame(spec, cur.fetchall(), columns)
        if refine and bbox is not None:
            frame = frame[frame.intersects(shapely.box(*bbox))]
            stop = None if limit is None else offset + limit
            frame = frame.iloc[offset:stop].reset_index(drop=True)
        return frame

    def _read_whole(
        self, cur: Any, spec: Layer, conds: list[str], params: list[Any], skip: frozenset[str]
    ) -> pd.DataFrame:
        """Every selected record: the geometries are decoded in a worker thread (GEOS
        lets go of the GIL) while the attributes are fetched, in the same snapshot."""
        where = (" WHERE " + " AND ".join(conds)) if conds else ""
        order = f" ORDER BY {self._order_by_id}"
        with paused_gc():  # a tuple per row and a geometry per record: see paused_gc
            sql = f"SELECT {self._geom_select} FROM {spec.name}{where}{order}"
            cur.execute(self._sql(sql), params)
            blobs = [row[0] for row in cur.fetchall()]
            decoding = _DECODER.submit(self._decode_geoms, blobs)
            select, columns = self._select(spec, skip, geometry=False)
            cur.execute(self._sql(f"SELECT {select} FROM {spec.name}{where}{order}"), params)
            rows = cur.fetchall()
            return self._frame(spec, rows, columns, geoms=decoding.result())

    def _frame(
        self,
        spec: Layer,
        rows: list[tuple[Any, ...]],
        columns: list[str],
        *,
        geoms: np.ndarray | None = None,
    ) -> pd.DataFrame:
        """``geoms``: the decoded geometries, when ``rows`` do not end with the blobs."""
        # column by column, straight into their dtypes: no untyped frame in between
        # (a page of 100 plots was ~10 ms through from_records + astype + where)
        with_blobs = spec.geometry_type is not None and geoms is None
        width = len(columns) + (1 if with_blobs else 0)
        values: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * width
        if with_blobs:
            geoms = self._decode_geoms(list(values[-1]))
        data = dict(zip(columns, values, strict=False))
        for name in spec.field_names:
            data.setdefault(name, [None] * len(rows))  # not fetched: empty in every row
        return layer_frame(spec, data, len(rows), geoms)

    def count(
        self, layer: str, *, bbox: BBox | None = None, where: Mapping[str, Any] | None = None
    ) -> int:
        """Number of records that :meth:`read` would return without paging."""
        spec = layer_named(layer)
        conds, params = self._conditions(spec, where, None)
        if bbox is not None and spec.geometry_type:
            cond, bbox_params, refine = self._bbox_filter(spec.name, bbox)
            if refine:  # the index only knows envelopes: count what really intersects
                return len(self.read(layer, bbox=bbox, where=where))
            conds.append(cond)
            params.extend(bbox_params)
        sql = f"SELECT count(*) FROM {spec.name}"
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        with self._snapshot() as cur:
            cur.execute(self._sql(sql), params)
            return int(cur.fetchone()[0])

    def get(self, layer: str, record_id: str) -> Record:
        """One record by id; NotFound when there is none."""
        spec = layer_named(layer)
        with self._snapshot() as cur:
            frame = self._read(cur, spec, ids=[record_id])
        if frame.empty:
            raise NotFound(f"no {spec.name} record with id {record_id!r}")
        return as_record(spec, frame.iloc[0])

    # ----------------------------------------------------------------- writing
    def _context(
        self,
        cur: Any,
        spec: Layer,
        *,
        allow_overlap: bool,
        allow_outside_union: bool,
        near: pd.DataFrame | None = None,
    ) -> ValidationContext:
        """What validation of ``spec`` records needs from the store.

        ``near``: the incoming records; stored plots near them are read for the
        overlap check (None: no stored plots, as when a layer is replaced).
        """
        ctx = ValidationContext(
            allow_overlap=allow_overlap,
            allow_outside_union=allow_outside_union,
            census_limits=self.census_limits,
            region=self._region(cur),
        )
        names = spec.field_names
        if "okrug_id" in names:
            cur.execute("SELECT id FROM okrugs")
            ctx.okrug_ids = {r[0] for r in cur.fetchall()}
        if "union_id" in names:
            if spec.name == "plots" and not allow_outside_union:
                unions = self._read(cur, LAYERS["unions"])
                ctx.union_geoms = dict(zip(unions["id"], unions.geometry, strict=True))
            else:
                cur.execute("SELECT id FROM unions")
                ctx.union_geoms = {r[0]: None for r in cur.fetchall()}
        if "household_id" in names:
            cur.execute("SELECT id, union_id FROM households")
            ctx.household_unions = {r[0]: r[1] for r in cur.fetchall()}
        if "settlement_id" in names:
            cur.execute("SELECT id FROM settlements")
            ctx.settlement_ids = {r[0] for r in cur.fetchall()}
        if spec.name == "plots" and not allow_overlap and near is not None:
            sql = f"SELECT id, {self._geom_select} FROM plots"
            params: list[Any] = []
            near_box = bounds(near)
            if near_box is not None:
                # only stored plots near the incoming ones can overlap them (envelopes suffice)
                cond, params, _ = self._bbox_filter("plots", near_box)
                sql += f" WHERE {cond}"
            cur.execute(self._sql(sql), params)
            rows = cur.fetchall()
            ctx.other_plots = pd.DataFrame(
                {
                    "id": [r[0] for r in rows],
                    "geometry": list(self._decode_geoms([r[1] for r in rows])),
                }
            )
        return ctx

    def _read_ids(self, cur: Any, spec: Layer, ids: list[str] | None) -> pd.DataFrame:
        """Stored records with these ids (all of them for None), in chunks of bound parameters."""
        if ids is None:
            return self._read(cur, spec)
        cur.execute(f"SELECT EXISTS (SELECT 1 FROM {spec.name})")  # an import into an empty layer
        chunks = [
            self._read(cur, spec, ids=ids[start : start + IDS_PER_QUERY])
            for start in range(0, len(ids) if cur.fetchone()[0] else 0, IDS_PER_QUERY)
        ]
        if not chunks:
            return self._read(cur, spec, ids=[])
        return chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)

    def _region(self, cur: Any) -> BaseGeometry | None:
        cur.execute(self._sql("SELECT value FROM meta WHERE key = ?"), ["region_wkt"])
        row = cur.fetchone()
        return shapely.from_wkt(row[0]) if row else None

    def write(
        self,
        layer: str,
        records: pd.DataFrame,
        *,
        user: str,
        mode: WriteMode = "append",
        allow_overlap: bool = False,
        allow_outside_union: bool = False,
        source: str = "records",
        progress: Progress | None = None,
    ) -> WriteResult:
        """Validate and store records of one layer in one transaction.

        ``mode``: ``append`` refuses ids already stored; ``upsert`` updates them
        (version + 1); ``replace`` deletes the layer's other records first. Any
        problem raises :class:`~pasture.errors.InvalidInput` and writes nothing.
        """
        # a bulk write makes several objects per record, none in a cycle: the collector's
        # passes over them were 0.1-0.15 s of a 20,000-plot import's CPU (see paused_gc)
        with paused_gc(), self._transaction() as cur:
            return self._write_in(
                cur,
                layer,
                records,
                user=user,
                mode=mode,
                allow_overlap=allow_overlap,
                allow_outside_union=allow_outside_union,
                source=source,
                progress=progress,
            )

    def write_many(
        self,
        batches: Sequence[tuple[str, pd.DataFrame, WriteMode]],
        *,
        user: str,
        source: str = "records",
    ) -> list[WriteResult]:
        """Write several layers in one transaction (e.g. households with their census)."""
        with paused_gc(), self._transaction() as cur:  # as write
            return [
                self._write_in(cur, layer, frame, user=user, mode=mode, source=source)
                for layer, frame, mode in batches
            ]

    def _write_in(
        self,
        cur: Any,
        layer: str,
        records: pd.DataFrame,
        *,
        user: str,
        mode: WriteMode,
        source: str,
        allow_overlap: bool = False,
        allow_outside_union: bool = False,
        progress: Progress | None = None,
    ) -> WriteResult:
        spec = layer_named(layer)
        if mode not in ("append", "upsert", "replace"):
            raise ValueError(f"mode must be append, upsert or replace, not {mode!r}")
        self._lock_for_write(cur, spec.name)
        ctx = self._context(
            cur,
            spec,
            allow_overlap=allow_overlap,
            allow_outside_union=allow_outside_union,
            # replace: the stored plots go, so only the incoming ones are checked together
            near=None if mode == "replace" else records,
        )
        # a bulk write goes on while its records are checked; bad records roll it back
        with validation.checked_records(spec, records, ctx, source=source) as clean:
            if spec.name == "plots":
                clean["area_ha"] = geodesic_area_ha(clean["geometry"].tolist())
            # append and upsert touch only the incoming ids; replace also deletes the rest
            stored = self._read_ids(cur, spec, None if mode == "replace" else list(clean["id"]))
            return self._apply(
                cur, spec, clean, stored, mode=mode, user=user, source=source, progress=progress
            )

    def _apply(
        self,
        cur: Any,
        spec: Layer,
        clean: pd.DataFrame,
        stored: pd.DataFrame,
        *,
        mode: WriteMode,
        user: str,
        source: str,
        progress: Progress | None,
    ) -> WriteResult:
        stored_ids = set(stored["id"])
        incoming = clean["id"].isin(stored_ids)
        if mode == "append" and incoming.any():
            clash = sorted(clean.loc[incoming, "id"])[:10]
            raise AlreadyExists(
                f"{source}: {int(incoming.sum())} id(s) already stored in {spec.name}, e.g. "
                f"{', '.join(map(repr, clash))}; use mode 'upsert' to update them or 'replace'"
            )
        deleted = 0
        entries: list[tuple[Any, ...]] = []
        at = self._time_param(now_utc())
        if mode == "replace":
            gone = stored[~stored["id"].isin(set(clean["id"]))]
            for _, row in gone.iterrows():
                rec = as_record(spec, row)
                entries.append(
                    self._history_row(spec, rec.id, "delete", rec.version, user, at, rec, None)
                )
            if len(gone):
                cur.execute(
                    self._sql(
                        f"DELETE FROM {spec.name} WHERE id IN ({', '.join('?' * len(gone))})"
                    ),
                    list(gone["id"]),
                )
            deleted = len(gone)
        updates = clean[clean["id"].isin(stored_ids)] if mode != "append" else clean.iloc[0:0]
        inserts = clean[~clean["id"].isin(stored_ids)]
        old_by_id = stored.set_index("id", drop=False)
        updated = 0
        for row in updates.to_dict("records"):
            old = as_record(spec, old_by_id.loc[row["id"]])
            if is_unchanged(spec, old, row):
                continue
            updated += 1
            self._update_row(cur, spec, row, old.version)
            entries.append(
                self._history_row(spec, old.id, "update", old.version + 1, user, at, old, row)
            )
        texts = _DECODER.submit(insert_rows, spec, inserts, user, at)  # beside the rows
        self._insert_rows(cur, spec, inserts, progress=progress)
        entries += texts.result()
        self._bulk_insert(cur, "history", NEW_COLUMNS, entries)
        return WriteResult(spec.name, len(inserts), updated, deleted)

    def _row_values(self, spec: Layer, row: Mapping[str, Any]) -> list[Any]:
        return [db_value(row.get(f.name)) for f in spec.fields]

    def _insert_rows(
        self,
        cur: Any,
        spec: Layer,
        frame: pd.DataFrame,
        *,
        progress: Progress | None = None,
        keep_version: bool = False,
    ) -> None:
        columns, values = self._insert_values(spec, frame, keep_version=keep_version)
        if spec.geometry_type:
            columns.append("geom")
        total = len(frame)
        for start in range(0, max(total, 1), BATCH):
            end = min(start + BATCH, total)
            if start >= end:
                break
            parts = [col[start:end] for col in values]
            if spec.geometry_type:
                parts.append(self._encode_geoms(frame["geometry"].iloc[start:end].tolist()))
            self._bulk_insert(cur, spec.name, columns, list(zip(*parts, strict=True)))
            if progress is not None:
                progress(min(start + BATCH, total), total)

    def _insert_values(
        self, spec: Layer, frame: pd.DataFrame, *, keep_version: bool
    ) -> tuple[list[str], list[list[Any]]]:
        """The columns of a layer's rows (``id``, its fields, ``version``; not the
        geometry) and their parameters, a list per column."""
        total = len(frame)
        # a column at a time: per-row dicts and per-value conversion cost more than the
        # database's own insert on a bulk import
        values = [
            db_column(frame[f.name], whole=f.type is FieldType.INTEGER)
            if f.name in frame.columns
            else [None] * total
            for f in spec.fields
        ]
        versions = [int(v) for v in frame["version"].tolist()] if keep_version else [1] * total
        return ["id", *spec.field_names, "version"], [frame["id"].tolist(), *values, versions]

    def _update_row(self, cur: Any, spec: Layer, row: Mapping[str, Any], version: int) -> None:
        sets = [f"{f} = ?" for f in spec.field_names] + ["version = ?"]
        params = [*self._row_values(spec, row), version + 1]
        if spec.geometry_type:
            sets.append(f"geom = {self._geom_insert}")
            params.append(self._encode_geoms([row["geometry"]])[0])
        cur.execute(
            self._sql(f"UPDATE {spec.name} SET {', '.join(sets)} WHERE id = ? AND version = ?"),
            [*params, row["id"], version],
        )
        if cur.rowcount != 1:
            raise VersionConflict(
                f"{spec.name} {row['id']!r} changed while it was being written; read it again"
            )

    def _history_row(
        self,
        spec: Layer,
        record_id: str,
        action: str,
        version: int,
        user: str,
        at: Any,
        before: Record | None,
        after: Mapping[str, Any] | None,
    ) -> tuple[Any, ...]:
        row = (spec, record_id, action, version, user, at, before, after)
        return change_row(*row, json_param=self._json_param)

    def update(
        self,
        layer: str,
        record_id: str,
        changes: Mapping[str, Any],
        *,
        expected_version: int,
        user: str,
    ) -> Record:
        """Change some fields (or ``geometry``) of one record if it is still at ``expected_version``.

        Changes that leave the record as it is (none, or the stored values) write nothing
        and return the stored record at its version.
        """
        spec = layer_named(layer)
        allowed = {*spec.field_names, "geometry"} if spec.geometry_type else set(spec.field_names)
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput(
                f"{spec.name} {record_id!r}",
                [f"unknown field(s) {sorted(unknown)}; editable fields are {sorted(allowed)}"],
            )
        with self._transaction() as cur:
            self._lock_for_write(cur, spec.name)
            current = self._read(cur, spec, ids=[record_id])
            if current.empty:
                raise NotFound(f"no {spec.name} record with id {record_id!r}")
            old = as_record(spec, current.iloc[0])
            if old.version != expected_version:
                raise VersionConflict(
                    f"{spec.name} {record_id!r} is at version {old.version}, not {expected_version}; "
                    "read it again and reapply your change",
                    current_version=old.version,
                )
            merged = {"id": record_id, **old.properties, **changes}
            if spec.geometry_type:
                merged["geometry"] = changes.get("geometry", old.geometry)
            frame = pd.DataFrame([merged])
            ctx = self._context(
                cur, spec, allow_overlap=False, allow_outside_union=False, near=frame
            )
            clean = check_records(spec, frame, ctx, source=f"{spec.name} {record_id!r}")
            if spec.name == "plots":
                clean["area_ha"] = geodesic_area_ha(clean["geometry"].tolist())
            row = clean.iloc[0].to_dict()
            if is_unchanged(spec, old, {**row, "version": old.version}):
                # nothing changes: no new version, no history, no 412 for other editors
                return old
            self._update_row(cur, spec, row, old.version)
            entry = self._history_row(
                spec,
                record_id,
                "update",
                old.version + 1,
                user,
                self._time_param(now_utc()),
                old,
                row,
            )
            self._bulk_insert(cur, "history", NEW_COLUMNS, [entry])
            return as_record(spec, pd.Series({**row, "version": old.version + 1}))

    def delete(self, layer: str, record_id: str, *, expected_version: int, user: str) -> None:
        """Delete one record if it is still at ``expected_version``."""
        spec = layer_named(layer)
        with self._transaction() as cur:
            self._lock_for_write(cur, spec.name)
            current = self._read(cur, spec, ids=[record_id])
            if current.empty:
                raise NotFound(f"no {spec.name} record with id {record_id!r}")
            old = as_record(spec, current.iloc[0])
            if old.version != expected_version:
                raise VersionConflict(
                    f"{spec.name} {record_id!r} is at version {old.version}, not {expected_version}",
                    current_version=old.version,
                )
            cur.execute(self._sql(f"DELETE FROM {spec.name} WHERE id = ?"), [record_id])
            entry = self._history_row(
                spec, record_id, "delete", old.version, user, self._time_param(now_utc()), old, None
            )
            self._bulk_insert(cur, "history", NEW_COLUMNS, [entry])

    def compare_and_set(
        self,
        table: str,
        key: Mapping[str, Any],
        expected: Mapping[str, Any],
        changes: Mapping[str, Any],
    ) -> int:
        """Set ``changes`` on the result-table rows that ``key`` selects, only where their
        columns still hold ``expected``; one statement, so of two callers that read the
        same row only one changes it.

        Returns
        -------
        int
            The rows changed: 0 when another writer changed them first (or none match).
        """
        spec = table_named(table)
        unknown = sorted(set(changes) - set(spec.column_names))
        if unknown or not changes:
            raise InvalidInput(spec.name, [f"cannot set {unknown or 'nothing'}"])
        conds, params = self._table_conditions(spec, {**key, **expected})
        assignments = ", ".join(f"{quoted(c)} = ?" for c in changes)
        values = [self._table_param(spec.column(c).type)(db_value(v)) for c, v in changes.items()]
        sql = f"UPDATE {spec.name} SET {assignments} WHERE {' AND '.join(conds) or '1 = 1'}"
        with self._transaction() as cur:
            cur.execute(self._sql(sql), [*values, *params])
            return int(cur.rowcount)

    # ----------------------------------------------------------------- history and metadata
    def history(self, *, layer: str | None = None, record_id: str | None = None) -> pd.DataFrame:
        """Recorded changes, oldest first: who, when, action, version, before and after.

        ``before`` and ``after`` are the record's documents (``{"properties": {...},
        "geometry_wkb": hex WKB}``), however they are kept (:mod:`pasture.store.history`).
        """
        conds, params = [], []
        if layer is not None:
            conds.append("layer = ?")
            params.append(layer_named(layer).name)
        if record_id is not None:
            conds.append("record_id = ?")
            params.append(record_id)
        sql = f"SELECT {', '.join(STORED_COLUMNS)} FROM history"
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        with self._snapshot() as cur:
            cur.execute(self._sql(sql + " ORDER BY seq"), params)
            rows = cur.fetchall()
        return read_history(
            rows,
            time_value=self._time_value,
            json_value=self._json_value,
            geometry_first=self._wkb_key_first,
        )

    def version(self) -> str:
        """A token that changes with every committed write (records, result tables, meta):
        the key of the pages' and map layers' caches (:mod:`.counter`)."""
        with self._snapshot() as cur:
            return f"{self.backend}:{counter.writes_seen(cur, self._sql)}"

    def _bump_version(self, cur: Any) -> None:
        """Count one more write; the last statement of every write transaction."""
        counter.count_write(cur, self._sql, self.version_shards)

    def get_meta(self, key: str) -> str | None:
        with self._snapshot() as cur:
            cur.execute(self._sql("SELECT value FROM meta WHERE key = ?"), [key])
            row = cur.fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction() as cur:
            cur.execute(self._sql("DELETE FROM meta WHERE key = ?"), [key])
            cur.execute(self._sql("INSERT INTO meta (key, value) VALUES (?, ?)"), [key, value])

    def meta(self) -> dict[str, str]:
        """The store's settings; not the write counter, which is this store's own."""
        with self._snapshot() as cur:
            cur.execute("SELECT key, value FROM meta ORDER BY key")
            return {k: v for k, v in cur.fetchall() if not counter.is_counter(k)}

    def set_region(self, region: BaseGeometry) -> None:
        """Set the area (EPSG:4326) that every imported feature must lie in."""
        self.set_meta("region_wkt", shapely.to_wkt(region, rounding_precision=6))

    def info(self) -> StoreInfo:
        """Layers with counts, extents, highest versions and last change times."""
        layers = []
        with self._snapshot() as cur:
            for spec in LAYERS.values():
                cur.execute(f"SELECT count(*), max(version) FROM {spec.name}")
                count, max_version = cur.fetchone()
                cur.execute(self._sql("SELECT max(at) FROM history WHERE layer = ?"), [spec.name])
                (last,) = cur.fetchone()
                extent = self._extent(cur, spec.name) if spec.geometry_type and count else None
                layers.append(
                    LayerInfo(
                        spec.name,
                        int(count),
                        extent,
                        None if max_version is None else int(max_version),
                        None if last is None else self._time_value(last),
                    )
                )
            cur.execute("SELECT count(*) FROM history")
            (n_history,) = cur.fetchone()
            tables = {}
            for name in TABLES:
                cur.execute(f"SELECT count(*) FROM {name}")
                tables[name] = int(cur.fetchone()[0])
        return StoreInfo(self.url, self.backend, tuple(layers), int(n_history), self.meta(), tables)

    def is_empty(self) -> bool:
        info = self.info()
        return all(layer.count == 0 for layer in info.layers) and not any(info.tables.values())

    # ----------------------------------------------------------------- whole-store copy
    def load_copy(self, source: Store, *, progress: Progress | None = None) -> None:
        """Copy every record, version, history entry, setting and account of ``source`` into this empty store."""
        if not self.is_empty():
            raise StoreError(
                f"{self.url} is not empty; copy into a new store or remove its data first"
            )
        with self._transaction() as cur:
            for spec in LAYERS.values():
                frame = source.read(spec.name)
                self._insert_rows(cur, spec, frame, keep_version=True, progress=progress)
            rows = copied_rows(source.history(), self._time_param, self._json_param)
            for start in range(0, len(rows), BATCH):
                self._bulk_insert(cur, "history", STORED_COLUMNS, rows[start : start + BATCH])
            self._after_history_copy(cur)
            for spec_t in TABLES.values():
                # normalised as every table write is: a backend's bulk insert takes the
                # one form (dates as ISO text) and the source's reader gives its own
                rows = normalise_table(spec_t, source.read_rows(spec_t.name), source=spec_t.name)
                self._insert_table(cur, spec_t, rows)
            for key, value in source.meta().items():
                cur.execute(self._sql("DELETE FROM meta WHERE key = ?"), [key])
                cur.execute(self._sql("INSERT INTO meta (key, value) VALUES (?, ?)"), [key, value])
        # accounts live apart (a file beside a GeoPackage): copied after the data they name
        self.accounts.load(source.accounts.all())

    def _after_history_copy(self, cur: Any) -> None:
        """Let a backend move its history sequence past copied rows."""
