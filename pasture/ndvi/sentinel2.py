"""Sentinel-2 NDVI from the B04 and B08 bands, masked by the scene classification (SCL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import xarray as xr
from affine import Affine
from pyproj import CRS

from .geotiff import open_geotiff
from .metadata import (
    PathLike,
    affine_compat,
    as_date,
    band_dates,
    crs_from_text,
    finish_ndvi,
    invalid_input,
    read_meta,
)

__all__ = ["SCL_MASK_CLASSES", "ndvi_from_bands", "open_sentinel2"]

#: Sentinel-2 L2A scene classes masked by default (docs/domain.md, "Satellite NDVI"):
#: 3 cloud shadow, 8 cloud medium probability, 9 cloud high probability, 10 thin cirrus,
#: 11 snow.
SCL_MASK_CLASSES: tuple[int, ...] = (3, 8, 9, 10, 11)


def _crs_of(da: xr.DataArray) -> CRS | None:
    """CRS of a band: rioxarray's grid mapping, else a ``crs`` attribute (old xarray)."""
    text = da.attrs.get("crs")
    if isinstance(text, str) and text.strip():
        return crs_from_text(text)
    rio_crs = da.rio.crs
    return CRS.from_user_input(rio_crs) if rio_crs is not None else None


def ndvi_from_bands(
    red: xr.DataArray,
    nir: xr.DataArray,
    *,
    scl: xr.DataArray | None = None,
    mask_classes: Sequence[int] = SCL_MASK_CLASSES,
    scale: float | None = None,
    offset: float | None = None,
) -> xr.DataArray:
    """NDVI = (NIR − red) / (NIR + red) from Sentinel-2 B04 and B08, SCL-masked.

    Parameters
    ----------
    red, nir
        B04 and B08 on the same grid (same dims and coordinates). Integer DN or
        reflectance; NaN stays NaN.
    scl
        Scene classification band. When on another grid (SCL is 20 m) and both carry a
        CRS, it is resampled to the bands' grid by nearest neighbour: classes are
        categories, never interpolated.
    mask_classes
        SCL classes set to NaN; default cloud shadow, clouds, cirrus and snow
        (docs/domain.md, "Satellite NDVI").
    scale, offset
        Reflectance = DN × scale + offset applied to both bands first. NDVI is not
        invariant to an offset: for L2A processing baseline ≥ 04.00 pass
        ``scale=1e-4, offset=-0.1`` (BOA_ADD_OFFSET −1000).

    Returns
    -------
    xarray.DataArray
        float32 NDVI with the bands' dims; NaN where the denominator is zero, either band
        is NaN, SCL masks the pixel, or |NDVI| > 1 (impossible, from negative
        reflectance). CRS kept when the bands carry one (rioxarray grid mapping or an old
        style ``crs`` attribute).

    Raises
    ------
    InvalidInput
        Bands on different grids, or SCL on another grid without a CRS.
    """
    try:
        red_a, nir_a = xr.align(red, nir, join="exact")
    except ValueError as exc:
        raise invalid_input(
            "red/NIR bands",
            f"B04 and B08 are not on the same grid ({exc}): resample one onto the other",
        ) from exc
    crs = _crs_of(red_a) or _crs_of(nir_a)
    r = red_a.astype("float32")
    n = nir_a.astype("float32")
    if scale is not None or offset is not None:
        s = np.float32(1.0 if scale is None else scale)
        o = np.float32(0.0 if offset is None else offset)
        r, n = r * s + o, n * s + o
    denom = n + r
    ndvi = ((n - r) / denom.where(denom != 0)).astype("float32")
    ndvi = ndvi.where(np.abs(ndvi) <= 1)
    if scl is not None:
        scl_a = _scl_on_grid(scl, red_a, crs)
        ndvi = ndvi.where(~scl_a.isin(list(mask_classes)))
    ndvi.name = "ndvi"
    ndvi.attrs = {"long_name": "NDVI", "units": "1", "sensor": "Sentinel-2"}
    if crs is not None:
        ndvi = ndvi.rio.write_crs(crs, grid_mapping_name="spatial_ref")
    return ndvi


def _scl_on_grid(scl: xr.DataArray, like: xr.DataArray, crs: CRS | None) -> xr.DataArray:
    same = scl.shape[-2:] == like.shape[-2:] and all(
        d in scl.coords and np.allclose(scl[d].values, like[d].values)
        for d in ("x", "y")
        if d in like.coords
    )
    if same:
        return scl.assign_coords(x=like["x"], y=like["y"])
    scl_crs = _crs_of(scl)
    if scl_crs is None or crs is None:
        raise invalid_input(
            "SCL band",
            f"SCL grid {scl.shape} differs from the bands {like.shape} and a CRS is "
            "missing: resample SCL to the 10 m grid (nearest) first",
        )
    from rasterio.enums import Resampling

    target = like.rio.write_crs(crs)
    with affine_compat():
        out = scl.rio.write_crs(scl_crs).rio.reproject_match(target, resampling=Resampling.nearest)
    return out.assign_coords(x=like["x"], y=like["y"])


def open_sentinel2(
    red_path: PathLike,
    nir_path: PathLike,
    scl_path: PathLike | None = None,
    *,
    date: dt.date | str | None = None,
    scale: float | None = None,
    offset: float | None = None,
    mask_classes: Sequence[int] = SCL_MASK_CLASSES,
    chunks: Mapping[str, int] | None = None,
) -> xr.DataArray:
    """Open Sentinel-2 B04, B08 (and SCL) rasters and return masked NDVI, lazily.

    Parameters
    ----------
    red_path, nir_path
        B04 and B08 rasters (JP2 or GeoTIFF) on the same 10 m grid.
    scl_path
        Optional scene classification raster (20 m is fine: resampled by nearest).
    date
        Acquisition date; default from tags or the name (``..._20210615T...``).
    scale, offset, mask_classes
        As in :func:`ndvi_from_bands`. The bands' file nodata (0 for L2A) is NaN.
    chunks
        Dask chunks by dim name; default :data:`DEFAULT_CHUNKS`.

    Returns
    -------
    xarray.DataArray
        ``(time, y, x)`` float32 NDVI with CRS and transform.
    """
    red_p, nir_p = Path(red_path), Path(nir_path)
    when = as_date(date) if date is not None else None
    if when is None:
        for p in (red_p, nir_p):
            if p.exists():
                meta = read_meta(p)
                found = band_dates(p, meta["tags"], meta["descriptions"], meta["band_tags"], 1)
                if found:
                    when = found[0]
                    break
    if when is None:
        raise invalid_input(red_p, "no acquisition date: pass date= or keep the date in the name")
    red = open_geotiff(red_p, date=when, chunks=chunks)
    nir = open_geotiff(nir_p, date=when, chunks=chunks)
    scl = open_geotiff(scl_path, date=when, chunks=chunks) if scl_path is not None else None
    out = ndvi_from_bands(red, nir, scl=scl, mask_classes=mask_classes, scale=scale, offset=offset)
    return finish_ndvi(out, red.rio.crs, _transform_of(red), red_p, "Sentinel-2")


def _transform_of(da: xr.DataArray) -> Affine:
    """The transform our openers wrote (``spatial_ref`` GeoTransform), without recomputing.

    ``da.rio.transform()`` recomputes it from the coordinates with affine's deprecated
    ``*``; the stored GDAL GeoTransform is exact and warning-free.
    """
    gt = da.coords["spatial_ref"].attrs["GeoTransform"]
    return Affine.from_gdal(*(float(v) for v in str(gt).split()))
