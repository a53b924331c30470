"""Census → herds is one path: the planner's herds follow the census and the allocation."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pasture
from grazing_models.livestock import default_species_table
from grazing_models.load import census_heads, latest_census
from pasture.model import SPECIES
from pasture.planning import PlanningParams, create_plan, plan_frames, rotation_inputs
from pasture.science.herds import (
    VILLAGE_PREFIX,
    planning_herds,
    reconcile_union_herds,
    village_allocation,
)
from pasture.store import Store

from .helpers import YEAR, Science


@pytest.fixture
def store(science: Science, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "census.gpkg"
    shutil.copy(science.path, path)
    with pasture.open_store(path) as s:
        yield s


def test_union_herds_carry_their_members_latest_census(store: Store) -> None:
    herds = planning_herds(store)
    union = herds[herds["kind"] == "union"]
    heads = union.groupby("union_id")[list(SPECIES)].sum()
    census = census_heads(store.read("census"), by="union_id").reindex(heads.index)
    pd.testing.assert_frame_equal(heads.astype(float), census.astype(float), check_names=False)


def test_a_census_edit_changes_the_next_plans_sheep_units(store: Store) -> None:
    census = store.read("census")
    member = latest_census(census[census["union_id"].notna()]).iloc[0]
    before = rotation_inputs(store, season_year=YEAR)
    record = store.get("census", member["id"])
    store.update(
        "census",
        member["id"],
        {"sheep": int(member["sheep"]) + 500},
        expected_version=record.version,
        user="test",
    )
    after = rotation_inputs(store, season_year=YEAR)
    su_per_sheep = float(default_species_table().sheep_units["sheep"])
    total = [sum(h.sheep_units for h in i.herds) for i in (before, after)]
    assert total[1] - total[0] == pytest.approx(500 * su_per_sheep)
    union = str(member["union_id"])
    of_union = [sum(h.sheep_units for h in i.herds if h.union_id == union) for i in (before, after)]
    assert of_union[1] - of_union[0] == pytest.approx(500 * su_per_sheep)


@pytest.mark.parametrize("flock_heads", [None, {sp: 150 for sp in SPECIES}])
def test_village_flocks_take_what_the_allocation_sends_away(
    store: Store, flock_heads: dict[str, int] | None
) -> None:
    """Each settlement's distant livestock in flocks of one species, none above the
    maximum, whose heads sum exactly to what the allocation sends away."""
    most = flock_heads or PlanningParams().flock_heads
    shares = village_allocation(store).set_index("settlement_id")
    herds = planning_herds(store, flock_heads=flock_heads)
    village = herds[herds["kind"] == "village"]
    assert len(village) > 0
    away = shares["distant_share"] + shares["unplaced_share"]
    expected = pd.DataFrame(
        {
            sp: [round(float(shares.at[i, sp]) * float(away.at[i])) for i in shares.index]
            for sp in SPECIES
        },
        index=shares.index,
    )
    expected = expected[(expected > 0).any(axis=1)]
    got = village.groupby("settlement_id")[list(SPECIES)].sum()
    pd.testing.assert_frame_equal(
        got.sort_index().astype(int), expected.sort_index().astype(int), check_names=False
    )
    assert (village["union_id"] == VILLAGE_PREFIX + village["settlement_id"]).all()
    # one species per flock, never above its maximum
    heads = village[list(SPECIES)].to_numpy()
    assert ((heads > 0).sum(axis=1) == 1).all()
    assert all((village[sp] <= most[sp]).all() for sp in SPECIES)
    # the fewest flocks: splitting a species in one more flock than needed is not done
    counts = village.groupby(["settlement_id"])[list(SPECIES)].agg(lambda c: int((c > 0).sum()))
    for sp in SPECIES:
        needed = np.ceil(expected[sp] / most[sp]).astype(int)
        assert (counts[sp].reindex(needed.index).fillna(0).astype(int) == needed).all()
    # names and ids unique and telling: settlement, species, number of the total
    assert village["id"].is_unique and village["name"].is_unique
    sheep = village[village["sheep"] > 0]
    n = int(np.ceil(expected.at[sheep["settlement_id"].iat[0], "sheep"] / most["sheep"]))
    assert sheep["name"].iat[0].endswith(f"village — sheep flock 1 of {n} (distant pasture)")


def test_the_plan_covers_every_households_livestock(store: Store) -> None:
    """Union herds + village herds + what stays near the village = the whole census."""
    census = latest_census(store.read("census"))
    herds = planning_herds(store)
    shares = village_allocation(store).set_index("settlement_id")
    near = (shares[list(SPECIES)].mul(shares["near_share"], axis=0)).sum()
    covered = herds[list(SPECIES)].sum() + near
    no_settlement = census[census["union_id"].isna()]
    households = store.read("households").set_index("id")
    homeless = no_settlement[no_settlement["household_id"].map(households["settlement_id"]).isna()][
        list(SPECIES)
    ].sum()
    total = census[list(SPECIES)].sum() - homeless
    # one head per species and settlement at most lost to rounding
    assert (covered - total).abs().max() <= len(shares)


def test_reconcile_splits_by_stored_heads_and_keeps_totals() -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    herds = gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c"],
            "union_id": ["u1", "u1", "u2"],
            **{sp: [0, 0, 0] for sp in SPECIES},
        },
        geometry=[Point(0, 0)] * 3,
        crs=4326,
    )
    herds["sheep"] = [300, 100, 50]
    census = pd.DataFrame(
        {
            "household_id": ["h1", "h1", "h2"],
            "union_id": ["u1", "u1", "u1"],
            "date": pd.to_datetime(["2024-01-01", "2024-06-01", "2024-06-01"]),
            **{sp: [0, 0, 0] for sp in SPECIES},
        }
    )
    census["sheep"] = [999, 700, 101]  # latest: 700 + 101
    census["cattle"] = [0, 0, 9]  # no herd holds cattle: split evenly
    out = reconcile_union_herds(herds, census).set_index("id")
    assert out["sheep"].to_dict() == {"a": 601, "b": 200, "c": 50}  # u2 has no census: kept
    assert out.loc[["a", "b"], "cattle"].sum() == 9


def test_okrug_and_land_user_load_is_the_sum_of_their_plots(store: Store) -> None:
    from pasture import science as pasture_science

    load = pasture_science.compute_load(store, year=YEAR)
    plots = load[load["level"] == "plot"]
    fields = store.read("plots").set_index("id")
    plots = plots.assign(
        okrug_id=plots["group_id"].map(fields["okrug_id"]),
        union_id=plots["group_id"].map(fields["union_id"]).fillna(pasture_science.PUBLIC_GROUP),
    )
    for level, key in (("okrug", "okrug_id"), ("union", "union_id")):
        rows = load[load["level"] == level].set_index(["group_id", "season"])
        summed = plots.groupby([key, "season"])[[*SPECIES, "demand_kg"]].sum()
        summed.index = summed.index.set_names(["group_id", "season"])
        rows = rows.reindex(summed.index)
        np.testing.assert_allclose(
            rows[[*SPECIES, "demand_kg"]].to_numpy(dtype=float),
            summed.to_numpy(dtype=float),
            rtol=1e-6,
            atol=1e-6,
        )
    # village livestock on public pasture counts: the public land user carries load
    public = load[(load["level"] == "union") & (load["group_id"] == "public")]
    assert public["demand_kg"].sum() > 0
    assert (load.loc[load["level"] != "plot", "status"] != "unknown").all()


def test_the_plans_deficit_per_okrug_is_its_land_users_demand_less_what_they_eat(
    store: Store,
) -> None:
    plan_id = create_plan(
        store,
        season_year=YEAR,
        user="test",
        solver="heuristic",
        solve_limit=5.0,
        lower_bound=False,
    )
    frames = plan_frames(store, plan_id)
    summary = frames.plan["summary"]
    unions = store.read("unions").set_index("id")["okrug_id"]
    settlements = store.read("settlements").set_index("id")["okrug_id"]

    def okrug(land_user: str) -> str:
        if land_user.startswith(VILLAGE_PREFIX):
            return str(settlements[land_user.removeprefix(VILLAGE_PREFIX)])
        return str(unions[land_user])

    a = frames.assignments
    short = (a["demand_kg"] - a["eaten_kg"]).where(
        a["demand_kg"] - a["eaten_kg"] > 1e-6 * a["demand_kg"], 0.0
    )
    expected = short.groupby(a["union_id"].map(okrug)).sum()
    expected = expected[expected > 0]
    got = {k: v["deficit_kg"] for k, v in summary["deficit_by_okrug"].items()}
    assert set(got) == set(expected.index)
    for k, kg in expected.items():
        assert got[k] == pytest.approx(kg, rel=1e-6)
    # the village herds are in the plan: every household's livestock is planned or near home
    assert a["union_id"].str.startswith(VILLAGE_PREFIX).any()
