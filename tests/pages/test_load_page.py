"""The load page on the demo store: both statuses side by side, counted as the API counts
them, the law's unused rule quoted and its count explained, in kk/ru; a union sees only
its own rows, an analyst sees the API's withheld rows withheld."""

from __future__ import annotations

import html as htmllib
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import pasture
from grazing_models.norms import UNUSED_WORDING
from pasture.i18n import translator
from pasture.science.tables import table_frame
from pasture_api.main import create_app
from pasture_api.settings import Settings

from .conftest import OWN_UNION, session_cookie, settings

PAGE = "/pages/load"
#: A plan id in the page (``pasture.planning`` names plans so).
PLAN_ID = re.compile(r"\bplan-[0-9A-Za-z-]+")


@pytest.fixture
def client(app_client: TestClient) -> Iterator[TestClient]:
    yield app_client
    app_client.cookies.clear()


def _api_rows(client: TestClient, user: str, level: str) -> list[dict[str, Any]]:
    """``GET /science/load`` as ``user`` (the page session's token as a bearer token)."""
    token = session_cookie(client, user)["jailym_session"]
    client.cookies.clear()
    response = client.get(
        "/science/load", params={"level": level}, headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return list(response.json()["load"])


def _page(client: TestClient, user: str, **params: str) -> str:
    session_cookie(client, user)
    response = client.get(PAGE, params=params)
    assert response.status_code == 200, response.text
    return response.text


def _table_counts(html: str, attribute: str) -> dict[str, int]:
    """The summary table's counts: ``<tr data-status="x"><td>..</td><td class="num">n``."""
    found = re.findall(rf'<tr {attribute}="([^"]+)"><td>[^<]*</td><td class="num">(\d+)</td>', html)
    return {k: int(n) for k, n in found}


@pytest.mark.parametrize("level", ["okrug", "union", "plot"])
def test_the_counts_of_both_statuses_are_the_apis(client: TestClient, level: str) -> None:
    rows = _api_rows(client, "akimat", level)
    html = _page(client, "akimat", level=level, lang="ru")
    assert _table_counts(html, "data-status") == dict(Counter(r["status"] for r in rows))
    assert _table_counts(html, "data-norm") == dict(
        Counter(r["norm_status"] or "unknown" for r in rows)
    )


def test_the_unused_rule_is_quoted_and_its_count_explained(client: TestClient) -> None:
    rows = _api_rows(client, "akimat", "plot")
    html = _page(client, "akimat", level="plot", lang="ru")
    # the law's words in the page's language, its own Russian quoted verbatim
    assert htmllib.escape(translator("ru")(UNUSED_WORDING), quote=False) in html
    assert "«менее пятидесяти процентов от предельно допустимой нормы нагрузки»" in html
    # the plan the rows took their livestock from (their plan_id) is named, or that there
    # was none (this store's load was computed before its plan)
    plans = {r["plan_id"] for r in rows if r["plan_id"]}
    assert set(PLAN_ID.findall(html.split("<h2>", 1)[0])) == plans
    no_plan = translator("ru")(
        "Livestock on the plots: no plan of the season; the households' livestock near their "
        "village only."
    )
    assert (no_plan in html) == (not plans)
    # an okrug's rows sum their plots': the page names the same plans at every level
    okrugs = _page(client, "akimat", level="okrug", lang="ru")
    assert set(PLAN_ID.findall(okrugs.split("<h2>", 1)[0])) == plans
    assert (no_plan in okrugs) == (not plans)
    unused = [r for r in rows if r["norm_status"] == "unused"]
    empty = sum(1 for r in unused if not r["demand_kg"])
    figures = re.search(r'data-unused="(\d+)" data-empty="(\d+)" data-some="(\d+)"', html)
    assert figures is not None
    assert tuple(map(int, figures.groups())) == (len(unused), empty, len(unused) - empty)
    # plots the plan grazes carry load: the law's count is not "almost every plot"
    carrying = [r for r in rows if (r["demand_kg"] or 0) > 0]
    assert carrying and len(unused) < len(rows)
    # the most loaded plot against the norm comes first
    first = re.search(r'<tr data-id="([^"]+)" data-status=', html)
    assert first is not None
    top = max(carrying, key=lambda r: r["norm_load"] or 0)
    assert first.group(1) == top["group_id"]


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_statuses_and_reasons_read_in_the_pages_language(client: TestClient, lang: str) -> None:
    t = translator(lang)
    html = _page(client, "akimat", level="union", lang=lang)
    assert f"<h1>{t('Load against the norm and against forage')}</h1>" in html
    for english in ("livestock outside", "Land Code", "as transcribed in a public data file"):
        assert english not in html
    cells = re.findall(
        r'<tr data-id="[^"]+" data-status="([^"]+)" data-norm="([^"]+)">(.*?)</tr>', html, re.S
    )
    assert cells
    for status, norm, row in cells:
        assert t.pgettext("load", status) in row and t.pgettext("load", norm) in row
        # no English status word or reason in a Kazakh or Russian row
        for english in (
            "underused",
            "overloaded",
            "over the norm",
            "within the norm",
            "forage feeds",
        ):
            assert english not in row


def test_a_union_sees_only_its_own_rows(client: TestClient) -> None:
    own = {r["group_id"] for r in _api_rows(client, OWN_UNION, "plot")}
    html = _page(client, OWN_UNION, level="plot", lang="ru")
    shown = set(re.findall(r'<tr data-id="([^"]+)"', html))
    assert shown and shown <= own
    html = _page(client, OWN_UNION, level="union", lang="ru")
    assert set(re.findall(r'<tr data-id="([^"]+)"', html)) == {OWN_UNION}


def test_an_analyst_sees_withheld_rows_withheld(pages_gpkg: Path) -> None:
    """With a minimum group no union reaches, every land-user row is withheld from the
    analyst, on the page as in the API; the akimat still sees every figure."""
    t = translator("ru")
    strict = Settings(  # type: ignore[call-arg]
        _env_file=None, store=str(pages_gpkg), basemap_url="", census_min_group=1_000_000
    )
    with TestClient(create_app(strict)) as client:
        rows = _api_rows(client, "analyst", "union")
        withheld = [r for r in rows if r.get("suppressed")]
        assert withheld and all(r["demand_kg"] is None for r in withheld)
        html = _page(client, "analyst", level="union", lang="ru")
        marked = len(re.findall(re.escape(t("withheld (privacy)")), html))
        assert marked == len(withheld)
        assert t("withheld (privacy)") not in _page(client, "akimat", level="union", lang="ru")


def test_the_plan_is_read_from_the_rows_plan_id(pages_gpkg: Path, tmp_path: Path) -> None:
    """The page names the plan each row stores in ``plan_id``, whatever ``load_source``
    says (a stored English sentence is no source of state)."""
    from tests.api.conftest import copy_store

    path = copy_store(pages_gpkg, tmp_path / "demo.gpkg")
    with pasture.open_store(path) as store:
        plan = str(store.read_rows("plans")["id"].iloc[0])
        rows = store.read_rows("load")
        rows = rows.assign(plan_id=plan, load_source="the plan of the season")
        store.replace_rows("load", table_frame("load", rows), where={"year": int(rows["year"][0])})
    with TestClient(create_app(settings(path))) as c:
        for level in ("plot", "okrug"):
            head = _page(c, "akimat", level=level, lang="en").split("<h2>", 1)[0]
            assert set(PLAN_ID.findall(head)) == {plan}
