"""Whole-layer reads run without Python's cyclic garbage collector, and leave it as it was."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pasture import open_store
from pasture.store.gpkg import GeoPackageStore
from pasture.store.reader import READER
from pasture.store.values import paused_gc
from tests.pasture.test_bulk_store import grid, with_okrugs


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of every collection that starts while the test runs."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)


def test_the_collector_is_off_inside_and_on_after() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), paused_gc():
        raise ValueError("a failed read")
    assert gc.isenabled()


def test_a_collector_turned_off_before_stays_off() -> None:
    gc.disable()
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_blocks_of_two_threads_turn_it_on_after_the_last() -> None:
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with paused_gc():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    assert inside.wait(10)
    with paused_gc():
        pass
    assert not gc.isenabled()  # the other thread's block is still open
    leave.set()
    thread.join()
    assert gc.isenabled()


@pytest.mark.parametrize("reader_rows", [1, 10**9], ids=["reader process", "in process"])
def test_a_whole_layer_read_triggers_no_collection(
    tmp_path: Path, collections: list[int], reader_rows: int
) -> None:
    """Without the pause, the 1,600 geometries (and row tuples) start collections."""
    with open_store(str(tmp_path / "store.gpkg")) as store:
        assert isinstance(store, GeoPackageStore)
        with_okrugs(store)
        store.write("plots", grid(40), user="tester")
        store.reader_rows = reader_rows
        store.read("plots")  # the reader process started, the statements prepared
        gc.collect()
        collections.clear()
        before = READER.cpu_seconds
        frame = store.read("plots")
        # one young collection may start at the first allocation after the pause: the
        # objects made meanwhile are all young
        assert collections in ([], [0])
        assert (READER.cpu_seconds > before) == (reader_rows == 1)  # the path it names
    assert len(frame) == 40 * 40 and gc.isenabled()
