"""A lower bound on a rotation plan's objective: forage over the season, walking, forced moves.

One linear programme (HiGHS) relaxes the rotation problem of :mod:`grazing_models.rotation`:

* **Herds of a union are pooled.** ``E[u, p, t]`` is the kg DM that union ``u``'s herds eat
  on plot ``p`` in period ``t``, over the placements the rules allow one of its herds on
  their own (:func:`~grazing_models.rotation.candidate_pairs`). Per union and period, what
  is eaten plus what is unfed is the union's demand.
* **Forage over the season, not week by week.** Whatever herds eat on a plot, for any run of
  periods ``a..b`` the kg eaten in it stay within what the plot can give over the run::

      sum(E[p, a..b]) <= max over grazed b' in a..b of  ua[p, b'] + sum(regrowth[p, a..b'-1])

  (``ua = utilisation * available``): depletion left before ``b'`` and not regrown counts
  against the allowance of ``b'``, the rule of the rotation module summed over the run.
  These *window* rows are added while the LP's solution breaks one (cutting planes),
  after one per plot from the start (:func:`_season_windows`).
* **Walking by the kg.** A herd on a plot walks its full weekly distance however much it eats,
  so the walking of a union's herds costs at least ``walk(p) / largest demand`` per kg eaten.
* **Forced moves.** A herd on a plot it may not use in the next period (season over, no
  forage) moves then, unless it leaves the plan: at least ``E / largest demand`` herds minus
  those whose grazing season ends, and when none of the union's plots goes on into the next
  period, every herd that grazes in both. A herd off the plan in a period saves a move; its
  unfed demand (at least the smallest herd's) pays for it: a kg unfed costs
  ``weight_unfed - weight_move / smallest demand`` here.

Rest, moves between plots that stay usable, distance limits and which herd is where are
relaxed, so every plan costs at least the LP's optimum on any subset of the window rows: the
bound is valid after every round, and rounds only raise it. The window rows' duals price a kg
of forage per plot and period; the heuristic plans with these prices
(:func:`grazing_models.rotation.herd_paths.sequential_plan`).

**The district LP** (``one_union=True``) pools every herd as one union's, on every plot
and period some union may use (``Candidates.anywhere``): at most plots x periods columns
where the unions' LP has one per union on each public plot (the demo store: 69 unions,
2,232 public plots, 1.6 M columns against 29,234; its first solve did not finish within
60 s, the district LP's whole cutting-plane run took 5.5 s of CPU). Its optimum is a
bound too: every plan gives a solution of the unions' LP that keeps every window row
(those of one period too: ``sum over u of E[u, p, t] <= ua[p, t]``), and from it
``E[p, t] = sum over u of E[u, p, t]``, ``U[t] = sum of U[u, t]``, ``F[t] = sum of
F[u, t]`` is a solution of the district LP that costs no more:

* Demand: the unions' rows summed give the district's row.
* Windows hold the same sums of ``E``; the one-period window is the column's upper bound.
* Cost: a kg on ``p`` costs ``press + walk / dmax`` with the district's ``dmax`` (the
  largest herd's) at most the union's; an unfed kg ``weight_unfed - weight_move / dmin``
  with the district's smallest ``dmin``, at most the union's.
* Row A: a district column is forced only where no union may use the plot in the next
  period, so it is forced for every union that has it; summing the unions' rows
  ``F[u] >= sum of forced E[u] / dmax[u] - ends[u]`` gives ``F >= sum of forced E / dmax -
  ends`` (``dmax >= dmax[u]``, and fewer E terms).
* Row B: it is written only where every district column of the period is forced, so every
  union's are (a union with none there has all its herds unfed in the period, and its row
  holds as well: ``U[u, t] >= dmin[u] * herds``); summing ``F[u] + (U[u, t] + U[u, t+1]) /
  dmin[u] >= both[u]`` with ``dmin <= dmin[u]`` gives the district's.

The relaxation loses that a union's own plots feed only its herds (the demo store: 604
own plots of 2,836), so the unions' LP, where it finishes, may prove more; the planner
takes the better (``tests/grazing_models/rotation/test_forage_lp.py`` has a district
where the unions' LP proves more, and both below the MILP's optimum).

**Over groups of weeks** (``group`` > 1): the same LP summed over groups of consecutive
periods, a relaxation of this one proved row by row in
:mod:`grazing_models.rotation.forage_data` (:func:`~grazing_models.rotation.forage_data.coarsen`).
Ten copies of the demo store's district have 292,340 weekly district columns, whose first
solve did not end within a 60 s limit under load; over fortnights (163,690) the LP proves
the same 1.18e11 complete in 12.6 s of CPU, over months in 4.1 s
(``benchmarks/planner.py``).

On large instances the LP's columns are generated too: it starts from each union's
cheapest plots in each period and adds a column whenever its reduced cost is negative.
Before the last round the bound is the restricted LP's optimum plus, for every column left
out, its upper bound times its reduced cost where negative (a Lagrangian bound), so it is
valid at any time. On the demo
district (129 herds, 2,741 plots, 29 weeks) the full LP would have 125,000 columns; see
``benchmarks/planner.py`` for rounds, rows and times.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numba import types as nt

from grazing_models.rotation.forage_data import (
    Unions,
    coarsen,
    e_columns,
    lp_data,
    period_starts,
    unique_keys,
)
from grazing_models.rotation.highs import highs_api, new_highs
from grazing_models.rotation.jit import jit
from grazing_models.rotation.model import RotationInputs, RotationParams
from grazing_models.rotation.pairs import Pairs

__all__ = [
    "ALL_COLUMNS_MAX",
    "SIGNATURES",
    "ForageBound",
    "ForageLp",
    "WindowRows",
    "forage_lower_bound",
    "shave",
    "supply_bound",
    "unique_keys",
]

# Windows are added when broken by more than this share of the plot's largest allowance: the
# LP's own feasibility tolerance is 1e-7, below it a broken window could come back forever.
_WINDOW_TOL = 1e-6
# A left-out column comes in when its reduced cost is below minus this (objective per kg).
_RC_TOL = 1e-9
# HiGHS' optimum carries its feasibility tolerances; shave the bound by as much.
_SHAVE = 1e-7
#: Up to this many E columns the LP holds them all from the start; above, it generates them.
#: The demo district (125,000 columns): 8.8 s with all of them, 14.2 s generated; ten times
#: larger (510,000): the first solve with all of them alone took 57 s (benchmarks/planner.py).
ALL_COLUMNS_MAX = 200_000
# Generated columns start from each union's cheapest plots holding this many times its demand.
_START_SHARE = 3.0


@dataclass(frozen=True)
class WindowRows:
    """Window rows ``sum(E[p, a..b]) <= allowance`` with a multiplier ``lam >= 0`` each, on
    plots and periods of ``shape``.

    Every plan keeps every row, so any ``lam >= 0`` prices forage for a Lagrangian bound
    (:func:`priced_herd_bound`, :mod:`grazing_models.rotation.lagrangian`).
    """

    p: np.ndarray
    a: np.ndarray
    b: np.ndarray
    allowance: np.ndarray
    lam: np.ndarray
    shape: tuple[int, int]

    @classmethod
    def none(cls, shape: tuple[int, int]) -> WindowRows:
        """No rows: every price is 0."""
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, empty, empty, np.zeros(0), np.zeros(0), shape)

    def price(self, lam: np.ndarray) -> np.ndarray:
        """Per plot and period, the sum of ``lam`` over the rows that cover it (clipped at 0
        against round-off)."""
        return np.maximum(_over_windows(self.p, self.a, self.b, lam, self.shape), 0.0)


@dataclass(frozen=True)
class ForageBound:
    """The LP's bound and the shadow price of forage.

    Attributes
    ----------
    value
        A proven lower bound on the objective of every plan (``-inf`` if the LP failed).
    rounds, windows
        Cutting-plane rounds run and window rows added.
    complete
        Whether no window row was broken at the end (else a time limit stopped the rounds).
    rows
        The window rows priced by the LP's last solve: plot, first and last period,
        allowance, and the dual of each (>= 0), as in :class:`WindowRows`.
    """

    value: float
    rounds: int
    windows: int
    complete: bool
    rows: WindowRows

    @cached_property
    def price(self) -> np.ndarray:
        """Shadow price of a kg DM eaten per plot and period, shape ``(n_plots, n_periods)``,
        >= 0: what a kg eaten there costs the other herds, in objective units; the sum of
        the duals of the window rows that cover it."""
        return self.rows.price(self.rows.lam)

    @property
    def price_value(self) -> float:
        """What those duals are worth: the sum over window rows of dual times allowance. Any
        plan's objective is at least its herds' costs with the prices less this
        (:func:`priced_herd_bound`)."""
        return float(self.rows.lam @ self.rows.allowance)


def forage_lower_bound(
    inputs: RotationInputs,
    params: RotationParams,
    pairs: Pairs,
    *,
    time_limit: float | None = None,
    max_rounds: int = 300,
    one_union: bool = False,
    group: int = 1,
    on_round: Callable[[ForageBound], None] | None = None,
) -> ForageBound:
    """Lower bound from pooled forage, walking and forced moves (see the module docstring).

    Parameters
    ----------
    inputs, params
        The rotation problem.
    pairs
        Its candidate placements (``grazing_models.rotation.pairs.find_pairs``).
    time_limit
        Seconds for the whole computation: no round starts after it and a solve stops at
        it; the bound reached so far stays valid.
    max_rounds
        Most rounds (a solve, then columns and windows added).
    one_union
        Pool every herd as one union's (``pairs`` then ``Candidates.anywhere``): the
        district LP, a relaxation of the unions' (see :class:`ForageLp`) with at most
        plots x periods columns.
    group
        Periods of the LP: groups of this many consecutive periods of the plan, a
        relaxation of the LP over the plan's periods with about ``1 / group`` of its
        columns (:func:`~grazing_models.rotation.forage_data.coarsen`); its window rows and
        prices are in the plan's periods.
    on_round
        Called after every round with the bound so far (valid after every round): a caller
        whose own deadline comes before this one's keeps what the last round proved.
    """
    api = highs_api()
    t0 = time.perf_counter()
    n_p, n_t = inputs.n_plots, inputs.n_periods
    no_rows = WindowRows.none((n_p, n_t))
    if pairs.h.size == 0:
        return ForageBound(_all_unfed(inputs, params), 0, 0, True, no_rows)
    if api is None:  # pragma: no cover - highspy is a dependency
        return ForageBound(-math.inf, 0, 0, False, no_rows)
    lp = ForageLp(inputs, params, pairs, api, one_union=one_union, group=group)
    lp.add_windows(*_season_windows(lp))
    best, complete, rounds = -math.inf, False, 0
    lam = np.zeros(0)
    while rounds < max_rounds:
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if (left is not None and left <= 0) or not lp.solve(left):
            break
        rounds += 1
        rc = lp.reduced_costs()
        left_out = lp.col_of < 0
        # the left-out columns could lower the objective by at most this much
        gain = float(np.sum(lp.upper * np.minimum(rc, 0.0), where=left_out))
        best = max(best, lp.objective() + gain)
        out = left_out & (rc < -_RC_TOL)
        lam = lp.window_duals()
        p, a, b, w = lp.broken_windows(lp.eaten())
        complete = p.size == 0 and not out.any()
        if on_round is not None:
            on_round(_found(lp, lam, best, rounds, complete))
        if complete:
            break
        # one kind at a time: new columns keep HiGHS' basis primal feasible (primal simplex
        # goes on), new windows keep it dual feasible (dual simplex goes on); both at once
        # made the demo's rounds twice as slow
        if out.any():
            lp.add_columns(lp.most_negative(np.flatnonzero(out), rc))
        else:
            lp.add_windows(p, a, b, w)
    return _found(lp, lam, best, rounds, complete)


def _found(lp: ForageLp, lam: np.ndarray, best: float, rounds: int, complete: bool) -> ForageBound:
    """The bound after ``rounds``, with the rows priced by the last solve (a round may have
    added more after it)."""
    return ForageBound(shave(best), rounds, lp.n_windows, complete, lp.fine_rows(lam))


def supply_bound(
    inputs: RotationInputs, params: RotationParams, pairs: Pairs, *, one_union: bool = False
) -> float:
    """A lower bound in one pass over the candidates, before any LP: the forage LP without
    its window rows and forced moves (the LP's first round relaxed further).

    ``pairs`` are each union's pooled candidates (``Candidates.union``), or with
    ``one_union`` every herd's pooled as one union's (``Candidates.anywhere``: any herd
    may eat on any of them, but a plot's forage is no longer counted once per union).

    Per union and period, its demand is met from its cheapest candidate plots (pressure and
    walking per kg as in the LP), each giving at most ``utilisation * available`` in the
    period, and what no plot cheaper than ``weight_unfed`` meets is unfed. Depletion, rest,
    moves and the sharing of public plots between unions are relaxed, so every plan costs at
    least this; it takes a sort of the candidates, so a plan that has its candidates always
    has this bound, however little time is left (the LP's rounds then raise it).
    """
    if pairs.h.size == 0:
        return _all_unfed(inputs, params)
    un = Unions.of(inputs, params, one_union=one_union)
    n_p, n_t = inputs.n_plots, inputs.n_periods
    key, cost = e_columns(inputs, params, pairs, un)
    p, ut = (key // n_t) % n_p, (key // (n_p * n_t)) * n_t + key % n_t
    upper = params.utilisation * inputs.available_kg[p, key % n_t]
    cheap = cost < params.weight_unfed  # dearer plots than going unfed are never used
    cost, upper, ut = cost[cheap], upper[cheap], ut[cheap]
    order = np.lexsort((cost, ut))
    g, up, c = ut[order], upper[order], cost[order]
    held = np.cumsum(up)
    start = np.searchsorted(g, g)  # first position of each column's group
    before = held - up - np.where(start > 0, held[start - 1], 0.0)  # held by cheaper ones
    need = un.need.ravel()
    eaten = np.clip(need[g] - before, 0.0, up)
    fed = np.bincount(g, weights=eaten, minlength=need.size)
    unfed = np.maximum(0.0, need - fed)
    return shave(float(c @ eaten) + params.weight_unfed * float(unfed.sum()))


def shave(value: float) -> float:
    """A bound less what HiGHS' tolerances could have added to it."""
    return value - _SHAVE * max(abs(value), 1.0)


def _all_unfed(inputs: RotationInputs, params: RotationParams) -> float:
    """The objective when no herd can be placed anywhere: every kg unfed."""
    days = params.period_days
    kg = sum(
        h.demand_kg_day * days * len(inputs.herd_periods(i)) for i, h in enumerate(inputs.herds)
    )
    return params.weight_unfed * kg


class ForageLp:
    """The LP in HiGHS: rows for demand and forced moves, U and F columns from the start;
    E columns and window rows as the rounds add them.

    Columns E (kg eaten per union, plot, period), U (unfed per union and period), F (forced
    moves per union and period). Rows: demand (per union and period), A (forced moves
    counted by the kg on plots that end: ``dmax F - sum E >= -dmax * herds whose season
    ends``), B (every plot of the union ends: ``F + (U[t] + U[t + 1]) / dmin >= herds
    grazing in t and t + 1``), windows. With ``group`` > 1 its periods are groups of that
    many of the plan's (:func:`~grazing_models.rotation.forage_data.coarsen`, a relaxation
    of the LP over the plan's periods); its window rows are kept in the plan's periods.
    """

    def __init__(
        self,
        inputs: RotationInputs,
        params: RotationParams,
        pairs: Pairs,
        api: Any,
        *,
        one_union: bool = False,
        group: int = 1,
    ) -> None:
        d = lp_data(inputs, params, pairs, one_union=one_union)
        if group > 1:
            d = coarsen(d, period_starts(inputs.n_periods, group))
        self.data = d
        n_u, n_t = d.need.shape
        self.n_t = n_t
        self.u, self.p, self.t, self.cost = d.u, d.p, d.t, d.cost
        self.upper, self.forced = d.upper, d.forced
        self.ua, self.usable = d.ua, d.usable  # per plot and plan period
        self.ut = self.u * n_t + self.t
        n_ut = n_u * n_t
        a_ut = np.flatnonzero(~np.isnan(d.a_lower.ravel()))
        b_ut = np.flatnonzero(~np.isnan(d.b_lower.ravel()))
        f_ut = np.union1d(a_ut, b_ut)  # an F column per union and period with a row A or B
        n_a, n_b = a_ut.size, b_ut.size
        self.row_a = np.full(n_ut, -1)
        self.row_a[a_ut] = n_ut + np.arange(n_a)
        row_b = np.full(n_ut, -1)
        row_b[b_ut] = n_ut + n_a + np.arange(n_b)

        inf = api.kHighsInf
        self.highs = new_highs(api)
        self.api = api
        lower = np.concatenate([d.need.ravel(), d.a_lower.ravel()[a_ut], d.b_lower.ravel()[b_ut]])
        upper = np.concatenate([d.need.ravel(), np.full(n_a + n_b, inf)])
        empty = np.zeros(0, dtype=np.int32)
        self.highs.addRows(n_ut + n_a + n_b, lower, upper, 0, empty, empty, np.zeros(0))
        self.n_rows = n_ut + n_a + n_b
        # U per (union, period), in row B of its period and of the one before; then F per
        # (union, period) with a row A (coefficient dmax) or B (1)
        unfed = np.maximum(0.0, params.weight_unfed - params.weight_move / d.d_min)
        u_rows = [[k] for k in range(n_ut)]
        u_vals = [[1.0] for _ in range(n_ut)]
        now, nxt = d.b_now.ravel(), d.b_next.ravel()
        for ut in b_ut.tolist():
            scale = 1.0 / d.d_min[ut // n_t]
            for j, c in ((ut, now[ut]), (ut + 1, nxt[ut])):
                if c > 0.0:
                    u_rows[j].append(int(row_b[ut]))
                    u_vals[j].append(float(c * scale))
        self._add_cols(np.repeat(unfed, n_t), np.full(n_ut, inf), u_rows, u_vals)
        f_rows: list[list[int]] = [[] for _ in f_ut]
        f_vals: list[list[float]] = [[] for _ in f_ut]
        for k, ut in enumerate(f_ut.tolist()):
            if self.row_a[ut] >= 0:
                f_rows[k].append(int(self.row_a[ut]))
                f_vals[k].append(float(d.d_max[ut // n_t]))
            if row_b[ut] >= 0:
                f_rows[k].append(int(row_b[ut]))
                f_vals[k].append(1.0)
        self._add_cols(
            np.full(f_ut.size, params.weight_move), np.full(f_ut.size, inf), f_rows, f_vals
        )
        self.n_cols = n_ut + f_ut.size
        self.first_dual_row = self.n_rows  # window rows follow
        self.windows: dict[int, list[tuple[int, int, int]]] = {}  # plot -> (a, b, row)
        # window rows in order: plot, first and last (LP) period, allowance
        self.win_p = self.win_a = self.win_b = np.zeros(0, dtype=np.int64)
        self.win_w = np.zeros(0)
        n_e = self.u.size
        self.col_of = np.full(n_e, -1)  # HiGHS column of each E column, -1 left out
        self.need = d.need.ravel()
        if n_e <= ALL_COLUMNS_MAX:
            self.add_columns(np.arange(n_e))
        else:
            self.add_columns(_cheapest(self.cost, self.upper, self.ut, self.need, _START_SHARE))

    @property
    def shape(self) -> tuple[int, int]:
        """Plots and LP periods."""
        return self.data.shape

    def cap(self) -> np.ndarray:
        """Most kg eaten per plot and LP period (0 where no E column is)."""
        return self.data.cap()

    def broken_windows(
        self, eaten: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The most broken window row from each plot and LP period by ``eaten`` (kg per plot
        and LP period): plot, first and last LP period, allowance."""
        eaten = np.ascontiguousarray(eaten)
        starts = np.ascontiguousarray(self.data.starts, dtype=np.int64)
        d = self.data
        return _broken_windows(eaten, d.ua, d.regrow, d.usable, starts, _WINDOW_TOL)

    def fine_rows(self, lam: np.ndarray) -> WindowRows:
        """The first ``lam.size`` window rows, priced by ``lam``, in the plan's periods (a
        row over LP periods ``a..b`` holds the plan's periods from the first of ``a`` to the
        last of ``b``)."""
        n, starts = lam.size, self.data.starts
        a, b = starts[self.win_a[:n]], starts[self.win_b[:n] + 1] - 1
        return WindowRows(self.win_p[:n], a, b, self.win_w[:n], lam, self.usable.shape)

    @property
    def n_windows(self) -> int:
        """Window rows added."""
        return self.win_p.size

    def _add_cols(
        self, cost: np.ndarray, upper: np.ndarray, rows: list[list[int]], vals: list[list[float]]
    ) -> None:
        starts = np.r_[0, np.cumsum([len(r) for r in rows])[:-1]].astype(np.int32)
        idx = np.array([i for r in rows for i in r], dtype=np.int32)
        val = np.array([v for vs in vals for v in vs], dtype=float)
        n = len(rows)
        self.highs.addCols(n, cost, np.zeros(n), upper, idx.size, starts, idx, val)

    def add_columns(self, cols: np.ndarray) -> None:
        """Bring E columns into the LP, with their entries in every row already there."""
        if cols.size == 0:
            return
        rows: list[list[int]] = []
        vals: list[list[float]] = []
        for j in cols.tolist():
            r, v = [int(self.ut[j])], [1.0]
            if self.forced[j]:
                r.append(int(self.row_a[self.ut[j]]))
                v.append(-1.0)
            for a, b, row in self.windows.get(int(self.p[j]), ()):
                if a <= self.t[j] <= b:
                    r.append(row)
                    v.append(1.0)
            rows.append(r)
            vals.append(v)
        self._add_cols(self.cost[cols], self.upper[cols], rows, vals)
        self.col_of[cols] = self.n_cols + np.arange(cols.size)
        self.n_cols += cols.size

    def most_negative(self, cols: np.ndarray, rc: np.ndarray) -> np.ndarray:
        """Of the left-out columns ``cols``, per union and period the most negative reduced
        costs until they hold the union's demand: a scarce price makes every column look
        good, and taking them all makes each solve slower."""
        return cols[_cheapest(rc[cols], self.upper[cols], self.ut[cols], self.need, 1.0)]

    def add_windows(self, p: np.ndarray, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> None:
        """Rows ``sum(E[p, a..b]) <= w`` over the E columns in the LP."""
        if p.size == 0:
            return
        inside = np.flatnonzero(self.col_of >= 0)
        key = self.p[inside] * self.n_t + self.t[inside]
        order = np.argsort(key, kind="stable")
        key, cols = key[order], self.col_of[inside][order]
        lo = np.searchsorted(key, p * self.n_t + a)
        hi = np.searchsorted(key, p * self.n_t + b + 1)
        idx = np.concatenate([cols[i:j] for i, j in zip(lo, hi, strict=True)])
        starts = np.r_[0, np.cumsum(hi - lo)[:-1]].astype(np.int32)
        self.highs.addRows(
            p.size,
            np.full(p.size, -self.api.kHighsInf),
            w,
            idx.size,
            starts,
            idx.astype(np.int32),
            np.ones(idx.size),
        )
        for k, (pk, ak, bk) in enumerate(zip(p.tolist(), a.tolist(), b.tolist(), strict=True)):
            self.windows.setdefault(pk, []).append((ak, bk, self.n_rows + k))
        self.win_p, self.win_a = np.r_[self.win_p, p], np.r_[self.win_a, a]
        self.win_b, self.win_w = np.r_[self.win_b, b], np.r_[self.win_w, w]
        self.n_rows += p.size

    def solve(self, time_limit: float | None) -> bool:
        """Solve; whether HiGHS found the optimum (within ``time_limit`` seconds)."""
        # HiGHS measures its time limit on a clock that runs over all solves of an instance
        limit = math.inf if time_limit is None else self.highs.getRunTime() + time_limit
        self.highs.setOptionValue("time_limit", limit)
        self.highs.run()
        if self.highs.getModelStatus() != self.api.HighsModelStatus.kOptimal:
            return False
        solution = self.highs.getSolution()
        self._x = np.asarray(solution.col_value)
        self._dual = np.asarray(solution.row_dual)
        return True

    def objective(self) -> float:
        """The optimum of the last solve."""
        return float(self.highs.getInfo().objective_function_value)

    def eaten(self) -> np.ndarray:
        """Kg eaten per plot and period in the last solve."""
        out = np.zeros(self.shape)
        inside = np.flatnonzero(self.col_of >= 0)
        np.add.at(out, (self.p[inside], self.t[inside]), self._x[self.col_of[inside]])
        return out

    def _over_windows(self, per_row: np.ndarray) -> np.ndarray:
        return _over_windows(self.win_p, self.win_a, self.win_b, per_row, self.shape)

    def _window_duals(self) -> np.ndarray:
        return self._dual[self.first_dual_row : self.first_dual_row + self.n_windows]

    def window_duals(self) -> np.ndarray:
        """The window rows' duals as multipliers ``>= 0`` (HiGHS' duals of ``<=`` rows are
        <= 0 but for round-off)."""
        return np.maximum(-self._window_duals(), 0.0)

    def reduced_costs(self) -> np.ndarray:
        """Reduced cost of every E column, in the LP or not, at the last solve's duals."""
        dual_a = np.where(self.row_a >= 0, self._dual[np.maximum(self.row_a, 0)], 0.0)
        window = self._over_windows(self._window_duals())
        rc = self.cost - self._dual[self.ut] - window[self.p, self.t]
        return rc + np.where(self.forced, dual_a[self.ut], 0.0)


def _over_windows(
    p: np.ndarray, a: np.ndarray, b: np.ndarray, per_row: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """Per plot and period, the sum of ``per_row`` (a value per window row ``p, a..b``) over
    the rows that cover it: differences at each row's ends, summed along periods."""
    n_p, n_t = shape
    diff = np.zeros((n_p, n_t + 1))
    np.add.at(diff, (p, a), per_row)
    np.add.at(diff, (p, b + 1), -per_row)
    return np.cumsum(diff[:, :n_t], axis=1)


def _cheapest(
    cost: np.ndarray, upper: np.ndarray, group: np.ndarray, need: np.ndarray, times: float
) -> np.ndarray:
    """Positions of the cheapest entries per group (union and period) until their upper
    bounds hold ``times`` the group's demand (at least one per group)."""
    order = np.lexsort((cost, group))
    g = group[order]
    held = np.cumsum(upper[order])
    start = np.searchsorted(g, g)  # first position of each column's group
    before = np.where(start > 0, held[start - 1], 0.0)
    within = held - upper[order] - before  # held by cheaper columns of the group
    return np.sort(order[(within < times * need[g]) | (within == 0.0)])


def _season_windows(lp: ForageLp) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The LP's first window rows: per plot, from its first period, the window most broken
    by eating the whole allowance of every usable period (about the season's forage).
    Without them the first solve has no depletion at all; with them it proves nearly the
    final bound (the demo store: 11,787,996,676 of 11,787,996,683 in its first solve, 0.8 s
    of CPU, where the cutting planes alone needed 8 rounds and 4.5 s; at 4x, 4.7e10 in the
    first solve where three rounds had reached 3.9e10)."""
    p, a, b, w = lp.broken_windows(lp.cap())
    first = np.r_[True, p[1:] != p[:-1]] if p.size else np.zeros(0, dtype=np.bool_)
    return p[first], a[first], b[first], w[first]


@jit()
def _broken_windows(
    eaten: np.ndarray,
    ua: np.ndarray,
    regrow: np.ndarray,
    usable: np.ndarray,
    starts: np.ndarray,
    tol: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For every plot and first LP period ``a``, the most broken window ``a..b``: plot, a, b
    and the window's allowance (arrays, one entry per broken window). ``eaten`` is per plot
    and LP period, LP period ``g`` the plan's periods ``starts[g]..starts[g + 1] - 1``;
    ``ua``, ``regrow`` and ``usable`` are per plot and plan period, and the allowance of
    ``a..b`` is that of the plan's periods they hold."""
    n_p, n_g = eaten.shape
    out_p = np.empty(n_p * n_g, dtype=np.int64)
    out_a = np.empty(n_p * n_g, dtype=np.int64)
    out_b = np.empty(n_p * n_g, dtype=np.int64)
    out_w = np.empty(n_p * n_g)
    n = 0
    for p in range(n_p):
        peak = 1.0
        total = 0.0
        for t in range(ua.shape[1]):
            peak = max(peak, ua[p, t])
        for g in range(n_g):
            total += eaten[p, g]
        if total <= 0.0:
            continue
        slack = tol * peak
        for a in range(n_g):
            eaten_sum = 0.0
            regrown = 0.0
            allowance = -1.0
            worst, worst_b, worst_w = slack, -1, 0.0
            for b in range(a, n_g):
                for t in range(starts[b], starts[b + 1]):
                    if usable[p, t]:
                        allowance = max(allowance, ua[p, t] + regrown)
                    regrown += regrow[p, t]
                eaten_sum += eaten[p, b]
                if allowance >= 0.0 and eaten_sum - allowance > worst:
                    worst, worst_b, worst_w = eaten_sum - allowance, b, allowance
            if worst_b >= 0:
                out_p[n], out_a[n], out_b[n], out_w[n] = p, a, worst_b, worst_w
                n += 1
    return out_p[:n], out_a[:n], out_b[:n], out_w[:n]


_F2 = nt.float64[:, ::1]

SIGNATURES: dict[str, tuple[tuple[nt.Type, ...], ...]] = {
    "_broken_windows": ((_F2, _F2, _F2, nt.boolean[:, ::1], nt.int64[::1], nt.float64),),
}
"""The argument types :func:`_broken_windows` is called with: the signature compiled ahead
by ``pasture kernels warm`` (:mod:`pasture.kernels`)."""
