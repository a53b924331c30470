"""The ``pasture`` command group and its store commands: demo, import, export, copy, info.

Exit codes are listed in :mod:`pasture.cli.common`; the subcommands of NDVI, science and
plans live in their own modules and are registered on the group in :mod:`pasture.cli`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from .. import errors
from ..model import LAYERS
from .common import (
    CommandGroup,
    console,
    open_url,
    out,
    progress_bar,
    store_option,
    user_name,
)

LAYER_NAMES = [n.replace("_", "-") for n in LAYERS if n != "households"]

#: Called with the finished demo store; the web layer adds its demo accounts here.
DEMO_HOOKS: list[Callable[[Any], None]] = []
#: Serves a store when `pasture demo` runs without --no-serve (registered by the web layer).
DEMO_SERVER: list[Callable[[str], None]] = []


@click.group(cls=CommandGroup)
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
    from ..demo import build_demo, build_demo_ndvi
    from ..management.demo import run_demo_management
    from ..planning import run_demo_season
    from ..store.gpkg import GeoPackageStore, default_accounts_path

    science = plan_id = None

    target = Path(store_url)
    if target.suffix.lower() != ".gpkg":
        raise click.UsageError("the demo is built into a GeoPackage: give a path ending in .gpkg")
    if target.exists():
        _refuse_to_overwrite_real_data(target)
    building = target.with_name(target.stem + ".building.gpkg")
    for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
        leftover.unlink(missing_ok=True)
    default_accounts_path(building).unlink(missing_ok=True)
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
                # science, plan, then the load again: the stored load counts the plan
                science, plan_id = run_demo_season(
                    store, progress=lambda msg: status.update(f"demo: {msg}")
                )
            management = run_demo_management(store, progress=lambda m: status.update(f"demo: {m}"))
            for hook in DEMO_HOOKS:
                hook(store)
        finally:
            store.close()
    for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)
    building.replace(target)
    _move_accounts(building, target)
    out.print(
        f"[bold]Demo district built[/] in {target} (generated data, seed {seed}; boundary and settlements © OpenStreetMap contributors (ODbL); KATO classifier; NASA SRTM)"
    )
    table = Table("layer", "records", title="Enbekshikazakh District (demo)")
    for name, value in (
        ("okrugs", summary.okrugs),
        ("settlements", summary.settlements),
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
        f"({summary.pasture_km2 / summary.district_km2:.0%}); livestock of the census: "
        + ", ".join(f"{n:,} {s}" for s, n in summary.head.items())
    )
    if science is not None:
        out.print(
            f"science {science.year}: {science.capacity_rows:,} capacity rows, "
            f"{len(science.degrading)} plots degrading; season plan {plan_id} (draft)"
        )
    out.print(f"management plans (Art. 13): {len(management)} okrug drafts, e.g. {management[0]}")
    if not no_serve:
        if not DEMO_SERVER:
            raise click.UsageError(
                "serving needs the web API (pasture_api package); use --no-serve"
            )
        out.print(f"serving {target} on http://127.0.0.1:8000 (Ctrl+C to stop)")
        DEMO_SERVER[0](str(target))


def _move_accounts(building: Path, target: Path) -> None:
    """The demo accounts (a file beside the GeoPackage) follow the built store to ``target``."""
    from ..store.gpkg import default_accounts_path

    built, kept = default_accounts_path(building), default_accounts_path(target)
    for stale in (kept, Path(f"{kept}-wal"), Path(f"{kept}-shm")):
        stale.unlink(missing_ok=True)
    if built.exists():
        built.replace(kept)


def _refuse_to_overwrite_real_data(target: Path) -> None:
    from ..store.gpkg import GeoPackageStore

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
@store_option
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
    "--map",
    "map_text",
    help='columns named otherwise: "field=column,..." (e.g. "name=Атауы,kato=КАТО")',
)
@click.option(
    "--geobotany",
    is_flag=True,
    help="plots only: FILE is a geobotanical survey whose contours give the stored plots "
    "area-weighted yields per season and their main pasture type",
)
@click.option(
    "--register",
    is_flag=True,
    help="census only: FILE is an animal register or household book (a row per animal, "
    "or per household and species with a head column), summed into the census",
)
@click.option(
    "--map-file",
    type=click.Path(path_type=Path),
    help="the same as a JSON or YAML file of field: column pairs",
)
@click.option(
    "--user", help="name recorded in the history (default: PASTURE_USER or the login name)"
)
@click.option("--create", is_flag=True, help="create the GeoPackage if it does not exist")
def import_(
    layer: str,
    file: Path,
    store_url: str,
    mode: str,
    repair: bool,
    allow_overlap: bool,
    allow_outside_union: bool,
    source_layer: str | None,
    map_text: str | None,
    map_file: Path | None,
    register: bool,
    geobotany: bool,
    user: str | None,
    create: bool,
) -> None:
    """Import LAYER from FILE (GeoJSON, GeoPackage, zipped Shapefile, KML; CSV or XLSX).

    A CSV or XLSX register of points (water points, settlements, herds) gives them in
    lon and lat columns, or any layer its shapes in a geometry column of WKT (as an
    export to CSV or XLSX writes them); households and the census are read from CSV or XLSX.
    """
    from ..io import import_layer
    from ..io.mapping import parse_mapping, read_mapping_file

    mapping = read_mapping_file(map_file) if map_file else {}
    mapping.update(parse_mapping(map_text) if map_text else {})
    if register and layer != "census":
        raise click.UsageError("--register is for the census: animal registers and household books")
    if geobotany and layer != "plots":
        raise click.UsageError("--geobotany joins a survey to the plots: use it with plots")

    with (
        open_url(store_url, create=create) as store,
        progress_bar(f"importing {layer}") as progress,
    ):
        if geobotany:
            from ..io.geobotany import import_geobotany

            report = import_geobotany(store, file, user=user_name(user), mapping=mapping or None)
        elif register:
            from ..io.register import import_animal_register

            report = import_animal_register(
                store, file, user=user_name(user), mapping=mapping or None
            )
        else:
            report = import_layer(
                store,
                layer,
                file,
                user=user_name(user),
                mode=mode,  # type: ignore[arg-type]
                repair=repair,
                allow_overlap=allow_overlap,
                allow_outside_union=allow_outside_union,
                source_layer=source_layer,
                mapping=mapping or None,
                progress=progress,
            )
    for line in report.repaired:
        console.print(f"[yellow]repaired[/] {line}", highlight=False)
    result = report.result
    if result is not None:
        out.print(
            f"{result.layer}: {result.inserted} inserted, {result.updated} updated, {result.deleted} deleted"
        )


#: Result tables `pasture export` writes as CSV or XLSX (see pasture.io.tables).
TABLE_NAMES = ["capacity", "load", "trends", "greenup", "assignments", "deficits", "ndvi-stats"]


@main.command("export")
@click.argument("layer", type=click.Choice([*LAYER_NAMES, "households", *TABLE_NAMES]))
@store_option
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="file to write; its suffix picks the format",
)
@click.option(
    "--lang",
    type=click.Choice(["kk", "ru", "en"]),
    help="CSV and XLSX headers in this language, for people (default: column names, for import)",
)
def export(layer: str, store_url: str, output: Path, lang: str | None) -> None:
    """Export LAYER to a file (.geojson, .gpkg, .zip Shapefile, .kml, .csv, .xlsx).

    A result table (capacity, load, deficits, ...) is written as .csv or .xlsx.
    """
    from ..io import export_layer
    from ..io.tables import export_table

    with open_url(store_url) as store:
        if layer in TABLE_NAMES:
            path = export_table(store, layer, output, lang=lang)
        else:
            path = export_layer(store, layer, output, lang=lang)
    out.print(f"wrote {path}")


@main.command()
@click.argument("source")
@click.argument("dest")
def copy(source: str, dest: str) -> None:
    """Copy a whole store (records, versions, history) from SOURCE to an empty DEST.

    A GeoPackage DEST is created; a PostGIS DEST must be an existing database.
    """
    with (
        open_url(source) as src,
        open_url(dest, create=True) as dst,
        progress_bar("copying") as progress,
    ):
        dst.load_copy(src, progress=progress)
        if hasattr(dst, "update_extents"):
            dst.update_extents()
        counts = {layer.name: layer.count for layer in dst.info().layers}
    out.print(
        f"copied {source} → {dest}: " + ", ".join(f"{n:,} {name}" for name, n in counts.items())
    )


@main.command()
@click.argument("store_url", metavar="STORE")
def init(store_url: str) -> None:
    """Create an empty store: a new GeoPackage, or the schema in an existing PostGIS database."""
    if not store_url.startswith(("postgresql://", "postgres://")) and Path(store_url).exists():
        raise click.UsageError(f"{store_url} exists already; `pasture info {store_url}` shows it")
    with open_url(store_url, create=True) as store:
        summary = store.info()
    out.print(f"created {summary.url} ({summary.backend}); import layers with `pasture import`")


@main.command()
@click.argument("store_url", metavar="STORE")
@click.option("--json", "as_json", is_flag=True, help="print machine-readable JSON")
def info(store_url: str, as_json: bool) -> None:
    """Show the layers of STORE: counts, extents, versions and last changes."""
    with open_url(store_url) as store:
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
