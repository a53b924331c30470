"""A solved plan as the store's rows: assignments, deficits, the summary, JSON-safe values."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from grazing_models.capacity import BANDS
from grazing_models.rotation import Period, Plan, RotationInputs

__all__ = [
    "deficit_bands",
    "deficit_by_okrug",
    "finite",
    "jsonable",
    "new_plan_id",
    "plan_herd_rows",
    "plan_rows",
    "plan_summary",
    "py_value",
]


def new_plan_id(season_year: int) -> str:
    """A new plan's id: ``plan-<season_year>-<8 hex digits>``."""
    return f"plan-{season_year}-{uuid.uuid4().hex[:8]}"


def plan_herd_rows(plan_id: str, herds: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    """The ``plan_herds`` rows: each herd of the plan with its name, land user, kind and
    heads (as the census gave them, before ``PlanningParams.livestock_factor``), and a
    village flock's name parts, under ``plan_id``."""
    from ..model import PLAN_HERDS

    columns = list(PLAN_HERDS.column_names)
    planned = set(assignments["herd_id"].astype(str)) if len(assignments) else set()
    if herds.empty or not planned:
        return pd.DataFrame(columns=columns)
    rows = pd.DataFrame(herds.drop(columns="geometry", errors="ignore"))
    rows = rows[rows["id"].astype(str).isin(planned)].rename(columns={"id": "herd_id"})
    rows = rows.assign(plan_id=plan_id, herd_id=rows["herd_id"].astype(str))
    if "kind" not in rows:
        rows["kind"] = "union"
    rows["kind"] = rows["kind"].fillna("union")
    for name in columns:
        if name not in rows:
            rows[name] = None
    return rows[columns].reset_index(drop=True)


def _allowance(plan: Plan, inputs: RotationInputs) -> np.ndarray:
    """``max(0, utilisation × available − depletion)`` per plot and period under the plan."""
    u = plan.params.utilisation
    eaten = np.zeros((inputs.n_plots, inputs.n_periods))
    for a in plan.assignments:
        if a.plot_id is not None:
            eaten[inputs.plot_index[a.plot_id], a.period] += a.eaten_kg
    allowed = np.zeros_like(eaten)
    depletion = np.zeros(inputs.n_plots)
    for t in range(inputs.n_periods):
        allowed[:, t] = np.maximum(0.0, u * inputs.available_kg[:, t] - depletion)
        depletion = np.maximum(0.0, depletion + eaten[:, t] - inputs.regrowth_kg[:, t])
    return allowed


def plan_rows(
    plan_id: str, plan: Plan, inputs: RotationInputs
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plan's ``assignments`` and ``deficits`` rows, each under ``plan_id``."""
    days = plan.params.period_days
    allowed = _allowance(plan, inputs)
    herds = {h.id: h for h in inputs.herds}
    recs = []
    for a in plan.assignments:
        herd = herds[a.herd_id]
        start = inputs.periods[a.period].start
        recs.append(
            {
                "plan_id": plan_id,
                "herd_id": a.herd_id,
                "union_id": herd.union_id,
                "period": a.period,
                "start": start,
                "end": start + timedelta(days=days - 1),
                "plot_id": a.plot_id,
                "sheep_units": herd.sheep_units,
                "demand_kg": a.demand_kg,
                "eaten_kg": a.eaten_kg,
                "available_kg": (
                    None
                    if a.plot_id is None
                    else float(allowed[inputs.plot_index[a.plot_id], a.period])
                ),
            }
        )
    assignments = pd.DataFrame(recs)
    deficits = pd.DataFrame(
        [
            {
                "plan_id": plan_id,
                "union_id": d.union_id,
                "period": d.period,
                "start": inputs.periods[d.period].start,
                "deficit_kg": d.deficit_kg,
                "sheep_units_to_move": d.sheep_units_to_move,
                "feed_kg_dm": d.feed_kg_dm,
            }
            for d in plan.deficits
        ],
        columns=[
            "plan_id",
            "union_id",
            "period",
            "start",
            "deficit_kg",
            "sheep_units_to_move",
            "feed_kg_dm",
        ],
    )
    return assignments, deficits


def finite(x: float | None) -> float | None:
    """``x`` as a float, or None when it is missing or not finite (JSON has no inf or NaN)."""
    return None if x is None or not math.isfinite(x) else float(x)


def jsonable(doc: Any) -> Any:
    """A JSON-safe copy: non-finite floats become None, tuples lists."""
    return json.loads(
        json.dumps(doc, default=lambda o: o.isoformat() if hasattr(o, "isoformat") else str(o)),
        parse_constant=lambda _c: None,
    )


def deficit_bands(
    assignments: pd.DataFrame,
    periods: Sequence[Period],
    room: pd.DataFrame,
    *,
    band: str,
    deficit_kg: float,
) -> dict[str, float]:
    """The plan's deficit (kg DM) were the forage at each band of the interval: an estimate.

    No re-plan: the same herds on the same plots in the same weeks, each plot's intake
    over a season (``eaten``, the season its weeks are labelled) held to the band's room
    (`pasture.planning.inputs.season_room`)::

        lost   = max(eaten − room_band, 0) − max(eaten − room_plan, 0)   (less forage)
        gained = min(demand − eaten, max(room_band − room_plan, 0))   (more forage)
        deficit_band = deficit + Σ lost − Σ gained

    over the plot-seasons, ``room_plan`` being the room at the band the plan grazed.
    Season totals, not the weekly green-up; both ends lean pessimistic: a re-plan at the
    low band could move herds to forage left elsewhere, one at the high band could use
    more forage than the plan's own plots offer (docs/domain.md, One forage basis).
    """
    labels = np.array([p.season for p in periods], dtype=object)
    placed = assignments[assignments["plot_id"].notna()]
    season = labels[placed["period"].to_numpy(dtype=int)]
    per = placed.assign(season=season).groupby(["plot_id", "season"])[["demand_kg", "eaten_kg"]]
    sums = per.sum()
    rooms = room.reindex(sums.index).fillna(0.0)
    eaten = sums["eaten_kg"].to_numpy(dtype=float)
    unmet = np.maximum(sums["demand_kg"].to_numpy(dtype=float) - eaten, 0.0)
    planned = rooms[f"room_{band}_kg"].to_numpy(dtype=float)
    out: dict[str, float] = {}
    for other in BANDS:
        at = rooms[f"room_{other}_kg"].to_numpy(dtype=float)
        # what regrowth let a plot feed beyond its season's room stays as planned
        lost = np.maximum(eaten - at, 0.0) - np.maximum(eaten - planned, 0.0)
        gained = np.minimum(unmet, np.maximum(at - planned, 0.0))
        # never below 0 (the plan's own deficit and its herds' unmet demand round apart)
        out[other] = max(float(deficit_kg + lost.sum() - gained.sum()), 0.0)
    return out


def plan_summary(
    plan: Plan,
    assignments: pd.DataFrame,
    info: Mapping[str, Any],
    bands: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The plan's ``summary``: the inputs' ``info``, the solver's figures and the plan's totals;
    ``bands``: the deficit at each forage band (`deficit_bands`)."""
    unplaced = assignments["plot_id"].isna()
    deficits = plan.deficits_frame()
    by_union = (
        deficits.groupby("union_id")[["deficit_kg", "sheep_units_to_move"]]
        .agg({"deficit_kg": "sum", "sheep_units_to_move": "max"})
        .to_dict("index")
        if len(deficits)
        else {}
    )
    return {
        **dict(info),
        "solver": plan.solver,
        "status": plan.status,
        "objective_terms": dict(plan.objective_terms),
        "timings": dict(plan.timings),
        "stats": dict(plan.stats),
        "demand_kg": float(assignments["demand_kg"].sum()),
        "eaten_kg": float(assignments["eaten_kg"].sum()),
        "unplaced_demand_kg": float(assignments.loc[unplaced, "demand_kg"].sum()),
        "unplaced_herd_periods": int(unplaced.sum()),
        "deficit_kg": float(deficits["deficit_kg"].sum()) if len(deficits) else 0.0,
        "feed_kg_dm": float(deficits["feed_kg_dm"].sum()) if len(deficits) else 0.0,
        "deficit_periods": int(deficits["period"].nunique()) if len(deficits) else 0,
        **(
            {}
            if bands is None
            else {"deficit_low_kg": bands["low"], "deficit_high_kg": bands["high"]}
        ),
        "deficit_by_union": {
            str(u): {
                "deficit_kg": v["deficit_kg"],
                "max_sheep_units_to_move": v["sheep_units_to_move"],
            }
            for u, v in by_union.items()
        },
        "plots_used": int(assignments["plot_id"].dropna().nunique()),
        "deficit_by_okrug": deficit_by_okrug(deficits, info.get("okrug_of_land_user") or {}),
    }


def deficit_by_okrug(
    deficits: pd.DataFrame, okrug_of: Mapping[str, str | None]
) -> dict[str, dict[str, float]]:
    """Per okrug: its land users' deficit (kg DM), the feed that closes it, and the most
    forage-equivalent sheep to move to other pasture (or reduce) in one week.

    ``okrug_of`` maps each land user (union or village herd, ``union_id``) to its okrug;
    a land user without one counts under ``"none"``.
    """
    if deficits.empty:
        return {}
    frame = deficits.assign(
        okrug=deficits["union_id"].map(lambda u: okrug_of.get(str(u)) or "none")
    )
    weekly = frame.groupby(["okrug", "period"])[["sheep_units_to_move"]].sum()
    totals = frame.groupby("okrug")[["deficit_kg", "feed_kg_dm"]].sum()
    most = weekly.groupby(level="okrug")["sheep_units_to_move"].max()
    return {
        str(k): {
            "deficit_kg": float(r["deficit_kg"]),
            "feed_kg_dm": float(r["feed_kg_dm"]),
            "max_sheep_units_to_move": float(most[k]),
        }
        for k, r in totals.iterrows()
    }


def py_value(value: Any) -> Any:
    """A stored value as plain Python: missing values None, numpy numbers int or float."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
