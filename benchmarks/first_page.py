"""The first analyst request after a write (issue 22): CPU seconds per load route.

Every write bumps ``Store.version()``, so the next analyst request rebuilds what is cached
per version. Load rows stored with their contributors (`pasture load` since gpkg 0011 /
postgis 0013) are decided from the row alone; rows stored without them (the peer: the
path every row took before) are decided from today's plan and census, which allocates the
herds (`pasture.science.herds.planning_herds`) on the request path. Run on a demo store::

    python benchmarks/first_page.py /tmp/m/demo.gpkg --repeat 3

The store is copied twice (the app upgrades a copy's schema); the load is computed on the
first copy and copied to the second with its contributors emptied. Then, alternately on
each copy, one census write (the analyst's trigger: a new version) and one route as an
analyst, timed by ``time.process_time`` (the app runs in this process; the GeoPackage
reader process of whole-layer reads is not counted, alike on both sides). Prints the
median CPU seconds per route and side and their ratio.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pasture  # noqa: E402
from pasture.science.load import compute_load  # noqa: E402
from pasture.science.tables import table_frame  # noqa: E402
from pasture_api.main import create_app  # noqa: E402
from pasture_api.settings import Settings  # noqa: E402
from pasture_api.users import create_demo_users  # noqa: E402

PASSWORD = "bench"
SIDES = ("stored", "today")  # contributors stored with the rows; today's computation (peer)


def prepare(source: Path, folder: Path) -> dict[str, Path]:
    """Two copies of ``source`` with the same load rows: with and without contributors."""
    paths = {side: folder / f"{side}.gpkg" for side in SIDES}
    copy_gpkg(source, paths["stored"])
    with pasture.open_store(paths["stored"]) as store:
        create_demo_users(store, PASSWORD)
        compute_load(store)
    copy_gpkg(paths["stored"], paths["today"])
    with pasture.open_store(paths["today"]) as store:
        create_demo_users(store, PASSWORD)
        rows = store.read_rows("load")
        emptied = rows.assign(contributors=None, top_shares=None, plan_id=None)
        for year, part in emptied.groupby("year"):
            store.replace_rows("load", table_frame("load", part), where={"year": int(year)})
    return paths


def copy_gpkg(source: Path, target: Path) -> None:
    """A GeoPackage with its write-ahead log, if any (committed pages may still be there)."""
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")


def routes(store: pasture.Store) -> dict[str, str]:
    west, south, east, north = store.read("plots").total_bounds
    bbox = f"{west:.5f},{south:.5f},{east:.5f},{north:.5f}"
    return {
        "/pages/load?level=plot": "/pages/load?level=plot&lang=ru",
        "/science/load": "/science/load",
        "/layers/plots (load)": f"/layers/plots?bbox={bbox}&zoom=10&shade=load&lang=ru",
    }


def census_write(store: pasture.Store, n: int) -> None:
    """One census record (a household recounted): a write, a new store version."""
    census = store.read("census", limit=1)
    row = census.drop(columns=[c for c in ("version", "geometry") if c in census])
    day = (pd.Timestamp("2026-01-01") + pd.Timedelta(days=n)).date().isoformat()
    row = row.assign(id=f"{row['household_id'].iat[0]}/{day}", date=day, source="bench")
    store.write("census", row, user="bench")


def first_request(client: TestClient, url: str, path: Path, n: int) -> tuple[float, float]:
    """CPU and wall seconds of ``url`` after a write to the store at ``path``."""
    with pasture.open_store(path) as store:
        census_write(store, n)
    cpu, wall = time.process_time(), time.perf_counter()
    response = client.get(url)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return cpu, wall


def signed_in(path: Path) -> TestClient:
    settings = Settings(_env_file=None, store=str(path), basemap_url="")  # type: ignore[call-arg]
    client = TestClient(create_app(settings))
    client.__enter__()
    r = client.post("/login", data={"username": "analyst", "password": PASSWORD})
    assert r.status_code in (200, 303), r.text
    token = client.post("/auth/token", data={"username": "analyst", "password": PASSWORD})
    client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path, help="a demo GeoPackage (copied, never written)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = prepare(args.store, Path(tmp))
        with pasture.open_store(paths["stored"]) as store:
            urls = routes(store)
        clients = {side: signed_in(paths[side]) for side in SIDES}
        for client in clients.values():  # warm: imports, templates, first reads
            for url in urls.values():
                client.get(url)
        cpu: dict[tuple[str, str], list[float]] = {}
        wall: dict[tuple[str, str], list[float]] = {}
        n = 0
        for _ in range(args.repeat):
            for name, url in urls.items():
                for side in SIDES:
                    n += 1
                    c, w = first_request(clients[side], url, paths[side], n)
                    cpu.setdefault((name, side), []).append(c)
                    wall.setdefault((name, side), []).append(w)
        for client in clients.values():
            client.__exit__(None, None, None)
    print(f"{'route':26} {'stored CPU s':>12} {'today CPU s':>12} {'today÷stored':>13}  wall s")
    for name in urls:
        ours = statistics.median(cpu[(name, "stored")])
        peer = statistics.median(cpu[(name, "today")])
        walls = "/".join(f"{statistics.median(wall[(name, s)]):.2f}" for s in SIDES)
        print(f"{name:26} {ours:12.2f} {peer:12.2f} {peer / max(ours, 1e-9):12.1f}×  {walls}")


if __name__ == "__main__":
    main()
