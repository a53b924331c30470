"""The demo district's science run: calibration, capacity, load, trends and green-up.

The load is computed twice: before the plan (without one; the planner reads its ratios as
scores) and, by `load_under_plan`, after the demo plan, so that the stored load counts
the plan's livestock on the plan's plots (issue 16).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import pandas as pd

from ..progress import StepProgress
from ..store.base import Store
from .capacity import compute_capacity
from .forage_basis import calibrate_demo_basis
from .greenup import compute_greenup
from .inputs import latest_full_year, read_ndvi
from .load import compute_load
from .trends import compute_trends

__all__ = ["ScienceSummary", "load_under_plan", "run_demo_science"]


@dataclass(frozen=True)
class ScienceSummary:
    """What `run_demo_science` computed and what it found."""

    year: int
    basis: str
    capacity_rows: int
    load_rows: int
    trend_rows: int
    greenup_rows: int
    calibration: pd.DataFrame
    degrading: tuple[str, ...]
    generated_degraded: tuple[str, ...]
    union_load: pd.DataFrame = field(repr=False)

    @property
    def detected(self) -> tuple[str, ...]:
        """Generated degraded plots that the trend test flags degrading."""
        return tuple(p for p in self.generated_degraded if p in set(self.degrading))

    @property
    def false_positives(self) -> tuple[str, ...]:
        """Plots flagged degrading that the demo did not generate with a trend."""
        generated = set(self.generated_degraded)
        return tuple(p for p in self.degrading if p not in generated)


def run_demo_science(store: Store, *, progress: StepProgress | None = None) -> ScienceSummary:
    """Run calibration, capacity, load, trends and green-up on the demo store.

    Uses the latest full year of the NDVI stack, the demo's generated yields for the
    stored forage basis and winter forage (air-dry, labelled GENERATED), the load norms of
    Order 3-3/332 (the store's ``load_norm_rows``), and compares the degrading plots with the store's
    ``demo_degraded_plots`` setting.
    """
    say = progress or (lambda _msg: None)
    say("reading NDVI statistics")
    ndvi = read_ndvi(store)
    year = latest_full_year(ndvi)
    say("calibrating biomass models on the generated yields")
    basis = calibrate_demo_basis(store, ndvi=ndvi)
    say(f"capacity {year}")
    capacity = compute_capacity(store, year=year, ndvi=ndvi)
    say(f"load {year}")
    load = compute_load(store, year=year)
    say("degradation trends")
    # The generated years share one district-wide weather draw (demo_stack), which a
    # raw trend cannot tell from degradation: the demo tests the residual against each
    # okrug's median series, and says so (trends_method).
    trends = compute_trends(store, ndvi=ndvi, reference="okrug")
    say("green-up dates")
    greenup = compute_greenup(store, ndvi=ndvi)
    generated = json.loads(store.get_meta("demo_degraded_plots") or "{}")
    return ScienceSummary(
        year=year,
        basis=basis.id,
        capacity_rows=len(capacity),
        load_rows=len(load),
        trend_rows=len(trends),
        greenup_rows=len(greenup),
        calibration=basis.calibration.report(),
        degrading=tuple(sorted(trends.loc[trends["status"] == "degrading", "plot_id"])),
        generated_degraded=tuple(sorted(generated)),
        union_load=load[load["level"] == "union"].reset_index(drop=True),
    )


def load_under_plan(
    store: Store, summary: ScienceSummary, *, progress: StepProgress | None = None
) -> ScienceSummary:
    """The year's load again, now that the season has a plan; the summary with it."""
    if progress:
        progress(f"load {summary.year} under the plan")
    load = compute_load(store, year=summary.year)
    return replace(
        summary,
        load_rows=len(load),
        union_load=load[load["level"] == "union"].reset_index(drop=True),
    )
