"""Shared fixtures: throwaway PostGIS databases, a store of each backend, a headless browser.

PostGIS tests need a PostgreSQL server with the PostGIS extension package.
`make test` provides one and sets PASTURE_REQUIRE_PG=1, which turns a missing
server into a failure; elsewhere those tests skip and say how to enable them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

import pasture
from pasture.store import Store

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ENABLE_HINT = "set PASTURE_TEST_PG=postgresql://user@host:port/postgres (or run `make test`) to run PostGIS tests"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under `make test` (PASTURE_NO_SKIPS=1) a skipped test fails the run: in CI every
    prerequisite (PostGIS, Chromium) is installed, so a skip hides a gap."""
    if os.environ.get("PASTURE_NO_SKIPS") != "1" or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        names = ", ".join(sorted({r.nodeid for r in skipped})[:10])
        if reporter is not None:
            reporter.write_line(
                f"PASTURE_NO_SKIPS=1 but {len(skipped)} test(s) skipped: {names}", red=True
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _require_pg() -> bool:
    return os.environ.get("PASTURE_REQUIRE_PG") == "1"


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """URL of a database we may create other databases from; skips (or fails in CI) without one."""
    url = os.environ.get("PASTURE_TEST_PG", DEFAULT_ADMIN_URL)
    try:
        with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
            row = conn.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
            ).fetchone()
    except psycopg.OperationalError as exc:
        if _require_pg():
            pytest.fail(f"PASTURE_REQUIRE_PG=1 but PostgreSQL at {url} is unreachable: {exc}")
        pytest.skip(f"no PostgreSQL server reachable: {ENABLE_HINT}")
    if row is None:
        message = "the PostGIS extension package is not installed (apt-get install postgresql-15-postgis-3)"
        if _require_pg():
            pytest.fail(message)
        pytest.skip(message)
    return url


def _with_dbname(url: str, dbname: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = dbname
    user = info.get("user", "postgres")
    host = info.get("host", "127.0.0.1")
    port = info.get("port", 5432)
    password = f":{info['password']}" if info.get("password") else ""
    return f"postgresql://{user}{password}@{host}:{port}/{dbname}"


@pytest.fixture
def postgis_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty database, dropped after the test."""
    name = f"pasture_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_dbname(pg_admin_url, name)
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(params=["geopackage", "postgis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for a new store of each backend: the contract suite runs against both."""
    if request.param == "geopackage":
        return str(tmp_path / "store.gpkg")
    return request.getfixturevalue("postgis_url")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with pasture.open_store(store_url) as s:
        yield s


@pytest.fixture(scope="session")
def demo_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo district built once per session (read-only for tests: copy it to change it)."""
    from pasture.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    with pasture.open_store(path) as s:
        build_demo(s, seed=42)
        s.update_extents()  # type: ignore[attr-defined]
    return path


@pytest.fixture(scope="session")
def demo_ndvi_gpkg(tmp_path_factory: pytest.TempPathFactory, demo_gpkg: Path) -> Path:
    """The demo district with its generated 8-year NDVI stack and per-plot NDVI (read-only)."""
    from pasture.demo import build_demo_ndvi

    folder = tmp_path_factory.mktemp("demo-ndvi")
    path = folder / "demo.gpkg"
    with pasture.open_store(demo_gpkg) as source, pasture.open_store(path) as s:
        s.load_copy(source)
        build_demo_ndvi(s, folder / "ndvi", seed=42, years=8)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium through playwright, one per test module (playwright's
    sync API keeps an event loop of its own while open: not across other modules' tests)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(
            "needs Debian's chromium at /usr/bin/chromium: "
            "apt-get install -y --no-install-recommends chromium (or run `make chromium`)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="needs playwright: pip install playwright"
    )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()
