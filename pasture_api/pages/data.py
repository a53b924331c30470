"""What the pages read from the store: the plan shown, its assignments, unions and herds."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd

from pasture.attribution import data_attribution
from pasture.errors import NotFound
from pasture.store import Store

from ..auth import Principal
from ..scope import require_union

__all__ = [
    "chosen_plan",
    "data_attribution",
    "day",
    "herd_names",
    "merge_calendar",
    "scoped_assignments",
    "union_row",
]


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def day(value: Any) -> date | None:
    """A stored date or timestamp as a date; None when missing."""
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def merge_calendar(assignments: pd.DataFrame) -> pd.DataFrame:
    """Consecutive weeks of one herd on the same plot as one row: herd, plot, start, end, weeks.

    Rows without a plot (a herd the plan could not place) are merged the same
    way and keep an empty ``plot_id``. The runs are :func:`pasture.maps.gantt.calendar_runs`,
    the same the Gantt chart draws.
    """
    from pasture.maps.gantt import calendar_runs

    cols = ["herd_id", "union_id", "plot_id", "start", "end", "weeks", "sheep_units"]
    runs = calendar_runs(assignments)
    if runs.empty:
        return pd.DataFrame(columns=cols)
    return runs.sort_values(["start", "herd_id"]).reset_index(drop=True)[cols]


def chosen_plan(store: Store, plan_id: str | None) -> dict[str, Any] | None:
    """The plan asked for, else the latest approved one, else the latest draft."""
    plans = store.read_rows("plans")
    if plan_id is not None:
        row = plans[plans["id"] == plan_id]
        if row.empty:
            raise NotFound(f"no plan {plan_id!r}; list them at /plans")
        return dict(row.iloc[0])
    usable = plans[plans["state"].isin(["approved", "draft"])]
    if usable.empty:
        return None
    usable = usable.assign(_approved=usable["state"] == "approved").sort_values(
        ["_approved", "season_year", "created_at"]
    )
    return dict(usable.iloc[-1])


def scoped_assignments(store: Store, plan_id: str, union_id: str | None) -> pd.DataFrame:
    """A plan's assignments, of one union when ``union_id`` is given."""
    from pasture.planning import plan_frames  # the solver stack: imported when a plan is shown

    a = plan_frames(store, plan_id).assignments
    if union_id is not None:
        a = a[a["union_id"] == union_id]
    return a.reset_index(drop=True)


def union_row(store: Store, user: Principal, union_id: str) -> dict[str, Any]:
    """The union, if the caller may see it; the same 404 as a missing one otherwise."""
    require_union(user, union_id)
    rows = store.read("unions", where={"id": union_id})
    if rows.empty:
        raise NotFound(f"no union {union_id!r}")
    return dict(rows.drop(columns="geometry").iloc[0])


def herd_names(store: Store, union_id: str | None) -> dict[str, str]:
    """Herd id to name (the id when unnamed), of one union or all."""
    herds = store.read("herds", where={"union_id": union_id} if union_id else None)
    return {str(i): str(n or i) for i, n in zip(herds["id"], herds["name"], strict=True)}
