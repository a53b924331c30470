"""The heuristic's plan: the best of the greedy passes and of herd-by-herd planning in
random herd orders, some of them paying the forage LP's prices."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from grazing_models.rotation.greedy import greedy_best
from grazing_models.rotation.herd_paths import sequential_plan
from grazing_models.rotation.model import RotationInputs, RotationParams
from grazing_models.rotation.pairs import Pairs

#: Herd-by-herd planning with the forage LP's shadow prices takes this share of them: on the
#: demo district 0.25-0.75 plan 1-3% cheaper than without prices, 1.0 is worse again; on
#: synthetic districts prices change little (benchmarks/planner.py).
PRICE_WEIGHT = 0.5


def heuristic_best(
    inputs: RotationInputs,
    params: RotationParams,
    pairs: Pairs,
    *,
    time_budget: float,
    seed: int,
    max_orders: int = 6,
    price: Callable[[float], np.ndarray | None] | None = None,
    on_plan: Callable[[np.ndarray], None] = lambda plot_of: None,
) -> np.ndarray:
    """The best of the greedy passes and of herd-by-herd planning in random herd orders.

    Greedy restarts take up to a tenth of ``time_budget``; herd orders follow while the
    next one, if as long as the last, would end within it (at least one order). Every
    second order plans with ``PRICE_WEIGHT`` times the forage prices that ``price(wait)``
    returns, waiting ``wait`` seconds for them at most (it may compute them alongside):
    no longer than leaves the order as long as the last one before the deadline, since a
    priced order is an improvement and not worth a late plan. ``None`` from it, or no
    ``price``, plans without. The orders follow from ``seed`` alone, and which of them are
    priced too once the prices are there, so a budget that lets the same orders run gives
    the same plan.
    ``on_plan`` is given the greedy passes' best and every herd-by-herd plan as it is made.
    A pass still running at the end of ``time_budget`` stops there, its herds not yet
    planned unplaced (a herd-by-herd pass is kept only if it is still the cheapest plan;
    the first greedy pass, cut, is the plan when nothing else ran).
    """
    t0 = time.perf_counter()
    deadline = t0 + time_budget
    best, best_obj = greedy_best(
        inputs, params, pairs, time_budget=0.1 * time_budget, seed=seed, deadline=deadline
    )
    on_plan(best)
    rng = np.random.default_rng(seed)
    last = 0.0
    for k in range(max_orders):
        order = rng.permutation(inputs.n_herds)
        wait = max(0.0, deadline - time.perf_counter() - last)
        prices = price(wait) if price is not None and k % 2 == 1 else None
        start = time.perf_counter()
        if (k >= 1 and start + last > deadline) or start >= deadline:
            break
        priced = None if prices is None else PRICE_WEIGHT * prices
        planned = sequential_plan(inputs, params, pairs, order, price=priced, deadline=deadline)
        last = time.perf_counter() - start
        # a later herd never eats an earlier one's forage: the plan costs at most the
        # herds' sum (less where the plan's own sharing feeds more)
        on_plan(planned.plot_of)
        if planned.total < best_obj:
            best, best_obj = planned.plot_of, planned.total
    return best
