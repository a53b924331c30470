"""Pruned candidate pairs of herds that share a home point (a village's flocks)."""

from __future__ import annotations

import numpy as np
import pytest

from grazing_models.rotation import RotationInputs, RotationParams
from grazing_models.rotation.instances import synthetic_instance
from grazing_models.rotation.pairs import find_pairs, planning_pairs

from .flocks import split_first_herd

FLOCKS = 4


def _with_flocks(seed: int) -> RotationInputs:
    """A synthetic district whose first herd is split into flocks at its home point."""
    return split_first_herd(synthetic_instance(120, 8, 10, seed=seed), FLOCKS)


def _plots_of(pairs, herd: int) -> set[int]:
    return set(pairs.p[pairs.h == herd].tolist())


@pytest.mark.parametrize("seed", range(3))
def test_flocks_of_one_home_share_out_its_nearest_plots(seed: int) -> None:
    """Pruned, the flocks of one home point keep disjoint plots which together are the
    nearest ones of their candidates: they reach as far as one herd of their size would,
    not all onto the same few plots."""
    inputs = _with_flocks(seed)
    params = RotationParams()
    full = find_pairs(inputs, params)
    pruned = planning_pairs(inputs, params, max_pairs=full.h.size // 4, min_plots=5).plan
    kept = [_plots_of(pruned, k) for k in range(FLOCKS)]
    assert all(kept)
    for a in range(FLOCKS):
        for b in range(a + 1, FLOCKS):
            assert not kept[a] & kept[b], (a, b)
    together = set().union(*kept)
    candidates = _plots_of(full, 0)  # every flock has the same candidates
    assert together < candidates
    home = np.array([inputs.herds[0].home_x_km, inputs.herds[0].home_y_km])
    dist = {p: float(np.hypot(*(inputs.plot_xy[p] - home))) for p in candidates}
    farthest = max(dist[p] for p in together)
    nearer_left_out = [p for p in candidates - together if dist[p] < farthest - 1e-9]
    assert not nearer_left_out
    # a herd with a home of its own keeps its nearest plots as before
    lone = _plots_of(pruned, FLOCKS)
    own = _plots_of(full, FLOCKS)
    xy = np.array([inputs.herds[FLOCKS].home_x_km, inputs.herds[FLOCKS].home_y_km])
    d_lone = {p: float(np.hypot(*(inputs.plot_xy[p] - xy))) for p in own}
    assert not [p for p in own - lone if d_lone[p] < max(d_lone[p] for p in lone) - 1e-9]
