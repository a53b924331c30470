"""The demo's season as `pasture demo` runs it: science, plan, then the load under the plan."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import pasture
from pasture.planning import plan_frames, run_demo_season
from pasture.science import ScienceSummary
from pasture.store import Store


@pytest.fixture(scope="module")
def season(
    demo_ndvi_gpkg: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Store, ScienceSummary, str]]:
    target = tmp_path_factory.mktemp("demo-season") / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, target)
    with pasture.open_store(target) as store:
        summary, plan_id = run_demo_season(store, time_limit=0.1)
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
