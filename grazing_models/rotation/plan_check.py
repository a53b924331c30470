"""Check a rotation plan against its inputs, independently of the solvers.

:func:`validate_plan` recomputes every rule of :mod:`grazing_models.rotation` (see its
docstring) from the plan's assignments, the inputs and the parameters stored with the plan.
It uses only the data types of :mod:`grazing_models.rotation.model`, none of the solver
code, so a bug in a solver cannot hide itself. One function per rule (or per pair of rules
that one walk over the data checks).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from grazing_models.rotation.model import (
    SHORT_ABS_KG,
    SHORT_REL,
    Assignment,
    Herd,
    Plan,
    Plot,
    RotationInputs,
    RotationParams,
    UnionDeficit,
    is_short,
)

__all__ = ["RULES", "Violation", "validate_plan"]

#: Every rule the validator checks.
RULES: tuple[str, ...] = (
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
)

# Tolerances: relative for kg figures (solver round-off), absolute for km.
_REL = SHORT_REL
_ABS_KG = SHORT_ABS_KG
_ABS_KM = 1e-6


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, which herd, plot and period, and what is wrong."""

    rule: str
    message: str
    herd_id: str | None = None
    plot_id: str | None = None
    period: int | None = None


def _kg_close(a: float, b: float) -> bool:
    return abs(a - b) <= _ABS_KG + _REL * max(abs(a), abs(b))


@dataclass(frozen=True)
class _Check:
    """The plan under check, its inputs and their lookups."""

    plan: Plan
    inputs: RotationInputs

    @property
    def prm(self) -> RotationParams:
        """The parameters stored with the plan."""
        return self.plan.params

    @property
    def n_t(self) -> int:
        """Number of periods."""
        return len(self.inputs.periods)

    @cached_property
    def plots(self) -> dict[str, Plot]:
        """Plots by id."""
        return {p.id: p for p in self.inputs.plots}

    @cached_property
    def herds(self) -> dict[str, Herd]:
        """Herds by id."""
        return {h.id: h for h in self.inputs.herds}

    def season_range(self, herd_id: str) -> range:
        """Periods of the herd's grazing season."""
        h = self.herds[herd_id]
        last = self.n_t - 1 if h.last_period is None else h.last_period
        return range(h.first_period, last + 1)


def validate_plan(plan: Plan, inputs: RotationInputs) -> list[Violation]:
    """List every rule the plan breaks (empty list: the plan is valid).

    Parameters
    ----------
    plan
        A plan; its ``params`` give utilisation, rest, distances and period length.
    inputs
        The inputs the plan claims to be for.

    Returns
    -------
    list of Violation
        In the order of :data:`RULES` within each herd and plot.
    """
    check = _Check(plan, inputs)
    out: list[Violation] = []
    by_herd = _assignments_by_herd(check, out)
    for herd in inputs.herds:
        out += _herd_season(check, herd, by_herd.get(herd.id, {}))
    out += _plot_violations(check, by_herd)
    out += _deficit_violations(check, by_herd)
    return out


# ---------------------------------------------------------------- per assignment


def _assignments_by_herd(check: _Check, out: list[Violation]) -> dict[str, dict[int, Assignment]]:
    """The known assignments per herd and period, each checked against the rules of one
    assignment; unknown ids and duplicates are reported and left out."""
    by_herd: dict[str, dict[int, Assignment]] = {}
    for a in check.plan.assignments:
        problem = _unknown_id(check, a)
        if problem is None:
            seen = by_herd.setdefault(a.herd_id, {})
            if a.period in seen:
                problem = _violation(
                    "duplicate_assignment", "more than one assignment for this herd and period", a
                )
            else:
                seen[a.period] = a
        if problem is not None:
            out.append(problem)
            continue
        rules = _HERD_RULES if a.plot_id is None else _HERD_RULES + _PLOT_RULES
        out += [v for rule in rules if (v := rule(check, a)) is not None]
    return by_herd


def _violation(rule: str, message: str, a: Assignment) -> Violation:
    return Violation(rule, message, a.herd_id, a.plot_id, a.period)


def _unknown_id(check: _Check, a: Assignment) -> Violation | None:
    if a.herd_id not in check.herds or not (0 <= a.period < check.n_t):
        return _violation(
            "unknown_id", f"herd {a.herd_id!r} or period {a.period} is not in the inputs", a
        )
    if a.plot_id is not None and a.plot_id not in check.plots:
        return _violation("unknown_id", f"plot {a.plot_id!r} is not in the inputs", a)
    return None


def _outside_grazing_season(check: _Check, a: Assignment) -> Violation | None:
    if a.period in check.season_range(a.herd_id):
        return None
    return _violation(
        "outside_grazing_season", f"period {a.period} is outside the herd's grazing season", a
    )


def _demand_mismatch(check: _Check, a: Assignment) -> Violation | None:
    want = check.herds[a.herd_id].demand_kg_day * check.prm.period_days
    if _kg_close(a.demand_kg, want):
        return None
    return _violation(
        "demand_mismatch", f"demand {a.demand_kg:.1f} kg, inputs give {want:.1f} kg", a
    )


def _eaten_out_of_range(check: _Check, a: Assignment) -> Violation | None:
    top = 0.0 if a.plot_id is None else a.demand_kg
    if a.eaten_kg >= -_ABS_KG and a.eaten_kg <= top + _ABS_KG + _REL * top:
        return None
    return _violation(
        "eaten_out_of_range", f"eaten {a.eaten_kg:.1f} kg is outside [0, {top:.1f}]", a
    )


def _out_of_season(check: _Check, a: Assignment) -> Violation | None:
    plot = check.plots[str(a.plot_id)]
    period = check.inputs.periods[a.period]
    open_seasons = period.seasons & plot.seasons
    before = plot.greenup is not None and period.start < plot.greenup
    if before:
        open_seasons -= {"spring"}
    if open_seasons:
        return None
    why = f"; its spring starts at green-up on {plot.greenup}" if before else ""
    return _violation(
        "out_of_season",
        f"plot is for {sorted(plot.seasons)}, period is {sorted(period.seasons)}{why}",
        a,
    )


def _wrong_union(check: _Check, a: Assignment) -> Violation | None:
    plot, herd = check.plots[str(a.plot_id)], check.herds[a.herd_id]
    if plot.union_id is None or plot.union_id == herd.union_id:
        return None
    return _violation(
        "wrong_union", f"plot belongs to union {plot.union_id}, herd to {herd.union_id}", a
    )


def _water_too_far(check: _Check, a: Assignment) -> Violation | None:
    plot, limit = check.plots[str(a.plot_id)], check.prm.max_water_km
    if plot.water_km <= limit + _ABS_KM:
        return None
    return _violation("water_too_far", f"water {plot.water_km:.2f} km away, limit {limit} km", a)


def _too_far_from_home(check: _Check, a: Assignment) -> Violation | None:
    limit = check.prm.max_home_km
    if limit is None:
        return None
    plot, herd = check.plots[str(a.plot_id)], check.herds[a.herd_id]
    d_home = math.hypot(plot.x_km - herd.home_x_km, plot.y_km - herd.home_y_km)
    if d_home <= limit + _ABS_KM:
        return None
    return _violation(
        "too_far_from_home", f"plot is {d_home:.2f} km from home, limit {limit} km", a
    )


_Rule = Callable[[_Check, Assignment], Violation | None]
# the rules of every assignment, then those of an assignment to a plot, in RULES order
_HERD_RULES: tuple[_Rule, ...] = (_outside_grazing_season, _demand_mismatch, _eaten_out_of_range)
_PLOT_RULES: tuple[_Rule, ...] = (_out_of_season, _wrong_union, _water_too_far, _too_far_from_home)


# ---------------------------------------------------------------- per herd


def _herd_season(check: _Check, herd: Herd, rows: dict[int, Assignment]) -> list[Violation]:
    """Every period of the herd's season has an assignment (missing_herd), and every move
    into a plot stays within its limit (move_too_long), period by period."""
    out: list[Violation] = []
    prev_xy: tuple[float, float] | None = None
    for t in check.season_range(herd.id):
        row = rows.get(t)
        if row is None:
            out.append(
                Violation(
                    "missing_herd",
                    "no assignment (plot or unplaced) in a period of the herd's grazing season",
                    herd.id,
                    None,
                    t,
                )
            )
        if row is None or row.plot_id is None:
            prev_xy = None
            continue
        plot = check.plots[row.plot_id]
        if t == herd.first_period:
            prev_xy = (herd.home_x_km, herd.home_y_km)
        if prev_xy is not None:
            long_move = _move_too_long(check, herd, row, prev_xy, t == herd.first_period)
            out += [long_move] if long_move is not None else []
        prev_xy = (plot.x_km, plot.y_km)
    return out


def _move_too_long(
    check: _Check, herd: Herd, row: Assignment, prev_xy: tuple[float, float], from_home: bool
) -> Violation | None:
    """The move into ``row``'s plot from ``prev_xy`` (home or the previous plot)."""
    prm, periods, t = check.prm, check.inputs.periods, row.period
    plot = check.plots[str(row.plot_id)]
    step = math.hypot(plot.x_km - prev_xy[0], plot.y_km - prev_xy[1])
    # into the first week of a new season, herds may migrate farther
    new_season = t > 0 and periods[t].season != periods[t - 1].season
    limit = prm.max_move_km
    if new_season and not from_home and prm.max_migration_km is not None:
        limit = max(limit, prm.max_migration_km)
    if step <= limit + _ABS_KM:
        return None
    where = "home" if from_home else "previous plot"
    return Violation(
        "move_too_long",
        f"move of {step:.2f} km from {where}, limit {limit} km",
        herd.id,
        row.plot_id,
        t,
    )


# ---------------------------------------------------------------- per plot


def _plot_violations(check: _Check, by_herd: dict[str, dict[int, Assignment]]) -> list[Violation]:
    """Forage with depletion and regrowth, then rest, plot by plot."""
    eaten: dict[str, list[float]] = {}
    grazed: dict[str, list[bool]] = {}
    for rows in by_herd.values():
        for a in rows.values():
            if a.plot_id is None:
                continue
            eaten.setdefault(a.plot_id, [0.0] * check.n_t)[a.period] += max(0.0, a.eaten_kg)
            grazed.setdefault(a.plot_id, [False] * check.n_t)[a.period] = True
    out: list[Violation] = []
    for plot_id, on in grazed.items():
        out += _over_utilisation(check, plot_id, eaten[plot_id], on)
        out += _rest_too_short(check, plot_id, on)
        out += _stay_too_long(check, plot_id, on)
    return out


def _over_utilisation(
    check: _Check, plot_id: str, eaten: list[float], on: list[bool]
) -> list[Violation]:
    """In each period the plot is grazed, its herds eat at most the allowance less the
    depletion not yet regrown."""
    prm, inputs = check.prm, check.inputs
    i = inputs.plot_index[plot_id]
    out: list[Violation] = []
    depletion = 0.0
    for t in range(check.n_t):
        e = eaten[t]
        if on[t]:
            allowed = max(0.0, prm.utilisation * float(inputs.available_kg[i, t]) - depletion)
            if e > allowed + _ABS_KG + _REL * allowed:
                out.append(
                    Violation(
                        "over_utilisation",
                        f"{e:.1f} kg eaten, {allowed:.1f} kg allowed "
                        f"(utilisation {prm.utilisation} of {inputs.available_kg[i, t]:.1f} kg "
                        f"less {depletion:.1f} kg not yet regrown)",
                        None,
                        plot_id,
                        t,
                    )
                )
        depletion = max(0.0, depletion + e - float(inputs.regrowth_kg[i, t]))
    return out


def _rest_too_short(check: _Check, plot_id: str, on: list[bool]) -> list[Violation]:
    """No spell starts before the rest after the previous one has passed."""
    prm, periods, n_t = check.prm, check.inputs.periods, check.n_t
    out: list[Violation] = []
    last_end: int | None = None  # last period of the previous spell
    for t in range(n_t):
        if on[t] and t > 0 and not on[t - 1] and last_end is not None:
            need = prm.rest_days(periods[last_end + 1].season)
            rested = (t - last_end - 1) * prm.period_days
            if rested < need - 1e-9:
                out.append(
                    Violation(
                        "rest_too_short",
                        f"re-entered after {rested} days of rest, {need:g} needed "
                        f"(spell ended in period {last_end})",
                        None,
                        plot_id,
                        t,
                    )
                )
        if on[t] and (t + 1 == n_t or not on[t + 1]):
            last_end = t
    return out


def _stay_too_long(check: _Check, plot_id: str, on: list[bool]) -> list[Violation]:
    """No grazing spell lasts longer than the longest stay of the season of its first
    period (rounded down to whole periods)."""
    prm, periods, n_t = check.prm, check.inputs.periods, check.n_t
    out: list[Violation] = []
    t = 0
    while t < n_t:
        if not on[t]:
            t += 1
            continue
        start = t
        while t < n_t and on[t]:
            t += 1
        season = periods[start].season
        allowed = math.floor(prm.max_stay_days_for(season) / prm.period_days + 1e-9)
        if t - start > allowed:
            out.append(
                Violation(
                    "stay_too_long",
                    f"grazed {t - start} periods on end ({(t - start) * prm.period_days} days) "
                    f"from period {start}; at most {prm.max_stay_days_for(season):g} days "
                    f"({allowed} periods) in {season}",
                    None,
                    plot_id,
                    start + allowed,
                )
            )
    return out


# ---------------------------------------------------------------- deficits


def _deficit_violations(
    check: _Check, by_herd: dict[str, dict[int, Assignment]]
) -> list[Violation]:
    """Deficit rows: one per union and period, in consistent units, summing the
    assignments' unmet demand."""
    out: list[Violation] = []
    reported: dict[tuple[str, int], float] = {}
    for d in check.plan.deficits:
        key = (d.union_id, d.period)
        if key in reported:
            out.append(
                Violation(
                    "deficit_mismatch",
                    f"union {d.union_id} has more than one deficit row",
                    None,
                    None,
                    d.period,
                )
            )
        reported[key] = reported.get(key, 0.0) + d.deficit_kg
        out += _deficit_units(check, d)
    expected = _expected_deficits(check, by_herd)
    for key in sorted(set(expected) | set(reported), key=lambda k: (k[1], k[0])):
        got, want = reported.get(key, 0.0), expected.get(key, 0.0)
        if not _kg_close(got, want):
            out.append(
                Violation(
                    "deficit_mismatch",
                    f"union {key[0]}: deficit {got:.1f} kg reported, assignments give {want:.1f} kg",
                    None,
                    None,
                    key[1],
                )
            )
    return out


def _expected_deficits(
    check: _Check, by_herd: dict[str, dict[int, Assignment]]
) -> dict[tuple[str, int], float]:
    """Unmet demand per union and period, from the assignments."""
    expected: dict[tuple[str, int], float] = {}
    for herd_id, rows in by_herd.items():
        union = check.herds[herd_id].union_id
        for t, a in rows.items():
            short = a.demand_kg - a.eaten_kg
            if is_short(short, a.demand_kg):
                expected[(union, t)] = expected.get((union, t), 0.0) + short
    return expected


def _deficit_units(check: _Check, d: UnionDeficit) -> list[Violation]:
    """A deficit row's sheep units to move and feed are its kg in those units."""
    su_kg = check.prm.intake_kg_dm_per_su_day * check.prm.period_days
    if _kg_close(d.sheep_units_to_move * su_kg, d.deficit_kg) and _kg_close(
        d.feed_kg_dm, d.deficit_kg
    ):
        return []
    return [
        Violation(
            "deficit_mismatch",
            f"union {d.union_id}: {d.deficit_kg:.1f} kg deficit but "
            f"{d.sheep_units_to_move:.1f} sheep units to move and {d.feed_kg_dm:.1f} kg feed "
            f"(expected {d.deficit_kg / su_kg:.1f} and {d.deficit_kg:.1f})",
            None,
            None,
            d.period,
        )
    ]
