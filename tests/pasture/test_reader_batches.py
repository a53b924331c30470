"""The reader process's answer comes batch by batch, through its memory file (Linux) or
the pipe, and the frame built from the batches as they come is the in-process read's.
Real reader processes on real files."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pasture import open_store
from pasture.store.gpkg import GeoPackageStore
from pasture.store.reader import READER
from tests.pasture import factories
from tests.pasture.test_bulk_store import grid, with_okrugs

MEMORY_FILE = "memfd:pasture-reader"
LINUX = pytest.mark.skipif(sys.platform != "linux", reason="memory files: Linux only")


@pytest.fixture(params=["memory file", "pipe"])
def shared(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Each test through both ways of handing the batches over."""
    on = request.param == "memory file"
    if on and sys.platform != "linux":
        pytest.skip("memory files: Linux only")
    monkeypatch.setattr(READER, "shared", on)
    return on


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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: bool, layer: str
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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: bool
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


def _mapped_memory_files() -> int:
    return Path("/proc/self/maps").read_text().count(MEMORY_FILE)


def _memory_files(pid: int) -> int:
    folder = Path(f"/proc/{pid}/fd")
    links = []
    for entry in folder.iterdir():
        try:
            links.append(os.readlink(entry))
        except FileNotFoundError:  # closed meanwhile
            continue
    return sum(MEMORY_FILE in link for link in links)


@LINUX
def test_the_memory_files_are_mapped_and_let_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer's batches are the reader's memory file, mapped here; the frame holds
    copies (no mapping is left once the answer is dropped), this process keeps no
    descriptor of the file, and the reader closes its own once the next request comes."""
    monkeypatch.setattr(READER, "shared", True)
    monkeypatch.setattr(READER, "batch_rows", 50)
    mapped: list[int] = []
    read = READER.read

    def recorded(*args: Any, **kwargs: Any) -> Any:
        answer = read(*args, **kwargs)
        mapped.append(_mapped_memory_files())  # while the answer's batches are alive
        return answer

    monkeypatch.setattr(READER, "read", recorded)
    with open_store(str(tmp_path / "store.gpkg")) as store:
        assert isinstance(store, GeoPackageStore)
        with_okrugs(store)
        store.write("plots", grid(), user="tester")
        frame = _answered(store, "plots")
        gc.collect()
        assert mapped[0] == 3  # 144 plots in batches of 50, each mapped alone
        assert _mapped_memory_files() == 0  # the frame holds none of it
        assert _memory_files(os.getpid()) == 0
        _answered(store, "plots")  # the reader has let go of the first answer's file
        assert _memory_files(READER.pid or 0) <= 1  # the second's, until the next request
        assert frame["id"].is_monotonic_increasing and len(frame) == len(grid())
    # the store's closing is the next request: the reader keeps no memory file
    assert _memory_files(READER.pid or 0) == 0
