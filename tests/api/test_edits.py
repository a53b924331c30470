"""Edits with ETag/If-Match, history, limits (413, 429), problem+json and a store that goes away."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import pasture
from pasture.errors import StoreUnavailable
from pasture_api.cli import serve, users
from pasture_api.main import ConfigurationError, create_app
from pasture_api.users import get_account

from .conftest import OWN_UNION, auth, login, make_settings

CENSUS = "H-akshi-0001/2025-01-01"


@pytest.fixture
def app_client(writable_gpkg: Path) -> Iterator[TestClient]:
    with TestClient(
        create_app(make_settings(writable_gpkg, max_body_bytes=2000, login_attempts_per_minute=3))
    ) as c:
        yield c


def test_census_edit_with_etag_and_if_match(app_client: TestClient, writable_gpkg: Path) -> None:
    h = auth(login(app_client, OWN_UNION))
    r = app_client.get(f"/census/{CENSUS}", headers=h)
    etag = r.headers["etag"]
    assert etag == '"1"'
    missing = app_client.patch(f"/census/{CENSUS}", json={"sheep": 20}, headers=h)
    assert missing.status_code == 428
    ok = app_client.patch(f"/census/{CENSUS}", json={"sheep": 20}, headers={**h, "If-Match": etag})
    assert ok.status_code == 200, ok.text
    assert ok.json()["sheep"] == 20 and ok.headers["etag"] == '"2"'
    stale = app_client.patch(
        f"/census/{CENSUS}", json={"sheep": 21}, headers={**h, "If-Match": etag}
    )
    assert stale.status_code == 412 and stale.headers["etag"] == '"2"'
    assert stale.headers["content-type"] == "application/problem+json"
    # a union cannot move its census to another union through any field
    moved = app_client.patch(
        f"/census/{CENSUS}", json={"union_id": "upu-asy"}, headers={**h, "If-Match": '"2"'}
    )
    assert moved.status_code == 403
    foreign_household = app_client.patch(
        f"/census/{CENSUS}", json={"household_id": "H-asy-0001"}, headers={**h, "If-Match": '"2"'}
    )
    assert foreign_household.status_code == 422
    bad = app_client.patch(
        f"/census/{CENSUS}", json={"sheep": -5}, headers={**h, "If-Match": '"2"'}
    )
    assert bad.status_code == 422 and "Traceback" not in bad.text and "SELECT" not in bad.text
    unknown = app_client.patch(
        f"/census/{CENSUS}", json={"wolves": 1}, headers={**h, "If-Match": '"2"'}
    )
    assert unknown.status_code == 422
    with pasture.open_store(writable_gpkg) as store:
        history = store.history(layer="census", record_id=CENSUS)
    assert list(history["username"])[-1] == OWN_UNION and list(history["version"])[-1] == 2


def test_akimat_puts_a_herd(app_client: TestClient) -> None:
    h = auth(login(app_client, "akimat"))
    herd = app_client.get("/herds/upu-akshi-herd-01", headers=h)
    props = {k: v for k, v in herd.json()["properties"].items() if k != "version"}
    props["sheep"] = 600
    r = app_client.put(
        "/herds/upu-akshi-herd-01",
        json={**props, "geometry": herd.json()["geometry"]},
        headers={**h, "If-Match": herd.headers["etag"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["sheep"] == 600 and r.headers["etag"] == '"2"'


def test_oversized_body_is_413(app_client: TestClient) -> None:
    h = auth(login(app_client, "akimat"))
    r = app_client.patch(
        f"/census/{CENSUS}",
        content=b"{" + b" " * 5000 + b"}",
        headers={**h, "If-Match": '"1"', "Content-Type": "application/json"},
    )
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"


def test_too_many_logins_is_429_with_retry_after(app_client: TestClient) -> None:
    for _ in range(3):
        assert (
            app_client.post(
                "/auth/token", data={"username": "akimat", "password": "bad"}
            ).status_code
            == 401
        )
    r = app_client.post("/auth/token", data={"username": "akimat", "password": "demo"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    # other accounts are not locked out
    assert (
        app_client.post("/auth/token", data={"username": "analyst", "password": "demo"}).status_code
        == 200
    )


class FlakyStore:
    """A store proxy that fails like a lost database while ``down`` is set."""

    def __init__(self, store: pasture.Store) -> None:
        self.store = store
        self.down = False

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.store, name)
        if callable(attr) and name not in ("close", "get_meta"):

            def call(*args: Any, **kwargs: Any) -> Any:
                if self.down:
                    raise StoreUnavailable(
                        "the PostGIS database cannot be reached; try again shortly"
                    )
                return attr(*args, **kwargs)

            return call
        return attr


def test_lost_database_is_503_and_recovers(writable_gpkg: Path) -> None:
    holder: dict[str, FlakyStore] = {}

    def opener(url: str) -> Any:
        holder["store"] = FlakyStore(pasture.open_store(url))
        return holder["store"]

    with TestClient(create_app(make_settings(writable_gpkg), open_store=opener)) as c:
        h = auth(login(c, "akimat"))
        holder["store"].down = True
        for path in ("/health", "/collections/plots/items", "/census"):
            r = c.get(path, headers=h)
            assert r.status_code == 503 and r.headers["retry-after"]
            assert r.headers["content-type"] == "application/problem+json"
        holder["store"].down = False
        assert c.get("/collections/plots/items", headers=h).status_code == 200


def test_production_store_needs_a_secret(writable_gpkg: Path) -> None:
    with pasture.open_store(writable_gpkg) as store:
        store.set_meta("demo", "")  # keep the key; delete it below
    import sqlite3

    with sqlite3.connect(writable_gpkg) as conn:
        conn.execute("DELETE FROM meta WHERE key = 'demo'")
    with (
        pytest.raises(ConfigurationError, match="PASTURE_SECRET_KEY"),
        TestClient(create_app(make_settings(writable_gpkg))),
    ):
        pass
    with (
        pytest.raises(ConfigurationError),
        TestClient(create_app(make_settings(writable_gpkg, secret_key="change-me"))),
    ):
        pass
    with TestClient(create_app(make_settings(writable_gpkg, secret_key="s" * 40))) as c:
        assert c.get("/health").status_code == 200


def test_users_add_command(writable_gpkg: Path) -> None:
    group = click.Group(commands={"users": users, "serve": serve})
    runner = CliRunner()
    result = runner.invoke(
        group,
        [
            "users",
            "add",
            "aigul",
            "--role",
            "union",
            "--union",
            "upu-sogety",
            "--store",
            str(writable_gpkg),
            "--password",
            "secret1",
        ],
    )
    assert result.exit_code == 0, result.output
    with pasture.open_store(writable_gpkg) as store:
        account = get_account(store, "aigul")
        stored = store.accounts.get("aigul")
    assert account is not None and account.union_id == "upu-sogety"
    assert stored is not None and stored["password_hash"].startswith("$argon2id$")
    bad = runner.invoke(
        group,
        [
            "users",
            "add",
            "x",
            "--role",
            "union",
            "--store",
            str(writable_gpkg),
            "--password",
            "secret1",
        ],
    )
    assert bad.exit_code != 0
