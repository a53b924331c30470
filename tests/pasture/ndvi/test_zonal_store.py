"""`pasture ndvi zonal` stores exactly what the zonal engine computes, on both stores.

The store writes the engine's half a million NDVI rows in bulk (many rows per INSERT on
GeoPackage, COPY on PostGIS, each distinct date and id checked once): these tests compare
every stored value, bit for bit, with :func:`pasture.ndvi.zonal.zonal_stats` on the same
scenes, including plots with no valid pixel (NaN statistics stored as NULL).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import box

import pasture
from pasture.errors import InvalidInput
from pasture.ndvi.catalogue import compute_ndvi_stats, open_scenes, register_scenes
from pasture.ndvi.zonal import zonal_stats
from pasture.store.tables import in_key_order
from tests.pasture import factories
from tests.pasture.factories import X0, Y0

# UTM 44N, 500 m pixels, covering the factories' plots (77.40-77.72 E, 43.30-43.34 N)
ORIGIN = (200_000.0, 4_815_000.0)
DAYS = ["2024-05-01", "2024-05-17", "2024-06-02", "2024-06-18"]


def _scene(path: Path, day: str, rng: np.random.Generator) -> Path:
    """Random NDVI with a cloud of NaN; on the last date the first plot is all cloud."""
    data = rng.uniform(-0.2, 0.9, size=(60, 90)).astype("float32")
    r, c = rng.integers(0, 50, 2)
    data[r : r + 12, c : c + 15] = np.nan
    if day == DAYS[-1]:
        data[:, :] = np.nan
        data[:, 60:] = rng.uniform(0.1, 0.8, size=(60, 30)).astype("float32")
    with rasterio.open(
        path, "w", driver="GTiff", width=90, height=60, count=1, dtype="float32",
        nodata=np.nan, crs="EPSG:32644", transform=from_origin(*ORIGIN, 500, 500),
    ) as dst:  # fmt: skip
        dst.write(data, 1)
        dst.update_tags(DATE=day)
    return path


def _expected(store: pasture.Store) -> pd.DataFrame:
    """The engine's own output on the catalogue's stack, in the stored table's terms."""
    plots = store.read("plots")[["id", "geometry"]]
    ((stack, _),) = open_scenes(store)
    table = zonal_stats(plots, stack, stats=("mean", "std", "count"))
    table = table.sort_values(["plot_id", "time"])
    return table.reset_index(drop=True)


def test_stored_ndvi_equals_the_engine_for_every_plot_and_date(
    store: pasture.Store, tmp_path: Path
) -> None:
    factories.fill(store, n_plots=8)
    store.set_region(box(X0 - 1, Y0 - 1, X0 + 1, Y0 + 1))
    rng = np.random.default_rng(23)
    files = [_scene(tmp_path / f"ndvi_{day}.tif", day, rng) for day in DAYS]
    register_scenes(store, files, user="t")
    compute_ndvi_stats(store)
    compute_ndvi_stats(store)  # again: the rows are replaced, not added
    stored = store.read_rows("ndvi_stats")
    expected = _expected(store)
    assert len(stored) == 8 * len(DAYS) == len(expected)
    assert stored["mean"].isna().any() and stored["mean"].notna().any()  # NULL round trip
    pd.testing.assert_series_equal(stored["plot_id"], expected["plot_id"], check_dtype=False)
    np.testing.assert_array_equal(
        stored["time"].to_numpy("datetime64[ns]"), expected["time"].to_numpy("datetime64[ns]")
    )
    for name in ("mean", "std", "count", "valid_fraction"):
        np.testing.assert_array_equal(
            stored[name].to_numpy(), expected[name].to_numpy(), err_msg=name
        )
    scenes = {str(pd.Timestamp(d).date()): f for d, f in zip(DAYS, files, strict=True)}
    for day, scene_id in zip(stored["time"], stored["scene_id"], strict=True):
        assert scene_id.endswith(scenes[str(day.date())].name)


def test_a_slice_of_dates_leaves_the_other_dates_alone(
    store: pasture.Store, tmp_path: Path
) -> None:
    """Computing some dates deletes only their rows (GeoPackage deletes a whole table at
    once only when the slice holds every row)."""
    factories.fill(store)
    store.set_region(box(X0 - 1, Y0 - 1, X0 + 1, Y0 + 1))
    rng = np.random.default_rng(5)
    register_scenes(store, [_scene(tmp_path / f"n_{d}.tif", d, rng) for d in DAYS], user="t")
    compute_ndvi_stats(store)
    before = store.read_rows("ndvi_stats")
    assert compute_ndvi_stats(store, start=DAYS[1], end=DAYS[2]) == 4 * 2
    after = store.read_rows("ndvi_stats")
    pd.testing.assert_frame_equal(after, before)


def test_a_failed_write_leaves_the_old_rows(store: pasture.Store, tmp_path: Path) -> None:
    """The old slice is deleted inside the write's transaction: a write that fails on its
    rows (a key given twice, refused by the table's unique key) leaves every old row."""
    factories.fill(store, n_plots=4)
    store.set_region(box(X0 - 1, Y0 - 1, X0 + 1, Y0 + 1))
    rng = np.random.default_rng(7)
    register_scenes(store, [_scene(tmp_path / f"f_{d}.tif", d, rng) for d in DAYS], user="t")
    compute_ndvi_stats(store)
    before = store.read_rows("ndvi_stats")
    twice = pd.concat([before, before.iloc[:1]], ignore_index=True)
    twice["mean"] = 0.5
    with pytest.raises(InvalidInput, match="nothing was written"):
        store.replace_rows("ndvi_stats", twice, where={"time": list(before["time"].unique())})
    pd.testing.assert_frame_equal(store.read_rows("ndvi_stats"), before)


def test_rows_in_key_order_are_recognised() -> None:
    frame = pd.DataFrame(
        {"plot_id": ["a", "a", "b", "b"], "time": pd.to_datetime(["2024-01-02", "2024-02-01"] * 2)}
    )
    key = ("plot_id", "time")
    assert in_key_order(frame, key)
    assert in_key_order(frame.iloc[:0], key) and in_key_order(frame.iloc[:1], key)
    assert not in_key_order(frame.iloc[[1, 0, 2, 3]], key)  # the second column decides
    assert not in_key_order(frame.iloc[[2, 3, 0, 1]], key)  # the first column decides
    assert not in_key_order(frame.iloc[[0, 0, 2]], key)  # a key twice: not strictly
    with_none = frame.assign(plot_id=["a", None, "b", "b"])
    assert not in_key_order(with_none, key)  # does not compare: the caller sorts
