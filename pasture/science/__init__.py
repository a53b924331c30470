"""Grazing science on a store: biomass calibration, capacity, load, trends and green-up.

Small functions that read layers and NDVI statistics from a `pasture.store.Store`,
call the pure models of `grazing_models` and write the result tables of
`pasture.model` (``capacity``, ``load``, ``trends``, ``greenup``), each as one
transactional replacement of its slice. Every number here is a documented,
keyword-only default taken from docs/domain.md (2024) or marked as an *assumption*.

Modules: `inputs` (plots and NDVI of the store), `calibration` (NDVI→biomass
models), `forage_basis` (the district's one stored calibration), `capacity`, `load` (livestock against forage and norms; which livestock
figures count at which level is told there), `trends`, `greenup` and `demo` (the
demo district's run of them all).
"""

from .calibration import (
    DEMO_CALIBRATION_NOTE,
    DEMO_YIELD_BASIS,
    MIN_CALIBRATION_SAMPLES,
    BiomassCalibration,
    calibrate_biomass_models,
    calibration_samples,
)
from .capacity import compute_capacity, season_forage
from .demo import ScienceSummary, load_under_plan, run_demo_science
from .forage_basis import (
    FORAGE_BASIS_SETTING,
    ForageBasis,
    calibrate_demo_basis,
    calibrate_forage_basis,
    read_forage_basis,
    save_forage_basis,
)
from .greenup import compute_greenup
from .inputs import DEFAULT_MIN_VALID_FRACTION, latest_full_year, read_ndvi, read_plots
from .load import PUBLIC_GROUP, compute_load
from .trends import (
    TREND_METHOD,
    TREND_REFERENCES,
    compute_trends,
    false_flag_note,
    trend_summary,
)

__all__ = [
    "DEFAULT_MIN_VALID_FRACTION",
    "DEMO_CALIBRATION_NOTE",
    "DEMO_YIELD_BASIS",
    "FORAGE_BASIS_SETTING",
    "MIN_CALIBRATION_SAMPLES",
    "PUBLIC_GROUP",
    "TREND_METHOD",
    "TREND_REFERENCES",
    "BiomassCalibration",
    "ForageBasis",
    "ScienceSummary",
    "calibrate_biomass_models",
    "calibrate_demo_basis",
    "calibrate_forage_basis",
    "calibration_samples",
    "compute_capacity",
    "compute_greenup",
    "compute_load",
    "compute_trends",
    "false_flag_note",
    "latest_full_year",
    "load_under_plan",
    "read_forage_basis",
    "read_ndvi",
    "read_plots",
    "run_demo_science",
    "save_forage_basis",
    "season_forage",
    "trend_summary",
]
