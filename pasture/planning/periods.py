"""The periods of a grazing season: whole weeks from the first season window to the last."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from grazing_models.rotation import Period
from grazing_models.seasons import (
    DEFAULT_PERIOD_DAYS,
    GROWING_SEASONS,
    SEASON_WINDOWS,
    SeasonWindow,
    season_calendar,
)

from ..errors import InvalidInput

__all__ = ["grazing_weeks", "plan_periods"]


def grazing_weeks(
    season_year: int,
    *,
    windows: Mapping[str, SeasonWindow] | None = None,
    seasons: Sequence[str] = GROWING_SEASONS,
    period_days: int = DEFAULT_PERIOD_DAYS,
) -> tuple[Period, ...]:
    """Whole periods from the start of the first season window to the end of the last.

    Parameters
    ----------
    season_year
        Year of the grazing season.
    windows
        Season windows; default ``grazing_models.seasons.SEASON_WINDOWS``
        (docs/domain.md, Seasons).
    seasons
        Seasons covered.
    period_days
        Length of a period (7: weeks).

    Returns
    -------
    tuple of Period
        Each labelled with the season whose window holds the period's middle day;
        where windows overlap, the season that began last, the others in
        ``Period.also`` (their plots may be grazed then too). A last partial period
        is dropped.

    Raises
    ------
    InvalidInput
        When the windows leave a gap between the first and the last season.
    """
    wins = dict(windows or SEASON_WINDOWS)
    # one calendar for the planner and the capacity table's season days
    calendar, gaps = season_calendar(season_year, wins, tuple(seasons), period_days)
    out = [Period(start=p.start.date(), season=p.season, also=p.also) for p in calendar]
    if gaps:
        raise InvalidInput("season windows", gaps)
    return tuple(out)


def plan_periods(plan: Mapping[str, Any], assignments: pd.DataFrame) -> pd.DataFrame:
    """``period``, ``start``, ``end`` and ``season`` of each period of a stored plan.

    The season of a period is the one the planner gave it (:func:`grazing_weeks`
    with the windows, seasons and period length stored in the plan's ``params``),
    so maps can tell a plot out of its season from one resting.

    Parameters
    ----------
    plan
        The plan's ``plans`` row (``season_year``, ``params``).
    assignments
        The plan's assignments (``period``, ``start``, ``end``).
    """
    from grazing_models.rotation import RotationParams

    from .params import PlanningParams

    params = plan.get("params") or {}
    planning = params.get("planning") or {}
    rotation = params.get("rotation") or {}
    windows = {
        name: SeasonWindow(name, tuple(start), tuple(end))
        for name, (start, end) in (planning.get("windows") or {}).items()
    }
    weeks = grazing_weeks(
        int(plan["season_year"]),
        windows=windows or None,
        seasons=tuple(planning.get("seasons") or PlanningParams().seasons),
        period_days=int(rotation.get("period_days") or RotationParams().period_days),
    )
    season_of = {pd.Timestamp(p.start): p.season for p in weeks}
    table = assignments[["period", "start", "end"]].drop_duplicates("period")
    table = table.sort_values("period").reset_index(drop=True)
    table["season"] = [season_of.get(pd.Timestamp(s)) for s in table["start"]]
    return table
