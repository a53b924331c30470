"""Annex 4 of the plan: pasture users' access to water by the watering norm.

Each season, the okrug's livestock drinks ``Σ_species head × litres/head/day``
(:class:`WateringNorms`, docs/domain.md "Watering norms"). The livestock is spread over
the plots open in that season in proportion to their area (an assumption: the plan's
allocation does not yet say which herd drinks where), each plot draws on its nearest water
point within reach (:attr:`WateringNorms.reach_km`), and each point's demand is set
against its yield (``water_points.capacity_m3_day``). Plots with no water point within
reach are listed per season.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from grazing_models.vocabulary import SEASONS, SPECIES, parse_seasons

__all__ = ["WATERING_SOURCE", "WaterScheme", "WateringNorms", "water_scheme"]

#: Where the default norms come from (docs/domain.md, "Watering norms").
WATERING_SOURCE = (
    "Agriculture and Agri-Food Canada, typical daily water requirement for range livestock "
    "(after The Stockman's Guide to Range Livestock Watering from Surface Water Sources): "
    "dry cows and horses 36 l winter / 55 l summer, sheep 3.6 / 14; goats as sheep and "
    "camels 30 l (assumptions, no source found); spring and autumn the mean of winter and "
    "summer (assumption)"
)


_POINT_COLUMNS = [
    "season",
    "water_point_id",
    "name",
    "kind",
    "plots",
    "demand_m3_day",
    "capacity_m3_day",
    "status",
]
_UNREACHED_COLUMNS = ["season", "plot_id", "distance_km"]
_TOTAL_COLUMNS = [
    "season",
    "demand_m3_day",
    "demand_unreached_m3_day",
    "yield_m3_day",
    "plots",
    "plots_unreached",
]


def _default_litres() -> dict[str, dict[str, float]]:
    winter = {"sheep": 3.6, "goats": 3.6, "cattle": 36.0, "horses": 36.0, "camels": 30.0}
    summer = {"sheep": 14.0, "goats": 14.0, "cattle": 55.0, "horses": 55.0, "camels": 30.0}
    middle = {s: (winter[s] + summer[s]) / 2 for s in SPECIES}
    return {"winter": winter, "spring": middle, "summer": summer, "autumn": middle}


@dataclass(frozen=True)
class WateringNorms:
    """Litres per head and day by season and species, and how far livestock walks to water.

    Defaults: docs/domain.md, "Watering norms" (:data:`WATERING_SOURCE`); ``reach_km``
    3 km in every season is an assumption (range guides keep water within 1-2 miles of
    grazing; recalled, not verified).
    """

    litres: Mapping[str, Mapping[str, float]] = field(default_factory=_default_litres)
    reach_km: Mapping[str, float] = field(default_factory=lambda: dict.fromkeys(SEASONS, 3.0))
    source: str = WATERING_SOURCE

    def demand_m3_day(self, heads: Mapping[str, float], season: str) -> float:
        """Cubic metres a day that ``heads`` (head count per species) drink in ``season``."""
        per = self.litres[season]
        return sum(float(heads.get(s, 0) or 0) * per[s] for s in SPECIES) / 1000.0


@dataclass(frozen=True)
class WaterScheme:
    """Demand against yield per water point and season, and the plots out of reach."""

    points: pd.DataFrame
    unreached: pd.DataFrame
    totals: pd.DataFrame


def _metric(frame: gpd.GeoDataFrame, crs: Any) -> gpd.GeoSeries:
    return frame.geometry.to_crs(crs)


def water_scheme(
    plots: gpd.GeoDataFrame,
    water: gpd.GeoDataFrame,
    heads: Mapping[str, float],
    *,
    norms: WateringNorms | None = None,
) -> WaterScheme:
    """Annex 4's figures for one okrug.

    Parameters
    ----------
    plots
        The okrug's plots (``id``, ``seasons``, ``area_ha``, geometry in EPSG:4326).
    water
        Water points that may serve them (``id``, ``name``, ``kind``, ``capacity_m3_day``).
    heads
        The okrug's livestock, head count per species.
    norms
        Watering norms and reach; the documented defaults when None.

    Returns
    -------
    WaterScheme
        ``points``: per water point and season, the plots it serves, demand and yield
        (m³/day) and ``status`` (``enough``, ``short`` or ``unknown yield``);
        ``unreached``: per season, plots with no water point within reach;
        ``totals``: per season, the livestock's demand and the yield of the points used.
    """
    norms = norms or WateringNorms()
    points_rows: list[dict[str, Any]] = []
    unreached: list[dict[str, Any]] = []
    totals: list[dict[str, Any]] = []
    if plots.empty:
        return _scheme(points_rows, unreached, totals)
    crs = plots.estimate_utm_crs()
    plot_geom = _metric(plots, crs)
    water_geom = _metric(water, crs) if len(water) else None
    for season in SEASONS:
        open_ = plots["seasons"].map(lambda s, season=season: season in parse_seasons(s))
        if not open_.any():
            continue
        area = plots.loc[open_, "area_ha"].astype(float)
        demand = norms.demand_m3_day(heads, season)
        share = area / area.sum() * demand if area.sum() > 0 else area * 0.0
        nearest, dist_km = _nearest(plot_geom[open_], water_geom)
        reach = norms.reach_km[season]
        ok = dist_km <= reach
        for pid, d in zip(plots.loc[open_, "id"][~ok], dist_km[~ok], strict=True):
            unreached.append({"season": season, "plot_id": pid, "distance_km": _km(d)})
        served = pd.DataFrame(
            {
                "plot_id": plots.loc[open_, "id"].to_numpy()[ok],
                "point": nearest[ok],
                "demand": share.to_numpy()[ok],
            }
        )
        for point, group in served.groupby("point", sort=True):
            row = water.iloc[int(point)]
            points_rows.append(_point_row(row, season, group))
        used = water.iloc[sorted(set(served["point"].astype(int)))]
        totals.append(
            {
                "season": season,
                "demand_m3_day": round(demand, 2),
                "demand_unreached_m3_day": round(float(share.to_numpy()[~ok].sum()), 2),
                "yield_m3_day": round(float(used["capacity_m3_day"].fillna(0).sum()), 2),
                "plots": int(open_.sum()),
                "plots_unreached": int((~ok).sum()),
            }
        )
    return _scheme(points_rows, unreached, totals)


def _scheme(points: list[dict], unreached: list[dict], totals: list[dict]) -> WaterScheme:
    return WaterScheme(
        pd.DataFrame(points, columns=_POINT_COLUMNS),
        pd.DataFrame(unreached, columns=_UNREACHED_COLUMNS),
        pd.DataFrame(totals, columns=_TOTAL_COLUMNS),
    )


def _km(d: float) -> float | None:
    return None if not np.isfinite(d) else round(float(d), 2)


def _nearest(plots: gpd.GeoSeries, water: gpd.GeoSeries | None) -> tuple[np.ndarray, np.ndarray]:
    """Index of each plot's nearest water point and the distance (km) from the plot's edge."""
    n = len(plots)
    if water is None or water.empty:
        return np.full(n, -1), np.full(n, np.inf)
    tree_index, dist = water.sindex.nearest(
        plots.to_numpy(), return_distance=True, return_all=False
    )
    nearest = np.full(n, -1)
    distance = np.full(n, np.inf)
    nearest[tree_index[0]] = tree_index[1]
    distance[tree_index[0]] = dist / 1000.0
    return nearest, distance


def _point_row(row: pd.Series, season: str, group: pd.DataFrame) -> dict[str, Any]:
    demand = float(group["demand"].sum())
    capacity = row.get("capacity_m3_day")
    has_yield = capacity is not None and not pd.isna(capacity)
    status = "unknown yield" if not has_yield else ("enough" if demand <= capacity else "short")
    return {
        "season": season,
        "water_point_id": row["id"],
        "name": row.get("name"),
        "kind": row.get("kind"),
        "plots": len(group),
        "demand_m3_day": round(demand, 2),
        "capacity_m3_day": None if not has_yield else round(float(capacity), 2),
        "status": status,
    }
