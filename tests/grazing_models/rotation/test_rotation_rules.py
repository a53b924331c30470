"""Rest per season and the longest stay: the parameters' rounding and every solver keeping
them where staying put would be cheaper."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from pydantic import ValidationError

from grazing_models.rotation import (
    Herd,
    Period,
    Plot,
    RotationInputs,
    RotationParams,
    plan_rotation,
    validate_plan,
)
from grazing_models.rotation.greedy import greedy_best
from grazing_models.rotation.herd_paths import herd_lower_bound, sequential_plan
from grazing_models.rotation.model import DEFAULT_MIN_REST_DAYS_BY_SEASON
from grazing_models.rotation.objective import build_plan
from grazing_models.rotation.pairs import find_pairs


def test_rest_rounds_up_and_stay_rounds_down_to_whole_periods():
    params = RotationParams(min_rest_days_by_season={"summer": 45.0}, max_stay_days=20.0)
    assert params.rest_periods("summer") == 7  # 45 days: 6 weeks would be 42, too short
    assert params.max_stay_periods("spring") == 2  # 20 days: 3 weeks would be 21, too long
    # seasons not given take the one number, and with none the per-season defaults
    assert RotationParams(min_rest_days=10.0).rest_days("autumn") == 10.0
    for season, days in DEFAULT_MIN_REST_DAYS_BY_SEASON.items():
        assert RotationParams().rest_days(season) == days


def test_a_stay_shorter_than_a_period_is_refused_with_the_fix():
    with pytest.raises(ValidationError, match=r"shorter than one period .* period_days"):
        RotationParams(max_stay_days_by_season={"spring": 3.0})
    with pytest.raises(ValidationError, match="unknown season 'monsoon'"):
        RotationParams(max_stay_days_by_season={"monsoon": 14.0})
    assert RotationParams(max_stay_days=3.0, period_days=3).max_stay_periods("summer") == 1


def _one_good_plot(n_weeks: int = 8) -> RotationInputs:
    """One herd at home on P0 (water at the plot, forage for the whole season) and four
    plots 1 km from water around it: staying on P0 is the cheapest plan of all."""
    periods = tuple(
        Period(date(2024, 4, 15) + timedelta(days=7 * k), "spring") for k in range(n_weeks)
    )
    spring = frozenset({"spring"})
    near = (Plot(f"P{i}", spring, "U1", 100.0, 1.0, float(i), 0.0) for i in range(1, 5))
    plots = (Plot("P0", spring, "U1", 100.0, 0.0, 0.0, 0.0), *near)
    herds = (Herd("H1", "U1", 100.0 / 1.4, 100.0, 0.0, 0.0),)  # 700 kg DM a week
    available = np.full((len(plots), n_weeks), 20_000.0)
    return RotationInputs(plots, herds, periods, available, np.full(len(plots), 1_000.0))


def _longest_spell(plot_of: np.ndarray) -> int:
    longest = 0
    for row in plot_of:
        run, prev = 0, -1
        for p in row:
            run = 0 if p < 0 else (run + 1 if p == prev else 1)
            longest, prev = max(longest, run), p
    return longest


def _solve(solver: str, inputs: RotationInputs, params: RotationParams) -> np.ndarray:
    pairs = find_pairs(inputs, params)
    if solver == "greedy":
        plot_of, _ = greedy_best(inputs, params, pairs, time_budget=0.0, seed=0)
    elif solver == "herd_paths":
        plot_of = sequential_plan(inputs, params, pairs, np.arange(inputs.n_herds)).plot_of
    else:
        plan = plan_rotation(inputs, params, solver=solver, time_limit=20.0)  # type: ignore[arg-type]
        assert validate_plan(plan, inputs) == []
        plot_of = np.full((inputs.n_herds, inputs.n_periods), -1)
        for a in plan.assignments:
            plot_of[0, a.period] = -1 if a.plot_id is None else inputs.plot_index[a.plot_id]
    return plot_of


@pytest.mark.parametrize("solver", ["greedy", "herd_paths", "heuristic", "milp"])
def test_every_solver_moves_the_herd_on_after_the_longest_stay(solver):
    inputs = _one_good_plot()
    set_stocking = RotationParams(max_stay_days=56.0, min_rest_days=20.0)
    stays = _solve(solver, inputs, set_stocking)
    assert _longest_spell(stays) == 8  # without the rule the herd never leaves P0
    rotation = RotationParams(max_stay_days=14.0, min_rest_days=20.0)
    plot_of = _solve(solver, inputs, rotation)
    assert _longest_spell(plot_of) <= 2
    plan = build_plan(
        plot_of, inputs, rotation, solver="x", status="x", bound=None, timings={}, stats={}
    )
    assert validate_plan(plan, inputs) == []
    assert plan.objective_terms["unfed_kg"] == pytest.approx(0.0, abs=1e-6)  # plots enough
    # the herds bound keeps the stay limit too, and stays below the plan
    bound = herd_lower_bound(inputs, rotation, find_pairs(inputs, rotation)).total
    assert bound <= plan.objective + 1e-9
    assert bound > herd_lower_bound(inputs, set_stocking, find_pairs(inputs, set_stocking)).total


def _spells(row: np.ndarray, plot: int) -> int:
    on = np.r_[False, row == plot]
    return int(np.count_nonzero(on[1:] & ~on[:-1]))


@pytest.mark.parametrize("solver", ["greedy", "milp"])
def test_rest_follows_the_season(solver):
    # P0 is the best plot: after its first spell (2 weeks) the herd comes back once it has
    # rested 20 days (3 weeks), but not within the season after 45 days (7 weeks)
    inputs = _one_good_plot()
    short = RotationParams(max_stay_days=14.0, min_rest_days_by_season={"spring": 20.0})
    assert _spells(_solve(solver, inputs, short)[0], 0) == 2
    long = RotationParams(max_stay_days=14.0, min_rest_days_by_season={"spring": 45.0})
    plot_of = _solve(solver, inputs, long)
    assert _spells(plot_of[0], 0) == 1
    plan = build_plan(
        plot_of, inputs, long, solver="x", status="x", bound=None, timings={}, stats={}
    )
    assert validate_plan(plan, inputs) == []


def test_spring_pasture_opens_at_each_plots_own_green_up():
    """Plots that share a green-up date share their season row; each row is what the
    plot's own ``open_in`` says, week by week."""
    from dataclasses import replace

    from grazing_models.rotation.instances import synthetic_instance

    inputs = synthetic_instance(60, 4, 12, seed=5)
    start = inputs.periods[0].start
    dates = [start + timedelta(days=d) for d in (10, 10, 24, 45)]
    plots = tuple(
        replace(p, greenup=dates[i % len(dates)]) if "spring" in p.seasons else p
        for i, p in enumerate(inputs.plots)
    )
    greened = RotationInputs(
        plots, inputs.herds, inputs.periods, inputs.available_kg, inputs.regrowth_kg
    )
    assert any(p.greenup is not None for p in plots)
    for i, plot in enumerate(plots):
        want = [plot.open_in(per) for per in inputs.periods]
        assert greened.season_ok[i].tolist() == want, plot.id
    # a later green-up closes spring pasture for longer
    late = [i for i, p in enumerate(plots) if p.greenup == dates[3] and p.seasons == {"spring"}]
    early = [i for i, p in enumerate(plots) if p.greenup == dates[0] and p.seasons == {"spring"}]
    if late and early:
        assert greened.season_ok[late[0]].sum() < greened.season_ok[early[0]].sum()
