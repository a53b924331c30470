"""The overview and the rotation map on the demo and on a tiled district of ~100,000 plots.

For each store the pages are served by uvicorn (the real app) and opened in
headless Chromium (Playwright), signed in as the akimat. Printed per page and
store: cold (the server's first request: the map parts and the plot layer are
built), warm in a new browser (median of ``--runs`` loads, each in a new browser
context: an empty HTTP cache) and warm revisit (median of ``--runs`` loads in a
context that opened the page before: Leaflet from its cache, the layer revalidated
with ``If-None-Match``, 304):

- bytes transferred: headers and compressed bodies of every response of the
  load (page, Leaflet, the plot layers), from the page's Resource Timing entries;
- time to first byte of the page;
- drawn: milliseconds from navigation start until the plots are painted. The
  page's script marks the map container with ``data-layer-plots`` once the
  fetched plots are added to the map (on the rotation map: and styled for the
  week shown); a script the benchmark puts before the page's own then waits two
  animation frames, so the frame that paints them has been drawn, and notes
  ``performance.now()``. With ``--detail``, every request of a load (bytes on the
  wire and decoded, first byte, done).

Named peer (overview, unless ``--no-peer``): the old page, which inlined every plot
(``overview_map`` without ``plots_url``), built in this process for the same store
and opened in the same Chromium from a file: its gzip size, the time to build it
(what the server did per request) and the time to draw it. Targets (issue 17):
under 1 MB and drawn within 1.5 s on the demo warm; drawn within 3 s on the
100,000-plot district. The machine is shared: wall times are under load.

Usage: ``python benchmarks/pages.py [demo.gpkg] [--keep DIR] [--tiled tiled.gpkg]
[--only demo|tiled] [--pages overview,rotation] [--runs 3] [--detail] [--no-peer]``;
without a store the demo is built (NDVI, science, a plan, the demo accounts) in a
temporary folder (or ``--keep``). The tiled district is built from it (copies of
the demo's plots shifted east and north, of no union; the plan's herds stay on the
demo's plots) unless ``--tiled`` names one built before.
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


#: Set in the page before any of its scripts: when the map container first gets
#: ``data-layer-plots`` (the page's script sets it once the fetched plots are added to the
#: map and, on the rotation map, restyled for the week), wait two animation frames (the
#: frame that paints them has then been drawn) and note ``performance.now()`` (ms since
#: navigation start).
DRAWN_MARK = """
new MutationObserver(function (records, observer) {
    observer.disconnect();
    requestAnimationFrame(function () { requestAnimationFrame(function () {
        window.__pastureDrawn = performance.now(); }); });
}).observe(document, {attributes: true, subtree: true, attributeFilter: ["data-layer-plots"]});
"""
DRAWN = "window.__pastureDrawn !== undefined"
#: Every response the page loaded: URL, bytes on the wire (headers + compressed body),
#: body as sent and decoded, time to first byte and to the last byte (ms from asking).
RESOURCES = """() => {
    const nav = performance.getEntriesByType("navigation")[0];
    return [nav].concat(performance.getEntriesByType("resource")).map(e => ({
        url: e.name, wire: e.transferSize, body: e.encodedBodySize, decoded: e.decodedBodySize,
        ttfb: e.responseStart - e.requestStart, total: e.responseEnd - e.startTime,
        at: e.startTime}));
}"""


def _open(browser: Any, state: Any, url: str, *, context: Any = None) -> dict[str, Any]:
    """One page load: bytes on the wire, time to first byte, time until the plots are drawn.

    In a new browser context (an empty HTTP cache), or in ``context``: a revisit.
    """
    own = context is None
    if own:
        context = browser.new_context(viewport={"width": 1200, "height": 800}, storage_state=state)
    page = context.new_page()
    page.add_init_script(DRAWN_MARK)
    print(f"  opening {url}", file=sys.stderr, flush=True)
    page.goto(url, wait_until="commit", timeout=900_000)
    page.wait_for_function(DRAWN, timeout=900_000, polling=50)
    page.wait_for_load_state("networkidle", timeout=900_000)
    drawn = page.evaluate("window.__pastureDrawn") / 1000
    resources = page.evaluate(RESOURCES)
    count = page.evaluate("document.querySelector('.folium-map').dataset.layerPlots")
    # the page's own split of its first layer: ms from asking for the plots to having
    # them, + ms to add (and restyle) them
    fetched, added = page.evaluate(
        "document.querySelector('.folium-map').dataset.layerPlotsMs"
    ).split("+")
    page.close()
    if own:
        context.close()
    return {
        "bytes": sum(r["wire"] for r in resources),
        "ttfb": resources[0]["ttfb"] / 1000,
        "drawn": drawn,
        "plots": float(count),
        "fetch": float(fetched) / 1000,
        "add": float(added) / 1000,
        "requests": resources,
    }


def _requests(resources: list[dict[str, Any]], base: str) -> None:
    """One line per response of a page load: what came, how big, how soon."""
    for r in resources:
        name = r["url"].removeprefix(base)
        name = name if len(name) <= 60 else name[:57] + "..."
        print(
            f"    {name:60s} {r['wire'] / 1e3:8.1f} kB on the wire ({r['decoded'] / 1e3:8.1f} kB "
            f"decoded)  first byte {r['ttfb']:6.0f} ms  done {r['at'] + r['total']:6.0f} ms"
        )


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


def _sign_in(browser: Any, base: str) -> Any:
    """The storage state (session cookie) of the akimat's demo account."""
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
    return state


def _revisits(browser: Any, state: Any, url: str, runs: int) -> list[dict[str, Any]]:
    """``runs`` loads of ``url`` by a browser that has opened it before (its HTTP cache)."""
    context = browser.new_context(viewport={"width": 1200, "height": 800}, storage_state=state)
    page = context.new_page()
    page.goto(url, wait_until="networkidle", timeout=900_000)
    page.close()
    out = []
    for _ in range(runs):
        out.append(_open(browser, state, url, context=context))
    context.close()
    return out


def _server(store: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(store), str(port)])
    for _ in range(600):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return proc, base


def _plan_id(store_path: Path) -> str:
    import pasture
    from pasture_api.pages.data import chosen_plan

    with pasture.open_store(store_path) as store:
        plan = chosen_plan(store, None)
    if plan is None:
        raise SystemExit(f"{store_path} holds no plan: the rotation map needs one")
    return str(plan["id"])


def measure(
    store: Path, label: str, folder: Path, *, pages: list[str], runs: int, peer: bool, detail: bool
) -> None:
    """Print the figures of each page on ``store``, with the old inlined overview beside them."""
    from playwright.sync_api import sync_playwright

    urls = {
        "overview": "/maps/overview?lang=kk",
        "rotation": f"/plans/{_plan_id(store)}/map?lang=kk" if "rotation" in pages else "",
    }
    proc, base = _server(store)
    results: dict[str, dict[str, Any]] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            state = _sign_in(browser, base)
            for name in pages:
                url = base + urls[name]
                cold = _open(browser, state, url)
                warm = [_open(browser, state, url) for _ in range(runs)]
                again = _revisits(browser, state, url, runs)
                results[name] = {"cold": cold, "warm": warm, "again": again}
            old = None
            if peer and "overview" in pages:
                old_path, old_built, old_gzip = _old_page(store, folder)
                old = (old_built, old_gzip, _draw_old(browser, old_path))
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    for name, r in results.items():
        _report(name, label, r, runs, base if detail else None)
        if name == "overview" and old is not None:
            old_built, old_gzip, old_drawn = old
            print(
                f"  peer: old inlined page  {old_gzip / 1e6:.3f} MB gzip (+ Leaflet inline)  "
                f"built per request in {old_built:.2f} s  drawn from file in "
                + (f"{old_drawn:.2f} s" if old_drawn is not None else "more than 300 s (given up)")
            )


def _median(runs: list[dict[str, Any]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "requests"}


def _report(name: str, label: str, r: dict[str, Any], runs: int, base: str | None) -> None:
    warm, again = _median(r["warm"]), _median(r["again"])
    print(f"\n== {name}, {label} ({int(warm['plots'])} plots drawn at the opening view)")
    for title, f in (
        ("cold (server's first)", r["cold"]),
        (f"warm, new browser (median of {runs})", warm),
        (f"warm, revisit (median of {runs})", again),
    ):
        print(
            f"  {title:36s} transferred {f['bytes'] / 1e6:.3f} MB  first byte {f['ttfb']:.2f} s  "
            f"drawn {f['drawn']:.2f} s (layer fetched in {f['fetch']:.2f} s, added in {f['add']:.2f} s)"
        )
    if base is not None:
        for title, one in (("warm, new browser", r["warm"][-1]), ("revisit", r["again"][-1])):
            print(f"  requests of the last load ({title}):")
            _requests(one["requests"], base)


def main() -> None:
    """Measure the demo (given or built) and the tiled district made from it."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("store", nargs="?", type=Path, help="the demo store (default: built)")
    parser.add_argument("--tiled", type=Path, help="a tiled district built before (--keep)")
    parser.add_argument("--keep", type=Path, help="keep the stores built in this folder")
    parser.add_argument("--pages", default="overview,rotation", help="overview, rotation or both")
    parser.add_argument("--runs", type=int, default=WARM_RUNS, help="warm loads per page")
    parser.add_argument("--only", choices=["demo", "tiled"], help="measure one store only")
    parser.add_argument("--no-peer", action="store_true", help="skip the old inlined page")
    parser.add_argument("--detail", action="store_true", help="every request of a load")
    args = parser.parse_args()
    pages = [p for p in args.pages.split(",") if p]
    options = {"pages": pages, "runs": args.runs, "peer": not args.no_peer, "detail": args.detail}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        built = args.keep or folder
        built.mkdir(parents=True, exist_ok=True)
        if args.store is not None:
            demo = args.store
        else:
            print("building the demo store (a few minutes)...")
            demo = build_store(built)
        if args.only != "tiled":
            measure(demo, "demo", folder, **options)
        if args.only != "demo":
            tiled = args.tiled
            if tiled is None:
                t0 = time.perf_counter()
                tiled = build_tiled(demo, built)
                print(f"(built in {time.perf_counter() - t0:.0f} s)")
            measure(tiled, "tiled district", folder, **options)
    print("\ntargets: demo warm < 1 MB and drawn < 1.5 s; tiled district drawn < 3 s")


if __name__ == "__main__":
    main()
