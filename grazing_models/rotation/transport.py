"""The transport bound: per period, a transport LP of herds to plots with depletion, rest
and moves relaxed (a lower bound on any plan's objective)."""

from __future__ import annotations

import math
import time

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from grazing_models.rotation.model import RotationInputs, RotationParams, pressure_index
from grazing_models.rotation.pairs import Pairs


def transport_bound(
    inputs: RotationInputs, params: RotationParams, pairs: Pairs, *, deadline: float | None = None
) -> float:
    """Lower bound: per period, a transport LP with depletion, rest and moves relaxed;
    ``-inf`` (no bound) when ``deadline`` (``time.perf_counter()``) comes before the last
    period's LP.

    Each herd-period pays ``weight_unfed`` per kg not eaten and, per kg eaten on
    plot ``p``, its pressure plus its walking cost divided by the herd's demand
    (a partially fed herd walks the full distance, so this underestimates);
    plots supply at most ``utilisation * available`` each period.
    """
    days = params.period_days
    demand = np.array([h.demand_kg_day * days for h in inputs.herds], dtype=float)
    water = np.array([p.water_km for p in inputs.plots], dtype=float)
    pressure = pressure_index(inputs)
    total = 0.0
    for t in range(inputs.n_periods):
        if deadline is not None and time.perf_counter() > deadline:
            return -math.inf
        herds_t = [h for h in range(inputs.n_herds) if t in inputs.herd_periods(h)]
        if not herds_t:
            continue
        sel = pairs.t == t
        ph, pp = pairs.h[sel], pairs.p[sel]
        hmap = np.full(inputs.n_herds, -1, dtype=np.int64)
        hmap[herds_t] = np.arange(len(herds_t))
        n_e, n_u = ph.size, len(herds_t)
        used, p_loc = np.unique(pp, return_inverse=True)
        cost = np.concatenate(
            [
                params.weight_pressure * pressure[pp]
                + params.weight_walk_km * 2.0 * water[pp] * days / demand[ph],
                np.full(n_u, params.weight_unfed),
            ]
        )
        a_eq = sparse.coo_array(
            (np.ones(n_e + n_u), (np.r_[hmap[ph], np.arange(n_u)], np.arange(n_e + n_u))),
            shape=(n_u, n_e + n_u),
        ).tocsr()
        a_ub = sparse.coo_array(
            (np.ones(n_e), (p_loc, np.arange(n_e))), shape=(used.size, n_e + n_u)
        ).tocsr()
        res = linprog(
            cost,
            A_ub=a_ub if n_e else None,
            b_ub=params.utilisation * inputs.available_kg[used, t] if n_e else None,
            A_eq=a_eq,
            b_eq=demand[herds_t],
            bounds=(0, None),
            method="highs",
            # the last solve stops at the deadline too, not only the loop between solves
            options={}
            if deadline is None
            else {"time_limit": max(deadline - time.perf_counter(), 1e-3)},
        )
        if res.status != 0:
            return -math.inf
        # HiGHS' dual objective would be safer against round-off; use the primal
        # value shaved by its feasibility tolerance.
        total += float(res.fun) * (1.0 - 1e-7)
    return total
