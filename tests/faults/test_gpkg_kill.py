"""GeoPackage: a writer killed with SIGKILL in the middle of a bulk write leaves the
store intact: it opens, passes SQLite's integrity check, and holds whole batches only."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pasture

#: Households per write: large enough that most of the writer's time is inside a write.
BATCH = 2000
#: Batches committed before the kill (the kill then lands in a later one).
BEFORE_KILL = 2


def test_kill_during_bulk_write_leaves_whole_batches(demo_gpkg: Path, tmp_path: Path) -> None:
    path = tmp_path / "store.gpkg"
    shutil.copy(demo_gpkg, path)
    with pasture.open_store(path) as store:
        before = store.count("households")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.bulk_writer", str(path), str(BATCH)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    committed = [writer.stdout.readline() for _ in range(BEFORE_KILL)]
    assert committed == [f"{k}\n" for k in range(BEFORE_KILL)], "the writer failed to start"
    # the next batch is being validated and written now: kill it mid-transaction
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with pasture.open_store(path, create=False) as store:
        added = store.count("households") - before
        written = store.read("households", where={"source": "generated: test"})
        history = store.history(layer="households")
    assert added >= BEFORE_KILL * BATCH and added % BATCH == 0
    batches = written["id"].str.slice(0, 8).value_counts()
    assert set(batches) == {BATCH}, "a batch was half written"
    assert (history["record_id"].isin(written["id"])).sum() == added
