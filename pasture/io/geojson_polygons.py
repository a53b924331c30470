"""GeoJSON polygons built a column at a time, for the common case of a clean file.

``shapely.geometry.shape`` per feature, with the per-feature checks for NaN
coordinates and unclosed rings walking the nested lists in Python, was most of a
20,000-plot GeoJSON import (issue 23). Here every vertex goes into one numpy array
and every geometry is built by one ``shapely.from_ragged_array`` call. Only files
whose geometries are all plain 2-D Polygons and MultiPolygons (or null), with
finite numbers and closed rings of 4 or more points, take this path: anything else
answers ``None`` and the caller reads feature by feature, which names the feature
and its problem.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

__all__ = ["polygon_geometries"]


def polygon_geometries(docs: list[Any]) -> np.ndarray | None:
    """The shapely geometries of GeoJSON geometry members, or None when any is unusual.

    A Polygon comes back a Polygon and a MultiPolygon a MultiPolygon, with the same
    coordinates as ``shapely.geometry.shape`` gives; a null member gives None.
    """
    present = [doc for doc in docs if doc]
    parts = _parts(present)
    if parts is None:
        return None
    polygons, part_counts = parts
    rings = [ring for polygon in polygons for ring in polygon]
    if not rings:
        return None
    coords = _coordinates(rings)
    if coords is None:
        return None
    ring_offsets = np.zeros(len(rings) + 1, dtype=np.int64)
    np.cumsum([len(ring) for ring in rings], out=ring_offsets[1:])
    if not _closed(coords, ring_offsets):
        return None
    polygon_offsets = np.zeros(len(polygons) + 1, dtype=np.int64)
    np.cumsum([len(polygon) for polygon in polygons], out=polygon_offsets[1:])
    geometry_offsets = np.zeros(len(present) + 1, dtype=np.int64)
    np.cumsum(part_counts, out=geometry_offsets[1:])
    multi = shapely.from_ragged_array(
        shapely.GeometryType.MULTIPOLYGON,
        coords,
        (ring_offsets, polygon_offsets, geometry_offsets),
    )
    single = np.array([doc["type"] == "Polygon" for doc in present], dtype=bool)
    multi[single] = shapely.get_geometry(multi[single], 0)
    out = np.full(len(docs), None, dtype=object)
    out[[i for i, doc in enumerate(docs) if doc]] = multi
    return out


def _parts(docs: list[Any]) -> tuple[list[Any], list[int]] | None:
    """Every polygon's rings and each geometry's polygon count; None for anything else."""
    polygons: list[Any] = []
    counts: list[int] = []
    for doc in docs:
        kind = doc.get("type") if isinstance(doc, dict) else None
        coordinates = doc.get("coordinates") if kind else None
        if not isinstance(coordinates, list) or not coordinates:
            return None
        if kind == "Polygon":
            polygons.append(coordinates)
            counts.append(1)
        elif kind == "MultiPolygon":
            polygons.extend(coordinates)
            counts.append(len(coordinates))
        else:
            return None
    if not all(isinstance(polygon, list) and polygon for polygon in polygons):
        return None
    return polygons, counts


def _coordinates(rings: list[Any]) -> np.ndarray | None:
    """One (n, 2) float array of every vertex; None unless all are pairs of finite numbers."""
    if not all(isinstance(ring, list) for ring in rings):
        return None
    try:
        coords = np.asarray([point for ring in rings for point in ring])
    except (ValueError, TypeError):  # ragged: 3-D points among 2-D ones, or not lists
        return None
    if coords.ndim != 2 or coords.shape[1] != 2 or coords.dtype.kind not in "if":
        return None
    coords = coords.astype(np.float64, copy=False)
    return coords if np.isfinite(coords).all() else None


def _closed(coords: np.ndarray, ring_offsets: np.ndarray) -> bool:
    """Every ring has 4 or more points and ends where it starts."""
    starts, ends = ring_offsets[:-1], ring_offsets[1:]
    if ((ends - starts) < 4).any():
        return False
    return bool((coords[starts] == coords[ends - 1]).all())
