"""NDVI time stacks stored as NetCDF or Zarr (CF conventions), opened lazily."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import xarray as xr
from affine import Affine
from pyproj import CRS

from pasture.errors import NotFound

from .metadata import (
    PathLike,
    crs_from_text,
    finish_ndvi,
    invalid_input,
    normalise_chunks,
    sensor_guess,
)

__all__ = ["open_stack"]


def _regular_axis(values: np.ndarray, name: str, source: PathLike) -> tuple[float, float]:
    """(origin edge, step) of a regularly spaced pixel-centre coordinate."""
    v = np.asarray(values, dtype="float64")
    if v.size < 2:
        raise invalid_input(source, f"coordinate {name!r} needs at least 2 values to define a grid")
    steps = np.diff(v)
    step = float(steps[0])
    if step == 0 or not np.allclose(steps, step, rtol=1e-6, atol=0):
        raise invalid_input(
            source, f"coordinate {name!r} is not regularly spaced: resample to a regular grid"
        )
    return float(v[0]) - step / 2, step


def _find_crs(ds: xr.Dataset, var: xr.DataArray, source: PathLike) -> CRS:
    """CRS of a NetCDF/Zarr variable, from CF grid mapping, spatial_ref, attrs or lat/lon."""
    names = [var.attrs.get("grid_mapping"), var.encoding.get("grid_mapping"), "spatial_ref"]
    for name in names:
        if not name or name not in ds.variables:
            continue
        attrs = ds[name].attrs
        for key in ("crs_wkt", "spatial_ref"):
            if isinstance(attrs.get(key), str):
                return CRS.from_wkt(attrs[key])
        if "grid_mapping_name" in attrs:
            return CRS.from_cf(dict(attrs))
    for attrs in (var.attrs, ds.attrs):
        for key in ("crs", "crs_wkt", "spatial_ref", "proj4", "epsg"):
            value = attrs.get(key)
            if isinstance(value, str) and value.strip():
                return crs_from_text(value)
            if key == "epsg" and isinstance(value, int | np.integer):
                return CRS.from_epsg(int(value))
    if {"lat", "lon"} <= set(map(str, var.dims)) or {"latitude", "longitude"} <= set(
        map(str, var.dims)
    ):
        # CF: lat/lon axes without a grid mapping are geographic; WGS 84 assumed.
        return CRS.from_epsg(4326)
    raise invalid_input(
        source,
        "no CRS: add a CF grid_mapping variable (crs_wkt) or a spatial_ref coordinate "
        "(rioxarray: da.rio.write_crs(...))",
    )


def _zarr_consolidated(path: Path) -> bool:
    """Whether a Zarr store has consolidated metadata (asking blindly makes xarray warn)."""
    if (path / ".zmetadata").exists():
        return True
    meta = path / "zarr.json"
    if meta.exists():
        try:
            doc = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return False
        return bool(doc.get("consolidated_metadata"))
    return False


def _pick_variable(ds: xr.Dataset, variable: str | None, source: PathLike) -> xr.DataArray:
    if variable is not None:
        if variable not in ds.data_vars:
            raise invalid_input(
                source, f"no variable {variable!r}; variables: {sorted(map(str, ds.data_vars))}"
            )
        return ds[variable]
    for name in ("ndvi", "NDVI", "Ndvi"):
        if name in ds.data_vars:
            return ds[name]
    gridded = [v for v in ds.data_vars.values() if v.ndim >= 2]
    if len(gridded) == 1:
        return gridded[0]
    raise invalid_input(
        source,
        f"cannot tell which variable is NDVI among {sorted(map(str, ds.data_vars))}: "
        "name it 'ndvi' or pass variable=",
    )


def open_stack(
    path: PathLike,
    *,
    variable: str | None = None,
    chunks: Mapping[str, int] | None = None,
) -> xr.DataArray:
    """Open an NDVI time stack stored as NetCDF (``.nc``) or Zarr (``.zarr``).

    Parameters
    ----------
    path
        NetCDF file or Zarr store with a time coordinate (``time``, ``t`` or ``date``).
        CF packing (``scale_factor``, ``add_offset``, ``_FillValue``) is decoded.
    variable
        The NDVI variable; default ``ndvi`` (any case) or the only gridded variable.
    chunks
        Dask chunks by dim name; default: the store's own chunks, split further to at
        most :data:`DEFAULT_CHUNKS`.

    Returns
    -------
    xarray.DataArray
        ``(time, y, x)`` float32 NDVI sorted by time. The CRS comes from the CF
        ``grid_mapping`` variable (``crs_wkt``/``spatial_ref`` or CF parameters), a
        ``spatial_ref`` coordinate, a ``crs`` attribute, or — for ``lat``/``lon`` axes —
        EPSG:4326. ``lon``/``lat`` (or ``longitude``/``latitude``) become ``x``/``y``.

    Raises
    ------
    InvalidInput
        No time coordinate, no CRS, no NDVI variable or an irregular grid.
    """
    p = Path(path)
    if not p.exists():
        raise NotFound(f"{p}: no such NDVI stack")
    is_zarr = p.suffix.lower() == ".zarr" or (
        p.is_dir() and any((p / f).exists() for f in ("zarr.json", ".zgroup", ".zattrs"))
    )
    try:
        if is_zarr:
            ds = xr.open_dataset(
                p,
                engine="zarr",
                chunks={},
                decode_coords="all",
                consolidated=_zarr_consolidated(p),
            )
        else:
            ds = xr.open_dataset(p, chunks={}, decode_coords="all")
    except (OSError, ValueError) as exc:
        raise invalid_input(p, f"cannot open as NetCDF/Zarr ({exc})") from exc
    var = _pick_variable(ds, variable, p)
    renames = {
        d: n
        for d, n in {"lon": "x", "longitude": "x", "lat": "y", "latitude": "y"}.items()
        if d in var.dims
    }
    crs = _find_crs(ds, var, p)
    time_name = next((t for t in ("time", "t", "date") if t in var.coords), None)
    if time_name is None:
        raise invalid_input(
            p, "no time coordinate: add one named 'time' (or open single dates with open_geotiff)"
        )
    if time_name not in var.dims:
        var = var.expand_dims(time_name)
    var = var.rename({**renames, **({time_name: "time"} if time_name != "time" else {})})
    missing = {"x", "y"} - set(map(str, var.dims))
    if missing or var.ndim != 3:
        raise invalid_input(p, f"expected dims (time, y, x), found {tuple(map(str, var.dims))}")
    try:
        times = var["time"].values.astype("datetime64[ns]")
    except (TypeError, ValueError) as exc:
        raise invalid_input(p, f"time coordinate is not a date ({exc}): use CF time units") from exc
    var = var.assign_coords(time=times).sortby("time")
    x0, dx = _regular_axis(var["x"].values, "x", p)
    y0, dy = _regular_axis(var["y"].values, "y", p)
    da = var.astype("float32")
    limits = normalise_chunks(chunks, ("time", "y", "x"))
    if da.chunks is not None:
        current = dict(zip(da.dims, da.chunks, strict=True))
        da = da.chunk({d: min(max(current[d]), limits[d]) for d in limits})
    keep = {"time", "x", "y"}
    da = da.drop_vars([c for c in da.coords if c not in keep])
    return finish_ndvi(da, crs, Affine(dx, 0.0, x0, 0.0, dy, y0), p, sensor_guess(p.name, ds.attrs))
