"""The greedy heuristic: period by period, each herd to its cheapest plot, with randomised
restarts."""

from __future__ import annotations

import math
import time

import numpy as np

from grazing_models.rotation.model import (
    RotationInputs,
    RotationParams,
    max_stay_from,
    move_limit_km,
    pressure_index,
    rest_periods_after,
)
from grazing_models.rotation.objective import fill_eaten, terms_from_arrays
from grazing_models.rotation.pairs import Pairs

#: A pass reads the clock every this many herds of a period (ten copies of the demo
#: district have 9,860 herds, a period of them a second or more on a loaded machine).
_CLOCK_EVERY = 128


def _greedy(
    inputs: RotationInputs,
    params: RotationParams,
    cand: dict[tuple[int, int], np.ndarray],
    *,
    rng: np.random.Generator | None,
    lookahead: float,
    deadline: float | None = None,
) -> np.ndarray:
    """One greedy pass, period by period; returns ``plot_of[h, t]`` (-1 unplaced). At
    ``deadline`` (``time.perf_counter()``) it stops, within a period too: the herds stay
    unplaced where it has not reached (a plan that keeps every rule, at the cost of their
    demand)."""
    n_h, n_t = inputs.n_herds, inputs.n_periods
    days = params.period_days
    xy = inputs.plot_xy
    water = np.array([p.water_km for p in inputs.plots], dtype=float)
    pressure = pressure_index(inputs)
    demand = np.array([h.demand_kg_day * days for h in inputs.herds], dtype=float)
    u_avail = params.utilisation * inputs.available_kg
    rest_after = rest_periods_after(inputs, params)
    walk_cost = params.weight_walk_km * 2.0 * water * days
    w_unfed, w_press, w_move = params.weight_unfed, params.weight_pressure, params.weight_move
    plot_of = np.full((n_h, n_t), -1, dtype=np.int64)
    depletion = np.zeros(inputs.n_plots)
    free_from = np.zeros(
        inputs.n_plots, dtype=np.int64
    )  # first period a resting plot may be entered
    grazed_prev = np.zeros(inputs.n_plots, dtype=bool)
    stay_cap = max_stay_from(inputs, params)
    spell_left = np.zeros(inputs.n_plots, dtype=np.int64)  # periods the current spell may add
    active = [[h for h in range(n_h) if t in inputs.herd_periods(h)] for t in range(n_t)]
    for t in range(n_t):
        if deadline is not None and time.perf_counter() > deadline:
            break
        lim = move_limit_km(inputs, params, t) + 1e-9
        cap = np.maximum(0.0, u_avail[:, t] - depletion)
        eaten_t = np.zeros(inputs.n_plots)
        on = np.zeros(inputs.n_plots, dtype=bool)
        herds_t = active[t]
        prev = [int(plot_of[h, t - 1]) if t > 0 else -1 for h in herds_t]
        # incumbents whose plot still feeds them go first, then big herds
        key = [
            (0 if (p >= 0 and cap[p] >= demand[h]) else 1, -demand[h])
            for h, p in zip(herds_t, prev, strict=True)
        ]
        order = sorted(range(len(herds_t)), key=lambda i: key[i])
        if rng is not None:
            # randomised restarts: perturb the order within the two groups
            noise = rng.random(len(herds_t))
            order = sorted(order, key=lambda i: (key[i][0], key[i][1] * (0.5 + noise[i])))
        for n, i in enumerate(order):
            if deadline is not None and n % _CLOCK_EVERY == 0 and time.perf_counter() > deadline:
                break  # the rest of this period's herds unplaced; the next period stops
            h = herds_t[i]
            c = cand.get((h, t))
            if c is None or c.size == 0:
                continue
            d = demand[h]
            p_prev = prev[i]
            # a plot may take a herd if it rested long enough, and its spell is not at its end
            ok = (free_from[c] <= t) & (~grazed_prev[c] | (spell_left[c] > 0))
            if p_prev >= 0:
                dist = np.hypot(xy[c, 0] - xy[p_prev, 0], xy[c, 1] - xy[p_prev, 1])
                ok &= dist <= lim
            if not ok.any():
                continue
            cc = c[ok]
            rem = cap[cc] - eaten_t[cc]
            eat = np.clip(rem, 0.0, d)
            cost = w_unfed * (d - eat) + w_press * pressure[cc] * eat + walk_cost[cc]
            if p_prev >= 0:
                cost = cost + w_move * (cc != p_prev)
            # look-ahead: a plot that cannot feed the herd next period too means
            # another move soon (and a plot that stops feeding wastes its rest)
            nxt = min(t + 1, n_t - 1)
            rem_next = np.maximum(0.0, u_avail[cc, nxt] - (depletion[cc] + eaten_t[cc] + eat))
            cost = cost + lookahead * w_move * (rem_next < d)
            if rng is not None:
                cost = cost + rng.random(cc.size) * 1e-3 * w_move
            j = int(np.argmin(cost))
            if eat[j] <= 0.0:
                continue  # only a placement that feeds is worth its walk
            plot_of[h, t] = cc[j]
            eaten_t[cc[j]] += eat[j]
            on[cc[j]] = True
        depletion = np.maximum(0.0, depletion + eaten_t - inputs.regrowth_kg[:, t])
        ended = grazed_prev & ~on
        if t > 0:
            # spell ended in period t - 1: periods t .. t - 1 + R stay empty
            free_from[ended] = t + rest_after[t - 1]
        spell_left = np.where(on & grazed_prev, spell_left - 1, stay_cap[t] - 1)
        grazed_prev = on
    return plot_of


def _candidates_by_herd_period(pairs: Pairs) -> dict[tuple[int, int], np.ndarray]:
    out: dict[tuple[int, int], np.ndarray] = {}
    if pairs.h.size == 0:
        return out
    starts = np.flatnonzero(np.r_[True, (np.diff(pairs.h) != 0) | (np.diff(pairs.t) != 0)])
    ends = np.r_[starts[1:], pairs.h.size]
    for s, e in zip(starts, ends, strict=True):
        out[(int(pairs.h[s]), int(pairs.t[s]))] = pairs.p[s:e]
    return out


def greedy_best(
    inputs: RotationInputs,
    params: RotationParams,
    pairs: Pairs,
    *,
    time_budget: float,
    seed: int,
    max_restarts: int = 8,
    deadline: float | None = None,
) -> tuple[np.ndarray, float]:
    """Deterministic greedy passes, then randomised restarts while time allows: the best
    plan and its objective. Every pass stops at ``deadline`` (``time.perf_counter()``; see
    :func:`_greedy`), the first one too if the deadline had not passed when it started:
    a district too large for one pass in its time limit gets the first pass's periods so
    far, its herds unplaced after them (every rule kept, their unfed kg counted), in time
    rather than a whole pass late. A deadline already past at the start (``pasture demo``
    plans with 0.1 s to get one pass) gets the whole first pass, the floor plan: herds
    left unplaced by a clock that never gave them a chance would read as a forage deficit
    that is not there."""
    cand = _candidates_by_herd_period(pairs)
    t0 = time.perf_counter()
    best: np.ndarray | None = None
    best_obj = math.inf
    rng = np.random.default_rng(seed)
    tries: list[tuple[np.random.Generator | None, float]] = [(None, 1.0), (None, 0.0)]
    tries += [(rng, float(la)) for la in rng.uniform(0.0, 2.0, size=max_restarts)]
    for k, (r, la) in enumerate(tries):
        late = deadline is not None and time.perf_counter() > deadline
        if k >= 1 and (time.perf_counter() - t0 > time_budget or late):
            break
        cut = None if k == 0 and late else deadline
        plot_of = _greedy(inputs, params, cand, rng=r, lookahead=la, deadline=cut)
        eaten = fill_eaten(plot_of, inputs, params)
        obj = terms_from_arrays(plot_of, eaten, inputs, params)["total"]
        if obj < best_obj:
            best, best_obj = plot_of, obj
    assert best is not None
    return best, best_obj
