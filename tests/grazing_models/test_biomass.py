"""Biomass models, calibration and yield conversion (docs/domain.md, NDVI to biomass)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from grazing_models.biomass import (
    XINJIANG_EVI_MODEL,
    BiomassModels,
    Exponential,
    Linear,
    Power,
    Quadratic,
    calibrate,
    parse_biomass_model,
    yield_cha_to_kg_dm_ha,
)

TRUE = {
    "linear": (3000.0, -300.0),
    "exponential": (150.0, 4.0),
    "power": (2500.0, 1.5),
    "quadratic": (4000.0, 500.0, 100.0),
}
NOISE_KG_HA = 80.0


def _samples(form, n, seed):
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.15, 0.8, n)
    model = parse_biomass_model({"form": form, **dict(zip("abc", TRUE[form], strict=False))})
    return v, model(v) + rng.normal(0, NOISE_KG_HA, n)


def test_forms_evaluate_their_formulas():
    v = np.array([0.2, 0.5])
    assert Linear(a=2000, b=-100)(v) == pytest.approx([300.0, 900.0])
    assert Exponential(a=100, b=2)(v) == pytest.approx(100 * np.exp(2 * v))
    assert Power(a=1000, b=2)(v) == pytest.approx([40.0, 250.0])
    assert Quadratic(a=1000, b=100, c=10)(v) == pytest.approx([70.0, 310.0])


def test_clipping_nan_and_pandas_in_pandas_out():
    model = Linear(a=2000, b=-400, max_kg_ha=1000)
    s = pd.Series([0.0, 0.3, np.nan, 0.9], index=list("wxyz"), name="ndvi")
    out = model(s)
    assert isinstance(out, pd.Series) and out.index.tolist() == list("wxyz")
    assert out.iloc[0] == 0.0  # -400 clipped to 0
    assert out.iloc[1] == pytest.approx(200.0)
    assert np.isnan(out.iloc[2])
    assert out.iloc[3] == 1000.0  # 1400 clipped to max
    assert model(0.3) == pytest.approx(200.0)
    # an index <= 0 gives no biomass and no warning (pytest turns warnings into errors)
    assert Power(a=1000, b=0.5)(np.array([-0.1, 0.0, 0.25])) == pytest.approx([0, 0, 500])


def test_xinjiang_evi_model_is_clipped_below_evi_0_11():
    # 17089·EVI² − 3825.5·EVI + 1001.8; vertex at EVI = 3825.5 / (2·17089) = 0.1119
    m = XINJIANG_EVI_MODEL
    at_011 = 17089 * 0.11**2 - 3825.5 * 0.11 + 1001.8  # 787.7 kg/ha
    assert m(0.11) == pytest.approx(at_011)
    assert m(0.0) == pytest.approx(at_011)  # not the 1001.8 of the raw quadratic
    assert m(0.3) == pytest.approx(17089 * 0.09 - 3825.5 * 0.3 + 1001.8)
    assert 780 < at_011 < 795


def test_models_validate_and_round_trip():
    with pytest.raises(ValidationError):
        Linear(a=1, b=2, max_kg_ha=-5)
    with pytest.raises(ValidationError):
        Linear(a=1, b=2, index_min=0.5, index_max=0.1)
    with pytest.raises(ValidationError):
        Linear(a=1, b=2, c=3)  # type: ignore[call-arg]
    dumped = XINJIANG_EVI_MODEL.model_dump()
    assert parse_biomass_model(dumped) == XINJIANG_EVI_MODEL


def test_models_per_pasture_type_with_default():
    models = BiomassModels({"meadow": Linear(a=3000, b=0)}, default=Linear(a=1000, b=0))
    out = models(np.array([0.5, 0.5, 0.2]), np.array(["meadow", "steppe", "meadow"]))
    assert out == pytest.approx([1500.0, 500.0, 600.0])
    with pytest.raises(KeyError, match="no biomass model for pasture type 'desert'"):
        BiomassModels({"meadow": Linear(a=3000, b=0)}).for_type("desert")


def test_configured_rmse_gives_a_symmetric_interval():
    model = Linear(a=2000, b=0, rmse_kg_ha=100)
    low, central, high = model.predict_interval(np.array([0.5]), level=0.9)
    assert central == pytest.approx([1000.0])
    assert high - central == pytest.approx([164.485], abs=0.01)  # z(0.95) = 1.6449
    assert central - low == pytest.approx(high - central)
    assert Linear(a=2000, b=0).predict_interval(0.5) == (1000.0, 1000.0, 1000.0)


@pytest.mark.parametrize("form", ["linear", "exponential", "power", "quadratic"])
def test_calibration_recovers_coefficients(form):
    v, y = _samples(form, 300, seed=11)
    cal = calibrate(pd.DataFrame({"ndvi": v, "biomass": y}), form)
    assert cal.n == 300
    assert cal.form == form
    se = np.sqrt(np.diag(cal.covariance))
    z = (np.array(cal.params) - np.array(TRUE[form])) / se
    assert np.all(np.abs(z) < 4), (cal.params, TRUE[form], se)
    assert cal.rmse == pytest.approx(NOISE_KG_HA, rel=0.15)
    assert cal.sigma == pytest.approx(NOISE_KG_HA, rel=0.15)
    assert 0.8 < cal.r2 <= 1.0
    assert cal.summary()["n"] == 300


@pytest.mark.parametrize("form", ["linear", "exponential"])
def test_prediction_interval_covers_about_90_percent_of_fresh_samples(form):
    v, y = _samples(form, 60, seed=3)
    cal = calibrate((v, y), form)
    v_new, y_new = _samples(form, 4000, seed=4)
    low, central, high = cal.predict_interval(v_new, level=0.9)
    assert np.all(low <= central) and np.all(central <= high)
    coverage = np.mean((y_new >= low) & (y_new <= high))
    assert 0.86 <= coverage <= 0.94


def test_calibration_reports_poor_fits_honestly_and_refuses_too_few_samples():
    rng = np.random.default_rng(5)
    v = rng.uniform(0.1, 0.8, 200)
    y = rng.normal(1000, 200, 200)  # no relation to NDVI
    cal = calibrate((v, y), "linear")
    assert cal.r2 < 0.1
    with pytest.raises(ValueError, match="at least 4"):
        calibrate(([0.1, 0.2, np.nan], [1, 2, 3]), "linear")
    with pytest.raises(ValueError, match="index values > 0"):
        calibrate(([-0.1, 0.2, 0.3, 0.4, 0.5], [1, 2, 3, 4, 5]), "power")


def test_yield_conversion_from_centners():
    # 1 c/ha = 100 kg/ha; fresh at 25 % DM: 35 c/ha (3.5 t/ha) -> 875 kg DM/ha
    assert yield_cha_to_kg_dm_ha(35.0, basis="fresh") == pytest.approx(875.0)
    assert yield_cha_to_kg_dm_ha(10.0, basis="air_dry") == pytest.approx(875.0)
    assert yield_cha_to_kg_dm_ha(10.0, basis="dry") == pytest.approx(1000.0)
    assert yield_cha_to_kg_dm_ha(10.0, basis="fresh", dm_fraction=0.3) == pytest.approx(300.0)
    assert yield_cha_to_kg_dm_ha(np.array([4.0, 5.0]), basis="dry") == pytest.approx([400, 500])
    with pytest.raises(ValueError, match="unknown basis"):
        yield_cha_to_kg_dm_ha(1.0, basis="wet")  # type: ignore[arg-type]
