"""Display simplification keeps a gap-free coverage: neighbours share edges, area barely changes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from pasture.maps import display_tolerance, fit_zoom, simplify_for_display


def _equal_area(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    return frame.geometry.to_crs("+proj=laea +lat_0=43.5 +lon_0=78.1 +datum=WGS84 +units=m")


def test_coverage_simplify_keeps_shared_edges(demo_layers) -> None:
    plots = demo_layers["plots"]
    tolerance = display_tolerance(12)
    out = simplify_for_display(plots, tolerance=tolerance)
    before = np.asarray(plots.geometry.values)
    after = np.asarray(out.geometry.values)
    assert (
        shapely.get_num_coordinates(after).sum() < 0.9 * shapely.get_num_coordinates(before).sum()
    )
    # still a valid coverage: no overlaps, no gaps opened between neighbours
    assert shapely.coverage_is_valid(after)
    assert shapely.is_valid(after).all()
    # every pair of neighbours still shares a boundary of about the same length
    tree = shapely.STRtree(before)
    left, right = tree.query(before, predicate="touches")
    pairs = [(i, j) for i, j in zip(left, right, strict=True) if i < j]
    shared_before = shapely.length(
        shapely.intersection(
            shapely.boundary(before[[i for i, _ in pairs]]),
            shapely.boundary(before[[j for _, j in pairs]]),
        )
    )
    edge_pairs = [k for k, s in enumerate(shared_before) if s > 0]
    assert len(edge_pairs) > 1000
    a = after[[pairs[k][0] for k in edge_pairs]]
    b = after[[pairs[k][1] for k in edge_pairs]]
    shared_after = shapely.length(shapely.intersection(shapely.boundary(a), shapely.boundary(b)))
    assert (shared_after > 0).all()
    # no overlap area between any neighbours
    overlap = shapely.area(shapely.intersection(a, b))
    assert overlap.max() < 1e-12
    # the union area barely changes
    area_before = _equal_area(plots).union_all().area
    area_after = _equal_area(out).union_all().area
    assert abs(area_after - area_before) / area_before < 0.005


def test_zero_tolerance_changes_nothing(demo_layers) -> None:
    plots = demo_layers["plots"].head(30)
    out = simplify_for_display(plots, tolerance=0)
    assert out.geometry.geom_equals_exact(plots.geometry, 0).all()
    with pytest.raises(ValueError, match="tolerance"):
        simplify_for_display(plots, tolerance=-1)


def test_tolerance_halves_per_zoom_and_fit_zoom_fits_the_district(demo_layers) -> None:
    assert display_tolerance(11) == pytest.approx(display_tolerance(10) / 2)
    zoom = fit_zoom(tuple(demo_layers["okrugs"].total_bounds))
    assert 8 <= zoom <= 10
