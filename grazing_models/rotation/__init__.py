"""Seasonal grazing rotation planner: herds to plots, week by week.

A plan is a pure function of its inputs (:class:`RotationInputs`) and its
parameters (:class:`RotationParams`); the parameters are stored with the plan.

Rules every plan keeps
----------------------
Forage
    ``available_kg[p, t]`` is the standing forage of plot ``p`` at the start of
    period ``t`` if it had never been grazed (biomass model). Grazing leaves a
    *depletion* ``D`` that regrowth repays::

        D[p, 0]   = 0
        D[p, t+1] = max(0, D[p, t] + eaten[p, t] - regrowth_kg[p, t])
        standing[p, t] = available_kg[p, t] - D[p, t]     (never above available)

    In a period in which plot ``p`` carries a herd, the herds on it eat at most
    ``utilisation * available_kg[p, t] - D[p, t]`` (and nothing if that is
    negative): whatever was taken earlier and has not grown back counts against
    the "take half, leave half" allowance (docs/domain.md, Livestock units and
    intake), so at least ``(1 - utilisation)`` of the ungrazed stand is always
    left standing.
Rest
    A *grazing spell* is a maximal run of consecutive periods in which a plot
    carries at least one herd. Herds may join or leave a plot while forage lasts,
    but a spell lasts at most the longest stay of the season of its first period
    (:meth:`RotationParams.max_stay_days_for`, whole periods rounded down): a
    herd on one plot all season is set-stocking, not rotation. Once a spell
    ends, no herd enters the plot again before the rest of the season of the
    first rest period (:meth:`RotationParams.rest_days`) has passed, in whole
    periods rounded up. Defaults per season: docs/domain.md, Rotation rules.
    Grazing before the first period is not known: every plot starts rested.
Where
    A plot is used only in periods one of whose seasons (``Period.seasons``: its
    label and the other windows holding it) is one of the plot's, as spring
    pasture only from its green-up on (``Plot.greenup``, where known), only by herds of its union (``union_id is None``: public pasture, open to
    every union), and never when it lies more than ``max_water_km`` from water
    (or more than ``max_home_km`` from the herd's home point, when that is set).
Moves
    Between two consecutive periods in which a herd is placed, its plots'
    centroids are at most ``max_move_km`` apart; in the first period of its
    grazing season the herd walks from its home point, under the same limit.
    A herd that is unplaced for a period is off the plan (moved to distant
    pasture or fed), so the limit does not apply to its next placement.
Demand
    Every herd has one assignment per period of its grazing season: a plot or
    ``None`` (unplaced). Demand not eaten is a deficit; per union and period the
    plan states it in kg DM, as sheep units to move elsewhere (deficit divided by
    the intake of one sheep unit over the period) and as supplementary feed in
    kg DM.

Objective (minimised, a weighted sum whose weights make it lexicographic in
practice; see :class:`RotationParams`)::

    weight_unfed    * unfed kg DM                          (tier 1)
  + weight_pressure * sum(eaten kg * pressure index of plot)  (tier 2)
  + weight_walk_km  * herd-km walked to water and back        (tier 3)
  + weight_move     * number of moves between plots          (tier 3)

The pressure index of a plot is ``(degradation + min(load_ratio, 2) / 2) / 2``
in [0, 1]. Daily walking is twice the distance to water per day.

Solvers: an exact MILP solved by HiGHS through :func:`scipy.optimize.milp`
and a heuristic, the better of a greedy pass with look-ahead and randomised
restarts and herd-by-herd planning (each herd's cheapest season among the
herds placed before it, a dynamic programme: :mod:`grazing_models.rotation.herd_paths`),
whose objective is reported against a proven lower bound, the largest of: the supply
bound (one sort of the candidates), an LP of forage over the season, walking and forced
moves with every herd of the district pooled (over groups of weeks first where the weekly
LP is too large for the time left), then, where it is small enough, the same LP
with each union's herds pooled (:mod:`grazing_models.rotation.forage_lp`; the shadow prices
of forage of the better one also guide half of the herd-by-herd passes), each herd's least cost planned alone paying those prices (a
Lagrangian bound: :func:`grazing_models.rotation.herds_bound.priced_herd_bound`), then paying better
prices while time is left (a Dantzig-Wolfe master over herd seasons:
:mod:`grazing_models.rotation.lagrangian`), and a per-period transport LP (small instances only). The
bound is computed in a second thread while the heuristic plans (on every core once the plan
is found), and both stop at the time limit.

Modules, each importing only those before it
--------------------------------------------
``model`` (the data and the rules' derived quantities), ``pairs`` (candidate placements),
``objective`` (eaten kg, the objective's terms, a :class:`Plan` from placements), ``highs``
(HiGHS' bindings), ``jit`` and ``path_kernel`` (the compiled dynamic programme of one herd),
``herd_paths`` (herds planned alone or one after another), ``greedy`` and ``heuristic`` (the
heuristic's plans), ``forage_data`` (the forage LP's rows as arrays, over weeks or groups
of weeks) and ``forage_lp``, ``herds_bound``, ``lagrangian`` and ``transport`` (lower
bounds), ``milp`` (the exact model), ``planner`` (:func:`plan_rotation`), ``plan_check``
(:func:`validate_plan`) and ``instances`` (synthetic instances for tests and benchmarks).
"""

from __future__ import annotations

from grazing_models.rotation.model import (
    Assignment,
    Herd,
    Period,
    Plan,
    Plot,
    RotationInputs,
    RotationParams,
    UnionDeficit,
    pressure_index,
)
from grazing_models.rotation.objective import herd_terms, objective_terms, weighted_terms
from grazing_models.rotation.pairs import candidate_pairs
from grazing_models.rotation.plan_check import RULES, Violation, validate_plan
from grazing_models.rotation.planner import (
    AUTO_MILP_MAX_PAIRS,
    SolverName,
    plan_rotation,
    usable_cores,
)

__all__ = [
    "AUTO_MILP_MAX_PAIRS",
    "RULES",
    "Assignment",
    "Herd",
    "Period",
    "Plan",
    "Plot",
    "RotationInputs",
    "RotationParams",
    "SolverName",
    "UnionDeficit",
    "Violation",
    "candidate_pairs",
    "herd_terms",
    "objective_terms",
    "plan_rotation",
    "pressure_index",
    "usable_cores",
    "validate_plan",
    "weighted_terms",
]
