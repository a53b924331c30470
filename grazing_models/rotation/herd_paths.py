"""Herd by herd: each herd's cheapest season, alone or among herds already placed.

The rotation objective is a sum over herds (walking, moves, pressure, unfed demand);
herds interact only through shared forage and the rest of shared plots. Two uses:

* **Lower bound.** Each herd planned alone, with its own depletion of a plot it
  stays on but without the other herds, without its own earlier grazing of a plot and
  without rest: a relaxation of the rotation problem, so the sum of the herds' least
  costs is a lower bound on any plan's objective. It keeps what makes herds move
  (a plot runs out under one herd, seasons and move limits), which the per-week
  transport bound cannot see.
* **A plan.** Herds one after another, each the cheapest season that keeps the rules
  with the herds before it: it eats what they leave, enters and leaves plots only
  when their rest allows, and does not come back to a plot it has left.

Both are dynamic programmes over a herd's weeks (:mod:`grazing_models.rotation.path_kernel`).
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from grazing_models.rotation.model import (
    RotationInputs,
    RotationParams,
    max_stay_from,
    move_limit_km,
    pressure_index,
    rest_periods_after,
)
from grazing_models.rotation.pairs import Pairs
from grazing_models.rotation.path_kernel import best_path

__all__ = [
    "MAX_PLOTS_PER_HERD",
    "AloneHerds",
    "HerdCosts",
    "herd_lower_bound",
    "sequential_plan",
]

#: Herd-by-herd planning considers at most this many of a herd's candidate plots, the
#: nearest to its home point (in the demo district a herd has about 2,200; in a district
#: ten times larger without a limit on distance from home, 10,000).
MAX_PLOTS_PER_HERD = 2500


@dataclass(frozen=True)
class _HerdProblem:
    """One herd's candidate plots (global indices) and weeks."""

    herd: int
    first: int
    plots: np.ndarray  # (n_i,)
    ok: np.ndarray  # (n_i, n_w) candidate in week first + w
    limit: np.ndarray  # (n_w,) km


@dataclass(frozen=True)
class HerdCosts:
    """Per-herd least costs and the paths that reach them (``plot_of[h, t]``, -1 unplaced);
    from :func:`herd_lower_bound` also the kg each herd eats per period."""

    cost: np.ndarray
    plot_of: np.ndarray
    eaten: np.ndarray | None = None
    complete: bool = True  # False: cut by the deadline, some herds not planned (no bound)

    @property
    def total(self) -> float:
        """Sum of the herds' costs."""
        return float(self.cost.sum())


def _herd_problems(
    inputs: RotationInputs, params: RotationParams, pairs: Pairs, max_plots: int | None = None
) -> list[_HerdProblem]:
    """Each herd's candidate plots and weeks; with ``max_plots``, only that many of its
    plots nearest its home point (a restriction: what is planned on them keeps the rules,
    but a bound computed on them would not be a bound)."""
    limits = np.array(
        [move_limit_km(inputs, params, t) + 1e-9 for t in range(inputs.n_periods)], dtype=float
    )
    bounds = np.searchsorted(pairs.h, np.arange(inputs.n_herds + 1))
    out = []
    for h in range(inputs.n_herds):
        weeks = inputs.herd_periods(h)
        first, n_w = weeks.start, len(weeks)
        sl = slice(bounds[h], bounds[h + 1])
        plots, local = np.unique(pairs.p[sl], return_inverse=True)
        ok = np.zeros((plots.size, n_w), dtype=np.bool_)
        ok[local, pairs.t[sl] - first] = True
        if max_plots is not None and plots.size > max_plots:
            herd = inputs.herds[h]
            xy = inputs.plot_xy[plots]
            d = np.hypot(xy[:, 0] - herd.home_x_km, xy[:, 1] - herd.home_y_km)
            near = np.sort(np.argsort(d, kind="stable")[:max_plots])
            plots, ok = plots[near], ok[near]
        out.append(_HerdProblem(h, first, plots, ok, limits[first : first + n_w]))
    return out


def _solve(
    prob: _HerdProblem,
    ctx: _Context,
    ua: np.ndarray,
    regrow: np.ndarray,
    may_enter: np.ndarray,
    may_leave: np.ndarray,
    stay: tuple[np.ndarray, np.ndarray],
) -> tuple[float, np.ndarray]:
    """The herd's cheapest path; the arrays are ``(n_i, n_w)``, for its plots and weeks;
    ``stay`` is the kernel's ``enter_left`` and ``after`` (the longest spells)."""
    p, n_w = prob.plots, prob.ok.shape[1]
    demand = ctx.demand[prob.herd]
    if p.size == 0:
        return ctx.params.weight_unfed * demand * n_w, np.full(n_w, -1, dtype=np.int64)
    xy = ctx.inputs.plot_xy[p]
    per_kg = np.repeat(ctx.per_kg[p, None], n_w, axis=1)
    if ctx.price is not None:
        per_kg += ctx.price[p, prob.first : prob.first + n_w]
    cost, path = best_path(
        prob.ok,
        np.ascontiguousarray(xy[:, 0]),
        np.ascontiguousarray(xy[:, 1]),
        ctx.walk[p],
        per_kg,
        np.ascontiguousarray(ua),
        np.ascontiguousarray(regrow),
        np.ascontiguousarray(may_enter),
        np.ascontiguousarray(may_leave),
        np.ascontiguousarray(stay[0], dtype=np.int64),
        np.ascontiguousarray(stay[1], dtype=np.int64),
        prob.limit,
        float(demand),
        float(ctx.params.weight_unfed),
        float(ctx.params.weight_move),
    )
    return float(cost), path


def _global(prob: _HerdProblem, path: np.ndarray) -> np.ndarray:
    """A path of local plot indices as plot indices of the inputs (-1 stays -1)."""
    out = np.full(path.size, -1, dtype=np.int64)
    placed = path >= 0
    out[placed] = prob.plots[path[placed]]
    return out


def herd_lower_bound(
    inputs: RotationInputs,
    params: RotationParams,
    pairs: Pairs,
    *,
    price: np.ndarray | None = None,
    deadline: float | None = None,
) -> HerdCosts:
    """Each herd's least cost planned alone (see the module docstring): a lower bound.

    With ``price`` (per plot and period, per kg eaten) each herd pays for what it eats and
    the costs include the prices: a step of
    :func:`grazing_models.rotation.herds_bound.priced_herd_bound`. At ``deadline``
    (``time.perf_counter()``) the planning stops: the result is then not ``complete``.
    """
    return AloneHerds(inputs, params, pairs, deadline).plan(price)


class AloneHerds:
    """Herds planned alone (:func:`herd_lower_bound`) at many prices: the herds' problems
    are built once."""

    def __init__(
        self,
        inputs: RotationInputs,
        params: RotationParams,
        pairs: Pairs,
        deadline: float | None = None,
    ) -> None:
        self._ctx = _Context.make(inputs, params, pairs)
        self.deadline = deadline  # time.perf_counter(): no herd is planned after it

    def plan(self, price: np.ndarray | None = None, workers: int = 1) -> HerdCosts:
        """Each herd's cheapest season alone at ``price``, in ``workers`` threads (the path
        kernel releases the GIL: two threads take 0.53 s where one takes 1.04 s on the
        demo district)."""
        ctx = replace(self._ctx, price=price)
        inputs = ctx.inputs
        cost = np.zeros(inputs.n_herds)
        plot_of = np.full((inputs.n_herds, inputs.n_periods), -1, dtype=np.int64)
        eaten = np.zeros((inputs.n_herds, inputs.n_periods))
        cut = threading.Event()

        def run(problems: list[_HerdProblem]) -> None:
            for prob in problems:  # each herd writes its own rows only
                if cut.is_set() or _past(self.deadline):
                    cut.set()
                    return
                weeks = slice(prob.first, prob.first + prob.ok.shape[1])
                free = np.ones(prob.ok.shape, dtype=np.bool_)
                ua, regrow = ctx.ua[prob.plots, weeks], inputs.regrowth_kg[prob.plots, weeks]
                # alone, each stay is its own spell: a plan's spells are at least as long
                stay = np.broadcast_to(ctx.stay_cap[weeks], prob.ok.shape)
                alone = (stay, np.zeros(prob.ok.shape, dtype=np.int64))
                c, path = _solve(prob, ctx, ua, regrow, free, free, alone)
                cost[prob.herd] = c
                plot_of[prob.herd, weeks] = _global(prob, path)
                eaten[prob.herd, weeks] = _eaten_along(path, ua, regrow, ctx.demand[prob.herd])

        if workers <= 1:
            run(ctx.problems)
        else:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(run, [ctx.problems[k::workers] for k in range(workers)]))
        return HerdCosts(cost, plot_of, eaten, complete=not cut.is_set())


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() > deadline


def _rest_masks(occupied: np.ndarray, rest_after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where a new stay may begin and end without breaking the rest of occupied plots.

    ``may_enter[p, t]``: plot ``p`` is occupied in ``t - 1`` or ``t`` (the stay joins a
    spell) or it has rested since its last spell. ``may_leave[p, t]``: occupied in
    ``t + 1`` (the spell goes on) or the next spell starts after the rest.
    """
    n_p, n_t = occupied.shape
    may_enter = np.ones((n_p, n_t), dtype=np.bool_)
    may_leave = np.ones((n_p, n_t), dtype=np.bool_)
    free_from = np.zeros(n_p, dtype=np.int64)
    for t in range(n_t):
        if t > 0:
            ended = occupied[:, t - 1] & ~occupied[:, t]
            free_from[ended] = t + rest_after[t - 1]
            joins = occupied[:, t - 1] | occupied[:, t]
            may_enter[:, t] = joins | (t >= free_from)
    next_start = np.full(n_p, 1_000_000, dtype=np.int64)  # first occupied week after t
    for t in range(n_t - 1, -1, -1):
        if t + 1 < n_t:
            next_start[occupied[:, t + 1]] = t + 1
            may_leave[:, t] = occupied[:, t + 1] | (next_start >= t + 1 + rest_after[t])
    return may_enter, may_leave


def _spell_runs(occupied: np.ndarray, stay_cap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``enter_left`` and ``after`` of the path kernel for plots ``occupied`` by other herds.

    A stay from ``a`` to ``b`` merges with the spells of other herds that touch it: the
    spell runs from ``a - before[a]`` to ``b + after[b]`` (``before``: weeks occupied just
    before ``a``; ``after``: just after ``b``) and may last ``stay_cap`` of its first week.
    """
    n_p, n_t = occupied.shape
    before = np.zeros((n_p, n_t), dtype=np.int64)
    after = np.zeros((n_p, n_t), dtype=np.int64)
    for t in range(1, n_t):
        before[:, t] = np.where(occupied[:, t - 1], before[:, t - 1] + 1, 0)
    for t in range(n_t - 2, -1, -1):
        after[:, t] = np.where(occupied[:, t + 1], after[:, t + 1] + 1, 0)
    start = np.arange(n_t)[None, :] - before
    return stay_cap[start] - before, after


def sequential_plan(
    inputs: RotationInputs,
    params: RotationParams,
    pairs: Pairs,
    order: np.ndarray,
    *,
    max_plots: int | None = MAX_PLOTS_PER_HERD,
    price: np.ndarray | None = None,
    deadline: float | None = None,
) -> HerdCosts:
    """Plan herds one after another in ``order`` (see the module docstring).

    Each herd is planned on its ``max_plots`` candidate plots nearest its home point
    (all of them with ``None``): the work per herd grows with the square of its plots.
    With ``price`` (per plot and period, per kg eaten) each herd also pays for the forage
    it takes, so that early herds leave the forage that is scarce to later ones (e.g. the
    shadow prices of :func:`grazing_models.rotation.forage_lp.forage_lower_bound`).

    Returns each herd's cost as planned, without the prices: a later herd only eats forage
    no herd before it needs, so the plan's objective is their sum. At ``deadline``
    (``time.perf_counter()``) planning stops, the herds not planned yet stay unplaced and
    the result is not ``complete``.
    """
    state = _Placed.empty(inputs)
    if _past(deadline):  # not even the herds' problems: every herd unplaced
        for h in range(inputs.n_herds):
            days = params.period_days * len(inputs.herd_periods(h))
            state.cost[h] = params.weight_unfed * inputs.herds[h].demand_kg_day * days
        return HerdCosts(state.cost, state.plot_of, complete=False)
    ctx = _Context.make(inputs, params, pairs, max_plots, price)
    for k, h in enumerate(order):
        if _past(deadline):
            rest = np.asarray(order[k:], dtype=np.int64)
            for r in rest:  # unplaced: every kg unfed
                state.cost[r] = (
                    ctx.params.weight_unfed * ctx.demand[r] * len(inputs.herd_periods(int(r)))
                )
            return HerdCosts(state.cost, state.plot_of, complete=False)
        cost, path, eaten = _replan(int(h), state, ctx, deadline=deadline)
        state.add(ctx.problems[int(h)], path, eaten, cost)
    return HerdCosts(state.cost, state.plot_of)


@dataclass(frozen=True)
class _Context:
    """What every planning of a herd needs, computed once."""

    inputs: RotationInputs
    params: RotationParams
    problems: list[_HerdProblem]
    walk: np.ndarray
    per_kg: np.ndarray
    ua: np.ndarray
    demand: np.ndarray
    rest_after: np.ndarray
    stay_cap: np.ndarray  # (n_periods,) longest spell starting in each period
    price: np.ndarray | None = None  # extra cost per kg eaten, (n_plots, n_periods)

    @classmethod
    def make(
        cls,
        inputs: RotationInputs,
        params: RotationParams,
        pairs: Pairs,
        max_plots: int | None = None,
        price: np.ndarray | None = None,
    ) -> _Context:
        water = np.array([p.water_km for p in inputs.plots], dtype=float)
        demand = np.array([h.demand_kg_day * params.period_days for h in inputs.herds])
        return cls(
            inputs,
            params,
            _herd_problems(inputs, params, pairs, max_plots),
            params.weight_walk_km * 2.0 * water * params.period_days,
            params.weight_pressure * pressure_index(inputs),
            params.utilisation * inputs.available_kg,
            demand,
            rest_periods_after(inputs, params),
            max_stay_from(inputs, params),
            price,
        )


@dataclass
class _Placed:
    """Herds placed so far: eaten kg and herds per plot and week, each herd's plots and cost."""

    eaten: np.ndarray  # (n_plots, n_periods)
    count: np.ndarray  # (n_plots, n_periods)
    plot_of: np.ndarray  # (n_herds, n_periods)
    cost: np.ndarray  # (n_herds,)

    @classmethod
    def empty(cls, inputs: RotationInputs) -> _Placed:
        shape = (inputs.n_plots, inputs.n_periods)
        return cls(
            np.zeros(shape),
            np.zeros(shape, dtype=np.int64),
            np.full((inputs.n_herds, inputs.n_periods), -1, dtype=np.int64),
            np.zeros(inputs.n_herds),
        )

    def add(self, prob: _HerdProblem, path: np.ndarray, eaten: np.ndarray, cost: float) -> None:
        w = np.flatnonzero(path >= 0)
        p, t = prob.plots[path[w]], prob.first + w
        self.eaten[p, t] += eaten[w]
        self.count[p, t] += 1
        self.plot_of[prob.herd, prob.first : prob.first + path.size] = _global(prob, path)
        self.cost[prob.herd] = cost


def _replan(
    h: int, state: _Placed, ctx: _Context, max_tries: int = 50, deadline: float | None = None
) -> tuple[float, np.ndarray, np.ndarray]:
    """Herd ``h``'s cheapest path among the placed herds: cost (without the forage prices),
    path (local plots), eaten. A path that returns to a plot is planned again without it,
    up to ``max_tries`` times and not past ``deadline``; then the herd stays unplaced."""
    prob = ctx.problems[h]
    p, weeks = prob.plots, slice(prob.first, prob.first + prob.ok.shape[1])
    occupied = state.count[p] > 0
    left, regrow_left = _forage_left(state.eaten[p], occupied, ctx.ua[p], ctx.inputs.regrowth_kg[p])
    may_enter, may_leave = _rest_masks(occupied, ctx.rest_after)
    enter_left, after = _spell_runs(occupied, ctx.stay_cap)
    left, regrow_left = left[:, weeks], regrow_left[:, weeks]
    may_enter, may_leave = may_enter[:, weeks], may_leave[:, weeks]
    stay = (enter_left[:, weeks], after[:, weeks])
    cost, path = math.inf, np.full(prob.ok.shape[1], -1, dtype=np.int64)
    for _ in range(max_tries):
        cost, path = _solve(prob, ctx, left, regrow_left, may_enter, may_leave, stay)
        back = _first_return(path)
        if back is None:
            break
        if _past(deadline):
            back = None
            path[:] = -1
            cost = ctx.params.weight_unfed * ctx.demand[h] * path.size
            break
        i, left_at = back
        may_enter[i, left_at + 1 :] = False
    else:
        path[:] = -1
        cost = ctx.params.weight_unfed * ctx.demand[h] * path.size
    eaten = _eaten_along(path, left, regrow_left, ctx.demand[h])
    if ctx.price is not None:
        w = np.flatnonzero(path >= 0)
        cost -= float(ctx.price[p[path[w]], prob.first + w] @ eaten[w])
    return cost, path, eaten


def _eaten_along(path: np.ndarray, ua: np.ndarray, regrow: np.ndarray, demand: float) -> np.ndarray:
    """What the herd eats each week of its path (its own depletion during each stay)."""
    eaten = np.zeros(path.size)
    depletion = 0.0
    for w, i in enumerate(path):
        if i < 0:
            continue
        if w == 0 or path[w - 1] != i:
            depletion = 0.0
        eaten[w] = min(demand, max(0.0, ua[i, w] - depletion))
        depletion = max(0.0, depletion + eaten[w] - regrow[i, w])
    return eaten


def _forage_left(
    eaten: np.ndarray, occupied: np.ndarray, ua: np.ndarray, regrowth: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Forage a further herd may eat per plot and week after the herds placed so far, and
    the regrowth they leave (regrowth repays their depletion first)."""
    n_p, n_t = ua.shape
    left = ua.copy()
    regrow_left = regrowth.copy()
    depletion = np.zeros(n_p)
    for t in range(n_t):
        e = eaten[:, t]
        left[:, t] = np.maximum(0.0, ua[:, t] - depletion - e)
        owed = depletion + e
        regrow_left[:, t] = np.maximum(0.0, regrowth[:, t] - owed)
        depletion = np.maximum(0.0, owed - regrowth[:, t])
    # What the new herd eats in week t stays as depletion until regrowth repays it: it
    # must never cut into the forage of a herd placed before it in a later week.
    # ``allowed``: most depletion of its own the plot can carry into week t.
    allowed = np.full(n_p, np.inf)
    for t in range(n_t - 1, -1, -1):
        left[:, t] = np.minimum(left[:, t], allowed + regrow_left[:, t])
        allowed = np.minimum(
            np.where(occupied[:, t], left[:, t], np.inf), allowed + regrow_left[:, t]
        )
    return left, regrow_left


def _first_return(path: np.ndarray) -> tuple[int, int] | None:
    """The first plot the path comes back to, and the week it left it: its own depletion
    from before is not in the forage it was planned with, so it is not allowed back."""
    left_at: dict[int, int] = {}
    for w in range(path.size):
        i = int(path[w])
        prev = int(path[w - 1]) if w > 0 else -1
        if i >= 0 and i != prev and i in left_at:
            return i, left_at[i]
        if prev >= 0 and prev != i:
            left_at[prev] = w - 1
    return None
