"""Degradation trends (pasture.science.trends): on the demo store and on both backends.

Figures asserted exactly were measured on the demo store (seed 42, 8 years 2017–2024 of
23 composites; 13 of them in each growing season). The demo science tests the residual
against each okrug's median series (its generated years share one weather draw).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pasture
from pasture import science as pasture_science
from pasture.errors import InvalidInput, NotFound
from tests.pasture import factories

from .helpers import Science

Q = 0.1


def _flags(trends: pd.DataFrame, generated: dict[str, float]) -> tuple[set[str], set[str]]:
    flagged = set(trends.loc[trends["status"] == "degrading", "plot_id"])
    return flagged, flagged & set(generated)


def test_fdr_flags_find_the_planted_plots(science: Science) -> None:
    """The outcome asked for: at q = 0.1, at least half of the plots generated with a
    downward trend found, with a false discovery proportion of at most 0.2; those missed
    are among the gentler half of the generated slopes."""
    trends = science.trends
    assert len(trends) == len(science.plots) and len(science.generated) == 12
    flagged, hits = _flags(trends, science.generated)
    assert len(hits) >= len(science.generated) / 2
    assert len(flagged - hits) <= 0.2 * len(flagged)
    missed = sorted(set(science.generated) - hits, key=science.generated.__getitem__)
    # what is missed lies among the gentler half of the generated slopes
    gentler = sorted(science.generated.values())[len(science.generated) // 2 :]
    assert all(science.generated[p] >= gentler[0] for p in missed)
    assert not (trends["status"] == "improving").any()
    assert (trends.loc[trends["plot_id"].isin(list(hits)), "q_value"] <= Q).all()
    assert set(trends["fdr_q"]) == {Q} and set(trends["reference"]) == {"okrug"}
    assert set(trends["method"]) == {pasture_science.TREND_METHOD}
    assert (trends["n_values"] > 8 * 10).all()  # composites, not 8 annual values
    assert science.summary.detected == tuple(sorted(hits))


def test_the_summary_says_how_many_flags_may_be_false(science: Science) -> None:
    with pasture.open_store(science.path) as store:
        method = json.loads(store.get_meta("trends_method") or "{}")
    n = int((science.trends["status"] == "degrading").sum())
    assert method["degrading"] == n
    assert method["expected_false_flags_at_most"] == pytest.approx(Q * n)
    assert method["note"] == (
        f"{n} plots flagged degrading at q = 0.1; expected false flags ≤ q × N (= {Q * n:.1f})"
    )
    assert (method["years"], method["periods_per_year"]) == (8, 13)
    assert 0 < method["period_correlation"] < 1 and method["reference"] == "okrug"


def test_the_raw_series_is_the_default_and_hides_nothing(
    demo_ndvi_gpkg: Path, tmp_path: Path
) -> None:
    """Without a reference, the shared weather of the generated years stays in the series:
    11 flagged, 7 of them planted. The old default (ratio to the pasture type's median)
    would have turned degradation shared by a whole type into 'improving'; here no plot
    is improving."""
    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, path)
    with pasture.open_store(path) as store:
        before = store.read_rows("trends")
        with pytest.raises(InvalidInput, match="unknown reference 'rainfall'"):
            pasture_science.compute_trends(store, reference="rainfall")
        with pytest.raises(InvalidInput, match="q must lie between 0 and 1"):
            pasture_science.compute_trends(store, q=1.5)
        assert store.read_rows("trends").equals(before)  # a refused run changes nothing
        raw = pasture_science.compute_trends(store)
        generated = json.loads(store.get_meta("demo_degraded_plots") or "{}")
        method = json.loads(store.get_meta("trends_method") or "{}")
    flagged, hits = _flags(raw, generated)
    assert hits  # the raw series finds planted plots too
    assert not (raw["status"] == "improving").any()
    assert method["reference"] == "none" and method["degrading"] == len(flagged)


def _synthetic_ndvi(plot_ids: list[str], seed: int = 4) -> pd.DataFrame:
    """8 years of 16-day composites: p0 loses 0.02 NDVI a year, p1 gains it, others noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for year in range(2017, 2025):
        times = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="16D")
        for pid in plot_ids:
            trend = {"p0": -0.02, "p1": 0.02}.get(pid, 0.0) * (year - 2017)
            values = 0.4 + trend + rng.normal(0, 0.01, len(times))
            rows.append(pd.DataFrame({"plot_id": pid, "time": times.date, "mean": values}))
    frame = pd.concat(rows, ignore_index=True)
    return frame.assign(scene_id=None, std=0.05, count=10.0, valid_fraction=1.0)


def test_trends_are_stored_with_their_q_values_on_either_backend(store_url: str) -> None:
    with pasture.open_store(store_url) as store:
        factories.fill(store, n_plots=10)
        ids = sorted(store.read("plots")["id"])
        store.replace_rows("ndvi_stats", _synthetic_ndvi(ids))
        pasture_science.compute_trends(store)
    with pasture.open_store(store_url) as store:  # read back after a reopen
        trends = store.read_rows("trends").set_index("plot_id")
        method = json.loads(store.get_meta("trends_method") or "{}")
    assert trends.loc["p0", "status"] == "degrading" and trends.loc["p1", "status"] == "improving"
    assert set(trends.drop(index=["p0", "p1"])["status"]) == {"stable"}
    assert trends.loc["p0", "slope"] == pytest.approx(-0.02, abs=0.003)
    assert trends.loc["p0", "slope_low"] < -0.02 < trends.loc["p0", "slope_high"] < 0
    assert (trends["q_value"] >= trends["p_value"] * (1 - 1e-9)).all()
    assert (trends["fdr_q"] == Q).all()
    assert (trends["n_values"] == 8 * 13).all() and (trends["n_years"] == 8).all()
    assert set(trends["reference"]) == {"none"} and method["degrading"] == 1


def test_no_growing_season_composites_is_a_clear_error(tmp_path: Path) -> None:
    with pasture.open_store(tmp_path / "s.gpkg") as store:
        factories.fill(store)
        winter = _synthetic_ndvi(["p0", "p1"])
        winter = winter[pd.to_datetime(winter["time"]).dt.month.isin([1, 2, 12])]
        store.replace_rows("ndvi_stats", winter)
        with pytest.raises(NotFound, match="no NDVI composites in the growing season"):
            pasture_science.compute_trends(store)
        assert store.read_rows("trends").empty
