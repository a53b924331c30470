"""Tests of pasture.io: bad files are refused with a clear error and nothing written; round trips.

Every bad file is written for real into ``tmp_path`` and imported into a filled
store of each backend; the test checks that the error names the file, the
feature and what to fix, and that no layer and no history entry changed.
"""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import psycopg
import pyogrio
import pytest
import shapely
from psycopg import sql
from pyproj import Transformer
from shapely.geometry import LineString, Point, box, mapping
from shapely.geometry.base import BaseGeometry

import pasture
from pasture import io
from pasture.errors import AlreadyExists, InvalidInput, NotFound
from pasture.model import LAYERS, SPECIES
from pasture.store import Store, WriteResult
from tests.pasture import factories
from tests.pasture.factories import X0, Y0

# A free spot: in okrug ok-b, east of union u-a and away from every factory plot.
X, Y = X0 + 0.30, Y0 + 0.10
D = 0.01
GEOMETRY_LAYERS = [name for name, spec in LAYERS.items() if spec.geometry_type]
# shapely warns while it builds a ring holding NaN; the record checks report NaN themselves.
IGNORE_NAN_RING_WARNING = pytest.mark.filterwarnings(
    "ignore:invalid value encountered in linearrings:RuntimeWarning"
)


# ----------------------------------------------------------------------------- helpers
@dataclass(frozen=True)
class Snapshot:
    """Every layer (geometry as WKB hex), the history's key columns and the settings."""

    frames: dict[str, pd.DataFrame]
    history: pd.DataFrame
    meta: dict[str, str]


def snapshot(store: Store) -> Snapshot:
    frames = {}
    for name in LAYERS:
        frame = store.read(name)
        frames[name] = frame.to_wkb(hex=True) if isinstance(frame, gpd.GeoDataFrame) else frame
    history = store.history()[["seq", "layer", "record_id", "action", "version"]]
    return Snapshot(frames, history, store.meta())


def assert_unchanged(store: Store, before: Snapshot) -> None:
    after = snapshot(store)
    assert len(before.history) > 0, "fill the store first so that there is something to lose"
    for name, frame in before.frames.items():
        pd.testing.assert_frame_equal(after.frames[name], frame, obj=name)
    pd.testing.assert_frame_equal(after.history, before.history, obj="history")
    assert after.meta == before.meta


def assert_refused(
    store: Store,
    layer: str,
    path: Path,
    *,
    match: str,
    feature: str | None = None,
    at: tuple[float, float] | None = None,
    **options: object,
) -> InvalidInput:
    """Import ``path`` and check the InvalidInput names file, feature and fix; nothing written."""
    before = snapshot(store)
    with pytest.raises(InvalidInput) as info:
        if layer == "census":
            io.import_census(store, path, user="t")
        else:
            io.import_layer(store, layer, path, user="t", **options)  # type: ignore[arg-type]
    error = info.value
    message = str(error)
    assert error.source == str(path)
    assert message.startswith(f"{path}: "), message
    assert "nothing was written" in message
    assert re.search(match, message), f"{match!r} not in {message!r}"
    if feature is not None:
        assert any(p.feature is not None and feature in p.feature for p in error.problems), message
        assert feature in message
    if at is not None:
        located = [p.location for p in error.problems if p.location is not None]
        assert located, message
        assert located[0] == pytest.approx(at, abs=1e-9)
        assert f"at {at[0]:.6f} {at[1]:.6f}" in message
    assert_unchanged(store, before)
    return error


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def square(x: float = X, y: float = Y, d: float = D) -> dict:
    return mapping(box(x, y, x + d, y + d))


def plot_feature(fid: str | None, geometry: dict | None, **props: object) -> dict:
    properties = {"okrug_id": "ok-b", "seasons": "summer", "pasture_type": "steppe", **props}
    if fid is not None:
        properties["id"] = fid
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def collection(*features: dict, **members: object) -> str:
    # json.dumps writes float("nan") as the bare NaN literal, as some GIS tools do
    return json.dumps({"type": "FeatureCollection", **members, "features": list(features)})


def geojson(tmp_path: Path, *features: dict, name: str = "bad.geojson", **members: object) -> Path:
    return write(tmp_path / name, collection(*features, **members))


def plots_frame(ids: list[str], geoms: list[BaseGeometry]) -> gpd.GeoDataFrame:
    """Plots with Shapefile-short column names (pasture_t), as a Shapefile would hold them."""
    n = len(ids)
    return gpd.GeoDataFrame(
        {
            "id": ids,
            "okrug_id": ["ok-b"] * n,
            "seasons": ["summer"] * n,
            "pasture_t": ["steppe"] * n,
        },
        geometry=geoms,
        crs=4326,
    )


def zipped_shapefile(tmp_path: Path, *, with_prj: bool = True, name: str = "plots.zip") -> Path:
    folder = tmp_path / "shapefile"
    folder.mkdir(exist_ok=True)
    pyogrio.write_dataframe(plots_frame(["z1"], [box(X, Y, X + D, Y + D)]), folder / "plots.shp")
    assert (folder / "plots.prj").exists()
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for part in sorted(folder.iterdir()):
            if with_prj or part.suffix != ".prj":
                archive.write(part, part.name)
    return path


def truncated(path: Path, fraction: float = 0.5) -> Path:
    data = path.read_bytes()
    cut = path.with_name(f"cut-{path.name}")
    cut.write_bytes(data[: int(len(data) * fraction)])
    return cut


def as_multi(geom: BaseGeometry) -> BaseGeometry:
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    if geom.geom_type == "LineString":
        return shapely.MultiLineString([geom])
    return geom


def assert_same_geometries(got: object, want: object, tolerance: float = 1e-7) -> None:
    got, want = list(got), list(want)  # type: ignore[call-overload]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        g, w = shapely.normalize(as_multi(g)), shapely.normalize(as_multi(w))
        assert shapely.equals_exact(g, w, tolerance=tolerance), f"{g.wkt} != {w.wkt}"


def kml(*placemarks: str, doctype: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"{doctype}"
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>\n'
        + "\n".join(placemarks)
        + "\n</Document></kml>\n"
    )


def kml_plot(name: str, geom: BaseGeometry, *, placemark_id: str | None = None) -> str:
    ring = " ".join(f"{x!r},{y!r}" for x, y in geom.exterior.coords)
    attr = f' id="{placemark_id}"' if placemark_id else ""
    data = "".join(
        f'<Data name="{k}"><value>{v}</value></Data>'
        for k, v in {"okrug_id": "ok-b", "seasons": "summer", "pasture_type": "steppe"}.items()
    )
    return (
        f"<Placemark{attr}><name>{name}</name><ExtendedData>{data}</ExtendedData>"
        f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates>"
        "</LinearRing></outerBoundaryIs></Polygon></Placemark>"
    )


@pytest.fixture
def filled(store: Store) -> Store:
    factories.fill(store)
    return store


@pytest.fixture(scope="module", params=["geopackage", "postgis"])
def shared_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Store, Snapshot]]:
    """One filled store per backend for the tests that must write nothing.

    A fresh PostGIS database costs about a second, and most refusals never reach
    the store; sharing one store keeps the file well under a minute. Each test
    still compares the store before and after, and :func:`refusing` checks that
    no earlier test left anything behind.
    """
    if request.param == "geopackage":
        with pasture.open_store(tmp_path_factory.mktemp("shared") / "store.gpkg") as store:
            factories.fill(store)
            yield store, snapshot(store)
        return
    admin_url = request.getfixturevalue("pg_admin_url")  # skips (or fails in CI) without a server
    name = f"pasture_test_io_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with pasture.open_store(_database_url(admin_url, name)) as store:
            factories.fill(store)
            yield store, snapshot(store)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _database_url(admin_url: str, dbname: str) -> str:
    """The admin URL pointed at another database (as tests/conftest.py builds it)."""
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    password = f":{info['password']}" if info.get("password") else ""
    user, host, port = (
        info.get("user", "postgres"),
        info.get("host", "127.0.0.1"),
        info.get("port", 5432),
    )
    return f"postgresql://{user}{password}@{host}:{port}/{dbname}"


@pytest.fixture
def refusing(shared_store: tuple[Store, Snapshot]) -> Store:
    """The shared filled store, checked to be as filled: no earlier test wrote to it."""
    store, pristine = shared_store
    try:
        assert_unchanged(store, pristine)
    except AssertionError as exc:
        pytest.fail(f"an earlier test wrote to the shared store {store.url}: {exc}")
    return store


def fill_every_layer(store: Store) -> None:
    """The factories' store plus a water point and a route, so every layer has records."""
    factories.fill(store)
    store.write(
        "water_points",
        gpd.GeoDataFrame(
            {"id": ["w1"], "name": ["Well 1"], "kind": ["well"], "capacity_m3_day": [12.5]},
            geometry=[Point(X0 + 0.05, Y0 + 0.05)],
            crs=4326,
        ),
        user="tester",
    )
    store.write(
        "routes",
        gpd.GeoDataFrame(
            {"id": ["r1"], "name": ["Spring drove"], "seasons": ["spring,autumn"]},
            geometry=[LineString([(X0, Y0), (X0 + 0.1, Y0 + 0.05), (X0 + 0.2, Y0 + 0.1)])],
            crs=4326,
        ),
        user="tester",
    )


# ----------------------------------------------------------------------------- bad layer files
def _bow_tie(tmp_path: Path) -> Path:
    ring = [[X, Y], [X + D, Y + D], [X + D, Y], [X, Y + D], [X, Y]]
    return geojson(tmp_path, plot_feature("bow", {"type": "Polygon", "coordinates": [ring]}))


def _unclosed_ring(tmp_path: Path) -> Path:
    text = (
        '{"type": "FeatureCollection", "features": [{"type": "Feature",'
        ' "properties": {"id": "open", "okrug_id": "ok-b", "seasons": "summer", "pasture_type": "steppe"},'
        ' "geometry": {"type": "Polygon", "coordinates": [[[77.7, 43.4], [77.71, 43.4], [77.71, 43.41], [77.7, 43.41]]]}}]}'
    )
    return write(tmp_path / "bad.geojson", text)


def _nan_vertex(*, at_ends: bool) -> Callable[[Path], Path]:
    nan = float("nan")

    def make(tmp_path: Path) -> Path:
        if at_ends:
            ring = [[nan, nan], [X + D, Y], [X + D, Y + D], [X, Y + D], [nan, nan]]
        else:
            ring = [[X, Y], [nan, Y], [X + D, Y + D], [X, Y + D], [X, Y]]
        path = geojson(tmp_path, plot_feature("nan", {"type": "Polygon", "coordinates": [ring]}))
        assert "NaN" in path.read_text()
        return path

    return make


def _utm_without_crs(tmp_path: Path) -> Path:
    to_utm = Transformer.from_crs(4326, 32643, always_xy=True)
    utm = shapely.transform(box(X, Y, X + D, Y + D), to_utm.transform, interleaved=False)
    return geojson(tmp_path, plot_feature("utm", mapping(utm)))


def _gpkg(tmp_path: Path) -> Path:
    path = tmp_path / "plots.gpkg"
    pyogrio.write_dataframe(plots_frame(["g1"], [box(X, Y, X + D, Y + D)]), path, layer="plots")
    return path


def _gpkg_without_geometry(tmp_path: Path) -> Path:
    path = tmp_path / "table.gpkg"
    frame = pd.DataFrame({"id": ["t1"], "okrug_id": ["ok-b"], "seasons": ["summer"]})
    pyogrio.write_dataframe(frame, path, layer="plots")
    return path


_BILLION_LAUGHS = (
    '<!DOCTYPE kml [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>\n'
)
_EXTERNAL_ENTITY = '<!DOCTYPE kml [<!ENTITY secret SYSTEM "file:///etc/hostname">]>\n'


@dataclass(frozen=True)
class Bad:
    """A bad file for ``layer``: how to write it and what the error must say."""

    write: Callable[[Path], Path]
    match: str
    feature: str | None = None
    layer: str = "plots"
    at: tuple[float, float] | None = None


BAD_FILES = [
    # invalid geometry
    pytest.param(
        Bad(
            _bow_tie,
            r"Self-intersection.*import with repair",
            "(id 'bow')",
            at=(X + D / 2, Y + D / 2),
        ),
        id="bow-tie",
    ),
    pytest.param(
        Bad(
            _unclosed_ring,
            re.escape("ring 1 is not closed: it starts at 77.7 43.4 and ends at 77.7 43.41"),
            "(id 'open')",
        ),
        id="unclosed-ring",
    ),
    pytest.param(
        Bad(_nan_vertex(at_ends=False), r"NaN or infinite coordinates", "(id 'nan')"),
        id="nan-vertex",
        marks=IGNORE_NAN_RING_WARNING,
    ),
    pytest.param(
        Bad(_nan_vertex(at_ends=True), r"NaN or infinite coordinates", "(id 'nan')"),
        id="nan-first-and-last-vertex",
        marks=[
            IGNORE_NAN_RING_WARNING,
        ],
    ),
    pytest.param(
        Bad(
            lambda p: geojson(p, plot_feature("empty", {"type": "Polygon", "coordinates": []})),
            r"geometry is missing or empty",
            "(id 'empty')",
        ),
        id="empty-geometry",
    ),
    pytest.param(
        Bad(
            lambda p: geojson(p, plot_feature("none", None)),
            r"geometry is missing or empty",
            "(id 'none')",
        ),
        id="null-geometry",
    ),
    # wrong geometry type
    pytest.param(
        Bad(
            lambda p: geojson(p, plot_feature("pt", mapping(Point(X, Y)))),
            r"geometry is a Point; plots need MULTIPOLYGON or POLYGON",
            "(id 'pt')",
        ),
        id="point-for-plots",
    ),
    pytest.param(
        Bad(
            lambda p: geojson(
                p,
                {
                    "type": "Feature",
                    "properties": {"id": "wp", "kind": "well"},
                    "geometry": square(),
                },
            ),
            r"geometry is a Polygon; water_points need POINT",
            "(id 'wp')",
            layer="water_points",
        ),
        id="polygon-for-water-points",
    ),
    # missing or wrong CRS
    pytest.param(
        Bad(lambda p: zipped_shapefile(p, with_prj=False), r"no \.prj.*add the \.prj file"),
        id="shapefile-without-prj",
    ),
    pytest.param(
        Bad(
            _utm_without_crs,
            r"not longitude/latitude \(projected\?\); give the file its CRS",
            "(id 'utm')",
        ),
        id="projected-geojson-without-crs",
    ),
    pytest.param(
        Bad(
            lambda p: geojson(
                p,
                plot_feature("c", square()),
                crs={"type": "name", "properties": {"name": "EPSG:999999"}},
            ),
            r"unknown CRS 'EPSG:999999'.*use lon/lat",
        ),
        id="geojson-unknown-crs",
    ),
    # ids
    pytest.param(
        Bad(
            lambda p: geojson(
                p, plot_feature("d1", square()), plot_feature("d1", square(x=X + 2 * D))
            ),
            r"id 'd1' is used by 2 records; ids must be unique",
        ),
        id="duplicate-ids-in-file",
    ),
    # truncated and non-spatial files
    pytest.param(
        Bad(
            lambda p: write(p / "bad.geojson", collection(plot_feature("h", square()))[:70]),
            r"not valid JSON \(truncated\?\) at line 1 column",
        ),
        id="geojson-cut-in-half",
    ),
    pytest.param(
        Bad(
            lambda p: truncated(_gpkg(p)),
            r"cannot read it as a spatial file \(truncated or not this format\?\)",
        ),
        id="gpkg-truncated",
    ),
    pytest.param(
        Bad(lambda p: truncated(zipped_shapefile(p)), r"not a valid ZIP archive \(truncated\?\)"),
        id="zip-cut-short",
    ),
    pytest.param(
        Bad(
            lambda p: write(p / "notes.geojson", "Plot 1 is north of the river.\n"),
            r"not valid JSON",
        ),
        id="text-named-geojson",
    ),
    pytest.param(
        Bad(
            lambda p: write(p / "image.geojson", b"\x89PNG\r\n\x1a\n\x00\xff\xfe"),
            r"not a text file; GeoJSON must be UTF-8 JSON",
        ),
        id="binary-named-geojson",
    ),
    pytest.param(
        Bad(
            lambda p: write(p / "list.geojson", "[1, 2, 3]"),
            r"not GeoJSON: the top level must be a FeatureCollection",
        ),
        id="json-not-geojson",
    ),
    pytest.param(
        Bad(
            lambda p: write(p / "plots.csv", "id,okrug_id,seasons\nc1,ok-b,summer\n"),
            # a table holds points (lon, lat) at most; plots need their shapes
            r"plots need shapes; import them from GeoJSON, GeoPackage",
        ),
        id="csv-as-plots",
    ),
    pytest.param(
        Bad(_gpkg_without_geometry, r"no geometry column; it is not a spatial layer"),
        id="gpkg-layer-without-geometry",
    ),
    pytest.param(
        Bad(
            lambda p: geojson(p, plot_feature("x", square())),
            r"households have no geometry; import them from CSV",
            layer="households",
        ),
        id="households-from-geojson",
    ),
    # unsafe XML
    pytest.param(
        Bad(
            lambda p: write(
                p / "bomb.kml",
                kml(kml_plot("&c;", box(X, Y, X + D, Y + D)), doctype=_BILLION_LAUGHS),
            ),
            r"DTD or entities, which are refused",
        ),
        id="kml-entity-expansion",
    ),
    pytest.param(
        Bad(
            lambda p: write(
                p / "xxe.kml",
                kml(kml_plot("&secret;", box(X, Y, X + D, Y + D)), doctype=_EXTERNAL_ENTITY),
            ),
            r"DTD or entities, which are refused",
        ),
        id="kml-external-entity",
    ),
    pytest.param(
        Bad(
            lambda p: truncated(
                write(p / "plots.kml", kml(kml_plot("k1", box(X, Y, X + D, Y + D))))
            ),
            r"not well-formed XML \(truncated\?\)",
        ),
        id="kml-cut-in-half",
    ),
    # unknown suffix
    pytest.param(
        Bad(
            lambda p: write(p / "plots.shp", b"\x00\x00\x27\x0a"),
            r"unknown file type '\.shp'; use one of .*\.zip \(zipped Shapefile\)",
        ),
        id="unknown-suffix",
    ),
]


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_file_is_refused_naming_file_and_feature_and_nothing_is_written(
    refusing: Store, tmp_path: Path, case: Bad
) -> None:
    path = case.write(tmp_path)
    assert_refused(refusing, case.layer, path, match=case.match, feature=case.feature, at=case.at)


def test_feature_without_id_is_refused(filled: Store, tmp_path: Path) -> None:
    """Not in the shared-store table: on PostGIS this import currently writes."""
    path = geojson(tmp_path, plot_feature("a1", square()), plot_feature(None, square(x=X + 2 * D)))
    error = assert_refused(filled, "plots", path, match=r"\bid\b", feature="#2")
    assert "id" in {p.field for p in error.problems}


@pytest.mark.parametrize(
    ("layer", "name"), [("plots", "missing.geojson"), ("census", "missing.csv")]
)
def test_missing_file_is_not_found(refusing: Store, tmp_path: Path, layer: str, name: str) -> None:
    path = tmp_path / name
    before = snapshot(refusing)
    with pytest.raises(NotFound, match=re.escape(f"{path}: no such file")):
        io.import_layer(refusing, layer, path, user="t")
    assert_unchanged(refusing, before)


def test_repair_fixes_a_bow_tie_and_reports_it(filled: Store, tmp_path: Path) -> None:
    path = _bow_tie(tmp_path)
    report = io.import_layer(filled, "plots", path, user="t", repair=True)
    assert report.result == WriteResult("plots", 1, 0, 0)
    assert len(report.repaired) == 1
    assert report.repaired[0].startswith("#1 (id 'bow'): Self-intersection")
    stored = filled.get("plots", "bow").geometry
    assert stored is not None and stored.is_valid and stored.geom_type == "MultiPolygon"
    # the two triangles of the bow-tie, each a quarter of the square
    assert len(stored.geoms) == 2
    assert stored.area == pytest.approx(D * D / 2, rel=1e-9)
    assert stored.bounds == pytest.approx((X, Y, X + D, Y + D), abs=1e-12)


def test_repair_leaves_valid_geometries_alone(filled: Store, tmp_path: Path) -> None:
    path = geojson(tmp_path, plot_feature("ok", square()))
    report = io.import_layer(filled, "plots", path, user="t", repair=True)
    assert report.repaired == []
    assert filled.get("plots", "ok").geometry.equals(
        shapely.MultiPolygon([box(X, Y, X + D, Y + D)])
    )


@IGNORE_NAN_RING_WARNING
def test_repair_does_not_hide_nan_coordinates(refusing: Store, tmp_path: Path) -> None:
    assert_refused(
        refusing, "plots", _nan_vertex(at_ends=False)(tmp_path), match="NaN", repair=True
    )


def test_projected_geojson_with_its_crs_is_reprojected(filled: Store, tmp_path: Path) -> None:
    """The control for the missing-CRS case: the same UTM file naming its CRS imports."""
    path = _utm_without_crs(tmp_path)
    doc = json.loads(path.read_text())
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32643"}}
    path.write_text(json.dumps(doc))
    io.import_layer(filled, "plots", path, user="t")
    assert_same_geometries([filled.get("plots", "utm").geometry], [box(X, Y, X + D, Y + D)])


def test_zipped_shapefile_with_prj_imports(filled: Store, tmp_path: Path) -> None:
    """The control for the missing-.prj case: the same archive with its .prj imports."""
    report = io.import_layer(filled, "plots", zipped_shapefile(tmp_path), user="t")
    assert report.result == WriteResult("plots", 1, 0, 0)
    record = filled.get("plots", "z1")
    assert record.properties["pasture_type"] == "steppe"  # read back from the short name
    assert_same_geometries([record.geometry], [box(X, Y, X + D, Y + D)])


def test_feature_outside_the_region_is_refused(filled: Store, tmp_path: Path) -> None:
    filled.set_region(box(X0 - 0.5, Y0 - 0.5, X0 + 1.0, Y0 + 1.0))
    far = geojson(tmp_path, plot_feature("paris", square(x=2.35, y=48.85)), name="far.geojson")
    error = assert_refused(
        filled, "plots", far, match=r"lies outside the district's region", feature="(id 'paris')"
    )
    # the location is one of the plot's corners, written into the message
    corners = list(box(2.35, 48.85, 2.35 + D, 48.85 + D).exterior.coords)
    location = error.problems[0].location
    assert location is not None
    assert any(location == pytest.approx(c, abs=1e-9) for c in corners), location
    assert f"at {location[0]:.6f} {location[1]:.6f}" in str(error)
    # a plot inside the region is still welcome
    near = geojson(tmp_path, plot_feature("near", square()), name="near.geojson")
    assert io.import_layer(filled, "plots", near, user="t").result == WriteResult("plots", 1, 0, 0)


def test_id_already_stored_is_refused_in_append_mode(filled: Store, tmp_path: Path) -> None:
    path = geojson(tmp_path, plot_feature("p1", square()))
    before = snapshot(filled)
    with pytest.raises(AlreadyExists) as info:
        io.import_layer(filled, "plots", path, user="t")
    message = str(info.value)
    assert message.startswith(f"{path}: 1 id(s) already stored in plots")
    assert "'p1'" in message and "upsert" in message
    assert_unchanged(filled, before)
    # upsert is the way to update it
    report = io.import_layer(filled, "plots", path, user="t", mode="upsert")
    assert report.result == WriteResult("plots", 0, 1, 0)
    assert filled.get("plots", "p1").version == 2


# (features, what the error says, feature named, option that allows it)
TOPOLOGY = [
    pytest.param(
        [plot_feature("wide", square(x=X0 + 0.19, d=0.02), union_id="u-a")],
        r"lies partly outside the boundary of union 'u-a'; fix the plot or allow it explicitly",
        "(id 'wide')",
        "allow_outside_union",
        id="outside-its-union",
    ),
    pytest.param(
        [plot_feature("ov", square(x=X0 + 0.01, y=Y0 + 0.01))],
        r"overlaps plot 'p0'; fix the boundaries or allow overlaps explicitly at 77\.41",
        "(id 'ov')",
        "allow_overlap",
        id="overlaps-a-stored-plot",
    ),
    pytest.param(
        [
            plot_feature("o1", square(d=0.02)),
            plot_feature("o2", square(x=X + 0.01, y=Y + 0.01, d=0.02)),
        ],
        r"overlaps plot 'o2'; fix the boundaries or allow overlaps explicitly",
        "(id 'o1')",
        "allow_overlap",
        id="overlaps-a-plot-in-the-file",
    ),
]


@pytest.mark.parametrize(("features", "match", "feature", "allow"), TOPOLOGY)
def test_plot_topology_is_refused_unless_allowed(
    filled: Store, tmp_path: Path, features: list[dict], match: str, feature: str, allow: str
) -> None:
    path = geojson(tmp_path, *features)
    assert_refused(filled, "plots", path, match=match, feature=feature)
    report = io.import_layer(filled, "plots", path, user="t", **{allow: True})  # type: ignore[arg-type]
    assert report.result == WriteResult("plots", len(features), 0, 0)
    for f in features:
        assert filled.get("plots", f["properties"]["id"]).version == 1


def test_plot_touching_its_neighbours_is_not_an_overlap(filled: Store, tmp_path: Path) -> None:
    """p3 ends at X0 + 0.16; a plot sharing that edge is fine (the check can pass)."""
    path = geojson(tmp_path, plot_feature("p4", square(x=X0 + 0.16, y=Y0, d=0.04)))
    assert io.import_layer(filled, "plots", path, user="t").result == WriteResult("plots", 1, 0, 0)


# ----------------------------------------------------------------------------- KML
def test_kml_written_by_hand_imports(filled: Store, tmp_path: Path) -> None:
    geom = box(X, Y, X + D, Y + D)
    path = write(tmp_path / "plots.kml", kml(kml_plot("k1", geom, placemark_id="k1")))
    report = io.import_layer(filled, "plots", path, user="t")
    assert report.result == WriteResult("plots", 1, 0, 0)
    record = filled.get("plots", "k1")
    assert (record.properties["okrug_id"], record.properties["seasons"]) == ("ok-b", "summer")
    assert_same_geometries([record.geometry], [geom])


def test_kml_placemarks_without_id_attribute_take_their_name_as_id(
    filled: Store, tmp_path: Path
) -> None:
    geom = box(X, Y, X + D, Y + D)
    path = write(tmp_path / "plots.kml", kml(kml_plot("k1", geom)))
    io.import_layer(filled, "plots", path, user="t")
    assert_same_geometries([filled.get("plots", "k1").geometry], [geom])


def test_kml_written_with_pyogrio_imports_with_names_as_ids(filled: Store, tmp_path: Path) -> None:
    geom = box(X, Y, X + D, Y + D)
    frame = gpd.GeoDataFrame(
        {"Name": ["k1"], "okrug_id": ["ok-b"], "seasons": ["summer"], "pasture_type": ["steppe"]},
        geometry=[geom],
        crs=4326,
    )
    path = tmp_path / "plots.kml"
    pyogrio.write_dataframe(frame, path, driver="KML")
    report = io.import_layer(filled, "plots", path, user="t")
    assert report.result == WriteResult("plots", 1, 0, 0)
    assert_same_geometries([filled.get("plots", "k1").geometry], [geom])


# ----------------------------------------------------------------------------- census CSV
CENSUS_HEADER = "household_id,household_name,union_id,date,sheep,goats,cattle,horses,camels\n"


def _census_row(*, sheep: str = "5", union: str = "u-a", date: str = "2025-06-01") -> str:
    return CENSUS_HEADER + f"hh3,Household Three,{union},{date},{sheep},1,0,2,0\n"


# Each bad file also holds a new, valid household (hh3): that it is not written
# either shows that households and counts go in one transaction.
BAD_CENSUS = [
    pytest.param(
        _census_row(sheep="-5"),
        r"negative count -5",
        "(id 'hh3/2025-06-01')",
        "sheep",
        id="negative",
    ),
    pytest.param(
        _census_row(sheep="2.5"),
        r"'2\.5' is not a whole number",
        "(id 'hh3/2025-06-01')",
        "sheep",
        id="fractional",
    ),
    pytest.param(
        _census_row(sheep="1000000"),
        r"1000000 head is beyond the plausible 20000 per record; check the figure",
        "(id 'hh3/2025-06-01')",
        "sheep",
        id="absurd",
    ),
    pytest.param(
        "household_id,union_id,date,sheep,pigs\nhh3,u-a,2025-06-01,5,3\n",
        r"unknown column 'pigs': not a species we count; species are sheep, goats",
        None,
        "pigs",
        id="unknown-species",
    ),
    pytest.param(
        _census_row(union="u-zz"),
        r"unknown union 'u-zz'; import the unions first",
        "(id 'hh3",
        "union_id",
        id="unknown-union",
    ),
    pytest.param(
        "household_id,union_id,sheep\nhh3,u-a,5\n",
        r"required column 'date' is missing",
        None,
        "date",
        id="no-date-column",
    ),
]


# These are stored today, so each gets a fresh store rather than the shared one.
BAD_CENSUS_DATES = [
    pytest.param(
        _census_row(date="June"),
        r"'June' is not a date; write it as YYYY-MM-DD",
        "(id 'hh3/June')",
        "date",
        id="date-without-year",
    ),
    pytest.param(
        _census_row(date="01.06.2025"),
        r"'01\.06\.2025' is not a date; write it as YYYY-MM-DD",
        "(id 'hh3/01.06.2025')",
        "date",
        id="date-day-first",
    ),
]


@pytest.mark.parametrize(("text", "match", "feature", "field"), BAD_CENSUS)
def test_bad_census_is_refused_and_nothing_is_written(
    refusing: Store, tmp_path: Path, text: str, match: str, feature: str | None, field: str
) -> None:
    path = write(tmp_path / "census.csv", text)
    error = assert_refused(refusing, "census", path, match=match, feature=feature)
    assert field in {p.field for p in error.problems}


@pytest.mark.parametrize(("text", "match", "feature", "field"), BAD_CENSUS_DATES)
def test_census_date_that_is_not_iso_is_refused(
    filled: Store, tmp_path: Path, text: str, match: str, feature: str | None, field: str
) -> None:
    path = write(tmp_path / "census.csv", text)
    error = assert_refused(filled, "census", path, match=match, feature=feature)
    assert field in {p.field for p in error.problems}


def test_good_census_imports_households_and_counts(filled: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "census-2025-06.csv",
        CENSUS_HEADER
        + "hh3,Household Three,u-a,2025-06-01,5,1,0,2,0\n"
        + "hh1,Household One,u-a,2025-06-01,41,5,3,1,0\n",
    )
    n_history = len(filled.history())
    report = io.import_layer(filled, "census", path, user="t")
    assert report.layer == "census"
    assert report.result == WriteResult("census", 2, 0, 0)
    households = filled.read("households").set_index("id")
    assert households.loc["hh3", ["name", "union_id"]].tolist() == ["Household Three", "u-a"]
    # hh1 is unchanged (same name and union): no new version, no history entry
    assert households.loc["hh1", ["name", "version"]].tolist() == ["Household One", 1]
    census = filled.read("census").set_index("id")
    assert census.loc["hh3/2025-06-01", list(SPECIES)].tolist() == [5, 1, 0, 2, 0]
    assert census.loc["hh1/2025-06-01", list(SPECIES)].tolist() == [41, 5, 3, 1, 0]
    assert census.loc["hh1/2025-06-01", "date"] == pd.Timestamp("2025-06-01")
    assert census.loc["hh1/2025-06-01", "source"] == "census-2025-06.csv"
    new = filled.history().iloc[n_history:]
    assert sorted(zip(new["layer"], new["record_id"], new["action"], strict=True)) == [
        ("census", "hh1/2025-06-01", "insert"),
        ("census", "hh3/2025-06-01", "insert"),
        ("households", "hh3", "insert"),
    ]


def test_census_without_names_keeps_the_stored_household_names(
    filled: Store, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "counts.csv", "household_id,union_id,date,sheep\nhh1,u-a,2025-06-01,42\n"
    )
    io.import_census(filled, path, user="t")
    assert filled.get("census", "hh1/2025-06-01").properties["sheep"] == 42
    assert filled.get("households", "hh1").properties["name"] == "Household One"


# ----------------------------------------------------------------------------- round trips
EXPORTS = [
    pytest.param(".geojson", id="geojson"),
    pytest.param(".gpkg", id="gpkg"),
    pytest.param(".zip", id="shapefile"),
    pytest.param(
        ".kml",
        id="kml",
    ),
]


@pytest.mark.parametrize("suffix", EXPORTS)
def test_export_reads_back_with_gdal(store: Store, tmp_path: Path, suffix: str) -> None:
    fill_every_layer(store)
    for layer in GEOMETRY_LAYERS:
        original = store.read(layer)
        assert len(original) > 0
        path = io.export_layer(store, layer, tmp_path / f"{layer}{suffix}")
        back = pyogrio.read_dataframe(path)
        assert back.crs is not None and back.crs.to_epsg() == 4326, (layer, back.crs)
        assert len(back) == len(original), layer
        # GDAL reads the ExtendedData id of a KML as "id2": "id" is the placemark's XML id
        ids = back["id2"] if suffix == ".kml" else back["id"]
        assert list(ids) == list(original["id"]), layer
        if suffix == ".kml":  # the label Google Earth shows is the record's name
            label = "name" if "name" in original.columns else "name_en"
            assert list(back["Name"]) == list(original[label]), layer
        assert_same_geometries(back.geometry, original.geometry)


@pytest.mark.parametrize("layer", ["households", "census"])
def test_export_of_tables_to_csv_reads_back_with_gdal(
    store: Store, tmp_path: Path, layer: str
) -> None:
    factories.fill(store)
    original = store.read(layer)
    path = io.export_layer(store, layer, tmp_path / f"{layer}.csv")
    back = pyogrio.read_dataframe(path)
    assert not isinstance(back, gpd.GeoDataFrame) or back.geometry.isna().all()
    assert list(back["id"]) == list(original["id"])
    if layer == "census":
        assert list(back["date"]) == ["2025-01-01", "2025-01-01"]
        for species in SPECIES:
            assert [int(v) for v in back[species]] == list(original[species]), species
    else:
        assert list(back["name"]) == list(original["name"])


def test_tables_cannot_be_exported_as_spatial_files(refusing: Store, tmp_path: Path) -> None:
    path = tmp_path / "census.geojson"
    with pytest.raises(InvalidInput, match=r"census have no geometry; export them as \.csv"):
        io.export_layer(refusing, "census", path)
    assert not path.exists()


def test_export_to_unknown_suffix_is_refused(refusing: Store, tmp_path: Path) -> None:
    path = tmp_path / "plots.dxf"
    with pytest.raises(InvalidInput, match=r"unknown export type '\.dxf'; use one of"):
        io.export_layer(refusing, "plots", path)
    assert not path.exists()


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(frame.drop(columns=["geometry", "version"]))


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".zip", ".kml"])
def test_exported_files_import_into_a_fresh_store(
    store: Store, tmp_path: Path, suffix: str
) -> None:
    fill_every_layer(store)
    exported = {
        layer: io.export_layer(store, layer, tmp_path / "out" / f"{layer}{suffix}")
        for layer in GEOMETRY_LAYERS
    }
    with pasture.open_store(tmp_path / "other.gpkg") as other:
        for layer in GEOMETRY_LAYERS:  # in dependency order: okrugs and unions first
            io.import_layer(other, layer, exported[layer], user="t")
        for layer in GEOMETRY_LAYERS:
            got, want = other.read(layer), store.read(layer)
            # GeoJSON (RFC 7946) keeps 7 decimals, so areas computed again differ a little
            pd.testing.assert_frame_equal(
                _comparable(got), _comparable(want), check_exact=False, rtol=1e-6, obj=layer
            )
            assert_same_geometries(got.geometry, want.geometry)
            assert (got["version"] == 1).all()


def test_exported_census_imports_into_a_fresh_store(store: Store, tmp_path: Path) -> None:
    factories.fill(store)
    path = io.export_layer(store, "census", tmp_path / "census.csv")
    with pasture.open_store(tmp_path / "other.gpkg") as other:
        other.write_many(
            [("okrugs", factories.okrugs(), "append"), ("unions", factories.unions(), "append")],
            user="t",
        )
        io.import_census(other, path, user="t")
        got, want = other.read("census"), store.read("census")
        columns = ["id", "household_id", "union_id", "date", *SPECIES]
        pd.testing.assert_frame_equal(got[columns], want[columns])


def _content(path: Path) -> object:
    """What a file says: the text of GeoJSON and KML; the records of binary formats,
    whose bytes hold write times (GeoPackage) or archive dates (ZIP)."""
    if path.suffix in (".geojson", ".kml"):
        return path.read_text(encoding="utf-8")
    frame = pd.DataFrame(pyogrio.read_dataframe(path).to_wkb(hex=True)).astype(object)
    return frame.where(frame.notna(), None).to_dict("list")  # NaN != NaN; None == None


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".zip", ".kml"])
def test_export_import_export_changes_nothing(store: Store, tmp_path: Path, suffix: str) -> None:
    """Names, attributes and geometry survive; an unchanged file makes no new version."""
    fill_every_layer(store)
    first = {
        layer: io.export_layer(store, layer, tmp_path / "1" / f"{layer}{suffix}")
        for layer in GEOMETRY_LAYERS
    }
    before = snapshot(store)
    for layer in GEOMETRY_LAYERS:
        assert len(store.read(layer)) > 0, layer  # something to lose in every layer
        result = io.import_layer(store, layer, first[layer], user="t", mode="upsert").result
        assert result is not None
        assert (result.inserted, result.updated, result.deleted) == (0, 0, 0), layer
    assert_unchanged(store, before)
    for layer in GEOMETRY_LAYERS:
        again = io.export_layer(store, layer, tmp_path / "2" / f"{layer}{suffix}")
        assert _content(again) == _content(first[layer]), layer


def test_kml_has_labels_styles_by_union_and_typed_data(store: Store, tmp_path: Path) -> None:
    fill_every_layer(store)
    path = io.export_layer(store, "plots", tmp_path / "plots.kml")
    text = path.read_text(encoding="utf-8")
    plots = store.read("plots")
    for name in plots["name"]:
        assert f"<name>{name}</name>" in text
    unions = sorted(set(plots["union_id"].dropna()))
    assert text.count("<Style id=") == len(unions) + plots["union_id"].isna().any()
    assert '<SimpleField name="area_ha" type="double" />' in text
    back = io.read_layer_file(path, "plots")
    assert back["area_ha"].tolist() == plots["area_ha"].tolist()
    assert back["name"].tolist() == plots["name"].tolist()
