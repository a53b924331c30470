"""Store benchmark: load, full read and bbox query of N plots, against plain pyogrio;
the import of a file against ogr2ogr.

    .venv/bin/python benchmarks/store.py [--plots 20000] [--pg postgresql://...]
    .venv/bin/python benchmarks/store.py --plots 250000 --only-read --repeat 3   # national size

First table: the peer is pyogrio (GDAL) writing and reading the same plots as a plain
GeoPackage layer, with Arrow, in the same run. Our stores do more on load
(validation, overlap check, geodesic areas, history), so the load ratio is
expected above 1; the target is a whole-layer read within 1.5x of pyogrio. Not like
for like, in the peer's favour: pyogrio reads the 7 fields of ``make_plots`` into pandas'
Arrow-backed ``str`` columns, ``Store.read`` every field of the layer (21 columns, 12 of
them empty here) into object columns, ordered by id (benchmarks/README.md).

Second table (issue 23's comparison): the same plots written once to a GeoJSON and a
GeoPackage file; the peer is ``ogr2ogr -f GPKG out.gpkg FILE`` (GDAL's command, the one
``benchmarks/national.py`` finds), ours ``pasture.io.import_layer`` of the same file
into a fresh store (read, validate, areas, overlaps, history, write). Wall and CPU
time; the peer's CPU is its child process's, ours this process's (a PostGIS server's
time is in neither), and the importing thread's alone ("thread CPU": the store checks a
bulk write in worker threads beside it, so on two idle cores the wall time nears the
longer path, this one), and the bytes each GeoPackage holds once closed (ours: plots,
R-tree and history). Target: import <= 3x ogr2ogr on GeoPackage.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import psycopg
import pyogrio
import shapely
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from national import ogr2ogr

import pasture
from pasture.io import import_layer
from pasture.store.reader import READER

BOUNDS = (77.2, 43.2, 79.0, 43.8)  # inside the Enbekshikazakh region


def make_plots(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = BOUNDS
    pts = shapely.points(rng.uniform([minx, miny], [maxx, maxy], size=(n, 2)))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=shapely.box(*BOUNDS))
    )
    cells = shapely.intersection(cells, shapely.box(*BOUNDS))
    cells = shapely.segmentize(cells, 0.002)  # realistic vertex counts (~30-60 per plot)
    cells = [shapely.MultiPolygon([c]) for c in cells]
    return gpd.GeoDataFrame(
        {
            "id": [f"P{i:06d}" for i in range(len(cells))],
            "name": [f"Plot {i}" for i in range(len(cells))],
            "okrug_id": "ok",
            "seasons": np.where(rng.random(len(cells)) < 0.5, "winter,spring", "summer"),
            "pasture_type": "foothill_steppe",
            "elevation_m": rng.uniform(500, 3000, len(cells)).round(),
            "yield_spring_cha": rng.uniform(2, 9, len(cells)).round(1),
        },
        geometry=cells,
        crs=4326,
    )


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    return best_of_both(fn, repeat)[0]


def best_of_both(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """(wall, CPU) seconds, each the best of ``repeat``: on a shared machine the
    process's CPU time is the steadier figure (a PostGIS server's time is not in it).
    The CPU time includes the GeoPackage reader process's (``pasture.store.reader``)."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu, reader = time.perf_counter(), time.process_time(), READER.cpu_seconds
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu + READER.cpu_seconds - reader)
    return min(walls), min(cpus)


def okrug_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["ok"], "name_kk": ["ok"], "name_ru": ["ok"], "name_en": ["ok"]},
        geometry=[shapely.box(*BOUNDS)],
        crs=4326,
    )


def measure_store(
    url: str, plots: gpd.GeoDataFrame, bbox: tuple[float, ...], repeat: int
) -> dict[str, float]:
    with pasture.open_store(url) as store:
        store.write("okrugs", okrug_frame(), user="bench")
        start, cpu = time.perf_counter(), time.process_time()
        store.write("plots", plots, user="bench")
        load, load_cpu = time.perf_counter() - start, time.process_time() - cpu
        assert store.count("plots") == len(plots)
        start, cpu, reader = time.perf_counter(), time.process_time(), READER.cpu_seconds
        store.read("plots")  # the first: starts the GeoPackage's reader process
        first = time.perf_counter() - start
        first_cpu = time.process_time() - cpu + READER.cpu_seconds - reader
        read, read_cpu = best_of_both(lambda: store.read("plots"), repeat)
        query = best_of(lambda: store.read("plots", bbox=bbox), repeat)
        n_bbox = len(store.read("plots", bbox=bbox))
    return {
        "load": load,
        "load_cpu": load_cpu,
        "read": read,
        "read_cpu": read_cpu,
        "first": first,
        "first_cpu": first_cpu,
        "bbox": query,
        "n_bbox": n_bbox,
    }


def measure_pyogrio(
    path: Path, plots: gpd.GeoDataFrame, bbox: tuple[float, ...], repeat: int
) -> dict[str, float]:
    start, cpu = time.perf_counter(), time.process_time()
    pyogrio.write_dataframe(plots, path, layer="plots", driver="GPKG")
    load, load_cpu = time.perf_counter() - start, time.process_time() - cpu
    read, read_cpu = best_of_both(
        lambda: pyogrio.read_dataframe(path, layer="plots", use_arrow=True), repeat
    )
    query = best_of(
        lambda: pyogrio.read_dataframe(path, layer="plots", use_arrow=True, bbox=bbox), repeat
    )
    n_bbox = len(pyogrio.read_dataframe(path, layer="plots", use_arrow=True, bbox=bbox))
    return {
        "load": load,
        "load_cpu": load_cpu,
        "read": read,
        "read_cpu": read_cpu,
        "bbox": query,
        "n_bbox": n_bbox,
    }


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_ogr2ogr(program: str, source: Path, out: Path) -> tuple[float, float]:
    """(wall, CPU) of ``ogr2ogr -f GPKG out source``: the CPU is the child's."""
    out.unlink(missing_ok=True)
    start, cpu = time.perf_counter(), children_cpu()
    # GDAL 3.6 warns about GeoPackage 1.4 files: not part of the comparison
    subprocess.run([program, "-f", "GPKG", str(out), str(source)], check=True, capture_output=True)
    return time.perf_counter() - start, children_cpu() - cpu


def measure_import(url: str, source: Path, n: int) -> tuple[float, float, float, float]:
    """(wall, CPU, the calling thread's CPU, MB written) of importing ``source`` into a fresh
    store at ``url`` (its okrug first). The store checks a bulk write in a worker thread
    beside it: the calling thread's CPU is the longer of the two paths, what the wall time
    would be on two idle cores. MB: the GeoPackage file once closed (NaN on PostGIS)."""
    with pasture.open_store(url) as store:
        store.write("okrugs", okrug_frame(), user="bench")
        start, cpu, own = time.perf_counter(), time.process_time(), time.thread_time()
        report = import_layer(store, "plots", source, user="bench")
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        own = time.thread_time() - own
        assert report.result is not None and report.result.inserted == n
    path = Path(url)
    size = path.stat().st_size / 1e6 if path.suffix == ".gpkg" and path.exists() else float("nan")
    return wall, cpu, own, size


def import_table(
    plots: gpd.GeoDataFrame, folder: Path, pg: str | None, repeat: int
) -> list[tuple[str, float, float, float, float, float, float, float]]:
    """Rows (label, ours wall, ours CPU, ogr2ogr wall, ogr2ogr CPU, our calling thread's
    CPU, our GeoPackage's MB, ogr2ogr's MB), times the best of ``repeat``."""
    program = ogr2ogr()
    if program is None:
        print("ogr2ogr not found (scripts/ensure-gdal36.sh): import comparison skipped")
        return []
    rows = []
    for suffix, driver in ((".geojson", "GeoJSON"), (".gpkg", "GPKG")):
        source = folder / f"import{suffix}"
        pyogrio.write_dataframe(plots, source, layer="plots", driver=driver)
        for store_name in ("GeoPackage", "PostGIS") if pg else ("GeoPackage",):
            ours, peer = [], []
            for k in range(repeat):
                peer.append(measure_ogr2ogr(program, source, folder / "peer.gpkg"))
                with fresh_store(store_name, folder / f"import-{k}{suffix}.gpkg", pg) as url:
                    ours.append(measure_import(url, source, len(plots)))
            rows.append(
                (
                    f"{suffix[1:]} -> {store_name}",
                    min(w for w, _, _, _ in ours),
                    min(c for _, c, _, _ in ours),
                    min(w for w, _ in peer),
                    min(c for _, c in peer),
                    min(t for _, _, t, _ in ours),
                    ours[-1][3],
                    (folder / "peer.gpkg").stat().st_size / 1e6,
                )
            )
    return rows


@contextmanager
def fresh_store(kind: str, path: Path, pg: str | None) -> Iterator[str]:
    """The URL of an empty store: a new GeoPackage file or a scratch PostGIS database."""
    if kind == "PostGIS" and pg:
        with scratch_database(pg) as url:
            yield url
    else:
        yield str(path)


@contextmanager
def scratch_database(pg: str) -> Iterator[str]:
    """A new database on the server of ``pg``, dropped afterwards."""
    name = f"pasture_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield pg.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def print_import_table(
    rows: list[tuple[str, float, float, float, float, float, float, float]],
) -> None:
    print(
        f"{'import of a file':24} {'ours s':>8} {'CPU s':>7} {'ogr2ogr s':>9} {'CPU s':>7}"
        f" {'wall ratio':>10} {'CPU ratio':>9} {'thread CPU':>10} {'ratio':>6}"
        f" {'MB':>6} {'ogr2ogr MB':>10} {'ratio':>6}"
    )
    for label, wall, cpu, peer_wall, peer_cpu, own, size, peer_size in rows:
        print(
            f"{label:24} {wall:8.3f} {cpu:7.3f} {peer_wall:9.3f} {peer_cpu:7.3f}"
            f" {wall / peer_wall:10.2f} {cpu / peer_cpu:9.2f} {own:10.3f} {own / peer_cpu:6.2f}"
            f" {size:6.1f} {peer_size:10.1f} {size / peer_size:6.2f}"
        )
    print(f"(import: best of the runs; load average now {os.getloadavg()[0]:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plots", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--import-repeat", type=int, default=2, help="imports of each file per store (best kept)"
    )
    parser.add_argument("--only-import", action="store_true", help="the ogr2ogr table alone")
    parser.add_argument(
        "--only-read",
        action="store_true",
        help="the first table's GeoPackage rows alone (no import table, no PostGIS)",
    )
    parser.add_argument(
        "--pg",
        default=os.environ.get("PASTURE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()

    plots = make_plots(args.plots)
    vertices = int(shapely.get_num_coordinates(plots.geometry.values).sum())
    bbox = (78.0, 43.4, 78.2, 43.5)
    print(f"{len(plots):,} plots, {vertices:,} vertices; bbox query {bbox}")
    pg: str | None = None if args.only_read else args.pg
    try:
        if pg:
            psycopg.connect(pg, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        print(f"PostGIS skipped: {exc}")
        pg = None
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.only_read:
            print_import_table(import_table(plots, Path(tmp), pg, args.import_repeat))
        if args.only_import:
            return
        results["pyogrio (GDAL, Arrow)"] = measure_pyogrio(
            Path(tmp) / "plain.gpkg", plots, bbox, args.repeat
        )
        results["pasture GeoPackage"] = measure_store(
            str(Path(tmp) / "store.gpkg"), plots, bbox, args.repeat
        )
        if pg:
            with scratch_database(pg) as url:
                results["pasture PostGIS"] = measure_store(url, plots, bbox, args.repeat)
    peer = results["pyogrio (GDAL, Arrow)"]
    print(
        f"{'':24} {'load s':>8} {'ratio':>6} {'CPU':>6} {'read s':>8} {'ratio':>6} {'CPU':>6}"
        f" {'bbox s':>8} {'ratio':>6} {'bbox n':>7}"
    )
    for label, r in results.items():
        print(
            f"{label:24} {r['load']:8.3f} {r['load'] / peer['load']:6.2f}"
            f" {r['load_cpu'] / peer['load_cpu']:6.2f} {r['read']:8.3f}"
            f" {r['read'] / peer['read']:6.2f} {r['read_cpu'] / peer['read_cpu']:6.2f}"
            f" {r['bbox']:8.4f} {r['bbox'] / peer['bbox']:6.2f} {int(r['n_bbox']):7d}"
        )
    for label, r in results.items():
        if "first" in r:
            # a one-shot command's read (benchmarks/national.py's "read" step): the
            # GeoPackage's first read starts the reader process
            print(
                f"{label}: first read {r['first']:.3f} s wall, {r['first_cpu']:.3f} s CPU"
                f" ({r['first_cpu'] / peer['read_cpu']:.2f}x pyogrio's read CPU)"
            )
    print(
        f"(reads best of {args.repeat}; ratio = wall time / pyogrio's, CPU = process CPU time /"
        " pyogrio's; targets: load ratio <= 3, GeoPackage whole-layer read ratio <= 1.5)"
    )


if __name__ == "__main__":
    main()
