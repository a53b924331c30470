"""Weight and render time of the demo overview page, served by uvicorn and opened in Chromium.

Measured, not asserted (targets: < 3 MB with every asset it loads, < 2 s to draw
the plots). The time runs from the request (server render included) until
every plot path is in the DOM; ``benchmarks/maps.py`` compares the builder with
plain folium on the same plots.

Usage: ``python benchmarks/pages.py [store.gpkg]``; without a store the demo is
built (with NDVI, science, a plan and the demo accounts) in a temporary folder.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _chromium import ARGS, CHROMIUM  # benchmarks/ is on sys.path when run as a script

SERVER = """
import sys, uvicorn
from pasture_api.main import create_app
from pasture_api.settings import Settings
uvicorn.run(create_app(Settings(_env_file=None, store=sys.argv[1], basemap_url="")),
            host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


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


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure(store: Path, runs: int = 3) -> None:
    """Print the page weight (MB) and the time until every plot is drawn (s)."""
    from playwright.sync_api import sync_playwright

    port = _port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(store), str(port)])
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport={"width": 1200, "height": 800})
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("#username", "akimat")
            page.fill("#password", "demo")
            page.click("form.jailym-login button[type=submit]")
            page.wait_for_selector("path.pasture-plot", state="attached", timeout=60_000)
            times, weights = [], []
            for _ in range(runs):
                sizes: dict[str, int] = {}
                fresh = browser.new_context(
                    viewport={"width": 1200, "height": 800},
                    storage_state=context.storage_state(),
                )
                tab = fresh.new_page()
                tab.on("response", lambda r, sizes=sizes: sizes.__setitem__(r.url, len(r.body())))
                t0 = time.perf_counter()
                tab.goto(f"{base}/maps/overview?lang=kk", wait_until="commit")
                tab.wait_for_function(
                    "document.querySelectorAll('path.pasture-plot').length > 2000", timeout=60_000
                )
                times.append(time.perf_counter() - t0)
                tab.wait_for_load_state("load")
                weights.append(sum(sizes.values()))
                fresh.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    best = min(times)
    print(f"overview page weight: {max(weights) / 1e6:.2f} MB (HTML + Leaflet), target < 3 MB")
    print(
        f"overview render time (request to every plot drawn): best {best:.2f} s, "
        f"median {sorted(times)[len(times) // 2]:.2f} s over {runs} runs, target < 2 s"
    )


def main() -> None:
    """Measure on the store given, or on a freshly built demo."""
    if len(sys.argv) > 1:
        measure(Path(sys.argv[1]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        print("building the demo store (about a minute)...")
        measure(build_store(Path(tmp)))


if __name__ == "__main__":
    main()
