"""`notebooks/explore_district.ipynb` draws the overview, a union's map and a rotation week."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import pasture
from pasture.forage import run_demo_science
from pasture.planning import run_demo_plan

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "explore_district.ipynb"


def test_notebook_is_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    assert not any(
        line.lstrip().startswith(("def ", "class ")) for c in code for line in c.source.splitlines()
    )


def test_notebook_draws_the_maps_with_the_shared_builders(
    demo_ndvi_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, path)
    with pasture.open_store(path) as store:
        run_demo_science(store)
        run_demo_plan(store)
    monkeypatch.setenv("PASTURE_DEMO_STORE", str(path))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    maps = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    # overview, union and rotation week: three Leaflet maps with the plot layer
    assert len(maps) == 3
    assert all("pasture-plot" in html for html in maps)
    printed = "".join(o.get("text", "") for o in outputs)
    assert "no rotation plan" not in printed
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs)  # the grazing chart
