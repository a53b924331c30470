"""The time limit as a contract: what each step does at its deadline, pruned candidate
pairs on large districts, and bounds that stay bounds however early they stop."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from grazing_models.rotation import RotationParams, plan_rotation, validate_plan
from grazing_models.rotation import planner as planner_module
from grazing_models.rotation.deadline import Deadline
from grazing_models.rotation.forage_lp import forage_lower_bound, supply_bound
from grazing_models.rotation.herd_paths import AloneHerds, herd_lower_bound, sequential_plan
from grazing_models.rotation.heuristic import heuristic_best
from grazing_models.rotation.instances import synthetic_instance
from grazing_models.rotation.objective import build_plan
from grazing_models.rotation.pairs import find_pairs, planning_pairs
from grazing_models.rotation.planner import TRIVIAL_BOUND, _Bounds
from grazing_models.rotation.transport import transport_bound


def _district(seed: int = 3):
    return synthetic_instance(120, 8, 10, seed=seed, tight=seed % 2 == 1)


def test_a_pass_past_its_deadline_leaves_its_herds_unplaced_and_says_so():
    inputs, params = _district(), RotationParams()
    pairs = find_pairs(inputs, params)
    cut = sequential_plan(inputs, params, pairs, np.arange(inputs.n_herds), deadline=0.0)
    assert not cut.complete
    assert (cut.plot_of == -1).all()
    plan = build_plan(
        cut.plot_of, inputs, params, solver="x", status="x", bound=None, timings={}, stats={}
    )
    assert plan.objective == pytest.approx(cut.total)  # every kg unfed, as it says
    assert validate_plan(plan, inputs) == []
    whole = sequential_plan(inputs, params, pairs, np.arange(inputs.n_herds))
    assert whole.complete and whole.total < cut.total


def test_herds_planned_alone_past_the_deadline_prove_nothing():
    inputs, params = _district(), RotationParams()
    pairs = find_pairs(inputs, params)
    assert not AloneHerds(inputs, params, pairs, deadline=0.0).plan().complete
    assert not herd_lower_bound(inputs, params, pairs, deadline=0.0).complete
    assert herd_lower_bound(inputs, params, pairs, deadline=time.perf_counter() + 3600).complete


def test_a_bound_is_never_reported_below_the_trivial_one():
    bounds = _Bounds(herds=-1.567e9)  # a priced bound whose prices were far off
    assert bounds.value == TRIVIAL_BOUND
    assert _Bounds(herds=5.0, transport=-3.0).value == 5.0


@pytest.mark.parametrize("seed", range(3))
def test_pooled_candidates_count_and_bound_the_full_ones(seed):
    inputs = _district(seed)
    for params in (RotationParams(), RotationParams(max_home_km=15.0)):
        full = find_pairs(inputs, params)
        kept = planning_pairs(inputs, params, max_pairs=None)
        assert kept.n_full == full.h.size
        pruned = planning_pairs(inputs, params, max_pairs=full.h.size // 4, min_plots=5)
        assert pruned.full is None and pruned.n_full == full.h.size
        assert 0 < pruned.plan.h.size < full.h.size
        # each herd keeps a subset of its own candidates
        have = set(zip(full.h.tolist(), full.p.tolist(), full.t.tolist(), strict=True))
        got = zip(
            pruned.plan.h.tolist(), pruned.plan.p.tolist(), pruned.plan.t.tolist(), strict=True
        )
        assert set(got) <= have
        # the LP on the unions' pooled candidates (more of them) proves no more
        on_full = forage_lower_bound(inputs, params, full).value
        assert kept.union is not None
        on_pooled = forage_lower_bound(inputs, params, kept.union).value
        assert on_pooled <= on_full + 1e-6 * abs(on_full)


@pytest.mark.parametrize("seed", range(3))
def test_a_pruned_plan_keeps_every_rule_and_its_bound_holds(seed, monkeypatch):
    inputs = _district(seed)
    params = RotationParams(max_home_km=15.0)
    exact = plan_rotation(inputs, params, solver="milp", time_limit=20.0, mip_rel_gap=1e-4)
    n_full = find_pairs(inputs, params).h.size
    monkeypatch.setattr(planner_module, "FULL_PAIRS_MAX", n_full // 3)
    monkeypatch.setattr(planner_module, "MIN_PLOTS_PER_HERD", 3)
    plan = plan_rotation(inputs, params, solver="heuristic", time_limit=10.0, seed=seed)
    assert plan.stats["pairs_pruned"] == 1.0
    assert plan.stats["n_pairs"] < n_full == plan.stats["n_candidates"]
    assert validate_plan(plan, inputs) == []
    assert plan.bound is not None
    assert plan.bound <= exact.objective + 1e-6 * abs(exact.objective)
    if exact.status == "optimal":
        assert plan.objective >= exact.objective - 1e-6 * abs(exact.objective)


def test_a_greedy_pass_past_its_deadline_is_a_valid_plan_of_unplaced_herds():
    from grazing_models.rotation.greedy import _candidates_by_herd_period, _greedy

    inputs, params = _district(), RotationParams()
    pairs = find_pairs(inputs, params)
    cand = _candidates_by_herd_period(pairs)
    plot_of = _greedy(inputs, params, cand, rng=None, lookahead=1.0, deadline=0.0)
    assert (plot_of == -1).all()
    plan = build_plan(
        plot_of, inputs, params, solver="x", status="x", bound=None, timings={}, stats={}
    )
    assert validate_plan(plan, inputs) == []


def test_the_floor_plan_is_never_cut_by_the_deadline():
    """Past its deadline the greedy search still returns its first, whole pass: herds
    left unplaced by the clock would read as a forage deficit that is not there."""
    from grazing_models.rotation.greedy import greedy_best

    inputs, params = _district(), RotationParams()
    pairs = find_pairs(inputs, params)
    late, _ = greedy_best(inputs, params, pairs, time_budget=0.0, seed=0, deadline=0.0)
    floor, _ = greedy_best(inputs, params, pairs, time_budget=0.0, seed=0)
    assert (late >= 0).any()
    assert (late == floor).all()


class _Ticks:
    """A stand-in for the ``time`` module whose ``perf_counter`` moves on a second at
    every reading: a deadline ``n`` seconds on passes after ``n`` readings, mid-pass."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        self.now += 1.0
        return self.now


def test_a_first_greedy_pass_that_outlasts_its_deadline_stops_with_its_periods_so_far(
    monkeypatch,
):
    """A district too large for one pass in its time limit: the first pass stops at the
    deadline, its periods so far as the whole pass placed them, its herds unplaced after."""
    from grazing_models.rotation import greedy

    inputs, params = _district(), RotationParams()
    pairs = find_pairs(inputs, params)
    floor, floor_obj = greedy.greedy_best(inputs, params, pairs, time_budget=0.0, seed=0)
    ticks = _Ticks()
    monkeypatch.setattr(greedy, "time", ticks)
    # set at reading 0, started at readings 1-2; each period reads the clock twice
    cut, cut_obj = greedy.greedy_best(
        inputs, params, pairs, time_budget=60.0, seed=0, deadline=ticks.now + 8.0
    )
    placed = (cut >= 0).any(axis=0)
    reached = int(np.flatnonzero(placed).max()) + 1
    assert 0 < reached < inputs.n_periods
    assert (cut[:, reached:] == -1).all()
    assert (cut[:, : reached - 1] == floor[:, : reached - 1]).all()  # the same pass, so far
    assert cut_obj >= floor_obj
    plan = build_plan(cut, inputs, params, solver="x", status="x", bound=None, timings={}, stats={})
    assert validate_plan(plan, inputs) == []
    assert plan.objective == pytest.approx(cut_obj)


class _Clock:
    """A clock the test moves on itself: ``now`` seconds, read by the planner."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_deadline_counts_down_on_its_own_clock():
    clock = _Clock(100.0)
    deadline = Deadline(10.0, clock)
    assert deadline.left() == 10.0 and not deadline.passed()
    work = deadline.before(0.1, at_least=2.0)  # 2 s kept: more than a tenth of 10 s
    clock.now = 107.5
    assert deadline.left() == pytest.approx(2.5) and work.left() == pytest.approx(0.5)
    assert deadline.elapsed() == pytest.approx(7.5)
    clock.now = 108.5
    assert work.passed() and not deadline.passed()
    clock.now = 111.0
    assert deadline.passed() and deadline.left() == 0.0
    assert Deadline(-5.0, clock).passed()  # a negative limit is no time at all


class _PastAfterStart(_Clock):
    """A clock whose deadline has passed as soon as it was set: the first reading is the
    start, every later one an hour on."""

    def __call__(self) -> float:
        now, self.now = self.now, self.now + 3600.0
        return now


@pytest.mark.parametrize("seed", range(3))
def test_a_deadline_passed_before_the_passes_still_gives_a_valid_plan_and_a_bound(seed):
    inputs, params = _district(seed), RotationParams()
    threads = threading.active_count()
    plan = plan_rotation(
        inputs, params, solver="heuristic", time_limit=60.0, seed=seed, clock=_PastAfterStart()
    )
    assert validate_plan(plan, inputs) == []
    assert (np.array([a.plot_id is not None for a in plan.assignments])).any()  # the floor
    # no LP, no herds bound, no thread: the bound is the supply bound, proven and > 0
    assert "bound_forage" not in plan.stats and "bound_herds" not in plan.stats
    assert plan.bound is not None and plan.bound == pytest.approx(plan.stats["bound_supply"])
    assert 0.0 < plan.bound <= plan.objective
    assert threading.active_count() == threads
    # the same plan as the greedy floor on an unlimited clock: only the passes were skipped
    floor = plan_rotation(inputs, params, solver="heuristic", time_limit=0.0, seed=seed)
    assert floor.bound is not None and floor.bound >= plan.bound - 1e-9 * abs(plan.bound)


@pytest.mark.parametrize("seed", range(3))
def test_the_supply_bound_is_below_the_optimum_and_the_transport_bound(seed):
    inputs = _district(seed)
    for params in (RotationParams(), RotationParams(max_home_km=15.0)):
        full = find_pairs(inputs, params)
        cands = planning_pairs(inputs, params, max_pairs=None)
        assert cands.union is not None
        supply = supply_bound(inputs, params, cands.union)
        assert supply > 0.0
        # every herd as one union's: the bound the planner falls back on
        one = supply_bound(inputs, params, cands.anywhere, one_union=True)
        assert one > 0.0
        # the transport LP keeps each herd's own candidates and every plot's forage shared
        # between unions: the same relaxation, tightened
        transport = transport_bound(inputs, params, full)
        assert supply <= transport + 1e-6 * abs(transport)
        exact = plan_rotation(inputs, params, solver="milp", time_limit=20.0, mip_rel_gap=1e-4)
        for bound in (supply, one):  # below every plan's objective, the MILP's best too
            assert bound <= exact.objective + 1e-6 * abs(exact.objective)


def test_too_many_pooled_candidates_are_not_listed_and_the_plan_keeps_a_bound(monkeypatch):
    inputs, params = _district(1), RotationParams()
    kept = planning_pairs(inputs, params, max_pairs=None)
    assert kept.union is not None
    few = planning_pairs(inputs, params, max_pairs=kept.union.h.size - 1, min_plots=5)
    assert few.union is None and few.full is None
    # every (plot, period) of a union's pooled candidates is in ``anywhere``, once
    pooled = set(zip(kept.union.p.tolist(), kept.union.t.tolist(), strict=True))
    anywhere = list(zip(few.anywhere.p.tolist(), few.anywhere.t.tolist(), strict=True))
    assert set(anywhere) == pooled and len(anywhere) == len(pooled)
    monkeypatch.setattr(planner_module, "FULL_PAIRS_MAX", kept.union.h.size - 1)
    monkeypatch.setattr(planner_module, "POOLED_PAIRS_MAX", kept.union.h.size - 1)
    monkeypatch.setattr(planner_module, "MIN_PLOTS_PER_HERD", 5)
    plan = plan_rotation(inputs, params, solver="heuristic", time_limit=5.0, seed=1)
    assert validate_plan(plan, inputs) == []
    assert "bound_forage" not in plan.stats  # no unions' LP without the unions' candidates
    # the district LP pools every herd as one union's: it needs only ``anywhere``
    supply = supply_bound(inputs, params, few.anywhere, one_union=True)
    assert plan.stats["bound_supply"] == pytest.approx(supply)
    assert plan.bound == pytest.approx(max(supply, plan.stats["bound_district"]))
    assert 0.0 < plan.bound <= plan.objective


def test_the_supply_bound_without_candidates_is_every_kg_unfed():
    inputs = _district()
    params = RotationParams(max_water_km=1e-9)  # no plot near enough to water
    pooled = planning_pairs(inputs, params, max_pairs=None).union
    assert pooled is not None and pooled.h.size == 0
    plan = plan_rotation(inputs, params, solver="heuristic", time_limit=5.0)
    assert plan.bound == pytest.approx(supply_bound(inputs, params, pooled))
    assert plan.bound == pytest.approx(plan.objective, rel=1e-6)


def test_a_priced_order_waits_for_prices_no_longer_than_leaves_it_time_to_run():
    """Prices that never come cost a priced order no more than the time that would still
    let it run before the deadline (old: it waited until the deadline, then had none)."""
    inputs, params = _district(), RotationParams()
    pairs = find_pairs(inputs, params)
    asked: list[tuple[float, float]] = []

    def never(wait: float) -> None:
        asked.append((time.perf_counter(), wait))

    budget = 3600.0
    start = time.perf_counter()
    plot_of = heuristic_best(inputs, params, pairs, time_budget=budget, seed=0, price=never)
    assert asked, "no priced order asked for prices"
    # every order but the first ran before it: each wait leaves at least the last order's
    # length before the deadline, and is never negative
    assert all(wait >= 0.0 and at + wait <= start + budget for at, wait in asked)
    assert all(wait < budget for _, wait in asked[1:])
    assert plot_of.shape == (inputs.n_herds, inputs.n_periods)


def test_the_bound_workers_price_returns_at_once_when_told_not_to_wait():
    """Asked with no time to wait, the worker answers without its prices (``None``) even
    when its own deadline is an hour away; the caller's thread is not held."""
    worker = planner_module._BoundWorker.__new__(planner_module._BoundWorker)
    worker._priced, worker.bounds = threading.Event(), _Bounds()
    worker._deadline = Deadline(3600.0)
    got: list[object] = []
    asker = threading.Thread(target=lambda: got.append(worker.price(0.0)), daemon=True)
    asker.start()
    asker.join(timeout=30.0)  # an hour if the wait were the deadline's
    assert not asker.is_alive() and got == [None]


@pytest.mark.parametrize(
    ("cpu_s", "left"),
    [
        (0.5, 9.0),  # full speed: a tenth of 10 s kept (more than the 0.5 s the pairs took)
        (0.5 / 3, 7.0),  # a third of a core: three tenths
        (0.01, 6.0),  # next to none: the reserve's ceiling, 0.4
    ],
)
def test_the_finish_reserve_grows_as_the_process_gets_less_of_a_core(cpu_s, left):
    clock = _Clock(50.0)
    work = planner_module.finish_reserve(Deadline(10.0, clock), 0.5, cpu_s)
    assert work.left() == pytest.approx(left)


def test_a_share_of_a_core_is_not_read_from_too_short_a_time():
    assert planner_module.cpu_share(0.001, 0.0) == 1.0
    assert planner_module.cpu_share(1.0, 0.25) == pytest.approx(0.25)
    assert planner_module.cpu_share(1.0, 2.0) == 1.0  # never more than one core


def test_the_transport_bound_hands_its_solves_the_time_left_and_keeps_its_value():
    inputs, params = _district(), RotationParams()
    pairs = find_pairs(inputs, params)
    unlimited = transport_bound(inputs, params, pairs)
    assert transport_bound(inputs, params, pairs, deadline=time.perf_counter() + 3600) == (
        pytest.approx(unlimited)
    )
    assert transport_bound(inputs, params, pairs, deadline=0.0) == -np.inf
