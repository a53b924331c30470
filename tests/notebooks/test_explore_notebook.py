"""`notebooks/explore_district.ipynb` draws the overview, a union's map and a rotation week."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import pasture
from pasture.planning import run_demo_plan
from pasture.science import run_demo_science
from tests.notebooks.harness import assert_stored_without_outputs, html_outputs, notebook_path, run

NOTEBOOK = notebook_path("explore_district.ipynb")


def test_notebook_is_stored_without_outputs() -> None:
    assert_stored_without_outputs(NOTEBOOK)


def test_notebook_draws_the_maps_with_the_shared_builders(
    demo_ndvi_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, path)
    with pasture.open_store(path) as store:
        run_demo_science(store)
        run_demo_plan(store)
    nb = run(NOTEBOOK, path, monkeypatch)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    maps = html_outputs(nb)
    # overview, union and rotation week: three Leaflet maps with the plot layer
    assert len(maps) == 3
    assert all("pasture-plot" in html for html in maps)
    printed = "".join(o.get("text", "") for o in outputs)
    assert "no rotation plan" not in printed
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs)  # the grazing chart
