"""Compiled (numba) kernel of :mod:`grazing_models.rotation.herd_paths`: one herd's cheapest season.

The kernel is a dynamic programme over the herd's weeks. A state is "on plot ``i``, in a stay
that has left this depletion" or "unplaced". Per week a state pays its walking, the
pressure of what the herd eats and the unfed rest; the herd eats what the plot's forage
allows given what it ate since the stay began (depletion and regrowth as in
:mod:`grazing_models.rotation`). Moving to another plot costs ``w_move`` and must stay
within the week's move limit; after an unplaced week any plot may be entered. A stay lasts
at most the weeks its grazing spell allows (``enter_left``, ``after``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import types as nt

from grazing_models.rotation.jit import jit

__all__ = ["SIGNATURES", "best_path"]


@jit()
def _grow_states(
    s_i: np.ndarray, s_c: np.ndarray, s_d: np.ndarray, s_p: np.ndarray, s_r: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The state arrays with twice the room (only called when full: reassigning arrays on
    every push would cost numba reference counting in the hot loops)."""
    return _grow(s_i), _grow(s_c), _grow(s_d), _grow(s_p), _grow(s_r)


@jit()
def _grow(a: np.ndarray) -> np.ndarray:
    b = np.empty(2 * a.size, dtype=a.dtype)
    b[: a.size] = a
    return b


@jit(inline="always")
def _week(
    i: int,
    w: int,
    depletion: float,
    walk: np.ndarray,
    per_kg: np.ndarray,
    ua: np.ndarray,
    regrow: np.ndarray,
    demand: float,
    w_unfed: float,
) -> tuple[float, float]:
    """Cost of week ``w`` on plot ``i`` found at ``depletion``, and the depletion after it."""
    eat = min(demand, max(0.0, ua[i, w] - depletion))
    cost = walk[i] + per_kg[i, w] * eat + w_unfed * (demand - eat)
    return cost, max(0.0, depletion + eat - regrow[i, w])


@jit()
def best_path(
    ok: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    walk: np.ndarray,
    per_kg: np.ndarray,
    ua: np.ndarray,
    regrow: np.ndarray,
    may_enter: np.ndarray,
    may_leave: np.ndarray,
    enter_left: np.ndarray,
    after: np.ndarray,
    limit: np.ndarray,
    demand: float,
    w_unfed: float,
    w_move: float,
) -> tuple[float, np.ndarray]:
    """Cheapest season of one herd over its ``n_w`` weeks and ``n_i`` candidate plots.

    Parameters (arrays indexed ``[i]`` by plot or ``[i, w]`` by plot and week)
    ----------
    ok
        Plot ``i`` may carry the herd in week ``w``.
    x, y
        Plot centroids, km.
    walk
        Cost of a week on the plot besides eating (walking to water).
    per_kg
        Cost per kg eaten (pressure, and a price of forage when planning among other herds),
        per plot and week. A herd eats what it finds; for a lower bound this must stay at
        most ``w_unfed`` (:func:`grazing_models.rotation.herds_bound.priced_herd_bound`).
    ua, regrow
        Forage the herd may eat from an ungrazed stand and regrowth, kg.
    may_enter
        A stay may begin on plot ``i`` in week ``w``.
    may_leave
        A stay on plot ``i`` may end with week ``w`` (the herd off it in ``w + 1``).
    enter_left
        Weeks a stay that begins on plot ``i`` in week ``w`` may last, that week included
        (the longest grazing spell less the weeks other herds graze the plot just before;
        below 1: no stay may begin).
    after
        Weeks other herds graze plot ``i`` right after week ``w``: a stay that ends with
        ``w`` joins that spell, so it must leave that many weeks of its allowance.
    limit
        Longest move into week ``w``, km (``limit[0]`` unused).
    demand, w_unfed, w_move
        Weekly demand, cost per kg unfed, cost per move.

    Returns
    -------
    (cost, path)
        The least cost and the plot of each week (-1 unplaced).
    """
    n_i, n_w = ok.shape
    s_i = np.empty(1024, dtype=np.int64)  # plot, -1 for unplaced
    s_c = np.empty(1024, dtype=np.float64)  # cost so far
    s_d = np.empty(1024, dtype=np.float64)  # depletion at the start of the next week
    s_p = np.empty(1024, dtype=np.int64)  # previous state, -1 none
    s_r = np.empty(1024, dtype=np.int64)  # weeks the stay may still go on
    # week 0: unplaced, or on any plot it may enter
    s_i[0], s_c[0], s_d[0], s_p[0], s_r[0] = -1, w_unfed * demand, 0.0, -1, 0
    n = 1
    lo = 0  # states of the current week: lo:n
    for i in range(n_i):
        if ok[i, 0] and may_enter[i, 0] and enter_left[i, 0] >= 1:
            c, d = _week(i, 0, 0.0, walk, per_kg, ua, regrow, demand, w_unfed)
            if n >= s_i.size:
                s_i, s_c, s_d, s_p, s_r = _grow_states(s_i, s_c, s_d, s_p, s_r)
            s_i[n], s_c[n], s_d[n], s_p[n], s_r[n] = i, c, d, -1, enter_left[i, 0] - 1
            n += 1
    best_end = np.empty(n_i)
    best_id = np.empty(n_i, dtype=np.int64)
    new_c = np.empty(n_i)
    for w in range(n_w - 1):
        hi = n
        # the best state that may end its stay now, per plot; and unplaced / overall
        best_end[:] = np.inf
        best_id[:] = -1
        u_c, u_id = np.inf, -1
        all_c, all_id = np.inf, -1
        for k in range(lo, hi):
            i = s_i[k]
            c = s_c[k]
            if i < 0:
                if c < u_c:
                    u_c, u_id = c, k
            elif not may_leave[i, w] or s_r[k] < after[i, w]:
                continue
            elif c < best_end[i]:
                best_end[i], best_id[i] = c, k
            if c < all_c:
                all_c, all_id = c, k
        order = np.argsort(best_end)
        n_fin = 0
        while n_fin < n_i and best_end[order[n_fin]] < np.inf:
            n_fin += 1
        lim2 = limit[w + 1] * limit[w + 1]
        # unplaced next week
        c = all_c + w_unfed * demand
        if n >= s_i.size:
            s_i, s_c, s_d, s_p, s_r = _grow_states(s_i, s_c, s_d, s_p, s_r)
        s_i[n], s_c[n], s_d[n], s_p[n], s_r[n] = -1, c, 0.0, all_id, 0
        n += 1
        # new stays: from the best plot within reach, or from unplaced
        for i in range(n_i):
            new_c[i] = np.inf
            if not (ok[i, w + 1] and may_enter[i, w + 1] and enter_left[i, w + 1] >= 1):
                continue
            base, pred = u_c, u_id
            for r in range(n_fin):
                q = order[r]
                c = best_end[q] + w_move
                if c >= base:
                    break
                if q == i:
                    continue
                dx = x[q] - x[i]
                dy = y[q] - y[i]
                if dx * dx + dy * dy <= lim2:
                    base, pred = c, best_id[q]
                    break
            c, d = _week(i, w + 1, 0.0, walk, per_kg, ua, regrow, demand, w_unfed)
            new_c[i] = base + c
            if n >= s_i.size:
                s_i, s_c, s_d, s_p, s_r = _grow_states(s_i, s_c, s_d, s_p, s_r)
            s_i[n], s_c[n], s_d[n], s_p[n] = i, new_c[i], d, pred
            s_r[n] = enter_left[i, w + 1] - 1
            n += 1
        # stays that go on while their spell allows; a stay no cheaper than a fresh entry
        # (no depletion) that may go on at least as long is dropped
        for k in range(lo, hi):
            i = s_i[k]
            if i < 0 or not ok[i, w + 1] or s_r[k] < 1:
                continue
            c, d = _week(i, w + 1, s_d[k], walk, per_kg, ua, regrow, demand, w_unfed)
            if s_c[k] + c >= new_c[i] and enter_left[i, w + 1] >= s_r[k]:
                continue
            if n >= s_i.size:
                s_i, s_c, s_d, s_p, s_r = _grow_states(s_i, s_c, s_d, s_p, s_r)
            s_i[n], s_c[n], s_d[n], s_p[n], s_r[n] = i, s_c[k] + c, d, k, s_r[k] - 1
            n += 1
        lo = hi
    # the best final state (a stay may end with the season whatever follows)
    best, best_k = math.inf, -1
    for k in range(lo, n):
        i = s_i[k]
        if i >= 0 and (not may_leave[i, n_w - 1] or s_r[k] < after[i, n_w - 1]):
            continue
        if s_c[k] < best:
            best, best_k = s_c[k], k
    path = np.full(n_w, -1, dtype=np.int64)
    k = best_k
    for w in range(n_w - 1, -1, -1):
        path[w] = s_i[k]
        k = s_p[k]
    return best, path


_B2, _F2, _I2, _F1 = nt.boolean[:, ::1], nt.float64[:, ::1], nt.int64[:, ::1], nt.float64[::1]

SIGNATURES: dict[str, tuple[tuple[nt.Type, ...], ...]] = {
    "best_path": (
        (_B2, _F1, _F1, _F1, _F2, _F2, _F2, _B2, _B2, _I2, _I2, _F1,
         nt.float64, nt.float64, nt.float64),
    ),
}  # fmt: skip
"""The argument types :func:`best_path` is called with (``herd_paths._solve``): the signature
compiled ahead by ``pasture kernels warm`` (:mod:`pasture.kernels`)."""
