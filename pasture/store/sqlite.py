"""The write transaction both SQLite files use: the GeoPackage and the accounts file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import InvalidInput

__all__ = ["immediate_transaction", "is_busy", "transaction_end"]


@contextmanager
def immediate_transaction(
    conn: sqlite3.Connection, *, source: str, refused: str
) -> Iterator[sqlite3.Cursor]:
    """A cursor in a write transaction on ``conn``: committed on success, rolled back on error.

    ``BEGIN IMMEDIATE`` takes the write lock at once, so what is read inside sees what the
    write will change. A constraint that refuses the change (the last line of defence:
    validation runs first) is :class:`InvalidInput` from ``source``, ``refused`` + reason.
    """
    conn.execute("BEGIN IMMEDIATE")
    with transaction_end(conn, source=source, refused=refused) as cur:
        yield cur


@contextmanager
def transaction_end(
    conn: sqlite3.Connection, *, source: str, refused: str
) -> Iterator[sqlite3.Cursor]:
    """A cursor in the transaction already open on ``conn``, ended as
    :func:`immediate_transaction` ends its own: committed, or rolled back on any error."""
    cur = conn.cursor()
    try:
        yield cur
    except sqlite3.IntegrityError as exc:
        conn.execute("ROLLBACK")
        raise InvalidInput(source, [f"{refused}: {exc}"]) from None
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
    finally:
        cur.close()


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused for another connection's lock or commit (SQLITE_BUSY and its
    extended codes, such as SQLITE_BUSY_SNAPSHOT)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY
