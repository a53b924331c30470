"""Benchmark pasture.ndvi.zonal against exactextract on the same input, in the same run.

    .venv/bin/python benchmarks/zonal.py                      # 20,000 plots, 5000², 10 dates
    .venv/bin/python benchmarks/zonal.py --plots 2000 --size 1500   # quick
    .venv/bin/python benchmarks/zonal.py --plots 2000 --size 1500 --first-call-only

Input: Voronoi plots of random points clipped to the extent, a float32 stack of 10 m pixels
in EPSG:32643 with a permanent NaN patch and a cloud (NaN) patch per date.

Peer: ``exactextract.exact_extract`` with ``["mean", "stdev", "count"]`` on the same dates,
all dates in one call, two ways: (1) in-memory ``NumPyRasterSource`` per date (its fastest
mode, no I/O: the same footing as ours) and (2) one 10-band GeoTIFF (tiled, uncompressed)
opened by path.

Ours is timed three ways: warm (best of repeated calls in this process, compiled code
loaded: what the ratios use), first call in a fresh process with an empty numba cache
(includes compiling the kernels) and first call in a fresh process with the cache filled
(includes loading them), the last two in child processes on the same input (same seed).
The filled cache is filled two ways: by the empty-cache child's own call, and by
``pasture kernels warm`` (the install step) into another empty cache, timed too. Each
child reports its first call's wall and CPU time and how many kernel signatures it
compiled (numba's cache misses). ``--first-call-only`` runs just these children.
Default threads (numba's, ``NUMBA_NUM_THREADS``) and one thread are both reported. The
in-memory stack is reduced several dates per pass over the weights ("per date" is the time
of all dates over their number); a lazily generated dask stack, streamed date by date, is
timed last.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import shapely
import xarray as xr
from affine import Affine

from pasture.ndvi import CoverageWeights, Grid, zonal_stats

RES = 10.0
X0, Y0 = 500_000.0, 4_800_000.0


def make_plots(n: int, size: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Voronoi polygons of ``n`` random points, clipped to the raster extent."""
    extent = shapely.box(X0, Y0 - size * RES, X0 + size * RES, Y0)
    pts = shapely.points(rng.uniform(X0, X0 + size * RES, n), rng.uniform(Y0 - size * RES, Y0, n))
    cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=extent, ordered=True)
    geoms = shapely.intersection(shapely.get_parts(cells), extent)
    return gpd.GeoDataFrame({"id": [f"p{i}" for i in range(n)]}, geometry=geoms, crs=32643)


def make_stack(size: int, dates: int, rng: np.random.Generator) -> np.ndarray:
    """NDVI-like float32 stack with a permanent NaN patch and one cloud per date."""
    stack = np.empty((dates, size, size), dtype=np.float32)
    for t in range(dates):
        stack[t] = rng.random((size, size), dtype=np.float32)
        stack[t] *= 0.8
        stack[t] += 0.1
        cy, cx = rng.integers(0, size, 2)
        half = size // 12
        stack[t, max(cy - half, 0) : cy + half, max(cx - half, 0) : cx + half] = np.nan
    stack[:, size // 3 : size // 3 + size // 40, size // 5 : size // 5 + size // 10] = np.nan
    return stack


def as_dataarray(stack: np.ndarray) -> xr.DataArray:
    """The stack as a (time, y, x) DataArray with CRS and transform."""
    times = np.datetime64("2024-04-01", "ns") + np.arange(len(stack)) * np.timedelta64(16, "D")
    da = xr.DataArray(stack, dims=("time", "y", "x"), coords={"time": times})
    return da.rio.write_crs("EPSG:32643").rio.write_transform(Affine(RES, 0, X0, 0, -RES, Y0))


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls, and the last result."""
    times = []
    out = None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def traced_peak(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated (tracemalloc, numpy included) while ``fn`` runs."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def lazy_stack(size: int, dates: int, rows: int) -> Any:
    """A dask stack generated chunk by chunk: never fully in memory."""
    import dask.array as dsa

    def chunk(block_id: tuple[int, int, int] | None = None) -> np.ndarray:
        assert block_id is not None
        seed = block_id[0] * 100_003 + block_id[1]
        return np.random.default_rng(seed).random((1, min(rows, size), size), dtype=np.float32)

    chunks = ((1,) * dates, tuple(min(rows, size - r) for r in range(0, size, rows)), (size,))
    return dsa.map_blocks(
        lambda block_id=None: chunk(block_id)[:, : chunks[1][block_id[1]]],
        chunks=chunks,
        dtype=np.float32,
        meta=np.empty((0, 0, 0), dtype=np.float32),
    )


def child_first_call(args: argparse.Namespace, cache_dir: str) -> dict[str, float]:
    """Time the first ``zonal_stats`` call of a fresh process using numba cache ``cache_dir``."""
    cmd = [sys.executable, __file__, "--child", "--plots", str(args.plots)]
    cmd += ["--size", str(args.size), "--dates", str(args.dates), "--seed", str(args.seed)]
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def child_warm(cache_dir: str) -> dict[str, float]:
    """Run ``pasture kernels warm`` into numba cache ``cache_dir``: its wall and CPU time."""
    cmd = [str(Path(sys.executable).parent / "pasture"), "kernels", "warm"]
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    before, t0 = os.times(), time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    wall, after = time.perf_counter() - t0, os.times()
    cpu = after.children_user + after.children_system
    cpu -= before.children_user + before.children_system
    return {"wall": wall, "cpu": cpu, "load": os.getloadavg()[0]}


def fresh_first_calls(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """First calls of fresh processes: with an empty cache, with the cache that call
    filled, and with a cache filled by ``pasture kernels warm`` (and that command)."""
    runs = {}
    with tempfile.TemporaryDirectory() as cache_dir:
        runs["cold"] = child_first_call(args, cache_dir)
        runs["cached"] = child_first_call(args, cache_dir)
    with tempfile.TemporaryDirectory() as cache_dir:
        runs["warm command"] = child_warm(cache_dir)
        runs["warmed"] = child_first_call(args, cache_dir)
    return runs


def print_first_calls(runs: dict[str, dict[str, float]], t_total: float | None) -> None:
    """The fresh processes' first calls (and compiling or loading: less ``t_total``, a
    warm call's time, if given)."""
    print("ours, first call in a fresh process, total incl. weights (wall, CPU):")
    for key, label in [
        ("cold", "empty numba cache (compiles)"),
        ("cached", "cache filled by that call"),
        ("warmed", "cache filled by kernels warm"),
    ]:
        r = runs[key]
        extra = ""
        if t_total is not None:
            extra = (
                f"; {'compiling' if key == 'cold' else 'loading'} ≈ {r['first'] - t_total:.2f} s"
            )
        print(
            f"  {label + ':':34s} {r['first']:8.3f} s  {r['cpu']:8.3f} s CPU  "
            f"({r['compiled']:.0f} signatures compiled{extra}; "
            f"loadavg {r['load']:.2f})"
        )
    w = runs["warm command"]
    print(
        f"  `pasture kernels warm` into an empty cache: {w['wall']:.3f} s, {w['cpu']:.3f} s CPU "
        f"(loadavg {w['load']:.2f})"
    )


def inputs(args: argparse.Namespace) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    rng = np.random.default_rng(args.seed)
    return make_plots(args.plots, args.size, rng), make_stack(args.size, args.dates, rng)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=5_000)
    parser.add_argument("--dates", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-geotiff", action="store_true", help="skip the GeoTIFF peer run")
    parser.add_argument("--no-dask", action="store_true", help="skip the lazy dask run")
    parser.add_argument("--no-cold", action="store_true", help="skip the fresh-process runs")
    parser.add_argument(
        "--first-call-only", action="store_true", help="run only the fresh-process first calls"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:  # a fresh process: time the first call only
        plots, stack = inputs(args)
        ndvi = as_dataarray(stack)
        from pasture.ndvi import zonal_kernels

        t0, c0 = time.perf_counter(), time.process_time()
        zonal_stats(plots, ndvi)
        first, cpu = time.perf_counter() - t0, time.process_time() - c0
        compiled = sum(
            sum(getattr(zonal_kernels, name).stats.cache_misses.values())
            for name in zonal_kernels.SIGNATURES
        )
        print(
            json.dumps(
                {"first": first, "cpu": cpu, "compiled": compiled, "load": os.getloadavg()[0]}
            )
        )
        return

    if args.first_call_only:
        print(f"input: {args.plots} Voronoi plots, {args.size}² float32, {args.dates} dates")
        print_first_calls(fresh_first_calls(args), None)
        return

    import numba
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    size, dates = args.size, args.dates
    print(f"input: {args.plots} Voronoi plots, {size}×{size} float32, {dates} dates, EPSG:32643")
    threads = numba.get_num_threads()
    print(
        f"machine: {os.cpu_count()} CPUs, {threads} numba threads, numba {numba.__version__}, "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )
    plots, stack = inputs(args)
    ndvi = as_dataarray(stack)
    grid = Grid.from_dataarray(ndvi)
    date_bytes = stack[0].nbytes

    # ours ------------------------------------------------------------------------------
    t0 = time.perf_counter()
    zonal_stats(plots.iloc[:50], ndvi.isel(time=[0]))  # loads (or compiles) the kernels
    t_first_small = time.perf_counter() - t0
    t_total, ours = best(lambda: zonal_stats(plots, ndvi), 2)
    t_weights, weights = best(lambda: CoverageWeights.from_plots(plots, grid), 2)
    t_dates, _ = best(lambda: zonal_stats(plots, ndvi, weights=weights), 3)
    t_total1, _ = best(lambda: zonal_stats(plots, ndvi, threads=1), 2)
    t_weights1, _ = best(lambda: CoverageWeights.from_plots(plots, grid, threads=1), 2)
    t_dates1, _ = best(lambda: zonal_stats(plots, ndvi, weights=weights, threads=1), 3)
    t_sum, _ = best(lambda: stack[0].sum(), 7)
    per_date, per_date1 = t_dates / dates, t_dates1 / dates
    load_ours = os.getloadavg()[0]

    # exactextract ----------------------------------------------------------------------
    xmin, ymin, xmax, ymax = grid.bounds
    wkt = plots.crs.to_wkt()
    sources = [
        NumPyRasterSource(
            stack[t], xmin, ymin, xmax, ymax, nodata=np.nan, name=f"b{t}", srs_wkt=wkt
        )
        for t in range(dates)
    ]
    ops = ["mean", "stdev", "count"]
    t_ee, ee = best(lambda: exact_extract(sources, plots, ops, output="pandas"), 1)
    t_ee_tif = None
    if not args.no_geotiff:
        import rasterio

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "stack.tif"
            profile = {
                "driver": "GTiff",
                "width": size,
                "height": size,
                "count": dates,
                "dtype": "float32",
                "crs": "EPSG:32643",
                "transform": grid.transform,
                "nodata": np.nan,
                "tiled": True,
                "blockxsize": 512,
                "blockysize": 512,
            }
            with rasterio.open(path, "w", **profile) as dst:
                dst.write(stack)
            t_ee_tif, _ = best(lambda: exact_extract(str(path), plots, ops, output="pandas"), 1)
    load_ee = os.getloadavg()[0]

    # agreement -------------------------------------------------------------------------
    mean_ours = ours["mean"].to_numpy().reshape(args.plots, dates)
    mean_ee = np.stack([ee[f"b{t}_mean"].to_numpy() for t in range(dates)], axis=1)
    both = ~np.isnan(mean_ee)
    diff = float(np.nanmax(np.abs(mean_ours[both] - mean_ee[both])))
    std_ours = ours["std"].to_numpy().reshape(args.plots, dates)
    std_ee = np.stack([ee[f"b{t}_stdev"].to_numpy() for t in range(dates)], axis=1)
    diff_std = float(np.nanmax(np.abs(std_ours[both] - std_ee[both])))
    count_ours = ours["count"].to_numpy().reshape(args.plots, dates)
    count_ee = np.stack([ee[f"b{t}_count"].to_numpy() for t in range(dates)], axis=1)
    diff_count = float(np.max(np.abs(count_ours - count_ee) / np.maximum(count_ee, 1.0)))

    # memory ----------------------------------------------------------------------------
    peak_dates = traced_peak(lambda: zonal_stats(plots, ndvi, weights=weights))
    peak_total = traced_peak(lambda: zonal_stats(plots, ndvi))
    kept = weights.nbytes  # the weights, which stay

    # fresh processes: compiling, then loading the cached kernels ------------------------
    runs = None
    if not args.no_cold:
        runs = fresh_first_calls(args)

    print(
        f"weights: {weights.nbytes / 2**20:.0f} MiB, {len(weights.run_start)} runs, "
        f"{len(weights.edge_pixel)} boundary cells"
    )
    print(f"load average: {load_ours:.2f} after timing ours, {load_ee:.2f} after exactextract")
    print(f"ours, {threads} threads (default), warm:")
    print(f"  total incl. weights ({dates} dates):  {t_total:8.3f} s")
    print(f"  building the weights:              {t_weights:8.3f} s")
    print(f"  {dates} dates with weights:             {t_dates:8.3f} s")
    print("ours, 1 thread, warm:")
    print(f"  total incl. weights ({dates} dates):  {t_total1:8.3f} s")
    print(f"  building the weights:              {t_weights1:8.3f} s")
    print(f"  {dates} dates with weights:             {t_dates1:8.3f} s")
    if runs is not None:
        print_first_calls(runs, t_total)
    print(f"  (first call of this process, 50 plots, 1 date: {t_first_small:.2f} s)")
    peers = [("in-memory NumPy sources", t_ee)]
    if t_ee_tif is not None:
        peers.append((f"{dates}-band GeoTIFF path", t_ee_tif))
    for name, t_peer in peers:
        line = (
            f"exactextract, {name + ':':26s} {t_peer:8.3f} s   ratio {t_peer / t_total:5.1f}× warm"
        )
        line += f", {t_peer / t_total1:5.1f}× warm 1 thread"
        if runs is not None:
            line += f", {t_peer / runs['cold']['first']:5.1f}× compiling"
            line += f", {t_peer / runs['warmed']['first']:5.1f}× cache-loading"
        print(line)
    print(
        f"per date with weights: {per_date * 1e3:.1f} ms = {per_date / t_sum:.1f}× arr.sum() "
        f"({t_sum * 1e3:.1f} ms); 1 thread: {per_date1 * 1e3:.1f} ms = "
        f"{per_date1 / t_sum:.1f}× arr.sum()"
    )
    print(
        f"peak traced memory, dates with weights: {peak_dates / 2**20:.0f} MiB = "
        f"{peak_dates / date_bytes:.2f}× one date ({date_bytes / 2**20:.0f} MiB)"
    )
    print(
        f"peak traced memory, incl. weights:      {peak_total / 2**20:.0f} MiB = "
        f"{peak_total / date_bytes:.2f}× one date, of which {kept / 2**20:.0f} MiB are the "
        "weights, which stay"
    )
    print(
        f"max |mean - exactextract mean| = {diff:.2e}, max |std diff| = {diff_std:.2e}, "
        f"max relative count diff = {diff_count:.2e}"
    )
    nan_share = float(np.isnan(stack).mean())
    print(f"NaN pixels: {nan_share:.1%}; load average {os.getloadavg()[0]:.2f} at the end")

    if not args.no_dask:
        rows = max(1, min(size, 1000))
        lazy = as_dataarray(np.empty((dates, 1, 1), dtype=np.float32)).isel(y=[0], x=[0])
        lazy = xr.DataArray(
            lazy_stack(size, dates, rows), dims=("time", "y", "x"), coords={"time": lazy.time}
        )
        lazy = lazy.rio.write_crs("EPSG:32643").rio.write_transform(grid.transform)
        import dask

        with dask.config.set(scheduler="threads", num_workers=2):
            t_lazy, _ = best(lambda: zonal_stats(plots, lazy, weights=weights), 1)
            peak_lazy = traced_peak(lambda: zonal_stats(plots, lazy, weights=weights))
        print(
            f"dask, lazily generated stack (chunks 1×{rows}×{size}, 2 threads): "
            f"{t_lazy:.3f} s incl. generating, peak {peak_lazy / 2**20:.0f} MiB = "
            f"{peak_lazy / date_bytes:.2f}× one date"
        )


if __name__ == "__main__":
    main()
