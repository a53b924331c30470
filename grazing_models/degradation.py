"""Degradation: trend and significance of annual integrated NDVI per plot.

Follows the trends.earth method (docs/domain.md, "Degradation", 2024): integrate
NDVI over each year's growing season, then per plot a Mann–Kendall test (with
tie correction) for significance and the Theil–Sen slope, with its confidence
interval, for size and sign. A plot is ``"degrading"`` when the trend is
significant at ``alpha`` and falling, ``"improving"`` when significant and
rising, ``"stable"`` otherwise, ``"insufficient data"`` with too few years.

Both statistics are computed on a plots × years matrix at once (pairwise
differences), in chunks of plots, so hundreds of thousands of plots are cheap.
The Theil–Sen slope and interval reproduce `scipy.stats.theilslopes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from grazing_models.seasons import SEASON_WINDOWS, SeasonWindow

__all__ = [
    "DEFAULT_ALPHA",
    "MIN_YEARS",
    "MannKendall",
    "annual_integrated_ndvi",
    "growing_season",
    "mann_kendall",
    "ndvi_trends",
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
    slopes.sort(axis=1)  # NaN sort last
    m = np.isfinite(slopes).sum(axis=1)
    with np.errstate(invalid="ignore"):
        median = np.nanmedian(np.where(m[:, None] > 0, slopes, 0.0), axis=1)
    median = np.where(m > 0, median, np.nan)
    xs = np.where(np.isfinite(y), x[None, :], np.nan)
    with np.errstate(invalid="ignore"):
        ymed = np.nanmedian(np.where(np.isfinite(y).any(axis=1)[:, None], y, 0.0), axis=1)
        xmed = np.nanmedian(np.where(np.isfinite(y).any(axis=1)[:, None], xs, 0.0), axis=1)
    intercept = ymed - median * xmed
    z = -stats.norm.ppf((1 - confidence) / 2)
    sigma = np.sqrt(np.maximum(var_s, 0.0))
    # Sen (1968): the CI bounds are the sorted slopes at these ranks (as in scipy)
    hi_idx = np.clip(np.minimum(np.round((m + z * sigma) / 2), m - 1), 0, None).astype(int)
    lo_idx = np.clip(np.round((m - z * sigma) / 2) - 1, 0, None).astype(int)
    rows = np.arange(y.shape[0])
    last = max(slopes.shape[1] - 1, 0)
    low = np.where(m > 0, slopes[rows, np.minimum(lo_idx, last)], np.nan)
    high = np.where(m > 0, slopes[rows, np.minimum(hi_idx, last)], np.nan)
    return median, intercept, low, high


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
