"""Degradation: trend and significance of NDVI per plot.

Two tests. `seasonal_trends`, the one the store's ``trends`` table uses: a seasonal
Kendall test over the growing season's 16-day composites, corrected for their
correlation within and across years, with Benjamini–Hochberg q-values across plots
(docs/domain.md, "Degradation trends"). `ndvi_trends`, the trends.earth method on one
integrated value per year (docs/domain.md, "Degradation", 2024): per plot a Mann–Kendall
test (with tie correction) and the Theil–Sen slope; with 8 years and thousands of plots
it can flag nothing once the false discovery rate is controlled, and it ignores serial
correlation, so it is kept for long records and comparison only.

Both work on plots × years matrices at once (pairwise differences), in chunks of plots,
so hundreds of thousands of plots are cheap. The Theil–Sen slope and interval reproduce
`scipy.stats.theilslopes`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from grazing_models.seasons import SEASON_WINDOWS, SeasonWindow

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_CONFIDENCE",
    "DEFAULT_Q",
    "MIN_YEARS",
    "PERIOD_DAYS",
    "MannKendall",
    "NdviCube",
    "SeasonalKendallFit",
    "annual_integrated_ndvi",
    "benjamini_hochberg",
    "composite_cube",
    "growing_season",
    "hamed_rao_factor",
    "mann_kendall",
    "ndvi_trends",
    "residual_cube",
    "seasonal_trends",
]

#: Significance level of the trend test (trends.earth default, 0.05).
DEFAULT_ALPHA: float = 0.05
#: Fewest years for a status: with 5 years a two-sided Mann–Kendall test can first
#: reach p < 0.05 (S = 10, var 16.7, z = 2.20, p = 0.028); with 4 it cannot.
MIN_YEARS: int = 5


def growing_season(windows: Mapping[str, SeasonWindow] = SEASON_WINDOWS) -> SeasonWindow:
    """The growing season: start of spring to end of autumn (docs/domain.md Seasons, 2024).

    With the default windows this is 16 Apr – 5 Nov. The season field of the
    returned window is "spring" only to satisfy `SeasonWindow`.
    """
    return SeasonWindow("spring", windows["spring"].start, windows["autumn"].end)


def annual_integrated_ndvi(
    ndvi: pd.DataFrame,
    *,
    window: SeasonWindow | None = None,
    method: Literal["trapezoid", "sum"] = "trapezoid",
    value: str = "mean",
    min_valid_fraction: float = 0.0,
    min_observations: int = 3,
) -> pd.DataFrame:
    """Integrated NDVI of each plot's growing season, per year.

    Parameters
    ----------
    ndvi
        Long frame ``plot_id, time, mean, ..., valid_fraction``.
    window
        Growing season; default `growing_season` (spring start to autumn end).
    method
        ``"trapezoid"`` (default): integral over the window in NDVI·days of the
        linear interpolation between valid composites, held flat from the first
        and last valid composite to the window edges. ``"sum"``: sum of composites,
        gaps filled by the mean of the valid ones (Σ valid × n_dates / n_valid).
        Missing values never count as zero.
    value
        Column with the NDVI value.
    min_valid_fraction
        Composites with a lower ``valid_fraction`` are treated as missing.
    min_observations
        A plot-year with fewer valid composites gives NaN.

    Returns
    -------
    pandas.DataFrame
        ``plot_id, year, integrated_ndvi, n_valid, n_dates``.
    """
    window = window or growing_season()
    values = pd.to_numeric(ndvi[value], errors="coerce").astype(float)
    if "valid_fraction" in ndvi and min_valid_fraction > 0:
        values = values.where(ndvi["valid_fraction"].astype(float) >= min_valid_fraction)
    frame = pd.DataFrame(
        {"plot_id": ndvi["plot_id"].to_numpy(), "time": pd.to_datetime(ndvi["time"]), "v": values}
    )
    frame = frame[window.contains(frame["time"])]
    frame = frame.assign(year=window.window_year(frame["time"]))
    parts = []
    for year, part in frame.groupby("year", sort=True):
        wide = part.pivot_table(
            index="plot_id", columns="time", values="v", aggfunc="mean", dropna=False
        )
        wide = wide.reindex(columns=sorted(wide.columns))
        v = wide.to_numpy(dtype=float)
        first, last = window.bounds(int(str(year)))
        t = (pd.DatetimeIndex(wide.columns) - first).total_seconds().to_numpy() / 86400.0
        span = (last - first).days + 1.0
        n_valid = np.isfinite(v).sum(axis=1)
        if method == "sum":
            with np.errstate(invalid="ignore", divide="ignore"):
                total = np.nansum(v, axis=1) * v.shape[1] / n_valid
        elif method == "trapezoid":
            total = _trapezoid_window(v, t, span)
        else:
            raise ValueError(f"unknown method {method!r}; use 'trapezoid' or 'sum'")
        parts.append(
            pd.DataFrame(
                {
                    "plot_id": wide.index.to_numpy(),
                    "year": int(str(year)),
                    "integrated_ndvi": np.where(n_valid >= min_observations, total, np.nan),
                    "n_valid": n_valid,
                    "n_dates": v.shape[1],
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["plot_id", "year", "integrated_ndvi", "n_valid", "n_dates"])
    return pd.concat(parts, ignore_index=True)


def _trapezoid_window(v: np.ndarray, t: np.ndarray, span: float) -> np.ndarray:
    """Integral over [0, span] of each row's linear interpolation through its valid points.

    Vectorised over rows: a missing value is replaced by the linear interpolation
    between the previous and next valid composite (the nearest one at the edges),
    and the window edges take the first and last valid value.
    """
    n_rows, n_dates = v.shape
    valid = np.isfinite(v)
    cols = np.arange(n_dates)
    rows = np.arange(n_rows)[:, None]
    prev = np.maximum.accumulate(np.where(valid, cols, -1), axis=1)
    nxt = np.minimum.accumulate(np.where(valid, cols, n_dates)[:, ::-1], axis=1)[:, ::-1]
    has_prev, has_next = prev >= 0, nxt < n_dates
    p_idx, n_idx = np.where(has_prev, prev, nxt), np.where(has_next, nxt, prev)
    p_idx = np.clip(p_idx, 0, max(n_dates - 1, 0))
    n_idx = np.clip(n_idx, 0, max(n_dates - 1, 0))
    vp, vn = v[rows, p_idx], v[rows, n_idx]
    tp, tn = t[p_idx], t[n_idx]
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(tn > tp, (t[None, :] - tp) / (tn - tp), 0.0)
    filled = vp + w * (vn - vp)
    any_valid = valid.any(axis=1)
    first = filled[:, 0] if n_dates else np.full(n_rows, np.nan)
    last = filled[:, -1] if n_dates else np.full(n_rows, np.nan)
    grid = np.concatenate([[0.0], t, [span]])
    values = np.column_stack([first, filled, last])
    out = np.trapezoid(values, grid, axis=1)
    return np.where(any_valid, out, np.nan)


@dataclass(frozen=True)
class MannKendall:
    """Result of a Mann–Kendall test on one series."""

    n: int
    s: float
    var_s: float
    z: float
    p_value: float
    tau: float


def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    i, j = np.triu_indices(n, k=1)
    return i, j


def _mk_matrix(y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Mann–Kendall S, tie-corrected var(S), z, p and tau-a per row of y (NaN = missing).

    Columns must be in time order. var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18,
    Σ over groups of t tied values; z uses the continuity correction (S ∓ 1).
    """
    valid = np.isfinite(y)
    n = valid.sum(axis=1).astype(float)
    i, j = _pairs(y.shape[1])
    with np.errstate(invalid="ignore"):
        d = np.sign(y[:, j] - y[:, i])
    s = np.nansum(d, axis=1)
    # ties: c_k = how many valid values equal y_k; Σ_groups f(t) = Σ_k f(c_k) / c_k
    eq = (y[:, :, None] == y[:, None, :]) & valid[:, :, None] & valid[:, None, :]
    c = eq.sum(axis=2).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(c > 0, (c - 1) * (2 * c + 5), 0.0)  # f(c)/c
    ties = f.sum(axis=1)
    var_s = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(var_s > 0, (s - np.sign(s)) / np.sqrt(np.where(var_s > 0, var_s, 1.0)), 0.0)
        tau = np.where(n > 1, s / (n * (n - 1) / 2), np.nan)
    p = 2 * stats.norm.sf(np.abs(z))
    p = np.where(n >= 3, p, np.nan)
    return n, s, var_s, z, p, tau


def mann_kendall(y: np.ndarray | pd.Series | list[float]) -> MannKendall:
    """Mann–Kendall trend test of a series in time order, tie-corrected, NaN skipped.

    Two-sided p-value from the normal approximation with continuity correction
    (as in trends.earth and Hipel & McLeod 1994); fewer than 3 values give p NaN.
    """
    row = np.asarray(y, dtype=float)[None, :]
    n, s, var_s, z, p, tau = (float(a[0]) for a in _mk_matrix(row))
    return MannKendall(n=int(n), s=s, var_s=var_s, z=z, p_value=p, tau=tau)


def _theil_sen_matrix(
    y: np.ndarray, x: np.ndarray, var_s: np.ndarray, confidence: float
) -> tuple[np.ndarray, ...]:
    """Theil–Sen slope, intercept and CI per row, as `scipy.stats.theilslopes` computes them.

    ``x`` strictly increasing, so it has no ties; ``var_s`` is the tie-corrected
    var(S) of y (Sen 1968, eq. 2.6).
    """
    i, j = _pairs(y.shape[1])
    slopes = (y[:, j] - y[:, i]) / (x[j] - x[i])[None, :]
    median, low, high = _sen_interval(slopes, var_s, confidence)
    xs = np.where(np.isfinite(y), x[None, :], np.nan)
    with np.errstate(invalid="ignore"):
        ymed = np.nanmedian(np.where(np.isfinite(y).any(axis=1)[:, None], y, 0.0), axis=1)
        xmed = np.nanmedian(np.where(np.isfinite(y).any(axis=1)[:, None], xs, 0.0), axis=1)
    intercept = ymed - median * xmed
    return median, intercept, low, high


def _sen_interval(
    slopes: np.ndarray, var_s: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median of each row's pairwise slopes (NaN skipped) and its Sen (1968) interval."""
    if slopes.shape[1] == 0:  # one value per row (a record of one year): no slope at all
        nothing = np.full(slopes.shape[0], np.nan)
        return nothing, nothing.copy(), nothing.copy()
    slopes = np.sort(slopes, axis=1)  # NaN sort last
    m = np.isfinite(slopes).sum(axis=1)
    with np.errstate(invalid="ignore"):
        median = np.nanmedian(np.where(m[:, None] > 0, slopes, 0.0), axis=1)
    median = np.where(m > 0, median, np.nan)
    z = -stats.norm.ppf((1 - confidence) / 2)
    sigma = np.sqrt(np.maximum(var_s, 0.0))
    # Sen (1968): the CI bounds are the sorted slopes at these ranks (as in scipy)
    hi_idx = np.clip(np.minimum(np.round((m + z * sigma) / 2), m - 1), 0, None).astype(int)
    lo_idx = np.clip(np.round((m - z * sigma) / 2) - 1, 0, None).astype(int)
    rows = np.arange(slopes.shape[0])
    last = max(slopes.shape[1] - 1, 0)
    low = np.where(m > 0, slopes[rows, np.minimum(lo_idx, last)], np.nan)
    high = np.where(m > 0, slopes[rows, np.minimum(hi_idx, last)], np.nan)
    return median, low, high


def ndvi_trends(
    annual: pd.DataFrame,
    *,
    value: str = "integrated_ndvi",
    alpha: float = DEFAULT_ALPHA,
    min_years: int = MIN_YEARS,
    chunk: int = 20000,
) -> pd.DataFrame:
    """Trend of annual NDVI per plot: Mann–Kendall significance and Theil–Sen slope.

    Parameters
    ----------
    annual
        ``plot_id, year, <value>`` (e.g. `annual_integrated_ndvi`); one value per
        plot and year, NaN for a missing year.
    value
        Column with the annual value.
    alpha
        Significance level; default 0.05 (trends.earth, docs/domain.md 2024). The
        Theil–Sen interval has confidence ``1 − alpha``.
    min_years
        Plots with fewer valid years get status ``"insufficient data"``; default
        `MIN_YEARS` = 5.
    chunk
        Plots per block (memory ~ chunk × years² × 8 bytes).

    Returns
    -------
    pandas.DataFrame
        ``plot_id, n_years, first_year, last_year, slope, intercept, slope_low,
        slope_high, s, var_s, z, tau, p_value, status`` with the slope in
        ``value`` units per year.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    if annual.duplicated(["plot_id", "year"]).any():
        raise ValueError("annual frame has more than one value for a plot and year")
    wide = annual.pivot(index="plot_id", columns="year", values=value).sort_index(axis=1)
    x = wide.columns.to_numpy(dtype=float)
    y_all = wide.to_numpy(dtype=float)
    results = []
    for start in range(0, max(len(wide), 1), chunk):
        y = y_all[start : start + chunk]
        n, s, var_s, z, p, tau = _mk_matrix(y)
        slope, intercept, low, high = _theil_sen_matrix(y, x, var_s, 1 - alpha)
        results.append(np.column_stack([n, slope, intercept, low, high, s, var_s, z, tau, p]))
    cols = ["n_years", "slope", "intercept", "slope_low", "slope_high", "s", "var_s", "z", "tau"]
    data = np.vstack(results) if results else np.empty((0, len(cols) + 1))
    out = pd.DataFrame(data, columns=[*cols, "p_value"])
    out.insert(0, "plot_id", wide.index.to_numpy())
    years = np.where(np.isfinite(y_all), x[None, :], np.inf)
    first = years.min(axis=1) if len(x) else np.full(len(wide), np.inf)
    last = np.where(np.isfinite(y_all), x[None, :], -np.inf).max(axis=1) if len(x) else -first
    out.insert(2, "first_year", np.where(np.isfinite(first), first, np.nan))
    out.insert(3, "last_year", np.where(np.isfinite(last), last, np.nan))
    out["n_years"] = out["n_years"].astype(int)
    significant = out["p_value"].to_numpy() < alpha
    status = np.select(
        [
            out["n_years"].to_numpy() < min_years,
            significant & (out["s"].to_numpy() < 0),
            significant & (out["s"].to_numpy() > 0),
        ],
        ["insufficient data", "degrading", "improving"],
        default="stable",
    )
    out["status"] = status.astype(object)
    return out


# --------------------------------------------------------------------------------------
# Seasonal Kendall over the composites, robust to correlation, with FDR control
# (docs/domain.md, "Degradation trends").

#: False discovery rate controlled across plots (Benjamini & Hochberg 1995): of the
#: plots flagged, at most this share is expected to be false (docs/domain.md).
DEFAULT_Q: float = 0.1
#: Length of a period of the year, days: one MOD13Q1 composite (docs/domain.md,
#: "Satellite NDVI"); irregular dates (Sentinel-2) are averaged within each period.
PERIOD_DAYS: int = 16
#: Confidence of the seasonal Sen slope's interval.
DEFAULT_CONFIDENCE: float = 0.95


@dataclass(frozen=True)
class NdviCube:
    """NDVI as plots × years × periods of the year (NaN where missing)."""

    plot_ids: np.ndarray
    years: np.ndarray
    periods: np.ndarray
    values: np.ndarray


def composite_cube(
    ndvi: pd.DataFrame,
    *,
    window: SeasonWindow | None = None,
    value: str = "mean",
    min_valid_fraction: float = 0.0,
    period_days: int = PERIOD_DAYS,
) -> NdviCube:
    """The growing season's composites of every plot as a plots × years × periods cube.

    Parameters
    ----------
    ndvi
        Long frame ``plot_id, time, <value>[, valid_fraction]``.
    window
        Growing season; default `growing_season`.
    value
        Column with the NDVI value.
    min_valid_fraction
        Composites observed over less of the plot are missing.
    period_days
        Width of a period of the year (default `PERIOD_DAYS`, one 16-day composite);
        values falling in the same period of a year are averaged.

    Returns
    -------
    NdviCube
        Years and periods in order; a period is ``(day of year − 1) // period_days``.
    """
    window = window or growing_season()
    values = pd.to_numeric(ndvi[value], errors="coerce").astype(float)
    if "valid_fraction" in ndvi and min_valid_fraction > 0:
        values = values.where(ndvi["valid_fraction"].astype(float) >= min_valid_fraction)
    time = pd.to_datetime(ndvi["time"])
    frame = pd.DataFrame({"plot_id": ndvi["plot_id"].to_numpy(), "v": values.to_numpy()})
    keep = np.asarray(window.contains(time))
    frame = frame[keep].assign(
        year=np.asarray(window.window_year(time[keep])).astype(int),
        period=(time[keep].dt.day_of_year.to_numpy() - 1) // period_days,
    )
    wide = frame.pivot_table(
        index="plot_id", columns=["year", "period"], values="v", aggfunc="mean", dropna=False
    )
    years = np.unique(frame["year"])
    periods = np.unique(frame["period"])
    full = pd.MultiIndex.from_product([years, periods])
    values3 = wide.reindex(columns=full).to_numpy(dtype=float)
    return NdviCube(
        plot_ids=wide.index.to_numpy(),
        years=years,
        periods=periods,
        values=values3.reshape(len(wide), len(years), len(periods)),
    )


def residual_cube(cube: NdviCube, groups: np.ndarray | pd.Series | None) -> NdviCube:
    """Each plot's series less its regression on its group's median series (a residual trend).

    The covariate of a plot is the median, year by year and period by period, of the
    plots of its group (``None``: one group, all plots); the residual of the ordinary
    least-squares fit ``value = a + b · covariate`` is what is tested (RESTREND's idea
    with the group's NDVI in place of rainfall, docs/domain.md "Degradation trends").
    Whatever the group shares, weather or degradation alike, is removed: say so
    wherever the result is shown.
    """
    keys = np.zeros(len(cube.plot_ids)) if groups is None else np.asarray(groups, dtype=object)
    out = np.full_like(cube.values, np.nan)
    for key in pd.unique(keys):
        rows = np.flatnonzero(keys == key)
        x = cube.values[rows]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN year-periods
            c = np.broadcast_to(np.nanmedian(x, axis=0), x.shape)
            ok = np.isfinite(x) & np.isfinite(c)
            n = ok.sum(axis=(1, 2))[:, None, None]
            cm = np.where(ok, c, 0).sum(axis=(1, 2))[:, None, None] / n
            xm = np.where(ok, x, 0).sum(axis=(1, 2))[:, None, None] / n
            dc, dx = np.where(ok, c - cm, 0), np.where(ok, x - xm, 0)
            var_c = (dc * dc).sum(axis=(1, 2))[:, None, None]
            b = np.where(var_c > 0, (dc * dx).sum(axis=(1, 2))[:, None, None] / var_c, 0.0)
            out[rows] = np.where(ok, dx - b * dc, np.nan)
    return NdviCube(cube.plot_ids, cube.years, cube.periods, out)


def benjamini_hochberg(p_values: np.ndarray | pd.Series) -> np.ndarray:
    """Benjamini–Hochberg (1995) adjusted p-values (q-values); NaN stays NaN.

    Flagging every test whose q-value is at most q keeps the expected share of false
    flags among the flagged at most q (independent or positively dependent tests).
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if not len(ok):
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    ranked = p[order] * len(ok) / np.arange(1, len(ok) + 1)
    out[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    return out


def hamed_rao_factor(n: int, phi: float) -> float:
    """Hamed & Rao (1998) variance inflation n/n* of Mann–Kendall S under AR(1) noise.

    ``n/n* = 1 + 2 / (n(n−1)(n−2)) · Σ_{k=1}^{n−1} (n−k)(n−k−1)(n−k−2) ρ_s(k)`` with the
    rank autocorrelation of AR(1) noise ``ρ_s(k) = (6/π) arcsin(φ^k / 2)``.
    """
    if n < 3 or phi <= 0:
        return 1.0
    k = np.arange(1, n)
    rho_s = 6.0 / np.pi * np.arcsin(phi**k / 2.0)
    total = np.sum((n - k) * (n - k - 1) * (n - k - 2) * rho_s)
    return float(1.0 + 2.0 / (n * (n - 1) * (n - 2)) * total)


@dataclass(frozen=True)
class SeasonalKendallFit:
    """The correlation the seasonal Kendall test of many plots estimated and used.

    ``period_correlation`` is the mean correlation between the Kendall S of two periods
    of the year (pooled over plots), ``phi`` the AR(1) coefficient across years (pooled,
    bias-corrected) and ``variance_factor`` the Hamed–Rao inflation it gives.
    """

    n_plots: int
    n_years: int
    n_periods: int
    period_correlation: float
    phi: float
    variance_factor: float


def _period_kendall(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per plot and period: Mann–Kendall S and tie-corrected var(S) across the years."""
    n_plots, n_years, n_periods = y.shape
    rows = y.transpose(0, 2, 1).reshape(-1, n_years)
    _, s, var_s, *_ = _mk_matrix(rows)
    return s.reshape(n_plots, n_periods), var_s.reshape(n_plots, n_periods)


def _difference_moments(y: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Sums over plots of the products of year-to-year differences (centred per series).

    Returns the periods × periods sums of products (for the correlation between
    periods) and the lag-1 and lag-0 sums across years of the differences of the
    plot's mean over the periods (for the serial correlation).
    A linear trend is a constant difference, removed by the centring: what is measured
    is the noise, trend or not (widespread degradation does not inflate it).
    """
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # series without two years
        d = np.diff(y, axis=1)
        d = d - np.nanmean(d, axis=1, keepdims=True)
        # serial correlation of the plot's mean over the periods: the component the
        # periods share dominates var(S), and its autocorrelation is what inflates it
        a = np.diff(np.nanmean(y, axis=2), axis=1)
        a = a - np.nanmean(a, axis=1, keepdims=True)
    d0, a0 = np.nan_to_num(d), np.nan_to_num(a)
    cross = np.einsum("ptg,pth->gh", d0, d0)
    lag1 = float(np.sum(a0[:, 1:] * a0[:, :-1]))
    return cross, lag1, float(np.sum(a0 * a0))


def _expected_lag1(phi: float, n_years: int) -> float:
    """E[lag-1 sum] / E[lag-0 sum] of centred differences of AR(1) noise of length n."""
    t = np.arange(n_years)
    sigma = phi ** np.abs(t[:, None] - t[None, :])
    diff = np.diff(np.eye(n_years), axis=0)
    centre = np.eye(n_years - 1) - 1.0 / (n_years - 1)
    m = centre @ diff
    return float(np.trace(m[:-1] @ sigma @ m[1:].T) / np.trace(m @ sigma @ m.T))


def _pooled_phi(ratio: float, n_years: int) -> float:
    """AR(1) φ across years whose expected lag-1 ratio of differences is ``ratio``.

    Pooling the sums over all plots and inverting the expectation (bisection on
    [0, 0.95]) corrects the strong small-sample bias of a short series' autocorrelation;
    an estimate at or below that of white noise counts as 0 (never shrink the variance).
    """
    if n_years < 4 or not np.isfinite(ratio) or ratio <= _expected_lag1(0.0, n_years):
        return 0.0
    low, high = 0.0, 0.95
    if ratio >= _expected_lag1(high, n_years):
        return high
    for _ in range(40):
        mid = (low + high) / 2
        low, high = (mid, high) if _expected_lag1(mid, n_years) < ratio else (low, mid)
    return (low + high) / 2


def _s_correlation(rho: np.ndarray, n_years: int) -> np.ndarray:
    """Correlation of two periods' Mann–Kendall S from the correlation of their values.

    Hirsch & Slack (1984): cov(S_g, S_h) = (K_gh + 4 Σ R_ig R_ih − n(n+1)²)/3, whose
    expectation is n(n−1)/6 · τ + n(n²−1)/9 · ρ_S; divided by var(S) that is
    (3τ + 2(n+1)ρ_S) / (2n+5), with Kendall's τ = (2/π) arcsin ρ and Spearman's
    ρ_S = (6/π) arcsin(ρ/2) of normal values.
    """
    rho = np.clip(rho, -1.0, 1.0)
    tau = 2.0 / np.pi * np.arcsin(rho)
    rho_s = 6.0 / np.pi * np.arcsin(rho / 2.0)
    return (3.0 * tau + 2.0 * (n_years + 1) * rho_s) / (2.0 * n_years + 5)


def seasonal_trends(
    cube: NdviCube,
    *,
    q: float = DEFAULT_Q,
    min_years: int = MIN_YEARS,
    confidence: float = DEFAULT_CONFIDENCE,
    chunk: int = 2000,
) -> tuple[pd.DataFrame, SeasonalKendallFit]:
    """Seasonal Kendall trend test of every plot, robust to correlation, FDR-controlled.

    Hirsch, Slack & Smith (1982): S = Σ over periods of the year of each period's
    Mann–Kendall S across years. Its variance sums every period's var(S) and the
    covariances between periods (Hirsch & Slack 1984), since composites of one year
    share that year's weather. Eight years give each plot too few values to estimate
    13 × 13 covariances, so the correlation between periods and the AR(1) φ across
    years are pooled over all plots, from year-to-year differences (a trend, shared by
    every plot or not, does not enter them); φ inflates the variance by the Hamed &
    Rao (1998) factor. Benjamini–Hochberg q-values
    control the false discovery rate across plots. Size: the seasonal Sen slope (median
    of within-period slopes) with its interval from the corrected variance.

    Parameters
    ----------
    cube
        Plots × years × periods (`composite_cube`, or its `residual_cube`).
    q
        False discovery rate (default `DEFAULT_Q`, 0.1): a plot is "degrading" or
        "improving" when its q-value is at most ``q``.
    min_years
        Plots with fewer years holding a value are "insufficient data".
    confidence
        Confidence of the slope interval.
    chunk
        Plots per block (memory ~ chunk × years² × periods × 8 bytes).

    Returns
    -------
    pandas.DataFrame, SeasonalKendallFit
        Per plot ``plot_id, n_years, n_values, first_year, last_year, slope, slope_low,
        slope_high, s, var_s, z, tau, p_value, q_value, status`` (slope in units of the
        cube per year), and the pooled correlation used.
    """
    if not 0 < q < 1:
        raise ValueError(f"q must lie in (0, 1), got {q}")
    y_all = cube.values
    n_plots, n_years, n_periods = y_all.shape
    blocks = range(0, max(n_plots, 1), chunk)
    parts = [_period_kendall(y_all[b : b + chunk]) for b in blocks]
    s_g = np.vstack([p[0] for p in parts])
    var_g = np.vstack([p[1] for p in parts])
    moments = [_difference_moments(y_all[b : b + chunk]) for b in blocks]
    cross = sum(m[0] for m in moments)
    scale = np.sqrt(np.clip(np.diag(cross), 1e-300, None))
    rho = _s_correlation(cross / (scale[:, None] * scale[None, :]), n_years)
    np.fill_diagonal(rho, 1.0)
    lag0 = sum(m[2] for m in moments)
    phi = _pooled_phi(sum(m[1] for m in moments) / lag0 if lag0 > 0 else np.nan, n_years)
    factor = hamed_rao_factor(n_years, phi)
    sd = np.sqrt(np.maximum(var_g, 0.0))
    var_s = np.einsum("pg,gh,ph->p", sd, rho, sd) * factor
    s = s_g.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(var_s > 0, (s - np.sign(s)) / np.sqrt(np.where(var_s > 0, var_s, 1)), 0.0)
    p = 2 * stats.norm.sf(np.abs(z))
    slope, low, high = _seasonal_sen(y_all, cube.years, var_s, confidence, chunk)
    out = _trend_frame(cube, s, var_s, z, p, (slope, low, high), min_years)
    out["q_value"] = np.where(
        out["n_years"] >= min_years,
        benjamini_hochberg(np.where(out["n_years"] >= min_years, p, np.nan)),
        np.nan,
    )
    out["status"] = _status(out, q, min_years)
    off = rho[~np.eye(n_periods, dtype=bool)]
    fit = SeasonalKendallFit(
        n_plots=n_plots,
        n_years=n_years,
        n_periods=n_periods,
        period_correlation=float(off.mean()) if off.size else 0.0,
        phi=phi,
        variance_factor=factor,
    )
    return out, fit


def _seasonal_sen(
    y: np.ndarray, years: np.ndarray, var_s: np.ndarray, confidence: float, chunk: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seasonal Sen slope (Hirsch et al. 1982): median of all within-period slopes."""
    i, j = _pairs(y.shape[1])
    x = np.asarray(years, dtype=float)
    out = []
    for b in range(0, max(len(y), 1), chunk):
        block = y[b : b + chunk]
        slopes = (block[:, j, :] - block[:, i, :]) / (x[j] - x[i])[None, :, None]
        out.append(_sen_interval(slopes.reshape(len(block), -1), var_s[b : b + chunk], confidence))
    return tuple(np.concatenate([o[k] for o in out]) for k in range(3))  # type: ignore[return-value]


def _trend_frame(
    cube: NdviCube,
    s: np.ndarray,
    var_s: np.ndarray,
    z: np.ndarray,
    p: np.ndarray,
    sen: tuple[np.ndarray, np.ndarray, np.ndarray],
    min_years: int,
) -> pd.DataFrame:
    """The per-plot result table of `seasonal_trends` before its q-values and status."""
    valid = np.isfinite(cube.values)
    has_year = valid.any(axis=2)
    years = np.asarray(cube.years, dtype=float)
    n_g = valid.sum(axis=1)
    pairs = (n_g * (n_g - 1) / 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.where(pairs > 0, s / pairs, np.nan)
    n_years = has_year.sum(axis=1)
    return pd.DataFrame(
        {
            "plot_id": cube.plot_ids,
            "n_years": n_years.astype(int),
            "n_values": valid.sum(axis=(1, 2)).astype(int),
            "first_year": np.where(
                n_years > 0, np.where(has_year, years, np.inf).min(axis=1), np.nan
            ),
            "last_year": np.where(
                n_years > 0, np.where(has_year, years, -np.inf).max(axis=1), np.nan
            ),
            "slope": sen[0],
            "slope_low": sen[1],
            "slope_high": sen[2],
            "s": s,
            "var_s": var_s,
            "z": z,
            "tau": tau,
            "p_value": np.where(n_years >= min_years, p, np.nan),
        }
    )


def _status(trends: pd.DataFrame, q: float, min_years: int) -> np.ndarray:
    """degrading / improving where the q-value is at most q, stable, insufficient data."""
    flagged = trends["q_value"].to_numpy() <= q
    s = trends["s"].to_numpy()
    return np.select(
        [trends["n_years"].to_numpy() < min_years, flagged & (s < 0), flagged & (s > 0)],
        ["insufficient data", "degrading", "improving"],
        default="stable",
    ).astype(object)
