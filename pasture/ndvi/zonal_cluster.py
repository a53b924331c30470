"""Zonal statistics on a dask.distributed cluster: the weights built there once per plot set and grid.

The coverage weights of a plot set over a grid (:class:`~pasture.ndvi.coverage.CoverageWeights`,
hundreds of MB for a national plot set) are built on a worker, copied to every worker and
published on the scheduler under a name hashed from the plots (ids, geometry, CRS) and the
grid. A later call with the same plots and grid, from any client (each `pasture ndvi zonal
--dask-scheduler` is a new process), finds them there and sends nothing but the plots'
hash. With a copy on every worker, the scheduler runs each date's reduction on the worker
that read its blocks, instead of moving every block to the one worker that held the weights.

Published weights stay on the cluster until it stops or ``client.unpublish_dataset(name)``
(names start with :data:`WEIGHTS_PREFIX`).
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pyproj import CRS

from pasture.ndvi.coverage import CoverageWeights, Grid, plot_ids_of

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["WEIGHTS_PREFIX", "cluster_weights", "weights_name"]

WEIGHTS_PREFIX = "zonal-weights-"
"""Names of the weights published on a cluster's scheduler start with this."""


def _grid_text(grid: Grid) -> bytes:
    return repr((grid.height, grid.width, tuple(grid.transform)[:6], grid.crs.to_wkt())).encode()


def weights_name(plots: gpd.GeoDataFrame, grid: Grid) -> str:
    """The name of the weights of ``plots`` over ``grid`` on a cluster: a hash of the plots'
    ids, geometries (WKB) and CRS and of the grid."""
    h = hashlib.blake2b(digest_size=16)
    h.update(_grid_text(grid))
    h.update(CRS(plots.crs).to_wkt().encode() if plots.crs is not None else b"-")
    for text in plot_ids_of(plots):
        h.update(len(text).to_bytes(8, "little") + text.encode())
    for wkb in shapely.to_wkb(np.asarray(plots.geometry.values, dtype=object)):
        wkb = wkb or b""
        h.update(len(wkb).to_bytes(8, "little") + wkb)
    return WEIGHTS_PREFIX + h.hexdigest()


def _weights_digest(weights: CoverageWeights) -> str:
    """The name of weights computed elsewhere: a hash of their grid, ids and arrays."""
    h = hashlib.blake2b(digest_size=16)
    h.update(_grid_text(weights.grid))
    for text in weights.plot_ids:
        h.update(len(text).to_bytes(8, "little") + text.encode())
    for part in (weights.run_start, weights.run_end, weights.run_plot, weights.edge_pixel):
        h.update(np.ascontiguousarray(part).tobytes())
    for part in (weights.edge_plot, weights.edge_cover, weights.run_ptr, weights.edge_ptr):
        h.update(np.ascontiguousarray(part).tobytes())
    return WEIGHTS_PREFIX + "w" + h.hexdigest()


def _build(plots: gpd.GeoDataFrame, grid: Grid, threads: int | None) -> CoverageWeights:
    return CoverageWeights.from_plots(plots, grid, threads=threads)


def _totals(weights: CoverageWeights) -> np.ndarray:
    return weights.total


def cluster_weights(
    client: Any,
    plots: gpd.GeoDataFrame | None,
    grid: Grid,
    weights: CoverageWeights | None = None,
    threads: int | None = None,
) -> tuple[Any, np.ndarray]:
    """The weights' future on the cluster (built there, or found) and each plot's total
    coverage inside the grid (the denominator of ``valid_fraction``).

    Given ``weights`` computed in this process are sent once, under a hash of their
    content; otherwise they are built on a worker from ``plots``.
    """
    name = _weights_digest(weights) if weights is not None else weights_name(plots, grid)
    if name not in client.list_datasets():
        if weights is not None:
            future = client.scatter(weights, hash=False)
        else:
            future = client.submit(_build, plots, grid, threads, pure=False)
        client.replicate([future])  # a copy on every worker: reductions run where blocks are
        with contextlib.suppress(KeyError):  # another client published them meanwhile
            client.publish_dataset(future, name=name)
    future = client.get_dataset(name)
    if weights is not None:
        return future, weights.total
    return future, client.submit(_totals, future, pure=False).result()
