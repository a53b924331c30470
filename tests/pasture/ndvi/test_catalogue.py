"""The NDVI scene catalogue: all-or-nothing registration, zonal statistics into the store, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin
from shapely.geometry import box

import pasture
from pasture.cli import EXIT_INVALID, EXIT_OK, main
from pasture.errors import InvalidInput, NotFound
from pasture.ndvi.catalogue import compute_ndvi_stats, list_scenes, register_scenes
from tests.pasture import factories
from tests.pasture.factories import X0, Y0

# UTM 44N, 500 m pixels, covering the factories' plots (77.40-77.56 E, 43.30-43.34 N)
ORIGIN = (200_000.0, 4_815_000.0)


def _geotiff(
    path: Path,
    day: str,
    *,
    value: float = 0.5,
    crs: str | None = "EPSG:32644",
    origin: tuple[float, float] = ORIGIN,
) -> Path:
    data = np.full((60, 80), value, dtype="float32")
    data[:5, :5] = np.nan
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=80,
        height=60,
        count=1,
        dtype="float32",
        nodata=np.nan,
        crs=crs,
        transform=from_origin(origin[0], origin[1], 500, 500),
    ) as dst:
        dst.write(data, 1)
        dst.update_tags(DATE=day)
    return path


@pytest.fixture
def store(tmp_path: Path) -> pasture.Store:
    s = pasture.open_store(tmp_path / "s.gpkg")
    factories.fill(s)
    s.set_region(box(X0 - 1, Y0 - 1, X0 + 1, Y0 + 1))
    return s


def test_scenes_cover_the_plots(store: pasture.Store, tmp_path: Path) -> None:
    rows = register_scenes(
        store, [_geotiff(tmp_path / "ndvi_2024-06-10.tif", "2024-06-10")], user="t"
    )
    assert rows["date"].tolist() == [pd.Timestamp("2024-06-10").date()]
    assert list_scenes(store)["crs"].tolist() == ["EPSG:32644"]


def test_one_bad_file_registers_nothing(store: pasture.Store, tmp_path: Path) -> None:
    good = _geotiff(tmp_path / "ndvi_2024-06-10.tif", "2024-06-10")
    no_crs = _geotiff(tmp_path / "ndvi_2024-06-26.tif", "2024-06-26", crs=None)
    far = _geotiff(tmp_path / "ndvi_2024-07-12.tif", "2024-07-12", origin=(500_000.0, 1_000_000.0))
    text = tmp_path / "ndvi_2024-07-28.tif"
    text.write_text("not a raster")
    truncated = tmp_path / "ndvi_2024-08-13.tif"
    truncated.write_bytes(_geotiff(tmp_path / "full.tif", "2024-08-13").read_bytes()[:2000])
    with pytest.raises(InvalidInput) as caught:
        register_scenes(store, [good, no_crs, far, text, truncated], user="t")
    message = str(caught.value)
    for name in (no_crs.name, far.name, text.name, truncated.name):
        assert name in message
    assert good.name not in message.split("problem(s)")[1]
    assert store.read_rows("scenes").empty


def test_zonal_statistics_are_stored_per_plot_and_date(
    store: pasture.Store, tmp_path: Path
) -> None:
    with pytest.raises(NotFound, match="no NDVI scenes"):
        compute_ndvi_stats(store)
    files = [
        _geotiff(tmp_path / f"ndvi_{d}.tif", d, value=v)
        for d, v in (("2024-06-10", 0.4), ("2024-06-26", 0.6))
    ]
    register_scenes(store, files, user="t")
    assert compute_ndvi_stats(store) == 2 * 4
    stats = store.read_rows("ndvi_stats")
    assert sorted(set(stats["plot_id"])) == ["p0", "p1", "p2", "p3"]
    by_date = stats.groupby(stats["time"].dt.strftime("%m-%d"))["mean"].mean()
    assert by_date.to_dict() == pytest.approx({"06-10": 0.4, "06-26": 0.6}, abs=1e-6)
    assert (stats["valid_fraction"] > 0.99).all()
    # computing again replaces the same dates instead of adding rows
    compute_ndvi_stats(store)
    assert len(store.read_rows("ndvi_stats")) == 8


def test_ndvi_commands(store: pasture.Store, tmp_path: Path) -> None:
    url = store.url
    store.close()
    good = _geotiff(tmp_path / "ndvi_2024-06-10.tif", "2024-06-10")
    runner = CliRunner()
    result = runner.invoke(main, ["ndvi", "add", str(good), "--store", url])
    assert result.exit_code == EXIT_OK, result.output
    bad = tmp_path / "ndvi_2024-06-26.tif"
    bad.write_text("text")
    result = runner.invoke(main, ["ndvi", "add", str(bad), "--store", url])
    assert result.exit_code == EXIT_INVALID and bad.name in result.output
    result = runner.invoke(main, ["ndvi", "list", "--store", url])
    assert (
        result.exit_code == EXIT_OK
        and "2024-06-10" in result.output
        and "2024-06-26" not in result.output
    )
    result = runner.invoke(main, ["ndvi", "zonal", "--store", url])
    assert result.exit_code == EXIT_OK and "4 plot × date values stored" in result.output


def _scaled_int16(path: Path, days: list[str], seed: int) -> Path:
    """Raw int16 NDVI × 10,000 with a nodata value, one date per band (MODIS-like scaling)."""
    rng = np.random.default_rng(seed)
    data = rng.integers(-2000, 9000, size=(len(days), 60, 80)).astype("int16")
    data[:, :3, :7] = -3000
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=80,
        height=60,
        count=len(days),
        dtype="int16",
        nodata=-3000,
        crs="EPSG:32644",
        transform=from_origin(*ORIGIN, 500, 500),
    ) as dst:
        dst.write(data)
        dst.scales = [0.0001] * len(days)
        dst.offsets = [0.0] * len(days)
        if len(days) == 1:
            dst.update_tags(DATE=days[0])
        else:
            dst.update_tags(DATES=",".join(days))
    return path


def test_the_catalogue_stack_reads_as_the_files_do(store: pasture.Store, tmp_path: Path) -> None:
    """The stack built from catalogue rows (no file opened up front) equals what the
    GeoTIFF opener gives: values, nodata, scale, dates and grid."""
    from pasture.ndvi.readers import open_ndvi
    from pasture.ndvi.scene_stack import catalogue_stack

    files = [
        _scaled_int16(tmp_path / "a.tif", ["2024-05-01", "2024-05-17"], seed=1),
        _scaled_int16(tmp_path / "b.tif", ["2024-06-02"], seed=2),
    ]
    register_scenes(store, files, user="t")
    built = catalogue_stack(list_scenes(store))
    opened = open_ndvi(files)
    assert built.rio.crs == opened.rio.crs
    assert built.rio.transform() == opened.rio.transform()
    np.testing.assert_array_equal(built["time"].values, opened["time"].values)
    np.testing.assert_array_equal(built["x"].values, opened["x"].values)
    np.testing.assert_array_equal(built["y"].values, opened["y"].values)
    values = built.values
    np.testing.assert_array_equal(values, opened.values)
    assert np.isnan(values[:, :3, :7]).all()
    assert np.nanmax(values) < 1.0
