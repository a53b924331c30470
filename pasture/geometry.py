"""Geometry helpers shared by the stores and import: encoding, areas, checks."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

__all__ = [
    "decode_gpkg",
    "encode_gpkg",
    "encode_gpkg_envelopes",
    "flat_promoted",
    "geodesic_area_ha",
    "geometry_values",
    "gpkg_envelope",
    "promote",
]

# GeoPackage 1.4, clause 2.1.3: header = magic "GP", version 0, flags, srs_id,
# then an envelope whose length the flags' bits 1-3 give.
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_FLAGS_LE_XY_ENVELOPE = 0b0000_0011
_FLAG_EMPTY = 0b0001_0000


#: The GeoPackage header with an XY envelope, as numpy lays it out (packed: 40 bytes).
_HEADER = np.dtype(
    [("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs_id", "<i4"), ("envelope", "<f8", 4)]
)


def geometry_values(values: Any) -> np.ndarray:
    """A geometry column (GeoSeries, Series or sequence) as a 1-D object array.

    A GeoSeries hands over its array of geometries at once; iterating it costs ~1 µs a
    value (20 ms for a 20,000-plot import, each time). Other values are kept as they are.
    """
    data = getattr(values, "array", None)
    if data is not None:
        return np.asarray(data, dtype=object)
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    return arr


def encode_gpkg(geoms: Sequence[BaseGeometry | None], srs_id: int = 4326) -> list[bytes | None]:
    """Encode shapely geometries as GeoPackage binary blobs with an XY envelope."""
    return encode_gpkg_envelopes(geoms, srs_id)[0]


def encode_gpkg_envelopes(
    geoms: Sequence[BaseGeometry | None], srs_id: int = 4326
) -> tuple[list[bytes | None], np.ndarray]:
    """GeoPackage blobs with an XY envelope, and their envelopes as the blobs' headers hold
    them (an (n, 4) array of minx, maxx, miny, maxy; NaN for None or empty).

    The headers are laid out for all geometries in one numpy array; each blob is then
    its 40-byte slice (8 for an empty geometry, which has no envelope) and its WKB. A
    bulk write indexes the envelopes it already has instead of reading them back.
    """
    arr = geometry_values(geoms)
    wkb = shapely.to_wkb(arr, byte_order=1, flavor="iso")
    empty = shapely.is_empty(arr)
    header = np.zeros(len(arr), dtype=_HEADER)
    header["magic"] = b"GP"
    header["flags"] = np.where(empty, 0b1 | _FLAG_EMPTY, _FLAGS_LE_XY_ENVELOPE)
    header["srs_id"] = srs_id
    envelopes = shapely.bounds(arr)[:, [0, 2, 1, 3]]  # minx, maxx, miny, maxy
    header["envelope"] = envelopes
    raw = header.tobytes()
    size = _HEADER.itemsize
    blobs = [
        None if blob is None else raw[i * size : i * size + (8 if is_empty else size)] + blob
        for i, (blob, is_empty) in enumerate(zip(wkb.tolist(), empty.tolist(), strict=True))
    ]
    return blobs, envelopes


def _wkb_of(blob: bytes) -> bytes:
    return blob[8 + _ENVELOPE_BYTES[(blob[3] >> 1) & 0b111] :]


#: SQL giving a GeoPackage geometry column's WKB where the header has the usual size
#: (no envelope or an XY one, not empty); other blobs come whole, header and all.
GPKG_WKB_SQL = (
    "CASE substr({c}, 1, 4) WHEN x'47500003' THEN substr({c}, 41) "
    "WHEN x'47500002' THEN substr({c}, 41) WHEN x'47500001' THEN substr({c}, 9) "
    "WHEN x'47500000' THEN substr({c}, 9) ELSE {c} END"
)


def decode_gpkg(blobs: Iterable[bytes | None]) -> np.ndarray:
    """Decode GeoPackage blobs, or WKB the database already took the header off
    (:data:`GPKG_WKB_SQL`), or None, into an array of shapely geometries."""
    # WKB starts with its byte order (0 or 1), a GeoPackage blob with "G"
    wkb = [_wkb_of(b) if b is not None and b[0] == 0x47 else b for b in blobs]
    return shapely.from_wkb(np.asarray(wkb, dtype=object))


def gpkg_envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) of a blob, from its header when present; None if empty."""
    if blob is None or blob[3] & _FLAG_EMPTY:
        return None
    code = (blob[3] >> 1) & 0b111
    if code:
        order = "<" if blob[3] & 1 else ">"
        minx, maxx, miny, maxy = struct.unpack(order + "4d", blob[8:40])
        return minx, maxx, miny, maxy
    geom = shapely.from_wkb(_wkb_of(blob))
    if geom.is_empty:
        return None
    minx, miny, maxx, maxy = geom.bounds
    return minx, maxx, miny, maxy


def geodesic_area_ha(geoms: Sequence[BaseGeometry | None]) -> np.ndarray:
    """Area on the WGS 84 ellipsoid in hectares of lon/lat geometries (NaN for None).

    Computed in a Lambert azimuthal equal-area projection centred on the
    geometries (equal-area on the ellipsoid, as DESIGN.md allows), vectorised;
    for plots a few kilometres across it agrees with pyproj's geodesic areas to
    better than one part in a million.
    """
    arr = geometry_values(geoms)
    out = np.full(len(arr), np.nan)
    present = ~shapely.is_missing(arr)
    if not present.any():
        return out
    parts = arr[present]
    coords = shapely.get_coordinates(parts)
    if len(coords):
        x, y = coords[:, 0], coords[:, 1]  # a column at a time: min(axis=0) is 40x slower
        laea = laea_from_lonlat((y.min() + y.max()) / 2, (x.min() + x.max()) / 2)
        coords[:, 0], coords[:, 1] = laea.transform(x, y)
        parts = shapely.set_coordinates(parts.copy(), coords)
    out[present] = shapely.area(parts) / 10_000.0
    return out


def laea_from_lonlat(lat_0: float, lon_0: float) -> Transformer:
    """EPSG:4326 (lon/lat) to Lambert azimuthal equal-area metres on WGS 84, centred at
    ``lat_0, lon_0``: the operation PROJ picks for ``from_crs(4326, "+proj=laea …
    +datum=WGS84", always_xy=True)`` (the same metres to the bit), given as its pipeline,
    so PROJ does not search its database for it (5-25 ms per call, on every import)."""
    return Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=laea +lat_0={float(lat_0)!r} +lon_0={float(lon_0)!r} +ellps=WGS84"
    )


_MULTI: dict[str, tuple[str, Any]] = {
    "POLYGON": ("MULTIPOLYGON", shapely.MultiPolygon),
    "LINESTRING": ("MULTILINESTRING", shapely.MultiLineString),
}


def flat_promoted(geoms: Sequence[Any], target: str) -> np.ndarray:
    """:func:`promote` of every geometry without its Z (or M), vectorised.

    Values that are not geometries are kept as they are (validation names them).
    """
    arr = geometry_values(geoms).copy()  # promoted in place: not the caller's array
    shaped = shapely.is_geometry(arr)
    idx = np.flatnonzero(shaped)
    if not idx.size:
        return arr
    part = arr[idx]
    with_z = shapely.has_z(part)
    if with_z.any():
        part[with_z] = shapely.force_2d(part[with_z])
    single = {"MULTIPOLYGON": 3, "MULTILINESTRING": 1}.get(target)
    if single is not None:
        wrap = shapely.get_type_id(part) == single
        if wrap.any():
            maker = shapely.multipolygons if single == 3 else shapely.multilinestrings
            part[wrap] = maker(part[wrap], indices=np.arange(int(wrap.sum())))
    arr[idx] = part
    return arr


def promote(geom: BaseGeometry | None, target: str) -> BaseGeometry | None:
    """Wrap a single part in its multi type when the layer stores multi geometries."""
    if geom is None:
        return None
    kind = geom.geom_type.upper()
    if kind in _MULTI and _MULTI[kind][0] == target:
        return _MULTI[kind][1]([geom])
    return geom
