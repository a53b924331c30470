"""Fast GeoJSON FeatureCollections: the bytes of :func:`pasture_api.web.feature_collection_json`, sooner.

Columns are turned into JSON-ready Python lists once each (numpy ``tolist``
rather than a conversion per value), geometries are written by GEOS in one
vectorised ``shapely.to_geojson`` call and the per-feature property objects by
one reused JSON encoder. The output is byte-for-byte what
``web.feature_collection_json`` writes, for every dtype the stores give.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import shapely

from . import web

__all__ = ["feature_collection_json", "json_ready"]

# the encoder of web.json_bytes, built once (json.dumps builds one per call)
_ENCODER = json.JSONEncoder(
    default=web._default,  # the same fallback as web.json_bytes
    separators=(",", ":"),
    allow_nan=False,
)
_encode = _ENCODER.encode


def json_ready(col: pd.Series) -> list[Any]:
    """A column's values as ``web.records_of`` gives them: NaN and NA None, dates ISO."""
    dtype = col.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind == "f":
            values = col.to_numpy()
            out = values.tolist()
            if np.isnan(values).any():
                out = [None if v != v else v for v in out]
            return out
        if dtype.kind in "iu":
            return col.to_numpy().tolist()
        if dtype.kind == "O":
            return [None if v is pd.NA else v for v in col.to_numpy().tolist()]
    if pd.api.types.is_datetime64_any_dtype(col):
        # DATE fields come naive (a day), DATETIME fields tz-aware (an instant)
        naive = col.dt.tz is None
        return [
            None if pd.isna(v) else v.date().isoformat() if naive else v.isoformat() for v in col
        ]
    if pd.api.types.is_float_dtype(col):
        return [None if math.isnan(v) else float(v) for v in col.to_numpy()]
    if pd.api.types.is_integer_dtype(col):
        return [None if v is pd.NA else int(v) for v in col.astype(object)]
    return [None if v is None or v is pd.NA else v for v in col.astype(object)]


def _objects_json(objects: list[dict[str, Any]]) -> list[str]:
    """The JSON text of each of many objects with the same keys, from one encoder call.

    The list's text is cut before each object's first key. A quote inside a
    string is always escaped, so ``,{"<first key>":`` appears only between the
    objects, or nested in a value: the count tells, and a nested one falls
    back to an encoder call per object.
    """
    if not objects or not objects[0]:
        return [_encode(o) for o in objects]
    opening = "{" + _encode(next(iter(objects[0]))) + ":"
    pieces = _encode(objects)[1:-1].split("," + opening)
    if len(pieces) != len(objects):
        return [_encode(o) for o in objects]
    return [pieces[0], *(opening + piece for piece in pieces[1:])]


def feature_collection_json(
    frame: pd.DataFrame,
    *,
    drop: Iterable[str] = (),
    extra: Mapping[str, Any] | None = None,
) -> bytes:
    """A GeoJSON FeatureCollection of a frame: ``id``, ``geometry``, the other columns as properties.

    ``drop`` names columns to leave out; ``extra`` members (links, numbers)
    follow the features.
    """
    dropped = set(drop)
    names = [c for c in frame.columns if c not in dropped and c not in ("geometry", "id")]
    columns = [json_ready(frame[c]) for c in names]
    ids = [str(i) for i in frame["id"]]
    geoms: Iterable[str | None] = (
        shapely.to_geojson(np.asarray(frame.geometry.values, dtype=object)).tolist()
        if "geometry" in frame
        else [None] * len(frame)
    )
    if names:
        rows = zip(*columns, strict=True)
        properties = _objects_json([dict(zip(names, row, strict=True)) for row in rows])
    else:
        properties = ["{}"] * len(ids)
    parts = [
        '{"type":"Feature","id":'
        + _encode(fid)
        + ',"geometry":'
        + (geom or "null")
        + ',"properties":'
        + props
        + "}"
        for fid, geom, props in zip(ids, geoms, properties, strict=True)
    ]
    head = '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]"
    doc = _encode(dict(extra or {}))
    # the other members (links, numbers) after the features
    return (head + ("}" if doc == "{}" else "," + doc[1:])).encode()
