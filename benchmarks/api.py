"""Items pages of 100 plots under concurrent clients: our API against pygeoapi, same GeoPackage.

Run:  .venv/bin/python benchmarks/api.py [--store demo.gpkg] [--clients 16] [--seconds 10]

Both servers run as one uvicorn worker each, one after the other, on the same
store, with the same client (pages of 100 plots at random offsets). Throughput
counts only good answers (200 with a full page); errors are counted and listed
apart, so a server that fails fast is not credited for it. The load average is
printed with each run (the client shares the machine with the servers).

The peer runs from its own virtual environment (its dependencies differ from ours),
built with Debian's Python (pyenv's cannot load SQLite extensions):
    apt-get install python3.11-venv libsqlite3-mod-spatialite   # spatialite: pygeoapi's GeoPackage provider
    /usr/bin/python3.11 -m venv /tmp/pygeoapi-venv
    /tmp/pygeoapi-venv/bin/pip install pygeoapi uvicorn starlette
and pass --pygeoapi-python /tmp/pygeoapi-venv/bin/python (the default).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
PAGE = 100
#: The same server for both: one uvicorn worker, the asyncio loop and the h11 parser
#: (uvloop or httptools installed in one virtual environment only would skew the comparison).
SERVER_OPTIONS = ("--workers", "1", "--loop", "asyncio", "--http", "h11", "--log-level", "warning")

PYGEOAPI_CONFIG = """
server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  language: en-US
  limits: {{default_items: 10, max_items: 1000}}
  map: {{url: 'https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png', attribution: OSM}}
logging: {{level: ERROR}}
metadata:
  identification: {{title: jailym benchmark, description: plots, keywords: [pasture], keywords_type: theme, terms_of_service: none, url: 'http://127.0.0.1'}}
  license: {{name: CC-BY 4.0, url: 'https://creativecommons.org/licenses/by/4.0/'}}
  provider: {{name: jailym, url: 'http://127.0.0.1'}}
  contact: {{name: x, position: x, address: x, city: x, stateorprovince: x, postalcode: x, country: x, phone: x, fax: x, email: x, url: x, hours: x, instructions: x, role: pointOfContact}}
resources:
  plots:
    type: collection
    title: Pasture plots
    description: Pasture plots
    keywords: [plots]
    extents: {{spatial: {{bbox: [-180, -90, 180, 90], crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'}}}}
    providers:
      - type: feature
        name: SQLiteGPKG
        data: {data}
        id_field: id
        table: plots
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {timeout_s} s")


async def load(
    url: str, headers: dict[str, str], *, clients: int, seconds: float, n_features: int
) -> dict[str, Any]:
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    answers = 0  # HTTP answers, good or not
    stop = time.monotonic() + seconds
    rng = random.Random(42)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    load_before = os.getloadavg()[0]

    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal answers
            while time.monotonic() < stop:
                offset = rng.randrange(0, max(1, n_features - PAGE))
                t = time.perf_counter()
                try:
                    r = await client.get(url, params={"limit": PAGE, "offset": offset, "f": "json"})
                except httpx.HTTPError as exc:
                    failures[type(exc).__name__] += 1
                    continue
                answers += 1
                elapsed = time.perf_counter() - t
                if r.status_code != 200:
                    failures[f"HTTP {r.status_code}"] += 1
                elif len(r.json()["features"]) != PAGE:
                    failures["short page"] += 1
                else:
                    latencies.append(elapsed)

        start = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.monotonic() - start
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99
    return {
        "requests": len(latencies),
        "errors": sum(failures.values()),
        "failures": dict(failures),
        "rps": len(latencies) / elapsed,
        # every HTTP answer, error statuses included (how the first version of this benchmark counted)
        "all_rps": answers / elapsed,
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
        "load": (load_before, os.getloadavg()[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--store", type=Path, help="demo GeoPackage (built in a temporary folder when absent)"
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--pygeoapi-python",
        default=os.environ.get("PYGEOAPI_PYTHON", "/tmp/pygeoapi-venv/bin/python"),
    )
    args = parser.parse_args()

    # this file is called api.py: keep its folder from hiding the api package
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.modules.pop("api", None)
    import pasture
    from pasture_api.users import create_demo_users

    tmp = Path(tempfile.mkdtemp(prefix="jailym-bench-"))
    store_path = args.store
    if store_path is None:
        from pasture.demo import build_demo

        store_path = tmp / "demo.gpkg"
        print(f"building the demo store in {store_path} ...")
        with pasture.open_store(store_path) as s:
            build_demo(s, seed=42)
            s.update_extents()  # type: ignore[attr-defined]
    with pasture.open_store(store_path) as s:
        create_demo_users(s, "demo")
        n_features = s.count("plots")

    results: dict[str, dict[str, Any]] = {}
    ours_port = free_port()
    ours = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "pasture_api.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(ours_port),
            *SERVER_OPTIONS,
        ],
        env={**os.environ, "PASTURE_STORE": str(store_path)},
        cwd=ROOT,
    )
    try:
        base = f"http://127.0.0.1:{ours_port}"
        wait_up(f"{base}/health", ours)
        token = httpx.post(
            f"{base}/auth/token", data={"username": "analyst", "password": "demo"}
        ).json()["access_token"]
        results["jailym"] = asyncio.run(
            load(
                f"{base}/collections/plots/items",
                {"Authorization": f"Bearer {token}"},
                clients=args.clients,
                seconds=args.seconds,
                n_features=n_features,
            )
        )
    finally:
        ours.terminate()
        ours.wait()

    peer_python = Path(args.pygeoapi_python)
    has_peer = (
        peer_python.exists()
        and subprocess.run(
            [str(peer_python), "-c", "import pygeoapi, starlette, uvicorn"], capture_output=True
        ).returncode
        == 0
    )
    if not has_peer:
        print(f"pygeoapi is not importable with {peer_python}: skipping the peer. To install it:")
        print(__doc__.split("The peer", 1)[1])
    else:
        port = free_port()
        config = tmp / "pygeoapi.yml"
        config.write_text(PYGEOAPI_CONFIG.format(port=port, data=store_path))
        openapi = tmp / "pygeoapi-openapi.yml"
        env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
        subprocess.run(
            [
                str(peer_python.parent / "pygeoapi"),
                "openapi",
                "generate",
                str(config),
                "--output-file",
                str(openapi),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        peer = subprocess.Popen(
            [
                str(peer_python),
                "-m",
                "uvicorn",
                "pygeoapi.starlette_app:APP",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *SERVER_OPTIONS,
            ],
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_up(f"{base}/collections/plots/items?limit=1", peer)
            results["pygeoapi"] = asyncio.run(
                load(
                    f"{base}/collections/plots/items",
                    {},
                    clients=args.clients,
                    seconds=args.seconds,
                    n_features=n_features,
                )
            )
        finally:
            peer.terminate()
            peer.wait()

    print("req/s: good answers (200, a full page) per second; all/s: every HTTP answer, errors too")
    print(
        f"items pages of {PAGE} plots, {args.clients} concurrent clients, "
        f"{args.seconds:.0f} s each, one uvicorn worker each; {os.cpu_count()} CPUs"
    )
    print(
        f"{'server':<10} {'good':>6} {'errors':>7} {'req/s':>8} {'all/s':>7} {'p50 ms':>8} {'p99 ms':>8}"
        f"  {'load avg before/after':>22}"
    )
    for name, r in results.items():
        load_avg = f"{r['load'][0]:.2f} / {r['load'][1]:.2f}"
        print(
            f"{name:<10} {r['requests']:>6.0f} {r['errors']:>7.0f} {r['rps']:>8.1f} {r['all_rps']:>7.1f} "
            f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}  {load_avg:>22}"
        )
    for name, r in results.items():
        if r["failures"]:
            kinds = ", ".join(f"{k}: {v}" for k, v in sorted(r["failures"].items()))
            print(f"{name} errors (not counted in req/s or latencies): {kinds}")
    if "pygeoapi" in results:
        ratio = results["jailym"]["rps"] / results["pygeoapi"]["rps"]
        print(f"throughput ratio jailym / pygeoapi: {ratio:.2f}x (target >= 2x)")
        ratio_all = results["jailym"]["all_rps"] / results["pygeoapi"]["all_rps"]
        print(f"(counting error answers as throughput too: {ratio_all:.2f}x)")


if __name__ == "__main__":
    main()
