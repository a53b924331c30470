"""Running the analyst notebooks in tests: the checks every notebook shares.

Notebooks run with nbclient in the venv's ``python3`` kernel, started in the
repository root (where their imports resolve), against the store named by
``PASTURE_DEMO_STORE``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def notebook_path(name: str) -> Path:
    return ROOT / "notebooks" / name


def assert_stored_without_outputs(path: Path) -> list[nbformat.NotebookNode]:
    """A valid notebook stored without outputs that defines nothing of its own; its code cells."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    # notebooks import the packages and define nothing of their own (DESIGN.md)
    assert not any(
        line.lstrip().startswith(("def ", "class ")) for c in code for line in c.source.splitlines()
    )
    return code


def run(path: Path, store: Path, monkeypatch: pytest.MonkeyPatch) -> nbformat.NotebookNode:
    """Execute a notebook against ``store`` and return it with its outputs."""
    monkeypatch.setenv("PASTURE_DEMO_STORE", str(store))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    return nb


def stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")


def html_outputs(nb: nbformat.NotebookNode) -> list[str]:
    return [
        o["data"]["text/html"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "data" in o and "text/html" in o["data"]
    ]
