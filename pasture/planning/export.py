"""Writing a stored plan as CSV, XLSX or GeoJSON."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ..errors import InvalidInput
from ..store.base import Store
from .service import plan_frames

__all__ = ["EXPORT_FORMATS", "ExportFormat", "export_plan"]

ExportFormat = Literal["csv", "xlsx", "geojson"]
#: Formats :func:`export_plan` writes.
EXPORT_FORMATS: tuple[str, ...] = ("csv", "xlsx", "geojson")

_EXPORT_COLUMNS = (
    "plan_id",
    "herd_id",
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
        union_id, plot_id, period, start, end, sheep_units, demand_kg,
        eaten_kg, available_kg, deficit_kg``); ``"xlsx"``: sheets
        ``assignments``, ``deficits`` and ``plan`` (state, solver and
        parameters); ``"geojson"``: the placed assignments joined to their
        plot's geometry (EPSG:4326). Default from the file suffix.

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
    table = frames.assignments[list(_EXPORT_COLUMNS)].copy()
    for col in ("start", "end"):
        table[col] = pd.to_datetime(table[col]).dt.strftime("%Y-%m-%d")
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        table.to_csv(target, index=False)
    elif fmt == "xlsx":
        deficits = frames.deficits.copy()
        deficits["start"] = pd.to_datetime(deficits["start"]).dt.strftime("%Y-%m-%d")
        meta = pd.DataFrame(
            [
                {"key": k, "value": _cell(v)}
                for k, v in frames.plan.items()
                if k not in ("params", "summary")
            ]
            + [{"key": "params", "value": json.dumps(frames.plan["params"], ensure_ascii=False)}]
            + [{"key": "summary", "value": json.dumps(frames.plan["summary"], ensure_ascii=False)}]
        )
        with pd.ExcelWriter(target, engine="openpyxl") as xl:
            table.to_excel(xl, sheet_name="assignments", index=False)
            deficits.to_excel(xl, sheet_name="deficits", index=False)
            meta.to_excel(xl, sheet_name="plan", index=False)
    else:
        placed = table[table["plot_id"].notna()]
        plots = store.read("plots", ids=sorted(set(placed["plot_id"])))[
            ["id", "name", "pasture_type", "geometry"]
        ]
        joined = plots.rename(columns={"id": "plot_id", "name": "plot_name"}).merge(
            placed, on="plot_id", how="inner"
        )
        joined = joined.sort_values(["period", "union_id", "herd_id"]).reset_index(drop=True)
        target.unlink(missing_ok=True)
        joined.to_file(target, driver="GeoJSON", engine="pyogrio")
    return target


def _cell(value: Any) -> Any:
    if isinstance(value, datetime | pd.Timestamp):
        return value.isoformat()
    return value
