"""Rasters the NDVI reader tests write: GeoTIFFs on a UTM grid in the district, MOD13Q1 tiles, NetCDF-like cubes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
import xarray as xr
from affine import Affine
from shapely.geometry import box

from pasture.ndvi.modis import MODIS_FILL

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
