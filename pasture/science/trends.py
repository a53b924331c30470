"""Degradation trends of the plots' growing-season NDVI (the ``trends`` table).

The test is the seasonal Kendall test over the 16-day composites of the growing season
(`grazing_models.degradation.seasonal_trends`): robust to the correlation of composites
within a year and across years, with the false discovery rate controlled across plots
(docs/domain.md, "Degradation trends"). By default the plots' own NDVI is tested, so
degradation shared by many plots stays visible; a ``reference`` group makes it a residual
trend against the group's median series, which removes what the group shares, weather
and degradation alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from grazing_models.degradation import (
    DEFAULT_CONFIDENCE,
    DEFAULT_Q,
    MIN_YEARS,
    SeasonalKendallFit,
    composite_cube,
    growing_season,
    residual_cube,
    seasonal_trends,
)
from grazing_models.seasons import SEASON_WINDOWS, SeasonWindow

from ..errors import InvalidInput, NotFound
from ..store.base import Store
from .inputs import DEFAULT_MIN_VALID_FRACTION, read_ndvi, read_plots
from .tables import table_frame

__all__ = ["TREND_METHOD", "TREND_REFERENCES", "compute_trends", "false_flag_note", "trend_summary"]

#: What a plot's NDVI is tested as: ``none`` its own series (default); otherwise the
#: residual after its regression on the median series of its pasture type, its okrug
#: or the district.
TREND_REFERENCES: tuple[str, ...] = ("none", "pasture_type", "okrug", "district")

#: The test, as stored with every row.
TREND_METHOD = "seasonal Kendall (Hirsch-Slack covariance, Hamed-Rao AR(1)), Benjamini-Hochberg"

_GROUP_COLUMN = {"pasture_type": "pasture_type", "okrug": "okrug_id"}


def false_flag_note(n_flagged: int, q: float) -> str:
    """The expected false flags beside the count: BH keeps them at most q × N on average."""
    return (
        f"{n_flagged:,} plots flagged degrading at q = {q:g}; "
        f"expected false flags ≤ q × N (= {q * n_flagged:.1f})"
    )


def trend_summary(
    trends: pd.DataFrame, fit: SeasonalKendallFit, *, q: float, reference: str
) -> dict[str, Any]:
    """What the trend run found and how: stored as the ``trends_method`` setting."""
    degrading = int((trends["status"] == "degrading").sum())
    return {
        "test": TREND_METHOD,
        "q": q,
        "reference": reference,
        "statistic": "growing-season NDVI composites"
        if reference == "none"
        else f"residual of NDVI after its regression on the {reference} median series",
        "degrading": degrading,
        "improving": int((trends["status"] == "improving").sum()),
        "expected_false_flags_at_most": q * degrading,
        "note": false_flag_note(degrading, q),
        "years": fit.n_years,
        "periods_per_year": fit.n_periods,
        "period_correlation": round(fit.period_correlation, 4),
        "ar1_phi": round(fit.phi, 4),
        "variance_factor": round(fit.variance_factor, 4),
    }


def compute_trends(
    store: Store,
    *,
    q: float = DEFAULT_Q,
    reference: str = "none",
    min_years: int = MIN_YEARS,
    min_valid_fraction: float = DEFAULT_MIN_VALID_FRACTION,
    windows: Mapping[str, SeasonWindow] = SEASON_WINDOWS,
    ndvi: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Degradation trend of every plot; replaces the ``trends`` table.

    Parameters
    ----------
    store
        Store with plots and ``ndvi_stats``.
    q
        False discovery rate across plots, default 0.1 (docs/domain.md, "Degradation
        trends"): a plot is flagged when its Benjamini–Hochberg q-value is at most ``q``.
    reference
        ``"none"`` (default): the plot's own NDVI. ``"pasture_type"``, ``"okrug"`` or
        ``"district"``: the residual trend after regressing the plot's NDVI on that
        group's median series, which hides whatever the group shares.
    min_years
        Plots with fewer years of NDVI are ``"unknown"``; default 5 (`MIN_YEARS`).
    min_valid_fraction
        Composites observed over less of the plot are ignored (default 0.5, assumption).
    windows
        Season windows; the growing season runs from spring start to autumn end.
    ndvi
        Already read ``ndvi_stats`` rows.

    Returns
    -------
    pandas.DataFrame
        The ``trends`` rows plus ``okrug_id, union_id, pasture_type, s, z``; ``slope`` is
        the seasonal Sen slope in NDVI (or residual NDVI) per year.
    """
    if reference not in TREND_REFERENCES:
        raise InvalidInput(
            "trends", [f"unknown reference {reference!r}; use one of {', '.join(TREND_REFERENCES)}"]
        )
    if not 0 < q < 1:
        raise InvalidInput("trends", [f"q must lie between 0 and 1 (e.g. 0.1), got {q}"])
    plots = read_plots(store)
    ndvi = read_ndvi(store) if ndvi is None else ndvi
    cube = composite_cube(
        ndvi, window=growing_season(windows), min_valid_fraction=min_valid_fraction
    )
    if not cube.values.size:
        raise NotFound(
            "no NDVI composites in the growing season; compute `pasture ndvi zonal` over "
            "whole seasons (16 Apr – 5 Nov by default) first"
        )
    if reference != "none":
        column = _GROUP_COLUMN.get(reference)
        groups = None if column is None else plots.set_index("id")[column].reindex(cube.plot_ids)
        cube = residual_cube(cube, None if groups is None else groups.fillna("?").to_numpy())
    trends, fit = seasonal_trends(cube, q=q, min_years=min_years)
    trends["status"] = trends["status"].replace({"insufficient data": "unknown"})
    trends = trends.assign(
        alpha=1 - DEFAULT_CONFIDENCE, fdr_q=q, method=TREND_METHOD, reference=reference
    )
    fields = plots[["id", "okrug_id", "union_id", "pasture_type"]].rename(columns={"id": "plot_id"})
    trends = trends.merge(fields, on="plot_id", how="left")
    summary = trend_summary(trends, fit, q=q, reference=reference)
    summary.update(min_years=min_years, min_valid_fraction=min_valid_fraction)
    store.replace_rows("trends", table_frame("trends", trends))
    store.set_meta("trends_method", json.dumps(summary, sort_keys=True))
    return trends
