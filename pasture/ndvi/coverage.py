"""Exact coverage weights of pasture plots over a raster grid, reusable for every date.

The fraction of each pixel that lies inside each plot (its *coverage*, defined as
exactextract defines it) is computed once per plot set and raster grid in a
:class:`CoverageWeights` object; :mod:`pasture.ndvi.zonal` reduces every date with it, so
each further date costs about one pass over its pixels.

How the weights are computed
    Polygon rings are taken into pixel space and each edge is cut at every row and column line
    it crosses. Every piece adds its exact signed area to the cell it lies in and its height to
    the cells on its right (the scan-line accumulation of exact-area font rasterisers); a
    prefix sum along each row of each plot then gives the exact area fraction of every cell.
    Between two cells crossed by a boundary the coverage is constant (0 or 1, or a fraction
    along a horizontal edge), so a plot is stored as runs of fully covered pixels per row plus
    a sparse list of fractional cells: a CSR matrix in run-length form (:meth:`to_csr` expands
    it), grouped by row. The pieces and the per-row sums are a compiled (numba) kernel, one
    plot at a time, with the plots shared among threads; each thread counts its runs and
    cells per row, and then writes them straight to their place in the arrays grouped by row
    (a counting sort, the threads' parts of a row one after the other).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import numba
import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import shapely
from affine import Affine
from pyproj import CRS

from pasture.errors import PastureError
from pasture.ndvi import zonal_kernels as kernels

if TYPE_CHECKING:
    import geopandas as gpd
    import scipy.sparse
    import xarray as xr

__all__ = ["CoverageWeights", "Grid", "ZonalError", "plot_ids_of", "run_parts", "thread_count"]

_BAND_ROWS = 256  # plots are taken by bands of this many rows (see _coverage)
_EPS = 1e-9  # coverage closer than this to 0 or 1 is 0 or 1 (area error is ~1e-12 of a pixel)
_T = TypeVar("_T")


class ZonalError(PastureError, ValueError):
    """Plots or a raster that zonal statistics cannot use (no CRS, rotated grid, wrong weights)."""


# --------------------------------------------------------------------------------------------
# Grid
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """The pixel grid of a raster: shape, affine transform (north-up, no rotation) and CRS."""

    height: int
    width: int
    transform: Affine
    crs: CRS

    def __post_init__(self) -> None:
        t = self.transform
        if t.b != 0 or t.d != 0:
            raise ZonalError(
                f"rotated or sheared grids are not supported (transform {tuple(t)[:6]}); "
                "warp the raster to a north-up grid first"
            )
        if t.a == 0 or t.e == 0:
            raise ZonalError(f"degenerate transform {tuple(t)[:6]}: pixel size is zero")
        if self.height <= 0 or self.width <= 0:
            raise ZonalError(f"empty grid {self.height}×{self.width}")

    @classmethod
    def from_dataarray(cls, da: xr.DataArray) -> Grid:
        """The grid of a rioxarray-aware DataArray (``da.rio.crs``, ``da.rio.transform()``)."""
        rio = da.rio
        if rio.crs is None:
            raise ZonalError("the raster has no CRS; set one with ndvi.rio.write_crs(...)")
        return cls(
            height=int(da.sizes[rio.y_dim]),
            width=int(da.sizes[rio.x_dim]),
            transform=Affine(*tuple(rio.transform())[:6]),
            crs=CRS.from_user_input(rio.crs),
        )

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)``."""
        return (self.height, self.width)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` of the raster extent in its CRS."""
        t = self.transform
        xs = (t.c, t.c + t.a * self.width)
        ys = (t.f, t.f + t.e * self.height)
        return (min(xs), min(ys), max(xs), max(ys))


# --------------------------------------------------------------------------------------------
# Coverage weights
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CoverageWeights:
    """Exact coverage fractions of plots over a grid, reusable for every date of that grid.

    Stored per plot as runs of fully covered pixels (``run_start``/``run_end``, flat pixel
    indices ``row * width + col``, half-open, each within one row, with ``run_plot``) and
    boundary cells with a fractional coverage (``edge_pixel``, with ``edge_plot`` and
    ``edge_cover``). Both are grouped by row, rows in order, each row nearly in column order
    (plots by bands of rows, from left to right in a band; a plot's entries of a row are
    consecutive): the runs of row ``r`` are ``run_ptr[r]:run_ptr[r + 1]``, its boundary
    cells ``edge_ptr[r]:edge_ptr[r + 1]``. :meth:`to_csr` gives the same weights as a scipy
    CSR matrix plots × pixels. Immutable.
    """

    grid: Grid
    plot_ids: tuple[str, ...]
    run_start: np.ndarray
    run_end: np.ndarray
    run_plot: np.ndarray
    edge_pixel: np.ndarray
    edge_plot: np.ndarray
    edge_cover: np.ndarray
    run_ptr: np.ndarray = field(repr=False)
    edge_ptr: np.ndarray = field(repr=False)
    interior: np.ndarray = field(repr=False)
    total: np.ndarray = field(repr=False)

    @classmethod
    def from_plots(
        cls, plots: gpd.GeoDataFrame, grid: Grid, *, threads: int | None = None
    ) -> CoverageWeights:
        """Compute the weights of ``plots`` (``id`` column, any CRS) over ``grid``.

        ``threads``: plots are shared among this many threads (default: numba's number of
        threads, ``NUMBA_NUM_THREADS``, the number of CPUs unless set).
        """
        if plots.crs is None:
            raise ZonalError("the plots have no CRS; set one with plots.set_crs(...)")
        if "id" not in plots.columns:
            raise ZonalError("the plots need an 'id' column")
        ids = plot_ids_of(plots)
        projected = (
            plots.geometry.to_crs(grid.crs) if CRS(plots.crs) != grid.crs else plots.geometry
        )
        return cls.from_geometries(
            np.asarray(projected.values, dtype=object), grid, ids=ids, threads=threads
        )

    @classmethod
    def from_geometries(
        cls,
        geoms: np.ndarray,
        grid: Grid,
        *,
        ids: Sequence[str] | None = None,
        threads: int | None = None,
    ) -> CoverageWeights:
        """Compute the weights of shapely polygons already in the grid's CRS."""
        geoms = np.asarray(geoms, dtype=object)
        n = len(geoms)
        plot_ids = tuple(ids) if ids is not None else tuple(str(i) for i in range(n))
        if len(plot_ids) != n:
            raise ZonalError(f"{len(plot_ids)} ids for {n} geometries")
        threads = thread_count(threads)
        x0, y0, x1, y1, seg_plot = _pixel_segments(geoms, grid, threads)
        runs, edges, (interior, partial) = _coverage(
            x0, y0, x1, y1, seg_plot, n, grid.height, grid.width, threads
        )
        run_start, run_end, run_plot, run_ptr = runs
        edge_pixel, edge_plot, edge_cover, edge_ptr = edges
        return cls(
            grid=grid,
            plot_ids=plot_ids,
            run_start=run_start,
            run_end=run_end,
            run_plot=run_plot,
            edge_pixel=edge_pixel,
            edge_plot=edge_plot,
            edge_cover=edge_cover,
            run_ptr=run_ptr,
            edge_ptr=edge_ptr,
            interior=interior,
            total=interior + partial,
        )

    @property
    def n_plots(self) -> int:
        """Number of plots (rows of the weight matrix)."""
        return len(self.plot_ids)

    @property
    def nbytes(self) -> int:
        """Memory held by the weight arrays."""
        arrays = [self.run_start, self.run_end, self.run_plot, self.edge_pixel, self.edge_plot]
        arrays += [self.edge_cover, self.run_ptr, self.edge_ptr, self.interior, self.total]
        return sum(a.nbytes for a in arrays)

    def to_csr(self) -> scipy.sparse.csr_array:
        """The weights as a CSR matrix of shape ``(n_plots, height * width)``."""
        import scipy.sparse

        lengths = self.run_end - self.run_start
        run_pixels = np.repeat(self.run_end - np.cumsum(lengths), lengths) + np.arange(
            lengths.sum()
        )
        rows = np.concatenate([np.repeat(self.run_plot, lengths), self.edge_plot])
        cols = np.concatenate([run_pixels, self.edge_pixel])
        data = np.concatenate([np.ones(len(run_pixels)), self.edge_cover])
        shape = (self.n_plots, self.grid.height * self.grid.width)
        return scipy.sparse.csr_array(scipy.sparse.coo_array((data, (rows, cols)), shape=shape))

    def __dask_tokenize__(self) -> object:
        # Hashing hundreds of MB of arrays to name a task is wasted work: identity is enough.
        return ("pasture.ndvi.coverage.CoverageWeights", id(self))


def plot_ids_of(plots: gpd.GeoDataFrame) -> tuple[str, ...]:
    """The plots' ids as strings (by way of a list: iterating over an Arrow-backed column
    one value at a time takes ten times longer)."""
    return tuple(map(str, plots["id"].tolist()))


def thread_count(threads: int | None) -> int:
    """The number of threads to use: ``threads``, or numba's number of threads."""
    if threads is None:
        return int(numba.get_num_threads())
    if threads < 1:
        raise ZonalError(f"threads must be at least 1, not {threads}")
    return int(threads)


def run_parts(fn: Callable[[int], _T], parts: int) -> list[_T]:
    """``[fn(0), ..., fn(parts - 1)]``, on ``parts`` threads (the kernels release the GIL)."""
    if parts == 1:
        return [fn(0)]
    with ThreadPoolExecutor(parts, thread_name_prefix="pasture-zonal") as pool:
        return list(pool.map(fn, range(parts)))


def _polygon_geometries(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Valid, non-empty polygons or multipolygons of the plots, and the plot of each."""
    geoms = np.asarray(geoms, dtype=object).copy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    bad = keep & ~shapely.is_valid(geoms)
    if bad.any():
        geoms[bad] = shapely.make_valid(geoms[bad])
    types = shapely.get_type_id(geoms)
    for i in np.flatnonzero(keep & (types != 3) & (types != 6)):
        # Collections (from make_valid or given): keep their polygonal parts only.
        parts = [geoms[i]]
        polygons = []
        while parts:
            part = parts.pop()
            kind = shapely.get_type_id(part)
            if kind == 3 and not part.is_empty:
                polygons.append(part)
            elif kind in (6, 7):
                parts.extend(shapely.get_parts(part))
        geoms[i] = shapely.MultiPolygon(polygons) if polygons else None
        keep[i] = bool(polygons)
    index = np.flatnonzero(keep)
    return geoms[index], index


def _pixel_segments(
    geoms: np.ndarray, grid: Grid, threads: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Directed ring edges in pixel coordinates (x = column, y = row), oriented so that
    the area inside counts +1 in the scan-line accumulation and clipped to the grid
    (:func:`_clip_edges`), and the plot of each edge.

    The plots are shared among ``threads`` threads, in consecutive chunks (shapely and
    numpy release the GIL), and their edges put back together in plot order.
    """
    chunks = max(1, min(threads, len(geoms) // 1000))
    cuts = [len(geoms) * i // chunks for i in range(chunks + 1)]

    def chunk(i: int) -> tuple[np.ndarray, ...]:
        x0, y0, x1, y1, plot = _chunk_segments(geoms[cuts[i] : cuts[i + 1]], grid)
        return x0, y0, x1, y1, plot + cuts[i]

    parts = run_parts(chunk, chunks)
    x0, y0, x1, y1, plot = (np.concatenate(a) for a in zip(*parts, strict=True))
    return x0, y0, x1, y1, plot


def _chunk_segments(
    geoms: np.ndarray, grid: Grid
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_pixel_segments` of some plots, on this thread."""
    polygons, plot_of = _polygon_geometries(geoms)
    empty = np.zeros(0)
    if len(polygons) == 0:
        return empty, empty, empty, empty, empty.astype(np.int64)
    xy, ring_offsets, exterior, ring_geom = _rings(polygons)
    n_rings = len(ring_offsets) - 1
    coord_ring = np.repeat(np.arange(n_rings), np.diff(ring_offsets))
    t = grid.transform
    px = (xy[:, 0] - t.c) / t.a
    py = (xy[:, 1] - t.f) / t.e
    same = coord_ring[:-1] == coord_ring[1:]
    x0, y0, x1, y1 = px[:-1][same], py[:-1][same], px[1:][same], py[1:][same]
    seg_ring = coord_ring[:-1][same]
    # Orientation from the signed area of each ring (about its first vertex, for precision):
    # exteriors must be clockwise in (column, row) space and holes counter-clockwise.
    fx, fy = px[ring_offsets[:-1]][seg_ring], py[ring_offsets[:-1]][seg_ring]
    cross = (x0 - fx) * (y1 - fy) - (x1 - fx) * (y0 - fy)
    area = np.bincount(seg_ring, weights=cross, minlength=n_rings)
    flip = np.where(exterior, area > 0, area < 0)[seg_ring]
    x0, x1 = np.where(flip, x1, x0), np.where(flip, x0, x1)
    y0, y1 = np.where(flip, y1, y0), np.where(flip, y0, y1)
    plot = plot_of[ring_geom[seg_ring]].astype(np.int64)
    # Horizontal edges add nothing; edges entirely above, below or right of the grid neither.
    keep = (y0 != y1) & (np.maximum(y0, y1) > 0) & (np.minimum(y0, y1) < grid.height)
    keep &= np.minimum(x0, x1) < grid.width
    x0, y0, x1, y1, plot = (a[keep] for a in (x0, y0, x1, y1, plot))
    return _clip_edges(x0, y0, x1, y1, plot, grid.height, grid.width)


def _rings(polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rings of polygons or multipolygons: their coordinates, ring offsets into them,
    whether each ring is an exterior and the polygon it belongs to."""
    if (shapely.get_type_id(polygons) == 3).all() and not shapely.get_num_interior_rings(
        polygons
    ).any():
        # Polygons without holes, as most plots are: one ring each, read without making a
        # geometry object per ring (which to_ragged_array does, at 4 times the cost).
        xy = shapely.get_coordinates(polygons)
        ring_offsets = np.zeros(len(polygons) + 1, dtype=np.int64)
        np.cumsum(shapely.get_num_coordinates(polygons), out=ring_offsets[1:])
        return xy, ring_offsets, np.ones(len(polygons), dtype=bool), np.arange(len(polygons))
    kind, xy, offsets = shapely.to_ragged_array(polygons)
    ring_offsets = np.asarray(offsets[0], dtype=np.int64)
    part_offsets = np.asarray(offsets[1], dtype=np.int64)
    if kind == shapely.GeometryType.POLYGON:
        part_geom = np.arange(len(part_offsets) - 1)
    else:
        geom_offsets = np.asarray(offsets[2], dtype=np.int64)
        part_geom = np.repeat(np.arange(len(geom_offsets) - 1), np.diff(geom_offsets))
    ring_part = np.repeat(np.arange(len(part_offsets) - 1), np.diff(part_offsets))
    exterior = np.zeros(len(ring_offsets) - 1, dtype=bool)
    exterior[part_offsets[:-1][np.diff(part_offsets) > 0]] = True
    return xy, ring_offsets, exterior, part_geom[ring_part]


def _split_at_x(
    x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, plot: np.ndarray, v: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut segments crossing the vertical line x = v in two."""
    cross = (np.minimum(x0, x1) < v) & (np.maximum(x0, x1) > v)
    if not cross.any():
        return x0, y0, x1, y1, plot
    cx0, cy0, cx1, cy1 = x0[cross], y0[cross], x1[cross], y1[cross]
    ym = cy0 + (v - cx0) / (cx1 - cx0) * (cy1 - cy0)
    xm = np.full_like(ym, v)
    keep = ~cross
    return (
        np.concatenate([x0[keep], cx0, xm]),
        np.concatenate([y0[keep], cy0, ym]),
        np.concatenate([x1[keep], xm, cx1]),
        np.concatenate([y1[keep], ym, cy1]),
        np.concatenate([plot[keep], plot[cross], plot[cross]]),
    )


def _clip_edges(
    x0: np.ndarray,
    y0: np.ndarray,
    x1: np.ndarray,
    y1: np.ndarray,
    plot: np.ndarray,
    height: int,
    width: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Clip edges to the rows of the grid, fold the part left of column 0 onto x = 0 (it
    covers every cell to its right) and drop the part right of the grid (it covers none)."""
    dy = y1 - y0
    ta = (0.0 - y0) / dy
    tb = (height - y0) / dy
    t0 = np.clip(np.minimum(ta, tb), 0.0, 1.0)
    t1 = np.clip(np.maximum(ta, tb), 0.0, 1.0)
    keep = t0 < t1
    x0, y0, x1, y1, plot, t0, t1, dy = (a[keep] for a in (x0, y0, x1, y1, plot, t0, t1, dy))
    dx = x1 - x0
    nx0 = np.where(t0 > 0, x0 + t0 * dx, x0)
    ny0 = np.clip(np.where(t0 > 0, y0 + t0 * dy, y0), 0.0, height)
    nx1 = np.where(t1 < 1, x0 + t1 * dx, x1)
    ny1 = np.clip(np.where(t1 < 1, y0 + t1 * dy, y1), 0.0, height)
    x0, y0, x1, y1, plot = _split_at_x(nx0, ny0, nx1, ny1, plot, 0.0)
    x0, y0, x1, y1, plot = _split_at_x(x0, y0, x1, y1, plot, float(width))
    keep = np.minimum(x0, x1) < width
    x0, y0, x1, y1, plot = (a[keep] for a in (x0, y0, x1, y1, plot))
    return np.maximum(x0, 0.0), y0, np.maximum(x1, 0.0), y1, plot


def _coverage(
    x0: np.ndarray,
    y0: np.ndarray,
    x1: np.ndarray,
    y1: np.ndarray,
    plot: np.ndarray,
    n_plots: int,
    height: int,
    width: int,
    threads: int,
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], tuple[np.ndarray, np.ndarray]]:
    """Runs (start, end, plot, row pointers) and boundary cells (pixel, plot, cover, row
    pointers) of all plots, grouped by row, and the area of each plot's runs and of its
    cells, from their edges as :func:`_pixel_segments` gives them; the plots are shared
    among ``threads`` threads."""
    order = np.argsort(plot, kind="stable")
    x0, y0, x1, y1, plot = (np.ascontiguousarray(a[order]) for a in (x0, y0, x1, y1, plot))
    seg_ptr = np.searchsorted(plot, np.arange(n_plots + 1)).astype(np.int64)
    # Plots by bands of rows (of their top vertex), and from left to right within a band (by
    # their leftmost vertex): the runs and cells of a row then come out nearly in column
    # order (a sweep or two along the row), and those of a band go to a few hundred rows at a
    # time (grouping them by row writes to cached memory).
    nonempty = seg_ptr[1:] > seg_ptr[:-1]
    starts = seg_ptr[:-1][nonempty]
    left = np.full(n_plots, np.inf)
    top = np.full(n_plots, np.inf)
    if nonempty.any():
        left[nonempty] = np.minimum.reduceat(np.minimum(x0, x1), starts)
        top[nonempty] = np.minimum.reduceat(np.minimum(y0, y1), starts) // _BAND_ROWS
    order = np.lexsort((left, top))[: int(nonempty.sum())]
    # Threads get consecutive plots of that order, of about equal work (pieces of edges, each
    # in one cell: about one boundary cell each). A row crossed by edges of a plot n times
    # has at most n / 2 runs of it.
    pieces = _per_plot(np.abs(x1 - x0) + np.abs(y1 - y0) + 3.0, seg_ptr)
    crossings = _per_plot(np.abs(y1 - y0) + 1.0, seg_ptr)
    work = np.cumsum(pieces[order])
    parts = max(1, min(threads, len(plot) // 1000))
    total = work[-1] if len(work) else 0.0
    cuts = np.r_[0, np.searchsorted(work, total * np.arange(1, parts) / parts), len(order)]

    interior = np.zeros(n_plots)
    partial = np.zeros(n_plots)

    def part(i: int) -> tuple[np.ndarray, ...]:
        plots = order[cuts[i] : cuts[i + 1]]
        # Buffers of about the right size from the start: growing them copies them.
        runs, cells = int(crossings[plots].sum()) // 2 + 1024, int(pieces[plots].sum()) + 1024
        return kernels.plot_coverage(
            x0, y0, x1, y1, seg_ptr, plots, height, width, _EPS, runs, cells, interior, partial
        )  # fmt: skip

    # Each part's entries go straight to their place in the arrays grouped by row.
    results = run_parts(part, parts)
    run_fill, run_ptr = _row_slots([r[6] for r in results])
    edge_fill, edge_ptr = _row_slots([r[7] for r in results])
    runs = [np.empty(run_ptr[-1], dtype=a.dtype) for a in results[0][:3]]
    edges = [np.empty(edge_ptr[-1], dtype=a.dtype) for a in results[0][3:6]]

    def scatter(i: int) -> None:
        run_start, run_end, run_plot, pixel, cell_plot, cover = results[i][:6]
        kernels.scatter_by_row(run_start, run_end, run_plot, width, run_fill[i], *runs)
        kernels.scatter_by_row(pixel, cell_plot, cover, width, edge_fill[i], *edges)

    run_parts(scatter, parts)
    return (*runs, run_ptr), (*edges, edge_ptr), (interior, partial)


def _per_plot(values: np.ndarray, seg_ptr: np.ndarray) -> np.ndarray:
    """Sums of per-edge ``values`` over the edges of each plot."""
    cum = np.r_[0.0, np.cumsum(values)]
    return cum[seg_ptr[1:]] - cum[seg_ptr[:-1]]


def _row_slots(counts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Where each part writes its entries when all are grouped by row, part after part within
    a row (as a stable sort of the parts' concatenation would put them), from the parts'
    counts per row: the first slot of each part in each row (parts × rows) and the row
    pointers of the result (rows + 1)."""
    per_part = np.stack(counts)
    ptr = np.zeros(per_part.shape[1] + 1, dtype=np.int64)
    np.cumsum(per_part.sum(axis=0), out=ptr[1:])
    fill = ptr[:-1] + np.cumsum(per_part, axis=0) - per_part
    return fill, ptr
