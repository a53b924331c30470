"""Tests of pasture.ndvi.readers: open_ndvi dispatch and stacking of single dates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from affine import Affine

from pasture.errors import InvalidInput
from pasture.ndvi.readers import open_ndvi
from tests.pasture.ndvi.rasters import (
    UTM44,
    cube,
    ramp,
    write_modis,
    write_tif,
)


def test_open_ndvi_concatenates_single_dates_sorted(tmp_path: Path) -> None:
    paths = [
        write_tif(tmp_path / f"ndvi_{d}.tif", ramp() + i / 10)
        for i, d in enumerate(["2021-06-10", "2021-04-07", "2021-05-09"])
    ]
    da = open_ndvi(paths)
    assert [str(t)[:10] for t in da["time"].values] == ["2021-04-07", "2021-05-09", "2021-06-10"]
    np.testing.assert_allclose(da.values[:, 0, 0], [0.1, 0.2, 0.0], atol=1e-6)
    assert str(da.rio.crs) == UTM44
    # a directory of GeoTIFFs opens the same way
    assert open_ndvi(tmp_path).sizes["time"] == 3


def test_open_ndvi_dispatches_stack_and_modis(tmp_path: Path) -> None:
    nc = tmp_path / "stack.nc"
    cube().rio.write_crs(UTM44).to_dataset().to_netcdf(nc)
    assert open_ndvi(nc).sizes["time"] == 3
    ndvi_path, _ = write_modis(tmp_path)
    assert open_ndvi(ndvi_path).attrs["sensor"] == "MODIS MOD13Q1"


def test_open_ndvi_refuses_mixed_grids_and_duplicate_dates(tmp_path: Path) -> None:
    a = write_tif(tmp_path / "ndvi_2021-06-10.tif", ramp())
    shifted = Affine(250.0, 0.0, 300_000.0, 0.0, -250.0, 4_810_000.0)
    b = write_tif(tmp_path / "ndvi_2021-06-26.tif", ramp(), transform=shifted)
    with pytest.raises(InvalidInput, match="grid differs"):
        open_ndvi([a, b])
    c = write_tif(tmp_path / "x_2021-06-10.tif", ramp())
    with pytest.raises(InvalidInput, match="2021-06-10 appears in 2 files"):
        open_ndvi([a, c])


def test_open_ndvi_refuses_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a raster")
    with pytest.raises(InvalidInput, match="not an NDVI raster"):
        open_ndvi(path)
