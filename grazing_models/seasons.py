"""Season windows and green-up dates from NDVI time series.

Season windows (docs/domain.md, "Seasons (south-east Kazakhstan)", 2024):

======  ===========================  ================================
season  docs/domain.md                    default window here
======  ===========================  ================================
winter  November – mid-April          6 Nov – 15 Apr (crosses the year)
spring  mid-April – May               16 Apr – 31 May
summer  late May/June – September     1 Jun – 30 Sep
autumn  September – Oct/early Nov     1 Sep – 5 Nov
======  ===========================  ================================

The exact day boundaries ("mid", "early") are *assumptions* read off that
table: winter starts the day after autumn ends. Summer and autumn both contain
September because they are different pastures (mountain meadows versus
foothills on the way down). Windows shift with elevation and year; pass your
own `SeasonWindow` mapping, or plan from green-up dates (`greenup_dates`).

A season's length in days is one number for the planner and the capacity table alike
(`season_days`): the days of the whole periods (weeks) of the grazing year's calendar
(`season_calendar`) in which the season's pasture is open. Spring has 7 weeks, 49 days,
not the window's 46: the week of 28 May – 3 June has its middle in spring.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from grazing_models.vocabulary import SEASONS

__all__ = [
    "DEFAULT_GREENUP_FRACTION",
    "DEFAULT_PERIOD_DAYS",
    "GROWING_SEASONS",
    "SEASON_WINDOWS",
    "CalendarPeriod",
    "SeasonWindow",
    "greenup_dates",
    "season_calendar",
    "season_days",
]

#: Green-up: NDVI passes this fraction of its seasonal amplitude above the base
#: (docs/domain.md, "Satellite NDVI", grazing readiness ~25 %, 2024).
DEFAULT_GREENUP_FRACTION: float = 0.25

#: The seasons of a grazing year's plan: spring to autumn. Winter pasture is grazed on
#: dormant standing crop that NDVI does not measure; it is not planned in weeks.
GROWING_SEASONS: tuple[str, ...] = ("spring", "summer", "autumn")

#: Days of a planning period: plans are in weeks (docs/domain.md, Rotation rules).
DEFAULT_PERIOD_DAYS: int = 7


@dataclass(frozen=True)
class SeasonWindow:
    """A yearly grazing window from ``start`` to ``end`` inclusive, as (month, day).

    A window whose end comes before its start in the calendar (winter) runs
    into the next year: the window "of year Y" starts in Y and ends in Y + 1.
    """

    season: str
    start: tuple[int, int]
    end: tuple[int, int]

    def __post_init__(self) -> None:
        if self.season not in SEASONS:
            raise ValueError(f"unknown season {self.season!r}; use one of {', '.join(SEASONS)}")
        for name, (month, day) in (("start", self.start), ("end", self.end)):
            try:
                pd.Timestamp(2001, month, day)  # a non-leap year: 29 Feb is refused
            except ValueError:
                raise ValueError(
                    f"{self.season}: invalid {name} (month, day) {(month, day)}"
                ) from None

    @property
    def crosses_year(self) -> bool:
        """True when the window runs into the next calendar year."""
        return self.end < self.start

    def bounds(self, year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last day of the window of ``year``."""
        first = pd.Timestamp(year, *self.start)
        last = pd.Timestamp(year + 1 if self.crosses_year else year, *self.end)
        return first, last

    def days(self, year: int | None = None) -> int:
        """Length in days (inclusive); ``year`` None uses a non-leap year."""
        first, last = self.bounds(2001 if year is None else year)
        return int((last - first).days) + 1

    def contains(self, dates: pd.Series | pd.DatetimeIndex | np.ndarray) -> np.ndarray:
        """Boolean array: which dates fall in the window (of any year)."""
        index = pd.DatetimeIndex(dates)
        md = index.month.to_numpy() * 100 + index.day.to_numpy()
        start = self.start[0] * 100 + self.start[1]
        end = self.end[0] * 100 + self.end[1]
        if self.crosses_year:
            return np.asarray((md >= start) | (md <= end))
        return np.asarray((md >= start) & (md <= end))

    def window_year(self, dates: pd.Series | pd.DatetimeIndex | np.ndarray) -> np.ndarray:
        """The year whose window each date belongs to (winter: Jan–Apr belong to Y − 1)."""
        index = pd.DatetimeIndex(dates)
        years = index.year.to_numpy().astype(int)
        if self.crosses_year:
            md = index.month.to_numpy() * 100 + index.day.to_numpy()
            years = np.where(md <= self.end[0] * 100 + self.end[1], years - 1, years)
        return years


#: Default windows for south-east Kazakhstan (docs/domain.md, Seasons, 2024); day bounds assumed.
SEASON_WINDOWS: Mapping[str, SeasonWindow] = MappingProxyType(
    {
        "winter": SeasonWindow("winter", (11, 6), (4, 15)),
        "spring": SeasonWindow("spring", (4, 16), (5, 31)),
        "summer": SeasonWindow("summer", (6, 1), (9, 30)),
        "autumn": SeasonWindow("autumn", (9, 1), (11, 5)),
    }
)


@dataclass(frozen=True)
class CalendarPeriod:
    """One period of a season calendar: first day, season label, other open seasons."""

    start: pd.Timestamp
    season: str
    also: frozenset[str]

    @property
    def seasons(self) -> frozenset[str]:
        """Every season whose pasture is open in the period."""
        return self.also | {self.season}


def season_calendar(
    year: int,
    windows: Mapping[str, SeasonWindow] = SEASON_WINDOWS,
    seasons: tuple[str, ...] | list[str] = GROWING_SEASONS,
    period_days: int = DEFAULT_PERIOD_DAYS,
) -> tuple[list[CalendarPeriod], list[str]]:
    """Whole periods from the first season window's start to the last one's end.

    Each period takes the season whose window holds its middle day; where windows
    overlap, the season that began last, the others in ``also`` (their pasture is open
    too: summer pasture in September). A last partial period is dropped. Returns the
    periods and, for each period no window holds, a message (the periods skip it).
    """
    bounds = {s: windows[s].bounds(year) for s in seasons}
    first = min(b[0] for b in bounds.values())
    last = max(b[1] for b in bounds.values())
    out: list[CalendarPeriod] = []
    gaps: list[str] = []
    for k in range(((last - first).days + 1) // period_days):
        start = first + pd.Timedelta(days=k * period_days)
        mid = start + pd.Timedelta(days=period_days // 2)
        inside = [s for s in seasons if bounds[s][0] <= mid <= bounds[s][1]]
        if not inside:
            gaps.append(f"no season window holds {mid.date().isoformat()}")
            continue
        label = max(inside, key=lambda s: bounds[s][0])
        out.append(CalendarPeriod(start, label, frozenset(inside) - {label}))
    return out, gaps


def season_days(
    windows: Mapping[str, SeasonWindow] = SEASON_WINDOWS,
    *,
    year: int | None = None,
    seasons: tuple[str, ...] | list[str] = GROWING_SEASONS,
    period_days: int = DEFAULT_PERIOD_DAYS,
) -> dict[str, int]:
    """Days of each season: its open periods in the calendar of ``seasons``.

    The seasons of ``seasons`` share one calendar (the planner's grazing year); any other
    season of ``windows`` (winter) has a calendar of its own. ``year`` None: a non-leap
    year. Raises ValueError for a season whose window holds no whole period.
    """
    year = 2001 if year is None else year
    joint = [s for s in seasons if s in windows]
    periods = season_calendar(year, windows, joint, period_days)[0] if joint else []
    out: dict[str, int] = {}
    for name in windows:
        own = periods if name in joint else season_calendar(year, windows, [name], period_days)[0]
        out[name] = period_days * sum(1 for p in own if name in p.seasons)
        if out[name] == 0:
            raise ValueError(f"the {name} window holds no whole {period_days}-day period")
    return out


def greenup_dates(
    ndvi: pd.DataFrame,
    *,
    fraction: float = DEFAULT_GREENUP_FRACTION,
    value: str = "mean",
    min_valid_fraction: float = 0.0,
    min_observations: int = 4,
    min_amplitude: float = 0.05,
) -> pd.DataFrame:
    """Green-up date per plot and calendar year from an NDVI time series.

    The base is the lowest valid NDVI of the year before the year's peak; green-up
    is the first date after the base at which NDVI rises past
    ``base + fraction × (peak − base)``, interpolated linearly in time between the
    two valid composites around the crossing (docs/domain.md, "Satellite NDVI": a season
    starts when NDVI rises past ~25 % of its seasonal amplitude, 2024). Missing
    values (cloud gaps) are skipped, never interpolated into the base or peak.

    Parameters
    ----------
    ndvi
        Long frame ``plot_id, time, mean, ...`` as made by the zonal engine; may
        have a ``valid_fraction`` column.
    fraction
        Fraction of the seasonal amplitude that marks green-up (default 0.25).
    value
        Column with the NDVI value.
    min_valid_fraction
        Values whose ``valid_fraction`` is below this are treated as missing.
    min_observations
        Fewer valid composites in a year than this give no date (NaT).
    min_amplitude
        A year whose peak − base is below this NDVI amplitude gives no date
        (no seasonal signal, e.g. bare rock or water). An *assumption*.

    Returns
    -------
    pandas.DataFrame
        ``plot_id, year, greenup_date, base, peak, n_valid``; ``greenup_date`` is
        NaT where no green-up could be found.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie in (0, 1), got {fraction}")
    frame = _valid_values(ndvi, value=value, min_valid_fraction=min_valid_fraction)
    frame = frame.assign(year=frame["time"].dt.year)
    parts = []
    for year, part in frame.groupby("year", sort=True):
        parts.append(
            _greenup_one_year(
                part,
                int(str(year)),
                fraction=fraction,
                min_observations=min_observations,
                min_amplitude=min_amplitude,
            )
        )
    columns = ["plot_id", "year", "greenup_date", "base", "peak", "n_valid"]
    if not parts:
        return pd.DataFrame(
            {
                "plot_id": pd.Series(dtype=object),
                "year": pd.Series(dtype=int),
                "greenup_date": pd.Series(dtype="datetime64[ns]"),
                "base": pd.Series(dtype=float),
                "peak": pd.Series(dtype=float),
                "n_valid": pd.Series(dtype=int),
            }
        )
    return pd.concat(parts, ignore_index=True)[columns]


def _valid_values(ndvi: pd.DataFrame, *, value: str, min_valid_fraction: float) -> pd.DataFrame:
    missing = [c for c in ("plot_id", "time", value) if c not in ndvi]
    if missing:
        raise ValueError(f"NDVI frame lacks column(s) {missing}; expected plot_id, time, {value}")
    values = pd.to_numeric(ndvi[value], errors="coerce").astype(float)
    if "valid_fraction" in ndvi and min_valid_fraction > 0:
        values = values.where(ndvi["valid_fraction"].astype(float) >= min_valid_fraction)
    return pd.DataFrame(
        {
            "plot_id": ndvi["plot_id"].to_numpy(),
            "time": pd.to_datetime(ndvi["time"]).to_numpy(),
            "v": values.to_numpy(),
        }
    )


def _greenup_one_year(
    part: pd.DataFrame, year: int, *, fraction: float, min_observations: int, min_amplitude: float
) -> pd.DataFrame:
    # plots × dates; a missing composite is NaN like a cloud gap
    wide = part.pivot_table(
        index="plot_id", columns="time", values="v", aggfunc="mean", dropna=False
    )
    wide = wide.reindex(columns=sorted(wide.columns))
    v = wide.to_numpy(dtype=float)
    t = (
        pd.DatetimeIndex(wide.columns) - pd.Timestamp(year, 1, 1)
    ).total_seconds().to_numpy() / 86400.0
    n_plots, n_dates = v.shape
    valid = np.isfinite(v)
    n_valid = valid.sum(axis=1)
    cols = np.arange(n_dates)

    with np.errstate(invalid="ignore"):
        peak_idx = np.argmax(np.where(valid, v, -np.inf), axis=1)
        before_peak = valid & (cols[None, :] <= peak_idx[:, None])
        base_idx = np.argmin(np.where(before_peak, v, np.inf), axis=1)
    rows = np.arange(n_plots)
    peak = np.where(n_valid > 0, v[rows, peak_idx], np.nan)
    base = np.where(n_valid > 0, v[rows, base_idx], np.nan)
    threshold = base + fraction * (peak - base)

    # previous valid value and its column for each column (forward fill of valid indices)
    idx = np.where(valid, cols[None, :], -1)
    last_valid = np.maximum.accumulate(idx, axis=1)
    prev_idx = np.concatenate([np.full((n_plots, 1), -1), last_valid[:, :-1]], axis=1)
    prev_val = np.where(prev_idx >= 0, v[rows[:, None], np.maximum(prev_idx, 0)], np.nan)

    with np.errstate(invalid="ignore"):
        crossing = (
            valid
            & (prev_idx >= 0)
            & (cols[None, :] > base_idx[:, None])
            & (cols[None, :] <= peak_idx[:, None])
            & (v >= threshold[:, None])
            & (prev_val < threshold[:, None])
        )
    found = crossing.any(axis=1)
    j = np.argmax(crossing, axis=1)
    i = np.maximum(prev_idx[rows, j], 0)
    v0, v1 = v[rows, i], v[rows, j]
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(v1 > v0, (threshold - v0) / (v1 - v0), 1.0)
    day = t[i] + w * (t[j] - t[i])
    ok = found & (n_valid >= min_observations) & ((peak - base) >= min_amplitude)
    dates = pd.Timestamp(year, 1, 1) + pd.to_timedelta(np.where(ok, day, np.nan), unit="D")
    return pd.DataFrame(
        {
            "plot_id": wide.index.to_numpy(),
            "year": year,
            "greenup_date": pd.DatetimeIndex(dates).as_unit("ns"),
            "base": base,
            "peak": peak,
            "n_valid": n_valid,
        }
    )
