"""Test scenes for the STAC fetch: small COGs of known arrays, one catalogue item each.

Every scene is written on a grid in the district's UTM zone at the source's native
resolution with its origin on a multiple of it, so the fetch's output grid is a window of
the scene grid and the reference composite can be computed with plain numpy from the
arrays written here. The masking rules below are written out again on purpose, from the
product guides (not imported from the code under test).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin
from shapely.geometry import box

from tests.pasture.ndvi.stac_server import StacServer

# The test district: one okrug of about 800 m × 780 m near Esik.
LON0, LAT0 = 77.40, 43.30
DISTRICT = box(LON0, LAT0, LON0 + 0.01, LAT0 + 0.007)
CRS = "EPSG:32643"  # UTM zone 43N holds 77.40° E
MARGIN_M = 600.0  # scenes reach this far past the district on every side

# Asset names, data types and collection ids as the default catalogues have them.
BANDS = {
    "sentinel-2-l2a": (("red", "uint16"), ("nir", "uint16"), ("scl", "uint8")),
    "landsat-c2-l2": (("red", "uint16"), ("nir08", "uint16"), ("qa_pixel", "uint16")),
    "modis-13q1": (
        ("250m_16_days_NDVI", "int16"),
        ("250m_16_days_pixel_reliability", "int16"),
    ),
}
COLLECTION = {
    "sentinel-2-l2a": "sentinel-2-l2a",
    "landsat-c2-l2": "landsat-c2-l2",
    "modis-13q1": "modis-13Q1-061",
}
RESOLUTION = {"sentinel-2-l2a": 10.0, "landsat-c2-l2": 30.0, "modis-13q1": 250.0}

# Landsat QA_PIXEL values (bit 0 fill, 1 dilated cloud, 2 cirrus, 3 cloud, 4 shadow,
# 5 snow; 6 clear, 7 water; 8-15 confidences): clear land, clear water, and one of each
# dropped flag.
LANDSAT_QA = np.array([21824, 21824, 21824, 21952, 1, 21826, 21828, 22280, 23888, 30048])


@dataclass
class Scene:
    """One item: its arrays and where they sit."""

    item_id: str
    when: dt.datetime
    files: dict[str, str]
    arrays: dict[str, np.ndarray]
    transform: rasterio.Affine
    properties: dict[str, str] = field(default_factory=dict)


def scene_grid(source: str) -> tuple[rasterio.Affine, int, int]:
    """Transform, width and height of the scenes: the district plus a margin, snapped."""
    res = RESOLUTION[source]
    to_utm = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    xs, ys = to_utm.transform(
        [LON0, LON0 + 0.01, LON0, LON0 + 0.01], [LAT0, LAT0, LAT0 + 0.007, LAT0 + 0.007]
    )
    left = np.floor((min(xs) - MARGIN_M) / res) * res
    top = np.ceil((max(ys) + MARGIN_M) / res) * res
    width = int(np.ceil((max(xs) + MARGIN_M - left) / res))
    height = int(np.ceil((top - (min(ys) - MARGIN_M)) / res))
    return from_origin(left, top, res, res), width, height


def random_arrays(source: str, rng: np.random.Generator, shape: tuple[int, int]) -> dict:
    """Band arrays of one scene, with every mask case present."""
    if source == "sentinel-2-l2a":
        return {
            "red": rng.integers(1000, 4000, shape).astype("uint16"),
            "nir": rng.integers(1000, 6000, shape).astype("uint16"),
            "scl": rng.integers(0, 12, shape).astype("uint8"),
        }
    if source == "landsat-c2-l2":
        return {
            "red": rng.integers(7000, 20000, shape).astype("uint16"),
            "nir08": rng.integers(7000, 30000, shape).astype("uint16"),
            "qa_pixel": rng.choice(LANDSAT_QA, shape).astype("uint16"),
        }
    ndvi = rng.integers(-2500, 10000, shape).astype("int16")
    ndvi[rng.random(shape) < 0.05] = -3000
    return {
        "250m_16_days_NDVI": ndvi,
        "250m_16_days_pixel_reliability": rng.integers(-1, 4, shape).astype("int16"),
    }


def write_cog(path: Path, array: np.ndarray, transform: rasterio.Affine) -> None:
    """A COG with 256 px blocks, so a window read is a few Range requests."""
    with rasterio.open(
        path,
        "w",
        driver="COG",
        width=array.shape[1],
        height=array.shape[0],
        count=1,
        dtype=array.dtype,
        crs=CRS,
        transform=transform,
        blocksize=256,
        compress="DEFLATE",
    ) as dst:
        dst.write(array, 1)


def add_scene(
    server: StacServer,
    source: str,
    when: dt.datetime,
    rng: np.random.Generator,
    properties: dict[str, str] | None = None,
) -> Scene:
    """Write a scene's COGs into the server's folder and add its item to the catalogue."""
    transform, width, height = scene_grid(source)
    arrays = random_arrays(source, rng, (height, width))
    item_id = f"{source}-{when:%Y%m%dT%H%M%S}"
    files = {}
    for band, _ in BANDS[source]:
        files[band] = f"{item_id}_{band}.tif"
        write_cog(server.assets / files[band], arrays[band], transform)
    bbox = (LON0 - 0.02, LAT0 - 0.02, LON0 + 0.03, LAT0 + 0.027)
    server.add_item(COLLECTION[source], item_id, when, bbox, files, properties)
    return Scene(item_id, when, files, arrays, transform, dict(properties or {}))


def reference_ndvi(source: str, scene: Scene) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(NDVI with NaN where masked, has-data flags, masked flags) from the product guides."""
    a = scene.arrays
    if source == "sentinel-2-l2a":
        baseline = scene.properties.get("s2:processing_baseline", "00.00")
        offset = -1000.0 if float(baseline) >= 4.0 else 0.0
        red = (a["red"].astype("float64") + offset) * 1e-4
        nir = (a["nir"].astype("float64") + offset) * 1e-4
        has = (a["scl"] != 0) & (a["red"] != 0) & (a["nir"] != 0)
        masked = np.isin(a["scl"], [0, 1, 3, 8, 9, 10, 11])
    elif source == "landsat-c2-l2":
        red = a["red"] * 2.75e-5 - 0.2
        nir = a["nir08"] * 2.75e-5 - 0.2
        qa = a["qa_pixel"].astype("int64")
        has = (qa & 1) == 0
        masked = (qa & 0b111111) != 0
    else:
        dn, rel = a["250m_16_days_NDVI"], a["250m_16_days_pixel_reliability"]
        has = (dn != -3000) & (rel != -1)
        masked = ~np.isin(rel, [0, 1])
        in_range = (dn >= -2000) & (dn <= 10000)
        ndvi = np.where(has & ~masked & in_range, dn * 1e-4, np.nan)
        return ndvi, has, masked
    with np.errstate(invalid="ignore", divide="ignore"):
        ndvi = (nir - red) / (nir + red)
    ndvi = np.where(has & ~masked & (np.abs(ndvi) <= 1), ndvi, np.nan)
    return ndvi, has, masked


def window(scene_transform: rasterio.Affine, out_transform: rasterio.Affine, shape) -> tuple:
    """Slices of the scene arrays that the output grid covers (grids share pixel edges)."""
    res = scene_transform.a
    col = round((out_transform.c - scene_transform.c) / res)
    row = round((scene_transform.f - out_transform.f) / res)
    assert col >= 0 and row >= 0, "the output grid starts outside the test scene"
    return slice(row, row + shape[0]), slice(col, col + shape[1])
