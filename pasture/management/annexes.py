"""Annexes 5, 6 and 7-1 of a plan: the allocation of households' livestock, as content tables.

The allocation itself is :func:`pasture.management.allocation.allocate`; this module reads
its inputs for one okrug and writes its results as the content document's tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from grazing_models.livestock import default_species_table
from grazing_models.norms import ANNEX_LABEL, NormRow
from grazing_models.vocabulary import SPECIES

from ..model import LAYERS
from ..store.base import Store
from .allocation import Allocation, AllocationParams, allocate

__all__ = ["allocation_sections"]

_CENSUS_SOURCE = "store: census (latest count of each household; every head as breeding stock)"


def _table(columns: list[str], frame: pd.DataFrame, source: str) -> dict[str, Any]:
    from .content import _plain

    rows = [[_plain(v) for v in r] for r in frame[columns].itertuples(index=False, name=None)]
    return {"columns": columns, "rows": rows, "source": source}


def _missing(reason: str) -> dict[str, dict[str, Any]]:
    """The three sections when the allocation cannot run, saying why."""
    note = {"tables": {}, "unavailable": reason}
    return {"5": dict(note), "6": dict(note), "7-1": {**note, "plot_ids": []}}


def allocation_sections(
    store: Store,
    frames: Mapping[str, Any],
    rows: list[NormRow | None],
    params: AllocationParams | None,
) -> dict[str, dict[str, Any]]:
    """Sections ``5``, ``6`` and ``7-1`` of one okrug's content.

    Distant pasture may lie anywhere in the district (the receiving plots are listed with
    their okrug); near pasture is the okrug's public and household pasture.
    """
    if "settlements" not in LAYERS or "tenure" not in LAYERS["plots"].field_names:
        return _missing("the store has no settlements layer or plot tenure yet")
    settlements = frames["settlements"]
    if settlements.empty:
        return _missing("no settlements of this okrug are recorded")
    params = params or AllocationParams()
    from .content import plot_norm_rows

    district = store.read("plots")
    # the same resolution of each plot's load norm as the okrug's annex 2 (one path)
    district_rows, _ = plot_norm_rows(store, district)
    species = default_species_table().sheep_units.to_dict()
    result = allocate(
        settlements, frames["livestock"], district, district_rows, species, params=params
    )
    sections = _sections(result, district, settlements, frames)
    # annex 6 lists the okrug of each distant plot: its name in each language, not its id
    okrugs = store.read("okrugs")
    named = {
        str(r.id): {lang: str(getattr(r, f"name_{lang}")) for lang in ("kk", "ru", "en")}
        for r in okrugs.itertuples()
    }
    sections["6"]["names"] = {**named, **sections["6"]["names"]}
    return sections


def _sections(
    result: Allocation,
    plots: pd.DataFrame,
    settlements: pd.DataFrame,
    frames: Mapping[str, Any],
) -> dict[str, dict[str, Any]]:
    # tables hold settlement ids; the document prints each in its language (``names``)
    names = {
        str(r.id): {lang: str(getattr(r, f"name_{lang}")) for lang in ("kk", "ru", "en")}
        for r in settlements.itertuples()
    }
    okrug_of = dict(zip(plots["id"], plots["okrug_id"], strict=True))
    placements = result.placements
    if placements.empty:
        placements = pd.DataFrame(
            columns=["settlement_id", "plot_id", "kind", "share", "hectares", "distance_km"]
        )
    placements = placements.assign(
        settlement=placements["settlement_id"],
        okrug_id=placements["plot_id"].map(okrug_of),
    )
    near = placements[placements["kind"] == "near"]
    distant = placements[placements["kind"] == "distant"]
    by_settlement = result.settlements.assign(settlement=result.settlements["settlement_id"])
    livestock = frames["livestock"]
    no_settlement = livestock[livestock["settlement_id"].isna()]
    unplaced = by_settlement[by_settlement["unplaced_share"] > 0]
    shares = ["near_share", "distant_share", "unplaced_share"]
    source = f"{_CENSUS_SOURCE}; plots; norms: {ANNEX_LABEL}"
    five = {
        "tables": {
            "settlements": _table(
                ["settlement", "households", *SPECIES, "sheep_units", *shares],
                by_settlement,
                source,
            ),
            "near": _table(
                ["settlement", "plot_id", "share", "hectares", "distance_km"], near, source
            ),
            "fairness": _table(
                ["settlement_id", "size_class", "households", "sheep_units", *shares],
                result.fairness
                if len(result.fairness)
                else pd.DataFrame(
                    columns=["settlement_id", "size_class", "households", "sheep_units", *shares]
                ),
                source,
            ),
        },
        "names": names,
        "figures": {
            "households_without_settlement": len(no_settlement),
            "settlements_with_unplaced": len(unplaced),
        },
    }
    six = {
        "names": names,
        "tables": {
            "distant": _table(
                ["settlement", "plot_id", "okrug_id", "share", "hectares", "distance_km"],
                distant,
                source + "; season: " + AllocationParams().distant_season,
            ),
            "unplaced": _table(["settlement", "sheep_units", "unplaced_share"], unplaced, source),
        },
        "figures": {
            "unplaced_sheep_units": round(
                float((unplaced["sheep_units"] * unplaced["unplaced_share"]).sum()), 1
            )
        },
    }
    used = result.plots[result.plots["plot_id"].isin(set(near["plot_id"]))]
    seven_one = {
        "tables": {"needed": _table(["plot_id", "area_ha", "used_ha"], used, source)},
        "plot_ids": sorted(used["plot_id"].tolist()),
    }
    return {"5": five, "6": six, "7-1": seven_one}
