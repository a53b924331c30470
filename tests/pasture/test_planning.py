"""Rotation plans from the store: inputs, checked plans, stored rows, exports, approval, CLI."""

from __future__ import annotations

import itertools
import math
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

import pasture
from grazing_models.capacity import DEFAULT_HARVEST_EFFICIENCY
from grazing_models.livestock import default_species_table
from grazing_models.rotation import (
    Assignment,
    Plan,
    RotationInputs,
    RotationParams,
    UnionDeficit,
    Violation,
    validate_plan,
)
from pasture import cli as pasture_cli
from pasture import planning
from pasture.errors import AlreadyExists, InvalidInput, NotFound
from pasture.model import SPECIES
from pasture.planning import (
    PlanningParams,
    PlanRejected,
    approve_plan,
    create_plan,
    export_plan,
    list_plans,
    plan_frames,
    rotation_inputs,
    run_demo_plan,
)
from pasture.science import compute_capacity, read_forage_basis
from pasture.science.herds import VILLAGE_PREFIX, planning_herds
from pasture.science.plan_livestock import near_village_intake
from pasture.store import Store

SEASON = 2024  # the demo's last generated NDVI year (8 years from 2017)
CSV_COLUMNS = {
    "plan_id",
    "herd_id",
    "union_id",
    "plot_id",
    "start",
    "end",
    "sheep_units",
    "demand_kg",
    "available_kg",
}
#: A reduced instance: one union's herds in spring, within 5 km of home.
SMALL = PlanningParams(unions=("upu-akshi",), seasons=("spring",))
SMALL_PARAMS = RotationParams(max_home_km=5.0)


@pytest.fixture(scope="module")
def store_path(demo_ndvi_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("planning") / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, target)
    return target


@pytest.fixture(scope="module")
def store(store_path: Path) -> Iterator[Store]:
    with pasture.open_store(store_path) as s:
        yield s


@pytest.fixture(scope="module")
def inputs(store: Store) -> RotationInputs:
    return rotation_inputs(store, season_year=SEASON)


@pytest.fixture(scope="module")
def demo_plan(store: Store) -> str:
    """The demo's plan, made the way `pasture demo` makes it (one heuristic pass)."""
    return run_demo_plan(store, solve_limit=0.1)


@pytest.fixture(scope="module")
def tight_plan(store: Store) -> str:
    """Ten times the livestock at a tenth of the usual utilisation: forage runs short."""
    return create_plan(
        store,
        season_year=SEASON,
        user="analyst",
        solver="heuristic",
        params=RotationParams(utilisation=0.05),
        planning=PlanningParams(livestock_factor=10.0),
        solve_limit=0.1,
        lower_bound=False,
    )


def plan_from_rows(frames: planning.PlanFrames) -> Plan:
    """Rebuild the planner's Plan from the stored rows, to validate what was stored."""
    a = frames.assignments
    d = frames.deficits
    return Plan(
        assignments=tuple(
            Assignment(
                herd_id=r.herd_id,
                period=int(r.period),
                plot_id=None if r.plot_id is None else str(r.plot_id),
                eaten_kg=float(r.eaten_kg),
                demand_kg=float(r.demand_kg),
            )
            for r in a.itertuples(index=False)
        ),
        deficits=tuple(
            UnionDeficit(
                union_id=r.union_id,
                period=int(r.period),
                deficit_kg=float(r.deficit_kg),
                sheep_units_to_move=float(r.sheep_units_to_move),
                feed_kg_dm=float(r.feed_kg_dm),
            )
            for r in d.itertuples(index=False)
        ),
        solver=str(frames.plan["solver"]),
        status=str(frames.plan["solver_status"]),
        objective=float(frames.plan["objective"]),
        bound=None,
        gap=None,
        objective_terms={},
        params=RotationParams(**frames.plan["params"]["rotation"]),
    )


# --------------------------------------------------------------------------- inputs


def test_inputs_cover_the_grazing_year_in_labelled_weeks(
    store: Store, inputs: RotationInputs
) -> None:
    periods = inputs.periods
    assert periods[0].start.isoformat() == f"{SEASON}-04-16"
    assert all((b.start - a.start).days == 7 for a, b in itertools.pairwise(periods))
    labels = [p.season for p in periods]
    # spring, then summer, then autumn, each a contiguous block; no winter week
    assert labels == sorted(labels, key=["spring", "summer", "autumn"].index)
    assert set(labels) == {"spring", "summer", "autumn"}
    assert periods[-1].start.month in (10, 11)
    # winter is not grazed in this plan: no plot keeps it, and every plot has another season
    assert all("winter" not in p.seasons and p.seasons for p in inputs.plots)
    stored = store.read("plots")
    assert inputs.n_plots == int(stored["seasons"].map(lambda s: s != "winter" and bool(s)).sum())


def test_planner_season_days_are_the_capacity_tables(store: Store, inputs: RotationInputs) -> None:
    """One calendar: each season's days in the plan (its open weeks) are the capacity
    table's days, so the forage a plot feeds per day means the same in both."""
    capacity = compute_capacity(store, year=SEASON)
    days = capacity.groupby("season")["days"].agg(["min", "max"])
    period_days = RotationParams().period_days
    for season in PlanningParams().seasons:
        planned = period_days * sum(1 for p in inputs.periods if season in p.seasons)
        assert days.loc[season, "min"] == days.loc[season, "max"] == planned, season
    # spring: 7 weeks from 16 April, the last (28 May – 3 June) with its middle in spring
    assert days.loc["spring", "max"] == 49


def test_inputs_forage_water_and_herd_demand(store: Store, inputs: RotationInputs) -> None:
    avail = inputs.available_kg
    assert avail.shape == (inputs.n_plots, inputs.n_periods)
    assert np.isfinite(avail).all() and (avail >= 0).all()
    # forage follows the season: the summer peak is far above mid-April's
    assert avail.sum(axis=0).max() > 1.3 * avail[:, 0].sum()
    water = np.array([p.water_km for p in inputs.plots])
    assert np.isfinite(water).all() and (water >= 0).all() and (water == 0).any()
    assert np.median(water) < 5.0
    # demand from composition: heads x intake, mean over the plan's weeks
    # the herds the planner moves: union herds after the census, village herds (one path)
    herds = planning_herds(store).set_index("id")
    table = default_species_table()
    labels = [p.season for p in inputs.periods]
    h = inputs.herds[0]
    counts = herds.loc[h.id, list(SPECIES)].astype(float)
    expected = np.mean([float((counts * table.intake(s)).sum()) for s in labels])
    assert h.demand_kg_day == pytest.approx(expected)
    assert h.sheep_units == pytest.approx(float((counts * table.sheep_units).sum()))
    assert {x.union_id for x in inputs.herds} == set(herds["union_id"])
    stored = set(store.read("herds")["union_id"])
    assert {u for u in herds["union_id"] if u not in stored} == {
        u for u in herds["union_id"] if u.startswith(VILLAGE_PREFIX)
    }


def test_plan_allowance_is_the_capacity_tables_forage(store: Store, inputs: RotationInputs) -> None:
    """One computation: for every plot and season the planner's season allowance (what
    utilisation lets herds remove) is the capacity table's forage, through one basis,
    less on public plots what the village's own livestock eats there."""
    capacity = compute_capacity(store, year=SEASON)
    utilisation = RotationParams().utilisation
    labels = np.array([p.season for p in inputs.periods])
    allowance = {
        (p.id, season): utilisation
        * inputs.available_kg[i, labels == season].max()
        / DEFAULT_HARVEST_EFFICIENCY
        for i, p in enumerate(inputs.plots)
        for season in p.seasons
    }
    rows = capacity.set_index(["plot_id", "season"])["forage_central_kg"].fillna(0.0)
    # every plot-season of spring, summer and autumn
    assert len(allowance) == int(capacity["season"].isin(["spring", "summer", "autumn"]).sum())
    got = np.array([allowance[k] for k in allowance])
    # less, on public plots, what the livestock kept near its village eats (as standing crop)
    near = near_village_intake(store, store.read("plots"), capacity, planning_herds(store))
    near_crop = near.reindex(list(allowance)).fillna(0.0).to_numpy() / DEFAULT_HARVEST_EFFICIENCY
    assert near_crop.sum() > 0
    want = np.maximum(rows.reindex(list(allowance)).to_numpy() - near_crop, 0.0)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6)
    # the capacity rows name the basis the planner read
    basis = read_forage_basis(store)
    ndvi_rows = capacity[capacity["source"] == "ndvi"]
    assert {doc["basis"] for doc in ndvi_rows["model"]} == {basis.id}
    # a cautious plan grazes the low band of the same interval
    low = rotation_inputs(store, season_year=SEASON, planning=PlanningParams(forage_band="low"))
    assert (low.available_kg <= inputs.available_kg + 1e-9).all()
    assert low.available_kg.sum() < inputs.available_kg.sum()


def test_livestock_factor_scales_demand(store: Store, inputs: RotationInputs) -> None:
    fewer = rotation_inputs(
        store, season_year=SEASON, planning=PlanningParams(livestock_factor=0.8)
    )
    assert fewer.herds[3].demand_kg_day == pytest.approx(0.8 * inputs.herds[3].demand_kg_day)
    assert fewer.herds[3].sheep_units == pytest.approx(0.8 * inputs.herds[3].sheep_units)
    np.testing.assert_allclose(fewer.available_kg, inputs.available_kg)


def test_trends_and_load_give_degradation_and_load_ratio(store: Store) -> None:
    trends = pd.DataFrame(
        {
            "plot_id": ["P0100", "P0101"],
            "n_years": 8,
            "alpha": 0.05,
            "status": ["degrading", "improving"],
        }
    )
    load = pd.DataFrame(
        {
            "level": "plot",
            "group_id": ["P0100", "P0100", "P0101"],
            "year": [SEASON - 1, SEASON - 1, SEASON + 1],
            "season": ["spring", "autumn", "spring"],
            "stocking_ratio_central": [1.7, 0.4, 9.0],
            "status": "overloaded",
        }
    )
    store.replace_rows("trends", trends)
    store.replace_rows("load", load)
    try:
        got = rotation_inputs(store, season_year=SEASON)
    finally:
        store.replace_rows("trends", trends.iloc[:0])
        store.replace_rows("load", load.iloc[:0])
    by_id = {p.id: p for p in got.plots}
    assert by_id["P0100"].degradation == 1.0 and by_id["P0101"].degradation == 0.0
    # the latest year up to the season, the highest ratio over its seasons; later years unused
    assert by_id["P0100"].load_ratio == pytest.approx(1.7)
    assert by_id["P0101"].load_ratio == 0.0
    assert sum(p.degradation > 0 or p.load_ratio > 0 for p in got.plots) == 1


# --------------------------------------------------------------------------- plans


def test_demo_plan_is_stored_as_a_valid_draft(
    store: Store, inputs: RotationInputs, demo_plan: str
) -> None:
    frames = plan_frames(store, demo_plan)
    row = frames.plan
    assert row["state"] == "draft" and row["created_by"] == planning.DEMO_USER
    assert row["season_year"] == SEASON and row["solver"] == "heuristic"
    assert math.isfinite(row["objective"])
    # every parameter is recorded, and what the plan assumes of forage
    params = row["params"]
    expected = RotationParams(max_migration_km=planning.DEFAULT_MIGRATION_KM)
    assert params["rotation"] == expected.model_dump(mode="json")
    assert params["planning"]["forage_band"] == "central"
    assert params["planning"]["harvest_efficiency"] == DEFAULT_HARVEST_EFFICIENCY
    assert params["planning"]["regrowth_per_week"] == 0.0
    forage = row["summary"]["forage"]
    basis = read_forage_basis(store)
    assert forage["basis"] == basis.id and forage["generated"] is True
    assert "GENERATED" in forage["basis_label"] and forage["regrowth"].startswith("off")
    assert params["solver"]["requested"] == "heuristic"
    assert {r["species"] for r in params["species_table"]} == set(SPECIES)
    # the stored rows, read back, break no rule of the planner
    assert validate_plan(plan_from_rows(frames), inputs) == []
    a = frames.assignments
    assert len(a) == inputs.n_herds * inputs.n_periods
    assert not a.duplicated(["herd_id", "period"]).any()
    summary = row["summary"]
    unplaced = a["plot_id"].isna()
    assert summary["unplaced_demand_kg"] == pytest.approx(a.loc[unplaced, "demand_kg"].sum())
    assert summary["deficit_kg"] == pytest.approx(frames.deficits["deficit_kg"].sum())
    assert summary["demand_kg"] == pytest.approx(a["demand_kg"].sum())
    # what herds do not eat is the deficit, and the demo district's livestock (every
    # household's, at the oblast's density) exceeds its forage: the plan shows a deficit
    assert summary["eaten_kg"] + summary["deficit_kg"] == pytest.approx(summary["demand_kg"])
    assert 0 < summary["deficit_kg"] < summary["demand_kg"]


def test_a_plan_stores_the_households_behind_each_herd(store: Store, demo_plan: str) -> None:
    """Each herd of a plan is stored with its contributors from the census its heads came
    from (how many households, the largest ones' shares): what the disclosure rules
    decide its figures from, whatever the census says later (pasture.science.herd_privacy)."""
    from pasture.disclosure import Contributors
    from pasture.science.herd_privacy import herd_contributions

    rows = store.read_rows("plan_herds", where={"plan_id": demo_plan})
    assert set(rows["kind"]) == {"union", "village"}
    assert rows["contributors"].notna().all() and (rows["contributors"] >= 3).mean() > 0.5
    # the census has not changed since: the same as computed from it now
    today = herd_contributions(store, rows.rename(columns={"herd_id": "id"}))
    for r in rows.itertuples():
        expected = Contributors.of(today.get(str(r.herd_id), pd.Series(dtype="float64")))
        assert r.contributors == expected.count
        assert list(r.top_shares) == pytest.approx(list(expected.top_shares))
        assert len(r.top_shares) <= 10 and sorted(r.top_shares, reverse=True) == r.top_shares


def test_available_kg_is_the_plots_allowance_under_the_plan(
    store: Store, inputs: RotationInputs, demo_plan: str
) -> None:
    a = plan_frames(store, demo_plan).assignments
    placed = a[a["plot_id"].notna()]
    per_plot = placed.groupby(["plot_id", "period"]).agg(
        eaten=("eaten_kg", "sum"), allowed=("available_kg", "first"), n=("available_kg", "nunique")
    )
    assert (per_plot["n"] == 1).all()  # herds sharing a plot see the same allowance
    assert (per_plot["eaten"] <= per_plot["allowed"] * (1 + 1e-9) + 1e-3).all()
    # on a plot's first grazed week its allowance is utilisation x ungrazed forage
    first = placed.sort_values("period").drop_duplicates("plot_id")
    r = first.iloc[0]
    i = inputs.plot_index[r["plot_id"]]
    assert r["available_kg"] == pytest.approx(0.5 * inputs.available_kg[i, int(r["period"])])
    assert a.loc[a["plot_id"].isna(), "available_kg"].isna().all()


def test_too_little_forage_gives_deficits_per_union_and_week(
    store: Store, inputs: RotationInputs, tight_plan: str
) -> None:
    frames = plan_frames(store, tight_plan)
    a, d = frames.assignments, frames.deficits
    tight_inputs = rotation_inputs(
        store, season_year=SEASON, planning=PlanningParams(livestock_factor=10.0)
    )
    assert validate_plan(plan_from_rows(frames), tight_inputs) == []
    unions = d.loc[~d["union_id"].str.startswith(VILLAGE_PREFIX), "union_id"]
    assert unions.nunique() == 5
    assert d["period"].nunique() >= 10
    short = (
        (a["demand_kg"] - a["eaten_kg"]).groupby([a["union_id"], a["period"]]).sum().rename("want")
    )
    merged = d.set_index(["union_id", "period"]).join(short)
    np.testing.assert_allclose(merged["deficit_kg"], merged["want"], rtol=1e-6)
    # no union-week with unmet demand is missing from the deficits
    assert set(short[short > 1e-3 * a["demand_kg"].max()].index) <= set(merged.index)
    np.testing.assert_allclose(merged["sheep_units_to_move"], merged["deficit_kg"] / (1.4 * 7))
    np.testing.assert_allclose(merged["feed_kg_dm"], merged["deficit_kg"])
    assert frames.plan["summary"]["deficit_kg"] > 0.1 * frames.plan["summary"]["demand_kg"]
    assert frames.plan["params"]["planning"]["livestock_factor"] == 10.0
    assert frames.plan["params"]["rotation"]["utilisation"] == 0.05
    # summary deficits per union add up to the rows
    by_union = d.groupby("union_id")["deficit_kg"].sum()
    for union, doc in frames.plan["summary"]["deficit_by_union"].items():
        assert doc["deficit_kg"] == pytest.approx(by_union[union])


def test_milp_on_a_reduced_instance(store: Store) -> None:
    plan_id = create_plan(
        store,
        season_year=SEASON,
        user="analyst",
        solver="milp",
        params=SMALL_PARAMS,
        planning=SMALL,
        solve_limit=20.0,
        mip_rel_gap=0.01,
    )
    frames = plan_frames(store, plan_id)
    row = frames.plan
    assert row["solver"] == "milp"
    assert row["solver_status"] in ("optimal", "time_limit")
    assert row["bound"] is not None and row["bound"] <= row["objective"] * (1 + 1e-9)
    assert row["params"]["planning"]["unions"] == ["upu-akshi"]
    small_inputs = rotation_inputs(store, season_year=SEASON, planning=SMALL)
    assert small_inputs.n_periods == 6
    assert validate_plan(plan_from_rows(frames), small_inputs) == []
    assert set(frames.assignments["union_id"]) == {"upu-akshi"}


def test_a_plan_that_breaks_a_rule_is_refused(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = [Violation("over_utilisation", "10.0 kg eaten, 5.0 kg allowed", None, "P0001", 3)]
    monkeypatch.setattr(planning.service, "validate_plan", lambda _plan, _inputs: broken)
    before = set(list_plans(store)["id"])
    with pytest.raises(PlanRejected, match=r"over_utilisation.*P0001") as info:
        create_plan(
            store,
            season_year=SEASON,
            user="analyst",
            solver="heuristic",
            params=SMALL_PARAMS,
            planning=SMALL,
            solve_limit=0.1,
        )
    assert info.value.violations == broken
    new = list_plans(store)
    (failed,) = new[~new["id"].isin(before)].itertuples(index=False)
    assert failed.state == "failed" and "over_utilisation" in failed.summary["error"]
    assert store.read_rows("assignments", where={"plan_id": failed.id}).empty
    with pytest.raises(InvalidInput, match="only a draft"):
        approve_plan(store, failed.id, user="council")


def test_plans_survive_a_store_reopen(store: Store, store_path: Path, demo_plan: str) -> None:
    before = plan_frames(store, demo_plan)
    with pasture.open_store(store_path) as again:
        after = plan_frames(again, demo_plan)
        assert demo_plan in set(list_plans(again, season_year=SEASON)["id"])
    pd.testing.assert_frame_equal(before.assignments, after.assignments)
    pd.testing.assert_frame_equal(before.deficits, after.deficits)
    assert before.plan == after.plan


def test_approve_records_who_and_refuses_twice(store: Store) -> None:
    # as the API starts a plan: its own id, registered as solving; parameters as mappings
    plan_id = "plan-2024-api00001"
    store.replace_rows(
        "plans",
        pd.DataFrame(
            [
                {
                    "id": plan_id,
                    "season_year": SEASON,
                    "state": "solving",
                    "params": {},
                    "created_at": pd.Timestamp.now(tz="UTC"),
                    "created_by": "analyst",
                }
            ]
        ),
        where={"id": plan_id},
    )
    got = create_plan(
        store,
        season_year=SEASON,
        user="analyst",
        solver="heuristic",
        params=SMALL_PARAMS.model_dump(),
        planning={"unions": ["upu-akshi"], "seasons": ["spring"]},
        solve_limit=0.1,
        plan_id=plan_id,
    )
    assert got == plan_id and plan_frames(store, plan_id).plan["state"] == "draft"
    row = approve_plan(store, plan_id, user="council:akimat")
    stored = plan_frames(store, plan_id).plan
    assert stored["state"] == row["state"] == "approved"
    assert stored["approved_by"] == "council:akimat" and stored["approved_at"] is not None
    assert stored["created_by"] == "analyst"
    assert plan_id in set(list_plans(store, state="approved")["id"])
    with pytest.raises(
        InvalidInput, match="only a draft plan can be approved; this plan is approved"
    ):
        approve_plan(store, plan_id, user="someone else")


# --------------------------------------------------------------------------- exports


def test_csv_has_one_row_per_herd_and_week(
    store: Store, inputs: RotationInputs, demo_plan: str, tmp_path: Path
) -> None:
    path = export_plan(store, demo_plan, tmp_path / "plan.csv")
    table = pd.read_csv(path)
    assert set(table.columns) >= CSV_COLUMNS
    assert len(table) == inputs.n_herds * inputs.n_periods
    assert not table.duplicated(["herd_id", "start"]).any()
    assert table.groupby("herd_id").size().eq(inputs.n_periods).all()
    assert set(table["plan_id"]) == {demo_plan}
    assert (pd.to_datetime(table["end"]) - pd.to_datetime(table["start"])).dt.days.eq(6).all()


def test_xlsx_opens_with_assignments_and_deficits(
    store: Store, tight_plan: str, tmp_path: Path
) -> None:
    path = export_plan(store, tight_plan, tmp_path / "plan.xlsx")
    book = openpyxl.load_workbook(path, read_only=True)
    assert {"assignments", "deficits"} <= set(book.sheetnames)
    frames = plan_frames(store, tight_plan)
    rows = list(book["assignments"].iter_rows(values_only=True))
    assert set(rows[0]) >= CSV_COLUMNS and len(rows) - 1 == len(frames.assignments)
    deficit_rows = list(book["deficits"].iter_rows(values_only=True))
    assert "deficit_kg" in deficit_rows[0] and len(deficit_rows) - 1 == len(frames.deficits)
    book.close()


def test_geojson_reads_back_with_plot_shapes(store: Store, demo_plan: str, tmp_path: Path) -> None:
    path = export_plan(store, demo_plan, tmp_path / "plan.geojson")
    frame = pyogrio.read_dataframe(path)
    placed = plan_frames(store, demo_plan).assignments["plot_id"].notna().sum()
    assert len(frame) == placed
    assert frame.crs is not None and frame.crs.to_epsg() == 4326
    assert set(frame.geom_type) <= {"MultiPolygon", "Polygon"}
    assert set(frame.columns) >= CSV_COLUMNS
    plots = store.read("plots", ids=[frame["plot_id"].iat[0]])  # by id: not through GDAL
    assert frame.geometry.iat[0].equals_exact(plots.geometry.iat[0], 1e-9)


def test_kml_calendar_has_time_spans_styles_by_union_and_labels(
    store: Store, demo_plan: str, tmp_path: Path
) -> None:
    path = export_plan(store, demo_plan, tmp_path / "plan.kml")
    frame = pyogrio.read_dataframe(path)
    placed = plan_frames(store, demo_plan).assignments
    placed = placed[placed["plot_id"].notna()]
    assert len(frame) == len(placed)
    assert (frame["begin"].dt.date == pd.to_datetime(frame["start"]).dt.date).all()
    assert (frame["end"].notna()).all()
    text = path.read_text(encoding="utf-8")
    assert text.count("<Style id=") == placed["union_id"].nunique()
    # each placement is labelled by its herd's name in the plan (a village flock's too)
    assert frame["Name"].iat[0].startswith(f"{frame['herd'].iat[0]}: {frame['plot_id'].iat[0]}")
    village = frame[frame["herd_id"].str.startswith("village-")]
    assert len(village) and village["herd"].str.contains(" village — ").all()


def test_xlsx_in_russian_has_titles_real_dates_and_whole_kilograms(
    store: Store, tight_plan: str, tmp_path: Path
) -> None:
    path = export_plan(store, tight_plan, tmp_path / "plan.xlsx", lang="ru")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Назначения", "Дефициты", "План"]
    header = [c.value for c in book["Дефициты"][1]]
    assert "Дефицит, кг" in header and "deficit_kg" not in header
    deficits = pd.read_excel(path, sheet_name="Дефициты")
    assert pd.api.types.is_datetime64_any_dtype(deficits["Начало"])
    values = deficits["Дефицит, кг"]
    assert (values == values.round()).all() and (values >= 0).all()
    assert book["Назначения"].freeze_panes == "A2"


# --------------------------------------------------------------------------- bad input


def test_unknown_plan_id_is_not_found(store: Store, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no plan with id 'plan-1999-nope'"):
        plan_frames(store, "plan-1999-nope")
    with pytest.raises(NotFound):
        approve_plan(store, "plan-1999-nope", user="x")
    with pytest.raises(NotFound):
        export_plan(store, "plan-1999-nope", tmp_path / "x.csv")


def test_a_year_without_ndvi_is_a_clear_error(store: Store) -> None:
    with pytest.raises(NotFound, match=r"no NDVI in ndvi_stats for 2031.*2017-2024"):
        rotation_inputs(store, season_year=2031)
    n = len(list_plans(store))
    with pytest.raises(NotFound, match="no NDVI"):
        create_plan(store, season_year=2031, user="x")
    assert len(list_plans(store)) == n  # nothing stored


def test_bad_parameters_are_clear_errors(store: Store, demo_plan: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="biomass_models"):  # no second model: one basis
        PlanningParams.model_validate({"biomass_models": {}})
    with pytest.raises(ValueError, match="forage_band"):
        PlanningParams.model_validate({"forage_band": "median"})
    with pytest.raises(NotFound, match="upu-nowhere"):
        rotation_inputs(store, season_year=SEASON, planning=PlanningParams(unions=("upu-nowhere",)))
    with pytest.raises(InvalidInput, match="unknown export format 'dxf'"):
        export_plan(store, demo_plan, tmp_path / "plan.dxf")
    with pytest.raises(InvalidInput, match=r"exact MILP would have \d{1,3}(,\d{3})+ herd x plot"):
        create_plan(store, season_year=SEASON, user="x", solver="milp")
    with pytest.raises(InvalidInput, match="utilisation: Input should be less than or equal to 1"):
        create_plan(store, season_year=SEASON, user="x", params={"utilisation": 1.5})
    with pytest.raises(AlreadyExists, match="stored already"):
        create_plan(store, season_year=SEASON, user="x", plan_id=demo_plan)
    with pytest.raises(ValueError, match="unknown season"):
        PlanningParams(seasons=("monsoon",))


# --------------------------------------------------------------------------- command line


def _cli() -> click.Group:
    # the real command group: it maps domain errors to exit codes
    return pasture_cli.main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(_cli(), ["plan", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_cli_create_show_export_approve(store_path: Path, tmp_path: Path) -> None:
    code, output = run(
        "create",
        "--store",
        str(store_path),
        "--season",
        str(SEASON),
        "--solver",
        "heuristic",
        "--utilisation",
        "0.4",
        "--time-limit",
        "45",  # the whole command: the demo's read takes seconds, its finish ~12 s is kept
        "--no-bound",
        "--user",
        "cli-test",
    )
    assert code == 0, output
    plan_id = next(w for w in output.split() if w.startswith(f"plan-{SEASON}-"))
    code, output = run("list", "--store", str(store_path))
    assert code == 0 and plan_id in output
    code, output = run("show", plan_id, "--store", str(store_path), "--rows", "5")
    assert code == 0, output
    assert "Grazing chart" in output and "more plots" in output
    assert "Deficits per union" in output or "no deficit" in output
    chart = [line for line in output.splitlines() if line.startswith("P")]
    assert len(chart) == 5
    code, output = run("show", plan_id, "--store", str(store_path), "--union", "upu-asy")
    assert code == 0 and "of upu-asy" in output
    target = tmp_path / "plan.csv"
    code, output = run("export", plan_id, "--store", str(store_path), "-o", str(target))
    assert code == 0 and set(pd.read_csv(target).columns) >= CSV_COLUMNS
    code, output = run("approve", plan_id, "--store", str(store_path), "--user", "council")
    assert code == 0 and "approved by council" in output
    code, output = run("approve", plan_id, "--store", str(store_path))
    assert code == 3 and "only a draft" in output


def test_cli_errors_have_exit_codes(store_path: Path, tmp_path: Path) -> None:
    code, output = run("show", "plan-1999-nope", "--store", str(store_path))
    assert code == 4 and "no plan with id" in output
    code, output = run("create", "--store", str(store_path), "--season", "2031")
    assert code == 4 and "no NDVI" in output
    code, output = run("create", "--store", str(store_path), "--season", "2024", "--solver", "x")
    assert code == 2


@pytest.mark.parametrize("season", ["spring", "summer", "autumn"])
def test_a_plot_of_one_season_may_be_grazed_its_whole_window(season: str) -> None:
    # September weeks are labelled autumn (herds come down) but lie in the summer window
    # too: a summer-only plot keeps them (it lost all of September before)
    from datetime import date, timedelta

    from grazing_models.rotation import Herd, Plot
    from grazing_models.seasons import SEASON_WINDOWS

    periods = planning.grazing_weeks(SEASON)
    middles = [p.start + timedelta(days=3) for p in periods]
    in_window = SEASON_WINDOWS[season].contains(pd.DatetimeIndex(middles))
    plot = Plot("P", frozenset({season}), None, 10.0, 0.0, 0.0, 0.0)
    herd = Herd("H", "U", 10.0, 14.0, 0.0, 0.0)
    n_t = len(periods)
    inputs = RotationInputs((plot,), (herd,), periods, np.ones((1, n_t)), np.zeros(1))
    assert inputs.season_ok[0].tolist() == in_window.tolist()
    # and the validator agrees, week by week
    rows = tuple(Assignment("H", t, "P", 0.0, 14.0 * 7) for t in range(n_t))
    plan = Plan(rows, (), "x", "x", 0.0, None, None, {}, RotationParams(max_stay_days=300.0))
    out_of_season = {v.period for v in validate_plan(plan, inputs) if v.rule == "out_of_season"}
    assert out_of_season == {t for t in range(n_t) if not in_window[t]}
    if season == "summer":
        september = [t for t, d in enumerate(middles) if d.month == 9]
        assert september and all(periods[t].season == "autumn" for t in september)
        assert all(in_window[t] for t in september)
    assert date(SEASON, 4, 16) == periods[0].start


def test_spring_starts_at_green_up_where_the_greenup_table_has_it(store: Store) -> None:
    from datetime import date

    from pasture.planning.inputs import build_inputs

    base = rotation_inputs(store, season_year=SEASON)
    spring = [p.id for p in base.plots if p.seasons == frozenset({"spring"})][:2]
    late, early = spring
    rows = pd.DataFrame(
        {
            "plot_id": [late, early],
            "year": SEASON - 1,  # planned from last year's NDVI: the dates move a year on
            "greenup_date": pd.to_datetime([f"{SEASON - 1}-05-10", f"{SEASON - 1}-03-20"]),
            "n_valid": 20,
        }
    )
    saved = store.read_rows("greenup")
    store.replace_rows("greenup", rows)
    try:
        got = build_inputs(
            store,
            season_year=SEASON,
            planning=PlanningParams(ndvi_year=SEASON - 1),
            period_days=7,
            utilisation=RotationParams().utilisation,
        )
        calendar = build_inputs(
            store,
            season_year=SEASON,
            planning=PlanningParams(ndvi_year=SEASON - 1, greenup_spring=False),
            period_days=7,
            utilisation=RotationParams().utilisation,
        )
    finally:
        store.replace_rows("greenup", saved)
    i_late, i_early = (got.inputs.plot_index[p] for p in (late, early))
    assert got.inputs.plots[i_late].greenup == date(SEASON, 5, 10)
    starts = [p.start for p in got.inputs.periods]
    # closed in every week that starts before 10 May, open as before from then on
    expect = [
        s >= date(SEASON, 5, 10) and ok
        for s, ok in zip(starts, base.season_ok[i_late], strict=True)
    ]
    assert got.inputs.season_ok[i_late].tolist() == expect
    assert not all(expect[:3]) and any(expect)
    # an earlier green-up cannot open weeks before the plan starts: as the calendar
    assert got.inputs.season_ok[i_early].tolist() == base.season_ok[i_early].tolist()
    assert got.info["spring_start"]["plots_from_greenup"] == 2
    assert calendar.info["spring_start"]["plots_from_greenup"] == 0
    assert calendar.inputs.season_ok[i_late].tolist() == base.season_ok[i_late].tolist()
    # a plan on them keeps the late plot closed until its green-up; the validator agrees
    rows_ = tuple(
        Assignment(got.inputs.herds[0].id, t, late, 0.0, got.inputs.herds[0].demand_kg_day * 7)
        for t in range(got.inputs.n_periods)
    )
    plan = Plan(rows_, (), "x", "x", 0.0, None, None, {}, RotationParams(max_stay_days=300.0))
    closed = {
        v.period
        for v in validate_plan(plan, got.inputs)
        if v.rule == "out_of_season" and "green-up" in v.message
    }
    assert closed == {
        t for t, s in enumerate(starts) if s < date(SEASON, 5, 10) and base.season_ok[i_late][t]
    }
