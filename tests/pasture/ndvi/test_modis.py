"""Tests of pasture.ndvi.modis: MOD13Q1 scale, fill, valid range and pixel reliability."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from affine import Affine
from pyproj import CRS

from pasture.errors import InvalidInput
from pasture.ndvi.modis import open_modis_mod13q1
from tests.pasture.ndvi.rasters import (
    H23V04_X0,
    H23V04_Y0,
    MODIS_PIXEL,
    MODIS_SINU,
    geotransform,
    ramp,
    write_modis,
    write_tif,
)


def test_modis_scale_fill_range_and_sinusoidal_crs(tmp_path: Path) -> None:
    ndvi_path, _ = write_modis(tmp_path)
    da = open_modis_mod13q1(ndvi_path)
    v = da.values[0]
    assert da.dtype == np.float32
    assert da["time"].values[0] == np.datetime64("2021-06-10", "ns")  # A2021161
    assert np.isnan(v[0, 0])  # fill -3000
    assert np.isnan(v[0, 1])  # -2500 is below the valid range -2000..10000
    assert np.isnan(v[1, 2])  # 10500 above it
    np.testing.assert_allclose(v[0, 2:], [0.0, 0.25])
    np.testing.assert_allclose(v[1, :2], [0.5, 1.0])
    crs = CRS.from_user_input(da.rio.crs)
    assert crs.to_cf()["grid_mapping_name"] == "sinusoidal"
    assert crs.ellipsoid is not None
    assert crs.ellipsoid.semi_major_metre == pytest.approx(6371007.181)
    assert geotransform(da)[0] == pytest.approx(H23V04_X0)
    assert da.attrs["sensor"] == "MODIS MOD13Q1"


def test_modis_reliability_keeps_only_accepted(tmp_path: Path) -> None:
    ndvi_path, rel_path = write_modis(tmp_path)
    good_marginal = open_modis_mod13q1(ndvi_path, rel_path).values[0]
    # row 2: reliability 0, 1, 2 (snow), 3 (cloud): only the first two survive
    assert np.isfinite(good_marginal[2, :2]).all()
    assert np.isnan(good_marginal[2, 2:]).all()
    assert np.isnan(good_marginal[1, 3])  # reliability fill -1
    good_only = open_modis_mod13q1(ndvi_path, rel_path, accept=(0,)).values[0]
    assert np.isnan(good_only[2, 1])
    assert np.isnan(good_only[1, 1])
    assert good_only[1, 0] == pytest.approx(0.5)


def test_modis_reliability_on_other_grid_is_refused(tmp_path: Path) -> None:
    ndvi_path, _ = write_modis(tmp_path)
    other = write_tif(
        tmp_path / "rel_A2021161.tif",
        np.zeros((2, 2), dtype="int8"),
        crs=MODIS_SINU,
        transform=Affine(MODIS_PIXEL, 0, H23V04_X0, 0, -MODIS_PIXEL, H23V04_Y0),
    )
    with pytest.raises(InvalidInput, match="same granule"):
        open_modis_mod13q1(ndvi_path, other)


def test_modis_float_input_is_refused(tmp_path: Path) -> None:
    path = write_tif(tmp_path / "MOD13Q1.A2021161.tif", ramp(), crs=MODIS_SINU)
    with pytest.raises(InvalidInput, match="int16"):
        open_modis_mod13q1(path)
