"""The herds bound: each herd planned alone paying prices of forage, less what the prices
are worth (a Lagrangian bound on any plan's objective)."""

from __future__ import annotations

import numpy as np

from grazing_models.rotation.forage_lp import ForageBound, WindowRows, shave
from grazing_models.rotation.herd_paths import AloneHerds, HerdCosts
from grazing_models.rotation.model import RotationInputs, RotationParams, pressure_index
from grazing_models.rotation.pairs import Pairs

__all__ = ["priced_alone", "priced_herd_bound"]


def priced_herd_bound(
    inputs: RotationInputs,
    params: RotationParams,
    pairs: Pairs,
    bound: ForageBound,
    deadline: float | None = None,
) -> float:
    """Each herd planned alone paying ``bound``'s prices of forage, less what the prices are
    worth: a Lagrangian bound.

    Every plan keeps every window row (``sum(E[p, a..b]) <= allowance``), so for duals
    ``lam >= 0`` its objective is at least the objective plus ``lam`` times each row's
    eaten kg less its allowance: the herds' costs with the price of every kg they eat, less
    ``price_value``. Each herd's priced cost is at least its least priced cost planned
    alone (:func:`grazing_models.rotation.herd_paths.herd_lower_bound`), where it eats at least as much
    as among other herds; that is cheaper only while a kg costs less than it saves unfed,
    so prices are scaled down where a kg would cost more (any scale keeps the bound).

    Unlike the LP, each herd keeps its own moves: a herd is in one place, and leaves a plot
    it has eaten bare. :mod:`grazing_models.rotation.lagrangian` searches for better multipliers.
    """
    herds = AloneHerds(inputs, params, pairs, deadline)
    return priced_alone(herds, inputs, params, bound.rows, bound.rows.lam)[0]


def priced_alone(
    herds: AloneHerds,
    inputs: RotationInputs,
    params: RotationParams,
    rows: WindowRows,
    lam: np.ndarray,
    workers: int = 1,
) -> tuple[float, HerdCosts, np.ndarray]:
    """The bound of :func:`priced_herd_bound` for multipliers ``lam`` on ``rows``, the herds'
    cheapest seasons at the prices and the prices they paid (``lam``'s, scaled down where a
    kg would cost more to eat than it saves unfed); ``-inf`` when ``herds`` reached their
    deadline before every herd was planned."""
    price = rows.price(lam)
    per_kg = params.weight_pressure * pressure_index(inputs)
    room = np.broadcast_to(params.weight_unfed - per_kg[:, None], price.shape)
    dear = price > room
    scale = float(np.min(room[dear] / price[dear])) if dear.any() else 1.0
    scale = min(max(scale, 0.0), 1.0)
    found = herds.plan(scale * price, workers)
    if not found.complete:  # cut by the deadline: no bound
        return -np.inf, found, scale * price
    return shave(found.total - scale * float(lam @ rows.allowance)), found, scale * price
