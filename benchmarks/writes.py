"""Write contention on PostGIS: N concurrent writers, each committing small updates.

    .venv/bin/python benchmarks/writes.py [--writers 1,4,8] [--updates 40] [--pg postgresql://...]

Every write transaction of the store ends by bumping one counter in ``meta``
(`Store.version`, the pages' cache key), so concurrent commits could queue on that
row's lock: a writer's bump waits until the previous writer has committed (its WAL
flush included), which also defeats PostgreSQL's group commit. Each writer here is a
process of its own with its own record (no conflict on the records themselves), and
writes/s are counted over the time all writers take, for:

- ``store``: `Store.update` of one field of the writer's own okrug, as a PATCH does,
  the bump on one of `PostgisStore.version_shards` (16) counter rows at random;
- ``store, 1 row``: the same with one counter row (the store before the shards);
- ``store, no bump`` (the peer): the same with the version bump left out;
- ``psycopg + bump 1`` / ``+ bump 16``: a bare ``UPDATE`` of the writer's own row of a
  plain table and the store's bump statement on one row / on one of 16 rows, one
  transaction each, via psycopg directly;
- ``psycopg`` (the floor): the same ``UPDATE`` alone.

All run in the same database in the same run; the store's ratios are against the peer
without the bump.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import psycopg
import shapely
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pasture
from pasture.store.counter import VERSION_KEY

MODES = (
    "store",
    "store, 1 row",
    "store, no bump",
    "psycopg + bump 1",
    "psycopg + bump 16",
    "psycopg",
)
BUMP = (
    "INSERT INTO meta (key, value) VALUES (%s, '1') ON CONFLICT (key) DO UPDATE "
    "SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)"
)


def setup(url: str, writers: int) -> None:
    """One okrug per writer (its record) and a plain table with one row per writer."""
    okrugs = gpd.GeoDataFrame(
        {
            "id": [f"ok{i}" for i in range(writers)],
            "name_kk": "ok",
            "name_ru": "ok",
            "name_en": "ok",
        },
        geometry=[shapely.box(77 + 0.1 * i, 43.2, 77.05 + 0.1 * i, 43.3) for i in range(writers)],
        crs=4326,
    )
    with pasture.open_store(url) as store:
        store.write("okrugs", okrugs, user="bench")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_plain (id text PRIMARY KEY, n integer NOT NULL)")
        rows = ", ".join(f"('ok{i}', 0)" for i in range(writers))
        conn.execute(f"INSERT INTO bench_plain VALUES {rows}")  # type: ignore[arg-type]


def worker(url: str, mode: str, me: int, updates: int, start: Any, done: Any) -> None:
    """Open a connection, wait for the others, then commit ``updates`` small updates."""
    record = f"ok{me}"
    if mode.startswith("store"):
        store = pasture.open_store(url)
        if mode == "store, no bump":
            store._bump_version = lambda cur: None  # type: ignore[method-assign]
        elif mode == "store, 1 row":
            store.version_shards = 1
        version = store.get("okrugs", record).version
        start.wait()
        for i in range(updates):
            version = store.update(
                "okrugs", record, {"name_en": f"w{me}-{i}"}, expected_version=version, user="b"
            ).version
        store.close()
    else:
        with psycopg.connect(url) as conn:
            start.wait()
            for _ in range(updates):
                with conn.transaction():
                    conn.execute("UPDATE bench_plain SET n = n + 1 WHERE id = %s", [record])
                    if mode.startswith("psycopg + bump"):
                        shards = int(mode.rsplit(" ", 1)[1])
                        key = (
                            f"{VERSION_KEY}:{random.randrange(shards)}"
                            if shards > 1
                            else VERSION_KEY
                        )
                        conn.execute(BUMP, [key])
    done.put((time.process_time(), time.perf_counter()))


def measure(url: str, mode: str, writers: int, updates: int) -> tuple[float, float]:
    """(writes per second of all writers together, CPU seconds of the writers)."""
    ctx = mp.get_context("fork")
    start, done = ctx.Barrier(writers + 1), ctx.Queue()
    procs = [
        ctx.Process(target=worker, args=(url, mode, i, updates, start, done))
        for i in range(writers)
    ]
    for p in procs:
        p.start()
    start.wait()
    began = time.perf_counter()
    results = [done.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"a {mode!r} writer failed (exit code {p.exitcode})")
    ended = max(r[1] for r in results)
    return writers * updates / (ended - began), sum(r[0] for r in results)


def _ratios(rates: dict[str, float]) -> str:
    """Each mode with a bump against its peer without one, where both were measured."""
    out = []
    for mode, rate in rates.items():
        peer = "store, no bump" if mode.startswith("store") else "psycopg"
        if mode != peer and peer in rates:
            out.append(f"{mode}: {rate / rates[peer]:.2f}")
    return "; ".join(out)


def with_database(admin: str, run: Callable[[str], None]) -> None:
    name = f"pasture_writes_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        run(admin.rsplit("/", 1)[0] + "/" + name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writers", default="1,4,8", help="numbers of concurrent writers")
    parser.add_argument("--updates", type=int, default=40, help="commits per writer")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--only", default="", help="only the modes that start so (store, psycopg)")
    parser.add_argument(
        "--pg",
        default=os.environ.get("PASTURE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.writers.split(",")]

    def run(url: str) -> None:
        setup(url, max(counts))
        with psycopg.connect(url) as conn:
            settings = {
                k: conn.execute(f"SHOW {k}").fetchone()[0] for k in ("fsync", "synchronous_commit")
            }  # type: ignore[index]
        print(f"PostgreSQL {settings}; {args.updates} commits per writer, best of {args.repeat}")
        modes = [m for m in MODES if m.startswith(args.only)]
        print(f"{'writers':>7} " + " ".join(f"{m:>17}" for m in modes) + "  ratios")
        for n in counts:
            rates = {
                m: max(measure(url, m, n, args.updates)[0] for _ in range(args.repeat))
                for m in modes
            }
            print(f"{n:7d} " + " ".join(f"{rates[m]:17.1f}" for m in modes) + " " + _ratios(rates))
        print(
            "(writes/s of all writers together, wall time under load; ratios: each mode with"
            " a bump against the same without it)"
        )

    with_database(args.pg, run)


if __name__ == "__main__":
    main()
