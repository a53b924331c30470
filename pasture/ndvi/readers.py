"""NDVI rasters in: open GeoTIFF/COG, NetCDF/Zarr stacks, MODIS MOD13Q1 and Sentinel-2 lazily.

Every opener returns the same thing: an ``xarray.DataArray`` named ``ndvi`` with dims
``(time, y, x)``, float32 physical NDVI, NaN wherever the source says nodata, fill, masked
or out of range, the CRS and affine transform written with rioxarray (a ``spatial_ref``
coordinate) and dask chunks, so a stack larger than memory streams (DESIGN.md, "NDVI and
forage").

:func:`check_scene` is the gate before a raster enters the catalogue: it refuses, with
:class:`~pasture.errors.InvalidInput`, what would break later (no CRS, wrong place,
truncated bytes, absurd size, VRT indirection, not a raster).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings
from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.errors
import xarray as xr
from affine import Affine
from pyproj import CRS, Transformer
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from pasture.errors import InvalidInput, NotFound, Problem

__all__ = [
    "DEFAULT_CHUNKS",
    "MODIS_FILL",
    "MODIS_SCALE",
    "MODIS_VALID_RANGE",
    "SCL_MASK_CLASSES",
    "SceneInfo",
    "check_scene",
    "ndvi_from_bands",
    "open_geotiff",
    "open_modis_mod13q1",
    "open_ndvi",
    "open_sentinel2",
    "open_stack",
]

PathLike = str | Path

#: Dask chunks used when the caller gives none: one date per chunk, 1024 px squares
#: (4 MiB of float32), a multiple of the usual 256/512 COG tile.
DEFAULT_CHUNKS: Mapping[str, int] = {"time": 1, "y": 1024, "x": 1024}

# MOD13Q1 encoding (DOMAIN.md, "Satellite NDVI"; MOD13 user guide, SDS "250m 16 days NDVI").
MODIS_SCALE = 0.0001
MODIS_FILL = -3000
MODIS_VALID_RANGE = (-2000, 10000)
# MOD13Q1 "pixel reliability" SDS: -1 fill, 0 good, 1 marginal, 2 snow/ice, 3 cloudy.
_MODIS_RELIABILITY_FILL = -1

#: Sentinel-2 L2A scene classes masked by default (DOMAIN.md, "Satellite NDVI"):
#: 3 cloud shadow, 8 cloud medium probability, 9 cloud high probability, 10 thin cirrus,
#: 11 snow.
SCL_MASK_CLASSES: tuple[int, ...] = (3, 8, 9, 10, 11)

#: Largest raster side check_scene accepts by default. A MODIS tile is 4800 px, a
#: Sentinel-2 tile 10980 px; a side of more than 100,000 px is a broken header or an
#: attempt to exhaust memory.
MAX_SIDE_PX = 100_000

# Drivers check_scene accepts. Anything else (XYZ, ASCII grids, CSV, VRT, vector formats)
# is refused: GDAL would otherwise open many text files as rasters. The file signature is
# checked first (_raster_signature) so GDAL never parses anything else.
_SCENE_DRIVERS = frozenset(
    {"GTiff", "COG", "netCDF", "HDF4", "HDF4Image", "HDF5", "HDF5Image", "JP2OpenJPEG"}
)
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"II*\x00", "GeoTIFF"),
    (b"MM\x00*", "GeoTIFF"),
    (b"II+\x00", "BigTIFF"),
    (b"MM\x00+", "BigTIFF"),
    (b"CDF\x01", "NetCDF"),
    (b"CDF\x02", "NetCDF"),
    (b"CDF\x05", "NetCDF"),
    (b"\x89HDF\r\n\x1a\n", "NetCDF-4/HDF5"),
    (b"\x0e\x03\x13\x01", "HDF4"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xffO\xffQ", "JPEG 2000 codestream"),
)

# Tags that may carry the acquisition date, tried in this order, case-insensitively.
# TIFFTAG_DATETIME is deliberately absent: it is the time the file was written.
_DATE_TAGS = (
    "DATE",
    "NDVI_DATE",
    "ACQUISITION_DATE",
    "ACQUISITIONDATE",
    "DATE_ACQUIRED",
    "SENSING_DATE",
    "RANGEBEGINNINGDATE",
    "TIME",
)
# Dataset tags listing one ISO date per band of a multi-band stack.
_DATES_TAGS = ("DATES", "NDVI_DATES", "BAND_DATES", "TIMES")

_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_COMPACT_DATE = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")
_JULIAN_DATE = re.compile(r"(?<!\d)(\d{4})(\d{3})(?!\d)")
_INIT_EPSG = re.compile(r"^\s*\+init=epsg:(\d+)\s*$", re.IGNORECASE)

# Years a satellite NDVI date can plausibly have: AVHRR NDVI starts in 1981.
_YEAR_RANGE = (1980, 2100)

_STACK_SUFFIXES = {".nc", ".nc4", ".cdf", ".netcdf", ".zarr"}
_TIFF_SUFFIXES = {".tif", ".tiff", ".gtiff", ".cog"}


# The one warning silenced by _affine_compat (affine 3.0 deprecating `*` composition).
_AFFINE_MUL_WARNING = r"Use `@` matmul instead of `\*` mul operator"


@contextmanager
def _affine_compat() -> Iterator[None]:
    """Silence affine 3.0's PendingDeprecationWarning raised inside rasterio and rioxarray.

    affine 3.0 asks for ``@`` to compose transforms; rasterio 1.4 and rioxarray 0.19
    still use ``*`` (for example in ``open_rasterio`` when building coordinates). The
    result is identical. Remove when those libraries switch.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=_AFFINE_MUL_WARNING, category=PendingDeprecationWarning
        )
        yield


# --------------------------------------------------------------------------- helpers


def _invalid(path: PathLike, *messages: str) -> InvalidInput:
    return InvalidInput(str(path), [Problem(m) for m in messages])


def _valid_date(year: int, month: int, day: int) -> dt.date | None:
    if not _YEAR_RANGE[0] <= year <= _YEAR_RANGE[1]:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _parse_date(text: str) -> dt.date | None:
    """A date from ``YYYY-MM-DD``, ``YYYYMMDD`` or MODIS-style ``YYYYDDD`` inside ``text``."""
    for m in _ISO_DATE.finditer(text):
        d = _valid_date(int(m[1]), int(m[2]), int(m[3]))
        if d is not None:
            return d
    for m in _COMPACT_DATE.finditer(text):
        d = _valid_date(int(m[1]), int(m[2]), int(m[3]))
        if d is not None:
            return d
    for m in _JULIAN_DATE.finditer(text):
        year, doy = int(m[1]), int(m[2])
        if _YEAR_RANGE[0] <= year <= _YEAR_RANGE[1] and 1 <= doy <= 366:
            d = dt.date(year, 1, 1) + dt.timedelta(days=doy - 1)
            if d.year == year:
                return d
    return None


def _as_date(value: dt.date | dt.datetime | str | np.datetime64) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return dt.date.fromisoformat(str(value.astype("datetime64[D]")))
    parsed = _parse_date(str(value))
    if parsed is None:
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)")
    return parsed


def _tag_date(tags: Mapping[str, str]) -> dt.date | None:
    upper = {k.upper(): v for k, v in tags.items()}
    for key in _DATE_TAGS:
        if key in upper:
            d = _parse_date(upper[key])
            if d is not None:
                return d
    return None


def _tag_dates(tags: Mapping[str, str], count: int) -> list[dt.date] | None:
    upper = {k.upper(): v for k, v in tags.items()}
    for key in _DATES_TAGS:
        if key not in upper:
            continue
        raw = upper[key].strip()
        try:
            items = json.loads(raw) if raw.startswith("[") else re.split(r"[,;\s]+", raw)
        except json.JSONDecodeError:
            items = re.split(r"[,;\s]+", raw.strip("[]"))
        dates = [_parse_date(str(i)) for i in items if str(i).strip()]
        if len(dates) == count and all(d is not None for d in dates):
            return [d for d in dates if d is not None]
    return None


def _band_dates(
    path: Path,
    tags: Mapping[str, str],
    descriptions: Sequence[str | None],
    band_tags: Sequence[Mapping[str, str]],
    count: int,
) -> list[dt.date] | None:
    """Dates of the bands of a raster, from band metadata, tags or the file name."""
    if count > 1:
        from_desc = [_parse_date(d) if d else None for d in descriptions]
        if all(d is not None for d in from_desc):
            return [d for d in from_desc if d is not None]
        from_band_tags = [_tag_date(t) for t in band_tags]
        if all(d is not None for d in from_band_tags):
            return [d for d in from_band_tags if d is not None]
        return _tag_dates(tags, count)
    single = (
        _tag_date(tags)
        or (band_tags and _tag_date(band_tags[0]))
        or (descriptions and descriptions[0] and _parse_date(descriptions[0]))
        or _parse_date(path.name)
    )
    return [single] if single else None


def _to_time_index(dates: Sequence[dt.date]) -> np.ndarray:
    return np.array([np.datetime64(d.isoformat(), "ns") for d in dates])


def _normalise_chunks(chunks: Mapping[str, int] | None, dims: Sequence[Hashable]) -> dict:
    wanted = dict(DEFAULT_CHUNKS if chunks is None else chunks)
    return {d: wanted[str(d)] for d in dims if str(d) in wanted}


def _crs_from_text(text: str) -> CRS:
    """A CRS from WKT, ``EPSG:n``, PROJ strings and the deprecated ``+init=epsg:n``.

    ``+init=epsg:n`` (written by old rasterio/xarray into NetCDF attributes, e.g. the
    Sentinel-2 sample data) is rewritten to ``EPSG:n``: PROJ deprecates the ``+init``
    syntax and warns that it may swap axes.
    """
    m = _INIT_EPSG.match(text)
    return CRS.from_epsg(int(m[1])) if m else CRS.from_user_input(text)


def _crs_string(crs: Any) -> str:
    """``EPSG:n`` when the CRS is exactly an EPSG code, else its WKT."""
    pcrs = CRS.from_user_input(crs)
    epsg = pcrs.to_epsg(min_confidence=100)
    return f"EPSG:{epsg}" if epsg else pcrs.to_wkt()


def _regular_axis(values: np.ndarray, name: str, source: PathLike) -> tuple[float, float]:
    """(origin edge, step) of a regularly spaced pixel-centre coordinate."""
    v = np.asarray(values, dtype="float64")
    if v.size < 2:
        raise _invalid(source, f"coordinate {name!r} needs at least 2 values to define a grid")
    steps = np.diff(v)
    step = float(steps[0])
    if step == 0 or not np.allclose(steps, step, rtol=1e-6, atol=0):
        raise _invalid(
            source, f"coordinate {name!r} is not regularly spaced: resample to a regular grid"
        )
    return float(v[0]) - step / 2, step


def _finish(
    da: xr.DataArray, crs: Any, transform: Affine, source: PathLike, sensor: str
) -> xr.DataArray:
    """Common tail of every opener: name, attrs, dims order, CRS and transform."""
    da = da.transpose("time", "y", "x")
    da.name = "ndvi"
    da.attrs = {"long_name": "NDVI", "units": "1", "source": str(source), "sensor": sensor}
    da.encoding = {}
    for stale in ("spatial_ref", "band"):
        if stale in da.coords and stale not in da.dims:
            da = da.drop_vars(stale)
    da = da.rio.write_crs(crs, grid_mapping_name="spatial_ref")
    return da.rio.write_transform(transform, grid_mapping_name="spatial_ref")


def _transform_of(da: xr.DataArray) -> Affine:
    """The transform our openers wrote (``spatial_ref`` GeoTransform), without recomputing.

    ``da.rio.transform()`` recomputes it from the coordinates with affine's deprecated
    ``*``; the stored GDAL GeoTransform is exact and warning-free.
    """
    gt = da.coords["spatial_ref"].attrs["GeoTransform"]
    return Affine.from_gdal(*(float(v) for v in str(gt).split()))


def _raster_signature(head: bytes) -> str | None:
    """Format named by a file's first bytes, or None when it is no accepted raster."""
    return next((name for magic, name in _SIGNATURES if head.startswith(magic)), None)


def _sensor_guess(name: str, tags: Mapping[str, str]) -> str:
    text = " ".join([name, *tags.keys(), *tags.values()]).upper()
    if "GENERATED" in {k.upper() for k in tags}:
        return "generated"
    if "MOD13Q1" in text or "MYD13Q1" in text or re.search(r"\bMODIS\b", text):
        return "MODIS MOD13Q1"
    if re.search(r"SENTINEL[-_ ]?2|\bS2[ABC]?_|MSIL2A|MSIL1C", text):
        return "Sentinel-2"
    return "unknown"


# --------------------------------------------------------------------------- GeoTIFF


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
    meta = _read_meta(p)
    if meta["crs"] is None:
        raise _invalid(p, "raster has no CRS: assign one (gdal_edit.py -a_srs EPSG:nnnn)")
    count = meta["count"]
    if date is not None:
        if count != 1:
            raise _invalid(p, f"date= given but the file has {count} bands; date its bands")
        dates: list[dt.date] | None = [_as_date(date)]
    else:
        dates = _band_dates(p, meta["tags"], meta["descriptions"], meta["band_tags"], count)
    if dates is None:
        if count == 1:
            raise _invalid(
                p,
                "no date: pass date=, tag the file DATE=YYYY-MM-DD, or name it ndvi_YYYY-MM-DD.tif",
            )
        raise _invalid(
            p,
            f"{count} bands but no band dates: set each band description to YYYY-MM-DD "
            "or a dataset tag DATES=YYYY-MM-DD,...",
        )
    dask_chunks = _normalise_chunks(chunks, ("time", "y", "x"))
    dask_chunks["band"] = dask_chunks.pop("time", 1)
    with _affine_compat():
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
    da = da.rename(band="time").assign_coords(time=_to_time_index(dates))
    sensor = _sensor_guess(p.name, meta["tags"])
    return _finish(da.sortby("time"), meta["crs"], meta["transform"], p, sensor)


def _read_meta(path: Path) -> dict[str, Any]:
    """Header metadata of a raster; InvalidInput when GDAL cannot read it as one."""
    try:
        with warnings.catch_warnings():
            # CRS-less rasters are reported as problems by the callers, not as a warning.
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            src = rasterio.open(path)
        with src:
            return {
                "crs": src.crs,
                "transform": src.transform,
                "count": src.count,
                "width": src.width,
                "height": src.height,
                "dtype": src.dtypes[0] if src.count else None,
                "nodata": src.nodata,
                "scales": list(src.scales),
                "offsets": list(src.offsets),
                "tags": src.tags(),
                "band_tags": [src.tags(b) for b in range(1, src.count + 1)],
                "descriptions": list(src.descriptions),
                "driver": src.driver,
            }
    except rasterio.errors.RasterioIOError as exc:
        raise _invalid(path, f"not a raster GDAL can read ({exc}); export it as GeoTIFF") from exc


# --------------------------------------------------------------------------- MODIS


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
    meta = _read_meta(p) if p.exists() else None
    if meta is None:
        raise NotFound(f"{p}: no such MOD13Q1 NDVI file")
    if meta["dtype"] is None or not np.issubdtype(np.dtype(meta["dtype"]), np.integer):
        raise _invalid(
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
        rmeta = _read_meta(rp)
        if (rmeta["width"], rmeta["height"]) != (meta["width"], meta["height"]) or not (
            rmeta["transform"].almost_equals(meta["transform"])
        ):
            raise _invalid(
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
    return _finish(ndvi, meta["crs"], meta["transform"], p, "MODIS MOD13Q1")


def _open_raw_int(
    path: Path,
    date: dt.date | str | None,
    chunks: Mapping[str, int] | None,
    *,
    dates: np.ndarray | None = None,
) -> xr.DataArray:
    """A single-band integer raster as a lazy ``(time, y, x)`` array without any masking."""
    import rioxarray

    meta = _read_meta(path)
    if meta["crs"] is None:
        raise _invalid(path, "raster has no CRS: assign the MODIS sinusoidal CRS")
    if meta["count"] != 1:
        raise _invalid(path, f"expected one band, found {meta['count']}")
    if dates is None:
        found = (
            [_as_date(date)]
            if date is not None
            else _band_dates(path, meta["tags"], meta["descriptions"], meta["band_tags"], 1)
        )
        if not found:
            raise _invalid(
                path,
                "no date: pass date= or keep the MODIS name (MOD13Q1.AYYYYDDD....tif)",
            )
        dates = _to_time_index(found)
    dask_chunks = _normalise_chunks(chunks, ("y", "x"))
    dask_chunks["band"] = 1
    with _affine_compat():
        raw = rioxarray.open_rasterio(path, chunks=dask_chunks, masked=False, mask_and_scale=False)
    assert isinstance(raw, xr.DataArray)
    return raw.rename(band="time").assign_coords(time=dates)


# --------------------------------------------------------------------------- Sentinel-2


def _crs_of(da: xr.DataArray) -> CRS | None:
    """CRS of a band: rioxarray's grid mapping, else a ``crs`` attribute (old xarray)."""
    text = da.attrs.get("crs")
    if isinstance(text, str) and text.strip():
        return _crs_from_text(text)
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
        (DOMAIN.md, "Satellite NDVI").
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
        raise _invalid(
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
        raise _invalid(
            "SCL band",
            f"SCL grid {scl.shape} differs from the bands {like.shape} and a CRS is "
            "missing: resample SCL to the 10 m grid (nearest) first",
        )
    from rasterio.enums import Resampling

    target = like.rio.write_crs(crs)
    with _affine_compat():
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
    when = _as_date(date) if date is not None else None
    if when is None:
        for p in (red_p, nir_p):
            if p.exists():
                meta = _read_meta(p)
                found = _band_dates(p, meta["tags"], meta["descriptions"], meta["band_tags"], 1)
                if found:
                    when = found[0]
                    break
    if when is None:
        raise _invalid(red_p, "no acquisition date: pass date= or keep the date in the name")
    red = open_geotiff(red_p, date=when, chunks=chunks)
    nir = open_geotiff(nir_p, date=when, chunks=chunks)
    scl = open_geotiff(scl_path, date=when, chunks=chunks) if scl_path is not None else None
    out = ndvi_from_bands(red, nir, scl=scl, mask_classes=mask_classes, scale=scale, offset=offset)
    return _finish(out, red.rio.crs, _transform_of(red), red_p, "Sentinel-2")


# --------------------------------------------------------------------------- stacks


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
                return _crs_from_text(value)
            if key == "epsg" and isinstance(value, int | np.integer):
                return CRS.from_epsg(int(value))
    if {"lat", "lon"} <= set(map(str, var.dims)) or {"latitude", "longitude"} <= set(
        map(str, var.dims)
    ):
        # CF: lat/lon axes without a grid mapping are geographic; WGS 84 assumed.
        return CRS.from_epsg(4326)
    raise _invalid(
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
            raise _invalid(
                source, f"no variable {variable!r}; variables: {sorted(map(str, ds.data_vars))}"
            )
        return ds[variable]
    for name in ("ndvi", "NDVI", "Ndvi"):
        if name in ds.data_vars:
            return ds[name]
    gridded = [v for v in ds.data_vars.values() if v.ndim >= 2]
    if len(gridded) == 1:
        return gridded[0]
    raise _invalid(
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
        raise _invalid(p, f"cannot open as NetCDF/Zarr ({exc})") from exc
    var = _pick_variable(ds, variable, p)
    renames = {
        d: n
        for d, n in {"lon": "x", "longitude": "x", "lat": "y", "latitude": "y"}.items()
        if d in var.dims
    }
    crs = _find_crs(ds, var, p)
    time_name = next((t for t in ("time", "t", "date") if t in var.coords), None)
    if time_name is None:
        raise _invalid(
            p, "no time coordinate: add one named 'time' (or open single dates with open_geotiff)"
        )
    if time_name not in var.dims:
        var = var.expand_dims(time_name)
    var = var.rename({**renames, **({time_name: "time"} if time_name != "time" else {})})
    missing = {"x", "y"} - set(map(str, var.dims))
    if missing or var.ndim != 3:
        raise _invalid(p, f"expected dims (time, y, x), found {tuple(map(str, var.dims))}")
    try:
        times = var["time"].values.astype("datetime64[ns]")
    except (TypeError, ValueError) as exc:
        raise _invalid(p, f"time coordinate is not a date ({exc}): use CF time units") from exc
    var = var.assign_coords(time=times).sortby("time")
    x0, dx = _regular_axis(var["x"].values, "x", p)
    y0, dy = _regular_axis(var["y"].values, "y", p)
    da = var.astype("float32")
    limits = _normalise_chunks(chunks, ("time", "y", "x"))
    if da.chunks is not None:
        current = dict(zip(da.dims, da.chunks, strict=True))
        da = da.chunk({d: min(max(current[d]), limits[d]) for d in limits})
    keep = {"time", "x", "y"}
    da = da.drop_vars([c for c in da.coords if c not in keep])
    return _finish(da, crs, Affine(dx, 0.0, x0, 0.0, dy, y0), p, _sensor_guess(p.name, ds.attrs))


# --------------------------------------------------------------------------- dispatch


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


def _is_modis(path: Path) -> bool:
    return bool(re.search(r"M[OY]D13Q1", path.name, re.IGNORECASE))


def _open_one(path: Path, kw: Mapping[str, Any]) -> xr.DataArray:
    kind = _sniff(path)
    if kind == "stack":
        return open_stack(path, **kw)
    if kind == "tiff":
        if _is_modis(path):
            return open_modis_mod13q1(path, **kw)
        return open_geotiff(path, **kw)
    raise _invalid(
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
                raise _invalid(p, "directory holds no GeoTIFF (.tif) NDVI files")
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


# --------------------------------------------------------------------------- check_scene


@dataclass(frozen=True)
class SceneInfo:
    """What :func:`check_scene` learned about a raster accepted for the catalogue.

    ``crs`` is ``EPSG:n`` when the CRS is exactly an EPSG code, else WKT. ``transform``
    is the affine ``(a, b, c, d, e, f)`` in rasterio order: x = a·col + b·row + c,
    y = d·col + e·row + f. ``scale``/``offset``/``nodata`` are what the file declares
    for band 1. ``date`` is the single date (or the first band's); ``band_dates`` lists
    the dates of every band when known.
    """

    path: str
    date: dt.date | None
    sensor: str
    crs: str
    transform: tuple[float, float, float, float, float, float]
    width: int
    height: int
    count: int
    dtype: str
    nodata: float | None
    scale: float
    offset: float
    bounds_wgs84: tuple[float, float, float, float]
    band_dates: tuple[dt.date, ...] = ()


def _footprint_wgs84(crs: Any, transform: Affine, width: int, height: int) -> Polygon:
    """The raster outline in EPSG:4326, edges densified so curved projections stay right."""
    n = 21
    t = np.linspace(0.0, 1.0, n)
    cols = np.concatenate([t * width, np.full(n, width), (1 - t) * width, np.zeros(n)])
    rows = np.concatenate([np.zeros(n), t * height, np.full(n, height), (1 - t) * height])
    xs = transform.a * cols + transform.b * rows + transform.c
    ys = transform.d * cols + transform.e * rows + transform.f
    tr = Transformer.from_crs(CRS.from_user_input(crs), CRS.from_epsg(4326), always_xy=True)
    lon, lat = tr.transform(xs, ys)
    return Polygon(zip(lon, lat, strict=True))


def check_scene(
    path: PathLike,
    *,
    region: BaseGeometry | None = None,
    max_pixels: int = MAX_SIDE_PX,
) -> SceneInfo:
    """Validate a raster before it is registered in the NDVI catalogue.

    Parameters
    ----------
    path
        A local raster file (GeoTIFF/COG, NetCDF, HDF, JPEG 2000).
    region
        Shapely geometry in EPSG:4326 the scene must overlap (e.g. the district).
    max_pixels
        Largest accepted width or height, in pixels.

    Returns
    -------
    SceneInfo
        Header facts of the accepted raster.

    Raises
    ------
    NotFound
        No such file.
    InvalidInput
        A VRT (it can point at any file on the machine), a file that is not a raster, no
        CRS, zero or absurd dimensions, a scene outside ``region``, or truncated /
        corrupt data (every block of every band is read to prove it decodes).
    """
    p = Path(path)
    if not p.exists():
        raise NotFound(f"{p}: no such raster file")
    if p.is_dir():
        raise _invalid(p, "is a directory: check_scene takes one raster file")
    with p.open("rb") as fh:
        head = fh.read(512)
    if head.lstrip()[:11].lower() == b"<vrtdataset" or p.suffix.lower() == ".vrt":
        raise _invalid(
            p,
            "VRT files are refused: they can point at any file on the machine. "
            "Materialise it first: gdal_translate -of COG in.vrt out.tif",
        )
    kind = _raster_signature(head)
    if kind is None:
        raise _invalid(
            p,
            "not a raster file (its first bytes are not GeoTIFF, NetCDF, HDF or JPEG 2000); "
            "export the scene as GeoTIFF/COG",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            src = rasterio.open(p)
    except rasterio.errors.RasterioIOError as exc:
        raise _invalid(
            p, f"looks like {kind} but GDAL cannot open it ({exc}): export it again"
        ) from exc
    if src.driver not in _SCENE_DRIVERS:
        src.close()
        raise _invalid(p, f"GDAL driver {src.driver} is not accepted; export as GeoTIFF/COG")
    with src:
        problems: list[str] = []
        if src.count == 0:
            sub = list(src.subdatasets)
            hint = f": open one subdataset, e.g. {sub[0]}" if sub else ""
            problems.append(f"no raster bands{hint}")
        if src.crs is None:
            problems.append(
                "raster has no CRS: assign one (gdal_edit.py -a_srs EPSG:nnnn) and retry"
            )
        if src.width <= 0 or src.height <= 0:
            problems.append(f"empty raster ({src.width}x{src.height} px)")
        elif src.width > max_pixels or src.height > max_pixels:
            problems.append(
                f"absurd size {src.width}x{src.height} px (limit {max_pixels} per side): "
                "the header is broken or the scene must be tiled"
            )
        if problems:
            raise _invalid(p, *problems)
        footprint = _footprint_wgs84(src.crs, src.transform, src.width, src.height)
        if region is not None and not footprint.intersects(region):
            b = footprint.bounds
            r = region.bounds
            raise _invalid(
                p,
                f"scene (lon {b[0]:.3f}..{b[2]:.3f}, lat {b[1]:.3f}..{b[3]:.3f}) does not "
                f"overlap the region (lon {r[0]:.3f}..{r[2]:.3f}, lat {r[1]:.3f}..{r[3]:.3f}):"
                " wrong tile or wrong CRS",
            )
        _read_every_block(src, p)
        tags = src.tags()
        dates = _band_dates(
            p,
            tags,
            list(src.descriptions),
            [src.tags(b) for b in range(1, src.count + 1)],
            src.count,
        )
        t = src.transform
        return SceneInfo(
            path=str(p.resolve()),
            date=dates[0] if dates else None,
            sensor=_sensor_guess(p.name, tags),
            crs=_crs_string(src.crs),
            transform=(t.a, t.b, t.c, t.d, t.e, t.f),
            width=src.width,
            height=src.height,
            count=src.count,
            dtype=str(src.dtypes[0]),
            nodata=None if src.nodata is None else float(src.nodata),
            scale=float(src.scales[0]),
            offset=float(src.offsets[0]),
            bounds_wgs84=tuple(float(v) for v in footprint.bounds),  # type: ignore[arg-type]
            band_dates=tuple(dates or ()),
        )


def _read_every_block(src: rasterio.DatasetReader, path: Path) -> None:
    """Decode every block of every band; a truncated or corrupt file fails here."""
    for band in range(1, src.count + 1):
        for (row, col), window in src.block_windows(band):
            try:
                src.read(band, window=window)
            except rasterio.errors.RasterioError as exc:
                raise _invalid(
                    path,
                    f"band {band} block ({row}, {col}) cannot be read ({exc}): the file is "
                    "truncated or corrupt; download or export it again",
                ) from exc
