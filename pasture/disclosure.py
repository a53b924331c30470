"""Disclosure control of census totals: no published total may reveal one household.

Two primary rules of statistical disclosure control for magnitude tables
(docs/domain.md "Census disclosure control"):

- the **threshold rule**: a group of fewer than ``min_group`` households is suppressed
  whole (every count null);
- the **(n, k) dominance rule**: one species' total is suppressed when its ``n`` largest
  contributions make up more than ``k`` per cent of it (one household holding most of a
  union's horses is revealed by the total and its own count).

A suppressed cell is published as null with the rule that suppressed it; a row with any
null count is marked ``suppressed``. One function decides for any total of households'
contributions (:func:`withheld_by`): the census totals' cells, the rows of the load
table and a plan's herds go through it alike, a row withheld by :func:`withhold`.

What the rules need of a total is :class:`Contributors`: how many households and the
largest ones' shares. The load table stores it with each row when the row is computed
(`pasture.science.load.compute_load`), and a plan with each of its herds
(`pasture.science.herd_privacy`), so that the decision is made from the households
behind the figures shown, not from today's census (:func:`withheld_from`,
:func:`stored_contributors`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pasture.model import SPECIES

__all__ = [
    "KEPT_SHARES",
    "Contributors",
    "DisclosureRules",
    "dominated",
    "protected_totals",
    "stored_contributors",
    "withheld_by",
    "withheld_from",
    "withhold",
]

#: Shares of the largest households a stored :class:`Contributors` keeps: the dominance
#: rule's ``n`` up to this is decided exactly; above it, from an upper bound.
KEPT_SHARES = 10


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
    # numpy, not pandas: the load's plot rows ask this thousands of times per page
    values = np.nan_to_num(np.asarray(contributions, dtype="float64"), nan=0.0)
    total = float(values.sum())
    if total <= 0:
        return False
    top = float(np.sort(values)[::-1][:n].sum())
    return top > k / 100.0 * total


@dataclass(frozen=True)
class Contributors:
    """What the disclosure rules need of a total: how many households contribute
    (zeros included) and the largest ones' shares of the total, largest first (at most
    :data:`KEPT_SHARES`; none when the total is zero)."""

    count: int
    top_shares: tuple[float, ...] = ()

    @classmethod
    def of(
        cls, contributions: Sequence[float] | pd.Series, keep: int = KEPT_SHARES
    ) -> Contributors:
        """The summary of one value per household."""
        values = np.nan_to_num(np.asarray(contributions, dtype="float64"), nan=0.0)
        total = float(values.sum())
        if total <= 0:
            return cls(len(values))
        top = np.sort(values)[::-1][:keep] / total
        return cls(len(values), tuple(float(v) for v in top))

    def dominated(self, n: int, k: float) -> bool:
        """Whether the ``n`` largest hold more than ``k`` % of the total. Beyond the kept
        shares each further household holds at most the last kept share: an upper bound,
        so a rule asking for more than was kept withholds rather than reveals."""
        shares = self.top_shares
        if not shares:
            return False
        top = sum(shares[:n])
        beyond = min(n, self.count) - len(shares)
        if beyond > 0:
            top += beyond * shares[-1]
        return top > k / 100.0


def stored_contributors(rows: pd.DataFrame) -> list[Contributors | None]:
    """Each row's :class:`Contributors` as a table stores them (``contributors``, the
    count, and ``top_shares``: the load rows, a plan's herds); None for a row stored
    without them (before the migration that added them)."""
    counts = rows.get("contributors", pd.Series(None, index=rows.index, dtype=object))
    shares = rows.get("top_shares", pd.Series(None, index=rows.index, dtype=object))
    return [
        None if pd.isna(n) else Contributors(int(n), tuple(float(v) for v in (top or ())))
        for n, top in zip(counts, shares, strict=True)
    ]


def withheld_from(contributors: Contributors, rules: DisclosureRules) -> str | None:
    """The rule that withholds a total of these ``contributors``, or None when it may be
    published: ``threshold`` below ``min_group`` households, else ``dominance`` when the
    ``n`` largest exceed ``k`` % of it."""
    if contributors.count < rules.min_group:
        return "threshold"
    if contributors.dominated(rules.dominance_n, rules.dominance_k):
        return "dominance"
    return None


def withheld_by(contributions: pd.Series, rules: DisclosureRules) -> str | None:
    """The rule that withholds a total of ``contributions`` (one value per household, zeros
    included), or None when it may be published (:func:`withheld_from`)."""
    return withheld_from(Contributors.of(contributions, keep=rules.dominance_n), rules)


def _cells(rows: pd.DataFrame, rules: DisclosureRules) -> dict[str, Any]:
    """One group's published counts and the rule that suppressed each withheld one."""
    households = int(rows["household_id"].nunique())
    per_household = rows.groupby("household_id")[list(SPECIES)].sum()
    counts: dict[str, int | None] = {}
    rule_of: dict[str, str] = {}
    for s in SPECIES:
        rule = withheld_by(per_household[s], rules)
        if rule is not None:
            rule_of[s] = rule
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


def withhold(rows: pd.DataFrame, rule: Sequence[str | None], fields: Sequence[str]) -> pd.DataFrame:
    """``rows`` with ``fields`` null where the row's ``rule`` (one per row, None: published)
    withholds it, and ``suppressed`` and ``suppressed_by`` (field → rule) added."""
    out = rows.copy()
    hit = np.array([r is not None for r in rule], dtype=bool)
    present = [f for f in fields if f in out]
    for f in present:  # numbers stay numbers (NaN: null), anything else None
        numeric = pd.api.types.is_numeric_dtype(out[f])
        out[f] = out[f].mask(hit) if numeric else out[f].astype(object).where(~hit, None)
    out["suppressed"] = hit
    out["suppressed_by"] = [dict.fromkeys(present, r) if r else {} for r in rule]
    return out
