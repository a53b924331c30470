"""Per-period NDVI composites: the periods, and the per-pixel maximum-value composite.

Periods of N days (16 by default, like MOD13Q1) start on 1 January of each year and run
back to back; the last period of a year ends on 31 December and is shorter (docs/domain.md,
"NDVI from STAC catalogues"). Within a period each pixel keeps its largest valid NDVI
(maximum-value composite, Holben 1986): clouds, haze and shadows lower NDVI, so the
maximum picks the clearest view left after masking.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import xarray as xr

__all__ = ["DEFAULT_PERIOD_DAYS", "Period", "max_value_composite", "period_of", "periods_between"]

#: Length of a composite period in days: MOD13Q1's 16 days (docs/domain.md).
DEFAULT_PERIOD_DAYS = 16


@dataclass(frozen=True, order=True)
class Period:
    """A composite period, both days inclusive."""

    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}_{self.end.isoformat()}"


def period_of(day: dt.date, days: int = DEFAULT_PERIOD_DAYS) -> Period:
    """The period holding ``day``: day-of-year 1, 1+N, 1+2N, ... each year.

    Raises
    ------
    ValueError
        ``days`` is not between 1 and 366.
    """
    if not 1 <= days <= 366:
        raise ValueError(f"a composite period is 1 to 366 days, not {days}")
    jan1 = dt.date(day.year, 1, 1)
    index = (day - jan1).days // days
    start = jan1 + dt.timedelta(days=index * days)
    end = min(start + dt.timedelta(days=days - 1), dt.date(day.year, 12, 31))
    return Period(start, end)


def periods_between(first: dt.date, last: dt.date, days: int = DEFAULT_PERIOD_DAYS) -> list[Period]:
    """Every whole period that overlaps ``first``..``last`` (periods are never cut)."""
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    periods = [period_of(first, days)]
    while periods[-1].end < last:
        periods.append(period_of(periods[-1].end + dt.timedelta(days=1), days))
    return periods


def max_value_composite(ndvi: xr.DataArray) -> xr.DataArray:
    """Per-pixel maximum of valid NDVI over ``time``; NaN where no date is valid.

    NaN is filled with −inf before the maximum, so all-NaN pixels need no warning-prone
    ``nanmax``; −inf left after it means no valid value and becomes NaN.
    """
    best = ndvi.fillna(-np.inf).max("time")
    return best.where(np.isfinite(best)).astype("float32")
