"""``GET /ndvi/scenes``: the catalogue with each fetched composite's STAC provenance, and
the same rows on the page ``/pages/ndvi-scenes`` in Kazakh and Russian.

Composites are fetched for real (`pasture ndvi fetch` against the loopback STAC API of
the fetch tests) and the provenance served is checked against the test's own items
and the cloud share computed from its arrays.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
import rasterio
from fastapi.testclient import TestClient

import pasture
from pasture.ndvi.fetch import composite_path, fetch_ndvi
from pasture.ndvi.stac import SOURCES
from pasture_api.main import create_app
from pasture_api.users import create_demo_users
from tests.pasture.ndvi.stac_server import StacServer
from tests.pasture.ndvi.test_fetch import FAST, P1, P2, _district, _reference, _two_periods

from .conftest import PASSWORD, auth, login, make_settings

SOURCE = "sentinel-2-l2a"


def test_scenes_are_served_with_their_provenance(tmp_path: Path) -> None:
    path = tmp_path / "district.gpkg"
    (tmp_path / "assets").mkdir()
    server = StacServer(tmp_path / "assets")
    with pasture.open_store(path, create=True) as store:
        _district(store)
        create_demo_users(store, PASSWORD)
    settings = make_settings(path, secret_key="s" * 40)
    with TestClient(create_app(settings)) as client:
        headers = auth(login(client, "analyst"))
        empty = client.get("/ndvi/scenes", headers=headers)
        assert empty.status_code == 200, empty.text
        assert empty.json() == {"scenes": []}
        with server.running(), pasture.open_store(path) as store:
            written = _two_periods(server, SOURCE, np.random.default_rng(5))
            fetch_ndvi(
                store, SOURCE, P1.start, P2.end, out_dir=tmp_path / "ndvi", user="t",
                catalog=server.url, **FAST,
            )  # fmt: skip
        served = client.get("/ndvi/scenes", headers=headers).json()["scenes"]
        assert client.get("/ndvi/scenes").status_code == 401
        pages = _scene_pages(client)
    assert [s["date"] for s in served] == [P1.start.isoformat(), P2.start.isoformat()]
    for period, scene in zip((P1, P2), served, strict=True):
        cog = composite_path(tmp_path / "ndvi", SOURCES[SOURCE], period)
        with rasterio.open(cog) as src:
            _, share = _reference(SOURCE, written[period], src.transform, (src.height, src.width))
        assert scene["items"] == [s.item_id for s in written[period]]
        assert scene["cloud_share"] == pytest.approx(share, abs=1e-6)
        assert (scene["catalog"], scene["collection"]) == (
            server.url,
            SOURCES[SOURCE].collection,
        )
        assert (scene["period_start"], scene["period_end"]) == (
            period.start.isoformat(),
            period.end.isoformat(),
        )
        assert scene["file"] == cog.name and "path" not in scene  # no server paths
    _page_shows(pages, served)


def _scene_pages(client: TestClient) -> dict[str, str]:
    """The scene page in Kazakh and Russian, for the analyst signed in through the form."""
    signed = client.post(
        "/login", data={"username": "analyst", "password": PASSWORD}, follow_redirects=False
    )
    assert signed.status_code == 303, signed.text
    pages = {}
    for lang in ("kk", "ru"):
        page = client.get("/pages/ndvi-scenes", params={"lang": lang})
        assert page.status_code == 200, page.text
        pages[lang] = page.text
    client.cookies.clear()
    return pages


def _page_shows(pages: dict[str, str], served: list[dict[str, object]]) -> None:
    """Each fetched scene's row holds what the API serves: collection, catalogue, items, cloud
    share, period; nothing says generated."""
    from pasture.i18n import translator

    host = urlsplit(str(served[0]["catalog"])).netloc
    for lang, html in pages.items():
        t = translator(lang)
        body = html.split("<tbody>")[1].split("</tbody>")[0]
        rows = body.split("</tr>")[:-1]
        assert len(rows) == len(served)
        assert t("NDVI scenes") in html and t("Cloud share") in html
        assert "data-generated" not in html and t("generated (not satellite data)") not in html
        for row, scene in zip(rows, served, strict=True):
            items = list(scene["items"])  # type: ignore[call-overload]
            assert f'title="{", ".join(items)}">{len(items)}</td>' in row
            assert f"{scene['collection']} ({t('STAC catalogue')} {host})" in row
            assert t.percent(scene["cloud_share"], digits=1) in row
            assert t.date(date.fromisoformat(str(scene["period_start"]))) in row
            assert str(scene["file"]) in row
