"""The reader process's answer comes batch by batch through its pipe, and the frame built
from the batches as they come is the in-process read's. Real reader processes on real
files."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
import shapely

from pasture import open_store
from pasture.store import reader
from pasture.store.gpkg import GeoPackageStore
from pasture.store.reader import READER
from pasture.store.reader_process import PIPE_BYTES
from tests.pasture import factories
from tests.pasture.test_bulk_store import grid, with_okrugs


def _assert_same(through_reader: pd.DataFrame, local: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        pd.DataFrame(through_reader.drop(columns="geometry")),
        pd.DataFrame(local.drop(columns="geometry")),
    )
    assert all(
        a.equals_exact(b, 0.0) for a, b in zip(through_reader.geometry, local.geometry, strict=True)
    )


def _answered(store: GeoPackageStore, layer: str) -> pd.DataFrame:
    store.reader_rows = 1
    before = READER.cpu_seconds
    frame = store.read(layer)
    assert READER.cpu_seconds > before  # the reader answered (not a read here)
    store.reader_rows = 10**9
    return frame


@pytest.mark.parametrize("layer", ["settlements", "plots", "herds"])
def test_a_read_in_batches_of_one_equals_the_in_process_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layer: str
) -> None:
    """Optional integers with gaps (settlements), dates and texts filled in some records
    only (plots), required integers (herds, and every layer's version): each column
    joined from its batches, the second read a lean one."""
    monkeypatch.setattr(READER, "batch_rows", 1)
    with open_store(str(tmp_path / "store.gpkg")) as store:
        assert isinstance(store, GeoPackageStore)
        factories.fill(store, n_plots=9)
        first, second = _answered(store, layer), _answered(store, layer)
        local = store.read(layer)
    assert len(local) > (0 if layer == "herds" else 1)  # more than one batch but in herds
    _assert_same(first, local)
    _assert_same(second, local)


def test_a_lean_statement_missing_a_record_in_its_last_batch_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lean statement's batches are decoded as they come; it misses the last record
    (filled meanwhile), which only its end tells: the whole statement's rows replace them."""
    monkeypatch.setattr(READER, "batch_rows", 10)
    plots = grid()
    with open_store(str(tmp_path / "store.gpkg")) as store:
        assert isinstance(store, GeoPackageStore)
        with_okrugs(store)
        store.write("plots", plots, user="tester")
        _answered(store, "plots")  # finds name empty everywhere
        last = plots.sort_values("id").iloc[[-1]].assign(name="last")
        store.write("plots", last, user="tester", mode="upsert")
        again = _answered(store, "plots")
        local = store.read("plots")
    assert again["name"].tolist()[-1] == "last" and again["name"].notna().sum() == 1
    _assert_same(again, local)


@pytest.mark.skipif(sys.platform != "linux", reason="a pipe's size is set on Linux only")
def test_the_answers_pipe_holds_a_batch_or_two(tmp_path: Path) -> None:
    """The reader writes a batch and goes on reading while this process decodes one: the
    pipe is enlarged beyond a batch of plots (64 KiB by default: the reader would wait)."""
    import fcntl

    with open_store(str(tmp_path / "store.gpkg")) as store:
        assert isinstance(store, GeoPackageStore)
        with_okrugs(store)
        store.write("plots", grid(), user="tester")
        _answered(store, "plots")
        proc = READER._proc
        assert proc is not None and proc.stdout is not None
        size = fcntl.fcntl(proc.stdout.fileno(), fcntl.F_GETPIPE_SZ)
    assert size == PIPE_BYTES > 64 * 1024


def test_a_batch_failing_to_decode_here_reads_in_process_and_the_next_read_is_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Decoding stops at the second batch: the rest of the answer is still in the pipe,
    so that reader is stopped (a new one answers the next read, not with the old rest),
    and this read is the in-process one."""
    monkeypatch.setattr(READER, "batch_rows", 10)
    decoded = 0

    def failing(wkb: Any) -> Any:
        nonlocal decoded
        decoded += 1
        if decoded == 2:
            raise shapely.errors.GEOSException("a broken geometry")
        return from_wkb(wkb)

    from_wkb = shapely.from_wkb
    # the reader module's shapely alone (the in-process read decodes with the real one)
    monkeypatch.setattr(reader, "shapely", SimpleNamespace(from_wkb=failing))
    with open_store(str(tmp_path / "store.gpkg")) as store:
        assert isinstance(store, GeoPackageStore)
        with_okrugs(store)
        store.write("plots", grid(), user="tester")
        store.reader_rows = 1
        before, pid = READER.cpu_seconds, READER.pid
        with caplog.at_level(logging.WARNING, logger="pasture.store"):
            fallen_back = store.read("plots")
        assert READER.cpu_seconds == before and READER.pid is None  # stopped mid-answer
        assert "decoding the reader's answer" in caplog.text
        again = _answered(store, "plots")
        local = store.read("plots")
    assert pid is None or pid != READER.pid
    _assert_same(fallen_back, local)
    _assert_same(again, local)
