"""The demo's season as `pasture demo` runs it: science, plan, then the load under the plan."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pasture
from grazing_models.rotation import Herd, RotationInputs, RotationParams, plan_rotation
from pasture.planning import (
    DEFAULT_MIGRATION_KM,
    PlanningParams,
    plan_frames,
    rotation_inputs,
    run_demo_season,
)
from pasture.planning.periods import plan_periods
from pasture.science import ScienceSummary
from pasture.science.herds import VILLAGE_PREFIX, herds_of_plan
from pasture.science.plan_livestock import near_village_intake
from pasture.store import Store


@pytest.fixture(scope="module")
def season(
    demo_ndvi_gpkg: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Store, ScienceSummary, str]]:
    target = tmp_path_factory.mktemp("demo-season") / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, target)
    with pasture.open_store(target) as store:
        summary, plan_id = run_demo_season(store, solve_limit=0.1)
        yield store, summary, plan_id


def test_the_stored_load_counts_the_demo_plan(season: tuple[Store, ScienceSummary, str]) -> None:
    store, summary, plan_id = season
    load = store.read_rows("load", where={"year": summary.year})
    plot = load[load["level"] == "plot"]
    # the plot level names the plan it counts, not "no plan"
    assert plot["load_source"].str.contains(plan_id).all()
    assert not plot["load_source"].str.contains("no plan").any()
    # every plot the plan grazes carries livestock in the stored load
    a = plan_frames(store, plan_id).assignments
    grazed = set(a.loc[a["plot_id"].notna() & (a["eaten_kg"] > 0), "plot_id"])
    assert grazed
    demand = plot.groupby("group_id")["demand_kg"].sum()
    assert (demand.reindex(sorted(grazed)).fillna(0.0) > 0).all()
    assert summary.load_rows == len(load)


def _plot_season_eaten(store: Store, plan_id: str) -> pd.Series:
    """The plan's intake (kg DM) per plot and season label of its weeks."""
    frames = plan_frames(store, plan_id)
    a = frames.assignments[frames.assignments["plot_id"].notna()]
    label = plan_periods(frames.plan, frames.assignments).set_index("period")["season"]
    a = a.assign(season=a["period"].map(label))
    return a.groupby(["plot_id", "season"])["eaten_kg"].sum()


def test_public_forage_is_not_counted_twice(season: tuple[Store, ScienceSummary, str]) -> None:
    """On every public plot, what the livestock kept near its village eats plus what the
    plan's herds eat stays within the season's allowance (utilisation × harvest efficiency
    of the standing crop, the capacity table's), where the village leaves anything."""
    store, summary, plan_id = season
    capacity = store.read_rows("capacity", where={"year": summary.year})
    capacity = capacity[capacity["season"].isin(PlanningParams().seasons)]
    plots = store.read("plots")
    params = plan_frames(store, plan_id).plan["params"]
    near = near_village_intake(store, plots, capacity, herds_of_plan(store, params))
    assert near.sum() > 0  # the demo's villages keep livestock on their public pasture
    eaten = _plot_season_eaten(store, plan_id)
    rows = capacity.set_index(["plot_id", "season"])
    allowance = rows["forage_central_kg"].fillna(0.0) * rows["harvest_efficiency"]
    public = set(plots.loc[plots["tenure"] == "public", "id"])
    keys = [k for k in allowance.index if k[0] in public]
    near_k = near.reindex(keys).fillna(0.0).to_numpy()
    eaten_k = eaten.reindex(keys).fillna(0.0).to_numpy()
    room = np.maximum(allowance.reindex(keys).to_numpy() - near_k, 0.0)
    # the stored rows round to whole kilograms
    over = eaten_k - room
    assert (over <= 1.0 + 1e-6 * room).all(), f"{int((over > 1.0).sum())} plot-seasons over"
    assert eaten_k.sum() > 0  # the plan grazes public pasture
    fits = near_k <= allowance.reindex(keys).to_numpy()
    total = near_k[fits] + eaten_k[fits]
    assert (total <= allowance.reindex(keys).to_numpy()[fits] + 1.0 + 1e-6 * total).all()


def _one_herd_per_settlement(inputs: RotationInputs) -> RotationInputs:
    """The inputs with each settlement's village flocks merged back into one herd."""
    herds: list[Herd] = []
    at: dict[str, int] = {}
    for h in inputs.herds:
        if not h.union_id.startswith(VILLAGE_PREFIX):
            herds.append(h)
        elif h.union_id in at:
            g = herds[at[h.union_id]]
            herds[at[h.union_id]] = replace(
                g,
                sheep_units=g.sheep_units + h.sheep_units,
                demand_kg_day=g.demand_kg_day + h.demand_kg_day,
            )
        else:
            at[h.union_id] = len(herds)
            herds.append(replace(h, id=h.union_id))
    return RotationInputs(
        inputs.plots, tuple(herds), inputs.periods, inputs.available_kg, inputs.regrowth_kg
    )


def test_flocks_do_not_raise_the_demo_plans_deficit(
    season: tuple[Store, ScienceSummary, str],
) -> None:
    """Village livestock in flocks of the default size: no more deficit than the same
    livestock in one herd per settlement (which grazes one plot a week), on the same forage."""
    store, summary, _ = season
    flocks = rotation_inputs(store, season_year=summary.year)
    whole = _one_herd_per_settlement(flocks)
    assert flocks.n_herds > whole.n_herds
    demand = [sum(h.demand_kg_day for h in i.herds) for i in (flocks, whole)]
    assert demand[0] == pytest.approx(demand[1], rel=1e-9)
    params = RotationParams(max_migration_km=DEFAULT_MIGRATION_KM)
    deficit = [
        sum(
            d.deficit_kg
            for d in plan_rotation(
                i, params, solver="heuristic", time_limit=0.1, bound=False
            ).deficits
        )
        for i in (flocks, whole)
    ]
    assert 0 < deficit[0] <= deficit[1]
