"""Headless Chromium opens a saved offline overview from file:// and draws every plot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pasture.maps import Assets, overview_map


@pytest.mark.slow
def test_offline_overview_draws_every_plot(
    browser, demo_layers, results, tmp_path: Path, artifacts: Path
) -> None:
    m = overview_map(
        demo_layers["plots"],
        okrugs=demo_layers["okrugs"],
        unions=demo_layers["unions"],
        water=demo_layers["water_points"],
        routes=demo_layers["routes"],
        **results,
        lang="kk",
        basemap=None,
        assets=Assets.inline(),
    )
    page_path = tmp_path / "overview.html"
    m.save(str(page_path))
    external: list[str] = []
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: external.append(r.url) if not r.url.startswith(("file:", "data:")) else None,
    )
    page.goto(page_path.as_uri())
    page.wait_for_selector("path.pasture-plot", state="attached", timeout=30_000)
    drawn = page.evaluate(
        "document.querySelectorAll('.leaflet-overlay-pane path.pasture-plot').length"
    )
    lang = page.evaluate("document.documentElement.lang")
    legend = page.inner_text(".pasture-legend")
    page.screenshot(path=str(artifacts / "overview-offline.png"))
    page.close()
    assert errors == []
    assert external == []
    assert drawn == len(demo_layers["plots"])
    assert lang == "kk"
    assert "Пайдалану маусымы" in legend
    shutil.copy(page_path, artifacts / "overview-offline.html")
