"""Livestock load against forage and norms (pasture.science.load) on the demo store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import pasture
from grazing_models.load import UNDERUSED_SHARE, census_heads
from grazing_models.norms import DEMO_TYPE_ROWS, UNUSED_SHARE, NormTable
from grazing_models.rotation import RotationParams
from pasture import science as pasture_science
from pasture.errors import InvalidInput
from pasture.model import SPECIES
from pasture.planning import PlanningParams, approve_plan, create_plan
from pasture.science.load import parse_norm_rows

from .helpers import YEAR, Science


def test_load_status_applies_the_thresholds(science: Science) -> None:
    load = science.load
    assert set(load["level"]) == {"plot", "union", "okrug"}
    ratio = load["stocking_ratio_central"].to_numpy()
    known = np.isfinite(ratio)
    status = load["status"].to_numpy()
    assert (status[known & (ratio > 1)] == "overloaded").all()
    assert (status[known & (ratio < UNDERUSED_SHARE)] == "underused").all()
    middle = known & (ratio >= UNDERUSED_SHARE) & (ratio <= 1)
    assert (status[middle] == "within capacity").all()
    # a ratio over zero forage is stored as missing; such a group is overloaded
    no_forage = load["forage_central_kg"].fillna(0).to_numpy() == 0
    assert (
        status[~known & no_forage & (load["demand_kg"].fillna(0).to_numpy() > 0)] != "unknown"
    ).all()
    assert (status[~known & ~no_forage] == "unknown").all()
    # the norm status is the law's: over, within, unused under half of the norm
    assert set(load["norm_status"]) <= {
        "over the norm",
        "within the norm",
        "unused",
        "no norm",
        "unknown",
    }
    union = load[load["level"] == "union"]
    # every union has its rows; only public pasture (no union census) may be unknown
    assert set(science.plots["union_id"].dropna()) <= set(union["group_id"])
    members = union[union["group_id"] != pasture_science.PUBLIC_GROUP]
    assert members["status"].isin(["overloaded", "within capacity", "underused"]).all()


def test_norm_status_follows_the_norm_load(science: Science) -> None:
    rows = science.summary.union_load
    known = rows["norm_load"].notna()
    norm = rows.loc[known, "norm_load"]
    status = rows.loc[known, "norm_status"]
    assert (status[norm > 1] == "over the norm").all()
    assert (status[norm < UNUSED_SHARE] == "unused").all()
    assert (status[(norm >= UNUSED_SHARE) & (norm <= 1)] == "within the norm").all()


def test_norm_load_of_a_plot_is_the_orders_hectares_per_head(science: Science) -> None:
    """One plot: Σ heads × ha per head × season days / (area × the row's grazing days)."""
    annex = NormTable.annex()
    with pasture.open_store(science.path) as store:
        computed = pasture_science.compute_load(store, year=YEAR)
    assert not computed["norms_sample"].any()
    plots = computed[(computed["level"] == "plot") & (computed["demand_kg"] > 0)]
    row = plots.iloc[0]
    kind = science.plots.set_index("id").at[row["group_id"], "pasture_type"]
    norm = annex.row(*DEMO_TYPE_ROWS[kind])
    need = sum(row[s] * norm.ha_per_head(s) for s in SPECIES)
    expected = need * row["days"] / (row["area_ha"] * norm.days())
    assert row["norm_load"] == pytest.approx(expected, rel=1e-6)


def test_load_counts_the_census_once_and_outside_a_plan_on_the_unions_plots(
    science: Science,
) -> None:
    """Census and herds are the same animals, counted once: without a plan the plot level
    spreads each union's census over its own plots of each season (near its settlement),
    never the herds' home points, and a union's load (the sum of its plots') is its census."""
    census = census_heads(science.census, by="union_id")
    union = science.summary.union_load
    for union_id, heads in census.iterrows():
        rows = union[union["group_id"] == union_id]
        np.testing.assert_allclose(
            rows[list(SPECIES)].to_numpy(dtype=float),
            np.broadcast_to(heads.to_numpy(dtype=float), (len(rows), len(SPECIES))),
            err_msg=str(union_id),
        )
    stored = science.load[science.load["level"] == "plot"]
    assert len(stored) == len(science.capacity)
    assert stored["load_source"].str.startswith(f"no plan for {YEAR}").all()
    with pasture.open_store(science.path) as store:  # heads per species are not stored
        computed = pasture_science.compute_load(store, year=YEAR)
    plot_rows = computed[computed["level"] == "plot"]
    union_of = science.plots.set_index("id")["union_id"]
    spread = plot_rows.assign(union_id=plot_rows["group_id"].map(union_of))
    totals = spread.groupby(["union_id", "season"])[list(SPECIES)].sum()
    for (union_id, _season), heads in totals.iterrows():
        np.testing.assert_allclose(heads.to_numpy(), census.loc[union_id].to_numpy())
    # households in no union graze their settlement's public pasture; state pasture is idle
    tenure = science.plots.set_index("id")["tenure"]
    spread = spread.assign(tenure=spread["group_id"].map(tenure))
    assert (spread.loc[spread["tenure"] == "state", "demand_kg"] == 0).all()
    free = census_heads(
        science.census[science.census["union_id"].isna()].assign(g="all"), by="g"
    ).iloc[0]
    public = spread[spread["tenure"] == "public"].groupby("season")[list(SPECIES)].sum()
    assert (public.to_numpy() <= free.to_numpy() + 1e-6).all()
    assert public.to_numpy().sum() > 0


def test_plot_load_comes_from_the_approved_plan(science: Science, tmp_path: Path) -> None:
    """Plots in the approved plan carry the plan's livestock; the statuses say why they differ."""
    path = tmp_path / "demo.gpkg"
    shutil.copy(science.path, path)
    with pasture.open_store(path) as store:
        plan_id = create_plan(
            store,
            season_year=YEAR,
            user="akimat",
            solver="heuristic",
            params=RotationParams(max_home_km=5.0),
            planning=PlanningParams(unions=("upu-akshi",), seasons=("spring",)),
            solve_limit=0.1,
            lower_bound=False,
        )
        draft = pasture_science.compute_load(store, year=YEAR)
        approve_plan(store, plan_id, user="akimat")
        load = pasture_science.compute_load(store, year=YEAR)
        assignments = store.read_rows("assignments", where={"plan_id": plan_id})
    assert draft["load_source"].str.contains(f"draft {plan_id}").any()
    # every row, at every level, names the plan its livestock came from
    assert (draft["plan_id"] == plan_id).all() and (load["plan_id"] == plan_id).all()
    plots = load[load["level"] == "plot"].set_index(["group_id", "season"])
    assert plots["load_source"].str.startswith(f"approved plan {plan_id}").all()
    placed = assignments[assignments["plot_id"].notna()]
    grazed = placed.groupby("plot_id")["demand_kg"].sum()
    assert len(grazed) > 5
    for plot_id, demand in grazed.items():
        # the plan's livestock is on the plot (with any livestock outside the plan)
        assert plots.at[(plot_id, "spring"), "demand_kg"] >= demand * (1 - 1e-9)
    state = science.plots.loc[science.plots["tenure"] == "state", "id"]
    idle = set(state) - set(grazed.index)
    spring = plots.xs("spring", level="season")
    assert (spring.loc[spring.index.isin(idle), "demand_kg"] == 0).all()
    # two statuses side by side; a reason exactly where they disagree
    agree = {
        ("overloaded", "over the norm"),
        ("within capacity", "within the norm"),
        ("underused", "unused"),
    }
    pairs = list(zip(plots["status"], plots["norm_status"], strict=True))
    known = [s != "unknown" and n not in ("no norm", "unknown") for s, n in pairs]
    differ = np.array([k and p not in agree for k, p in zip(known, pairs, strict=True)])
    assert differ.any()
    assert plots["disagreement"].notna().to_numpy().tolist() == differ.tolist()
    assert set(plots["condition"]) <= {"restored", "degraded"}
    degraded = plots[plots["condition"] == "degraded"]
    assert degraded["condition_basis"].str.contains("downward NDVI trend").all()


def test_each_row_is_stored_with_its_contributors(science: Science, tmp_path: Path) -> None:
    """The contributors stored with each row are the households behind its figures: while
    plan and census are unchanged, those `load_contributions` computes for the row."""
    from pasture.disclosure import KEPT_SHARES, Contributors
    from pasture.science.load import load_contributions, load_group

    path = tmp_path / "demo.gpkg"
    shutil.copy(science.path, path)
    with pasture.open_store(path) as store:
        pasture_science.compute_load(store, year=YEAR)
        stored = store.read_rows("load", where={"year": YEAR})
        today = load_contributions(store, [YEAR])
    assert stored["plan_id"].isna().all()  # this store has no plan of the year
    assert stored["contributors"].notna().all()
    assert (stored["contributors"] > 0).any() and (stored["contributors"] == 0).any()
    for row in stored.itertuples():
        key = load_group(row.level, row.group_id, row.season)
        expected = Contributors.of(today.get(key, ()))
        assert row.contributors == expected.count, key
        assert row.top_shares == pytest.approx(list(expected.top_shares), rel=1e-12), key
        assert len(row.top_shares) <= KEPT_SHARES
        assert sorted(row.top_shares, reverse=True) == row.top_shares


# -------------------------------------------------------------------------------- trends


def test_norm_rows_are_parsed_in_one_place() -> None:
    rows = parse_norm_rows(json.dumps({"meadow": ["A", "B", "C", "D"]}), source="rows.json")
    assert rows == {"meadow": ("A", "B", "C", "D")}
    for bad in ("not json", json.dumps({"meadow": ["A", "B"]}), json.dumps(["A"])):
        with pytest.raises(InvalidInput, match="expected JSON") as raised:
            parse_norm_rows(bad, source="rows.json")
        assert raised.value.source == "rows.json"
