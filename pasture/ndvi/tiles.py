"""NDVI map tiles: a Web Mercator XYZ tile of an NDVI raster as a coloured PNG.

Rendering goes through rio-tiler (the engine of titiler): it reads only the
part of a Cloud-Optimized GeoTIFF (or any raster GDAL opens) that the tile
covers, from the nearest overview, and warps it to EPSG:3857. NDVI values are
mapped onto one fixed colour scale (:data:`NDVI_RANGE`, :data:`NDVI_STOPS`), so
that colours mean the same on every date and every plot; nodata pixels are
transparent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import NotFound

__all__ = [
    "NDVI_COLORMAP",
    "NDVI_RANGE",
    "NDVI_STOPS",
    "TILE_SIZE",
    "LegendStop",
    "TileOutside",
    "ndvi_colormap",
    "ndvi_legend",
    "render_ndvi_tile",
]

#: NDVI values mapped onto the colour scale; values outside are clamped to its ends.
#: −0.2 covers water and snow, 1.0 the densest vegetation.
NDVI_RANGE: tuple[float, float] = (-0.2, 1.0)

#: Colour stops of the NDVI scale, brown (bare, dry) → green (dense vegetation).
#: Colours after ColorBrewer BrBG (brown side) and YlGn (green side).
NDVI_STOPS: tuple[tuple[float, str], ...] = (
    (-0.2, "#543005"),
    (0.0, "#a6611a"),
    (0.1, "#dfc27d"),
    (0.2, "#f6e8c3"),
    (0.3, "#d9f0a3"),
    (0.4, "#addd8e"),
    (0.5, "#78c679"),
    (0.6, "#41ab5d"),
    (0.8, "#238443"),
    (1.0, "#004529"),
)

#: Pixels per tile side (the XYZ convention of Leaflet and OpenLayers).
TILE_SIZE = 256

#: One legend entry: the NDVI value, its colour (``#rrggbb``) and a label.
LegendStop = tuple[float, str, str]


class TileOutside(NotFound):
    """The requested tile does not intersect the raster (the API answers 404)."""


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def ndvi_colormap(
    stops: Sequence[tuple[float, str]] = NDVI_STOPS,
    *,
    value_range: tuple[float, float] = NDVI_RANGE,
) -> dict[int, tuple[int, int, int, int]]:
    """A 256-entry rio-tiler colormap (byte value → RGBA) interpolated between colour stops."""
    lo, hi = value_range
    values = np.array([v for v, _ in stops], dtype=float)
    rgb = np.array([_rgb(c) for _, c in stops], dtype=float)
    centres = lo + (np.arange(256) + 0.5) / 256 * (hi - lo)
    channels = [np.interp(centres, values, rgb[:, k]) for k in range(3)]
    return {
        i: (
            round(float(channels[0][i])),
            round(float(channels[1][i])),
            round(float(channels[2][i])),
            255,
        )
        for i in range(256)
    }


#: The default NDVI colormap, built once from :data:`NDVI_STOPS`.
NDVI_COLORMAP: dict[int, tuple[int, int, int, int]] = ndvi_colormap()


def ndvi_legend(
    stops: Sequence[tuple[float, str]] = NDVI_STOPS, *, lang: str = "en"
) -> list[LegendStop]:
    """Legend entries of the NDVI colour scale: value, colour and the value formatted in ``lang``."""
    from ..i18n import translator

    t = translator(lang)
    return [(float(v), c, t.number(v, digits=1)) for v, c in stops]


def render_ndvi_tile(
    cog_path: str | Path,
    z: int,
    x: int,
    y: int,
    *,
    colormap: Mapping[int, tuple[int, int, int, int]] = NDVI_COLORMAP,
    value_range: tuple[float, float] = NDVI_RANGE,
    band: int = 1,
    scale: float | None = None,
    offset: float | None = None,
    tilesize: int = TILE_SIZE,
) -> bytes:
    """Render the XYZ tile ``z/x/y`` of an NDVI raster as a PNG (RGBA, nodata transparent).

    Parameters
    ----------
    cog_path
        A raster GDAL opens, best a Cloud-Optimized GeoTIFF (the ``path`` of a
        row of the ``scenes`` table).
    z, x, y
        Web Mercator tile indices (Leaflet's ``{z}/{x}/{y}``).
    colormap
        Byte value → RGBA; byte 0 is ``value_range[0]``, 255 is ``value_range[1]``.
    band
        1-based band holding the date (``scenes.band``).
    scale, offset
        Applied to stored values before colouring (``scenes.scale``/``offset``,
        e.g. 0.0001 for MOD13Q1 integers); None: the values are NDVI already.

    Raises
    ------
    TileOutside
        When the tile does not intersect the raster or the indices are not a tile.
    NotFound
        When the file does not exist.
    """
    from rio_tiler.errors import TileOutsideBounds
    from rio_tiler.io import Reader

    path = Path(cog_path)
    if not path.exists():
        raise NotFound(f"NDVI raster {path} does not exist; check the scene's path")
    n = 2**z
    if z < 0 or not (0 <= x < n and 0 <= y < n):
        raise TileOutside(f"{z}/{x}/{y} is not a Web Mercator tile")
    with Reader(str(path)) as src:
        if not src.tile_exists(x, y, z):
            raise TileOutside(f"tile {z}/{x}/{y} does not intersect {path.name}")
        try:
            img = src.tile(x, y, z, indexes=band, tilesize=tilesize)
        except TileOutsideBounds as exc:
            raise TileOutside(f"tile {z}/{x}/{y} does not intersect {path.name}") from exc
    data = img.array.data[0].astype("float64")
    mask = np.ma.getmaskarray(img.array)[0] | ~np.isfinite(data)
    if scale is not None:
        data = data * scale
    if offset is not None:
        data = data + offset
    lo, hi = value_range
    with np.errstate(invalid="ignore"):
        scaled = np.clip((data - lo) / (hi - lo) * 256.0, 0, 255)
    byte = np.where(mask, 0, scaled).astype("uint8")
    return _png_rgba(byte, mask, colormap)


def _png_rgba(
    byte: np.ndarray, mask: np.ndarray, colormap: Mapping[int, tuple[int, int, int, int]]
) -> bytes:
    """Encode byte values through a colormap as an RGBA PNG, masked pixels fully transparent."""
    from rio_tiler.utils import render

    lut = np.zeros((256, 4), dtype="uint8")
    for k, colour in colormap.items():
        lut[int(k)] = colour
    pixels: np.ndarray = lut[byte]
    pixels[mask] = (0, 0, 0, 0)
    out: bytes = render(np.moveaxis(pixels[..., :3], -1, 0), pixels[..., 3], img_format="PNG")
    return out
