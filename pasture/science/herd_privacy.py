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
"""

from __future__ import annotations

import pandas as pd

from grazing_models.livestock import SpeciesTable, default_species_table

from ..disclosure import DisclosureRules, withheld_by
from ..model import SPECIES
from ..store.base import Store
from .load import pool_shares

__all__ = ["HERD_FIGURES", "herd_contributions", "withheld_herds"]

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
    units = (table or default_species_table()).sheep_units
    out: dict[str, pd.Series] = {}
    for pool, group in herds.groupby(herds["union_id"].astype(str)):
        mine = shares.loc[shares["pool"] == pool, list(SPECIES)]
        heads = group[list(SPECIES)].astype(float).fillna(0.0)
        weighted = heads.mul([float(units[s]) for s in SPECIES], axis=1)
        # households × herds: each household's part of each herd, in sheep units
        parts = mine.to_numpy() @ weighted.to_numpy().T
        for j, herd in enumerate(group["id"].astype(str)):
            column = pd.Series(parts[:, j], index=mine.index)
            out[herd] = column[column > 0]
    return out


def withheld_herds(
    store: Store, herds: pd.DataFrame, rules: DisclosureRules | None
) -> dict[str, str]:
    """Herd id → the rule that withholds its figures (``threshold`` or ``dominance``);
    a herd absent may be published. ``rules`` None (a role that sees personal data):
    none withheld."""
    if rules is None or herds.empty:
        return {}
    contributions = herd_contributions(store, herds)
    empty = pd.Series(dtype="float64")
    decided = {h: withheld_by(contributions.get(h, empty), rules) for h in herds["id"].astype(str)}
    return {h: rule for h, rule in decided.items() if rule is not None}
