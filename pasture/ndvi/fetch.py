"""``pasture ndvi fetch``: NDVI composites from a STAC catalogue into the scene catalogue.

For each composite period not yet stored, :func:`fetch_ndvi` searches the catalogue over
the district, loads only the district's window (:mod:`.stac`), masks it, takes the
maximum-value composite (:mod:`.composite`), writes a Cloud-Optimized GeoTIFF with its
provenance in the tags and registers it through the same gate as an imported file
(:func:`~pasture.ndvi.catalogue.register_scenes`). A period is done when its scene is
registered: the file is written under a temporary name and renamed when complete, and
registered only then, so an interrupted run leaves nothing half-done and a rerun fetches
only the periods still missing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio.errors

from pasture.errors import InvalidInput, NotFound, Problem
from pasture.progress import Progress
from pasture.store.base import Store

from .catalogue import list_scenes, register_scenes
from .composite import DEFAULT_PERIOD_DAYS, Period, max_value_composite, periods_between
from .stac import SOURCES, Source, require_stac

__all__ = [
    "DEFAULT_BACKOFF_S",
    "DEFAULT_RETRIES",
    "FetchReport",
    "composite_path",
    "district_bbox",
    "fetch_ndvi",
    "utm_crs",
]

#: Retries of an HTTP request that failed transiently (429, 5xx), and the first wait in
#: seconds, doubled after each failure (GDAL's backoff for assets, urllib3's for the API).
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF_S = 2.0

# What a failed asset read raises (rasterio's RasterioIOError is an OSError, its other
# errors RasterioError); anything else is a bug and raised as it is.
_READ_ERRORS: tuple[type[BaseException], ...] = (OSError, rasterio.errors.RasterioError)
# HTTP answers worth retrying: too many requests, server errors, gateway errors.
_RETRY_CODES = "429,500,502,503,504"


@dataclass
class FetchReport:
    """What one run did, period by period."""

    source: str
    catalog: str
    fetched: list[Path] = field(default_factory=list)
    stored: list[Period] = field(default_factory=list)  # registered before this run
    empty: list[Period] = field(default_factory=list)  # no acquisition in the catalogue
    unfinished: list[Period] = field(default_factory=list)  # ends today or later


def composite_path(out_dir: Path, source: Source, period: Period) -> Path:
    """Where a period's composite is written: one file per source and period."""
    return out_dir / f"ndvi_{source.name}_{period.label}.tif"


def district_bbox(store: Store) -> tuple[float, float, float, float]:
    """The district's extent in lon/lat: its okrugs, else its plots.

    Raises
    ------
    NotFound
        The store has neither okrugs nor plots.
    """
    for layer in ("okrugs", "plots"):
        frame = store.read(layer)
        if not frame.empty:
            minx, miny, maxx, maxy = (float(v) for v in frame.total_bounds)
            return (minx, miny, maxx, maxy)
    raise NotFound("the store has no okrugs or plots to fetch NDVI for; import them first")


def utm_crs(bbox: tuple[float, float, float, float]) -> str:
    """The WGS 84 / UTM zone of the extent's centre, as ``EPSG:326nn`` (north) or ``327nn``."""
    lon = (bbox[0] + bbox[2]) / 2
    lat = (bbox[1] + bbox[3]) / 2
    zone = min(int((lon + 180) // 6) + 1, 60)
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def fetch_ndvi(
    store: Store,
    source: str,
    first: dt.date,
    last: dt.date,
    *,
    out_dir: Path,
    user: str,
    catalog: str | None = None,
    period_days: int = DEFAULT_PERIOD_DAYS,
    crs: str | None = None,
    resolution: float | None = None,
    retries: int = DEFAULT_RETRIES,
    backoff_s: float = DEFAULT_BACKOFF_S,
    client: Any = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> FetchReport:
    """Fetch, composite and register every period from ``first`` to ``last`` not yet stored.

    Parameters
    ----------
    store
        The district's store: its okrugs (else plots) give the extent; its scene
        catalogue says which periods are stored.
    source
        ``sentinel-2-l2a``, ``landsat-c2-l2`` or ``modis-13q1`` (:data:`.stac.SOURCES`).
    first, last
        Dates; every whole period overlapping them is fetched (periods are never cut).
    out_dir
        Folder of the composites (created if missing).
    user
        Name recorded with the registered scenes.
    catalog
        STAC API URL; default the source's (Earth Search or Planetary Computer).
    period_days
        Composite period length (16 by default, docs/domain.md).
    crs, resolution
        Output grid; default the UTM zone of the district's centre at the source's
        native resolution (10 m, 30 m, 250 m), pixel edges on multiples of it, so
        every run over the same district lands on the same grid.
    retries, backoff_s
        Bounded retries of failed asset reads, waiting ``backoff_s × 2^n`` seconds.
    client
        A dask.distributed Client to compute on (e.g. a cluster for a whole oblast).
    progress
        Called with (periods done, periods to do).
    today
        Periods ending on or after it are left for a later run (acquisitions may still
        arrive); default today's UTC date.

    Returns
    -------
    FetchReport
        The files fetched and the periods skipped, by reason.

    Raises
    ------
    InvalidInput
        An unknown source, or assets that cannot be read after the retries (HTTP errors,
        truncated files); the periods before it stay registered.
    NotFound
        The catalogue does not answer or lacks the source's collection; no extent.

    Notes
    -----
    One run per output folder at a time: a run deletes the temporary files it finds
    there, which are another run's if two share the folder.
    """
    spec = _source(source)
    if retries < 0 or (retries > 0 and backoff_s <= 0):
        raise InvalidInput(
            "--retries",
            [f"retries ({retries}) must be 0 or more, with a wait above 0 s (not {backoff_s})"],
        )
    require_stac()
    url = catalog or spec.catalog
    report = FetchReport(source=spec.name, catalog=url)
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_partial(out_dir, spec)
    bbox = district_bbox(store)
    stop = today or dt.datetime.now(dt.UTC).date()
    todo = _periods_to_fetch(store, out_dir, spec, periods_between(first, last, period_days), stop)
    report.stored, report.unfinished = todo.stored, todo.unfinished
    if not todo.missing:
        return report
    from .stac import check_collection, open_catalog

    api = open_catalog(url, retries=retries, backoff_s=backoff_s)
    check_collection(api, spec, url)
    _configure_readers(client, retries, backoff_s)
    clear_http_cache()
    if client is not None:
        client.run(clear_http_cache)
    grid = {"crs": crs or utm_crs(bbox), "resolution": resolution or spec.resolution}
    for i, period in enumerate(todo.missing, start=1):
        path = _fetch_period(
            api, spec, period, bbox=bbox, grid=grid, out_dir=out_dir, url=url,
            client=client,
        )  # fmt: skip
        if path is None:
            report.empty.append(period)
        else:
            _register(store, path, user)
            report.fetched.append(path)
        if progress is not None:
            progress(i, len(todo.missing))
    return report


def _source(name: str) -> Source:
    if name not in SOURCES:
        raise InvalidInput(
            "--source", [f"unknown source {name!r}: use one of {', '.join(sorted(SOURCES))}"]
        )
    return SOURCES[name]


def _remove_partial(out_dir: Path, source: Source) -> None:
    """Delete temporary files an interrupted run left behind (never registered)."""
    for part in out_dir.glob(f"ndvi_{source.name}_*.tif.part"):
        part.unlink(missing_ok=True)


@dataclass
class _Todo:
    missing: list[Period]
    stored: list[Period]
    unfinished: list[Period]


def _periods_to_fetch(
    store: Store, out_dir: Path, source: Source, periods: list[Period], today: dt.date
) -> _Todo:
    """Split the periods: still to fetch, already registered (file present), not over yet."""
    scenes = list_scenes(store)
    registered = set(scenes["path"]) if not scenes.empty else set()
    todo = _Todo([], [], [])
    for period in periods:
        path = composite_path(out_dir, source, period)
        if period.end >= today:
            todo.unfinished.append(period)
        elif str(path.resolve()) in registered and path.exists():
            todo.stored.append(period)
        else:
            todo.missing.append(period)
    return todo


def _configure_readers(client: Any, retries: int, backoff_s: float) -> None:
    """GDAL settings for reading COGs over HTTP, here or on every worker of the cluster.

    GDAL retries a request answered 429, 500, 502, 503 or 504 ``retries`` times, waiting
    ``backoff_s`` seconds and then twice as long each time. The retry must happen inside
    GDAL: after a failed request its /vsicurl cache remembers the file as unreadable for
    the rest of the process, so retrying the whole read would only repeat the failure.
    """
    import odc.stac

    odc.stac.configure_rio(
        cloud_defaults=True,
        client=client,
        GDAL_HTTP_MAX_RETRY=str(retries),
        GDAL_HTTP_RETRY_DELAY=str(backoff_s),
        GDAL_HTTP_RETRY_CODES=_RETRY_CODES,
    )


def clear_http_cache() -> None:
    """Forget what GDAL's /vsicurl remembered of remote files (sizes, blocks, failures).

    Without it a second run in the same process (a notebook, a worker) would see an asset
    that failed or was replaced as it was the first time. GDAL exposes this only in C
    (``VSICurlClearCache``); rasterio bundles its own libgdal, found among the loaded
    libraries. Every loaded libgdal is cleared: pyogrio bundles another, and which of
    the two sorts first depends on the install, not on which one read the asset. Where
    none is found (another platform) nothing is cleared.
    """
    import ctypes

    import rasterio  # noqa: F401  (loads libgdal)

    try:
        with open("/proc/self/maps") as maps:
            libs = sorted({line.split()[-1] for line in maps if "libgdal" in line})
    except OSError:
        return
    for lib in libs:
        ctypes.CDLL(lib).VSICurlClearCache()


class _ReadFailures(logging.Handler):
    """Collects odc-stac's "Failed to load URL" log records: the exception lacks the URL."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _compute(client: Any, what: str, composite: Any, share: Any) -> tuple[np.ndarray, float]:
    """(composite, cloud share) computed here or on the cluster; read errors made clear."""
    import dask

    failures = _ReadFailures()
    logger = logging.getLogger("odc.loader")
    logger.addHandler(failures)
    try:
        if client is not None:
            values, ratio = client.compute([composite, share], sync=True)
        else:
            values, ratio = dask.compute(composite, share)
    except _READ_ERRORS as exc:
        raise InvalidInput(
            what,
            [
                *[Problem(m) for m in dict.fromkeys(failures.messages)],
                Problem(
                    f"its assets cannot be read ({_causes(exc)}). An HTTP 5xx error or a "
                    "reset connection may pass: run the same command again later (the "
                    "periods stored so far are kept); a truncated or corrupt asset must "
                    "be fixed in the catalogue"
                ),
            ],
        ) from exc
    finally:
        logger.removeHandler(failures)
    return np.asarray(values, dtype="float32"), float(ratio)


def _causes(exc: BaseException) -> str:
    """The messages of an exception and its causes, most specific last, each once."""
    seen: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < 5:
        text = str(current).strip()
        if text and text not in seen:
            seen.append(text)
        current = current.__cause__ or current.__context__
    return "; ".join(reversed(seen))


def _fetch_period(
    api: Any,
    source: Source,
    period: Period,
    *,
    bbox: tuple[float, float, float, float],
    grid: Mapping[str, Any],
    out_dir: Path,
    url: str,
    client: Any,
) -> Path | None:
    """One period's composite written as a COG; None when the catalogue has no item."""
    import warnings

    from .stac import load_items, masked_ndvi, search_items

    items = search_items(api, source, bbox, period.start, period.end)
    if not items:
        return None
    ds = load_items(items, source, crs=grid["crs"], resolution=grid["resolution"], bbox=bbox)
    with warnings.catch_warnings():
        # 0/0 where the red and NIR reflectances are both 0 is masked, not an error
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        ndvi, share = masked_ndvi(ds, source, items)
        what = f"{source.collection} {period.label} at {url}"
        values, cloud_share = _compute(client, what, max_value_composite(ndvi).data, share)
    tags = {
        "DATE": period.start.isoformat(),
        "PERIOD_START": period.start.isoformat(),
        "PERIOD_END": period.end.isoformat(),
        "SENSOR": source.sensor,
        "SOURCE": source.name,
        "CATALOG": url,
        "COLLECTION": source.collection,
        "ITEMS": json.dumps([it.id for it in items]),
        "CLOUD_SHARE": f"{cloud_share:.6f}",
        "MASK": source.mask_rule,
        "COMPOSITE": "per-pixel maximum NDVI (Holben 1986)",
    }
    path = composite_path(out_dir, source, period)
    _write_cog(path, values, crs=grid["crs"], transform=ds.odc.geobox.affine, tags=tags)
    return path


def _write_cog(
    path: Path, values: np.ndarray, *, crs: str, transform: Any, tags: Mapping[str, str]
) -> None:
    """Write a float32 COG under a temporary name, then rename it: never a partial file."""
    import rasterio

    part = path.with_name(path.name + ".part")
    try:
        with rasterio.open(
            part,
            "w",
            driver="COG",
            width=values.shape[1],
            height=values.shape[0],
            count=1,
            dtype="float32",
            nodata=np.nan,
            crs=crs,
            transform=transform,
            compress="DEFLATE",
        ) as dst:
            dst.write(values, 1)
            dst.update_tags(**tags)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def _register(store: Store, path: Path, user: str) -> None:
    """Register a written composite; a refused one is deleted, never left unregistered."""
    try:
        register_scenes(store, [path], user=user)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
