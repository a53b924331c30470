"""Tests of pasture.ndvi.sentinel2: NDVI from B04/B08 (also on real Sentinel-2 data), SCL masking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from affine import Affine
from pyproj import CRS

from pasture.errors import InvalidInput
from pasture.ndvi.sentinel2 import ndvi_from_bands, open_sentinel2
from tests.pasture.ndvi.rasters import (
    UTM44,
    geotransform,
    write_tif,
)

# Real Sentinel-2 sample bands in the repository's data/.
S2_DIR = Path(__file__).resolve().parents[3] / "data" / "sentinel2_patagonia"


def band(values: np.ndarray, crs: str = UTM44) -> xr.DataArray:
    rows, cols = values.shape
    da = xr.DataArray(
        values,
        dims=("y", "x"),
        coords={"y": 4_800_005.0 - 10.0 * np.arange(rows), "x": 500_005.0 + 10.0 * np.arange(cols)},
    )
    return da.rio.write_crs(crs)


def test_ndvi_from_bands_formula_scl_mask_and_zero_denominator() -> None:
    red = band(np.array([[1000, 500, 0, 800], [1000, 1000, 1000, 1000]], dtype="uint16"))
    nir = band(np.array([[3000, 500, 0, 2400], [3000, 3000, 3000, 3000]], dtype="uint16"))
    scl = band(np.array([[4, 5, 4, 3], [8, 9, 10, 11]], dtype="uint8"))
    out = ndvi_from_bands(red, nir, scl=scl)
    v = out.values
    assert out.dtype == np.float32
    assert v[0, 0] == pytest.approx(0.5)
    assert v[0, 1] == pytest.approx(0.0)
    assert np.isnan(v[0, 2])  # 0 / 0
    assert np.isnan(v[0, 3])  # SCL 3 cloud shadow
    assert np.isnan(v[1]).all()  # SCL 8, 9, 10 clouds and 11 snow
    unmasked = ndvi_from_bands(red, nir)
    assert np.isfinite(unmasked.values[1]).all()
    assert str(out.rio.crs) == UTM44


def test_ndvi_from_bands_offset_matters() -> None:
    red = band(np.array([[2000.0]]))
    nir = band(np.array([[4000.0]]))
    plain = float(ndvi_from_bands(red, nir).values[0, 0])
    l2a = float(ndvi_from_bands(red, nir, scale=1e-4, offset=-0.1).values[0, 0])
    assert plain == pytest.approx(1 / 3)
    assert l2a == pytest.approx((0.3 - 0.1) / (0.3 + 0.1))


def test_ndvi_from_bands_refuses_misaligned_bands() -> None:
    red = band(np.ones((2, 3)))
    nir = band(np.ones((2, 3))).assign_coords(x=[0.0, 10.0, 20.0])
    with pytest.raises(InvalidInput, match="same grid"):
        ndvi_from_bands(red, nir)


def test_ndvi_from_real_sentinel2_patagonia_bands() -> None:
    """Real Sentinel-2 B04/B08 (xarray-spatial sample data), 300x200 px at 10 m.

    The NetCDF3 files carry the raster metadata of old ``xarray.open_rasterio`` as
    attributes of the variable: ``crs='+init=epsg:32719'`` and ``transform``, but no CF
    grid mapping, so rioxarray alone would parse the deprecated ``+init`` syntax (PROJ
    warns about axis order). ``ndvi_from_bands`` reads such a ``crs`` attribute and turns
    ``+init=epsg:n`` into ``EPSG:n``. The NIR file says ``Band: 07`` but its nominal
    wavelength 0.842 µm is B08 (B07 is 0.783 µm): it is B08 mislabelled.
    """
    red_nc, nir_nc = S2_DIR / "red_band.nc", S2_DIR / "nir_band.nc"
    with (
        xr.open_dataset(red_nc, engine="scipy") as red_ds,
        xr.open_dataset(nir_nc, engine="scipy") as nir_ds,
    ):
        red = red_ds["__xarray_dataarray_variable__"].load()
        nir = nir_ds["__xarray_dataarray_variable__"].load()
    assert red.attrs["crs"] == "+init=epsg:32719"
    assert nir.attrs["Nominal Wavelength (µm)"] == "0.842"
    out = ndvi_from_bands(red, nir)
    assert out.shape == (200, 300)
    assert CRS.from_user_input(out.rio.crs).to_epsg() == 32719
    assert float(out.min()) == pytest.approx(-0.0103, abs=0.002)
    assert float(out.max()) == pytest.approx(0.311, abs=0.005)
    assert not np.isnan(out.values).any()
    # Independent check of one pixel against the formula.
    r, n = float(red.values[100, 150]), float(nir.values[100, 150])
    assert float(out.values[100, 150]) == pytest.approx((n - r) / (n + r), rel=1e-5)


def test_open_sentinel2_files_with_20m_scl(tmp_path: Path) -> None:
    t10 = Affine(10.0, 0.0, 500_000.0, 0.0, -10.0, 4_800_000.0)
    t20 = Affine(20.0, 0.0, 500_000.0, 0.0, -20.0, 4_800_000.0)
    red = np.full((4, 4), 1000, dtype="uint16")
    nir = np.full((4, 4), 3000, dtype="uint16")
    red[3, 3] = nir[3, 3] = 0  # L2A nodata
    scl = np.array([[4, 9], [4, 4]], dtype="uint8")  # top-right 20 m pixel cloudy
    stem = "T43TGH_20210615T053649"
    red_p = write_tif(tmp_path / f"{stem}_B04_10m.tif", red, transform=t10, nodata=0)
    nir_p = write_tif(tmp_path / f"{stem}_B08_10m.tif", nir, transform=t10, nodata=0)
    scl_p = write_tif(tmp_path / f"{stem}_SCL_20m.tif", scl, transform=t20)
    da = open_sentinel2(red_p, nir_p, scl_p)
    assert da.dims == ("time", "y", "x")
    assert da["time"].values[0] == np.datetime64("2021-06-15", "ns")
    v = da.values[0]
    assert np.isnan(v[:2, 2:]).all()  # cloud, upsampled by nearest to 2x2 10 m pixels
    assert np.isnan(v[3, 3])  # nodata
    assert v[0, 0] == pytest.approx(0.5)
    assert np.isfinite(v).sum() == 16 - 4 - 1
    assert str(da.rio.crs) == UTM44
    assert geotransform(da) == t10.to_gdal()
