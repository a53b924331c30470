"""Degradation trends of the plots' growing-season NDVI (the ``trends`` table)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from grazing_models.degradation import (
    DEFAULT_ALPHA,
    MIN_YEARS,
    annual_integrated_ndvi,
    growing_season,
    ndvi_trends,
)
from grazing_models.seasons import SEASON_WINDOWS, SeasonWindow

from ..errors import InvalidInput
from ..store.base import Store
from .inputs import DEFAULT_MIN_VALID_FRACTION, read_ndvi, read_plots
from .tables import table_frame

__all__ = ["TREND_REFERENCES", "compute_trends", "relative_to_reference"]

#: What the annual NDVI of a plot is compared with before the trend test.
TREND_REFERENCES: tuple[str, ...] = ("none", "pasture_type", "okrug", "district")


def relative_to_reference(
    annual: pd.DataFrame,
    groups: pd.Series | None,
    *,
    value: str = "integrated_ndvi",
) -> pd.DataFrame:
    """Annual NDVI as a ratio to the median of its reference group in the same year.

    The trends.earth method compares a plot with "similar land" (docs/domain.md,
    "Degradation", 2024) and removes the climate signal before testing a trend
    (RESTREND uses rainfall). Without rainfall data, the year-by-year median of
    similar plots carries the weather: dividing by it leaves what differs in the
    plot itself. ``groups`` maps plot id → group (None: one group, the district).
    """
    frame = annual.copy()
    key = (
        pd.Series("district", index=frame.index)
        if groups is None
        else frame["plot_id"].map(groups).fillna("?")
    )
    median = frame.groupby([key, frame["year"]])[value].transform("median")
    with np.errstate(divide="ignore", invalid="ignore"):
        frame[value] = frame[value] / median.where(median > 0)
    return frame


def compute_trends(
    store: Store,
    *,
    alpha: float = DEFAULT_ALPHA,
    reference: str = "pasture_type",
    min_years: int = MIN_YEARS,
    method: Literal["trapezoid", "sum"] = "trapezoid",
    min_valid_fraction: float = DEFAULT_MIN_VALID_FRACTION,
    windows: Mapping[str, SeasonWindow] = SEASON_WINDOWS,
    ndvi: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Degradation trend of every plot; replaces the ``trends`` table.

    Integrates each year's growing-season NDVI (`annual_integrated_ndvi`), divides
    it by the median of the plot's reference group that year
    (`relative_to_reference`), then tests the trend with Mann–Kendall and sizes
    it with Theil–Sen (`ndvi_trends`; trends.earth, docs/domain.md "Degradation", 2024).
    ``reference="none"`` tests the raw integral: weather shared by the whole
    district then shows up as a trend (on the demo stack, whose generated years
    happen to get drier, 737 of 2,741 plots test "degrading" that way).

    Parameters
    ----------
    store
        Store with plots and ``ndvi_stats``.
    alpha
        Significance level, default 0.05 (trends.earth).
    reference
        ``"pasture_type"`` (default: similar land), ``"okrug"``, ``"district"`` or ``"none"``.
    min_years
        Plots with fewer valid years are ``"unknown"``; default 5 (`MIN_YEARS`).
    method
        Integration of the season (see `annual_integrated_ndvi`).
    min_valid_fraction
        Composites observed over less of the plot are ignored (default 0.5, assumption).
    windows
        Season windows; the growing season runs from spring start to autumn end.
    ndvi
        Already read ``ndvi_stats`` rows.

    Returns
    -------
    pandas.DataFrame
        The ``trends`` rows plus ``pasture_type, okrug_id, union_id, reference, s, z``;
        ``slope`` is in units of the tested series per year (a ratio to the
        reference, or NDVI·days with ``"none"``).
    """
    if reference not in TREND_REFERENCES:
        raise InvalidInput(
            "trends", [f"unknown reference {reference!r}; use one of {', '.join(TREND_REFERENCES)}"]
        )
    plots = read_plots(store)
    ndvi = read_ndvi(store) if ndvi is None else ndvi
    annual = annual_integrated_ndvi(
        ndvi, window=growing_season(windows), method=method, min_valid_fraction=min_valid_fraction
    )
    if reference != "none":
        column = {"pasture_type": "pasture_type", "okrug": "okrug_id"}.get(reference)
        groups = None if column is None else plots.set_index("id")[column]
        annual = relative_to_reference(annual, groups)
    trends = ndvi_trends(annual, alpha=alpha, min_years=min_years)
    trends["status"] = trends["status"].replace({"insufficient data": "unknown"})
    trends["alpha"] = alpha
    trends["reference"] = reference
    fields = plots[["id", "okrug_id", "union_id", "pasture_type"]].rename(columns={"id": "plot_id"})
    trends = trends.merge(fields, on="plot_id", how="left")
    store.replace_rows("trends", table_frame("trends", trends))
    store.set_meta(
        "trends_method",
        json.dumps(
            {
                "alpha": alpha,
                "reference": reference,
                "statistic": "ratio to the reference group's median of the year"
                if reference != "none"
                else "integrated NDVI",
                "integration": method,
                "min_years": min_years,
                "min_valid_fraction": min_valid_fraction,
                "test": "Mann-Kendall (tie-corrected), Theil-Sen slope (trends.earth)",
            },
            sort_keys=True,
        ),
    )
    return trends
