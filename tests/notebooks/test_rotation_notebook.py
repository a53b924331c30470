"""The analyst notebook `notebooks/rotation_scenarios.ipynb` runs on the demo store.

Executed with nbclient in the venv's ``python3`` kernel against a copy of the
session's demo store with NDVI, named by ``PASTURE_DEMO_STORE``; the kernel
starts in the repository root, where the notebook's imports resolve.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import pasture
from pasture.planning import list_plans

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "rotation_scenarios.ipynb"
SCENARIOS = ["utilisation 0.4", "utilisation 0.5", "utilisation 0.6", "destocking -20%"]


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
    assert any("PASTURE_DEMO_STORE" in c.source for c in code)


def test_notebook_plans_the_scenarios(
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

    check = next(c for c in nb.cells if "scenario-check" in c.metadata.get("tags", []))
    doc = json.loads(_stdout(check))
    assert doc["season"] == 2024
    table = doc["scenarios"]
    assert list(table) == SCENARIOS
    base, destocked = table["utilisation 0.5"], table["destocking -20%"]
    assert destocked["sheep units"] == pytest.approx(0.8 * base["sheep units"], abs=0.2)
    assert destocked["demand t DM"] == pytest.approx(0.8 * base["demand t DM"], abs=0.2)
    for row in table.values():
        assert row["deficit t DM"] == pytest.approx(row["demand t DM"] - row["eaten t DM"], abs=0.2)
        assert 0 <= row["unplaced t DM"] <= row["deficit t DM"] + 0.1
        assert row["plots used"] > 0

    printed = [_stdout(c) for c in nb.cells if c.cell_type == "code"]
    assert any(text.startswith("season 2024: ") and " weeks " in text for text in printed)
    assert any(text.startswith("week of ") and "plots grazed" in text for text in printed)
    html = [
        o["data"]["text/html"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "data" in o and "text/html" in o["data"]
    ]
    assert any("leaflet" in h.lower() for h in html)  # the week's map

    # the four plans are stored as drafts in the notebook's store
    with pasture.open_store(store) as s:
        plans = list_plans(s, season_year=2024)
    assert len(plans) == len(SCENARIOS) and set(plans["state"]) == {"draft"}
    assert set(plans["created_by"]) == {"analyst:rotation_scenarios"}
