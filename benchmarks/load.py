"""Load benchmark: concurrent clients on a mix of API and page routes, on both stores.

    .venv/bin/python benchmarks/load.py [--clients 16] [--seconds 60] [--workers 1]
        [--unloaded 20] [--think 1 0] [--store demo.gpkg] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Builds the generated demo district (no NDVI) unless --store names one, copies it into a
throwaway PostGIS database, and runs the real server (`pasture serve`'s uvicorn, one
process per --workers) on each store in turn. On each server, after one warm-up request
per route, an unloaded pass: one client asks each route --unloaded times in turn, alone.
Then the loaded run: every client signs in once and loops over the route mix. Printed
per store and route: requests, errors (anything but 200), the p50 and p95 latency under
load, the p50 unloaded, and two ratios:

- ``p50/peer``: the loaded p50 against the loaded p50 of GET /health/live (no store, no
  auth: the floor the framework and the machine set);
- ``p95/alone``: the loaded p95 against the same route's unloaded p50 (the tail a user
  sees under load against the typical time alone; p95 over p50 is the stricter of the
  two choices, it also counts the unloaded spread against the route).

Each store gets one loaded run per --think value (the mean pause between a client's
requests): by default 1 s, sixteen people working through pages and the API at an
office's pace, then 0 s, saturation, every client always waiting on a request. A verdict
line per run checks the overview page's ``p95/alone`` against 3×. At saturation no route
can hold that on two cores, not even the peer that reads nothing: with every client
always waiting, latency ≈ clients ÷ throughput (Little's law), so that run measures the
queue, and the peer's ratio is printed beside the overview's to show it. The pages and the
census totals are built once per store version and shared by all clients
(``Store.version()``, ``pasture_api.layers.VersionCache``); the warm-up fills that cache,
as the first visitor after a write does.
"""

from __future__ import annotations

import argparse
import os
import random
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


def sign_in(base: str) -> dict[str, str]:
    token = httpx.post(f"{base}/auth/token", data={"username": "akimat", "password": "demo"})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def timed_get(http: httpx.Client, route: str) -> float | None:
    """The latency of one GET in seconds; None when it is not a 200."""
    started = time.perf_counter()
    try:
        ok = http.get(route).status_code == 200
    except httpx.HTTPError:
        ok = False
    elapsed = time.perf_counter() - started
    return elapsed if ok else None


def run_alone(base: str, repeats: int) -> dict[str, list[float | None]]:
    """Latencies per route of one client alone: a warm-up request, then ``repeats`` each."""
    results: dict[str, list[float | None]] = defaultdict(list)
    with httpx.Client(base_url=base, headers=sign_in(base), timeout=60) as http:
        for route in ROUTES:
            timed_get(http, route)
        for _ in range(repeats):
            for route in ROUTES:
                results[route].append(timed_get(http, route))
    return results


def run_clients(
    base: str, clients: int, seconds: float, think: float = 0.0
) -> dict[str, list[float | None]]:
    """Latencies per route (None: an error) of ``clients`` threads for ``seconds``; each
    waits an exponentially distributed pause of mean ``think`` seconds between requests
    (0: none, every client always has a request in flight)."""
    headers = sign_in(base)
    results: dict[str, list[float | None]] = defaultdict(list)
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(offset: int) -> None:
        pauses = random.Random(offset)
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            i = offset
            while time.monotonic() < stop:
                if think > 0:
                    time.sleep(pauses.expovariate(1.0 / think))
                route = ROUTES[i % len(ROUTES)]
                i += 1
                elapsed = timed_get(http, route)
                with lock:
                    results[route].append(elapsed)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def percentiles(times: list[float | None]) -> tuple[float, float] | None:
    """p50 and p95 of the successful requests' latencies; None when there are none."""
    good = sorted(t for t in times if t is not None)
    if not good:
        return None
    return statistics.median(good), good[min(len(good) - 1, int(0.95 * len(good)))]


#: The page whose loaded p95 is held to a multiple of its unloaded time (issue 22).
VERDICT_ROUTE, VERDICT_LIMIT = "/maps/overview", 3.0


def report(
    name: str, loaded: dict[str, list[float | None]], alone: dict[str, list[float | None]]
) -> None:
    floor = statistics.median([t for t in loaded["/health/live"] if t is not None])
    print(f"\n{name}")
    heads = ("requests", "errors", "p50 ms", "p95 ms", "alone ms", "p50/peer", "p95/alone")
    print(f"{'route':<36} " + " ".join(f"{h:>9}" for h in heads))
    for route in ROUTES:
        times = loaded.get(route, [])
        errors = sum(t is None for t in times) + sum(t is None for t in alone.get(route, []))
        under, single = percentiles(times), percentiles(alone.get(route, []))
        cells = [f"{len(times):>9}", f"{errors:>9}"]
        cells += [f"{under[0] * 1000:>9.1f}", f"{under[1] * 1000:>9.1f}"] if under else ["-"] * 2
        cells.append(f"{single[0] * 1000:>9.1f}" if single else f"{'-':>9}")
        cells.append(f"{under[0] / floor:>8.1f}x" if under else f"{'-':>9}")
        cells.append(f"{under[1] / single[0]:>8.1f}x" if under and single else f"{'-':>9}")
        print(f"{route:<36} " + " ".join(cells))
    under, single = percentiles(loaded[VERDICT_ROUTE]), percentiles(alone[VERDICT_ROUTE])
    if under and single:
        ratio = under[1] / single[0]
        verdict = "within" if ratio <= VERDICT_LIMIT else "NOT within"
        print(
            f"verdict: {VERDICT_ROUTE} p95 under load {under[1] * 1000:.0f} ms is {ratio:.1f}x "
            f"its unloaded p50 {single[0] * 1000:.0f} ms: {verdict} {VERDICT_LIMIT:.0f}x"
        )
        # the queue of one worker for all clients: the peer, which does nothing, shows it
        peer, peer_alone = percentiles(loaded["/health/live"]), percentiles(alone["/health/live"])
        if peer and peer_alone:
            print(f"  (the peer /health/live: {peer[1] / peer_alone[0]:.1f}x on the same terms)")
    else:
        print(f"verdict: {VERDICT_ROUTE} answered no 200: failed")


def serve(
    store: str,
    workers: int,
    seconds: float,
    clients: int,
    repeats: int,
    thinks: list[float],
    name: str,
) -> None:
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
        base = f"http://127.0.0.1:{port}"
        alone = run_alone(base, repeats)
        for think in thinks:
            load = os.getloadavg()[0]
            results = run_clients(base, clients, seconds, think)
            report(
                f"{name}: {clients} clients, {seconds:.0f} s, think {think:g} s, "
                f"{workers} worker(s), {repeats} unloaded requests per route, load {load:.1f}",
                results,
                alone,
            )
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--unloaded", type=int, default=20, help="requests per route alone")
    parser.add_argument(
        "--think",
        type=float,
        nargs="+",
        default=[1.0, 0.0],
        help="mean pause between a client's requests, s; one loaded run per value "
        "(default: 1 s, people reading pages, then 0 s, saturation)",
    )
    parser.add_argument("--store", type=Path, help="a demo GeoPackage with its accounts")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jailym-load-") as folder:
        gpkg = args.store or build_demo(Path(folder))
        runs = (args.workers, args.seconds, args.clients, args.unloaded, args.think)
        serve(str(gpkg), *runs, "geopackage")
        url, db = copy_to_postgis(gpkg, args.pg)
        try:
            serve(url, *runs, "postgis")
        finally:
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db))
                )


if __name__ == "__main__":
    main()
