"""Display geometry: coverage-preserving simplification and compact GeoJSON for pages."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from .style import COORD_DECIMALS, DISPLAY_TOLERANCE_PX, MAP_WIDTH_PX

__all__ = [
    "display_tolerance",
    "feature_collection",
    "fit_zoom",
    "simplify_for_display",
]


def display_tolerance(
    zoom: int, *, latitude: float = 43.5, pixels: float = DISPLAY_TOLERANCE_PX
) -> float:
    """Tolerance in degrees that is ``pixels`` screen pixels at a Web Mercator ``zoom``.

    At zoom ``z`` a 256-px tile spans ``360 / 2**z`` degrees of longitude; a
    degree of latitude is ``1 / cos(latitude)`` times longer on screen, so the
    latitude factor keeps the tolerance at most ``pixels`` in both directions.
    The default latitude is the middle of Enbekshikazakh District.
    """
    if zoom < 0:
        raise ValueError(f"zoom must be >= 0, got {zoom}")
    deg_per_px = 360.0 / (256 * 2**zoom)
    return deg_per_px * pixels * math.cos(math.radians(latitude))


def fit_zoom(bounds: tuple[float, float, float, float], *, width_px: int = MAP_WIDTH_PX) -> int:
    """The largest zoom at which ``bounds`` (lon/lat) fit ``width_px`` pixels across and down."""
    minx, miny, maxx, maxy = bounds
    span_x = max(maxx - minx, 1e-9)
    # Mercator y of the latitudes, in the same units as longitude degrees
    y = [math.degrees(math.log(math.tan(math.pi / 4 + math.radians(v) / 2))) for v in (miny, maxy)]
    span_y = max(y[1] - y[0], 1e-9)
    span = max(span_x, span_y)
    zoom = math.floor(math.log2(360.0 * width_px / (256 * span)))
    return int(min(max(zoom, 0), 18))


def simplify_for_display(plots: gpd.GeoDataFrame, *, tolerance: float) -> gpd.GeoDataFrame:
    """Simplify plot polygons for display without opening gaps or overlaps between neighbours.

    Uses GEOS coverage simplification (``shapely.coverage_simplify``, shapely ≥
    2.1 with GEOS ≥ 3.12): each edge shared by two plots is simplified once, so
    both neighbours keep the same simplified edge, and no polygon collapses.
    Per-polygon Douglas–Peucker (``GeoSeries.simplify``) would move shared
    edges differently on each side.

    Parameters
    ----------
    plots
        Polygons that form a valid coverage (no overlaps; the store refuses
        overlapping plots), in any CRS; ``tolerance`` is in its units.
    tolerance
        Maximum distance a vertex may move; see :func:`display_tolerance` for
        a tolerance per zoom. 0 returns a copy unchanged.
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    out = plots.copy()
    if tolerance == 0 or len(plots) == 0:
        return out
    geoms = np.asarray(plots.geometry.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    simplified = geoms.copy()
    # the outer boundary is simplified too: gaps between plots are non-pasture
    # land, and each edge is still shared by the same two sides
    simplified[present] = shapely.coverage_simplify(
        geoms[present], tolerance, simplify_boundary=True
    )
    out[out.geometry.name] = gpd.GeoSeries(simplified, index=plots.index, crs=plots.crs)
    return out


def _rounded(geoms: np.ndarray, decimals: int) -> np.ndarray:
    # plain rounding maps a shared vertex to the same point on both sides
    return shapely.transform(geoms, lambda xy: np.round(xy, decimals))


def feature_collection(
    frame: gpd.GeoDataFrame,
    properties: Callable[[Mapping[str, Any]], dict[str, Any]],
    *,
    decimals: int = COORD_DECIMALS,
    id_column: str | None = "id",
) -> dict[str, Any]:
    """A compact GeoJSON FeatureCollection: rounded lon/lat and only the given properties.

    ``properties`` maps each row (as a dict) to the feature's properties.
    """
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    rows = frame.drop(columns=frame.geometry.name).to_dict("records")
    texts = shapely.to_geojson(_rounded(geoms[keep], decimals))
    features = []
    for row, text in zip((r for r, k in zip(rows, keep, strict=True) if k), texts, strict=True):
        feature: dict[str, Any] = {
            "type": "Feature",
            "geometry": json.loads(str(text)),
            "properties": properties(row),
        }
        if id_column and id_column in row:
            feature["id"] = str(row[id_column])
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}
