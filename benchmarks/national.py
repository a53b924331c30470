"""National scale: a store of many districts through import, NDVI, capacity, load and plans.

    .venv/bin/python benchmarks/national.py                              # 250,000 plots, 23 dates
    .venv/bin/python benchmarks/national.py --plots 20000 --dates 6      # a few minutes
    .venv/bin/python benchmarks/national.py --plots 20000 --dates 6 --local-cluster 2
    .venv/bin/python benchmarks/national.py --dask-scheduler tcp://host:8786

The districts are GENERATED: the demo district (``pasture.demo.build_demo``, labelled
generated) is built once with about ``--district-plots`` plots and copied side by side
(``benchmarks/_districts.py``) until the store holds about ``--plots``; each copy has
its own okrugs, settlements, unions and water points (ids ending ``-dNNN``). The NDVI
stack is GENERATED too: ``--dates`` 16-day composites of one year (MOD13Q1-like, 250 m,
a smooth random field times a season curve) over the whole extent, one GeoTIFF a date.

Steps, each with wall time, CPU time (this process and its children: a local
cluster's workers), peak resident memory (the same family, sampled) and the ratio of
its wall time to a named peer measured in the same run:

1. build the districts: the demo district, its copies' okrugs, unions and water points;
   the copies' plots written to a plain GeoPackage (the file to import). No peer.
2. NDVI stack: generate and register the scenes; the first district's NDVI, its
   generated survey and forage basis (what ``pasture demo`` does). No peer.
3. import: ``pasture.io.import_layer`` of the copies' plots (validation, overlaps,
   areas, history). Peer: ``ogr2ogr`` of the same file into a new GeoPackage
   (pyogrio's read and write when no ogr2ogr is found).
4. whole-layer read: ``Store.read("plots")``. Peer: pyogrio (Arrow) reading the same
   plots from a plain GeoPackage.
5. zonal: ``pasture ndvi zonal`` (``compute_ndvi_stats``, on the cluster when one is
   given) into the store. Peer: exactextract (mean, stdev, count) on the same scene
   files, the plots projected to their CRS beforehand, locally; on ``--peer-dates`` of
   the dates (2 by default) and scaled per date, as the column "peer measured on" says.
6. capacity and load of the year (``compute_capacity``, ``compute_load``). No peer.
7. a season plan per district: the planner's inputs read once from the store, then
   each district's plots and herds (the first district's census herds, moved with
   their district: the census is not copied) planned with the heuristic within
   ``--plan-time-limit`` seconds and checked (``validate_plan``). The ratio is the
   slowest district's time ÷ its limit (the note gives the max and median over the
   districts); with a cluster the districts are planned on it.
   Plans are not stored (``create_plan`` plans a whole store).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _districts import Cost, district_copy, district_suffix, load_average, measured, tile_offsets

import pasture

ROOT = Path(__file__).resolve().parents[1]
#: The demo builder's Voronoi cells per plot it stores (6,000 cells → ~2,800 plots).
CELLS_PER_PLOT = 6000 / 2836
#: Layers copied into every district, in dependency order (plots come by import).
DISTRICT_LAYERS = ("okrugs", "settlements", "unions", "water_points")
#: Day of year of the 23 16-day composites of a year (MOD13Q1's).
COMPOSITE_DAYS = tuple(range(1, 366, 16))
YEAR = 2024
RESOLUTION_M = 250.0
LABEL = "GENERATED: national-scale benchmark stack (benchmarks/national.py)"


@dataclass
class Row:
    """One printed step: its cost, the peer's wall time and what the ratio means."""

    step: str
    cost: Cost
    peer: str = "-"
    peer_wall: float | None = None
    ratio: float | None = None
    peer_cpu: float | None = None
    #: How much of the step the peer ran ("all", or "k of n dates": scaled per date).
    peer_share: str = "all"
    note: str = ""


# -- building ---------------------------------------------------------------------------


def build_districts(
    folder: Path, plots: int, district_plots: int, seed: int
) -> tuple[Path, Path, int]:
    """The national store (district 0 and the copies' small layers) and the file of
    the copies' plots to import; the number of districts."""
    from pasture.demo import build_demo

    store_path = folder / "national.gpkg"
    with pasture.open_store(store_path) as store:
        build_demo(store, seed=seed, cells=max(50, round(district_plots * CELLS_PER_PLOT)))
        base = {name: store.read(name) for name in (*DISTRICT_LAYERS, "plots")}
        copies = max(1, round(plots / len(base["plots"])))
        # side by side by their plots (okrugs reach far beyond them: the copies' okrugs
        # overlap, which the store allows), the whole about as tall as wide
        offsets = tile_offsets(base["plots"].total_bounds, copies, square=True)
        w, s, e, n = pd.concat(list(base.values())).total_bounds
        east, north = np.max(offsets, axis=0)
        store.set_region(shapely.box(w, s, e + east, n + north).buffer(0.05))
        for name in DISTRICT_LAYERS:
            frames = [district_copy(base[name], k, off) for k, off in enumerate(offsets)][1:]
            if frames and not base[name].empty:
                store.write(name, pd.concat(frames, ignore_index=True), user="benchmark")
    tiles = [district_copy(base["plots"], k, off) for k, off in enumerate(offsets)][1:]
    import_file = folder / "districts.gpkg"
    if tiles:
        frame = gpd.GeoDataFrame(pd.concat(tiles, ignore_index=True), crs=base["plots"].crs)
        frame = frame.drop(columns=["area_ha"], errors="ignore")
        pyogrio.write_dataframe(frame, import_file, layer="plots", driver="GPKG")
    return store_path, import_file, copies


def _grid(bounds: tuple[float, float, float, float]) -> tuple[Any, int, int, str]:
    """A 250 m grid in the demo stack's CRS over ``bounds`` (EPSG:4326)."""
    from affine import Affine
    from rasterio.warp import transform_bounds

    from pasture.ndvi.demo_stack import DEMO_CRS

    x0, y0, x1, y1 = transform_bounds("EPSG:4326", DEMO_CRS, *bounds, densify_pts=33)
    r = RESOLUTION_M
    x0, y1 = math.floor(x0 / r) * r - r, math.ceil(y1 / r) * r + r
    width = math.ceil((x1 - x0) / r) + 1
    height = math.ceil((y1 - y0) / r) + 1
    return Affine(r, 0.0, x0, 0.0, -r, y1), width, height, DEMO_CRS


def composite_days(dates: int) -> list[int]:
    """``dates`` of the year's 23 composite days, spread over the year (first and last kept:
    capacity needs composites before and after the growing season)."""
    idx = np.unique(np.linspace(0, len(COMPOSITE_DAYS) - 1, dates).round().astype(int))
    return [COMPOSITE_DAYS[i] for i in idx]


def generate_stack(
    folder: Path, bounds: tuple[float, float, float, float], dates: int, seed: int
) -> list[Path]:
    """GENERATED NDVI composites over ``bounds``: a smooth field of seasonal peaks (0.2–0.65)
    times a season curve, with per-pixel noise; one tiled GeoTIFF a date."""
    import rasterio

    transform, width, height, crs = _grid(bounds)
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0.2, 0.65, (height // 40 + 2, width // 40 + 2)).astype(np.float32)
    peak = np.kron(coarse, np.ones((40, 40), np.float32))[:height, :width]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for doy in composite_days(dates):
        day = dt.date(YEAR, 1, 1) + dt.timedelta(days=doy - 1)
        green = math.exp(-(((doy - 170) / 55.0) ** 2))
        ndvi = 0.08 + (peak - 0.08) * np.float32(green)
        ndvi += rng.normal(0.0, 0.02, ndvi.shape).astype(np.float32)
        path = folder / f"ndvi_{day.isoformat()}.tif"
        profile = {
            "driver": "GTiff", "width": width, "height": height, "count": 1,
            "dtype": "float32", "nodata": float("nan"), "crs": crs, "transform": transform,
            "tiled": True, "blockxsize": 256, "blockysize": 256,
        }  # fmt: skip
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(np.clip(ndvi, -0.2, 1.0), 1)
            dst.update_tags(GENERATED=LABEL, DATE=day.isoformat())
        paths.append(path)
    return paths


def stack_and_basis(store_path: Path, folder: Path, dates: int, seed: int) -> list[Path]:
    """Generate and register the stack; the first district's NDVI, survey and forage basis."""
    from pasture.demo import survey_yields_from_ndvi
    from pasture.ndvi import compute_ndvi_stats, register_scenes
    from pasture.science.forage_basis import calibrate_demo_basis

    with pasture.open_store(store_path) as store:
        region = shapely.from_wkt(store.get_meta("region_wkt"))
        paths = generate_stack(folder / "ndvi", region.bounds, dates, seed)
        register_scenes(store, paths, user="benchmark")
        compute_ndvi_stats(store)  # the first district only: its plots are all there is yet
        survey_yields_from_ndvi(store, seed=seed, user="benchmark")
        calibrate_demo_basis(store)
    return paths


# -- the measured steps with their peers ---------------------------------------------------


def ogr2ogr() -> str | None:
    """GDAL's ogr2ogr: on PATH, or Debian 12's unpacked by scripts/ensure-gdal36.sh."""
    found = shutil.which("ogr2ogr")
    local = ROOT / ".cache" / "gdal36" / "usr" / "bin" / "ogr2ogr"
    return found or (str(local) if local.exists() else None)


def import_step(store_path: Path, import_file: Path, folder: Path) -> Row:
    """Import the copies' plots; the peer converts the same file with GDAL."""
    from pasture.io import import_layer

    if not import_file.exists():
        return Row("import (1 district: nothing to import)", Cost())
    program = ogr2ogr()
    with measured() as peer:
        out = folder / "peer-import.gpkg"
        if program:
            # GDAL 3.6 warns about GeoPackage 1.4 files: not part of the table
            subprocess.run(
                [program, "-f", "GPKG", str(out), str(import_file)], check=True, capture_output=True
            )
        else:
            frame = pyogrio.read_dataframe(import_file, use_arrow=True)
            pyogrio.write_dataframe(frame, out, layer="plots", driver="GPKG")
    with pasture.open_store(store_path) as store, measured() as cost:
        report = import_layer(store, "plots", import_file, user="benchmark")
    name = "ogr2ogr" if program else "pyogrio read+write"
    done = report.result.inserted if report.result else 0
    return Row(f"import {done:,} plots", cost, name, peer.wall, cost.wall / peer.wall, peer.cpu)


def read_step(store_path: Path, folder: Path) -> tuple[Row, gpd.GeoDataFrame]:
    """Whole-layer read of every plot; the peer reads the same plots from a plain GeoPackage."""
    with pasture.open_store(store_path) as store, measured() as cost:
        plots = store.read("plots")
    plain = folder / "peer-read.gpkg"
    pyogrio.write_dataframe(plots, plain, layer="plots", driver="GPKG")
    with measured() as peer:
        pyogrio.read_dataframe(plain, layer="plots", use_arrow=True)
    row = Row(
        f"read {len(plots):,} plots", cost, "pyogrio", peer.wall, cost.wall / peer.wall, peer.cpu
    )
    return row, plots


def zonal_step(
    store_path: Path,
    plots: gpd.GeoDataFrame,
    paths: list[Path],
    client: Any,
    peer_dates: int,
    peer_plots: int = 0,
) -> Row:
    """`pasture ndvi zonal` into the store; exactextract on the same files as the peer.

    The peer runs on ``peer_dates`` of the dates, spread over the year, and with
    ``peer_plots`` on a random sample of that many plots; its time is scaled per date and
    per plot (at 250,000 plots all 23 dates would take about an hour): the row says so.
    """
    from pasture.ndvi import compute_ndvi_stats

    with pasture.open_store(store_path) as store, measured() as cost:
        rows = compute_ndvi_stats(store, client=client)
    # the peer may take long: our figures first, so that a run stopped meanwhile has them
    print(f"# zonal, {rows:,} rows: {cost.wall:.2f} s wall, {cost.cpu:.2f} s CPU", flush=True)
    try:
        from exactextract import exact_extract
    except ImportError:
        return Row(f"zonal, {rows:,} rows", cost, note="no exactextract in the venv")
    import rasterio

    sample = peer_sample(paths, peer_dates)
    some = plots if not 0 < peer_plots < len(plots) else plots.sample(peer_plots, random_state=0)
    with rasterio.open(paths[0]) as src:
        projected = some[["id", "geometry"]].to_crs(src.crs)
    with measured() as peer:
        exact_extract(
            [str(p) for p in sample], projected, ["mean", "stdev", "count"], output="pandas"
        )
    scale = len(paths) / len(sample) * len(plots) / len(some)
    share = "all" if len(sample) == len(paths) else f"{len(sample)} of {len(paths)} dates"
    if len(some) < len(plots):
        share += f", {len(some):,} of {len(plots):,} plots"
    wall, cpu = peer.wall * scale, peer.cpu * scale
    return Row(f"zonal, {rows:,} rows", cost, "exactextract", wall, cost.wall / wall, cpu, share)


def peer_sample(paths: list[Path], k: int) -> list[Path]:
    """``k`` of the scenes spread over the year (all of them when ``k`` is 0 or too many)."""
    if k <= 0 or k >= len(paths):
        return list(paths)
    idx = np.unique(np.linspace(0, len(paths) - 1, k + 2)[1:-1].round().astype(int))
    return [paths[i] for i in idx]


def science_step(store_path: Path) -> Row:
    """Capacity and load of the stack's year, every plot."""
    from pasture.science.capacity import compute_capacity
    from pasture.science.load import compute_load

    with pasture.open_store(store_path) as store, measured() as cost:
        capacity = compute_capacity(store, year=YEAR)
        load = compute_load(store, year=YEAR)
    return Row(f"capacity {len(capacity):,} + load {len(load):,} rows", cost)


def district_of(ident: str) -> int:
    """The district a copied record belongs to (0: the original)."""
    head, _, tail = ident.rpartition("-d")
    return int(tail) if head and tail.isdigit() else 0


def district_inputs(
    inputs: Any, k: int, ids: np.ndarray | None = None, xy: np.ndarray | None = None
) -> Any:
    """District ``k``'s plots and the first district's herds moved with it (ids suffixed).

    ``ids`` (each plot's district) and ``xy`` (its km coordinates) may be given, computed
    once for every district: at 91 districts of 250,000 plots recomputing them is ~23 M calls.
    """
    from grazing_models.rotation import RotationInputs

    if ids is None:
        ids = np.array([district_of(p.id) for p in inputs.plots])
    if xy is None:
        xy = np.array([(p.x_km, p.y_km) for p in inputs.plots])
    mine = np.flatnonzero(ids == k)
    home = np.flatnonzero(ids == 0)
    dx, dy = (xy[mine].mean(axis=0) - xy[home].mean(axis=0)) if k else (0.0, 0.0)
    suffix = district_suffix(k)
    herds = tuple(
        replace(
            h,
            id=f"{h.id}{suffix}",
            union_id=f"{h.union_id}{suffix}",
            home_x_km=h.home_x_km + dx,
            home_y_km=h.home_y_km + dy,
        )
        for h in inputs.herds
    )
    return RotationInputs(
        tuple(inputs.plots[i] for i in mine),
        herds,
        inputs.periods,
        inputs.available_kg[mine],
        inputs.regrowth_kg[mine],
    )


def plan_district(inputs: Any, params: Any, time_limit: float) -> dict[str, float]:
    """Plan one district with the heuristic; its time and the rules it breaks."""
    from grazing_models.rotation import plan_rotation, validate_plan

    t0 = time.perf_counter()
    plan = plan_rotation(inputs, params, solver="heuristic", time_limit=time_limit)
    seconds = time.perf_counter() - t0
    # The planner may return while its bound thread is still inside HiGHS (it stops at
    # its own deadline): wait for it, and say how long it outlived the plan.
    for thread in threading.enumerate():
        if thread.name == "rotation-bound":
            thread.join()
    linger = time.perf_counter() - t0 - seconds
    gap = plan.gap if plan.gap is not None else float("nan")
    violations = len(validate_plan(plan, inputs))
    return {"seconds": seconds, "violations": violations, "gap": gap, "linger": linger}


def plan_step(store_path: Path, districts: int, time_limit: float, client: Any) -> Row:
    """A season plan per district within ``time_limit`` each."""
    from pasture.planning.inputs import rotation_inputs
    from pasture.planning.service import default_params

    params, planning = default_params()
    with measured() as cost:
        t0 = time.perf_counter()
        with pasture.open_store(store_path) as store:
            inputs = rotation_inputs(store, season_year=YEAR, planning=planning)
        reading = time.perf_counter() - t0
        ids = np.array([district_of(p.id) for p in inputs.plots])
        xy = np.array([(p.x_km, p.y_km) for p in inputs.plots])
        parts = [district_inputs(inputs, k, ids, xy) for k in range(districts)]
        if client is not None:
            futures = client.map(plan_district, parts, params=params, time_limit=time_limit)
            results = client.gather(futures)
        else:
            results = [plan_district(part, params, time_limit) for part in parts]
    per_limit = np.array([r["seconds"] for r in results]) / time_limit
    worst = float(per_limit.max()) * time_limit
    violations = sum(int(r["violations"]) for r in results)
    gaps = [r["gap"] for r in results if r["gap"] == r["gap"]]
    note = (
        f"{violations} violations; inputs read in {reading:.1f} s; slowest district {worst:.1f} s; "
        f"time ÷ limit per district: max {per_limit.max():.2f}, median {np.median(per_limit):.2f}; "
        + (f"gap {100 * min(gaps):.0f}–{100 * max(gaps):.0f} %" if gaps else "no bound")
    )
    linger = max(r["linger"] for r in results)
    if linger > 0.05:
        note += f"; a bound thread ran on {linger:.1f} s after its plan"
    label = f"season plans, {districts} districts"
    limit = f"limit {time_limit:g} s"
    share = f"{districts} of {districts} districts"
    return Row(label, cost, limit, time_limit, worst / time_limit, peer_share=share, note=note)


# -- running --------------------------------------------------------------------------------


def figure(ratio: float) -> str:
    """A ratio with two decimals, three below 0.1 (0.02 and 0.04 differ by 2×)."""
    return f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.3f}"


def print_row(row: Row) -> None:
    """One line of the table (printed as each step ends: a long run shows its progress)."""
    peer = "-" if row.peer_wall is None else f"{row.peer_wall:.2f}"
    ratio = "-" if row.ratio is None else figure(row.ratio)
    cpu_ratio = "-" if not row.peer_cpu else figure(row.cost.cpu / row.peer_cpu)
    share = "-" if row.peer_wall is None else row.peer_share
    print(
        f"| {row.step} | {row.cost.wall:.2f} | {row.cost.cpu:.2f} | {row.cost.peak_mib:,.0f} "
        f"| {row.peer} | {peer} | {ratio} | {cpu_ratio} | {share} | {row.note} |",
        flush=True,
    )


def start_client(args: argparse.Namespace) -> tuple[Any, Callable[[], None]]:
    """A dask.distributed client (the given scheduler or a local cluster), or none."""
    if not args.dask_scheduler and not args.local_cluster:
        return None, lambda: None
    from distributed import Client, LocalCluster

    if args.dask_scheduler:
        client = Client(args.dask_scheduler)
        return client, client.close
    cluster = LocalCluster(
        n_workers=args.local_cluster, threads_per_worker=1, dashboard_address=None
    )
    client = Client(cluster)

    def stop() -> None:
        client.close()
        cluster.close()

    return client, stop


def run(args: argparse.Namespace, folder: Path) -> list[Row]:
    """Every step in order, each row printed as it is measured."""
    rows: list[Row] = []

    def add(row: Row) -> None:
        rows.append(row)
        print_row(row)
        # a long run shows where it is: each step's end, in the clock's time
        print(f"# {dt.datetime.now(dt.UTC):%H:%M:%S} UTC, load average {load_average():.1f}")

    with measured() as cost:
        store_path, import_file, districts = build_districts(
            folder, args.plots, args.district_plots, args.seed
        )
    add(Row(f"build {districts} districts (generated)", cost))
    with measured() as cost:
        paths = stack_and_basis(store_path, folder, args.dates, args.seed)
    add(Row(f"NDVI stack, {len(paths)} dates (generated), district 1's basis", cost))
    add(import_step(store_path, import_file, folder))
    row, plots = read_step(store_path, folder)
    add(row)
    client, stop = start_client(args)
    try:
        add(zonal_step(store_path, plots, paths, client, args.peer_dates, args.peer_plots))
        add(science_step(store_path))
        add(plan_step(store_path, districts, args.plan_time_limit, client))
    finally:
        stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 1 when a plan breaks a rule or a district overruns its limit."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--plots", type=int, default=250_000, help="plots in the store, about")
    ap.add_argument("--district-plots", type=int, default=2800, help="plots per district, about")
    ap.add_argument("--dates", type=int, default=23, help="composites of the year (3..23)")
    ap.add_argument("--plan-time-limit", type=float, default=10.0, help="seconds per district")
    ap.add_argument(
        "--peer-dates", type=int, default=2,
        help="dates exactextract runs on, scaled per date (0: all)",
    )  # fmt: skip
    ap.add_argument(
        "--peer-plots", type=int, default=0,
        help="plots exactextract runs on (a random sample), scaled per plot (0: all)",
    )  # fmt: skip
    ap.add_argument("--seed", type=int, default=42)
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--dask-scheduler", help="address of a dask.distributed scheduler")
    where.add_argument("--local-cluster", type=int, metavar="WORKERS", help="start a LocalCluster")
    ap.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temp)")
    args = ap.parse_args(argv)
    if not 3 <= args.dates <= len(COMPOSITE_DAYS):
        ap.error("--dates must be 3..23: one composite before, one in, one after the season")
    cluster = args.dask_scheduler or (
        f"LocalCluster, {args.local_cluster} workers" if args.local_cluster else "none (local)"
    )
    print(
        f"national benchmark: ~{args.plots:,} plots, {args.dates} dates, cluster: {cluster}; "
        f"load average {load_average():.1f} at start"
    )
    print(
        "| step | wall s | CPU s | peak RSS MiB | peer | peer wall s | wall ÷ peer "
        "| CPU ÷ peer | peer measured on | note |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        rows = run(args, args.keep)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            rows = run(args, Path(tmp))
    print(f"load average {load_average():.1f} at the end")
    plan = rows[-1]
    broken = plan.note.split()[0] != "0" or (plan.ratio or 0.0) > 1.05
    if broken:
        print("FAILED: a plan broke a rule or a district took more than 1.05 × its limit")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
