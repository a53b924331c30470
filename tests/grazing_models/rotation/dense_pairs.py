"""The candidate pairs as :mod:`grazing_models.rotation.pairs` listed them before it pruned
by KD-tree: a dense herds x plots distance matrix per union. Kept only as the reference the
tests compare the pruned listing with (same candidates, same order)."""

from __future__ import annotations

import numpy as np

from grazing_models.rotation.model import RotationInputs, RotationParams
from grazing_models.rotation.pairs import Candidates, Pairs


def _stack(hs: list[np.ndarray], ps: list[np.ndarray], ts: list[np.ndarray]) -> Pairs:
    if not hs:
        empty = np.zeros(0, dtype=np.int64)
        return Pairs(empty, empty, empty)
    return Pairs(
        np.concatenate(hs, dtype=np.int64),
        np.concatenate(ps, dtype=np.int64),
        np.concatenate(ts, dtype=np.int64),
    )


class _Collect:
    """Candidate pairs herd by herd, in the order :class:`Pairs` keeps them."""

    def __init__(self) -> None:
        self.h: list[np.ndarray] = []
        self.p: list[np.ndarray] = []
        self.t: list[np.ndarray] = []
        self.n = 0

    def add(self, h: int, plots: np.ndarray, ok: np.ndarray, first: int) -> None:
        # row-major over (week, plot): sorted by period, then plot
        w, i = np.nonzero(ok.T)
        self.h.append(np.full(w.size, h))
        self.p.append(plots[i])
        self.t.append(w + first)
        self.n += w.size

    def pairs(self) -> Pairs:
        return _stack(self.h, self.p, self.t)


def planning_pairs(
    inputs: RotationInputs,
    params: RotationParams,
    *,
    max_pairs: int | None,
    min_plots: int = 100,
    max_pooled: int | None = None,
) -> Candidates:
    """The candidate placements of :func:`candidate_pairs`, never more than about
    ``max_pairs`` of them held (``None``: no limit); see :class:`Candidates`.

    Above ``max_pairs`` candidates in all (counted without listing them) each herd keeps
    its plots nearest home, as many as bring the whole to about half ``max_pairs`` (at
    least ``min_plots``): memory and the greedy pass's work stay bounded at any size. The
    unions' pooled candidates are listed up to ``max_pooled`` (default ``max_pairs``).
    """
    ok_t = _usable(inputs, params)
    own = _own_plots(inputs, ok_t)
    blocks = _union_blocks(inputs, own)
    n_all = _count(inputs, params, ok_t, blocks)
    pooled = _pooled_ok(inputs, params, ok_t, own)
    n_pooled = sum(int(np.count_nonzero(ok)) for _, _, ok in pooled)
    pooled_max = max_pairs if max_pooled is None else max_pooled
    union = _pooled(pooled) if pooled_max is None or n_pooled <= pooled_max else None
    anywhere = _anywhere(inputs, pooled)
    if max_pairs is None or n_all <= max_pairs:
        full = _herd_pairs(inputs, params, ok_t, blocks, None)
        return Candidates(full, full, union, anywhere, n_all)
    weeks = sum(len(inputs.herd_periods(h)) for h in range(inputs.n_herds))
    per_week = float(np.count_nonzero(ok_t)) / max(ok_t.size, 1)  # share of plots usable
    k = max(min_plots, int(max_pairs / 2 / max(weeks * max(per_week, 1e-9), 1.0)))
    return Candidates(_herd_pairs(inputs, params, ok_t, blocks, k), None, union, anywhere, n_all)


def _usable(inputs: RotationInputs, params: RotationParams) -> np.ndarray:
    """Plot and period: in season, near enough to water, with grazeable forage."""
    water_ok = np.array([p.water_km <= params.max_water_km for p in inputs.plots], dtype=bool)
    grazeable = (params.utilisation * inputs.available_kg) > 0
    return np.asarray(inputs.season_ok & grazeable & water_ok[:, None])


def _own_plots(inputs: RotationInputs, ok_t: np.ndarray) -> dict[str, np.ndarray]:
    """Per union: the plots its herds may use some week (its own and public ones)."""
    unions = np.array([p.union_id or "" for p in inputs.plots], dtype=object)
    public = np.array([p.union_id is None for p in inputs.plots], dtype=bool)
    some_week = ok_t.any(axis=1)
    return {
        u: np.flatnonzero((public | (unions == u)) & some_week)
        for u in sorted({h.union_id for h in inputs.herds})
    }


def _home_km(inputs: RotationInputs, h: int, plots: np.ndarray) -> np.ndarray:
    herd = inputs.herds[h]
    xy = inputs.plot_xy[plots]
    return np.asarray(np.hypot(xy[:, 0] - herd.home_x_km, xy[:, 1] - herd.home_y_km))


def _union_blocks(
    inputs: RotationInputs, own: dict[str, np.ndarray]
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per union: its herds, its plots and their distances from each herd's home (km,
    ``(herds, plots)``), one array per union rather than one per herd."""
    members: dict[str, list[int]] = {}
    for h, herd in enumerate(inputs.herds):
        members.setdefault(herd.union_id, []).append(h)
    out = []
    for u, hs in members.items():
        plots = own[u]
        xy = inputs.plot_xy[plots]
        home = inputs.herd_home_xy[hs]
        d = np.hypot(xy[None, :, 0] - home[:, None, 0], xy[None, :, 1] - home[:, None, 1])
        out.append((np.array(hs, dtype=np.int64), plots, d))
    return out


def _count(
    inputs: RotationInputs,
    params: RotationParams,
    ok_t: np.ndarray,
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> int:
    """How many candidate pairs there are, without listing them (week counts summed)."""
    n_t = inputs.n_periods
    cum = np.zeros((inputs.n_plots, n_t + 1), dtype=np.int64)
    np.cumsum(ok_t, axis=1, out=cum[:, 1:])
    total = 0
    for hs, plots, d in blocks:
        first = np.array([inputs.herd_periods(int(h)).start for h in hs], dtype=np.int64)
        stop = np.array([inputs.herd_periods(int(h)).stop for h in hs], dtype=np.int64)
        cum_u = cum[plots]
        counts = cum_u[:, stop].T - cum_u[:, first].T
        # the first week only within a walk from home
        counts -= ok_t[plots][:, first].T & (d > params.max_move_km)
        if params.max_home_km is not None:
            counts = np.where(d <= params.max_home_km, counts, 0)
        total += int(counts.sum())
    return total


def _herd_pairs(
    inputs: RotationInputs,
    params: RotationParams,
    ok_t: np.ndarray,
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    max_plots: int | None,
) -> Pairs:
    """Every herd's candidate pairs; with ``max_plots``, on that many plots nearest home.

    Herds of one union that share a home point (a village's flocks) share that many
    plots each of the nearest ``n × max_plots``, every ``n``-th by distance: together
    they see as far as one herd of their size would, and each as many pairs as before.
    """
    per_herd: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for hs, all_plots, d_all in blocks:
        for row, h in enumerate(hs):
            per_herd[int(h)] = (all_plots, d_all[row])
    rank, size = _home_ranks(inputs)
    out = _Collect()
    for h in range(inputs.n_herds):  # herd by herd: the pairs stay sorted by herd
        plots, d_home = per_herd[h]
        if params.max_home_km is not None:
            near = d_home <= params.max_home_km
            plots, d_home = plots[near], d_home[near]
        if max_plots is not None and plots.size > max_plots:
            reach = min(plots.size, max_plots * size[h])
            by_distance = np.argsort(d_home, kind="stable")[:reach]
            # the group's plots dealt out in turn, nearest first; the herd's share of them
            mine = by_distance[rank[h] % size[h] :: size[h]][:max_plots]
            nearest = np.sort(mine)
            plots, d_home = plots[nearest], d_home[nearest]
        weeks = inputs.herd_periods(h)
        ok = ok_t[plots, weeks.start : weeks.stop]
        ok[:, 0] &= d_home <= params.max_move_km
        out.add(h, plots, ok, weeks.start)
    return out.pairs()


def _home_ranks(inputs: RotationInputs) -> tuple[list[int], list[int]]:
    """Per herd: its rank among its union's herds with the same home point, and their number."""
    groups: dict[tuple[str, float, float], list[int]] = {}
    for h, herd in enumerate(inputs.herds):
        groups.setdefault((herd.union_id, herd.home_x_km, herd.home_y_km), []).append(h)
    rank = [0] * inputs.n_herds
    size = [1] * inputs.n_herds
    for members in groups.values():
        for k, h in enumerate(members):
            rank[h], size[h] = k, len(members)
    return rank, size


def _pooled_ok(
    inputs: RotationInputs,
    params: RotationParams,
    ok_t: np.ndarray,
    own: dict[str, np.ndarray],
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Each union's candidates pooled over its herds, relaxed: its plots (and public ones)
    within ``max_home_km`` of one of its herds, in every week one of its herds grazes,
    without the limit on the first week's walk from home. More candidates than its herds
    have: a bound computed on them is a bound of the plan's problem. Per union, in the
    order of their first herd: that herd, the plots and which weeks of each are usable."""
    members_of: dict[str, list[int]] = {}
    for h, herd in enumerate(inputs.herds):
        members_of.setdefault(herd.union_id, []).append(h)
    out = []
    for u, members in members_of.items():
        plots = own[u]
        if params.max_home_km is not None:
            near = np.zeros(plots.size, dtype=bool)
            for h in members:
                near |= _home_km(inputs, h, plots) <= params.max_home_km
            plots = plots[near]
        weeks = np.zeros(inputs.n_periods, dtype=bool)
        for h in members:
            r = inputs.herd_periods(h)
            weeks[r.start : r.stop] = True
        out.append((members[0], plots, ok_t[plots] & weeks[None, :]))
    return out


def _pooled(pooled: list[tuple[int, np.ndarray, np.ndarray]]) -> Pairs:
    """The unions' pooled candidates as :class:`Pairs` (sorted by herd: unions in the order
    of their first herd)."""
    collect = _Collect()
    for first, plots, ok in pooled:
        collect.add(first, plots, ok, 0)
    return collect.pairs()


def _anywhere(inputs: RotationInputs, pooled: list[tuple[int, np.ndarray, np.ndarray]]) -> Pairs:
    """Every plot and period in some union's pooled candidates, as herd 0's."""
    usable = np.zeros((inputs.n_plots, inputs.n_periods), dtype=bool)
    for _, plots, ok in pooled:
        usable[plots] |= ok
    collect = _Collect()
    if inputs.n_herds:
        collect.add(0, np.arange(inputs.n_plots), usable, 0)
    return collect.pairs()
