"""Livestock load against forage and norms (pasture.science.load) on the demo store."""

from __future__ import annotations

import json

import numpy as np
import pytest

import pasture
from grazing_models.load import UNUSED_THRESHOLD, census_heads
from grazing_models.norms import DEMO_TYPE_ROWS, UNUSED_SHARE, NormTable
from pasture import science as pasture_science
from pasture.errors import InvalidInput
from pasture.model import SPECIES
from pasture.science.load import parse_norm_rows

from .helpers import YEAR, Science


def test_load_status_applies_the_thresholds(science: Science) -> None:
    load = science.load
    assert set(load["level"]) == {"plot", "union", "okrug"}
    ratio = load["stocking_ratio_central"].to_numpy()
    known = np.isfinite(ratio)
    status = load["status"].to_numpy()
    assert (status[known & (ratio > 1)] == "overloaded").all()
    assert (status[known & (ratio < UNUSED_THRESHOLD)] == "unused").all()
    middle = known & (ratio >= UNUSED_THRESHOLD) & (ratio <= 1)
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
    by_group = union.set_index(["group_id", "season"])["status"]
    # public pasture: its load does not count the census of households in no union (yet)
    assert set(by_group.loc["public"]) == {"unknown"}
    # the demo's unions crowd their winter plains and leave spring pasture unused
    members = by_group.drop("public")
    assert {"overloaded", "unused"} <= set(members)
    assert (members.xs("winter", level="season") != "unused").all()


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


def test_load_counts_the_census_once_and_herds_only_on_plots(science: Science) -> None:
    """Census and herds are the same animals: unions use the census, plots the herds."""
    members = science.census[science.census["union_id"].notna()]
    census = census_heads(members, by="union_id")
    herds = science.herds.groupby("union_id")[list(SPECIES)].sum()
    assert (census.to_numpy() == herds.reindex(census.index).to_numpy()).all()
    union = science.summary.union_load
    for union_id, heads in census.iterrows():
        rows = union[union["group_id"] == union_id]
        assert (rows[list(SPECIES)].to_numpy() == heads.to_numpy()).all(), union_id
    plot_rows = science.load[science.load["level"] == "plot"]
    assert len(plot_rows) == len(science.capacity)
    # every herd stands on one plot; a plot's heads repeat in each of its seasons
    with pasture.open_store(science.path) as store:
        computed = pasture_science.compute_load(store, year=YEAR)
    per_plot = computed[computed["level"] == "plot"].drop_duplicates("group_id")
    assert per_plot[list(SPECIES)].to_numpy().sum() == herds.to_numpy().sum()


# -------------------------------------------------------------------------------- trends


def test_norm_rows_are_parsed_in_one_place() -> None:
    rows = parse_norm_rows(json.dumps({"meadow": ["A", "B", "C", "D"]}), source="rows.json")
    assert rows == {"meadow": ("A", "B", "C", "D")}
    for bad in ("not json", json.dumps({"meadow": ["A", "B"]}), json.dumps(["A"])):
        with pytest.raises(InvalidInput, match="expected JSON") as raised:
            parse_norm_rows(bad, source="rows.json")
        assert raised.value.source == "rows.json"
