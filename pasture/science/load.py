"""Livestock load against forage and against the load norms (the ``load`` table).

Which livestock figures are used (census and herds are the same animals, so
they are never added together):

* herds follow each household's **latest census** (`pasture.science.herds`: one path
  from the census to the herds the plan moves);
* the plot level uses the season's **plan** (the approved plan, else the latest, said
  so in ``load_source``): the heads its assignments put on each plot, plus the
  livestock outside the plan on the plots near its settlement
  (`pasture.science.plan_livestock`), never the herds' home points;
* the land-user level (each union, and ``public`` for plots of no union: village
  livestock and village herds) and the okrug level sum their plots' livestock, so every
  land user counts and an okrug's load is the sum of its plots'.

Each row is stored with what it was computed from: ``plan_id`` (the plan its livestock
came from) and its contributors (``contributors``, ``top_shares``: how many households'
animals are in its figures and the largest ones' shares, `pasture.disclosure.Contributors`),
so that the disclosure rules decide from the households behind the stored figures.

Two statuses per row, never mixed: ``status`` against forage capacity from NDVI
(overloaded, within capacity, underused) and ``norm_status`` against the legal norm. Where
they disagree, ``disagreement`` says why. Each plot's ``condition`` (restored or
degraded, the norm's two columns) comes from its NDVI trend (``trends``), with its
basis in ``condition_basis``.

The ``norm_status`` column compares livestock with the maximum permissible load of
Order 3-3/332 (`grazing_models.norms`, its annex as transcribed; verify against the
official text before a legal decision): over the norm, within it, or unused under 50 %
of it (Land Code Art. 92 п.4 пп.3). Each plot's norm row comes from its pasture type
through the store's ``load_norm_rows`` setting (pasture type → oblast, natural zone,
subzone, pasture type of the annex); a plot whose type has no row has no norm.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from grazing_models.capacity import BANDS, aggregate_capacity
from grazing_models.livestock import SpeciesTable
from grazing_models.load import herd_heads, latest_census, stocking_load
from grazing_models.norms import (
    UNUSED_SHARE,
    GrazingDays,
    NormRow,
    NormTable,
    norm_status,
    permitted_heads,
)

from ..disclosure import Contributors
from ..errors import InvalidInput, NotFound
from ..model import SPECIES
from ..store.base import Store
from .herds import VILLAGE_PREFIX, herds_of_plan
from .inputs import read_plots
from .plan_livestock import (
    PlanLivestock,
    outside_plan_heads,
    plan_heads,
    season_plan,
    village_heads,
)
from .tables import table_frame

__all__ = [
    "NORM_ROWS_SETTING",
    "PUBLIC_GROUP",
    "compute_load",
    "load_contributions",
    "load_group",
    "norm_rows_of",
    "parse_norm_rows",
    "pool_shares",
]

#: The store setting that maps each pasture type to its row of the norm table (JSON).
NORM_ROWS_SETTING = "load_norm_rows"

#: Group id of plots without a union in the ``load`` table (see `pasture.model.LOAD`).
PUBLIC_GROUP: str = "public"


def compute_load(
    store: Store,
    *,
    year: int | None = None,
    norms: NormTable | None = None,
    norm_rows: Mapping[str, tuple[str, str, str, str]] | None = None,
    grazing_days: GrazingDays = "mid",
    unused_threshold: float = UNUSED_SHARE,
    table: SpeciesTable | None = None,
) -> pd.DataFrame:
    """Livestock demand against forage per plot, union and okrug; writes ``load``.

    Reads the year's ``capacity`` rows (run `compute_capacity` first), the latest
    census, the season's plan and the herds. The plot level is the plan's livestock
    plus the livestock outside it; union (land user) and okrug levels sum their plots'
    (the same animals are never counted twice, see the module docstring). Per docs/domain.md (2024)::

        demand_kg      = Σ_species head × intake(season) × days
        stocking_ratio = demand_kg / (forage_kg × harvest_efficiency)   # > 1 overloaded

    ``status`` is overloaded above 1, underused below `grazing_models.load.UNDERUSED_SHARE`,
    within capacity otherwise. ``norm_status`` compares the livestock with the permissible
    load of ``norms`` over each season's days (see the module docstring): over the norm,
    within it, or unused under ``unused_threshold`` of it (the law's rule).

    Parameters
    ----------
    store
        Store with plots, unions, census, herds, the year's capacity and (optionally)
        its plans.
    year
        Season year of the capacity rows; default the latest year stored.
    norms
        The norm table; default the packaged Order 3-3/332 annex (`NormTable.annex`).
    norm_rows
        Pasture type → (oblast, natural zone, subzone, pasture type) of the table;
        default the store's ``load_norm_rows`` setting (`norm_rows_of`).
    grazing_days
        Which end of a row's grazing-period range the norm uses (default the middle).
    unused_threshold
        The law's non-use share of the norm (`grazing_models.norms.UNUSED_SHARE`, 0.5
        since Law 65-VIII, 2024; 0.2 before). It applies to ``norm_status`` only.
    table
        Species table (intake per season); default docs/domain.md (2024).

    Returns
    -------
    pandas.DataFrame
        The ``load`` rows plus ``area_ha``, the species head counts, ``sheep_units``
        (census heads in Kazakh sheep units), ``norm_load`` and ``norms_sample``
        (False: the annex is the Order's table, as transcribed).
    """
    norms = NormTable.annex() if norms is None else norms
    rows_of = norm_rows_of(store) if norm_rows is None else norm_rows
    year, capacity = _capacity_of_year(store, year)
    plots = read_plots(store)
    capacity = _with_plot_fields(capacity, plots)
    capacity["condition"], basis_of = _conditions(store, capacity)
    plan = season_plan(store, year)
    census = store.read("census")
    # one pooled frame: the figures and their contributors come from the same heads
    pooled = _pool_heads(store, capacity, plots, census, plan)
    parts = _levels(capacity, pooled)

    permitted = _permitted_heads(capacity, norms, rows_of, grazing_days=grazing_days)
    frames = []
    for level, rows, heads, unknown in parts:
        loaded = _stocking(rows, heads, table=table)
        loaded = _with_norms(
            loaded,
            permitted,
            level=level,
            plots_capacity=capacity,
            unused_threshold=unused_threshold,
        )
        if unknown:
            _mark_unknown(loaded, unknown)
        frames.append(loaded.assign(level=level))
    result = pd.concat(frames, ignore_index=True)
    result["year"] = int(year)
    _describe(result, plan, capacity, basis_of)
    result["sheep_units"] = _sheep_units(result, table)
    result["norms_sample"] = False
    # demand on zero forage has no finite ratio: stored as missing, the status says overloaded
    ratios = [c for c in result.columns if c.startswith("stocking_ratio_")]
    result[ratios] = result[ratios].replace([np.inf, -np.inf], np.nan)
    households = store.read("households")
    _with_contributors(result, pooled, census, households, capacity, table)
    result["plan_id"] = plan.plan_id
    store.replace_rows("load", table_frame("load", result), where={"year": int(year)})
    first = ["level", "group_id", "year", "season"]
    return result[first + [c for c in result.columns if c not in first]]


def _with_contributors(
    result: pd.DataFrame,
    pooled: pd.DataFrame,
    census: pd.DataFrame,
    households: pd.DataFrame,
    capacity: pd.DataFrame,
    table: SpeciesTable | None,
) -> None:
    """Each row's contributors as `pasture.disclosure.Contributors`: ``contributors`` (how
    many households) and ``top_shares`` (the largest ones' shares), in place."""
    contributions: dict[str, pd.Series] = {}
    if not census.empty:
        shares = pool_shares(census, households)
        contributions = _group_contributions(pooled, shares, capacity, table)
    summary = [
        Contributors.of(contributions.get(load_group(level, group, season), ()))
        for level, group, season in zip(
            result["level"], result["group_id"], result["season"], strict=True
        )
    ]
    result["contributors"] = [c.count for c in summary]
    result["top_shares"] = [list(c.top_shares) for c in summary]


def load_group(level: str, group_id: object, season: object) -> str:
    """The key of one load row's households in :func:`load_contributions`."""
    return f"{level}/{group_id}/{season}"


def load_contributions(
    store: Store, years: Iterable[int], table: SpeciesTable | None = None
) -> dict[str, pd.Series]:
    """The households behind each load row and their livestock in it, for disclosure control
    of rows stored without their contributors (before gpkg 0011 / postgis 0013): computed
    from today's plan and census, which may not be the ones the row's figures came from.

    Keys are :func:`load_group` of (level, group_id, season); each value is a series of
    sheep units per household, every household whose animals are in the row's figure
    (docs/domain.md "Census disclosure control"). A plot's livestock comes in pools (the
    heads `compute_load` puts there, kept apart by whose they are): a union's herds and
    livestock outside the plan are its members', a village flock and the village
    livestock outside the plan are its settlement's households in no union. Each
    household's part of a pool's heads of a species is its share of the pool's heads of
    that species in its latest census (the figures the load is computed from). A union's
    or okrug's row sums its plots', so livestock of others on a union's land counts among
    its contributors. A year without capacity rows has no contributors (threshold).
    """
    census = store.read("census")
    if census.empty:
        return {}
    shares = pool_shares(census, store.read("households"))
    plots = read_plots(store)
    out: dict[str, pd.Series] = {}
    for year in sorted(set(int(y) for y in years)):
        try:
            _, capacity = _capacity_of_year(store, year)
            capacity = _with_plot_fields(capacity, plots)
        except NotFound:  # nothing to attribute: every row of the year is withheld
            continue
        pooled = _pool_heads(store, capacity, plots, census, season_plan(store, year))
        out |= _group_contributions(pooled, shares, capacity, table)
    return out


def pool_shares(census: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    """Each household's pool and its share of the pool's heads per species (latest census)."""
    latest = latest_census(census)
    settlement_of = (
        dict(zip(households["id"], households["settlement_id"], strict=True))
        if "settlement_id" in households
        else {}
    )
    village = VILLAGE_PREFIX + latest["household_id"].map(settlement_of).astype(str)
    pool = latest["union_id"].astype(object).where(latest["union_id"].notna(), village)
    heads = latest[list(SPECIES)].astype(float).fillna(0.0)
    totals = heads.groupby(pool.to_numpy()).transform("sum")
    share = (heads / totals.where(totals > 0)).fillna(0.0)
    share.index = pd.Index(latest["household_id"].to_numpy(), name="household_id")
    return share.assign(pool=pool.to_numpy())


def _group_contributions(
    pooled: pd.DataFrame,
    shares: pd.DataFrame,
    capacity: pd.DataFrame,
    table: SpeciesTable | None,
) -> dict[str, pd.Series]:
    """Sheep units per household in each plot, union and okrug row of one year.

    Households are in one pool each, so a row's contributors are each pool's households
    with a part in it: per pool, the row's heads (× sheep units) times the households'
    shares, one matrix product per pool and level.
    """
    out: dict[str, list[pd.Series]] = {}
    if pooled.empty:
        return {}
    units = _sheep_units(pd.DataFrame(np.eye(len(SPECIES)), columns=list(SPECIES)), table)
    union_of = capacity.groupby("plot_id")["union_id"].first().fillna(PUBLIC_GROUP)
    okrug_of = capacity.groupby("plot_id")["okrug_id"].first()
    flat = pooled.reset_index()
    by_pool = dict(list(shares.groupby("pool")))
    for level, group_of in (("plot", None), ("union", union_of), ("okrug", okrug_of)):
        group = flat["plot_id"] if group_of is None else flat["plot_id"].map(group_of)
        summed = flat.groupby([group.to_numpy(), flat["season"], flat["pool"]])[list(SPECIES)].sum()
        for pool, rows in summed.groupby(level=2):
            members = by_pool.get(pool)
            if members is None:  # nobody's animals (a flock without households): none
                continue
            own = rows.to_numpy(dtype=float) * units @ members[list(SPECIES)].to_numpy().T
            for (g, season, _), row in zip(rows.index, own, strict=True):
                part = row > 0
                if part.any():
                    key = load_group(level, g, season)
                    out.setdefault(key, []).append(pd.Series(row[part], members.index[part]))
    return {k: pd.concat(v) if len(v) > 1 else v[0] for k, v in out.items()}


#: One level of the load table: its name, capacity rows by ``group_id``, livestock
#: heads by group, and the groups whose livestock is not known.
_Level = tuple[str, pd.DataFrame, pd.DataFrame, set[str]]


def _capacity_of_year(store: Store, year: int | None) -> tuple[int, pd.DataFrame]:
    """The capacity rows of ``year`` (default the latest stored) and that year."""
    where = None if year is None else {"year": int(year)}
    capacity = store.read_rows("capacity", where=where)
    if capacity.empty:
        what = "any year" if year is None else f"{year}"
        raise NotFound(f"no capacity rows for {what}; run `pasture capacity` first")
    if year is None:
        year = int(capacity["year"].max())
        capacity = capacity[capacity["year"] == year]
    return year, capacity


def _levels(capacity: pd.DataFrame, pooled: pd.DataFrame) -> list[_Level]:
    """Plot level from the plan and the livestock outside it; land-user and okrug levels
    sum their plots' livestock (every land user: unions, village livestock, public pasture).

    The same animals are never counted twice: each is on one plot at a time, and a
    land user's or okrug's load is the sum of its plots' (issue 16 item 4).
    """
    # mean heads per (plot, season): the plan's plus the livestock outside it (``pooled``)
    plot_heads = pooled.groupby(level=["plot_id", "season"]).sum()
    union_of = capacity.groupby("plot_id")["union_id"].first().fillna(PUBLIC_GROUP)
    okrug_of = capacity.groupby("plot_id")["okrug_id"].first()

    parts: list[_Level] = []
    plot_rows = capacity.assign(group_id=capacity["plot_id"])
    parts.append(("plot", plot_rows, plot_heads, set()))
    union_rows = aggregate_capacity(
        capacity.assign(group_id=capacity["union_id"].fillna(PUBLIC_GROUP)), by="group_id"
    )
    parts.append(("union", union_rows, _sum_over(plot_heads, union_of), set()))
    okrug_rows = aggregate_capacity(capacity.assign(group_id=capacity["okrug_id"]), by="group_id")
    parts.append(("okrug", okrug_rows, _sum_over(plot_heads, okrug_of), set()))
    return parts


def _sum_over(plot_heads: pd.DataFrame, group_of: pd.Series) -> pd.DataFrame:
    """Mean heads per (group, season): the sum of the group's plots' heads."""
    if plot_heads.empty:
        return plot_heads
    plot_ids = plot_heads.index.get_level_values("plot_id")
    groups = plot_ids.map(group_of)
    seasons = plot_heads.index.get_level_values("season")
    summed = plot_heads.groupby([groups, seasons]).sum()
    summed.index = summed.index.set_names(["group_id", "season"])
    return summed


def _pool_heads(
    store: Store,
    capacity: pd.DataFrame,
    plots: pd.DataFrame,
    census: pd.DataFrame,
    plan: PlanLivestock,
) -> pd.DataFrame:
    """Mean heads per (plot, season, pool): the plan's herds and the livestock outside
    it, by whose animals they are (a union, or ``village:<settlement>`` for the
    households of a settlement in no union)."""
    days = capacity.groupby("season")["days"].max()
    # the herds as the plan split them (its village flock sizes)
    herds = herds_of_plan(store, _plan_params(store, plan))
    planned = plan_heads(store, plan, days, herds, pools=True)
    in_plan = _herds_in_plan(store, plan, herds)
    outside = outside_plan_heads(census, in_plan, plots, capacity, pools=True)
    village_in_plan = in_plan[in_plan.index.astype(str).str.startswith(VILLAGE_PREFIX)]
    village_in_plan.index = village_in_plan.index.astype(str).str.removeprefix(VILLAGE_PREFIX)
    households = store.read("households")
    villages = village_heads(census, households, plots, capacity, village_in_plan, pools=True)
    both = pd.concat([planned, outside, villages])
    return both.groupby(level=["plot_id", "season", "pool"]).sum()


def _plan_params(store: Store, plan: PlanLivestock) -> dict[str, Any] | None:
    """The stored parameters of the season's plan (None without one)."""
    if plan.plan_id is None:
        return None
    return store.read_rows("plans", where={"id": plan.plan_id}).iloc[0]["params"]


def _herds_in_plan(store: Store, plan: PlanLivestock, herds: pd.DataFrame) -> pd.DataFrame:
    """Heads of the plan's herds per union (scaled by the plan's livestock factor)."""
    if plan.plan_id is None or herds.empty:
        return _no_heads()
    ids = store.read_rows("assignments", where={"plan_id": plan.plan_id})["herd_id"].unique()
    row = store.read_rows("plans", where={"id": plan.plan_id}).iloc[0]
    factor = float(((row["params"] or {}).get("planning") or {}).get("livestock_factor", 1.0))
    chosen = herds[herds["id"].isin(list(ids))]
    return herd_heads(pd.DataFrame(chosen), by="union_id") * factor


def _stocking(
    rows: pd.DataFrame,
    heads: pd.DataFrame,
    *,
    table: SpeciesTable | None,
) -> pd.DataFrame:
    """`stocking_load` per group; heads indexed by (group, season) are matched per season."""
    if not isinstance(heads.index, pd.MultiIndex):
        return stocking_load(rows, heads, by="group_id", table=table)
    parts = []
    for season, part in rows.groupby("season", sort=False):
        of_season = (
            heads.xs(season, level="season")
            if season in heads.index.get_level_values("season")
            else _no_heads()
        )
        parts.append(stocking_load(part, of_season, by="group_id", table=table))
    return pd.concat(parts, ignore_index=True)


def _conditions(store: Store, capacity: pd.DataFrame) -> tuple[np.ndarray, dict[str, str]]:
    """Each row's plot condition for the norm (restored or degraded) and its basis per plot.

    Degraded where the plot's NDVI trend is significantly downward (``trends`` status
    ``degrading``, docs/domain.md "Degradation"); restored otherwise. Without trends,
    every plot is read as restored and the basis says it was not measured.
    """
    trends = store.read_rows("trends")
    status = dict(zip(trends["plot_id"], trends["status"], strict=True)) if len(trends) else {}
    condition = np.array(
        ["degraded" if status.get(p) == "degrading" else "restored" for p in capacity["plot_id"]],
        dtype=object,
    )
    if not status:
        basis = "no NDVI trend computed (`pasture trends`): read as restored"
        return condition, {str(p): basis for p in capacity["plot_id"]}
    words = {
        "degrading": "significant downward NDVI trend (trends table)",
        "stable": "no significant NDVI trend (trends table)",
        "improving": "upward NDVI trend (trends table)",
    }
    return condition, {
        str(p): words.get(str(status.get(p)), "NDVI trend unknown: read as restored")
        for p in capacity["plot_id"]
    }


def _describe(
    result: pd.DataFrame, plan: PlanLivestock, capacity: pd.DataFrame, basis_of: dict[str, str]
) -> None:
    """Where the livestock came from, the plot condition, why the statuses disagree (in place)."""
    plot = (result["level"] == "plot").to_numpy()
    sources = {"plot": f"{plan.note}; livestock outside it near its settlement"}
    summed = "the sum of its plots' livestock (plan and livestock outside it)"
    sources |= {"union": summed, "okrug": summed}
    result["load_source"] = result["level"].map(sources)
    condition = capacity.groupby("plot_id")["condition"].first()
    result["condition"] = np.where(plot, result["group_id"].map(condition), None)
    result["condition_basis"] = np.where(plot, result["group_id"].map(basis_of), None)
    result["disagreement"] = disagreement(
        result["status"],
        result["norm_status"],
        result["norm_load"],
        result["stocking_ratio_central"],
    )


#: Capacity status and norm status that say the same thing.
AGREEING_STATUSES = frozenset(
    {
        ("overloaded", "over the norm"),
        ("within capacity", "within the norm"),
        ("underused", "unused"),
    }
)
#: Why the two statuses disagree, by case (msgids: pages translate them).
WHY_NORM_STRICTER = "the legal norm is stricter than this year's forage"
WHY_FORAGE_SCARCER = (
    "this year's forage is scarcer than the legal norm assumes (a poor year or degraded land)"
)
WHY_UNUSED_YET_EATEN = (
    "under 50 % of the legal norm, yet the forage is used: "
    "the norm permits more than the forage feeds"
)
WHY_WITHIN_YET_UNDERUSED = (
    "within the legal norm, yet little of the forage is used: "
    "the forage feeds more than the norm permits"
)
FEEDS = "this year's forage feeds {k}× the livestock the norm permits"
NO_FORAGE = "no forage this year"


def disagreement_reason(
    status: Any, norm: Any, norm_load: Any, ratio: Any
) -> tuple[str, float] | None:
    """Why one row's capacity and norm statuses disagree: (one of the ``WHY_*`` texts,
    ``norm_load / stocking_ratio``), or None where they agree or one is unknown.

    The norm (Order 3-3/332) is hectares per head for an average year on land of the
    row's condition; capacity is this year's forage from NDVI through the forage basis.
    Their ratio is how many times the livestock the forage feeds exceeds what the norm
    permits (NaN without forage).
    """
    if (status, norm) in AGREEING_STATUSES or status == "unknown":
        return None
    if norm in ("unknown", "no norm", None):
        return None
    r = float(ratio) if ratio is not None and not pd.isna(ratio) else float("nan")
    k = float(norm_load) / r if np.isfinite(r) and r > 0 else float("nan")
    if norm == "over the norm":
        return WHY_NORM_STRICTER, k
    if status == "overloaded":
        return WHY_FORAGE_SCARCER, k
    if norm == "unused":
        return WHY_UNUSED_YET_EATEN, k
    return WHY_WITHIN_YET_UNDERUSED, k


def disagreement(
    status: pd.Series, norm: pd.Series, norm_load: pd.Series, ratio: pd.Series
) -> list[str | None]:
    """Why the capacity status and the norm status of each row disagree (None where they
    agree), in English as stored: :func:`disagreement_reason` in words."""
    out: list[str | None] = []
    for s, n, nl, r in zip(status, norm, norm_load, ratio, strict=True):
        reason = disagreement_reason(s, n, nl, r)
        if reason is None:
            out.append(None)
            continue
        why, k = reason
        feeds = FEEDS.format(k=f"{k:.1f}") if np.isfinite(k) else NO_FORAGE
        out.append(f"{why} ({feeds})")
    return out


def _mark_unknown(loaded: pd.DataFrame, unknown: set[str]) -> None:
    """Groups whose livestock is not in the census: demand and statuses unknown (in place)."""
    mask = loaded["group_id"].isin(list(unknown)).to_numpy()
    for column in ("demand_kg", *(f"stocking_ratio_{b}" for b in BANDS), "norm_load"):
        loaded.loc[mask, column] = np.nan
    loaded.loc[mask, "status"] = "unknown"
    loaded.loc[mask, "norm_status"] = "unknown"


def _no_heads() -> pd.DataFrame:
    return pd.DataFrame(columns=list(SPECIES), dtype=float)


def _sheep_units(frame: pd.DataFrame, table: SpeciesTable | None) -> np.ndarray:
    from grazing_models.livestock import sheep_units

    return np.asarray(sheep_units(frame[list(SPECIES)], table=table), dtype=float)


def _with_plot_fields(capacity: pd.DataFrame, plots: pd.DataFrame) -> pd.DataFrame:
    fields = plots[["id", "union_id", "okrug_id", "pasture_type"]].rename(columns={"id": "plot_id"})
    out = capacity.merge(fields, on="plot_id", how="left")
    missing = out["okrug_id"].isna()
    if missing.any():
        listed = ", ".join(sorted(out.loc[missing, "plot_id"].astype(str).unique())[:10])
        raise NotFound(
            f"capacity rows refer to plots that are no longer stored ({listed}); "
            "run `pasture capacity` again"
        )
    return out


def norm_rows_of(store: Store) -> dict[str, tuple[str, str, str, str]]:
    """The store's pasture type → norm-table row mapping (empty when none is set)."""
    text = store.get_meta(NORM_ROWS_SETTING)
    return parse_norm_rows(text, source=f"store setting {NORM_ROWS_SETTING}") if text else {}


def parse_norm_rows(text: str, *, source: str) -> dict[str, tuple[str, str, str, str]]:
    """JSON ``{pasture type: [oblast, natural zone, subzone, pasture type]}`` (a file or a setting)."""
    try:
        doc = json.loads(text)
        return {str(k): (str(v[0]), str(v[1]), str(v[2]), str(v[3])) for k, v in doc.items()}
    except (ValueError, TypeError, IndexError, KeyError, AttributeError):
        raise InvalidInput(
            source, ["expected JSON {pasture type: [oblast, natural zone, subzone, pasture type]}"]
        ) from None


def _permitted_heads(
    capacity: pd.DataFrame,
    norms: NormTable,
    rows_of: Mapping[str, tuple[str, str, str, str]],
    *,
    grazing_days: GrazingDays,
) -> pd.DataFrame:
    """Heads each plot-season may carry under the norm: ``permitted_<species>``."""
    rows: list[NormRow | None] = norms.resolve(
        capacity["pasture_type"].astype(str).tolist(), rows_of
    )
    allowed = permitted_heads(
        area_ha=capacity["area_ha"].to_numpy(dtype=float),
        days_grazed=capacity["days"].to_numpy(dtype=float),
        rows=rows,
        condition=list(capacity["condition"]) if "condition" in capacity else "restored",
        grazing_days=grazing_days,
    )
    out = capacity[["plot_id", "union_id", "okrug_id", "season"]].reset_index(drop=True)
    for s in SPECIES:
        out[f"permitted_{s}"] = allowed[s].to_numpy()
    return out


def _with_norms(
    loaded: pd.DataFrame,
    permitted: pd.DataFrame,
    *,
    level: str,
    plots_capacity: pd.DataFrame,
    unused_threshold: float,
) -> pd.DataFrame:
    """``norm_load`` = Σ_species heads / Σ_plots permitted heads, and its status.

    For one plot this is `grazing_models.norms.norm_load`; for a group it sums the
    permitted heads of its plots, so mixed pasture types each keep their own norm.
    """
    key = {"plot": "plot_id", "union": "union_id", "okrug": "okrug_id"}[level]
    group = permitted[key]
    if level == "union":
        group = group.fillna(PUBLIC_GROUP)
    columns = [f"permitted_{s}" for s in SPECIES]
    sums = (
        permitted.assign(group_id=group.to_numpy())
        .groupby(["group_id", "season"], sort=False)[columns]
        .sum(min_count=1)
    )
    index = pd.MultiIndex.from_arrays([loaded["group_id"], loaded["season"]])
    allowed = sums.reindex(index).to_numpy(dtype=float)
    heads = loaded[list(SPECIES)].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(heads > 0, heads / allowed, 0.0)
    norm_load = np.where(np.isnan(allowed).all(axis=1), np.nan, np.nansum(share, axis=1))
    out = loaded.copy()
    out["norm_load"] = norm_load
    out["norm_status"] = norm_status(norm_load, unused_share=unused_threshold)
    return out
