"""NDVI tiles: 256×256 RGBA PNG over a generated COG, nodata transparent, outside → TileOutside."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from PIL import Image

from pasture.errors import NotFound
from pasture.ndvi.tiles import (
    NDVI_COLORMAP,
    NDVI_STOPS,
    TileOutside,
    ndvi_colormap,
    ndvi_legend,
    render_ndvi_tile,
)

# A 50 km square in UTM 44N near Asy (78.55 E, 43.2 N): the tile 10/735/374 lies inside it.
X0, Y0, RES, SIZE = 520_000.0, 4_800_000.0, 250.0, 200


@pytest.fixture(scope="module")
def cog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A float32 NDVI COG with NaN nodata over its west quarter."""
    ndvi = np.tile(np.linspace(-0.2, 1.0, SIZE, dtype="float32"), (SIZE, 1))
    ndvi[:, : SIZE // 4] = np.nan
    path = tmp_path_factory.mktemp("cog") / "ndvi.tif"
    profile = {
        "driver": "COG",
        "width": SIZE,
        "height": SIZE,
        "count": 1,
        "dtype": "float32",
        "nodata": float("nan"),
        "crs": "EPSG:32644",
        "transform": Affine(RES, 0, X0, 0, -RES, Y0),
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(ndvi, 1)
    return path


def _tile_over(z: int) -> tuple[int, int]:
    import morecantile
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(32644, 4326, always_xy=True).transform(X0 + 6_000, Y0 - 25_000)
    t = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, z)
    return t.x, t.y


def _rgba(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (256, 256)
    assert image.mode == "RGBA"
    return np.asarray(image)


def test_tile_is_a_256_png_with_transparent_nodata(cog: Path) -> None:
    x, y = _tile_over(10)
    rgba = _rgba(render_ndvi_tile(cog, 10, x, y))
    alpha = rgba[..., 3]
    # the tile straddles the NaN strip: some pixels transparent, some opaque
    assert (alpha == 0).any() and (alpha == 255).any()
    assert set(np.unique(alpha)) <= {0, 255}
    assert (rgba[alpha == 0][:, :3] == 0).all()
    opaque = rgba[alpha == 255][:, :3]
    palette = {tuple(v[:3]) for v in NDVI_COLORMAP.values()}
    assert {tuple(p) for p in opaque[::97]} <= palette


def test_whole_raster_tile_has_transparent_outside(cog: Path) -> None:
    x, y = _tile_over(7)
    alpha = _rgba(render_ndvi_tile(cog, 7, x, y))[..., 3]
    assert 0 < (alpha == 255).mean() < 0.5


def test_tile_outside_the_raster(cog: Path) -> None:
    with pytest.raises(TileOutside):
        render_ndvi_tile(cog, 10, 10, 10)
    with pytest.raises(TileOutside):
        render_ndvi_tile(cog, 3, 99, 0)
    assert issubclass(TileOutside, NotFound)


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        render_ndvi_tile(tmp_path / "nope.tif", 1, 0, 0)


def test_colour_scale_runs_brown_to_green() -> None:
    low, high = NDVI_COLORMAP[0], NDVI_COLORMAP[255]
    assert low[0] > low[2] and high[1] > high[0]  # brown: red > blue; green: green > red
    assert len(ndvi_colormap()) == 256
    legend = ndvi_legend(lang="ru")
    assert [v for v, _, _ in legend] == [v for v, _ in NDVI_STOPS]
    assert legend[1][2] == "0,0" and ndvi_legend(lang="en")[-1][2] == "1.0"
