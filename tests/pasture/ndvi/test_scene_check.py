"""Tests of pasture.ndvi.scene_check: what check_scene accepts and refuses."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import CRS

from pasture.errors import InvalidInput, NotFound
from pasture.ndvi.scene_check import SceneInfo, check_scene
from tests.pasture.ndvi.rasters import (
    DISTRICT,
    T_UTM,
    UTM44,
    ramp,
    write_modis,
    write_tif,
)


def test_check_scene_accepts_good_cog(tmp_path: Path) -> None:
    path = tmp_path / "ndvi_2021-06-10.tif"
    data = np.random.default_rng(0).random((300, 400), dtype="float32")
    with rasterio.open(
        path,
        "w",
        driver="COG",
        width=400,
        height=300,
        count=1,
        dtype="float32",
        crs=UTM44,
        transform=T_UTM,
        nodata=float("nan"),
        blocksize=256,
    ) as dst:
        dst.write(data, 1)
        dst.update_tags(GENERATED="demo")
    info = check_scene(path, region=DISTRICT)
    assert isinstance(info, SceneInfo)
    assert info.date == dt.date(2021, 6, 10)
    assert info.sensor == "generated"
    assert info.crs == UTM44
    assert info.transform == tuple(T_UTM)[:6]
    assert (info.width, info.height, info.count, info.dtype) == (400, 300, 1, "float32")
    assert info.nodata is not None and np.isnan(info.nodata)
    assert (info.scale, info.offset) == (1.0, 0.0)
    lon0, lat0, lon1, lat1 = info.bounds_wgs84
    assert 78.0 < lon0 < 78.2 < lon1 < 79.5 and 42.6 < lat0 < 43.0 < lat1 < 43.5
    with pytest.raises(AttributeError):
        info.width = 1  # type: ignore[misc]


def test_check_scene_sensor_guesses(tmp_path: Path) -> None:
    modis_path, _ = write_modis(tmp_path)
    assert check_scene(modis_path).sensor == "MODIS MOD13Q1"
    s2 = write_tif(tmp_path / "S2A_MSIL2A_20210615T053649_NDVI.tif", ramp())
    assert check_scene(s2).sensor == "Sentinel-2"
    other = write_tif(tmp_path / "ndvi_2021-06-10.tif", ramp())
    assert check_scene(other).sensor == "unknown"
    modis_crs = CRS.from_user_input(check_scene(modis_path).crs)
    assert modis_crs.to_cf()["grid_mapping_name"] == "sinusoidal"


def test_check_scene_refuses_missing_crs(tmp_path: Path) -> None:
    path = write_tif(tmp_path / "nocrs.tif", ramp(), crs=None)
    with pytest.raises(InvalidInput, match=r"(?s)nocrs\.tif.*no CRS.*gdal_edit"):
        check_scene(path)


def test_check_scene_refuses_scene_outside_region(tmp_path: Path) -> None:
    # Same UTM zone, 1000 km further north: Siberia, not the district.
    far = Affine(250.0, 0.0, 265_000.0, 0.0, -250.0, 5_810_000.0)
    path = write_tif(tmp_path / "ndvi_2021-06-10.tif", ramp(), transform=far)
    with pytest.raises(InvalidInput, match="does not overlap the region"):
        check_scene(path, region=DISTRICT)
    assert check_scene(path).bounds_wgs84[1] > 52  # no region: accepted


def test_check_scene_refuses_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "ndvi_2021-06-10.tif"
    data = np.random.default_rng(1).random((512, 512), dtype="float32")
    write_tif(path, data, tiled=True, blockxsize=128, blockysize=128, compress="deflate")
    raw = path.read_bytes()
    # The header and tile offsets are at the start; cut the last third of the tiles.
    path.write_bytes(raw[: len(raw) * 2 // 3])
    with pytest.raises(InvalidInput, match=r"(?s)ndvi_2021-06-10\.tif.*truncated or corrupt"):
        check_scene(path)


def test_check_scene_refuses_absurd_dimensions(tmp_path: Path) -> None:
    path = tmp_path / "huge.tif"
    # Sparse: no tile is written, so the file is tiny but claims 100,001 px.
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=100_001,
        height=2,
        count=1,
        dtype="uint8",
        crs=UTM44,
        transform=T_UTM,
        tiled=True,
        sparse_ok=True,
    ):
        pass
    assert path.stat().st_size < 100_000
    with pytest.raises(InvalidInput, match=r"(?s)absurd size 100001x2"):
        check_scene(path)
    small = write_tif(tmp_path / "small.tif", ramp())
    with pytest.raises(InvalidInput, match="absurd size"):
        check_scene(small, max_pixels=4)


def test_check_scene_refuses_vrt(tmp_path: Path) -> None:
    target = write_tif(tmp_path / "ndvi_2021-06-10.tif", ramp())
    vrt = tmp_path / "pointer.xml"  # not named .vrt: detected by content
    vrt.write_text(
        '<VRTDataset rasterXSize="5" rasterYSize="4">\n'
        '  <VRTRasterBand dataType="Float32" band="1">\n'
        f"    <SimpleSource><SourceFilename>{target}</SourceFilename>"
        "<SourceBand>1</SourceBand></SimpleSource>\n"
        "  </VRTRasterBand>\n</VRTDataset>\n"
    )
    with pytest.raises(InvalidInput, match="VRT files are refused"):
        check_scene(vrt)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.tif", "just some text, renamed to .tif\n"),
        (
            "plots.geojson",
            '{"type": "FeatureCollection", "features": [{"type": "Feature", '
            '"properties": {}, "geometry": {"type": "Point", "coordinates": [78, 43.5]}}]}',
        ),
        ("grid.xyz", "0 0 1\n1 0 2\n0 1 3\n1 1 4\n"),
    ],
)
def test_check_scene_refuses_non_rasters(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InvalidInput, match="(?s)" + re.escape(name) + ".*not a raster"):
        check_scene(path)


def test_check_scene_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        check_scene(tmp_path / "missing.tif")
