"""`pasture ndvi zonal` on a dask.distributed cluster: the same rows as locally, and the
weights built on the cluster once per plot set and grid, then found there by later calls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from shapely import affinity
from shapely.geometry import box

import pasture
from pasture.ndvi.catalogue import compute_ndvi_stats, open_scenes, register_scenes
from pasture.ndvi.coverage import Grid
from pasture.ndvi.zonal_cluster import WEIGHTS_PREFIX, weights_name
from tests.pasture import factories
from tests.pasture.factories import X0, Y0
from tests.pasture.ndvi.test_zonal_store import DAYS, _scene

distributed = pytest.importorskip("distributed")


def _builds(stream: list[dict]) -> int:
    """How many times the weights were built in a task stream."""
    return sum(str(t["key"]).startswith("_build-") for t in stream)


def test_cluster_gives_the_local_rows_and_builds_the_weights_once(tmp_path: Path) -> None:
    store = pasture.open_store(tmp_path / "s.gpkg")
    factories.fill(store, n_plots=8)
    store.set_region(box(X0 - 1, Y0 - 1, X0 + 1, Y0 + 1))
    rng = np.random.default_rng(7)
    register_scenes(store, [_scene(tmp_path / f"n_{d}.tif", d, rng) for d in DAYS], user="t")
    compute_ndvi_stats(store)
    local = store.read_rows("ndvi_stats")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
        distributed.get_task_stream(client) as stream,
    ):
        compute_ndvi_stats(store, client=client)
        first = store.read_rows("ndvi_stats")
        # a second call from a new client, as a second `pasture ndvi zonal` process is
        compute_ndvi_stats(store, client=cluster.scheduler_address)
        second = store.read_rows("ndvi_stats")
        names = [n for n in client.list_datasets() if n.startswith(WEIGHTS_PREFIX)]
        held = client.who_has([client.get_dataset(names[0])]) if names else {}
    pd.testing.assert_frame_equal(first, local)
    pd.testing.assert_frame_equal(second, local)
    assert len(names) == 1
    assert _builds(stream.data) == 1
    assert [len(workers) for workers in held.values()] == [2]  # a copy on each worker


def test_the_weights_name_follows_the_plots_and_the_grid(tmp_path: Path) -> None:
    store = pasture.open_store(tmp_path / "s.gpkg")
    factories.fill(store)
    store.set_region(box(X0 - 1, Y0 - 1, X0 + 1, Y0 + 1))
    register_scenes(
        store, [_scene(tmp_path / "n.tif", DAYS[0], np.random.default_rng(1))], user="t"
    )
    plots = store.read("plots")[["id", "geometry"]]
    ((stack, _),) = open_scenes(store)
    grid = Grid.from_dataarray(stack)
    name = weights_name(plots, grid)
    assert weights_name(plots.copy(), grid) == name
    moved = plots.copy()
    moved.loc[0, "geometry"] = affinity.translate(moved.geometry[0], 1e-6, 0)
    renamed = plots.assign(id=[f"x{i}" for i in range(len(plots))])
    other_grid = Grid(grid.height + 1, grid.width, grid.transform, grid.crs)
    others = {
        weights_name(moved, grid),
        weights_name(renamed, grid),
        weights_name(plots, other_grid),
    }
    assert name not in others and len(others) == 3
