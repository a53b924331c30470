"""One forage basis: stored with its provenance, read by capacity and the planner alone."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pasture
from pasture import science as pasture_science
from pasture.errors import InvalidInput, NotFound
from pasture.science.forage_basis import FORAGE_BASIS_SETTING, ForageBasis
from pasture.store import Store

from .test_calibration import _synthetic

ROOT = Path(__file__).resolve().parents[3]
#: The only modules of `pasture` and `api` that may build or fit an NDVI→biomass model.
_BASIS_HOMES = {"pasture/science/calibration.py", "pasture/science/forage_basis.py"}
_MODEL_MAKERS = re.compile(
    r"\b(Linear|Exponential|Power|Quadratic|BiomassModels|parse_biomass_model|calibrate)\("
)


def test_no_second_biomass_model_outside_the_forage_basis() -> None:
    """A test fails if a second NDVI→biomass model is introduced in pasture or api."""
    offenders = []
    for folder in ("pasture", "pasture_api"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in _BASIS_HOMES:
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if _MODEL_MAKERS.search(line) and not line.lstrip().startswith("#"):
                    offenders.append(f"{rel}:{n}: {line.strip()}")
    assert offenders == [], "NDVI→biomass models outside the forage basis:\n" + "\n".join(offenders)


def test_basis_round_trips_through_the_store_with_its_provenance(
    demo_ndvi_gpkg: Path, tmp_path: Path
) -> None:
    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, path)
    with pasture.open_store(path) as store:
        stored = pasture_science.read_forage_basis(store)  # the demo comes with its basis
        assert stored.generated and "GENERATED" in stored.label
        fresh = pasture_science.calibrate_forage_basis(
            store, yield_basis="air_dry", user="akimat", level=0.8
        )
    with pasture.open_store(path) as store:  # survives a reopen
        again = pasture_science.read_forage_basis(store)
    assert again.id == fresh.id != stored.id  # another level, another basis
    assert not again.generated and again.calibrated_by == "akimat" and again.level == 0.8
    doc = again.summary()
    assert doc["n_samples"] == len(fresh.calibration.samples) > 1000
    for kind, c in fresh.calibration.calibrations.items():
        back = again.calibration.calibrations[kind]
        assert back.params == pytest.approx(c.params) and back.n == c.n
        assert back.r2 == pytest.approx(c.r2) and back.rmse == pytest.approx(c.rmse)
    # the prediction interval comes back too: same low/central/high at the same NDVI
    v = np.array([0.2, 0.4, 0.6])
    for a, b in zip(
        fresh.models.predict_interval(v, "semi_desert", level=0.8),
        again.models.predict_interval(v, "semi_desert", level=0.8),
        strict=True,
    ):
        np.testing.assert_allclose(a, b)


def test_missing_or_broken_basis_says_what_to_run(demo_gpkg: Path, tmp_path: Path) -> None:
    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_gpkg, path)
    with pasture.open_store(path) as store:
        with pytest.raises(NotFound, match="pasture calibrate"):
            pasture_science.read_forage_basis(store)
        store.set_meta(FORAGE_BASIS_SETTING, '{"calibrations": {}}')
        with pytest.raises(InvalidInput, match="calibrate again"):
            pasture_science.read_forage_basis(store)
    with pytest.raises(KeyError):
        ForageBasis.from_doc({})


def test_basis_and_new_columns_round_trip_in_both_backends(store: Store) -> None:
    """The setting and the new capacity/load columns in a GeoPackage and in PostGIS."""
    plots, ndvi = _synthetic()
    calibration = pasture_science.calibrate_biomass_models(plots, ndvi, yield_basis="air_dry")
    basis = ForageBasis(calibration=calibration, yield_basis="air_dry", calibrated_by="t")
    pasture_science.save_forage_basis(store, basis)
    back = pasture_science.read_forage_basis(store)
    assert back.id == basis.id and back.yield_basis == "air_dry"
    assert back.calibration.calibrations["meadow"].params == pytest.approx(
        calibration.calibrations["meadow"].params
    )
    store.replace_rows(
        "capacity",
        pd.DataFrame(
            [{"plot_id": "S00", "year": 2023, "season": "summer", "harvest_efficiency": 0.5}]
        ),
    )
    row = {
        "level": "plot",
        "group_id": "S00",
        "year": 2023,
        "season": "summer",
        "status": "overloaded",
        "norm_status": "within the norm",
        "norm_load": 0.8,
        "disagreement": "this year's forage is scarcer than the legal norm assumes",
        "load_source": "approved plan p",
        "condition": "degraded",
        "condition_basis": "significant downward NDVI trend (trends table)",
    }
    store.replace_rows("load", pd.DataFrame([row]))
    assert store.read_rows("capacity")["harvest_efficiency"].tolist() == [0.5]
    got = store.read_rows("load").iloc[0]
    assert {k: got[k] for k in row} == row
