"""Accounts of the web API, kept where the shared map data is not.

A GeoPackage is handed around and opened in QGIS, so its accounts (argon2
hashes, roles) live in a separate SQLite file beside it, created with the first
account. PostGIS keeps them in its ``users`` table, which the OGC API never
publishes (it serves only :data:`pasture.model.LAYERS`).

Every change of an account moves its ``token_version`` on; a token carries the
version it was issued at, so changing, disabling, deleting or revoking an
account ends its tokens. A new account starts at a random version, so a token
of a deleted account does not come back to life when the name is reused.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import InvalidInput, StoreError
from .sqlite import immediate_transaction

__all__ = ["COLUMNS", "Accounts", "PostgisAccounts", "SqliteAccounts", "new_token_version"]

#: Columns of an account row, in this order.
COLUMNS = (
    "username",
    "password_hash",
    "role",
    "union_id",
    "disabled",
    "created_at",
    "token_version",
)
#: Columns a change may set (the name and creation time stay).
CHANGEABLE = frozenset({"password_hash", "role", "union_id", "disabled"})

_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('akimat', 'union', 'analyst', 'maslikhat')),
    union_id      TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    token_version INTEGER NOT NULL,
    CHECK ((role = 'union') = (union_id IS NOT NULL))
)
"""


def new_token_version() -> int:
    """A random start, so that a reused user name never matches an old token."""
    return secrets.randbits(62)


class Accounts(ABC):
    """Reading and changing accounts; rows are dicts with :data:`COLUMNS`."""

    _placeholder = "?"

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Any]:
        """A cursor in a write transaction (created on first use where that applies)."""

    @abstractmethod
    def _snapshot(self) -> AbstractContextManager[Any | None]:
        """A cursor to read with, or None when no account was ever stored."""

    def _sql(self, text: str) -> str:
        return text.replace("?", self._placeholder)

    def _row(self, values: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(COLUMNS, values, strict=True))

    def get(self, username: str) -> dict[str, Any] | None:
        """One account by name (a primary-key read), or None."""
        with self._snapshot() as cur:
            if cur is None:
                return None
            cur.execute(
                self._sql(f"SELECT {', '.join(COLUMNS)} FROM users WHERE username = ?"),
                [username],
            )
            found = cur.fetchone()
        return None if found is None else self._row(found)

    def all(self) -> list[dict[str, Any]]:
        """Every account, by name."""
        with self._snapshot() as cur:
            if cur is None:
                return []
            cur.execute(f"SELECT {', '.join(COLUMNS)} FROM users ORDER BY username")
            return [self._row(r) for r in cur.fetchall()]

    def put(self, row: Mapping[str, Any]) -> None:
        """Store an account, replacing one of the same name."""
        self.load([row])

    def change(self, username: str, **changes: Any) -> bool:
        """Set some fields and end the account's tokens; False when there is no such account."""
        unknown = set(changes) - CHANGEABLE
        if unknown:
            raise InvalidInput(f"user {username!r}", [f"cannot change {sorted(unknown)}"])
        sets = [f"{name} = ?" for name in changes] + ["token_version = token_version + 1"]
        with self._transaction() as cur:
            cur.execute(
                self._sql(f"UPDATE users SET {', '.join(sets)} WHERE username = ?"),
                [*changes.values(), username],
            )
            return bool(cur.rowcount == 1)

    def delete(self, username: str) -> bool:
        """Remove an account; False when there is none."""
        with self._transaction() as cur:
            cur.execute(self._sql("DELETE FROM users WHERE username = ?"), [username])
            return bool(cur.rowcount == 1)

    def revoke_all(self) -> int:
        """End every token of every account; the number of accounts."""
        with self._transaction() as cur:
            cur.execute("UPDATE users SET token_version = token_version + 1")
            return int(cur.rowcount)

    def load(self, rows: Iterable[Mapping[str, Any]], *, keep_existing: bool = False) -> int:
        """Store many accounts in one transaction; ``keep_existing`` skips names already stored."""
        rows = list(rows)
        if not rows:
            return 0
        with self._transaction() as cur:
            cur.execute("SELECT username FROM users")
            stored = {r[0] for r in cur.fetchall()}
            new = [r for r in rows if not (keep_existing and r["username"] in stored)]
            insert = self._sql(
                f"INSERT INTO users ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
            )
            for row in new:
                cur.execute(self._sql("DELETE FROM users WHERE username = ?"), [row["username"]])
                cur.execute(insert, self._values(row))
        return len(new)

    def _values(self, row: Mapping[str, Any]) -> list[Any]:
        return [int(bool(row[c])) if c == "disabled" else row[c] for c in COLUMNS]


class SqliteAccounts(Accounts):
    """Accounts in their own SQLite file (beside a GeoPackage), created with the first account.

    Each call opens its own short connection: accounts are read once per request
    and rarely written, and no connection outlives a thread.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} cannot be opened as an accounts file: {exc}") from None
        return conn

    def _create(self) -> None:
        """The file, readable by its owner only (it holds password hashes), and its table."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with suppress(FileExistsError):
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        conn = self._connect()
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(_SQLITE_SCHEMA)
        finally:
            conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        if not self.path.exists() or self.path.stat().st_size == 0:
            self._create()
        conn = self._connect()
        try:
            with immediate_transaction(
                conn, source="accounts", refused="the accounts file refused the change"
            ) as cur:
                _upgrade_roles(cur)
                yield cur
        finally:
            conn.close()

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Cursor | None]:
        if not self.path.exists() or self.path.stat().st_size == 0:
            yield None  # no account yet: do not create the file by reading
            return
        conn = self._connect()
        try:
            yield conn.cursor()
        finally:
            conn.close()

    def _row(self, values: tuple[Any, ...]) -> dict[str, Any]:
        row = super()._row(values)
        row["created_at"] = datetime.fromisoformat(row["created_at"])
        return row

    def _values(self, row: Mapping[str, Any]) -> list[Any]:
        created = row["created_at"]
        if isinstance(created, datetime):  # SQLite has no time type: ISO 8601 text in UTC
            row = {**row, "created_at": created.astimezone(UTC).isoformat()}
        return super()._values(row)


def _upgrade_roles(cur: sqlite3.Cursor) -> None:
    """Let an accounts file written before the ``maslikhat`` role take it.

    SQLite cannot change a CHECK in place: the table is copied into one with the current
    schema, inside the caller's transaction (all or nothing). Reads need no upgrade.
    """
    cur.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'")
    found = cur.fetchone()
    if found is None or "'maslikhat'" in found[0]:
        return
    columns = ", ".join(COLUMNS)
    cur.execute("ALTER TABLE users RENAME TO users_before_roles")
    cur.execute(_SQLITE_SCHEMA)
    cur.execute(f"INSERT INTO users ({columns}) SELECT {columns} FROM users_before_roles")
    cur.execute("DROP TABLE users_before_roles")


class PostgisAccounts(Accounts):
    """Accounts in the PostGIS database's ``users`` table (not an OGC collection)."""

    _placeholder = "%s"

    def __init__(self, store: Any) -> None:
        self._store = store

    def _transaction(self) -> AbstractContextManager[Any]:
        return self._store._transaction()

    def _snapshot(self) -> AbstractContextManager[Any]:
        return self._store._snapshot()
