"""The NDVI scene catalogue in the store, and per-plot NDVI statistics from it.

``register_scenes`` checks rasters (:func:`pasture.ndvi.check_scene`) and records one
catalogue row per date; ``open_scenes`` opens the catalogue lazily as one
``(time, y, x)`` stack per grid; ``compute_ndvi_stats`` runs the zonal engine
over it and stores a row per plot and date.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import shapely

from ..errors import InvalidInput, NotFound, Problem
from ..progress import Progress
from ..store.base import Store
from .readers import open_ndvi
from .scene_check import SceneInfo, check_scene
from .scene_stack import catalogue_stack, fits_catalogue_stack

__all__ = [
    "compute_ndvi_stats",
    "fetch_provenance",
    "list_scenes",
    "open_scenes",
    "register_scenes",
    "scene_rows",
]


def scene_rows(info: SceneInfo, *, user: str, at: datetime) -> list[dict[str, Any]]:
    """Catalogue rows of one checked raster: one per date (a multi-date file gives several)."""
    dates = list(info.band_dates) or ([info.date] if info.date else [])
    if not dates:
        raise InvalidInput(
            info.path,
            [Problem("the raster has no date; name the file with YYYY-MM-DD or tag its DATE")],
        )
    name = Path(info.path).name
    return [
        {
            "id": f"{info.sensor}:{day.isoformat()}:{name}"
            + (f"#{band}" if len(dates) > 1 else ""),
            "date": day,
            "sensor": info.sensor,
            "path": str(Path(info.path).resolve()),
            "crs": info.crs,
            "transform": list(info.transform),
            "width": info.width,
            "height": info.height,
            "band": band,
            "dtype": info.dtype,
            "nodata": info.nodata,
            "scale": info.scale,
            "offset": info.offset,
            "bounds_wgs84": list(info.bounds_wgs84),
            "registered_at": at,
            "registered_by": user,
            **fetch_provenance(info.path),
        }
        for band, day in enumerate(dates, start=1)
    ]


def fetch_provenance(path: str | Path) -> dict[str, Any]:
    """The STAC provenance `pasture ndvi fetch` tags a composite with, as catalogue fields.

    Read from the file itself, so a composite registered again (``pasture ndvi add``)
    keeps it; a file without the tags gives empty fields.
    """
    import rasterio

    with rasterio.open(path) as src:
        tags = src.tags()
    share = tags.get("CLOUD_SHARE")
    items = tags.get("ITEMS")
    return {
        "catalog": tags.get("CATALOG"),
        "collection": tags.get("COLLECTION"),
        "items": json.loads(items) if items else None,
        "cloud_share": float(share) if share not in (None, "", "nan") else None,
        "period_start": _day(tags.get("PERIOD_START")),
        "period_end": _day(tags.get("PERIOD_END")),
    }


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def register_scenes(
    store: Store,
    paths: Sequence[str | Path],
    *,
    user: str,
    check_region: bool = True,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Check rasters and add them to the catalogue: all of them, or none if any is refused.

    A scene must have a CRS, overlap the store's region (when it has one), be
    readable to its last block, have sane dimensions and not be a VRT.
    """
    region_wkt = store.get_meta("region_wkt") if check_region else None
    region = shapely.from_wkt(region_wkt) if region_wkt else None
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    at = datetime.now(UTC)
    for i, path in enumerate(paths, start=1):
        try:
            rows += scene_rows(check_scene(path, region=region), user=user, at=at)
        except InvalidInput as exc:
            problems += [Problem(f"{exc.source}: {p}") for p in exc.problems]
        except NotFound as exc:
            problems.append(Problem(str(exc)))
        if progress is not None:
            progress(i, len(paths))
    if problems:
        raise InvalidInput(f"{len(paths)} scene file(s)", problems)
    frame = pd.DataFrame(rows)
    duplicated = frame["id"][frame["id"].duplicated()]
    if len(duplicated):
        raise InvalidInput(
            "scene files", [f"scene {i!r} is given twice" for i in duplicated.unique()]
        )
    store.replace_rows("scenes", frame, where={"id": list(frame["id"])})
    return frame


def list_scenes(store: Store) -> pd.DataFrame:
    """The catalogue, by date."""
    return (
        store.read_rows("scenes").sort_values(["date", "id"], kind="stable").reset_index(drop=True)
    )


def _grid_key(row: pd.Series) -> str:
    return json.dumps([row["crs"], row["transform"], int(row["width"]), int(row["height"])])


def open_scenes(
    store: Store, *, start: str | None = None, end: str | None = None
) -> list[tuple[Any, pd.DataFrame]]:
    """The catalogue as lazy ``(time, y, x)`` stacks, one per grid, with their catalogue rows."""
    scenes = list_scenes(store)
    if start is not None:
        scenes = scenes[scenes["date"] >= pd.Timestamp(start)]
    if end is not None:
        scenes = scenes[scenes["date"] <= pd.Timestamp(end)]
    if scenes.empty:
        raise NotFound(
            "no NDVI scenes in the catalogue for that period; add some with `pasture ndvi add`"
        )
    stacks = []
    for _, group in scenes.groupby(scenes.apply(_grid_key, axis=1), sort=False):
        paths = list(dict.fromkeys(group["path"]))
        if all(fits_catalogue_stack(p) for p in paths):
            stack = catalogue_stack(group)
        else:
            stack = open_ndvi(paths if len(paths) > 1 else paths[0])
            wanted = pd.DatetimeIndex(group["date"])
            stack = stack.sel(time=stack["time"].isin(wanted.values))
        stacks.append((stack, group))
    return stacks


def compute_ndvi_stats(
    store: Store,
    *,
    start: str | None = None,
    end: str | None = None,
    client: Any = None,
    progress: Progress | None = None,
) -> int:
    """Zonal NDVI of every plot on every catalogued date; stored per plot and date. Returns the row count."""
    from .zonal import zonal_stats

    plots = store.read("plots")[["id", "geometry"]]
    if plots.empty:
        raise NotFound("the store has no plots; import plots first")
    total = 0
    stacks = open_scenes(store, start=start, end=end)
    for i, (stack, scenes) in enumerate(stacks, start=1):
        # the stack's dates are the engine's: its rows' times, known before it runs
        days = [t.date() for t in pd.DatetimeIndex(stack["time"].values).unique().sort_values()]
        with store.replacing("ndvi_stats", where={"time": days}) as slice_:
            stats = zonal_stats(plots, stack, stats=("mean", "std", "count"), client=client)
            by_date = pd.Series(list(scenes["id"]), index=pd.DatetimeIndex(scenes["date"]))
            by_date = by_date[~by_date.index.duplicated(keep="last")]
            # .array: the ids stay Arrow text, not a column of half a million Python strings
            stats["scene_id"] = by_date.reindex(pd.DatetimeIndex(stats["time"])).array
            columns = ["plot_id", "time", "scene_id", "mean", "std", "count", "valid_fraction"]
            total += slice_.write(stats[columns])
        if progress is not None:
            progress(i, len(stacks))
    return total
