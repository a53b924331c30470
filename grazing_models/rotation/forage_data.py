"""The forage LP's rows and columns as arrays (:class:`LpData`), over the plan's periods or
over groups of consecutive periods: the coarse relaxation of :func:`coarsen`.

:class:`~grazing_models.rotation.forage_lp.ForageLp` builds its HiGHS model from an
:class:`LpData`. :func:`lp_data` gives the LP of :mod:`~grazing_models.rotation.forage_lp`
(its docstring proves it a relaxation of every plan) over the plan's periods;
:func:`coarsen` sums it over groups of consecutive periods (fortnights, months): fewer
columns, one per union, plot and group, so a district too large for its weekly LP within
the time left still gets a bound from a smaller one.

**The coarse LP is a relaxation of the weekly one.** Take any solution of the weekly LP
that keeps every window row (every plan gives one: the weekly LP's proof) and set, per
union ``u``, plot ``p`` and group ``g`` of periods,
``E^[u, p, g] = sum over t in g of E[u, p, t]``, ``U^[u, g] = sum of U[u, t]``,
``F^[u, g] = sum of F[u, t]``. Row by row it is a solution of the coarse LP, and it costs
no more:

* Columns: ``E^[u, p, g]`` exists where some ``E[u, p, t]``, ``t`` in ``g``, does (the
  seasons and the plots' forage, which decide the weekly columns, decide the coarse ones);
  what is eaten in a week of the group is eaten in the group.
* Cost: a kg of ``E^`` costs the least of its weeks' costs, so ``sum of cost * E`` over the
  weeks is at least ``cost^ * E^``; ``U`` and ``F`` cost the same in every week.
* Demand: the weekly rows ``sum over p of E[u, p, t] + U[u, t] = need[u, t]`` summed over
  the group's weeks are the coarse row, with ``need^[u, g]`` their sum.
* Upper bounds: ``E[u, p, t] <= ua[p, t]`` summed gives ``E^ <= sum of ua[p, t]``; and the
  window row of the weeks of ``g`` (``sum over u and t in g of E[u, p, t] <=`` its
  allowance) bounds ``E^[u, p, g]`` too: the least of the two is the column's bound.
* Windows: a coarse window row over groups ``ga..gb`` of plot ``p`` holds the same kg as
  the weekly window row over their weeks, ``start(ga)..end(gb)``, with the same allowance
  (:func:`~grazing_models.rotation.forage_lp._broken_windows` computes it over the weeks):
  it is one of the weekly LP's window rows. Depletion and regrowth within a group are
  counted as the weekly windows count them.
* Row A (forced moves by the kg): a coarse column is *forced* only when every one of its
  weekly columns is; the weekly rows ``dmax F[u, t] - sum over forced p of E[u, p, t] >=
  -dmax * ends[u, t]`` summed over the weeks of ``g`` that have one give ``dmax F^[u, g] -
  (the forced kg of the group) >= -dmax * sum of those ends``, and the forced kg of the
  group are at least the kg of its forced coarse columns (every E >= 0). Where no coarse
  column of ``g`` is forced the row is left out (``F^ >= 0`` holds).
* Row B (every plot of the union ends): the weekly rows ``F[u, t] + (U[u, t] + U[u, t+1]) /
  dmin >= both[u, t]`` summed over the weeks of ``g`` that have one give ``F^[u, g] +
  (sum of c[s] * U[u, s]) / dmin >= sum of both``, where ``c[s]`` (0, 1 or 2) counts the
  rows ``U[u, s]`` is in; ``c[s] <= max of c`` over the group's weeks, so ``max(c) *
  U^[u, g]``, plus ``U^[u, g + 1]`` where the group's last week has a row (its ``U[u,
  t + 1]`` is the next group's first week), is at least that sum: the coarse row.

So every plan costs at least the coarse LP's optimum on any subset of its window rows, as
for the weekly LP: its bound is valid after every round. It proves less than the weekly LP
(within a group, depletion, forced moves and which week holds the demand are pooled), but
with a fraction of its columns. Its window rows are window rows of the weekly LP, so their
duals price forage per plot and week as the weekly LP's do
(:class:`~grazing_models.rotation.forage_lp.WindowRows`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grazing_models.rotation.model import RotationInputs, RotationParams, pressure_index
from grazing_models.rotation.pairs import Pairs

__all__ = ["LpData", "Unions", "coarsen", "e_columns", "lp_data", "period_starts", "unique_keys"]


@dataclass(frozen=True)
class Unions:
    """The herds' unions: each herd's union (index into the sorted union names), and per
    union the largest and smallest herd demand per period and the demand per period."""

    n: int
    of_herd: np.ndarray
    d_max: np.ndarray
    d_min: np.ndarray
    need: np.ndarray  # (unions, periods), kg DM

    @classmethod
    def of(cls, inputs: RotationInputs, params: RotationParams, one_union: bool = False) -> Unions:
        names = [""] if one_union else sorted({h.union_id for h in inputs.herds})
        index = {u: i for i, u in enumerate(names)}
        of_herd = np.array(
            [0 if one_union else index[h.union_id] for h in inputs.herds], dtype=np.int64
        )
        demand = np.array([h.demand_kg_day * params.period_days for h in inputs.herds])
        d_max = np.zeros(len(names))
        d_min = np.full(len(names), np.inf)
        np.maximum.at(d_max, of_herd, demand)
        np.minimum.at(d_min, of_herd, demand)
        need = np.zeros((len(names), inputs.n_periods))
        for h in range(inputs.n_herds):
            r = inputs.herd_periods(h)
            need[of_herd[h], r.start : r.stop] += demand[h]
        return cls(len(names), of_herd, d_max, d_min, need)


def e_columns(
    inputs: RotationInputs, params: RotationParams, pairs: Pairs, un: Unions
) -> tuple[np.ndarray, np.ndarray]:
    """The LP's E columns, each (union, plot, period) one of the union's herds may take
    alone, as sorted keys ``(union * n_plots + plot) * n_periods + period``, and the cost of
    a kg eaten in each: pressure, and walking shared as if by the union's largest herd."""
    n_p, n_t = inputs.n_plots, inputs.n_periods
    key = unique_keys((un.of_herd[pairs.h] * n_p + pairs.p) * n_t + pairs.t, un.n * n_p * n_t)
    u, p = key // (n_p * n_t), (key // n_t) % n_p
    water = np.array([pl.water_km for pl in inputs.plots])
    walk = params.weight_walk_km * 2.0 * water * params.period_days
    press = params.weight_pressure * pressure_index(inputs)
    return key, press[p] + walk[p] / un.d_max[u]


def unique_keys(keys: np.ndarray, n_keys: int) -> np.ndarray:
    """``np.unique(keys)`` for keys in ``0..n_keys-1``: marked in a table when it is no
    larger than the keys (10x demo: 58 M pairs, 0.3 s against 6 s hashing), else sorted
    (NumPy 2's ``np.unique`` hashes: the E columns of the 10x synthetic district's 5.1 M
    union candidates took 6.7 s of CPU with it, 0.9 s sorted)."""
    if n_keys > keys.size:
        ordered = np.sort(keys)
        return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if ordered.size else ordered
    seen = np.zeros(n_keys, dtype=np.bool_)
    seen[keys] = True
    return np.flatnonzero(seen)


@dataclass(frozen=True)
class LpData:
    """The forage LP over its periods (the plan's, or groups of them): E columns sorted by
    union, plot and period; rows A and B per union and period (``nan``: no row).

    Attributes
    ----------
    starts
        The plan period each LP period starts at, then the number of plan periods.
    u, p, t, cost, upper, forced
        Per E column: union, plot, LP period, cost of a kg, most kg, and whether row A
        counts it.
    need
        Demand per union and LP period, kg.
    a_lower, b_lower
        Right-hand sides of rows A and B per union and LP period (``nan``: no row).
    b_now, b_next
        In row B of a union and period, the coefficients (times ``1 / d_min``) of its U in
        that period and in the next.
    d_max, d_min
        Per union, its largest and smallest herd's demand in a period.
    ua, regrow, usable
        Per plot and *plan* period: most kg eaten (utilisation times standing forage),
        regrowth, and whether some E column is there (the window rows' allowances).
    """

    starts: np.ndarray
    u: np.ndarray
    p: np.ndarray
    t: np.ndarray
    cost: np.ndarray
    upper: np.ndarray
    forced: np.ndarray
    need: np.ndarray
    a_lower: np.ndarray
    b_lower: np.ndarray
    b_now: np.ndarray
    b_next: np.ndarray
    d_max: np.ndarray
    d_min: np.ndarray
    ua: np.ndarray
    regrow: np.ndarray
    usable: np.ndarray

    @property
    def n_t(self) -> int:
        """The LP's periods."""
        return self.starts.size - 1

    @property
    def shape(self) -> tuple[int, int]:
        """Plots and LP periods."""
        return self.ua.shape[0], self.n_t

    def cap(self) -> np.ndarray:
        """Most kg eaten per plot and LP period (0 where no E column is): the columns'
        upper bounds, the same for every union's."""
        out = np.zeros(self.shape)
        out[self.p, self.t] = self.upper
        return out


def lp_data(
    inputs: RotationInputs, params: RotationParams, pairs: Pairs, *, one_union: bool = False
) -> LpData:
    """The forage LP over the plan's periods (every union's herds pooled as one with
    ``one_union``): :class:`~grazing_models.rotation.forage_lp.ForageLp`'s rows."""
    n_p, n_t = inputs.n_plots, inputs.n_periods
    un = Unions.of(inputs, params, one_union=one_union)
    ends = np.zeros((un.n, n_t))  # herds whose grazing season ends in the period
    both = np.zeros((un.n, n_t))  # herds grazing in the period and the next
    for h in range(inputs.n_herds):
        r = inputs.herd_periods(h)
        ends[un.of_herd[h], r.stop - 1] += 1
        both[un.of_herd[h], r.start : r.stop - 1] += 1
    # every E column: each (union, plot, period) one of the union's herds may take alone
    key, cost = e_columns(inputs, params, pairs, un)
    u, p, t = key // (n_p * n_t), (key // n_t) % n_p, key % n_t
    ua = np.ascontiguousarray(params.utilisation * inputs.available_kg)
    usable = np.zeros((n_p, n_t), dtype=np.bool_)
    usable[p, t] = True
    # forced: the union may not stay on the plot into the next period (key + 1 is that)
    pos = np.minimum(np.searchsorted(key, key + 1), max(key.size - 1, 0))
    forced = (t < n_t - 1) & (key[pos] != key + 1) if key.size else np.zeros(0, np.bool_)
    ut = u * n_t + t
    n_ut = un.n * n_t
    forced_ut = np.unique(ut[forced])
    cols_per_ut = np.bincount(ut, minlength=n_ut)
    forced_per_ut = np.bincount(ut[forced], minlength=n_ut)
    all_forced = forced_ut[
        (cols_per_ut[forced_ut] == forced_per_ut[forced_ut]) & (both.ravel()[forced_ut] > 0)
    ]
    a_lower = np.full(n_ut, np.nan)
    a_lower[forced_ut] = -un.d_max[forced_ut // n_t] * ends.ravel()[forced_ut]
    b_lower = np.full(n_ut, np.nan)
    b_lower[all_forced] = both.ravel()[all_forced]
    ones = np.ones((un.n, n_t))
    return LpData(
        starts=np.arange(n_t + 1),
        u=u,
        p=p,
        t=t,
        cost=cost,
        upper=ua[p, t],
        forced=forced,
        need=un.need,
        a_lower=a_lower.reshape(un.n, n_t),
        b_lower=b_lower.reshape(un.n, n_t),
        b_now=ones,
        b_next=ones.copy(),
        d_max=un.d_max,
        d_min=un.d_min,
        ua=ua,
        regrow=np.ascontiguousarray(inputs.regrowth_kg, dtype=float),
        usable=usable,
    )


def period_starts(n_periods: int, group: int) -> np.ndarray:
    """Groups of ``group`` consecutive periods (the last one shorter where they do not
    divide ``n_periods``): where each starts, then ``n_periods``."""
    return np.r_[np.arange(0, n_periods, max(group, 1)), n_periods].astype(np.int64)


def coarsen(data: LpData, starts: np.ndarray) -> LpData:
    """The LP over groups of consecutive periods of ``data`` (over the plan's periods),
    starting at ``starts`` (:func:`period_starts`): a relaxation of it, row by row (the
    module docstring)."""
    if data.n_t != data.ua.shape[1]:
        raise ValueError("coarsen takes the LP over the plan's periods")
    n_u, n_p = data.need.shape[0], data.ua.shape[0]
    n_g = starts.size - 1
    first = starts[:-1]
    g_of = np.repeat(np.arange(n_g), np.diff(starts))
    # the E columns are sorted by union, plot, period, so their groups' keys are too
    key = (data.u * n_p + data.p) * n_g + g_of[data.t]
    run = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else key
    u, p, g = data.u[run], data.p[run], g_of[data.t[run]]
    if key.size:
        cost = np.minimum.reduceat(data.cost, run)
        summed = np.add.reduceat(data.upper, run)
        forced = np.logical_and.reduceat(data.forced, run)
    else:
        cost, summed, forced = data.cost, data.upper, data.forced
    upper = np.minimum(summed, _group_allowance(data, starts)[p, g])
    # row A where a coarse column of the group is forced: the weekly rows' sum
    has_forced = np.zeros((n_u, n_g), dtype=np.bool_)
    has_forced[u[forced], g[forced]] = True
    a_ok = ~np.isnan(data.a_lower)
    a_sum = np.add.reduceat(np.where(a_ok, data.a_lower, 0.0), first, axis=1)
    # row B where a week of the group has one: the weekly rows' sum, U's counted by the most
    # rows one week's U is in
    b_ok = ~np.isnan(data.b_lower)
    b_sum = np.add.reduceat(np.where(b_ok, data.b_lower, 0.0), first, axis=1)
    now = np.where(b_ok, data.b_now, 0.0)  # U[t] in the row of t
    nxt = np.where(b_ok, data.b_next, 0.0)  # U[t + 1] in the row of t
    per_week = now.copy()
    per_week[:, 1:] += np.where(g_of[1:] == g_of[:-1], nxt[:, :-1], 0.0)
    return LpData(
        starts=starts,
        u=u,
        p=p,
        t=g,
        cost=cost,
        upper=upper,
        forced=forced,
        need=np.add.reduceat(data.need, first, axis=1),
        a_lower=np.where(has_forced, a_sum, np.nan),
        b_lower=np.where(np.logical_or.reduceat(b_ok, first, axis=1), b_sum, np.nan),
        b_now=np.maximum.reduceat(per_week, first, axis=1),
        b_next=nxt[:, starts[1:] - 1],
        d_max=data.d_max,
        d_min=data.d_min,
        ua=data.ua,
        regrow=data.regrow,
        usable=data.usable,
    )


def _group_allowance(data: LpData, starts: np.ndarray) -> np.ndarray:
    """Per plot and group, the allowance of the window row over the group's periods: the
    most, over its usable periods ``b``, of ``ua[b]`` plus the regrowth of the group's
    periods before ``b`` (summed in the order the window kernel sums them); ``-inf`` where
    no period of the group is usable."""
    n_p, n_g = data.ua.shape[0], starts.size - 1
    out = np.full((n_p, n_g), -np.inf)
    for g in range(n_g):
        s, e = int(starts[g]), int(starts[g + 1])
        regrown = np.cumsum(np.c_[np.zeros(n_p), data.regrow[:, s : e - 1]], axis=1)
        value = np.where(data.usable[:, s:e], data.ua[:, s:e] + regrown, -np.inf)
        out[:, g] = value.max(axis=1)
    return out
