"""Export → import → export of every layer as CSV and XLSX, on both stores.

The tables ``pasture export LAYER -o FILE.csv|.xlsx`` writes import again: shapes as
WKT in a ``geometry`` column, households and the census as plain tables. Importing an
unchanged export makes no new version, and exporting again gives the same content.
(GeoJSON, GeoPackage, zipped Shapefile and KML: ``tests/pasture/test_io.py``.)
"""

from __future__ import annotations

import io as bytes_io
from pathlib import Path

import openpyxl
import pytest

from pasture import io
from pasture.errors import InvalidInput
from pasture.model import LAYERS
from pasture.store import Store
from tests.pasture.test_io import assert_unchanged, fill_every_layer, snapshot

#: Dependency order (okrugs before unions before plots ...), as an import must go.
ALL_LAYERS = list(LAYERS)


def _content(path: Path) -> object:
    """What a table says: CSV's text; XLSX's cell values (its bytes hold write times)."""
    if path.suffix == ".csv":
        return path.read_text(encoding="utf-8-sig")
    book = openpyxl.load_workbook(bytes_io.BytesIO(path.read_bytes()), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_every_layer_survives_export_import_export_as_a_table(
    store: Store, tmp_path: Path, suffix: str
) -> None:
    fill_every_layer(store)
    first = {
        layer: io.export_layer(store, layer, tmp_path / "1" / f"{layer}{suffix}")
        for layer in ALL_LAYERS
    }
    before = snapshot(store)
    for layer in ALL_LAYERS:
        assert len(store.read(layer)) > 0, layer  # something to lose in every layer
        result = io.import_layer(store, layer, first[layer], user="t", mode="upsert").result
        assert result is not None
        assert (result.inserted, result.updated, result.deleted) == (0, 0, 0), layer
    assert_unchanged(store, before)
    for layer in ALL_LAYERS:
        again = io.export_layer(store, layer, tmp_path / "2" / f"{layer}{suffix}")
        assert _content(again) == _content(first[layer]), layer


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_table_export_fills_a_fresh_store_with_the_same_records(
    store: Store, tmp_path: Path, suffix: str
) -> None:
    """Into an empty store of the other kind: every layer's records and shapes come back."""
    import pasture

    fill_every_layer(store)
    files = {
        layer: io.export_layer(store, layer, tmp_path / f"{layer}{suffix}") for layer in ALL_LAYERS
    }
    with pasture.open_store(tmp_path / "other.gpkg") as other:
        for layer in ALL_LAYERS:
            io.import_layer(other, layer, files[layer], user="t")
        for layer in ALL_LAYERS:
            got = io.export_layer(other, layer, tmp_path / "other" / f"{layer}{suffix}")
            assert _content(got) == _content(files[layer]), layer


def test_bad_wkt_is_named_by_row_and_nothing_is_written(store: Store, tmp_path: Path) -> None:
    fill_every_layer(store)
    path = tmp_path / "water_points.csv"
    path.write_text(
        "id,kind,geometry\nw-2,well,POINT (77.45 43.35)\nw-3,well,POINT (77.45\n",
        encoding="utf-8",
    )
    before = snapshot(store)
    with pytest.raises(InvalidInput) as info:
        io.import_layer(store, "water_points", path, user="t")
    assert "row 3, field 'geometry': 'POINT (77.45' is not WKT" in str(info.value)
    assert_unchanged(store, before)
