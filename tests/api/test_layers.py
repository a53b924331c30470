"""``GET /layers/plots``: bbox, zoom simplification, role scope, ETag and errors, on both stores."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from fastapi.testclient import TestClient

import pasture

from .conftest import FOREIGN_UNION, OWN_UNION, auth, login, served_copy

PROBLEM = "application/problem+json"


@pytest.fixture(
    scope="module",
    params=["geopackage", pytest.param("postgis", marks=pytest.mark.postgis)],
)
def served(
    request: pytest.FixtureRequest, api_gpkg: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, str]]:
    """The app on a writable copy of the demo on each backend, and the store's URL."""
    with served_copy(request, api_gpkg, tmp_path_factory, "layers") as served_app:
        yield served_app


def _extent(url: str) -> tuple[float, float, float, float]:
    with pasture.open_store(url) as store:
        return tuple(float(v) for v in store.read("plots").total_bounds)  # type: ignore[return-value]


def _bbox(box: tuple[float, ...]) -> str:
    return ",".join(f"{v:.6f}" for v in box)


def _get(client: TestClient, token: str, box: tuple[float, ...], zoom: int, **params: object):
    query = {"bbox": _bbox(box), "zoom": zoom, "limit": 20000, **params}
    return client.get("/layers/plots", params=query, headers=auth(token))


def _vertices(doc: dict) -> dict[str, int]:
    return {
        f["id"]: int(shapely.get_num_coordinates(shapely.from_geojson(json.dumps(f["geometry"]))))
        for f in doc["features"]
    }


def test_bbox_returns_exactly_the_plots_that_intersect_it(served: tuple[TestClient, str]) -> None:
    client, url = served
    w, s, e, n = _extent(url)
    quarter = (w, s, (w + e) / 2, (s + n) / 2)
    r = _get(client, login(client, "akimat"), quarter, 18)
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    doc = r.json()
    with pasture.open_store(url) as store:
        plots = store.read("plots")
    inside = plots[plots.intersects(shapely.box(*quarter))]
    assert 0 < len(inside) < len(plots)
    assert {f["id"] for f in doc["features"]} == set(inside["id"].astype(str))
    assert doc["numberMatched"] == doc["numberReturned"] == len(inside)
    feature = doc["features"][0]
    assert set(feature["properties"]) >= {"k", "t"} and "p" not in feature["properties"]


def test_low_zoom_sends_fewer_vertices_and_large_plots_first(
    served: tuple[TestClient, str],
) -> None:
    client, url = served
    token = login(client, "akimat")
    box = _extent(url)
    near = _vertices(_get(client, token, box, 17).json())
    far_doc = _get(client, token, box, 9).json()
    far = _vertices(far_doc)
    both = set(near) & set(far)
    assert len(both) > 100
    assert all(far[i] <= near[i] for i in both)
    assert sum(far[i] for i in both) < 0.9 * sum(near[i] for i in both)
    few = _get(client, token, box, 17, limit=10).json()
    assert few["numberReturned"] == 10 and few["numberMatched"] == len(near)


def test_a_union_gets_none_of_another_unions_plots(served: tuple[TestClient, str]) -> None:
    client, url = served
    box = _extent(url)
    with pasture.open_store(url) as store:
        plots = store.read("plots")
    owner = dict(zip(plots["id"].astype(str), plots["union_id"], strict=True))
    own = _get(client, login(client, OWN_UNION), box, 18).json()
    ids = {f["id"] for f in own["features"]}
    assert ids and {owner[i] for i in ids} == {OWN_UNION}
    everyone = _get(client, login(client, "akimat"), box, 18).json()
    foreign = next(f["id"] for f in everyone["features"] if owner[f["id"]] == FOREIGN_UNION)
    mine = next(iter(ids))
    union = auth(login(client, OWN_UNION))
    popup = client.get(f"/layers/plots/{mine}", params={"lang": "en"}, headers=union)
    assert popup.status_code == 200 and mine in popup.json()["p"][0]
    hidden = client.get(f"/layers/plots/{foreign}", params={"lang": "en"}, headers=union)
    assert hidden.status_code == 404 and hidden.headers["content-type"] == PROBLEM


def test_matching_etag_answers_304_and_a_write_changes_it(served: tuple[TestClient, str]) -> None:
    client, url = served
    token = login(client, "akimat")
    box = _extent(url)
    first = _get(client, token, box, 12)
    etag = first.headers["etag"]
    again = client.get(
        "/layers/plots",
        params={"bbox": _bbox(box), "zoom": 12, "limit": 20000},
        headers={**auth(token), "If-None-Match": etag},
    )
    assert again.status_code == 304 and again.content == b""
    plot = first.json()["features"][0]["id"]
    with pasture.open_store(url) as store:
        record = store.get("plots", plot)
        store.update(
            "plots",
            plot,
            {"name": "Renamed for the layer test"},
            expected_version=record.version,
            user="tester",
        )
    after = _get(client, token, box, 12)
    assert after.headers["etag"] != etag
    tooltip = {f["id"]: f["properties"]["t"] for f in after.json()["features"]}[plot]
    assert "Renamed for the layer test" in tooltip


@pytest.mark.parametrize(
    "bbox",
    ["1,2,3", "a,b,c,d", "10,40,5,45", "10,45,20,40", "-200,40,10,45", "nan,1,2,3"],
)
def test_a_bad_bbox_is_a_problem_that_says_what_to_send(
    served: tuple[TestClient, str], bbox: str
) -> None:
    client, _ = served
    r = client.get(
        "/layers/plots", params={"bbox": bbox, "zoom": 10}, headers=auth(login(client, "akimat"))
    )
    assert r.status_code == 400 and r.headers["content-type"] == PROBLEM
    assert "west,south,east,north" in r.json()["detail"] or "west < east" in r.json()["detail"]


def test_the_layer_needs_a_sign_in(served: tuple[TestClient, str]) -> None:
    client, _ = served
    r = client.get("/layers/plots", params={"bbox": "76,43,78,44", "zoom": 10})
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM


def test_an_answer_is_compressed_once_and_served_as_kept(served: tuple[TestClient, str]) -> None:
    client, url = served
    token = login(client, "akimat")
    box = _extent(url)
    first = _get(client, token, box, 11)
    assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in first.headers["vary"]
    answers = client.app.state.answer_cache  # type: ignore[attr-defined]
    builds = answers.builds
    again = _get(client, token, box, 11)
    assert answers.builds == builds and again.content == first.content
    # a client that takes no gzip gets the same GeoJSON, uncompressed
    plain = client.get(
        "/layers/plots",
        params={"bbox": _bbox(box), "zoom": 11, "limit": 20000},
        headers={**auth(token), "Accept-Encoding": "identity"},
    )
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.json() == first.json() and answers.builds == builds
    # another caller's answer is its own: a union's is built apart, with its plots only
    union = _get(client, login(client, OWN_UNION), box, 11)
    assert answers.builds == builds + 1
    assert {f["id"] for f in union.json()["features"]} < {f["id"] for f in first.json()["features"]}
