"""The GeoPackage reader process's guards: a deadline on each request, and no pipes shared
with a forked child. Real reader processes on real files."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from pasture import open_store
from pasture.store.gpkg import GeoPackageStore
from pasture.store.reader import READER, LayerReader
from tests.pasture.test_bulk_store import grid, with_okrugs

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
    """An error answer and a rows answer (an Arrow stream read up to its end marker)
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
