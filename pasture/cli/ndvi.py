"""The ``pasture ndvi`` commands: the scene catalogue and per-plot NDVI statistics."""

from __future__ import annotations

from pathlib import Path

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
    """List the catalogue: date, sensor, grid and file of every scene."""
    from ..ndvi import list_scenes

    with open_url(store_url) as store:
        scenes = list_scenes(store)
    table = Table("date", "sensor", "size", "crs", "file", title=f"{len(scenes)} NDVI scene(s)")
    for row in scenes.itertuples(index=False):
        size = f"{row.width}×{row.height}"
        table.add_row(row.date.strftime("%Y-%m-%d"), row.sensor, size, row.crs, Path(row.path).name)
    out.print(table)


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
