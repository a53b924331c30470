"""`Store.replacing`: a slice replaced after a long computation, as `replace_rows` would.

On GeoPackage the check whether the slice holds every row runs during the computation,
in a read transaction the write then upgrades (pasture/store/gpkg_slice.py): a commit
by another connection in between must not be overlooked (the old answer would drop its
rows with the whole table).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pasture
from pasture.errors import InvalidInput
from pasture.store import Store
from pasture.store.gpkg import GeoPackageStore

DAYS = ["2024-05-01", "2024-05-17", "2024-06-02"]


def _rows(days: list[str], plots: tuple[str, ...] = ("p1", "p2", "p3")) -> pd.DataFrame:
    """Every plot × every day, plot by plot (as the zonal engine gives them)."""
    pairs = [(p, d) for p in plots for d in days]
    n = len(pairs)
    return pd.DataFrame(
        {
            "plot_id": [p for p, _ in pairs],
            "time": pd.to_datetime([d for _, d in pairs]),
            "scene_id": [f"s:{d}" for _, d in pairs],
            "mean": np.linspace(0.1, 0.7, n),
            "std": [np.nan] + [0.02] * (n - 1),
            "count": np.arange(n, dtype=float),
            "valid_fraction": [1.0] * n,
        }
    )


def _keys(store: Store) -> list[tuple[str, str]]:
    rows = store.read_rows("ndvi_stats")
    return list(zip(rows["plot_id"], rows["time"].dt.strftime("%Y-%m-%d"), strict=True))


def test_replacing_writes_what_replace_rows_writes(store: Store, tmp_path: Path) -> None:
    store.replace_rows("ndvi_stats", _rows(DAYS), where={"time": DAYS})
    new = _rows(DAYS).assign(mean=0.5)
    with store.replacing("ndvi_stats", where={"time": DAYS}) as slice_:
        assert slice_.write(new) == len(new)
        with pytest.raises(RuntimeError, match="written already"):
            slice_.write(new)
    expected = store.read_rows("ndvi_stats")
    store.replace_rows("ndvi_stats", new, where={"time": DAYS})
    pd.testing.assert_frame_equal(store.read_rows("ndvi_stats"), expected)
    assert (expected["mean"] == 0.5).all() and len(expected) == 9


def test_a_slice_of_some_dates_keeps_the_others(store: Store) -> None:
    store.replace_rows("ndvi_stats", _rows(DAYS), where={"time": DAYS})
    with store.replacing("ndvi_stats", where={"time": DAYS[1:]}) as slice_:
        slice_.write(_rows(DAYS[1:], plots=("p1",)))
    assert _keys(store) == [
        ("p1", "2024-05-01"),
        ("p1", "2024-05-17"),
        ("p1", "2024-06-02"),
        ("p2", "2024-05-01"),
        ("p3", "2024-05-01"),
    ]


def test_leaving_without_writing_changes_nothing(store: Store) -> None:
    store.replace_rows("ndvi_stats", _rows(DAYS), where={"time": DAYS})
    before = store.read_rows("ndvi_stats")
    with pytest.raises(ZeroDivisionError), store.replacing("ndvi_stats", where={"time": DAYS}):
        1 / 0  # the computation fails  # noqa: B018
    bad = _rows(DAYS).assign(valid_fraction=np.nan)  # a required value missing
    with pytest.raises(InvalidInput), store.replacing("ndvi_stats", where={"time": DAYS}) as s:
        s.write(bad)
    pd.testing.assert_frame_equal(store.read_rows("ndvi_stats"), before)
    # the store's connection is free again: a plain write works
    store.replace_rows("ndvi_stats", _rows(DAYS[:1]), where={"time": DAYS[:1]})
    assert len(store.read_rows("ndvi_stats")) == 9


def test_a_bad_filter_is_refused_before_the_computation(store: Store) -> None:
    with (
        pytest.raises(InvalidInput, match="cannot filter"),
        store.replacing("ndvi_stats", where={"day": DAYS}),
    ):
        pytest.fail("the block ran")


def test_rows_where_the_filter_is_null_are_not_in_the_slice(store: Store) -> None:
    """A row whose filter column is NULL is not in ``scene_id IN (…)``: the slice does
    not hold every row, and the row stays (a NULL-blind check would drop the table)."""
    rows = _rows(DAYS)
    rows.loc[0, "scene_id"] = None
    store.replace_rows("ndvi_stats", rows, where=None)
    ids = [f"s:{d}" for d in DAYS]
    with store.replacing("ndvi_stats", where={"scene_id": ids}) as slice_:
        slice_.write(_rows(DAYS, plots=("p9",)))
    kept = store.read_rows("ndvi_stats")
    assert ("p1", "2024-05-01") in _keys(store)
    assert kept["scene_id"].isna().sum() == 1 and len(kept) == 1 + 3


def _other_writer(path: Path) -> GeoPackageStore:
    return GeoPackageStore(path)


def test_a_commit_during_the_computation_is_not_lost(tmp_path: Path) -> None:
    """Another connection commits a row outside the slice after the check: the check's
    "every row" is stale, SQLite refuses to upgrade the snapshot, the write checks again
    and keeps the row."""
    path = tmp_path / "s.gpkg"
    with pasture.open_store(path) as store, _other_writer(path) as other:
        store.replace_rows("ndvi_stats", _rows(DAYS), where={"time": DAYS})
        with store.replacing("ndvi_stats", where={"time": DAYS}) as slice_:
            slice_._join()  # type: ignore[attr-defined]  # the check has answered
            assert slice_._whole is True  # type: ignore[attr-defined]
            other.replace_rows("ndvi_stats", _rows(["2024-07-01"]), where={"time": ["2024-07-01"]})
            slice_.write(_rows(DAYS).assign(mean=0.25))
        keys = _keys(store)
    assert len(keys) == 12 and ("p2", "2024-07-01") in keys


def test_a_writer_holding_the_lock_is_waited_for(tmp_path: Path) -> None:
    """Another connection holds the write lock when the write starts: SQLite will not
    wait while the snapshot is open, so the write begins again, waits for the lock and
    checks again (the other writer's row, committed meanwhile, stays)."""
    path = tmp_path / "s.gpkg"
    with pasture.open_store(path) as store:
        store.replace_rows("ndvi_stats", _rows(DAYS), where={"time": DAYS})
        with store.replacing("ndvi_stats", where={"time": DAYS}) as slice_:
            slice_._join()  # type: ignore[attr-defined]
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO ndvi_stats (plot_id, time, valid_fraction) "
                "VALUES ('p7', '2024-07-01', 1.0)"
            )
            timer = threading.Timer(0.5, lambda: conn.execute("COMMIT"))
            timer.start()
            try:
                slice_.write(_rows(DAYS).assign(mean=0.25))
            finally:
                timer.join()
                conn.close()
        keys = _keys(store)
        means = store.read_rows("ndvi_stats")["mean"]
    assert ("p7", "2024-07-01") in keys and len(keys) == 10
    assert (means.dropna() == 0.25).all()
