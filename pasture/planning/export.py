"""Writing a stored plan as CSV, XLSX, GeoJSON or KML (tables through :mod:`pasture.io.tables`)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ..errors import InvalidInput
from ..i18n import translator
from ..io.kml import write_kml
from ..io.tables import Sheet, fields_of, write_table_file
from ..model import ASSIGNMENTS, DEFICITS
from ..science.herds import plan_herd_names
from ..store.base import Store
from .service import plan_frames

__all__ = ["EXPORT_FORMATS", "ExportFormat", "export_plan"]

ExportFormat = Literal["csv", "xlsx", "geojson", "kml"]
#: Formats :func:`export_plan` writes.
EXPORT_FORMATS: tuple[str, ...] = ("csv", "xlsx", "geojson", "kml")

_EXPORT_COLUMNS = (
    "plan_id",
    "herd_id",
    "herd",
    "union_id",
    "plot_id",
    "period",
    "start",
    "end",
    "sheep_units",
    "demand_kg",
    "eaten_kg",
    "available_kg",
    "deficit_kg",
)


def export_plan(
    store: Store,
    plan_id: str,
    path: str | Path,
    *,
    format: ExportFormat | None = None,
    lang: str | None = None,
) -> Path:
    """Write a plan to a file: CSV, XLSX or GeoJSON.

    Parameters
    ----------
    store
        An open store.
    plan_id
        The plan to export.
    path
        File to write (parent folders are created).
    format
        ``"csv"``: one row per herd and period (columns ``plan_id, herd_id,
        herd`` (its name in the plan), ``union_id, plot_id, period, start, end,
        sheep_units, demand_kg, eaten_kg, available_kg, deficit_kg``); ``"xlsx"``: sheets
        ``assignments``, ``deficits`` and ``plan`` (state, solver and
        parameters); ``"geojson"``: the placed assignments joined to their
        plot's geometry (EPSG:4326); ``"kml"``: the same for Google Earth, each
        placement a TimeSpan from its start to its end and one style per union.
        Default from the file suffix.
    lang
        ``kk``, ``ru`` or ``en``: CSV and XLSX headers and sheet names in that
        language; None: the column names above.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    NotFound
        When there is no such plan.
    InvalidInput
        On an unknown format.
    """
    target = Path(path)
    fmt = (format or target.suffix.lstrip(".")).lower()
    if fmt == "json":
        fmt = "geojson"
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(
            str(target), [f"unknown export format {fmt!r}; use {', '.join(EXPORT_FORMATS)}"]
        )
    frames = plan_frames(store, plan_id)
    # each herd by its name in the plan (a village flock's in ``lang``, English without one)
    names = plan_herd_names(store, plan_id, translator(lang or "en"))
    herds = frames.assignments["herd_id"].astype(str)
    table = frames.assignments.assign(herd=herds.map(names).fillna(herds))
    table = table[list(_EXPORT_COLUMNS)].copy()
    fields = fields_of(list(_EXPORT_COLUMNS), ASSIGNMENTS, DEFICITS)
    if fmt == "csv":
        return write_table_file(target, [Sheet("assignments", table, fields)], lang)
    if fmt == "xlsx":
        deficits = frames.deficits
        sheets = [
            Sheet("assignments", table, fields),
            Sheet("deficits", deficits, fields_of(list(deficits.columns), DEFICITS)),
            Sheet("plan", _plan_sheet(frames.plan)),
        ]
        return write_table_file(target, sheets, lang)
    for col in ("start", "end"):
        table[col] = pd.to_datetime(table[col]).dt.strftime("%Y-%m-%d")
    joined = _on_plots(store, table)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    if fmt == "kml":
        joined = joined.assign(name=[f"{h}: {p} ({s} – {e})" for h, p, s, e in _labels(joined)])
        write_kml(
            joined,
            target,
            layer=plan_id,
            label="name",
            style_by="union_id",
            time_span=("start", "end"),
        )
    else:
        joined.to_file(target, driver="GeoJSON", engine="pyogrio")
    return target


def _on_plots(store: Store, table: pd.DataFrame) -> Any:
    """The placed assignments on their plots' shapes, by period, union and herd."""
    placed = table[table["plot_id"].notna()]
    plots = store.read("plots", ids=sorted(set(placed["plot_id"])))[
        ["id", "name", "pasture_type", "geometry"]
    ]
    joined = plots.rename(columns={"id": "plot_id", "name": "plot_name"}).merge(
        placed, on="plot_id", how="inner"
    )
    return joined.sort_values(["period", "union_id", "herd_id"]).reset_index(drop=True)


def _labels(joined: pd.DataFrame) -> Any:
    return zip(joined["herd"], joined["plot_id"], joined["start"], joined["end"], strict=True)


def _plan_sheet(plan: dict[str, Any]) -> pd.DataFrame:
    """The plan's row as key and value; parameters and summary as JSON text."""
    rows = [
        {"key": k, "value": _cell(v)} for k, v in plan.items() if k not in ("params", "summary")
    ]
    rows += [
        {"key": k, "value": json.dumps(plan[k], ensure_ascii=False)} for k in ("params", "summary")
    ]
    return pd.DataFrame(rows)


def _cell(value: Any) -> Any:
    # a time with its zone, written out: an XLSX cell would drop the zone
    if isinstance(value, datetime | pd.Timestamp):
        return value.isoformat()
    return value
