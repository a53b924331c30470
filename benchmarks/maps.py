"""Page weight and render time of the demo overview map, against plain folium on the same plots.

    .venv/bin/python benchmarks/maps.py                 # demo store from PASTURE_DEMO_STORE
    .venv/bin/python benchmarks/maps.py --store other.gpkg --lang ru

Ours: ``pasture.maps.overview_map`` with okrugs, unions, water points, routes,
popups and legend, Leaflet inlined (offline), no basemap. Peer: ``folium.GeoJson``
of the same plots alone with folium's defaults (no simplification, CDN links
replaced by the same inline Leaflet so both render offline). Reports MB and the
time headless Chromium needs from navigation until every plot path is in the
DOM (median of ``--runs``). Targets: < 3 MB, < 2 s. Measured, not asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from _chromium import ARGS, CHROMIUM  # benchmarks/ is on sys.path when run as a script

TARGET_MB, TARGET_S = 3.0, 2.0


def _render_seconds(path: Path, selector: str, expected: int, runs: int) -> float:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for _ in range(runs):
                page = browser.new_page(viewport={"width": 1200, "height": 800})
                start = time.perf_counter()
                page.goto(path.as_uri())
                page.wait_for_function(
                    f"document.querySelectorAll({selector!r}).length >= {expected}", timeout=60_000
                )
                times.append(time.perf_counter() - start)
                page.close()
        finally:
            browser.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--store", default=os.environ.get("PASTURE_DEMO_STORE", "demo/enbekshikazakh.gpkg")
    )
    parser.add_argument("--lang", default="kk")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import folium

    import pasture
    from pasture.maps import Assets, overview_map
    from pasture.maps.page import PastureMap

    store = Path(args.store)
    if not store.exists():
        raise SystemExit(
            f"{store} does not exist: build it with `pasture demo --store {store} --no-serve`"
        )
    with pasture.open_store(store) as s:
        layers = {n: s.read(n) for n in ("plots", "okrugs", "unions", "water_points", "routes")}
        results = {n: s.read_rows(n) for n in ("capacity", "load", "trends")}
    plots = layers["plots"]
    extra = {k: v for k, v in results.items() if len(v)}

    start = time.perf_counter()
    ours = overview_map(
        plots,
        okrugs=layers["okrugs"],
        unions=layers["unions"],
        water=layers["water_points"],
        routes=layers["routes"],
        lang=args.lang,
        basemap=None,
        assets=Assets.inline(),
        **extra,  # type: ignore[arg-type]
    )
    ours_html = ours.get_root().render()
    build_ours = time.perf_counter() - start

    start = time.perf_counter()
    peer = PastureMap(assets=Assets.inline(), lang=args.lang, title="peer", tiles=None)
    folium.GeoJson(
        plots.drop(columns=["version"]), style_function=lambda f: {"className": "peer-plot"}
    ).add_to(peer)
    peer.fit_bounds(
        [
            [plots.total_bounds[1], plots.total_bounds[0]],
            [plots.total_bounds[3], plots.total_bounds[2]],
        ]
    )
    peer_html = peer.get_root().render()
    build_peer = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        ours_path, peer_path = Path(tmp) / "ours.html", Path(tmp) / "peer.html"
        ours_path.write_text(ours_html, encoding="utf-8")
        peer_path.write_text(peer_html, encoding="utf-8")
        mb_ours, mb_peer = ours_path.stat().st_size / 1e6, peer_path.stat().st_size / 1e6
        render_ours = _render_seconds(ours_path, "path.pasture-plot", len(plots), args.runs)
        render_peer = _render_seconds(peer_path, "path.peer-plot", len(plots), args.runs)

    print(
        f"store {store}: {len(plots)} plots, results: {', '.join(extra) or 'none'}; lang {args.lang}"
    )
    print(f"{'':24}{'ours':>10}{'folium.GeoJson':>16}{'ratio':>8}")
    print(
        f"{'page size, MB':24}{mb_ours:>10.2f}{mb_peer:>16.2f}{mb_ours / mb_peer:>8.2f}   target < {TARGET_MB}"
    )
    print(
        f"{'build (Python), s':24}{build_ours:>10.2f}{build_peer:>16.2f}{build_ours / build_peer:>8.2f}"
    )
    print(
        f"{'render (Chromium), s':24}{render_ours:>10.2f}{render_peer:>16.2f}{render_ours / render_peer:>8.2f}   target < {TARGET_S}"
    )


if __name__ == "__main__":
    main()
