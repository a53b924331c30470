"""The objective of a plan: eaten kg and depletion filled in for fixed placements, each
herd's terms, their weighted sum, and a :class:`Plan` built from placement arrays."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from grazing_models.rotation.model import (
    Assignment,
    Plan,
    RotationInputs,
    RotationParams,
    UnionDeficit,
    is_short,
    pressure_index,
)

# Absolute slack (kg DM) added to forage caps when eaten amounts are filled in,
# so that floating-point round-off never shows up as over-utilisation.
_KG_EPS = 1e-6


def fill_eaten(plot_of: np.ndarray, inputs: RotationInputs, params: RotationParams) -> np.ndarray:
    """Eaten kg per herd and period for fixed placements (``plot_of[h, t]``, -1 unplaced).

    Each plot feeds as much as it may, earliest first; every kg eaten has the
    same value wherever the herd is, and eating a kg now costs at most a kg
    later, so this maximises what the placements can eat. A plot's forage is
    shared among its herds in proportion to their demand.
    """
    n_h, n_t = plot_of.shape
    demand = np.zeros((n_h, n_t))
    days = params.period_days
    for h, herd in enumerate(inputs.herds):
        for t in inputs.herd_periods(h):
            demand[h, t] = herd.demand_kg_day * days
    eaten = np.zeros((n_h, n_t))
    depletion = np.zeros(inputs.n_plots)
    u_avail = params.utilisation * inputs.available_kg
    for t in range(n_t):
        placed = np.flatnonzero(plot_of[:, t] >= 0)
        plots_t = plot_of[placed, t]
        want = np.bincount(plots_t, weights=demand[placed, t], minlength=inputs.n_plots)
        cap = np.maximum(0.0, u_avail[:, t] - depletion)
        eat_plot = np.minimum(want, cap)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(want > 0, eat_plot / np.where(want > 0, want, 1.0), 0.0)
        # Shave a hair off so that round-off never exceeds the cap.
        share = np.minimum(share, 1.0) * (1.0 - 1e-12)
        eaten[placed, t] = demand[placed, t] * share[plots_t]
        eaten_plot = np.bincount(plots_t, weights=eaten[placed, t], minlength=inputs.n_plots)
        depletion = np.maximum(0.0, depletion + eaten_plot - inputs.regrowth_kg[:, t])
    return eaten


def herd_terms(
    plot_of: np.ndarray, eaten: np.ndarray, inputs: RotationInputs, params: RotationParams
) -> dict[str, np.ndarray]:
    """Each herd's share of the objective's raw quantities over its grazing season.

    ``plot_of[h, t]`` is the plot (-1 unplaced) and ``eaten[h, t]`` the kg eaten of herd
    ``h`` in period ``t``. Returns arrays over herds: ``unfed_kg``, ``pressure_kg`` (kg
    eaten times pressure index), ``walk_km`` (to water and back, every day placed) and
    ``moves`` (between plots of consecutive placed periods).
    """
    n_h, n_t = plot_of.shape
    in_season = np.zeros((n_h, n_t), dtype=bool)
    for h in range(n_h):
        in_season[h, inputs.herd_periods(h)] = True
    demand = np.array([herd.demand_kg_day for herd in inputs.herds]) * params.period_days
    water = np.array([p.water_km for p in inputs.plots], dtype=float)
    placed = in_season & (plot_of >= 0)
    plot = np.where(placed, plot_of, 0)
    return {
        "unfed_kg": np.where(in_season, demand[:, None] - eaten, 0.0).sum(axis=1),
        "pressure_kg": np.where(placed, eaten * pressure_index(inputs)[plot], 0.0).sum(axis=1),
        "walk_km": np.where(placed, 2.0 * water[plot] * params.period_days, 0.0).sum(axis=1),
        "moves": np.count_nonzero(
            placed[:, 1:] & placed[:, :-1] & (plot_of[:, 1:] != plot_of[:, :-1]), axis=1
        ).astype(float),
    }


def weighted_terms(terms: Mapping[str, Any], params: RotationParams) -> Any:
    """The objective of raw quantities (see :func:`herd_terms`; floats or arrays alike)."""
    return (
        params.weight_unfed * terms["unfed_kg"]
        + params.weight_pressure * terms["pressure_kg"]
        + params.weight_walk_km * terms["walk_km"]
        + params.weight_move * terms["moves"]
    )


def terms_from_arrays(
    plot_of: np.ndarray, eaten: np.ndarray, inputs: RotationInputs, params: RotationParams
) -> dict[str, float]:
    """The objective's ``total`` and raw terms of placements ``plot_of`` eating ``eaten``."""
    terms = {k: float(v.sum()) for k, v in herd_terms(plot_of, eaten, inputs, params).items()}
    return {"total": float(weighted_terms(terms, params)), **terms}


def arrays_from_assignments(
    assignments: Iterable[Assignment], inputs: RotationInputs
) -> tuple[np.ndarray, np.ndarray]:
    """``plot_of[h, t]`` (-1 unplaced) and ``eaten[h, t]`` of a plan's assignments."""
    plot_of = np.full((inputs.n_herds, inputs.n_periods), -1, dtype=np.int64)
    eaten = np.zeros((inputs.n_herds, inputs.n_periods))
    for a in assignments:
        h = inputs.herd_index[a.herd_id]
        plot_of[h, a.period] = -1 if a.plot_id is None else inputs.plot_index[a.plot_id]
        eaten[h, a.period] = a.eaten_kg
    return plot_of, eaten


def objective_terms(
    assignments: Iterable[Assignment], inputs: RotationInputs, params: RotationParams
) -> dict[str, float]:
    """Objective of a set of assignments, split into its terms (see :mod:`grazing_models.rotation`).

    Returns
    -------
    dict
        ``total`` and the raw quantities ``unfed_kg``, ``pressure_kg`` (kg eaten
        times pressure index), ``walk_km`` and ``moves``.
    """
    plot_of, eaten = arrays_from_assignments(assignments, inputs)
    return terms_from_arrays(plot_of, eaten, inputs, params)


def build_plan(
    plot_of: np.ndarray,
    inputs: RotationInputs,
    params: RotationParams,
    *,
    solver: str,
    status: str,
    bound: float | None,
    timings: dict[str, float],
    stats: dict[str, float],
) -> Plan:
    """The plan of placements ``plot_of``: eaten kg filled in, assignments, deficits, objective."""
    eaten = fill_eaten(plot_of, inputs, params)
    terms = terms_from_arrays(plot_of, eaten, inputs, params)
    days = params.period_days
    assignments: list[Assignment] = []
    deficit: dict[tuple[str, int], float] = {}
    for h, herd in enumerate(inputs.herds):
        for t in inputs.herd_periods(h):
            p = int(plot_of[h, t])
            demand = herd.demand_kg_day * days
            assignments.append(
                Assignment(
                    herd_id=herd.id,
                    period=t,
                    plot_id=None if p < 0 else inputs.plots[p].id,
                    eaten_kg=float(eaten[h, t]),
                    demand_kg=float(demand),
                )
            )
            short = demand - float(eaten[h, t])
            if is_short(short, demand):
                key = (herd.union_id, t)
                deficit[key] = deficit.get(key, 0.0) + short
    su_kg = params.intake_kg_dm_per_su_day * days
    deficits = tuple(
        UnionDeficit(
            union_id=u,
            period=t,
            deficit_kg=kg,
            sheep_units_to_move=kg / su_kg,
            feed_kg_dm=kg,
        )
        for (u, t), kg in sorted(deficit.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    )
    objective = terms["total"]
    gap = None
    if bound is not None:
        bound = min(bound, objective)
        gap = max(0.0, (objective - bound) / max(abs(objective), 1.0))
    return Plan(
        assignments=tuple(assignments),
        deficits=deficits,
        solver=solver,
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        objective_terms=terms,
        params=params,
        timings=timings,
        stats=stats,
    )
