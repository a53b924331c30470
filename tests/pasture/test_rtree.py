"""The GeoPackage R-tree built whole (pasture.store.rtree) is one SQLite's R-tree accepts.

SQLite's own ``rtreecheck`` checks the nodes, their boxes, depths and the rowid and parent
maps; the stored boxes and the answers to box queries equal those of SQLite's own
inserts, and SQLite's inserts and deletes go on working on the built tree.
"""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import box

from pasture import open_store
from pasture.store.rtree import fill_empty_rtree
from pasture.store.values import BATCH
from tests.pasture.factories import X0, Y0
from tests.pasture.test_bulk_store import grid, with_okrugs

_QUERY = "SELECT id FROM {t} WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ? ORDER BY id"


def _two_indexes(n: int) -> tuple[sqlite3.Connection, np.ndarray, np.ndarray]:
    """Boxes (minx, maxx, miny, maxy) filled in bulk into ``bulk``, one by one into ``rows``."""
    rng = np.random.default_rng(n)
    x, y = rng.uniform(-180, 180, n), rng.uniform(-90, 90, n)
    # widths down to nothing, and coordinates no float32 holds: rounding is tested
    w, h = rng.uniform(0, 0.1, n) * (rng.random(n) < 0.9), rng.uniform(0, 0.1, n)
    boxes = np.column_stack([x, x + w, y, y + h])
    ids = np.arange(1, n + 1, dtype=np.int64) * 7
    conn = sqlite3.connect(":memory:")
    for name in ("bulk", "rows"):
        conn.execute(f"CREATE VIRTUAL TABLE {name} USING rtree(id, minx, maxx, miny, maxy)")
    assert fill_empty_rtree(conn.cursor(), "bulk", ids, boxes)
    conn.executemany(
        "INSERT INTO rows VALUES (?, ?, ?, ?, ?)",
        [(i, *b) for i, b in zip(ids.tolist(), boxes.tolist(), strict=True)],
    )
    return conn, ids, boxes


# one leaf; a full leaf; a root over two leaves; three levels (a root over 51 x 51 + 1)
@pytest.mark.parametrize("n", [1, 51, 52, 51 * 51 + 1])
def test_a_built_index_holds_what_sqlites_inserts_hold(n: int) -> None:
    conn, ids, _ = _two_indexes(n)
    assert conn.execute("SELECT rtreecheck('bulk')").fetchone() == ("ok",)
    stored = [conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in ("bulk", "rows")]
    assert len(stored[0]) == n and stored[0] == stored[1]
    for window in [(10.0, -10.0, 5.0, -5.0), (180.0, -180.0, 90.0, -90.0), (0.01, 0.0, 0.01, 0.0)]:
        found = [conn.execute(_QUERY.format(t=t), window).fetchall() for t in ("bulk", "rows")]
        assert found[0] == found[1]
    # SQLite's own inserts and deletes (splits, underfull nodes) go on from the built tree
    conn.executemany("INSERT INTO bulk VALUES (?, 0, 1, 0, 1)", [(i,) for i in range(2, 300, 7)])
    conn.executemany("DELETE FROM bulk WHERE id = ?", [(int(i),) for i in ids[: 2 * n // 3]])
    assert conn.execute("SELECT rtreecheck('bulk')").fetchone() == ("ok",)
    assert conn.execute("SELECT count(*) FROM bulk").fetchone() == (n - 2 * n // 3 + 43,)


def test_an_index_that_holds_entries_is_left_alone() -> None:
    conn, ids, boxes = _two_indexes(60)
    before = conn.execute("SELECT * FROM bulk_node ORDER BY nodeno").fetchall()
    assert not fill_empty_rtree(conn.cursor(), "bulk", ids + 1, boxes)
    assert conn.execute("SELECT * FROM bulk_node ORDER BY nodeno").fetchall() == before


def test_a_first_import_in_batches_builds_the_index_whole(tmp_path: Path) -> None:
    """More plots than one insert batch: every batch's entries go into one packed tree
    (SQLite's inserts one by one leave nodes about two-thirds full: more nodes)."""
    side = math.isqrt(2 * BATCH) + 2
    plots = grid(side=side)
    path = tmp_path / "import.gpkg"
    with open_store(path) as store:
        with_okrugs(store)
        store.write("plots", plots, user="tester")
        window = (X0 + 0.01, Y0 + 0.02, X0 + 0.05, Y0 + 0.07)
        found = store.read("plots", bbox=window)
        expected = plots.loc[plots.intersects(box(*window)), "id"]
        assert sorted(found["id"]) == sorted(expected)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT rtreecheck('rtree_plots_geom')").fetchone() == ("ok",)
        (entries,) = conn.execute("SELECT count(*) FROM rtree_plots_geom").fetchone()
        (nodes,) = conn.execute("SELECT count(*) FROM rtree_plots_geom_node").fetchone()
    finally:
        conn.close()
    assert entries == len(plots) > BATCH
    leaves = math.ceil(len(plots) / 51)
    assert nodes <= leaves + math.ceil(math.sqrt(leaves)) + 1
