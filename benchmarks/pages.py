"""The overview page on the demo and on a tiled district of ~100,000 plots, in Chromium.

For each store the page is served by uvicorn (the real app) and opened in
headless Chromium (Playwright). Printed per store, cold (the first request after
the server starts: the map parts and the plot layer are built) and warm
(median of the following runs):

- bytes transferred: the compressed size on the wire of every response the page
  loads (HTML, Leaflet, the plot layer), as Chromium reports it;
- time to first byte of the page;
- time until the plots are drawn: from navigation until the page's script marks
  the map container with ``data-layer-plots`` (set after the fetched plots are
  added to the map).

Named peer: the old page, which inlined every plot (``overview_map`` without
``plots_url``), built in this process for the same store and opened in the same
Chromium from a file: its gzip size, the time to build it (what the server did
per request) and the time to draw it. Targets (issue 17): under 1 MB and drawn
within 1.5 s on the demo warm; drawn within 3 s on the 100,000-plot district.

Usage: ``python benchmarks/pages.py [demo.gpkg]``; without a store the demo is
built (NDVI, science, a plan, the demo accounts) in a temporary folder. The
tiled district is built from it once per run (copies of the demo's plots
shifted east and north) in a temporary GeoPackage.
"""

from __future__ import annotations

import gzip
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _chromium import ARGS, CHROMIUM  # benchmarks/ is on sys.path when run as a script
from _districts import shifted, tile_offsets

SERVER = """
import sys, uvicorn
from pasture_api.main import create_app
from pasture_api.settings import Settings
uvicorn.run(create_app(Settings(_env_file=None, store=sys.argv[1], basemap_url="")),
            host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""
#: How many plots the tiled district should hold (about).
TILED_PLOTS = 100_000
DRAWN = "document.querySelector('.folium-map[data-layer-plots]') !== null"
WARM_RUNS = 3


def build_store(folder: Path) -> Path:
    """The demo district with NDVI, capacity/load/trends, a plan and the demo accounts."""
    import pasture
    from pasture.demo import build_demo, build_demo_ndvi
    from pasture.planning import run_demo_plan
    from pasture.science import run_demo_science
    from pasture_api.users import create_demo_users

    path = folder / "demo.gpkg"
    with pasture.open_store(path) as store:
        build_demo(store, seed=42)
        build_demo_ndvi(store, folder / "ndvi", seed=42, years=8)
        run_demo_science(store)
        run_demo_plan(store)
        create_demo_users(store, "demo")
    return path


def build_tiled(demo: Path, folder: Path, *, plots: int = TILED_PLOTS) -> Path:
    """A copy of the demo whose plots are repeated, shifted, until about ``plots`` are stored."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    import pasture
    from pasture.store.gpkg import default_accounts_path

    path = folder / "tiled.gpkg"
    shutil.copy(demo, path)
    shutil.copy(default_accounts_path(demo), default_accounts_path(path))
    with pasture.open_store(path) as store:
        base = store.read("plots")
        offsets = tile_offsets(base.total_bounds, max(1, round(plots / len(base))))
        frames = []
        for k, offset in enumerate(offsets[1:], start=1):
            copy = shifted(base, offset)
            copy["id"] = [f"{i}-t{k}" for i in base["id"]]
            copy["union_id"] = None  # the copies are public pasture of no union
            frames.append(copy)
        tiles = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=base.crs)
        everything = pd.concat([base, tiles], ignore_index=True).total_bounds
        store.set_region(shapely.box(*everything).buffer(0.1))
        store.write("plots", tiles.drop(columns=["version"], errors="ignore"), user="benchmark")
        print(f"tiled district: {store.count('plots')} plots")
    return path


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _open(browser: Any, state: Any, url: str) -> dict[str, float]:
    """One page load: bytes on the wire, time to first byte, time until the plots are drawn."""
    context = browser.new_context(viewport={"width": 1200, "height": 800}, storage_state=state)
    page = context.new_page()
    responses: list[Any] = []
    page.on("requestfinished", lambda r: responses.append(r))
    t0 = time.perf_counter()
    response = page.goto(url, wait_until="commit", timeout=900_000)
    page.wait_for_function(DRAWN, timeout=900_000, polling=50)
    drawn = time.perf_counter() - t0
    page.wait_for_load_state("networkidle", timeout=900_000)
    assert response is not None
    ttfb = response.request.timing["responseStart"] / 1000
    wire = sum(r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"] for r in responses)
    count = page.evaluate("document.querySelector('.folium-map').dataset.layerPlots")
    # the page's own split: ms from asking for the plots to having them, + ms to draw them
    fetched, added = page.evaluate(
        "document.querySelector('.folium-map').dataset.layerPlotsMs"
    ).split("+")
    context.close()
    return {
        "bytes": wire,
        "ttfb": ttfb,
        "drawn": drawn,
        "plots": float(count),
        "fetch": float(fetched) / 1000,
        "add": float(added) / 1000,
    }


def _old_page(store_path: Path, folder: Path) -> tuple[Path, float, int]:
    """The old inlined overview of the store: its file, build time (s) and gzip size."""
    import pasture
    from pasture.maps import Assets, overview_map

    t0 = time.perf_counter()
    with pasture.open_store(store_path) as store:
        load = store.read_rows("load")
        m = overview_map(
            store.read("plots"),
            okrugs=store.read("okrugs"),
            unions=store.read("unions"),
            water=store.read("water_points"),
            routes=store.read("routes"),
            capacity=store.read_rows("capacity"),
            load=load[load["level"] == "plot"],
            trends=store.read_rows("trends"),
            lang="kk",
            basemap=None,
            assets=Assets.inline(),
        )
    html = m.get_root().render()
    built = time.perf_counter() - t0
    path = folder / f"old-{store_path.stem}.html"
    path.write_text(html, encoding="utf-8")
    return path, built, len(gzip.compress(html.encode()))


def _draw_old(browser: Any, path: Path) -> float | None:
    """Seconds until the old page has drawn its plots; None when not within 5 minutes."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = browser.new_page(viewport={"width": 1200, "height": 800})
    t0 = time.perf_counter()
    try:
        page.goto(path.as_uri(), wait_until="commit", timeout=300_000)
        page.wait_for_function(
            "document.querySelectorAll('path.pasture-plot').length > 0", timeout=300_000
        )
        page.wait_for_load_state("load", timeout=300_000)
    except PlaywrightTimeout:
        return None
    finally:
        drawn = time.perf_counter() - t0
        page.close()
    return drawn


def measure(store: Path, label: str, folder: Path) -> None:
    """Print the figures of the overview on ``store``, with the old inlined page beside them."""
    from playwright.sync_api import sync_playwright

    port = _port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(store), str(port)])
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("#username", "akimat")
            page.fill("#password", "demo")
            # the session cookie comes with the redirect: no need to wait for the map
            page.click("form.jailym-login button[type=submit]", no_wait_after=True)
            page.wait_for_url(lambda u: "/login" not in u, wait_until="commit", timeout=600_000)
            state = context.storage_state()
            context.close()
            url = f"{base}/maps/overview?lang=kk"
            cold = _open(browser, state, url)
            warm = [_open(browser, state, url) for _ in range(WARM_RUNS)]
            old_path, old_built, old_gzip = _old_page(store, folder)
            old_drawn = _draw_old(browser, old_path)
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    med = {k: statistics.median(r[k] for r in warm) for k in warm[0]}
    print(f"\n== overview, {label} ({int(med['plots'])} plots drawn at the opening view)")
    for name, r in (("cold", cold), (f"warm (median of {WARM_RUNS})", med)):
        print(
            f"  {name:22s} transferred {r['bytes'] / 1e6:.3f} MB  first byte {r['ttfb']:.2f} s  "
            f"drawn {r['drawn']:.2f} s (layer fetched in {r['fetch']:.2f} s, drawn in {r['add']:.2f} s)"
        )
    print(
        f"  peer: old inlined page  {old_gzip / 1e6:.3f} MB gzip (+ Leaflet inline)  "
        f"built per request in {old_built:.2f} s  drawn from file in "
        + (f"{old_drawn:.2f} s" if old_drawn is not None else "more than 300 s (given up)")
    )


def main() -> None:
    """Measure the demo (given or built) and the tiled district made from it."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if len(sys.argv) > 1:
            demo = Path(sys.argv[1])
        else:
            print("building the demo store (a few minutes)...")
            demo = build_store(folder)
        measure(demo, "demo", folder)
        t0 = time.perf_counter()
        tiled = build_tiled(demo, folder)
        print(f"(built in {time.perf_counter() - t0:.0f} s)")
        measure(tiled, "tiled district", folder)
    print("\ntargets: demo warm < 1 MB and drawn < 1.5 s; tiled district drawn < 3 s")


if __name__ == "__main__":
    main()
