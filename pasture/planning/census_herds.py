"""The union's livestock in a plan is its latest census, moved in its herds.

A union keeps its members' census (docs/domain.md, "Who does what"); its herds say how
those animals are grouped and where each group starts. Census and herds are the same
animals (`pasture.science.load`), so a plan takes the union's head count of each species
from its households' latest census and shares it among the union's herds of that species
in proportion to their stored counts. A union's census edit thus reaches the next plan
without anyone rebuilding its herds.

* A union without census rows keeps its herds' own counts.
* Census heads of a species none of the union's herds keeps cannot be moved by the
  planner: they are left out and listed in the plan's summary
  (``livestock.census_heads_without_herd``), never silently dropped.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from grazing_models.load import census_heads

from ..model import SPECIES

__all__ = ["herds_at_census"]


def herds_at_census(
    herds: pd.DataFrame, census: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``herds`` with each union's species counts scaled to its latest census, and what was done.

    Returns the herds (a copy, counts as floats) and a summary: the census date used per
    union, the unions whose herds kept their own counts, and census heads no herd keeps.
    """
    out = herds.copy()
    counts = out[list(SPECIES)].astype(float).fillna(0.0)
    members = census[census["union_id"].notna()] if len(census) else census
    heads = census_heads(members, by="union_id") if len(members) else None
    dates: dict[str, str] = {}
    kept: list[str] = []
    unplaced: dict[str, dict[str, int]] = {}
    for union in sorted({str(u) for u in out["union_id"]}):
        rows = (out["union_id"] == union).to_numpy()
        if heads is None or union not in heads.index:
            kept.append(union)
            continue
        latest = pd.to_datetime(members.loc[members["union_id"] == union, "date"]).max()
        dates[union] = latest.date().isoformat()
        for species in SPECIES:
            wanted = float(heads.at[union, species])
            have = float(counts.loc[rows, species].sum())
            if have > 0:
                counts.loc[rows, species] *= wanted / have
            elif wanted > 0:
                unplaced.setdefault(union, {})[species] = int(wanted)
    out[list(SPECIES)] = counts
    info = {
        "source": "each union's latest census, shared among its herds by their counts",
        "census_date": dates,
        "herds_own_counts": kept,
        "census_heads_without_herd": unplaced,
    }
    return out, info
