"""The demo district's management plans: a five-year draft for each okrug."""

from __future__ import annotations

from datetime import date

from ..progress import StepProgress
from ..store.base import Store
from .service import DEFAULT_TERM_YEARS, create_plan

__all__ = ["DEMO_USER", "run_demo_management"]

#: Name recorded as the creator of the demo plans.
DEMO_USER = "demo"


def run_demo_management(
    store: Store, *, first_year: int | None = None, progress: StepProgress | None = None
) -> list[str]:
    """Draft the five-year plan of every okrug of the demo store, from this year by default.

    Returns
    -------
    list of str
        The ids of the draft plans, in okrug order.
    """
    year = first_year or date.today().year
    ids = []
    for okrug in store.read("okrugs")["id"]:
        if progress:
            progress(f"management plan of {okrug}")
        plan = create_plan(store, okrug, year, user=DEMO_USER, years=DEFAULT_TERM_YEARS)
        ids.append(plan["id"])
    return ids
