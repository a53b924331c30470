"""The Lagrangian (Dantzig-Wolfe) ascent of the priced herds bound: still a bound, better
than where it starts, and its master built right."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from grazing_models.rotation import RotationInputs, RotationParams, plan_rotation
from grazing_models.rotation.forage_lp import forage_lower_bound
from grazing_models.rotation.herd_paths import AloneHerds
from grazing_models.rotation.herds_bound import priced_herd_bound
from grazing_models.rotation.highs import highs_api
from grazing_models.rotation.instances import synthetic_instance
from grazing_models.rotation.lagrangian import (
    Master,
    herd_season_costs,
    lagrangian_herd_bound,
    plan_seasons,
)
from grazing_models.rotation.objective import arrays_from_assignments
from grazing_models.rotation.pairs import find_pairs
from grazing_models.rotation.planner import Incumbent

from .test_forage_lp import season_with_optimum
from .test_planner import _brute_force, _small


def _plan_arrays(inputs: RotationInputs, params: RotationParams) -> tuple[np.ndarray, np.ndarray]:
    plan = plan_rotation(inputs, params, solver="heuristic", bound=False)
    return arrays_from_assignments(plan.assignments, inputs)


def _ascend(
    inputs: RotationInputs,
    params: RotationParams,
    seconds: float = 30.0,
    start: tuple[np.ndarray, np.ndarray] | None = None,
    **options: float,
):
    pairs = find_pairs(inputs, params)
    lp = forage_lower_bound(inputs, params, pairs)
    start = start or _plan_arrays(inputs, params)
    found = lagrangian_herd_bound(
        inputs,
        params,
        pairs,
        lp,
        lambda wait: [start] if wait else [],
        deadline=time.perf_counter() + seconds,
        **options,
    )
    return found, priced_herd_bound(inputs, params, pairs, lp)


@pytest.mark.parametrize("seed", range(30))
def test_ascent_stays_below_the_brute_force_optimum(seed):
    inputs, params = _small(seed)
    optimum = _brute_force(inputs, params)
    found, priced = _ascend(inputs, params)
    assert found.value <= optimum + 1e-6 * abs(optimum)
    assert found.value >= priced  # it starts from the LP's duals and keeps the best


@pytest.mark.parametrize("seed", range(4))
def test_ascent_stays_below_the_milp_optimum_on_a_season(seed):
    inputs, params, exact = season_with_optimum(seed)
    assert exact.status == "optimal"
    start = _plan_arrays(inputs, params)
    found, priced = _ascend(inputs, params, start=start)
    assert found.rounds > 1
    assert priced <= found.value <= exact.objective + 1e-6 * abs(exact.objective)
    # the master starts from the heuristic's plan: its optimum is between the bound and it
    plan_cost = herd_season_costs(*start, inputs, params).sum()
    assert found.value <= found.ceiling * (1 + 1e-6) <= plan_cost * (1 + 2e-6)


def _crowded() -> tuple[RotationInputs, RotationParams]:
    # forage short: the LP's duals leave 2% to gain (measured: 374.5 M -> 381.9 M)
    return synthetic_instance(40, 10, 10, seed=0, tight=True), RotationParams(max_home_km=15.0)


def test_ascent_raises_the_bound_of_a_crowded_district():
    inputs, params = _crowded()
    found, priced = _ascend(inputs, params)
    assert found.converged
    assert found.value > priced + 1e-2 * abs(priced)
    assert found.ceiling == pytest.approx(found.value, rel=1e-5)


def test_ascent_without_patience_stops_at_the_lp_duals():
    inputs, params = _crowded()
    found, priced = _ascend(inputs, params, patience=0.0)
    assert (found.rounds, found.converged, found.ceiling) == (1, False, math.inf)
    assert found.value == pytest.approx(priced)


def test_plan_reports_the_ascent():
    inputs, params = _crowded()
    found, _ = _ascend(inputs, params)
    plan = plan_rotation(inputs, params, solver="heuristic", time_limit=30.0)
    assert plan.stats["bound_herds_converged"] == 1.0
    assert plan.stats["bound_herds_rounds"] > 1
    # the master's optimum is unique, whatever plan it starts from
    assert plan.stats["bound_herds"] == pytest.approx(found.value, rel=1e-5)
    assert plan.objective >= plan.bound >= plan.stats["bound_herds"]


def test_no_time_left_gives_no_bound_and_a_little_the_priced_herds_bound():
    # the time limit is a contract: past the deadline not even the first evaluation runs
    inputs = synthetic_instance(60, 12, 10, seed=2, tight=True)
    params = RotationParams(max_home_km=30.0)
    pairs = find_pairs(inputs, params)
    lp = forage_lower_bound(inputs, params, pairs)

    def never(wait):
        raise AssertionError("no plan is needed after the deadline")

    found = lagrangian_herd_bound(inputs, params, pairs, lp, never, deadline=time.perf_counter())
    assert (found.rounds, found.converged) == (1, False)
    assert found.value == -math.inf
    # time for the first evaluation but no plan to start the master from: the priced bound
    found = lagrangian_herd_bound(
        inputs, params, pairs, lp, lambda wait: [], deadline=time.perf_counter() + 3600
    )
    assert found.value == pytest.approx(priced_herd_bound(inputs, params, pairs, lp))


def test_season_costs_sum_to_the_objective():
    inputs = synthetic_instance(40, 6, 10, seed=3, tight=True)
    params = RotationParams(max_home_km=30.0)
    plan = plan_rotation(inputs, params, solver="heuristic", bound=False)
    plot_of, eaten = _plan_arrays(inputs, params)
    costs = herd_season_costs(plot_of, eaten, inputs, params)
    assert costs.shape == (6,)
    assert costs.sum() == pytest.approx(plan.objective, rel=1e-9)


def test_master_of_one_plan_costs_the_plan():
    # one season per herd: the master must take each whole; if a season's kg in a window
    # row were counted wrong, the row would be broken at a cost and the optimum would differ
    inputs = synthetic_instance(40, 6, 10, seed=3, tight=True)
    params = RotationParams(max_home_km=30.0)
    pairs = find_pairs(inputs, params)
    lp = forage_lower_bound(inputs, params, pairs)
    assert lp.rows is not None and lp.rows.p.size > 0
    plot_of, eaten = _plan_arrays(inputs, params)
    master = Master(inputs, params, lp.rows, highs_api())
    seasons = plan_seasons(plot_of, eaten, inputs, params)
    master.add(seasons)
    solved = master.solve(30.0)
    assert solved is not None
    optimum, lam = solved
    assert optimum == pytest.approx(herd_season_costs(plot_of, eaten, inputs, params).sum())
    assert np.all(lam >= 0.0)
    # each herd's kg in each window row, summed by hand
    rows = lp.rows
    by_hand = np.zeros((inputs.n_herds, rows.p.size))
    for k, (p, a, b) in enumerate(zip(rows.p, rows.a, rows.b, strict=True)):
        on = plot_of[:, a : b + 1] == p
        by_hand[:, k] = np.where(on, eaten[:, a : b + 1], 0.0).sum(axis=1)
    assert by_hand.sum() > 0.0
    assert np.allclose((seasons.eaten @ master.cover).toarray(), by_hand)


@pytest.mark.parametrize("workers", [2, 3])
def test_herds_alone_in_threads_match_one_thread(workers):
    inputs = synthetic_instance(60, 12, 10, seed=2, tight=True)
    params = RotationParams(max_home_km=30.0)
    herds = AloneHerds(inputs, params, find_pairs(inputs, params))
    price = np.random.default_rng(0).uniform(0.0, 2.0, (inputs.n_plots, inputs.n_periods))
    one, many = herds.plan(price), herds.plan(price, workers)
    assert np.array_equal(one.plot_of, many.plot_of)
    assert np.array_equal(one.cost, many.cost) and np.array_equal(one.eaten, many.eaten)


def test_the_bound_takes_each_plan_of_the_heuristic_once():
    shared = Incumbent()
    a, b = np.zeros((2, 3), dtype=np.int64), np.ones((2, 3), dtype=np.int64)
    shared.offer(a)
    shared.offer(b)
    taken = shared.take(time.perf_counter() + 5.0)
    assert [x is y for x, y in zip(taken, (a, b), strict=True)] == [True, True]
    assert shared.take() == []
    assert shared.workers() >= 1 and not shared.done.is_set()
    # a heuristic that ends (or fails) releases a bound waiting for its first plan
    other = Incumbent()
    assert not other._found.is_set()
    other.finish()
    assert other._found.is_set() and other.done.is_set()
    assert other.take(time.perf_counter() + 3600.0) == []
