"""The zonal kernels are compiled once and loaded from numba's disk cache by later processes.

A fresh process that compiled them took 37.6 to 177 s under load; one that loads them a
few seconds. Checked with numba's own counters (cache hits and misses per signature),
not with a clock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# A first zonal_stats call in a new interpreter, then the kernels' cache counters.
_CHILD = """
import json
import geopandas as gpd, numpy as np, xarray as xr, rioxarray
from affine import Affine
from shapely.geometry import box
from pasture.ndvi import zonal_kernels as k
from pasture.ndvi.zonal import zonal_stats
ndvi = xr.DataArray(np.ones((2, 6, 8), "float32"), dims=("time", "y", "x"),
                    coords={"time": np.array(["2024-05-01", "2024-05-17"], "datetime64[ns]")})
ndvi = ndvi.rio.write_crs(32643).rio.write_transform(Affine(10, 0, 0, 0, -10, 60))
plots = gpd.GeoDataFrame({"id": ["a"]}, geometry=[box(5, 5, 47, 33)], crs=32643)
zonal_stats(plots, ndvi)
print(json.dumps({name: [sum(d.stats.cache_hits.values()), sum(d.stats.cache_misses.values()),
                         d.stats.cache_path]
                  for name in ("plot_coverage", "scatter_by_row", "reduce_rows")
                  for d in [getattr(k, name)]}))
"""


def _fresh_process() -> dict[str, list]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], env=env, check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def test_a_second_fresh_process_loads_every_kernel_from_the_cache() -> None:
    _fresh_process()  # compiles what is not cached yet
    counters = _fresh_process()
    for name, (hits, misses, path) in counters.items():
        assert hits >= 1 and misses == 0, (name, hits, misses, path)
