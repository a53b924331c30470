"""``/census/totals`` and a union's page are built once per store version: the cached
answer equals a fresh one, a write makes a new one, and nothing of one caller's scope
reaches another through the cache. Both stores, real HTTP through the ASGI app."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import pasture
from pasture.model import SPECIES
from pasture_api.main import create_app

from .conftest import FOREIGN_UNION, OWN_UNION, auth, login, make_settings, served_copy

LATER_DAY = "2026-11-07"  # after the demo's census: the union page's latest from now on


@pytest.fixture(
    scope="module",
    params=["geopackage", pytest.param("postgis", marks=pytest.mark.postgis)],
)
def served(
    request: pytest.FixtureRequest, api_gpkg: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, str]]:
    """The app on a writable copy of the demo on each backend, and the store's URL."""
    with served_copy(request, api_gpkg, tmp_path_factory, "cache") as served_app:
        yield served_app


def _builds(client: TestClient) -> int:
    app: Any = client.app
    return int(app.state.map_cache.builds)


def _fresh(url: str, path: str, user: str) -> str:
    """The same request to a new app on the same store: nothing cached."""
    with TestClient(create_app(make_settings(url))) as fresh:
        r = fresh.get(path, headers=auth(login(fresh, user)))
        assert r.status_code == 200, r.text[:300]
        return r.text


#: folium names every element of a map with a new random id on each build
_FOLIUM_ID = re.compile(r"_[0-9a-f]{32}(?![0-9a-f])")


def _page(text: str) -> str:
    return _FOLIUM_ID.sub("_ID", text)


def _add_census(url: str, union: str, day: str, households: int) -> None:
    with pasture.open_store(url) as store:
        members = store.read("households", where={"union_id": union})["id"].tolist()
        rows = [
            {
                "id": f"{h}/{day}",
                "household_id": h,
                "union_id": union,
                "date": day,
                **dict.fromkeys(SPECIES, 4),
                "source": "test",
            }
            for h in members[:households]
        ]
        store.write("census", pd.DataFrame(rows), user="test")


def test_census_totals_cached_equal_fresh_and_a_write_renews_them(
    served: tuple[TestClient, str],
) -> None:
    client, url = served
    akimat = auth(login(client, "akimat"))
    first = client.get("/census/totals", headers=akimat).json()
    builds = _builds(client)
    again = client.get("/census/totals", headers=akimat).json()
    assert _builds(client) == builds  # answered from the cache
    assert again == first and first == json.loads(_fresh(url, "/census/totals", "akimat"))
    _add_census(url, OWN_UNION, "2003-01-01", households=3)
    after = client.get("/census/totals", headers=akimat).json()
    assert _builds(client) == builds + 1
    new = [t for t in after if t["date"] == "2003-01-01"]
    assert [(t["union_id"], t["households"], t["sheep"]) for t in new] == [(OWN_UNION, 3, 12)]


def test_a_union_gets_its_own_totals_after_the_akimat_filled_the_cache(
    served: tuple[TestClient, str],
) -> None:
    client, _ = served
    everyone = client.get("/census/totals", headers=auth(login(client, "akimat"))).json()
    assert {t["union_id"] for t in everyone} >= {OWN_UNION, FOREIGN_UNION, None}
    own = client.get("/census/totals", headers=auth(login(client, OWN_UNION))).json()
    assert own and {t["union_id"] for t in own} == {OWN_UNION}
    assert own == [t for t in everyone if t["union_id"] == OWN_UNION]


def test_the_union_page_cached_equals_fresh_and_a_write_renews_it(
    served: tuple[TestClient, str],
) -> None:
    client, url = served
    akimat = auth(login(client, "akimat"))
    path = f"/unions/{OWN_UNION}?lang=en"
    first = client.get(path, headers=akimat)
    assert first.status_code == 200
    builds = _builds(client)
    again = client.get(path, headers=akimat)
    assert _builds(client) == builds
    assert again.text == first.text
    assert _page(first.text) == _page(_fresh(url, path, "akimat"))
    assert "Nov 7, 2026" not in first.text
    _add_census(url, OWN_UNION, LATER_DAY, households=4)
    after = client.get(path, headers=akimat).text
    table = after.split("<h2>Livestock census</h2>", 1)[1].split("</table>", 1)[0]
    cells = [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", table, flags=re.S)]
    assert cells[:3] == ["Nov 7, 2026", "4", "16"]  # date, households, sheep


def test_what_a_role_may_open_is_decided_per_request_not_cached(
    served: tuple[TestClient, str],
) -> None:
    """The akimat fills the cache; the union's page from it has the census form link,
    the analyst's (a build of its own: plot loads under the disclosure rules) has not
    (households' own counts); another union is refused."""
    client, _ = served
    path = f"/unions/{OWN_UNION}?lang=en"
    form = f'href="/unions/{OWN_UNION}/census'
    assert form in client.get(path, headers=auth(login(client, "akimat"))).text
    builds = _builds(client)
    assert form in client.get(path, headers=auth(login(client, OWN_UNION))).text
    assert _builds(client) == builds  # the akimat's build
    analyst = client.get(path, headers=auth(login(client, "analyst")))
    assert analyst.status_code == 200 and form not in analyst.text
    assert _builds(client) == builds + 1  # its own build, once
    client.get(path, headers=auth(login(client, "maslikhat")))
    assert _builds(client) == builds + 1  # the analyst's: the same rules
    foreign = client.get(path, headers=auth(login(client, FOREIGN_UNION)))
    assert foreign.status_code == 404
