"""Tests of pasture.ndvi.stacks: NetCDF and Zarr NDVI stacks."""

from __future__ import annotations

from pathlib import Path

import dask.array
import numpy as np
import pytest
import xarray as xr
from pyproj import CRS

from pasture.errors import InvalidInput
from pasture.ndvi.stacks import open_stack
from tests.pasture.ndvi.rasters import (
    T_UTM,
    UTM44,
    cube,
    geotransform,
    ramp,
)


def test_open_stack_netcdf_with_spatial_ref(tmp_path: Path) -> None:
    path = tmp_path / "stack.nc"
    cube().rio.write_crs(UTM44).to_dataset().to_netcdf(path)
    da = open_stack(path)
    assert da.dims == ("time", "y", "x")
    assert da.dtype == np.float32
    assert [str(t)[:10] for t in da["time"].values] == ["2021-04-07", "2021-04-23", "2021-05-09"]
    np.testing.assert_allclose(da.values[:, 0, 0], [0.1, 0.2, 0.0], atol=1e-6)
    assert str(da.rio.crs) == UTM44
    assert geotransform(da) == pytest.approx(T_UTM.to_gdal())
    assert isinstance(da.data, dask.array.Array)


def test_open_stack_netcdf_cf_grid_mapping_and_packing(tmp_path: Path) -> None:
    ds = cube().to_dataset()
    ds["ndvi"].attrs["grid_mapping"] = "crs"
    ds["crs"] = xr.DataArray(0, attrs=CRS.from_epsg(32644).to_cf())
    ds["ndvi"].values[0, 0, 0] = np.nan
    encoding = {"ndvi": {"dtype": "int16", "scale_factor": 0.0001, "_FillValue": -3000}}
    path = tmp_path / "packed.nc"
    ds.to_netcdf(path, encoding=encoding)
    da = open_stack(path)
    assert CRS.from_user_input(da.rio.crs).to_epsg() == 32644
    assert np.isnan(da.sel(time="2021-05-09").values[0, 0])
    assert float(da.sel(time="2021-04-07").values[0, 1]) == pytest.approx(0.125, abs=1e-4)
    assert da.dtype == np.float32


def test_open_stack_latlon_axes_are_wgs84(tmp_path: Path) -> None:
    da = cube().rename(x="lon", y="lat")
    da = da.assign_coords(lon=77.5 + 0.01 * np.arange(5), lat=43.5 - 0.01 * np.arange(4))
    path = tmp_path / "ll.nc"
    da.to_dataset().to_netcdf(path)
    out = open_stack(path)
    assert out.dims == ("time", "y", "x")
    assert CRS.from_user_input(out.rio.crs).to_epsg() == 4326
    assert float(out["x"][0]) == pytest.approx(77.5)


def test_open_stack_zarr(tmp_path: Path) -> None:
    path = tmp_path / "stack.zarr"
    cube().rio.write_crs(UTM44).to_dataset().to_zarr(path, consolidated=False)
    da = open_stack(path)
    assert da.sizes == {"time": 3, "y": 4, "x": 5}
    assert str(da.rio.crs) == UTM44
    np.testing.assert_allclose(da.values[0], ramp() + 0.1, atol=1e-6)


def test_open_stack_without_crs_or_time_is_refused(tmp_path: Path) -> None:
    no_crs = tmp_path / "nocrs.nc"
    cube().to_dataset().to_netcdf(no_crs)
    with pytest.raises(InvalidInput, match=r"(?s)nocrs\.nc.*no CRS"):
        open_stack(no_crs)
    no_time = tmp_path / "notime.nc"
    cube().isel(time=0, drop=True).rio.write_crs(UTM44).to_dataset().to_netcdf(no_time)
    with pytest.raises(InvalidInput, match="no time coordinate"):
        open_stack(no_time)
