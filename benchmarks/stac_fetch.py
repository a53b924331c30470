"""Benchmark ``fetch_ndvi`` against plain rasterio window reads of the same COGs, same run.

    PYTHONPATH=. .venv/bin/python benchmarks/stac_fetch.py                 # 3 scenes of 4096²
    PYTHONPATH=. .venv/bin/python benchmarks/stac_fetch.py --size 2048 --district-km 2

Input: Sentinel-2-like scenes (uint16 red and NIR, uint8 SCL, 10 m, EPSG:32643, COGs with
512 px blocks) of ``--size``² pixels, all in one 16-day period, served over loopback HTTP by
the tests' STAC API (``tests/pasture/ndvi/stac_server.py``, which counts the bytes asked
for); the district is a square of ``--district-km`` in the scenes' middle.

Ours: ``fetch_ndvi`` end to end (search, odc-stac lazy load, SCL mask, maximum-value
composite, COG written and registered in a GeoPackage). Peer: the shortest code a person
would write for the same composite: for each item, rasterio opens the three assets over
/vsicurl, reads the district's window, masks and takes the maximum with numpy, and writes
the COG; no search, no registration. Both read only the window: the bytes each asked for
are printed beside the whole assets' size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin
from rasterio.windows import from_bounds
from shapely.geometry import box

import pasture
from pasture.ndvi.fetch import fetch_ndvi
from tests.pasture.ndvi.stac_server import StacServer

CRS = "EPSG:32643"
ORIGIN = (680_000.0, 4_820_000.0)  # near Esik
BANDS = (("red", "uint16"), ("nir", "uint16"), ("scl", "uint8"))


def _scenes(server: StacServer, size: int, count: int, rng: np.random.Generator) -> list[dict]:
    transform = from_origin(*ORIGIN, 10.0, 10.0)
    to_lonlat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    lons, lats = to_lonlat.transform(
        [ORIGIN[0], ORIGIN[0] + size * 10], [ORIGIN[1] - size * 10, ORIGIN[1]]
    )
    bbox = (min(lons), min(lats), max(lons), max(lats))
    server.add_collection("sentinel-2-l2a")
    items = []
    for i in range(count):
        item_id = f"S2-bench-{i}"
        files = {}
        for band, dtype in BANDS:
            high = 12 if band == "scl" else 6000
            data = rng.integers(1 if band != "scl" else 0, high, (size, size)).astype(dtype)
            files[band] = f"{item_id}_{band}.tif"
            with rasterio.open(
                server.assets / files[band], "w", driver="COG", width=size, height=size,
                count=1, dtype=dtype, crs=CRS, transform=transform, blocksize=512,
                compress="DEFLATE",
            ) as dst:  # fmt: skip
                dst.write(data, 1)
        when = dt.datetime(2024, 6, 2 + 3 * i, 6, tzinfo=dt.UTC)
        server.add_item("sentinel-2-l2a", item_id, when, bbox, files)
        items.append(files)
    return items


def _district(size: int, km: float) -> tuple[box, tuple[float, float, float, float]]:
    """The district square in lon/lat, and its bounds in the scenes' CRS."""
    cx, cy = ORIGIN[0] + size * 5, ORIGIN[1] - size * 5
    half = km * 500
    to_lonlat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    lons, lats = to_lonlat.transform([cx - half, cx + half], [cy - half, cy + half])
    return box(lons[0], lats[0], lons[1], lats[1]), (cx - half, cy - half, cx + half, cy + half)


def _peer(server: StacServer, items: list[dict], bounds: tuple, out: Path) -> None:
    """Plain rasterio + numpy: windowed reads over HTTP, the same mask, max, one COG."""
    best = None
    # as odc-stac's cloud defaults: no listing of the asset's folder for side-car files
    with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"):
        best, transform = _peer_composite(server, items, bounds)
    result = np.where(np.isfinite(best), best, np.nan).astype("float32")
    with rasterio.open(
        out, "w", driver="COG", width=result.shape[1], height=result.shape[0], count=1,
        dtype="float32", nodata=np.nan, crs=CRS, transform=transform, compress="DEFLATE",
    ) as dst:  # fmt: skip
        dst.write(result, 1)


def _peer_composite(server: StacServer, items: list[dict], bounds: tuple) -> tuple:
    best = None
    for files in items:
        arrays = {}
        for band, _ in BANDS:
            with rasterio.open(f"{server.url}/assets/{files[band]}") as src:
                win = from_bounds(*bounds, transform=src.transform).round_offsets().round_lengths()
                arrays[band] = src.read(1, window=win)
                transform = src.window_transform(win)
        red = (arrays["red"] - 1000.0) * 1e-4
        nir = (arrays["nir"] - 1000.0) * 1e-4
        with np.errstate(invalid="ignore", divide="ignore"):
            ndvi = (nir - red) / (nir + red)
        bad = np.isin(arrays["scl"], [0, 1, 3, 8, 9, 10, 11]) | (np.abs(ndvi) > 1)
        ndvi = np.where(bad, -np.inf, ndvi)
        best = ndvi if best is None else np.maximum(best, ndvi)
    return best, transform


def _warm_imports() -> None:
    """Import what fetch_ndvi imports on first use, so its time is the work, not the imports."""
    import dask.array  # noqa: F401
    import distributed  # noqa: F401  (dask.compute imports it to look for a client)
    import odc.stac  # noqa: F401
    import pystac_client  # noqa: F401


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096, help="scene side in pixels")
    parser.add_argument("--scenes", type=int, default=3)
    parser.add_argument("--district-km", type=float, default=4.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "assets").mkdir()
        server = StacServer(folder / "assets")
        items = _scenes(server, args.size, args.scenes, np.random.default_rng(1))
        whole = sum(p.stat().st_size for p in (folder / "assets").iterdir())
        district, bounds = _district(args.size, args.district_km)
        with server.running(), pasture.open_store(folder / "d.gpkg", create=True) as store:
            okrug = gpd.GeoDataFrame(
                {"id": ["o"], "name_kk": ["o"], "name_ru": ["o"], "name_en": ["o"]},
                geometry=[district],
                crs=4326,
            )
            store.write("okrugs", okrug, user="bench")
            _warm_imports()
            t0 = time.perf_counter()
            fetch_ndvi(
                store, "sentinel-2-l2a", dt.date(2024, 6, 1), dt.date(2024, 6, 8),
                out_dir=folder / "ours", user="bench", catalog=server.url,
                today=dt.date(2025, 1, 1),
            )  # fmt: skip
            ours = time.perf_counter() - t0
            ours_bytes = server.bytes_asked
            server.reset_counts()
            t0 = time.perf_counter()
            _peer(server, items, bounds, folder / "peer.tif")
            peer = time.perf_counter() - t0
            peer_bytes = server.bytes_asked
    print(
        f"{args.scenes} scenes of {args.size}² px, district {args.district_km} km square, "
        f"assets {whole / 1e6:.1f} MB in all"
    )
    print(f"fetch_ndvi        {ours:7.2f} s   asked {ours_bytes / 1e6:7.2f} MB")
    print(f"rasterio + numpy  {peer:7.2f} s   asked {peer_bytes / 1e6:7.2f} MB")
    print(f"ratio ours/peer: time {ours / peer:.2f}, bytes {ours_bytes / max(peer_bytes, 1):.2f}")


if __name__ == "__main__":
    main()
