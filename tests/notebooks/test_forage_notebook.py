"""The analyst notebook `notebooks/forage_and_capacity.ipynb` runs on the demo store.

It is executed with nbclient in the venv's ``python3`` kernel (jupyter_client runs
a kernel spec whose command is ``python`` with this interpreter) against a copy
of the session's demo store with NDVI, named by ``PASTURE_DEMO_STORE``. The
kernel starts in the repository root, where the notebook's imports resolve.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "forage_and_capacity.ipynb"


def _stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")


def test_notebook_is_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    # notebooks import the packages and define nothing of their own (DESIGN.md)
    assert not any(
        line.lstrip().startswith(("def ", "class ")) for c in code for line in c.source.splitlines()
    )


def test_notebook_runs_on_the_demo_store(
    demo_ndvi_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, store)
    monkeypatch.setenv("PASTURE_DEMO_STORE", str(store))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()
    printed = [_stdout(c) for c in nb.cells if c.cell_type == "code"]
    check = next(text for text in printed if text.startswith("degrading plots:"))
    assert check.strip() == "degrading plots: 42; generated with a downward trend: 12; detected: 11"
    assert any("latest full year 2024" in text for text in printed)
    html = [
        o["data"]["text/html"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "data" in o and "text/html" in o["data"]
    ]
    assert sum("folium" in h or "leaflet" in h.lower() for h in html) == 3  # the three maps
