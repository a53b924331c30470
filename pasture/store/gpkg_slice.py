"""A GeoPackage slice replaced after a long computation, its check done during it.

Replacing a slice of a result table first asks whether the slice holds every row of the
table: then SQLite drops the table's pages at once instead of deleting row by row
(:meth:`GeoPackageStore._delete_slice`). The question scans the table's unique index,
0.07–0.13 s for the demo's 521,824 NDVI rows, and its answer does not depend on the new
rows: :meth:`GeoPackageStore.replacing` asks it in a thread (SQLite works without the GIL)
while the caller computes them, on the connection that will write them, in a read
transaction left open.

The write then upgrades that same transaction: the answer is one the write transaction
itself read, as if asked after ``BEGIN IMMEDIATE``. SQLite upgrades a read transaction
only while its snapshot is the newest (``SQLITE_BUSY_SNAPSHOT`` if another connection
committed since) and never waits for the write lock there (``SQLITE_BUSY``): in either
case the transaction is rolled back and the usual write runs, its check included.
The open read transaction takes no lock other writers wait for; what it holds back is a
checkpoint past its snapshot, for the length of the computation.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..model import table as table_named
from .sqlite import is_busy, transaction_end

if TYPE_CHECKING:
    from .gpkg import GeoPackageStore

__all__ = ["SurveyedSlice", "holds_every_row"]


def holds_every_row(cur: Any, table: str, conds: list[str], params: list[Any]) -> bool:
    """Whether the rows ``conds`` select (true, not NULL) are every row of ``table``.

    Two counts over the table's smallest index, not a search for a row outside: SQLite
    counts a whole table from its pages' cell counts, and a plain ``WHERE`` test costs
    about half the ``(… IN (…)) IS NOT 1`` of a row-by-row search (0.07 against 0.13 s).
    """
    if not conds:
        return True
    where = " AND ".join(conds)
    cur.execute(
        f"SELECT (SELECT count(*) FROM {table}) = (SELECT count(*) FROM {table} WHERE {where})",
        params,
    )
    return bool(cur.fetchone()[0])


class SurveyedSlice:
    """The slice of :meth:`GeoPackageStore.replacing`, checked in a thread meanwhile."""

    def __init__(self, store: GeoPackageStore, table: str, where: Mapping[str, Any] | None) -> None:
        self._store, self._table, self._where = store, table, where
        self._conn = store._connect()
        self._conds, self._params = store._table_conditions(table_named(table), where)
        self._whole: bool | None = None  # the survey's answer; None: no answer
        self._written = False
        self._thread: threading.Thread | None = None
        self._began = False  # whether the survey's transaction is ours to end
        if self._conn.in_transaction:  # inside another transaction: the usual write
            return
        self._conn.execute("BEGIN")  # deferred: the survey's read opens the snapshot
        self._began = True
        self._thread = threading.Thread(target=self._survey, name="slice-survey", daemon=True)
        self._thread.start()

    def _survey(self) -> None:
        cur = self._conn.cursor()
        try:
            self._whole = holds_every_row(cur, self._table, self._conds, self._params)
        except sqlite3.Error:  # the usual write asks again and reports what is wrong
            self._whole = None
        finally:
            cur.close()

    def _join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def write(self, rows: pd.DataFrame) -> int:
        """Replace the slice by ``rows`` in one transaction; returns the rows written."""
        if self._written:
            raise RuntimeError("this slice was written already")
        self._written = True
        # checked and ordered while the survey may still run
        prepared = self._store._prepare_slices([(self._table, rows, self._where)])
        self._join()
        if self._whole is not None and self._began:
            self._began = False  # committed or rolled back below
            if self._write_in_survey(prepared, self._whole):
                return len(prepared[0][1])
        self.close()
        return self._store._replace_prepared(prepared)[0]

    def _write_in_survey(self, prepared: list[Any], whole: bool) -> bool:
        """Write in the survey's transaction; False (rolled back) if SQLite refuses to
        upgrade it to a write (another connection wrote or is writing)."""
        spec, clean, conds, params = prepared[0]
        cur = self._conn.cursor()
        try:
            # the transaction's first write: SQLite upgrades it here or refuses
            self._store._delete_known_slice(cur, spec.name, conds, params, whole=whole)
        except sqlite3.OperationalError as exc:
            self._rollback()
            if is_busy(exc):
                return False
            raise
        except BaseException:
            self._rollback()
            raise
        finally:
            cur.close()
        with transaction_end(
            self._conn, source="database", refused="a database constraint refused the change"
        ) as cur:
            self._store._insert_table(cur, spec, clean)
            self._store._bump_version(cur)
        return True

    def close(self) -> None:
        """End the survey's read transaction, if still open (nothing was written)."""
        self._join()
        if self._began:
            self._rollback()
        self._began = False

    def _rollback(self) -> None:
        if self._conn.in_transaction:  # SQLite may have rolled back on its own error
            self._conn.execute("ROLLBACK")
