"""Tests of pasture.ndvi.geotiff: GeoTIFF/COG NDVI, dates from names, tags and band descriptions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import dask.array
import numpy as np
import pytest

from pasture.errors import InvalidInput, NotFound
from pasture.ndvi.geotiff import open_geotiff
from tests.pasture.ndvi.rasters import (
    T_UTM,
    UTM44,
    geotransform,
    ramp,
    write_tif,
)


def test_open_geotiff_contract_float32_nan_crs_transform_dask(tmp_path: Path) -> None:
    data = (np.arange(20, dtype="int16").reshape(4, 5) * 300).astype("int16")
    data[0, 0] = -3000
    path = write_tif(tmp_path / "ndvi_2021-06-10.tif", data, nodata=-3000, scales=(0.0001,))
    da = open_geotiff(path)
    assert da.dims == ("time", "y", "x")
    assert da.dtype == np.float32
    assert isinstance(da.data, dask.array.Array)
    assert da["time"].values.tolist() == [np.datetime64("2021-06-10", "ns").astype(int)]
    assert str(da.rio.crs) == UTM44
    assert geotransform(da) == T_UTM.to_gdal()
    values = da.values[0]
    assert np.isnan(values[0, 0])
    assert values[0, 1] == pytest.approx(0.03)
    assert values[3, 4] == pytest.approx(19 * 0.03)
    # pixel-centre coordinates
    assert float(da["x"][0]) == pytest.approx(265_125.0)
    assert float(da["y"][0]) == pytest.approx(4_809_875.0)


@pytest.mark.parametrize(
    ("name", "tags", "expected"),
    [
        ("ndvi_2021-06-10.tif", None, dt.date(2021, 6, 10)),
        ("MOD13Q1.A2021161.h23v04.061.ndvi.tif", None, dt.date(2021, 6, 10)),
        ("S2B_20210615T053649_ndvi.tif", None, dt.date(2021, 6, 15)),
        ("scene.tif", {"DATE": "2020-05-01"}, dt.date(2020, 5, 1)),
        ("scene_2019-01-01.tif", {"ACQUISITION_DATE": "2020-05-01T05:30:00Z"}, dt.date(2020, 5, 1)),
    ],
)
def test_open_geotiff_date_from_name_or_tag(
    tmp_path: Path, name: str, tags: dict[str, str] | None, expected: dt.date
) -> None:
    path = write_tif(tmp_path / name, ramp(), tags=tags)
    da = open_geotiff(path)
    assert da["time"].values[0] == np.datetime64(expected.isoformat(), "ns")


def test_open_geotiff_date_argument_wins(tmp_path: Path) -> None:
    path = write_tif(tmp_path / "ndvi_2021-06-10.tif", ramp())
    da = open_geotiff(path, date="2022-07-01")
    assert da["time"].values[0] == np.datetime64("2022-07-01", "ns")


def test_open_geotiff_without_date_is_refused(tmp_path: Path) -> None:
    path = write_tif(tmp_path / "scene.tif", ramp())
    with pytest.raises(InvalidInput, match=r"(?s)scene\.tif.*no date"):
        open_geotiff(path)


def test_open_geotiff_multiband_dates_from_descriptions(tmp_path: Path) -> None:
    stack = np.stack([ramp(), ramp() + 0.1, ramp() + 0.2])
    path = write_tif(
        tmp_path / "stack.tif",
        stack,
        descriptions=["2021-07-12", "2021-05-09", "2021-06-10"],
    )
    da = open_geotiff(path)
    assert da.sizes["time"] == 3
    # sorted by time: May (+0.1), June (+0.2), July (+0.0)
    assert [str(t)[:10] for t in da["time"].values] == ["2021-05-09", "2021-06-10", "2021-07-12"]
    np.testing.assert_allclose(da.values[:, 0, 0], [0.1, 0.2, 0.0], atol=1e-6)


def test_open_geotiff_multiband_dates_from_tag_list(tmp_path: Path) -> None:
    stack = np.stack([ramp(), ramp()])
    dates = json.dumps(["2020-04-06", "2020-04-22"])
    path = write_tif(tmp_path / "stack.tif", stack, tags={"DATES": dates})
    da = open_geotiff(path, chunks={"time": 1, "y": 2, "x": 2})
    assert [str(t)[:10] for t in da["time"].values] == ["2020-04-06", "2020-04-22"]
    assert da.chunks == ((1, 1), (2, 2), (2, 2, 1))


def test_open_geotiff_undated_multiband_is_refused(tmp_path: Path) -> None:
    path = write_tif(tmp_path / "stack.tif", np.stack([ramp(), ramp()]))
    with pytest.raises(InvalidInput, match="no band dates"):
        open_geotiff(path)


def test_open_geotiff_without_crs_is_refused(tmp_path: Path) -> None:
    path = write_tif(tmp_path / "ndvi_2021-06-10.tif", ramp(), crs=None)
    with pytest.raises(InvalidInput, match="no CRS"):
        open_geotiff(path)


def test_open_geotiff_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        open_geotiff(tmp_path / "nope_2021-01-01.tif")
