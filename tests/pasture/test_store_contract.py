"""The store contract: every test runs against the GeoPackage and the PostGIS store."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Polygon, box

from pasture.errors import AlreadyExists, InvalidInput, NotFound, VersionConflict
from pasture.store import Store
from tests.pasture import factories
from tests.pasture.factories import X0, Y0


def test_empty_store_has_every_layer(store: Store) -> None:
    info = store.info()
    assert [layer.name for layer in info.layers] == [
        "okrugs",
        "settlements",
        "unions",
        "plots",
        "water_points",
        "routes",
        "households",
        "census",
        "herds",
    ]
    assert all(layer.count == 0 and layer.extent is None for layer in info.layers)
    assert store.is_empty()


def test_records_round_trip_with_types_and_exact_geometry(store: Store) -> None:
    factories.fill(store)
    plots = store.read("plots")
    expected = factories.plots()
    assert list(plots["id"]) == list(expected["id"])
    assert plots.crs.to_epsg() == 4326
    assert plots.geometry.geom_type.unique().tolist() == ["MultiPolygon"]  # promoted from Polygon
    for got, want in zip(plots.geometry, expected.geometry, strict=True):
        assert got.equals_exact(shapely.MultiPolygon([want]), 0.0)
    assert plots["union_id"].tolist() == ["u-a", "u-a", None, None]
    assert plots["seasons"].tolist() == ["winter,spring", "summer", "winter,spring", "summer"]
    assert plots["elevation_m"].dtype == np.float64
    assert np.isnan(plots["yield_summer_cha"]).all()
    assert (plots["version"] == 1).all()
    census = store.read("census")
    assert census["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-01", "2025-01-01"]
    assert census["sheep"].tolist() == [40, 12]
    assert isinstance(store.read("households"), pd.DataFrame)


def test_plot_area_is_geodesic(store: Store) -> None:
    factories.fill(store, n_plots=1)
    plot = store.get("plots", "p0")
    ring = box(X0, Y0, X0 + 0.04, Y0 + 0.04)
    expected = abs(Geod(ellps="WGS84").geometry_area_perimeter(ring)[0]) / 10_000
    assert plot.properties["area_ha"] == pytest.approx(expected, rel=1e-6)
    # a 0.04° square at 43.3° N is about 14.3 km², far from what degrees would give
    assert 1_300 < plot.properties["area_ha"] < 1_600


def test_bbox_keeps_geometries_that_intersect_not_just_envelopes(store: Store) -> None:
    factories.fill(store, n_plots=0)
    # an L-shaped plot whose envelope covers the query box but whose geometry does not
    ell = Polygon(
        [
            (X0, Y0),
            (X0 + 0.1, Y0),
            (X0 + 0.1, Y0 + 0.02),
            (X0 + 0.02, Y0 + 0.02),
            (X0 + 0.02, Y0 + 0.1),
            (X0, Y0 + 0.1),
        ]
    )
    square = box(X0 + 0.12, Y0, X0 + 0.16, Y0 + 0.04)
    frame = gpd.GeoDataFrame(
        {
            "id": ["ell", "sq"],
            "okrug_id": ["ok-a", "ok-a"],
            "seasons": ["summer", "summer"],
            "pasture_type": ["x", "x"],
        },
        geometry=[ell, square],
        crs=4326,
    )
    store.write("plots", frame, user="t")
    inside_hole = (X0 + 0.05, Y0 + 0.05, X0 + 0.06, Y0 + 0.06)
    assert store.read("plots", bbox=inside_hole).empty
    assert store.count("plots", bbox=inside_hole) == 0
    assert store.read("plots", bbox=(X0 + 0.05, Y0 + 0.001, X0 + 0.13, Y0 + 0.01))[
        "id"
    ].tolist() == ["ell", "sq"]


def test_filters_paging_and_count(store: Store) -> None:
    factories.fill(store, n_plots=6)
    assert store.read("plots", where={"union_id": "u-a"})["id"].tolist() == ["p0", "p1"]
    assert store.read("plots", where={"union_id": None})["id"].tolist() == ["p2", "p3", "p4", "p5"]
    assert store.read("plots", where={"seasons": "spring"})["id"].tolist() == ["p0", "p2", "p4"]
    assert store.count("plots", where={"seasons": "summer"}) == 3
    assert store.read("plots", limit=2, offset=3)["id"].tolist() == ["p3", "p4"]
    assert store.read("plots", offset=5)["id"].tolist() == ["p5"]
    with pytest.raises(InvalidInput, match="cannot filter on 'colour'"):
        store.read("plots", where={"colour": "green"})


def test_update_bumps_version_and_records_history(store: Store) -> None:
    factories.fill(store)
    before = store.get("plots", "p2")
    after = store.update(
        "plots", "p2", {"name": "Renamed", "union_id": "u-a"}, expected_version=1, user="akimat"
    )
    assert after.version == 2 and after.properties["name"] == "Renamed"
    assert store.get("plots", "p2") == after
    entry = store.history(layer="plots", record_id="p2").iloc[-1]
    assert (entry.action, entry.version, entry.username) == ("update", 2, "akimat")
    assert entry.before["properties"]["name"] == before.properties["name"]
    assert entry.after["properties"]["name"] == "Renamed"
    assert shapely.from_wkb(entry.before["geometry_wkb"]).equals_exact(before.geometry, 0.0)


def test_stale_version_is_refused_and_nothing_changes(store: Store) -> None:
    factories.fill(store)
    store.update("plots", "p0", {"name": "first"}, expected_version=1, user="a")
    n_history = len(store.history())
    with pytest.raises(VersionConflict) as caught:
        store.update("plots", "p0", {"name": "second"}, expected_version=1, user="b")
    assert caught.value.current_version == 2
    assert store.get("plots", "p0").properties["name"] == "first"
    assert len(store.history()) == n_history


def test_update_is_validated(store: Store) -> None:
    factories.fill(store)
    with pytest.raises(InvalidInput, match="unknown union 'nowhere'"):
        store.update("plots", "p0", {"union_id": "nowhere"}, expected_version=1, user="a")
    with pytest.raises(InvalidInput, match="unknown field"):
        store.update("plots", "p0", {"colour": "green"}, expected_version=1, user="a")
    with pytest.raises(NotFound):
        store.update("plots", "missing", {"name": "x"}, expected_version=1, user="a")
    assert store.get("plots", "p0").version == 1


def test_delete_with_version(store: Store) -> None:
    factories.fill(store)
    with pytest.raises(VersionConflict):
        store.delete("herds", "h1", expected_version=7, user="a")
    store.delete("herds", "h1", expected_version=1, user="a")
    with pytest.raises(NotFound):
        store.get("herds", "h1")
    last = store.history().iloc[-1]
    assert (last.action, last.record_id, last.after) == ("delete", "h1", None)


def test_append_refuses_stored_ids_and_writes_nothing(store: Store) -> None:
    factories.fill(store)
    plots_before, history_before = store.read("plots"), store.history()
    clash = factories.plots(6).iloc[2:]  # p2, p3 exist; p4, p5 are new
    with pytest.raises(AlreadyExists, match="'p2', 'p3'"):
        store.write("plots", clash, user="t")
    pd.testing.assert_frame_equal(store.read("plots"), plots_before)
    assert len(store.history()) == len(history_before)


def test_upsert_updates_changed_records_only(store: Store) -> None:
    factories.fill(store)
    frame = factories.plots(5)
    frame.loc[frame["id"] == "p1", "name"] = "changed"
    result = store.write("plots", frame, user="t", mode="upsert")
    assert (result.inserted, result.updated, result.deleted) == (1, 1, 0)
    versions = store.read("plots").set_index("id")["version"].to_dict()
    assert versions == {"p0": 1, "p1": 2, "p2": 1, "p3": 1, "p4": 1}


def test_replace_deletes_the_rest(store: Store) -> None:
    factories.fill(store)
    result = store.write("plots", factories.plots(2), user="t", mode="replace")
    assert (result.inserted, result.updated, result.deleted) == (0, 0, 2)
    assert store.read("plots")["id"].tolist() == ["p0", "p1"]
    deletes = store.history(layer="plots").query("action == 'delete'")
    assert sorted(deletes["record_id"]) == ["p2", "p3"]


def test_write_many_is_all_or_nothing(store: Store) -> None:
    households, census = factories.census()
    bad = census.assign(union_id=["u-a", "ghost-union"])
    store.write_many(
        [("okrugs", factories.okrugs(), "append"), ("unions", factories.unions(), "append")],
        user="t",
    )
    with pytest.raises(InvalidInput, match="unknown union 'ghost-union'"):
        store.write_many(
            [("households", households, "append"), ("census", bad, "append")], user="t"
        )
    assert store.read("households").empty
    assert store.count("census") == 0


def test_info_reports_counts_extent_and_versions(store: Store) -> None:
    factories.fill(store)
    store.update("plots", "p0", {"name": "x"}, expected_version=1, user="t")
    layers = {layer.name: layer for layer in store.info().layers}
    assert layers["plots"].count == 4 and layers["plots"].max_version == 2
    minx, miny, maxx, maxy = layers["plots"].extent
    assert (minx, miny, maxx, maxy) == pytest.approx((X0, Y0, X0 + 0.16, Y0 + 0.04), abs=1e-12)
    assert layers["census"].count == 2 and layers["census"].extent is None
    assert layers["plots"].last_change is not None


def test_meta_and_region(store: Store) -> None:
    store.set_meta("district", "Enbekshikazakh")
    store.set_meta("district", "Enbekshikazakh District")
    assert store.get_meta("district") == "Enbekshikazakh District"
    assert store.get_meta("missing") is None
    store.set_region(box(X0 - 1, Y0 - 1, X0 + 1, Y0 + 1))
    far = factories.okrugs().iloc[:1].copy()
    far["geometry"] = [box(10, 50, 11, 51)]
    with pytest.raises(InvalidInput, match="outside the district's region"):
        store.write("okrugs", far, user="t")


def test_the_version_counts_every_concurrent_write_and_is_no_setting(store: Store) -> None:
    """Writers committing at once each count once (PostGIS spreads them over several
    counter rows, `Store.version_shards`): the version is the number of writes seen."""
    from concurrent.futures import ThreadPoolExecutor

    def writes(version: str) -> int:
        backend, count = version.split(":")
        assert backend == store.backend
        return int(count)

    before = writes(store.version())

    def writer(me: int) -> None:
        for i in range(5):
            store.set_meta(f"writer{me}", str(i))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(writer, range(4)))
    assert writes(store.version()) == before + 20
    assert store.meta() == {f"writer{me}": "4" for me in range(4)}


def test_upsert_beyond_one_query_of_ids_updates_exactly_the_changed(store: Store) -> None:
    factories.fill(store, n_plots=0)
    n = 12_000  # more ids than one IN (...) query binds: the lookup goes in chunks
    households = pd.DataFrame(
        {
            "id": [f"h{i:05d}" for i in range(n)],
            "name": [f"H {i}" for i in range(n)],
            "union_id": "u-a",
        }
    )
    store.write("households", households, user="t")
    changed = households.copy()
    changed.loc[[5, 7_500, 11_999], "name"] = "renamed"
    result = store.write("households", changed, user="t", mode="upsert")
    assert (result.inserted, result.updated) == (0, 3)
    versions = store.read("households").set_index("id")["version"]
    assert versions[versions > 1].index.tolist() == ["h00005", "h07500", "h11999"]
    with pytest.raises(AlreadyExists, match="12000 id"):
        store.write("households", households, user="t")


# ------------------------------------------------------------------ values a store can read back
def _census_row(**changes: object) -> pd.DataFrame:
    _, counts = factories.census()
    row = counts.iloc[:1].copy()
    for key, value in changes.items():
        row[key] = [value]
    return row


@pytest.mark.parametrize(
    ("day", "says"),
    [("3025-06-01", "outside 1900-2199"), ("1500-01-01", "outside 1900-2199")],
)
def test_a_date_no_reader_can_hold_is_refused(store: Store, day: str, says: str) -> None:
    factories.fill(store)
    before = store.read("census")
    with pytest.raises(InvalidInput, match=says):
        store.write("census", _census_row(id="hh1/x", date=day), user="tester")
    record = store.get("census", "hh1/2025-01-01")
    with pytest.raises(InvalidInput, match=says):
        store.update("census", record.id, {"date": day}, expected_version=record.version, user="u")
    # nothing was written, and every census read still works
    pd.testing.assert_frame_equal(store.read("census"), before)


def test_a_census_of_a_future_day_is_refused(store: Store) -> None:
    factories.fill(store)
    with pytest.raises(InvalidInput, match="in the future"):
        store.write("census", _census_row(id="hh1/next", date="2199-01-01"), user="tester")
    assert len(store.read("census")) == 2


def test_text_with_a_nul_is_refused(store: Store) -> None:
    factories.fill(store)
    with pytest.raises(InvalidInput, match="NUL"):
        store.write("census", _census_row(id="hh1/\x00"), user="tester")
    record = store.get("households", "hh1")
    with pytest.raises(InvalidInput, match="NUL"):
        store.update(
            "households", "hh1", {"name": "A\x00B"}, expected_version=record.version, user="u"
        )
    assert store.get("households", "hh1").properties["name"] == "Household One"


def test_z_coordinates_are_dropped(store: Store) -> None:
    factories.fill(store)
    herd = factories.herds()
    herd["id"] = ["h-3d"]
    herd["geometry"] = [shapely.Point(X0 + 0.02, Y0 + 0.02, 1234.0)]
    store.write("herds", herd, user="tester")
    stored = store.get("herds", "h-3d").geometry
    assert stored is not None and not stored.has_z
    assert stored.equals_exact(shapely.Point(X0 + 0.02, Y0 + 0.02), 0.0)
    assert not store.read("herds").geometry.has_z.any()


def test_an_edit_that_changes_nothing_writes_nothing(store: Store) -> None:
    factories.fill(store)
    record = store.get("households", "hh1")
    history = len(store.history())
    same = store.update("households", "hh1", {}, expected_version=record.version, user="u")
    again = store.update(
        "households",
        "hh1",
        {"name": record.properties["name"]},
        expected_version=record.version,
        user="u",
    )
    assert same.version == again.version == record.version
    assert len(store.history()) == history
    changed = store.update(
        "households", "hh1", {"name": "Renamed"}, expected_version=record.version, user="u"
    )
    assert changed.version == record.version + 1
    assert len(store.history()) == history + 1


def test_a_census_record_belongs_to_its_households_union(store: Store) -> None:
    factories.fill(store)
    other = factories.unions()
    other["id"], other["name"], other["okrug_id"] = ["u-b"], ["Union B"], ["ok-b"]
    other["geometry"] = [box(X0 + 0.2, Y0, X0 + 0.4, Y0 + 0.2)]
    store.write("unions", other, user="tester")
    with pytest.raises(InvalidInput, match="belongs to union 'u-a', not 'u-b'"):
        store.write("census", _census_row(id="hh1/moved", union_id="u-b"), user="tester")
    record = store.get("census", "hh1/2025-01-01")
    with pytest.raises(InvalidInput, match="belongs to union 'u-a'"):
        store.update(
            "census", record.id, {"union_id": "u-b"}, expected_version=record.version, user="akimat"
        )
    assert store.get("census", record.id).properties["union_id"] == "u-a"


def test_settlements_round_trip_and_their_values_are_checked(store: Store) -> None:
    factories.fill(store)
    stored = store.read("settlements")
    assert list(stored["id"]) == ["s-a", "s-b"]
    village = store.get("settlements", "s-a")
    assert village.properties["kind"] == "village"
    assert village.properties["population"] == 1200 and village.properties["okrug_id"] == "ok-a"
    assert village.geometry is not None and village.geometry.equals_exact(
        factories.settlements().geometry.iat[0], 0.0
    )
    assert store.get("households", "hh1").properties["settlement_id"] == "s-a"
    bad = (
        factories.settlements()
        .iloc[:1]
        .assign(id="s-x", kind="city", population=-5, okrug_id="ok-none")
    )
    with pytest.raises(InvalidInput) as caught:
        store.write("settlements", bad, user="tester")
    text = str(caught.value)
    assert "'city' is not one of town, village, hamlet" in text
    assert "-5 is below 0" in text and "unknown okrug 'ok-none'" in text
    assert store.count("settlements") == 2


def test_a_public_pasture_names_the_settlement_it_serves(store: Store) -> None:
    factories.fill(store)
    public = store.get("plots", "p2")
    assert public.properties["tenure"] == "public"
    assert public.properties["reserved_until"] == "2045-12-31"
    changes: list[tuple[dict[str, object], str]] = [
        ({"settlement_id": None}, "needs the settlement it serves"),
        ({"settlement_id": "s-none"}, "unknown settlement 's-none'"),
        ({"tenure": "private"}, "'private' is not one of public, union, household, state"),
        ({"reserved_until": "3045-12-31"}, "outside 1900-2199"),
    ]
    for change, says in changes:
        with pytest.raises(InvalidInput, match=says):
            store.update("plots", "p2", change, expected_version=public.version, user="tester")
    assert store.get("plots", "p2") == public


def test_a_household_in_no_union_has_its_census_in_no_union(store: Store) -> None:
    factories.fill(store)
    household = pd.DataFrame(
        {"id": ["hh3"], "name": ["Household Three"], "union_id": [None], "settlement_id": ["s-b"]}
    )
    store.write("households", household, user="tester")
    store.write(
        "census", _census_row(id="hh3/2025-01-01", household_id="hh3", union_id=None), user="tester"
    )
    assert store.get("census", "hh3/2025-01-01").properties["union_id"] is None
    with pytest.raises(InvalidInput, match="'hh3' is in no union, not 'u-a'"):
        store.write("census", _census_row(id="hh3/x", household_id="hh3"), user="tester")
    with pytest.raises(InvalidInput, match="'hh1' belongs to union 'u-a', not none"):
        store.write("census", _census_row(id="hh1/x", union_id=None), user="tester")
    assert store.count("census", where={"union_id": None}) == 1


def test_every_committed_write_changes_the_version_and_a_refused_one_does_not(
    store: Store,
) -> None:
    empty = store.version()
    assert store.version() == empty  # reading does not count
    factories.fill(store)
    filled = store.version()
    store.update("plots", "p0", {"name": "renamed"}, expected_version=1, user="a")
    edited = store.version()
    with pytest.raises(VersionConflict):
        store.update("plots", "p0", {"name": "stale"}, expected_version=1, user="b")
    assert store.version() == edited
    store.replace_rows("trends", store.read_rows("trends"))  # a result table, same rows
    assert len({empty, filled, edited, store.version()}) == 4
