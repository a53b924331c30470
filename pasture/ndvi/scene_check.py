"""The gate before a raster enters the NDVI catalogue.

:func:`check_scene` refuses, with :class:`~pasture.errors.InvalidInput`, what would break
later (no CRS, wrong place, truncated bytes, absurd size, VRT indirection, not a raster),
and values that cannot be NDVI: outside [−1, 1] once the scaling the readers will apply
(:func:`assumed_scaling`) is applied, or too few valid pixels (docs/domain.md, "Satellite
NDVI"). A 0–255 byte image read as NDVI would otherwise move capacity silently.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.errors
from affine import Affine
from pyproj import CRS, Transformer
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from pasture.errors import NotFound

from .metadata import PathLike, band_dates, invalid_input, sensor_guess
from .modis import MODIS_FILL, MODIS_SCALE, MODIS_VALID_RANGE
from .readers import is_modis_name

__all__ = [
    "MAX_SIDE_PX",
    "MIN_VALID_SHARE",
    "NDVI_TOLERANCE",
    "Scaling",
    "SceneInfo",
    "assumed_scaling",
    "check_scene",
]

#: Largest raster side check_scene accepts by default. A MODIS tile is 4800 px, a
#: Sentinel-2 tile 10980 px; a side of more than 100,000 px is a broken header or an
#: attempt to exhaust memory.
MAX_SIDE_PX = 100_000

#: NDVI is a normalised difference, so every valid value lies in [−1, 1] after scaling.
#: Values up to this much beyond are accepted: resampling overshoot and lossy
#: compression (the demo stack's LERC tolerance is 0.0005) stay well inside it
#: (docs/domain.md, "Satellite NDVI").
NDVI_TOLERANCE = 0.01

#: Fewest valid pixels a band may have, as a share of all its pixels (assumption,
#: docs/domain.md "Satellite NDVI"): under 1 % valid, the nodata value is wrong or the
#: scene holds nothing but cloud, fill or sea.
MIN_VALID_SHARE = 0.01

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


def _crs_string(crs: Any) -> str:
    """``EPSG:n`` when the CRS is exactly an EPSG code, else its WKT."""
    pcrs = CRS.from_user_input(crs)
    epsg = pcrs.to_epsg(min_confidence=100)
    return f"EPSG:{epsg}" if epsg else pcrs.to_wkt()


def _raster_signature(head: bytes) -> str | None:
    """Format named by a file's first bytes, or None when it is no accepted raster."""
    return next((name for magic, name in _SIGNATURES if head.startswith(magic)), None)


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
    min_valid_share: float = MIN_VALID_SHARE,
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
    min_valid_share
        Fewest valid pixels per band, as a share of the band (default
        `MIN_VALID_SHARE`, 1 %).

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
        CRS, zero or absurd dimensions, a scene outside ``region``, truncated /
        corrupt data (every block of every band is read to prove it decodes), valid
        values outside [−1, 1] after the scaling `assumed_scaling` names (beyond
        `NDVI_TOLERANCE`), or a band with less than ``min_valid_share`` valid pixels.
        The message names the scaling assumed and how to declare the right one.
    """
    p = Path(path)
    if not p.exists():
        raise NotFound(f"{p}: no such raster file")
    if p.is_dir():
        raise invalid_input(p, "is a directory: check_scene takes one raster file")
    src = _open_raster(p, _raster_kind(p))
    with src:
        problems = _header_problems(src, max_pixels)
        if problems:
            raise invalid_input(p, *problems)
        footprint = _footprint_wgs84(src.crs, src.transform, src.width, src.height)
        if region is not None and not footprint.intersects(region):
            raise invalid_input(p, _outside_region(footprint, region))
        scaling = assumed_scaling(p, src)
        bands = _read_and_measure(src, p, scaling)
        problems = _value_problems(bands, scaling, min_valid_share)
        if problems:
            raise invalid_input(p, *problems)
        return _scene_info(p, src, footprint)


def _raster_kind(path: Path) -> str:
    """The raster format named by the file's first bytes; VRT and non-rasters are refused."""
    with path.open("rb") as fh:
        head = fh.read(512)
    if head.lstrip()[:11].lower() == b"<vrtdataset" or path.suffix.lower() == ".vrt":
        raise invalid_input(
            path,
            "VRT files are refused: they can point at any file on the machine. "
            "Materialise it first: gdal_translate -of COG in.vrt out.tif",
        )
    kind = _raster_signature(head)
    if kind is None:
        raise invalid_input(
            path,
            "not a raster file (its first bytes are not GeoTIFF, NetCDF, HDF or JPEG 2000); "
            "export the scene as GeoTIFF/COG",
        )
    return kind


def _open_raster(path: Path, kind: str) -> rasterio.DatasetReader:
    """The raster opened by GDAL with one of the accepted drivers (the caller closes it)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise invalid_input(
            path, f"looks like {kind} but GDAL cannot open it ({exc}): export it again"
        ) from exc
    if src.driver not in _SCENE_DRIVERS:
        src.close()
        raise invalid_input(
            path, f"GDAL driver {src.driver} is not accepted; export as GeoTIFF/COG"
        )
    return src


def _header_problems(src: rasterio.DatasetReader, max_pixels: int) -> list[str]:
    """What is wrong with the raster's header: no bands, no CRS, empty or absurd size."""
    problems: list[str] = []
    if src.count == 0:
        sub = list(src.subdatasets)
        hint = f": open one subdataset, e.g. {sub[0]}" if sub else ""
        problems.append(f"no raster bands{hint}")
    if src.crs is None:
        problems.append("raster has no CRS: assign one (gdal_edit.py -a_srs EPSG:nnnn) and retry")
    if src.width <= 0 or src.height <= 0:
        problems.append(f"empty raster ({src.width}x{src.height} px)")
    elif src.width > max_pixels or src.height > max_pixels:
        problems.append(
            f"absurd size {src.width}x{src.height} px (limit {max_pixels} per side): "
            "the header is broken or the scene must be tiled"
        )
    return problems


def _outside_region(footprint: Polygon, region: BaseGeometry) -> str:
    b = footprint.bounds
    r = region.bounds
    return (
        f"scene (lon {b[0]:.3f}..{b[2]:.3f}, lat {b[1]:.3f}..{b[3]:.3f}) does not "
        f"overlap the region (lon {r[0]:.3f}..{r[2]:.3f}, lat {r[1]:.3f}..{r[3]:.3f}):"
        " wrong tile or wrong CRS"
    )


def _scene_info(path: Path, src: rasterio.DatasetReader, footprint: Polygon) -> SceneInfo:
    """The header facts of an accepted raster."""
    tags = src.tags()
    dates = band_dates(
        path,
        tags,
        list(src.descriptions),
        [src.tags(b) for b in range(1, src.count + 1)],
        src.count,
    )
    t = src.transform
    return SceneInfo(
        path=str(path.resolve()),
        date=dates[0] if dates else None,
        sensor=sensor_guess(path.name, tags),
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


@dataclass(frozen=True)
class Scaling:
    """How the readers turn a band's stored values into NDVI: ``value × scale + offset``.

    ``nodata`` and stored values outside ``valid_range`` are not NDVI; ``source`` says
    where the numbers come from (the file's header, or the MOD13Q1 product definition).
    """

    scale: float
    offset: float
    nodata: float | None
    valid_range: tuple[float, float] | None
    source: str

    def describe(self) -> str:
        """The scaling in words, for messages."""
        nodata = "none" if self.nodata is None else f"{self.nodata:g}"
        return f"scale {self.scale:g}, offset {self.offset:g}, nodata {nodata} ({self.source})"


def assumed_scaling(path: Path, src: rasterio.DatasetReader) -> Scaling:
    """The scaling the readers apply to band 1 of ``src`` (see `pasture.ndvi.open_ndvi`).

    A file named as a MOD13Q1 export with integer values is read as that product
    (`pasture.ndvi.modis`: × 0.0001, fill −3000, valid −2000..10000, whatever its
    header says); any other file as its header declares (scale and offset, default 1
    and 0; nodata).
    """
    nodata = None if src.nodata is None else float(src.nodata)
    if is_modis_name(path) and np.issubdtype(np.dtype(src.dtypes[0]), np.integer):
        return Scaling(
            MODIS_SCALE, 0.0, float(MODIS_FILL), MODIS_VALID_RANGE, "MOD13Q1 product scaling"
        )
    scale, offset = float(src.scales[0]), float(src.offsets[0])
    declared = scale != 1.0 or offset != 0.0
    return Scaling(
        scale,
        offset,
        nodata,
        None,
        "as the file declares" if declared else "the file declares no scale or offset",
    )


@dataclass
class _BandValues:
    """What one band's values look like after scaling: counts and range."""

    pixels: int = 0
    valid: int = 0
    outside: int = 0
    low: float = np.inf
    high: float = -np.inf

    def add(self, raw: np.ndarray, scaling: Scaling) -> None:
        values = raw.astype("float64")
        ok = np.isfinite(values)
        if scaling.nodata is not None and not np.isnan(scaling.nodata):
            ok &= values != scaling.nodata
        if scaling.valid_range is not None:
            ok &= (values >= scaling.valid_range[0]) & (values <= scaling.valid_range[1])
        ndvi = values[ok] * scaling.scale + scaling.offset
        self.pixels += values.size
        self.valid += ndvi.size
        if ndvi.size:
            limit = 1.0 + NDVI_TOLERANCE
            self.outside += int(np.count_nonzero(np.abs(ndvi) > limit))
            self.low = min(self.low, float(ndvi.min()))
            self.high = max(self.high, float(ndvi.max()))


def _read_and_measure(
    src: rasterio.DatasetReader, path: Path, scaling: Scaling
) -> list[_BandValues]:
    """Decode every block of every band (a truncated or corrupt file fails here) and
    measure its values after ``scaling``."""
    bands = []
    for band in range(1, src.count + 1):
        measured = _BandValues()
        for (row, col), window in src.block_windows(band):
            try:
                block = src.read(band, window=window)
            except rasterio.errors.RasterioError as exc:
                raise invalid_input(
                    path,
                    f"band {band} block ({row}, {col}) cannot be read ({exc}): the file is "
                    "truncated or corrupt; download or export it again",
                ) from exc
            measured.add(block, scaling)
        bands.append(measured)
    return bands


def _value_problems(
    bands: list[_BandValues], scaling: Scaling, min_valid_share: float
) -> list[str]:
    """Bands whose values cannot be NDVI, with the scaling assumed and how to fix it."""
    problems = []
    for band, v in enumerate(bands, start=1):
        if v.outside:
            problems.append(
                f"band {band}: {v.outside / v.valid:.0%} of the valid values lie outside "
                f"NDVI's [-1, 1] after scaling (they run {v.low:g} .. {v.high:g}; scaling "
                f"assumed: {scaling.describe()}){_coding_hint(v)}. Declare the scaling so "
                "that value × scale + offset is NDVI (gdal_edit.py -scale S -offset O FILE) "
                "and the fill value as nodata (gdal_edit.py -a_nodata N FILE)"
            )
        elif v.valid < min_valid_share * v.pixels:
            problems.append(
                f"band {band}: only {v.valid / max(v.pixels, 1):.1%} of its pixels are valid "
                f"(at least {min_valid_share:.0%} expected; scaling assumed: "
                f"{scaling.describe()}): the nodata value is wrong or the scene holds no "
                "usable pixels; set the right nodata (gdal_edit.py -a_nodata N FILE) or "
                "leave the scene out"
            )
    return problems


def _coding_hint(v: _BandValues) -> str:
    """A guess at the integer coding of values that are not NDVI yet."""
    if v.low >= 0 and v.high <= 255:
        return "; values 0 .. 255 look like an 8-bit coding of NDVI"
    if v.high > 255 and v.low >= MODIS_FILL and v.high <= MODIS_VALID_RANGE[1]:
        return "; values look like NDVI × 10,000 (MODIS): scale 0.0001"
    return ""
