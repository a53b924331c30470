"""The whole-column checks of result tables give what the value-by-value checks give.

Result tables are checked a column at a time (half a million NDVI rows per run); any
column the fast path cannot vouch for goes value by value, which names the bad rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pasture.model import FieldType
from pasture.store.validation import _coerce, _coerce_column, _coerce_values

GOOD_COLUMNS = [
    (FieldType.REAL, pd.Series([0.5, np.nan, -3.0, 1e-9, 7.0])),
    (FieldType.REAL, pd.Series([1, 2, 3], dtype="int64")),
    (FieldType.REAL, pd.Series([1, None, 3], dtype="Int64")),
    (FieldType.INTEGER, pd.Series([1.0, np.nan, -4.0])),
    (FieldType.INTEGER, pd.Series([7, None], dtype="Int64")),
    (FieldType.DATE, pd.Series(pd.to_datetime(["2024-04-16", None, "1900-01-01"]))),
    (FieldType.TEXT, pd.Series([" p-1 ", None, "", "  ", "Ақши"])),
    (FieldType.TEXT, pd.Series(["a", "b", None], dtype="string")),
    (FieldType.SEASONS, pd.Series(["Summer, winter", None, "  ", "spring", "Summer, winter"])),
]


@pytest.mark.parametrize(("kind", "column"), GOOD_COLUMNS)
def test_whole_column_equals_value_by_value(kind: FieldType, column: pd.Series) -> None:
    fast = _coerce_column(kind, column)
    slow, bad = _coerce_values(kind, column)
    assert fast is not None, "the fast path should take this column"
    assert bad == []
    assert fast.tolist() == slow.tolist()
    # the same Python types, so both backends bind them alike
    assert [type(v) for v in fast] == [type(v) for v in slow]


BAD_COLUMNS = [
    (FieldType.REAL, pd.Series([1.0, np.inf]), 1, "finite"),
    (FieldType.INTEGER, pd.Series([1.0, 2.5]), 1, "whole"),
    (FieldType.DATE, pd.Series(pd.to_datetime(["2024-01-01", "1800-06-01"])), 1, "1900"),
    (FieldType.TEXT, pd.Series(["ok", "a\x00b"]), 1, "NUL"),
    (FieldType.SEASONS, pd.Series(["summer", "monsoon", "winter"]), 1, "monsoon"),
]


@pytest.mark.parametrize(("kind", "column", "row", "words"), BAD_COLUMNS)
def test_a_bad_value_is_named_by_its_row(
    kind: FieldType, column: pd.Series, row: int, words: str
) -> None:
    assert _coerce_column(kind, column) is None
    _, bad = _coerce(kind, column)
    assert [i for i, _ in bad] == [row]
    assert words in bad[0][1]


def test_history_of_a_bulk_insert_is_the_history_of_each_record() -> None:
    """The history documents built a column at a time equal the one-record form, as text."""
    import json

    import shapely

    from pasture.store.values import record_json, record_json_texts

    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "name": ["Жайлау", None, "x"],
            "elevation_m": [1200.5, np.nan, 3.0],
            "sheep": pd.array([4, None, 0], dtype=object),
            "seasons": ["summer", "winter,spring", "autumn"],
            "note": ['quote " back\\ tab\t \u2028', "", "%s %(x)s 100%"],
            # reals as validation leaves them: Python floats and None in an object column
            "real_obj": pd.Series([1.5, None, 0.1 + 0.2], dtype=object),
            "empty": pd.Series([None, None, None], dtype=object),
            "nan_only": [np.nan, np.nan, np.nan],
            "tiny": [1e-300, -0.0, 12345678901234567.0],
            "count": pd.Series([1, 2, 3], dtype="int64"),
            "flag": [True, False, None],
            "day": [pd.Timestamp("2024-04-16"), None, pd.Timestamp("1900-01-01")],
            "geometry": [shapely.box(0, 0, 1, 1), None, shapely.Point(1, 2)],
        }
    )
    fields = (
        "name",
        "elevation_m",
        "sheep",
        "seasons",
        "note",
        "tiny",
        "count",
        "flag",
        "day",
        "absent",
        "real_obj",
        "empty",
        "nan_only",
    )
    texts = record_json_texts(fields, frame, geometry=True)
    one_by_one = [
        json.dumps(
            record_json({f: row.get(f) for f in fields}, row["geometry"]),
            ensure_ascii=False,
            sort_keys=True,
        )
        for row in frame.to_dict("records")
    ]
    assert texts == one_by_one
    assert record_json_texts((), frame, geometry=False) == ['{"properties": {}}'] * 3


def test_geometries_are_flattened_and_wrapped_as_one_by_one() -> None:
    """The vectorised Z drop and multi wrap give what the one-geometry form gives."""
    import shapely

    from pasture.geometry import flat_promoted, promote

    geoms = [
        shapely.box(0, 0, 1, 1),
        shapely.Polygon([(0, 0, 5), (1, 0, 5), (1, 1, 5)]),
        shapely.MultiPolygon([shapely.box(2, 2, 3, 3)]),
        None,
        "not a geometry",
        shapely.Point(1, 2, 3),
    ]
    out = flat_promoted(geoms, "MULTIPOLYGON")
    expected = [
        promote(shapely.force_2d(g), "MULTIPOLYGON") if isinstance(g, shapely.Geometry) else g
        for g in geoms
    ]
    for got, want in zip(out, expected, strict=True):
        if isinstance(want, shapely.Geometry):
            assert got.geom_type == want.geom_type
            assert not got.has_z
            assert got.equals_exact(want, 0.0)
        else:
            assert got == want


def test_spliced_ewkb_equals_shapelys() -> None:
    """The SRID spliced into WKB for PostGIS's COPY is what shapely writes."""
    import shapely

    from pasture.store.postgis import _hex_ewkb

    geoms = [
        shapely.MultiPolygon([shapely.box(0, 0, 1, 1)]),
        shapely.Point(1, 2),
        None,
        shapely.Point(1, 2, 3),
        shapely.LineString([(0, 0), (1, 1)]),
        shapely.MultiPolygon(),
    ]
    wkb = list(shapely.to_wkb(np.array(geoms, dtype=object), byte_order=1, flavor="iso"))
    expected = [
        None
        if g is None
        else shapely.to_wkb(shapely.set_srid(g, 4326), hex=True, include_srid=True)
        for g in geoms
    ]
    assert _hex_ewkb(wkb) == expected


def test_gpkg_blobs_are_the_spec_header_and_wkb() -> None:
    """The headers laid out in one numpy array are the spec's, packed one by one."""
    import struct

    import shapely

    from pasture.geometry import encode_gpkg

    geoms = [shapely.box(0.5, -1, 2, 3.25), None, shapely.Polygon(), shapely.Point(1e-300, 7)]
    expected = [
        b"GP\x00\x03" + struct.pack("<i4d", 4326, 0.5, 2, -1, 3.25) + geoms[0].wkb,
        None,
        b"GP\x00\x11" + struct.pack("<i", 4326) + shapely.to_wkb(geoms[2], flavor="iso"),
        b"GP\x00\x03" + struct.pack("<i4d", 4326, 1e-300, 1e-300, 7, 7) + geoms[3].wkb,
    ]
    assert encode_gpkg(geoms) == expected


def test_required_values_missing_are_counted_per_column() -> None:
    from pasture.errors import InvalidInput
    from pasture.model import table
    from pasture.store.validation import normalise_table

    rows = pd.DataFrame(
        {
            "plot_id": ["a", None, "  ", "d"],  # blank text is missing too
            "time": pd.to_datetime(["2024-06-10", None, "2024-06-26", None]),
            "mean": [0.1, np.nan, np.nan, 0.4],  # not required
            "valid_fraction": [1.0, np.nan, 0.5, 1.0],
        }
    )
    with pytest.raises(InvalidInput) as refused:
        normalise_table(table("ndvi_stats"), rows, source="test")
    found = {p.field: p.message for p in refused.value.problems}
    assert found == {
        "plot_id": "2 row(s) have no value",
        "time": "2 row(s) have no value",
        "valid_fraction": "1 row(s) have no value",
    }
    whole = normalise_table(table("ndvi_stats"), rows.iloc[[0]], source="test")
    assert whole["time"].tolist() == ["2024-06-10"] and whole["scene_id"].tolist() == [None]
