"""The demo district: deterministic, plausible, labelled, and inside the real boundary."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

import pasture
from pasture.demo import PILOT_OKRUGS, LivestockDensity, build_demo, district_boundary
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


def test_pilot_okrugs_unions_and_public_pasture(demo: pasture.Store) -> None:
    okrugs = demo.read("okrugs").set_index("id")
    for slug, ((kk, ru, en), _) in PILOT_OKRUGS.items():
        row = okrugs.loc[f"okrug-{slug}"]
        assert (row.name_kk, row.name_ru, row.name_en) == (kk, ru, en)
    unions = demo.read("unions")
    assert sorted(unions["okrug_id"]) == sorted(f"okrug-{s}" for s in PILOT_OKRUGS)
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
    for spec in LAYERS.values():
        sources = demo.read(spec.name)["source"]
        assert sources.str.startswith("generated").all(), spec.name
    assert "OpenStreetMap" in (demo.get_meta("district_boundary_source") or "")


def test_livestock_scaled_to_the_regional_density(demo: pasture.Store) -> None:
    census = demo.read("census")
    okrugs = demo.read("okrugs").set_index("id")
    density = LivestockDensity()
    union_km2 = sum(
        geodesic_area_ha([okrugs.loc[f"okrug-{s}", "geometry"]])[0] / 100 for s in PILOT_OKRUGS
    )
    for species in ("sheep", "cattle", "horses"):
        expected = getattr(density, species) * union_km2 * density.union_share
        assert census[species].sum() == pytest.approx(expected, rel=0.02), species
    # herds move the same animals the census counts
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
