"""One lazy ``(time, y, x)`` stack from catalogue rows, without opening each file first.

The catalogue already holds what opening a GeoTIFF would tell (grid, band, nodata,
scale, offset, date): building the stack from it costs nothing per file, where opening
184 demo scenes one by one through rioxarray took longer than the zonal statistics
over them. Each dask block reads its window of one band when it is computed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from affine import Affine

from .metadata import DEFAULT_CHUNKS, crs_from_text, finish_ndvi, to_time_index

__all__ = ["catalogue_stack", "fits_catalogue_stack"]


class _BandWindows:
    """Array-like over one band of a raster file: ``[rows, cols]`` reads that window."""

    def __init__(self, path: str, band: int, shape: tuple[int, int], dtype: str) -> None:
        self.path, self.band = path, band
        self.shape, self.dtype, self.ndim = shape, np.dtype(dtype), 2

    def __getitem__(self, key: tuple[slice, slice]) -> np.ndarray:
        import rasterio
        from rasterio.windows import Window

        rows, cols = (k.indices(n) for k, n in zip(key, self.shape, strict=True))
        window = Window(cols[0], rows[0], cols[1] - cols[0], rows[1] - rows[0])
        with rasterio.open(self.path) as src:
            return src.read(self.band, window=window)


def _scene_array(row: pd.Series, chunks: tuple[int, int]) -> Any:
    """One scene as float32 with NaN for nodata and the band's scale and offset applied,
    as :func:`pasture.ndvi.geotiff.open_geotiff` gives it."""
    import dask.array as da

    shape = (int(row["height"]), int(row["width"]))
    raw = da.from_array(
        _BandWindows(str(row["path"]), int(row["band"]), shape, str(row["dtype"])),
        chunks=chunks,
        name=f"scene-{row['id']}-{row['band']}",
        asarray=False,
        lock=False,
        meta=np.empty((0, 0), dtype=str(row["dtype"])),
    )
    out = raw.astype("float32")
    nodata = row["nodata"]
    if nodata is not None and not pd.isna(nodata):
        out = da.where(raw != nodata, out, np.float32("nan"))
    scale = 1.0 if pd.isna(row["scale"]) else float(row["scale"])
    offset = 0.0 if pd.isna(row["offset"]) else float(row["offset"])
    if scale != 1.0 or offset != 0.0:
        out = out * np.float32(scale) + np.float32(offset)
    return out


def catalogue_stack(group: pd.DataFrame) -> xr.DataArray:
    """The scenes of one grid (catalogue rows of one CRS, transform and size) as a stack.

    Parameters
    ----------
    group : pandas.DataFrame
        Rows of the ``scenes`` table on one grid, GeoTIFF files only.

    Returns
    -------
    xarray.DataArray
        ``(time, y, x)`` float32 NDVI, dask-backed, sorted by date, with CRS and transform.
    """
    import dask.array as da
    import rioxarray  # noqa: F401  (the .rio accessor)

    group = group.sort_values("date", kind="stable")
    first = group.iloc[0]
    transform = Affine(*list(first["transform"])[:6])
    height, width = int(first["height"]), int(first["width"])
    chunks = (min(DEFAULT_CHUNKS["y"], height), min(DEFAULT_CHUNKS["x"], width))
    data = da.stack([_scene_array(row, chunks) for _, row in group.iterrows()])
    # pixel centres, as rioxarray gives them
    x = transform.c + (np.arange(width) + 0.5) * transform.a
    y = transform.f + (np.arange(height) + 0.5) * transform.e
    stack = xr.DataArray(
        data,
        dims=("time", "y", "x"),
        coords={"time": to_time_index(list(group["date"].dt.date)), "y": y, "x": x},
    )
    paths = sorted({str(Path(p).parent) for p in group["path"]})
    source = paths[0] if len(paths) == 1 else ", ".join(paths)
    sensors = sorted(set(group["sensor"]))
    sensor = sensors[0] if len(sensors) == 1 else "mixed"
    return finish_ndvi(stack, crs_from_text(first["crs"]), transform, source, sensor)


def fits_catalogue_stack(path: str) -> bool:
    """Whether a scene file can be read from its catalogue row alone: a plain GeoTIFF.

    MODIS and Sentinel-2 files and NetCDF/Zarr stacks keep their own openers, which
    apply their quality layers and conventions.
    """
    from .readers import _sniff, is_modis_name

    p = Path(path)
    return p.is_file() and _sniff(p) == "tiff" and not is_modis_name(p)
