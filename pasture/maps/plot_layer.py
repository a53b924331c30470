"""Plots served by bounding box and zoom, so a map page carries no plot geometry.

A :class:`PlotLayer` holds a district's plots with what a map shows of each
(style key, tooltip, popup values) and answers "the plots in this box at this
zoom" as GeoJSON text: an R-tree lookup, plots smaller than a pixel left out,
the largest first up to a limit, and geometry simplified for the zoom (the
same coverage simplification the inlined pages used, computed once per zoom
and kept). Building one is the expensive part; the API builds it once per
store version (:mod:`pasture_api.layers`) and serves every request from it.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..i18n import Translator
from ..model import parse_seasons
from .display import display_tolerance
from .layers import ShadeBy, plot_facts, shading
from .page import esc
from .style import COORD_DECIMALS

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "PlotLayer",
    "PlotPage",
    "build_plot_layer",
    "plots_in_season",
]

#: Plots per response unless the client asks for fewer; beyond it the largest are sent.
DEFAULT_LIMIT = 6000
#: The most plots one response may hold.
MAX_LIMIT = 20000
#: From this zoom on, geometry is sent as stored (rounded): a vertex is > 1 px apart.
FULL_DETAIL_ZOOM = 17
#: A plot whose bounding box is smaller than this many pixels across is not drawn at a zoom.
MIN_FEATURE_PX = 1.0


def plots_in_season(plots: gpd.GeoDataFrame, season: str | None) -> gpd.GeoDataFrame:
    """The plots usable in ``season`` (all of them when None): the overview's season filter."""
    if season is None or len(plots) == 0:
        return plots
    keep = [season in parse_seasons(s) if isinstance(s, str) else False for s in plots["seasons"]]
    return plots[np.asarray(keep, dtype=bool)]


def pixel_degrees(zoom: int) -> float:
    """Degrees of longitude one screen pixel spans at a Web Mercator ``zoom``."""
    return 360.0 / (256 * 2**zoom)


def zoom_decimals(zoom: int) -> int:
    """Coordinate decimals that keep rounding under a quarter pixel at ``zoom``."""
    return int(min(COORD_DECIMALS, max(2, math.ceil(-math.log10(pixel_degrees(zoom) / 4)))))


@dataclass(frozen=True)
class PlotPage:
    """One answer of :meth:`PlotLayer.features`: GeoJSON text and how many plots matched."""

    text: str
    matched: int
    returned: int


class PlotLayer:
    """Plots (EPSG:4326) with their display properties, answering by bbox and zoom.

    ``properties[i]`` are the GeoJSON properties of plot ``i`` (``k`` style key,
    ``t`` tooltip, ``d`` 1 when degrading); ``p``, the popup values, is kept
    apart and served one plot at a time (:meth:`popup`). Thread-safe: the
    per-zoom geometry is computed under a lock, once.
    """

    def __init__(self, plots: gpd.GeoDataFrame, properties: Sequence[dict[str, Any]]) -> None:
        if plots.crs is not None and plots.crs.to_epsg() != 4326:
            plots = plots.to_crs(4326)
        geoms = np.asarray(plots.geometry.values, dtype=object)
        keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        self._geoms = geoms[keep]
        self._ids = [str(i) for i in plots["id"].to_numpy()[keep]]
        self._props = [
            json.dumps(
                {k: v for k, v in p.items() if k != "p"}, ensure_ascii=False, separators=(",", ":")
            )
            for p, k in zip(properties, keep, strict=True)
            if k
        ]
        self._popups = {
            i: p.get("p")
            for i, p, k in zip(self._ids_all(plots), properties, keep, strict=True)
            if k
        }
        self._degrading = np.array(
            [bool(p.get("d")) for p, k in zip(properties, keep, strict=True) if k], dtype=bool
        )
        bounds = shapely.bounds(self._geoms) if len(self._geoms) else np.zeros((0, 4))
        self._size = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
        self._tree = shapely.STRtree(self._geoms)
        self.bounds = (
            tuple(float(v) for v in shapely.total_bounds(self._geoms)) if len(self._geoms) else None
        )
        self._latitude = (self.bounds[1] + self.bounds[3]) / 2 if self.bounds else 45.0
        self._by_zoom: dict[int, list[str | None]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _ids_all(plots: gpd.GeoDataFrame) -> list[str]:
        return [str(i) for i in plots["id"]]

    def popup(self, plot_id: str) -> list[str | None] | None:
        """The popup values of one plot; None when the layer does not hold it."""
        return self._popups.get(plot_id)

    def __len__(self) -> int:
        return len(self._geoms)

    def _geometry_text(self, zoom: int) -> list[str | None]:
        """GeoJSON geometry text of every plot at ``zoom``; None for plots too small to draw."""
        with self._lock:
            cached = self._by_zoom.get(zoom)
            if cached is not None:
                return cached
            shown = self._size >= MIN_FEATURE_PX * pixel_degrees(zoom)
            geoms = self._geoms[shown]
            if zoom < FULL_DETAIL_ZOOM and len(geoms):
                tolerance = display_tolerance(zoom, latitude=self._latitude)
                # a subset of a coverage is a coverage: shared edges stay shared
                geoms = shapely.coverage_simplify(geoms, tolerance, simplify_boundary=True)
            decimals = zoom_decimals(zoom)
            geoms = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
            text: list[str | None] = [None] * len(self._geoms)
            for i, g in zip(np.flatnonzero(shown), shapely.to_geojson(geoms), strict=True):
                text[i] = str(g)
            self._by_zoom[zoom] = text
            return text

    def features(
        self,
        bbox: tuple[float, float, float, float],
        zoom: int,
        *,
        limit: int = DEFAULT_LIMIT,
        degrading: bool = False,
    ) -> PlotPage:
        """The plots that intersect ``bbox`` (lon/lat) drawn at ``zoom``, the largest first."""
        geometry_text = self._geometry_text(zoom)
        hits = self._tree.query(shapely.box(*bbox), predicate="intersects")
        hits = np.array([i for i in hits if geometry_text[i] is not None], dtype=int)
        if degrading and len(hits):
            hits = hits[self._degrading[hits]]
        matched = len(hits)
        if matched > limit:
            hits = hits[np.argsort(-self._size[hits], kind="stable")[:limit]]
        parts = [
            f'{{"type":"Feature","id":{json.dumps(self._ids[i])},'
            f'"geometry":{geometry_text[i]},"properties":{self._props[i]}}}'
            for i in sorted(hits.tolist())
        ]
        text = (
            '{"type":"FeatureCollection","numberMatched":'
            f'{matched},"numberReturned":{len(parts)},"features":[' + ",".join(parts) + "]}"
        )
        return PlotPage(text, matched, len(parts))


def build_plot_layer(
    plots: gpd.GeoDataFrame,
    t: Translator,
    *,
    unions: gpd.GeoDataFrame | None = None,
    okrugs: gpd.GeoDataFrame | None = None,
    capacity: pd.DataFrame | None = None,
    load: pd.DataFrame | None = None,
    trends: pd.DataFrame | None = None,
    shade_by: ShadeBy = "season",
    year: int | None = None,
    season: str | None = None,
) -> PlotLayer:
    """The plot layer of a map: the plots of ``season`` with the overview's facts and shading."""
    plots = plots_in_season(plots, season)
    _, values, load_status, trend_status = plot_facts(
        plots,
        t,
        unions=unions,
        okrugs=okrugs,
        capacity=capacity,
        load=load,
        trends=trends,
        year=year,
        season=season,
    )
    keys, _, _ = shading(shade_by, plots, t, load_status, trend_status)
    properties = []
    for pid, name in zip(plots["id"].astype(str), plots["name"], strict=True):
        props: dict[str, Any] = {
            "k": keys[pid],
            "t": esc(f"{pid} {name or ''}".strip()),
            "p": values[pid],
        }
        if trend_status.get(pid) == "degrading":
            props["d"] = 1
        properties.append(props)
    return PlotLayer(plots, properties)
