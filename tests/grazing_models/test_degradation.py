"""Degradation trends: Mann–Kendall and Theil–Sen (docs/domain.md, Degradation; trends.earth)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from grazing_models.degradation import (
    MIN_YEARS,
    annual_integrated_ndvi,
    growing_season,
    mann_kendall,
    ndvi_trends,
)

YEARS = np.arange(2005, 2020)  # 15 years, as the trends.earth baseline 2001–2015


def _annual(values: np.ndarray, years=YEARS) -> pd.DataFrame:
    """plots × years matrix to a long frame."""
    n_plots = values.shape[0]
    return pd.DataFrame(
        {
            "plot_id": np.repeat([f"p{i:04d}" for i in range(n_plots)], len(years)),
            "year": np.tile(years, n_plots),
            "integrated_ndvi": values.ravel(),
        }
    )


def test_mann_kendall_by_hand():
    # 1..5: S = 10, var = 5·4·15/18 = 16.667, z = (10 − 1)/4.082 = 2.205, p = 0.0275
    mk = mann_kendall([1, 2, 3, 4, 5])
    assert (mk.n, mk.s, mk.tau) == (5, 10.0, 1.0)
    assert mk.var_s == pytest.approx(16.6667, abs=1e-3)
    assert mk.z == pytest.approx(2.2045, abs=1e-3)
    assert mk.p_value == pytest.approx(0.0275, abs=1e-3)
    # ties: [1, 1, 2, 3]: S = 5; var = (4·3·13 − 2·1·9)/18 = 7.667
    tied = mann_kendall([1, 1, 2, 3])
    assert tied.s == 5.0 and tied.var_s == pytest.approx(7.6667, abs=1e-3)
    # NaN is skipped, not counted
    assert mann_kendall([1, np.nan, 2, 3, 4, 5]).s == 10.0
    assert np.isnan(mann_kendall([1, 2]).p_value)


def test_theil_sen_matches_scipy_including_ties_and_gaps():
    rng = np.random.default_rng(7)
    values = np.round(rng.normal(100, 5, (40, YEARS.size)) + 0.8 * (YEARS - 2005), 0)  # ties
    values[3, [2, 9]] = np.nan
    out = ndvi_trends(_annual(values)).set_index("plot_id")
    for i in (0, 3, 17):
        y = values[i]
        ok = np.isfinite(y)
        ref = stats.theilslopes(y[ok], YEARS[ok], alpha=0.95)
        row = out.loc[f"p{i:04d}"]
        assert row["slope"] == pytest.approx(ref.slope)
        assert row["intercept"] == pytest.approx(ref.intercept)
        assert (row["slope_low"], row["slope_high"]) == pytest.approx(
            (ref.low_slope, ref.high_slope)
        )
        mk = mann_kendall(y)
        assert row["s"] == mk.s and row["p_value"] == pytest.approx(mk.p_value)
        # tau-b from scipy has the same sign and significance direction
        assert np.sign(stats.kendalltau(YEARS[ok], y[ok]).statistic) == np.sign(mk.s)
    assert out.loc["p0003", "n_years"] == YEARS.size - 2


def test_known_slope_lies_within_its_interval():
    rng = np.random.default_rng(11)
    slope = -0.9
    values = 80 + slope * (YEARS - YEARS[0]) + rng.normal(0, 2.0, (600, YEARS.size))
    out = ndvi_trends(_annual(values), alpha=0.05)
    inside = (out["slope_low"] <= slope) & (slope <= out["slope_high"])
    assert inside.mean() == pytest.approx(0.95, abs=0.03)
    assert out["slope"].median() == pytest.approx(slope, abs=0.05)
    assert (out["status"] == "degrading").mean() > 0.95
    improving = ndvi_trends(_annual(-values + 200))
    assert (improving["status"] == "improving").mean() > 0.95


def test_false_positive_rate_on_pure_noise_is_near_alpha():
    rng = np.random.default_rng(2024)
    values = rng.normal(50, 3, (2000, YEARS.size))  # 2000 seeds of noise
    out = ndvi_trends(_annual(values), alpha=0.05)
    rate = (out["status"] != "stable").mean()
    assert 0.02 <= rate <= 0.09
    rate_01 = (ndvi_trends(_annual(values), alpha=0.10)["status"] != "stable").mean()
    assert rate < rate_01 <= 0.15


def test_too_few_years_is_insufficient_data():
    values = np.array([[1.0, 2, 3, 4, np.nan, np.nan] + [np.nan] * (YEARS.size - 6)])
    out = ndvi_trends(_annual(values))
    assert MIN_YEARS == 5
    assert out["status"].item() == "insufficient data" and out["n_years"].item() == 4
    with pytest.raises(ValueError, match="more than one value"):
        ndvi_trends(pd.concat([_annual(values)] * 2))


def _ndvi_long(level_by_year: dict[int, float]) -> pd.DataFrame:
    rows = []
    for year, level in level_by_year.items():
        times = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="16D")
        rows.append(pd.DataFrame({"plot_id": "p", "time": times, "mean": level}))
    return pd.concat(rows, ignore_index=True)


def test_integrated_ndvi_of_a_constant_is_level_times_season_length():
    window = growing_season()
    assert (window.start, window.end) == ((4, 16), (11, 5))
    span = window.days(2020)  # 16 Apr – 5 Nov = 204 days
    ndvi = _ndvi_long({2020: 0.4, 2021: 0.5})
    out = annual_integrated_ndvi(ndvi).set_index("year")
    assert out.loc[2020, "integrated_ndvi"] == pytest.approx(0.4 * span)
    assert out.loc[2021, "integrated_ndvi"] == pytest.approx(0.5 * span)
    # a cloud gap does not count as zero
    gappy = ndvi.copy()
    gappy.loc[gappy["time"].dt.month.isin([6, 7]), "mean"] = np.nan
    gap_out = annual_integrated_ndvi(gappy).set_index("year")
    assert gap_out.loc[2020, "integrated_ndvi"] == pytest.approx(0.4 * span)
    assert gap_out.loc[2020, "n_valid"] < out.loc[2020, "n_valid"]
    summed = annual_integrated_ndvi(gappy, method="sum").set_index("year")
    assert summed.loc[2021, "integrated_ndvi"] == pytest.approx(0.5 * out.loc[2021, "n_dates"])


def test_integrated_ndvi_of_a_ramp_uses_the_trapezoid():
    # NDVI rising linearly in time inside the window integrates to mean × length
    window = growing_season()
    first, last = window.bounds(2020)
    times = pd.date_range(first, last, freq="8D")
    days = (times - first).days.to_numpy()
    ndvi = pd.DataFrame({"plot_id": "p", "time": times, "mean": 0.1 + 0.002 * days})
    out = annual_integrated_ndvi(ndvi)
    span = window.days(2020)
    # exact integral of the piecewise-linear curve, flat after the last composite
    grid = np.append(days, span).astype(float)
    expected = np.trapezoid(np.append(0.1 + 0.002 * days, 0.1 + 0.002 * days[-1]), grid)
    assert out["integrated_ndvi"].item() == pytest.approx(expected)


def test_gaps_in_a_ramp_are_bridged_linearly():
    # on a straight line, interpolating across cloud gaps is exact
    window = growing_season()
    first, _ = window.bounds(2020)
    times = pd.date_range(first, periods=20, freq="8D")
    days = (times - first).days.to_numpy()
    full = pd.DataFrame({"plot_id": "p", "time": times, "mean": 0.2 + 0.001 * days})
    gappy = full.copy()
    gappy.loc[[0, 3, 4, 5, 11], "mean"] = np.nan
    a = annual_integrated_ndvi(full)["integrated_ndvi"].item()
    b = annual_integrated_ndvi(gappy)["integrated_ndvi"].item()
    # inner gaps are exact; without composite 0 (day 0) the first 8 days are held flat at
    # 0.208 instead of rising from 0.2: + 0.008 × 8 / 2 = 0.032 NDVI·days
    assert b - a == pytest.approx(0.032, abs=1e-9)
