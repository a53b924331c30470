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
    """Measured: 42 plots flagged, 11 of the 12 generated with a downward trend among them.

    The one missed, P0962, has the gentlest generated slope (−0.0105 NDVI/yr).
    31 false positives, far under α × plots = 137.
    """
    trends = science.trends
    assert len(trends) == len(science.plots) == 2741
    flagged = set(trends.loc[trends["status"] == "degrading", "plot_id"])
    generated = set(science.generated)
    assert len(generated) == 12
    hits = flagged & generated
    recall = len(hits) / len(generated)
    false_positives = flagged - generated
    assert recall >= 0.9
    assert len(false_positives) <= ALPHA * len(trends)
    assert (len(flagged), len(hits), len(false_positives)) == (42, 11, 31)
    assert generated - hits == {"P0962"}
    assert science.generated["P0962"] == max(science.generated.values())
    assert set(trends["alpha"]) == {ALPHA}
    assert science.summary.detected == tuple(sorted(hits))
    assert (trends.loc[trends["plot_id"].isin(list(hits)), "slope"] < 0).all()


def test_raw_trend_without_a_reference_mistakes_dry_years_for_degradation(
    demo_ndvi_gpkg: Path, tmp_path: Path
) -> None:
    """Without comparing to similar land, the stack's drier later years flag 737 plots."""
    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, path)
    with pasture.open_store(path) as store:
        raw = pasture_science.compute_trends(store, reference="none")
        method = json.loads(store.get_meta("trends_method") or "{}")
    assert int((raw["status"] == "degrading").sum()) == 737
    assert method["reference"] == "none"
    with pasture.open_store(path) as store, pytest.raises(InvalidInput, match="reference"):
        pasture_science.compute_trends(store, reference="rainfall")
