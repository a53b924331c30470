"""A union's plots and grazing calendar as files: KML (Google Earth), GeoJSON, CSV and XLSX."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Query
from fastapi.responses import Response

from pasture.errors import NotFound
from pasture.store import Store

from .data import chosen_plan, day, herd_names, merge_calendar, scoped_assignments, union_row
from .session import Ctx

__all__ = ["router"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KML = "application/vnd.google-earth.kml+xml"
GEOJSON = "application/geo+json"
CSV = "text/csv; charset=utf-8"
#: Columns of the plots download, in this order (those the store has).
PLOT_COLUMNS = ["id", "name", "union_id", "okrug_id", "seasons", "pasture_type", "area_ha"]

Format = Literal["kml", "geojson", "csv", "xlsx"]

router = APIRouter(include_in_schema=False)


@router.get("/unions/{union_id}/plots.{fmt}")
def union_plots(ctx: Ctx, union_id: str, fmt: Format) -> Response:
    """The union's plots as KML (Google Earth), GeoJSON, CSV or XLSX."""
    union_row(ctx.store, ctx.user, union_id)
    plots = ctx.store.read("plots", where={"union_id": union_id})
    return _plots_download(plots, fmt, union_id, ctx.lang)


@router.get("/unions/{union_id}/calendar.{fmt}")
def union_calendar(
    ctx: Ctx,
    union_id: str,
    fmt: Format,
    plan: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The union's grazing calendar (merged weeks) as CSV, XLSX, GeoJSON or KML."""
    union_row(ctx.store, ctx.user, union_id)
    chosen = chosen_plan(ctx.store, plan)
    if chosen is None:
        raise NotFound("there is no draft or approved plan yet")
    calendar = merge_calendar(scoped_assignments(ctx.store, str(chosen["id"]), union_id))
    names = herd_names(ctx.store, union_id)
    stem = f"{union_id}-calendar-{chosen['id']}"
    return _calendar_download(ctx.store, calendar, names, fmt, stem, ctx.lang)


def _download(data: bytes | str, media_type: str, filename: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _vector_file(frame: Any, fmt: str, layer: str, *, name_field: str, **kml: Any) -> bytes:
    """GeoJSON (RFC 7946, by GDAL) or KML (labels, styles, time spans) of a frame in EPSG:4326."""
    import pyogrio

    from pasture.io.kml import kml_bytes

    if fmt == "kml":
        return kml_bytes(frame, layer=layer, label=name_field, **kml)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{layer}.{fmt}"
        pyogrio.write_dataframe(
            frame, path, driver="GeoJSON", layer=layer, RFC7946="YES", WRITE_NAME="NO"
        )
        return path.read_bytes()


def _table(frame: pd.DataFrame, sheet: str, fmt: str, lang: str) -> bytes:
    """CSV or XLSX through the one table writer: dates, precision, titles in ``lang``."""
    from pasture.io.tables import write_table
    from pasture.model import ASSIGNMENTS, PLOTS, Table

    spec = Table(sheet, sheet, (*PLOTS.fields, *ASSIGNMENTS.columns), ("id",))
    return write_table(frame, spec, fmt, lang, sheet=sheet)  # type: ignore[arg-type]


def _plots_download(plots: Any, fmt: str, union_id: str, lang: str) -> Response:
    frame = plots[[c for c in PLOT_COLUMNS if c in plots.columns] + ["geometry"]]
    name = f"{union_id}-plots.{fmt}"
    if fmt in ("kml", "geojson"):
        data = _vector_file(frame, fmt, "plots", name_field="name", style_by="union_id")
        return _download(data, KML if fmt == "kml" else GEOJSON, name)
    points = frame.geometry.representative_point()
    table = pd.DataFrame(frame.drop(columns="geometry")).assign(
        lon=points.x.round(6), lat=points.y.round(6)
    )
    return _download(_table(table, "plots", fmt, lang), CSV if fmt == "csv" else XLSX, name)


def _calendar_table(calendar: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "herd_id": calendar["herd_id"].astype(str),
            "herd": [names.get(str(h), str(h)) for h in calendar["herd_id"]],
            "plot_id": calendar["plot_id"],
            "start": [d.isoformat() if (d := day(v)) else "" for v in calendar["start"]],
            "end": [d.isoformat() if (d := day(v)) else "" for v in calendar["end"]],
            "weeks": calendar["weeks"].astype(int),
            "sheep_units": calendar["sheep_units"],
        }
    )


def _calendar_download(
    store: Store, calendar: pd.DataFrame, names: Mapping[str, str], fmt: str, stem: str, lang: str
) -> Response:
    table = _calendar_table(calendar, names)
    name = f"{stem}.{fmt}"
    if fmt in ("csv", "xlsx"):
        data = _table(table, "calendar", fmt, lang)
        return _download(data, CSV if fmt == "csv" else XLSX, name)
    frame = _calendar_features(store, table[table["plot_id"] != ""])
    spans = {"style_by": "herd_id", "time_span": ("start", "end")}
    data = _vector_file(frame, fmt, "calendar", name_field="name", **spans)
    return _download(data, KML if fmt == "kml" else GEOJSON, name)


def _calendar_features(store: Store, placed: pd.DataFrame) -> Any:
    """The placed rows of a calendar on their plots' shapes, each named for Google Earth."""
    import geopandas as gpd

    plot_ids = sorted(set(placed["plot_id"]))
    plots = store.read("plots", ids=plot_ids) if plot_ids else None
    geoms = dict(zip(plots["id"], plots.geometry, strict=True)) if plots is not None else {}
    labels = zip(placed["herd"], placed["plot_id"], placed["start"], placed["end"], strict=True)
    return gpd.GeoDataFrame(
        placed.assign(name=[f"{h}: {p} ({s} – {e})" for h, p, s, e in labels]),
        geometry=[geoms.get(p) for p in placed["plot_id"]],
        crs=4326,
    )
