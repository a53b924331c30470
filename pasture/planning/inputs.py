"""The season's inputs from the store: NDVI per week, plot scores, standing crop, herds.

:func:`rotation_inputs` reads plots, water points, herds (one path from the census:
`pasture.science.herds.planning_herds`), per-plot NDVI
(``ndvi_stats``) and, when they have rows, the ``trends`` and ``load`` tables,
and builds :class:`~grazing_models.rotation.RotationInputs` for one grazing year
(spring through autumn, in weeks).

Forage comes from the store's one forage basis, through the same computation as the
capacity table (`pasture.science.capacity.season_forage`), so a plot's season
allowance in the plan is its capacity row's forage::

    standing_kg[p, s]  = biomass_<band>_kg_ha[p, s] × area_ha        (season_forage)
    shape[p, week]     = green-up to date: the running maximum of the basis's central
                         biomass at the week's interpolated NDVI, over its season
                         maximum (1 at and after the season's peak)
    available_kg[week] = standing_kg[p, season of week] × shape × harvest_efficiency
    regrowth_kg        = regrowth_per_week × available_kg × period_days / 7  (0: off)

The planner lets herds eat ``utilisation × available_kg`` (less what they ate
before): utilisation limits *removal* (eaten, trampled, soiled: docs/domain.md), and
``available_kg`` is already the eaten share of the stand (harvest efficiency), so
what herds eat is utilisation × harvest efficiency of the standing crop.

On a public plot near a settlement the village's own livestock (the allocation's near
share, `pasture.science.plan_livestock.near_village_intake`) eats ``near_kg[p, s]`` over
the season, in step with the season's days (``share[week]``: the season's periods up to
and including the week, over all its periods, in the plan's one calendar); the planner
sees what is left::

    to_date[week]      = available_kg[week] − near_kg[p, s] × share[week] / utilisation
    at_end[week]       = max(available_kg of the season's weeks) − near_kg[p, s] / utilisation
    available_kg[week] = max(min(to_date, at_end), 0)          (s: the season of the week)

``to_date``: what the village has eaten so far is gone; ``at_end``: what it will eat
by the season's end stays reserved, so near-village intake plus the plan's never
exceeds the season's allowance.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import shapely

from grazing_models.capacity import BANDS
from grazing_models.livestock import SpeciesTable
from grazing_models.rotation import Herd, Period, Plot, RotationInputs, RotationParams
from grazing_models.seasons import DEFAULT_PERIOD_DAYS

from ..errors import InvalidInput, NotFound
from ..model import SPECIES, parse_seasons
from ..science.capacity import season_forage
from ..science.forage_basis import ForageBasis, read_forage_basis
from ..science.herd_privacy import with_herd_contributors
from ..science.herds import census_summary, planning_herds
from ..science.plan_livestock import near_village_intake
from ..store.base import Store
from .params import PlanningParams
from .periods import grazing_weeks
from .weekly import weekly_ndvi

__all__ = ["BuiltInputs", "build_inputs", "rotation_inputs"]


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


@dataclass(frozen=True)
class BuiltInputs:
    """The planner's inputs, and what was found building them (kept in the plan's summary)."""

    inputs: RotationInputs
    info: dict[str, Any]
    room: pd.DataFrame | None = None  # `season_room`: per plot and season, each band's room
    #: the herds the inputs were built from (names, land users, heads; the parts of a
    #: village flock's name), stored with the plan as ``plan_herds``
    herds: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class _Layers:
    """The layers a plan is built from, already narrowed to what it plans."""

    plots: pd.DataFrame  # plots open in the plan's seasons
    water: pd.DataFrame
    herds: pd.DataFrame  # herds of the planned unions


@dataclass(frozen=True)
class _Forage:
    """Per plot and period: NDVI at the period's middle, edible standing forage and regrowth
    (kg DM); the basis it came from, each plot's standing crop per season, and the
    forage left to the livestock kept near its village."""

    weekly_ndvi: np.ndarray
    available: np.ndarray
    regrowth: np.ndarray
    basis: ForageBasis
    seasons: pd.DataFrame
    near_village_kg: float  # eaten by the livestock kept near its village (public plots)
    near: pd.Series | None = None  # the same per (plot_id, season)


def build_inputs(
    store: Store,
    *,
    season_year: int,
    planning: PlanningParams,
    period_days: int,
    utilisation: float,
) -> BuiltInputs:
    """The planner's inputs for one grazing year, read and built in steps (see `rotation_inputs`)."""
    periods = _periods(season_year, planning, period_days)
    ndvi_year = planning.ndvi_year or season_year
    mids = _period_middles(periods, season_year=season_year, ndvi_year=ndvi_year, days=period_days)
    layers = _read_layers(store, planning)
    forage = _forage(
        store,
        layers.plots,
        mids,
        [p.season for p in periods],
        ndvi_year=ndvi_year,
        planning=planning,
        period_days=period_days,
    )
    forage = _less_near_village(
        store,
        forage,
        layers,
        periods,
        utilisation=utilisation,
        table=planning.species_table(),
    )
    crs = _local_crs(layers.plots)
    local = layers.plots.to_crs(crs)
    plots, score_info = _plot_list(
        store, layers, local, crs, season_year=season_year, planning=planning
    )
    livestock_info = census_summary(store.read("census"))
    herds, skipped = _herd_list(layers.herds, layers.plots, local, crs, periods, planning)
    plots, spring_info = _greenup_springs(store, plots, planning, season_year, ndvi_year)
    inputs = RotationInputs(plots, herds, periods, forage.available, forage.regrowth)
    info = {
        "season_year": season_year,
        "ndvi_year": ndvi_year,
        "local_crs": crs,
        "spring_start": spring_info,
        "livestock": livestock_info,
        **_info(inputs, forage, skipped, planning=planning, period_days=period_days),
        **score_info,
        "okrug_of_land_user": _okrug_of_land_user(store, layers.herds),
    }
    room = season_room(forage.seasons, forage.near, utilisation=utilisation)
    return BuiltInputs(inputs, info, room, layers.herds)


def season_room(
    seasons: pd.DataFrame, near: pd.Series | None, *, utilisation: float
) -> pd.DataFrame:
    """What the plan's herds may eat on each plot in a season, at each forage band.

    ``room_<band>_kg = max(utilisation × biomass_<band> × area × harvest_efficiency −
    near_kg, 0)``: the planner's season allowance at the band (the standing crop of
    `season_forage`, its eaten share) less what the livestock kept near its village eats
    (module docstring). Indexed by (plot_id, season).
    """
    rows = seasons.set_index(["plot_id", "season"])
    kept = np.zeros(len(rows)) if near is None else near.reindex(rows.index).fillna(0.0).to_numpy()
    crop = rows["area_ha"].to_numpy(dtype=float) * rows["harvest_efficiency"].to_numpy(dtype=float)
    room = pd.DataFrame(index=rows.index)
    for band in BANDS:
        biomass = rows[f"biomass_{band}_kg_ha"].fillna(0.0).to_numpy(dtype=float)
        room[f"room_{band}_kg"] = np.maximum(utilisation * biomass * crop - kept, 0.0)
    return room


def _greenup_springs(
    store: Store,
    plots: tuple[Plot, ...],
    planning: PlanningParams,
    season_year: int,
    ndvi_year: int,
) -> tuple[tuple[Plot, ...], dict[str, Any]]:
    """Each spring plot's green-up date of the NDVI year (``greenup`` table), moved into the
    season year, where there is one; and how many plots start spring at green-up or at
    the calendar window."""
    spring = [p for p in plots if "spring" in p.seasons]
    dates: dict[str, Any] = {}
    if planning.greenup_spring and spring:
        rows = store.read_rows("greenup", where={"year": ndvi_year})
        rows = rows[pd.to_datetime(rows["greenup_date"]).notna()] if len(rows) else rows
        shift = pd.DateOffset(years=season_year - ndvi_year)
        dates = {
            str(pid): (pd.Timestamp(d) + shift).date()
            for pid, d in zip(rows.get("plot_id", []), rows.get("greenup_date", []), strict=True)
        }
    out = tuple(
        replace(p, greenup=dates[p.id]) if "spring" in p.seasons and p.id in dates else p
        for p in plots
    )
    from_greenup = sum(1 for p in spring if p.id in dates)
    info = {
        "greenup_year": ndvi_year if planning.greenup_spring else None,
        "plots_from_greenup": from_greenup,
        "plots_from_calendar": len(spring) - from_greenup,
    }
    return out, info


def _okrug_of_land_user(store: Store, herds: pd.DataFrame) -> dict[str, str | None]:
    """Each planned land user's okrug: a union's, or a village herd's settlement's."""
    unions = store.read("unions")
    okrug = dict(zip(unions["id"].astype(str), unions["okrug_id"], strict=True))
    if "settlement_id" in herds:
        village = herds[herds["kind"] == "village"]
        settlements = store.read("settlements").set_index("id")["okrug_id"]
        okrug |= {
            str(u): settlements.get(s)
            for u, s in zip(village["union_id"], village["settlement_id"], strict=True)
        }
    return {str(u): _plain_okrug(okrug.get(str(u))) for u in pd.unique(herds["union_id"])}


def _plain_okrug(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _periods(season_year: int, planning: PlanningParams, period_days: int) -> tuple[Period, ...]:
    periods = grazing_weeks(
        season_year,
        windows=planning.season_windows(),
        seasons=planning.seasons,
        period_days=period_days,
    )
    if not periods:
        raise InvalidInput("season windows", ["the windows hold no whole period"])
    return periods


def _period_middles(
    periods: Sequence[Period], *, season_year: int, ndvi_year: int, days: int
) -> pd.DatetimeIndex:
    """The middle of each period, moved into the NDVI year."""
    return pd.DatetimeIndex(
        [
            pd.Timestamp(p.start).replace(year=p.start.year + ndvi_year - season_year)
            + pd.Timedelta(days=days / 2)
            for p in periods
        ]
    )


def _read_layers(store: Store, planning: PlanningParams) -> _Layers:
    """Plots open in the plan's seasons, water points and the planned unions' herds."""
    plots = store.read("plots")
    wanted = set(planning.seasons)
    usable = [bool(set(parse_seasons(s)) & wanted) for s in plots["seasons"]]
    plots = plots[np.asarray(usable, dtype=bool)].reset_index(drop=True)
    if plots.empty:
        raise NotFound(f"no plots for the seasons {', '.join(planning.seasons)} in the store")
    water = store.read("water_points")
    if water.empty:
        raise InvalidInput(
            "water points",
            ["the store has no water points: import them (`pasture import water-points`)"],
        )
    herds = _planning_herds(store, planning)
    if planning.unions is not None:
        unknown = sorted(set(planning.unions) - set(herds["union_id"]))
        if unknown:
            raise NotFound(f"no herds of union(s) {unknown} in the store")
    if herds.empty:
        raise NotFound("no herds in the store: import them (`pasture import herds`)")
    return _Layers(plots, water, herds)


#: Each open store's herds for planning, at its version: (version, unions, flock heads) → herds.
_HERDS: weakref.WeakKeyDictionary[Store, dict[tuple[Any, ...], pd.DataFrame]] = (
    weakref.WeakKeyDictionary()
)
_HERDS_LOCK = threading.Lock()


def _planning_herds(store: Store, planning: PlanningParams) -> pd.DataFrame:
    """`planning_herds` (census → herds is one path: union herds follow the census, village
    herds the allocation), kept per store version: the allocation behind the village herds
    is the read's costliest step (~4 s CPU on the demo), and it depends on the store's
    records and tables alone, all of which a write moves the version of (`Store.version`).
    A server's plans of one store share it until the next write."""
    flock = planning.flock_heads
    key = (store.version(), planning.unions, tuple(sorted(flock.items())))
    with _HERDS_LOCK:
        held = _HERDS.get(store, {}).get(key)
    if held is None:
        held = planning_herds(store, unions=planning.unions, flock_heads=flock)
        # the households behind each herd's heads, from the same census: stored with the
        # plan's herds so that their disclosure is decided from them (herd_privacy)
        held = with_herd_contributors(store, held)
        with _HERDS_LOCK:
            kept = {k: v for k, v in _HERDS.get(store, {}).items() if k[0] == key[0]}
            _HERDS[store] = {**kept, key: held}
    return held.copy()


def _forage(
    store: Store,
    plots: pd.DataFrame,
    mids: pd.DatetimeIndex,
    labels: Sequence[str],
    *,
    ndvi_year: int,
    planning: PlanningParams,
    period_days: int,
) -> _Forage:
    """Edible standing forage per plot and period through the forage basis (module docstring)."""
    basis = read_forage_basis(store)
    ndvi = _ndvi_for_year(
        store, ndvi_year, mids.min(), mids.max(), margin_days=planning.max_ndvi_gap_days
    )
    weekly = weekly_ndvi(
        ndvi,
        [str(i) for i in plots["id"]],
        mids,
        min_valid_fraction=planning.min_valid_fraction,
        max_gap_days=planning.max_ndvi_gap_days,
    )
    seasons = season_forage(
        plots,
        ndvi,
        basis,
        year=ndvi_year,
        windows=planning.season_windows(),
        harvest_efficiency=planning.harvest_efficiency,
        table=planning.species_table(),
    )
    standing = _season_standing(plots, seasons, labels, band=planning.forage_band)
    types = plots["pasture_type"].astype(str).to_numpy()
    green = np.asarray(basis.models(weekly.ravel(), np.repeat(types, weekly.shape[1])))
    shape = _greenup_shape(green.reshape(weekly.shape), labels)
    available = standing * shape * planning.harvest_efficiency
    regrowth = planning.regrowth_per_week * available * period_days / 7.0
    return _Forage(weekly, available, regrowth, basis, seasons, 0.0)


def _less_near_village(
    store: Store,
    forage: _Forage,
    layers: _Layers,
    periods: Sequence[Period],
    *,
    utilisation: float,
    table: SpeciesTable,
) -> _Forage:
    """The forage of public plots less what the livestock kept near the village eats there.

    The near-village livestock of a plot eats ``near_kg`` in a season
    (`pasture.science.plan_livestock.near_village_intake`), spread over the season's
    periods in step with its days (`_season_share`). Herds may eat ``utilisation ×
    available`` of a plot, so each week its available forage goes down by the village's
    intake to date over ``utilisation``, and never above what the season's end leaves
    once the village's whole season is reserved (module docstring): near-village intake
    plus the plan's stays within the season's allowance.
    """
    labels = [p.season for p in periods]
    near = near_village_intake(store, layers.plots, forage.seasons, layers.herds, table=table)
    near = near[near.index.get_level_values("season").isin(set(labels))]  # not winter's
    if near.empty:
        return forage
    ids = [str(i) for i in layers.plots["id"]]
    by_season = near.unstack("season").reindex(index=ids, columns=list(dict.fromkeys(labels)))
    season_kg = by_season.fillna(0.0)[labels].to_numpy(dtype=float)
    available = village_left(forage.available, season_kg, periods, utilisation=utilisation)
    scale = np.divide(
        available, forage.available, out=np.zeros_like(available), where=forage.available > 0
    )
    return replace(
        forage,
        available=available,
        regrowth=forage.regrowth * scale,
        near_village_kg=float(near.sum()),
        near=near,
    )


def village_left(
    available: np.ndarray, season_kg: np.ndarray, periods: Sequence[Period], *, utilisation: float
) -> np.ndarray:
    """Forage per plot and period left to the plan by the livestock kept near its village.

    ``season_kg[p, t]`` is what the village eats on plot ``p`` over the whole season of
    period ``t`` (``near_kg``); the rest is the module docstring's ``to_date`` and
    ``at_end``: the intake to date is gone, the rest of the season's stays reserved.
    """
    near = season_kg / utilisation
    to_date = available - near * _season_share(periods)
    at_end = _season_peak(available, [p.season for p in periods]) - near
    return np.maximum(np.minimum(to_date, at_end), 0.0)


def _season_share(periods: Sequence[Period]) -> np.ndarray:
    """Per period: the share of its season's days gone by at the period's end.

    A season's days are the periods that hold it (label or ``also``), as in the
    capacity table's season days (`grazing_models.seasons.season_days`, the same
    calendar); periods are equally long, so the share counts periods.
    """
    held: dict[str, int] = {}
    for p in periods:
        for s in p.seasons:
            held[s] = held.get(s, 0) + 1
    seen: dict[str, int] = {}
    share = np.zeros(len(periods))
    for t, p in enumerate(periods):
        for s in p.seasons:
            seen[s] = seen.get(s, 0) + 1
        share[t] = seen[p.season] / held[p.season]
    return share


def _season_peak(available: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Per plot and period: the most forage any period of the period's season stands."""
    peak = np.zeros_like(available)
    names = np.asarray(labels)
    for season in dict.fromkeys(labels):
        cols = np.flatnonzero(names == season)
        peak[:, cols] = available[:, cols].max(axis=1, keepdims=True)
    return peak


def _season_standing(
    plots: pd.DataFrame, seasons: pd.DataFrame, labels: Sequence[str], *, band: str
) -> np.ndarray:
    """Standing crop (kg DM) of each plot in the season of each period; 0 where unknown."""
    standing = pd.Series(
        (seasons[f"biomass_{band}_kg_ha"] * seasons["area_ha"]).to_numpy(dtype=float),
        index=pd.MultiIndex.from_arrays(
            [seasons["plot_id"].astype(object), seasons["season"].astype(object)]
        ),
    )
    # a plot's row of a season, the last where there are two (as a dict of them would keep);
    # one table at once: a lookup per plot and period took 1 of the 11 CPU s of the read
    # at 20,000 plots
    table = standing[~standing.index.duplicated(keep="last")].unstack()
    out = table.reindex(
        index=pd.Index(plots["id"].astype(object)), columns=pd.Index(list(labels), dtype=object)
    ).to_numpy(dtype=float)
    return np.where(np.isfinite(out), out, 0.0)


def _greenup_shape(green: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Share of the season's standing crop grown by each period: 1 from the season's peak on.

    Within each season's periods, the running maximum of the green biomass over its
    season maximum. A plot without NDVI in a season (or without green biomass) gets 1:
    its standing crop is the capacity row's, with no green-up known.
    """
    shape = np.ones_like(green)
    names = np.asarray(labels)
    for season in dict.fromkeys(labels):
        cols = np.flatnonzero(names == season)
        reached = np.fmax.accumulate(np.nan_to_num(green[:, cols], nan=0.0), axis=1)
        peak = reached[:, -1:]
        with np.errstate(invalid="ignore", divide="ignore"):
            shape[:, cols] = np.where(peak > 0, reached / np.where(peak > 0, peak, 1.0), 1.0)
    return shape


def _water_km(local: pd.DataFrame, water: pd.DataFrame, crs: str) -> np.ndarray:
    """Distance from each plot to the nearest water point, km (in the local frame)."""
    water_local = np.asarray(water.to_crs(crs).geometry, dtype=object)
    tree = shapely.STRtree(water_local)
    idx, dist = tree.query_nearest(
        np.asarray(local.geometry, dtype=object), return_distance=True, all_matches=False
    )
    water_km = np.full(len(local), np.inf)
    np.minimum.at(water_km, idx[0], dist / 1000.0)
    return water_km


def _plot_list(
    store: Store,
    layers: _Layers,
    local: pd.DataFrame,
    crs: str,
    *,
    season_year: int,
    planning: PlanningParams,
) -> tuple[tuple[Plot, ...], dict[str, Any]]:
    """The planner's plots (geometry in the local equal-area frame, km) and where scores came from."""
    plots = layers.plots
    plot_ids = [str(i) for i in plots["id"]]
    cent = local.geometry.centroid
    water_km = _water_km(local, layers.water, crs)
    deg, load, score_info = _plot_scores(
        store, plot_ids, year=season_year, scores=planning.degradation_scores
    )
    wanted = set(planning.seasons)
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
            plots["area_ha"].astype(float).to_numpy(),
            water_km,
            cent.x,
            cent.y,
            deg,
            load,
            strict=True,
        )
    )
    return plot_list, score_info


def _herd_list(
    herds: pd.DataFrame,
    plots: pd.DataFrame,
    local: pd.DataFrame,
    crs: str,
    periods: Sequence[Period],
    planning: PlanningParams,
) -> tuple[tuple[Herd, ...], list[str]]:
    """Herds with sheep units and demand from their composition (species table), and the skipped.

    A herd without a home point starts from a point of its union's plots (of all
    plots when the union has none in the plan).
    """
    table = planning.species_table()
    counts = herds[list(SPECIES)].astype(float).fillna(0.0) * planning.livestock_factor
    su = counts.to_numpy() @ table.sheep_units.reindex(list(SPECIES)).to_numpy()
    labels = [p.season for p in periods]
    # mean daily demand over the plan's periods: horses eat more in summer (docs/domain.md)
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
    return tuple(herd_list), skipped


def _info(
    inputs: RotationInputs,
    forage: _Forage,
    skipped: list[str],
    *,
    planning: PlanningParams,
    period_days: int,
) -> dict[str, Any]:
    """What the plan's summary tells of its inputs: sizes, dates, gaps in the NDVI."""
    periods = inputs.periods
    labels = [p.season for p in periods]
    weekly, available = forage.weekly_ndvi, forage.available
    return {
        "forage": _forage_info(forage, planning),
        "n_plots": inputs.n_plots,
        "n_herds": inputs.n_herds,
        "n_periods": inputs.n_periods,
        "first_start": periods[0].start.isoformat(),
        "last_end": (periods[-1].start + timedelta(days=period_days - 1)).isoformat(),
        "weeks_per_season": {s: labels.count(s) for s in planning.seasons},
        "plots_without_ndvi": int((~np.isfinite(weekly)).all(axis=1).sum()),
        "plot_weeks_without_ndvi": int((~np.isfinite(weekly)).sum()),
        "herds_skipped_no_livestock": skipped,
        "sheep_units": float(sum(h.sheep_units for h in inputs.herds)),
        "ungrazed_forage_peak_kg": float(available.max(axis=1).sum()) if available.size else 0.0,
    }


def _forage_info(forage: _Forage, planning: PlanningParams) -> dict[str, Any]:
    """What the plan assumes of forage: printed with the plan and stored in its summary."""
    basis = forage.basis
    regrowth = (
        f"{planning.regrowth_per_week:g} of the stand per week (an assumption, unsourced)"
        if planning.regrowth_per_week > 0
        else "off: no sourced regrowth model (docs/domain.md, Seasons)"
    )
    return {
        "basis": basis.id,
        "basis_label": basis.label,
        "generated": basis.generated,
        "band": planning.forage_band,
        "interval_level": basis.level,
        "harvest_efficiency": planning.harvest_efficiency,
        "regrowth": regrowth,
        "eaten": "utilisation × harvest efficiency of each plot's standing crop",
        "near_village_kg": forage.near_village_kg,
        "near_village": "public plots: less what the livestock kept near its village eats",
    }


def rotation_inputs(
    store: Store,
    *,
    season_year: int,
    planning: PlanningParams | None = None,
    period_days: int = DEFAULT_PERIOD_DAYS,
    utilisation: float | None = None,
) -> RotationInputs:
    """Build the rotation planner's inputs for one grazing year from the store.

    Parameters
    ----------
    store
        An open store with plots, water points, herds and ``ndvi_stats``.
    season_year
        Year of the grazing season (spring through autumn).
    planning
        How data become inputs (forage band, harvest efficiency, windows,
        regrowth, scenario factors); defaults documented on :class:`PlanningParams`.
    period_days
        Length of a period, days; must equal ``RotationParams.period_days`` of
        the plan (7: weeks).
    utilisation
        ``RotationParams.utilisation`` of the plan (its default when None): public
        plots' forage goes down by the near-village livestock's intake over it.

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
        edible share of the ungrazed standing forage per plot and period (kg DM,
        see the module docstring) and its regrowth.

    Raises
    ------
    NotFound
        When there is no NDVI for the year, no forage basis, or no plots or herds.
    InvalidInput
        When there are no water points.
    """
    return build_inputs(
        store,
        season_year=season_year,
        planning=planning or PlanningParams(),
        period_days=period_days,
        utilisation=RotationParams().utilisation if utilisation is None else utilisation,
    ).inputs
