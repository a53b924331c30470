"""The rotation problem's data: plots, herds, periods, inputs and parameters, the plan
with its assignments and deficits, and the quantities the rules derive from them (pressure
index, move limit, rest after a spell). The rules are in :mod:`grazing_models.rotation`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from grazing_models.errors import InvalidInput
from grazing_models.seasons import DEFAULT_PERIOD_DAYS
from grazing_models.vocabulary import SEASONS

#: Kilogram tolerances of a plan (solver round-off): a herd's week is short (a deficit) when
#: it eats less than its demand by more than ``SHORT_ABS_KG + SHORT_REL × demand``; the plan
#: and its check (`plan_check`) use the same rule, so many small herds of one land user
#: cannot sum to a deficit the check does not see.
SHORT_REL = 1e-6
SHORT_ABS_KG = 1e-3


def is_short(short_kg: float, demand_kg: float) -> bool:
    """Whether ``short_kg`` of unmet demand counts as a deficit (see :data:`SHORT_REL`)."""
    return short_kg > SHORT_ABS_KG + SHORT_REL * demand_kg


#: Minimum rest of a plot after a grazing spell, days, by the season of the first rest
#: period (docs/domain.md, Rotation rules): 20 in fast growth (spring), 45 in summer heat
#: (the short end of 45-60), 30 as growth slows (autumn); winter 30 is an assumption
#: (dormant forage does not regrow; no source gives a winter rest).
DEFAULT_MIN_REST_DAYS_BY_SEASON: Mapping[str, float] = MappingProxyType(
    {"spring": 20.0, "summer": 45.0, "autumn": 30.0, "winter": 30.0}
)

#: Longest grazing spell on one plot, days, by the season of its first period
#: (docs/domain.md, Rotation rules): an assumption of 14 days in the growing seasons, the
#: long end of 7-14 days (a herd must move on before it regrazes the regrowth of the
#: plants it grazed first; weekly plans cannot express shorter stays well), and 60 days
#: in winter, when dormant forage has no regrowth to protect (an assumption).
DEFAULT_MAX_STAY_DAYS_BY_SEASON: Mapping[str, float] = MappingProxyType(
    {"spring": 14.0, "summer": 14.0, "autumn": 14.0, "winter": 60.0}
)


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
    greenup
        The plot's green-up date this season, where NDVI gives one: its spring starts
        there, so it is spring pasture only in periods that start on or after it (a
        period that starts before green-up is closed: the safe side). ``None``: the
        calendar's spring window (docs/domain.md, Satellite NDVI and Seasons).
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
    greenup: date | None = None

    def open_in(self, period: Period) -> bool:
        """Whether the plot may be grazed in ``period``: one of its seasons holds the
        period, spring only from its green-up on."""
        seasons = self.seasons & period.seasons
        if self.greenup is not None and period.start < self.greenup:
            seasons = seasons - {"spring"}
        return bool(seasons)


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
        Size in sheep units (docs/domain.md, Livestock units and intake).
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
    """One planning period (a week by default).

    Parameters
    ----------
    start
        First day.
    season
        Its season label: the season whose window began last among those holding it. Rest
        and stay limits, intake and the migration allowance follow it.
    also
        Other seasons whose windows also hold the period (September: summer pasture and
        autumn pasture): plots of those seasons may be grazed in it too.
    """

    start: date
    season: str
    also: frozenset[str] = frozenset()

    @property
    def seasons(self) -> frozenset[str]:
        """Every season whose pasture may be grazed in the period."""
        return self.also | {self.season}


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
            for season in sorted(per.seasons):
                if season not in SEASONS:
                    problems.append(f"period {t}: unknown season {season!r}; use {SEASONS}")
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
        """Boolean ``(n_plots, n_periods)``: one of the period's seasons is one of the plot's."""
        out = np.zeros((self.n_plots, self.n_periods), dtype=bool)
        for s in SEASONS:
            cols = [t for t, per in enumerate(self.periods) if s in per.seasons]
            if cols:
                rows = np.array([s in p.seasons for p in self.plots], dtype=bool)
                out[np.ix_(rows, np.array(cols, dtype=np.int64))] = True
        # spring pasture opens at green-up where the plot has one; plots of the same
        # seasons and green-up share a row (a district's plots share a few dozen dates)
        rows_of: dict[tuple[frozenset[str], object], list[bool]] = {}
        for i, plot in enumerate(self.plots):
            if plot.greenup is not None and "spring" in plot.seasons:
                key = (plot.seasons, plot.greenup)
                if key not in rows_of:
                    rows_of[key] = [plot.open_in(per) for per in self.periods]
                out[i] = rows_of[key]
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
        half" (docs/domain.md, Livestock units and intake; 0.6-0.7 is cited for
        Kazakh horse pastures).
    min_rest_days
        One rest after a grazing spell, days, for every season; ``None`` (default)
        keeps the per-season defaults :data:`DEFAULT_MIN_REST_DAYS_BY_SEASON`
        (docs/domain.md, Rotation rules).
    min_rest_days_by_season
        Rest per season of the first rest period, days, e.g.
        ``{"spring": 20, "summer": 45}``; seasons not given take ``min_rest_days``
        or else the default. Counted in whole periods, rounded up (never shorter).
    max_stay_days
        Longest grazing spell on a plot, days, for every season; ``None`` (default)
        keeps the per-season defaults :data:`DEFAULT_MAX_STAY_DAYS_BY_SEASON`
        (docs/domain.md, Rotation rules). A spell is the run of periods in which a
        plot carries any herd; its limit is that of the season of its first period.
    max_stay_days_by_season
        Longest spell per season of its first period, days; seasons not given take
        ``max_stay_days`` or else the default. Counted in whole periods, rounded down
        (never longer); a limit shorter than one period is refused.
    max_move_km
        Longest move between the plots of consecutive periods. Default 15 km:
        an assumption (about a day's trek for sheep), not from docs/domain.md.
    max_migration_km
        Longest move into the first period of a new season (spring to summer
        pasture and back): herds migrate along transhumance routes then, and
        reach the Asy plateau in May (docs/domain.md, Seasons). ``None`` (default)
        keeps ``max_move_km`` for those moves too.
    max_water_km
        Plots farther than this from water are not used. Default 5 km: an
        assumption, not from docs/domain.md; set it per district.
    max_home_km
        Optional limit on the distance from a herd's home point; ``None``
        means no limit. It also keeps the MILP small.
    period_days
        Length of a period, days (weekly plans).
    intake_kg_dm_per_su_day
        Intake of one sheep unit, kg DM/day, to express deficits as sheep
        units: 1.4, the sheep default of docs/domain.md (sheep = 1 sheep unit).
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
    min_rest_days: float | None = Field(
        default=None,
        ge=0.0,
        description="Rest after a grazing spell, days, in every season; empty: the "
        "per-season defaults (docs/domain.md, Rotation rules)",
    )
    min_rest_days_by_season: dict[str, float] | None = Field(
        default=None,
        description="Rest after a grazing spell per season, days (rounded up to whole periods)",
    )
    max_stay_days: float | None = Field(
        default=None,
        gt=0.0,
        description="Longest grazing spell on one plot, days, in every season; empty: the "
        "per-season defaults (docs/domain.md, Rotation rules)",
    )
    max_stay_days_by_season: dict[str, float] | None = Field(
        default=None,
        description="Longest grazing spell on one plot per season of its first week, days "
        "(rounded down to whole periods)",
    )
    max_move_km: float = Field(default=15.0, gt=0.0)
    max_migration_km: float | None = Field(default=None, gt=0.0)
    max_water_km: float = Field(default=5.0, gt=0.0)
    max_home_km: float | None = Field(default=None, gt=0.0)
    period_days: int = Field(default=DEFAULT_PERIOD_DAYS, ge=1)
    intake_kg_dm_per_su_day: float = Field(default=1.4, gt=0.0)
    weight_unfed: float = Field(default=100.0, gt=0.0)
    weight_pressure: float = Field(default=1.0, ge=0.0)
    weight_walk_km: float = Field(default=0.5, ge=0.0)
    weight_move: float = Field(default=5.0, ge=0.0)

    @model_validator(mode="after")
    def _check_seasons(self) -> RotationParams:
        for name in ("min_rest_days_by_season", "max_stay_days_by_season"):
            for s, days in (getattr(self, name) or {}).items():
                if s not in SEASONS:
                    raise ValueError(f"unknown season {s!r} in {name}; use {SEASONS}")
                if not days >= 0:
                    raise ValueError(f"{name}[{s!r}] must be >= 0, got {days}")
        for s in SEASONS:
            if self.max_stay_days_for(s) < self.period_days:
                raise ValueError(
                    f"the longest stay in {s} ({self.max_stay_days_for(s):g} days) is shorter "
                    f"than one period ({self.period_days} days): a plan in periods cannot keep "
                    "it; raise max_stay_days(_by_season) or shorten period_days"
                )
        return self

    def rest_days(self, season: str) -> float:
        """Minimum rest, days, for a rest that starts in a period of ``season``."""
        by = self.min_rest_days_by_season or {}
        if season in by:
            return float(by[season])
        if self.min_rest_days is not None:
            return float(self.min_rest_days)
        return float(DEFAULT_MIN_REST_DAYS_BY_SEASON[season])

    def rest_periods(self, season: str) -> int:
        """Whole periods of rest needed after a spell (rest starting in ``season``),
        rounded up: a rest is never shorter than the rule."""
        return math.ceil(self.rest_days(season) / self.period_days - 1e-9)

    def max_stay_days_for(self, season: str) -> float:
        """Longest grazing spell, days, of a spell whose first period is of ``season``."""
        by = self.max_stay_days_by_season or {}
        if season in by:
            return float(by[season])
        if self.max_stay_days is not None:
            return float(self.max_stay_days)
        return float(DEFAULT_MAX_STAY_DAYS_BY_SEASON[season])

    def max_stay_periods(self, season: str) -> int:
        """Whole periods a spell starting in ``season`` may last, rounded down: a spell is
        never longer than the rule (at least 1: the validator refuses shorter limits)."""
        return max(1, math.floor(self.max_stay_days_for(season) / self.period_days + 1e-9))


def pressure_index(inputs: RotationInputs) -> np.ndarray:
    """Per-plot pressure index in [0, 1]: mean of degradation and load ratio capped at 2, halved."""
    deg = np.array([p.degradation for p in inputs.plots], dtype=float)
    load = np.array([p.load_ratio for p in inputs.plots], dtype=float)
    return (deg + np.minimum(load, 2.0) / 2.0) / 2.0


def max_stay_from(inputs: RotationInputs, params: RotationParams) -> np.ndarray:
    """``L[s]``: most periods a grazing spell whose first period is ``s`` may last."""
    return np.array([params.max_stay_periods(per.season) for per in inputs.periods], dtype=np.int64)


def rest_periods_after(inputs: RotationInputs, params: RotationParams) -> np.ndarray:
    """``R[s]``: periods a plot must stay empty after a spell ending in period ``s``."""
    n_t = inputs.n_periods
    out = np.zeros(n_t, dtype=np.int64)
    for s in range(n_t - 1):
        out[s] = params.rest_periods(inputs.periods[s + 1].season)
    return out


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
