"""GeoTIFF / Cloud-Optimized GeoTIFF NDVI, one date per band, opened lazily."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from pasture.errors import NotFound

from .metadata import (
    PathLike,
    affine_compat,
    as_date,
    band_dates,
    finish_ndvi,
    invalid_input,
    normalise_chunks,
    read_meta,
    sensor_guess,
    to_time_index,
)

__all__ = ["open_geotiff"]


def open_geotiff(
    path: PathLike,
    *,
    date: dt.date | str | None = None,
    chunks: Mapping[str, int] | None = None,
) -> xr.DataArray:
    """Open a single-date or multi-date NDVI GeoTIFF / COG lazily.

    Parameters
    ----------
    path
        GeoTIFF or Cloud-Optimized GeoTIFF. One band is one date; a multi-band file is a
        stack whose bands are dates.
    date
        Date of a single-band file. When omitted it is read from a ``DATE`` (or
        ``ACQUISITION_DATE`` ...) tag, the band description, or the file name
        (``YYYY-MM-DD``, ``YYYYMMDD`` or MODIS-style ``YYYYDDD``, e.g. ``A2021161``).
        Band dates of a multi-band file come from the band descriptions, per-band
        ``DATE`` tags, or a dataset tag ``DATES`` listing ISO dates (JSON list or
        comma separated).
    chunks
        Dask chunk sizes by dim name (``time``, ``y``, ``x``); default
        :data:`DEFAULT_CHUNKS`.

    Returns
    -------
    xarray.DataArray
        ``ndvi`` with dims ``(time, y, x)``, float32, NaN for nodata. The band
        scale/offset declared in the file are applied.

    Raises
    ------
    NotFound
        The file does not exist.
    InvalidInput
        No CRS, undated bands, or not a raster GDAL can read.
    """
    import rioxarray

    p = Path(path)
    if not p.exists():
        raise NotFound(f"{p}: no such NDVI file")
    meta = read_meta(p)
    if meta["crs"] is None:
        raise invalid_input(p, "raster has no CRS: assign one (gdal_edit.py -a_srs EPSG:nnnn)")
    count = meta["count"]
    if date is not None:
        if count != 1:
            raise invalid_input(p, f"date= given but the file has {count} bands; date its bands")
        dates: list[dt.date] | None = [as_date(date)]
    else:
        dates = band_dates(p, meta["tags"], meta["descriptions"], meta["band_tags"], count)
    if dates is None:
        if count == 1:
            raise invalid_input(
                p,
                "no date: pass date=, tag the file DATE=YYYY-MM-DD, or name it ndvi_YYYY-MM-DD.tif",
            )
        raise invalid_input(
            p,
            f"{count} bands but no band dates: set each band description to YYYY-MM-DD "
            "or a dataset tag DATES=YYYY-MM-DD,...",
        )
    dask_chunks = normalise_chunks(chunks, ("time", "y", "x"))
    dask_chunks["band"] = dask_chunks.pop("time", 1)
    with affine_compat():
        raw = rioxarray.open_rasterio(p, chunks=dask_chunks, masked=False, mask_and_scale=False)
    assert isinstance(raw, xr.DataArray)
    da = raw.astype("float32")
    nodata = meta["nodata"]
    if nodata is not None and not np.isnan(nodata):
        da = da.where(raw != nodata)
    scales, offsets = meta["scales"], meta["offsets"]
    if any(s != 1.0 for s in scales) or any(o != 0.0 for o in offsets):
        s = xr.DataArray(np.asarray(scales, "float32"), dims="band")
        o = xr.DataArray(np.asarray(offsets, "float32"), dims="band")
        da = da * s + o
    da = da.rename(band="time").assign_coords(time=to_time_index(dates))
    sensor = sensor_guess(p.name, meta["tags"])
    return finish_ndvi(da.sortby("time"), meta["crs"], meta["transform"], p, sensor)
