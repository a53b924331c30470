"""Candidate pairs found with KD-trees are the ones a dense herds x plots distance matrix
gave (tests/grazing_models/rotation/dense_pairs.py keeps that version): the same pairs in
the same order, pruned or not, with or without a limit on the distance from home."""

from __future__ import annotations

import numpy as np
import pytest

from grazing_models.rotation import RotationParams
from grazing_models.rotation.instances import synthetic_instance, tiled_instance
from grazing_models.rotation.pairs import Pairs, planning_pairs

from .dense_pairs import planning_pairs as dense_planning_pairs
from .flocks import split_first_herd


def _same(a: Pairs | None, b: Pairs | None) -> None:
    assert (a is None) == (b is None)
    if a is not None and b is not None:
        for got, want in ((a.h, b.h), (a.p, b.p), (a.t, b.t)):
            np.testing.assert_array_equal(got, want)


def _instances():
    yield synthetic_instance(120, 8, 10, seed=0)
    yield split_first_herd(synthetic_instance(150, 10, 12, seed=1, tight=True), 5)
    # copies side by side: public pasture shared by every copy's unions
    yield tiled_instance(split_first_herd(synthetic_instance(90, 6, 8, seed=2, n_unions=2), 3), 3)


@pytest.mark.parametrize("case", range(3))
@pytest.mark.parametrize("max_home_km", [None, 12.0, 40.0])
def test_kd_tree_pairs_are_the_dense_matrix_pairs(case: int, max_home_km: float | None) -> None:
    inputs = list(_instances())[case]
    params = RotationParams(max_home_km=max_home_km, max_migration_km=30.0)
    full = dense_planning_pairs(inputs, params, max_pairs=None)
    assert full.full is not None and full.full.h.size > 0
    limits = [None, full.n_full // 3, full.n_full // 10]
    for max_pairs in limits:
        for max_pooled in (None, 10):
            args = {"max_pairs": max_pairs, "min_plots": 5, "max_pooled": max_pooled}
            want = dense_planning_pairs(inputs, params, **args)
            got = planning_pairs(inputs, params, **args)
            assert got.n_full == want.n_full
            for part in ("plan", "full", "union", "anywhere"):
                _same(getattr(got, part), getattr(want, part))
    pruned = planning_pairs(inputs, params, max_pairs=full.n_full // 10, min_plots=5)
    assert pruned.full is None and pruned.plan.h.size < full.n_full  # the pruning was tried
