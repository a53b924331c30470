"""Census privacy on both stores: totals pass the threshold and (n, k) dominance rules,
and no route an analyst reaches carries a household identifier."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pandas as pd
import pytest
from docx import Document
from fastapi.routing import APIRoute
from openpyxl import load_workbook
from pypdf import PdfReader

from pasture.disclosure import DisclosureRules, dominated
from pasture.model import SPECIES

from .conftest import Hostile, api_routes, checksum, concrete_paths

UNION = "upu-akshi"
DOMINATED_DAY = "2004-04-04"  # census dates only this module writes
SMALL_DAY = "2005-05-05"
LATEST_DAY = "2026-06-01"  # after the demo's census: the union page's latest


def _census(households: list[str], day: str, counts: list[dict[str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": f"{h}/{day}",
                "household_id": h,
                "union_id": UNION,
                "date": day,
                **{s: c.get(s, 0) for s in SPECIES},
                "source": "test",
            }
            for h, c in zip(households, counts, strict=True)
        ]
    )


@pytest.fixture(scope="module")
def groups(hostile: Hostile) -> list[str]:
    """A group of four households where one holds almost all horses, and one of two."""
    members = hostile.store.read("households", where={"union_id": UNION})["id"].tolist()[:4]
    four = [{"sheep": 10, "horses": 1}] * 3 + [{"sheep": 10, "horses": 97}]
    hostile.store.write("census", _census(members, DOMINATED_DAY, four), user="test")
    two = [{"sheep": 5}, {"sheep": 6}]
    hostile.store.write("census", _census(members[:2], SMALL_DAY, two), user="test")
    return members


def _group(hostile: Hostile, user: str, day: str) -> dict[str, Any]:
    totals = hostile.client.get("/census/totals", headers=hostile.token(user))
    assert totals.status_code == 200, totals.text
    return next(t for t in totals.json() if t["union_id"] == UNION and t["date"] == day)


@pytest.mark.parametrize("user", ["analyst", "akimat", UNION])
def test_a_count_one_household_dominates_is_suppressed(
    hostile: Hostile, groups: list[str], user: str
) -> None:
    group = _group(hostile, user, DOMINATED_DAY)
    # one household holds 97 of the 100 horses: above k = 75 % at n = 1
    assert group["horses"] is None and group["suppressed_by"] == {"horses": "dominance"}
    assert group["suppressed"] is True and group["households"] == 4
    # the sheep are spread evenly: published
    assert group["sheep"] == 40 and group["goats"] == 0


def test_a_small_group_is_suppressed_whole_and_marked_the_same_way(
    hostile: Hostile, groups: list[str]
) -> None:
    group = _group(hostile, "analyst", SMALL_DAY)
    assert group["suppressed"] is True and group["households"] == 2
    assert group["suppressed_by"] == dict.fromkeys(SPECIES, "threshold")
    assert all(group[s] is None for s in SPECIES)


def test_the_dominance_parameters_are_settings(hostile: Hostile, groups: list[str]) -> None:
    app: Any = hostile.client.app
    configured = app.state.settings
    try:  # n = 1, k = 98 %: 97 of 100 no longer dominates
        app.state.settings = configured.model_copy(update={"census_dominance_k": 98.0})
        assert _group(hostile, "analyst", DOMINATED_DAY)["horses"] == 100
        # n = 2, k = 98 %: the two largest hold 98 of 100, still not more than 98
        app.state.settings = configured.model_copy(
            update={"census_dominance_n": 2, "census_dominance_k": 97.5}
        )
        assert _group(hostile, "analyst", DOMINATED_DAY)["horses"] is None
    finally:
        app.state.settings = configured


def test_the_union_page_shows_the_same_protected_totals(
    hostile: Hostile, groups: list[str]
) -> None:
    """The union page's census table is the latest group's protected totals: a dash
    where a count is withheld."""
    latest = [{"sheep": 10, "horses": 1}] * 3 + [{"sheep": 10, "horses": 97}]
    hostile.store.write("census", _census(groups, LATEST_DAY, latest), user="test")
    hostile.client.cookies.clear()
    signed = hostile.client.post(
        "/login", data={"username": "analyst", "password": "demo"}, follow_redirects=False
    )
    assert signed.status_code == 303
    page = hostile.client.get(f"/unions/{UNION}?lang=en")
    assert page.status_code == 200, page.text[:300]
    table = page.text.split("<h2>Livestock census</h2>", 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", table, flags=re.S)
    # date, households, then one cell per species in SPECIES order
    shown = dict(zip(SPECIES, [c.strip() for c in cells[2:]], strict=True))
    assert cells[1].strip() == "4" and shown == {
        **dict.fromkeys(SPECIES, "0"),
        "sheep": "40",
        "horses": "—",
    }


def test_dominance_is_strictly_more_than_k() -> None:
    assert dominated([75, 25], 1, 75) is False  # exactly k: not more than k
    assert dominated([76, 24], 1, 75) is True
    assert dominated([40, 40, 20], 2, 75) is True and dominated([40, 40, 20], 1, 75) is False
    assert dominated([0, 0, 0], 1, 75) is False  # nothing to reveal in a zero count
    with pytest.raises(ValueError, match="percentage"):
        DisclosureRules(dominance_k=0)


# --- no household identifier on any route an analyst reaches ---------------------------


#: Sample values of the query parameters a GET route requires (a route whose required
#: parameter has none here fails the sweep rather than being answered 422 unread).
def _query_samples(hostile: Hostile, samples: dict[str, list[str]]) -> dict[str, str]:
    west, south, east, north = hostile.store.read("plots").to_crs(4326).total_bounds
    return {
        "bbox": f"{west},{south},{east},{north}",
        "zoom": "12",
        "year": "2032",  # the year of the plan the samples draft
        "a": samples["plan_id"][0],
        "b": samples["plan_id"][-1],
    }


#: Every file format a route offers (one sample list for every ``{fmt}``: a route
#: answers 404 or 422 to the ones it does not offer).
FORMATS = ["kml", "geojson", "csv", "xlsx", "pdf", "docx"]

#: Mounted folders of static files (Leaflet, the API viewer's scripts): the package's
#: own assets, nothing from the store.
STATIC_MOUNTS = {"/static/leaflet", "/static/docs"}
_TOKEN = re.compile(r"[\w.-]+")
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _leaves(routes: list[Any]) -> Iterator[Any]:
    """Every route, through the included routers (as ``api_routes``, without the filter)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from _leaves(inner.routes) if inner is not None else (route,)


def _get_templates(app: Any) -> list[tuple[str, list[str]]]:
    """Every GET route of the app with its required query parameters; fails on any route
    it cannot fetch (so a new kind of route is not skipped unnoticed)."""
    from starlette.routing import Mount

    routes = []
    for route in api_routes(app):
        if "GET" in route.methods:
            required = [q.name for q in route.dependant.query_params if q.field_info.is_required()]
            routes.append((route.path, required))
    others = {
        getattr(r, "path", repr(r))
        for r in _leaves(app.router.routes)
        if not isinstance(r, APIRoute) and not (isinstance(r, Mount) and r.path in STATIC_MOUNTS)
    }
    assert not others, f"routes the sweep does not know how to fetch: {sorted(others)}"
    return sorted(routes)


def _text(response: Any) -> str:
    """What a person could read in the answer: a PDF's or DOCX's or XLSX's text, or the body."""
    kind = response.headers.get("content-type", "").split(";")[0]
    if kind == "application/pdf":
        pages = PdfReader(io.BytesIO(response.content)).pages
        return "\n".join(p.extract_text() for p in pages)
    if kind == _DOCX:
        doc = Document(io.BytesIO(response.content))
        cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in doc.paragraphs] + cells)
    if kind == _XLSX:
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row
        )
    if kind.startswith("image/"):
        return response.content.decode("latin-1")  # an id in a metadata chunk
    return str(response.text)


def test_no_route_an_analyst_reaches_names_a_household(
    hostile: Hostile, samples: dict[str, list[str]]
) -> None:
    households = set(hostile.store.read("households")["id"].astype(str))
    hostile.client.cookies.clear()
    signed = hostile.client.post(
        "/login", data={"username": "analyst", "password": "demo"}, follow_redirects=False
    )
    assert signed.status_code == 303
    bearer = hostile.token("analyst")
    app: Any = hostile.client.app
    queries = _query_samples(hostile, samples)
    read: dict[str, int] = {}
    before = checksum(hostile.store)
    for template, required in _get_templates(app):
        missing = set(required) - set(queries)
        assert not missing, f"{template}: no sample value for query parameter(s) {missing}"
        query = "&".join(f"{k}={quote(queries[k])}" for k in required)
        for path in concrete_paths(template, {**samples, "fmt": FORMATS}):
            variants = ("", "f=html") if path.startswith("/collections") else ("",)
            for extra in variants:
                url = path + (
                    "?" + "&".join(q for q in (query, extra) if q) if query or extra else ""
                )
                r = hostile.client.get(url, headers=bearer, follow_redirects=False)
                assert r.status_code < 500, f"{url}: {r.status_code} {r.text[:300]}"
                # an id the request itself names may be echoed ("no herd 'H-…'")
                leaked = households & set(_TOKEN.findall(_text(r))) - set(_TOKEN.findall(path))
                assert not leaked, f"{url} names households {sorted(leaked)[:3]}"
                kind = r.headers.get("content-type", "").split(";")[0]
                if r.status_code == 200:
                    read[kind] = read.get(kind, 0) + 1
    assert checksum(hostile.store) == before
    # the sweep read the kinds it is meant to: the map layer, documents, OpenAPI
    assert {"application/geo+json", "application/pdf", _DOCX, _XLSX} <= set(read), read
    assert read.get("application/vnd.oai.openapi+json"), read
    # the lists analysts read carry the rows, without their ids
    items = hostile.client.get("/households?limit=5", headers=bearer).json()["items"]
    assert items and all("id" not in i and "name" not in i for i in items)
    one = samples["record_id"][0]
    hostile.refused("GET", f"/households/{one}", 403, headers=bearer)
    hostile.refused("GET", f"/unions/{UNION}/census", 403, headers=bearer)
    # and the union page does not link the form an analyst may not open
    assert f'href="/unions/{UNION}/census' not in hostile.client.get(f"/unions/{UNION}").text
    hostile.refused("GET", "/collections/households/items", 404, headers=bearer)
