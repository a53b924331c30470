"""The maps credit their data: the OSM boundary and settlements, the KATO classifier, NASA SRTM,
and say that the rest of the demo, and its NDVI, is generated (data/README.md). The pages are
served without a basemap here, so the credit line is the data's own, not the tiles'."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import pasture
from pasture.demo import OSM_SOURCE
from pasture.demo_names import store_local_names
from pasture.demo_real import DEM_SOURCE, OKRUG_SOURCE, SETTLEMENT_SOURCE
from pasture.i18n import translator

from .conftest import OWN_UNION, session_cookie

#: "(generated)" in the page's language, as the demo's names say it there
GENERATED = {"kk": "генерацияланған", "ru": "сгенерировано"}


@pytest.fixture
def client(app_client: TestClient) -> Iterator[TestClient]:
    """The session's in-process app, signed out again after the test (others expect that)."""
    yield app_client
    app_client.cookies.clear()


def _credits(html: str) -> list[str]:
    """The texts the page's script adds to the map's attribution control."""
    found = re.findall(r"attributionControl\.addAttribution\((\"(?:[^\"\\]|\\.)*\")\)", html)
    return [json.loads(text) for text in found]


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_map_page_credits_the_real_data_and_says_the_rest_is_generated(
    client: TestClient, pages_gpkg: Path, plan_id: str, lang: str
) -> None:
    t = translator(lang)
    with pasture.open_store(pages_gpkg) as store:
        day = store.read_rows("scenes")["date"].max().date().isoformat()
        water = store.read("water_points")
        shown = store_local_names(store, water, t)["name"]  # the page's language
    session_cookie(client, "akimat")
    pages = {
        "overview": client.get("/maps/overview", params={"lang": lang, "ndvi": day}).text,
        "rotation": client.get(f"/plans/{plan_id}/map", params={"lang": lang}).text,
        "union": client.get(f"/unions/{OWN_UNION}", params={"lang": lang}).text,
    }
    for name, html in pages.items():
        credits = _credits(html)
        assert len(credits) == 1, name
        for source in (OSM_SOURCE, DEM_SOURCE, OKRUG_SOURCE, SETTLEMENT_SOURCE):
            assert source.replace("&", "&amp;") in credits[0], (name, source)
        assert credits[0].endswith(t("other layers generated (demo)")), name
    # the NDVI layer of generated scenes says so in its own credit
    ndvi = f"{t('NDVI (vegetation index)')}: {t('generated (not satellite data)')}"
    assert json.dumps(ndvi) in pages["overview"]  # folium writes its options as ASCII JSON
    # no real water source of the district is in the repository's data (data/README.md):
    # every water point the overview draws is named generated, in the page's language
    assert water["name"].str.endswith("(generated)").all()
    for name in shown:
        assert name in pages["overview"] or json.dumps(name)[1:-1] in pages["overview"], name
        assert name.endswith(f"({GENERATED[lang]})"), name
