"""Tables for people (pasture.io.tables): written for real, re-read by pandas and openpyxl."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import pasture
from pasture.cli import main
from pasture.errors import InvalidInput
from pasture.i18n import translator
from pasture.io.tables import COLUMN_TITLES, SHEET_TITLES, Sheet, fields_of, table_bytes
from pasture.model import ASSIGNMENTS, DEFICITS

# Rows as the planner stores them: timestamps, and deficits that are float noise
# (demand minus eaten) next to a real one.
DEFICIT_ROWS = pd.DataFrame(
    {
        "plan_id": ["p", "p", "p"],
        "union_id": ["u-a", "u-a", "u-b"],
        "period": [0, 1, 0],
        "start": pd.to_datetime(["2024-04-16", "2024-04-23", "2024-04-16"]),
        "deficit_kg": [6.1e-9, 1234.56, -3.0e-10],
        "sheep_units_to_move": [0.04, 12.345, None],
        "feed_kg_dm": [0.0, 1234.56, 0.0],
    }
)


def _sheet() -> Sheet:
    return Sheet("deficits", DEFICIT_ROWS, fields_of(list(DEFICIT_ROWS.columns), DEFICITS))


def test_csv_has_a_bom_iso_dates_and_no_float_noise() -> None:
    data = table_bytes([_sheet()], "csv")
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert "2024-04-16," in text and "00:00:00" not in text
    back = pd.read_csv(io.StringIO(text), parse_dates=["start"])
    assert back["deficit_kg"].tolist() == [0, 1235, 0]  # kg: whole kilograms
    assert (back["deficit_kg"] > 0).sum() == 1  # "deficit > 0" selects only the real one
    assert back["sheep_units_to_move"].tolist()[:2] == [0.0, 12.3]
    days = [date(2024, 4, 16), date(2024, 4, 23), date(2024, 4, 16)]
    assert back["start"].dt.date.tolist() == days


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_xlsx_has_dates_as_dates_titles_widths_and_a_frozen_header(lang: str) -> None:
    data = table_bytes([_sheet()], "xlsx", lang)
    book = openpyxl.load_workbook(io.BytesIO(data))
    t = translator(lang)
    page = book[t.gettext(SHEET_TITLES["deficits"])]
    headers = [c.value for c in page[1]]
    assert headers == [t.gettext(COLUMN_TITLES[c]) for c in DEFICIT_ROWS.columns]
    assert headers[4] == {"kk": "Тапшылық, кг", "ru": "Дефицит, кг"}[lang]
    assert page.freeze_panes == "A2"
    start = page.cell(row=2, column=4)
    assert start.value == datetime(2024, 4, 16) and start.number_format == "yyyy-mm-dd"
    assert [page.cell(row=r, column=5).value for r in (2, 3, 4)] == [0, 1235, 0]
    assert page.column_dimensions["A"].width >= len(headers[0])
    frame = pd.read_excel(io.BytesIO(data), sheet_name=page.title)
    assert pd.api.types.is_datetime64_any_dtype(frame[headers[3]])


def test_english_titles_and_column_names_without_a_language() -> None:
    data = table_bytes([_sheet()], "csv", "en")
    assert data.decode("utf-8-sig").splitlines()[0].startswith("Plan,Union,Period,Start")
    plain = table_bytes([_sheet()], "csv").decode("utf-8-sig").splitlines()[0]
    assert plain == ",".join(DEFICIT_ROWS.columns)


def test_every_title_is_in_the_catalogues() -> None:
    for lang in ("kk", "ru"):
        t = translator(lang)
        untranslated = [
            m
            for m in [*COLUMN_TITLES.values(), *SHEET_TITLES.values()]
            if m != "NDVI" and t.gettext(m) == m
        ]
        assert not untranslated, (lang, untranslated)


def test_several_sheets_and_unknown_format() -> None:
    rows = pd.DataFrame({"plan_id": ["p"], "start": ["2024-04-16"], "end": [None]})
    sheets = [_sheet(), Sheet("assignments", rows, fields_of(["start", "end"], ASSIGNMENTS))]
    book = openpyxl.load_workbook(io.BytesIO(table_bytes(sheets, "xlsx", "ru")))
    assert book.sheetnames == ["Дефициты", "Назначения"]
    assert book["Назначения"]["B2"].value == datetime(2024, 4, 16)
    assert book["Назначения"]["C2"].value is None
    with pytest.raises(InvalidInput, match="unknown table format 'ods'"):
        table_bytes(sheets, "ods")  # type: ignore[arg-type]


def test_cli_exports_a_result_table_of_a_store_in_kazakh(tmp_path: Path) -> None:
    """`pasture export load -o load.xlsx --lang kk` on a real store, re-read by pandas."""
    rows = pd.DataFrame(
        {
            "level": ["plot", "plot"],
            "group_id": ["p1", "p2"],
            "year": [2024, 2024],
            "season": ["spring", "summer"],
            "demand_kg": [1500.4, 2.0e-9],
            "stocking_ratio_central": [1.23456, 0.0],
            "status": ["overloaded", "underused"],
        }
    )
    with pasture.open_store(tmp_path / "s.gpkg", create=True) as store:
        store.replace_rows("load", rows)
    target = tmp_path / "load.xlsx"
    result = CliRunner().invoke(
        main,
        ["export", "load", "--store", str(tmp_path / "s.gpkg"), "-o", str(target), "--lang", "kk"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    back = pd.read_excel(target, sheet_name="Жүктеме")
    assert back["Қажеттілік, кг"].tolist() == [1500, 0]
    assert back["Жүктеме коэффициенті (орташа)"].tolist() == [1.23, 0.0]
