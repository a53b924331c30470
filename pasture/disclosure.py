"""Disclosure control of census totals: no published total may reveal one household.

Two primary rules of statistical disclosure control for magnitude tables
(docs/domain.md "Census disclosure control"):

- the **threshold rule**: a group of fewer than ``min_group`` households is suppressed
  whole (every count null);
- the **(n, k) dominance rule**: one species' total is suppressed when its ``n`` largest
  contributions make up more than ``k`` per cent of it (one household holding most of a
  union's horses is revealed by the total and its own count).

A suppressed cell is published as null with the rule that suppressed it; a row with any
null count is marked ``suppressed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pasture.model import SPECIES

__all__ = ["DisclosureRules", "dominated", "protected_totals"]


@dataclass(frozen=True)
class DisclosureRules:
    """The parameters of both rules (defaults: docs/domain.md, settable per server)."""

    min_group: int = 3
    dominance_n: int = 1
    dominance_k: float = 75.0

    def __post_init__(self) -> None:
        if self.min_group < 1 or self.dominance_n < 1:
            raise ValueError("min_group and dominance_n must be at least 1")
        if not 0 < self.dominance_k <= 100:
            raise ValueError("dominance_k is a percentage: more than 0, at most 100")


def dominated(contributions: Sequence[float] | pd.Series, n: int, k: float) -> bool:
    """Whether the ``n`` largest contributions exceed ``k`` % of their total (0: never)."""
    values = pd.Series(contributions, dtype="float64").fillna(0.0)
    total = float(values.sum())
    if total <= 0:
        return False
    top = float(values.nlargest(n).sum())
    return top > k / 100.0 * total


def _cells(rows: pd.DataFrame, rules: DisclosureRules) -> dict[str, Any]:
    """One group's published counts and the rule that suppressed each withheld one."""
    households = int(rows["household_id"].nunique())
    per_household = rows.groupby("household_id")[list(SPECIES)].sum()
    counts: dict[str, int | None] = {}
    rule_of: dict[str, str] = {}
    for s in SPECIES:
        if households < rules.min_group:
            rule_of[s] = "threshold"
        elif dominated(per_household[s], rules.dominance_n, rules.dominance_k):
            rule_of[s] = "dominance"
        counts[s] = None if s in rule_of else int(per_household[s].sum())
    return {
        "households": households,
        "suppressed": bool(rule_of),
        "suppressed_by": rule_of,
        **counts,
    }


def protected_totals(census: pd.DataFrame, rules: DisclosureRules) -> list[dict[str, Any]]:
    """Head counts summed per union and census date, each cell under both rules.

    Households in no union are summed under ``union_id`` None.
    """
    if census.empty:
        return []
    out = []
    keys = ["union_id", "date"]
    for (union, day), rows in census.groupby(keys, sort=True, dropna=False):
        out.append(
            {
                "union_id": None if pd.isna(union) else str(union),
                "date": pd.Timestamp(day).date().isoformat(),
                **_cells(rows, rules),
            }
        )
    return out
