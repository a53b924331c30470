"""Values the store hands out and the conversions every backend shares.

Records, write results and store summaries; how a value is bound (:func:`db_value`), how
it is kept in the history (:func:`record_json`) and how raw rows become a typed frame
(:func:`layer_frame`), whichever backend read them.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geopandas.array import from_shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from ..geometry import geometry_values
from ..model import FieldType, Layer

WriteMode = Literal["append", "upsert", "replace"]
BBox = tuple[float, float, float, float]

#: Rows per batch of a bulk write; also how often progress is reported.
BATCH = 2_000


@dataclass(frozen=True)
class Record:
    """One stored record: its properties, geometry and version."""

    layer: str
    id: str
    properties: dict[str, Any]
    geometry: BaseGeometry | None
    version: int


@dataclass(frozen=True)
class WriteResult:
    layer: str
    inserted: int
    updated: int
    deleted: int


@dataclass(frozen=True)
class LayerInfo:
    name: str
    count: int
    extent: BBox | None
    max_version: int | None
    last_change: datetime | None


@dataclass(frozen=True)
class StoreInfo:
    url: str
    backend: str
    layers: tuple[LayerInfo, ...]
    history_count: int
    meta: dict[str, str] = field(default_factory=dict)
    #: rows per result table
    tables: dict[str, int] = field(default_factory=dict)


def now_utc() -> datetime:
    # millisecond precision: what a GeoPackage DATETIME holds (GeoPackage 1.4, 1.1.1.1.3)
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def plain(value: Any) -> Any:
    """A value as JSON can hold it: None for NaN, Python numbers, ISO text for dates."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def record_json(props: Mapping[str, Any], geometry: BaseGeometry | None) -> dict[str, Any]:
    """The history form of a record: properties and the geometry as hex WKB (exact)."""
    doc: dict[str, Any] = {"properties": {k: plain(v) for k, v in props.items()}}
    if geometry is not None:
        doc["geometry_wkb"] = shapely.to_wkb(geometry, hex=True, byte_order=1, flavor="iso")
    return doc


def plain_column(values: pd.Series) -> list[Any]:
    """:func:`plain` over a whole column: numbers and text at once, other values one by one."""
    if values.dtype.kind == "f":
        numbers = values.to_numpy(dtype="float64")
        out = numbers.astype(object)
        out[np.isnan(numbers)] = None
        return list(out)
    if values.dtype.kind in "iu":
        return list(values.to_numpy().astype(object))
    kind = pd.api.types.infer_dtype(values, skipna=True)
    missing = values.isna().to_numpy()
    if kind in ("string", "empty"):
        out = np.array(values.astype(object), dtype=object)
    elif kind == "floating":
        out = values.to_numpy(dtype="float64", na_value=np.nan).astype(object)
    elif kind == "integer":
        out = (
            np.where(missing, 0, values.to_numpy(dtype="float64", na_value=0))
            .astype(np.int64)
            .astype(object)
        )
    else:
        return [plain(v) for v in values.tolist()]
    out[missing] = None
    return list(out)


def record_json_texts(fields: Sequence[str], frame: pd.DataFrame, *, geometry: bool) -> list[str]:
    """The history form (:func:`record_json`) of every row of a frame as JSON text.

    Each text is exactly ``json.dumps(record_json(...), ensure_ascii=False, sort_keys=True)``,
    built a column at a time, the geometries encoded in one call: a bulk import's
    history without a dict and an encoder call per record.
    """
    n = len(frame)
    # one %-template per layer: a field empty in every record is "null" in the template
    # itself, the others are filled in per record (one string operation per record
    # instead of one per value)
    filled: list[list[str]] = []
    props = []
    for name in sorted(fields):
        key = json.dumps(name, ensure_ascii=False).replace("%", "%%")
        texts = _json_values(frame, name)
        props.append(f"{key}: {'null' if texts is None else '%s'}")
        if texts is not None:
            filled.append(texts)
    template = '{"properties": {' + ", ".join(props) + "}}"
    rows = list(zip(*filled, strict=True)) if filled else [()] * n
    if not geometry:
        return [template % row for row in rows]
    geoms = geometry_values(frame["geometry"])
    # GEOS's hex writer takes 7x its binary one (180 ms vs 27 ms for 20,000 plots);
    # bytes.hex() gives the same digits, upper case as GEOS writes them
    wkb = shapely.to_wkb(geoms, byte_order=1, flavor="iso")
    with_geometry = '{"geometry_wkb": "%s", ' + template[1:]
    return [
        template % row if blob is None else with_geometry % (blob.hex().upper(), *row)
        for row, blob in zip(rows, wkb.tolist(), strict=True)
    ]


def _json_values(frame: pd.DataFrame, name: str) -> list[str] | None:
    """The JSON text of each value of a column; None when every value is null."""
    if name not in frame.columns:
        return None
    column = frame[name]
    kind = "" if column.dtype.kind == "f" else pd.api.types.infer_dtype(column, skipna=True)
    if column.dtype.kind == "f" or kind == "floating":  # the common case, without a type
        # test per value (validation leaves real columns as Python floats and None)
        numbers = column.to_numpy(dtype="float64", na_value=np.nan)
        if np.isnan(numbers).all():
            return None
        texts = np.array([float.__repr__(x) for x in numbers.tolist()], dtype=object)
        texts[np.isnan(numbers)] = "null"
        texts[np.isinf(numbers)] = [json.dumps(x) for x in numbers[np.isinf(numbers)].tolist()]
        return list(texts)
    if kind == "empty":
        return None
    if kind == "string":
        return ["null" if v is None else _encode_text(v) for v in plain_column(column)]
    return [_json_value(v) for v in plain_column(column)]


_encode_text = json.encoder.encode_basestring


def _json_value(value: Any) -> str:
    # the json module's own forms: float.__repr__, int.__repr__, its string escaping
    if value is None:
        return "null"
    if isinstance(value, str):
        return str(_encode_text(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float) and np.isfinite(value):
        return float.__repr__(value)
    return json.dumps(plain(value), ensure_ascii=False, sort_keys=True)


#: Ids bound in one ``IN (...)`` query: well under SQLite's 32,766 variables.
IDS_PER_QUERY = 5_000


def bounds(records: pd.DataFrame | None) -> BBox | None:
    """The extent of the records' geometries, or None when there is none to go by."""
    if records is None or "geometry" not in records.columns:
        return None
    geoms = geometry_values(records["geometry"])
    present = geoms[~shapely.is_missing(geoms)]
    if not len(present):
        return None
    minx, miny, maxx, maxy = shapely.total_bounds(present)
    return (minx, miny, maxx, maxy) if np.isfinite([minx, miny, maxx, maxy]).all() else None


# Column names that are reserved words in SQL and must be quoted.
RESERVED = {"end", "count", "offset"}


def quoted(name: str) -> str:
    return f'"{name}"' if name in RESERVED else name


#: The CRS of every layer, parsed once (geopandas parses a string on each frame).
WGS84 = CRS.from_epsg(4326)


class _GcPause:
    """How many blocks of any thread are inside :func:`paused_gc`, and whether the
    collector was on when the first of them began."""

    lock = threading.Lock()
    depth = 0
    was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block; on again when the last such
    block of any thread ends, if it was on when the first began.

    A whole-layer read makes one tracked object per record (a shapely geometry, a row
    tuple); the full collections these allocations trigger each walk every live object,
    so their cost grows faster than the layer (``shapely.from_wkb`` of 250,000 plots:
    0.19-0.24 s CPU with the collector off, 0.30-0.38 s with it on). The new objects
    hold no cycles: the collector has nothing to find in them.
    """
    with _GcPause.lock:
        if _GcPause.depth == 0:
            _GcPause.was_enabled = gc.isenabled()
            gc.disable()
        _GcPause.depth += 1
    try:
        yield
    finally:
        with _GcPause.lock:
            _GcPause.depth -= 1
            if _GcPause.depth == 0 and _GcPause.was_enabled:
                gc.enable()


def object_array(values: Sequence[Any], n: int) -> np.ndarray:
    """``values`` as a 1-D object array: an object array of ``n`` values is taken as it
    is (the reader's fresh columns), anything else copied value by value."""
    if isinstance(values, np.ndarray) and values.dtype == object and values.shape == (n,):
        return values
    # fromiter keeps each value as one element (a list or dict stays one object)
    return np.fromiter(values, dtype=object, count=n)


def layer_frame(spec: Layer, data: Mapping[str, Sequence[Any]], n: int, geoms: Any) -> pd.DataFrame:
    """A layer's frame with its one set of dtypes, whichever backend read the raw values.

    Text is ``object`` with ``None`` for missing values, reals ``float64``,
    required integers ``int64`` (others ``Int64``), dates ``datetime64[ns]``.
    """
    columns: dict[str, Any] = {
        "id": pd.Series(object_array(data["id"], n), dtype=object, copy=False)
    }
    for f in spec.fields:
        values = data[f.name]
        if f.type is FieldType.REAL:
            columns[f.name] = np.array(values, dtype=np.float64)
        elif f.type is FieldType.INTEGER:
            if f.required:
                columns[f.name] = np.array(values, dtype=np.int64)
            else:
                objects = object_array(values, n)
                objects[pd.isna(objects)] = None
                columns[f.name] = pd.array(objects, dtype="Int64")
        elif f.type is FieldType.DATE:
            days = [None if v is None or pd.isna(v) else iso_date(v) for v in values]
            columns[f.name] = pd.to_datetime(pd.Series(days, dtype=object)).astype("datetime64[ns]")
        else:
            objects = object_array(values, n)
            missing = pd.isna(objects)
            if missing.any():
                objects[missing] = None
            columns[f.name] = pd.Series(objects, dtype=object, copy=False)
    columns["version"] = np.array(data["version"], dtype=np.int64)
    if geoms is None:
        return pd.DataFrame(columns, copy=False)
    columns["geometry"] = from_shapely(np.asarray(geoms, dtype=object), crs=WGS84)
    return gpd.GeoDataFrame(columns, geometry="geometry", copy=False)


def iso_date(value: Any) -> Any:
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()


def iso_days(times: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` text (None for NaT) of a datetime64 array, as an object array.

    Each distinct day is formatted once: a result table repeats a few hundred dates over
    half a million rows, and formatting every value took longer than writing it.
    """
    # factorised by hashing the day numbers (NaT is one of them), not sorted: 3x faster
    where, days = pd.factorize(np.asarray(times).astype("datetime64[D]").view(np.int64))
    distinct = days.view("datetime64[D]")
    text = np.datetime_as_string(distinct, unit="D").astype(object)
    text[np.isnat(distinct)] = None
    return text[where]


def db_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value


def is_unchanged(spec: Layer, old: Record, row: Mapping[str, Any]) -> bool:
    new = as_record(spec, {**row, "version": old.version})
    # area_ha is derived from the geometry, which is compared exactly below
    derived = {"area_ha"}
    if {k: v for k, v in new.properties.items() if k not in derived} != {
        k: v for k, v in old.properties.items() if k not in derived
    }:
        return False
    if not spec.geometry_type:
        return True
    return bool(
        old.geometry is not None
        and new.geometry is not None
        and old.geometry.equals_exact(new.geometry, 0.0)
    )


def as_record(spec: Layer, row: Mapping[str, Any]) -> Record:
    props: dict[str, Any] = {}
    for f in spec.fields:
        value = row.get(f.name)
        if (
            value is None
            or value is pd.NA
            or value is pd.NaT
            or (isinstance(value, float) and np.isnan(value))
        ):
            props[f.name] = None
        elif isinstance(value, pd.Timestamp):
            props[f.name] = value.date().isoformat()
        elif isinstance(value, np.integer):
            props[f.name] = int(value)
        elif isinstance(value, np.floating):
            props[f.name] = float(value)
        else:
            props[f.name] = value
    geometry = row.get("geometry") if spec.geometry_type else None
    return Record(spec.name, str(row["id"]), props, geometry, int(row["version"]))


def db_column(values: pd.Series, *, whole: bool = False) -> list[Any]:
    """:func:`db_value` over a whole column: numbers at once, other values one by one.

    ``whole``: an INTEGER field, whose column may have come back as floats (a column
    with a missing value reads as float64): its values go to the database as ints.
    """
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if whole and kind in ("floating", "integer", "mixed-integer-float"):
        numbers = pd.to_numeric(values).to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(numbers)
        out = np.where(missing, 0.0, numbers).astype(np.int64).astype(object)
        out[missing] = None
        return list(out)
    if values.dtype.kind in "fiu" or kind in (
        "floating",
        "integer",
        "string",
        "empty",
    ):
        return plain_column(values)
    return [db_value(v) for v in values.tolist()]


def empty_fields(
    cur: Any, sql: Callable[[str], str], spec: Layer, conds: list[str], params: list[Any]
) -> frozenset[str]:
    """Fields that no record selected by ``conds`` has a value in, counted in one scan.

    A district's layers leave many optional fields empty, and the driver's cost per
    fetched value is above the database's cost of counting: a whole-layer read
    fetches only the fields that hold something.
    """
    names = spec.field_names
    if not names:
        return frozenset()
    text = f"SELECT {', '.join(f'count({n})' for n in names)} FROM {spec.name}"
    if conds:
        text += " WHERE " + " AND ".join(conds)
    cur.execute(sql(text), params)
    counts = cur.fetchone()
    return frozenset(n for n, k in zip(names, counts, strict=True) if not k)
