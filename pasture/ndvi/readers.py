"""NDVI rasters in: :func:`open_ndvi` picks the opener of each source, like xarray's backends.

GeoTIFF/COG (:mod:`.geotiff`), MODIS MOD13Q1 (:mod:`.modis`), NetCDF/Zarr stacks
(:mod:`.stacks`); Sentinel-2 bands come in through :func:`~.sentinel2.open_sentinel2`.
Many single-date files become one stack.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from pyproj import CRS

from pasture.errors import InvalidInput, NotFound, Problem

from .geotiff import open_geotiff
from .metadata import PathLike, invalid_input
from .modis import open_modis_mod13q1
from .stacks import open_stack

__all__ = ["is_modis_name", "open_ndvi"]

_STACK_SUFFIXES = {".nc", ".nc4", ".cdf", ".netcdf", ".zarr"}
_TIFF_SUFFIXES = {".tif", ".tiff", ".gtiff", ".cog"}


def _sniff(path: Path) -> str:
    """'stack', 'tiff' or 'other' from the suffix, else the first bytes."""
    suffix = path.suffix.lower()
    if suffix in _STACK_SUFFIXES or (path.is_dir() and (path / "zarr.json").exists()):
        return "stack"
    if path.is_dir() and ((path / ".zgroup").exists() or (path / ".zattrs").exists()):
        return "stack"
    if suffix in _TIFF_SUFFIXES:
        return "tiff"
    if path.is_file():
        with path.open("rb") as fh:
            head = fh.read(8)
        if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
            return "tiff"
        if head[:3] == b"CDF" or head[:8] == b"\x89HDF\r\n\x1a\n":
            return "stack"
    return "other"


def is_modis_name(path: Path) -> bool:
    """Whether the file is named as a MOD13Q1/MYD13Q1 export: it is then read as that product."""
    return bool(re.search(r"M[OY]D13Q1", path.name, re.IGNORECASE))


def _open_one(path: Path, kw: Mapping[str, Any]) -> xr.DataArray:
    kind = _sniff(path)
    if kind == "stack":
        return open_stack(path, **kw)
    if kind == "tiff":
        if is_modis_name(path):
            return open_modis_mod13q1(path, **kw)
        return open_geotiff(path, **kw)
    raise invalid_input(
        path, "not an NDVI raster: expected GeoTIFF/COG (.tif), NetCDF (.nc) or Zarr (.zarr)"
    )


def open_ndvi(path_or_paths: PathLike | Sequence[PathLike], **kw: Any) -> xr.DataArray:
    """Open NDVI from any supported source; many single-date files become one stack.

    Parameters
    ----------
    path_or_paths
        A GeoTIFF/COG, NetCDF, Zarr store, a directory of GeoTIFFs (e.g. a generated demo
        stack), or a sequence of such paths. The kind is chosen by extension, else by
        the file's first bytes; MOD13Q1 names (``MOD13Q1.A...``) use
        :func:`open_modis_mod13q1`.
    **kw
        Passed to the opener (``date=``, ``chunks=``, ``variable=``, ...).

    Returns
    -------
    xarray.DataArray
        ``(time, y, x)`` float32 NDVI, concatenated along time and sorted.

    Raises
    ------
    InvalidInput
        Files on different grids or CRSs, duplicated dates, or an unknown format.
    """
    if isinstance(path_or_paths, str | Path):
        p = Path(path_or_paths)
        if not p.exists():
            raise NotFound(f"{p}: no such NDVI file or directory")
        if p.is_dir() and _sniff(p) != "stack":
            paths = sorted(
                q for q in p.iterdir() if q.suffix.lower() in _TIFF_SUFFIXES and q.is_file()
            )
            if not paths:
                raise invalid_input(p, "directory holds no GeoTIFF (.tif) NDVI files")
        else:
            return _open_one(p, kw)
    else:
        paths = [Path(q) for q in path_or_paths]
        if not paths:
            raise ValueError("open_ndvi: no paths given")
    if len(paths) > 1 and "date" in kw:
        raise ValueError("open_ndvi: date= applies to one file, not to many")
    arrays = [_open_one(q, kw) for q in paths]
    if len(arrays) == 1:
        return arrays[0]
    first = arrays[0]
    crs0 = CRS.from_user_input(first.rio.crs)
    problems = []
    for q, a in zip(paths[1:], arrays[1:], strict=True):
        if CRS.from_user_input(a.rio.crs) != crs0:
            problems.append(Problem(f"{q.name}: CRS differs from {paths[0].name}"))
        elif a.shape[1:] != first.shape[1:] or not (
            np.allclose(a["x"].values, first["x"].values)
            and np.allclose(a["y"].values, first["y"].values)
        ):
            problems.append(Problem(f"{q.name}: grid differs from {paths[0].name}"))
    times = np.concatenate([a["time"].values for a in arrays])
    uniq, counts = np.unique(times, return_counts=True)
    problems += [
        Problem(f"date {str(t)[:10]} appears in {c} files: keep one")
        for t, c in zip(uniq, counts, strict=True)
        if c > 1
    ]
    if problems:
        raise InvalidInput(
            f"{len(paths)} NDVI files ({paths[0].parent})",
            [*problems, Problem("warp all files to one grid before stacking")]
            if any("differs" in p.message for p in problems)
            else problems,
        )
    aligned = [a.assign_coords(x=first["x"], y=first["y"]) for a in arrays]
    stacked = xr.concat(aligned, dim="time", coords="minimal", compat="override", join="exact")
    stacked = stacked.sortby("time")
    stacked.attrs = {**first.attrs, "source": str(paths[0].parent)}
    return stacked
