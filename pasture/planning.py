"""Grazing rotation plans from the store: inputs, solving, storing, approving, exporting.

This module connects the pure planner (:mod:`grazing_models.rotation`) to the
store. A plan is made in four steps, each a plain function call, the same in a
notebook, a test, the ``pasture plan`` command and the API:

1. :func:`rotation_inputs` reads plots, water points, herds, per-plot NDVI
   (``ndvi_stats``) and, when they have rows, the ``trends`` and ``load``
   tables, and builds :class:`~grazing_models.rotation.RotationInputs` for one
   grazing year (spring through autumn, in weeks).
2. :func:`create_plan` runs :func:`~grazing_models.rotation.plan_rotation`,
   checks the result with :func:`~grazing_models.validate.validate_plan` and
   stores it (``plans``, ``assignments``, ``deficits``) as a draft, with every
   parameter (:class:`PlanningParams`, :class:`~grazing_models.rotation.RotationParams`,
   the solver options and the species table) in the plan's ``params``.
3. :func:`approve_plan` records who approved a draft and when.
4. :func:`plan_frames`, :func:`list_plans` and :func:`export_plan` read plans
   back and write them as CSV, XLSX or GeoJSON.

Forage (DESIGN.md, NDVI and forage)::

    ndvi[p, week]      = NDVI of plot p interpolated in time to the middle of the week
    biomass[p, week]   = model[pasture type of p](ndvi), kg DM/ha, clipped to [0, max]
    green_kg           = biomass × area_ha
    available_kg[week] = max(green_kg[week], (1 - cured_loss) × available_kg[week - 1])
                         (ungrazed standing forage: green, or cured and left standing)
    regrowth_kg        = regrowth_per_week × green_kg × period_days / 7

The planner applies the utilisation ("take half, leave half", DOMAIN.md) to
``available_kg`` itself. The default biomass models (:data:`DEMO_BIOMASS_MODELS`)
are *assumptions* sized for the generated demo district; a real district must
configure its own (DOMAIN.md, NDVI to biomass: no published equation for Kazakh
mountain pastures).
"""

from __future__ import annotations

import contextlib
import json
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd
import shapely
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from grazing_models.biomass import BiomassModel, Exponential, Linear, Power, Quadratic
from grazing_models.livestock import SpeciesTable, default_species_table
from grazing_models.rotation import (
    Herd,
    Period,
    Plan,
    Plot,
    RotationInputs,
    RotationParams,
    SolverName,
    Violation,
    candidate_pairs,
    plan_rotation,
    validate_plan,
)
from grazing_models.seasons import SEASON_WINDOWS, SeasonWindow

from .errors import AlreadyExists, InvalidInput, NotFound, PastureError
from .model import SEASONS, SPECIES, parse_seasons
from .model import table as table_named
from .store.base import Store

__all__ = [
    "DEFAULT_MIGRATION_KM",
    "DEMO_BIOMASS_MODELS",
    "DEMO_USER",
    "EXPORT_FORMATS",
    "MAX_MILP_PAIRS",
    "PLAN_STATES",
    "ExportFormat",
    "PlanFrames",
    "PlanRejected",
    "PlanningParams",
    "approve_plan",
    "create_plan",
    "export_plan",
    "grazing_weeks",
    "latest_full_season",
    "list_plans",
    "plan_frames",
    "rotation_inputs",
    "run_demo_plan",
]

Progress = Callable[[str], None]
_M = TypeVar("_M", bound=BaseModel)
ExportFormat = Literal["csv", "xlsx", "geojson"]
#: Formats :func:`export_plan` writes.
EXPORT_FORMATS: tuple[str, ...] = ("csv", "xlsx", "geojson")
#: Life cycle of a plan (``plans.state``).
PLAN_STATES: tuple[str, ...] = ("solving", "draft", "approved", "failed")
#: Name recorded as the creator of the demo plan.
DEMO_USER = "demo"
#: ``solver="milp"`` is refused above this many herd x plot x period pairs. Measured on
#: the demo district (2024 season, 129 herds, 2,741 plots, 29 weeks): at 114k pairs
#: the model (2.5 M nonzeros, 2.3 GB) builds in 1 s and HiGHS stays at the warm
#: start for 60 s; at 3.2 M pairs its move constraints alone would need ~4e8
#: nonzeros (over 10 GB) and the build runs out of memory.
MAX_MILP_PAIRS = 200_000

# NDVI of bare soil and dormant pasture: biomass is zero at and below it. An
# *assumption*, matching the demo's winter NDVI (0.08-0.10) and the usual
# bare-soil NDVI of ~0.1.
_BARE_NDVI = 0.1


def _demo_linear(kg_ha: float, at_ndvi: float, *, source: str) -> Linear:
    """A linear model through (bare soil NDVI, 0) and (``at_ndvi``, ``kg_ha``), capped at 1.5×."""
    a = round(kg_ha / (at_ndvi - _BARE_NDVI), -1)
    return Linear(a=a, b=-a * _BARE_NDVI, max_kg_ha=round(1.5 * kg_ha, -1), source=source)


#: Default NDVI → biomass models (kg DM/ha) per pasture type of the demo district.
#: Linear ``a·ndvi + b``, zero at NDVI 0.1 (bare soil, *assumption*), passing
#: through a reference magnitude at the median peak NDVI of that type in the
#: demo's generated NDVI, and capped at 1.5 times that magnitude. The magnitudes
#: come from DOMAIN.md (2024): semi-desert peak 1,370 kg DM/ha (Dzhanybek);
#: high-mountain summer pasture 400-500 kg/ha (450 used); foothill and mountain
#: meadow steppe 875 kg DM/ha, the horse-norm check (3.5 t/ha fresh July yield
#: at 25% dry matter). They are *assumptions* for the generated demo, not a
#: calibration: configure :attr:`PlanningParams.biomass_models` per district.
DEMO_BIOMASS_MODELS: Mapping[str, Linear] = {
    "semi_desert": _demo_linear(
        1370.0,
        0.40,
        source="demo assumption: 1,370 kg DM/ha at NDVI 0.40 (Dzhanybek semi-desert peak, DOMAIN.md 2024)",
    ),
    "foothill_steppe": _demo_linear(
        875.0,
        0.52,
        source="demo assumption: 875 kg DM/ha at NDVI 0.52 (horse-norm check 3.5 t/ha fresh x 0.25, DOMAIN.md 2024)",
    ),
    "mountain_meadow_steppe": _demo_linear(
        875.0,
        0.62,
        source="demo assumption: 875 kg DM/ha at NDVI 0.62 (horse-norm check 3.5 t/ha fresh x 0.25, DOMAIN.md 2024)",
    ),
    "alpine_meadow": _demo_linear(
        450.0,
        0.62,
        source="demo assumption: 450 kg DM/ha at NDVI 0.62 (high-mountain summer 4-5 c/ha, DOMAIN.md 2024)",
    ),
}


def _default_models() -> dict[str, Linear | Exponential | Power | Quadratic]:
    return dict(DEMO_BIOMASS_MODELS)


def _default_windows() -> dict[str, tuple[tuple[int, int], tuple[int, int]]]:
    return {name: (w.start, w.end) for name, w in SEASON_WINDOWS.items()}


class PlanningParams(BaseModel):
    """How the store's data become planner inputs; stored with every plan.

    Attributes
    ----------
    seasons
        Seasons of the grazing year the plan covers: spring, summer and autumn.
        Winter pasture is not grazed in a growing-season plan (its forage is
        dormant standing crop that NDVI does not measure; see
        ``grazing_models.capacity.DEFAULT_NDVI_SEASONS``).
    windows
        Season windows as ``{season: ((month, day), (month, day))}``; default
        ``grazing_models.seasons.SEASON_WINDOWS`` (DOMAIN.md, Seasons; day
        bounds assumed). Where two windows overlap (September: summer and
        autumn) a week takes the season that began last (autumn: herds come
        down), like ``grazing_models.instances.season_of``.
    biomass_models
        NDVI → biomass model (kg DM/ha) per pasture type; default
        :data:`DEMO_BIOMASS_MODELS` (assumptions for the demo district).
    default_biomass_model
        Model for pasture types without their own; ``None``: such plots are an
        error that names them.
    ndvi_year
        Year whose NDVI gives the forage; default the season year itself. Plan
        the coming season from last year's NDVI by setting it.
    min_valid_fraction
        NDVI composites whose valid fraction is below this are ignored
        (DOMAIN.md, Satellite NDVI: every value comes with its valid fraction).
        Default 0.0, as ``grazing_models.capacity.plot_capacity``.
    max_ndvi_gap_days
        A week farther than this from any valid composite of its plot has no
        NDVI estimate; its forage is 0 and the plot is counted in the plan's
        summary. Default 40 days: two 16-day MODIS composites and a week.
    regrowth_per_week
        Regrowth per week as a share of the week's green biomass (from NDVI),
        repaying earlier grazing. Default 0.10, an *assumption* read from the
        rest periods of DOMAIN.md (Seasons: 20-60 days of rest let a sward
        recover a 50% take, i.e. roughly 10% of the stand per week).
    cured_loss_per_week
        NDVI sees green biomass only; after the peak the forage cures and stays
        standing (DOMAIN.md: winter pasture is grazed as dormant standing crop).
        The standing forage of a week is the larger of its green biomass and the
        previous week's standing forage less this share (weathering and
        trampling). Default 0.05, an *assumption*; 1.0 uses green biomass only.
    degradation_scores
        Degradation score in [0, 1] per ``trends.status``; default degrading 1,
        everything else 0. Plots without a trend score 0.
    livestock_factor
        Scenario factor on every herd's head counts: 0.8 is 20% destocking.
    species_overrides
        Changes to the species table, e.g. ``{"camels": {"sheep_units": 6}}``
        (``grazing_models.livestock.SpeciesTable.with_overrides``).
    unions
        Plan only these unions' herds (``None``: all); their plots and public
        pasture are used.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seasons: tuple[str, ...] = ("spring", "summer", "autumn")
    windows: dict[str, tuple[tuple[int, int], tuple[int, int]]] = Field(
        default_factory=_default_windows
    )
    biomass_models: dict[str, BiomassModel] = Field(default_factory=_default_models)
    default_biomass_model: BiomassModel | None = None
    ndvi_year: int | None = None
    min_valid_fraction: float = Field(default=0.0, ge=0.0, le=1.0)
    max_ndvi_gap_days: float = Field(default=40.0, gt=0.0)
    regrowth_per_week: float = Field(default=0.10, ge=0.0, le=1.0)
    cured_loss_per_week: float = Field(default=0.05, ge=0.0, le=1.0)
    degradation_scores: dict[str, float] = Field(
        default_factory=lambda: {"degrading": 1.0, "stable": 0.0, "improving": 0.0, "unknown": 0.0}
    )
    livestock_factor: float = Field(default=1.0, gt=0.0)
    species_overrides: dict[str, dict[str, float]] = Field(default_factory=dict)
    unions: tuple[str, ...] | None = None

    @field_validator("seasons")
    @classmethod
    def _known_seasons(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("seasons must not be empty")
        bad = [s for s in value if s not in SEASONS]
        if bad:
            raise ValueError(f"unknown season(s) {bad}; use {', '.join(SEASONS)}")
        return value

    @field_validator("degradation_scores")
    @classmethod
    def _scores_in_range(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not 0.0 <= v <= 1.0}
        if bad:
            raise ValueError(f"degradation scores must lie in [0, 1]: {bad}")
        return value

    @model_validator(mode="after")
    def _windows_for_seasons(self) -> PlanningParams:
        missing = [s for s in self.seasons if s not in self.windows]
        if missing:
            raise ValueError(f"no window for season(s) {missing}")
        for name, (start, end) in self.windows.items():
            SeasonWindow(name, tuple(start), tuple(end))  # type: ignore[arg-type]
        return self

    def season_windows(self) -> dict[str, SeasonWindow]:
        """The windows as ``grazing_models.seasons.SeasonWindow`` objects."""
        return {
            name: SeasonWindow(name, tuple(start), tuple(end))  # type: ignore[arg-type]
            for name, (start, end) in self.windows.items()
        }

    def species_table(self) -> SpeciesTable:
        """The species table with :attr:`species_overrides` applied."""
        table = default_species_table()
        return table.with_overrides(self.species_overrides) if self.species_overrides else table


class PlanRejected(PastureError):
    """The solver returned a plan that breaks a rule; nothing was stored.

    This is a bug in the planner, not in the input: the message lists the
    violations so that it can be reported.
    """

    max_listed = 20

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        listed = "\n".join(
            f"  - {v.rule}: {v.message}"
            + "".join(
                f" ({k} {val})"
                for k, val in (("herd", v.herd_id), ("plot", v.plot_id), ("period", v.period))
                if val is not None
            )
            for v in self.violations[: self.max_listed]
        )
        more = len(self.violations) - self.max_listed
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(
            f"the planner's plan breaks {len(self.violations)} rule(s); it was not stored "
            f"(a planner bug: please report it)\n{listed}{tail}"
        )


@dataclass(frozen=True)
class PlanFrames:
    """A stored plan: its ``plans`` row and its ``assignments`` and ``deficits`` rows."""

    plan: dict[str, Any]
    assignments: pd.DataFrame
    deficits: pd.DataFrame


# --------------------------------------------------------------------------- periods


def grazing_weeks(
    season_year: int,
    *,
    windows: Mapping[str, SeasonWindow] | None = None,
    seasons: Sequence[str] = ("spring", "summer", "autumn"),
    period_days: int = 7,
) -> tuple[Period, ...]:
    """Whole periods from the start of the first season window to the end of the last.

    Parameters
    ----------
    season_year
        Year of the grazing season.
    windows
        Season windows; default ``grazing_models.seasons.SEASON_WINDOWS``
        (DOMAIN.md, Seasons).
    seasons
        Seasons covered.
    period_days
        Length of a period (7: weeks).

    Returns
    -------
    tuple of Period
        Each labelled with the season whose window holds the period's middle day;
        where windows overlap, the season that began last. A last partial period
        is dropped.

    Raises
    ------
    InvalidInput
        When the windows leave a gap between the first and the last season.
    """
    wins = dict(windows or SEASON_WINDOWS)
    bounds = {s: wins[s].bounds(season_year) for s in seasons}
    first = min(b[0] for b in bounds.values())
    last = max(b[1] for b in bounds.values())
    n = ((last - first).days + 1) // period_days
    out: list[Period] = []
    gaps: list[str] = []
    for k in range(n):
        start = first + pd.Timedelta(days=k * period_days)
        mid = start + pd.Timedelta(days=period_days // 2)
        inside = [s for s in seasons if bounds[s][0] <= mid <= bounds[s][1]]
        if not inside:
            gaps.append(f"no season window holds {mid.date().isoformat()}")
            continue
        label = max(inside, key=lambda s: bounds[s][0])
        out.append(Period(start=start.date(), season=label))
    if gaps:
        raise InvalidInput("season windows", gaps)
    return tuple(out)


# --------------------------------------------------------------------------- inputs


# A row limit above any layer's size: see _read_layer.
_ALL_ROWS = 2**62


def _read_layer(store: Store, layer: str) -> pd.DataFrame:
    """A whole layer, read through the store's own connection.

    ``GeoPackageStore.read`` hands whole-layer reads to GDAL; after GDAL has
    opened and closed the file in this process, a later write through the
    store's SQLite connection is lost as soon as another connection opens the
    file (disk I/O error; the write-ahead log is gone). A limit keeps the read
    on the store's connection, so a plan written afterwards survives.
    """
    return store.read(layer, limit=_ALL_ROWS)


def _local_crs(plots: pd.DataFrame) -> str:
    """A Lambert azimuthal equal-area frame centred on the plots (metres)."""
    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(plots.geometry, dtype=object))
    return (
        f"+proj=laea +lat_0={(miny + maxy) / 2:.4f} +lon_0={(minx + maxx) / 2:.4f} "
        "+datum=WGS84 +units=m +no_defs"
    )


def _ndvi_for_year(
    store: Store, year: int, first: pd.Timestamp, last: pd.Timestamp, margin_days: float
) -> pd.DataFrame:
    """``ndvi_stats`` rows from ``first - margin`` to ``last + margin``."""
    lo = first - pd.Timedelta(days=margin_days)
    hi = last + pd.Timedelta(days=margin_days)
    scenes = store.read_rows("scenes")
    if len(scenes):
        # the catalogue's dates select the rows: no need to read other years
        dates = pd.to_datetime(scenes["date"]).drop_duplicates().sort_values()
        wanted = [d for d in dates if lo <= d <= hi]
        rows = store.read_rows("ndvi_stats", where={"time": wanted}) if wanted else None
        all_times = dates
    else:
        # NDVI statistics imported without a catalogue
        rows = store.read_rows("ndvi_stats")
        all_times = pd.to_datetime(rows["time"])
    if rows is not None and len(rows):
        times = pd.to_datetime(rows["time"])
        rows = rows[(times >= lo) & (times <= hi)]
    if rows is None or rows.empty:
        years = sorted({int(y) for y in pd.DatetimeIndex(all_times).year})
        have = f"years with NDVI: {years[0]}-{years[-1]}" if years else "ndvi_stats is empty"
        raise NotFound(
            f"no NDVI in ndvi_stats for {year} ({lo.date()} to {hi.date()}); {have}. "
            "Compute it with `pasture ndvi zonal`, or plan from another year's NDVI "
            "(PlanningParams(ndvi_year=...))"
        )
    return rows


def _weekly_ndvi(
    ndvi: pd.DataFrame,
    plot_ids: Sequence[str],
    mids: pd.DatetimeIndex,
    *,
    min_valid_fraction: float,
    max_gap_days: float,
) -> np.ndarray:
    """NDVI per plot and period middle, linear in time between valid composites; NaN far from any."""
    vals = pd.to_numeric(ndvi["mean"], errors="coerce").astype(float)
    ok = vals.notna() & (ndvi["valid_fraction"].astype(float) > 0)
    if min_valid_fraction > 0:
        ok &= ndvi["valid_fraction"].astype(float) >= min_valid_fraction
    good = pd.DataFrame(
        {
            "plot_id": ndvi["plot_id"].to_numpy()[ok.to_numpy()],
            "day": pd.to_datetime(ndvi["time"]).to_numpy()[ok.to_numpy()],
            "v": vals.to_numpy()[ok.to_numpy()],
        }
    )
    epoch = np.datetime64("1970-01-01", "D")
    x_mid = (mids.to_numpy().astype("datetime64[D]") - epoch).astype(float)
    out = np.full((len(plot_ids), len(mids)), np.nan)
    row = {pid: i for i, pid in enumerate(plot_ids)}
    for pid, grp in good.groupby("plot_id", sort=False):
        i = row.get(str(pid))
        if i is None:
            continue
        grp = grp.sort_values("day")
        x = (grp["day"].to_numpy().astype("datetime64[D]") - epoch).astype(float)
        v = grp["v"].to_numpy()
        est = np.interp(x_mid, x, v)
        # distance from each period middle to the nearest valid composite
        pos = np.searchsorted(x, x_mid)
        left = np.abs(x_mid - x[np.clip(pos - 1, 0, x.size - 1)])
        right = np.abs(x[np.clip(pos, 0, x.size - 1)] - x_mid)
        est[np.minimum(left, right) > max_gap_days] = np.nan
        out[i] = est
    return out


def _plot_scores(
    store: Store, plot_ids: Sequence[str], *, year: int, scores: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Degradation score from ``trends`` and load ratio from ``load`` (zeros without rows)."""
    deg = np.zeros(len(plot_ids))
    load = np.zeros(len(plot_ids))
    info: dict[str, Any] = {"trends_rows": 0, "load_rows": 0, "load_year": None}
    index = {pid: i for i, pid in enumerate(plot_ids)}
    trends = store.read_rows("trends")
    if len(trends):
        info["trends_rows"] = len(trends)
        for pid, status in zip(trends["plot_id"], trends["status"], strict=True):
            i = index.get(pid)
            if i is not None:
                deg[i] = float(scores.get(str(status), 0.0))
    rows = store.read_rows("load", where={"level": "plot"})
    if len(rows):
        years = sorted(int(y) for y in rows["year"].dropna().unique() if int(y) <= year)
        if years:
            use = rows[rows["year"] == years[-1]]
            ratio = (
                pd.to_numeric(use["stocking_ratio_central"], errors="coerce")
                .fillna(0.0)
                .clip(lower=0.0)
                .groupby(use["group_id"])
                .max()
            )
            for pid, r in ratio.items():
                i = index.get(str(pid))
                if i is not None and np.isfinite(r):
                    load[i] = float(r)
            info["load_rows"] = len(use)
            info["load_year"] = years[-1]
    return deg, load, info


def _standing_crop(green: np.ndarray, *, keep: float) -> np.ndarray:
    """Green biomass plus cured forage carried forward: ``s[t] = max(g[t], keep × s[t-1])``."""
    out = green.copy()
    for t in range(1, out.shape[1]):
        np.maximum(out[:, t], keep * out[:, t - 1], out=out[:, t])
    return out


@dataclass(frozen=True)
class _Built:
    inputs: RotationInputs
    info: dict[str, Any]


def _build_inputs(
    store: Store,
    *,
    season_year: int,
    planning: PlanningParams,
    period_days: int,
) -> _Built:
    windows = planning.season_windows()
    periods = grazing_weeks(
        season_year, windows=windows, seasons=planning.seasons, period_days=period_days
    )
    if not periods:
        raise InvalidInput("season windows", ["the windows hold no whole period"])
    ndvi_year = planning.ndvi_year or season_year
    # the middle of each period, moved into the NDVI year
    mids = pd.DatetimeIndex(
        [
            pd.Timestamp(p.start).replace(year=p.start.year + ndvi_year - season_year)
            + pd.Timedelta(days=period_days / 2)
            for p in periods
        ]
    )

    plots = _read_layer(store, "plots")
    wanted = set(planning.seasons)
    usable = [bool(set(parse_seasons(s)) & wanted) for s in plots["seasons"]]
    plots = plots[np.asarray(usable, dtype=bool)].reset_index(drop=True)
    if plots.empty:
        raise NotFound(f"no plots for the seasons {', '.join(planning.seasons)} in the store")
    water = _read_layer(store, "water_points")
    if water.empty:
        raise InvalidInput(
            "water points",
            ["the store has no water points: import them (`pasture import water-points`)"],
        )
    herds = _read_layer(store, "herds")
    if planning.unions is not None:
        unknown = sorted(set(planning.unions) - set(herds["union_id"]))
        if unknown:
            raise NotFound(f"no herds of union(s) {unknown} in the store")
        herds = herds[herds["union_id"].isin(planning.unions)].reset_index(drop=True)
    if herds.empty:
        raise NotFound("no herds in the store: import them (`pasture import herds`)")

    # forage per plot and week
    types = plots["pasture_type"].astype(str).to_numpy()
    no_model = sorted(
        set(types) - set(planning.biomass_models)
        if planning.default_biomass_model is None
        else set()
    )
    if no_model:
        raise InvalidInput(
            "biomass models",
            [
                f"no biomass model for pasture type {t!r}; add it to "
                f"PlanningParams.biomass_models or set default_biomass_model "
                f"(models exist for: {', '.join(sorted(planning.biomass_models))})"
                for t in no_model
            ],
        )
    ndvi = _ndvi_for_year(
        store, ndvi_year, mids.min(), mids.max(), margin_days=planning.max_ndvi_gap_days
    )
    plot_ids = [str(i) for i in plots["id"]]
    weekly = _weekly_ndvi(
        ndvi,
        plot_ids,
        mids,
        min_valid_fraction=planning.min_valid_fraction,
        max_gap_days=planning.max_ndvi_gap_days,
    )
    biomass = np.zeros_like(weekly)
    for t in np.unique(types):
        model = planning.biomass_models.get(str(t), planning.default_biomass_model)
        assert model is not None
        rows = types == t
        biomass[rows] = np.asarray(model(weekly[rows]), dtype=float)
    missing = ~np.isfinite(biomass)
    biomass[missing] = 0.0
    area = plots["area_ha"].astype(float).to_numpy()
    green = biomass * area[:, None]
    available = _standing_crop(
        green, keep=(1.0 - planning.cured_loss_per_week) ** (period_days / 7.0)
    )
    regrowth = planning.regrowth_per_week * green * period_days / 7.0

    # geometry in a local equal-area frame, km
    crs = _local_crs(plots)
    local = plots.to_crs(crs)
    cent = local.geometry.centroid
    water_local = np.asarray(water.to_crs(crs).geometry, dtype=object)
    tree = shapely.STRtree(water_local)
    idx, dist = tree.query_nearest(
        np.asarray(local.geometry, dtype=object), return_distance=True, all_matches=False
    )
    water_km = np.full(len(plots), np.inf)
    np.minimum.at(water_km, idx[0], dist / 1000.0)

    deg, load, score_info = _plot_scores(
        store, plot_ids, year=season_year, scores=planning.degradation_scores
    )
    plot_list = tuple(
        Plot(
            id=pid,
            seasons=frozenset(parse_seasons(s)) & wanted,
            union_id=None if u is None or (isinstance(u, float) and math.isnan(u)) else str(u),
            area_ha=float(a),
            water_km=float(w),
            x_km=float(x) / 1000.0,
            y_km=float(y) / 1000.0,
            degradation=float(d),
            load_ratio=float(r),
        )
        for pid, s, u, a, w, x, y, d, r in zip(
            plot_ids,
            plots["seasons"],
            plots["union_id"],
            area,
            water_km,
            cent.x,
            cent.y,
            deg,
            load,
            strict=True,
        )
    )

    # herds: sheep units and demand from their composition (species table)
    table = planning.species_table()
    counts = herds[list(SPECIES)].astype(float).fillna(0.0) * planning.livestock_factor
    su = counts.to_numpy() @ table.sheep_units.reindex(list(SPECIES)).to_numpy()
    labels = [p.season for p in periods]
    # mean daily demand over the plan's periods: horses eat more in summer (DOMAIN.md)
    intake = np.mean([table.intake(s).reindex(list(SPECIES)).to_numpy() for s in labels], axis=0)
    demand = counts.to_numpy() @ intake
    homes = herds.to_crs(crs).geometry
    union_points = {}
    herd_list: list[Herd] = []
    skipped: list[str] = []
    for k, hid in enumerate(herds["id"]):
        if not (su[k] > 0 and demand[k] > 0):
            skipped.append(str(hid))
            continue
        home = homes.iat[k]
        if home is None or home.is_empty:
            union = str(herds["union_id"].iat[k])
            if union not in union_points:
                u_plots = local[plots["union_id"] == union]
                geom = (u_plots if len(u_plots) else local).geometry.union_all()
                union_points[union] = geom.representative_point()
            home = union_points[union]
        herd_list.append(
            Herd(
                id=str(hid),
                union_id=str(herds["union_id"].iat[k]),
                sheep_units=float(su[k]),
                demand_kg_day=float(demand[k]),
                home_x_km=float(home.x) / 1000.0,
                home_y_km=float(home.y) / 1000.0,
            )
        )
    if not herd_list:
        raise InvalidInput("herds", ["every herd has zero livestock; nothing to plan"])
    inputs = RotationInputs(plot_list, tuple(herd_list), periods, available, regrowth)
    no_ndvi = int((~np.isfinite(weekly)).all(axis=1).sum())
    info = {
        "season_year": season_year,
        "ndvi_year": ndvi_year,
        "local_crs": crs,
        "n_plots": inputs.n_plots,
        "n_herds": inputs.n_herds,
        "n_periods": inputs.n_periods,
        "first_start": periods[0].start.isoformat(),
        "last_end": (periods[-1].start + timedelta(days=period_days - 1)).isoformat(),
        "weeks_per_season": {s: labels.count(s) for s in planning.seasons},
        "plots_without_ndvi": no_ndvi,
        "plot_weeks_without_ndvi": int((~np.isfinite(weekly)).sum()),
        "herds_skipped_no_livestock": skipped,
        "sheep_units": float(sum(h.sheep_units for h in herd_list)),
        "ungrazed_forage_peak_kg": float(available.max(axis=1).sum()) if available.size else 0.0,
        **score_info,
    }
    return _Built(inputs, info)


def rotation_inputs(
    store: Store,
    *,
    season_year: int,
    planning: PlanningParams | None = None,
    period_days: int = 7,
) -> RotationInputs:
    """Build the rotation planner's inputs for one grazing year from the store.

    Parameters
    ----------
    store
        An open store with plots, water points, herds and ``ndvi_stats``.
    season_year
        Year of the grazing season (spring through autumn).
    planning
        How data become inputs (biomass models, windows, regrowth, scenario
        factors); defaults documented on :class:`PlanningParams`.
    period_days
        Length of a period, days; must equal ``RotationParams.period_days`` of
        the plan (7: weeks).

    Returns
    -------
    RotationInputs
        Plots open in the plan's seasons, with their allowed seasons, union (or
        ``None``: public), area, distance from the plot to the nearest water
        point and centroid (km, in a Lambert azimuthal equal-area frame centred
        on the district), degradation score (``trends.status`` through
        :attr:`PlanningParams.degradation_scores`) and load ratio (the highest
        ``stocking_ratio_central`` of the plot's ``load`` rows at level
        ``plot`` in the season year, or the latest earlier year with rows;
        both 0 when the tables are empty); herds with sheep units and daily demand from their
        composition (species table); weekly periods labelled by season; the
        ungrazed standing forage per plot and period (kg DM) and its regrowth.

    Raises
    ------
    NotFound
        When there is no NDVI for the year, or no plots or herds.
    InvalidInput
        When a pasture type has no biomass model, or there are no water points.
    """
    return _build_inputs(
        store,
        season_year=season_year,
        planning=planning or PlanningParams(),
        period_days=period_days,
    ).inputs


# --------------------------------------------------------------------------- rows


def _allowance(plan: Plan, inputs: RotationInputs) -> np.ndarray:
    """``max(0, utilisation × available − depletion)`` per plot and period under the plan."""
    u = plan.params.utilisation
    eaten = np.zeros((inputs.n_plots, inputs.n_periods))
    for a in plan.assignments:
        if a.plot_id is not None:
            eaten[inputs.plot_index[a.plot_id], a.period] += a.eaten_kg
    allowed = np.zeros_like(eaten)
    depletion = np.zeros(inputs.n_plots)
    for t in range(inputs.n_periods):
        allowed[:, t] = np.maximum(0.0, u * inputs.available_kg[:, t] - depletion)
        depletion = np.maximum(0.0, depletion + eaten[:, t] - inputs.regrowth_kg[:, t])
    return allowed


def _plan_rows(
    plan_id: str, plan: Plan, inputs: RotationInputs
) -> tuple[pd.DataFrame, pd.DataFrame]:
    days = plan.params.period_days
    allowed = _allowance(plan, inputs)
    herds = {h.id: h for h in inputs.herds}
    recs = []
    for a in plan.assignments:
        herd = herds[a.herd_id]
        start = inputs.periods[a.period].start
        recs.append(
            {
                "plan_id": plan_id,
                "herd_id": a.herd_id,
                "union_id": herd.union_id,
                "period": a.period,
                "start": start,
                "end": start + timedelta(days=days - 1),
                "plot_id": a.plot_id,
                "sheep_units": herd.sheep_units,
                "demand_kg": a.demand_kg,
                "eaten_kg": a.eaten_kg,
                "available_kg": (
                    None
                    if a.plot_id is None
                    else float(allowed[inputs.plot_index[a.plot_id], a.period])
                ),
            }
        )
    assignments = pd.DataFrame(recs)
    deficits = pd.DataFrame(
        [
            {
                "plan_id": plan_id,
                "union_id": d.union_id,
                "period": d.period,
                "start": inputs.periods[d.period].start,
                "deficit_kg": d.deficit_kg,
                "sheep_units_to_move": d.sheep_units_to_move,
                "feed_kg_dm": d.feed_kg_dm,
            }
            for d in plan.deficits
        ],
        columns=[
            "plan_id",
            "union_id",
            "period",
            "start",
            "deficit_kg",
            "sheep_units_to_move",
            "feed_kg_dm",
        ],
    )
    return assignments, deficits


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _jsonable(doc: Any) -> Any:
    """A JSON-safe copy: non-finite floats become None, tuples lists."""
    return json.loads(
        json.dumps(doc, default=lambda o: o.isoformat() if hasattr(o, "isoformat") else str(o)),
        parse_constant=lambda _c: None,
    )


def _summary(plan: Plan, assignments: pd.DataFrame, info: Mapping[str, Any]) -> dict[str, Any]:
    unplaced = assignments["plot_id"].isna()
    deficits = plan.deficits_frame()
    by_union = (
        deficits.groupby("union_id")[["deficit_kg", "sheep_units_to_move"]]
        .agg({"deficit_kg": "sum", "sheep_units_to_move": "max"})
        .to_dict("index")
        if len(deficits)
        else {}
    )
    return {
        **dict(info),
        "solver": plan.solver,
        "status": plan.status,
        "objective_terms": dict(plan.objective_terms),
        "timings": dict(plan.timings),
        "stats": dict(plan.stats),
        "demand_kg": float(assignments["demand_kg"].sum()),
        "eaten_kg": float(assignments["eaten_kg"].sum()),
        "unplaced_demand_kg": float(assignments.loc[unplaced, "demand_kg"].sum()),
        "unplaced_herd_periods": int(unplaced.sum()),
        "deficit_kg": float(deficits["deficit_kg"].sum()) if len(deficits) else 0.0,
        "feed_kg_dm": float(deficits["feed_kg_dm"].sum()) if len(deficits) else 0.0,
        "deficit_periods": int(deficits["period"].nunique()) if len(deficits) else 0,
        "deficit_by_union": {
            str(u): {
                "deficit_kg": v["deficit_kg"],
                "max_sheep_units_to_move": v["sheep_units_to_move"],
            }
            for u, v in by_union.items()
        },
        "plots_used": int(assignments["plot_id"].dropna().nunique()),
    }


# --------------------------------------------------------------------------- plans


#: Longest move into the first week of a new season, km: herds migrate along the
#: transhumance routes then and reach the Asy plateau in May (DOMAIN.md, Seasons).
#: An assumption: the demo's foothill pastures lie 20-100 km from the jailau.
DEFAULT_MIGRATION_KM = 100.0


def _validated(kind: type[_M], value: _M | Mapping[str, Any] | None, name: str) -> _M:
    """A parameter object from itself, a mapping of its fields, or its defaults."""
    if value is None:
        return kind()
    if isinstance(value, kind):
        return value
    try:
        return kind.model_validate(dict(value))
    except ValidationError as exc:
        raise InvalidInput(
            name,
            [
                f"{'.'.join(str(p) for p in e['loc']) or name}: {e['msg']}"
                for e in exc.errors(include_url=False)
            ],
        ) from None


def _new_plan_id(season_year: int) -> str:
    return f"plan-{season_year}-{uuid.uuid4().hex[:8]}"


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def create_plan(
    store: Store,
    *,
    season_year: int,
    user: str,
    solver: SolverName = "auto",
    params: RotationParams | Mapping[str, Any] | None = None,
    planning: PlanningParams | Mapping[str, Any] | None = None,
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-4,
    seed: int = 0,
    lower_bound: bool = True,
    max_milp_pairs: int = MAX_MILP_PAIRS,
    plan_id: str | None = None,
    progress: Progress | None = None,
) -> str:
    """Plan a grazing season, check the plan and store it as a draft.

    Parameters
    ----------
    store
        An open store (see :func:`rotation_inputs` for what it must hold).
    season_year
        Year of the grazing season.
    user
        Recorded as the plan's creator.
    solver
        ``"milp"``, ``"heuristic"`` or ``"auto"`` (the MILP up to
        ``grazing_models.rotation.AUTO_MILP_MAX_PAIRS`` herd x plot x period
        pairs, the heuristic above).
    params
        Planner parameters (utilisation, rest, distances, weights); defaults
        from DOMAIN.md, see :class:`~grazing_models.rotation.RotationParams`.
        A mapping of its fields is validated into one (e.g. a request body).
    planning
        How data become inputs, see :class:`PlanningParams` (or a mapping of
        its fields).
    time_limit
        Seconds for the MILP, or for the whole heuristic plan and its bound.
    mip_rel_gap
        Relative gap at which the MILP stops.
    seed
        Seed of the heuristic's restarts (plans are reproducible when the time limit
        lets the same restarts run).
    lower_bound
        Whether the heuristic also proves a lower bound, alongside its passes (an LP of
        forage over the season and each herd planned alone at its prices of forage; see
        :mod:`grazing_models.rotation`). Without it the plan has no bound and no gap, and
        the heuristic plans without prices of forage.
    max_milp_pairs
        ``solver="milp"`` is refused above this many candidate pairs
        (:data:`MAX_MILP_PAIRS`): the model would not fit in memory.
    plan_id
        Id of the new plan; default ``plan-<season_year>-<8 hex digits>``. A
        caller that registered the plan in state ``solving`` beforehand (the
        API's background jobs) passes its id; any other stored plan with this
        id is refused.
    progress
        Called with a short message at each step.

    Returns
    -------
    str
        The new plan's id.

    Raises
    ------
    NotFound, InvalidInput
        From :func:`rotation_inputs`; InvalidInput also for invalid parameters
        and when ``solver="milp"`` is asked for an instance above ``max_milp_pairs``.
    AlreadyExists
        When ``plan_id`` names a stored plan that is not ``solving``.
    PlanRejected
        When the plan breaks a rule (``grazing_models.validate.validate_plan``);
        the plan row is kept with state ``failed`` and the violations in its summary.
    """
    say = progress or (lambda _msg: None)
    if params is None or isinstance(params, Mapping):
        params = {"max_migration_km": DEFAULT_MIGRATION_KM, **(params or {})}
    params = _validated(RotationParams, params, "params")
    planning = _validated(PlanningParams, planning, "planning")
    if plan_id is not None:
        existing = store.read_rows("plans", where={"id": plan_id})
        if len(existing) and existing["state"].iat[0] != "solving":
            raise AlreadyExists(
                f"a plan with id {plan_id!r} is stored already ({existing['state'].iat[0]})"
            )
    say("reading plots, herds and NDVI")
    built = _build_inputs(
        store, season_year=season_year, planning=planning, period_days=params.period_days
    )
    inputs = built.inputs
    if solver == "milp":
        n_pairs = candidate_pairs(inputs, params)[0].size
        if n_pairs > max_milp_pairs:
            raise InvalidInput(
                "solver",
                [
                    f"the exact MILP would have {n_pairs:,} herd x plot x week pairs, more than "
                    f"{max_milp_pairs:,} it can build and solve; use solver='heuristic' or "
                    "'auto', or prune the instance (RotationParams.max_home_km, "
                    "PlanningParams.unions or seasons)"
                ],
            )
    plan_id = plan_id or _new_plan_id(season_year)
    created = _now()
    doc_params = _jsonable(
        {
            "rotation": params.model_dump(mode="json"),
            "planning": planning.model_dump(mode="json"),
            "solver": {
                "requested": solver,
                "time_limit": time_limit,
                "mip_rel_gap": mip_rel_gap,
                "seed": seed,
                "lower_bound": lower_bound,
                "max_milp_pairs": max_milp_pairs,
            },
            "species_table": planning.species_table().to_frame().to_dict("records"),
        }
    )
    base_row: dict[str, Any] = {
        "id": plan_id,
        "season_year": season_year,
        "state": "solving",
        "params": doc_params,
        "summary": _jsonable(built.info),
        "created_at": created,
        "created_by": user,
    }
    store.replace_rows("plans", pd.DataFrame([base_row]), where={"id": plan_id})
    try:
        say(
            f"planning {inputs.n_herds} herds on {inputs.n_plots} plots "
            f"over {inputs.n_periods} weeks ({solver})"
        )
        plan = plan_rotation(
            inputs,
            params,
            solver=solver,
            time_limit=time_limit,
            mip_rel_gap=mip_rel_gap,
            seed=seed,
            bound=lower_bound,
        )
        say("checking the plan")
        violations = validate_plan(plan, inputs)
        if violations:
            raise PlanRejected(violations)
        assignments, deficits = _plan_rows(plan_id, plan, inputs)
        summary = _summary(plan, assignments, built.info)
        say("storing the plan")
        store.replace_rows("assignments", assignments, where={"plan_id": plan_id})
        store.replace_rows("deficits", deficits, where={"plan_id": plan_id})
        row = {
            **base_row,
            "state": "draft",
            "solver": plan.solver,
            "solver_status": plan.status,
            "objective": _finite(plan.objective),
            "bound": _finite(plan.bound),
            "gap": _finite(plan.gap),
            "summary": _jsonable(summary),
        }
        store.replace_rows("plans", pd.DataFrame([row]), where={"id": plan_id})
    except BaseException as exc:
        failed = {
            **base_row,
            "state": "failed",
            "summary": _jsonable({**built.info, "error": str(exc)[:4000]}),
        }
        # keep the original error if the store itself is what failed
        with contextlib.suppress(Exception):
            for name in ("assignments", "deficits"):
                empty = pd.DataFrame(columns=list(table_named(name).column_names))
                store.replace_rows(name, empty, where={"plan_id": plan_id})
            store.replace_rows("plans", pd.DataFrame([failed]), where={"id": plan_id})
        raise
    return plan_id


def _plan_row(store: Store, plan_id: str) -> dict[str, Any]:
    rows = store.read_rows("plans", where={"id": plan_id})
    if rows.empty:
        known = store.read_rows("plans")["id"].tolist()
        hint = f"; stored plans: {', '.join(known[-10:])}" if known else "; no plans are stored"
        raise NotFound(f"no plan with id {plan_id!r}{hint}")
    return {k: _py(v) for k, v in rows.iloc[0].to_dict().items()}


def _py(value: Any) -> Any:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def approve_plan(store: Store, plan_id: str, *, user: str) -> dict[str, Any]:
    """Approve a draft plan: state ``approved``, with who and when.

    Parameters
    ----------
    store
        An open store.
    plan_id
        Id of a plan in state ``draft``.
    user
        Recorded as the approver.

    Returns
    -------
    dict
        The updated ``plans`` row.

    Raises
    ------
    NotFound
        When there is no such plan.
    InvalidInput
        When the plan is not a draft (already approved, failed or still solving).
    """
    row = _plan_row(store, plan_id)
    if row["state"] != "draft":
        by = f" by {row['approved_by']}" if row.get("approved_by") else ""
        raise InvalidInput(
            f"plan {plan_id}",
            [f"only a draft plan can be approved; this plan is {row['state']}{by}"],
        )
    row.update(state="approved", approved_at=_now(), approved_by=user)
    store.replace_rows("plans", pd.DataFrame([row]), where={"id": plan_id})
    return row


def list_plans(
    store: Store, *, season_year: int | None = None, state: str | None = None
) -> pd.DataFrame:
    """The ``plans`` rows, newest first, optionally of one season year or state.

    Parameters
    ----------
    store
        An open store.
    season_year, state
        Optional filters.

    Returns
    -------
    pandas.DataFrame
        The columns of ``pasture.model.PLANS``.
    """
    if state is not None and state not in PLAN_STATES:
        raise InvalidInput("plans", [f"unknown state {state!r}; use {', '.join(PLAN_STATES)}"])
    where: dict[str, Any] = {}
    if season_year is not None:
        where["season_year"] = season_year
    if state is not None:
        where["state"] = state
    rows = store.read_rows("plans", where=where or None)
    return rows.sort_values("created_at", ascending=False, kind="stable").reset_index(drop=True)


def plan_frames(store: Store, plan_id: str) -> PlanFrames:
    """One stored plan: its row, assignments (with ``season`` and ``deficit_kg``) and deficits.

    Raises
    ------
    NotFound
        When there is no such plan.
    """
    row = _plan_row(store, plan_id)
    assignments = store.read_rows("assignments", where={"plan_id": plan_id})
    assignments = assignments.sort_values(["period", "union_id", "herd_id"]).reset_index(drop=True)
    assignments["deficit_kg"] = (assignments["demand_kg"] - assignments["eaten_kg"]).clip(lower=0.0)
    deficits = store.read_rows("deficits", where={"plan_id": plan_id})
    deficits = deficits.sort_values(["period", "union_id"]).reset_index(drop=True)
    return PlanFrames(row, assignments, deficits)


_EXPORT_COLUMNS = (
    "plan_id",
    "herd_id",
    "union_id",
    "plot_id",
    "period",
    "start",
    "end",
    "sheep_units",
    "demand_kg",
    "eaten_kg",
    "available_kg",
    "deficit_kg",
)


def export_plan(
    store: Store,
    plan_id: str,
    path: str | Path,
    *,
    format: ExportFormat | None = None,
) -> Path:
    """Write a plan to a file: CSV, XLSX or GeoJSON.

    Parameters
    ----------
    store
        An open store.
    plan_id
        The plan to export.
    path
        File to write (parent folders are created).
    format
        ``"csv"``: one row per herd and period (columns ``plan_id, herd_id,
        union_id, plot_id, period, start, end, sheep_units, demand_kg,
        eaten_kg, available_kg, deficit_kg``); ``"xlsx"``: sheets
        ``assignments``, ``deficits`` and ``plan`` (state, solver and
        parameters); ``"geojson"``: the placed assignments joined to their
        plot's geometry (EPSG:4326). Default from the file suffix.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    NotFound
        When there is no such plan.
    InvalidInput
        On an unknown format.
    """
    target = Path(path)
    fmt = (format or target.suffix.lstrip(".")).lower()
    if fmt == "json":
        fmt = "geojson"
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(
            str(target), [f"unknown export format {fmt!r}; use {', '.join(EXPORT_FORMATS)}"]
        )
    frames = plan_frames(store, plan_id)
    table = frames.assignments[list(_EXPORT_COLUMNS)].copy()
    for col in ("start", "end"):
        table[col] = pd.to_datetime(table[col]).dt.strftime("%Y-%m-%d")
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        table.to_csv(target, index=False)
    elif fmt == "xlsx":
        deficits = frames.deficits.copy()
        deficits["start"] = pd.to_datetime(deficits["start"]).dt.strftime("%Y-%m-%d")
        meta = pd.DataFrame(
            [
                {"key": k, "value": _cell(v)}
                for k, v in frames.plan.items()
                if k not in ("params", "summary")
            ]
            + [{"key": "params", "value": json.dumps(frames.plan["params"], ensure_ascii=False)}]
            + [{"key": "summary", "value": json.dumps(frames.plan["summary"], ensure_ascii=False)}]
        )
        with pd.ExcelWriter(target, engine="openpyxl") as xl:
            table.to_excel(xl, sheet_name="assignments", index=False)
            deficits.to_excel(xl, sheet_name="deficits", index=False)
            meta.to_excel(xl, sheet_name="plan", index=False)
    else:
        placed = table[table["plot_id"].notna()]
        plots = store.read("plots", ids=sorted(set(placed["plot_id"])))[
            ["id", "name", "pasture_type", "geometry"]
        ]
        joined = plots.rename(columns={"id": "plot_id", "name": "plot_name"}).merge(
            placed, on="plot_id", how="inner"
        )
        joined = joined.sort_values(["period", "union_id", "herd_id"]).reset_index(drop=True)
        target.unlink(missing_ok=True)
        joined.to_file(target, driver="GeoJSON", engine="pyogrio")
    return target


def _cell(value: Any) -> Any:
    if isinstance(value, datetime | pd.Timestamp):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- demo


def latest_full_season(store: Store, *, planning: PlanningParams | None = None) -> int:
    """The latest year whose NDVI covers the whole grazing season (spring to autumn).

    Raises
    ------
    NotFound
        When no year's NDVI covers a whole season.
    """
    planning = planning or PlanningParams()
    scenes = store.read_rows("scenes")
    times = (
        pd.to_datetime(scenes["date"])
        if len(scenes)
        else pd.to_datetime(store.read_rows("ndvi_stats")["time"])
    )
    if times.empty:
        raise NotFound("the store has no NDVI: compute it first (`pasture ndvi zonal`)")
    windows = planning.season_windows()
    for year in sorted({int(y) for y in times.dt.year}, reverse=True):
        first = min(windows[s].bounds(year)[0] for s in planning.seasons)
        last = max(windows[s].bounds(year)[1] for s in planning.seasons)
        gap = pd.Timedelta(days=planning.max_ndvi_gap_days)
        if (times <= first + gap).any() and (times >= last - gap).any():
            inside = np.sort(times[(times >= first - gap) & (times <= last + gap)].unique())
            if inside.size and (np.diff(inside).max(initial=0) <= 2 * gap.to_timedelta64()):
                return year
    raise NotFound("no year's NDVI covers a whole grazing season (spring to autumn)")


def run_demo_plan(
    store: Store,
    *,
    progress: Progress | None = None,
    solver: SolverName = "heuristic",
    time_limit: float = 20.0,
    lower_bound: bool = True,
) -> str:
    """Plan the demo district's latest full season with the default parameters.

    Parameters
    ----------
    store
        The demo store, with its NDVI (``pasture demo``).
    progress
        Called with a short message at each step.
    solver, time_limit
        Solver and its time limit; the heuristic by default (the demo has
        far more herd x plot x week pairs than the MILP solves in time).
    lower_bound
        Whether the heuristic proves a lower bound, alongside its passes: on the demo
        the plan is found in ~18 s and the bound goes on to the 20 s limit, for a gap of
        ~35% (60 s: ~23%; benchmarks/planner.py).

    Returns
    -------
    str
        The id of the new draft plan.
    """
    year = latest_full_season(store)
    if progress:
        progress(f"planning the {year} grazing season")
    return create_plan(
        store,
        season_year=year,
        user=DEMO_USER,
        solver=solver,
        time_limit=time_limit,
        lower_bound=lower_bound,
        progress=progress,
    )
