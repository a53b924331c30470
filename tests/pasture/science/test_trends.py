"""Degradation trends (pasture.science.trends) on the demo store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import pasture
from pasture import science as pasture_science
from pasture.errors import InvalidInput

from .helpers import ALPHA, Science


def test_degrading_plots_are_the_generated_ones(science: Science) -> None:
    """Measured on seed 42: 46 plots flagged, 11 of the 12 generated with a downward trend.

    The one missed has the gentlest generated slope (−0.0105 NDVI/yr); 35 false
    positives, far under α × plots = 141.
    """
    trends = science.trends
    assert len(trends) == len(science.plots)
    flagged = set(trends.loc[trends["status"] == "degrading", "plot_id"])
    generated = set(science.generated)
    assert len(generated) == 12
    hits = flagged & generated
    recall = len(hits) / len(generated)
    false_positives = flagged - generated
    assert recall >= 0.9
    assert len(false_positives) <= ALPHA * len(trends)
    # what is missed is the gentlest of the generated slopes
    gentlest = max(science.generated.values())
    assert all(science.generated[p] == gentlest for p in generated - hits)
    assert set(trends["alpha"]) == {ALPHA}
    assert science.summary.detected == tuple(sorted(hits))
    assert (trends.loc[trends["plot_id"].isin(list(hits)), "slope"] < 0).all()


def test_raw_trend_without_a_reference_mistakes_dry_years_for_degradation(
    demo_ndvi_gpkg: Path, tmp_path: Path
) -> None:
    """Without comparing to similar land, the stack's drier later years flag a quarter of the plots."""
    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, path)
    with pasture.open_store(path) as store:
        raw = pasture_science.compute_trends(store, reference="none")
        method = json.loads(store.get_meta("trends_method") or "{}")
    # far past the false flags α alone explains (737 of 2,741 plots before the real settlements)
    assert int((raw["status"] == "degrading").sum()) > 3 * ALPHA * len(raw)
    assert method["reference"] == "none"
    with pasture.open_store(path) as store, pytest.raises(InvalidInput, match="reference"):
        pasture_science.compute_trends(store, reference="rainfall")
