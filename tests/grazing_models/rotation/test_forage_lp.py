"""The forage LP bound: below the exact optimum, and each of its parts worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from functools import cache
from itertools import pairwise

import numpy as np
import pytest

from grazing_models.rotation import (
    Herd,
    Period,
    Plan,
    Plot,
    RotationInputs,
    RotationParams,
    forage_lp,
    plan_rotation,
    planner,
)
from grazing_models.rotation.forage_lp import ForageLp, forage_lower_bound, unique_keys
from grazing_models.rotation.herd_paths import herd_lower_bound
from grazing_models.rotation.herds_bound import priced_herd_bound
from grazing_models.rotation.highs import highs_api
from grazing_models.rotation.instances import synthetic_instance
from grazing_models.rotation.pairs import find_pairs, planning_pairs

from .test_planner import _brute_force, _small


def _bound(inputs: RotationInputs, params: RotationParams) -> float:
    return forage_lower_bound(inputs, params, find_pairs(inputs, params)).value


@pytest.mark.parametrize("seed", range(30))
def test_bound_is_below_the_brute_force_optimum(seed):
    inputs, params = _small(seed)
    optimum = _brute_force(inputs, params)
    assert _bound(inputs, params) <= optimum + 1e-6 * abs(optimum)


@cache
def season_with_optimum(seed: int) -> tuple[RotationInputs, RotationParams, Plan]:
    """12 weeks from mid-April (spring into summer, herds whose seasons start and end late)
    and its exact optimum, solved once per seed for every bound's test."""
    inputs = synthetic_instance(20, 3, 12, seed=seed, tight=seed % 2 == 0)
    # no limit on stays (12 weeks): the MILP proves these optima in under a minute only
    # without it, and the bound's test needs the optimum
    params = RotationParams(
        max_home_km=20.0, min_rest_days=14.0, max_migration_km=30.0, max_stay_days=84.0
    )
    # 30-50 s on a quiet machine; room for a loaded one (the test needs the optimum)
    exact = plan_rotation(inputs, params, solver="milp", time_limit=300.0, mip_rel_gap=1e-9)
    return inputs, params, exact


@pytest.mark.parametrize("seed", range(5))
def test_bound_is_below_the_milp_optimum_on_a_season(seed):
    inputs, params, exact = season_with_optimum(seed)
    assert exact.status == "optimal"
    assert _bound(inputs, params) <= exact.objective + 1e-6 * abs(exact.objective)


def _district(inputs: RotationInputs, params: RotationParams) -> float:
    """The district LP: every herd as one union's, on the plots and periods the planner
    gives it (``Candidates.anywhere``)."""
    anywhere = planning_pairs(inputs, params, max_pairs=None).anywhere
    return forage_lower_bound(inputs, params, anywhere, one_union=True).value


@pytest.mark.parametrize("seed", range(30))
def test_district_bound_is_below_the_brute_force_optimum(seed):
    inputs, params = _small(seed)
    optimum = _brute_force(inputs, params)
    assert _district(inputs, params) <= optimum + 1e-6 * abs(optimum)


@pytest.mark.parametrize("seed", range(5))
def test_district_bound_is_below_the_milp_optimum_on_a_season(seed):
    inputs, params, exact = season_with_optimum(seed)
    district = _district(inputs, params)
    assert 0.0 < district <= exact.objective + 1e-6 * abs(exact.objective)


def _own_plots_only() -> RotationInputs:
    """Two unions, each with one own plot at the water and no public pasture: U1's herd
    (700 kg DM a week, 3 weeks) has 1,050 kg grazeable over the season on its plot; U2's
    small herd has plenty on its own."""
    plots = (
        Plot("A", frozenset({"summer"}), "U1", 50.0, 0.0, 0.0, 0.0),
        Plot("B", frozenset({"summer"}), "U2", 50.0, 0.0, 1.0, 0.0),
    )
    herds = (
        Herd("H1", "U1", 100.0 / 1.4, 100.0, 0.0, 0.0),
        Herd("H2", "U2", 10.0 / 1.4, 10.0, 1.0, 0.0),
    )
    available = np.array([[2100.0] * 3, [1e6] * 3])
    return RotationInputs(plots, herds, _weeks(3), available, np.zeros(2))


def test_the_district_lp_lets_a_union_eat_another_unions_plot_and_stays_a_bound():
    # pooling the unions relaxes who may graze where: H1's 1,050 kg short on its own plot
    # are fed on U2's in the district LP, not in the unions' LP or any plan
    inputs, params = _own_plots_only(), RotationParams(max_stay_days=21.0)
    unions = _bound(inputs, params)
    district = _district(inputs, params)
    exact = plan_rotation(inputs, params, solver="milp", mip_rel_gap=1e-9)
    assert exact.status == "optimal"
    # the unions' LP: 1,050 kg unfed (a kg unfed saves a move of the 70 kg/day herd)
    short = 1050.0 * (params.weight_unfed - params.weight_move / 70.0)
    assert unions >= short * (1.0 - 1e-6)
    assert -1e-6 <= district < 0.01 * unions  # 0 less the shave of its tolerances
    assert unions <= exact.objective + 1e-6 * abs(exact.objective)


def _weeks(n: int, season: str = "summer") -> tuple[Period, ...]:
    return tuple(Period(date(2024, 6, 3) + timedelta(days=7 * k), season) for k in range(n))


def _scarce_plot_by_water() -> RotationInputs:
    """One herd of 700 kg DM a week for 3 weeks; P1 at the water holds 1,050 kg grazeable
    over the whole season (no regrowth), P2 1 km from water holds plenty."""
    plots = (
        Plot("P1", frozenset({"summer"}), None, 50.0, 0.0, 0.0, 0.0),
        Plot("P2", frozenset({"summer"}), None, 50.0, 1.0, 1.0, 0.0),
    )
    herds = (Herd("H1", "U1", 100.0 / 1.4, 100.0, 0.0, 0.0),)
    available = np.array([[2100.0] * 3, [1e6] * 3])
    return RotationInputs(plots, herds, _weeks(3), available, np.zeros(2))


def test_windows_hold_the_season_forage_of_a_plot():
    inputs = _scarce_plot_by_water()
    params = RotationParams()
    # 1,050 kg on P1; the other 1,050 kg on P2 walk 7 per week of 700 kg: 10.5
    got = forage_lower_bound(inputs, params, find_pairs(inputs, params))
    assert got.value == pytest.approx(10.5, rel=1e-6)
    assert got.complete and got.windows >= 1
    # a kg on P1 saves a kg on P2, 7 / 700 of walking: its price; P2's forage is free
    assert got.price[0].max() == pytest.approx(0.01, rel=1e-6)
    assert np.all(got.price[1] == 0.0)
    # the exact plan: a week on P1, a move, two weeks on P2
    exact = plan_rotation(inputs, params, solver="milp", mip_rel_gap=1e-9)
    assert exact.objective == pytest.approx(5.0 + 14.0)
    # were P1 to regrow what is eaten, the herd could stay there: no walking at all
    regrowing = RotationInputs(
        inputs.plots, inputs.herds, inputs.periods, inputs.available_kg, np.array([1e6, 0.0])
    )
    assert _bound(regrowing, params) == pytest.approx(0.0, abs=1e-6)


def _spring_then_summer(last_period: int | None = None) -> RotationInputs:
    """Two herds (700 and 420 kg DM a week), two weeks of spring, two of summer; every plot
    serves one season, at the water, with plenty of forage."""
    plots = tuple(
        Plot(f"{s[:2].upper()}{k}", frozenset({s}), None, 50.0, 0.0, 3.0 * k, 0.0)
        for s in ("spring", "summer")
        for k in range(2)
    )
    herds = (
        Herd("H1", "U1", 100.0 / 1.4, 100.0, 0.0, 0.0),
        Herd("H2", "U1", 60.0 / 1.4, 60.0, 3.0, 0.0, last_period=last_period),
    )
    periods = _weeks(2, "spring") + tuple(
        Period(date(2024, 6, 17) + timedelta(days=7 * k), "summer") for k in range(2)
    )
    return RotationInputs(plots, herds, periods, np.full((4, 4), 1e6), np.zeros(4))


def test_every_herd_moves_when_the_season_changes():
    inputs = _spring_then_summer()
    params = RotationParams()
    # both herds must leave spring pasture: two moves, whatever their size
    assert _bound(inputs, params) == pytest.approx(2 * params.weight_move, rel=1e-6)
    exact = plan_rotation(inputs, params, solver="milp", mip_rel_gap=1e-9)
    assert exact.objective == pytest.approx(2 * params.weight_move)
    # a herd whose season ends with spring does not move
    ends = _spring_then_summer(last_period=1)
    assert _bound(ends, params) == pytest.approx(params.weight_move, rel=1e-6)
    # with the herds in two unions, the district LP (both pooled) still counts both moves
    two = replace(inputs, herds=(inputs.herds[0], replace(inputs.herds[1], union_id="U2")))
    assert _district(two, params) == pytest.approx(2 * params.weight_move, rel=1e-6)
    assert _district(ends, params) == pytest.approx(params.weight_move, rel=1e-6)


def test_a_herd_off_the_plan_saves_its_move():
    # A move dearer than a week unfed: the best plan leaves each herd off for a week
    # instead; the bound must not count moves the plan need not make.
    inputs = _spring_then_summer()
    params = RotationParams(weight_move=1e9)
    exact = plan_rotation(inputs, params, solver="milp", mip_rel_gap=1e-9)
    assert exact.objective == pytest.approx(100.0 * (700.0 + 420.0))
    assert _bound(inputs, params) <= exact.objective * (1 + 1e-9)


def test_no_candidate_leaves_every_kg_unfed():
    inputs = _scarce_plot_by_water()
    params = RotationParams(max_water_km=0.0001, max_move_km=0.0001)
    # P1 is at the water but the herd's home is 0 km away: it may start there; make it not
    far = RotationInputs(
        inputs.plots,
        (Herd("H1", "U1", 100.0 / 1.4, 100.0, 50.0, 50.0),),
        inputs.periods,
        inputs.available_kg,
        inputs.regrowth_kg,
    )
    # no placement is allowed in the first week; later weeks may use P1 (1,050 kg)
    pairs = find_pairs(far, params)
    assert set(pairs.t.tolist()) == {1, 2}
    got = forage_lower_bound(far, params, pairs)
    unfed_kg = 2100.0 - 1050.0
    assert got.value == pytest.approx((100.0 - 5.0 / 700.0) * unfed_kg, rel=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_generated_columns_reach_the_bound_of_all_columns(seed, monkeypatch):
    inputs = synthetic_instance(60, 8, 12, seed=seed, tight=seed % 2 == 1)
    params = RotationParams(max_home_km=20.0, min_rest_days=14.0, max_migration_km=30.0)
    pairs = find_pairs(inputs, params)
    full = forage_lower_bound(inputs, params, pairs)
    monkeypatch.setattr(forage_lp, "ALL_COLUMNS_MAX", 0)
    monkeypatch.setattr(
        forage_lp, "_START_SHARE", 0.5
    )  # start short of demand: columns must come in
    generated = forage_lower_bound(inputs, params, pairs)
    assert full.complete and generated.complete
    assert generated.value == pytest.approx(full.value, rel=1e-6, abs=1e-6)
    # stopped after the first round, the Lagrangian bound is still below the LP's optimum
    first = forage_lower_bound(inputs, params, pairs, max_rounds=1)
    assert first.value <= full.value + 1e-6 * abs(full.value)


def test_a_time_limit_counts_from_each_solve():
    # HiGHS keeps one clock over all solves of an instance: a limit of "what is left" must
    # be added to the time it has already run, or a later round stops before it starts.
    inputs = synthetic_instance(60, 8, 12, seed=3)
    params = RotationParams(max_home_km=30.0)
    lp = ForageLp(inputs, params, find_pairs(inputs, params), highs_api())
    assert lp.solve(None)
    ran = lp.highs.getRunTime()
    assert ran > 0.0
    # make the most eaten column dear: a few pivots from the last basis
    used = int(np.argmax(lp.highs.getSolution().col_value))
    lp.highs.changeColCost(used, 1e3)
    # a limit of 5 s for this round: HiGHS' own option must be the time already run plus 5
    # (a bare 5 would also pass here only because the first solve took under 5 s, so the
    # option is checked, not the clock)
    assert lp.solve(5.0)
    assert lp.highs.getSolution().col_value[used] == 0.0
    _, limit = lp.highs.getOptionValue("time_limit")
    assert limit == pytest.approx(ran + 5.0)


def test_a_bound_cut_short_stays_a_bound():
    inputs = synthetic_instance(120, 12, 16, seed=4)
    params = RotationParams(max_home_km=40.0)
    pairs = find_pairs(inputs, params)
    seen: list[forage_lp.ForageBound] = []
    full = forage_lower_bound(inputs, params, pairs, on_round=seen.append)
    # each round reports what it proved: never less than the round before, the last the end
    assert [b.rounds for b in seen] == list(range(1, full.rounds + 1))
    assert all(b.value <= c.value for b, c in pairwise(seen))
    assert seen[-1].value == full.value and seen[-1].complete and not seen[0].complete
    one = forage_lower_bound(inputs, params, pairs, max_rounds=1)
    assert one.value == seen[0].value
    none = forage_lower_bound(inputs, params, pairs, time_limit=0.0)
    assert full.complete and not none.complete
    assert none.value == -np.inf and none.rounds == 0
    assert one.value <= full.value
    plan = plan_rotation(inputs, params, solver="heuristic", time_limit=5.0)
    proven = [full.value, *(plan.stats.get(k, -np.inf) for k in ("bound_herds", "bound_district"))]
    assert plan.bound == pytest.approx(max(proven))
    assert plan.objective >= plan.bound


def test_a_failing_bound_fails_the_plan(monkeypatch):
    # the bound runs in a thread alongside the heuristic: its error must reach the caller,
    # not leave a plan that silently has no bound
    def broken(*args, **kwargs):
        raise RuntimeError("LP broke")

    monkeypatch.setattr(planner, "forage_lower_bound", broken)
    inputs = synthetic_instance(30, 4, 6, seed=1)
    with pytest.raises(RuntimeError, match="LP broke"):
        plan_rotation(inputs, RotationParams(max_home_km=30.0), solver="heuristic")
    plan = plan_rotation(inputs, RotationParams(max_home_km=30.0), solver="heuristic", bound=False)
    assert plan.bound is None and "bound_forage" not in plan.stats


def _priced(inputs: RotationInputs, params: RotationParams, times: float = 1.0) -> float:
    # any multiple of the LP's duals is a Lagrange multiplier: the bound must hold for all
    pairs = find_pairs(inputs, params)
    lp = forage_lower_bound(inputs, params, pairs)
    scaled = replace(lp, rows=replace(lp.rows, lam=times * lp.rows.lam))
    return priced_herd_bound(inputs, params, pairs, scaled)


@pytest.mark.parametrize("times", [1.0, 3.0, 1e4])
@pytest.mark.parametrize("seed", range(30))
def test_priced_herds_are_below_the_brute_force_optimum(seed, times):
    inputs, params = _small(seed)
    optimum = _brute_force(inputs, params)
    assert _priced(inputs, params, times) <= optimum + 1e-6 * abs(optimum)


@pytest.mark.parametrize("times", [1.0, 1e4])
@pytest.mark.parametrize("seed", range(5))
def test_priced_herds_are_below_the_milp_optimum_on_a_season(seed, times):
    inputs, params, exact = season_with_optimum(seed)
    assert exact.status == "optimal"
    assert _priced(inputs, params, times) <= exact.objective + 1e-6 * abs(exact.objective)


def test_prices_raise_the_herds_bound_where_herds_compete():
    # many herds, little forage: planned alone each eats its fill; priced, they pay for it
    inputs = synthetic_instance(60, 12, 10, seed=2, tight=True)
    params = RotationParams(max_home_km=30.0)
    pairs = find_pairs(inputs, params)
    alone = herd_lower_bound(inputs, params, pairs).total
    lp = forage_lower_bound(inputs, params, pairs)
    priced = priced_herd_bound(inputs, params, pairs, lp)
    assert lp.price_value > 0.0
    assert priced > alone
    plan = plan_rotation(inputs, params, solver="heuristic")
    assert plan.stats["bound_herds_priced"] == 1.0
    # the LP's duals first, then better multipliers (grazing_models.rotation.lagrangian)
    assert plan.stats["bound_herds"] >= priced - 1e-9 * abs(priced)
    assert plan.objective >= plan.bound >= max(priced, lp.value) - 1e-9 * abs(plan.bound)


@pytest.mark.parametrize(("n", "n_keys"), [(1000, 300), (50, 5000), (0, 10)])
def test_unique_keys_match_numpy(n, n_keys):
    keys = np.random.default_rng(n).integers(0, n_keys, n)
    assert np.array_equal(unique_keys(keys, n_keys), np.unique(keys))
