"""The GeoPackage reader process's guards: a deadline on each request, and no pipes shared
with a forked child. Real reader processes on real files."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from pasture import open_store
from pasture.store import reader_process
from pasture.store.gpkg import GeoPackageStore
from pasture.store.reader import READER, LayerReader
from tests.pasture.test_bulk_store import SIDE, grid, with_okrugs

# A statement SQLite works on for hours: a reader that does not answer.
_ENDLESS = (
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1e15) "
    "SELECT count(*) AS c FROM n"
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "store.gpkg"
    with open_store(str(path)) as store:
        with_okrugs(store)
        store.write("plots", grid(), user="tester")
    return path


def test_a_reader_past_its_deadline_is_killed_and_replaced(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reader = LayerReader(timeout=2.0)
    try:
        with caplog.at_level(logging.WARNING, logger="pasture.store"):
            assert reader.read(str(path), _ENDLESS) is None
        assert "did not answer within 2 s" in caplog.text
        assert reader.pid is None  # killed and forgotten
        reader.timeout = 120.0  # a new reader starts (GDAL imported) on a loaded machine
        answer = reader.read(str(path), "SELECT id, geom FROM plots ORDER BY id")
        assert answer is not None and answer[1].num_rows == len(grid())
    finally:
        reader.close()


def test_a_store_read_past_the_deadline_falls_back_in_process(
    path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    READER.close()  # a new reader must start (and import GDAL): far beyond 10 ms
    monkeypatch.setattr(READER, "timeout", 0.01)
    with open_store(str(path)) as store:
        assert isinstance(store, GeoPackageStore)
        before = READER.cpu_seconds
        store.reader_rows = 1
        with caplog.at_level(logging.WARNING, logger="pasture.store"):
            fallen_back = store.read("plots")
        store.reader_rows = 10**9
        local = store.read("plots")
    assert "did not answer" in caplog.text
    assert READER.cpu_seconds == before  # the reader never answered
    pd.testing.assert_frame_equal(pd.DataFrame(fallen_back), pd.DataFrame(local))


# Run in an interpreter of its own (forking pytest's process hung an earlier attempt): the
# parent reads through its reader, a forked child reads once, the parent reads again.
_FORK_SCRIPT = """
import multiprocessing, sys
from pasture import open_store
from pasture.store.reader import READER

path = sys.argv[1]

def read(tag):
    with open_store(path) as store:
        store.reader_rows = 1
        before = READER.cpu_seconds
        frame = store.read("plots")
    return len(frame), READER.cpu_seconds > before

def child(queue):
    inherited = READER._proc  # the guard ran at fork: nothing of the parent's reader
    rows, answered = read("child")
    queue.put((inherited is None, rows, answered, READER.pid))
    READER.close()

rows, answered = read("parent")
parent_pid = READER.pid
assert answered and parent_pid is not None
ctx = multiprocessing.get_context("fork")
queue = ctx.Queue()
proc = ctx.Process(target=child, args=(queue,))
proc.start()
proc.join(timeout=60)
if proc.is_alive():
    proc.kill()
    sys.exit("the forked child hung")
fresh, child_rows, child_answered, child_reader = queue.get(timeout=5)
again, answered_again = read("parent again")
print(fresh, child_rows == rows, child_answered, child_reader not in (None, parent_pid),
      again == rows, answered_again, READER.pid == parent_pid)
"""


def test_a_forked_child_starts_its_own_reader(path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(  # this interpreter, a script of this test
        [sys.executable, "-c", textwrap.dedent(_FORK_SCRIPT), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True"] * 7


def test_the_reader_process_loads_no_frame_library(path: Path) -> None:
    """It answers with Arrow alone: pandas, shapely and geopandas (what pyogrio imports
    when it finds them, ~0.5 s of CPU at every start) are not loaded into it."""
    reader = LayerReader(timeout=120.0)
    try:
        answer = reader.read(str(path), "SELECT id, geom FROM plots ORDER BY id")
        assert answer is not None and answer[1].num_rows == len(grid())
        maps = Path(f"/proc/{reader.pid}/maps").read_text()
    finally:
        reader.close()
    assert "pyarrow" in maps and "pyogrio" in maps  # the libraries it reads with
    for library in ("pandas/_libs", "shapely/lib", "pyproj/"):
        assert library not in maps


def test_a_refused_statement_is_none_and_the_next_answer_is_whole(path: Path) -> None:
    """An error answer and a rows answer (batches read up to its DONE record)
    leave the pipe at the start of the next answer: the same reader answers again."""
    reader = LayerReader(timeout=120.0)
    try:
        for _ in range(2):
            assert reader.read(str(path), "SELECT nothing FROM no_such_table") is None
            pid = reader.pid
            answer = reader.read(str(path), "SELECT id, geom FROM plots ORDER BY id")
            assert answer is not None and answer[0] == {"geometry_name": "geom"}
            assert answer[1].column("id").to_pylist() == sorted(grid()["id"])
            assert reader.pid == pid is not None  # not restarted: the framing held
    finally:
        reader.close()


def _through_reader(store: GeoPackageStore) -> pd.DataFrame:
    """A whole-layer read that the reader process answered (not one read here)."""
    store.reader_rows = 1
    before = READER.cpu_seconds
    frame = store.read("plots")
    assert READER.cpu_seconds > before
    return frame


def test_the_kept_dataset_sees_every_write_committed_before_a_read(path: Path) -> None:
    """The reader keeps the file open between requests (same process, same dataset);
    each read sees what this store and another connection committed before it."""
    with open_store(str(path)) as store:
        assert isinstance(store, GeoPackageStore)
        assert _through_reader(store)["name"].isna().all()
        pid = READER.pid
        store.write("plots", grid().iloc[[0]].assign(name="renamed"), user="tester", mode="upsert")
        store.write("plots", grid(side=2, prefix="n", row0=SIDE), user="tester")
        after = _through_reader(store)
        assert after["name"].tolist().count("renamed") == 1
        assert len(after) == len(grid()) + 4
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("DELETE FROM plots WHERE id = 'g00-01'")  # committed at once
        finally:
            other.close()
        assert "g00-01" not in set(_through_reader(store)["id"])
        assert READER.pid == pid  # one reader process answered all three


def test_a_file_replaced_at_the_same_path_is_read_anew(path: Path) -> None:
    """The kept dataset is the old file's: another file at the path is opened afresh."""
    with open_store(str(path)) as store:
        assert isinstance(store, GeoPackageStore)
        assert len(_through_reader(store)) == len(grid())
        schema = store._connect().execute("PRAGMA schema_version").fetchone()
    pid = READER.pid
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with open_store(str(path)) as store:
        assert isinstance(store, GeoPackageStore)
        with_okrugs(store)
        store.write("plots", grid(prefix="r"), user="tester")  # the same writes, other ids
        # the same schema version: only the file's identity tells the two apart
        assert store._connect().execute("PRAGMA schema_version").fetchone() == schema
        assert sorted(_through_reader(store)["id"]) == sorted(grid(prefix="r")["id"])
        assert READER.pid == pid


# In an interpreter of its own (GDAL's SQLite stays out of pytest's process): the kept
# dataset's answer and pyogrio's (where GDAL's functions are not found) are the same.
_BOTH_SCRIPT = """
import runpy, sys
module = runpy.run_path(sys.argv[1])
sql = "SELECT id, name, elevation_m, version, geom FROM plots ORDER BY id"
def read(reader):
    with reader.read(sys.argv[2], sql, None) as (geometry_name, batches):
        return geometry_name, batches.read_all()
kept, fallback = read(module["_Gdal"]()), read(module["_Pyogrio"]())
print(kept[0] == fallback[0] == "geom", kept[1].equals(fallback[1]), kept[1].num_rows)
"""


def test_the_kept_dataset_answers_what_pyogrio_answers(path: Path) -> None:
    done = subprocess.run(  # this interpreter, a script of this test
        [sys.executable, "-I", "-c", _BOTH_SCRIPT, reader_process.__file__, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", str(len(grid()))]
