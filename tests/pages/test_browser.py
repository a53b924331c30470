"""The pages in headless Chromium against uvicorn: login, plots drawn, legend, weeks, scope, language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import pasture
from pasture.maps.page import SNAP_LEVELS

from .conftest import ARTIFACTS, FOREIGN_UNION, OWN_UNION, PASSWORD

PLOTS = "document.querySelectorAll('.leaflet-overlay-pane path.pasture-plot').length"

pytestmark = pytest.mark.slow


def _page(browser: Any, base: str, outside: list[str], errors: list[str], **kw: Any) -> Any:
    context = browser.new_context(viewport={"width": 1200, "height": 800}, **kw)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith((base, "data:")) else None,
    )
    return page


def _login(page: Any, base: str, user: str, path: str) -> None:
    page.goto(f"{base}{path}")
    page.wait_for_selector("form.jailym-login")  # redirected to the login page
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("form.jailym-login button[type=submit]")


def test_overview_after_login(browser: Any, live_server: str, pages_gpkg: Path) -> None:
    with pasture.open_store(pages_gpkg) as store:
        n_plots = store.count("plots")
        day = store.read_rows("scenes")["date"].max().date().isoformat()
    outside: list[str] = []
    errors: list[str] = []
    page = _page(browser, live_server, outside, errors)
    _login(page, live_server, "akimat", f"/maps/overview?lang=ru&shade=load&ndvi={day}")
    # the page carries no plots: its script fetches the view's from /layers/plots
    # and marks the map with how many it drew (on a canvas)
    page.wait_for_selector(".folium-map[data-layer-plots]", timeout=30_000)
    assert page.get_attribute(".folium-map", "data-layer-plots") == str(n_plots)
    assert page.evaluate("document.querySelectorAll('.leaflet-overlay-pane canvas').length") >= 1
    assert page.get_attribute(".folium-map", "data-layer-plots-error") is None
    assert page.evaluate("document.documentElement.lang") == "ru"
    assert page.inner_text("header h1") == "Обзор пастбищ"
    assert page.is_visible(".pasture-legend")
    assert page.is_visible(".leaflet-control-layers")
    credit = page.inner_text(".leaflet-control-attribution")
    # no basemap here: the credit line is the data's own (OSM, KATO, SRTM; generated), and
    # the NDVI layer's, of generated scenes
    sources = ("© OpenStreetMap contributors", "KATO classifier", "NASA SRTM", "(демо)")
    for source in (*sources, "NDVI (вегетационный индекс): сгенерирован (не спутниковые"):
        assert source in credit, credit
    page.wait_for_selector("img.leaflet-tile-loaded", state="attached", timeout=30_000)
    tiles = page.evaluate(
        "Array.from(document.querySelectorAll('img.leaflet-tile-loaded')).map(i => i.src)"
    )
    assert any(f"/tiles/ndvi/{day}/" in t for t in tiles)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pages-overview-ru.png"))
    page.context.close()
    assert errors == [] and outside == []


def test_overview_season_filter_draws_only_that_seasons_plots(
    browser: Any, live_server: str, pages_gpkg: Path
) -> None:
    from pasture.model import parse_seasons

    with pasture.open_store(pages_gpkg) as store:
        seasons = [parse_seasons(s) for s in store.read("plots")["seasons"]]
    drawn = {}
    page = _page(browser, live_server, [], [])
    _login(page, live_server, "akimat", "/maps/overview?lang=en")
    for season in ("winter", "summer"):
        page.goto(f"{live_server}/maps/overview?lang=en&season={season}&shade=load")
        page.wait_for_selector(".folium-map[data-layer-plots]", timeout=30_000)
        drawn[season] = int(page.get_attribute(".folium-map", "data-layer-plots") or -1)
        assert drawn[season] == sum(season in s for s in seasons)
    assert drawn["winter"] != drawn["summer"]
    page.context.close()


#: The last plot layer the page asked for (bbox, zoom) and the map's view then.
_ASKED = """() => {
    const names = performance.getEntriesByType("resource").map((r) => r.name)
        .filter((n) => n.includes("/layers/plots?"));
    const u = new URL(names[names.length - 1]), map = window.pastureRotation.layer._map;
    const b = map.getBounds();
    return {bbox: u.searchParams.get("bbox").split(",").map(Number),
            zoom: Number(u.searchParams.get("zoom")), mapZoom: map.getZoom(),
            view: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]}; }"""


def test_week_selector_changes_grazed_plots(
    browser: Any, live_server: str, plan_id: str, pages_gpkg: Path
) -> None:
    with pasture.open_store(pages_gpkg) as store:
        n_plots = store.count("plots")
    outside: list[str] = []
    errors: list[str] = []
    page = _page(browser, live_server, outside, errors)
    _login(page, live_server, "akimat", f"/plans/{plan_id}/map?lang=en")
    # the page carries no plots: its script fetches those in view with their weeks from
    # /layers/plots?plan=… and draws them (on a canvas the week selector restyles)
    page.wait_for_selector(".folium-map[data-layer-plots]", timeout=60_000)
    drawn = int(page.get_attribute(".folium-map", "data-layer-plots") or -1)
    assert 0 < drawn <= n_plots
    assert page.get_attribute(".folium-map", "data-layer-plots-error") is None
    assert page.evaluate("window.pastureRotation.layer.getLayers().length") == drawn
    # it asked for its view widened by at most a quarter tile of the zoom a side
    asked = page.evaluate(_ASKED)
    step = 360 / 2 ** (asked["zoom"] + SNAP_LEVELS) + 1e-5
    (w, s, e, n), (vw, vs, ve, vn) = asked["bbox"], asked["view"]
    assert asked["zoom"] == asked["mapZoom"]
    assert w <= vw + 1e-5 and s <= vs + 1e-5 and e >= ve - 1e-5 and n >= vn - 1e-5
    assert vw - w <= step and vs - s <= step and e - ve <= step and n - vn <= step
    assert page.evaluate("document.querySelectorAll('.leaflet-overlay-pane canvas').length") >= 1
    from pasture.maps.style import NOT_USED_COLOUR, OUT_OF_SEASON_COLOUR, RESTING_COLOUR

    idle = (RESTING_COLOUR, OUT_OF_SEASON_COLOUR, NOT_USED_COLOUR)
    skip = "[" + ", ".join(f"'{c.lower()}'" for c in idle) + "]"
    # each plot's fill as drawn on the canvas: the style the week selector gave it
    grazed = """() => { const out = []; const skip = new Set(SKIP);
        window.pastureRotation.layer.eachLayer((l) => {
            const f = (l.options.fillColor || '').toLowerCase();
            if (!skip.has(f) && f !== 'none') out.push(l.feature.id); });
        return out.sort().join(','); }""".replace("SKIP", skip)
    first = page.evaluate(grazed)
    options = page.evaluate("document.querySelectorAll('select.pasture-week-select option').length")
    assert options > 5
    page.select_option("select.pasture-week-select", str(options // 2))
    later = page.evaluate(grazed)
    assert first and later and first != later
    # the week's moves are drawn from the fetched plots' centres
    assert page.evaluate("window.pastureRotation.moves.getLayers().length") > 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pages-rotation.png"))
    page.context.close()
    assert errors == [] and outside == []


def test_union_page_holds_only_its_plots(browser: Any, live_server: str, pages_gpkg: Path) -> None:
    with pasture.open_store(pages_gpkg) as store:
        own = store.count("plots", where={"union_id": OWN_UNION})
    outside: list[str] = []
    errors: list[str] = []
    page = _page(browser, live_server, outside, errors, locale="kk-KZ")
    _login(page, live_server, OWN_UNION, "/me")
    page.wait_for_selector("path.pasture-plot", state="attached", timeout=30_000)
    assert page.url.startswith(f"{live_server}/unions/{OWN_UNION}")
    assert page.evaluate(PLOTS) == own
    assert page.evaluate("document.documentElement.lang") == "kk"
    assert "Жайылу күнтізбесі" in page.inner_text(".jailym-content")
    assert page.is_visible(".pasture-legend")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pages-union-kk.png"), full_page=True)
    page.emulate_media(media="print")
    page.pdf(path=str(ARTIFACTS / "pages-union-print.pdf"), format="A4")
    page.emulate_media(media="screen")
    response = page.goto(f"{live_server}/unions/{FOREIGN_UNION}")
    assert response is not None and response.status == 404
    assert FOREIGN_UNION + "-herd" not in page.content()
    page.context.close()
    assert errors == [] and outside == []


#: The herd labels on the map; a label taken off is set to opacity 0 and fades out (Leaflet).
_LABEL_BOXES = """Array.from(document.querySelectorAll('.pasture-herd-label'))
    .filter(e => e.style.opacity !== '0').map(e => {
    const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""

_MAP_BOX = """(() => { const r = document.querySelector('.folium-map').getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom]; })()"""

#: Put a plot the week's herds share 40 px from the map's right edge, at zoom 14.
_SHARED_AT_EDGE = """() => { const R = window.pastureRotation, map = R.layer._map, i = R.current();
    let c = null; R.layer.eachLayer(l => { const p = l.feature.properties;
        if (!c && p.c && R.herdsAt(p, i).length > 1) c = p.c; });
    if (!c) return false;
    map.setView(c, 14, {animate: false});
    map.panBy([-(map.getSize().x / 2 - 40), 0], {animate: false});
    return true; }"""

_CLOSE_IN = """() => { const R = window.pastureRotation, i = R.current(); let out = null;
    R.layer.eachLayer(l => { const p = l.feature.properties, h = R.herdsAt(p, i);
        if (!out && h.length === 1 && p.c) out = {c: p.c, name: R.herds[h[0]].s || R.herds[h[0]].n}; });
    R.layer._map.setView(out.c, 16, {animate: false});
    return out.name; }"""


def test_herd_labels_stay_legible_for_a_thousand_herds(
    browser: Any, live_server: str, plan_id: str, pages_gpkg: Path
) -> None:
    from pasture.maps.week_selector import LABEL_LIMIT

    with pasture.open_store(pages_gpkg) as store:
        n_herds = store.read_rows("plan_herds", where={"plan_id": plan_id})["herd_id"].nunique()
    assert n_herds > LABEL_LIMIT  # the demo's union herds and village flocks
    errors: list[str] = []
    page = _page(browser, live_server, [], errors)
    _login(page, live_server, "akimat", f"/plans/{plan_id}/map?lang=en")
    page.wait_for_selector(".folium-map[data-layer-plots]", timeout=60_000)
    # the default view (the week's grazed plots framed): a bounded number of labels, none
    # over another
    boxes = page.evaluate(_LABEL_BOXES)
    assert len(boxes) <= LABEL_LIMIT
    # every label whole inside the map (a plot shared by several herds once ran past its edge)
    left, top, right, bottom = page.evaluate(_MAP_BOX)
    for box in boxes:
        assert (
            left - 1 <= box[0]
            and box[2] <= right + 1
            and top - 1 <= box[1]
            and box[3] <= bottom + 1
        ), box
    for k, a in enumerate(boxes):
        for b in boxes[k + 1 :]:
            apart = a[2] <= b[0] + 1 or b[2] <= a[0] + 1 or a[3] <= b[1] + 1 or b[3] <= a[1] + 1
            assert apart, (a, b)
    # a plot several herds share, near the map's right edge: no label runs past it
    assert page.evaluate(_SHARED_AT_EDGE), "no plot shared by two herds in the week shown"
    page.wait_for_load_state("networkidle")
    left, top, right, bottom = page.evaluate(_MAP_BOX)
    for box in page.evaluate(_LABEL_BOXES):
        assert left - 1 <= box[0] and box[2] <= right + 1, box
    # close in on a grazed plot: its herd's name is on the map
    name = page.evaluate(_CLOSE_IN)
    page.wait_for_function(
        "name => Array.from(document.querySelectorAll('.pasture-herd-label'))"
        ".some(e => e.textContent === name)",
        arg=name,
        timeout=30_000,
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pages-rotation-labels.png"))
    page.context.close()
    assert errors == []


#: Close in on one grazed plot; return a herd none of whose plots the layer now holds.
_HERD_AWAY = """async () => { const R = window.pastureRotation, map = R.layer._map;
    let c = null; R.layer.eachLayer(l => { if (!c && l.feature.properties.c) c = l.feature.properties.c; });
    await new Promise(done => { R.layer.once("pasture:loaded", done); map.setView(c, 17, {animate: false}); });
    const near = new Set(), weeks = R.weeks();
    R.layer.eachLayer(l => { for (let i = 0; i < weeks; i++) R.herdsAt(l.feature.properties, i).forEach(h => near.add(h)); });
    const h = R.herds.findIndex((_, k) => !near.has(k));
    return h < 0 ? null : R.herds[h].n; }"""

#: Whether the week shown has a plot of the herd named, with its centre in view.
_HERD_IN_VIEW = """name => { const R = window.pastureRotation, map = R.layer._map, i = R.current();
    const h = R.herds.findIndex(x => x.n === name); let found = false;
    R.layer.eachLayer(l => { const p = l.feature.properties;
        if (p.c && R.herdsAt(p, i).includes(h) && map.getBounds().contains(p.c)) found = true; });
    return found; }"""


def test_herd_search_widens_to_the_plan_when_the_view_holds_none_of_its_plots(
    browser: Any, live_server: str, plan_id: str
) -> None:
    errors: list[str] = []
    page = _page(browser, live_server, [], errors)
    _login(page, live_server, "akimat", f"/plans/{plan_id}/map?lang=en")
    page.wait_for_selector(".folium-map[data-layer-plots]", timeout=60_000)
    name = page.evaluate(_HERD_AWAY)
    assert name, "every herd grazes near the first plot: no herd to look for outside the view"
    assert not page.evaluate(_HERD_IN_VIEW, name)
    page.fill(".pasture-herd-search", name)
    page.dispatch_event(".pasture-herd-search", "change")
    # the page fetches the plan's whole extent, then frames the first week the herd grazes
    page.wait_for_function(_HERD_IN_VIEW, arg=name, timeout=60_000)
    page.context.close()
    assert errors == []
