"""Which herds' figures would reveal a household: the census disclosure rule on herds.

A union herd's heads are its members' animals (the census the herds are reconciled
with), a village flock's those of its settlement's households in no union; a herd
whose contributing households are fewer than the minimum group, or whose largest
contributions dominate, tells one household's livestock through its heads, its sheep
units and its demand. The decision is :func:`pasture.disclosure.withheld_by`, the one
rule of the census totals and the load (docs/domain.md "Census disclosure control"),
on each herd's contributions: every household of the herd's pool (its union, or its
settlement's households in no union) with animals of the herd's species, in sheep
units, its share of the pool's heads of each species (latest census) times the herd's
heads, the same shares :func:`pasture.science.load.load_contributions` gives a plot's
pools.

A plan's herds are decided from the contributors stored with them (``plan_herds``'s
``contributors`` and ``top_shares``, :func:`with_herd_contributors` when the plan's
herds are built): the households behind the heads the plan stored, whatever the census
is today. Herds of a plan stored before (gpkg 0012 / postgis 0014), and the herds layer
itself, are decided from today's census (:func:`herd_contributions`).
"""

from __future__ import annotations

import pandas as pd

from grazing_models.livestock import SpeciesTable, default_species_table

from ..disclosure import (
    Contributors,
    DisclosureRules,
    stored_contributors,
    withheld_by,
    withheld_from,
)
from ..model import SPECIES
from ..store.base import Store
from .load import pool_shares

__all__ = ["HERD_FIGURES", "herd_contributions", "with_herd_contributors", "withheld_herds"]

#: A herd's figures that are its households' livestock: the species' heads, and the
#: assignments' sheep units, demand and forage eaten.
HERD_FIGURES = (*SPECIES, "sheep_units", "demand_kg", "eaten_kg")


def herd_contributions(
    store: Store, herds: pd.DataFrame, table: SpeciesTable | None = None
) -> dict[str, pd.Series]:
    """Herd id → sheep units per household in the herd (households with a part in it).

    ``herds``: ``id``, ``union_id`` (a union, or ``village:<settlement>``) and the
    species' heads, as :func:`pasture.science.herds.plan_herds` gives them.
    """
    census = store.read("census")
    if census.empty or herds.empty:
        return {}
    shares = pool_shares(census, store.read("households"))
    by_pool = {str(p): rows[list(SPECIES)] for p, rows in shares.groupby("pool")}
    units = (table or default_species_table()).sheep_units
    no_one = shares.iloc[0:0][list(SPECIES)]
    out: dict[str, pd.Series] = {}
    for pool, group in herds.groupby(herds["union_id"].astype(str)):
        mine = by_pool.get(pool, no_one)
        heads = group[list(SPECIES)].astype(float).fillna(0.0)
        weighted = heads.to_numpy() * [float(units[s]) for s in SPECIES]
        # households × herds: each household's part of each herd, in sheep units
        parts = mine.to_numpy() @ weighted.T
        for j, herd in enumerate(group["id"].astype(str)):
            part = parts[:, j] > 0  # numpy, not pandas: a district has ~1,000 herds
            out[herd] = pd.Series(parts[part, j], index=mine.index[part])
    return out


def with_herd_contributors(store: Store, herds: pd.DataFrame) -> pd.DataFrame:
    """``herds`` with each herd's contributors from today's census: ``contributors`` (how
    many households) and ``top_shares`` (the largest ones' shares of its sheep units), the
    columns a plan stores with its herds (``plan_herds``)."""
    contributions = herd_contributions(store, herds)
    empty = pd.Series(dtype="float64")
    summary = [
        Contributors.of(contributions.get(h, empty).to_numpy()) for h in herds["id"].astype(str)
    ]
    return herds.assign(
        contributors=[c.count for c in summary],
        top_shares=[list(c.top_shares) for c in summary],
    )


def withheld_herds(
    store: Store,
    herds: pd.DataFrame,
    rules: DisclosureRules | None,
    *,
    plan_id: str | None = None,
) -> dict[str, str]:
    """Herd id → the rule that withholds its figures (``threshold`` or ``dominance``);
    a herd absent may be published. ``rules`` None (a role that sees personal data):
    none withheld. With ``plan_id``, a herd the plan stored with its contributors is
    decided from them; any other from today's census (module docstring)."""
    if rules is None or herds.empty:
        return {}
    ids = herds["id"].astype(str)
    stored = _plan_contributors(store, plan_id, set(ids)) if plan_id is not None else {}
    today = herd_contributions(store, herds[~ids.isin(stored)])
    empty = pd.Series(dtype="float64")
    decided = {
        h: withheld_from(stored[h], rules)
        if h in stored
        else withheld_by(today.get(h, empty), rules)
        for h in ids
    }
    return {h: rule for h, rule in decided.items() if rule is not None}


def _plan_contributors(store: Store, plan_id: str, ids: set[str]) -> dict[str, Contributors]:
    """Herd id → the contributors a plan stored with it, of the herds in ``ids`` it stored
    them for (none for a plan stored before gpkg 0012 / postgis 0014)."""
    rows = store.read_rows("plan_herds", where={"plan_id": plan_id})
    rows = rows[rows["herd_id"].astype(str).isin(ids)]
    return {
        str(h): c
        for h, c in zip(rows["herd_id"], stored_contributors(rows), strict=True)
        if c is not None
    }
