"""The overlap check's suspects (pasture.store.shared_edges): every plot GEOS's coverage
check finds, whatever the rings' orientation, and the plots of a clean tiling's interior not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from pasture.store.shared_edges import with_unshared_edges
from pasture.store.validation import ValidationContext, _check_plot_topology


def grid(n: int = 3) -> list[shapely.Polygon]:
    return [shapely.box(i, j, i + 1, j + 1) for i in range(n) for j in range(n)]


def suspects(geoms: list[shapely.Geometry]) -> list[int]:
    return np.flatnonzero(with_unshared_edges(np.array(geoms, dtype=object))).tolist()


def test_a_tilings_inner_plot_shares_every_edge_and_its_border_plots_do_not() -> None:
    assert suspects(grid()) == [0, 1, 2, 3, 5, 6, 7, 8]


def test_the_way_a_ring_runs_does_not_matter() -> None:
    cells = grid()
    clockwise = [
        shapely.Polygon(list(c.exterior.coords)[::-1]) if k % 2 else c for k, c in enumerate(cells)
    ]
    multi = [shapely.MultiPolygon([c]) for c in clockwise]
    assert suspects(clockwise) == suspects(multi) == [0, 1, 2, 3, 5, 6, 7, 8]


@pytest.mark.parametrize(
    "extra",
    [
        shapely.box(1, 1, 2, 2),  # the centre twice: its edges run the same way
        shapely.box(1.2, 1.2, 1.8, 1.8),  # inside the centre, no edge shared
        shapely.box(1.5, 0.5, 2.5, 1.5),  # across four cells
        shapely.Polygon([(1, 1), (1.5, 1), (2, 1), (2, 2), (1, 2)]),  # the centre, a vertex more
    ],
)
def test_a_plot_over_the_centre_makes_the_centre_or_itself_a_suspect(
    extra: shapely.Polygon,
) -> None:
    geoms = [*grid(), extra]
    found = suspects(geoms)
    assert 9 in found
    # whatever GEOS's coverage check finds is found too
    geos = np.flatnonzero(~shapely.is_empty(shapely.coverage_invalid_edges(geoms))).tolist()
    assert set(geos) <= set(found)


def test_a_hole_filled_by_a_plot_is_a_shared_edge() -> None:
    holed = shapely.Polygon(
        shapely.box(0, 0, 3, 3).exterior.coords, [shapely.box(1, 1, 2, 2).exterior.coords]
    )
    assert suspects([holed, shapely.box(1, 1, 2, 2)]) == [0]
    assert suspects([holed, shapely.box(1.1, 1, 2, 2)]) == [0, 1]


def test_random_tilings_and_an_overlap_agree_with_geos() -> None:
    rng = np.random.default_rng(3)
    points = shapely.multipoints(rng.uniform(0, 1, size=(300, 2)))
    cells = list(
        shapely.get_parts(shapely.voronoi_polygons(points, extend_to=shapely.box(0, 0, 1, 1)))
    )
    cells = list(shapely.intersection(cells, shapely.box(0, 0, 1, 1)))
    cells[10] = shapely.buffer(cells[10], 0.01)  # grows over its neighbours
    found = set(suspects(cells))
    geos = set(np.flatnonzero(~shapely.is_empty(shapely.coverage_invalid_edges(cells))).tolist())
    assert 10 in geos and geos <= found


def test_the_overlap_check_reports_a_plot_grown_over_its_inner_neighbour() -> None:
    cells = grid(4)
    cells[5] = shapely.box(1, 1, 2.5, 2)  # half over its neighbour p9
    frame = pd.DataFrame(
        {"id": [f"p{k}" for k in range(len(cells))], "union_id": None, "geometry": cells}
    )
    problems = _check_plot_topology(frame, ValidationContext(allow_outside_union=True))
    assert [(p.message, p.feature) for p in problems] == [
        ("overlaps plot 'p9'; fix the boundaries or allow overlaps explicitly", "#6 (id 'p5')")
    ]
