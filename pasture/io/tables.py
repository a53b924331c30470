"""Tables for people: CSV and XLSX of plans, calendars, census, capacity, load and deficits.

Every table the system hands to a person goes through :func:`table_bytes`, so
they all look alike: dates are dates (ISO days in CSV, date cells in XLSX),
numbers are rounded to their field's ``precision`` (``pasture.model``; a
deficit of 6e-9 kg is 0), CSV is UTF-8 with a byte-order mark (Excel otherwise
reads it as the system's code page), XLSX has fitted column widths and a frozen
header row. With a language (``kk``, ``ru``, ``en``) the headers and sheet names
are titles from the catalogues; without one they are the column names, for
programs.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ..errors import InvalidInput
from ..i18n import translator
from ..model import Field, FieldType, Layer, Table
from ..model import table as table_named

if TYPE_CHECKING:
    from ..store import Store

__all__ = [
    "COLUMN_TITLES",
    "SHEET_TITLES",
    "TABLE_FORMATS",
    "Sheet",
    "column_title",
    "export_table",
    "fields_of",
    "table_bytes",
    "write_table",
    "write_table_file",
]

TableFormat = Literal["csv", "xlsx"]
TABLE_FORMATS: tuple[str, ...] = ("csv", "xlsx")

#: English titles (catalogue message ids) of the columns of the tables we export.
COLUMN_TITLES: dict[str, str] = {
    "id": "Id",
    "name": "Name",
    "plan_id": "Plan",
    "herd_id": "Herd id",
    "herd": "Herd",
    "union_id": "Union",
    "okrug_id": "Okrug",
    "plot_id": "Plot",
    "household_id": "Household",
    "period": "Period",
    "start": "Start",
    "end": "End",
    "date": "Date",
    "year": "Year",
    "season": "Season",
    "seasons": "Seasons",
    "weeks": "Weeks",
    "days": "Days",
    "pasture_type": "Pasture type",
    "area_ha": "Area, ha",
    "lon": "Longitude",
    "lat": "Latitude",
    "sheep_units": "Sheep units",
    "demand_kg": "Demand, kg",
    "eaten_kg": "Eaten, kg",
    "available_kg": "Available, kg",
    "deficit_kg": "Deficit, kg",
    "sheep_units_to_move": "Sheep units to move",
    "feed_kg_dm": "Feed to buy, kg DM",
    "level": "Level",
    "group_id": "Group",
    "status": "Status",
    "norm_status": "Against the norm",
    "utilisation": "Utilisation",
    "ndvi": "NDVI",
    "n_obs": "NDVI observations",
    "source": "Source",
    "key": "Key",
    "value": "Value",
    "sheep": "Sheep",
    "goats": "Goats",
    "cattle": "Cattle",
    "horses": "Horses",
    "camels": "Camels",
}
for _bound, _word in (("low", "low"), ("central", "central"), ("high", "high")):
    COLUMN_TITLES[f"biomass_{_bound}_kg_ha"] = f"Biomass ({_word}), kg/ha"
    COLUMN_TITLES[f"forage_{_bound}_kg"] = f"Forage ({_word}), kg"
    COLUMN_TITLES[f"capacity_su_{_bound}"] = f"Capacity ({_word}), sheep units"
    COLUMN_TITLES[f"stocking_ratio_{_bound}"] = f"Stocking ratio ({_word})"
for _species in ("sheep", "goats", "cattle", "horses", "camels"):
    COLUMN_TITLES[f"capacity_{_species}"] = f"Capacity, {_species}"

#: English titles of the sheets (an XLSX sheet name holds at most 31 characters).
SHEET_TITLES: dict[str, str] = {
    "assignments": "Assignments",
    "deficits": "Deficits",
    "plan": "Plan",
    "calendar": "Grazing calendar",
    "plots": "Plots",
    "capacity": "Capacity",
    "load": "Load",
    "census": "Livestock census",
}

_XLSX_MAX_WIDTH = 60  # characters; longer cells wrap rather than widen the column


@dataclass(frozen=True)
class Sheet:
    """One table to write: its name, rows and the definitions of its columns.

    ``fields`` type the columns (a date column, a number's precision); a column
    without a definition keeps its values as they are.
    """

    name: str
    frame: pd.DataFrame
    fields: tuple[Field, ...] = ()


def fields_of(columns: Sequence[str], *specs: Table | Layer) -> tuple[Field, ...]:
    """The definition of each column found in ``specs`` (the first one that has it)."""
    found: dict[str, Field] = {}
    for spec in specs:
        defined = spec.columns if isinstance(spec, Table) else spec.fields
        for f in defined:
            if f.name in columns:
                found.setdefault(f.name, f)
    return tuple(found[c] for c in columns if c in found)


def column_title(column: str, lang: str | None) -> str:
    """The header of a column: its title in ``lang``, or the column name without a language."""
    if lang is None:
        return column
    title = COLUMN_TITLES.get(column)
    return translator(lang).gettext(title) if title else column


def _sheet_title(name: str, lang: str | None) -> str:
    title = SHEET_TITLES.get(name)
    text = translator(lang).gettext(title) if lang is not None and title else name
    # characters Excel refuses in a sheet name, and its 31-character limit
    return "".join("_" if c in "[]:*?/\\" else c for c in text)[:31]


def export_table(store: Store, name: str, path: str | Path, *, lang: str | None = None) -> Path:
    """Write a result table of the store (capacity, load, deficits, ...) as CSV or XLSX,
    without its personal columns (the load's ``top_shares``: `Table.personal_names`)."""
    spec = table_named(name)
    hidden = spec.personal_names
    rows = store.read_rows(spec.name).drop(columns=sorted(hidden))
    fields = tuple(f for f in spec.columns if f.name not in hidden)
    return write_table_file(path, [Sheet(spec.name, rows, fields)], lang)


def write_table(
    frame: pd.DataFrame,
    spec: Table | Layer | None,
    fmt: TableFormat,
    lang: str | None = None,
    *,
    sheet: str | None = None,
) -> bytes:
    """One table as CSV or XLSX bytes; ``spec`` defines its columns (see :func:`table_bytes`)."""
    fields = fields_of(list(frame.columns), spec) if spec is not None else ()
    name = sheet or (spec.name if spec is not None else "table")
    return table_bytes([Sheet(name, frame, fields)], fmt, lang)


def write_table_file(
    path: str | Path, sheets: Sequence[Sheet], lang: str | None = None, *, fmt: str | None = None
) -> Path:
    """Write sheets to ``path`` (format from ``fmt`` or the suffix; CSV holds the first sheet)."""
    target = Path(path)
    chosen = (fmt or target.suffix.lstrip(".")).lower()
    if chosen not in TABLE_FORMATS:
        raise InvalidInput(
            str(target), [f"unknown table format {chosen!r}; use {', '.join(TABLE_FORMATS)}"]
        )
    data = table_bytes(sheets, chosen, lang)  # type: ignore[arg-type]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def table_bytes(sheets: Sequence[Sheet], fmt: TableFormat, lang: str | None = None) -> bytes:
    """Sheets as CSV (the first sheet) or XLSX (every sheet) bytes.

    Parameters
    ----------
    sheets
        The tables, in the order of the workbook's sheets.
    fmt
        ``"csv"`` or ``"xlsx"``.
    lang
        ``kk``, ``ru`` or ``en`` for titled headers and sheet names; None for
        the column names.

    Returns
    -------
    bytes
        CSV: UTF-8 with a byte-order mark, ISO dates, rounded numbers.
        XLSX: date cells, number formats of each precision, fitted widths,
        the header row frozen.
    """
    if fmt == "csv":
        frame = _for_people(sheets[0])
        frame.columns = [column_title(c, lang) for c in frame.columns]
        text = frame.to_csv(index=False, lineterminator="\n")
        return text.encode("utf-8-sig")
    if fmt == "xlsx":
        return _xlsx(sheets, lang)
    raise InvalidInput("table", [f"unknown table format {fmt!r}; use {', '.join(TABLE_FORMATS)}"])


def _for_people(sheet: Sheet) -> pd.DataFrame:
    """Dates as dates, numbers rounded to their precision (and -0 as 0), missing as empty."""
    out = sheet.frame.copy()
    for f in sheet.fields:
        if f.name not in out.columns:
            continue
        if f.type is FieldType.DATE:
            out[f.name] = [_day(v) for v in out[f.name]]
        elif f.type is FieldType.DATETIME:
            out[f.name] = [_moment(v) for v in out[f.name]]
        elif f.type in (FieldType.REAL, FieldType.INTEGER) and f.precision is not None:
            out[f.name] = _rounded(out[f.name], f.precision)
    return out


def _rounded(values: pd.Series, precision: int) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").round(precision) + 0.0  # -0.0 → 0.0
    return numbers.astype("Int64") if precision == 0 else numbers


def _day(value: Any) -> date | None:
    if _missing(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _moment(value: Any) -> datetime | None:
    """A time as a naive UTC datetime (XLSX cells have no time zone)."""
    if _missing(value):
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime().replace(microsecond=0)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT or value == "":
        return True
    return isinstance(value, float) and math.isnan(value)


def _xlsx(sheets: Sequence[Sheet], lang: str | None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        frame = _for_people(sheet)
        page = book.create_sheet(_sheet_title(sheet.name, lang))
        headers = [column_title(c, lang) for c in frame.columns]
        page.append(headers)
        for row in frame.itertuples(index=False):
            page.append([_cell(v) for v in row])
        formats = _number_formats(sheet, list(frame.columns))
        for n, column in enumerate(frame.columns, start=1):
            letter = get_column_letter(n)
            cells = [str(v) for v in frame[column] if not _missing(v)]
            width = max([len(headers[n - 1]), *(len(c) for c in cells)]) + 2
            page.column_dimensions[letter].width = min(width, _XLSX_MAX_WIDTH)
            if column in formats:
                for (cell,) in page.iter_rows(min_row=2, min_col=n, max_col=n):
                    cell.number_format = formats[column]
        page.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _number_formats(sheet: Sheet, columns: list[str]) -> dict[str, str]:
    formats = {}
    for f in sheet.fields:
        if f.name not in columns:
            continue
        if f.type is FieldType.DATE:
            formats[f.name] = "yyyy-mm-dd"
        elif f.type is FieldType.DATETIME:
            formats[f.name] = "yyyy-mm-dd hh:mm:ss"
        elif f.precision is not None:
            formats[f.name] = "0" if f.precision == 0 else "0." + "0" * f.precision
    return formats


def _cell(value: Any) -> Any:
    """A value openpyxl writes: Python scalars, None for missing."""
    if _missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False)
    return value
