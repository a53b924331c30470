"""Herd-by-herd planning: the one-herd programme against brute force, plans against the
validator, the herd bound against the exact optimum."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from grazing_models.rotation import RotationInputs, RotationParams, plan_rotation, validate_plan
from grazing_models.rotation.greedy import greedy_best
from grazing_models.rotation.herd_paths import herd_lower_bound, sequential_plan
from grazing_models.rotation.instances import synthetic_instance
from grazing_models.rotation.objective import build_plan
from grazing_models.rotation.pairs import find_pairs

from .test_planner import _brute_force, _small


def _one_herd(seed: int) -> tuple[RotationInputs, RotationParams]:
    """A tiny instance with one herd, no rest and regrowth that repays any grazing: then
    planning the herd alone is the whole problem, and its least cost the optimum."""
    inputs, params = _small(seed)
    herd = dataclasses.replace(inputs.herds[0], first_period=0)
    regrowth = np.full(inputs.available_kg.shape, 1e9)
    one = RotationInputs(inputs.plots, (herd,), inputs.periods, inputs.available_kg, regrowth)
    return one, params.model_copy(update={"min_rest_days": 0.0, "min_rest_days_by_season": None})


@pytest.mark.parametrize("seed", range(30))
def test_one_herd_least_cost_is_the_brute_force_optimum(seed):
    inputs, params = _one_herd(seed)
    bound = herd_lower_bound(inputs, params, find_pairs(inputs, params))
    assert bound.total == pytest.approx(_brute_force(inputs, params), rel=1e-9, abs=1e-6)
    # and its path costs what it says
    plan = build_plan(
        bound.plot_of, inputs, params, solver="x", status="x", bound=None, timings={}, stats={}
    )
    assert plan.objective == pytest.approx(bound.total, rel=1e-9, abs=1e-6)
    assert validate_plan(plan, inputs) == []


@pytest.mark.parametrize("seed", range(12))
def test_herd_by_herd_plans_keep_every_rule(seed):
    inputs = synthetic_instance(150, 10, 14, seed=seed, tight=seed % 3 == 0)
    params = RotationParams(
        max_home_km=25.0,
        min_rest_days_by_season={"summer": 45.0},
        max_migration_km=40.0 if seed % 2 else None,
    )
    pairs = find_pairs(inputs, params)
    order = np.random.default_rng(seed).permutation(inputs.n_herds)
    plot_of = sequential_plan(inputs, params, pairs, order).plot_of
    bound = herd_lower_bound(inputs, params, pairs).total
    plan = build_plan(
        plot_of, inputs, params, solver="x", status="x", bound=bound, timings={}, stats={}
    )
    assert validate_plan(plan, inputs) == []
    assert plan.objective >= bound - 1e-6 * abs(bound)


@pytest.mark.parametrize("priced", [False, True])
@pytest.mark.parametrize("seed", range(8))
def test_later_herds_leave_the_forage_of_earlier_ones(seed, priced):
    # Each herd is planned with the forage the herds before it leave; if a later herd
    # ate into what an earlier one was given, that one would go hungry and the plan
    # would cost more than the herds' costs as planned. Prices of forage steer the
    # planning but are no part of what the plan costs.
    inputs = synthetic_instance(80, 12, 10, seed=seed, tight=True)
    params = RotationParams(max_home_km=30.0)
    pairs = find_pairs(inputs, params)
    order = np.random.default_rng(seed).permutation(inputs.n_herds)
    rng = np.random.default_rng(seed)
    price = rng.uniform(0.0, 2.0, inputs.available_kg.shape) if priced else None
    planned = sequential_plan(inputs, params, pairs, order, price=price)
    plan = build_plan(
        planned.plot_of, inputs, params, solver="x", status="x", bound=None, timings={}, stats={}
    )
    assert plan.objective_terms["unfed_kg"] > 0  # forage is short: herds compete for it
    assert plan.objective == pytest.approx(planned.total, rel=1e-9)


def test_herd_by_herd_beats_the_greedy_pass_on_a_district():
    # On a district-sized season the greedy pass, placing one week at a time, moves
    # herds far more often than planning each herd's whole season does.
    inputs = synthetic_instance(400, 20, 16, seed=2)
    params = RotationParams()
    pairs = find_pairs(inputs, params)
    _, greedy_obj = greedy_best(inputs, params, pairs, time_budget=0.0, seed=0)
    planned = sequential_plan(inputs, params, pairs, np.arange(inputs.n_herds))
    assert planned.total < greedy_obj
    # the heuristic keeps the better of the two, and its bound stays below it
    plan = plan_rotation(inputs, params, solver="heuristic", time_limit=5.0)
    assert validate_plan(plan, inputs) == []
    assert plan.objective <= greedy_obj + 1e-9
    assert plan.bound is not None and plan.bound <= plan.objective
