"""The planner's NDVI per plot and week: each plot's valid composites interpolated at the
middle of each period, every plot at once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["interp_rows", "weekly_ndvi"]


def weekly_ndvi(
    ndvi: pd.DataFrame,
    plot_ids: Sequence[str],
    mids: pd.DatetimeIndex,
    *,
    min_valid_fraction: float,
    max_gap_days: float,
) -> np.ndarray:
    """NDVI per plot and period middle, linear in time between valid composites; NaN far from any.

    Every plot at once on a plot x date grid (the composites' dates are shared): for each
    period middle, each plot's last valid composite at or before it and first at or after
    it, as ``np.interp`` would pick them plot by plot (the ends held flat).
    """
    vals = pd.to_numeric(ndvi["mean"], errors="coerce").astype(float)
    ok = vals.notna() & (ndvi["valid_fraction"].astype(float) > 0)
    if min_valid_fraction > 0:
        ok &= ndvi["valid_fraction"].astype(float) >= min_valid_fraction
    out = np.full((len(plot_ids), len(mids)), np.nan)
    if not ok.any() or not len(mids):
        return out
    good = pd.DataFrame(
        {
            "plot_id": ndvi["plot_id"].astype(str).to_numpy()[ok.to_numpy()],
            "day": pd.to_datetime(ndvi["time"]).to_numpy().astype("datetime64[D]")[ok.to_numpy()],
            "v": vals.to_numpy()[ok.to_numpy()],
        }
    )
    grid = good.groupby(["plot_id", "day"])["v"].mean().unstack("day")
    grid = grid.reindex(index=list(plot_ids))
    epoch = np.datetime64("1970-01-01", "D")
    x = (grid.columns.to_numpy().astype("datetime64[D]") - epoch).astype(float)
    x_mid = (mids.to_numpy().astype("datetime64[D]") - epoch).astype(float)
    return interp_rows(grid.to_numpy(dtype=float), x, x_mid, max_gap_days)


def interp_rows(v: np.ndarray, x: np.ndarray, x_mid: np.ndarray, max_gap: float) -> np.ndarray:
    """Each row of ``v`` (NaN: no valid composite) interpolated at ``x_mid`` over its valid
    dates ``x`` (ascending), the ends held flat; NaN farther than ``max_gap`` from any."""
    valid = np.isfinite(v)
    cols = np.arange(x.size)
    # per row and date: the last valid date at or before it, the first at or after it
    before = np.maximum.accumulate(np.where(valid, cols, -1), axis=1)
    after = np.minimum.accumulate(np.where(valid, cols, x.size)[:, ::-1], axis=1)[:, ::-1]
    right = np.searchsorted(x, x_mid, side="left")  # first date >= the middle
    left = np.searchsorted(x, x_mid, side="right") - 1  # last date <= the middle
    rows = np.arange(v.shape[0])[:, None]
    lo = np.where(left >= 0, before[:, np.clip(left, 0, None)], -1)
    hi = np.where(right < x.size, after[:, np.clip(right, None, x.size - 1)], x.size)
    has_lo, has_hi = lo >= 0, hi < x.size
    lo_c, hi_c = np.clip(lo, 0, x.size - 1), np.clip(hi, 0, x.size - 1)
    v_lo, v_hi = v[rows, lo_c], v[rows, hi_c]
    x_lo, x_hi = x[lo_c], x[hi_c]
    span = np.where(hi_c > lo_c, x_hi - x_lo, 1.0)
    frac = np.where(hi_c > lo_c, (x_mid - x_lo) / span, 0.0)
    est = np.where(has_lo & has_hi, v_lo + frac * (v_hi - v_lo), np.where(has_lo, v_lo, v_hi))
    near = np.minimum(
        np.where(has_lo, np.abs(x_mid - x_lo), np.inf),
        np.where(has_hi, np.abs(x_hi - x_mid), np.inf),
    )
    est[~(has_lo | has_hi) | (near > max_gap)] = np.nan
    return est
