"""The demo district: deterministic, plausible, labelled, and inside the real boundary."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

import pasture
from grazing_models.livestock import default_species_table
from pasture.demo import (
    PILOT_OKRUGS,
    DemoTenure,
    LivestockDensity,
    build_demo,
    district_boundary,
    elevation_model,
)
from pasture.demo_real import real_dir
from pasture.geometry import geodesic_area_ha
from pasture.model import LAYERS, SPECIES


@pytest.fixture(scope="module")
def demo(demo_gpkg: Path) -> pasture.Store:
    return pasture.open_store(demo_gpkg)


def test_every_layer_reads_back_with_pyogrio_in_4326(demo_gpkg: Path, tmp_path: Path) -> None:
    # a copy: in one process GDAL's SQLite must not touch a file our stores hold open
    copy = tmp_path / "demo.gpkg"
    shutil.copy(demo_gpkg, copy)
    for spec in LAYERS.values():
        frame = pyogrio.read_dataframe(copy, layer=spec.name, use_arrow=True)
        assert len(frame) > 0, spec.name
        if spec.geometry_type:
            assert frame.crs.to_epsg() == 4326
            assert frame.geometry.is_valid.all(), spec.name


def test_plot_count_and_pasture_share(demo: pasture.Store) -> None:
    plots = demo.read("plots")
    assert 1_000 <= len(plots) <= 3_000
    district_ha = geodesic_area_ha([district_boundary()])[0]
    # docs/domain.md: more than 30% of the district's 8,727 km² is pasture
    assert 0.30 < plots["area_ha"].sum() / district_ha < 0.55


def test_plots_lie_inside_the_district_and_do_not_overlap(demo: pasture.Store) -> None:
    plots = demo.read("plots")
    boundary = district_boundary()
    # 1e-7 degrees (~1 cm): the boundary itself is rounded to 7 decimals in the source file
    assert shapely.covers(boundary.buffer(1e-7), plots.geometry.values).all()
    geoms = np.asarray(plots.geometry.values)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    shared = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
    # in m²: 1 deg² is about 9e9 m² at 43.5° N
    assert shared.max() * 9e9 < 1.0


def test_the_okrugs_are_the_kato_gazetteers(demo: pasture.Store) -> None:
    gazetteer = pd.read_csv(real_dir() / "enbekshikazakh_kato_gazetteer.csv", dtype=str)
    listed = gazetteer[gazetteer["level"] == "okrug"].set_index("kato")["name_ru_kato"]
    okrugs = demo.read("okrugs").set_index("kato")
    assert okrugs["name_ru"].sort_index().to_dict() == listed.sort_index().to_dict()
    assert okrugs["name_kk"].notna().all() and okrugs["name_en"].notna().all()
    assert okrugs["source"].str.contains("boundary generated from settlement points").all()
    # every okrug's boundary holds its own settlements
    settlements = demo.read("settlements")
    own = settlements.merge(
        okrugs.reset_index()[["id", "geometry"]], left_on="okrug_id", right_on="id"
    )
    assert shapely.covers(np.asarray(own["geometry_y"]), np.asarray(own["geometry_x"])).all()


def test_settlements_are_the_real_ones(demo: pasture.Store) -> None:
    real = gpd.read_file(real_dir() / "enbekshikazakh_settlements.geojson")
    settlements = demo.read("settlements")
    osm = settlements[settlements["source"].str.contains("OpenStreetMap")]
    assert len(osm) == len(real)
    assert set(osm["kato"].dropna()) == set(real["kato"].dropna())
    assert set(osm["kind"]) <= {"town", "village", "hamlet"}
    assert "© OpenStreetMap contributors (ODbL); KATO classifier" in set(osm["source"])
    # the okrugs with no OSM point get their KATO settlements at a generated position
    placed = settlements[~settlements.index.isin(osm.index)]
    assert placed["source"].str.contains("position generated").all()
    assert set(demo.read("okrugs")["id"]) == set(settlements["okrug_id"].dropna())


def test_every_okrug_has_households_in_its_villages(demo: pasture.Store) -> None:
    households = demo.read("households")
    settlements = demo.read("settlements").set_index("id")
    assert households["settlement_id"].notna().all()
    okrug_of = settlements.loc[households["settlement_id"], "okrug_id"].to_numpy()
    assert set(okrug_of) == set(demo.read("okrugs")["id"])
    unions = demo.read("unions").set_index("okrug_id")["id"]
    for okrug in unions.index:
        mine = households[okrug_of == okrug]
        assert mine["union_id"].isna().any() and (mine["union_id"] == unions[okrug]).any()
    assert households.loc[~np.isin(okrug_of, unions.index), "union_id"].isna().all()
    census = demo.read("census").set_index("household_id")
    by_household = households.set_index("id")["union_id"]
    assert (
        census["union_id"].equals(by_household.loc[census.index].rename("union_id"))
        or (
            census["union_id"].fillna("") == by_household.loc[census.index].fillna("").to_numpy()
        ).all()
    )


def test_public_pastures_serve_their_village(demo: pasture.Store) -> None:
    plots = demo.read("plots")
    public = plots[plots["tenure"] == "public"]
    assert len(public) and public["union_id"].isna().all()
    assert public["reserved_basis"].str.contains("Art. 97").all()
    assert public["reserved_until"].notna().all()
    assert (plots.loc[plots["union_id"].notna(), "tenure"] == "union").all()
    assert set(plots["tenure"]) == {"public", "union", "state"}
    # each public pasture lies near the settlement it serves
    settlements = demo.read("settlements").set_index("id")
    towns = gpd.GeoSeries(settlements.loc[public["settlement_id"], "geometry"].to_numpy(), crs=4326)
    centres = gpd.GeoSeries(public.geometry.representative_point().to_numpy(), crs=4326)
    metres = centres.to_crs(32644).distance(towns.to_crs(32644))
    assert metres.max() <= DemoTenure().public_radius_km * 1000 * 1.01


def test_elevation_is_srtm_in_the_west(demo: pasture.Store) -> None:
    # PROVENANCE.md's checks of the SRTM tile: Esik 1046 m, Turgen 986 m
    model = elevation_model()
    assert model(77.4659, 43.3595) == pytest.approx(1046, abs=40)
    assert model(77.5935, 43.3967) == pytest.approx(986, abs=40)
    plots = demo.read("plots")
    west = plots[plots.geometry.representative_point().x < 77.9]
    centre = west.geometry.representative_point()
    assert west["elevation_m"].to_numpy() == pytest.approx(model(centre.x, centre.y).round(0))


def test_herd_names_are_unique_and_say_whose(demo: pasture.Store) -> None:
    herds = demo.read("herds")
    assert herds["name"].is_unique
    unions = demo.read("unions").set_index("id")["name"]
    for union, name in zip(herds["union_id"], herds["name"], strict=True):
        assert name.split(" union ")[0] in unions[union]
    assert herds["source"].str.startswith("generated").all()


def test_pilot_okrugs_unions_and_public_pasture(demo: pasture.Store) -> None:
    okrugs = demo.read("okrugs").set_index("id")
    unions = demo.read("unions")
    pilots = okrugs[okrugs["kato"].isin(PILOT_OKRUGS.values())]
    assert sorted(unions["okrug_id"]) == sorted(pilots.index)
    assert sorted(unions["id"]) == sorted(f"upu-{s}" for s in PILOT_OKRUGS)
    plots = demo.read("plots")
    public = plots["union_id"].isna()
    assert 0.5 < public.mean() < 0.95  # unions hold only part of the district's pasture
    in_pilot = plots["okrug_id"].isin(unions["okrug_id"])
    assert (plots.loc[~in_pilot, "union_id"].isna()).all()
    # the okrugs tile the district
    district_ha = geodesic_area_ha([district_boundary()])[0]
    assert geodesic_area_ha(okrugs.geometry.tolist()).sum() == pytest.approx(district_ha, rel=1e-3)


def test_seasons_follow_the_elevation_gradient(demo: pasture.Store) -> None:
    plots = demo.read("plots")
    centre = plots.geometry.representative_point()
    by_season = {
        season: (
            plots.loc[plots["seasons"].str.contains(season), "elevation_m"].median(),
            centre[plots["seasons"].str.contains(season)].y.median(),
        )
        for season in ("winter", "spring", "summer")
    }
    assert by_season["winter"][0] < by_season["spring"][0] < by_season["summer"][0]
    # winter pastures on the northern plains, summer pastures in the southern mountains
    assert by_season["winter"][1] > by_season["summer"][1]
    assert set(plots.loc[plots["seasons"] == "summer", "pasture_type"]) <= {"alpine_meadow"}


def test_everything_generated_is_labelled(demo: pasture.Store) -> None:
    real = {"okrugs": "boundary generated", "settlements": "OpenStreetMap|position generated"}
    for spec in LAYERS.values():
        sources = demo.read(spec.name)["source"]
        if spec.name in real:
            assert sources.str.contains(real[spec.name]).all(), spec.name
        else:
            assert sources.str.startswith("generated").all(), spec.name
    assert "OpenStreetMap" in (demo.get_meta("district_boundary_source") or "")


def test_livestock_scaled_to_the_regional_density(demo: pasture.Store) -> None:
    census = demo.read("census")
    density = LivestockDensity()
    district_km2 = geodesic_area_ha([district_boundary()])[0] / 100
    for species in ("sheep", "cattle", "horses"):
        expected = getattr(density, species) * district_km2
        assert census[species].sum() == pytest.approx(expected, rel=0.02), species
    units = default_species_table().sheep_units
    su = sum(census[s].sum() * units[s] for s in SPECIES)
    assert su / len(census) == pytest.approx(density.su_per_household, rel=0.05)
    # herds move the same animals the union members' census counts
    herds = demo.read("herds")
    by_union = census.groupby("union_id")[list(SPECIES)].sum()
    pd.testing.assert_frame_equal(herds.groupby("union_id")[list(SPECIES)].sum(), by_union)


def test_demo_is_deterministic(tmp_path: Path, demo: pasture.Store) -> None:
    with pasture.open_store(tmp_path / "again.gpkg") as again:
        build_demo(again, seed=42)
        a, b = demo.read("plots"), again.read("plots")
        assert list(a["id"]) == list(b["id"])
        assert all(g1.equals_exact(g2, 0.0) for g1, g2 in zip(a.geometry, b.geometry, strict=True))
        pd.testing.assert_frame_equal(demo.read("census"), again.read("census"))
    with pasture.open_store(tmp_path / "other.gpkg") as other:
        build_demo(other, seed=7)
        assert not other.read("plots").geometry.iloc[0].equals(demo.read("plots").geometry.iloc[0])
