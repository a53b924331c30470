"""Fixtures of the API tests: the demo store with its accounts, a running app, tokens per role."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import pasture
from pasture.model import SPECIES
from pasture.store.gpkg import default_accounts_path
from pasture_api.main import create_app
from pasture_api.settings import Settings
from pasture_api.users import create_demo_users

PASSWORD = "demo"
OWN_UNION = "upu-akshi"
FOREIGN_UNION = "upu-asy"
#: role label -> user name
USERS = {
    "akimat": "akimat",
    "analyst": "analyst",
    "maslikhat": "maslikhat",
    "union": OWN_UNION,
    "foreign": FOREIGN_UNION,
}


@pytest.fixture(scope="session")
def api_gpkg(demo_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store with its demo accounts (read-only: copy it to change it)."""
    path = tmp_path_factory.mktemp("api") / "demo.gpkg"
    shutil.copy(demo_gpkg, path)
    with pasture.open_store(path) as store:
        create_demo_users(store, PASSWORD)
    return path


def copy_store(source: Path, target: Path) -> Path:
    """Copy a GeoPackage store with its accounts file (kept beside it, not inside)."""
    shutil.copy(source, target)
    accounts = default_accounts_path(source)
    if accounts.exists():
        shutil.copy(accounts, default_accounts_path(target))
    return target


def on_backend(
    request: pytest.FixtureRequest, gpkg_url: str, postgis_fixture: str = "postgis_url_module"
) -> str:
    """The store for the backend ``request.param`` names: ``gpkg_url`` itself on
    "geopackage"; on "postgis", the database of ``postgis_fixture`` holding its copy and
    the demo accounts."""
    if request.param != "postgis":
        return gpkg_url
    pg = request.getfixturevalue(postgis_fixture)
    with pasture.open_store(gpkg_url) as source, pasture.open_store(pg) as target:
        target.load_copy(source)
        create_demo_users(target, PASSWORD)
    return str(pg)


@pytest.fixture
def writable_gpkg(api_gpkg: Path, tmp_path: Path) -> Path:
    return copy_store(api_gpkg, tmp_path / "demo.gpkg")


@contextmanager
def served_copy(
    request: pytest.FixtureRequest,
    api_gpkg: Path,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
) -> Iterator[tuple[TestClient, str]]:
    """The app on a writable copy of the demo with its accounts, on the backend
    ``request.param`` names ("geopackage" or "postgis"), and the store's URL."""
    if request.param == "geopackage":
        url = str(copy_store(api_gpkg, tmp_path_factory.mktemp(name) / "demo.gpkg"))
    else:
        url = request.getfixturevalue("postgis_url_module")
        with pasture.open_store(api_gpkg) as source, pasture.open_store(url) as target:
            target.load_copy(source)
            create_demo_users(target, PASSWORD)
    with TestClient(create_app(make_settings(url))) as c:
        yield c, url


def recount(store: pasture.Store, union: str, day: str, *, alone: bool) -> None:
    """A census of ``union``'s members on ``day``: with ``alone`` every member but one
    without livestock, else every member with the livestock of its first census."""
    census = store.read("census", where={"union_id": union}).sort_values(["household_id", "date"])
    first = census.drop_duplicates("household_id").reset_index(drop=True)
    if alone:
        first.loc[first.index[1:], list(SPECIES)] = 0
    rows = first[["household_id", "union_id", *SPECIES]].assign(
        id=first["household_id"] + "/" + day, date=day, source="test"
    )
    store.write("census", rows, user="test")


def make_settings(store: str | Path, **overrides: object) -> Settings:
    return Settings(_env_file=None, store=str(store), **overrides)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def client(api_gpkg: Path) -> Iterator[TestClient]:
    """The app on the shared demo store (read-only tests)."""
    with TestClient(create_app(make_settings(api_gpkg))) as c:
        yield c


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    response = client.post("/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture(scope="session")
def tokens(client: TestClient) -> dict[str, str]:
    """A token per role label of USERS."""
    return {label: login(client, name) for label, name in USERS.items()}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def postgis_url_module(pg_admin_url: str) -> Iterator[str]:
    """A fresh PostGIS database for one test module, dropped after it."""
    import uuid

    import psycopg
    from psycopg import sql

    from tests.conftest import _with_dbname

    name = f"pasture_api_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_dbname(pg_admin_url, name)
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def n_plots(api_gpkg: Path) -> int:
    """How many plots the demo store holds (tests compare served counts with it)."""
    with pasture.open_store(api_gpkg) as store:
        return store.count("plots")
