"""Degradation trends: Mann–Kendall and Theil–Sen (docs/domain.md, Degradation; trends.earth)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from grazing_models.degradation import (
    MIN_YEARS,
    NdviCube,
    annual_integrated_ndvi,
    benjamini_hochberg,
    composite_cube,
    growing_season,
    hamed_rao_factor,
    mann_kendall,
    ndvi_trends,
    residual_cube,
    seasonal_trends,
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


# ---------------------------------------------------------------------------------------
# Seasonal Kendall over composites, correlation corrections, Benjamini–Hochberg
# (docs/domain.md, "Degradation trends").

SK_YEARS = np.arange(2017, 2025)  # 8 years, as the demo stack
SK_PERIODS = 13  # 16-day composites in the growing season (16 Apr – 5 Nov)
N_NOISE = 2000


def _cube(values: np.ndarray) -> NdviCube:
    return NdviCube(
        plot_ids=np.array([f"p{i:04d}" for i in range(len(values))]),
        years=SK_YEARS,
        periods=np.arange(SK_PERIODS),
        values=values,
    )


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], phi: float, axis: int) -> np.ndarray:
    """Stationary AR(1) noise with unit variance along ``axis``."""
    e = np.moveaxis(rng.standard_normal(shape), axis, 0)
    out = np.empty_like(e)
    out[0] = e[0]
    for t in range(1, len(e)):
        out[t] = phi * out[t - 1] + np.sqrt(1 - phi**2) * e[t]
    return np.moveaxis(out, 0, axis)


def _noise(kind: str, seed: int) -> np.ndarray:
    """Pure-noise plots × years × periods of four kinds of correlation."""
    rng = np.random.default_rng(seed)
    shape = (N_NOISE, SK_YEARS.size, SK_PERIODS)
    if kind == "iid":
        return rng.standard_normal(shape)
    if kind == "ar1 along the composites":  # φ = 0.3 from one 16-day composite to the next
        return _ar1(rng, (N_NOISE, SK_YEARS.size * SK_PERIODS), 0.3, axis=1).reshape(shape)
    if kind == "ar1 across years":  # φ = 0.3 from one year to the next, each period
        return _ar1(rng, shape, 0.3, axis=1)
    # a year's weather shared by its composites, AR(1) φ = 0.3 across years, plus noise
    year = _ar1(rng, (N_NOISE, SK_YEARS.size), 0.3, axis=1)[:, :, None]
    return year + 0.7 * rng.standard_normal(shape)


NOISE_KINDS = ["iid", "ar1 along the composites", "ar1 across years", "shared year, ar1"]


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_pure_noise_flags_at_most_alpha_plus_two_percent(kind: str) -> None:
    """2,000 pure-noise plots, 8 years × 13 composites: rate of p < α at most α + 0.02."""
    alpha = 0.05
    out, fit = seasonal_trends(_cube(_noise(kind, seed=NOISE_KINDS.index(kind))))
    rate = float((out["p_value"] < alpha).mean())
    assert rate <= alpha + 0.02, (kind, rate, fit)
    assert rate >= alpha / 2, (kind, rate)  # not bought by a test that never rejects
    # no trend anywhere: the FDR-controlled flags are (almost) always none
    assert int((out["status"] != "stable").sum()) <= 2
    assert fit.n_years == SK_YEARS.size and fit.n_periods == SK_PERIODS


def test_without_the_covariance_correction_shared_weather_floods_the_flags() -> None:
    """Summing the periods' variances as if independent (Hirsch et al. 1982 alone) is wrong
    when a year's composites share its weather: the correction is what keeps the rate."""
    out, fit = seasonal_trends(_cube(_noise("shared year, ar1", seed=11)))
    n = SK_YEARS.size
    naive_var = SK_PERIODS * n * (n - 1) * (2 * n + 5) / 18
    s = out["s"].to_numpy()
    naive_p = 2 * stats.norm.sf(np.abs((s - np.sign(s)) / np.sqrt(naive_var)))
    assert (naive_p < 0.05).mean() > 0.3
    assert (out["p_value"] < 0.05).mean() <= 0.07
    assert fit.period_correlation > 0.5 and fit.variance_factor > 1


def test_hamed_rao_factor_matches_the_variance_of_s_under_ar1() -> None:
    rng = np.random.default_rng(5)
    n = 8
    assert hamed_rao_factor(n, 0.0) == 1.0
    series = _ar1(rng, (40_000, n), 0.3, axis=1)
    s = np.array([mann_kendall(row).s for row in series[:4000]])
    observed = s.var() / (n * (n - 1) * (2 * n + 5) / 18)
    assert hamed_rao_factor(n, 0.3) == pytest.approx(observed, rel=0.12)
    assert 1 < hamed_rao_factor(n, 0.3) < hamed_rao_factor(n, 0.6)


def test_benjamini_hochberg_by_hand() -> None:
    # m = 5 (NaN is no test); sorted p 0.001, 0.01, 0.02, 0.03, 0.5 give p·m/rank
    # 0.005, 0.025, 0.0333, 0.0375, 0.5; a step-up minimum from the right changes none
    p = np.array([0.01, 0.001, 0.03, 0.5, np.nan, 0.02])
    q = benjamini_hochberg(p)
    assert q[:4] == pytest.approx([0.025, 0.005, 0.0375, 0.5])
    assert q[5] == pytest.approx(0.1 / 3) and np.isnan(q[4])
    # the step-up: a larger p with a smaller p·m/rank lowers the q of those before it
    assert benjamini_hochberg(np.array([0.04, 0.045, 0.05])) == pytest.approx([0.05] * 3)
    assert np.isnan(benjamini_hochberg(np.array([np.nan]))).all()


def _with_trend(noise: np.ndarray, rows: np.ndarray, slope: float) -> np.ndarray:
    out = noise.copy()
    out[rows] += slope * (SK_YEARS - SK_YEARS[0])[None, :, None]
    return out


def test_planted_trends_are_found_with_few_false_flags() -> None:
    # composites correlated in time (φ = 0.3 from one to the next), as a plot's NDVI
    # less its neighbours' (the demo's residual against its okrug)
    noise = _noise("ar1 along the composites", seed=21) * 0.02 + 0.4
    rng = np.random.default_rng(3)
    planted = rng.choice(N_NOISE, 12, replace=False)
    out, _ = seasonal_trends(_cube(_with_trend(noise, planted, -0.015)), q=0.1)
    flagged = set(np.flatnonzero(out["status"] == "degrading"))
    hits = flagged & set(planted)
    assert len(hits) >= 6 and (len(flagged) - len(hits)) <= 0.2 * max(len(flagged), 1)
    assert (out.loc[list(planted), "slope"] < 0).all()
    assert out.loc[list(hits), "q_value"].max() <= 0.1


def test_widespread_degradation_is_not_hidden_by_the_raw_series() -> None:
    """All plots degrade: the raw test flags them; a residual against the group's median
    removes it, which is why a reference is an explicit choice, never the default."""
    rng = np.random.default_rng(8)
    values = 0.4 + 0.02 * rng.standard_normal((300, SK_YEARS.size, SK_PERIODS))
    cube = _cube(_with_trend(values, np.arange(300), -0.01))
    raw, _ = seasonal_trends(cube)
    assert (raw["status"] == "degrading").mean() > 0.95 and not (raw["status"] == "improving").any()
    residual, _ = seasonal_trends(residual_cube(cube, None))
    assert (residual["status"] == "degrading").mean() < 0.05


def test_residual_cube_removes_a_shared_covariate() -> None:
    rng = np.random.default_rng(9)
    weather = rng.normal(0, 0.05, (SK_YEARS.size, SK_PERIODS))
    local = rng.normal(0, 0.001, (50, SK_YEARS.size, SK_PERIODS))
    values = 0.3 + 1.5 * weather[None] + local
    values[0, 2, 3] = np.nan
    res = residual_cube(_cube(values), np.array(["a"] * 25 + ["b"] * 25))
    assert np.isnan(res.values[0, 2, 3]) and np.isfinite(res.values).sum() == values.size - 1
    assert np.nanstd(res.values) < 0.003 < np.nanstd(values)


def test_composite_cube_bins_periods_of_the_growing_season() -> None:
    rows = []
    for year in (2020, 2021):
        times = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="16D")
        rows.append(pd.DataFrame({"plot_id": "p", "time": times, "mean": year - 2019.0}))
        # a second date inside one period is averaged with the first
        rows.append(
            pd.DataFrame(
                {
                    "plot_id": "p",
                    "time": [times[10] + pd.Timedelta(days=3)],
                    "mean": [year - 2019.0 + 1],
                }
            )
        )
    cube = composite_cube(pd.concat(rows, ignore_index=True))
    assert cube.years.tolist() == [2020, 2021]
    # growing season 16 Apr – 5 Nov: composites starting on days 113 .. 305 (13 periods)
    assert cube.values.shape == (1, 2, 13)
    assert cube.periods.tolist() == list(range(7, 20))
    period_10 = cube.periods.tolist().index(10)
    assert cube.values[0, :, period_10].tolist() == [1.5, 2.5]
    assert np.nanmax(cube.values[0, 0]) == 1.5 and np.nanmin(cube.values[0, 0]) == 1.0


def test_a_record_of_one_year_is_insufficient_data_not_a_crash() -> None:
    """`pasture demo --years 1` (and any district with one year of NDVI) gets no trend."""
    one_year = NdviCube(
        plot_ids=np.array(["p0", "p1"]),
        years=SK_YEARS[:1],
        periods=np.arange(SK_PERIODS),
        values=np.random.default_rng(1).random((2, 1, SK_PERIODS)),
    )
    out, _ = seasonal_trends(one_year)
    assert (out["status"] == "insufficient data").all()
    assert out["slope"].isna().all()
    values = np.array([[0.4] + [np.nan] * (YEARS.size - 1)])
    assert ndvi_trends(_annual(values))["status"].item() == "insufficient data"
