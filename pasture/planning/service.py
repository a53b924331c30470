"""Making, approving and reading plans in the store.

A plan is made in four steps, each a plain function call, the same in a
notebook, a test, the ``pasture plan`` command and the API:

1. :func:`~pasture.planning.inputs.rotation_inputs` builds the planner's inputs
   for one grazing year from the store.
2. :func:`create_plan` runs :func:`~grazing_models.rotation.plan_rotation`,
   checks the result with :func:`~grazing_models.rotation.validate_plan` and
   stores it (``plans``, ``assignments``, ``deficits``) as a draft, with every
   parameter (:class:`PlanningParams`, :class:`~grazing_models.rotation.RotationParams`,
   the solver options and the species table) in the plan's ``params``.
3. :func:`approve_plan` records who approved a draft and when.
4. :func:`plan_frames`, :func:`list_plans` and
   :func:`~pasture.planning.export.export_plan` read plans back and write them
   as CSV, XLSX or GeoJSON.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import pandas as pd
from pydantic import BaseModel, ValidationError

from grazing_models.rotation import (
    Plan,
    RotationInputs,
    RotationParams,
    SolverName,
    candidate_pairs,
    plan_rotation,
    validate_plan,
)
from grazing_models.rotation.deadline import Clock, Deadline

from ..errors import AlreadyExists, InvalidInput, NotFound, PlanStateConflict, VersionConflict
from ..model import table as table_named
from ..progress import Step, StepProgress
from ..store.base import Store
from .budget import Budget
from .inputs import BuiltInputs, build_inputs
from .params import DEFAULT_MIGRATION_KM, MAX_MILP_PAIRS, PlanningParams, PlanRejected
from .results import (
    deficit_bands,
    finite,
    jsonable,
    new_plan_id,
    plan_herd_rows,
    plan_rows,
    plan_summary,
    py_value,
)

__all__ = [
    "PLAN_STATES",
    "PlanFrames",
    "approve_plan",
    "create_plan",
    "default_params",
    "list_plans",
    "plan_frames",
    "plan_row",
    "plan_version",
    "withdraw_plan",
]

log = logging.getLogger("pasture.planning")
_M = TypeVar("_M", bound=BaseModel)
#: Life cycle of a plan (``plans.state``).
PLAN_STATES: tuple[str, ...] = ("solving", "draft", "approved", "failed")


@dataclass(frozen=True)
class PlanFrames:
    """A stored plan: its ``plans`` row and its ``assignments`` and ``deficits`` rows."""

    plan: dict[str, Any]
    assignments: pd.DataFrame
    deficits: pd.DataFrame


def _validated(kind: type[_M], value: _M | Mapping[str, Any] | None, name: str) -> _M:
    """A parameter object from itself, a mapping of its fields, or its defaults."""
    if value is None:
        return kind()
    if isinstance(value, kind):
        return value
    try:
        return kind.model_validate(dict(value))
    except ValidationError as exc:
        raise InvalidInput(
            name,
            [
                f"{'.'.join(str(p) for p in e['loc']) or name}: {e['msg']}"
                for e in exc.errors(include_url=False)
            ],
        ) from None


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def create_plan(
    store: Store,
    *,
    season_year: int,
    user: str,
    solver: SolverName = "auto",
    params: RotationParams | Mapping[str, Any] | None = None,
    planning: PlanningParams | Mapping[str, Any] | None = None,
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-4,
    seed: int = 0,
    lower_bound: bool = True,
    max_milp_pairs: int = MAX_MILP_PAIRS,
    plan_id: str | None = None,
    progress: StepProgress | None = None,
    solve_limit: float | None = None,
    clock: Clock = time.perf_counter,
) -> str:
    """Plan a grazing season, check the plan and store it as a draft.

    Parameters
    ----------
    store
        An open store (see :func:`rotation_inputs` for what it must hold).
    season_year
        Year of the grazing season.
    user
        Recorded as the plan's creator.
    solver
        ``"milp"``, ``"heuristic"`` or ``"auto"`` (the MILP up to
        ``grazing_models.rotation.AUTO_MILP_MAX_PAIRS`` herd x plot x period
        pairs, the heuristic above).
    params
        Planner parameters (utilisation, rest, distances, weights); defaults
        from docs/domain.md, see :class:`~grazing_models.rotation.RotationParams`.
        A mapping of its fields is validated into one (e.g. a request body).
    planning
        How data become inputs, see :class:`PlanningParams` (or a mapping of
        its fields).
    time_limit
        Seconds for this whole call, a contract: reading the inputs, planning, checking
        and storing the plan. One deadline starts when the call does; the read draws on
        it first, checking and storing get what they need set aside
        (:func:`~pasture.planning.budget.finish_reserve`, which grows with the number of
        herd-weeks), and the planner (the MILP, or the heuristic with its bound) gets the
        rest. The plan's summary records the shares (``time``).
    mip_rel_gap
        Relative gap at which the MILP stops.
    seed
        Seed of the heuristic's restarts (plans are reproducible when the time limit
        lets the same restarts run).
    lower_bound
        Whether the heuristic also proves a lower bound, alongside its passes (an LP of
        forage over the season and each herd planned alone at its prices of forage; see
        :mod:`grazing_models.rotation`). Without it the plan has no bound and no gap, and
        the heuristic plans without prices of forage.
    max_milp_pairs
        ``solver="milp"`` is refused above this many candidate pairs
        (:data:`MAX_MILP_PAIRS`): the model would not fit in memory.
    plan_id
        Id of the new plan; default ``plan-<season_year>-<8 hex digits>``. A
        caller that registered the plan in state ``solving`` beforehand (the
        API's background jobs) passes its id; any other stored plan with this
        id is refused.
    progress
        Called with a short message at each step (a :class:`~pasture.progress.Step`
        where it has values: pages translate it).
    solve_limit
        At most this many seconds for the planner, within ``time_limit`` (None: all that
        is left): a quick plan from the greedy pass, for tests and the demo.
    clock
        The deadline's clock (seconds, monotonic), also the planner's; tests pass a
        clock they move on themselves.

    Returns
    -------
    str
        The new plan's id.

    Raises
    ------
    NotFound, InvalidInput
        From :func:`rotation_inputs`; InvalidInput also for invalid parameters
        and when ``solver="milp"`` is asked for an instance above ``max_milp_pairs``.
    AlreadyExists
        When ``plan_id`` names a stored plan that is not ``solving``.
    TimeLimitTooShort
        An InvalidInput: reading the inputs left no time to plan within ``time_limit``;
        it says how long the read took and what limit to ask for. Nothing is stored
        (a ``solving`` row of the caller's ``plan_id`` is left to the caller).
    PlanRejected
        When the plan breaks a rule (``grazing_models.rotation.validate_plan``);
        the plan row is kept with state ``failed`` and the violations in its summary.
    """
    budget = Budget(Deadline(time_limit, clock), time_limit)
    say = progress or (lambda _msg: None)
    params, planning = _checked_params(params, planning)
    if plan_id is not None:
        _refuse_stored(store, plan_id)
    say("reading plots, herds and NDVI")
    built = build_inputs(
        store,
        season_year=season_year,
        planning=planning,
        period_days=params.period_days,
        utilisation=params.utilisation,
    )
    if solver == "milp":
        _refuse_large_milp(built.inputs, params, max_milp_pairs)
    # TimeLimitTooShort comes before any row is written
    solve_s = budget.after_read(built.inputs, solve_limit)
    built.info["time"] = budget.doc()
    plan_id = plan_id or new_plan_id(season_year)
    options = _Solver(
        solver, time_limit, mip_rel_gap, seed, lower_bound, max_milp_pairs, solve_s, clock
    )
    base_row = _solving_row(
        plan_id,
        season_year=season_year,
        user=user,
        params=params,
        planning=planning,
        solver=options,
        info=built.info,
    )
    store.replace_rows("plans", pd.DataFrame([base_row]), where={"id": plan_id})
    try:
        plan = _solve(built.inputs, params, options, say)
        _store_plan(store, base_row, plan, built, say)
    except BaseException as exc:
        _store_failure(store, base_row, built.info, exc)
        raise
    return plan_id


@dataclass(frozen=True)
class _Solver:
    """The solver asked for and its options, as `create_plan` was given them."""

    name: SolverName
    time_limit: float
    mip_rel_gap: float
    seed: int
    lower_bound: bool
    max_milp_pairs: int
    solve_s: float = 0.0  # the planner's share of time_limit (`Budget.after_read`)
    clock: Clock = time.perf_counter

    def doc(self) -> dict[str, Any]:
        """The options as stored in the plan's ``params["solver"]``."""
        return {
            "requested": self.name,
            "time_limit": self.time_limit,
            "mip_rel_gap": self.mip_rel_gap,
            "seed": self.seed,
            "lower_bound": self.lower_bound,
            "max_milp_pairs": self.max_milp_pairs,
        }


def _checked_params(
    params: RotationParams | Mapping[str, Any] | None,
    planning: PlanningParams | Mapping[str, Any] | None,
) -> tuple[RotationParams, PlanningParams]:
    """Both parameter objects, validated; a mapping of planner fields gets the migration default."""
    if params is None or isinstance(params, Mapping):
        params = {"max_migration_km": DEFAULT_MIGRATION_KM, **(params or {})}
    return (
        _validated(RotationParams, params, "params"),
        _validated(PlanningParams, planning, "planning"),
    )


def _refuse_stored(store: Store, plan_id: str) -> None:
    """A caller's plan id may name only a plan it registered as ``solving``."""
    existing = store.read_rows("plans", where={"id": plan_id})
    if len(existing) and existing["state"].iat[0] != "solving":
        raise AlreadyExists(
            f"a plan with id {plan_id!r} is stored already ({existing['state'].iat[0]})"
        )


def _refuse_large_milp(inputs: RotationInputs, params: RotationParams, max_pairs: int) -> None:
    """The exact MILP above ``max_pairs`` candidate pairs would not fit in memory."""
    n_pairs = candidate_pairs(inputs, params)[0].size
    if n_pairs > max_pairs:
        raise InvalidInput(
            "solver",
            [
                f"the exact MILP would have {n_pairs:,} herd x plot x week pairs, more than "
                f"{max_pairs:,} it can build and solve; use solver='heuristic' or "
                "'auto', or prune the instance (RotationParams.max_home_km, "
                "PlanningParams.unions or seasons)"
            ],
        )


def _solving_row(
    plan_id: str,
    *,
    season_year: int,
    user: str,
    params: RotationParams,
    planning: PlanningParams,
    solver: _Solver,
    info: Mapping[str, Any],
) -> dict[str, Any]:
    """The ``plans`` row of a plan being solved, with every parameter it is solved with."""
    created = _now()
    doc_params = jsonable(
        {
            "rotation": params.model_dump(mode="json"),
            "planning": planning.model_dump(mode="json"),
            "solver": solver.doc(),
            "species_table": planning.species_table().to_frame().to_dict("records"),
        }
    )
    return {
        "id": plan_id,
        "season_year": season_year,
        "state": "solving",
        "params": doc_params,
        "summary": jsonable(info),
        "created_at": created,
        "created_by": user,
    }


def _solve(
    inputs: RotationInputs, params: RotationParams, solver: _Solver, say: StepProgress
) -> Plan:
    """Plan the season and check the plan; PlanRejected when it breaks a rule."""
    say(
        Step(
            "planning {herds} herds on {plots} plots over {weeks} weeks ({solver})",
            herds=inputs.n_herds,
            plots=inputs.n_plots,
            weeks=inputs.n_periods,
            solver=solver.name,
        )
    )
    plan = plan_rotation(
        inputs,
        params,
        solver=solver.name,
        time_limit=solver.solve_s,
        mip_rel_gap=solver.mip_rel_gap,
        seed=solver.seed,
        bound=solver.lower_bound,
        clock=solver.clock,
    )
    say("checking the plan")
    violations = validate_plan(plan, inputs)
    if violations:
        raise PlanRejected(violations)
    return plan


def _store_plan(
    store: Store, base_row: Mapping[str, Any], plan: Plan, built: BuiltInputs, say: StepProgress
) -> None:
    """Write the plan's assignments, deficits and its row as a draft, in one transaction."""
    plan_id = str(base_row["id"])
    assignments, deficits = plan_rows(plan_id, plan, built.inputs)
    bands = None
    if built.room is not None:
        deficit = float(deficits["deficit_kg"].sum()) if len(deficits) else 0.0
        band = str(built.info.get("forage", {}).get("band") or "central")
        bands = deficit_bands(
            assignments, built.inputs.periods, built.room, band=band, deficit_kg=deficit
        )
    summary = plan_summary(plan, assignments, built.info, bands)
    say("storing the plan")
    row = {
        **base_row,
        "state": "draft",
        "solver": plan.solver,
        "solver_status": plan.status,
        "objective": finite(plan.objective),
        "bound": finite(plan.bound),
        "gap": finite(plan.gap),
        "summary": jsonable(summary),
    }
    herds = plan_herd_rows(plan_id, built.herds, assignments)
    store.replace_many(
        [
            ("assignments", assignments, {"plan_id": plan_id}),
            ("deficits", deficits, {"plan_id": plan_id}),
            # the herds' names and heads as planned: the herds layer does not hold the
            # village flocks, and a union may rename or regroup its herds later
            ("plan_herds", herds, {"plan_id": plan_id}),
            ("plans", pd.DataFrame([row]), {"id": plan_id}),
        ]
    )


def _store_failure(
    store: Store, base_row: Mapping[str, Any], info: Mapping[str, Any], exc: BaseException
) -> None:
    """Mark the plan ``failed`` with the error, and drop any rows written for it."""
    plan_id = str(base_row["id"])
    failed = {
        **base_row,
        "state": "failed",
        "summary": jsonable({**info, "error": str(exc)[:4000]}),
    }
    # keep the original error if the store itself is what failed
    with contextlib.suppress(Exception):
        for name in ("assignments", "deficits", "plan_herds"):
            empty = pd.DataFrame(columns=list(table_named(name).column_names))
            store.replace_rows(name, empty, where={"plan_id": plan_id})
        store.replace_rows("plans", pd.DataFrame([failed]), where={"id": plan_id})


def plan_row(store: Store, plan_id: str) -> dict[str, Any]:
    """The ``plans`` row of a plan as plain Python values; NotFound names the stored plans."""
    rows = store.read_rows("plans", where={"id": plan_id})
    if rows.empty:
        known = store.read_rows("plans")["id"].tolist()
        hint = f"; stored plans: {', '.join(known[-10:])}" if known else "; no plans are stored"
        raise NotFound(f"no plan with id {plan_id!r}{hint}")
    return {k: py_value(v) for k, v in rows.iloc[0].to_dict().items()}


def plan_version(row: Mapping[str, Any]) -> str:
    """The version of a plan's state, for If-Match: it changes with every approval or
    withdrawal. A plan's contents never change once solved, so its state, when and by
    whom it was approved say all a stale caller could have missed."""
    approved_at = row.get("approved_at")
    stamp = (
        "" if approved_at is None or pd.isna(approved_at) else pd.Timestamp(approved_at).isoformat()
    )
    text = f"{row.get('state')}|{stamp}|{row.get('approved_by') or ''}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _change_state(
    store: Store,
    plan_id: str,
    *,
    step: str,
    from_state: str,
    changes: dict[str, Any],
    expected_version: str | None,
) -> dict[str, Any]:
    """Move a plan from ``from_state`` by compare-and-set: of concurrent callers only one
    wins; a stale ``expected_version`` is VersionConflict, a wrong state PlanStateConflict."""
    row = plan_row(store, plan_id)
    current = plan_version(row)
    if expected_version is not None and expected_version != current:
        raise VersionConflict(
            f"plan {plan_id} changed since you read it (it is {row['state']}, "
            f'version "{current}", not "{expected_version}"); read it again and decide again'
        )
    if row["state"] != from_state:
        _refuse_state(plan_id, step, from_state, row)
    expected = {"state": from_state, "approved_by": row.get("approved_by")}
    if not store.compare_and_set("plans", {"id": plan_id}, expected, changes):
        # another caller moved the plan between our read and our write
        _refuse_state(plan_id, step, from_state, plan_row(store, plan_id))
    return plan_row(store, plan_id)


def _refuse_state(plan_id: str, step: str, from_state: str, row: Mapping[str, Any]) -> None:
    by = f" by {row['approved_by']}" if row.get("approved_by") else ""
    article = "an" if from_state[0] in "aeiou" else "a"
    raise PlanStateConflict(
        f"plan {plan_id}",
        [f"only {article} {from_state} plan can be {step}; this plan is {row['state']}{by}"],
    )


def approve_plan(
    store: Store, plan_id: str, *, user: str, expected_version: str | None = None
) -> dict[str, Any]:
    """Approve a draft plan: state ``approved``, with who and when.

    Parameters
    ----------
    store
        An open store.
    plan_id
        Id of a plan in state ``draft``.
    user
        Recorded as the approver.
    expected_version
        The :func:`plan_version` the caller saw (HTTP If-Match); None: any version.

    Returns
    -------
    dict
        The updated ``plans`` row.

    Raises
    ------
    NotFound
        When there is no such plan.
    VersionConflict
        When the plan's version is no longer ``expected_version``.
    PlanStateConflict
        When the plan is not a draft (already approved, failed or still solving), also
        when another caller approved it at the same moment.
    """
    changes = {"state": "approved", "approved_at": _now(), "approved_by": user}
    return _change_state(
        store,
        plan_id,
        step="approved",
        from_state="draft",
        changes=changes,
        expected_version=expected_version,
    )


def withdraw_plan(
    store: Store, plan_id: str, *, user: str, expected_version: str | None = None
) -> dict[str, Any]:
    """Withdraw the approval of an approved plan: it is a draft again, approvable anew.

    Parameters
    ----------
    store
        An open store.
    plan_id
        Id of a plan in state ``approved``.
    user
        Who withdraws it (logged).
    expected_version
        The :func:`plan_version` the caller saw (HTTP If-Match); None: any version.

    Returns
    -------
    dict
        The updated ``plans`` row.

    Raises
    ------
    NotFound, VersionConflict, PlanStateConflict
        As :func:`approve_plan`; PlanStateConflict when the plan is not approved.
    """
    before = plan_row(store, plan_id)
    # the summary keeps who withdrew which approval, so the withdrawal is not lost
    summary = dict(before.get("summary") or {})
    summary.update(
        withdrawn_by=user,
        withdrawn_at=_now().isoformat(),
        withdrawn_approval={"by": before.get("approved_by"), "at": str(before.get("approved_at"))},
    )
    changes = {"state": "draft", "approved_at": None, "approved_by": None, "summary": summary}
    row = _change_state(
        store,
        plan_id,
        step="withdrawn",
        from_state="approved",
        changes=changes,
        expected_version=expected_version,
    )
    log.info("plan %s: approval withdrawn by %s", plan_id, user)
    return row


def list_plans(
    store: Store, *, season_year: int | None = None, state: str | None = None
) -> pd.DataFrame:
    """The ``plans`` rows, newest first, optionally of one season year or state.

    Parameters
    ----------
    store
        An open store.
    season_year, state
        Optional filters.

    Returns
    -------
    pandas.DataFrame
        The columns of ``pasture.model.PLANS``.
    """
    if state is not None and state not in PLAN_STATES:
        raise InvalidInput("plans", [f"unknown state {state!r}; use {', '.join(PLAN_STATES)}"])
    where: dict[str, Any] = {}
    if season_year is not None:
        where["season_year"] = season_year
    if state is not None:
        where["state"] = state
    rows = store.read_rows("plans", where=where or None)
    return rows.sort_values("created_at", ascending=False, kind="stable").reset_index(drop=True)


def plan_frames(store: Store, plan_id: str) -> PlanFrames:
    """One stored plan: its row, assignments (with ``season`` and ``deficit_kg``) and deficits.

    Raises
    ------
    NotFound
        When there is no such plan.
    """
    row = plan_row(store, plan_id)
    assignments = store.read_rows("assignments", where={"plan_id": plan_id})
    assignments = assignments.sort_values(["period", "union_id", "herd_id"]).reset_index(drop=True)
    assignments["deficit_kg"] = (assignments["demand_kg"] - assignments["eaten_kg"]).clip(lower=0.0)
    deficits = store.read_rows("deficits", where={"plan_id": plan_id})
    deficits = deficits.sort_values(["period", "union_id"]).reset_index(drop=True)
    return PlanFrames(row, assignments, deficits)


def default_params() -> tuple[RotationParams, PlanningParams]:
    """The parameters a plan gets when it is given none: what the pages show as defaults.

    The same rule as :func:`create_plan` (it is :func:`_checked_params`), so pages,
    API and CLI show and use one set of defaults.
    """
    return _checked_params(None, None)
