"""The ``pasture ndvi`` commands: the scene catalogue, fetching from STAC, per-plot NDVI."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from .common import open_url, out, progress_bar, store_option, user_name

__all__ = ["ndvi"]


@click.group()
def ndvi() -> None:
    """The NDVI scene catalogue and per-plot NDVI statistics."""


@ndvi.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option
@click.option(
    "--user", help="name recorded with the scenes (default: PASTURE_USER or the login name)"
)
def ndvi_add(files: tuple[Path, ...], store_url: str, user: str | None) -> None:
    """Check NDVI rasters and add them to the catalogue (all of them, or none)."""
    from ..ndvi import register_scenes

    with open_url(store_url) as store, progress_bar("checking scenes") as progress:
        rows = register_scenes(store, list(files), user=user_name(user), progress=progress)
    out.print(f"{len(rows)} scene date(s) registered from {len(files)} file(s)")


@ndvi.command("list")
@store_option
def ndvi_list(store_url: str) -> None:
    """List the catalogue: date, sensor, grid and file of every scene.

    A composite fetched from a STAC catalogue also shows its provenance: how many
    items went into it and the share of observations masked as cloud, shadow or snow
    (the catalogue, collection, item ids and period: ``GET /ndvi/scenes``).
    """
    from ..ndvi import list_scenes

    with open_url(store_url) as store:
        scenes = list_scenes(store)
    table = Table(title=f"{len(scenes)} NDVI scene(s)")
    for name in ("date", "sensor", "size", "crs", "file", "items", "masked"):
        # in a narrow terminal the file name folds, never the date or the figures
        table.add_column(name, no_wrap=name != "file", overflow="fold")
    for row in scenes.itertuples(index=False):
        size = f"{row.width}×{row.height}"
        table.add_row(
            row.date.strftime("%Y-%m-%d"), row.sensor, size, row.crs, Path(row.path).name,
            *_provenance_cells(row),
        )  # fmt: skip
    out.print(table)


def _provenance_cells(row: Any) -> tuple[str, str]:
    """Items and masked share (cloud, shadow, snow) of a fetched composite; "" for others."""
    items = getattr(row, "items", None)
    share = getattr(row, "cloud_share", None)
    return (
        "" if items is None or not len(items) else str(len(items)),
        "" if share is None or share != share else f"{share:.1%}",  # NaN: no data
    )


@ndvi.command("zonal")
@store_option
@click.option("--start", help="first date (YYYY-MM-DD)")
@click.option("--end", help="last date (YYYY-MM-DD)")
@click.option(
    "--dask-scheduler", help="address of a dask.distributed scheduler (e.g. tcp://host:8786)"
)
def ndvi_zonal(
    store_url: str, start: str | None, end: str | None, dask_scheduler: str | None
) -> None:
    """Compute coverage-weighted NDVI of every plot on every catalogued date and store it."""
    from ..ndvi import compute_ndvi_stats

    client = None
    if dask_scheduler:
        from distributed import Client

        client = Client(dask_scheduler)
    try:
        with open_url(store_url) as store, progress_bar("zonal statistics") as progress:
            n = compute_ndvi_stats(store, start=start, end=end, client=client, progress=progress)
    finally:
        if client is not None:
            client.close()
    out.print(f"{n:,} plot × date values stored")


@ndvi.command("fetch")
@store_option
@click.option(
    "--source",
    required=True,
    # the names of pasture.ndvi.stac.SOURCES (a test keeps them equal; importing it here
    # would load xarray for every `pasture` command)
    type=click.Choice(["sentinel-2-l2a", "landsat-c2-l2", "modis-13q1"]),
    help="satellite product to composite",
)
@click.option(
    "--from", "first", required=True, type=click.DateTime(["%Y-%m-%d"]), help="first date"
)
@click.option("--to", "last", required=True, type=click.DateTime(["%Y-%m-%d"]), help="last date")
@click.option(
    "--catalog",
    help="STAC API URL (default: Earth Search for Sentinel-2, Planetary Computer otherwise)",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="folder of the composite COGs",
)
@click.option("--period-days", type=int, help="composite period in days (default: 16, as MODIS)")
@click.option("--crs", help="output CRS (default: the UTM zone of the district's centre)")
@click.option("--resolution", type=float, help="output pixel size (default: the source's own)")
@click.option("--retries", type=int, help="retries of failed asset reads (default: 3)")
@click.option(
    "--dask-scheduler", help="address of a dask.distributed scheduler (e.g. tcp://host:8786)"
)
@click.option(
    "--user", help="name recorded with the scenes (default: PASTURE_USER or the login name)"
)
def ndvi_fetch(
    store_url: str,
    source: str,
    first: datetime,
    last: datetime,
    catalog: str | None,
    out_dir: Path,
    period_days: int | None,
    crs: str | None,
    resolution: float | None,
    retries: int | None,
    dask_scheduler: str | None,
    user: str | None,
) -> None:
    """Fetch NDVI composites of the periods not yet stored from a STAC catalogue."""
    from ..ndvi.fetch import fetch_ndvi

    # options left out keep fetch_ndvi's defaults (one home for each default)
    given = {"period_days": period_days, "retries": retries}
    options: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    client = None
    if dask_scheduler:
        from distributed import Client

        client = Client(dask_scheduler)
    try:
        with open_url(store_url) as store, progress_bar("fetching periods") as progress:
            report = fetch_ndvi(
                store, source, first.date(), last.date(), out_dir=out_dir,
                user=user_name(user), catalog=catalog, crs=crs, resolution=resolution,
                client=client, progress=progress, **options,
            )  # fmt: skip
    finally:
        if client is not None:
            client.close()
    out.print(
        f"{len(report.fetched)} period(s) fetched from {report.catalog}, "
        f"{len(report.stored)} already stored, {len(report.empty)} without acquisitions, "
        f"{len(report.unfinished)} not over yet"
    )
    for path in report.fetched:
        out.print(f"  {path}")
