"""Hostile input on both stores: every refused request is a problem+json with a clear
detail, never a 500, and the store's content is the same before and after it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import pasture
from pasture.errors import NotFound
from pasture_api.main import create_app
from pasture_api.users import revoke
from tests.api.conftest import make_settings

from .conftest import Hostile

CENSUS = "H-akshi-0001/2025-01-01"
HERD = "upu-akshi-herd-01"

#: NUL in every kind of input: path, query, filter, JSON body, login form
NUL_REQUESTS = [
    ("GET", "/census/H-akshi-0001%00/2025-01-01", 400, {}),
    ("GET", "/collections/plots/items/P05%0001", 400, {}),
    ("GET", "/collections/plots/items?okrug_id=ak%00shi", 400, {}),
    ("GET", "/census?union=upu%00akshi", 400, {}),
    ("GET", "/herds?limit=1&union=%00", 400, {}),
    ("GET", "/plans/plan%00x", 400, {}),
    ("PATCH", f"/census/{CENSUS}", 422, {"json": {"source": "a\x00b"}}),
    ("PATCH", f"/herds/{HERD}", 422, {"json": {"name\x00": "x"}}),
    ("POST", "/plans", 422, {"json": {"season_year": 2025, "solver": "milp\x00"}}),
]


@pytest.mark.parametrize(("method", "path", "status", "kwargs"), NUL_REQUESTS)
def test_nul_anywhere_is_refused(
    hostile: Hostile, method: str, path: str, status: int, kwargs: dict[str, object]
) -> None:
    headers = {**hostile.token(), "If-Match": '"1"'}
    body = hostile.refused(method, path, status, headers=headers, **kwargs)  # type: ignore[arg-type]
    assert "NUL" in body["detail"]


def test_nul_in_the_login_name_is_refused(hostile: Hostile) -> None:
    for name in ("akimat\x00", "\x00"):
        body = hostile.refused(
            "POST", "/auth/token", 422, data={"username": name, "password": "demo"}
        )
        assert "form field username" in body["detail"]


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Blob", "coordinates": [77.9, 43.4]},
        {"type": "Polygon", "coordinates": [[[77, 43], [78, 43], [78, 44], [77, 43]]]},
        {"type": "Point"},
        {"type": "Point", "coordinates": "x"},
        {"coordinates": [77.9, 43.4]},
        {"type": 5},
        "POINT (77 43)",
    ],
)
def test_a_herd_with_a_bad_geometry_is_422_naming_the_types(
    hostile: Hostile, geometry: object
) -> None:
    h = hostile.token()
    etag = hostile.client.get(f"/herds/{HERD}", headers=h).headers["etag"]
    body = hostile.refused(
        "PATCH", f"/herds/{HERD}", 422, json={"geometry": geometry}, headers={**h, "If-Match": etag}
    )
    # a string is refused by the body's schema (geometry: an object); the rest by name
    assert ("Point" if isinstance(geometry, dict) else "geometry") in str(body)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"date": "1800-01-01"}, "1900"),
        ({"date": "2199-12-31"}, "future"),
        ({"union_id": "upu-asy"}, ""),
        ({"sheep": -1}, ""),
    ],
)
def test_bad_census_edits_change_nothing(
    hostile: Hostile, changes: dict[str, object], words: str
) -> None:
    h = hostile.token()
    etag = hostile.client.get(f"/census/{CENSUS}", headers=h).headers["etag"]
    body = hostile.refused(
        "PATCH", f"/census/{CENSUS}", 422, json=changes, headers={**h, "If-Match": etag}
    )
    assert words in str(body)


def test_a_no_op_edit_keeps_the_version(hostile: Hostile) -> None:
    from tests.hostile.conftest import checksum

    h = hostile.token()
    read = hostile.client.get(f"/census/{CENSUS}", headers=h)
    before = checksum(hostile.store)
    same = hostile.client.patch(
        f"/census/{CENSUS}",
        json={"sheep": read.json()["sheep"]},
        headers={**h, "If-Match": read.headers["etag"]},
    )
    assert same.status_code == 200 and same.headers["etag"] == read.headers["etag"]
    assert checksum(hostile.store) == before


def test_a_revoked_token_is_401(hostile: Hostile) -> None:
    h = hostile.token("analyst")
    assert hostile.client.get("/census/totals", headers=h).status_code == 200
    revoke(hostile.store, "analyst")
    hostile.refused("GET", "/census/totals", 401, headers=h)


def test_options_and_oversized_chunked_bodies(hostile: Hostile) -> None:
    options = hostile.client.options(f"/census/{CENSUS}")
    assert options.status_code == 204 and "PATCH" in options.headers["allow"]

    def chunks() -> Iterator[bytes]:
        for _ in range(2000):
            yield b" " * 1000

    hostile.refused(
        "POST",
        "/plans",
        413,
        content=chunks(),
        headers={**hostile.token(), "content-type": "application/json"},
    )


def test_the_server_refuses_a_missing_store(tmp_path: Path) -> None:
    missing = tmp_path / "typo.gpkg"
    from fastapi.testclient import TestClient

    with (
        pytest.raises(NotFound, match="pasture init"),
        TestClient(create_app(make_settings(missing))),
    ):
        pass
    assert not missing.exists()
    assert not list(tmp_path.iterdir())


def test_missing_postgis_database_is_a_clear_error(pg_admin_url: str) -> None:
    from fastapi.testclient import TestClient

    from tests.conftest import _with_dbname

    url = _with_dbname(pg_admin_url, "pasture_no_such_database")
    with (
        pytest.raises(pasture.errors.StoreError, match="does not exist"),
        TestClient(create_app(make_settings(url))),
    ):
        pass
