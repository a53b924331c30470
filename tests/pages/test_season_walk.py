"""The akimat's season in headless Chromium, end to end, against uvicorn on a copy of the demo.

The akimat signs in, creates a plan with a changed parameter through the form, watches it
solve, opens its map and its calendar and approves it. The union signs in, sees the
approved plan's calendar, every plot its herds use on its map and in its printout, and
edits its census in the form. The akimat sees the edit in the history, and the next plan
it creates counts the changed heads. Each step leaves a screenshot in test-artifacts/.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pasture
from grazing_models.livestock import default_species_table
from pasture.i18n import translator

from .conftest import ARTIFACTS, OWN_UNION, PASSWORD, copy_pages_store, serve

pytestmark = pytest.mark.slow

SHOTS = ARTIFACTS / "season-walk"
#: A plan of the full demo reads its inputs for a while before the heuristic's own limit.
SOLVE_MS = 600_000
#: The longest a page may take to load or a control to answer.
PAGE_MS = 180_000
#: The changed parameter of the walk's first plan (the default is 0.5).
UTILISATION = "0.45"
#: Sheep the union adds to one household's census.
ADDED_SHEEP = 40


@pytest.fixture(scope="module")
def walk(pages_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A server on its own copy of the pages' store (the walk adds plans and edits a census)."""
    store = copy_pages_store(pages_gpkg, tmp_path_factory.mktemp("walk") / "demo.gpkg")
    with serve(store) as base:
        yield base, store


class Browser:
    """One person's signed-in tab, collecting script errors and the bodies the pages load."""

    def __init__(self, browser: Any, base: str, user: str, path: str, **kw: Any) -> None:
        self.base = base
        self.errors: list[str] = []
        self.responses: list[Any] = []
        context = browser.new_context(viewport={"width": 1400, "height": 900}, **kw)
        # the district's calendar and maps are drawn per request: on a busy CI machine a
        # page may take longer than playwright's 30 s default (a bound, not a wait)
        context.set_default_timeout(PAGE_MS)
        self.page = context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("response", lambda r: self.responses.append(r))
        self.page.goto(f"{base}{path}")
        self.page.wait_for_selector("form.jailym-login")  # redirected to sign in
        self.page.fill("#username", user)
        self.page.fill("#password", PASSWORD)
        self.page.click("form.jailym-login button[type=submit]")
        self.page.wait_for_url(lambda url: "/login" not in url)  # sent on to where it asked

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def seen(self) -> str:
        """What the page and the data it loaded say: its DOM and every same-site body since
        the last call (layers loaded by script, vector tiles: ids are text there too)."""
        self.page.wait_for_load_state("networkidle")
        bodies = [self.page.content()]
        for r in self.responses:
            if r.url.startswith(self.base) and r.request.method == "GET":
                try:
                    bodies.append(r.body().decode("latin-1"))
                except Exception:  # a redirect or a body the browser dropped: nothing to read
                    continue
        self.responses.clear()
        return "\n".join(bodies)

    def close(self) -> None:
        self.page.context.close()
        assert self.errors == []


def _new_plan(tab: Browser, **changed: str) -> str:
    """Fill the new-plan form (heuristic, 60 s: the limit of the whole plan, its read
    included) with ``changed`` and watch the plan solve."""
    page = tab.page
    page.goto(f"{tab.base}/pages/plans?lang=ru")
    page.click("a.jailym-button[href^='/pages/plans/new']")
    page.wait_for_selector("form.jailym-plan-form")
    # each parameter is explained in the page's language (the catalogues' "parameter" texts)
    assert "половину взять, половину оставить" in page.inner_text("form.jailym-plan-form")
    page.select_option("#solver", "heuristic")
    page.fill("#time_limit", "60")
    for name, value in changed.items():
        page.fill(f"[id='{name}']", value)
    page.click("form.jailym-plan-form button[type=submit]")
    page.wait_for_url("**/pages/plans/*")
    plan_id = page.url.split("/pages/plans/")[1].split("?")[0]
    state = page.get_attribute(".jailym-plan-state", "data-state")
    assert state in ("solving", "draft")
    if state == "solving":  # the progress list fills while the page polls
        assert page.is_visible(".jailym-progress")
        tab.shot(f"plan-{plan_id}-progress")
    page.wait_for_selector(".jailym-plan-state[data-state=draft]", timeout=SOLVE_MS)
    return plan_id


def _plan(store_path: Path, plan_id: str) -> dict[str, Any]:
    with pasture.open_store(store_path) as store:
        rows = store.read_rows("plans", where={"id": plan_id})
        assert len(rows) == 1
        return dict(rows.iloc[0])


def _used_plots(store_path: Path, plan_id: str, union: str | None = None) -> set[str]:
    with pasture.open_store(store_path) as store:
        where = {"plan_id": plan_id} | ({"union_id": union} if union else {})
        used = store.read_rows("assignments", where=where)
    return {str(p) for p in used["plot_id"].dropna() if p}


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_the_akimats_season(browser: Any, walk: tuple[str, Path]) -> None:
    base, store_path = walk

    # --- the akimat plans the season with a changed utilisation and approves it
    akimat = Browser(browser, base, "akimat", "/pages/plans?lang=ru", locale="ru-RU")
    first = _new_plan(akimat, **{"params.utilisation": UTILISATION})
    stored = _plan(store_path, first)
    assert stored["params"]["rotation"]["utilisation"] == float(UTILISATION)
    assert stored["created_by"] == "akimat"
    akimat.shot("1-plan-result")
    page = akimat.page
    page.click(f"a[href^='/plans/{first}/map']")
    page.wait_for_url(f"**/plans/{first}/map**")
    shown = akimat.seen()
    used = _used_plots(store_path, first)
    assert used and not {p for p in used if p not in shown}
    akimat.shot("2-plan-map")
    page.go_back()
    page.click(f"a[href^='/plans/{first}/chart']")
    page.wait_for_selector(".jailym-gantt svg")
    akimat.shot("3-plan-calendar")
    page.go_back()
    page.click("form[action*='/approve'] button")
    page.wait_for_selector(".jailym-plan-state[data-state=approved]")
    assert _plan(store_path, first)["state"] == "approved"
    akimat.shot("4-plan-approved")

    # --- the union sees the approved calendar, every plot its herds use, and its printout
    union = Browser(browser, base, OWN_UNION, "/me", locale="kk-KZ")
    page = union.page
    page.wait_for_url(f"**/unions/{OWN_UNION}**")
    assert page.get_attribute(f"a[href^='/plans/{first}/map']", "href")  # the approved plan
    theirs = _used_plots(store_path, first, OWN_UNION)
    assert theirs
    shown = union.seen()
    assert not {p for p in theirs if p not in shown}
    calendar = page.inner_text(".jailym-content")
    assert f"{first} ({translator('kk')('approved')})" in calendar
    assert all(p in calendar for p in theirs)  # the plain list names every plot
    union.shot("5-union-page")
    page.emulate_media(media="print")
    printed = page.pdf(format="A4")
    page.emulate_media(media="screen")
    (SHOTS / "6-union-print.pdf").write_bytes(printed)
    text = _pdf_text(printed)
    assert not {p for p in theirs if p not in text}

    # --- the union edits one household's census in the form
    page.click(f"a[href^='/unions/{OWN_UNION}/census']")
    page.wait_for_selector("table.jailym-census")
    row = page.locator("table.jailym-census tbody tr").first
    record = str(row.locator("input[name=record]").get_attribute("value"))
    sheep = row.locator("input[name=sheep]")
    before = int(sheep.input_value())
    version = int(str(row.locator("input[name=version]").get_attribute("value")))
    sheep.fill(str(before + ADDED_SHEEP))
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    with pasture.open_store(store_path) as store:
        saved = store.read("census", ids=[record]).iloc[0]
    assert int(saved["sheep"]) == before + ADDED_SHEEP and int(saved["version"]) == version + 1
    assert page.locator("table.jailym-census input[name=sheep]").first.input_value() == str(
        before + ADDED_SHEEP
    )
    union.shot("7-union-census")
    union.close()

    # --- the akimat sees the edit in the history and the next plan counts it
    page = akimat.page
    page.goto(f"{base}/pages/plans?lang=ru")
    page.click("header a[href^='/pages/history']")
    page.wait_for_selector("table.jailym-history")
    edit = page.locator(f"table.jailym-history tr:has(a:text-is('{record}'))").first
    text = edit.inner_text()
    assert OWN_UNION in text and f"{before} → {before + ADDED_SHEEP}" in text
    akimat.shot("8-history")
    second = _new_plan(akimat)
    akimat.shot("9-next-plan")
    akimat.close()
    a, b = _plan(store_path, first)["summary"], _plan(store_path, second)["summary"]
    per_sheep = float(default_species_table().sheep_units["sheep"])
    assert b["sheep_units"] - a["sheep_units"] == pytest.approx(ADDED_SHEEP * per_sheep)
    assert b["livestock"]["census_date"][OWN_UNION] == str(saved["date"])[:10]
