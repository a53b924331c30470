"""Where livestock grazes in a season: the plan's assignments, plus livestock outside any plan.

The plot level of the ``load`` table counts the livestock the season's plan puts on
each plot, never the herds' home points (issue 16):

* the **plan**: the approved plan of the season year (the latest approved), else the
  latest plan of that year (a draft, said so in the output); each assignment puts a
  herd's heads (times the plan's livestock factor) on a plot for one period;
* **livestock outside the plan**: each union's census heads less its herds in the
  plan (households grazing near their village). They are spread over the plots near
  their settlement (`outside_plan_heads`).

Heads are counted as animal-days and turned into the *mean heads over the season*
(animal-days / the season's days), the reading under which the norm of Order 3-3/332
applies over the grazing period of its row (`grazing_models.norms`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from grazing_models.livestock import SpeciesTable, daily_demand_kg
from grazing_models.load import census_heads
from grazing_models.seasons import SEASON_WINDOWS, SeasonWindow

from ..model import SPECIES
from ..store.base import Store
from .herds import VILLAGE_PREFIX, herds_of_plan

__all__ = [
    "PlanLivestock",
    "near_village_intake",
    "outside_plan_heads",
    "plan_heads",
    "season_plan",
    "village_heads",
]


@dataclass(frozen=True)
class PlanLivestock:
    """The plan the plot level counts, and how it was chosen."""

    plan_id: str | None
    state: str | None
    note: str


def season_plan(store: Store, year: int) -> PlanLivestock:
    """The approved plan of ``year`` (latest approved), else the latest plan of that year."""
    plans = store.read_rows("plans", where={"season_year": int(year)})
    plans = plans[plans["state"].isin(["approved", "draft"])]
    if plans.empty:
        return PlanLivestock(None, None, f"no plan for {year}: livestock outside any plan only")
    approved = plans[plans["state"] == "approved"]
    if len(approved):
        row = approved.sort_values("approved_at", kind="stable").iloc[-1]
        return PlanLivestock(str(row["id"]), "approved", f"approved plan {row['id']}")
    row = plans.sort_values("created_at", kind="stable").iloc[-1]
    return PlanLivestock(
        str(row["id"]),
        "draft",
        f"no approved plan for {year}: the latest plan, draft {row['id']}",
    )


def plan_heads(
    store: Store,
    plan: PlanLivestock,
    days: pd.Series,
    herds: pd.DataFrame | None = None,
    *,
    pools: bool = False,
) -> pd.DataFrame:
    """Mean heads per plot and season under the plan: Σ heads × period days / season days.

    Parameters
    ----------
    store
        Store with the plan's ``assignments`` and the ``herds`` layer.
    plan
        From `season_plan`.
    days
        Days of each season (index: season), as the capacity rows count them.
    herds
        The herds with their heads now (`pasture.science.herds.herds_of_plan`, read
        when None): a census edit since the plan changes the heads it puts on plots.
    pools
        Keep each herd's pool apart (its ``union_id``: a union, or ``village:<settlement>``
        for a village flock), the index gaining a ``pool`` level: whose animals they are.

    Returns
    -------
    pandas.DataFrame
        Index (plot_id, season), columns the species; empty without a plan.
    """
    if plan.plan_id is None:
        return _empty(pools)
    row = store.read_rows("plans", where={"id": plan.plan_id}).iloc[0]
    params: dict[str, Any] = row["params"] or {}
    factor = float(params.get("planning", {}).get("livestock_factor", 1.0))
    period_days = float(params.get("rotation", {}).get("period_days", 7))
    assignments = store.read_rows("assignments", where={"plan_id": plan.plan_id})
    placed = assignments[assignments["plot_id"].notna()]
    if placed.empty:
        return _empty(pools)
    if herds is None:
        herds = herds_of_plan(store, params)
    counts = herds.set_index("id")[list(SPECIES)].astype(float).fillna(0.0)
    season = _period_seasons(row, placed)
    heads = counts.reindex(placed["herd_id"].to_numpy()).fillna(0.0).to_numpy() * factor
    animal_days = pd.DataFrame(heads * period_days, columns=list(SPECIES))
    animal_days["plot_id"] = placed["plot_id"].to_numpy()
    animal_days["season"] = season
    keys = ["plot_id", "season"]
    if pools:
        pool_of = herds.set_index("id")["union_id"]
        animal_days["pool"] = pool_of.reindex(placed["herd_id"].to_numpy()).to_numpy()
        keys.append("pool")
    summed = animal_days.groupby(keys)[list(SPECIES)].sum()
    season_days = days.reindex(summed.index.get_level_values("season")).to_numpy(dtype=float)
    return summed.div(season_days, axis=0)


def _period_seasons(row: pd.Series, placed: pd.DataFrame) -> np.ndarray:
    """The season of each assignment's period from its start and the plan's windows.

    Where two windows overlap (September) a week takes the season that began last,
    as the plan labelled it (`pasture.planning.periods`).
    """
    planning = (row.get("params") or {}).get("planning", {})
    windows = {
        name: SeasonWindow(name, tuple(start), tuple(end))
        for name, (start, end) in planning.get("windows", {}).items()
    } or dict(SEASON_WINDOWS)
    seasons = [s for s in planning.get("seasons", ("spring", "summer", "autumn")) if s in windows]
    starts = pd.to_datetime(placed["start"])
    out = np.full(len(placed), None, dtype=object)
    began = np.full(len(placed), np.datetime64("NaT"), dtype="datetime64[ns]")
    for name in seasons:
        window = windows[name]
        inside = np.asarray(window.contains(starts), dtype=bool)
        first = pd.to_datetime(
            [f"{y}-{window.start[0]:02d}-{window.start[1]:02d}" for y in window.window_year(starts)]
        ).to_numpy()
        later = inside & (np.isnat(began) | (first > began))
        out[later], began[later] = name, first[later]
    return out


def outside_plan_heads(
    census: pd.DataFrame,
    herds_in_plan: pd.DataFrame,
    plots: pd.DataFrame,
    capacity: pd.DataFrame,
    *,
    pools: bool = False,
) -> pd.DataFrame:
    """Livestock outside the plan → plots near its settlement, as mean heads per plot and season.

    Each union's livestock outside the plan is its census heads (each household's latest
    record) less its herds in the plan, never below zero. It grazes every season on the
    union's own plots of that season, spread in proportion to area. Households in no
    union graze their settlement's public pasture: :func:`village_heads`.

    Parameters
    ----------
    census
        The census layer (``household_id, union_id, date`` and species).
    herds_in_plan
        Heads of the plan's herds per union (index union_id, species columns).
    plots
        Plots with ``id, union_id``.
    capacity
        Capacity rows (``plot_id, season, area_ha``) of the plots and seasons grazed.

    pools
        Keep each union's livestock apart (index level ``pool``: the union id).

    Returns
    -------
    pandas.DataFrame
        Index (plot_id, season), columns the species.
    """
    if census.empty:
        return _empty(pools)
    heads = census_heads(census, by="union_id")
    planned = herds_in_plan.reindex(heads.index).fillna(0.0)
    outside = (heads - planned[heads.columns]).clip(lower=0.0)
    union_of = dict(zip(plots["id"], plots["union_id"], strict=True))
    rows = capacity[["plot_id", "season", "area_ha"]].copy()
    rows["union_id"] = rows["plot_id"].map(union_of)
    return _spread_by_area(outside, rows, "union_id", pools=pools)


def village_heads(
    census: pd.DataFrame,
    households: pd.DataFrame,
    plots: pd.DataFrame,
    capacity: pd.DataFrame,
    in_plan: pd.DataFrame | None = None,
    *,
    pools: bool = False,
) -> pd.DataFrame:
    """Livestock of households in no union → its settlement's public pasture.

    Households outside any union graze near their village (Land Code Art. 97 п.4: public
    pastures are reserved for the settlement's households, docs/domain.md). Each such
    household's latest census is summed per settlement and spread over the public plots
    serving it (``plots.tenure = 'public'`` and ``plots.settlement_id``), each season in
    proportion to area, less its village herd in the plan (``in_plan``: heads per
    settlement, `pasture.science.herds.village_herds`), which the plan's assignments
    place. A settlement with no public pasture puts its livestock nowhere here: the
    Article 13 allocation sends it to distant pasture or reports it as unplaced. With
    ``pools`` each settlement's livestock stays apart (index level ``pool``:
    ``village:<settlement>``, the id of its village flocks).

    Returns
    -------
    pandas.DataFrame
        Index (plot_id, season), columns the species.
    """
    needed = {"settlement_id"} <= set(households.columns) and {"tenure", "settlement_id"} <= set(
        plots.columns
    )
    if census.empty or not needed:
        return _empty(pools)
    settlement_of = dict(zip(households["id"], households["settlement_id"], strict=True))
    free = census[census["union_id"].isna()]
    free = free.assign(settlement_id=free["household_id"].map(settlement_of))
    free = free[free["settlement_id"].notna()]
    if free.empty:
        return _empty(pools)
    heads = census_heads(free, by="settlement_id")
    if in_plan is not None and len(in_plan):
        planned = in_plan.reindex(heads.index).fillna(0.0)[heads.columns]
        heads = (heads - planned).clip(lower=0.0)
    public = plots[(plots["tenure"] == "public") & plots["settlement_id"].notna()]
    serves = dict(zip(public["id"], public["settlement_id"], strict=True))
    rows = capacity[["plot_id", "season", "area_ha"]].copy()
    rows["settlement_id"] = rows["plot_id"].map(serves)
    out = _spread_by_area(heads, rows, "settlement_id", pools=pools)
    if pools:  # the id of the settlement's village flocks
        out = out.rename(index=lambda s: f"{VILLAGE_PREFIX}{s}", level="pool")
    return out


def near_village_intake(
    store: Store,
    plots: pd.DataFrame,
    rows: pd.DataFrame,
    village_herds: pd.DataFrame,
    *,
    table: SpeciesTable | None = None,
) -> pd.Series:
    """Forage (kg DM) the livestock kept near its village eats on each public plot per season.

    The livestock is :func:`village_heads` (households in no union, less their village
    flocks ``village_herds``: the allocation's near share) as mean heads over the season;
    it eats Σ heads × intake(season) × the season's days (``rows.days``), the load's
    demand (`grazing_models.load.stocking_load`). The planner grazes only what is left
    (`pasture.planning.inputs`), so the same forage is never counted twice.

    Parameters
    ----------
    plots
        Plots with ``id, tenure, settlement_id``.
    rows
        Plot-season rows ``plot_id, season, area_ha, days`` (`season_forage`).
    village_herds
        The village flocks (``settlement_id`` and species), from `planning_herds`.

    Returns
    -------
    pandas.Series
        Index (plot_id, season): kg DM over the season; public plots near a settlement only.
    """
    flocks = village_herds[village_herds.get("kind", pd.Series(dtype=object)) == "village"]
    in_plan = flocks.groupby("settlement_id")[list(SPECIES)].sum() if len(flocks) else None
    heads = village_heads(store.read("census"), store.read("households"), plots, rows, in_plan)
    if heads.empty:
        return pd.Series(dtype=float, index=heads.index)
    days = rows.groupby(["plot_id", "season"])["days"].first().reindex(heads.index)
    out = pd.Series(0.0, index=heads.index)
    for season in heads.index.get_level_values("season").unique():
        mask = heads.index.get_level_values("season") == season
        daily = daily_demand_kg(heads.loc[mask], table=table, season=str(season))
        out.loc[mask] = np.asarray(daily, dtype=float) * days.loc[mask].to_numpy(dtype=float)
    return out


def _spread_by_area(
    heads: pd.DataFrame, rows: pd.DataFrame, key: str, *, pools: bool = False
) -> pd.DataFrame:
    """Each group's heads (index ``key``) over its plots of each season, by area (with
    ``pools``: each group apart, index level ``pool``)."""
    rows = rows[rows[key].isin(list(heads.index))]
    if rows.empty:
        return _empty(pools)
    share = (rows["area_ha"] / rows.groupby([key, "season"])["area_ha"].transform("sum")).to_numpy()
    spread = heads.reindex(rows[key].to_numpy())[list(SPECIES)].to_numpy() * share[:, None]
    out = pd.DataFrame(spread, columns=list(SPECIES))
    out["plot_id"], out["season"] = rows["plot_id"].to_numpy(), rows["season"].to_numpy()
    keys = ["plot_id", "season"]
    if pools:
        out["pool"] = rows[key].to_numpy()
        keys.append("pool")
    return out.groupby(keys)[list(SPECIES)].sum()


def _empty(pools: bool = False) -> pd.DataFrame:
    names = ["plot_id", "season", "pool"] if pools else ["plot_id", "season"]
    index = pd.MultiIndex.from_arrays([[] for _ in names], names=names)
    return pd.DataFrame(columns=list(SPECIES), index=index, dtype=float)
