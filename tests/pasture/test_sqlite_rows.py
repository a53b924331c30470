"""A grid of result rows (every plot × every date) goes into a GeoPackage with the text
its blocks share bound once per statement (:mod:`pasture.store.sqlite_rows`): the stored
table must be the one the row-by-row writer stores, value for value, NULL for NULL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import pasture
from pasture.errors import InvalidInput
from pasture.store import sqlite_rows
from pasture.store.sqlite_rows import GridLayout, grid_layout

PLOTS = [f"P{i:04d}" for i in range(1, 31)] + ["Ырыс-1", "Жайлау 2"]  # non-ASCII ids too
DAYS = pd.date_range("2024-04-01", periods=40, freq="8D")


def _grid(rng: np.random.Generator) -> pd.DataFrame:
    """Every plot × every date, plot by plot, as the zonal engine gives them: NaN
    statistics (NULL), a date without a scene, -0.0, a subnormal and extreme floats."""
    n = len(PLOTS) * len(DAYS)
    mean = rng.uniform(-0.2, 0.9, n)
    mean[4 + rng.choice(n - 4, 60, replace=False)] = np.nan
    mean[:4] = [-0.0, 0.0, 5e-324, 1.7976931348623157e308]
    std = np.where(np.isnan(mean), np.nan, rng.uniform(0, 0.2, n))
    scenes = [f"s2:{d.date()}:tile.tif" for d in DAYS]
    scenes[3] = None
    frame = pd.DataFrame(
        {
            "plot_id": np.repeat(PLOTS, len(DAYS)),
            "time": np.tile(DAYS.values, len(PLOTS)),
            "scene_id": scenes * len(PLOTS),
            "mean": mean,
            "std": std,
            "count": rng.uniform(0, 40, n),
            "valid_fraction": rng.uniform(0, 1, n),
        }
    )
    return frame.sort_values(["plot_id", "time"], ignore_index=True)  # key order


def _stored(path: Path) -> list[tuple[Any, ...]]:
    """Every stored row with each value's SQLite type; floats as hex (bit for bit)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT fid, plot_id, typeof(plot_id), time, typeof(time), scene_id, "
            'typeof(scene_id), mean, typeof(mean), std, "count", valid_fraction '
            "FROM ndvi_stats ORDER BY fid"
        ).fetchall()
    return [tuple(v.hex() if isinstance(v, float) else v for v in row) for row in rows]


def test_a_grid_is_stored_as_the_row_by_row_writer_stores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = _grid(np.random.default_rng(3))
    layouts: list[GridLayout | None] = []

    def spied(*args: Any, **kwargs: Any) -> GridLayout | None:
        layouts.append(grid_layout(*args, **kwargs))
        return layouts[-1]

    monkeypatch.setattr(sqlite_rows, "GRID_ROWS_PER_INSERT", 3 * len(DAYS))  # 32 = 10×3 + 2
    monkeypatch.setattr(sqlite_rows, "grid_layout", spied)
    with pasture.open_store(tmp_path / "grid.gpkg") as store:
        store.replace_rows("ndvi_stats", frame.iloc[: len(DAYS)])  # rows to replace
        store.replace_rows("ndvi_stats", frame)
    assert layouts[-1] == GridLayout(len(DAYS), ("block", "cycle", "cycle", *["row"] * 4))
    monkeypatch.setattr(sqlite_rows, "grid_layout", lambda *a, **k: None)  # row by row
    with pasture.open_store(tmp_path / "rows.gpkg") as store:
        store.replace_rows("ndvi_stats", frame.iloc[: len(DAYS)])
        store.replace_rows("ndvi_stats", frame)
    grid, rows = _stored(tmp_path / "grid.gpkg"), _stored(tmp_path / "rows.gpkg")
    assert len(grid) == len(frame) and grid == rows
    assert sum(r[8] == "null" for r in grid) == 60  # NaN stored as NULL


def test_a_failed_grid_write_leaves_the_old_rows(tmp_path: Path) -> None:
    """One transaction: a key given twice (a plot's block written twice) is refused by the
    table's unique key after some statements went in, and every old row stays."""
    frame = _grid(np.random.default_rng(4))
    with pasture.open_store(tmp_path / "store.gpkg") as store:
        store.replace_rows("ndvi_stats", frame)
        before = store.read_rows("ndvi_stats")
        last = frame[frame["plot_id"] == frame["plot_id"].iloc[-1]]
        twice = pd.concat([frame, last], ignore_index=True).assign(mean=0.5)
        with pytest.raises(InvalidInput, match="nothing was written"):
            store.replace_rows("ndvi_stats", twice, where={"time": list(DAYS.date)})
        pd.testing.assert_frame_equal(store.read_rows("ndvi_stats"), before)


def _columns(plots: int, days: int) -> list[list[Any]]:
    n = plots * days
    return [
        [f"p{i}" for i in range(plots) for _ in range(days)],
        [f"d{j}" for _ in range(plots) for j in range(days)],
        [float(i) for i in range(n)],
    ]


def test_the_layout_is_checked_value_by_value() -> None:
    shareable = [True, True, False]
    columns = _columns(50, 30)
    assert grid_layout(columns, shareable) == GridLayout(30, ("block", "cycle", "row"))
    # equal values that are different objects are shared too
    copies = [[("" + v + ".")[:-1] for v in columns[0]], *columns[1:]]
    assert grid_layout(copies, shareable) == GridLayout(30, ("block", "cycle", "row"))
    # one date differing in the last block: that column is the rows' own
    last = [columns[0], _changed(columns[1], len(columns[1]) - 1, "other"), columns[2]]
    assert grid_layout(last, shareable) == GridLayout(30, ("block", "row", "row"))
    # a plot's id changing inside its block
    inside = [_changed(columns[0], len(columns[0]) - 1, "p99"), *columns[1:]]
    assert grid_layout(inside, shareable) == GridLayout(30, ("row", "cycle", "row"))
    # None repeats like any value; only shareable (text) columns are ever shared
    nones = [columns[0], [None if v == "d3" else v for v in columns[1]], columns[2]]
    assert grid_layout(nones, shareable) == GridLayout(30, ("block", "cycle", "row"))
    assert grid_layout(columns, [True, False, False]) == GridLayout(30, ("block", "row", "row"))


def _changed(column: list[Any], at: int, value: Any) -> list[Any]:
    return [*column[:at], value, *column[at + 1 :]]


@pytest.mark.parametrize(
    ("columns", "shareable"),
    [
        ([c[:-1] for c in _columns(50, 30)], [True, True, False]),  # the last block is short
        (_columns(1, 1500), [True, True, False]),  # one block only
        (_columns(10, 30), [True, True, False]),  # too few rows to matter
        ([[f"r{i}" for i in range(1500)], _columns(50, 30)[1]], [True, True]),  # blocks of 1
        ([_changed(_columns(50, 30)[0], 1000, "p99"), _columns(50, 30)[1]], [True, False]),
    ],
)
def test_rows_that_are_no_grid_are_written_row_by_row(
    columns: list[list[Any]], shareable: list[bool]
) -> None:
    assert grid_layout(columns, shareable) is None
