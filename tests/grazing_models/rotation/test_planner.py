"""Rotation planner: MILP against brute force, deficits by hand, heuristic against MILP."""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta

import numpy as np
import pytest
from pydantic import ValidationError

from grazing_models.errors import InvalidInput
from grazing_models.rotation import (
    Herd,
    Period,
    Plot,
    RotationInputs,
    RotationParams,
    plan_rotation,
    validate_plan,
)
from grazing_models.rotation.instances import synthetic_instance

# ---------------------------------------------------------------- brute force
# Written from the rules in the rotation module docstring, not from its code.


def _brute_force(inputs: RotationInputs, prm: RotationParams) -> float:
    """Optimal objective by enumerating every placement of every herd in every period."""
    days = prm.period_days
    n_t = len(inputs.periods)
    herds = inputs.herds
    plots = inputs.plots
    ua = prm.utilisation * inputs.available_kg
    pressure = [(p.degradation + min(p.load_ratio, 2.0) / 2.0) / 2.0 for p in plots]

    def allowed(h: Herd, i: int, t: int) -> bool:
        p = plots[i]
        if inputs.periods[t].season not in p.seasons or p.water_km > prm.max_water_km:
            return False
        if p.union_id is not None and p.union_id != h.union_id:
            return False
        d_home = math.hypot(p.x_km - h.home_x_km, p.y_km - h.home_y_km)
        if prm.max_home_km is not None and d_home > prm.max_home_km:
            return False
        return not (t == h.first_period and d_home > prm.max_move_km)

    def dist(i: int, j: int) -> float:
        return math.hypot(plots[i].x_km - plots[j].x_km, plots[i].y_km - plots[j].y_km)

    # every move-feasible sequence of each herd (None = unplaced)
    sequences = []
    for h in herds:
        last = n_t - 1 if h.last_period is None else h.last_period
        span = range(h.first_period, last + 1)
        options = [[None] + [i for i in range(len(plots)) if allowed(h, i, t)] for t in span]
        ok = []
        for seq in itertools.product(*options):
            if all(
                a is None or b is None or dist(a, b) <= prm.max_move_km + 1e-9
                for a, b in itertools.pairwise(seq)
            ):
                ok.append(dict(zip(span, seq, strict=True)))
        sequences.append(ok)

    rest_need = [
        math.ceil(prm.rest_days(inputs.periods[s + 1].season) / days - 1e-9) if s + 1 < n_t else 0
        for s in range(n_t)
    ]
    best = math.inf
    for combo in itertools.product(*sequences):
        on = [[False] * n_t for _ in plots]
        for seq in combo:
            for t, i in seq.items():
                if i is not None:
                    on[i][t] = True
        # rest: after a spell ends in s, periods s+1 .. s+R stay empty
        rest_ok = True
        for i in range(len(plots)):
            for s in range(n_t - 1):
                ended = on[i][s] and not on[i][s + 1]
                if ended and any(on[i][k] for k in range(s + 2, min(n_t, s + rest_need[s] + 1))):
                    rest_ok = False
        if not rest_ok or not _stays_ok(on, inputs, prm):
            continue
        # eat as much as allowed, earliest first (optimal for fixed placements)
        cost = 0.0
        for i in range(len(plots)):
            dep = 0.0
            for t in range(n_t):
                want = sum(
                    herds[k].demand_kg_day * days for k, seq in enumerate(combo) if seq.get(t) == i
                )
                eat = min(want, max(0.0, ua[i, t] - dep)) if want > 0 else 0.0
                cost += prm.weight_pressure * pressure[i] * eat - prm.weight_unfed * eat
                dep = max(0.0, dep + eat - float(inputs.regrowth_kg[i, t]))
        for k, seq in enumerate(combo):
            prev = None
            for i in seq.values():
                cost += prm.weight_unfed * herds[k].demand_kg_day * days
                if i is not None:
                    cost += prm.weight_walk_km * 2.0 * plots[i].water_km * days
                    if prev is not None and prev != i:
                        cost += prm.weight_move
                prev = i
        best = min(best, cost)
    return best


def _stays_ok(on: list[list[bool]], inputs: RotationInputs, prm: RotationParams) -> bool:
    """Every spell (run of grazed periods) lasts at most the longest stay of its first
    period's season, in whole periods rounded down."""
    for row in on:
        t = 0
        while t < len(row):
            if not row[t]:
                t += 1
                continue
            start = t
            while t < len(row) and row[t]:
                t += 1
            days = prm.max_stay_days_for(inputs.periods[start].season)
            if t - start > math.floor(days / prm.period_days + 1e-9):
                return False
    return True


SEASON_SETS = (frozenset({"spring"}), frozenset({"summer"}), frozenset({"spring", "summer"}))


def _small(seed: int) -> tuple[RotationInputs, RotationParams]:
    """A tiny random instance where forage, rest, moves, unions and seasons all bind."""
    rng = np.random.default_rng(1000 + seed)
    n_herds = 2 if seed % 3 else 3
    n_plots = 4 if n_herds == 2 else 3
    n_weeks = 4 if n_herds == 2 else 3
    start = date(2024, 5, 18)  # spring into summer
    periods = tuple(
        Period(start + timedelta(days=7 * k), "spring" if k < 2 else "summer")
        for k in range(n_weeks)
    )
    plots = tuple(
        Plot(
            id=f"P{i}",
            seasons=SEASON_SETS[int(rng.choice(3, p=[0.2, 0.2, 0.6]))],
            union_id=[None, "U1", "U2"][int(rng.choice(3, p=[0.5, 0.25, 0.25]))],
            area_ha=100.0,
            water_km=float(rng.uniform(0.0, 3.5)),
            x_km=float(rng.uniform(0.0, 10.0)),
            y_km=float(rng.uniform(0.0, 10.0)),
            degradation=float(rng.uniform()),
            load_ratio=float(rng.uniform(0.0, 2.5)),
        )
        for i in range(n_plots)
    )
    herds = tuple(
        Herd(
            id=f"H{k}",
            union_id=f"U{1 + k % 2}",
            sheep_units=50.0,
            demand_kg_day=float(rng.uniform(40.0, 150.0)),
            home_x_km=float(rng.uniform(0.0, 10.0)),
            home_y_km=float(rng.uniform(0.0, 10.0)),
            first_period=int(rng.integers(0, 2)) if k == 0 else 0,
        )
        for k in range(n_herds)
    )
    available = rng.uniform(500.0, 3000.0, (n_plots, n_weeks))
    regrowth = rng.uniform(50.0, 500.0, n_plots)
    inputs = RotationInputs(plots, herds, periods, available, regrowth)
    params = RotationParams(
        min_rest_days=float(rng.choice([7.0, 14.0, 30.0])),
        min_rest_days_by_season={"summer": 20.0} if seed % 4 == 0 else None,
        max_stay_days=[7.0, 14.0, 21.0, None][seed % 4],
        max_move_km=float(rng.uniform(4.0, 12.0)),
        max_water_km=3.0,
        weight_move=float(rng.choice([5.0, 500.0])),
    )
    return inputs, params


@pytest.mark.parametrize("seed", range(30))
def test_milp_matches_brute_force(seed):
    inputs, params = _small(seed)
    plan = plan_rotation(inputs, params, solver="milp", time_limit=30.0, mip_rel_gap=1e-9)
    assert plan.status == "optimal"
    expected = _brute_force(inputs, params)
    assert plan.objective == pytest.approx(expected, rel=1e-7, abs=1e-4)
    assert validate_plan(plan, inputs) == []
    # the heuristic is feasible, never better than the optimum, and its bound is a bound
    heur = plan_rotation(inputs, params, solver="heuristic", time_limit=1.0)
    assert validate_plan(heur, inputs) == []
    assert heur.objective >= expected - 1e-6 * abs(expected)
    assert heur.bound is not None and heur.bound <= expected + 1e-6 * abs(expected)


# ---------------------------------------------------------------- deficits


def _short_forage_inputs() -> RotationInputs:
    """One plot of 1,000 kg (500 grazeable), regrowth 100 kg/week; two herds."""
    periods = (
        Period(date(2024, 6, 3), "summer"),
        Period(date(2024, 6, 10), "summer"),
    )
    plots = (
        Plot("P1", frozenset({"summer"}), "U1", 50.0, 1.0, 0.0, 0.0),
        Plot("P2", frozenset({"summer"}), "U2", 50.0, 9.0, 4.0, 0.0),  # too far from water
    )
    herds = (
        Herd("H1", "U1", 100.0 / 1.4, 100.0, 0.0, 1.0),  # 700 kg DM a week
        Herd("H2", "U2", 50.0 / 1.4, 50.0, 0.0, 1.0),  # 350 kg DM a week, no reachable plot
    )
    available = np.array([[1000.0, 1000.0], [10_000.0, 10_000.0]])
    regrowth = np.array([100.0, 100.0])
    return RotationInputs(plots, herds, periods, available, regrowth)


@pytest.mark.parametrize("solver", ["milp", "heuristic"])
def test_short_forage_gives_hand_computed_deficit(solver):
    inputs = _short_forage_inputs()
    params = RotationParams(max_move_km=15.0)
    plan = plan_rotation(inputs, params, solver=solver, time_limit=10.0, mip_rel_gap=1e-9)
    assert validate_plan(plan, inputs) == []
    rows = {(a.herd_id, a.period): a for a in plan.assignments}
    # week 0: H1 eats 0.5 x 1000 = 500 of 700; week 1: 500 - (500 - 100) = 100 of 700
    assert rows["H1", 0].plot_id == "P1" and rows["H1", 0].eaten_kg == pytest.approx(500.0)
    assert rows["H1", 1].plot_id == "P1" and rows["H1", 1].eaten_kg == pytest.approx(100.0)
    assert rows["H2", 0].plot_id is None and rows["H2", 1].plot_id is None
    got = {(d.union_id, d.period): d for d in plan.deficits}
    assert set(got) == {("U1", 0), ("U1", 1), ("U2", 0), ("U2", 1)}
    expected_kg = {("U1", 0): 200.0, ("U1", 1): 600.0, ("U2", 0): 350.0, ("U2", 1): 350.0}
    for key, kg in expected_kg.items():
        assert got[key].deficit_kg == pytest.approx(kg)
        assert got[key].feed_kg_dm == pytest.approx(kg)
        assert got[key].sheep_units_to_move == pytest.approx(kg / (1.4 * 7))
    assert plan.objective_terms["unfed_kg"] == pytest.approx(1500.0)
    frame = plan.deficits_frame()
    assert frame["deficit_kg"].sum() == pytest.approx(1500.0)


# ---------------------------------------------------------------- heuristic


@pytest.mark.parametrize("seed", range(12))
def test_heuristic_plans_are_valid(seed):
    inputs = synthetic_instance(120, 8, 12, seed=seed, tight=seed % 3 == 0)
    params = RotationParams(max_home_km=25.0, min_rest_days_by_season={"summer": 45.0})
    plan = plan_rotation(inputs, params, solver="heuristic", time_limit=2.0, seed=seed)
    assert plan.solver == "heuristic"
    assert validate_plan(plan, inputs) == []
    assert plan.bound is not None and plan.bound <= plan.objective
    frame = plan.to_frame()
    assert len(frame) == sum(len(inputs.herd_periods(h)) for h in range(inputs.n_herds))


@pytest.mark.parametrize("seed", range(4))
def test_heuristic_is_not_better_than_milp_on_medium_instances(seed):
    inputs = synthetic_instance(24, 3, 5, seed=seed, tight=seed % 2 == 0)
    params = RotationParams(max_home_km=20.0, min_rest_days=14.0)
    exact = plan_rotation(inputs, params, solver="milp", time_limit=10.0, mip_rel_gap=1e-7)
    heur = plan_rotation(inputs, params, solver="heuristic", time_limit=1.0)
    assert validate_plan(exact, inputs) == []
    if exact.status == "optimal":
        assert heur.objective >= exact.objective - 1e-6 * abs(exact.objective)
    assert exact.bound is not None and heur.objective >= exact.bound - 1e-6 * abs(exact.bound)


# ---------------------------------------------------------------- API


def test_auto_picks_by_size_and_plan_serialises():
    inputs = synthetic_instance(30, 3, 4, seed=3)
    params = RotationParams(max_home_km=20.0)
    small = plan_rotation(inputs, params, solver="auto", time_limit=10.0)
    assert small.solver == "milp"
    large = plan_rotation(inputs, params, solver="auto", auto_max_pairs=0)
    assert large.solver == "heuristic"
    summary = small.summary()
    assert summary["params"] == params.model_dump()
    assert RotationParams(**summary["params"]) == params


def test_plans_are_reproducible():
    inputs = synthetic_instance(60, 5, 8, seed=5)
    a = plan_rotation(inputs, solver="heuristic", time_limit=1.0, seed=1)
    b = plan_rotation(inputs, solver="heuristic", time_limit=1.0, seed=1)
    assert a.assignments == b.assignments


def test_bad_inputs_and_params_are_refused():
    with pytest.raises(ValidationError):
        RotationParams(utilisation=1.5)
    with pytest.raises(ValidationError):
        RotationParams(min_rest_days_by_season={"monsoon": 10.0})
    inputs = _short_forage_inputs()
    with pytest.raises(InvalidInput, match="available_kg"):
        RotationInputs(inputs.plots, inputs.herds, inputs.periods, np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="unknown solver"):
        plan_rotation(inputs, solver="cplex")  # type: ignore[arg-type]


def test_synthetic_instance_is_seeded_and_realistic():
    a = synthetic_instance(400, 20, 26, seed=7)
    b = synthetic_instance(400, 20, 26, seed=7)
    assert np.array_equal(a.available_kg, b.available_kg) and a.herds == b.herds
    usable = a.season_ok.mean()
    assert 0.3 < usable < 0.55  # about 40% of plots usable in a given week
    assert {p.season for p in a.periods} == {"spring", "summer", "autumn"}
    assert a.periods[1].start - a.periods[0].start == timedelta(days=7)
