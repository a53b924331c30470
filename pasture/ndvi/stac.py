"""NDVI from STAC catalogues: the sources, the search, the lazy load and the masks.

Three sources (docs/domain.md, "NDVI from STAC catalogues"): Sentinel-2 L2A, Landsat
Collection 2 Level-2 and MODIS MOD13Q1. :func:`open_catalog` opens a STAC API (signing
Planetary Computer's assets), :func:`search_items` finds a period's items over the
district, :func:`load_items` loads only the district's window of the needed assets with
odc-stac (lazy, dask) and :func:`masked_ndvi` turns them into NDVI with clouds, shadows,
snow and fill set to NaN. pystac-client, odc-stac and planetary-computer are the optional
extra ``stac``; they are imported here, never with :mod:`pasture.ndvi`.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import numpy as np
import xarray as xr

from pasture.errors import NotFound

from .modis import MODIS_FILL, MODIS_SCALE, MODIS_VALID_RANGE
from .sentinel2 import SCL_MASK_CLASSES

__all__ = [
    "EARTH_SEARCH",
    "LANDSAT_QA_DROP_BITS",
    "LANDSAT_SR_OFFSET",
    "LANDSAT_SR_SCALE",
    "MODIS_RELIABILITY_KEEP",
    "PLANETARY_COMPUTER",
    "S2_BOA_OFFSET_DN",
    "S2_OFFSET_BASELINE",
    "S2_REFLECTANCE_SCALE",
    "S2_SCL_DROP",
    "SOURCES",
    "Source",
    "load_items",
    "masked_ndvi",
    "open_catalog",
    "require_stac",
    "search_items",
]

#: The named default catalogues (tests never contact them).
EARTH_SEARCH = "https://earth-search.aws.element84.com/v1"
PLANETARY_COMPUTER = "https://planetarycomputer.microsoft.com/api/stac/v1"

# Sentinel-2 L2A (docs/domain.md, "NDVI from STAC catalogues"; ESA L2A product format
# specification): reflectance = (DN + BOA_ADD_OFFSET) × 1e-4, BOA_ADD_OFFSET = −1000 since
# processing baseline 04.00 (25 Jan 2022). SCL classes dropped: 0 no data, 1 saturated or
# defective, and the cloud, shadow, cirrus and snow classes of sentinel2.SCL_MASK_CLASSES.
S2_REFLECTANCE_SCALE = 1e-4
S2_BOA_OFFSET_DN = -1000
S2_OFFSET_BASELINE = "04.00"
S2_SCL_DROP: tuple[int, ...] = (0, 1, *SCL_MASK_CLASSES)

# Landsat Collection 2 Level-2 (USGS LSDS-1619, Landsat 8-9 C2 L2 Science Product Guide):
# surface reflectance = DN × 2.75e-5 − 0.2; DN 0 is fill. QA_PIXEL bits dropped when set:
# 0 fill, 1 dilated cloud, 2 cirrus, 3 cloud, 4 cloud shadow, 5 snow.
LANDSAT_SR_SCALE = 2.75e-5
LANDSAT_SR_OFFSET = -0.2
LANDSAT_QA_DROP_BITS: tuple[int, ...] = (0, 1, 2, 3, 4, 5)

# MOD13Q1 pixel reliability (MOD13 user guide): 0 good, 1 marginal (kept: the product's
# own compositing already chose the best view), 2 snow/ice and 3 cloudy dropped, −1 fill.
MODIS_RELIABILITY_KEEP: tuple[int, ...] = (0, 1)
_MODIS_RELIABILITY_FILL = -1

_SHAPELY_TRANSFORM_WARNING = r"The 'shapely\.ops\.transform\(\)' function is deprecated"


@dataclass(frozen=True)
class Source:
    """One satellite source as a STAC collection.

    ``bands`` maps a role (``red``, ``nir``, ``qa``, ``ndvi``) to the asset names that
    carry it, tried in order (Earth Search and Planetary Computer name the same band
    differently); ``assets`` gives each asset's data type and nodata for odc-stac when
    a catalogue does not declare them.
    """

    name: str
    collection: str
    catalog: str
    sensor: str
    resolution: float
    bands: Mapping[str, tuple[str, ...]]
    assets: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    mask_rule: str = ""


SOURCES: dict[str, Source] = {
    "sentinel-2-l2a": Source(
        name="sentinel-2-l2a",
        collection="sentinel-2-l2a",
        catalog=EARTH_SEARCH,
        sensor="Sentinel-2 L2A",
        resolution=10.0,
        bands={"red": ("red", "B04"), "nir": ("nir", "B08"), "qa": ("scl", "SCL")},
        assets={
            "red": ("uint16", 0),
            "nir": ("uint16", 0),
            "scl": ("uint8", 0),
            "B04": ("uint16", 0),
            "B08": ("uint16", 0),
            "SCL": ("uint8", 0),
        },
        mask_rule=f"SCL classes {list(S2_SCL_DROP)} dropped; reflectance = (DN + offset) x "
        f"{S2_REFLECTANCE_SCALE}, offset {S2_BOA_OFFSET_DN} DN since baseline {S2_OFFSET_BASELINE}",
    ),
    "landsat-c2-l2": Source(
        name="landsat-c2-l2",
        collection="landsat-c2-l2",
        catalog=PLANETARY_COMPUTER,
        sensor="Landsat Collection 2 L2",
        resolution=30.0,
        bands={"red": ("red",), "nir": ("nir08",), "qa": ("qa_pixel",)},
        assets={"red": ("uint16", 0), "nir08": ("uint16", 0), "qa_pixel": ("uint16", 1)},
        mask_rule=f"QA_PIXEL bits {list(LANDSAT_QA_DROP_BITS)} dropped; reflectance = DN x "
        f"{LANDSAT_SR_SCALE} + ({LANDSAT_SR_OFFSET})",
    ),
    "modis-13q1": Source(
        name="modis-13q1",
        collection="modis-13Q1-061",
        catalog=PLANETARY_COMPUTER,
        sensor="MODIS MOD13Q1",
        resolution=250.0,
        bands={
            "ndvi": ("250m_16_days_NDVI",),
            "qa": ("250m_16_days_pixel_reliability",),
        },
        assets={
            "250m_16_days_NDVI": ("int16", MODIS_FILL),
            "250m_16_days_pixel_reliability": ("int16", _MODIS_RELIABILITY_FILL),
        },
        mask_rule=f"pixel reliability kept {list(MODIS_RELIABILITY_KEEP)}; NDVI = DN x {MODIS_SCALE}",
    ),
}


def require_stac() -> None:
    """Raise a clear error when the optional extra ``stac`` is not installed."""
    try:
        import odc.stac  # noqa: F401
        import pystac_client  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"fetching NDVI from STAC catalogues needs the optional extra 'stac' ({exc.name} "
            "is missing): pip install 'jailym[stac]'"
        ) from exc


def _signs_assets(url: str) -> bool:
    """Planetary Computer's asset URLs need a SAS token (planetary-computer package)."""
    return urlparse(url).hostname == urlparse(PLANETARY_COMPUTER).hostname


def open_catalog(url: str, *, retries: int = 3, backoff_s: float = 1.0) -> Any:
    """Open a STAC API, retrying transient HTTP errors of its requests.

    Parameters
    ----------
    url
        The API's landing page, e.g. :data:`EARTH_SEARCH` or :data:`PLANETARY_COMPUTER`.
    retries, backoff_s
        Retries of a request answered 429, 500, 502, 503 or 504, waiting
        ``backoff_s × 2^n`` seconds between them (urllib3's backoff).

    Returns
    -------
    pystac_client.Client
        Planetary Computer's items come signed (planetary_computer.sign_inplace).

    Raises
    ------
    NotFound
        The URL does not answer as a STAC API.
    """
    require_stac()
    from pystac_client import Client
    from pystac_client.exceptions import APIError
    from pystac_client.stac_api_io import StacApiIO
    from urllib3.util.retry import Retry

    retry = Retry(
        total=retries,
        backoff_factor=backoff_s,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=None,  # POST /search is a read: retry it as well
    )
    modifier = None
    if _signs_assets(url):
        try:
            import planetary_computer
        except ImportError as exc:
            raise ImportError(
                "Planetary Computer's assets are signed by the planetary-computer package "
                "of the optional extra 'stac': pip install 'jailym[stac]'"
            ) from exc
        modifier = planetary_computer.sign_inplace
    try:
        return Client.open(url, modifier=modifier, stac_io=StacApiIO(max_retries=retry))
    except (APIError, OSError, ValueError) as exc:
        raise NotFound(f"{url} does not answer as a STAC API ({exc}); check --catalog") from exc


def check_collection(client: Any, source: Source, url: str) -> None:
    """Raise NotFound, naming the collections there are, when the catalogue lacks the source's."""
    ids = sorted(c.id for c in client.get_collections())
    if source.collection not in ids:
        listed = ", ".join(ids[:20]) or "none"
        raise NotFound(
            f"the catalogue {url} has no collection {source.collection!r} (it has: {listed}); "
            f"pass --catalog of one that holds {source.name}, e.g. {source.catalog}"
        )


def search_items(
    client: Any,
    source: Source,
    bbox: tuple[float, float, float, float],
    start: dt.date,
    end: dt.date,
) -> list[Any]:
    """The source's items over ``bbox`` (lon/lat) acquired from ``start`` to ``end`` inclusive.

    Returns
    -------
    list of pystac.Item
        Sorted by acquisition time, then id: the order :func:`load_items` keeps.
    """
    search = client.search(
        collections=[source.collection],
        bbox=list(bbox),
        datetime=f"{start.isoformat()}T00:00:00Z/{end.isoformat()}T23:59:59Z",
        limit=100,
    )
    items = list(search.items())
    return sorted(items, key=lambda it: (it.datetime or dt.datetime.min, it.id))


def _asset_names(source: Source, item: Any) -> dict[str, str]:
    """Role → the asset name this item uses for it (the first alias it has)."""
    names = {}
    for role, aliases in source.bands.items():
        found = next((a for a in aliases if a in item.assets), None)
        if found is None:
            raise NotFound(
                f"item {item.id} of {source.collection} has no {role} asset "
                f"(looked for {', '.join(aliases)}; it has {', '.join(sorted(item.assets))})"
            )
        names[role] = found
    return names


def load_items(
    items: Sequence[Any],
    source: Source,
    *,
    crs: str,
    resolution: float,
    bbox: tuple[float, float, float, float],
    chunks: Mapping[str, int] | None = None,
) -> xr.Dataset:
    """The items' assets on the output grid, lazily: one time slice per item, in order.

    Only the window over ``bbox`` (lon/lat) is read (HTTP range requests on COGs).
    Variables are named by role (``red``, ``nir``, ``qa`` or ``ndvi``, ``qa``); pixels
    outside an item's footprint hold the asset's nodata.
    """
    import odc.stac

    names = _asset_names(source, items[0])
    assets = {a: {"data_type": t, "nodata": n} for a, (t, n) in source.assets.items()}
    with warnings.catch_warnings():
        # odc-geo 0.5 still calls shapely.ops.transform, deprecated by shapely 2.2: same result
        warnings.filterwarnings("ignore", _SHAPELY_TRANSFORM_WARNING, DeprecationWarning)
        ds = odc.stac.load(
            items,
            bands=list(names.values()),
            crs=crs,
            resolution=resolution,
            bbox=bbox,
            groupby="id",
            preserve_original_order=True,
            resampling="nearest",  # QA classes are categories; never interpolate them
            chunks=dict(chunks or {"x": 2048, "y": 2048}),
            stac_cfg={source.collection: {"assets": assets}, "*": {"assets": assets}},
        )
    return ds.rename({asset: role for role, asset in names.items()})


def masked_ndvi(ds: xr.Dataset, source: Source, items: Sequence[Any]) -> tuple[xr.DataArray, Any]:
    """NDVI per time slice with the source's mask applied, and the masked share.

    Returns
    -------
    ndvi : xarray.DataArray
        ``(time, y, x)`` float32; NaN for fill, clouds, shadows, snow and out-of-range.
    cloud_share : dask or numpy scalar
        Masked observations (cloud, shadow, snow, cirrus, saturated) over observations
        with data; NaN when no pixel had data.
    """
    if source.name == "sentinel-2-l2a":
        return _sentinel2(ds, items)
    if source.name == "landsat-c2-l2":
        return _landsat(ds)
    if source.name == "modis-13q1":
        return _modis(ds)
    raise ValueError(f"no mask for source {source.name!r}")


def _ndvi(red: xr.DataArray, nir: xr.DataArray) -> xr.DataArray:
    """(NIR − red)/(NIR + red) from float64 reflectance, as float32; NaN where |NDVI| > 1.

    The rule of :func:`.sentinel2.ndvi_from_bands`, computed in float64: after Landsat's
    −0.2 offset a reflectance near 0 leaves float32 too few digits for the quotient.
    """
    denom = nir + red
    ndvi = (nir - red) / denom.where(denom != 0)
    return ndvi.where(np.abs(ndvi) <= 1).astype("float32")


def _share(masked: xr.DataArray, has_data: xr.DataArray) -> Any:
    return (masked & has_data).sum().data / has_data.sum().data


def s2_offset_dn(item: Any) -> int:
    """BOA_ADD_OFFSET still to add to a Sentinel-2 L2A item's DN, from its properties.

    −1000 from processing baseline 04.00 (``s2:processing_baseline``), unless the
    catalogue says it already added it to the pixels (Earth Search's
    ``earthsearch:boa_offset_applied``). Items without a baseline (old archives) are taken
    as before 04.00: no offset. Earth Search's flag is known to be wrong on some items
    (docs/domain.md, "NDVI from STAC catalogues").
    """
    if item.properties.get("earthsearch:boa_offset_applied") is True:
        return 0
    baseline = str(item.properties.get("s2:processing_baseline") or "00.00")
    newer = tuple(int(p) for p in baseline.split(".")) >= tuple(
        int(p) for p in S2_OFFSET_BASELINE.split(".")
    )
    return S2_BOA_OFFSET_DN if newer else 0


def _sentinel2(ds: xr.Dataset, items: Sequence[Any]) -> tuple[xr.DataArray, Any]:
    offsets = xr.DataArray(np.array([s2_offset_dn(it) for it in items], "float64"), dims="time")
    if ds["red"].chunks is not None:
        # chunked like the bands along time: no rechunk (whose planner imports distributed)
        offsets = offsets.chunk({"time": ds["red"].chunks[0]})
    scl = ds["qa"]
    has_data = (scl != 0) & (ds["red"] != 0) & (ds["nir"] != 0)
    masked = scl.isin(list(S2_SCL_DROP))
    red = ((ds["red"] + offsets) * S2_REFLECTANCE_SCALE).where(has_data)
    nir = ((ds["nir"] + offsets) * S2_REFLECTANCE_SCALE).where(has_data)
    ndvi = _ndvi(red, nir).where(~masked)
    return ndvi, _share(masked, has_data)


def _landsat(ds: xr.Dataset) -> tuple[xr.DataArray, Any]:
    qa = ds["qa"].astype("uint16")
    drop = np.uint16(sum(1 << b for b in LANDSAT_QA_DROP_BITS))
    fill = np.uint16(1 << 0)
    has_data = ((qa & fill) == 0) & (ds["red"] != 0) & (ds["nir"] != 0)
    masked = (qa & drop) != 0
    red = (ds["red"] * LANDSAT_SR_SCALE + LANDSAT_SR_OFFSET).where(has_data)
    nir = (ds["nir"] * LANDSAT_SR_SCALE + LANDSAT_SR_OFFSET).where(has_data)
    ndvi = _ndvi(red, nir).where(~masked)
    return ndvi, _share(masked, has_data)


def _modis(ds: xr.Dataset) -> tuple[xr.DataArray, Any]:
    dn, qa = ds["ndvi"], ds["qa"]
    low, high = MODIS_VALID_RANGE
    has_data = (dn != MODIS_FILL) & (qa != _MODIS_RELIABILITY_FILL)
    masked = ~qa.isin(list(MODIS_RELIABILITY_KEEP))
    ndvi = (dn * MODIS_SCALE).where(has_data & ~masked & (dn >= low) & (dn <= high))
    return ndvi.astype("float32"), _share(masked, has_data)
