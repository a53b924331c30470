"""The demo's English names in kk and ru on the rotation map, the calendar and a union's
page: every union, herd, plot, water point and route the demo generated is shown in the
page's language (:func:`pasture.demo_names.local_name`), "(generated)" translated; in
English the names read as recorded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import pasture
from pasture.demo_names import local_name, store_places
from pasture.i18n import translator

from .conftest import OWN_UNION, session_cookie

GENERATED = {"kk": "генерацияланған", "ru": "сгенерировано"}
WORLD = "bbox=-180,-89,180,89&zoom=12"


@pytest.fixture(autouse=True)
def _signed_out(app_client: TestClient) -> Iterator[None]:
    yield
    app_client.cookies.clear()


@pytest.fixture(scope="module")
def english_names(pages_gpkg: Path, plan_id: str) -> set[str]:
    """Every generated English name of the store's unions, herds, plots, water points,
    routes and the plan's herds."""
    with pasture.open_store(pages_gpkg) as store:
        names = set()
        for layer in ("unions", "herds", "plots", "water_points", "routes"):
            names |= {str(n) for n in store.read(layer)["name"].dropna()}
        planned = store.read_rows("plan_herds", where={"plan_id": plan_id})
        names |= {str(n) for n in planned.loc[planned["kind"] == "union", "name"].dropna()}
    assert any(" union sheep and goat flock " in n for n in names)  # the demo's herds
    return names


def _shown(html: str, names: set[str]) -> set[str]:
    """The names written whole in ``html`` ("herd 1" is not found in "herd 10")."""
    return {n for n in names if re.search(re.escape(n) + r"(?![\w])", html)}


def _pages(client: TestClient, plan_id: str, lang: str) -> dict[str, str]:
    pages = {
        "rotation map": f"/plans/{plan_id}/map",
        "calendar": f"/plans/{plan_id}/chart",
        "calendar svg": f"/plans/{plan_id}/chart?f=svg",
        "union page": f"/unions/{OWN_UNION}?plan={plan_id}",
        "union calendar": f"/unions/{OWN_UNION}/chart?plan={plan_id}&f=svg",
        # the plots the maps fetch, their labels and popups (names unescaped in JSON)
        "overview plots": f"/layers/plots?{WORLD}&limit=20000",
        "rotation plots": f"/layers/plots?{WORLD}&plan={plan_id}&limit=20000",
        "union's used plots": f"/layers/plots?{WORLD}&union={OWN_UNION}&used_in={plan_id}",
    }
    out = {}
    for label, url in pages.items():
        r = client.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
        assert r.status_code == 200, (label, r.text[:300])
        out[label] = r.text if "/layers/" not in url else str(r.json())
    return out


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_no_english_demo_name_on_the_pages_in_kk_and_ru(
    app_client: TestClient, plan_id: str, english_names: set[str], lang: str
) -> None:
    session_cookie(app_client, "akimat")
    for label, html in _pages(app_client, plan_id, lang).items():
        assert not _shown(html, english_names), (label, sorted(_shown(html, english_names))[:5])
        assert "(generated)" not in html, label
        assert GENERATED[lang] in html, label  # translated, still said


def test_english_pages_show_the_names_as_recorded(
    app_client: TestClient, plan_id: str, english_names: set[str]
) -> None:
    session_cookie(app_client, "akimat")
    pages = _pages(app_client, plan_id, "en")
    for label, html in pages.items():
        assert _shown(html, english_names), label
    union = pages["union page"]
    assert "Akshi Union of Pasture Users (generated)" in union
    assert re.search(r"Akshi union (sheep and goat flock|cattle herd|horse herd) 1\b", union)


def test_a_union_herd_name_reads_in_each_language(pages_gpkg: Path) -> None:
    with pasture.open_store(pages_gpkg) as store:
        okrugs = store.read("okrugs")
    name = "Akshi union cattle herd 3"
    kk = local_name(name, translator("kk"), store_places(okrugs, "kk"))
    ru = local_name(name, translator("ru"), store_places(okrugs, "ru"))
    assert "Ақши" in kk and "3" in kk and "Akshi" not in kk
    assert "Акший" in ru and "3" in ru and "herd" not in ru
    assert local_name(name, translator("en"), store_places(okrugs, "en")) == name
    # a name the demo did not write is real: shown as recorded
    real = "Kokzhar union cattle herd 3"
    assert local_name(real, translator("kk"), store_places(okrugs, "kk")) == real
