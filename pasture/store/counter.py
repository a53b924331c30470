"""The write counter behind ``Store.version()``: the key of the pages' and layers' caches.

Every write transaction adds one to a counter row of ``meta`` as its last statement, so a
reader sees the count change together with the data. Where concurrent writers would queue
on one row's lock until each other's commit (PostGIS), the count is spread over
``Store.version_shards`` rows (``data_version:<n>``, one picked at random per write) and
read back as their sum in one snapshot: each committed write added one to one row, so the
sum changes with every write the snapshot sees, and only with those (snapshots taken later
see a superset of the commits, so equal sums mean equal data). No sequence: nothing is
counted outside the writing transaction. ``benchmarks/writes.py`` measures the gain.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

__all__ = ["VERSION_KEY", "count_write", "is_counter", "writes_seen"]

#: The meta key of the write counter (and the prefix, ``data_version:<n>``, of its rows
#: where there are several).
VERSION_KEY = "data_version"


def writes_seen(cur: Any, sql: Callable[[str], str]) -> int:
    """The number of writes the cursor's snapshot sees: the sum of the counter rows."""
    cur.execute(
        sql("SELECT value FROM meta WHERE key = ? OR substr(key, 1, ?) = ?"),
        [VERSION_KEY, len(VERSION_KEY) + 1, f"{VERSION_KEY}:"],
    )
    return sum(int(value) for (value,) in cur.fetchall())


def count_write(cur: Any, sql: Callable[[str], str], shards: int) -> None:
    """Add one to a counter row (one of ``shards``, at random, when more than one)."""
    key = VERSION_KEY if shards <= 1 else f"{VERSION_KEY}:{random.randrange(shards)}"
    cur.execute(
        sql(
            "INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE "
            "SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)"
        ),
        [key],
    )


def is_counter(key: str) -> bool:
    """Whether a meta key is a counter row (not a setting: ``Store.meta`` leaves it out)."""
    return key == VERSION_KEY or key.startswith(f"{VERSION_KEY}:")
