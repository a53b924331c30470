"""A store that a newer pasture upgraded is refused, on both backends, and left as it was."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

import pasture
from pasture.errors import StoreError
from pasture.store.base import read_migrations


def _execute(url: str, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if url.endswith(".gpkg"):
        conn = sqlite3.connect(url)
        try:
            rows = conn.execute(sql, params).fetchall()
            conn.commit()
            return rows
        finally:
            conn.close()
    with psycopg.connect(url, autocommit=True) as pg:
        cur = pg.execute(sql.replace("?", "%s"), params)
        return cur.fetchall() if cur.description else []


def test_a_store_with_a_migration_from_a_newer_pasture_is_refused(store_url: str) -> None:
    pasture.open_store(store_url).close()
    dialect = "gpkg" if store_url.endswith(".gpkg") else "postgis"
    newest = read_migrations(dialect)[-1][0]
    _execute(
        store_url,
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        (newest + 1, f"{newest + 1:04d}_from_the_future.sql", "2030-01-01T00:00:00+00:00"),
    )
    before = _execute(store_url, "SELECT version FROM schema_migrations ORDER BY version")

    with pytest.raises(StoreError, match=rf"migration\(s\) {newest + 1}, which this version"):
        pasture.open_store(store_url)

    assert _execute(store_url, "SELECT version FROM schema_migrations ORDER BY version") == before
    _execute(store_url, "DELETE FROM schema_migrations WHERE version = ?", (newest + 1,))
    pasture.open_store(store_url).close()  # without it the store opens again
