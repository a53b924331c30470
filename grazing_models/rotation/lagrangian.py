"""Better multipliers for the priced herds bound: a Dantzig-Wolfe master over herd seasons.

For multipliers ``lam >= 0`` on the forage LP's window rows
(:class:`grazing_models.rotation.forage_lp.WindowRows`) every plan costs at least::

    L(lam) = sum over herds of (its least cost planned alone, paying lam's prices per kg)
             - sum over rows of lam * allowance

(:func:`grazing_models.rotation.herds_bound.priced_herd_bound`, which evaluates ``L`` at the LP's
duals). The best ``lam`` is the optimum of the *master* LP over herd seasons ``k`` (a plot
or none per period, and the kg eaten)::

    min  sum_k cost_k z_k
    s.t. sum of z_k over herd h's seasons = 1              (each herd)
         sum_k (kg season k eats in row r) z_k <= allowance_r   (each window row)
         z >= 0

The master is solved over the seasons found so far: each herd's season in a plan (so that
it is feasible from the start) and each herd's cheapest priced season from every evaluation
of ``L``. Its window duals propose the next ``lam``, smoothed toward the best so far
(Wentges' smoothing, ``ALPHA``), since the raw duals of a master with few seasons swing
from one extreme to another. When ``L`` reaches the master's optimum no season can lower
the master any more: that is the best bound these rows give (at prices a kg can pay, see
below). On the demo district ``L`` climbs from 3,579 (the LP's duals) to 4,724 in 124
evaluations (``benchmarks/planner.py --converge-bound``).

In the master a kg eaten on a plot in a period may be left out of the rows that hold it, at
what a kg saves unfed there: so the master is feasible even where round-off puts a plan a
hair over an allowance, and its duals never price a kg above what it saves unfed, the most
at which the herds planned alone price in full (where they would, a herd planned alone would
rather eat less than its plot gives, which the planning of a herd does not consider).
``L`` is a bound for any ``lam``, so neither changes what the bound proves.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from grazing_models.rotation.forage_lp import ForageBound, WindowRows
from grazing_models.rotation.herd_paths import AloneHerds
from grazing_models.rotation.herds_bound import priced_alone, priced_herd_bound
from grazing_models.rotation.highs import highs_api, new_highs
from grazing_models.rotation.model import RotationInputs, RotationParams, pressure_index
from grazing_models.rotation.objective import herd_terms, weighted_terms
from grazing_models.rotation.pairs import Pairs

__all__ = [
    "ALPHA",
    "PATIENCE_S",
    "LagrangianBound",
    "Master",
    "herd_season_costs",
    "lagrangian_herd_bound",
    "plan_seasons",
]

#: Weight of the best multipliers so far in the next ones (Wentges' smoothing). On the demo
#: district 0.9 reaches 3,892 in 30 evaluations where 0.5 reaches 3,579 (no better than
#: the LP's duals): the master's raw duals are poor until it holds many seasons.
ALPHA = 0.9

#: The ascent stops when the bound has not risen for this many seconds. On the demo district
#: it rises every second or two once the master holds enough seasons (the first rise within
#: 10 s from the heuristic's plans; from a single plan, not within 25 s, which is why
#: ``benchmarks/planner.py --converge-bound`` runs without it); on synthetic districts where
#: forage is short no evaluation beats the LP's duals and the master's solves grow to 5-20 s
#: each, so that without this the bound held the plan to its time limit for nothing
#: (benchmarks/planner.py: 47 s for +0.001%).
PATIENCE_S = 15.0

# The bound has reached the master's optimum within this share.
_CONVERGED = 1e-5
# The master's optimum has not gone down by more than this share: its seasons did not help.
_STALLED = 1e-9


@dataclass(frozen=True)
class LagrangianBound:
    """The best ``L(lam)`` found, how many evaluations it took, whether it is the best
    the window rows give (the master's optimum), and the least optimum of the master seen:
    no multipliers at prices a kg can pay prove more than that (``inf``: no master solved),
    since the master over all seasons costs no more than over some."""

    value: float
    rounds: int
    converged: bool
    ceiling: float = math.inf


def herd_season_costs(
    plot_of: np.ndarray, eaten: np.ndarray, inputs: RotationInputs, params: RotationParams
) -> np.ndarray:
    """Each herd's share of a plan's objective (walking, pressure, unfed demand, moves);
    they sum to the plan's objective."""
    return np.asarray(weighted_terms(herd_terms(plot_of, eaten, inputs, params), params))


def lagrangian_herd_bound(
    inputs: RotationInputs,
    params: RotationParams,
    pairs: Pairs,
    forage: ForageBound,
    plans: Callable[[bool], list[tuple[np.ndarray, np.ndarray]]],
    *,
    deadline: float,
    workers: Callable[[], int] = lambda: 1,
    patience: float = PATIENCE_S,
) -> LagrangianBound:
    """The best ``L(lam)`` from the forage LP's duals on, until ``deadline``
    (``time.perf_counter()``) or the master's optimum (see the module docstring).

    ``L`` at the LP's duals is evaluated first, until the deadline (that is
    :func:`~grazing_models.rotation.herds_bound.priced_herd_bound`); if time is left, ``plans(True)``
    gives plans' ``(plot_of, eaten)`` to start the master from (waiting for one; none: stop
    there), and ``plans(False)`` before every round the plans made since (not waiting):
    their herds' seasons are columns of the master, and the more it holds, the fewer
    rounds it takes (demo district, 40 s: 4,674 from six plans, 4,454 from one).
    ``workers()`` says how many threads each evaluation may use. The ascent gives up when
    the bound has not risen for ``patience`` seconds (``math.inf``: run to the deadline or
    the master's optimum; from a single plan the first rise on the demo district came after
    more than 15 s).
    """
    rows = forage.rows
    if rows is None or rows.p.size == 0:
        value = priced_herd_bound(inputs, params, pairs, forage, deadline)
        return LagrangianBound(value, 1, False)
    ascent = _Ascent(inputs, params, pairs, rows, deadline)
    center = rows.lam
    best, seasons = ascent.evaluate(center, workers())
    start = plans(True) if time.perf_counter() < deadline and np.isfinite(best) else []
    if not start:
        return LagrangianBound(best, 1, False)
    master = Master(inputs, params, rows, ascent.api)
    for plot_of, eaten in start:
        master.add(plan_seasons(plot_of, eaten, inputs, params))
    master.add(seasons)
    # ceiling: the least optimum of the master so far (adding seasons never raises it)
    rounds, last, ceiling, stalls = 1, 0.0, math.inf, 0
    risen = time.perf_counter()
    while True:
        began = time.perf_counter()
        until = min(deadline, risen + patience)
        if began + last > until:
            break
        for plot_of, eaten in plans(False):
            master.add(plan_seasons(plot_of, eaten, inputs, params))
        solved = master.solve(until - began)
        if solved is None:
            break
        optimum, lam = solved
        if best >= optimum - _CONVERGED * max(abs(optimum), 1.0):
            return LagrangianBound(best, rounds, True, min(ceiling, optimum))
        # the seasons found at smoothed prices may not lower the master ("mispricing"):
        # then price at its own duals, whose seasons must lower it unless prices had to be
        # scaled down (see herds_bound.priced_alone); three rounds without progress, stop
        stalled = optimum >= ceiling - _STALLED * max(abs(optimum), 1.0)
        stalls = stalls + 1 if stalled else 0
        ceiling = min(ceiling, optimum)
        if stalls >= 3:
            break
        if not stalled:
            lam = ALPHA * center + (1.0 - ALPHA) * lam
        value, seasons = ascent.evaluate(lam, workers())
        if not np.isfinite(value):  # cut by the deadline
            break
        master.add(seasons)
        rounds += 1
        if value > best:
            best, center, risen = value, lam, time.perf_counter()
        last = time.perf_counter() - began
    return LagrangianBound(best, rounds, False, ceiling)


@dataclass(frozen=True)
class _Seasons:
    """One season per herd: herd, cost without prices, and kg eaten per plot and period
    (a sparse matrix, one row per season, columns ``plot * n_periods + period``)."""

    herd: np.ndarray
    cost: np.ndarray
    eaten: sparse.csr_matrix


def _seasons(cost: np.ndarray, plot_of: np.ndarray, eaten: np.ndarray, n_plots: int) -> _Seasons:
    """Every herd's season in ``plot_of``/``eaten`` (``(n_herds, n_periods)``)."""
    n_h, n_t = plot_of.shape
    h, t = np.nonzero(plot_of >= 0)
    kg = sparse.csr_matrix((eaten[h, t], (h, plot_of[h, t] * n_t + t)), shape=(n_h, n_plots * n_t))
    return _Seasons(np.arange(n_h), cost, kg)


class _Ascent:
    """Evaluations of ``L(lam)``: the herds planned alone at ``lam``'s prices."""

    def __init__(
        self,
        inputs: RotationInputs,
        params: RotationParams,
        pairs: Pairs,
        rows: WindowRows,
        deadline: float | None = None,
    ) -> None:
        self.inputs, self.params, self.rows = inputs, params, rows
        self.herds = AloneHerds(inputs, params, pairs, deadline)
        self.api: Any = highs_api()

    def evaluate(self, lam: np.ndarray, workers: int = 1) -> tuple[float, _Seasons]:
        """``L(lam)`` and each herd's cheapest season at its prices (cost without them)."""
        value, found, price = priced_alone(
            self.herds, self.inputs, self.params, self.rows, lam, workers
        )
        assert found.eaten is not None
        # what each herd paid for its kg (it eats nothing where it is unplaced)
        periods = np.arange(self.inputs.n_periods)[None, :]
        paid = found.eaten * price[np.maximum(found.plot_of, 0), periods]
        cost = found.cost - paid.sum(axis=1)
        return value, _seasons(cost, found.plot_of, found.eaten, self.inputs.n_plots)


def plan_seasons(
    plot_of: np.ndarray, eaten: np.ndarray, inputs: RotationInputs, params: RotationParams
) -> _Seasons:
    """Every herd's season in a plan, as columns of the master."""
    cost = herd_season_costs(plot_of, eaten, inputs, params)
    return _seasons(cost, plot_of, eaten, inputs.n_plots)


class Master:
    """The master LP in HiGHS: a row per herd (its seasons sum to 1) and per window row."""

    def __init__(
        self, inputs: RotationInputs, params: RotationParams, rows: WindowRows, api: Any
    ) -> None:
        self.api = api
        self.n_h, n_w = inputs.n_herds, rows.p.size
        n_t = inputs.n_periods
        # cover[p * n_t + t, r] = 1 where window row r holds plot p in period t
        length = rows.b - rows.a + 1
        r = np.repeat(np.arange(n_w), length)
        step = np.arange(r.size) - np.repeat(np.cumsum(length) - length, length)
        t = np.repeat(rows.a, length) + step
        self.cover = sparse.csr_matrix(
            (np.ones(r.size), (np.repeat(rows.p, length) * n_t + t, r)),
            shape=(inputs.n_plots * n_t, n_w),
        )
        # objective in units of a week unfed of the largest herd (a power of two, exact):
        # in kg DM a season that leaves herds unfed costs 1e7 and more, and HiGHS' dual
        # simplex failed on such costs ("excessive dual values")
        weekly = max(h.demand_kg_day for h in inputs.herds) * params.period_days
        self.unit = 2.0 ** math.floor(math.log2(max(params.weight_unfed * weekly, 1.0)))
        self.highs = new_highs(api)
        inf = api.kHighsInf
        empty = np.zeros(0, dtype=np.int32)
        ones = np.ones(self.n_h)
        self.highs.addRows(self.n_h, ones, ones, 0, empty, empty, np.zeros(0))
        self.highs.addRows(n_w, np.full(n_w, -inf), rows.allowance, 0, empty, empty, np.zeros(0))
        # a kg eaten on a plot in a period may be left out of every row that holds it, at
        # what it would save unfed: the master's duals then never price a kg above that,
        # so the herds' seasons are priced in full (see herds_bound.priced_alone) and the ascent
        # does not stall where forage is short
        cells = np.flatnonzero(np.diff(self.cover.indptr) > 0)
        out = sparse.csc_matrix(-self.cover[cells].T)
        room = params.weight_unfed - params.weight_pressure * pressure_index(inputs)
        self.highs.addCols(
            cells.size,
            room[cells // n_t] / self.unit,
            np.zeros(cells.size),
            np.full(cells.size, inf),
            out.nnz,
            out.indptr[:-1].astype(np.int32),
            (self.n_h + out.indices).astype(np.int32),
            out.data,
        )

    def add(self, seasons: _Seasons) -> None:
        """Columns for the seasons: 1 in their herd's row, their kg in each window row."""
        kg = (seasons.eaten @ self.cover).tocsr()
        kg.sum_duplicates()
        n = seasons.herd.size
        per_col = np.diff(kg.indptr) + 1
        starts = np.r_[0, np.cumsum(per_col)[:-1]].astype(np.int32)
        idx = np.empty(int(per_col.sum()), dtype=np.int32)
        val = np.empty(idx.size)
        idx[starts] = seasons.herd
        val[starts] = 1.0
        rest = np.ones(idx.size, dtype=bool)
        rest[starts] = False
        idx[rest] = self.n_h + kg.indices
        val[rest] = kg.data
        self.highs.addCols(
            n,
            seasons.cost / self.unit,
            np.zeros(n),
            np.full(n, self.api.kHighsInf),
            idx.size,
            starts,
            idx,
            val,
        )

    def solve(self, time_limit: float) -> tuple[float, np.ndarray] | None:
        """The master's optimum and its window duals as multipliers (``None``: not solved
        in ``time_limit`` seconds)."""
        # HiGHS measures its time limit on a clock that runs over all solves of an instance
        self.highs.setOptionValue("time_limit", self.highs.getRunTime() + max(time_limit, 0.0))
        self.highs.run()
        if self.highs.getModelStatus() != self.api.HighsModelStatus.kOptimal:
            return None
        dual = np.asarray(self.highs.getSolution().row_dual)
        optimum = float(self.highs.getInfo().objective_function_value) * self.unit
        return optimum, np.maximum(-dual[self.n_h :] * self.unit, 0.0)
