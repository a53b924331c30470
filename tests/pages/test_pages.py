"""Pages in process: sessions, scope, languages, downloads that open in their tools, tiles."""

from __future__ import annotations

import io
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

import pasture
from pasture.i18n import catalogue_path
from pasture_api.pages import merge_calendar

from .conftest import FOREIGN_UNION, OWN_UNION, session_cookie

HTML = {"accept": "text/html,application/xhtml+xml"}


def test_pages_redirect_browsers_to_login_and_api_clients_get_401(app_client: TestClient) -> None:
    page = app_client.get("/maps/overview?lang=ru", headers=HTML, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=%2Fmaps%2Foverview")
    api = app_client.get("/maps/overview", headers={"accept": "application/json"})
    assert api.status_code == 401
    assert api.headers["content-type"] == "application/problem+json"
    # the API itself does not take the session cookie
    session_cookie(app_client, "akimat")
    plans = app_client.get("/plans")
    assert plans.status_code == 401


def test_login_sets_a_strict_cookie_and_refuses_bad_passwords(app_client: TestClient) -> None:
    form = app_client.get("/login?lang=kk")
    assert form.status_code == 200 and 'lang="kk"' in form.text and "Кіру" in form.text
    bad = app_client.post("/login", data={"username": "akimat", "password": "nope"})
    assert bad.status_code == 401 and "text/html" in bad.headers["content-type"]
    good = app_client.post(
        "/login",
        data={"username": "akimat", "password": "demo", "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert good.status_code == 303
    assert good.headers["location"].startswith("/me")  # no open redirect
    set_cookie = good.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "path=/" in set_cookie
    cross = app_client.post(
        "/login",
        data={"username": "akimat", "password": "demo"},
        headers={"origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert cross.status_code == 403
    out = app_client.post("/logout", follow_redirects=False)
    assert out.status_code == 303 and 'jailym_session=""' in out.headers["set-cookie"]
    app_client.cookies.clear()


def test_me_sends_a_union_to_its_own_page(app_client: TestClient) -> None:
    session_cookie(app_client, OWN_UNION)
    r = app_client.get("/me?lang=en", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/unions/{OWN_UNION}")


@pytest.mark.parametrize(
    ("query", "header", "lang", "heading"),
    [
        ("?lang=ru", None, "ru", "Обзор пастбищ"),
        ("", "ru-RU,ru;q=0.9,en;q=0.5", "ru", "Обзор пастбищ"),
        ("?lang=en", "ru", "en", "Pasture overview"),
        ("", "de", "kk", "Жайылымдарға шолу"),
    ],
)
def test_overview_speaks_the_asked_language(
    app_client: TestClient, query: str, header: str | None, lang: str, heading: str
) -> None:
    session_cookie(app_client, "analyst")
    headers = {"accept-language": header} if header else {}
    r = app_client.get(f"/maps/overview{query}", headers=headers)
    assert r.status_code == 200
    assert f'<html lang="{lang}">' in r.text
    assert f"<h1>{heading}</h1>" in r.text
    assert "https://" not in r.text.split("<body>")[0]  # no CDN, no basemap: offline


def test_union_pages_are_scoped(app_client: TestClient, plan_id: str) -> None:
    session_cookie(app_client, OWN_UNION)
    own = app_client.get(f"/unions/{OWN_UNION}?lang=en")
    assert own.status_code == 200
    assert f"{FOREIGN_UNION}-herd" not in own.text
    for path in (
        f"/unions/{FOREIGN_UNION}",
        f"/unions/{FOREIGN_UNION}/plots.geojson",
        f"/unions/{FOREIGN_UNION}/calendar.csv",
    ):
        r = app_client.get(path, headers=HTML)
        assert r.status_code == 404, path
        assert "text/html" in r.headers["content-type"]
        api = app_client.get(path)
        assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    rotation = app_client.get(f"/plans/{plan_id}/map")
    assert rotation.status_code == 200
    assert f"{FOREIGN_UNION}-herd" not in rotation.text
    chart = app_client.get(f"/plans/{plan_id}/chart?f=svg")
    assert chart.headers["content-type"].startswith("image/svg+xml")
    assert f"{FOREIGN_UNION}-herd" not in chart.text
    session_cookie(app_client, "akimat")
    assert app_client.get(f"/unions/{FOREIGN_UNION}").status_code == 200


def test_only_akimat_and_analysts_get_links_to_every_union(app_client: TestClient) -> None:
    foreign = f'href="/unions/{FOREIGN_UNION}?'
    session_cookie(app_client, OWN_UNION)
    assert foreign not in app_client.get("/maps/overview?lang=en").text
    session_cookie(app_client, "analyst")
    assert foreign in app_client.get("/maps/overview?lang=en").text


def test_union_page_prints_on_a4(app_client: TestClient) -> None:
    session_cookie(app_client, OWN_UNION)
    text = app_client.get(f"/unions/{OWN_UNION}?lang=kk").text
    assert "@page { size: A4" in text and "@media print" in text
    assert '<html lang="kk">' in text


def test_plot_downloads_open_in_gdal_and_openpyxl(
    app_client: TestClient, pages_gpkg: Path, tmp_path: Path
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    session_cookie(app_client, OWN_UNION)
    with pasture.open_store(pages_gpkg) as store:
        expected = set(store.read("plots", where={"union_id": OWN_UNION})["id"])
    for fmt in ("kml", "geojson"):
        r = app_client.get(f"/unions/{OWN_UNION}/plots.{fmt}")
        assert r.status_code == 200
        path = tmp_path / f"plots.{fmt}"
        path.write_bytes(r.content)
        frame = pyogrio.read_dataframe(path)
        # KML: the label is the plot's name; GDAL reads the id of the ExtendedData as "id2"
        ids = set(frame["id2" if fmt == "kml" else "id"])
        assert ids == expected, fmt
        assert frame.crs.to_epsg() == 4326
    xlsx = app_client.get(f"/unions/{OWN_UNION}/plots.xlsx?lang=ru")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    rows = list(book["Участки"].values)  # titles in the page's language
    assert rows[0][0] == "Идентификатор" and {r[0] for r in rows[1:]} == expected
    csv = _csv(app_client.get(f"/unions/{OWN_UNION}/plots.csv?lang=en"))
    assert set(csv["Id"]) == expected


def test_calendar_downloads_merge_weeks(app_client: TestClient, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    session_cookie(app_client, OWN_UNION)
    csv = _csv(app_client.get(f"/unions/{OWN_UNION}/calendar.csv?lang=en"))
    assert len(csv) and (csv["Weeks"] >= 1).all()
    assert csv["Herd id"].str.startswith(f"{OWN_UNION}-").all()
    csv = csv.rename(columns={"Plot": "plot_id"})
    book = openpyxl.load_workbook(
        io.BytesIO(app_client.get(f"/unions/{OWN_UNION}/calendar.xlsx?lang=en").content)
    )
    assert book["Grazing calendar"].max_row == len(csv) + 1
    assert isinstance(book["Grazing calendar"]["D2"].value, datetime)  # Start: a real date
    for fmt in ("kml", "geojson"):
        path = tmp_path / f"calendar.{fmt}"
        path.write_bytes(app_client.get(f"/unions/{OWN_UNION}/calendar.{fmt}").content)
        assert len(pyogrio.read_dataframe(path)) == int((csv["plot_id"].notna()).sum())


def _csv(response: Any) -> pd.DataFrame:
    """A CSV download: UTF-8 with a byte-order mark, for Excel."""
    assert response.content.startswith("\ufeff".encode())
    return pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig")


def test_merge_calendar_joins_consecutive_weeks_on_one_plot() -> None:
    days = pd.date_range("2025-06-02", periods=5, freq="7D")
    rows = pd.DataFrame(
        {
            "herd_id": ["h1"] * 5,
            "union_id": "u",
            "period": range(5),
            "start": days,
            "end": days + pd.Timedelta(days=6),
            "plot_id": ["A", "A", "B", "A", None],
            "sheep_units": 100.0,
        }
    )
    out = merge_calendar(rows)
    assert list(out["plot_id"]) == ["A", "B", "A", ""]
    assert list(out["weeks"]) == [2, 1, 1, 1]
    assert out["end"].iloc[0] == days[1] + pd.Timedelta(days=6)


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_ndvi_tiles_are_cacheable_pngs(app_client: TestClient, pages_gpkg: Path) -> None:
    with pasture.open_store(pages_gpkg) as store:
        scene = store.read_rows("scenes").iloc[-1]
    day = pd.Timestamp(scene["date"]).date().isoformat()
    minx, miny, maxx, maxy = scene["bounds_wgs84"]
    x, y = _tile_of((minx + maxx) / 2, (miny + maxy) / 2, 9)
    r = app_client.get(f"/tiles/ndvi/{day}/9/{x}/{y}.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG")
    assert r.headers["cache-control"].startswith("public, max-age=")
    etag = r.headers["etag"]
    again = app_client.get(f"/tiles/ndvi/{day}/9/{x}/{y}.png", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag
    outside = app_client.get(f"/tiles/ndvi/{day}/9/0/0.png")
    assert outside.status_code == 404
    assert outside.headers["content-type"] == "application/problem+json"
    missing = app_client.get("/tiles/ndvi/1999-01-01/9/0/0.png")
    assert missing.status_code == 404
    legend = app_client.get("/tiles/ndvi/legend.json?lang=ru").json()
    assert legend["stops"][0]["colour"].startswith("#")


def test_every_page_literal_is_in_the_catalogues() -> None:
    api = Path(__file__).resolve().parents[2] / "pasture_api"
    files = [*sorted((api / "pages").glob("*.py")), *sorted((api / "templates").glob("*.html"))]
    source = "\n".join(f.read_text() for f in files)
    used = {a or b for a, b in re.findall(r"""\bt\(\s*(?:"([^"]+)"|'([^']+)')\s*\)""", source)}
    assert len(used) > 30
    for lang in ("kk", "ru", "en"):
        with catalogue_path(lang).open("rb") as f:
            known = {m.id for m in read_po(f, locale=lang) if m.id and m.context is None}
        assert used <= known, f"{lang}: {sorted(used - known)}"
