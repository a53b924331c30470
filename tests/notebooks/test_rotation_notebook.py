"""The analyst notebook `notebooks/rotation_scenarios.ipynb` runs on the demo store.

Executed against a copy of the session's demo store with NDVI (tests/notebooks/harness.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import pasture
from pasture.planning import list_plans
from tests.notebooks.harness import (
    assert_stored_without_outputs,
    html_outputs,
    notebook_path,
    run,
    stdout,
)

NOTEBOOK = notebook_path("rotation_scenarios.ipynb")
SCENARIOS = ["utilisation 0.4", "utilisation 0.5", "utilisation 0.6", "destocking -20%"]


def test_notebook_is_stored_without_outputs() -> None:
    code = assert_stored_without_outputs(NOTEBOOK)
    assert any("PASTURE_DEMO_STORE" in c.source for c in code)


def test_notebook_plans_the_scenarios(
    demo_ndvi_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, store)
    nb = run(NOTEBOOK, store, monkeypatch)

    check = next(c for c in nb.cells if "scenario-check" in c.metadata.get("tags", []))
    doc = json.loads(stdout(check))
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

    printed = [stdout(c) for c in nb.cells if c.cell_type == "code"]
    assert any(text.startswith("season 2024: ") and " weeks " in text for text in printed)
    assert any(text.startswith("week of ") and "plots grazed" in text for text in printed)
    html = html_outputs(nb)
    assert any("leaflet" in h.lower() for h in html)  # the week's map

    # the four plans are stored as drafts in the notebook's store
    with pasture.open_store(store) as s:
        plans = list_plans(s, season_year=2024)
    assert len(plans) == len(SCENARIOS) and set(plans["state"]) == {"draft"}
    assert set(plans["created_by"]) == {"analyst:rotation_scenarios"}
