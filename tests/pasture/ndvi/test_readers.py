"""Tests of pasture.ndvi.readers: openers, Sentinel-2 band NDVI on real data, scene checks."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import dask.array
import numpy as np
import pytest
import rasterio
import xarray as xr
from affine import Affine
from pyproj import CRS
from shapely.geometry import box

from pasture.errors import InvalidInput, NotFound
from pasture.ndvi.geotiff import open_geotiff
from pasture.ndvi.modis import MODIS_FILL, open_modis_mod13q1
from pasture.ndvi.readers import open_ndvi
from pasture.ndvi.scene_check import SceneInfo, check_scene
from pasture.ndvi.sentinel2 import ndvi_from_bands, open_sentinel2
from pasture.ndvi.stacks import open_stack

# Real Sentinel-2 sample bands in the repository's data/.
S2_DIR = Path(__file__).resolve().parents[3] / "data" / "sentinel2_patagonia"

# A 250 m UTM 44N grid inside Enbekshikazakh District (about 78.1 E, 43.4 N).
UTM44 = "EPSG:32644"
T_UTM = Affine(250.0, 0.0, 265_000.0, 0.0, -250.0, 4_810_000.0)
DISTRICT = box(77.136, 43.124, 79.134, 43.855)

# MODIS sinusoidal CRS and the upper-left corner of tile h23v04 (MOD13Q1 250 m pixels).
MODIS_SINU = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs"
MODIS_PIXEL = 231.656358263958
H23V04_X0 = -20_015_109.354 + 23 * 1_111_950.5197665
H23V04_Y0 = 10_007_554.677 - 4 * 1_111_950.5197665


def write_tif(
    path: Path,
    data: np.ndarray,
    *,
    crs: str | None = UTM44,
    transform: Affine = T_UTM,
    nodata: float | None = None,
    tags: dict[str, str] | None = None,
    descriptions: list[str] | None = None,
    scales: tuple[float, ...] | None = None,
    offsets: tuple[float, ...] | None = None,
    **profile: object,
) -> Path:
    """Write a (bands, rows, cols) or (rows, cols) array as a GeoTIFF."""
    arr = data if data.ndim == 3 else data[np.newaxis]
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=arr.shape[2],
        height=arr.shape[1],
        count=arr.shape[0],
        dtype=arr.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
        **profile,
    ) as dst:
        dst.write(arr)
        if tags:
            dst.update_tags(**tags)
        for i, d in enumerate(descriptions or [], start=1):
            dst.set_band_description(i, d)
        if scales:
            dst.scales = scales
        if offsets:
            dst.offsets = offsets
    return path


def geotransform(da: xr.DataArray) -> tuple[float, ...]:
    """Stored GDAL GeoTransform of an opened array (c, a, b, f, d, e)."""
    return tuple(float(v) for v in da["spatial_ref"].attrs["GeoTransform"].split())


def ramp(rows: int = 4, cols: int = 5) -> np.ndarray:
    return (np.arange(rows * cols, dtype="float32").reshape(rows, cols) / 40).astype("float32")


# --------------------------------------------------------------------------- GeoTIFF


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


# --------------------------------------------------------------------------- MODIS


def write_modis(tmp_path: Path) -> tuple[Path, Path]:
    t = Affine(MODIS_PIXEL, 0.0, H23V04_X0, 0.0, -MODIS_PIXEL, H23V04_Y0)
    ndvi = np.array(
        [[MODIS_FILL, -2500, 0, 2500], [5000, 10000, 10500, 8000], [4000, 4000, 4000, 4000]],
        dtype="int16",
    )
    rel = np.array([[0, 0, 0, 0], [0, 1, 0, -1], [0, 1, 2, 3]], dtype="int8")
    name = "MOD13Q1.A2021161.h23v04.061.2021178000000"
    # A MODIS HDF export may carry scale_factor 10000 (meaning divide): must be ignored.
    ndvi_path = write_tif(
        tmp_path / f"{name}.250m_16_days_NDVI.tif",
        ndvi,
        crs=MODIS_SINU,
        transform=t,
        nodata=MODIS_FILL,
        tags={"scale_factor": "10000"},
    )
    rel_path = write_tif(
        tmp_path / f"{name}.250m_16_days_pixel_reliability.tif",
        rel,
        crs=MODIS_SINU,
        transform=t,
        nodata=-1,
    )
    return ndvi_path, rel_path


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


# --------------------------------------------------------------------------- Sentinel-2


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


# --------------------------------------------------------------------------- stacks


def cube(ntime: int = 3) -> xr.DataArray:
    times = np.array(["2021-05-09", "2021-04-07", "2021-04-23"], dtype="datetime64[ns]")[:ntime]
    data = np.stack([ramp() + 0.1 * i for i in range(ntime)])
    return xr.DataArray(
        data,
        dims=("time", "y", "x"),
        coords={
            "time": times,
            "y": 4_809_875.0 - 250.0 * np.arange(4),
            "x": 265_125.0 + 250.0 * np.arange(5),
        },
        name="ndvi",
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


# --------------------------------------------------------------------------- open_ndvi


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


# --------------------------------------------------------------------------- check_scene


def test_check_scene_accepts_good_cog(tmp_path: Path) -> None:
    path = tmp_path / "ndvi_2021-06-10.tif"
    data = np.random.default_rng(0).random((300, 400), dtype="float32")
    with rasterio.open(
        path,
        "w",
        driver="COG",
        width=400,
        height=300,
        count=1,
        dtype="float32",
        crs=UTM44,
        transform=T_UTM,
        nodata=float("nan"),
        blocksize=256,
    ) as dst:
        dst.write(data, 1)
        dst.update_tags(GENERATED="demo")
    info = check_scene(path, region=DISTRICT)
    assert isinstance(info, SceneInfo)
    assert info.date == dt.date(2021, 6, 10)
    assert info.sensor == "generated"
    assert info.crs == UTM44
    assert info.transform == tuple(T_UTM)[:6]
    assert (info.width, info.height, info.count, info.dtype) == (400, 300, 1, "float32")
    assert info.nodata is not None and np.isnan(info.nodata)
    assert (info.scale, info.offset) == (1.0, 0.0)
    lon0, lat0, lon1, lat1 = info.bounds_wgs84
    assert 78.0 < lon0 < 78.2 < lon1 < 79.5 and 42.6 < lat0 < 43.0 < lat1 < 43.5
    with pytest.raises(AttributeError):
        info.width = 1  # type: ignore[misc]


def test_check_scene_sensor_guesses(tmp_path: Path) -> None:
    modis_path, _ = write_modis(tmp_path)
    assert check_scene(modis_path).sensor == "MODIS MOD13Q1"
    s2 = write_tif(tmp_path / "S2A_MSIL2A_20210615T053649_NDVI.tif", ramp())
    assert check_scene(s2).sensor == "Sentinel-2"
    other = write_tif(tmp_path / "ndvi_2021-06-10.tif", ramp())
    assert check_scene(other).sensor == "unknown"
    modis_crs = CRS.from_user_input(check_scene(modis_path).crs)
    assert modis_crs.to_cf()["grid_mapping_name"] == "sinusoidal"


def test_check_scene_refuses_missing_crs(tmp_path: Path) -> None:
    path = write_tif(tmp_path / "nocrs.tif", ramp(), crs=None)
    with pytest.raises(InvalidInput, match=r"(?s)nocrs\.tif.*no CRS.*gdal_edit"):
        check_scene(path)


def test_check_scene_refuses_scene_outside_region(tmp_path: Path) -> None:
    # Same UTM zone, 1000 km further north: Siberia, not the district.
    far = Affine(250.0, 0.0, 265_000.0, 0.0, -250.0, 5_810_000.0)
    path = write_tif(tmp_path / "ndvi_2021-06-10.tif", ramp(), transform=far)
    with pytest.raises(InvalidInput, match="does not overlap the region"):
        check_scene(path, region=DISTRICT)
    assert check_scene(path).bounds_wgs84[1] > 52  # no region: accepted


def test_check_scene_refuses_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "ndvi_2021-06-10.tif"
    data = np.random.default_rng(1).random((512, 512), dtype="float32")
    write_tif(path, data, tiled=True, blockxsize=128, blockysize=128, compress="deflate")
    raw = path.read_bytes()
    # The header and tile offsets are at the start; cut the last third of the tiles.
    path.write_bytes(raw[: len(raw) * 2 // 3])
    with pytest.raises(InvalidInput, match=r"(?s)ndvi_2021-06-10\.tif.*truncated or corrupt"):
        check_scene(path)


def test_check_scene_refuses_absurd_dimensions(tmp_path: Path) -> None:
    path = tmp_path / "huge.tif"
    # Sparse: no tile is written, so the file is tiny but claims 100,001 px.
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=100_001,
        height=2,
        count=1,
        dtype="uint8",
        crs=UTM44,
        transform=T_UTM,
        tiled=True,
        sparse_ok=True,
    ):
        pass
    assert path.stat().st_size < 100_000
    with pytest.raises(InvalidInput, match=r"(?s)absurd size 100001x2"):
        check_scene(path)
    small = write_tif(tmp_path / "small.tif", ramp())
    with pytest.raises(InvalidInput, match="absurd size"):
        check_scene(small, max_pixels=4)


def test_check_scene_refuses_vrt(tmp_path: Path) -> None:
    target = write_tif(tmp_path / "ndvi_2021-06-10.tif", ramp())
    vrt = tmp_path / "pointer.xml"  # not named .vrt: detected by content
    vrt.write_text(
        '<VRTDataset rasterXSize="5" rasterYSize="4">\n'
        '  <VRTRasterBand dataType="Float32" band="1">\n'
        f"    <SimpleSource><SourceFilename>{target}</SourceFilename>"
        "<SourceBand>1</SourceBand></SimpleSource>\n"
        "  </VRTRasterBand>\n</VRTDataset>\n"
    )
    with pytest.raises(InvalidInput, match="VRT files are refused"):
        check_scene(vrt)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.tif", "just some text, renamed to .tif\n"),
        (
            "plots.geojson",
            '{"type": "FeatureCollection", "features": [{"type": "Feature", '
            '"properties": {}, "geometry": {"type": "Point", "coordinates": [78, 43.5]}}]}',
        ),
        ("grid.xyz", "0 0 1\n1 0 2\n0 1 3\n1 1 4\n"),
    ],
)
def test_check_scene_refuses_non_rasters(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InvalidInput, match="(?s)" + re.escape(name) + ".*not a raster"):
        check_scene(path)


def test_check_scene_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        check_scene(tmp_path / "missing.tif")
