"""The validator finds each rule broken on purpose in a valid hand-made plan."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import numpy as np
import pytest

from grazing_models.rotation import (
    RULES,
    Assignment,
    Herd,
    Period,
    Plan,
    Plot,
    RotationInputs,
    RotationParams,
    UnionDeficit,
    Violation,
    plan_rotation,
    validate_plan,
)
from grazing_models.rotation.instances import synthetic_instance

DEMAND_DAY = 100.0  # kg DM/day for both herds: 700 kg a week
PARAMS = RotationParams(min_rest_days=14, max_stay_days=28, max_move_km=15, max_water_km=5)
SPRING = frozenset({"spring"})


def _plot(pid: str, union: str | None, x: float, *, water: float = 1.0, seasons=SPRING) -> Plot:
    return Plot(pid, seasons, union, area_ha=100.0, water_km=water, x_km=x, y_km=0.0)


PLOTS = (
    _plot("A", "U1", 0.0),
    _plot("B", None, 2.0),
    _plot("C", "U2", 4.0),
    _plot("S", "U1", 1.0, seasons=frozenset({"summer"})),
    _plot("W", "U1", 1.0, water=9.0),
    _plot("F", "U1", 50.0),
    _plot("G", "U1", 0.5),  # little forage: 500 kg grazeable a week
)


def _inputs(*, regrowth_g: float = 100.0) -> RotationInputs:
    periods = tuple(Period(date(2024, 4, 15) + timedelta(days=7 * k), "spring") for k in range(4))
    herds = (
        Herd("H1", "U1", 70.0, DEMAND_DAY, 0.0, 0.0),
        Herd("H2", "U2", 70.0, DEMAND_DAY, 4.0, 0.0),
    )
    available = np.full((len(PLOTS), 4), 10_000.0)
    available[6] = 1_000.0
    regrowth = np.full(len(PLOTS), 1_000.0)
    regrowth[6] = regrowth_g
    return RotationInputs(PLOTS, herds, periods, available, regrowth)


def _plan(rows: list[tuple[str, int, str | None, float]], *, params=PARAMS) -> Plan:
    """A plan from (herd, period, plot, eaten) rows, with deficits computed here."""
    week = DEMAND_DAY * params.period_days
    assignments = tuple(Assignment(h, t, p, e, week) for h, t, p, e in rows)
    deficits: dict[tuple[str, int], float] = {}
    for a in assignments:
        if a.demand_kg - a.eaten_kg > 0:
            key = ("U1" if a.herd_id == "H1" else "U2", a.period)
            deficits[key] = deficits.get(key, 0.0) + a.demand_kg - a.eaten_kg
    su_kg = params.intake_kg_dm_per_su_day * params.period_days
    return Plan(
        assignments=assignments,
        deficits=tuple(UnionDeficit(u, t, kg, kg / su_kg, kg) for (u, t), kg in deficits.items()),
        solver="hand",
        status="feasible",
        objective=0.0,
        bound=None,
        gap=None,
        objective_terms={},
        params=params,
    )


def _valid_rows() -> list[tuple[str, int, str | None, float]]:
    return [
        ("H1", 0, "A", 700.0),
        ("H1", 1, "A", 700.0),
        ("H1", 2, "B", 700.0),
        ("H1", 3, "B", 700.0),
        ("H2", 0, "C", 700.0),
        ("H2", 1, "C", 700.0),
        ("H2", 2, "B", 700.0),
        ("H2", 3, "B", 700.0),
    ]


def _with(rows, herd: str, period: int, plot: str | None, eaten: float = 700.0):
    return [
        (h, t, plot, eaten) if (h, t) == (herd, period) else (h, t, p, e) for h, t, p, e in rows
    ]


def _only(violations: list[Violation], rule: str) -> list[Violation]:
    found = [v for v in violations if v.rule == rule]
    assert found, f"expected a {rule} violation, got {violations}"
    return found


def test_valid_plan_has_no_violation():
    assert validate_plan(_plan(_valid_rows()), _inputs()) == []


def test_out_of_season():
    (v,) = _only(
        validate_plan(_plan(_with(_valid_rows(), "H1", 0, "S")), _inputs()), "out_of_season"
    )
    assert (v.herd_id, v.plot_id, v.period) == ("H1", "S", 0)


def test_wrong_union():
    rows = _with(_valid_rows(), "H1", 1, "C")
    (v,) = _only(validate_plan(_plan(rows), _inputs()), "wrong_union")
    assert (v.herd_id, v.plot_id, v.period) == ("H1", "C", 1)


def test_public_pasture_is_open_to_every_union():
    rows = _with(_valid_rows(), "H2", 0, "B")
    rows = _with(rows, "H2", 1, "B")
    assert [v for v in validate_plan(_plan(rows), _inputs()) if v.rule == "wrong_union"] == []


def test_water_too_far():
    rows = _with(_valid_rows(), "H1", 1, "W")
    (v,) = _only(validate_plan(_plan(rows), _inputs()), "water_too_far")
    assert (v.herd_id, v.plot_id, v.period) == ("H1", "W", 1)


def test_move_too_long():
    rows = _with(_valid_rows(), "H1", 3, "F")
    (v,) = _only(validate_plan(_plan(rows), _inputs()), "move_too_long")
    assert (v.herd_id, v.plot_id, v.period) == ("H1", "F", 3)


def test_move_from_home_in_the_first_period():
    rows = _with(_valid_rows(), "H1", 0, "F")
    found = _only(validate_plan(_plan(rows), _inputs()), "move_too_long")
    assert {(v.herd_id, v.period) for v in found} == {("H1", 0), ("H1", 1)}


def test_no_move_limit_after_an_unplaced_period():
    rows = _with(_with(_valid_rows(), "H1", 2, None, 0.0), "H1", 3, "F")
    violations = validate_plan(_plan(rows), _inputs())
    assert [v.rule for v in violations] == []


def test_too_far_from_home():
    params = PARAMS.model_copy(update={"max_home_km": 1.5})
    violations = validate_plan(_plan(_valid_rows(), params=params), _inputs())
    found = _only(violations, "too_far_from_home")
    # B is 2 km from both homes; A and C are the homes themselves
    assert {(v.herd_id, v.plot_id, v.period) for v in found} == {
        (h, "B", t) for h in ("H1", "H2") for t in (2, 3)
    }


def test_rest_too_short():
    # A grazed in 0, empty in 1, re-entered in 2: 7 days of rest < 14
    rows = _with(_with(_valid_rows(), "H1", 1, "B"), "H1", 2, "A")
    (v,) = _only(validate_plan(_plan(rows), _inputs()), "rest_too_short")
    assert (v.plot_id, v.period) == ("A", 2)


def test_rest_long_enough_passes():
    rows = _with(_with(_with(_valid_rows(), "H1", 1, "B"), "H1", 2, "B"), "H1", 3, "A")
    assert validate_plan(_plan(rows), _inputs()) == []


def test_rest_follows_the_season_override():
    rows = _with(_with(_with(_valid_rows(), "H1", 1, "B"), "H1", 2, "B"), "H1", 3, "A")
    params = PARAMS.model_copy(update={"min_rest_days_by_season": {"spring": 20.0}})
    (v,) = _only(validate_plan(_plan(rows, params=params), _inputs()), "rest_too_short")
    assert (v.plot_id, v.period) == ("A", 3)


def test_stay_too_long_counts_every_herd_on_the_plot():
    # B carries H1 in 1, H1 and H2 in 2 and 3: one spell of 3 weeks, 21 days > 14 (2 weeks),
    # although neither herd stays there longer than the other's spell alone would allow
    rows = _with(_valid_rows(), "H1", 1, "B")
    params = PARAMS.model_copy(update={"max_stay_days": 14.0})
    (v,) = _only(validate_plan(_plan(rows, params=params), _inputs()), "stay_too_long")
    assert (v.plot_id, v.period) == ("B", 3)
    # 20 days round down to 2 weeks: the same; 21 days allow it
    twenty = PARAMS.model_copy(update={"max_stay_days": 20.0})
    _only(validate_plan(_plan(rows, params=twenty), _inputs()), "stay_too_long")
    three_weeks = PARAMS.model_copy(update={"max_stay_days": 21.0})
    assert validate_plan(_plan(rows, params=three_weeks), _inputs()) == []


def test_stay_limit_is_that_of_the_season_of_the_spell_start():
    inputs = _migrating_inputs()  # the last week is summer
    rows = _with(_valid_rows(), "H1", 1, "B")  # B: weeks 1-3, from spring into summer
    by_season = {"spring": 21.0, "summer": 7.0}
    params = PARAMS.model_copy(update={"max_stay_days_by_season": by_season})
    assert validate_plan(_plan(rows, params=params), inputs) == []
    swapped = PARAMS.model_copy(update={"max_stay_days_by_season": {"spring": 7.0, "summer": 21.0}})
    found = _only(validate_plan(_plan(rows, params=swapped), inputs), "stay_too_long")
    # B from week 1 (3 weeks) and C from week 0 (H2: 2 weeks) break a 1-week spring limit
    assert {(v.plot_id, v.period) for v in found} == {("B", 2), ("C", 1)}


def test_over_utilisation_in_one_period():
    rows = _with(_valid_rows(), "H1", 0, "G", 600.0)  # 500 kg allowed
    (v,) = _only(validate_plan(_plan(rows), _inputs()), "over_utilisation")
    assert (v.plot_id, v.period) == ("G", 0)


def test_over_utilisation_counts_depletion_and_regrowth():
    # G: 500 kg allowed a week; after eating 500 with 100 regrowth only 100 is allowed
    rows = _with(_with(_valid_rows(), "H1", 0, "G", 500.0), "H1", 1, "G", 300.0)
    (v,) = _only(validate_plan(_plan(rows), _inputs(regrowth_g=100.0)), "over_utilisation")
    assert (v.plot_id, v.period) == ("G", 1)
    # with 300 kg regrowth, 300 kg is allowed in the second week
    assert validate_plan(_plan(rows), _inputs(regrowth_g=300.0)) == []


def test_missing_herd():
    rows = [r for r in _valid_rows() if (r[0], r[1]) != ("H2", 2)]
    (v,) = _only(validate_plan(_plan(rows), _inputs()), "missing_herd")
    assert (v.herd_id, v.period) == ("H2", 2)


def test_unplaced_herd_is_not_missing_but_needs_its_deficit():
    rows = _with(_valid_rows(), "H2", 2, None, 0.0)
    assert validate_plan(_plan(rows), _inputs()) == []
    plan = _plan(rows)
    no_deficit = dataclasses.replace(plan, deficits=())
    (v,) = _only(validate_plan(no_deficit, _inputs()), "deficit_mismatch")
    assert v.period == 2


def test_deficit_sheep_units_and_feed_must_match():
    plan = _plan(_with(_valid_rows(), "H1", 1, "A", 350.0))
    (d,) = plan.deficits
    assert d.deficit_kg == pytest.approx(350.0)
    assert d.sheep_units_to_move == pytest.approx(350.0 / (1.4 * 7))
    bad = dataclasses.replace(plan, deficits=(dataclasses.replace(d, sheep_units_to_move=1.0),))
    _only(validate_plan(bad, _inputs()), "deficit_mismatch")
    wrong_kg = dataclasses.replace(
        plan, deficits=(UnionDeficit("U1", 1, 100.0, 100.0 / 9.8, 100.0),)
    )
    _only(validate_plan(wrong_kg, _inputs()), "deficit_mismatch")


def test_demand_and_eaten_out_of_range():
    plan = _plan(_valid_rows())
    first = dataclasses.replace(plan.assignments[0], demand_kg=500.0)
    second = dataclasses.replace(plan.assignments[1], eaten_kg=900.0)
    bad = dataclasses.replace(plan, assignments=(first, second, *plan.assignments[2:]))
    rules = {v.rule for v in validate_plan(bad, _inputs())}
    assert {"demand_mismatch", "eaten_out_of_range"} <= rules


def test_duplicate_unknown_and_outside_season():
    plan = _plan(_valid_rows())
    extra = (
        plan.assignments[0],
        Assignment("H9", 0, "A", 0.0, 700.0),
        Assignment("H1", 1, "Z", 0.0, 700.0),
    )
    rules = {
        v.rule
        for v in validate_plan(
            dataclasses.replace(plan, assignments=plan.assignments + extra), _inputs()
        )
    }
    assert {"duplicate_assignment", "unknown_id"} <= rules
    inputs = _inputs()
    short = RotationInputs(
        inputs.plots,
        (dataclasses.replace(inputs.herds[0], last_period=2), inputs.herds[1]),
        inputs.periods,
        inputs.available_kg,
        inputs.regrowth_kg,
    )
    (v,) = _only(validate_plan(plan, short), "outside_grazing_season")
    assert (v.herd_id, v.period) == ("H1", 3)


def test_every_rule_has_a_test():
    tested = {
        "unknown_id",
        "duplicate_assignment",
        "outside_grazing_season",
        "missing_herd",
        "demand_mismatch",
        "eaten_out_of_range",
        "out_of_season",
        "wrong_union",
        "water_too_far",
        "too_far_from_home",
        "move_too_long",
        "over_utilisation",
        "rest_too_short",
        "stay_too_long",
        "deficit_mismatch",
    }
    assert tested == set(RULES)


@pytest.mark.parametrize("solver", ["milp", "heuristic"])
@pytest.mark.parametrize("seed", range(4))
def test_solver_output_has_no_violation(solver, seed):
    inputs = synthetic_instance(40, 5, 8, seed=seed, tight=seed % 2 == 1)
    params = RotationParams(max_home_km=20.0, min_rest_days=14.0)
    plan = plan_rotation(inputs, params, solver=solver, time_limit=5.0, mip_rel_gap=0.05)
    assert validate_plan(plan, inputs) == []


def _migrating_inputs() -> RotationInputs:
    """The same district, but its last period is summer; A, B and F (50 km away) are summer plots too."""
    base = _inputs()
    plots = tuple(
        dataclasses.replace(p, seasons=frozenset({"spring", "summer"}))
        if p.id in ("A", "B", "F")
        else p
        for p in base.plots
    )
    periods = (*base.periods[:3], dataclasses.replace(base.periods[3], season="summer"))
    return RotationInputs(plots, base.herds, periods, base.available_kg, base.regrowth_kg)


def test_migration_allowance_applies_only_into_a_new_season():
    inputs = _migrating_inputs()
    into_summer = _with(_valid_rows(), "H1", 3, "F")  # 48 km from B, first summer week
    migrating = PARAMS.model_copy(update={"max_migration_km": 60.0})
    assert validate_plan(_plan(into_summer, params=migrating), inputs) == []
    # without the allowance the same move is too long
    (v,) = _only(validate_plan(_plan(into_summer, params=PARAMS), inputs), "move_too_long")
    assert (v.herd_id, v.plot_id, v.period) == ("H1", "F", 3)
    # within a season the allowance does not apply
    within_spring = _with(_with(_valid_rows(), "H1", 2, "F"), "H1", 3, "F")
    found = _only(validate_plan(_plan(within_spring, params=migrating), inputs), "move_too_long")
    assert {(f.herd_id, f.period) for f in found} == {("H1", 2)}


@pytest.mark.parametrize("solver", ["milp", "heuristic"])
def test_solvers_use_the_migration_allowance(solver: str):
    inputs = _migrating_inputs()
    # B has no summer forage left for H1 in the last week: only F (far away) feeds it then
    available = inputs.available_kg.copy()
    for pid in ("A", "B", "G", "W", "S"):
        available[[p.id for p in inputs.plots].index(pid), 3] = 0.0
    inputs = RotationInputs(
        inputs.plots, inputs.herds, inputs.periods, available, inputs.regrowth_kg
    )
    migrating = PARAMS.model_copy(update={"max_migration_km": 60.0})
    plan = plan_rotation(inputs, migrating, solver=solver)
    assert validate_plan(plan, inputs) == []
    last = {a.herd_id: a.plot_id for a in plan.assignments if a.period == 3}
    assert last["H1"] == "F"
    # without the allowance H1 cannot reach F in the first summer week and goes unfed
    strict = plan_rotation(inputs, PARAMS, solver=solver)
    assert validate_plan(strict, inputs) == []
    assert {a.herd_id: a.plot_id for a in strict.assignments if a.period == 3}["H1"] != "F"
