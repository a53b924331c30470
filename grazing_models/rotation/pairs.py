"""Candidate placements: the (herd, plot, period) triples the rules allow on their own."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grazing_models.rotation.model import RotationInputs, RotationParams


@dataclass(frozen=True)
class Pairs:
    """Pruned candidate (herd, plot, period) triples, sorted by herd, period, plot."""

    h: np.ndarray
    p: np.ndarray
    t: np.ndarray


def candidate_pairs(
    inputs: RotationInputs, params: RotationParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Herd, plot and period indices of every placement the rules allow on their own.

    Prunes by union, season, water distance, distance from home
    (``max_home_km``; ``max_move_km`` in a herd's first period) and plots with
    no grazeable forage in the period. Rest, forage depletion and moves
    between periods are left to the solvers.
    """
    pr = find_pairs(inputs, params)
    return pr.h, pr.p, pr.t


def find_pairs(inputs: RotationInputs, params: RotationParams) -> Pairs:
    """The candidate placements of :func:`candidate_pairs` as :class:`Pairs`."""
    unions = np.array([p.union_id or "" for p in inputs.plots], dtype=object)
    public = np.array([p.union_id is None for p in inputs.plots], dtype=bool)
    water_ok = np.array([p.water_km <= params.max_water_km for p in inputs.plots], dtype=bool)
    grazeable = (params.utilisation * inputs.available_kg) > 0
    ok_t = inputs.season_ok & grazeable & water_ok[:, None]
    own = {u: public | (unions == u) for u in {h.union_id for h in inputs.herds}}
    xy = inputs.plot_xy
    hs: list[np.ndarray] = []
    ps: list[np.ndarray] = []
    ts: list[np.ndarray] = []
    for h, herd in enumerate(inputs.herds):
        d_home = np.hypot(xy[:, 0] - herd.home_x_km, xy[:, 1] - herd.home_y_km)
        base = own[herd.union_id]
        if params.max_home_km is not None:
            base = base & (d_home <= params.max_home_km)
        plots = np.flatnonzero(base)
        weeks = inputs.herd_periods(h)
        ok = ok_t[plots, weeks.start : weeks.stop].copy()
        ok[:, 0] &= d_home[plots] <= params.max_move_km
        # row-major over (week, plot): sorted by period, then plot
        w, i = np.nonzero(ok.T)
        hs.append(np.full(w.size, h))
        ps.append(plots[i])
        ts.append(w + weeks.start)
    if not hs:
        empty = np.zeros(0, dtype=np.int64)
        return Pairs(empty, empty, empty)
    return Pairs(
        np.concatenate(hs, dtype=np.int64),
        np.concatenate(ps, dtype=np.int64),
        np.concatenate(ts, dtype=np.int64),
    )
