"""The demo district's plan: its latest full season with the default parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd

from grazing_models.rotation import SolverName

from ..errors import NotFound
from ..progress import StepProgress
from ..science import ScienceSummary, load_under_plan, run_demo_science
from ..store.base import Store
from .params import PlanningParams
from .service import create_plan

__all__ = ["DEMO_USER", "latest_full_season", "run_demo_plan", "run_demo_season"]

#: Name recorded as the creator of the demo plan.
DEMO_USER = "demo"


def latest_full_season(store: Store, *, planning: PlanningParams | None = None) -> int:
    """The latest year whose NDVI covers the whole grazing season (spring to autumn).

    Raises
    ------
    NotFound
        When no year's NDVI covers a whole season.
    """
    planning = planning or PlanningParams()
    scenes = store.read_rows("scenes")
    times = (
        pd.to_datetime(scenes["date"])
        if len(scenes)
        else pd.to_datetime(store.read_rows("ndvi_stats")["time"])
    )
    if times.empty:
        raise NotFound("the store has no NDVI: compute it first (`pasture ndvi zonal`)")
    windows = planning.season_windows()
    for year in sorted({int(y) for y in times.dt.year}, reverse=True):
        first = min(windows[s].bounds(year)[0] for s in planning.seasons)
        last = max(windows[s].bounds(year)[1] for s in planning.seasons)
        gap = pd.Timedelta(days=planning.max_ndvi_gap_days)
        if (times <= first + gap).any() and (times >= last - gap).any():
            inside = np.sort(times[(times >= first - gap) & (times <= last + gap)].unique())
            if inside.size and (np.diff(inside).max(initial=0) <= 2 * gap.to_timedelta64()):
                return year
    raise NotFound("no year's NDVI covers a whole grazing season (spring to autumn)")


def run_demo_plan(
    store: Store,
    *,
    progress: StepProgress | None = None,
    solver: SolverName = "heuristic",
    time_limit: float = 60.0,
    lower_bound: bool = True,
    solve_limit: float | None = 20.0,
) -> str:
    """Plan the demo district's latest full season with the default parameters.

    Parameters
    ----------
    store
        The demo store, with its NDVI (``pasture demo``).
    progress
        Called with a short message at each step.
    solver, time_limit, solve_limit
        Solver, the time limit of the whole call (reading, planning, storing) and the
        planner's seconds within it (:func:`create_plan`); the heuristic by default (the
        demo has far more herd x plot x week pairs than the MILP solves in time).
    lower_bound
        Whether the heuristic proves a lower bound, alongside its passes: on the demo
        the plan is found in ~18 s and the bound goes on to the 20 s limit, for a gap of
        ~35% (60 s: ~23%; benchmarks/planner.py).

    Returns
    -------
    str
        The id of the new draft plan.
    """
    year = latest_full_season(store)
    if progress:
        progress(f"planning the {year} grazing season")
    return create_plan(
        store,
        season_year=year,
        user=DEMO_USER,
        solver=solver,
        time_limit=time_limit,
        solve_limit=solve_limit,
        lower_bound=lower_bound,
        progress=progress,
    )


def run_demo_season(
    store: Store,
    *,
    progress: StepProgress | None = None,
    time_limit: float = 60.0,
    solve_limit: float | None = 20.0,
) -> tuple[ScienceSummary, str]:
    """The demo's science, its plan, then its load again under the plan (`pasture demo`).

    The first load has no plan to count (the planner reads its ratios as plot scores);
    the stored load is the one computed after the plan, so it counts the plan's herds on
    the plan's plots.
    """
    science = run_demo_science(store, progress=progress)
    plan_id = run_demo_plan(
        store, progress=progress, time_limit=time_limit, solve_limit=solve_limit
    )
    return load_under_plan(store, science, progress=progress), plan_id
