"""A union's page shows every plot its herds use, own and public, and prints where they are."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import pasture
from tests.maps.helpers import layers

from .conftest import FOREIGN_UNION, OWN_UNION, session_cookie

_REMOTE = re.compile(r"/\* pasture-remote-layer: (\w+) \*/.*?var url = (\"[^\"]*\")", re.S)


def _remote(client: TestClient, html: str) -> dict[str, dict[str, Any]]:
    """The layers the page fetches, by role, as it asks for them (the map's extent)."""
    extent = json.loads(re.findall(r"var extent = (\[[^\]]*\]);", html)[0])
    box = ",".join(f"{v:.5f}" for v in extent)
    out = {}
    for role, url in _REMOTE.findall(html):
        r = client.get(f"{json.loads(url)}&bbox={box}&zoom=12")
        assert r.status_code == 200, r.text
        out[role] = r.json()
    return out


@pytest.fixture(autouse=True)
def _signed_out(app_client: TestClient) -> Iterator[None]:
    yield
    app_client.cookies.clear()


def test_union_map_and_print_carry_every_plot_its_herds_use(
    app_client: TestClient, plan_id: str, pages_gpkg: Path
) -> None:
    with pasture.open_store(pages_gpkg) as store:
        used = store.read_rows("assignments", where={"plan_id": plan_id, "union_id": OWN_UNION})
        plots = store.read("plots")
    used_ids = {str(p) for p in used["plot_id"].dropna() if p}
    owner = dict(zip(plots["id"], plots["union_id"], strict=True))
    public = {p for p in used_ids if owner[p] != OWN_UNION}
    assert public, "the demo's Akshi herds graze public plots"
    session_cookie(app_client, OWN_UNION)
    page = app_client.get(f"/unions/{OWN_UNION}", params={"plan": plan_id, "lang": "ru"}).text
    drawn = layers(page)
    assert "used_plots" not in drawn and "plots" not in drawn  # fetched, not carried
    fetched = _remote(app_client, page)
    on_map = {f["id"] for f in fetched["used_plots"]["features"]}
    assert on_map == public  # every public plot its herds use, and no other union's idle plot
    own = {f["id"] for f in fetched["plots"]["features"]}
    assert own == {p for p, u in owner.items() if u == OWN_UNION}
    assert drawn["herd_paths"]["features"]  # the herds' paths between their plots
    # a union asks only for its own: another union's plots answer as a missing union
    url = f"/layers/plots?union={FOREIGN_UNION}&bbox=70,40,90,50&zoom=10"
    assert app_client.get(url).status_code == 404
    assert app_client.get(url + f"&used_in={plan_id}").status_code == 404
    # the print lists each used plot with its centre and nearest water point
    for pid in used_ids:
        assert f"<td>{pid} " in page, pid
    assert "Ближайший водопой" in page and 'class="pasture-locator"' in page
    # the calendar as a Gantt: a file of its own the page loads when scrolled to
    assert '<div class="jailym-scroll jailym-gantt"><img src="/unions/' in page
    gantt = page.split('<div class="jailym-scroll jailym-gantt">', 1)[1].split("</div>", 1)[0]
    assert "<svg" not in gantt


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("union=no-such-union", "no-such-union"),
        ("union=no-such-union&used_in={plan}", "no-such-union"),
        (f"union={OWN_UNION}&used_in=no-such-plan", "no-such-plan"),
        ("plan=no-such-plan", "no-such-plan"),
    ],
)
def test_an_unknown_union_or_plan_is_a_problem_naming_it(
    app_client: TestClient, plan_id: str, query: str, named: str
) -> None:
    # the akimat sees every union: it once got an empty map for a mistyped one
    session_cookie(app_client, "akimat")
    url = f"/layers/plots?{query.format(plan=plan_id)}&bbox=70,40,90,50&zoom=10"
    r = app_client.get(url)
    assert r.status_code == 404, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert repr(named) in r.json()["detail"]
    # the same request for what exists answers the map
    known = url.replace("no-such-union", OWN_UNION).replace("no-such-plan", plan_id)
    assert app_client.get(known).status_code == 200


_CHART_SRC = re.compile(r'jailym-gantt"><img src="([^"]+)"')


def test_union_gantt_is_its_own_file_in_every_print_size(
    app_client: TestClient, plan_id: str
) -> None:
    session_cookie(app_client, OWN_UNION)
    page = app_client.get(f"/unions/{OWN_UNION}", params={"plan": plan_id, "lang": "ru"}).text
    (src,) = _CHART_SRC.findall(page)
    src = src.replace("&amp;", "&")
    assert f"plan={plan_id}" in src and "lang=ru" in src
    svg = app_client.get(src)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text and f"{FOREIGN_UNION}-herd" not in svg.text  # its own herds only
    assert svg.headers["cache-control"] == "private"
    for paper in ("a4", "a3"):  # the page links the print sizes, as the plan's calendar does
        assert f"f=pdf&amp;paper={paper}" in page
        pdf = app_client.get(src.replace("f=svg", f"f=pdf&paper={paper}"))
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    a3 = app_client.get(src.replace("f=svg", "f=png&paper=a3"))
    a4 = app_client.get(src.replace("f=svg", "f=png&paper=a4"))
    assert a3.content.startswith(b"\x89PNG") and len(a3.content) > len(a4.content)
    # the page's access rules: another union's chart answers as a missing union
    other = app_client.get(f"/unions/{FOREIGN_UNION}/chart", params={"plan": plan_id})
    assert other.status_code == 404 and other.headers["content-type"] == "application/problem+json"
    unknown = app_client.get(f"/unions/{OWN_UNION}/chart", params={"plan": "no-such-plan"})
    assert unknown.status_code == 404 and "no-such-plan" in unknown.json()["detail"]
    app_client.cookies.clear()
    signed_out = app_client.get(src, follow_redirects=False)
    assert signed_out.status_code in (303, 401)
