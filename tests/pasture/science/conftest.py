"""The demo science runs once for this package on a copy of the session's demo store.

The store has 8 years of generated NDVI (2017–2024); the tests read the results
back from a reopened store. Figures asserted exactly were measured on that store
(seed 42).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import pasture
from pasture import science as pasture_science

from .helpers import Science


@pytest.fixture(scope="package")
def science(demo_ndvi_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Science:
    """Run the demo science once, close the store, and read everything back after a reopen."""
    path = tmp_path_factory.mktemp("forage") / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, path)
    with pasture.open_store(path) as store:
        summary = pasture_science.run_demo_science(store)
    with pasture.open_store(path) as store:  # results must survive a reopen
        return Science(
            path=path,
            summary=summary,
            plots=store.read("plots"),
            capacity=store.read_rows("capacity"),
            load=store.read_rows("load"),
            trends=store.read_rows("trends"),
            greenup=store.read_rows("greenup"),
            census=store.read("census"),
            herds=store.read("herds"),
            okrugs=store.read("okrugs"),
            generated=json.loads(store.get_meta("demo_degraded_plots") or "{}"),
        )
