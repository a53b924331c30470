"""PostGIS specifics: migrations, typed geometry columns, constraints, indexes, reconnects."""

from __future__ import annotations

import psycopg
import pytest

import pasture
from pasture.errors import StoreError
from pasture.model import LAYERS
from pasture.store.base import read_migrations
from tests.pasture import factories


def test_schema_comes_from_versioned_migrations(postgis_url: str) -> None:
    pasture.open_store(postgis_url).close()
    pasture.open_store(postgis_url).close()  # a second open applies nothing again
    with psycopg.connect(postgis_url) as conn:
        applied = conn.execute(
            "SELECT version, name FROM schema_migrations ORDER BY version"
        ).fetchall()
        columns = conn.execute(
            "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = 'public'"
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%USING gist%'"
        ).fetchall()
    assert applied == [(v, n) for v, n, _ in read_migrations("postgis")]
    typed = {table: (kind, srid) for table, kind, srid in columns}
    for spec in LAYERS.values():
        if spec.geometry_type:
            assert typed[spec.name] == (spec.geometry_type, 4326)
            assert (f"{spec.name}_geom_idx",) in indexes


def test_columns_match_the_model(postgis_url: str) -> None:
    pasture.open_store(postgis_url).close()
    with psycopg.connect(postgis_url) as conn:
        for spec in LAYERS.values():
            rows = conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
                [spec.name],
            ).fetchall()
            expected = {"id", *spec.field_names, "version"} | (
                {"geom"} if spec.geometry_type else set()
            )
            assert {r[0] for r in rows} == expected, spec.name


def test_constraints_refuse_invalid_geometry_even_past_validation(postgis_url: str) -> None:
    with pasture.open_store(postgis_url) as store:
        factories.fill(store, n_plots=0)
    bowtie = "SRID=4326;MULTIPOLYGON(((77.4 43.3,77.5 43.4,77.5 43.3,77.4 43.4,77.4 43.3)))"
    with psycopg.connect(postgis_url) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "INSERT INTO plots (id, okrug_id, seasons, pasture_type, geom) VALUES ('x', 'ok-a', 'summer', 't', %s)",
            [bowtie],
        )
    with psycopg.connect(postgis_url) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "INSERT INTO plots (id, okrug_id, seasons, pasture_type, geom) VALUES ('y', 'ok-a', 'monsoon', 't', "
            "'SRID=4326;MULTIPOLYGON(((77.4 43.3,77.5 43.3,77.5 43.4,77.4 43.3)))')"
        )


def test_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match=r"cannot connect to PostgreSQL at 127\.0\.0\.1:1/"):
        pasture.open_store("postgresql://nobody:secret@127.0.0.1:1/pasture")


def test_a_missing_database_is_one_clear_message(
    pg_admin_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = pg_admin_url.rsplit("/", 1)[0] + "/pasture_no_such_database"
    with caplog.at_level("WARNING"), pytest.raises(StoreError) as raised:
        pasture.open_store(url)
    message = str(raised.value)
    assert 'database "pasture_no_such_database" does not exist' in message
    assert "createdb" in message
    # the pool never started: no retries logged before the message
    assert [r for r in caplog.records if r.name.startswith("psycopg")] == []


def test_store_recovers_after_its_connections_are_killed(
    postgis_url: str, pg_admin_url: str
) -> None:
    with pasture.open_store(postgis_url) as store:
        factories.fill(store)
        dbname = psycopg.conninfo.conninfo_to_dict(postgis_url)["dbname"]
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
                [dbname],
            ).fetchone()
        assert killed is not None and killed[0] >= 1
        assert store.count("plots") == 4  # the pool notices the dead connection and opens a new one
