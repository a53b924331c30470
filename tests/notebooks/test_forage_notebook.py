"""The analyst notebook `notebooks/forage_and_capacity.ipynb` runs on the demo store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import pasture
from tests.notebooks.harness import (
    assert_stored_without_outputs,
    html_outputs,
    notebook_path,
    run,
    stdout,
)

NOTEBOOK = notebook_path("forage_and_capacity.ipynb")


def test_notebook_is_stored_without_outputs() -> None:
    assert_stored_without_outputs(NOTEBOOK)


def test_notebook_runs_on_the_demo_store(
    demo_ndvi_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, store)
    nb = run(NOTEBOOK, store, monkeypatch)
    printed = [stdout(c) for c in nb.cells if c.cell_type == "code"]
    check = next(text for text in printed if text.startswith("degrading plots:"))
    first, note = check.strip().splitlines()
    with pasture.open_store(store) as opened:  # what the notebook's run stored
        trends = opened.read_rows("trends")
        planted = set(json.loads(opened.get_meta("demo_degraded_plots") or "{}"))
    flagged = set(trends.loc[trends["status"] == "degrading", "plot_id"])
    n, hits = len(flagged), len(flagged & planted)
    assert first == (
        f"degrading plots: {n}; generated with a downward trend: {len(planted)}; detected: {hits}"
    )
    assert note == (
        f"{n} plots flagged degrading at q = 0.1; expected false flags ≤ q × N (= {0.1 * n:.1f})"
    )
    assert hits >= len(planted) / 2 and n - hits <= 0.2 * n  # the outcome
    assert any("latest full year 2024" in text for text in printed)
    # the one model, said to be calibrated on GENERATED yields, and its uncertainty
    assert any(text.startswith("forage basis ") and "GENERATED" in text for text in printed)
    # both statuses side by side, the unused rows explained
    crosstab = next(text for text in printed if text.startswith("plot-seasons by capacity"))
    assert "over the norm" in crosstab and "overloaded" in crosstab
    assert "unused under the law:" in crosstab
    html = html_outputs(nb)
    assert sum("folium" in h or "leaflet" in h.lower() for h in html) == 3  # the three maps
