"""MODIS MOD13Q1 NDVI exported as GeoTIFF, masked by its pixel reliability."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
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
    to_time_index,
)

__all__ = ["MODIS_FILL", "MODIS_SCALE", "MODIS_VALID_RANGE", "open_modis_mod13q1"]

# MOD13Q1 encoding (docs/domain.md, "Satellite NDVI"; MOD13 user guide, SDS "250m 16 days NDVI").
MODIS_SCALE = 0.0001
MODIS_FILL = -3000
MODIS_VALID_RANGE = (-2000, 10000)
# MOD13Q1 "pixel reliability" SDS: -1 fill, 0 good, 1 marginal, 2 snow/ice, 3 cloudy.
_MODIS_RELIABILITY_FILL = -1


def open_modis_mod13q1(
    ndvi_path: PathLike,
    reliability_path: PathLike | None = None,
    *,
    date: dt.date | str | None = None,
    accept: Sequence[int] = (0, 1),
    chunks: Mapping[str, int] | None = None,
) -> xr.DataArray:
    """Open a MOD13Q1 NDVI layer exported as GeoTIFF, with its pixel reliability.

    Parameters
    ----------
    ndvi_path
        The "250m 16 days NDVI" SDS as a single-band int16 GeoTIFF (sinusoidal grid,
        e.g. tile h23v04). Values are NDVI × 10,000; −3000 is fill; anything outside
        −2000..10000 is treated as invalid. Any scale written in the file is ignored
        (MODIS HDF metadata says ``scale_factor=10000``, meaning *divide*): the product
        scale 0.0001 is always used.
    reliability_path
        The "250m 16 days pixel reliability" SDS on the same grid (−1 fill, 0 good,
        1 marginal, 2 snow/ice, 3 cloudy). Pixels whose reliability is not in
        ``accept`` become NaN.
    date
        Composite date; default from tags or the name (``MOD13Q1.A2021161...``).
    accept
        Reliability values kept; default good and marginal.
    chunks
        Dask chunks by dim name; default :data:`DEFAULT_CHUNKS`.

    Returns
    -------
    xarray.DataArray
        ``(time, y, x)`` float32 NDVI, CRS as in the file (the MODIS sinusoidal CRS is
        kept, never reprojected).

    Raises
    ------
    InvalidInput
        Not an integer raster, no CRS, no date, or a reliability band on another grid.
    """
    p = Path(ndvi_path)
    meta = read_meta(p) if p.exists() else None
    if meta is None:
        raise NotFound(f"{p}: no such MOD13Q1 NDVI file")
    if meta["dtype"] is None or not np.issubdtype(np.dtype(meta["dtype"]), np.integer):
        raise invalid_input(
            p,
            f"MOD13Q1 NDVI must be the int16 SDS, found {meta['dtype']}; "
            "open already scaled NDVI with open_geotiff",
        )
    raw = _open_raw_int(p, date, chunks)
    lo, hi = MODIS_VALID_RANGE
    ndvi = (raw.astype("float32") * np.float32(MODIS_SCALE)).where(
        (raw != MODIS_FILL) & (raw >= lo) & (raw <= hi)
    )
    if reliability_path is not None:
        rp = Path(reliability_path)
        if not rp.exists():
            raise NotFound(f"{rp}: no such MOD13Q1 pixel reliability file")
        rmeta = read_meta(rp)
        if (rmeta["width"], rmeta["height"]) != (meta["width"], meta["height"]) or not (
            rmeta["transform"].almost_equals(meta["transform"])
        ):
            raise invalid_input(
                rp,
                f"pixel reliability grid {rmeta['width']}x{rmeta['height']} "
                f"{tuple(rmeta['transform'])[:6]} differs from the NDVI grid "
                f"{meta['width']}x{meta['height']} {tuple(meta['transform'])[:6]}: "
                "export both SDS from the same granule",
            )
        rel = _open_raw_int(rp, None, chunks, dates=ndvi["time"].values)
        ok = rel.isin(list(accept)) & (rel != _MODIS_RELIABILITY_FILL)
        ndvi = ndvi.where(ok.data)
    ndvi = ndvi.astype("float32")
    return finish_ndvi(ndvi, meta["crs"], meta["transform"], p, "MODIS MOD13Q1")


def _open_raw_int(
    path: Path,
    date: dt.date | str | None,
    chunks: Mapping[str, int] | None,
    *,
    dates: np.ndarray | None = None,
) -> xr.DataArray:
    """A single-band integer raster as a lazy ``(time, y, x)`` array without any masking."""
    import rioxarray

    meta = read_meta(path)
    if meta["crs"] is None:
        raise invalid_input(path, "raster has no CRS: assign the MODIS sinusoidal CRS")
    if meta["count"] != 1:
        raise invalid_input(path, f"expected one band, found {meta['count']}")
    if dates is None:
        found = (
            [as_date(date)]
            if date is not None
            else band_dates(path, meta["tags"], meta["descriptions"], meta["band_tags"], 1)
        )
        if not found:
            raise invalid_input(
                path,
                "no date: pass date= or keep the MODIS name (MOD13Q1.AYYYYDDD....tif)",
            )
        dates = to_time_index(found)
    dask_chunks = normalise_chunks(chunks, ("y", "x"))
    dask_chunks["band"] = 1
    with affine_compat():
        raw = rioxarray.open_rasterio(path, chunks=dask_chunks, masked=False, mask_and_scale=False)
    assert isinstance(raw, xr.DataArray)
    return raw.rename(band="time").assign_coords(time=dates)
