"""The notebook `notebooks/management_plan.ipynb` runs on the demo store."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notebooks.harness import assert_stored_without_outputs, notebook_path, run, stdout

NOTEBOOK = notebook_path("management_plan.ipynb")


def test_notebook_is_stored_without_outputs() -> None:
    assert_stored_without_outputs(NOTEBOOK)


def test_notebook_runs_on_the_demo_store(
    demo_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    store = tmp_path / "demo.gpkg"
    shutil.copy(demo_gpkg, store)
    nb = run(NOTEBOOK, store, monkeypatch)
    printed = "".join(stdout(c) for c in nb.cells if c.cell_type == "code")
    assert "annexes: 1, 2, 3, 4, 5, 6, 7, 7-1, 8" in printed
    assert "generated: True" in printed
    assert "state: amended, in force: 1" in printed
    assert "seasons" in printed  # the diff names the changed plot's seasons
    assert "wrote mp-" in printed and "-kk.pdf" in printed
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 1  # the annex 4 map
