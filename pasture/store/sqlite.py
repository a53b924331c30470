"""The write transaction both SQLite files use: the GeoPackage and the accounts file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import InvalidInput

__all__ = ["immediate_transaction"]


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
