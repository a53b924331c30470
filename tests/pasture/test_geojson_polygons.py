"""GeoJSON polygons built a column at a time equal shapely's ``shape`` of each feature."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import shape

from pasture.io import read_layer_file
from pasture.io.geojson_polygons import polygon_geometries

SQUARE = [[77.0, 43.0], [77.1, 43.0], [77.1, 43.1], [77.0, 43.1], [77.0, 43.0]]
HOLE = [[77.02, 43.02], [77.03, 43.02], [77.03, 43.03], [77.02, 43.02]]
FAR = [[[78, 44], [78.1, 44], [78.1, 44.1], [78, 44]]]  # integers among floats


def docs() -> list[Any]:
    return [
        {"type": "Polygon", "coordinates": [SQUARE]},
        None,
        {"type": "Polygon", "coordinates": [SQUARE, HOLE]},
        {"type": "MultiPolygon", "coordinates": [[SQUARE, HOLE], FAR]},
        {"type": "MultiPolygon", "coordinates": [FAR]},
    ]


def test_same_geometries_as_shape_feature_by_feature() -> None:
    # through JSON text, as a file gives them
    given = json.loads(json.dumps(docs()))
    got = polygon_geometries(given)
    assert got is not None and len(got) == len(given)
    for doc, geom in zip(given, got, strict=True):
        if doc is None:
            assert geom is None
            continue
        want = shape(doc)
        assert geom.geom_type == want.geom_type
        assert shapely.to_wkb(geom) == shapely.to_wkb(want)


@pytest.mark.parametrize(
    "odd",
    [
        {"type": "Polygon", "coordinates": [SQUARE[:-1]]},  # not closed
        {"type": "Polygon", "coordinates": [[SQUARE[0], SQUARE[1], SQUARE[0]]]},  # 3 points
        {"type": "Polygon", "coordinates": [[[math.nan, 43.0], *SQUARE[1:]]]},
        {"type": "Polygon", "coordinates": [[[math.inf, 43.0], *SQUARE[1:]]]},
        {"type": "Polygon", "coordinates": [[[*p, 500.0] for p in SQUARE]]},  # 3-D
        {"type": "Polygon", "coordinates": [[*SQUARE[:2], [77.1, 43.1, 5.0], *SQUARE[3:]]]},
        {"type": "Polygon", "coordinates": [[["77.0", "43.0"], *SQUARE[1:]]]},  # text
        {"type": "Polygon", "coordinates": []},
        {"type": "MultiPolygon", "coordinates": [[]]},
        {"type": "Point", "coordinates": [77.0, 43.0]},
        {"type": "GeometryCollection", "geometries": []},
        {"type": "Polygon"},
        "Polygon",
    ],
)
def test_anything_unusual_is_left_to_the_feature_by_feature_reader(odd: Any) -> None:
    assert polygon_geometries([docs()[0], odd]) is None


def test_no_polygons_at_all() -> None:
    assert polygon_geometries([None, None]) is None
    assert polygon_geometries([]) is None


def test_result_is_an_object_array_in_file_order() -> None:
    got = polygon_geometries(docs())
    assert isinstance(got, np.ndarray) and got.dtype == object
    assert [g.geom_type if g is not None else None for g in got] == [
        "Polygon",
        None,
        "Polygon",
        "MultiPolygon",
        "MultiPolygon",
    ]


def test_a_crs84_file_is_read_without_moving_a_vertex(tmp_path: Path) -> None:
    # GDAL names OGC:CRS84 in the GeoJSON it writes: lon/lat, the same as EPSG:4326
    features = [
        {"type": "Feature", "properties": {"id": f"p{i}"}, "geometry": doc}
        for i, doc in enumerate(docs())
        if doc is not None
    ]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    path = tmp_path / "crs84.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "crs": crs, "features": features}))
    frame = read_layer_file(path, "plots")
    assert frame.crs is not None and frame.crs.equals(CRS(4326))
    for feature, geom in zip(features, frame.geometry, strict=True):
        assert shapely.to_wkb(geom) == shapely.to_wkb(shape(feature["geometry"]))
