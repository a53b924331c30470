"""The pages at a laptop's 1400×900 and a phone's 390×844 in headless Chromium: the bar never
hides a control, every control lies inside the viewport, the layer list folds on a phone,
tables scroll in their box, pinch-zoom stays allowed; screenshots go to test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ARTIFACTS, OWN_UNION, PASSWORD

pytestmark = pytest.mark.slow

SIZES = {"wide": (1400, 900), "phone": (390, 844)}
CONTROLS = "header a, header button, header select, header summary, header input"

#: Boxes of the visible controls in the bar that stick out of the viewport, or lie under the map.
_OUTSIDE = """() => {
  const w = window.innerWidth, h = window.innerHeight, out = [];
  const map = document.querySelector('.folium-map');
  const mapTop = map ? map.getBoundingClientRect().top : Infinity;
  document.querySelectorAll(SELECTOR).forEach(e => {
    const b = e.getBoundingClientRect();
    // hidden, folded (a closed <details>) or print-only: not a control on screen
    if (b.width === 0 || b.height === 0 || !e.checkVisibility()) return;
    if (b.left < 0 || b.top < 0 || b.right > w + 0.5 || b.bottom > h + 0.5 || b.bottom > mapTop + 0.5)
      out.push(`${e.tagName} "${(e.textContent || '').trim().slice(0, 30)}" ${JSON.stringify(b)}`);
  });
  return out;
}"""


def _signed_in(browser: Any, base: str, user: str, size: tuple[int, int]) -> Any:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.goto(f"{base}/login?lang=en")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("form.jailym-login button[type=submit]")
    page.wait_for_load_state()
    return page


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
@pytest.mark.parametrize("size", list(SIZES))
def test_every_control_is_reachable(
    browser: Any, live_server: str, plan_id: str, size: str, lang: str
) -> None:
    page = _signed_in(browser, live_server, "akimat", SIZES[size])
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in (
        ("overview", "/maps/overview"),
        ("rotation", f"/plans/{plan_id}/map"),
        ("plans", "/pages/plans"),
    ):
        page.goto(f"{live_server}{path}?lang={lang}")
        page.wait_for_selector("header.jailym-bar")
        if name != "plans":  # the plots are fetched and drawn on a canvas
            page.wait_for_selector(".folium-map[data-layer-plots]", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / f"responsive-{name}-{size}-{lang}.png"))
        assert page.evaluate(_OUTSIDE.replace("SELECTOR", repr(CONTROLS))) == [], (name, size)
        viewport = page.evaluate(
            "Array.from(document.querySelectorAll('meta[name=viewport]')).map(m => m.content)"
        )
        assert viewport and all(
            "user-scalable=no" not in v and "maximum-scale" not in v for v in viewport
        )
        if name != "plans":
            folded = page.evaluate(
                "Array.from(document.querySelectorAll('.leaflet-control-layers'))"
                ".every(c => !c.classList.contains('leaflet-control-layers-expanded'))"
            )
            assert folded == (size == "phone"), (name, size)
    page.context.close()


def test_union_page_tables_scroll_in_their_box(browser: Any, live_server: str) -> None:
    page = _signed_in(browser, live_server, OWN_UNION, SIZES["phone"])
    page.goto(f"{live_server}/unions/{OWN_UNION}?lang=ru")
    page.wait_for_selector("section.jailym-content table")
    # the page itself never scrolls sideways: wide tables scroll inside their own box
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES["phone"][0]
    assert page.evaluate(_OUTSIDE.replace("SELECTOR", repr(CONTROLS))) == []
    page.screenshot(path=str(ARTIFACTS / "responsive-union-phone-ru.png"), full_page=True)
    page.context.close()


def test_pages_are_compressed(live_server: str) -> None:
    import httpx

    r = httpx.get(f"{live_server}/login?lang=kk", headers={"accept-encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip"
