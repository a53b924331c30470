"""Grazing rotation plans from the store: inputs, solving, storing, approving, exporting.

This package connects the pure planner (:mod:`grazing_models.rotation`) to the
store. Its modules, in the order a plan is made:

* `params`: :class:`PlanningParams` (how the store's data become planner
  inputs; stored with every plan), its defaults and :class:`PlanRejected`;
* `periods`: :func:`grazing_weeks`, the season's weeks;
* `inputs`: :func:`rotation_inputs`, the season's forage, plots and herds read
  from the store;
* `budget`: one time limit for the whole of :func:`create_plan` (read, plan, check,
  store) and :class:`TimeLimitTooShort`;
* `service`: :func:`create_plan` (solve, check, store as a draft),
  :func:`approve_plan`, :func:`list_plans`, :func:`plan_frames`;
* `results`: a solved plan as rows, its summary, and the plan id format;
* `export`: :func:`export_plan` (CSV, XLSX, GeoJSON);
* `demo`: the demo district's plan (:func:`run_demo_plan`).
"""

from .budget import TimeLimitTooShort
from .demo import DEMO_USER, latest_full_season, run_demo_plan, run_demo_season
from .export import EXPORT_FORMATS, ExportFormat, export_plan
from .inputs import rotation_inputs
from .params import (
    DEFAULT_MIGRATION_KM,
    MAX_MILP_PAIRS,
    PlanningParams,
    PlanRejected,
)
from .periods import grazing_weeks
from .results import new_plan_id
from .service import (
    PLAN_STATES,
    PlanFrames,
    approve_plan,
    create_plan,
    list_plans,
    plan_frames,
    plan_row,
    plan_version,
    withdraw_plan,
)

__all__ = [
    "DEFAULT_MIGRATION_KM",
    "DEMO_USER",
    "EXPORT_FORMATS",
    "MAX_MILP_PAIRS",
    "PLAN_STATES",
    "ExportFormat",
    "PlanFrames",
    "PlanRejected",
    "PlanningParams",
    "TimeLimitTooShort",
    "approve_plan",
    "create_plan",
    "export_plan",
    "grazing_weeks",
    "latest_full_season",
    "list_plans",
    "new_plan_id",
    "plan_frames",
    "plan_row",
    "plan_version",
    "rotation_inputs",
    "run_demo_plan",
    "run_demo_season",
    "withdraw_plan",
]
