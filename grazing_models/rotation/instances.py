"""Seeded synthetic rotation-planning instances for tests and benchmarks.

The generated district imitates Enbekshikazakh (docs/domain.md, Scale and Seasons):
plains in the north, the Zailiysky Alatau in the south. A plot's elevation
follows its ``y`` coordinate and sets its seasons (winter and spring on the
plains, spring and autumn in the foothills, summer on the mountain jailau),
its forage peak and the week of that peak. Unions own strips across the
valley; public pasture is commoner in the mountains. Herds live in the
foothills of their union's strip. Every number that is not from docs/domain.md is
marked *synthetic*: it only has to look plausible.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

import numpy as np

from grazing_models.rotation.model import Herd, Period, Plot, RotationInputs

__all__ = ["season_of", "synthetic_instance", "tiled_instance"]

#: Pasture area per plot, km² (synthetic: 8,727 km² district, > 30% pasture,
#: about 2,000 plots; docs/domain.md, Scale) -> district side grows with sqrt(n_plots).
_KM2_PER_PLOT = 4.4
#: Intake of one sheep unit, kg DM/day (docs/domain.md, Livestock units and intake).
_SU_INTAKE = 1.4


def season_of(day: date) -> str:
    """Season label of a date in south-east Kazakhstan (docs/domain.md, Seasons table).

    Winter November - mid-April, spring mid-April - May, summer June - August,
    autumn September - October.
    """
    md = (day.month, day.day)
    if (4, 15) <= md < (6, 1):
        return "spring"
    if (6, 1) <= md < (9, 1):
        return "summer"
    if (9, 1) <= md < (11, 1):
        return "autumn"
    return "winter"


def synthetic_instance(
    n_plots: int,
    n_herds: int,
    n_weeks: int,
    *,
    seed: int,
    tight: bool = False,
    n_unions: int = 5,
    start: date = date(2024, 4, 15),
    period_days: int = 7,
    side_km: float | None = None,
) -> RotationInputs:
    """Build a reproducible synthetic district.

    Parameters
    ----------
    n_plots, n_herds, n_weeks
        Size of the instance.
    seed
        Seed of the random generator; equal arguments give equal instances.
    tight
        Stock the district at about 2.5 times its usual load so that forage
        runs short and the plan must report deficits.
    n_unions
        Number of unions of pasture users (strips across the valley).
    start
        Start date of the first period (default: mid-April, start of spring).
    period_days
        Length of a period, days.
    side_km
        Side of the square district; default so that a plot is about 4.4 km².

    Returns
    -------
    RotationInputs
    """
    rng = np.random.default_rng(seed)
    side = side_km if side_km is not None else math.sqrt(n_plots * _KM2_PER_PLOT)
    plots, area_ha, peak_ha, elev = _synthetic_plots(rng, n_plots, n_unions, side)
    starts = [start + timedelta(days=period_days * k) for k in range(n_weeks)]
    available, regrowth = _synthetic_forage(area_ha, peak_ha, elev, starts, period_days)
    herds = _synthetic_herds(rng, n_herds, n_weeks, n_unions, side, tight)
    periods = tuple(Period(start=d, season=season_of(d)) for d in starts)
    return RotationInputs(plots, herds, periods, available, regrowth)


def _synthetic_plots(
    rng: np.random.Generator, n_plots: int, n_unions: int, side: float
) -> tuple[tuple[Plot, ...], np.ndarray, np.ndarray, np.ndarray]:
    """The district's plots, with their area (ha), peak biomass (kg DM/ha) and elevation
    (0 plains to 1 tops); the draws of ``rng`` in the order the instances were made with."""
    x = rng.uniform(0.0, side, n_plots)
    y = rng.uniform(0.0, side, n_plots)
    elev = np.clip(y / side + rng.normal(0.0, 0.05, n_plots), 0.0, 1.0)

    # seasons by elevation band (docs/domain.md, Seasons: plains / foothills / jailau)
    bands = {
        "winter": (0.0, 0.35),
        "spring": (0.10, 0.50),
        "summer": (0.55, 1.01),
        "autumn": (0.30, 0.70),
    }
    seasons = [
        frozenset(s for s, (lo, hi) in bands.items() if lo <= e < hi) or frozenset({"winter"})
        for e in elev
    ]
    union_of_x = np.minimum((x / side * n_unions).astype(int), n_unions - 1)
    # public pasture: 15% on plains and foothills, 40% on the jailau (synthetic)
    public = rng.random(n_plots) < np.where(elev >= 0.55, 0.40, 0.15)
    area_ha = rng.lognormal(math.log(130.0), 0.5, n_plots)  # synthetic
    water_km = rng.exponential(1.5, n_plots)  # synthetic; ~4% beyond 5 km
    degradation = rng.beta(2.0, 5.0, n_plots)  # synthetic
    load_ratio = rng.gamma(4.0, 0.2, n_plots)  # synthetic, mean 0.8
    # peak standing biomass, kg DM/ha: semi-desert plains, foothills, mountain
    # meadows (docs/domain.md, NDVI to biomass: 1,370 semi-desert peak; 400-500 high mountain)
    peak_ha = np.where(elev < 0.35, 700.0, np.where(elev < 0.55, 900.0, 450.0))
    peak_ha = peak_ha * rng.lognormal(0.0, 0.3, n_plots)

    plots = tuple(
        Plot(
            id=f"P{i:05d}",
            seasons=seasons[i],
            union_id=None if public[i] else f"U{union_of_x[i] + 1}",
            area_ha=float(area_ha[i]),
            water_km=float(water_km[i]),
            x_km=float(x[i]),
            y_km=float(y[i]),
            degradation=float(degradation[i]),
            load_ratio=float(load_ratio[i]),
        )
        for i in range(n_plots)
    )
    return plots, area_ha, peak_ha, elev


def _synthetic_forage(
    area_ha: np.ndarray,
    peak_ha: np.ndarray,
    elev: np.ndarray,
    starts: list[date],
    period_days: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Standing forage per plot and period and weekly regrowth per plot, kg DM."""
    peak_doy = 135.0 + 70.0 * elev  # mid-May on the plains, late July on the tops (synthetic)
    doy = np.array([d.timetuple().tm_yday for d in starts], dtype=float)
    growth = 0.35 + 0.65 * np.exp(-(((doy[None, :] - peak_doy[:, None]) / 45.0) ** 2))
    available = (area_ha * peak_ha)[:, None] * growth
    # regrowth: 4% of the peak standing crop per week (synthetic)
    regrowth = 0.04 * area_ha * peak_ha * period_days / 7.0
    return available, regrowth


def _synthetic_herds(
    rng: np.random.Generator, n_herds: int, n_weeks: int, n_unions: int, side: float, tight: bool
) -> tuple[Herd, ...]:
    """Village herds of ~1,700 sheep units (synthetic), homes in the foothills; a few start
    late or end early."""
    herd_union = rng.integers(0, n_unions, n_herds)
    su = rng.lognormal(math.log(1700.0), 0.4, n_herds) * (2.5 if tight else 1.0)
    hx = (herd_union + rng.uniform(0.1, 0.9, n_herds)) * side / n_unions
    hy = rng.uniform(0.30, 0.50, n_herds) * side
    first = np.where(rng.random(n_herds) < 0.15, rng.integers(0, max(1, n_weeks // 6), n_herds), 0)
    last = np.where(
        rng.random(n_herds) < 0.15,
        n_weeks - 1 - rng.integers(0, max(1, n_weeks // 6), n_herds),
        n_weeks - 1,
    )
    last = np.maximum(last, first)
    return tuple(
        Herd(
            id=f"H{j:04d}",
            union_id=f"U{herd_union[j] + 1}",
            sheep_units=float(su[j]),
            demand_kg_day=float(su[j] * _SU_INTAKE),
            home_x_km=float(hx[j]),
            home_y_km=float(hy[j]),
            first_period=int(first[j]),
            last_period=int(last[j]),
        )
        for j in range(n_herds)
    )


def tiled_instance(inputs: RotationInputs, copies: int) -> RotationInputs:
    """``copies`` copies of a district side by side from west to east: a district that many
    times larger with the same plots, forage, herds and seasons in each copy.

    Copy ``k`` lies ``k`` district widths east of the original (plots and homes shifted in
    ``x``); its plot, herd and union ids end in ``~k`` (copy 0 keeps the original ones) and
    public pasture stays public, so a herd may graze across the border where the planner's
    limits on distance allow it.
    """
    xs = [p.x_km for p in inputs.plots] + [h.home_x_km for h in inputs.herds]
    width = max(xs) - min(xs) if xs else 0.0

    def tag(ident: str, k: int) -> str:
        return ident if k == 0 else f"{ident}~{k}"

    plots = tuple(
        replace(
            p,
            id=tag(p.id, k),
            union_id=None if p.union_id is None else tag(p.union_id, k),
            x_km=p.x_km + k * width,
        )
        for k in range(copies)
        for p in inputs.plots
    )
    herds = tuple(
        replace(h, id=tag(h.id, k), union_id=tag(h.union_id, k), home_x_km=h.home_x_km + k * width)
        for k in range(copies)
        for h in inputs.herds
    )
    return RotationInputs(
        plots,
        herds,
        inputs.periods,
        np.tile(inputs.available_kg, (copies, 1)),
        np.tile(inputs.regrowth_kg, (copies, 1)),
    )
