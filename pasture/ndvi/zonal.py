"""Zonal statistics of NDVI stacks over pasture plots, with exact reusable coverage weights.

The hot path of the NDVI side: every plot × every date. The weights (the fraction of each
pixel inside each plot) are computed once per plot set and raster grid
(:class:`~pasture.ndvi.coverage.CoverageWeights`) and reused for every date, so each
further date costs about one pass over its pixels.

How dates are reduced
    One compiled pass over the rows (a few bands of rows, one per thread): per row, each run of
    fully covered pixels is summed (values and squares, float64, vectorised, in windows of
    fixed length; a run whose sum comes out NaN is summed again over its valid pixels), then
    each boundary cell adds its coverage times its value unless it is NaN. An in-memory stack
    is reduced several dates per pass (each run and cell for every date in turn), which reads
    the weights once for them all; a dask-backed one streams date by date. A numeric nodata
    becomes NaN in a copy of the date first. Σc·valid, Σc·v and Σc·v² per plot give the
    coverage-weighted mean, population standard deviation and count exactly as
    exactextract's ``mean``, ``stdev`` and ``count`` (the one-pass variance loses about
    ``|mean| * 1e-8`` of absolute precision in ``std``). The compiled code is cached on disk
    (``__pycache__`` or ``NUMBA_CACHE_DIR``), compiled there at install time by ``pasture
    kernels warm`` (:mod:`pasture.kernels`; else the first call ever compiles it, 10 s to
    3 min): processes load it (about 0.3 s).

Raster edge
    Coverage outside the raster extent is ignored: ``count`` and the denominator of
    ``valid_fraction`` both count only the part of a plot inside the raster, so a plot half
    outside a fully valid raster has ``valid_fraction`` 1. A plot entirely outside has NaN
    statistics, count 0 and valid fraction 0.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (registers the .rio accessor)

from pasture.ndvi import zonal_kernels as kernels
from pasture.ndvi.coverage import (
    CoverageWeights,
    Grid,
    ZonalError,
    plot_ids_of,
    run_parts,
    thread_count,
)

if TYPE_CHECKING:
    import geopandas as gpd
    import xarray as xr

__all__ = ["SUPPORTED_STATS", "zonal_stats"]

SUPPORTED_STATS = ("mean", "std", "count", "min", "max")
"""Statistics :func:`zonal_stats` can compute, as exactextract's mean, stdev, count, min, max."""

# Dates of an in-memory stack reduced in one pass over the weights, at most: a pass reads
# each run of pixels of every date in turn, and with more streams than this the hardware
# prefetcher falls behind (measured: 6 to 8 dates per pass is fastest, 12 slower, 24 much
# slower than one at a time).
_DATES_PER_PASS = 8

# Dates of a dask-backed stack reduced in one task on a cluster: a task per date cost more
# in the scheduler's and workers' per-task work (and the transfer of each date's sums)
# than the reduction itself, ~6 ms per date of the demo's 250 m scenes.
_DATES_PER_TASK = 8


# --------------------------------------------------------------------------------------------
# Reduction of one block of rows
# --------------------------------------------------------------------------------------------

_S0, _S1, _S2, _MIN, _MAX = range(5)


@dataclass(frozen=True)
class _What:
    """What a reduction needs beyond Σc·valid, Σc·v and Σc·v² (always summed)."""

    minmax: bool


def _block_sums(
    weights: CoverageWeights,
    block: np.ndarray,
    row0: int,
    nodata: float | None,
    what: _What,
    threads: int = 1,
) -> np.ndarray:
    """Per-plot sums for a block of full-width rows ``[row0, row0 + rows)`` of every date in
    it: an array ``(dates, 5, n_plots)`` of Σc·valid, Σc·v, Σc·v², min, max.

    All dates in one pass of the compiled kernel over the weights, on ``threads`` bands of
    rows, each with its own sums, added in band order.
    """
    block = np.asarray(block)
    if block.ndim == 2:
        block = block[np.newaxis]
    dates, nrows = block.shape[:2]
    flat = _kernel_array(block, nodata)
    w = weights
    parts = max(1, min(threads, nrows))
    cuts = [row0 + nrows * i // parts for i in range(parts + 1)]

    def part(i: int) -> np.ndarray:
        out = np.zeros((w.n_plots, dates, 5))
        out[..., _MIN:] = np.nan
        kernels.reduce_rows(
            flat, row0 * w.grid.width, cuts[i], cuts[i + 1],
            w.run_ptr, w.run_start, w.run_end, w.run_plot,
            w.edge_ptr, w.edge_pixel, w.edge_plot, w.edge_cover,
            what.minmax, out,
        )  # fmt: skip
        return out

    outs = run_parts(part, parts)
    out = outs[0]
    for other in outs[1:]:
        out[..., :_MIN] += other[..., :_MIN]
        np.fmin(out[..., _MIN], other[..., _MIN], out=out[..., _MIN])
        np.fmax(out[..., _MAX], other[..., _MAX], out=out[..., _MAX])
    return np.ascontiguousarray(out.transpose(1, 2, 0))


def _kernel_dtype(dtype: np.dtype) -> np.dtype:
    """float32 or float64, the types the kernel is compiled for (``STACK_DTYPES``): small
    integers become float32 and other types float64, both exactly."""
    if dtype in kernels.STACK_DTYPES:
        return dtype
    if dtype.kind in "iub" and dtype.itemsize <= 2:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _needs_copy(block: np.ndarray, nodata: float | None) -> bool:
    """Whether the kernel needs a copy of ``block``: another type or layout, or a numeric
    nodata to replace by NaN."""
    numeric_nodata = nodata is not None and not math.isnan(nodata)
    contiguous = block.flags.c_contiguous and block.dtype == _kernel_dtype(block.dtype)
    return numeric_nodata or not contiguous


def _kernel_array(block: np.ndarray, nodata: float | None) -> np.ndarray:
    """The block ``(dates, rows, cols)`` as a read-only C-contiguous ``(dates, rows * cols)``
    view of :func:`_kernel_dtype` with NaN for nodata; a copy only if :func:`_needs_copy`.

    Read-only whatever the caller's array is: numba compiles writable and read-only arrays
    apart, and one signature per type is what ``pasture kernels warm`` compiles ahead.
    """
    dtype = _kernel_dtype(block.dtype)
    if nodata is None or math.isnan(nodata):
        flat = np.ascontiguousarray(block, dtype=dtype).reshape(block.shape[0], -1).view()
    else:
        flat = np.array(block, dtype=dtype, order="C").reshape(block.shape[0], -1)  # a copy
        flat[flat == nodata] = np.nan
    flat.flags.writeable = False  # on a view: the caller's array keeps its flags
    return flat


# --------------------------------------------------------------------------------------------
# zonal_stats
# --------------------------------------------------------------------------------------------


def _check_stats(stats: Iterable[str]) -> tuple[str, ...]:
    stats = tuple(stats)
    unknown = [s for s in stats if s not in SUPPORTED_STATS]
    if unknown:
        raise ZonalError(
            f"unknown statistic(s) {unknown}; choose among {', '.join(SUPPORTED_STATS)}"
        )
    return stats


def _as_time_yx(ndvi: xr.DataArray) -> xr.DataArray:
    """The raster as (time, y, x); a 2-D raster becomes one date with time NaT."""
    ydim, xdim = ndvi.rio.y_dim, ndvi.rio.x_dim
    if ndvi.ndim == 2:
        return ndvi.expand_dims(time=[np.datetime64("NaT", "ns")])
    if ndvi.ndim != 3:
        raise ZonalError(f"ndvi must have dims (time, y, x) or (y, x), not {ndvi.dims}")
    tdim = next(d for d in ndvi.dims if d not in (ydim, xdim))
    return ndvi.transpose(tdim, ydim, xdim)


def _nodata(ndvi: xr.DataArray) -> float | None:
    nodata = ndvi.rio.nodata
    if nodata is None:
        return None
    value = float(nodata)
    return None if math.isnan(value) else value


def _finish(
    sums: np.ndarray,
    plot_ids: tuple[str, ...],
    total: np.ndarray,
    times: np.ndarray,
    stats: tuple[str, ...],
) -> pd.DataFrame:
    """Long frame (plot-major, then time) from sums of shape (dates, 5, plots)."""
    by_plot = np.ascontiguousarray(sums.transpose(1, 2, 0))  # 5 × (plots, dates), contiguous
    s0, s1, s2 = by_plot[_S0], by_plot[_S1], by_plot[_S2]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(s0 > 0, s1 / s0, np.nan)
        var = np.where(s0 > 0, np.maximum(s2 / s0 - mean * mean, 0.0), np.nan)
        total = total[:, np.newaxis]
        valid_fraction = np.where(total > 0, np.minimum(s0 / total, 1.0), 0.0)
    columns: dict[str, Any] = {
        # Repeated as a pandas column: a column from a long array of str objects takes longer.
        "plot_id": pd.Series(plot_ids).repeat(len(times)).reset_index(drop=True),
        "time": np.tile(times, len(plot_ids)),
    }
    values = {
        "mean": mean,
        "std": np.sqrt(var),
        "count": s0,
        "min": np.where(s0 > 0, by_plot[_MIN], np.nan),
        "max": np.where(s0 > 0, by_plot[_MAX], np.nan),
    }
    for name in stats:
        columns[name] = values[name].reshape(-1)
    columns["valid_fraction"] = np.broadcast_to(valid_fraction, s0.shape).reshape(-1)
    return pd.DataFrame(columns)


def zonal_stats(
    plots: gpd.GeoDataFrame | None,
    ndvi: xr.DataArray,
    *,
    stats: Sequence[str] = ("mean", "std", "count"),
    weights: CoverageWeights | None = None,
    client: Any = None,
    threads: int | None = None,
) -> pd.DataFrame:
    """Coverage-weighted statistics of every plot on every date of an NDVI stack.

    Parameters
    ----------
    plots : geopandas.GeoDataFrame or None
        Plots with an ``id`` column and (multi)polygon geometry in any CRS; they are
        transformed into the raster's CRS (the raster is never resampled). May be None
        when ``weights`` is given.
    ndvi : xarray.DataArray
        Dims ``(time, y, x)``, or ``(y, x)`` for one date (its time is NaT), with CRS and
        transform readable by rioxarray. NaN is nodata; ``ndvi.rio.nodata`` is honoured
        too when it is a number. May be dask-backed: then dates and bands of rows stream,
        and a stack larger than memory never has more than a few blocks loaded.
    stats : sequence of str, default ("mean", "std", "count")
        Any of ``mean``, ``std``, ``count``, ``min``, ``max`` — exactextract's ``mean``,
        ``stdev`` (population, coverage-weighted), ``count`` (sum of coverage of valid
        pixels), ``min`` and ``max``.
    weights : CoverageWeights, optional
        Weights from :meth:`CoverageWeights.from_plots` for these plots and this grid;
        computed here when not given. Reuse them across calls on the same grid.
    client : distributed.Client or str, optional
        A dask.distributed client or scheduler address: dates are reduced on the cluster,
        each where its blocks were read, with weights the cluster builds once per plot set
        and grid and keeps for later calls (:mod:`pasture.ndvi.zonal_cluster`).
    threads : int, optional
        Threads for building the weights and for reducing an in-memory stack (default:
        numba's number of threads, ``NUMBA_NUM_THREADS``, the number of CPUs unless set).
        A dask-backed stack is reduced one block per dask thread.

    Returns
    -------
    pandas.DataFrame
        One row per plot and date, in plot order then time, with columns ``plot_id``,
        ``time``, the requested statistics and ``valid_fraction``: the covered area with
        valid data over the covered area inside the raster extent (0 when the plot is
        outside the raster). Plots with no valid pixel get NaN statistics and count 0.

    Raises
    ------
    ZonalError
        No CRS on the plots or the raster, a rotated grid, unknown statistics, or weights
        computed for other plots or another grid.

    Examples
    --------
    >>> weights = CoverageWeights.from_plots(plots, Grid.from_dataarray(ndvi))
    >>> table = zonal_stats(plots, ndvi, weights=weights)  # doctest: +SKIP
    """
    stats = _check_stats(stats)
    ndvi = _as_time_yx(ndvi)
    grid = Grid.from_dataarray(ndvi)
    _check_weights(plots, weights, grid)
    nodata = _nodata(ndvi)
    what = _What(minmax="min" in stats or "max" in stats)
    times = np.asarray(ndvi[ndvi.dims[0]].values)
    data = ndvi.data
    if client is not None:
        sums, plot_ids, total = _sums_distributed(plots, grid, weights, data, nodata, what, client)
        return _finish(sums, plot_ids, total, times, stats)
    if weights is None:
        weights = CoverageWeights.from_plots(plots, grid, threads=threads)
    if _is_dask(data):
        sums = _sums_dask(weights, data, nodata, what)
    else:
        data = np.asarray(data)
        threads = thread_count(threads)
        # Several dates per pass over the weights (passes of equal size) if the kernel reads
        # the stack as it is, else date by date: a copy of one date at a time, not of the stack.
        per_pass = 1 if _needs_copy(data, nodata) else _DATES_PER_PASS
        passes = max(1, math.ceil(len(data) / per_pass))
        cuts = [len(data) * i // passes for i in range(passes + 1)]
        blocks = [data[a:b] for a, b in itertools.pairwise(cuts)]
        sums = np.concatenate([_block_sums(weights, b, 0, nodata, what, threads) for b in blocks])
    return _finish(sums, weights.plot_ids, weights.total, times, stats)


def _check_weights(plots: Any, weights: CoverageWeights | None, grid: Grid) -> None:
    if weights is None:
        if plots is None:
            raise ZonalError("give plots or precomputed weights")
        return
    if weights.grid != grid:
        raise ZonalError(
            "the weights were computed for another grid; "
            "build them with CoverageWeights.from_plots(plots, Grid.from_dataarray(ndvi))"
        )
    if plots is not None and plot_ids_of(plots) != weights.plot_ids:
        raise ZonalError("the weights were computed for other plots (ids differ)")


def _is_dask(data: Any) -> bool:
    return hasattr(data, "dask") and hasattr(data, "to_delayed")


def _sum_blocks(*parts: np.ndarray) -> np.ndarray:
    """Combine per-block sums of the same dates (min and max combine by fmin and fmax)."""
    out = parts[0].copy()
    for p in parts[1:]:
        out[:, :_MIN] += p[:, :_MIN]
        np.fmin(out[:, _MIN], p[:, _MIN], out=out[:, _MIN])
        np.fmax(out[:, _MAX], p[:, _MAX], out=out[:, _MAX])
    return out


def _block_tasks(
    weights_ref: Any, data: Any, nodata: float | None, what: _What, dates: int = 1
) -> list[Any]:
    """One delayed reduction per chunk of ``dates`` dates: blocks of full-width rows, each
    reduced in one pass over the weights for all its dates, then combined."""
    import dask

    data = data.rechunk({0: dates, 2: -1})
    row_starts = np.cumsum((0, *data.chunks[1]))[:-1]
    blocks = data.to_delayed()
    block_sums = dask.delayed(_block_sums, pure=True)
    combine = dask.delayed(_sum_blocks, pure=True)
    tasks = []
    for t in range(blocks.shape[0]):
        parts = [
            block_sums(weights_ref, blocks[t, k, 0], int(row_starts[k]), nodata, what)
            for k in range(blocks.shape[1])
        ]
        while len(parts) > 1:  # a tree, so that few partial sums wait at any time
            parts = [combine(*parts[i : i + 8]) for i in range(0, len(parts), 8)]
        tasks.append(parts[0])
    return tasks


def _sums_dask(
    weights: CoverageWeights, data: Any, nodata: float | None, what: _What
) -> np.ndarray:
    import dask

    # Threads, explicitly: a distributed client set as default elsewhere would otherwise get
    # the weights embedded in every graph; pass it as ``client=`` to scatter them once. The
    # weights go in as one delayed object: as a plain argument, dask would look for
    # collections in each of their fields (every plot id) for every block.
    wref = dask.delayed(weights, traverse=False)
    results = dask.compute(*_block_tasks(wref, data, nodata, what), scheduler="threads")
    return np.concatenate(results)


def _sums_distributed(
    plots: Any,
    grid: Grid,
    weights: CoverageWeights | None,
    data: Any,
    nodata: float | None,
    what: _What,
    client: Any,
) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """Sums of every date on a cluster, with the weights it holds for these plots and this
    grid (:mod:`pasture.ndvi.zonal_cluster`), and the plots' ids and total coverage."""
    from distributed import Client

    from pasture.ndvi.zonal_cluster import cluster_weights

    own = isinstance(client, str)
    cl = Client(client) if own else client
    try:
        wref, total = cluster_weights(cl, plots, grid, weights)
        if _is_dask(data):
            futures = cl.compute(_block_tasks(wref, data, nodata, what, _DATES_PER_TASK))
        else:
            arr = np.asarray(data)
            futures = [
                cl.submit(_block_sums, wref, cl.scatter(arr[t]), 0, nodata, what, pure=False)
                for t in range(arr.shape[0])
            ]
        sums = np.concatenate(cl.gather(futures))
    finally:
        if own:
            cl.close()
    plot_ids = weights.plot_ids if weights is not None else plot_ids_of(plots)
    return sums, plot_ids, total
