"""Zonal statistics: exact agreement with exactextract, nodata, CRS, weights reuse, dask."""

from __future__ import annotations

import pickle

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rioxarray  # noqa: F401  (registers the .rio accessor)
import shapely
import xarray as xr
from affine import Affine
from pyproj import CRS

from pasture.ndvi import zonal_kernels
from pasture.ndvi.coverage import CoverageWeights, Grid, ZonalError
from pasture.ndvi.zonal import zonal_stats
from pasture.ndvi.zonal_kernels import DENSE_CELLS

exactextract = pytest.importorskip("exactextract")
from exactextract.raster import NumPyRasterSource  # noqa: E402

UTM = CRS.from_epsg(32643)
WGS84 = CRS.from_epsg(4326)
RES = 10.0
X0, Y0 = 500_000.0, 4_800_000.0
H, W = 60, 80
TIMES = np.array(["2024-05-01", "2024-05-17", "2024-06-02"], dtype="datetime64[ns]")


def make_stack(height: int, width: int, dates: int, seed: int = 0) -> np.ndarray:
    """Random NDVI-like values with NaN holes: a permanent one and one per date."""
    rng = np.random.default_rng(seed)
    stack = rng.uniform(-0.1, 0.9, (dates, height, width)).astype(np.float32)
    stack[:, 10:20, 30:45] = np.nan  # a lake
    for t in range(dates):
        r, c = rng.integers(0, height - 8), rng.integers(0, width - 8)
        stack[t, r : r + 8, c : c + 12] = np.nan  # a cloud
    stack[:, 44, 5:9] = np.nan  # scattered nodata
    return stack


def as_dataarray(stack: np.ndarray, transform: Affine, crs: CRS) -> xr.DataArray:
    da = xr.DataArray(stack, dims=("time", "y", "x"), coords={"time": TIMES[: len(stack)]})
    return da.rio.write_crs(crs).rio.write_transform(transform)


def px(col: float, row: float) -> tuple[float, float]:
    """Map coordinates of a (fractional) pixel position in the UTM test grid."""
    return X0 + col * RES, Y0 - row * RES


def box(c0: float, r0: float, c1: float, r1: float) -> shapely.Polygon:
    (x0, y0), (x1, y1) = px(c0, r0), px(c1, r1)
    return shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def disk(c: float, r: float, radius_px: float) -> shapely.Polygon:
    return shapely.Point(*px(c, r)).buffer(radius_px * RES, quad_segs=16)


def many_shapes() -> gpd.GeoDataFrame:
    """Plots of every awkward kind over the H×W UTM grid."""
    rng = np.random.default_rng(7)
    star_angles = np.linspace(0, 2 * np.pi, 23, endpoint=False)
    star_radius = rng.uniform(3, 9, len(star_angles)) * RES
    cx, cy = px(62.3, 33.7)
    star = shapely.Polygon(
        np.c_[cx + star_radius * np.cos(star_angles), cy + star_radius * np.sin(star_angles)]
    )
    plots = {
        "box": box(5.3, 3.2, 25.9, 20.7),
        "aligned": box(2, 24, 12, 30),  # edges on pixel lines
        "disk": disk(40.5, 30.5, 8.3),
        "ring": disk(40.5, 30.5, 8.3).difference(disk(41, 30, 3.1)),
        "tiny": box(10.2, 40.1, 10.6, 40.6),  # smaller than a pixel
        "tiny_disk": disk(60.2, 40.7, 0.3),
        "sliver": shapely.Polygon([px(2, 50), px(70, 52), px(70, 52.3), px(2, 50.05)]),
        "multi": shapely.MultiPolygon([box(60, 5, 65.5, 10), box(70.2, 12.4, 75, 20)]),
        "corner": box(-5.5, -3.3, 6.3, 8),  # crosses the top-left corner
        "right_edge": box(75, 45.5, 90, 58),  # crosses the right and bottom edges
        "outside": box(100, 0, 110, 10),
        "in_lake": box(32, 12, 40, 18),  # entirely nodata
        "half_lake": box(40, 12, 50, 18),
        "star": star,
        "rotated": shapely.affinity.rotate(box(15, 33, 30, 38), 33.0),
        "big": box(-10, -10, 90, 70),  # covers the whole raster
    }
    return gpd.GeoDataFrame({"id": list(plots)}, geometry=list(plots.values()), crs=UTM)


def utm_transform() -> Affine:
    return Affine(RES, 0, X0, 0, -RES, Y0)


def reference(stack: np.ndarray, transform: Affine, plots: gpd.GeoDataFrame, ops: list[str]):
    """exactextract on the same dates, one NumPyRasterSource per date, in plot order."""
    height, width = stack.shape[1:]
    xs = sorted((transform.c, transform.c + transform.a * width))
    ys = sorted((transform.f, transform.f + transform.e * height))
    sources = [
        NumPyRasterSource(
            stack[t].astype(np.float64),
            xs[0],
            ys[0],
            xs[1],
            ys[1],
            nodata=np.nan,
            name=f"d{t}",
            srs_wkt=plots.crs.to_wkt(),
        )
        for t in range(len(stack))
    ]
    out = exactextract.exact_extract(sources, plots, ops, output="pandas", include_cols=["id"])
    # exactextract fills a column called "id" with the feature's position: same order as ours.
    assert [int(i) for i in out["id"]] == list(range(len(plots)))
    return out


def compare(ours: pd.DataFrame, ref: pd.DataFrame, dates: int, *, tol: float = 1e-4) -> None:
    n = len(ref)
    for t in range(dates):
        got = ours.iloc[t::dates].reset_index(drop=True)
        count = ref[f"d{t}_count"].to_numpy()
        np.testing.assert_allclose(got["count"], count, rtol=1e-6, atol=1e-9)  # ee: float32 cover
        some = count > 0
        assert some.sum() >= n // 2, "the fixture should have mostly valid plots"
        np.testing.assert_allclose(
            got["mean"][some], ref[f"d{t}_mean"][some], rtol=0, atol=tol, err_msg=f"date {t}"
        )
        np.testing.assert_allclose(
            got["std"][some], ref[f"d{t}_stdev"][some], rtol=0, atol=tol, err_msg=f"date {t}"
        )
        assert got["mean"][~some].isna().all()
        assert (got["valid_fraction"][~some] == 0).all()


@pytest.fixture(scope="module")
def utm_case():
    stack = make_stack(H, W, 3)
    return stack, as_dataarray(stack, utm_transform(), UTM), many_shapes()


def test_matches_exactextract_utm(utm_case):
    stack, ndvi, plots = utm_case
    ours = zonal_stats(plots, ndvi)
    assert list(ours.columns) == ["plot_id", "time", "mean", "std", "count", "valid_fraction"]
    assert len(ours) == len(plots) * 3
    assert list(ours["plot_id"][::3]) == list(plots["id"])
    assert (ours["time"].to_numpy()[:3] == TIMES).all()
    compare(ours, reference(stack, utm_transform(), plots, ["mean", "stdev", "count"]), 3)


def voronoi_plots(n: int, height: int, width: int, seed: int) -> gpd.GeoDataFrame:
    """A tessellation like real pasture plots: Voronoi cells clipped to the raster."""
    rng = np.random.default_rng(seed)
    extent = shapely.box(X0, Y0 - height * RES, X0 + width * RES, Y0)
    pts = shapely.points(
        rng.uniform(X0, X0 + width * RES, n), rng.uniform(Y0 - height * RES, Y0, n)
    )
    cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=extent, ordered=True)
    geoms = shapely.intersection(shapely.get_parts(cells), extent)
    return gpd.GeoDataFrame({"id": [f"v{i}" for i in range(n)]}, geometry=geoms, crs=UTM)


@pytest.mark.parametrize("dims", [(H, W), (150, 7), (3, 300)])
def test_tessellation_matches_exactextract(dims):
    """Plots that tile the raster (no overlap), as pasture plots do; tall, narrow and wide
    rasters put runs at both ends of rows and bands of rows one row high."""
    height, width = dims
    stack = make_stack(height, width, 2, seed=11) if min(height, width) > 20 else None
    if stack is None:
        rng = np.random.default_rng(2)
        stack = rng.uniform(0, 1, (2, height, width)).astype(np.float32)
        stack[0, 1, 10:40] = np.nan
    ndvi = as_dataarray(stack, utm_transform(), UTM)
    plots = voronoi_plots(40, height, width, seed=height)
    ours = zonal_stats(plots, ndvi, stats=("mean", "std", "count", "min", "max"))
    ops = ["mean", "stdev", "count", "min", "max"]
    ref = reference(stack, utm_transform(), plots, ops)
    compare(ours, ref, 2, tol=1e-6)
    for t in range(2):
        got = ours.iloc[t::2].reset_index(drop=True)
        np.testing.assert_allclose(got["min"], ref[f"d{t}_min"], atol=1e-7)
        np.testing.assert_allclose(got["max"], ref[f"d{t}_max"], atol=1e-7)
    weights = CoverageWeights.from_plots(plots, Grid.from_dataarray(ndvi))
    # A tessellation of the extent covers every pixel exactly once in total.
    np.testing.assert_allclose(weights.to_csr().sum(axis=0), 1.0, atol=1e-9)


def test_valid_boundary_cells_next_to_masked_runs_are_exact():
    """Plot ``left`` is masked except the cells its boundary crosses: every run sum is NaN and
    is summed again over no valid pixel, the sums come from boundary cells only. All valid
    pixels hold the same value, so the mean must be that value to float64 rounding."""
    height, width = 10, 60
    value = np.float32(1000.123)
    corners = [px(20.3, 0), px(42.3, 10)]
    plots = gpd.GeoDataFrame(
        {"id": ["left", "right"]},
        geometry=[
            shapely.Polygon([px(0, 0), *corners[::-1][::-1], px(0, 10)]),
            shapely.Polygon([corners[0], px(60, 0), px(60, 10), corners[1]]),
        ],
        crs=UTM,
    )
    grid = Grid(height, width, utm_transform(), UTM)
    weights = CoverageWeights.from_plots(plots, grid)
    crossed = np.zeros(height * width, dtype=bool)
    crossed[weights.edge_pixel] = True
    stack = np.where(crossed, value, np.float32(np.nan)).reshape(1, height, width)
    ours = zonal_stats(plots, as_dataarray(stack, utm_transform(), UTM), weights=weights)
    np.testing.assert_allclose(ours["mean"], float(value), rtol=1e-13)
    np.testing.assert_allclose(ours["std"], 0.0, atol=1e-4)  # one-pass: ~|mean| * 1e-8
    assert (ours["valid_fraction"] < 0.5).all()


def test_overlapping_plots_match_exactextract(utm_case):
    stack, ndvi, _ = utm_case
    plots = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"]},
        geometry=[disk(30, 30, 20), box(20.5, 20.5, 60.5, 40.5), disk(35, 33, 5.5)],
        crs=UTM,
    )
    compare(
        zonal_stats(plots, ndvi),
        reference(stack, utm_transform(), plots, ["mean", "stdev", "count"]),
        3,
        tol=1e-6,
    )


def test_mean_is_much_tighter_than_required(utm_case):
    stack, ndvi, plots = utm_case
    ours = zonal_stats(plots, ndvi)
    ref = reference(stack, utm_transform(), plots, ["mean", "stdev", "count"])
    compare(ours, ref, 3, tol=1e-6)


def test_min_max_and_column_selection(utm_case):
    stack, ndvi, plots = utm_case
    ours = zonal_stats(plots, ndvi, stats=("max", "mean", "min"))
    assert list(ours.columns) == ["plot_id", "time", "max", "mean", "min", "valid_fraction"]
    full = zonal_stats(plots, ndvi)  # min and max take another pass: same mean
    pd.testing.assert_series_equal(ours["mean"], full["mean"], rtol=1e-12)
    pd.testing.assert_series_equal(ours["valid_fraction"], full["valid_fraction"])
    ref = reference(stack, utm_transform(), plots, ["min", "max"])
    for t in range(3):
        got = ours.iloc[t::3].reset_index(drop=True)
        np.testing.assert_allclose(got["min"], ref[f"d{t}_min"], rtol=0, atol=1e-7)
        np.testing.assert_allclose(got["max"], ref[f"d{t}_max"], rtol=0, atol=1e-7)


def test_unknown_stat_is_refused(utm_case):
    _, ndvi, plots = utm_case
    with pytest.raises(ZonalError, match="median"):
        zonal_stats(plots, ndvi, stats=("mean", "median"))


def test_coverage_is_exact_area_fraction():
    """Every weight equals the area of plot ∩ pixel, computed by shapely, cell by cell."""
    rng = np.random.default_rng(3)
    grid = Grid(12, 15, Affine(2.0, 0, 100.0, 0, -3.0, 50.0), UTM)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 40))
    radius = rng.uniform(4, 16, 40)
    star = shapely.Polygon(np.c_[115 + radius * np.cos(angles), 32 + 1.3 * radius * np.sin(angles)])
    holed = shapely.box(101.3, 20.2, 118.7, 47.9).difference(shapely.box(105.1, 30.3, 109.9, 38.8))
    on_edges = [  # edges lying exactly on the raster's right, left, top and bottom edges
        shapely.Polygon([(124.3, 40.1), (130, 44.7), (130, 21.2)]),
        shapely.Polygon([(100, 17.5), (107.7, 29.9), (100, 38.2)]),
        shapely.Polygon([(103.1, 50), (119.4, 50), (111.2, 41.3)]),
        shapely.Polygon([(101.1, 14), (128.6, 14), (117.2, 19.9)]),
    ]
    geoms = np.array([star, holed, shapely.box(99, 11, 131, 51), *on_edges], dtype=object)
    weights = CoverageWeights.from_geometries(geoms, grid)
    matrix = weights.to_csr().toarray()
    cells = np.array(
        [
            shapely.box(100 + 2 * c, 50 - 3 * (r + 1), 100 + 2 * (c + 1), 50 - 3 * r)
            for r in range(12)
            for c in range(15)
        ]
    )
    for i, geom in enumerate(geoms):
        expected = shapely.area(shapely.intersection(cells, geom)) / 6.0
        np.testing.assert_allclose(matrix[i], expected, rtol=0, atol=1e-9)
    assert matrix[2].min() == 1.0  # a plot over the whole raster covers every pixel fully
    extent = shapely.box(*grid.bounds)
    np.testing.assert_allclose(
        weights.total, shapely.area(shapely.intersection(geoms, extent)) / 6.0, rtol=1e-12
    )


def test_outside_and_masked_plots_are_nan_not_errors(utm_case):
    _, ndvi, plots = utm_case
    ours = zonal_stats(plots, ndvi).set_index(["plot_id", "time"])
    for name in ("outside", "in_lake"):
        rows = ours.loc[name]
        assert rows["mean"].isna().all() and rows["std"].isna().all()
        assert (rows["count"] == 0).all()
        assert (rows["valid_fraction"] == 0).all()
    half = ours.loc["half_lake"]["valid_fraction"]
    assert half.min() > 0 and half.max() < 1


def test_valid_fraction_counts_only_the_part_inside_the_raster():
    stack = np.full((1, H, W), 0.5, dtype=np.float32)
    ndvi = as_dataarray(stack, utm_transform(), UTM)
    plots = gpd.GeoDataFrame(
        {"id": ["half_out", "in"]}, geometry=[box(70, 10, 90, 20), box(10, 10, 20, 20)], crs=UTM
    )
    ours = zonal_stats(plots, ndvi)
    np.testing.assert_allclose(ours["count"], [100.0, 100.0])
    np.testing.assert_allclose(ours["valid_fraction"], [1.0, 1.0])
    np.testing.assert_allclose(ours["mean"], [0.5, 0.5])
    np.testing.assert_allclose(ours["std"], [0.0, 0.0], atol=1e-7)


def test_fully_masked_date_gives_nan_for_that_date_only(utm_case):
    stack, _, plots = utm_case
    stack = stack.copy()
    stack[1] = np.nan
    ours = zonal_stats(plots, as_dataarray(stack, utm_transform(), UTM))
    second = ours.iloc[1::3]
    assert second["mean"].isna().all() and (second["valid_fraction"] == 0).all()
    assert ours.iloc[0::3]["mean"].notna().sum() > len(plots) // 2


def test_weights_reused_across_dates_match_fresh(utm_case):
    _, ndvi, plots = utm_case
    fresh = zonal_stats(plots, ndvi)
    weights = CoverageWeights.from_plots(plots, Grid.from_dataarray(ndvi))
    reused = [zonal_stats(plots, ndvi.isel(time=[t]), weights=weights) for t in range(3)]
    # Call twice to exercise the cached band indices too.
    reused_again = zonal_stats(plots, ndvi, weights=weights)
    by_date = pd.concat(reused).sort_values(["plot_id", "time"]).reset_index(drop=True)
    expected = fresh.sort_values(["plot_id", "time"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(by_date, expected)
    pd.testing.assert_frame_equal(reused_again, fresh)
    assert zonal_stats(None, ndvi, weights=weights).equals(fresh)


def test_weights_for_another_grid_or_plots_are_refused(utm_case):
    _, ndvi, plots = utm_case
    weights = CoverageWeights.from_plots(plots, Grid.from_dataarray(ndvi))
    with pytest.raises(ZonalError, match="another grid"):
        zonal_stats(plots, ndvi.isel(x=slice(1, None)), weights=weights)
    with pytest.raises(ZonalError, match="other plots"):
        zonal_stats(plots.iloc[::-1], ndvi, weights=weights)


def test_plots_in_wgs84_are_transformed_to_the_raster_crs(utm_case):
    stack, ndvi, plots = utm_case
    in_wgs84 = plots.to_crs(WGS84)
    ours = zonal_stats(in_wgs84, ndvi)
    back = in_wgs84.to_crs(UTM)  # the same vertices exactextract will see
    compare(ours, reference(stack, utm_transform(), back, ["mean", "stdev", "count"]), 3)
    pd.testing.assert_frame_equal(ours, zonal_stats(back, ndvi))


def test_wgs84_raster_via_geotiff(tmp_path):
    """A raster in EPSG:4326 read by exactextract from a GeoTIFF written with rasterio."""
    import rasterio

    transform = Affine(0.001, 0, 77.0, 0, -0.001, 43.5)
    stack = make_stack(50, 70, 2, seed=5)
    ndvi = as_dataarray(stack, transform, WGS84)
    cx, cy = 77.035, 43.475
    plots = gpd.GeoDataFrame(
        {"id": ["disk", "ring", "edge", "tiny", "out"]},
        geometry=[
            shapely.Point(cx, cy).buffer(0.012),
            shapely.Point(cx, cy).buffer(0.02).difference(shapely.Point(cx, cy).buffer(0.008)),
            shapely.box(76.99, 43.46, 77.01, 43.48),
            shapely.box(77.0502, 43.4601, 77.0507, 43.4605),
            shapely.box(78, 44, 78.1, 44.1),
        ],
        crs=WGS84,
    )
    path = tmp_path / "ndvi.tif"
    profile = {"driver": "GTiff", "width": 70, "height": 50, "count": 2, "dtype": "float32"}
    with rasterio.open(path, "w", crs="EPSG:4326", transform=transform, nodata=np.nan, **profile):
        pass
    with rasterio.open(path, "r+") as dst:
        dst.write(stack)
    with rasterio.open(path) as src:
        ref = exactextract.exact_extract(
            src, plots, ["mean", "stdev", "count"], output="pandas", include_cols=["id"]
        )
    ref = ref.rename(columns=lambda c: c.replace("band_1", "d0").replace("band_2", "d1"))
    compare(zonal_stats(plots, ndvi), ref, 2)


def test_positive_y_resolution_gives_the_same_result(utm_case):
    stack, ndvi, plots = utm_case
    south_up = as_dataarray(stack[:, ::-1, :].copy(), Affine(RES, 0, X0, 0, RES, Y0 - H * RES), UTM)
    pd.testing.assert_frame_equal(
        zonal_stats(plots, south_up), zonal_stats(plots, ndvi), rtol=1e-6, atol=1e-9
    )


def test_numeric_nodata_is_honoured(utm_case):
    stack, ndvi, plots = utm_case
    filled = np.where(np.isnan(stack), -9999.0, stack).astype(np.float32)
    with_fill = as_dataarray(filled, utm_transform(), UTM).rio.write_nodata(-9999.0)
    pd.testing.assert_frame_equal(
        zonal_stats(plots, with_fill, stats=("mean", "std", "count", "min")),
        zonal_stats(plots, ndvi, stats=("mean", "std", "count", "min")),
    )


def test_integer_raster_with_fill_value(utm_case):
    """Scaled int16 NDVI as MODIS stores it, with its fill value as nodata."""
    stack, ndvi, plots = utm_case
    scaled = np.where(np.isnan(stack), -3000, np.round(stack * 10000)).astype(np.int16)
    raw = as_dataarray(scaled, utm_transform(), UTM).rio.write_nodata(-3000)
    ours = zonal_stats(plots, raw)
    decoded = np.where(scaled == -3000, np.nan, scaled / 10000.0)
    expected = zonal_stats(plots, as_dataarray(decoded, utm_transform(), UTM))
    masked = zonal_stats(plots, ndvi)
    np.testing.assert_allclose(ours["mean"] / 10000.0, expected["mean"], rtol=1e-12)
    np.testing.assert_allclose(ours["count"], masked["count"], rtol=1e-12)
    np.testing.assert_allclose(ours["mean"] / 10000.0, masked["mean"], atol=1e-4)


def test_two_dimensional_raster_is_one_date_with_nat(utm_case):
    _, ndvi, plots = utm_case
    one = zonal_stats(plots, ndvi.isel(time=0, drop=True))
    assert len(one) == len(plots)
    assert one["time"].isna().all()
    expected = zonal_stats(plots, ndvi).iloc[0::3].reset_index(drop=True)
    pd.testing.assert_frame_equal(one.drop(columns="time"), expected.drop(columns="time"))


def test_invalid_and_empty_geometries(utm_case):
    stack, ndvi, _ = utm_case
    bowtie = shapely.Polygon([px(5, 5), px(25, 25), px(25, 5), px(5, 25)])
    plots = gpd.GeoDataFrame(
        {"id": ["bowtie", "empty", "none"]},
        geometry=[bowtie, shapely.Polygon(), None],
        crs=UTM,
    )
    ours = zonal_stats(plots, ndvi)
    fixed = gpd.GeoDataFrame({"id": ["bowtie"]}, geometry=[shapely.make_valid(bowtie)], crs=UTM)
    ref = reference(stack, utm_transform(), fixed, ["mean", "stdev", "count"])
    compare(ours.iloc[:3], ref, 3)
    assert (ours.iloc[3:]["count"] == 0).all()


def test_all_plots_outside_the_raster(utm_case):
    _, ndvi, _ = utm_case
    plots = gpd.GeoDataFrame(
        {"id": ["east", "none"]}, geometry=[box(100, 0, 110, 10), None], crs=UTM
    )
    weights = CoverageWeights.from_plots(plots, Grid.from_dataarray(ndvi))
    assert len(weights.run_start) == len(weights.edge_pixel) == 0
    ours = zonal_stats(plots, ndvi, weights=weights, stats=("mean", "count", "max"))
    assert ours["mean"].isna().all() and ours["max"].isna().all()
    assert (ours["count"] == 0).all() and (ours["valid_fraction"] == 0).all()


def test_raster_without_crs_is_refused(utm_case):
    _, ndvi, plots = utm_case
    bare = xr.DataArray(ndvi.values, dims=ndvi.dims, coords={"time": ndvi.time})
    with pytest.raises(ZonalError, match="no CRS"):
        zonal_stats(plots, bare)


def test_weights_survive_pickling(utm_case):
    _, ndvi, plots = utm_case
    weights = CoverageWeights.from_plots(plots, Grid.from_dataarray(ndvi))
    expected = zonal_stats(plots, ndvi, weights=weights)
    copy = pickle.loads(pickle.dumps(weights))
    assert copy.grid == weights.grid and copy.plot_ids == weights.plot_ids
    np.testing.assert_array_equal(copy.edge_ptr, weights.edge_ptr)
    pd.testing.assert_frame_equal(zonal_stats(plots, ndvi, weights=copy), expected)


def test_dask_backed_stack_matches_numpy(utm_case):
    _, ndvi, plots = utm_case
    lazy = ndvi.chunk({"time": 2, "y": 17, "x": 30})  # odd chunks: rows cut bands and runs
    assert lazy.chunks is not None
    pd.testing.assert_frame_equal(
        zonal_stats(plots, lazy, stats=("mean", "std", "count", "min", "max")),
        zonal_stats(plots, ndvi, stats=("mean", "std", "count", "min", "max")),
        rtol=1e-6,
        atol=1e-9,
    )


def test_distributed_local_cluster_matches_numpy(utm_case):
    distributed = pytest.importorskip("distributed")
    _, ndvi, plots = utm_case
    expected = zonal_stats(plots, ndvi)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        lazy = zonal_stats(plots, ndvi.chunk({"time": 1, "y": 25}), client=client)
        eager = zonal_stats(plots, ndvi, client=client)
        by_address = zonal_stats(plots, ndvi.chunk({"y": 7}), client=cluster.scheduler_address)
    pd.testing.assert_frame_equal(by_address, expected, rtol=1e-6, atol=1e-9)
    pd.testing.assert_frame_equal(lazy, expected, rtol=1e-6, atol=1e-9)
    pd.testing.assert_frame_equal(eager, expected, rtol=1e-6, atol=1e-9)


def test_threads_give_the_same_weights_and_sums():
    """Plots shared among threads for the weights, bands of rows for the reduction: the
    same weights (up to order within a row) and the same statistics as one thread."""
    height, width = 90, 120
    stack = make_stack(height, width, 2, seed=4)
    ndvi = as_dataarray(stack, utm_transform(), UTM)
    plots = voronoi_plots(400, height, width, seed=9)
    grid = Grid.from_dataarray(ndvi)
    one = CoverageWeights.from_plots(plots, grid, threads=1)
    two = CoverageWeights.from_plots(plots, grid, threads=2)
    assert (one.to_csr() != two.to_csr()).nnz == 0
    np.testing.assert_array_equal(one.run_ptr, two.run_ptr)
    np.testing.assert_array_equal(one.edge_ptr, two.edge_ptr)
    ops = ("mean", "std", "count", "min", "max")
    serial = zonal_stats(plots, ndvi, stats=ops, weights=one, threads=1)
    for threads in (2, 3):
        pd.testing.assert_frame_equal(
            zonal_stats(plots, ndvi, stats=ops, weights=two, threads=threads),
            serial,
            rtol=1e-12,
            atol=1e-12,
        )
    with pytest.raises(ZonalError, match="threads"):
        zonal_stats(plots, ndvi, threads=0)


def test_many_plots_on_threads_give_the_same_weights():
    """Enough plots for their edges to be prepared in chunks on threads (a chunk of polygons
    without holes, one with holes and multipolygons: the two ways rings are read) and their
    coverage in parts: the same weights as on one thread, the areas to the bit."""
    height, width = 200, 300
    geoms = voronoi_plots(2400, height, width, seed=21).geometry.to_numpy().copy()
    for i in range(1300, 2400, 40):
        geoms[i] = geoms[i].difference(geoms[i].centroid.buffer(RES))  # a hole
    for i in range(1310, 1700, 40):
        geoms[i] = shapely.MultiPolygon([geoms[i], geoms[i + 700]])
    grid = Grid(height, width, utm_transform(), UTM)
    one = CoverageWeights.from_geometries(geoms, grid, threads=1)
    two = CoverageWeights.from_geometries(geoms, grid, threads=2)
    assert (one.to_csr() != two.to_csr()).nnz == 0
    for name in ("run_ptr", "edge_ptr", "interior", "total"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name), err_msg=name)
    area = shapely.area(shapely.make_valid(geoms)) / RES**2
    np.testing.assert_allclose(two.total, area, rtol=1e-9)


def test_dates_in_one_pass_match_the_weight_matrix():
    """An in-memory stack is reduced several dates per pass over the weights, runs summed in
    masked windows (runs longer than a window, runs at the raster's end): each date's sums
    are the weight matrix times that date, as when the date is reduced alone, and a stack
    that has to be copied (numeric nodata) goes date by date to the same result."""
    height, width, dates = 50, 300, 11
    stack = make_stack(height, width, dates, seed=5)
    stack[:, -1, -70:] = np.linspace(0.2, 0.4, 70)  # valid pixels up to the raster's end
    times = np.datetime64("2024-04-01", "ns") + np.arange(dates) * np.timedelta64(8, "D")
    ndvi = xr.DataArray(stack, dims=("time", "y", "x"), coords={"time": times})
    ndvi = ndvi.rio.write_crs(UTM).rio.write_transform(utm_transform())
    plots = voronoi_plots(12, height, width, seed=3)
    plots.loc[len(plots)] = ["whole", box(-3.5, -2.2, 305.5, 53.1)]
    weights = CoverageWeights.from_plots(plots, Grid.from_dataarray(ndvi))
    assert (weights.run_end - weights.run_start).max() > 128
    ops = ("mean", "std", "count", "min", "max")
    ours = zonal_stats(plots, ndvi, stats=ops, weights=weights)
    matrix = weights.to_csr()
    for t in range(dates):
        got = ours.iloc[t::dates].reset_index(drop=True)
        values = stack[t].reshape(-1).astype(np.float64)
        valid = ~np.isnan(values)
        count = matrix @ valid.astype(np.float64)
        mean = (matrix @ np.where(valid, values, 0.0)) / count
        var = (matrix @ np.where(valid, values * values, 0.0)) / count - mean * mean
        np.testing.assert_allclose(got["count"], count, rtol=1e-12)
        np.testing.assert_allclose(got["mean"], mean, rtol=1e-12)
        np.testing.assert_allclose(got["std"], np.sqrt(var), rtol=1e-9)
        for i in range(len(plots)):
            pixels = matrix[[i]].indices
            assert got["min"][i] == np.nanmin(values[pixels])
            assert got["max"][i] == np.nanmax(values[pixels])
        alone = zonal_stats(plots, ndvi.isel(time=t), stats=ops, weights=weights)
        for name in (*ops, "valid_fraction"):
            np.testing.assert_allclose(got[name], alone[name], rtol=1e-13, err_msg=name)
    filled = ndvi.copy(data=np.where(np.isnan(stack), -9999.0, stack)).rio.write_nodata(-9999.0)
    pd.testing.assert_frame_equal(
        zonal_stats(plots, filled, stats=ops, weights=weights), ours, rtol=1e-13
    )


def large_plots(rng: np.random.Generator) -> tuple[Grid, np.ndarray]:
    """A grid with a star, a comb and their difference: too large for the dense box."""
    height, width = 700, 900
    grid = Grid(height, width, Affine(1.0, 0, 0.0, 0, -1.0, float(height)), UTM)
    angles = np.linspace(0, 2 * np.pi, 600, endpoint=False)
    radius = rng.uniform(150, 330, len(angles))
    star = shapely.Polygon(np.c_[450 + radius * np.cos(angles), 350 + radius * np.sin(angles)])
    teeth = [(x, 20.0 + 90.0 * (i % 2) + 0.37) for i, x in enumerate(np.arange(3.3, 890, 1.7))]
    comb = shapely.Polygon([(2.2, 5.5), *teeth, (890.6, 5.5)])  # hundreds of events per row
    return grid, np.array([star, comb, star.difference(comb.buffer(40))], dtype=object)


def test_large_plots_are_exact():
    """Plots with thousands of boundary cells and hundreds of events in a row, too large for
    the dense box (the builder's event buffers grow, rows sort their events): sampled cells
    match shapely's intersection areas. The other tests' plots take the dense box."""
    rng = np.random.default_rng(12)
    grid, geoms = large_plots(rng)
    height, width = grid.shape
    boxes = shapely.bounds(geoms)
    assert ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) > DENSE_CELLS).all()
    weights = CoverageWeights.from_geometries(geoms, grid)
    assert len(weights.edge_pixel) > 20_000
    np.testing.assert_allclose(weights.total, shapely.area(geoms), rtol=1e-12)
    matrix = weights.to_csr()
    pixels = np.r_[rng.choice(weights.edge_pixel, 1500), rng.integers(0, height * width, 500)]
    rows, cols = np.divmod(pixels, width)
    cells = shapely.box(cols, height - rows - 1, cols + 1, height - rows)
    for i, geom in enumerate(geoms):
        expected = shapely.area(shapely.intersection(cells, geom))
        np.testing.assert_allclose(matrix[[i]][:, pixels].toarray()[0], expected, atol=1e-9)


def test_builder_buffers_grow_to_the_same_weights(monkeypatch):
    """The builder's run and cell buffers start at a size estimated from the edges, which is
    enough as a rule; started at one entry instead, they grow, to the same weights."""
    grid, geoms = large_plots(np.random.default_rng(12))
    expected = CoverageWeights.from_geometries(geoms, grid, threads=1)
    plot_coverage = zonal_kernels.plot_coverage

    def from_one_entry(*args: object) -> tuple[np.ndarray, ...]:
        *head, _runs, _cells, interior, partial = args
        return plot_coverage(*head, 1, 1, interior, partial)

    monkeypatch.setattr(zonal_kernels, "plot_coverage", from_one_entry)
    grown = CoverageWeights.from_geometries(geoms, grid, threads=1)
    for name in ("run_start", "run_end", "run_plot", "edge_pixel", "edge_plot", "edge_cover"):
        np.testing.assert_array_equal(getattr(grown, name), getattr(expected, name), name)
    np.testing.assert_array_equal(grown.total, expected.total)


def test_transposed_and_read_only_rasters(utm_case):
    """A raster stored (time, x, y) and a read-only one give the same result as the plain
    stack (non-contiguous dates are copied for the kernel)."""
    _, ndvi, plots = utm_case
    expected = zonal_stats(plots, ndvi, stats=("mean", "std", "count", "max"))
    transposed = ndvi.transpose("time", "x", "y")
    pd.testing.assert_frame_equal(
        zonal_stats(plots, transposed, stats=("mean", "std", "count", "max")), expected
    )
    frozen = ndvi.copy(data=ndvi.values.copy())
    frozen.values.flags.writeable = False
    pd.testing.assert_frame_equal(
        zonal_stats(plots, frozen, stats=("mean", "std", "count", "max")), expected
    )
