"""The ``pasture`` command.

Exit codes that scripts can rely on:

===  ====================================================================
0    success
1    an unexpected error (a bug: please report it)
2    wrong usage: unknown option, missing argument
3    invalid input: the file or records were refused, nothing was written
4    not found: no such file, store or record
5    store error: the store cannot be opened, or the database is unreachable
6    conflict: ids already stored, or a record changed under an edit
===  ====================================================================
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import errors
from .model import LAYERS

EXIT_OK, EXIT_BUG, EXIT_USAGE, EXIT_INVALID, EXIT_NOT_FOUND, EXIT_STORE, EXIT_CONFLICT = range(7)

_EXIT_CODES: tuple[tuple[type[Exception], int], ...] = (
    (errors.InvalidInput, EXIT_INVALID),
    (errors.NotFound, EXIT_NOT_FOUND),
    (errors.AlreadyExists, EXIT_CONFLICT),
    (errors.VersionConflict, EXIT_CONFLICT),
    (errors.StoreError, EXIT_STORE),
)

console = Console(stderr=True)
out = Console()

LAYER_NAMES = [n.replace("_", "-") for n in LAYERS if n != "households"]

#: Called with the finished demo store; the web layer adds its demo accounts here.
DEMO_HOOKS: list[Callable[[Any], None]] = []
#: Serves a store when `pasture demo` runs without --no-serve (registered by the web layer).
DEMO_SERVER: list[Callable[[str], None]] = []


def _user(value: str | None) -> str:
    return value or os.environ.get("PASTURE_USER") or f"cli:{getpass.getuser()}"


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr, driven by (done, total) callbacks."""
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _open(url: str) -> Any:
    from .store import open_store

    return open_store(url)


class _Group(click.Group):
    """Maps domain errors to messages and exit codes in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except errors.PastureError as exc:
            code = next((c for cls, c in _EXIT_CODES if isinstance(exc, cls)), EXIT_BUG)
            console.print(
                f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True
            )
            ctx.exit(code)


@click.group(cls=_Group)
@click.version_option(package_name="jailym")
def main() -> None:
    """Electronic pasture management: geodata layer, NDVI forage and grazing plans."""


@main.command()
@click.option(
    "--store",
    "store_url",
    default="demo/enbekshikazakh.gpkg",
    show_default=True,
    help="GeoPackage path to build",
)
@click.option("--no-serve", is_flag=True, help="build the demo and stop, without serving it")
@click.option("--seed", default=42, show_default=True, help="random seed of the generated contents")
@click.option(
    "--years", default=8, show_default=True, help="years of generated NDVI composites (0: none)"
)
def demo(store_url: str, no_serve: bool, seed: int, years: int) -> None:
    """Build the demo district of Enbekshikazakh into a GeoPackage (rebuilt from scratch).

    Then generates its NDVI stack (16-day composites at 250 m) beside the store
    and computes per-plot NDVI from it.
    """
    from .demo import build_demo, build_demo_ndvi
    from .forage import run_demo_science
    from .planning import run_demo_plan
    from .store.gpkg import GeoPackageStore

    science = plan_id = None

    target = Path(store_url)
    if target.suffix.lower() != ".gpkg":
        raise click.UsageError("the demo is built into a GeoPackage: give a path ending in .gpkg")
    if target.exists():
        _refuse_to_overwrite_real_data(target)
    building = target.with_name(target.stem + ".building.gpkg")
    for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
        leftover.unlink(missing_ok=True)
    with console.status("building the demo district") as status:
        store = GeoPackageStore(building)
        try:
            summary = build_demo(
                store, seed=seed, progress=lambda msg: status.update(f"demo: {msg}")
            )
            store.update_extents()
            if years > 0:
                ndvi_dir = target.parent / f"{target.stem}-ndvi"
                shutil.rmtree(ndvi_dir, ignore_errors=True)
                build_demo_ndvi(
                    store,
                    ndvi_dir,
                    seed=seed,
                    years=years,
                    progress=lambda msg: status.update(f"demo: {msg}"),
                )
                science = run_demo_science(
                    store, progress=lambda msg: status.update(f"demo: {msg}")
                )
                plan_id = run_demo_plan(store, progress=lambda msg: status.update(f"demo: {msg}"))
            for hook in DEMO_HOOKS:
                hook(store)
        finally:
            store.close()
    for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)
    building.replace(target)
    out.print(
        f"[bold]Demo district built[/] in {target} (generated data, seed {seed}; boundary © OpenStreetMap contributors)"
    )
    table = Table("layer", "records", title="Enbekshikazakh District (demo)")
    for name, value in (
        ("okrugs", summary.okrugs),
        ("unions", summary.unions),
        ("plots", summary.plots),
        ("water points", summary.water_points),
        ("routes", summary.routes),
        ("households", summary.households),
        ("herds", summary.herds),
    ):
        table.add_row(name, f"{value:,}")
    out.print(table)
    out.print(
        f"pasture {summary.pasture_km2:,.0f} km² of {summary.district_km2:,.0f} km² "
        f"({summary.pasture_km2 / summary.district_km2:.0%}); livestock of the unions: "
        + ", ".join(f"{n:,} {s}" for s, n in summary.head.items())
    )
    if science is not None:
        out.print(
            f"science {science.year}: {science.capacity_rows:,} capacity rows, "
            f"{len(science.degrading)} plots degrading; season plan {plan_id} (draft)"
        )
    if not no_serve:
        if not DEMO_SERVER:
            raise click.UsageError("serving needs the web API (api package); use --no-serve")
        out.print(f"serving {target} on http://127.0.0.1:8000 (Ctrl+C to stop)")
        DEMO_SERVER[0](str(target))


def _refuse_to_overwrite_real_data(target: Path) -> None:
    from .store.gpkg import GeoPackageStore

    try:
        with GeoPackageStore(target) as existing:
            is_demo = existing.get_meta("demo") is not None
    except errors.StoreError:
        is_demo = False
    if not is_demo:
        raise errors.StoreError(
            f"{target} exists and is not a demo store; choose another path for the demo"
        )


@main.command("import")
@click.argument("layer", type=click.Choice(LAYER_NAMES))
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--store", "store_url", required=True, help="GeoPackage path or postgresql:// URL")
@click.option(
    "--mode",
    type=click.Choice(["append", "upsert", "replace"]),
    default="append",
    show_default=True,
)
@click.option(
    "--repair", is_flag=True, help="make invalid geometries valid, and report each repair"
)
@click.option("--allow-overlap", is_flag=True, help="accept plots that overlap other plots")
@click.option(
    "--allow-outside-union",
    is_flag=True,
    help="accept plots that stick out of their union's boundary",
)
@click.option("--source-layer", help="layer to read from a multi-layer file (GeoPackage)")
@click.option(
    "--user", help="name recorded in the history (default: PASTURE_USER or the login name)"
)
def import_(
    layer: str,
    file: Path,
    store_url: str,
    mode: str,
    repair: bool,
    allow_overlap: bool,
    allow_outside_union: bool,
    source_layer: str | None,
    user: str | None,
) -> None:
    """Import LAYER from FILE (GeoJSON, GeoPackage, zipped Shapefile, KML; CSV for the census)."""
    from .io import import_layer

    with _open(store_url) as store, _progress(f"importing {layer}") as progress:
        report = import_layer(
            store,
            layer,
            file,
            user=_user(user),
            mode=mode,  # type: ignore[arg-type]
            repair=repair,
            allow_overlap=allow_overlap,
            allow_outside_union=allow_outside_union,
            source_layer=source_layer,
            progress=progress,
        )
    for line in report.repaired:
        console.print(f"[yellow]repaired[/] {line}", highlight=False)
    result = report.result
    if result is not None:
        out.print(
            f"{result.layer}: {result.inserted} inserted, {result.updated} updated, {result.deleted} deleted"
        )


@main.command("export")
@click.argument("layer", type=click.Choice([*LAYER_NAMES, "households"]))
@click.option("--store", "store_url", required=True, help="GeoPackage path or postgresql:// URL")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="file to write; its suffix picks the format",
)
def export(layer: str, store_url: str, output: Path) -> None:
    """Export LAYER to a file (.geojson, .gpkg, .zip Shapefile, .kml, .csv)."""
    from .io import export_layer

    with _open(store_url) as store:
        path = export_layer(store, layer, output)
    out.print(f"wrote {path}")


@main.command()
@click.argument("source")
@click.argument("dest")
def copy(source: str, dest: str) -> None:
    """Copy a whole store (records, versions, history) from SOURCE to an empty DEST."""
    with _open(source) as src, _open(dest) as dst, _progress("copying") as progress:
        dst.load_copy(src, progress=progress)
        if hasattr(dst, "update_extents"):
            dst.update_extents()
        counts = {layer.name: layer.count for layer in dst.info().layers}
    out.print(
        f"copied {source} → {dest}: " + ", ".join(f"{n:,} {name}" for name, n in counts.items())
    )


@main.command()
@click.argument("store_url", metavar="STORE")
@click.option("--json", "as_json", is_flag=True, help="print machine-readable JSON")
def info(store_url: str, as_json: bool) -> None:
    """Show the layers of STORE: counts, extents, versions and last changes."""
    with _open(store_url) as store:
        summary = store.info()
    if as_json:
        doc = {
            "url": summary.url,
            "backend": summary.backend,
            "history": summary.history_count,
            "meta": {k: v for k, v in summary.meta.items() if not k.endswith("_wkt")},
            "layers": [
                {
                    "name": layer.name,
                    "count": layer.count,
                    "extent": layer.extent,
                    "max_version": layer.max_version,
                    "last_change": layer.last_change.isoformat() if layer.last_change else None,
                }
                for layer in summary.layers
            ],
        }
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    table = Table(
        "layer",
        "records",
        "extent (lon/lat)",
        "max version",
        "last change",
        title=f"{summary.url} ({summary.backend})",
    )
    for layer in summary.layers:
        extent = (
            "" if layer.extent is None else "{:.3f} {:.3f} – {:.3f} {:.3f}".format(*layer.extent)
        )
        table.add_row(
            layer.name,
            f"{layer.count:,}",
            extent,
            "" if layer.max_version is None else str(layer.max_version),
            "" if layer.last_change is None else layer.last_change.strftime("%Y-%m-%d %H:%M UTC"),
        )
    out.print(table)
    out.print(f"history: {summary.history_count:,} changes recorded")
    if "demo" in summary.meta:
        out.print(
            "[italic]This store holds the generated demo district (labelled 'generated' in each record's source).[/]"
        )


@main.group()
def ndvi() -> None:
    """The NDVI scene catalogue and per-plot NDVI statistics."""


@ndvi.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--store", "store_url", required=True, help="GeoPackage path or postgresql:// URL")
@click.option(
    "--user", help="name recorded with the scenes (default: PASTURE_USER or the login name)"
)
def ndvi_add(files: tuple[Path, ...], store_url: str, user: str | None) -> None:
    """Check NDVI rasters and add them to the catalogue (all of them, or none)."""
    from .ndvi import register_scenes

    with _open(store_url) as store, _progress("checking scenes") as progress:
        rows = register_scenes(store, list(files), user=_user(user), progress=progress)
    out.print(f"{len(rows)} scene date(s) registered from {len(files)} file(s)")


@ndvi.command("list")
@click.option("--store", "store_url", required=True, help="GeoPackage path or postgresql:// URL")
def ndvi_list(store_url: str) -> None:
    """List the catalogue: date, sensor, grid and file of every scene."""
    from .ndvi import list_scenes

    with _open(store_url) as store:
        scenes = list_scenes(store)
    table = Table("date", "sensor", "size", "crs", "file", title=f"{len(scenes)} NDVI scene(s)")
    for row in scenes.itertuples(index=False):
        size = f"{row.width}×{row.height}"
        table.add_row(row.date.strftime("%Y-%m-%d"), row.sensor, size, row.crs, Path(row.path).name)
    out.print(table)


@ndvi.command("zonal")
@click.option("--store", "store_url", required=True, help="GeoPackage path or postgresql:// URL")
@click.option("--start", help="first date (YYYY-MM-DD)")
@click.option("--end", help="last date (YYYY-MM-DD)")
@click.option(
    "--dask-scheduler", help="address of a dask.distributed scheduler (e.g. tcp://host:8786)"
)
def ndvi_zonal(
    store_url: str, start: str | None, end: str | None, dask_scheduler: str | None
) -> None:
    """Compute coverage-weighted NDVI of every plot on every catalogued date and store it."""
    from .ndvi import compute_ndvi_stats

    client = None
    if dask_scheduler:
        from distributed import Client

        client = Client(dask_scheduler)
    try:
        with _open(store_url) as store, _progress("zonal statistics") as progress:
            n = compute_ndvi_stats(store, start=start, end=end, client=client, progress=progress)
    finally:
        if client is not None:
            client.close()
    out.print(f"{n:,} plot × date values stored")


def _register_subcommands() -> None:
    # imported here so that `pasture --help` stays fast and the modules stay free of the group
    from .cli_plan import plan
    from .cli_science import capacity, load, trends

    for command in (capacity, load, trends, plan):
        main.add_command(command)


_register_subcommands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
