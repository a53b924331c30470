"""The real calls of every compiled kernel, in a fresh process: run by tests/pasture/test_kernels.py.

Zonal statistics of every kind of stack the readers give or a caller may pass (float32,
float64, small and large integers with a numeric nodata, float16, read-only, one date,
dask-backed), on a local dask.distributed worker process too, and a season plan (the
planner's path kernel, and the forage LP's bound, which it computes alongside). Prints, as JSON, each process's numba counters of every kernel of
:data:`pasture.kernels.KERNEL_MODULES`: the signatures it holds, cache hits and misses (a
miss is a compile).
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import numpy as np


def counters() -> dict[str, dict[str, Any]]:
    """Signatures, cache hits and cache misses of every numba kernel of the kernel modules."""
    from numba.core.dispatcher import Dispatcher

    from pasture.kernels import KERNEL_MODULES

    out = {}
    for module_name in KERNEL_MODULES:
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if isinstance(obj, Dispatcher):
                out[f"{module_name}.{name}"] = {
                    "signatures": [str(tuple(s)) for s in obj.signatures],
                    "hits": sum(obj.stats.cache_hits.values()),
                    "misses": sum(obj.stats.cache_misses.values()),
                }
    return out


def _stack(dtype: str, nodata: float | None = None) -> Any:
    import rioxarray  # noqa: F401
    import xarray as xr
    from affine import Affine

    values = (np.arange(2 * 30 * 40).reshape(2, 30, 40) % 7).astype(dtype)
    times = np.array(["2024-05-01", "2024-05-17"], "datetime64[ns]")
    ndvi = xr.DataArray(values, dims=("time", "y", "x"), coords={"time": times})
    ndvi = ndvi.rio.write_crs(32643).rio.write_transform(Affine(10, 0, 0, 0, -10, 300))
    return ndvi if nodata is None else ndvi.rio.write_nodata(nodata)


def _zonal_calls(client: Any = None) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from pasture.ndvi.zonal import zonal_stats

    plots = gpd.GeoDataFrame(
        {"id": ["a", "b"]}, geometry=[box(5, 5, 270, 230), box(100, 60, 400, 290)], crs=32643
    )
    stats = ("mean", "std", "count", "min", "max")
    for dtype, nodata in [
        ("float32", None), ("float64", None), ("uint8", 0), ("int16", -1), ("int32", None),
        ("float16", None), ("uint16", 65535),
    ]:  # fmt: skip
        zonal_stats(plots, _stack(dtype, nodata), stats=stats, client=client)
        zonal_stats(plots, _stack(dtype, nodata).chunk({"time": 1, "y": 10}), client=client)
    read_only = _stack("float32")
    read_only.data.setflags(write=False)
    zonal_stats(plots, read_only, client=client)
    zonal_stats(plots, _stack("float64").isel(time=0), client=client)


def _plan() -> None:
    from grazing_models.rotation.instances import synthetic_instance
    from grazing_models.rotation.planner import plan_rotation

    plan_rotation(synthetic_instance(40, 4, 6, seed=3), solver="heuristic", time_limit=20)


def main() -> None:
    import distributed

    _zonal_calls()
    _plan()
    report = {"client": counters()}
    # a worker process started from this one, as benchmarks/ and a LocalCluster start them:
    # it inherits this environment (NUMBA_CACHE_DIR) and must load the same cache
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        _zonal_calls(client)
        (report["worker"],) = client.run(counters).values()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
