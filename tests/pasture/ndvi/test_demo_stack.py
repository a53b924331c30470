"""Tests of the generated demo NDVI stack (pasture.ndvi.demo_stack).

A small stack (2 years, 2 km pixels) over the real OSM district boundary is generated
once per module; the elevation model is a simple function of latitude (plains in the
north, 4000 m in the south) like the demo's.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import rasterio.features
from affine import Affine
from pyproj import CRS, Transformer
from shapely.geometry import Point, Polygon, box, mapping

from pasture.errors import InvalidInput
from pasture.ndvi.demo_stack import (
    COMPOSITE_DAYS,
    DEMO_CRS,
    GENERATED_LABEL,
    StackManifest,
    default_anchor_path,
    generate_ndvi_stack,
)
from pasture.ndvi.readers import open_ndvi
from pasture.ndvi.scene_check import check_scene

# The repository's data/: the real district boundary and the Copernicus anchor.
DATA = Path(__file__).resolve().parents[3] / "data"
BOUNDARY_FILE = DATA / "enbekshikazakh-district-osm.geojson"
RESOLUTION_M = 2000.0
YEARS = 2
START = 2019
SLOPE = -0.05  # NDVI per year; steep so 2 years show it clearly
# A foothill/mountain plot (about 1900 m with the elevation below) with a strong summer peak.
DEGRADED_CENTRE = (77.75, 43.45)
PROGRESS_CALLS: list[tuple[int, int]] = []  # filled by the "main" stack of the fixture


def test_anchor_is_the_repository_copy() -> None:
    assert default_anchor_path() == DATA / "copNDVI_central_asia_0p143deg.tif"
    assert default_anchor_path().exists() and BOUNDARY_FILE.exists()


def elevation(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Plains (600 m) at 43.86 N rising to 4000 m at 43.12 N."""
    return 600.0 + 3400.0 * np.clip((43.86 - lat) / 0.74, 0.0, 1.0) ** 1.5


def boundary() -> Polygon:
    import geopandas as gpd

    return gpd.read_file(BOUNDARY_FILE).geometry.union_all()


def degraded_plot() -> Polygon:
    return Point(*DEGRADED_CENTRE).buffer(0.06)


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, StackManifest]:
    """Same inputs twice (determinism), a control without trend, and another seed."""
    b = boundary()
    common: dict[str, Any] = {"elevation": elevation, "years": YEARS, "start_year": START}
    out = {
        "main": generate_ndvi_stack(
            b,
            tmp_path_factory.mktemp("main"),
            **common,
            resolution_m=RESOLUTION_M,
            degraded=[("overgrazed-1", degraded_plot(), SLOPE)],
            progress=lambda done, total: PROGRESS_CALLS.append((done, total)),
        ),
        "again": generate_ndvi_stack(
            b,
            tmp_path_factory.mktemp("again"),
            **common,
            resolution_m=RESOLUTION_M,
            degraded=[("overgrazed-1", degraded_plot(), SLOPE)],
        ),
        "control": generate_ndvi_stack(
            b, tmp_path_factory.mktemp("control"), **common, resolution_m=RESOLUTION_M
        ),
        "seed7": generate_ndvi_stack(
            b, tmp_path_factory.mktemp("seed7"), **common, resolution_m=RESOLUTION_M, seed=7
        ),
    }
    return out


def read_stack(m: StackManifest) -> np.ndarray:
    arrays = []
    for f in m.files:
        with rasterio.open(f) as src:
            arrays.append(src.read(1))
    return np.stack(arrays)


def pixel_lonlat(m: StackManifest) -> tuple[np.ndarray, np.ndarray]:
    t = Affine(*m.transform)
    xs = t.c + (np.arange(m.width) + 0.5) * t.a
    ys = t.f + (np.arange(m.height) + 0.5) * t.e
    xx, yy = np.meshgrid(xs, ys)
    lon, lat = Transformer.from_crs(DEMO_CRS, 4326, always_xy=True).transform(xx, yy)
    return np.asarray(lon), np.asarray(lat)


def district_mask(m: StackManifest) -> np.ndarray:
    to_utm = Transformer.from_crs(4326, DEMO_CRS, always_xy=True)
    import shapely

    b_utm = shapely.transform(
        boundary(), lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1]))
    )
    return rasterio.features.geometry_mask(
        [mapping(b_utm)], (m.height, m.width), Affine(*m.transform), invert=True
    )


def months(m: StackManifest) -> np.ndarray:
    return np.array([d.month for d in m.dates])


# --------------------------------------------------------------------------- files


def test_files_are_cogs_with_crs_tags_and_dates(stacks: dict[str, StackManifest]) -> None:
    m = stacks["main"]
    assert len(m.files) == YEARS * 23
    assert [d.timetuple().tm_yday for d in m.dates[:23]] == list(COMPOSITE_DAYS)
    assert m.dates[0] == dt.date(START, 1, 1)
    assert m.dates[1] == dt.date(START, 1, 17)
    for f, day in zip(m.files, m.dates, strict=True):
        assert f.name == f"ndvi_{day.isoformat()}.tif"
        with rasterio.open(f) as src:
            assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
            assert src.profile["tiled"]
            assert src.dtypes[0] == "float32"
            assert np.isnan(src.nodata)
            assert CRS.from_user_input(src.crs).to_epsg() == 32644
            assert src.tags()["GENERATED"] == GENERATED_LABEL
            assert src.tags()["DATE"] == day.isoformat()
    # the catalogue gate accepts them and recognises them as generated
    info = check_scene(m.files[10], region=boundary())
    assert info.sensor == "generated"
    assert info.date == m.dates[10]


def test_manifest_records_files_parameters_and_degraded(
    stacks: dict[str, StackManifest],
) -> None:
    m = stacks["main"]
    doc = json.loads(m.path.read_text())
    assert doc["generated"] is True
    assert [f["path"] for f in doc["files"]] == [f.name for f in m.files]
    assert doc["parameters"]["seed"] == 42
    assert doc["parameters"]["years"] == YEARS
    assert doc["grid"]["crs"] == DEMO_CRS
    (plot,) = m.degraded
    assert plot.id == "overgrazed-1"
    assert plot.slope_per_year == SLOPE
    assert plot.n_pixels > 10
    assert plot.geometry.equals_exact(degraded_plot(), 1e-9)
    assert stacks["control"].degraded == ()


def test_progress_reports_every_file(stacks: dict[str, StackManifest]) -> None:
    assert stacks["main"].files
    total = YEARS * 23
    assert [(i, total) for i in range(1, total + 1)] == PROGRESS_CALLS


def test_open_ndvi_reads_the_stack_back(stacks: dict[str, StackManifest]) -> None:
    m = stacks["main"]
    da = open_ndvi(m.path.parent)
    assert da.sizes == {"time": YEARS * 23, "y": m.height, "x": m.width}
    assert str(da["time"].values[0])[:10] == f"{START}-01-01"
    np.testing.assert_array_equal(da.isel(time=5).values, read_stack(m)[5])


# --------------------------------------------------------------------------- values


def test_values_in_range_with_cloud_gaps(stacks: dict[str, StackManifest]) -> None:
    m = stacks["main"]
    cube = read_stack(m)
    assert np.nanmin(cube) >= -0.2
    assert np.nanmax(cube) <= 1.0
    gaps = np.isnan(cube).mean(axis=(1, 2))
    assert gaps.min() > 0  # every composite has some cloud gap
    mon = months(m)
    spring = gaps[np.isin(mon, [3, 4, 5])].mean()
    summer = gaps[np.isin(mon, [6, 7, 8])].mean()
    assert spring > 1.5 * summer
    assert gaps.max() < 0.5


def greenup_doy(curve: np.ndarray, days: np.ndarray) -> int:
    """First composite where NDVI passes 25% of its seasonal amplitude (docs/domain.md)."""
    lo, hi = np.nanmin(curve), np.nanmax(curve)
    return int(days[np.argmax(curve >= lo + 0.25 * (hi - lo))])


def test_greenup_is_later_at_high_elevation(stacks: dict[str, StackManifest]) -> None:
    m = stacks["main"]
    cube = read_stack(m)[:23]  # first year
    lon, lat = pixel_lonlat(m)
    elev = elevation(lon, lat)
    days = np.array(COMPOSITE_DAYS)
    plains = np.nanmean(cube[:, elev < 900], axis=1)
    high = np.nanmean(cube[:, (elev > 2500) & (elev < 3200)], axis=1)
    g_plains, g_high = greenup_doy(plains, days), greenup_doy(high, days)
    assert 80 <= g_plains <= 120  # April on the plains
    assert 135 <= g_high <= 175  # late May / June on the summer pastures
    assert g_high - g_plains >= 30
    # winter is low, summer peak is high in the mountains
    assert np.nanmax(high) > 0.4
    assert high[0] < 0.1
    # plains dry out in July–August below their spring peak
    jul_aug = np.isin(months(m)[:23], [7, 8])
    assert plains[jul_aug].mean() < 0.85 * np.nanmax(plains)


def test_june_mean_matches_copernicus_anchor(stacks: dict[str, StackManifest]) -> None:
    m = stacks["main"]
    # anchor mean over the district, computed independently from the real file
    with rasterio.open(default_anchor_path()) as src:
        dn = src.read(1)
        inside_anchor = rasterio.features.geometry_mask(
            [mapping(boundary())], dn.shape, src.transform, invert=True
        )
    anchor_mean = float(np.nanmean(dn[inside_anchor] * 0.004 - 0.08))
    assert 0.4 < anchor_mean < 0.55  # data/README.md: ≈ 0.46 over the district
    cube = read_stack(m)
    inside = district_mask(m)
    june = cube[months(m) == 6][:, inside]
    assert float(np.nanmean(june)) == pytest.approx(anchor_mean, abs=0.05)
    # and the spatial pattern follows the anchor, not only its mean
    lon, lat = pixel_lonlat(m)
    with rasterio.open(default_anchor_path()) as src:
        rows, cols = rasterio.transform.rowcol(src.transform, lon[inside], lat[inside])
        anchor_px = src.read(1)[np.asarray(rows), np.asarray(cols)] * 0.004 - 0.08
    gen_px = np.nanmean(june, axis=0)
    ok = np.isfinite(anchor_px) & np.isfinite(gen_px) & (elevation(lon, lat)[inside] < 3200)
    assert np.corrcoef(anchor_px[ok], gen_px[ok])[0, 1] > 0.6


def growing_season_mean(cube: np.ndarray, m: StackManifest, year: int) -> np.ndarray:
    sel = np.array([d.year == year and 5 <= d.month <= 9 for d in m.dates])
    return np.nanmean(cube[sel], axis=0)


def test_degraded_pixels_decline_and_others_do_not(stacks: dict[str, StackManifest]) -> None:
    m, control = stacks["main"], stacks["control"]
    cube, base = read_stack(m), read_stack(control)
    to_utm = Transformer.from_crs(4326, DEMO_CRS, always_xy=True)
    import shapely

    plot_utm = shapely.transform(
        degraded_plot(), lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1]))
    )
    in_plot = rasterio.features.geometry_mask(
        [mapping(plot_utm)], (m.height, m.width), Affine(*m.transform), invert=True
    )
    assert in_plot.sum() == m.degraded[0].n_pixels

    change = growing_season_mean(cube, m, START + 1) - growing_season_mean(cube, m, START)
    lon, lat = pixel_lonlat(m)
    elev = elevation(lon, lat)
    plot_elev = elev[in_plot]
    same_band = ~in_plot & (elev > plot_elev.min() - 200) & (elev < plot_elev.max() + 200)
    degraded_change = float(np.nanmean(change[in_plot]))
    others_change = float(np.nanmean(change[same_band]))
    assert degraded_change < others_change + 0.4 * SLOPE  # clearly steeper decline

    # Exactly where the trend was put: against the same seed without degraded plots,
    # only plot pixels differ, only in the second year, and only downwards.
    diff = cube - base
    first = np.array([d.year == START for d in m.dates])
    np.testing.assert_allclose(np.nan_to_num(diff[first]), 0.0, atol=1e-3)
    np.testing.assert_allclose(np.nan_to_num(diff[:, ~in_plot]), 0.0, atol=1e-3)
    summer = np.array([d.year == START + 1 and d.month in (7, 8) for d in m.dates])
    assert np.nanmax(diff[summer][:, in_plot]) < 0.0
    assert np.nanmean(diff[summer][:, in_plot]) == pytest.approx(SLOPE, abs=0.015)


def test_same_seed_same_stack_other_seed_differs(stacks: dict[str, StackManifest]) -> None:
    a, b, c = read_stack(stacks["main"]), read_stack(stacks["again"]), read_stack(stacks["seed7"])
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(np.isnan(a), np.isnan(c))


# --------------------------------------------------------------------------- refusals


def test_bad_inputs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="Multi"):
        generate_ndvi_stack(Point(78, 43.5), tmp_path, elevation=elevation)
    with pytest.raises(InvalidInput, match="EPSG:4326"):
        generate_ndvi_stack(
            box(200_000, 4_780_000, 350_000, 4_860_000), tmp_path, elevation=elevation
        )
    with pytest.raises(InvalidInput, match="slope_per_year"):
        generate_ndvi_stack(
            boundary(),
            tmp_path,
            elevation=elevation,
            degraded=[("p1", degraded_plot(), 0.02)],
        )
    with pytest.raises(InvalidInput, match="no pixel centre"):
        generate_ndvi_stack(
            boundary(),
            tmp_path,
            elevation=elevation,
            years=1,
            resolution_m=5000,
            degraded=[("tiny", Point(78.0, 43.5).buffer(0.001), -0.01)],
        )
    with pytest.raises(InvalidInput, match="elevation"):
        generate_ndvi_stack(
            boundary(), tmp_path, elevation=lambda lon, lat: np.zeros(3), resolution_m=5000
        )
    assert not list(tmp_path.glob("ndvi_*.tif"))
