"""Candidate placements: the (herd, plot, period) triples the rules allow on their own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

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
    found = planning_pairs(inputs, params, max_pairs=None)
    assert found.full is not None
    return found.full


@dataclass(frozen=True)
class Candidates:
    """The candidate placements a plan is made on, and those its bounds need.

    Attributes
    ----------
    plan
        What the heuristic plans on: every candidate, or, when there are more than
        ``max_pairs``, each herd's candidates on its ``max_plots`` plots nearest home (a
        plan on them keeps every rule).
    full
        Every candidate of every herd, or ``None`` when that was too many to keep.
    union
        Each union's candidates, pooled (``h`` is one herd of the union): what the forage
        LP bound needs, valid whether or not ``plan`` was pruned; ``None`` when there are
        more than ``max_pairs`` of them too (public pasture is every union's: copies of a
        district side by side multiply unions and public plots alike, 1.6 M pooled
        candidates in the demo, 6.2 M in two copies).
    anywhere
        Every plot and period some union's herds may use (``h`` is 0): all herds pooled
        as one union, at most plots x periods of them, for the supply bound when ``union``
        is ``None``.
    n_full
        How many candidates there are in all.
    """

    plan: Pairs
    full: Pairs | None
    union: Pairs | None
    anywhere: Pairs
    n_full: int


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

    No herds x plots array is built: the plots near a home come from KD-trees of the
    plots (:class:`_Reach`), once per home point of a union, so time and memory grow with
    the candidates kept, not with herds x plots (ten copies of the demo district: a dense
    matrix per union took 173 s and most of 3.1 GB).
    """
    ok_t = _usable(inputs, params)
    reach = _Reach(inputs, ok_t)
    homes = _Homes(inputs, params, reach)
    n_all = _count(inputs, params, ok_t, homes)
    n_pooled, anywhere = _pooled_count(inputs, params, ok_t, reach)
    pooled_max = max_pairs if max_pooled is None else max_pooled
    union = None
    if pooled_max is None or n_pooled <= pooled_max:
        union = _pooled(_pooled_ok(inputs, params, ok_t, reach))
    if max_pairs is None or n_all <= max_pairs:
        full = _herd_pairs(inputs, params, ok_t, homes, None)
        return Candidates(full, full, union, anywhere, n_all)
    weeks = sum(len(inputs.herd_periods(h)) for h in range(inputs.n_herds))
    per_week = float(np.count_nonzero(ok_t)) / max(ok_t.size, 1)  # share of plots usable
    k = max(min_plots, int(max_pairs / 2 / max(weeks * max(per_week, 1e-9), 1.0)))
    return Candidates(_herd_pairs(inputs, params, ok_t, homes, k), None, union, anywhere, n_all)


def _usable(inputs: RotationInputs, params: RotationParams) -> np.ndarray:
    """Plot and period: in season, near enough to water, with grazeable forage."""
    water_ok = np.array([p.water_km <= params.max_water_km for p in inputs.plots], dtype=bool)
    grazeable = (params.utilisation * inputs.available_kg) > 0
    return np.asarray(inputs.season_ok & grazeable & water_ok[:, None])


# A KD-tree's distances may differ from ``np.hypot``'s in the last bits: its queries are
# widened by this much and the plots they find filtered by the exact distance, so that
# the candidates are the same plots, to the bit, as a dense distance matrix gives.
_SLACK = 1e-9


class _Reach:
    """The plots each union's herds may use some week (its own and public ones), with a
    KD-tree of the public plots (every union's) and one of each union's own: the plots
    near a point without a distance to every plot."""

    def __init__(self, inputs: RotationInputs, ok_t: np.ndarray) -> None:
        self.xy = inputs.plot_xy
        some_week = np.asarray(ok_t.any(axis=1), dtype=bool)
        unions = [p.union_id for p in inputs.plots]
        self.public = np.array(
            [i for i, u in enumerate(unions) if u is None and some_week[i]], dtype=np.int64
        )
        by_union: dict[str, list[int]] = {}
        for i, u in enumerate(unions):
            if u is not None and some_week[i]:
                by_union.setdefault(u, []).append(i)
        self.own = {u: np.array(ix, dtype=np.int64) for u, ix in by_union.items()}
        self._trees: dict[str | None, cKDTree] = {}

    def _parts(self, union: str) -> list[tuple[cKDTree, np.ndarray]]:
        out = []
        for key, ids in ((None, self.public), (union, self.own.get(union))):
            if ids is None or ids.size == 0:
                continue
            if key not in self._trees:
                self._trees[key] = cKDTree(self.xy[ids])
            out.append((self._trees[key], ids))
        return out

    def size(self, union: str) -> int:
        """How many plots the union's herds may use."""
        own = self.own.get(union)
        return int(self.public.size + (0 if own is None else own.size))

    def plots(self, union: str) -> np.ndarray:
        """The union's plots, ascending."""
        own = self.own.get(union, np.zeros(0, dtype=np.int64))
        return np.sort(np.concatenate([self.public, own]))

    def km(self, plots: np.ndarray, x: float, y: float) -> np.ndarray:
        """Distances from ``(x, y)``, as a dense matrix's row would have them."""
        xy = self.xy[plots]
        return np.asarray(np.hypot(xy[:, 0] - x, xy[:, 1] - y))

    def near(
        self, union: str, x: float, y: float, r: float | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The union's plots within ``r`` km of ``(x, y)`` (``None``: all), ascending, and
        their distances."""
        if r is None or not np.isfinite(r):
            plots = self.plots(union)
        else:
            found = [
                ids[np.asarray(tree.query_ball_point((x, y), r * (1 + _SLACK) + _SLACK), int)]
                for tree, ids in self._parts(union)
            ]
            plots = np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
        d = self.km(plots, x, y)
        if r is not None:
            keep = d <= r
            plots, d = plots[keep], d[keep]
        return plots, d

    def nearest(self, union: str, x: float, y: float, k: int) -> np.ndarray:
        """The union's ``k`` plots nearest ``(x, y)``, nearest first (ties: lower index
        first, as a stable sort of an ascending row would have them)."""
        dist = [
            np.atleast_1d(tree.query((x, y), k=min(k, ids.size))[0])
            for tree, ids in self._parts(union)
        ]
        found = np.concatenate(dist) if dist else np.zeros(0)
        if found.size == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64)
        kth = float(np.partition(found, min(k, found.size) - 1)[min(k, found.size) - 1])
        plots, d = self.near(union, x, y, kth * (1 + _SLACK) + _SLACK)
        return plots[np.lexsort((plots, d))[:k]]


class _Homes:
    """The herds grouped by union and home point (a village's flocks share one), with the
    plots within ``max_home_km`` of each home found once per group."""

    def __init__(self, inputs: RotationInputs, params: RotationParams, reach: _Reach) -> None:
        self.reach, self.max_home_km = reach, params.max_home_km
        groups: dict[tuple[str, float, float], list[int]] = {}
        for h, herd in enumerate(inputs.herds):
            groups.setdefault((herd.union_id, herd.home_x_km, herd.home_y_km), []).append(h)
        self.groups = list(groups.items())
        self.group_of = np.zeros(inputs.n_herds, dtype=np.int64)
        self.rank = np.zeros(inputs.n_herds, dtype=np.int64)
        for g, (_, members) in enumerate(self.groups):
            for k, h in enumerate(members):
                self.group_of[h], self.rank[h] = g, k
        self._within: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def key(self, g: int) -> tuple[str, float, float]:
        return self.groups[g][0]

    def within(self, g: int) -> tuple[np.ndarray, np.ndarray]:
        """The group's plots within ``max_home_km`` of home, ascending, and their km."""
        if g not in self._within:
            self._within[g] = self.reach.near(*self.key(g), self.max_home_km)
        return self._within[g]

    def n_within(self, g: int) -> int:
        if self.max_home_km is None:
            return self.reach.size(self.key(g)[0])
        return int(self.within(g)[0].size)


def _count(inputs: RotationInputs, params: RotationParams, ok_t: np.ndarray, homes: _Homes) -> int:
    """How many candidate pairs there are, without listing them: per herd, its plots'
    usable weeks in its season, less the first week on plots beyond a walk from home."""
    n_t = inputs.n_periods
    cum = np.zeros((inputs.n_plots, n_t + 1), dtype=np.int64)
    np.cumsum(ok_t, axis=1, out=cum[:, 1:])
    public_cum = cum[homes.reach.public].sum(axis=0)
    total = 0
    for g, (key, members) in enumerate(homes.groups):
        if homes.max_home_km is None:  # every plot of the union: sums by column
            own = homes.reach.own.get(key[0])
            weeks = public_cum + (0 if own is None else cum[own].sum(axis=0))
        else:
            weeks = cum[homes.within(g)[0]].sum(axis=0)
        r = params.max_move_km
        if homes.max_home_km is not None:
            r = min(r, homes.max_home_km)
        walk = ok_t[homes.reach.near(*key, r)[0]].sum(axis=0)  # usable plots within a walk
        for h in members:
            span = inputs.herd_periods(h)
            first, stop = span.start, span.stop
            beyond = int(weeks[first + 1] - weeks[first]) - int(walk[first])
            total += int(weeks[stop] - weeks[first]) - beyond
    return total


def _herd_pairs(
    inputs: RotationInputs,
    params: RotationParams,
    ok_t: np.ndarray,
    homes: _Homes,
    max_plots: int | None,
) -> Pairs:
    """Every herd's candidate pairs; with ``max_plots``, on that many plots nearest home.

    Herds of one union that share a home point (a village's flocks) share that many
    plots each of the nearest ``n × max_plots``, every ``n``-th by distance: together
    they see as far as one herd of their size would, and each as many pairs as before.
    """
    nearest: dict[int, np.ndarray] = {}  # per group, its plots nearest first
    out = _Collect()
    for h in range(inputs.n_herds):  # herd by herd: the pairs stay sorted by herd
        g = int(homes.group_of[h])
        key, members = homes.groups[g]
        size = len(members)
        if max_plots is not None and homes.n_within(g) > max_plots:
            if g not in nearest:
                nearest[g] = _nearest_first(homes, g, min(homes.n_within(g), max_plots * size))
            # the group's plots dealt out in turn, nearest first; the herd's share of them
            plots = np.sort(nearest[g][int(homes.rank[h]) :: size][:max_plots])
            d_home = homes.reach.km(plots, key[1], key[2])
        else:
            plots, d_home = homes.within(g)
        weeks = inputs.herd_periods(h)
        ok = ok_t[plots, weeks.start : weeks.stop]
        ok[:, 0] &= d_home <= params.max_move_km
        out.add(h, plots, ok, weeks.start)
    return out.pairs()


def _nearest_first(homes: _Homes, g: int, k: int) -> np.ndarray:
    """The group's ``k`` plots nearest home within ``max_home_km``, nearest first."""
    union, x, y = homes.key(g)
    if homes.max_home_km is None or k < homes.n_within(g):  # the k nearest are within it
        return homes.reach.nearest(union, x, y, k)
    plots, d = homes.within(g)
    return plots[np.lexsort((plots, d))]


def _union_members(inputs: RotationInputs) -> dict[str, list[int]]:
    members_of: dict[str, list[int]] = {}
    for h, herd in enumerate(inputs.herds):
        members_of.setdefault(herd.union_id, []).append(h)
    return members_of


def _pooled_ok(
    inputs: RotationInputs,
    params: RotationParams,
    ok_t: np.ndarray,
    reach: _Reach,
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Each union's candidates pooled over its herds, relaxed: its plots (and public ones)
    within ``max_home_km`` of one of its herds, in every week one of its herds grazes,
    without the limit on the first week's walk from home. More candidates than its herds
    have: a bound computed on them is a bound of the plan's problem. Per union, in the
    order of their first herd: that herd, the plots and which weeks of each are usable
    (one union at a time: together they are unions x plots)."""
    for u, members in _union_members(inputs).items():
        if params.max_home_km is None:
            plots = reach.plots(u)
        else:
            homes = {(inputs.herds[h].home_x_km, inputs.herds[h].home_y_km) for h in members}
            near = [reach.near(u, x, y, params.max_home_km)[0] for x, y in sorted(homes)]
            plots = np.unique(np.concatenate(near)) if near else np.zeros(0, dtype=np.int64)
        yield members[0], plots, ok_t[plots] & _union_weeks(inputs, members)[None, :]


def _union_weeks(inputs: RotationInputs, members: list[int]) -> np.ndarray:
    """The weeks one of the herds grazes."""
    weeks = np.zeros(inputs.n_periods, dtype=bool)
    for h in members:
        r = inputs.herd_periods(h)
        weeks[r.start : r.stop] = True
    return weeks


def _pooled_count(
    inputs: RotationInputs, params: RotationParams, ok_t: np.ndarray, reach: _Reach
) -> tuple[int, Pairs]:
    """How many pooled candidates the unions have, and every plot and period in one of
    them as herd 0's (the supply bound's candidates when the unions' are too many)."""
    usable = np.zeros((inputs.n_plots, inputs.n_periods), dtype=bool)
    n = 0
    if params.max_home_km is None:
        # every union has every public plot: counted by column, not listed per union
        public_weeks = ok_t[reach.public].sum(axis=0)
        any_weeks = np.zeros(inputs.n_periods, dtype=bool)
        for members in _union_members(inputs).values():
            weeks = _union_weeks(inputs, members)
            own = reach.own.get(inputs.herds[members[0]].union_id)
            n += int(public_weeks @ weeks)
            any_weeks |= weeks
            if own is not None:
                ok = ok_t[own] & weeks[None, :]
                n += int(np.count_nonzero(ok))
                usable[own] |= ok
        usable[reach.public] |= ok_t[reach.public] & any_weeks[None, :]
    else:
        for _, plots, ok in _pooled_ok(inputs, params, ok_t, reach):
            n += int(np.count_nonzero(ok))
            usable[plots] |= ok
    collect = _Collect()
    if inputs.n_herds:
        collect.add(0, np.arange(inputs.n_plots), usable, 0)
    return n, collect.pairs()


def _pooled(pooled: Iterator[tuple[int, np.ndarray, np.ndarray]]) -> Pairs:
    """The unions' pooled candidates as :class:`Pairs` (sorted by herd: unions in the order
    of their first herd)."""
    collect = _Collect()
    for first, plots, ok in pooled:
        collect.add(first, plots, ok, 0)
    return collect.pairs()
