"""Check a rotation plan against its inputs, independently of the solvers.

:func:`validate_plan` recomputes every rule of :mod:`grazing_models.rotation`
(see its module docstring) from the plan's assignments, the inputs and the
parameters stored with the plan. It uses only the data types of the rotation
module, none of its solver code, so a bug in a solver cannot hide itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from grazing_models.rotation import Assignment, Plan, RotationInputs

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
    "deficit_mismatch",
)

# Tolerances: relative for kg figures (solver round-off), absolute for km.
_REL = 1e-6
_ABS_KG = 1e-3
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
    prm = plan.params
    days = prm.period_days
    out: list[Violation] = []
    plots = {p.id: p for p in inputs.plots}
    herds = {h.id: h for h in inputs.herds}
    plot_row = {p.id: i for i, p in enumerate(inputs.plots)}
    n_t = len(inputs.periods)

    def season_range(herd_id: str) -> range:
        h = herds[herd_id]
        last = n_t - 1 if h.last_period is None else h.last_period
        return range(h.first_period, last + 1)

    # ---- per assignment -------------------------------------------------
    by_herd: dict[str, dict[int, Assignment]] = {}
    for a in plan.assignments:
        if a.herd_id not in herds or not (0 <= a.period < n_t):
            out.append(
                Violation(
                    "unknown_id",
                    f"herd {a.herd_id!r} or period {a.period} is not in the inputs",
                    a.herd_id,
                    a.plot_id,
                    a.period,
                )
            )
            continue
        if a.plot_id is not None and a.plot_id not in plots:
            out.append(
                Violation(
                    "unknown_id",
                    f"plot {a.plot_id!r} is not in the inputs",
                    a.herd_id,
                    a.plot_id,
                    a.period,
                )
            )
            continue
        seen = by_herd.setdefault(a.herd_id, {})
        if a.period in seen:
            out.append(
                Violation(
                    "duplicate_assignment",
                    "more than one assignment for this herd and period",
                    a.herd_id,
                    a.plot_id,
                    a.period,
                )
            )
            continue
        seen[a.period] = a
        herd = herds[a.herd_id]
        if a.period not in season_range(a.herd_id):
            out.append(
                Violation(
                    "outside_grazing_season",
                    f"period {a.period} is outside the herd's grazing season",
                    a.herd_id,
                    a.plot_id,
                    a.period,
                )
            )
        want = herd.demand_kg_day * days
        if not _kg_close(a.demand_kg, want):
            out.append(
                Violation(
                    "demand_mismatch",
                    f"demand {a.demand_kg:.1f} kg, inputs give {want:.1f} kg",
                    a.herd_id,
                    a.plot_id,
                    a.period,
                )
            )
        top = 0.0 if a.plot_id is None else a.demand_kg
        if not (a.eaten_kg >= -_ABS_KG and a.eaten_kg <= top + _ABS_KG + _REL * top):
            out.append(
                Violation(
                    "eaten_out_of_range",
                    f"eaten {a.eaten_kg:.1f} kg is outside [0, {top:.1f}]",
                    a.herd_id,
                    a.plot_id,
                    a.period,
                )
            )
        if a.plot_id is None:
            continue
        plot = plots[a.plot_id]
        season = inputs.periods[a.period].season
        if season not in plot.seasons:
            out.append(
                Violation(
                    "out_of_season",
                    f"plot is for {sorted(plot.seasons)}, period is {season}",
                    a.herd_id,
                    a.plot_id,
                    a.period,
                )
            )
        if plot.union_id is not None and plot.union_id != herd.union_id:
            out.append(
                Violation(
                    "wrong_union",
                    f"plot belongs to union {plot.union_id}, herd to {herd.union_id}",
                    a.herd_id,
                    a.plot_id,
                    a.period,
                )
            )
        if plot.water_km > prm.max_water_km + _ABS_KM:
            out.append(
                Violation(
                    "water_too_far",
                    f"water {plot.water_km:.2f} km away, limit {prm.max_water_km} km",
                    a.herd_id,
                    a.plot_id,
                    a.period,
                )
            )
        if prm.max_home_km is not None:
            d_home = math.hypot(plot.x_km - herd.home_x_km, plot.y_km - herd.home_y_km)
            if d_home > prm.max_home_km + _ABS_KM:
                out.append(
                    Violation(
                        "too_far_from_home",
                        f"plot is {d_home:.2f} km from home, limit {prm.max_home_km} km",
                        a.herd_id,
                        a.plot_id,
                        a.period,
                    )
                )

    # ---- per herd: completeness and moves --------------------------------
    for herd in inputs.herds:
        rows = by_herd.get(herd.id, {})
        prev_xy: tuple[float, float] | None = None
        for t in season_range(herd.id):
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
                prev_xy = None
                continue
            if row.plot_id is None:
                prev_xy = None
                continue
            plot = plots[row.plot_id]
            if t == herd.first_period:
                prev_xy = (herd.home_x_km, herd.home_y_km)
                where = "home"
            else:
                where = "previous plot"
            if prev_xy is not None:
                step = math.hypot(plot.x_km - prev_xy[0], plot.y_km - prev_xy[1])
                # into the first week of a new season, herds may migrate farther
                new_season = t > 0 and inputs.periods[t].season != inputs.periods[t - 1].season
                limit = prm.max_move_km
                if new_season and where != "home" and prm.max_migration_km is not None:
                    limit = max(limit, prm.max_migration_km)
                if step > limit + _ABS_KM:
                    out.append(
                        Violation(
                            "move_too_long",
                            f"move of {step:.2f} km from {where}, limit {limit} km",
                            herd.id,
                            row.plot_id,
                            t,
                        )
                    )
            prev_xy = (plot.x_km, plot.y_km)

    # ---- per plot: forage with depletion and regrowth, and rest ----------
    eaten: dict[str, list[float]] = {}
    grazed: dict[str, list[bool]] = {}
    for rows in by_herd.values():
        for a in rows.values():
            if a.plot_id is None:
                continue
            eaten.setdefault(a.plot_id, [0.0] * n_t)[a.period] += max(0.0, a.eaten_kg)
            grazed.setdefault(a.plot_id, [False] * n_t)[a.period] = True
    for plot_id, on in grazed.items():
        i = plot_row[plot_id]
        depletion = 0.0
        for t in range(n_t):
            e = eaten[plot_id][t]
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
        last_end: int | None = None  # last period of the previous spell
        for t in range(n_t):
            if on[t] and t > 0 and not on[t - 1] and last_end is not None:
                need = prm.rest_days(inputs.periods[last_end + 1].season)
                rested = (t - last_end - 1) * days
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

    # ---- deficits per union and period ------------------------------------
    expected: dict[tuple[str, int], float] = {}
    for herd_id, rows in by_herd.items():
        union = herds[herd_id].union_id
        for t, a in rows.items():
            short = a.demand_kg - a.eaten_kg
            if short > _ABS_KG + _REL * a.demand_kg:
                expected[(union, t)] = expected.get((union, t), 0.0) + short
    reported: dict[tuple[str, int], float] = {}
    su_kg = prm.intake_kg_dm_per_su_day * days
    for d in plan.deficits:
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
        if not _kg_close(d.sheep_units_to_move * su_kg, d.deficit_kg) or not _kg_close(
            d.feed_kg_dm, d.deficit_kg
        ):
            out.append(
                Violation(
                    "deficit_mismatch",
                    f"union {d.union_id}: {d.deficit_kg:.1f} kg deficit but "
                    f"{d.sheep_units_to_move:.1f} sheep units to move and {d.feed_kg_dm:.1f} kg feed "
                    f"(expected {d.deficit_kg / su_kg:.1f} and {d.deficit_kg:.1f})",
                    None,
                    None,
                    d.period,
                )
            )
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
