"""Reading what the district's science works on: the plots layer and per-plot NDVI."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from grazing_models.degradation import growing_season
from grazing_models.seasons import SEASON_WINDOWS, SeasonWindow

from ..errors import NotFound
from ..store.base import Store

__all__ = ["DEFAULT_MIN_VALID_FRACTION", "latest_full_year", "read_ndvi", "read_plots"]

#: Composites whose ``valid_fraction`` is below this are ignored. docs/domain.md ("Satellite
#: NDVI", 2024) asks for the valid fraction with every value but gives no threshold:
#: half the plot observed is an *assumption* of this module.
DEFAULT_MIN_VALID_FRACTION: float = 0.5


def read_plots(store: Store) -> pd.DataFrame:
    """The plots layer; NotFound when the store has none."""
    plots = store.read("plots")
    if plots.empty:
        raise NotFound("no plots in the store; import them with `pasture import plots FILE`")
    return plots


def read_ndvi(store: Store) -> pd.DataFrame:
    """Per-plot NDVI statistics (``ndvi_stats``); NotFound when there are none."""
    ndvi = store.read_rows("ndvi_stats")
    if ndvi.empty:
        raise NotFound("no NDVI statistics in the store; run `pasture ndvi zonal` first")
    return ndvi


def latest_full_year(
    ndvi: pd.DataFrame, *, windows: Mapping[str, SeasonWindow] = SEASON_WINDOWS
) -> int:
    """The latest calendar year whose whole growing season the NDVI stack covers.

    A year counts when the stack holds composites both before the start of its
    spring window and after the end of its autumn window (16 Apr – 5 Nov by
    default, docs/domain.md "Seasons", 2024).
    """
    times = pd.DatetimeIndex(pd.to_datetime(ndvi["time"]).unique())
    if times.empty:
        raise NotFound("no NDVI statistics in the store; run `pasture ndvi zonal` first")
    season = growing_season(windows)
    for year in sorted(set(times.year), reverse=True):
        first, last = season.bounds(int(year))
        before = (times >= pd.Timestamp(year, 1, 1)) & (times < first)
        after = (times > last) & (times <= pd.Timestamp(year, 12, 31))
        if before.any() and after.any():
            return int(year)
    raise NotFound(
        "the NDVI statistics cover no full growing season "
        f"({season.start[1]:02d}.{season.start[0]:02d}–{season.end[1]:02d}.{season.end[0]:02d}); "
        "add scenes with `pasture ndvi add` and run `pasture ndvi zonal`"
    )
