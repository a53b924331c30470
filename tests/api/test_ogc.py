"""OGC API - Features Part 1: one test group per requirement class (core, geojson, oas30, html)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from fastapi.testclient import TestClient

import pasture
from pasture_api.main import create_app
from pasture_api.ogc import CONFORMANCE, CRS84
from pasture_api.schemas import (
    Collection,
    Collections,
    Conformance,
    Feature,
    FeatureCollection,
    LandingPage,
)

from .conftest import auth, login, make_settings

GEOJSON = "application/geo+json"


@pytest.fixture(
    scope="module",
    params=["geopackage", pytest.param("postgis", marks=pytest.mark.postgis)],
)
def ogc(
    request: pytest.FixtureRequest, api_gpkg: Path
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app and an akimat token, on each backend (PostGIS gets a copy of the demo)."""
    if request.param == "geopackage":
        url = str(api_gpkg)
    else:
        url = request.getfixturevalue("postgis_url_module")
        with pasture.open_store(api_gpkg) as source, pasture.open_store(url) as target:
            target.load_copy(source)
    with TestClient(create_app(make_settings(url))) as c:
        yield c, auth(login(c, "akimat"))


def rels(doc: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for link in doc["links"]:
        out.setdefault(link["rel"], []).append(link)
    return out


# ----------------------------------------------------------------- core
def test_landing_page_links(ogc: tuple[TestClient, dict]) -> None:
    client, _ = ogc
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    doc = LandingPage.model_validate(r.json()).model_dump()
    links = rels(doc)
    for rel in ("self", "alternate", "service-desc", "service-doc", "conformance", "data"):
        assert rel in links, rel
    assert links["service-desc"][0]["type"] == "application/vnd.oai.openapi+json;version=3.0"


def test_conformance_declares_the_four_classes(ogc: tuple[TestClient, dict]) -> None:
    client, _ = ogc
    doc = Conformance.model_validate(client.get("/conformance").json())
    assert set(CONFORMANCE) <= set(doc.conformsTo)


def test_collections_and_collection(ogc: tuple[TestClient, dict]) -> None:
    client, h = ogc
    doc = Collections.model_validate(client.get("/collections", headers=h).json())
    ids = [c.id for c in doc.collections]
    assert ids == ["okrugs", "settlements", "unions", "plots", "water-points", "routes"]
    one = Collection.model_validate(client.get("/collections/plots", headers=h).json())
    assert one.crs == [CRS84]
    assert one.extent is not None and one.extent.spatial is not None
    minx, miny, maxx, maxy = one.extent.spatial.bbox[0]
    assert 76 < minx < maxx < 80 and 42 < miny < maxy < 45  # Enbekshikazakh, lon/lat
    items = [lk for lk in one.model_dump()["links"] if lk["rel"] == "items"]
    assert {lk["type"] for lk in items} == {GEOJSON, "text/html"}
    assert client.get("/collections/nope", headers=h).status_code == 404


def test_items_limit_offset_links_and_numbers(ogc: tuple[TestClient, dict], n_plots: int) -> None:
    client, h = ogc
    assert 2000 < n_plots <= 3000  # three pages of the default 1000
    first = client.get("/collections/plots/items", headers=h)
    assert first.status_code == 200
    doc = FeatureCollection.model_validate(first.json())
    assert doc.numberReturned == len(doc.features) == 1000  # default limit
    assert doc.numberMatched == n_plots and doc.timeStamp and doc.timeStamp.endswith("Z")
    links = rels(first.json())
    assert "next" in links and "prev" not in links
    assert "limit=1000&offset=1000" in links["next"][0]["href"]
    nxt = client.get(links["next"][0]["href"], headers=h).json()
    assert nxt["features"][0]["id"] != doc.features[0].id
    assert "prev" in rels(nxt) and nxt["numberReturned"] == 1000
    third = client.get(rels(nxt)["next"][0]["href"], headers=h).json()
    assert third["numberReturned"] == n_plots - 2000 and "next" not in rels(third)
    # over the maximum (10000) is clamped, not refused
    big = client.get("/collections/plots/items?limit=100000", headers=h).json()
    assert big["numberReturned"] == big["numberMatched"] == n_plots and "next" not in rels(big)
    assert "limit=10000" in rels(big)["self"][0]["href"]
    last = client.get(f"/collections/plots/items?limit=50&offset={n_plots - 41}", headers=h).json()
    assert last["numberReturned"] == 41 and "next" not in rels(last)
    past = client.get(f"/collections/plots/items?limit=50&offset={n_plots}", headers=h).json()
    assert past["numberReturned"] == 0 and past["numberMatched"] == n_plots
    assert "next" not in rels(past)


def test_items_bbox_keeps_intersecting_features(ogc: tuple[TestClient, dict], n_plots: int) -> None:
    client, h = ogc
    box = (77.5, 43.5, 77.7, 43.7)
    doc = client.get(
        "/collections/plots/items",
        params={"bbox": ",".join(map(str, box)), "limit": 1000},
        headers=h,
    ).json()
    assert 0 < doc["numberMatched"] < n_plots
    assert doc["numberReturned"] == doc["numberMatched"]
    for f in doc["features"]:
        assert shapely.geometry.shape(f["geometry"]).intersects(shapely.box(*box))
    six = client.get("/collections/plots/items?bbox=77.5,43.5,0,77.7,43.7,5000&limit=1", headers=h)
    assert six.json()["numberMatched"] == doc["numberMatched"]


@pytest.mark.parametrize(
    "query",
    [
        "bbox=1,2,3",
        "bbox=a,b,c,d",
        "bbox=10,50,0,40",
        "limit=0",
        "limit=x",
        "offset=-1",
        "foo=bar",
        "datetime=yesterday",
        "season=monsoon",
        "f=xml",
    ],
)
def test_invalid_parameters_are_400(ogc: tuple[TestClient, dict], query: str) -> None:
    client, h = ogc
    r = client.get(f"/collections/plots/items?{query}", headers=h)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"]


def test_property_filters(ogc: tuple[TestClient, dict]) -> None:
    client, h = ogc
    own = client.get("/collections/plots/items?union=upu-akshi&limit=1000", headers=h).json()
    assert own["numberMatched"] > 0
    assert {f["properties"]["union_id"] for f in own["features"]} == {"upu-akshi"}
    summer = client.get("/collections/plots/items?season=summer&limit=1000", headers=h).json()
    assert all("summer" in f["properties"]["seasons"].split(",") for f in summer["features"])
    okrug = client.get("/collections/plots/items?okrug_id=okrug-turgen&limit=5", headers=h).json()
    assert {f["properties"]["okrug_id"] for f in okrug["features"]} == {"okrug-turgen"}


def test_one_feature(ogc: tuple[TestClient, dict]) -> None:
    client, h = ogc
    r = client.get("/collections/plots/items/P0501", headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == GEOJSON
    feature = Feature.model_validate(r.json())
    assert feature.id == "P0501" and r.headers["etag"] == '"1"'
    assert {lk.rel for lk in feature.links or []} >= {"self", "alternate", "collection"}
    missing = client.get("/collections/plots/items/NOPE", headers=h)
    assert (
        missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    )


# ----------------------------------------------------------------- geojson
def test_geojson_media_type_and_crs84_coordinates(ogc: tuple[TestClient, dict]) -> None:
    client, h = ogc
    for cid in ("okrugs", "unions", "plots", "water-points", "routes"):
        r = client.get(f"/collections/{cid}/items?limit=3", headers=h)
        assert r.headers["content-type"] == GEOJSON
        for f in r.json()["features"]:
            x, y = shapely.geometry.shape(f["geometry"]).representative_point().coords[0]
            assert 76 < x < 80 and 42 < y < 45, (cid, x, y)  # longitude first (CRS84)


# ----------------------------------------------------------------- oas30
def test_openapi_30_document(ogc: tuple[TestClient, dict]) -> None:
    client, _ = ogc
    for path in ("/api", "/openapi.json"):
        r = client.get(path)
        assert r.headers["content-type"] == "application/vnd.oai.openapi+json;version=3.0"
        doc = r.json()
        assert doc["openapi"].startswith("3.0.")
        assert "/collections/plots/items" in doc["paths"]
        assert '{"type": "null"}' not in str(doc).replace("'", '"')
    params = {p["name"] for p in doc["paths"]["/collections/plots/items"]["get"]["parameters"]}
    assert {"limit", "offset", "bbox", "datetime", "union", "season"} <= params


# ----------------------------------------------------------------- html
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/conformance",
        "/collections",
        "/collections/plots",
        "/collections/plots/items",
        "/collections/plots/items/P0501",
    ],
)
def test_html_by_f_and_by_accept(ogc: tuple[TestClient, dict], path: str) -> None:
    client, h = ogc
    by_f = client.get(path, params={"f": "html"}, headers=h)
    by_accept = client.get(path, headers={**h, "Accept": "text/html,application/xhtml+xml;q=0.9"})
    for r in (by_f, by_accept):
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert r.text.startswith("<!DOCTYPE html>")
    json_again = client.get(path, headers={**h, "Accept": "application/json"})
    assert "json" in json_again.headers["content-type"]
    assert client.get(path, headers={**h, "Accept": "image/png"}).status_code == 406
