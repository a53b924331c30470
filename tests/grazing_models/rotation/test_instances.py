"""Synthetic and tiled planning instances."""

from __future__ import annotations

import numpy as np
import pytest

from grazing_models.rotation import RotationParams, plan_rotation, validate_plan
from grazing_models.rotation.instances import synthetic_instance, tiled_instance
from grazing_models.rotation.pairs import find_pairs


def _width(inputs) -> float:
    xs = [p.x_km for p in inputs.plots] + [h.home_x_km for h in inputs.herds]
    return max(xs) - min(xs)


def test_synthetic_instances_are_reproducible():
    a = synthetic_instance(50, 6, 8, seed=2)
    b = synthetic_instance(50, 6, 8, seed=2)
    c = synthetic_instance(50, 6, 8, seed=3)
    assert a.plots == b.plots and a.herds == b.herds
    assert np.array_equal(a.available_kg, b.available_kg)
    assert a.plots != c.plots


def test_copies_sit_side_by_side_with_their_own_unions():
    one = synthetic_instance(40, 5, 6, seed=1)
    three = tiled_instance(one, 3)
    n_p, n_h = len(one.plots), len(one.herds)
    assert (len(three.plots), len(three.herds)) == (3 * n_p, 3 * n_h)
    assert three.plots[:n_p] == one.plots and three.herds[:n_h] == one.herds
    width = _width(one)
    for k in (1, 2):
        for p, q in zip(one.plots, three.plots[k * n_p : (k + 1) * n_p], strict=True):
            assert q.id == f"{p.id}~{k}"
            assert q.x_km == pytest.approx(p.x_km + k * width) and q.y_km == p.y_km
            assert q.union_id == (None if p.union_id is None else f"{p.union_id}~{k}")
            assert q.seasons == p.seasons
        for h, g in zip(one.herds, three.herds[k * n_h : (k + 1) * n_h], strict=True):
            assert (g.id, g.union_id) == (f"{h.id}~{k}", f"{h.union_id}~{k}")
            assert g.home_x_km == pytest.approx(h.home_x_km + k * width)
    assert np.array_equal(three.available_kg[2 * n_p :], one.available_kg)
    assert np.array_equal(three.regrowth_kg[n_p : 2 * n_p], one.regrowth_kg)


@pytest.mark.parametrize("reach", [0.2, None])
def test_copies_share_only_public_pasture_within_reach(reach):
    one = synthetic_instance(60, 6, 8, seed=4)
    three = tiled_instance(one, 3)
    n_p, n_h = len(one.plots), len(one.herds)
    params = RotationParams(max_home_km=None if reach is None else reach * _width(one))
    alone = find_pairs(one, params)
    tiled = find_pairs(three, params)
    # the first copy's herds keep their own placements in their own copy ...
    first = tiled.h < n_h
    home = first & (tiled.p < n_p)
    for got, want in ((tiled.h, alone.h), (tiled.p, alone.p), (tiled.t, alone.t)):
        assert np.array_equal(got[home], want)
    # ... and across the border graze only public pasture, within reach of home
    across = (tiled.p // n_p) != (tiled.h // n_h)
    assert across.any()
    assert all(three.plots[p].union_id is None for p in np.unique(tiled.p[across]))
    if params.max_home_km is not None:
        d = np.hypot(*(three.plot_xy[tiled.p[across]] - three.herd_home_xy[tiled.h[across]]).T)
        assert d.max() <= params.max_home_km


def test_a_tiled_district_plans_by_the_rules():
    three = tiled_instance(synthetic_instance(40, 5, 8, seed=6), 3)
    plan = plan_rotation(three, RotationParams(max_home_km=25.0), solver="heuristic")
    assert validate_plan(plan, three) == []
    assert plan.bound is not None and plan.objective >= plan.bound
