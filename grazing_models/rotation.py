"""Seasonal grazing rotation planner: herds to plots, week by week.

A plan is a pure function of its inputs (:class:`RotationInputs`) and its
parameters (:class:`RotationParams`); the parameters are stored with the plan.

Rules every plan keeps
----------------------
Forage
    ``available_kg[p, t]`` is the standing forage of plot ``p`` at the start of
    period ``t`` if it had never been grazed (biomass model). Grazing leaves a
    *depletion* ``D`` that regrowth repays::

        D[p, 0]   = 0
        D[p, t+1] = max(0, D[p, t] + eaten[p, t] - regrowth_kg[p, t])
        standing[p, t] = available_kg[p, t] - D[p, t]     (never above available)

    In a period in which plot ``p`` carries a herd, the herds on it eat at most
    ``utilisation * available_kg[p, t] - D[p, t]`` (and nothing if that is
    negative): whatever was taken earlier and has not grown back counts against
    the "take half, leave half" allowance (DOMAIN.md, Livestock units and
    intake), so at least ``(1 - utilisation)`` of the ungrazed stand is always
    left standing.
Rest
    A *grazing spell* is a maximal run of consecutive periods in which a plot
    carries at least one herd. Herds may stay on a plot (or join or leave it)
    for as long as forage lasts. Once a spell ends, no herd enters the plot
    again before ``min_rest_days`` (per season of the first rest period, see
    :meth:`RotationParams.rest_days`) have passed, counted in whole periods.
    Grazing before the first period is not known: every plot starts rested.
Where
    A plot is used only in periods whose season label is one of its seasons,
    only by herds of its union (``union_id is None``: public pasture, open to
    every union), and never when it lies more than ``max_water_km`` from water
    (or more than ``max_home_km`` from the herd's home point, when that is set).
Moves
    Between two consecutive periods in which a herd is placed, its plots'
    centroids are at most ``max_move_km`` apart; in the first period of its
    grazing season the herd walks from its home point, under the same limit.
    A herd that is unplaced for a period is off the plan (moved to distant
    pasture or fed), so the limit does not apply to its next placement.
Demand
    Every herd has one assignment per period of its grazing season: a plot or
    ``None`` (unplaced). Demand not eaten is a deficit; per union and period the
    plan states it in kg DM, as sheep units to move elsewhere (deficit divided by
    the intake of one sheep unit over the period) and as supplementary feed in
    kg DM.

Objective (minimised, a weighted sum whose weights make it lexicographic in
practice; see :class:`RotationParams`)::

    weight_unfed    * unfed kg DM                          (tier 1)
  + weight_pressure * sum(eaten kg * pressure index of plot)  (tier 2)
  + weight_walk_km  * herd-km walked to water and back        (tier 3)
  + weight_move     * number of moves between plots          (tier 3)

The pressure index of a plot is ``(degradation + min(load_ratio, 2) / 2) / 2``
in [0, 1]. Daily walking is twice the distance to water per day.

Solvers: an exact MILP solved by HiGHS through :func:`scipy.optimize.milp`
and a heuristic, the better of a greedy pass with look-ahead and randomised
restarts and herd-by-herd planning (each herd's cheapest season among the
herds placed before it, a dynamic programme: :mod:`grazing_models.paths`),
whose objective is reported against a proven lower bound, the largest of: an LP of
forage over the season, walking and forced moves with the union's herds pooled
(:mod:`grazing_models.forage_bound`; its shadow prices of forage also guide half of
the herd-by-herd passes), each herd's least cost planned alone paying those prices (a
Lagrangian bound: :func:`grazing_models.forage_bound.priced_herd_bound`), then paying better
prices while time is left (a Dantzig-Wolfe master over herd seasons:
:mod:`grazing_models.lagrangian`), and a per-period transport LP (small instances only). The
bound is computed in a second thread while the heuristic plans (on every core once the plan
is found), and both stop at the time limit.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from grazing_models.errors import InvalidInput
from grazing_models.forage_bound import ForageBound, forage_lower_bound
from grazing_models.lagrangian import lagrangian_herd_bound
from grazing_models.vocabulary import SEASONS

__all__ = [
    "Assignment",
    "Herd",
    "Period",
    "Plan",
    "Plot",
    "RotationInputs",
    "RotationParams",
    "SolverName",
    "UnionDeficit",
    "candidate_pairs",
    "herd_terms",
    "objective_terms",
    "plan_rotation",
    "pressure_index",
    "usable_cores",
    "weighted_terms",
]

SolverName = Literal["auto", "milp", "heuristic"]

#: ``solver="auto"`` builds the MILP when the pruned model has at most this
#: many herd x plot x period pairs (binary variables); above it the heuristic
#: runs. Measured on this project's benchmark (benchmarks/planner.py).
AUTO_MILP_MAX_PAIRS = 5_000  # the MILP reaches a 1% gap in seconds only below a few thousand pairs (benchmarks/planner.py)

#: The heuristic's bound solves the per-period transport LP only up to this many candidate
#: pairs: on the demo district (3.2 M pairs) it takes 10 s and gives 15 against the forage
#: LP's 3,399; on synthetic districts of 2,000 plots (150,000 pairs) 0.6 s, 1.9e7 against
#: 5.7e8 (benchmarks/planner.py). It can be the larger bound only where a herd's own
#: candidate plots matter more than forage over the season.
TRANSPORT_BOUND_MAX_PAIRS = 500_000

#: Herd-by-herd planning with the forage LP's shadow prices takes this share of them: on the
#: demo district 0.25-0.75 plan 1-3% cheaper than without prices, 1.0 is worse again; on
#: synthetic districts prices change little (benchmarks/planner.py).
PRICE_WEIGHT = 0.5

#: The heuristic's bound plans each herd alone only while the sum over herds of their
#: candidate plots per week, squared, stays below this (the demo district: 1e8, a
#: second; ten times larger without ``max_home_km``: 3e10, hours).
HERD_BOUND_MAX_WORK = 2e9

# Absolute slack (kg DM) added to forage caps when eaten amounts are filled in,
# so that floating-point round-off never shows up as over-utilisation.
_KG_EPS = 1e-6


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Plot:
    """A pasture plot as the planner sees it.

    Parameters
    ----------
    id
        Plot identifier.
    seasons
        Seasons in which the plot may be grazed (``grazing_models.vocabulary.SEASONS``).
    union_id
        Owning union of pasture users; ``None`` for public pasture.
    area_ha
        Area in hectares (for reporting stocking rates).
    water_km
        Distance from the plot to the nearest water point, km.
    x_km, y_km
        Centroid in a local equal-area frame, km.
    degradation
        Degradation score in [0, 1] (1 = most degraded).
    load_ratio
        Current load: livestock over capacity (> 1 overstocked).
    """

    id: str
    seasons: frozenset[str]
    union_id: str | None
    area_ha: float
    water_km: float
    x_km: float
    y_km: float
    degradation: float = 0.0
    load_ratio: float = 0.0


@dataclass(frozen=True)
class Herd:
    """A herd to place, with its demand computed upstream from its composition.

    Parameters
    ----------
    id
        Herd identifier.
    union_id
        The herd's union; it grazes that union's plots and public pasture.
    sheep_units
        Size in sheep units (DOMAIN.md, Livestock units and intake).
    demand_kg_day
        Daily dry-matter demand of the whole herd, kg DM/day.
    home_x_km, home_y_km
        Home point (base camp) in the plots' local frame, km.
    first_period, last_period
        Grazing season as period indices (inclusive); ``last_period=None``
        means the last period of the plan.
    """

    id: str
    union_id: str
    sheep_units: float
    demand_kg_day: float
    home_x_km: float
    home_y_km: float
    first_period: int = 0
    last_period: int | None = None


@dataclass(frozen=True)
class Period:
    """One planning period (a week by default): start date and season label."""

    start: date
    season: str


def move_limit_km(inputs: RotationInputs, params: RotationParams, period: int) -> float:
    """Longest move allowed into ``period`` from the period before it."""
    if (
        params.max_migration_km is not None
        and period > 0
        and inputs.periods[period].season != inputs.periods[period - 1].season
    ):
        return max(params.max_migration_km, params.max_move_km)
    return params.max_move_km


@dataclass(frozen=True, eq=False)
class RotationInputs:
    """Everything a rotation plan depends on besides its parameters.

    Parameters
    ----------
    plots, herds, periods
        The plots, herds and periods of the plan, in index order.
    available_kg
        Standing forage, kg DM, per plot and period if ungrazed, shape
        ``(n_plots, n_periods)``.
    regrowth_kg
        Regrowth per period, kg DM, shape ``(n_plots,)`` or
        ``(n_plots, n_periods)``; it repays depletion left by earlier grazing
        and never lifts forage above ``available_kg``.
    """

    plots: tuple[Plot, ...]
    herds: tuple[Herd, ...]
    periods: tuple[Period, ...]
    available_kg: np.ndarray
    regrowth_kg: np.ndarray

    def __post_init__(self) -> None:
        problems: list[str] = []
        n_p, n_t = len(self.plots), len(self.periods)
        avail = np.asarray(self.available_kg, dtype=float)
        regrow = np.asarray(self.regrowth_kg, dtype=float)
        if regrow.ndim == 1 and regrow.shape == (n_p,):
            regrow = np.repeat(regrow[:, None], n_t, axis=1)
        if avail.shape != (n_p, n_t):
            problems.append(f"available_kg has shape {avail.shape}, expected {(n_p, n_t)}")
        if regrow.shape != (n_p, n_t):
            problems.append(f"regrowth_kg has shape {regrow.shape}, expected {(n_p, n_t)}")
        for name, arr in (("available_kg", avail), ("regrowth_kg", regrow)):
            if arr.size and (not np.all(np.isfinite(arr)) or arr.min() < 0):
                problems.append(f"{name} must be finite and >= 0")
        _check_unique([p.id for p in self.plots], "plot", problems)
        _check_unique([h.id for h in self.herds], "herd", problems)
        for p in self.plots:
            bad = set(p.seasons) - set(SEASONS)
            if bad:
                problems.append(f"plot {p.id}: unknown season(s) {sorted(bad)}; use {SEASONS}")
            if not (0.0 <= p.degradation <= 1.0):
                problems.append(f"plot {p.id}: degradation must be in [0, 1]")
            if p.water_km < 0 or p.area_ha < 0 or p.load_ratio < 0:
                problems.append(f"plot {p.id}: water_km, area_ha and load_ratio must be >= 0")
        for t, per in enumerate(self.periods):
            if per.season not in SEASONS:
                problems.append(f"period {t}: unknown season {per.season!r}; use {SEASONS}")
        for h in self.herds:
            last = n_t - 1 if h.last_period is None else h.last_period
            if not (0 <= h.first_period <= last < n_t):
                problems.append(
                    f"herd {h.id}: grazing season {h.first_period}..{h.last_period} "
                    f"is not within periods 0..{n_t - 1}"
                )
            if not (h.demand_kg_day > 0 and h.sheep_units > 0):
                problems.append(f"herd {h.id}: demand_kg_day and sheep_units must be > 0")
        if problems:
            raise InvalidInput("rotation inputs", problems)
        object.__setattr__(self, "available_kg", avail)
        object.__setattr__(self, "regrowth_kg", regrow)

    @classmethod
    def from_frames(
        cls,
        plots: pd.DataFrame,
        herds: pd.DataFrame,
        periods: pd.DataFrame,
        *,
        available_kg: np.ndarray,
        regrowth_kg: np.ndarray,
    ) -> RotationInputs:
        """Build inputs from frames whose columns are named like the dataclass fields.

        ``plots.seasons`` may hold comma-separated text or an iterable of seasons;
        missing ``degradation``, ``load_ratio``, ``first_period`` and
        ``last_period`` columns take their defaults.
        """

        def seasons(v: object) -> frozenset[str]:
            items = v.split(",") if isinstance(v, str) else list(v)  # type: ignore[call-overload]
            return frozenset(str(s).strip() for s in items if str(s).strip())

        def opt(row: Mapping[str, Any], key: str, default: Any) -> Any:
            v = row.get(key, default)
            return default if v is None or (isinstance(v, float) and math.isnan(v)) else v

        plot_list = tuple(
            Plot(
                id=str(r["id"]),
                seasons=seasons(r["seasons"]),
                union_id=None if opt(r, "union_id", None) is None else str(r["union_id"]),
                area_ha=float(r["area_ha"]),
                water_km=float(r["water_km"]),
                x_km=float(r["x_km"]),
                y_km=float(r["y_km"]),
                degradation=float(opt(r, "degradation", 0.0)),
                load_ratio=float(opt(r, "load_ratio", 0.0)),
            )
            for r in plots.to_dict("records")
        )
        herd_list = tuple(
            Herd(
                id=str(r["id"]),
                union_id=str(r["union_id"]),
                sheep_units=float(r["sheep_units"]),
                demand_kg_day=float(r["demand_kg_day"]),
                home_x_km=float(r["home_x_km"]),
                home_y_km=float(r["home_y_km"]),
                first_period=int(opt(r, "first_period", 0)),
                last_period=None if opt(r, "last_period", None) is None else int(r["last_period"]),
            )
            for r in herds.to_dict("records")
        )
        period_list = tuple(
            Period(start=pd.Timestamp(r["start"]).date(), season=str(r["season"]))
            for r in periods.to_dict("records")
        )
        return cls(plot_list, herd_list, period_list, available_kg, regrowth_kg)

    # -- derived arrays (cached; the object is immutable) --------------------

    @property
    def n_plots(self) -> int:
        """Number of plots."""
        return len(self.plots)

    @property
    def n_herds(self) -> int:
        """Number of herds."""
        return len(self.herds)

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return len(self.periods)

    @cached_property
    def plot_index(self) -> dict[str, int]:
        """Plot id to row index."""
        return {p.id: i for i, p in enumerate(self.plots)}

    @cached_property
    def herd_index(self) -> dict[str, int]:
        """Herd id to index."""
        return {h.id: i for i, h in enumerate(self.herds)}

    @cached_property
    def plot_xy(self) -> np.ndarray:
        """Plot centroids, shape ``(n_plots, 2)``, km."""
        return np.array([[p.x_km, p.y_km] for p in self.plots], dtype=float).reshape(-1, 2)

    @cached_property
    def herd_home_xy(self) -> np.ndarray:
        """Herd home points, shape ``(n_herds, 2)``, km."""
        return np.array([[h.home_x_km, h.home_y_km] for h in self.herds], dtype=float).reshape(
            -1, 2
        )

    @cached_property
    def season_ok(self) -> np.ndarray:
        """Boolean ``(n_plots, n_periods)``: the period's season is one of the plot's."""
        out = np.zeros((self.n_plots, self.n_periods), dtype=bool)
        for s in SEASONS:
            cols = [t for t, per in enumerate(self.periods) if per.season == s]
            if cols:
                rows = np.array([s in p.seasons for p in self.plots], dtype=bool)
                out[np.ix_(rows, np.array(cols, dtype=np.int64))] = True
        return out

    def herd_periods(self, h: int) -> range:
        """Period indices of herd ``h``'s grazing season."""
        herd = self.herds[h]
        last = self.n_periods - 1 if herd.last_period is None else herd.last_period
        return range(herd.first_period, last + 1)


def _check_unique(ids: Sequence[str], what: str, problems: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            problems.append(f"duplicate {what} id {i!r}")
        seen.add(i)


class RotationParams(BaseModel):
    """Parameters of a rotation plan, validated, printable and stored with the plan.

    Attributes
    ----------
    utilisation
        Share of the standing forage that may be eaten: 0.5, "take half, leave
        half" (DOMAIN.md, Livestock units and intake; 0.6-0.7 is cited for
        Kazakh horse pastures).
    min_rest_days
        Rest after a grazing spell, days: 30 "as growth slows" (DOMAIN.md,
        Seasons; at least 20 in fast growth, 45-60 in summer heat).
    min_rest_days_by_season
        Optional override per season of the first rest period, e.g.
        ``{"spring": 20, "summer": 45}`` (DOMAIN.md, Seasons).
    max_move_km
        Longest move between the plots of consecutive periods. Default 15 km:
        an assumption (about a day's trek for sheep), not from DOMAIN.md.
    max_migration_km
        Longest move into the first period of a new season (spring to summer
        pasture and back): herds migrate along transhumance routes then, and
        reach the Asy plateau in May (DOMAIN.md, Seasons). ``None`` (default)
        keeps ``max_move_km`` for those moves too.
    max_water_km
        Plots farther than this from water are not used. Default 5 km: an
        assumption, not from DOMAIN.md; set it per district.
    max_home_km
        Optional limit on the distance from a herd's home point; ``None``
        means no limit. It also keeps the MILP small.
    period_days
        Length of a period, days (weekly plans).
    intake_kg_dm_per_su_day
        Intake of one sheep unit, kg DM/day, to express deficits as sheep
        units: 1.4, the sheep default of DOMAIN.md (sheep = 1 sheep unit).
    weight_unfed, weight_pressure, weight_walk_km, weight_move
        Objective weights. A kg of unfed demand (100) costs more than any
        pressure on a kg eaten (at most 1) plus the walking of a herd eating
        it as long as a herd's weekly demand exceeds ~10 kg DM, so the
        objective is lexicographic in practice: unfed first, then pressure on
        degraded and loaded plots, then walking (herd-km to water and back)
        and moves.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    utilisation: float = Field(default=0.5, gt=0.0, le=1.0)
    min_rest_days: float = Field(default=30.0, ge=0.0)
    min_rest_days_by_season: dict[str, float] | None = None
    max_move_km: float = Field(default=15.0, gt=0.0)
    max_migration_km: float | None = Field(default=None, gt=0.0)
    max_water_km: float = Field(default=5.0, gt=0.0)
    max_home_km: float | None = Field(default=None, gt=0.0)
    period_days: int = Field(default=7, ge=1)
    intake_kg_dm_per_su_day: float = Field(default=1.4, gt=0.0)
    weight_unfed: float = Field(default=100.0, gt=0.0)
    weight_pressure: float = Field(default=1.0, ge=0.0)
    weight_walk_km: float = Field(default=0.5, ge=0.0)
    weight_move: float = Field(default=5.0, ge=0.0)

    @model_validator(mode="after")
    def _check_seasons(self) -> RotationParams:
        for s, days in (self.min_rest_days_by_season or {}).items():
            if s not in SEASONS:
                raise ValueError(f"unknown season {s!r} in min_rest_days_by_season; use {SEASONS}")
            if days < 0:
                raise ValueError("min_rest_days_by_season values must be >= 0")
        return self

    def rest_days(self, season: str) -> float:
        """Minimum rest, days, for a rest that starts in a period of ``season``."""
        by = self.min_rest_days_by_season or {}
        return float(by.get(season, self.min_rest_days))

    def rest_periods(self, season: str) -> int:
        """Whole periods of rest needed after a spell (rest starting in ``season``)."""
        return math.ceil(self.rest_days(season) / self.period_days - 1e-9)


def pressure_index(inputs: RotationInputs) -> np.ndarray:
    """Per-plot pressure index in [0, 1]: mean of degradation and load ratio capped at 2, halved."""
    deg = np.array([p.degradation for p in inputs.plots], dtype=float)
    load = np.array([p.load_ratio for p in inputs.plots], dtype=float)
    return (deg + np.minimum(load, 2.0) / 2.0) / 2.0


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class Assignment:
    """Where one herd grazes in one period (``plot_id=None``: unplaced)."""

    herd_id: str
    period: int
    plot_id: str | None
    eaten_kg: float
    demand_kg: float


@dataclass(frozen=True)
class UnionDeficit:
    """Unmet demand of one union in one period and what would close it."""

    union_id: str
    period: int
    deficit_kg: float
    sheep_units_to_move: float
    feed_kg_dm: float


@dataclass(frozen=True)
class Plan:
    """A rotation plan with its solver report.

    Attributes
    ----------
    assignments
        One row per herd and period of its grazing season.
    deficits
        Per union and period with unmet demand.
    solver
        ``"milp"`` or ``"heuristic"``.
    status
        ``"optimal"``, ``"time_limit"``, ``"infeasible"``, ``"feasible"``
        (heuristic) or ``"error"``.
    objective
        Objective of the plan (recomputed from its assignments).
    bound
        A proven lower bound on the optimal objective, or ``None``.
    gap
        ``(objective - bound) / max(|objective|, 1)``, or ``None``.
    objective_terms
        The objective split into its terms.
    params
        The parameters the plan was made with.
    timings
        Seconds spent per stage.
    stats
        Model sizes and solver counters.
    """

    assignments: tuple[Assignment, ...]
    deficits: tuple[UnionDeficit, ...]
    solver: str
    status: str
    objective: float
    bound: float | None
    gap: float | None
    objective_terms: Mapping[str, float]
    params: RotationParams
    timings: Mapping[str, float] = field(default_factory=dict)
    stats: Mapping[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Assignments as a frame: herd_id, period, plot_id, eaten_kg, demand_kg, deficit_kg."""
        cols = ["herd_id", "period", "plot_id", "eaten_kg", "demand_kg"]
        df = pd.DataFrame([[getattr(a, c) for c in cols] for a in self.assignments], columns=cols)
        df["deficit_kg"] = df["demand_kg"] - df["eaten_kg"]
        return df

    def deficits_frame(self) -> pd.DataFrame:
        """Deficits per union and period as a frame."""
        cols = ["union_id", "period", "deficit_kg", "sheep_units_to_move", "feed_kg_dm"]
        return pd.DataFrame([[getattr(d, c) for c in cols] for d in self.deficits], columns=cols)

    def summary(self) -> dict[str, Any]:
        """Solver report and parameters as a JSON-serialisable dict."""
        return {
            "solver": self.solver,
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "objective_terms": dict(self.objective_terms),
            "total_deficit_kg": float(sum(d.deficit_kg for d in self.deficits)),
            "params": self.params.model_dump(),
            "timings": dict(self.timings),
            "stats": dict(self.stats),
        }


# --------------------------------------------------------------------------- shared core


@dataclass(frozen=True)
class _Pairs:
    """Pruned candidate (herd, plot, period) triples, sorted by herd, period, plot."""

    h: np.ndarray
    p: np.ndarray
    t: np.ndarray


def candidate_pairs(
    inputs: RotationInputs, params: RotationParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Herd, plot and period indices of every placement the rules allow on their own.

    Prunes by union, season, water distance, distance from home
    (``max_home_km``; ``max_move_km`` in a herd's first period) and plots with
    no grazeable forage in the period. Rest, forage depletion and moves
    between periods are left to the solvers.
    """
    pr = _candidate_pairs(inputs, params)
    return pr.h, pr.p, pr.t


def _candidate_pairs(inputs: RotationInputs, params: RotationParams) -> _Pairs:
    unions = np.array([p.union_id or "" for p in inputs.plots], dtype=object)
    public = np.array([p.union_id is None for p in inputs.plots], dtype=bool)
    water_ok = np.array([p.water_km <= params.max_water_km for p in inputs.plots], dtype=bool)
    grazeable = (params.utilisation * inputs.available_kg) > 0
    ok_t = inputs.season_ok & grazeable & water_ok[:, None]
    own = {u: public | (unions == u) for u in {h.union_id for h in inputs.herds}}
    xy = inputs.plot_xy
    hs: list[np.ndarray] = []
    ps: list[np.ndarray] = []
    ts: list[np.ndarray] = []
    for h, herd in enumerate(inputs.herds):
        d_home = np.hypot(xy[:, 0] - herd.home_x_km, xy[:, 1] - herd.home_y_km)
        base = own[herd.union_id]
        if params.max_home_km is not None:
            base = base & (d_home <= params.max_home_km)
        plots = np.flatnonzero(base)
        weeks = inputs.herd_periods(h)
        ok = ok_t[plots, weeks.start : weeks.stop].copy()
        ok[:, 0] &= d_home[plots] <= params.max_move_km
        # row-major over (week, plot): sorted by period, then plot
        w, i = np.nonzero(ok.T)
        hs.append(np.full(w.size, h))
        ps.append(plots[i])
        ts.append(w + weeks.start)
    if not hs:
        empty = np.zeros(0, dtype=np.int64)
        return _Pairs(empty, empty, empty)
    return _Pairs(
        np.concatenate(hs, dtype=np.int64),
        np.concatenate(ps, dtype=np.int64),
        np.concatenate(ts, dtype=np.int64),
    )


def _rest_periods_after(inputs: RotationInputs, params: RotationParams) -> np.ndarray:
    """``R[s]``: periods a plot must stay empty after a spell ending in period ``s``."""
    n_t = inputs.n_periods
    out = np.zeros(n_t, dtype=np.int64)
    for s in range(n_t - 1):
        out[s] = params.rest_periods(inputs.periods[s + 1].season)
    return out


def _fill_eaten(plot_of: np.ndarray, inputs: RotationInputs, params: RotationParams) -> np.ndarray:
    """Eaten kg per herd and period for fixed placements (``plot_of[h, t]``, -1 unplaced).

    Each plot feeds as much as it may, earliest first; every kg eaten has the
    same value wherever the herd is, and eating a kg now costs at most a kg
    later, so this maximises what the placements can eat. A plot's forage is
    shared among its herds in proportion to their demand.
    """
    n_h, n_t = plot_of.shape
    demand = np.zeros((n_h, n_t))
    days = params.period_days
    for h, herd in enumerate(inputs.herds):
        for t in inputs.herd_periods(h):
            demand[h, t] = herd.demand_kg_day * days
    eaten = np.zeros((n_h, n_t))
    depletion = np.zeros(inputs.n_plots)
    u_avail = params.utilisation * inputs.available_kg
    for t in range(n_t):
        placed = np.flatnonzero(plot_of[:, t] >= 0)
        plots_t = plot_of[placed, t]
        want = np.bincount(plots_t, weights=demand[placed, t], minlength=inputs.n_plots)
        cap = np.maximum(0.0, u_avail[:, t] - depletion)
        eat_plot = np.minimum(want, cap)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(want > 0, eat_plot / np.where(want > 0, want, 1.0), 0.0)
        # Shave a hair off so that round-off never exceeds the cap.
        share = np.minimum(share, 1.0) * (1.0 - 1e-12)
        eaten[placed, t] = demand[placed, t] * share[plots_t]
        eaten_plot = np.bincount(plots_t, weights=eaten[placed, t], minlength=inputs.n_plots)
        depletion = np.maximum(0.0, depletion + eaten_plot - inputs.regrowth_kg[:, t])
    return eaten


def herd_terms(
    plot_of: np.ndarray, eaten: np.ndarray, inputs: RotationInputs, params: RotationParams
) -> dict[str, np.ndarray]:
    """Each herd's share of the objective's raw quantities over its grazing season.

    ``plot_of[h, t]`` is the plot (-1 unplaced) and ``eaten[h, t]`` the kg eaten of herd
    ``h`` in period ``t``. Returns arrays over herds: ``unfed_kg``, ``pressure_kg`` (kg
    eaten times pressure index), ``walk_km`` (to water and back, every day placed) and
    ``moves`` (between plots of consecutive placed periods).
    """
    n_h, n_t = plot_of.shape
    in_season = np.zeros((n_h, n_t), dtype=bool)
    for h in range(n_h):
        in_season[h, inputs.herd_periods(h)] = True
    demand = np.array([herd.demand_kg_day for herd in inputs.herds]) * params.period_days
    water = np.array([p.water_km for p in inputs.plots], dtype=float)
    placed = in_season & (plot_of >= 0)
    plot = np.where(placed, plot_of, 0)
    return {
        "unfed_kg": np.where(in_season, demand[:, None] - eaten, 0.0).sum(axis=1),
        "pressure_kg": np.where(placed, eaten * pressure_index(inputs)[plot], 0.0).sum(axis=1),
        "walk_km": np.where(placed, 2.0 * water[plot] * params.period_days, 0.0).sum(axis=1),
        "moves": np.count_nonzero(
            placed[:, 1:] & placed[:, :-1] & (plot_of[:, 1:] != plot_of[:, :-1]), axis=1
        ).astype(float),
    }


def weighted_terms(terms: Mapping[str, Any], params: RotationParams) -> Any:
    """The objective of raw quantities (see :func:`herd_terms`; floats or arrays alike)."""
    return (
        params.weight_unfed * terms["unfed_kg"]
        + params.weight_pressure * terms["pressure_kg"]
        + params.weight_walk_km * terms["walk_km"]
        + params.weight_move * terms["moves"]
    )


def _terms_from_arrays(
    plot_of: np.ndarray, eaten: np.ndarray, inputs: RotationInputs, params: RotationParams
) -> dict[str, float]:
    terms = {k: float(v.sum()) for k, v in herd_terms(plot_of, eaten, inputs, params).items()}
    return {"total": float(weighted_terms(terms, params)), **terms}


def _arrays_from_assignments(
    assignments: Iterable[Assignment], inputs: RotationInputs
) -> tuple[np.ndarray, np.ndarray]:
    plot_of = np.full((inputs.n_herds, inputs.n_periods), -1, dtype=np.int64)
    eaten = np.zeros((inputs.n_herds, inputs.n_periods))
    for a in assignments:
        h = inputs.herd_index[a.herd_id]
        plot_of[h, a.period] = -1 if a.plot_id is None else inputs.plot_index[a.plot_id]
        eaten[h, a.period] = a.eaten_kg
    return plot_of, eaten


def objective_terms(
    assignments: Iterable[Assignment], inputs: RotationInputs, params: RotationParams
) -> dict[str, float]:
    """Objective of a set of assignments, split into its terms (see the module docstring).

    Returns
    -------
    dict
        ``total`` and the raw quantities ``unfed_kg``, ``pressure_kg`` (kg eaten
        times pressure index), ``walk_km`` and ``moves``.
    """
    plot_of, eaten = _arrays_from_assignments(assignments, inputs)
    return _terms_from_arrays(plot_of, eaten, inputs, params)


def _build_plan(
    plot_of: np.ndarray,
    inputs: RotationInputs,
    params: RotationParams,
    *,
    solver: str,
    status: str,
    bound: float | None,
    timings: dict[str, float],
    stats: dict[str, float],
) -> Plan:
    eaten = _fill_eaten(plot_of, inputs, params)
    terms = _terms_from_arrays(plot_of, eaten, inputs, params)
    days = params.period_days
    assignments: list[Assignment] = []
    deficit: dict[tuple[str, int], float] = {}
    for h, herd in enumerate(inputs.herds):
        for t in inputs.herd_periods(h):
            p = int(plot_of[h, t])
            demand = herd.demand_kg_day * days
            assignments.append(
                Assignment(
                    herd_id=herd.id,
                    period=t,
                    plot_id=None if p < 0 else inputs.plots[p].id,
                    eaten_kg=float(eaten[h, t]),
                    demand_kg=float(demand),
                )
            )
            short = demand - float(eaten[h, t])
            if short > 1e-6 * demand:
                key = (herd.union_id, t)
                deficit[key] = deficit.get(key, 0.0) + short
    su_kg = params.intake_kg_dm_per_su_day * days
    deficits = tuple(
        UnionDeficit(
            union_id=u,
            period=t,
            deficit_kg=kg,
            sheep_units_to_move=kg / su_kg,
            feed_kg_dm=kg,
        )
        for (u, t), kg in sorted(deficit.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    )
    objective = terms["total"]
    gap = None
    if bound is not None:
        bound = min(bound, objective)
        gap = max(0.0, (objective - bound) / max(abs(objective), 1.0))
    return Plan(
        assignments=tuple(assignments),
        deficits=deficits,
        solver=solver,
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        objective_terms=terms,
        params=params,
        timings=timings,
        stats=stats,
    )


# --------------------------------------------------------------------------- MILP


class _Rows:
    """Accumulates sparse constraint rows in COO form."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.n = 0

    def add(
        self,
        row_local: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray | float,
        n_rows: int,
        lb: np.ndarray | float,
        ub: np.ndarray | float,
    ) -> None:
        """Add ``n_rows`` rows; ``row_local`` numbers each entry's row from 0."""
        self.r.append(np.asarray(row_local, dtype=np.int64) + self.n)
        self.c.append(np.asarray(cols, dtype=np.int64))
        self.v.append(np.broadcast_to(np.asarray(vals, dtype=float), np.shape(cols)).copy())
        self.lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (n_rows,)).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (n_rows,)).copy())
        self.n += n_rows

    def matrix(self, n_cols: int) -> tuple[sparse.csr_array, np.ndarray, np.ndarray]:
        a = sparse.coo_array(
            (np.concatenate(self.v), (np.concatenate(self.r), np.concatenate(self.c))),
            shape=(self.n, n_cols),
        ).tocsr()
        return a, np.concatenate(self.lb), np.concatenate(self.ub)


@dataclass
class _Model:
    c: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integrality: np.ndarray
    a: sparse.csr_array
    row_lb: np.ndarray
    row_ub: np.ndarray
    pairs: _Pairs
    n_x: int


def _build_milp(inputs: RotationInputs, params: RotationParams, pairs: _Pairs) -> _Model:
    n_t = inputs.n_periods
    days = params.period_days
    n_x = pairs.h.size
    h_arr, p_arr, t_arr = pairs.h, pairs.p, pairs.t
    demand_h = np.array([h.demand_kg_day * days for h in inputs.herds], dtype=float)
    water = np.array([p.water_km for p in inputs.plots], dtype=float)
    pressure = pressure_index(inputs)

    # herd-periods (all periods of each herd's season, even with no candidate)
    ht_h: list[int] = []
    ht_t: list[int] = []
    for h in range(inputs.n_herds):
        for t in inputs.herd_periods(h):
            ht_h.append(h)
            ht_t.append(t)
    n_ht = len(ht_h)
    ht_key = {(h, t): i for i, (h, t) in enumerate(zip(ht_h, ht_t, strict=True))}
    ht_of_pair = np.array(
        [ht_key[(int(h), int(t))] for h, t in zip(h_arr, t_arr, strict=True)], dtype=np.int64
    )

    used, p_local = np.unique(p_arr, return_inverse=True)
    n_u = used.size
    pt_of_pair = p_local * n_t + t_arr
    n_pt = n_u * n_t

    # column layout
    ox = 0
    oe = ox + n_x
    ou = oe + n_x  # unfed per herd-period
    oy = ou + n_ht  # placed per herd-period
    om = oy + n_ht  # move indicator per herd-period (move from t to t+1)
    og = om + n_ht  # grazed per plot-period
    ow = og + n_pt  # spell end per plot-period
    od = ow + n_pt  # depletion per plot-period
    n_col = od + n_pt

    c = np.zeros(n_col)
    c[ox : ox + n_x] = params.weight_walk_km * 2.0 * water[p_arr] * days
    c[oe : oe + n_x] = params.weight_pressure * pressure[p_arr]
    c[ou : ou + n_ht] = params.weight_unfed
    c[om : om + n_ht] = params.weight_move
    lb = np.zeros(n_col)
    ub = np.ones(n_col)
    ub[oe : oe + n_x] = demand_h[h_arr]
    ub[ou : ou + n_ht] = demand_h[np.array(ht_h, dtype=np.int64)] if n_ht else 0.0
    ub[od : od + n_pt] = np.inf
    ub[od : od + n_pt : n_t] = 0.0  # no depletion at the start
    has_pair = np.zeros(n_pt, dtype=bool)
    has_pair[pt_of_pair] = True
    ub[og : og + n_pt][~has_pair] = 0.0
    integrality = np.zeros(n_col, dtype=np.int8)
    integrality[ox : ox + n_x] = 1

    rows = _Rows()
    ar_x = np.arange(n_x)
    # herd-period: sum_p x - y = 0 ; sum_p e + u = demand
    rows.add(
        np.concatenate([ht_of_pair, np.arange(n_ht)]),
        np.concatenate([ox + ar_x, oy + np.arange(n_ht)]),
        np.concatenate([np.ones(n_x), -np.ones(n_ht)]),
        n_ht,
        0.0,
        0.0,
    )
    dem_ht = demand_h[np.array(ht_h, dtype=np.int64)] if n_ht else np.zeros(0)
    rows.add(
        np.concatenate([ht_of_pair, np.arange(n_ht)]),
        np.concatenate([oe + ar_x, ou + np.arange(n_ht)]),
        1.0,
        n_ht,
        dem_ht,
        dem_ht,
    )
    # e - min(d, uA) x <= 0 (uA caps a lone herd too: tighter LP) ; x - g <= 0
    cap_x = np.minimum(demand_h[h_arr], params.utilisation * inputs.available_kg[p_arr, t_arr])
    rows.add(
        np.repeat(ar_x, 2),
        np.stack([oe + ar_x, ox + ar_x], axis=1).ravel(),
        np.stack([np.ones(n_x), -cap_x], axis=1).ravel(),
        n_x,
        -np.inf,
        0.0,
    )
    rows.add(
        np.repeat(ar_x, 2),
        np.stack([ox + ar_x, og + pt_of_pair], axis=1).ravel(),
        np.tile([1.0, -1.0], n_x),
        n_x,
        -np.inf,
        0.0,
    )
    # g - sum_h x <= 0 (the plot is grazed only if a herd is on it)
    ar_pt = np.arange(n_pt)
    rows.add(
        np.concatenate([ar_pt, pt_of_pair]),
        np.concatenate([og + ar_pt, ox + ar_x]),
        np.concatenate([np.ones(n_pt), -np.ones(n_x)]),
        n_pt,
        -np.inf,
        0.0,
    )
    # forage: sum_h e + D + M g <= uA + M, M = max(0, max_{s<t} uA_s - uA_t)
    ua = params.utilisation * inputs.available_kg[used]  # (n_u, n_t)
    prev_max = np.maximum.accumulate(np.concatenate([np.zeros((n_u, 1)), ua[:, :-1]], axis=1), 1)
    big_m = np.maximum(0.0, prev_max - ua).ravel()
    rows.add(
        np.concatenate([pt_of_pair, ar_pt, ar_pt]),
        np.concatenate([oe + ar_x, od + ar_pt, og + ar_pt]),
        np.concatenate([np.ones(n_x), np.ones(n_pt), big_m]),
        n_pt,
        -np.inf,
        ua.ravel() + big_m,
    )
    # depletion: D[t+1] - D[t] - sum_h e[t] >= -r[t]
    regrow = inputs.regrowth_kg[used]
    not_last = (ar_pt % n_t) < n_t - 1
    src = ar_pt[not_last]
    row_of_pt = np.full(n_pt, -1, dtype=np.int64)
    row_of_pt[src] = np.arange(src.size)
    pair_rows = row_of_pt[pt_of_pair]
    keep = pair_rows >= 0
    rows.add(
        np.concatenate([np.arange(src.size), np.arange(src.size), pair_rows[keep]]),
        np.concatenate([od + src + 1, od + src, oe + ar_x[keep]]),
        np.concatenate([np.ones(src.size), -np.ones(src.size), -np.ones(int(keep.sum()))]),
        src.size,
        -regrow.ravel()[src],
        np.inf,
    )
    # spell end: w[t] - g[t] + g[t+1] >= 0
    rows.add(
        np.repeat(np.arange(src.size), 3),
        np.stack([ow + src, og + src, og + src + 1], axis=1).ravel(),
        np.tile([1.0, -1.0, 1.0], src.size),
        src.size,
        0.0,
        np.inf,
    )
    # rest: g[t'] + sum_{s in S(t')} w[s] <= 1 where a spell ending at s forbids t'
    rest_after = _rest_periods_after(inputs, params)
    rr: list[np.ndarray] = []
    cc: list[np.ndarray] = []
    n_rest_rows = 0
    p_base = np.arange(n_u) * n_t
    for tp in range(1, n_t):
        ss = [s for s in range(tp) if tp - s <= rest_after[s]]
        if not ss:
            continue
        k = len(ss) + 1
        cols = np.concatenate(
            [(og + p_base + tp)[:, None], ow + p_base[:, None] + np.array(ss)[None, :]], axis=1
        )
        rr.append(np.repeat(np.arange(n_u) + n_rest_rows, k))
        cc.append(cols.ravel())
        n_rest_rows += n_u
    if n_rest_rows:
        rows.add(np.concatenate(rr), np.concatenate(cc), 1.0, n_rest_rows, -np.inf, 1.0)

    # moves between consecutive periods of a herd
    xy = inputs.plot_xy
    if n_x:
        starts = np.flatnonzero(np.r_[True, (np.diff(h_arr) != 0) | (np.diff(t_arr) != 0)])
    else:
        starts = np.zeros(0, dtype=np.int64)
    ends = np.r_[starts[1:], n_x] if n_x else starts
    block = {
        (int(h_arr[s]), int(t_arr[s])): (int(s), int(e)) for s, e in zip(starts, ends, strict=True)
    }
    mr: list[np.ndarray] = []
    mc: list[np.ndarray] = []
    mv: list[np.ndarray] = []
    n_move_rows = 0
    cr: list[np.ndarray] = []
    ccnt: list[np.ndarray] = []
    cv: list[np.ndarray] = []
    n_cnt_rows = 0
    for (h, t), (s0, e0) in block.items():
        nxt = block.get((h, t + 1))
        if nxt is None:
            continue
        lim = move_limit_km(inputs, params, t + 1) + 1e-9
        s1, e1 = nxt
        pa = p_arr[s0:e0]
        pb = p_arr[s1:e1]
        dist = np.hypot(
            xy[pa, 0][:, None] - xy[pb, 0][None, :], xy[pa, 1][:, None] - xy[pb, 1][None, :]
        )
        far = dist > lim
        n_a = pa.size
        y_next = oy + ht_key[(h, t + 1)]
        for i in range(n_a):
            far_i = np.flatnonzero(far[i])
            if far_i.size == 0:
                continue
            near_i = np.flatnonzero(~far[i])
            if far_i.size <= near_i.size + 1:
                cols = np.r_[ox + s0 + i, ox + s1 + far_i]
                vals = np.ones(cols.size)
            else:
                cols = np.r_[ox + s0 + i, y_next, ox + s1 + near_i]
                vals = np.r_[1.0, 1.0, -np.ones(near_i.size)]
            mr.append(np.full(cols.size, n_move_rows))
            mc.append(cols)
            mv.append(vals)
            n_move_rows += 1
        # move count: m[h,t] - x[p,t] - y[t+1] + x[p,t+1] >= -1
        pos_next = {int(p): s1 + j for j, p in enumerate(pb)}
        m_col = om + ht_key[(h, t)]
        for i, p in enumerate(pa):
            j = pos_next.get(int(p))
            if j is None:
                cols = np.array([m_col, ox + s0 + i, y_next])
                vals = np.array([1.0, -1.0, -1.0])
            else:
                cols = np.array([m_col, ox + s0 + i, y_next, ox + j])
                vals = np.array([1.0, -1.0, -1.0, 1.0])
            cr.append(np.full(cols.size, n_cnt_rows))
            ccnt.append(cols)
            cv.append(vals)
            n_cnt_rows += 1
    if n_move_rows:
        rows.add(
            np.concatenate(mr), np.concatenate(mc), np.concatenate(mv), n_move_rows, -np.inf, 1.0
        )
    if n_cnt_rows:
        rows.add(
            np.concatenate(cr), np.concatenate(ccnt), np.concatenate(cv), n_cnt_rows, -1.0, np.inf
        )

    a, row_lb, row_ub = rows.matrix(n_col)
    return _Model(c, lb, ub, integrality, a, row_lb, row_ub, pairs, n_x)


def _highs_api() -> Any | None:
    """The HiGHS Python bindings: ``highspy`` if installed, else the copy inside SciPy.

    SciPy >= 1.15 ships the same pybind11 bindings as ``scipy.optimize._highspy._core``
    (a private module). Either one lets us pass the heuristic plan as a starting
    solution, which :func:`scipy.optimize.milp` cannot. ``None``: neither is available
    and the MILP runs through :func:`scipy.optimize.milp` without a start.
    """
    try:
        import highspy

        return highspy
    except ImportError:
        pass
    try:
        from scipy.optimize._highspy import _core

        return _core
    except ImportError:  # pragma: no cover - older SciPy
        return None


def _new_highs(api: Any) -> Any:
    """A silent HiGHS instance (the bare bindings: ``highspy.Highs()`` prints a banner)."""
    highs = (getattr(api, "_Highs", None) or api.Highs)()
    highs.setOptionValue("output_flag", False)
    return highs


@dataclass
class _MilpResult:
    status: str
    x: np.ndarray | None
    fun: float | None
    dual_bound: float | None
    node_count: float
    backend: str


def _run_highs(
    model: _Model, *, time_limit: float, mip_rel_gap: float, start: np.ndarray | None
) -> _MilpResult:
    """Solve the model with HiGHS, warm-started from ``start`` (values of the x columns)."""
    api = _highs_api()
    if api is None:
        res = milp(
            model.c,
            integrality=model.integrality,
            bounds=Bounds(model.lb, model.ub),
            constraints=LinearConstraint(model.a, model.row_lb, model.row_ub),
            options={"time_limit": float(time_limit), "mip_rel_gap": float(mip_rel_gap)},
        )
        status = {0: "optimal", 1: "time_limit", 2: "infeasible"}.get(int(res.status), "error")
        dual = getattr(res, "mip_dual_bound", None)
        return _MilpResult(
            status,
            None if res.x is None else np.asarray(res.x),
            None if res.x is None else float(res.fun),
            None if dual is None or not np.isfinite(dual) else float(dual),
            float(getattr(res, "mip_node_count", 0) or 0),
            "scipy.optimize.milp",
        )
    a = model.a.tocsc()
    n_col, n_row = model.c.size, a.shape[0]
    lp = api.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_row
    lp.a_matrix_.format_ = api.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    lp.col_cost_ = model.c
    lp.col_lower_ = model.lb
    lp.col_upper_ = model.ub
    lp.row_lower_ = model.row_lb
    lp.row_upper_ = model.row_ub
    lp.integrality_ = [api.HighsVarType(int(i)) for i in model.integrality]
    highs = _new_highs(api)
    highs.setOptionValue("time_limit", float(time_limit))
    highs.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    highs.passModel(lp)
    if start is not None:
        idx = np.arange(model.n_x, dtype=np.int32)
        highs.setSolution(int(model.n_x), idx, np.asarray(start, dtype=float))
    highs.run()
    ms = highs.getModelStatus()
    info = highs.getInfo()
    names = api.HighsModelStatus
    if ms == names.kOptimal:
        status = "optimal"
    elif ms in (names.kTimeLimit, names.kIterationLimit, names.kSolutionLimit):
        status = "time_limit"
    elif ms == names.kInfeasible:
        status = "infeasible"
    else:
        status = "error"
    has_x = info.objective_function_value != api.kHighsInf and status != "infeasible"
    x = np.array(highs.getSolution().col_value) if has_x else None
    dual = float(info.mip_dual_bound)
    return _MilpResult(
        status,
        x,
        float(info.objective_function_value) if has_x else None,
        dual if np.isfinite(dual) else None,
        float(info.mip_node_count),
        "highspy" if getattr(api, "Highs", None) is not None else "scipy-bundled HiGHS",
    )


def _solve_milp(
    inputs: RotationInputs,
    params: RotationParams,
    pairs: _Pairs,
    *,
    time_limit: float,
    mip_rel_gap: float,
    warm_start: bool,
    seed: int,
    timings: dict[str, float],
) -> Plan:
    t0 = time.perf_counter()
    start_plot: np.ndarray | None = None
    start_x: np.ndarray | None = None
    if warm_start:
        # a few seconds of restarts buy a much better incumbent than HiGHS finds alone
        budget = min(5.0, 0.1 * time_limit)
        start_plot = _heuristic_best(inputs, params, pairs, time_budget=budget, seed=seed)
        start_x = (start_plot[pairs.h, pairs.t] == pairs.p).astype(float)
        timings["warm_start_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    model = _build_milp(inputs, params, pairs)
    timings["build_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    remaining = max(0.1, time_limit - (t2 - t0))
    res = _run_highs(model, time_limit=remaining, mip_rel_gap=mip_rel_gap, start=start_x)
    timings["solve_s"] = time.perf_counter() - t2
    stats: dict[str, Any] = {
        "n_pairs": float(model.n_x),
        "n_cols": float(model.c.size),
        "n_rows": float(model.a.shape[0]),
        "n_nonzeros": float(model.a.nnz),
        "mip_node_count": res.node_count,
        "backend": res.backend,
    }
    if res.x is None:
        # no incumbent (time limit before a first solution): keep the heuristic's plan
        if start_plot is None:
            start_plot, _ = _greedy_best(inputs, params, pairs, time_budget=0.0, seed=seed)
        plot_of = start_plot
        stats["fallback_heuristic"] = 1.0
    else:
        x = np.round(res.x[: model.n_x]).astype(bool)
        plot_of = np.full((inputs.n_herds, inputs.n_periods), -1, dtype=np.int64)
        plot_of[pairs.h[x], pairs.t[x]] = pairs.p[x]
        stats["solver_objective"] = float(res.fun) if res.fun is not None else math.nan
    return _build_plan(
        plot_of,
        inputs,
        params,
        solver="milp",
        status=res.status,
        bound=res.dual_bound,
        timings=timings,
        stats=stats,
    )


# --------------------------------------------------------------------------- heuristic


def _greedy(
    inputs: RotationInputs,
    params: RotationParams,
    cand: dict[tuple[int, int], np.ndarray],
    *,
    rng: np.random.Generator | None,
    lookahead: float,
) -> np.ndarray:
    """One greedy pass, period by period; returns ``plot_of[h, t]`` (-1 unplaced)."""
    n_h, n_t = inputs.n_herds, inputs.n_periods
    days = params.period_days
    xy = inputs.plot_xy
    water = np.array([p.water_km for p in inputs.plots], dtype=float)
    pressure = pressure_index(inputs)
    demand = np.array([h.demand_kg_day * days for h in inputs.herds], dtype=float)
    u_avail = params.utilisation * inputs.available_kg
    rest_after = _rest_periods_after(inputs, params)
    walk_cost = params.weight_walk_km * 2.0 * water * days
    w_unfed, w_press, w_move = params.weight_unfed, params.weight_pressure, params.weight_move
    plot_of = np.full((n_h, n_t), -1, dtype=np.int64)
    depletion = np.zeros(inputs.n_plots)
    free_from = np.zeros(
        inputs.n_plots, dtype=np.int64
    )  # first period a resting plot may be entered
    grazed_prev = np.zeros(inputs.n_plots, dtype=bool)
    active = [[h for h in range(n_h) if t in inputs.herd_periods(h)] for t in range(n_t)]
    for t in range(n_t):
        lim = move_limit_km(inputs, params, t) + 1e-9
        cap = np.maximum(0.0, u_avail[:, t] - depletion)
        eaten_t = np.zeros(inputs.n_plots)
        on = np.zeros(inputs.n_plots, dtype=bool)
        herds_t = active[t]
        prev = [int(plot_of[h, t - 1]) if t > 0 else -1 for h in herds_t]
        # incumbents whose plot still feeds them go first, then big herds
        key = [
            (0 if (p >= 0 and cap[p] >= demand[h]) else 1, -demand[h])
            for h, p in zip(herds_t, prev, strict=True)
        ]
        order = sorted(range(len(herds_t)), key=lambda i: key[i])
        if rng is not None:
            # randomised restarts: perturb the order within the two groups
            noise = rng.random(len(herds_t))
            order = sorted(order, key=lambda i: (key[i][0], key[i][1] * (0.5 + noise[i])))
        for i in order:
            h = herds_t[i]
            c = cand.get((h, t))
            if c is None or c.size == 0:
                continue
            d = demand[h]
            p_prev = prev[i]
            ok = free_from[c] <= t
            if p_prev >= 0:
                dist = np.hypot(xy[c, 0] - xy[p_prev, 0], xy[c, 1] - xy[p_prev, 1])
                ok &= dist <= lim
            if not ok.any():
                continue
            cc = c[ok]
            rem = cap[cc] - eaten_t[cc]
            eat = np.clip(rem, 0.0, d)
            cost = w_unfed * (d - eat) + w_press * pressure[cc] * eat + walk_cost[cc]
            if p_prev >= 0:
                cost = cost + w_move * (cc != p_prev)
            # look-ahead: a plot that cannot feed the herd next period too means
            # another move soon (and a plot that stops feeding wastes its rest)
            nxt = min(t + 1, n_t - 1)
            rem_next = np.maximum(0.0, u_avail[cc, nxt] - (depletion[cc] + eaten_t[cc] + eat))
            cost = cost + lookahead * w_move * (rem_next < d)
            if rng is not None:
                cost = cost + rng.random(cc.size) * 1e-3 * w_move
            j = int(np.argmin(cost))
            if eat[j] <= 0.0:
                continue  # only a placement that feeds is worth its walk
            plot_of[h, t] = cc[j]
            eaten_t[cc[j]] += eat[j]
            on[cc[j]] = True
        depletion = np.maximum(0.0, depletion + eaten_t - inputs.regrowth_kg[:, t])
        ended = grazed_prev & ~on
        if t > 0:
            # spell ended in period t - 1: periods t .. t - 1 + R stay empty
            free_from[ended] = t + rest_after[t - 1]
        grazed_prev = on
    return plot_of


def _candidates_by_herd_period(pairs: _Pairs) -> dict[tuple[int, int], np.ndarray]:
    out: dict[tuple[int, int], np.ndarray] = {}
    if pairs.h.size == 0:
        return out
    starts = np.flatnonzero(np.r_[True, (np.diff(pairs.h) != 0) | (np.diff(pairs.t) != 0)])
    ends = np.r_[starts[1:], pairs.h.size]
    for s, e in zip(starts, ends, strict=True):
        out[(int(pairs.h[s]), int(pairs.t[s]))] = pairs.p[s:e]
    return out


def _greedy_best(
    inputs: RotationInputs,
    params: RotationParams,
    pairs: _Pairs,
    *,
    time_budget: float,
    seed: int,
    max_restarts: int = 8,
) -> tuple[np.ndarray, float]:
    """Deterministic greedy passes, then randomised restarts while time allows: the best
    plan and its objective."""
    cand = _candidates_by_herd_period(pairs)
    t0 = time.perf_counter()
    best: np.ndarray | None = None
    best_obj = math.inf
    rng = np.random.default_rng(seed)
    tries: list[tuple[np.random.Generator | None, float]] = [(None, 1.0), (None, 0.0)]
    tries += [(rng, float(la)) for la in rng.uniform(0.0, 2.0, size=max_restarts)]
    for k, (r, la) in enumerate(tries):
        if k >= 1 and time.perf_counter() - t0 > time_budget:
            break
        plot_of = _greedy(inputs, params, cand, rng=r, lookahead=la)
        eaten = _fill_eaten(plot_of, inputs, params)
        obj = _terms_from_arrays(plot_of, eaten, inputs, params)["total"]
        if obj < best_obj:
            best, best_obj = plot_of, obj
    assert best is not None
    return best, best_obj


def _heuristic_best(
    inputs: RotationInputs,
    params: RotationParams,
    pairs: _Pairs,
    *,
    time_budget: float,
    seed: int,
    max_orders: int = 6,
    price: Callable[[], np.ndarray | None] | None = None,
    on_plan: Callable[[np.ndarray], None] = lambda plot_of: None,
) -> np.ndarray:
    """The best of the greedy passes and of herd-by-herd planning in random herd orders.

    Greedy restarts take up to a tenth of ``time_budget``; herd orders follow while the
    next one, if as long as the last, would end within it (at least one order). Every
    second order plans with ``PRICE_WEIGHT`` times the forage prices that ``price()``
    returns (waiting for them: it may compute them alongside); ``None`` from it, or no
    ``price``, plans without. The orders and which of them are priced follow from
    ``seed`` alone, so a budget that lets the same orders run gives the same plan.
    ``on_plan`` is given the greedy passes' best and every herd-by-herd plan as it is made.
    """
    from grazing_models.paths import sequential_plan

    t0 = time.perf_counter()
    deadline = t0 + time_budget
    best, best_obj = _greedy_best(inputs, params, pairs, time_budget=0.1 * time_budget, seed=seed)
    on_plan(best)
    rng = np.random.default_rng(seed)
    last = 0.0
    for k in range(max_orders):
        order = rng.permutation(inputs.n_herds)
        prices = price() if price is not None and k % 2 == 1 else None
        start = time.perf_counter()
        if k >= 1 and start + last > deadline:
            break
        priced = None if prices is None else PRICE_WEIGHT * prices
        planned = sequential_plan(inputs, params, pairs, order, price=priced)
        last = time.perf_counter() - start
        # a later herd never eats an earlier one's forage: the plan costs at most the
        # herds' sum (less where the plan's own sharing feeds more)
        on_plan(planned.plot_of)
        if planned.total < best_obj:
            best, best_obj = planned.plot_of, planned.total
    return best


@dataclass
class _Bounds:
    """The heuristic's lower bounds; ``value`` is the best of them."""

    forage: ForageBound | None = None
    herds: float | None = None
    herds_priced: bool = False
    herds_rounds: int = 0
    herds_converged: bool = False
    transport: float | None = None

    @property
    def value(self) -> float | None:
        found = [
            b
            for b in (self.forage.value if self.forage else None, self.herds, self.transport)
            if b is not None and np.isfinite(b)
        ]
        return max(found) if found else None

    def stats(self) -> dict[str, float]:
        out: dict[str, float] = {}
        if self.forage is not None:
            out |= {
                "bound_forage": self.forage.value,
                "bound_forage_rounds": float(self.forage.rounds),
                "bound_forage_windows": float(self.forage.windows),
                "bound_forage_complete": float(self.forage.complete),
            }
        if self.herds is not None:
            out["bound_herds"] = self.herds
            out["bound_herds_priced"] = float(self.herds_priced)
            out["bound_herds_rounds"] = float(self.herds_rounds)
            out["bound_herds_converged"] = float(self.herds_converged)
        if self.transport is not None:
            out["bound_transport"] = self.transport
        return out


def _other_bounds(
    inputs: RotationInputs,
    params: RotationParams,
    pairs: _Pairs,
    bounds: _Bounds,
    incumbent: _Incumbent,
    deadline: float,
) -> None:
    """Add the bounds that see what the forage LP does not: the per-period transport LP
    (each herd's own candidate plots and demand), and each herd planned alone (its moves
    and walking, per herd) paying prices of forage: the LP's, then better ones while time
    is left (:mod:`grazing_models.lagrangian`); each only where it is cheap enough."""
    from grazing_models.paths import herd_lower_bound

    if pairs.h.size <= TRANSPORT_BOUND_MAX_PAIRS:
        bounds.transport = _transport_bound(inputs, params, pairs)
    # the herds' programmes cost about (candidate plots)² per herd: skip them when huge
    per_herd = np.bincount(pairs.h, minlength=inputs.n_herds) / max(inputs.n_periods, 1)
    if float(np.sum(per_herd**2)) > HERD_BOUND_MAX_WORK:
        return
    if bounds.forage is None or bounds.forage.price_value <= 0.0:
        bounds.herds = herd_lower_bound(inputs, params, pairs).total
        return

    def plans(wait: bool) -> list[tuple[np.ndarray, np.ndarray]]:
        found = incumbent.take(deadline if wait else None)
        return [(plot_of, _fill_eaten(plot_of, inputs, params)) for plot_of in found]

    found = lagrangian_herd_bound(
        inputs, params, pairs, bounds.forage, plans, deadline=deadline, workers=incumbent.workers
    )
    bounds.herds, bounds.herds_priced = found.value, True
    bounds.herds_rounds, bounds.herds_converged = found.rounds, found.converged


class _Incumbent:
    """The heuristic's plans, shared with the bound's thread (each herd's season in a plan
    is a column of the bound's master), and whether the heuristic is done (then the bound
    may use every core)."""

    def __init__(self) -> None:
        self._plans: list[np.ndarray] = []
        self._taken = 0
        self._lock = threading.Lock()
        self._found = threading.Event()
        self.done = threading.Event()

    def offer(self, plot_of: np.ndarray) -> None:
        """A plan the heuristic made."""
        with self._lock:
            self._plans.append(plot_of)
        self._found.set()

    def finish(self) -> None:
        """The heuristic is done (or failed: nothing more to wait for)."""
        self.done.set()
        self._found.set()

    def take(self, wait_until: float | None = None) -> list[np.ndarray]:
        """The plans not taken yet; with ``wait_until`` (``time.perf_counter()``), waiting
        for the first until then at most (or until the heuristic is done)."""
        if wait_until is not None:
            self._found.wait(max(0.0, wait_until - time.perf_counter()))
        with self._lock:
            new, self._taken = self._plans[self._taken :], len(self._plans)
        return new

    def workers(self) -> int:
        """Threads the bound may use now: the cores the heuristic does not."""
        return max(1, usable_cores() - (0 if self.done.is_set() else 1))


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and
    ``taskset`` narrow; ``os.cpu_count()`` counts the machine's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def _transport_bound(inputs: RotationInputs, params: RotationParams, pairs: _Pairs) -> float:
    """Lower bound: per period, a transport LP with depletion, rest and moves relaxed.

    Each herd-period pays ``weight_unfed`` per kg not eaten and, per kg eaten on
    plot ``p``, its pressure plus its walking cost divided by the herd's demand
    (a partially fed herd walks the full distance, so this underestimates);
    plots supply at most ``utilisation * available`` each period.
    """
    days = params.period_days
    demand = np.array([h.demand_kg_day * days for h in inputs.herds], dtype=float)
    water = np.array([p.water_km for p in inputs.plots], dtype=float)
    pressure = pressure_index(inputs)
    total = 0.0
    for t in range(inputs.n_periods):
        herds_t = [h for h in range(inputs.n_herds) if t in inputs.herd_periods(h)]
        if not herds_t:
            continue
        sel = pairs.t == t
        ph, pp = pairs.h[sel], pairs.p[sel]
        hmap = np.full(inputs.n_herds, -1, dtype=np.int64)
        hmap[herds_t] = np.arange(len(herds_t))
        n_e, n_u = ph.size, len(herds_t)
        used, p_loc = np.unique(pp, return_inverse=True)
        cost = np.concatenate(
            [
                params.weight_pressure * pressure[pp]
                + params.weight_walk_km * 2.0 * water[pp] * days / demand[ph],
                np.full(n_u, params.weight_unfed),
            ]
        )
        a_eq = sparse.coo_array(
            (np.ones(n_e + n_u), (np.r_[hmap[ph], np.arange(n_u)], np.arange(n_e + n_u))),
            shape=(n_u, n_e + n_u),
        ).tocsr()
        a_ub = sparse.coo_array(
            (np.ones(n_e), (p_loc, np.arange(n_e))), shape=(used.size, n_e + n_u)
        ).tocsr()
        res = linprog(
            cost,
            A_ub=a_ub if n_e else None,
            b_ub=params.utilisation * inputs.available_kg[used, t] if n_e else None,
            A_eq=a_eq,
            b_eq=demand[herds_t],
            bounds=(0, None),
            method="highs",
        )
        if res.status != 0:
            return -math.inf
        # HiGHS' dual objective would be safer against round-off; use the primal
        # value shaved by its feasibility tolerance.
        total += float(res.fun) * (1.0 - 1e-7)
    return total


class _BoundWorker:
    """The heuristic's lower bounds, computed in a thread alongside its passes: HiGHS and
    the path kernel release the GIL, so on two cores the bound costs little wall time
    (demo district: the forage LP's 8 s overlap the herd-by-herd passes)."""

    def __init__(
        self,
        inputs: RotationInputs,
        params: RotationParams,
        pairs: _Pairs,
        bounds: _Bounds,
        deadline: float,
        timings: dict[str, float],
    ) -> None:
        self._args = (inputs, params, pairs)
        self.bounds, self._deadline, self._timings = bounds, deadline, timings
        self.incumbent = _Incumbent()
        self._priced = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="rotation-bound", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            t1 = time.perf_counter()
            self.bounds.forage = forage_lower_bound(
                *self._args, time_limit=max(0.0, self._deadline - t1)
            )
            self._timings["bound_forage_s"] = time.perf_counter() - t1
            self._priced.set()
            t1 = time.perf_counter()
            _other_bounds(*self._args, self.bounds, self.incumbent, self._deadline)
            self._timings["bound_s"] = time.perf_counter() - t1
        except BaseException as exc:  # re-raised in the caller's thread by join()
            self._error = exc
        finally:
            self._priced.set()

    def price(self) -> np.ndarray | None:
        """The forage LP's prices of forage, once it has finished (``None`` if it failed)."""
        self._priced.wait()
        return None if self.bounds.forage is None else self.bounds.forage.price

    def join(self) -> None:
        """Wait for every bound; raise what the thread raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error


# --------------------------------------------------------------------------- entry point


def plan_rotation(
    inputs: RotationInputs,
    params: RotationParams | None = None,
    *,
    solver: SolverName = "auto",
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-4,
    auto_max_pairs: int = AUTO_MILP_MAX_PAIRS,
    seed: int = 0,
    bound: bool = True,
    warm_start: bool = True,
) -> Plan:
    """Plan a season's grazing rotation: each herd to a plot, period by period.

    Parameters
    ----------
    inputs
        Plots, herds, periods and forage.
    params
        Planning parameters; defaults from DOMAIN.md when ``None``.
    solver
        ``"milp"`` (exact, HiGHS), ``"heuristic"`` (greedy and herd-by-herd
        passes) or ``"auto"``: the MILP when the pruned model has at most
        ``auto_max_pairs`` herd x plot x period pairs, else the heuristic.
    time_limit
        Seconds for the MILP solve. For the heuristic, seconds for the whole plan: its
        restarts and its bound stop by then (a greedy pass, one herd-by-herd pass and the
        herds priced at the LP's duals always run). The bound's search for better prices
        goes on to the time limit unless it converges first: a longer limit proves a
        smaller gap (demo district: 35.1% in 20 s, 23.5% in 60 s).
    mip_rel_gap
        Relative gap at which HiGHS stops.
    auto_max_pairs
        Size limit for ``solver="auto"``.
    seed
        Seed of the heuristic's randomised restarts (plans are reproducible when the
        time limit lets the same restarts run).
    bound
        Whether the heuristic computes its lower bound (see the module docstring); its
        forage LP also prices forage for the heuristic, which plans without prices when
        ``False``.
    warm_start
        Start the MILP from the heuristic's plan (needs the HiGHS Python
        bindings: ``highspy``, or the copy bundled with SciPy >= 1.15).

    Returns
    -------
    Plan
        Assignments, deficits per union and period, solver status, objective,
        bound, gap, parameters and timings.

    Raises
    ------
    ValueError
        On an unknown solver name.
    """
    params = params or RotationParams()
    if solver not in ("auto", "milp", "heuristic"):
        raise ValueError(f"unknown solver {solver!r}; use 'auto', 'milp' or 'heuristic'")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    pairs = _candidate_pairs(inputs, params)
    timings["prune_s"] = time.perf_counter() - t0
    chosen = solver
    if solver == "auto":
        chosen = "milp" if pairs.h.size <= auto_max_pairs else "heuristic"
    if chosen == "milp":
        plan = _solve_milp(
            inputs,
            params,
            pairs,
            time_limit=time_limit,
            mip_rel_gap=mip_rel_gap,
            warm_start=warm_start,
            seed=seed,
            timings=timings,
        )
    else:
        deadline = t0 + time_limit
        bounds = _Bounds()
        worker = _BoundWorker(inputs, params, pairs, bounds, deadline, timings) if bound else None
        t1 = time.perf_counter()
        try:
            plot_of = _heuristic_best(
                inputs,
                params,
                pairs,
                time_budget=deadline - t1,
                seed=seed,
                price=worker.price if worker is not None else None,
                on_plan=worker.incumbent.offer if worker is not None else lambda plot_of: None,
            )
        finally:
            if worker is not None:
                worker.incumbent.finish()
        timings["heuristic_s"] = time.perf_counter() - t1
        if worker is not None:
            worker.join()
        plan = _build_plan(
            plot_of,
            inputs,
            params,
            solver="heuristic",
            status="feasible",
            bound=bounds.value,
            timings=timings,
            stats={"n_pairs": float(pairs.h.size), **bounds.stats()},
        )
    timings["total_s"] = time.perf_counter() - t0
    return plan
