"""Carrying capacity (docs/domain.md, Carrying capacity; Livestock units and intake)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from grazing_models.biomass import BiomassModels, Linear, yield_cha_to_kg_dm_ha
from grazing_models.capacity import (
    DEFAULT_HARVEST_EFFICIENCY,
    aggregate_capacity,
    carrying_capacity,
    grazeable_forage_kg,
    plot_capacity,
    seasonal_ndvi,
)
from grazing_models.livestock import default_species_table


def test_kazakh_horse_norm_agrees_with_the_capacity_formula():
    # docs/domain.md: 4.1 ha per horse for 170 days, 3.5 t/ha fresh July yield, 0.65 use,
    # 25 % dry matter -> ~55 kg fresh/day, ~14 kg DM/day.
    area_ha, days, use = 4.1, 170, 0.65
    fresh_kg_ha = 3500.0
    fresh_per_day = fresh_kg_ha * area_ha * use / days
    assert fresh_per_day == pytest.approx(54.9, abs=0.1)
    dm_kg_ha = yield_cha_to_kg_dm_ha(35.0, basis="fresh")  # 3.5 t/ha = 35 c/ha
    dm_per_day = grazeable_forage_kg(dm_kg_ha, area_ha, utilisation=use) / days
    assert dm_per_day == pytest.approx(13.7, abs=0.1)
    assert abs(dm_per_day - 14.0) < 0.5  # the Kazakh summer intake of a horse
    summer = default_species_table()["horses"].intake("summer")
    # The norm's arithmetic counts the whole 0.65 use as eaten (harvest efficiency 1):
    as_intake = carrying_capacity(
        dm_kg_ha, area_ha, utilisation=use, harvest_efficiency=1.0, intake_kg_day=summer, days=days
    )
    assert as_intake == pytest.approx(1.0, abs=0.03)
    # Utilisation as removal, half of it eaten (Holechek et al. 2001): half a horse.
    heads = carrying_capacity(dm_kg_ha, area_ha, utilisation=use, intake_kg_day=summer, days=days)
    assert heads == pytest.approx(as_intake * DEFAULT_HARVEST_EFFICIENCY, rel=1e-12)


def test_hand_computed_capacity_of_a_small_plot():
    # 120 ha at 800 kg DM/ha, half removed: 120 × 800 × 0.5 = 48,000 kg DM; half of
    # that eaten (harvest efficiency 0.5): 24,000 kg. A sheep eats 1.4 kg DM/day over
    # 46 spring days: 64.4 kg. 24,000 / 64.4 = 372.67 sheep.
    heads = carrying_capacity(800.0, 120.0, utilisation=0.5, intake_kg_day=1.4, days=46)
    assert heads == pytest.approx(372.67, abs=0.01)
    whole = carrying_capacity(
        800.0, 120.0, utilisation=0.5, harvest_efficiency=1.0, intake_kg_day=1.4, days=46
    )
    assert whole == pytest.approx(745.34, abs=0.01)
    # The same plot for cattle (9 kg/day, 122 summer days): 24,000 / 1,098 = 21.86 head
    cattle = carrying_capacity(800.0, 120.0, intake_kg_day=9.0, days=122)
    assert cattle == pytest.approx(21.86, abs=0.01)


def test_harvest_efficiency_outside_its_range_is_refused():
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError, match="harvest_efficiency"):
            carrying_capacity(800.0, 1.0, harvest_efficiency=bad, intake_kg_day=1.4, days=1)


def test_capacity_is_linear_in_area_and_utilisation_and_inverse_in_days():
    rng = np.random.default_rng(2024)
    for _ in range(50):
        n = 20
        biomass = rng.uniform(0, 3000, n)
        area = rng.uniform(0.1, 5000, n)
        use = rng.uniform(0.05, 0.5, n)
        intake = rng.uniform(1, 14, n)
        days = rng.uniform(1, 200, n)
        k = rng.uniform(0.1, 2.0)
        base = carrying_capacity(biomass, area, utilisation=use, intake_kg_day=intake, days=days)
        assert np.allclose(
            carrying_capacity(biomass, k * area, utilisation=use, intake_kg_day=intake, days=days),
            k * base,
        )
        assert np.allclose(
            carrying_capacity(biomass, area, utilisation=k * use, intake_kg_day=intake, days=days),
            k * base,
        )
        assert np.allclose(
            carrying_capacity(biomass, area, utilisation=use, intake_kg_day=intake, days=k * days),
            base / k,
        )
        assert np.all(base >= 0)


def test_capacity_broadcasts_over_pandas():
    biomass = pd.DataFrame({"spring": [500.0, 1000.0], "summer": [800.0, 1200.0]}, index=["a", "b"])
    area = pd.Series([10.0, 20.0], index=["a", "b"])
    days = pd.Series({"spring": 46, "summer": 122})
    heads = carrying_capacity(biomass.mul(area, axis=0), 1.0, intake_kg_day=1.4, days=days)
    assert isinstance(heads, pd.DataFrame)
    eaten = 0.5 * DEFAULT_HARVEST_EFFICIENCY  # removal share × eaten share of it
    assert heads.loc["b", "summer"] == pytest.approx(1200 * 20 * eaten / (1.4 * 122))
    col = carrying_capacity(biomass["spring"], area, intake_kg_day=1.4, days=46)
    assert isinstance(col, pd.Series) and col["a"] == pytest.approx(500 * 10 * eaten / 64.4)


def test_capacity_refuses_impossible_arguments():
    with pytest.raises(ValueError, match="days"):
        carrying_capacity(100.0, 1.0, intake_kg_day=1.4, days=0)
    with pytest.raises(ValueError, match="intake"):
        carrying_capacity(100.0, 1.0, intake_kg_day=np.array([1.4, -1]), days=10)
    with pytest.raises(ValueError, match="utilisation"):
        carrying_capacity(100.0, 1.0, utilisation=1.5, intake_kg_day=1.4, days=10)


def _ndvi(plot_ids, year=2023):
    times = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="16D")
    rows = []
    for k, pid in enumerate(plot_ids):
        for t in times:
            doy = t.day_of_year
            v = 0.15 + 0.4 * np.exp(-(((doy - 190) / 60) ** 2)) + 0.01 * k
            rows.append({"plot_id": pid, "time": t, "mean": v, "valid_fraction": 1.0})
    return pd.DataFrame(rows)


PLOTS = pd.DataFrame(
    {
        "id": ["p1", "p2", "p3"],
        "union_id": ["u1", "u1", None],
        "okrug_id": ["o1", "o1", "o2"],
        "seasons": ["spring,summer", "summer,winter", "summer"],
        "pasture_type": ["steppe", "meadow", "meadow"],
        "elevation_m": [900.0, 2400.0, 2600.0],
        "yield_winter_cha": [np.nan, 6.0, np.nan],
        "area_ha": [100.0, 250.0, 80.0],
    }
)


def test_seasonal_ndvi_takes_the_window_peak():
    ndvi = _ndvi(["p1"])
    out = seasonal_ndvi(ndvi, seasons=["summer"])
    summer = ndvi[(ndvi["time"].dt.month >= 6) & (ndvi["time"].dt.month <= 9)]
    assert out["ndvi"].item() == pytest.approx(summer["mean"].max())
    assert out["n_obs"].item() == len(summer)
    assert out["year"].item() == 2023


def test_plot_capacity_from_ndvi_and_yields():
    models = BiomassModels(
        {"meadow": Linear(a=3000, b=-300, rmse_kg_ha=100)}, default=Linear(a=2000, b=-200)
    )
    cap = plot_capacity(PLOTS, ndvi=_ndvi(["p1", "p2", "p3"]), models=models, yield_basis="air_dry")
    assert sorted(zip(cap["plot_id"], cap["season"], strict=True)) == [
        ("p1", "spring"),
        ("p1", "summer"),
        ("p2", "summer"),
        ("p2", "winter"),
        ("p3", "summer"),
    ]
    row = cap.set_index(["plot_id", "season"]).loc[("p2", "summer")]
    biomass = 3000 * row["ndvi"] - 300
    assert row["source"] == "ndvi" and row["days"] == 119  # 17 weeks of the plan's calendar
    assert row["biomass_central_kg_ha"] == pytest.approx(biomass)
    assert row["forage_central_kg"] == pytest.approx(biomass * 250 * 0.5)
    eaten = biomass * 250 * 0.5 * DEFAULT_HARVEST_EFFICIENCY
    assert row["harvest_efficiency"] == DEFAULT_HARVEST_EFFICIENCY
    assert row["capacity_su_central"] == pytest.approx(eaten / (1.4 * 119))
    assert row["capacity_horses"] == pytest.approx(eaten / (14.0 * 119))
    assert row["forage_low_kg"] < row["forage_central_kg"] < row["forage_high_kg"]
    winter = cap.set_index(["plot_id", "season"]).loc[("p2", "winter")]
    # winter 2023: 6 Nov 2023 – 15 Apr 2024 is 162 days (2024 is a leap year), of which
    # 23 whole weeks (161 days) in its calendar
    assert winter["source"] == "yield" and winter["days"] == 161
    # 6 c/ha air-dry × 100 × 0.875 = 525 kg DM/ha
    assert winter["biomass_central_kg_ha"] == pytest.approx(525.0)
    assert winter["capacity_horses"] == pytest.approx(525 * 250 * 0.25 / (12.0 * 161))

    by_union = aggregate_capacity(cap, by="union_id")
    u1_summer = by_union[(by_union["union_id"] == "u1") & (by_union["season"] == "summer")]
    assert u1_summer["n_plots"].item() == 2
    expected = cap[(cap["union_id"] == "u1") & (cap["season"] == "summer")]["forage_central_kg"]
    assert u1_summer["forage_central_kg"].item() == pytest.approx(expected.sum())
    public = by_union[by_union["union_id"].isna()]
    assert public["n_plots"].sum() == 1
    by_okrug = aggregate_capacity(cap, by="okrug_id")
    assert set(by_okrug["okrug_id"]) == {"o1", "o2"}


def test_plot_capacity_without_forage_data_is_nan_not_zero():
    cap = plot_capacity(PLOTS)
    assert (cap["source"] == "none").all()
    assert cap["capacity_su_central"].isna().all()
    with pytest.raises(ValueError, match="biomass models"):
        plot_capacity(PLOTS, ndvi=_ndvi(["p1"]))
