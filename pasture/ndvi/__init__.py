"""The NDVI side: satellite rasters in, the scene catalogue, zonal statistics per plot, tiles.

Modules
    ``readers`` (:func:`open_ndvi`, the dispatch over the per-source openers), ``geotiff``,
    ``modis``, ``sentinel2``, ``stacks`` (NetCDF/Zarr) and ``metadata`` (dates, CRS and
    the common tail the openers share); ``scene_check`` (the gate before the catalogue);
    ``catalogue`` (scenes registered in a store, NDVI statistics computed from them);
    ``zonal`` and ``coverage`` (the zonal statistics engine) with ``zonal_kernels`` (its
    numba kernels); ``demo_stack`` (the generated demo NDVI stack); ``tiles`` (map tiles).

The names below are imported on first use (PEP 562 ``__getattr__``), not with the
package: the readers load xarray and rasterio, the zonal engine numba, and importing
``pasture.ndvi.tiles`` (as the API does at start-up) should pay for neither.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .catalogue import compute_ndvi_stats, list_scenes, open_scenes, register_scenes
    from .coverage import CoverageWeights, Grid, ZonalError
    from .demo_stack import generate_ndvi_stack
    from .geotiff import open_geotiff
    from .modis import open_modis_mod13q1
    from .readers import open_ndvi
    from .scene_check import SceneInfo, check_scene
    from .sentinel2 import ndvi_from_bands, open_sentinel2
    from .stacks import open_stack
    from .tiles import NDVI_RANGE, NDVI_STOPS, TileOutside, ndvi_legend, render_ndvi_tile
    from .zonal import zonal_stats

__all__ = [
    "NDVI_RANGE",
    "NDVI_STOPS",
    "CoverageWeights",
    "Grid",
    "SceneInfo",
    "TileOutside",
    "ZonalError",
    "check_scene",
    "compute_ndvi_stats",
    "generate_ndvi_stack",
    "list_scenes",
    "ndvi_from_bands",
    "ndvi_legend",
    "open_geotiff",
    "open_modis_mod13q1",
    "open_ndvi",
    "open_scenes",
    "open_sentinel2",
    "open_stack",
    "register_scenes",
    "render_ndvi_tile",
    "zonal_stats",
]

# The module each public name lives in.
_HOME = {
    "NDVI_RANGE": "tiles",
    "NDVI_STOPS": "tiles",
    "CoverageWeights": "coverage",
    "Grid": "coverage",
    "SceneInfo": "scene_check",
    "TileOutside": "tiles",
    "ZonalError": "coverage",
    "check_scene": "scene_check",
    "compute_ndvi_stats": "catalogue",
    "generate_ndvi_stack": "demo_stack",
    "list_scenes": "catalogue",
    "ndvi_from_bands": "sentinel2",
    "ndvi_legend": "tiles",
    "open_geotiff": "geotiff",
    "open_modis_mod13q1": "modis",
    "open_ndvi": "readers",
    "open_scenes": "catalogue",
    "open_sentinel2": "sentinel2",
    "open_stack": "stacks",
    "register_scenes": "catalogue",
    "render_ndvi_tile": "tiles",
    "zonal_stats": "zonal",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
