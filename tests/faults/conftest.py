"""Fixtures of the fault suite: an app on a throwaway PostGIS database, and its admin."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql

import pasture
from pasture_api.main import create_app
from pasture_api.users import Role, add_user
from tests.api.conftest import make_settings

PASSWORD = "fault-password"
SECRET = "fault-suite-secret-" + "x" * 20


@dataclass
class PgApp:
    """A running app on its own database, and a way to hurt that database."""

    client: TestClient
    url: str
    admin_url: str
    dbname: str

    def admin(self, statement: str, *params: object) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(statement.encode(), params or None)  # type: ignore[call-overload]

    def terminate_all(self) -> int:
        """pg_terminate_backend of every connection to the database; how many there were."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.dbname],
            ).fetchall()
        return len(rows)

    def restore(self) -> None:
        """Let connections in again (the database may have been dropped by the test)."""
        with contextlib.suppress(psycopg.errors.InvalidCatalogName):
            self.allow_connections(True)

    def allow_connections(self, allowed: bool) -> None:
        # ALLOW_CONNECTIONS false refuses every role, superusers too (CONNECTION LIMIT
        # does not bind a superuser, which the tests connect as)
        ident = sql.Identifier(self.dbname)
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
                    ident, sql.Literal(allowed)
                )
            )


def token(client: TestClient) -> dict[str, str]:
    response = client.post("/auth/token", data={"username": "akimat", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def make_pg_app(postgis_url: str, pg_admin_url: str) -> Iterator[Callable[..., PgApp]]:
    """Start the app on an empty PostGIS store with an akimat account; keyword arguments
    override its settings (e.g. a short statement timeout)."""
    with pasture.open_store(postgis_url) as store:
        add_user(store, "akimat", PASSWORD, role=Role.AKIMAT)
    dbname = str(psycopg.conninfo.conninfo_to_dict(postgis_url)["dbname"])
    with contextlib.ExitStack() as stack:

        def make(**overrides: object) -> PgApp:
            options: dict[str, object] = {
                "secret_key": SECRET,
                "db_connect_timeout_s": 3.0,
                "db_pool_size": 4,
                **overrides,
            }
            client = stack.enter_context(
                TestClient(create_app(make_settings(postgis_url, **options)))
            )
            app = PgApp(client, postgis_url, pg_admin_url, dbname)
            stack.callback(app.restore)
            return app

        yield make
