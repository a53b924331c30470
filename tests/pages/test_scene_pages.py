"""The NDVI scene catalogue's page on the demo store: every scene generated and labelled so, in
Kazakh and Russian; the bar links it for the akimat and analysts; any signed-in account may
open it (as ``GET /ndvi/scenes``); in Chromium on a phone the table scrolls in its box.

The page's rows of fetched composites (catalogue, items, cloud share) are checked against
a real loopback STAC fetch in ``tests/api/test_scenes.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import pasture
from pasture.demo_real import DEM_SOURCE
from pasture.i18n import translator

from .conftest import ARTIFACTS, OWN_UNION, PASSWORD, session_cookie

HTML = {"accept": "text/html,application/xhtml+xml"}
PAGE = "/pages/ndvi-scenes"


@pytest.fixture
def client(app_client: TestClient) -> Iterator[TestClient]:
    """The session's in-process app, signed out again after the test (others expect that)."""
    yield app_client
    app_client.cookies.clear()


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_demo_scene_is_listed_and_labelled_generated(
    client: TestClient, pages_gpkg: Path, lang: str
) -> None:
    with pasture.open_store(pages_gpkg) as store:
        scenes = store.read_rows("scenes")
    session_cookie(client, "analyst")
    html = client.get(PAGE, params={"lang": lang}).text
    t = translator(lang)
    assert f"<h1>{t('NDVI scenes')}</h1>" in html
    rows = re.findall(r"<tr data-generated=\"1\">(.*?)</tr>", html, re.S)
    assert len(rows) == len(scenes) == 8 * 23
    assert all(t("generated (not satellite data)") in r for r in rows)
    assert html.count("<tr") == len(rows) + 1  # the header row and the scenes, nothing else
    # the page says what the generated stack is: synthetic NDVI on the demo's terrain
    assert t("Generated NDVI on real terrain: not satellite data, for trying the system.") in html
    assert f"Generated NDVI on terrain: {DEM_SOURCE}" in html
    first = scenes.sort_values("date").iloc[0]
    assert t.date(first["date"]) in rows[0] and Path(first["path"]).name in rows[0]


def test_the_bar_links_the_scenes_for_the_akimat_and_analysts_and_a_union_may_open_them(
    client: TestClient,
) -> None:
    link = f'href="{PAGE}?lang=ru"'
    for user in ("akimat", "analyst"):
        session_cookie(client, user)
        assert link in client.get("/pages/plans", params={"lang": "ru"}).text
    session_cookie(client, OWN_UNION)
    assert link not in client.get(f"/unions/{OWN_UNION}", params={"lang": "ru"}).text
    # scenes hold nothing personal: any signed-in account reads them, as over the API
    assert client.get(PAGE, params={"lang": "ru"}).status_code == 200
    client.cookies.clear()
    away = client.get(PAGE, headers=HTML, follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"].startswith("/login?next=")


@pytest.mark.slow
def test_the_scene_table_scrolls_in_its_box_on_a_phone(browser: Any, live_server: str) -> None:
    width = 390
    page = browser.new_context(viewport={"width": width, "height": 844}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/pages/plans?lang=kk")
    page.fill("#username", "akimat")
    page.fill("#password", PASSWORD)
    page.click("form.jailym-login button[type=submit]")
    page.click(f"header a[href^='{PAGE}']")  # the bar's link
    page.wait_for_selector("table.jailym-scenes tbody tr")
    assert page.evaluate("document.documentElement.lang") == "kk"
    assert page.locator("table.jailym-scenes tbody tr[data-generated]").count() == 8 * 23
    # the page never scrolls sideways: the wide table scrolls inside its own box
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    box = page.evaluate(
        "(() => { const b = document.querySelector('.jailym-scroll');"
        " return [b.scrollWidth, b.clientWidth]; })()"
    )
    assert box[0] > box[1]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scenes-phone-kk.png"))
    page.context.close()
    assert errors == []
