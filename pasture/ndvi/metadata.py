"""What the NDVI openers share: dates and CRS from tags and band names, the raster header,
dask chunks, and the common tail that gives every opener the same result.

Every opener returns the same thing: an ``xarray.DataArray`` named ``ndvi`` with dims
``(time, y, x)``, float32 physical NDVI, NaN wherever the source says nodata, fill, masked
or out of range, the CRS and affine transform written with rioxarray (a ``spatial_ref``
coordinate) and dask chunks, so a stack larger than memory streams (DESIGN.md, "NDVI and
forage"). :func:`finish_ndvi` is that common tail.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings
from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.errors
import xarray as xr
from affine import Affine
from pyproj import CRS

from pasture.errors import InvalidInput, Problem

__all__ = [
    "DEFAULT_CHUNKS",
    "PathLike",
    "affine_compat",
    "as_date",
    "band_dates",
    "crs_from_text",
    "finish_ndvi",
    "invalid_input",
    "normalise_chunks",
    "read_meta",
    "sensor_guess",
    "to_time_index",
]

PathLike = str | Path

#: Dask chunks used when the caller gives none: one date per chunk, 1024 px squares
#: (4 MiB of float32), a multiple of the usual 256/512 COG tile.
DEFAULT_CHUNKS: Mapping[str, int] = {"time": 1, "y": 1024, "x": 1024}

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


# The one warning silenced by affine_compat (affine 3.0 deprecating `*` composition).
_AFFINE_MUL_WARNING = r"Use `@` matmul instead of `\*` mul operator"


@contextmanager
def affine_compat() -> Iterator[None]:
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


def invalid_input(path: PathLike, *messages: str) -> InvalidInput:
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


def as_date(value: dt.date | dt.datetime | str | np.datetime64) -> dt.date:
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


def band_dates(
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


def to_time_index(dates: Sequence[dt.date]) -> np.ndarray:
    return np.array([np.datetime64(d.isoformat(), "ns") for d in dates])


def normalise_chunks(chunks: Mapping[str, int] | None, dims: Sequence[Hashable]) -> dict:
    wanted = dict(DEFAULT_CHUNKS if chunks is None else chunks)
    return {d: wanted[str(d)] for d in dims if str(d) in wanted}


def crs_from_text(text: str) -> CRS:
    """A CRS from WKT, ``EPSG:n``, PROJ strings and the deprecated ``+init=epsg:n``.

    ``+init=epsg:n`` (written by old rasterio/xarray into NetCDF attributes, e.g. the
    Sentinel-2 sample data) is rewritten to ``EPSG:n``: PROJ deprecates the ``+init``
    syntax and warns that it may swap axes.
    """
    m = _INIT_EPSG.match(text)
    return CRS.from_epsg(int(m[1])) if m else CRS.from_user_input(text)


def sensor_guess(name: str, tags: Mapping[str, str]) -> str:
    text = " ".join([name, *tags.keys(), *tags.values()]).upper()
    if "GENERATED" in {k.upper() for k in tags}:
        return "generated"
    if "MOD13Q1" in text or "MYD13Q1" in text or re.search(r"\bMODIS\b", text):
        return "MODIS MOD13Q1"
    if re.search(r"SENTINEL[-_ ]?2|\bS2[ABC]?_|MSIL2A|MSIL1C", text):
        return "Sentinel-2"
    # Collection 2 product ids (LC08_L2SP_..., LC09_...) and the STAC collection name
    if re.search(r"LANDSAT|\bL[CO]0[89]_|\bLE07_|\bLT05_", text):
        return "Landsat"
    return "unknown"


def read_meta(path: Path) -> dict[str, Any]:
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
        raise invalid_input(
            path, f"not a raster GDAL can read ({exc}); export it as GeoTIFF"
        ) from exc


def finish_ndvi(
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
