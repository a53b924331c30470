"""Load benchmark: concurrent clients on a mix of API and page routes, on both stores.

    .venv/bin/python benchmarks/load.py [--clients 16] [--seconds 60] [--workers 1]
        [--store demo.gpkg] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Builds the generated demo district (no NDVI) unless --store names one, copies it into a
throwaway PostGIS database, and runs the real server (`pasture serve`'s uvicorn, one
process per --workers) on each store in turn. Every client signs in once, then loops over
the route mix. Printed per store and route: requests, errors (anything but 200) and the
p50 and p95 latency. The peer is GET /health/live on the same server in the same run (no
store, no auth: the floor the framework and the machine set); ratios are against its p50.
Page caching is not in place yet: the page routes show what it would save.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Poll until the server answers 200 (it starts in seconds to a minute)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {timeout_s} s")


#: The route mix: API reads of each kind, then the pages people open.
ROUTES = (
    "/health/live",
    "/health",
    "/collections/plots/items?limit=100",
    "/collections/plots/items/P0501",
    "/census/totals",
    "/census?limit=100",
    "/herds?limit=100",
    "/plans",
    "/maps/overview",
    "/unions/upu-akshi",
)


def build_demo(folder: Path) -> Path:
    import pasture
    from pasture.demo import build_demo as build
    from pasture_api.users import create_demo_users

    path = folder / "demo.gpkg"
    with pasture.open_store(path) as store:
        build(store, seed=42)
        store.update_extents()  # type: ignore[attr-defined]
        create_demo_users(store, "demo")
    return path


def copy_to_postgis(gpkg: Path, admin: str) -> tuple[str, str]:
    import pasture
    from pasture_api.users import create_demo_users

    db = f"pasture_load_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
    url = urlsplit(admin)._replace(path=f"/{db}").geturl()
    with pasture.open_store(gpkg) as source, pasture.open_store(url) as target:
        target.load_copy(source)
        create_demo_users(target, "demo")
    return url, db


def run_clients(base: str, clients: int, seconds: float) -> dict[str, list[float | None]]:
    """Latencies per route (None: an error) of ``clients`` threads for ``seconds``."""
    token = httpx.post(f"{base}/auth/token", data={"username": "akimat", "password": "demo"})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    results: dict[str, list[float | None]] = defaultdict(list)
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(offset: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            i = offset
            while time.monotonic() < stop:
                route = ROUTES[i % len(ROUTES)]
                i += 1
                started = time.perf_counter()
                try:
                    ok = http.get(route).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - started
                with lock:
                    results[route].append(elapsed if ok else None)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def report(name: str, results: dict[str, list[float | None]]) -> None:
    floor = statistics.median([t for t in results["/health/live"] if t is not None])
    print(f"\n{name}")
    print(
        f"{'route':<40} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p50/peer':>8}"
    )
    for route in ROUTES:
        times = results.get(route, [])
        good = sorted(t for t in times if t is not None)
        errors = len(times) - len(good)
        if good:
            p50 = statistics.median(good)
            p95 = good[min(len(good) - 1, int(0.95 * len(good)))]
            row = f"{p50 * 1000:>8.1f} {p95 * 1000:>8.1f} {p50 / floor:>7.1f}x"
        else:
            row = f"{'-':>8} {'-':>8} {'-':>8}"
        print(f"{route:<40} {len(times):>8} {errors:>6} {row}")


def serve(store: str, workers: int, seconds: float, clients: int, name: str) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PASTURE_STORE": store}
    env["PASTURE_SECRET_KEY"] = "load-benchmark-secret-" + "x" * 32
    env["PASTURE_LOGIN_ATTEMPTS_PER_MINUTE"] = "1000"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "pasture_api.main:app_from_environment",
        "--factory",
        "--workers",
        str(workers),
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_up(f"http://127.0.0.1:{port}/health", proc, timeout_s=180)
        load = os.getloadavg()[0]
        results = run_clients(f"http://127.0.0.1:{port}", clients, seconds)
        report(
            f"{name}: {clients} clients, {seconds:.0f} s, {workers} worker(s), load {load:.1f}",
            results,
        )
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--store", type=Path, help="a demo GeoPackage with its accounts")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jailym-load-") as folder:
        gpkg = args.store or build_demo(Path(folder))
        serve(str(gpkg), args.workers, args.seconds, args.clients, "geopackage")
        url, db = copy_to_postgis(gpkg, args.pg)
        try:
            serve(url, args.workers, args.seconds, args.clients, "postgis")
        finally:
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db))
                )


if __name__ == "__main__":
    main()
