"""Zonal statistics of NDVI stacks over pasture plots, with exact reusable coverage weights.

The hot path of the NDVI side: every plot × every date. The fraction of each pixel that lies
inside each plot (its *coverage*, defined as exactextract defines it) is computed once per plot
set and raster grid in a :class:`CoverageWeights` object and reused for every date, so each
further date costs about one pass over its pixels.

How the weights are computed
    Polygon rings are taken into pixel space and each edge is cut at every row and column line
    it crosses. Every piece adds its exact signed area to the cell it lies in and its height to
    the cells on its right (the scan-line accumulation of exact-area font rasterisers); a
    prefix sum along each row of each plot then gives the exact area fraction of every cell.
    Between two cells crossed by a boundary the coverage is constant (0 or 1, or a fraction
    along a horizontal edge), so a plot is stored as runs of fully covered pixels per row plus
    a sparse list of fractional cells: a CSR matrix in run-length form (:meth:`to_csr` expands
    it). Everything is vectorised numpy over all plots at once, in batches of plots.

How a date is reduced
    Bands of rows small enough for the cache are read once. Runs are summed with
    ``numpy.add.reduceat`` (values, then squares); a run's segment also swallows the short gap
    of boundary pixels up to the next run, which boundary entries of weight -1 take out again,
    so there is one segment per run. Segments that come out NaN are summed again over their
    valid pixels only. Boundary cells are gathered and reduced per plot. Σc·valid, Σc·v and
    Σc·v² per plot give the coverage-weighted mean, population standard deviation and count
    exactly as exactextract's ``mean``, ``stdev`` and ``count``; all sums are float64 (the
    one-pass variance loses about ``|mean| * 1e-8`` of absolute precision in ``std``).

Raster edge
    Coverage outside the raster extent is ignored: ``count`` and the denominator of
    ``valid_fraction`` both count only the part of a plot inside the raster, so a plot half
    outside a fully valid raster has ``valid_fraction`` 1. A plot entirely outside has NaN
    statistics, count 0 and valid fraction 0.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (registers the .rio accessor)
import shapely
from affine import Affine
from pyproj import CRS

from pasture.errors import PastureError

if TYPE_CHECKING:
    import geopandas as gpd
    import scipy.sparse
    import xarray as xr

__all__ = ["SUPPORTED_STATS", "CoverageWeights", "Grid", "ZonalError", "zonal_stats"]

SUPPORTED_STATS = ("mean", "std", "count", "min", "max")
"""Statistics :func:`zonal_stats` can compute, as exactextract's mean, stdev, count, min, max."""

_EPS = 1e-9  # coverage closer than this to 0 or 1 is 0 or 1 (area error is ~1e-12 of a pixel)
_BAND_PIXELS = 1 << 18  # pixels per band of rows reduced at once: stays in the L2 cache
_BATCH_PIECES = 1 << 18  # edge pieces per batch when building weights: bounds peak memory


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
    indices ``row * width + col``, half-open, sorted by start) and boundary cells with a
    fractional coverage (``edge_pixel``, sorted, with ``edge_plot`` and ``edge_cover``).
    :meth:`to_csr` gives the same weights as a scipy CSR matrix plots × pixels.
    Immutable; the first reduction of each block of rows caches band indices derived from
    these arrays (about as large again), which pickling drops.
    """

    grid: Grid
    plot_ids: tuple[str, ...]
    run_start: np.ndarray
    run_end: np.ndarray
    run_plot: np.ndarray
    edge_pixel: np.ndarray
    edge_plot: np.ndarray
    edge_cover: np.ndarray
    interior: np.ndarray = field(repr=False)
    total: np.ndarray = field(repr=False)
    _bands: dict[tuple[int, int], list[_Band]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def from_plots(cls, plots: gpd.GeoDataFrame, grid: Grid) -> CoverageWeights:
        """Compute the weights of ``plots`` (``id`` column, any CRS) over ``grid``."""
        if plots.crs is None:
            raise ZonalError("the plots have no CRS; set one with plots.set_crs(...)")
        if "id" not in plots.columns:
            raise ZonalError("the plots need an 'id' column")
        ids = tuple(str(i) for i in plots["id"])
        projected = (
            plots.geometry.to_crs(grid.crs) if CRS(plots.crs) != grid.crs else plots.geometry
        )
        return cls.from_geometries(np.asarray(projected.values, dtype=object), grid, ids=ids)

    @classmethod
    def from_geometries(
        cls, geoms: np.ndarray, grid: Grid, *, ids: Sequence[str] | None = None
    ) -> CoverageWeights:
        """Compute the weights of shapely polygons already in the grid's CRS."""
        geoms = np.asarray(geoms, dtype=object)
        n = len(geoms)
        plot_ids = tuple(ids) if ids is not None else tuple(str(i) for i in range(n))
        if len(plot_ids) != n:
            raise ZonalError(f"{len(plot_ids)} ids for {n} geometries")
        x0, y0, x1, y1, seg_plot = _pixel_segments(geoms, grid)
        runs, edges = _coverage(x0, y0, x1, y1, seg_plot, grid.height, grid.width)
        run_start, run_end, run_plot = runs
        edge_pixel, edge_plot, edge_cover = edges
        interior = np.bincount(run_plot, weights=run_end - run_start, minlength=n)
        total = interior + np.bincount(edge_plot, weights=edge_cover, minlength=n)
        return cls(
            grid=grid,
            plot_ids=plot_ids,
            run_start=run_start,
            run_end=run_end,
            run_plot=run_plot,
            edge_pixel=edge_pixel,
            edge_plot=edge_plot,
            edge_cover=edge_cover,
            interior=interior.astype(np.float64),
            total=total.astype(np.float64),
        )

    @property
    def n_plots(self) -> int:
        """Number of plots (rows of the weight matrix)."""
        return len(self.plot_ids)

    @property
    def nbytes(self) -> int:
        """Memory held by the weight arrays and the band indices cached for reductions."""
        arrays = [self.run_start, self.run_end, self.run_plot, self.edge_pixel]
        arrays += [self.edge_plot, self.edge_cover, self.interior, self.total]
        for bands in self._bands.values():
            for band in bands:
                arrays += [band.start, band.length, band.sum_idx, band.sum_pos, band.sum_len]
                arrays += [band.idx, band.tail, band.epix, band.eperm, band.ecount, band.eseg]
                arrays += [band.emat.data, band.emat.indices, band.emat.indptr]
                arrays += [band.cmat.data, band.cmat.indices, band.cmat.indptr]
                arrays += [band.eseg_plot, band.ecount_sum]
        unique = {id(a.base if a.base is not None else a): a for a in arrays}
        return sum(a.nbytes for a in unique.values())

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

    def __getstate__(self) -> dict[str, Any]:
        # Band indices are a cache: rebuilt where the weights land (e.g. a dask worker).
        state = {k: getattr(self, k) for k in self.__dataclass_fields__}
        state["_bands"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)

    def __dask_tokenize__(self) -> object:
        # Hashing hundreds of MB of arrays to name a task is wasted work: identity is enough.
        return ("pasture.zonal.CoverageWeights", id(self))


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
    geoms: np.ndarray, grid: Grid
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Directed ring edges in pixel coordinates (x = column, y = row), oriented so that
    the area inside counts +1 in the scan-line accumulation, and the plot of each edge."""
    polygons, plot_of = _polygon_geometries(geoms)
    empty = np.zeros(0)
    if len(polygons) == 0:
        return empty, empty, empty, empty, empty.astype(np.int64)
    kind, xy, offsets = shapely.to_ragged_array(polygons)
    ring_offsets = np.asarray(offsets[0], dtype=np.int64)
    if kind == shapely.GeometryType.POLYGON:
        part_offsets = np.asarray(offsets[1], dtype=np.int64)
        part_geom = np.arange(len(part_offsets) - 1)
    else:
        part_offsets = np.asarray(offsets[1], dtype=np.int64)
        geom_offsets = np.asarray(offsets[2], dtype=np.int64)
        part_geom = np.repeat(np.arange(len(geom_offsets) - 1), np.diff(geom_offsets))
    n_rings = len(ring_offsets) - 1
    ring_part = np.repeat(np.arange(len(part_offsets) - 1), np.diff(part_offsets))
    exterior = np.zeros(n_rings, dtype=bool)
    exterior[part_offsets[:-1][np.diff(part_offsets) > 0]] = True
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
    plot = plot_of[part_geom[ring_part[seg_ring]]].astype(np.int64)
    # Horizontal edges add nothing; edges entirely above, below or right of the grid neither.
    keep = (y0 != y1) & (np.maximum(y0, y1) > 0) & (np.minimum(y0, y1) < grid.height)
    keep &= np.minimum(x0, x1) < grid.width
    return x0[keep], y0[keep], x1[keep], y1[keep], plot[keep]


def _split_at_integers(
    a0: np.ndarray, a1: np.ndarray, b0: np.ndarray, b1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut segments (a0, b0) → (a1, b1) at every integer value of ``a`` strictly inside.

    Returns the pieces as (a_start, a_end, b_start, b_end, index of the segment), in order.
    """
    lo = np.minimum(a0, a1)
    hi = np.maximum(a0, a1)
    flo = np.floor(lo)
    chi = np.ceil(hi)
    n = np.maximum(chi - flo - 1.0, 0.0).astype(np.int64)  # lines strictly inside
    count = n + 1
    first = np.cumsum(count) - count
    last = first + n
    seg = np.repeat(np.arange(len(a0)), count)
    j = np.arange(len(seg), dtype=np.float64)
    j -= first[seg]
    up = a1 > a0
    step = np.where(up, 1.0, -1.0)[seg]
    start = np.where(up, flo, chi)[seg]
    start += step * j  # piece j runs from line j to line j + 1 (line 0 is a0, n + 1 is a1)
    end = start + step
    start[first] = a0
    end[last] = a1
    da = a1 - a0
    slope = np.divide(b1 - b0, da, out=np.zeros_like(da), where=da != 0)
    a0s = a0[seg]
    b0s = b0[seg]
    ss = slope[seg]
    bstart = b0s + (start - a0s) * ss
    bend = b0s + (end - a0s) * ss
    bstart[first] = b0
    bend[last] = b1
    return start, end, bstart, bend, seg


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


def _sort_order(keys: np.ndarray) -> np.ndarray:
    """A stable sorting permutation of non-negative int64 keys (packed sort when it fits)."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    kbits = int(keys.max()).bit_length()
    ibits = max(n - 1, 1).bit_length()
    if kbits + ibits <= 63:  # sorting packed values is ~3× faster than argsort
        packed = (keys << ibits) | np.arange(n, dtype=np.int64)
        packed.sort()
        return packed & ((1 << ibits) - 1)
    return np.argsort(keys, kind="stable")


def _coverage_batch(
    x0: np.ndarray,
    y0: np.ndarray,
    x1: np.ndarray,
    y1: np.ndarray,
    plot: np.ndarray,
    height: int,
    width: int,
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Runs and boundary cells of one batch of clipped edges (plot indices are global)."""
    # Cut at row lines, then at column lines: each piece lies in one cell.
    pmin = int(plot.min())
    ya, yb, xa, xb, seg = _split_at_integers(y0, y1, x0, x1)
    row = np.floor((ya + yb) * 0.5)
    np.clip(row, 0, height - 1, out=row)
    group = (plot - pmin)[seg] * height + row.astype(np.int64)  # (plot, row), batch-local
    del row
    xs, xe, ys, ye, seg = _split_at_integers(xa, xb, ya, yb)
    del ya, yb, xa, xb
    xm = (xs + xe) * 0.5
    col = np.floor(xm)
    inside = col < width
    if not inside.all():
        xm, col, ys, ye, seg = xm[inside], col[inside], ys[inside], ye[inside], seg[inside]
    frac = xm - col
    np.clip(frac, 0.0, 1.0, out=frac)
    dy = ye - ys
    # A piece covers dy * (1 - frac) of its own cell and dy of every cell to its right; an
    # event at col == width (past the grid) only ends the row.
    right = dy * frac
    dy -= right
    key = group[seg] * (width + 1) + col.astype(np.int64)
    # The share for the cell on the right goes straight to the neighbouring piece of the
    # same row piece when that piece lies in that cell: half as many events to sort.
    same = seg[1:] == seg[:-1]
    to_next = np.zeros(len(key), dtype=bool)
    to_prev = np.zeros(len(key), dtype=bool)
    to_next[:-1] = same & (key[1:] == key[:-1] + 1)
    to_prev[1:] = same & (key[:-1] == key[1:] + 1)
    dy[1:] += np.where(to_next[:-1], right[:-1], 0.0)
    dy[:-1] += np.where(to_prev[1:], right[1:], 0.0)
    alone = ~(to_next | to_prev)
    keys = np.concatenate([key, key[alone] + 1])
    vals = np.concatenate([dy, right[alone]])
    del xs, xe, ys, ye, xm, col, frac, dy, right, key, seg, group
    order = _sort_order(keys)
    keys = keys[order]
    vals = vals[order]
    new = np.empty(len(keys), dtype=bool)
    new[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    if len(starts) == 0:
        empty_i = np.zeros(0, dtype=np.int64)
        return (empty_i, empty_i, empty_i), (empty_i, empty_i, np.zeros(0))
    ukeys = keys[starts]
    uvals = np.add.reduceat(vals, starts)
    ugroup = ukeys // (width + 1)
    ucol = ukeys - ugroup * (width + 1)
    # Prefix sum along each (plot, row): the coverage of each event cell and of the cells
    # after it up to the next event.
    csum = np.cumsum(uvals)
    gstart = np.empty(len(ugroup), dtype=bool)
    gstart[:1] = True
    np.not_equal(ugroup[1:], ugroup[:-1], out=gstart[1:])
    gfirst = np.flatnonzero(gstart)
    glen = np.diff(np.r_[gfirst, len(ugroup)])
    cover = csum - np.repeat(csum[gfirst] - uvals[gfirst], glen)
    next_col = np.empty_like(ucol)
    next_col[:-1] = ucol[1:]
    next_col[gfirst + glen - 1] = width
    # Each event starts an interval [col, next event) of constant coverage: fully covered
    # intervals become runs, fractional ones (a horizontal edge spans the row) become cells.
    full = cover >= 1.0 - _EPS
    part = (cover > _EPS) & ~full
    full &= ucol < width  # an event at col == width only closes the row
    part &= ucol < width
    ifull = np.flatnonzero(full)
    s, e, g = np.take(ucol, ifull), np.take(next_col, ifull), np.take(ugroup, ifull)
    if len(s):
        join = np.empty(len(s), dtype=bool)
        join[0] = False
        join[1:] = (g[1:] == g[:-1]) & (s[1:] == e[:-1])
        keep_start = ~join
        last = np.empty(len(s), dtype=bool)
        last[-1] = True
        last[:-1] = keep_start[1:]
        s, g, e = s[keep_start], g[keep_start], e[last]
    g_row = g % height
    runs = (g_row * width + s, g_row * width + e, g // height + pmin)
    ipart = np.flatnonzero(part)
    pg, pcol, pcover = np.take(ugroup, ipart), np.take(ucol, ipart), np.take(cover, ipart)
    lengths = np.take(next_col, ipart) - pcol
    wide = lengths > 1  # a horizontal edge spans the row: several cells, one coverage
    if wide.any():
        wl = lengths[wide]
        first_cell = np.repeat(pcol[wide] + wl - np.cumsum(wl), wl) + np.arange(wl.sum())
        pg = np.concatenate([pg[~wide], np.repeat(pg[wide], wl)])
        pcol = np.concatenate([pcol[~wide], first_cell])
        pcover = np.concatenate([pcover[~wide], np.repeat(pcover[wide], wl)])
    p_plot = pg // height
    edges = ((pg - p_plot * height) * width + pcol, p_plot + pmin, pcover)
    return runs, edges


def _coverage(
    x0: np.ndarray,
    y0: np.ndarray,
    x1: np.ndarray,
    y1: np.ndarray,
    plot: np.ndarray,
    height: int,
    width: int,
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Runs (start, end, plot) sorted by start and boundary cells (pixel, plot, cover)
    sorted by pixel, for all edges, computed in batches of plots."""
    x0, y0, x1, y1, plot = _clip_edges(x0, y0, x1, y1, plot, height, width)
    # Plots are processed by rank from top to bottom: each batch then covers a stripe of
    # rows, and the final sorts by pixel gather from nearby memory.
    plots, seg_plot = np.unique(plot, return_inverse=True)
    top = np.full(len(plots), np.inf)
    np.minimum.at(top, seg_plot, np.minimum(y0, y1))
    by_top = np.argsort(top, kind="stable")
    rank = np.empty(len(plots), dtype=np.int64)
    rank[by_top] = np.arange(len(plots))
    plot_of_rank = plots[by_top].astype(np.int32)
    plot = rank[seg_plot]
    order = np.argsort(plot, kind="stable")
    x0, y0, x1, y1, plot = (a[order] for a in (x0, y0, x1, y1, plot))
    est = np.cumsum(np.abs(x1 - x0) + np.abs(y1 - y0) + 3.0)  # pieces each edge gives
    # Batches end on plot boundaries so that each (plot, row) is complete in one batch.
    plot_end = np.flatnonzero(np.r_[plot[1:] != plot[:-1], True]) + 1
    marks = np.arange(1, int(est[-1] // _BATCH_PIECES) + 1 if len(est) else 1) * _BATCH_PIECES
    cut = plot_end[np.minimum(np.searchsorted(est[plot_end - 1], marks), len(plot_end) - 1)]
    bounds = np.unique(np.r_[0, cut, len(plot)]).tolist() if len(plot) else [0]
    run_parts: list[tuple[np.ndarray, ...]] = []
    edge_parts: list[tuple[np.ndarray, ...]] = []
    for a, b in itertools.pairwise(bounds):
        runs, edges = _coverage_batch(x0[a:b], y0[a:b], x1[a:b], y1[a:b], plot[a:b], height, width)
        run_parts.append(runs)
        edge_parts.append(edges)
    if not run_parts:
        empty = np.zeros(0, dtype=np.int64)
        return (empty, empty, empty.astype(np.int32)), (
            empty,
            empty.astype(np.int32),
            np.zeros(0),
        )
    # Concatenate and sort one array at a time, so that few copies are alive at once.
    part_lists = [list(p) for p in zip(*run_parts, strict=True)]
    del run_parts
    run_start = np.concatenate(part_lists.pop(0))
    order = _sort_order(run_start)
    run_start = np.take(run_start, order)
    run_end = np.take(np.concatenate(part_lists.pop(0)), order)
    run_plot = np.take(plot_of_rank, np.take(np.concatenate(part_lists.pop(0)), order))
    part_lists = [list(p) for p in zip(*edge_parts, strict=True)]
    del edge_parts
    edge_pixel = np.concatenate(part_lists.pop(0))
    order = _sort_order(edge_pixel)
    edge_pixel = np.take(edge_pixel, order)
    edge_plot = np.take(plot_of_rank, np.take(np.concatenate(part_lists.pop(0)), order))
    edge_cover = np.take(np.concatenate(part_lists.pop(0)), order)
    return (run_start, run_end, run_plot), (edge_pixel, edge_plot, edge_cover)


# --------------------------------------------------------------------------------------------
# Reduction of one block of rows
# --------------------------------------------------------------------------------------------

_S0, _S1, _S2, _MIN, _MAX = range(5)


@dataclass(frozen=True)
class _What:
    """Which sums a reduction needs beyond Σc·valid and Σc·v."""

    squares: bool  # Σc·v², for std
    minmax: bool


def _block_sums(
    weights: CoverageWeights,
    block: np.ndarray,
    row0: int,
    nodata: float | None,
    what: _What,
) -> np.ndarray:
    """Per-plot sums for a block of full-width rows ``[row0, row0 + rows)`` of every date in
    it: an array ``(dates, 5, n_plots)`` of Σc·valid, Σc·v, Σc·v², min, max."""
    block = np.asarray(block)
    if block.ndim == 2:
        block = block[np.newaxis]
    return np.stack([_date_block_sums(weights, b, row0, nodata, what) for b in block])


def _date_block_sums(
    weights: CoverageWeights,
    block: np.ndarray,
    row0: int,
    nodata: float | None,
    what: _What,
) -> np.ndarray:
    width = weights.grid.width
    nrows = block.shape[0]
    n = weights.n_plots
    lo_pix, hi_pix = row0 * width, (row0 + nrows) * width
    i0, i1 = (int(i) for i in np.searchsorted(weights.run_start, [lo_pix, hi_pix]))
    whole = i0 == 0 and i1 == len(weights.run_start)
    run_s1 = np.empty(i1 - i0)
    run_s2 = np.empty(i1 - i0)
    run_nan = np.zeros(i1 - i0)
    run_min = np.empty(i1 - i0) if what.minmax else run_s1
    run_max = np.empty(i1 - i0) if what.minmax else run_s1
    bands = _bands(weights, row0, nrows)
    nseg = sum(len(band.eseg) for band in bands)
    seg_plot = np.concatenate([band.eseg_plot for band in bands]) if bands else np.zeros(0, int)
    seg_sums = np.zeros((5, nseg))  # per band and plot: Σc·valid, Σc·v, Σc·v², min, max
    k = 0
    mask_nodata = nodata is not None and not math.isnan(nodata)
    for band in bands:
        # float64 from here on: the band is in cache, so this costs ~5% and sums of runs
        # and squares are as exact as exactextract's.
        rows = block[band.r0 - row0 : band.r1 - row0]
        flat = np.ascontiguousarray(rows, dtype=np.float64).reshape(-1)
        if mask_nodata:
            flat = np.where(flat == nodata, np.nan, flat)
        square = np.square(flat) if what.squares else flat
        if len(band.eseg):
            segs = seg_sums[:, k : k + len(band.eseg)]
            k += len(band.eseg)
            # Boundary entries: a sparse matrix (plots in the band × pixels of the band).
            segs[_S1] = band.emat @ flat
            if np.isnan(segs[_S1]).any():
                nan = np.isnan(flat)
                clean = np.where(nan, 0.0, flat)
                segs[_S0] = band.cmat @ (~nan).astype(np.float64)
                segs[_S1] = band.emat @ clean
                if what.squares:
                    segs[_S2] = band.emat @ np.square(clean)
            else:
                segs[_S0] = band.ecount_sum
                if what.squares:
                    segs[_S2] = band.emat @ square
            if what.minmax:  # over the plot's own boundary cells, not the swallowed pixels
                ev = np.take(np.take(flat, band.epix), band.eperm)
                ev[band.ecount <= 0] = np.nan
                segs[_MIN] = np.fmin.reduceat(ev, band.eseg)
                segs[_MAX] = np.fmax.reduceat(ev, band.eseg)
        if band.r_a == band.r_b:
            continue
        a, b = band.r_a - i0, band.r_b - i0
        if band.pairs:
            s1 = _reduce_runs(np.add, flat, band.idx, band.tail)
            s2 = _reduce_runs(np.add, square, band.idx, band.tail) if what.squares else s1
        else:
            s1 = np.add.reduceat(flat, band.sum_idx)[band.sum_pos]
            s2 = np.add.reduceat(square, band.sum_idx)[band.sum_pos] if what.squares else s1
        bad = np.flatnonzero(np.isnan(s1))
        if len(bad):  # NaN in some segments: sum those again over their valid pixels only
            seg_len = band.sum_len[bad]
            first = np.cumsum(seg_len) - seg_len
            offset = np.arange(int(seg_len.sum())) - np.repeat(first, seg_len)
            vals = flat[np.repeat(band.start[bad], seg_len) + offset]
            nan = np.isnan(vals)
            vals[nan] = 0
            s1[bad] = np.add.reduceat(vals, first)
            if what.squares:
                s2[bad] = np.add.reduceat(np.square(vals), first)
            in_run = offset < np.repeat(band.length[bad], seg_len)  # not the swallowed gap
            run_nan[a + bad] = np.add.reduceat((nan & in_run).astype(np.float32), first)
        run_s1[a:b] = s1
        run_s2[a:b] = s2
        if what.minmax:
            run_min[a:b] = _reduce_runs(np.fmin, flat, band.idx, band.tail)
            run_max[a:b] = _reduce_runs(np.fmax, flat, band.idx, band.tail)
    out = np.full((5, n), np.nan)
    rp = weights.run_plot[i0:i1]
    if whole:
        out[_S0] = weights.interior
    else:
        lengths = weights.run_end[i0:i1] - weights.run_start[i0:i1]
        out[_S0] = np.bincount(rp, weights=lengths, minlength=n)
    if run_nan.any():
        out[_S0] -= np.bincount(rp, weights=run_nan, minlength=n)
    out[_S1] = np.bincount(rp, weights=run_s1, minlength=n)
    out[_S2] = np.bincount(rp, weights=run_s2, minlength=n)
    for q in (_S0, _S1, _S2):
        out[q] += np.bincount(seg_plot, weights=seg_sums[q], minlength=n)
    if what.minmax:
        np.fmin.at(out[_MIN], rp, run_min)
        np.fmax.at(out[_MAX], rp, run_max)
        np.fmin.at(out[_MIN], seg_plot, seg_sums[_MIN])
        np.fmax.at(out[_MAX], seg_plot, seg_sums[_MAX])
    return out


@dataclass(frozen=True)
class _Band:
    """A band of rows of the grid and the run and boundary-cell indices inside it.

    Sums use one ``reduceat`` segment per run that also swallows a short gap up to the next
    run (half as many segments as start/end pairs: the per-segment overhead dominates); the
    gap pixels are taken out again through boundary entries of weight -1 for that plot.
    """

    r0: int
    r1: int
    r_a: int  # runs [r_a, r_b) of the weights
    r_b: int
    pairs: bool  # overlapping runs: sums use the start/end pairs too
    start: np.ndarray  # runs relative to the band
    length: np.ndarray
    sum_idx: np.ndarray  # reduceat indices for sums,
    sum_pos: np.ndarray  # the output of each run,
    sum_len: np.ndarray  # the length of its segment (run + swallowed gap)
    idx: np.ndarray  # start/end pairs for min and max
    tail: np.ndarray
    # Boundary entries (unique plot and pixel), grouped by plot:
    epix: np.ndarray  # their pixels relative to the band, sorted (gathers stream),
    eperm: np.ndarray  # the permutation from that order to the order by plot,
    ecount: np.ndarray  # coverage, by plot (0 for a pixel a run swallowed: min and max),
    emat: scipy.sparse.csr_array  # (plots, pixels): coverage, minus 1 if swallowed, for sums
    cmat: scipy.sparse.csr_array  # (plots, pixels): coverage, for the count
    eseg: np.ndarray  # first entry of each plot,
    eseg_plot: np.ndarray  # that plot,
    ecount_sum: np.ndarray  # and its coverage when all its pixels are valid


_GAP = 16  # longest gap between runs that a run's reduceat segment swallows


def _bands(weights: CoverageWeights, row0: int, nrows: int) -> list[_Band]:
    """Bands of rows small enough to stay in cache, with their indices (cached per block)."""
    import scipy.sparse

    key = (row0, nrows)
    cached = weights._bands.get(key)
    if cached is not None:
        return cached
    width = weights.grid.width
    step = max(1, _BAND_PIXELS // width)
    bands = []
    for r0 in range(row0, row0 + nrows, step):
        r1 = min(r0 + step, row0 + nrows)
        lo, hi = r0 * width, r1 * width
        size = hi - lo
        a, b = (int(i) for i in np.searchsorted(weights.run_start, [lo, hi]))
        e0, e1 = (int(i) for i in np.searchsorted(weights.edge_pixel, [lo, hi]))
        # Band-relative indices fit in int32 (a band has at most max(2**18, width) pixels).
        start = (weights.run_start[a:b] - lo).astype(np.int32)
        end = (weights.run_end[a:b] - lo).astype(np.int32)
        plot = weights.run_plot[a:b].astype(np.int64)
        idx, tail = _pair_indices(start, end, size)
        gap = np.r_[start[1:], size] - end
        pairs = not (gap >= 0).all()  # runs overlap where plots do
        if not pairs:
            swallow = gap <= _GAP
            counts = 2 - swallow.astype(np.int64)
            sum_pos = (np.cumsum(counts) - counts).astype(np.int32)
            sum_idx = np.empty(int(counts.sum()), dtype=np.int32)
            sum_idx[sum_pos] = start
            sum_idx[sum_pos[~swallow] + 1] = end[~swallow]
            sum_len = np.where(swallow, end + gap, end) - start
            swallowed = swallow & (gap > 0)
            glen = gap[swallowed]
            gpix = np.repeat(end[swallowed] - np.cumsum(glen) + glen, glen) + np.arange(glen.sum())
            gplot = np.repeat(plot[swallowed], glen)
        else:
            sum_idx, sum_pos, sum_len = idx, np.arange(0, len(idx), 2, dtype=np.int32), end - start
            gpix = gplot = np.zeros(0, dtype=np.int64)
        # Boundary entries of the band, the swallowed gap pixels merged in: unique by
        # (pixel, plot) in pixel order for the gather, then a permutation groups them by plot.
        plot_span = int(weights.n_plots) + 1
        ekey = np.concatenate(
            [
                (weights.edge_pixel[e0:e1] - lo) * plot_span + weights.edge_plot[e0:e1],
                gpix * plot_span + gplot,
            ]
        )
        ecount = np.concatenate([weights.edge_cover[e0:e1], np.zeros(len(gpix))])
        esum = np.concatenate([weights.edge_cover[e0:e1], np.full(len(gpix), -1.0)])
        order = _sort_order(ekey)
        ekey = ekey[order]
        new = np.empty(len(ekey), dtype=bool)
        new[:1] = True
        np.not_equal(ekey[1:], ekey[:-1], out=new[1:])
        unique = np.cumsum(new) - 1
        ecount = np.bincount(unique, weights=ecount[order], minlength=int(new.sum()))
        esum = np.bincount(unique, weights=esum[order], minlength=int(new.sum()))
        ekey = ekey[new]
        epix = ekey // plot_span
        eplot = ekey - epix * plot_span
        eperm = _sort_order(eplot * size + epix).astype(np.int32)
        epix = epix.astype(np.int32)
        eplot, ecount, esum = eplot[eperm], ecount[eperm], esum[eperm]
        eseg = np.flatnonzero(np.r_[True, eplot[1:] != eplot[:-1]]) if len(eplot) else eperm
        ecount_sum = np.add.reduceat(ecount, eseg) if len(eseg) else ecount
        indptr = np.r_[eseg, len(eplot)].astype(np.int32)
        shape = (len(eseg), size)
        cols = epix[eperm]
        emat = scipy.sparse.csr_array((esum, cols, indptr), shape=shape)
        cmat = scipy.sparse.csr_array((ecount, cols, indptr), shape=shape)
        bands.append(
            _Band(
                r0, r1, a, b, pairs, start, end - start, sum_idx, sum_pos, sum_len, idx, tail,
                epix, eperm, ecount, emat, cmat, eseg, eplot[eseg], ecount_sum,
            )
        )  # fmt: skip
    if len(weights._bands) > 4096:  # many different chunkings: start again
        weights._bands.clear()
    weights._bands[key] = bands
    return bands


def _pair_indices(start: np.ndarray, end: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``reduceat`` indices whose even outputs are the sums over ``[start, end)``.

    ``reduceat`` needs every index below ``size``; a run ending at the last pixel of the
    band ends one early and the last value is added back (``tail`` marks those runs).
    """
    tail = end >= size
    idx = np.empty(2 * len(start), dtype=np.int32)
    idx[0::2] = start
    idx[1::2] = np.where(tail, size - 1, end)
    return idx, tail


def _reduce_runs(ufunc: np.ufunc, flat: np.ndarray, idx: np.ndarray, tail: np.ndarray) -> Any:
    """Reduce ``flat`` over each run given by :func:`_pair_indices`."""
    out = ufunc.reduceat(flat, idx)[0::2]
    if tail.any():
        # A run of one pixel ending at size - 1 has idx (size-1, size-1): reduceat returns
        # that pixel alone; adding it again would count it twice.
        single = tail & (idx[0::2] == flat.size - 1)
        out[tail & ~single] = ufunc(out[tail & ~single], flat[-1])
    return out


# --------------------------------------------------------------------------------------------
# zonal_stats
# --------------------------------------------------------------------------------------------


def _check_stats(stats: Iterable[str]) -> tuple[str, ...]:
    stats = tuple(stats)
    unknown = [s for s in stats if s not in SUPPORTED_STATS]
    if unknown:
        raise ZonalError(
            f"unknown statistic(s) {unknown}; choose among {', '.join(SUPPORTED_STATS)}"
        )
    return stats


def _as_time_yx(ndvi: xr.DataArray) -> xr.DataArray:
    """The raster as (time, y, x); a 2-D raster becomes one date with time NaT."""
    ydim, xdim = ndvi.rio.y_dim, ndvi.rio.x_dim
    if ndvi.ndim == 2:
        return ndvi.expand_dims(time=[np.datetime64("NaT", "ns")])
    if ndvi.ndim != 3:
        raise ZonalError(f"ndvi must have dims (time, y, x) or (y, x), not {ndvi.dims}")
    tdim = next(d for d in ndvi.dims if d not in (ydim, xdim))
    return ndvi.transpose(tdim, ydim, xdim)


def _nodata(ndvi: xr.DataArray) -> float | None:
    nodata = ndvi.rio.nodata
    if nodata is None:
        return None
    value = float(nodata)
    return None if math.isnan(value) else value


def _finish(
    sums: np.ndarray, weights: CoverageWeights, times: np.ndarray, stats: tuple[str, ...]
) -> pd.DataFrame:
    """Long frame (plot-major, then time) from sums of shape (dates, 5, plots)."""
    s0, s1, s2 = sums[:, _S0].T, sums[:, _S1].T, sums[:, _S2].T  # (plots, dates)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(s0 > 0, s1 / s0, np.nan)
        var = np.where(s0 > 0, np.maximum(s2 / s0 - mean * mean, 0.0), np.nan)
        total = weights.total[:, np.newaxis]
        valid_fraction = np.where(total > 0, np.minimum(s0 / total, 1.0), 0.0)
    columns: dict[str, Any] = {
        "plot_id": np.repeat(np.asarray(weights.plot_ids, dtype=object), len(times)),
        "time": np.tile(times, weights.n_plots),
    }
    values = {
        "mean": mean,
        "std": np.sqrt(var),
        "count": s0,
        "min": np.where(s0 > 0, sums[:, _MIN].T, np.nan),
        "max": np.where(s0 > 0, sums[:, _MAX].T, np.nan),
    }
    for name in stats:
        columns[name] = values[name].reshape(-1)
    columns["valid_fraction"] = np.broadcast_to(valid_fraction, s0.shape).reshape(-1)
    return pd.DataFrame(columns)


def zonal_stats(
    plots: gpd.GeoDataFrame | None,
    ndvi: xr.DataArray,
    *,
    stats: Sequence[str] = ("mean", "std", "count"),
    weights: CoverageWeights | None = None,
    client: Any = None,
) -> pd.DataFrame:
    """Coverage-weighted statistics of every plot on every date of an NDVI stack.

    Parameters
    ----------
    plots : geopandas.GeoDataFrame or None
        Plots with an ``id`` column and (multi)polygon geometry in any CRS; they are
        transformed into the raster's CRS (the raster is never resampled). May be None
        when ``weights`` is given.
    ndvi : xarray.DataArray
        Dims ``(time, y, x)``, or ``(y, x)`` for one date (its time is NaT), with CRS and
        transform readable by rioxarray. NaN is nodata; ``ndvi.rio.nodata`` is honoured
        too when it is a number. May be dask-backed: then dates and bands of rows stream,
        and a stack larger than memory never has more than a few blocks loaded.
    stats : sequence of str, default ("mean", "std", "count")
        Any of ``mean``, ``std``, ``count``, ``min``, ``max`` — exactextract's ``mean``,
        ``stdev`` (population, coverage-weighted), ``count`` (sum of coverage of valid
        pixels), ``min`` and ``max``.
    weights : CoverageWeights, optional
        Weights from :meth:`CoverageWeights.from_plots` for these plots and this grid;
        computed here when not given. Reuse them across calls on the same grid.
    client : distributed.Client or str, optional
        A dask.distributed client or scheduler address: dates are reduced on the cluster,
        with the weights scattered to the workers once.

    Returns
    -------
    pandas.DataFrame
        One row per plot and date, in plot order then time, with columns ``plot_id``,
        ``time``, the requested statistics and ``valid_fraction``: the covered area with
        valid data over the covered area inside the raster extent (0 when the plot is
        outside the raster). Plots with no valid pixel get NaN statistics and count 0.

    Raises
    ------
    ZonalError
        No CRS on the plots or the raster, a rotated grid, unknown statistics, or weights
        computed for other plots or another grid.

    Examples
    --------
    >>> weights = CoverageWeights.from_plots(plots, Grid.from_dataarray(ndvi))
    >>> table = zonal_stats(plots, ndvi, weights=weights)  # doctest: +SKIP
    """
    stats = _check_stats(stats)
    ndvi = _as_time_yx(ndvi)
    grid = Grid.from_dataarray(ndvi)
    if weights is None:
        if plots is None:
            raise ZonalError("give plots or precomputed weights")
        weights = CoverageWeights.from_plots(plots, grid)
    else:
        if weights.grid != grid:
            raise ZonalError(
                "the weights were computed for another grid; "
                "build them with CoverageWeights.from_plots(plots, Grid.from_dataarray(ndvi))"
            )
        if plots is not None and tuple(str(i) for i in plots["id"]) != weights.plot_ids:
            raise ZonalError("the weights were computed for other plots (ids differ)")
    nodata = _nodata(ndvi)
    what = _What(squares="std" in stats, minmax="min" in stats or "max" in stats)
    times = np.asarray(ndvi[ndvi.dims[0]].values)
    data = ndvi.data
    if client is not None:
        sums = _sums_distributed(weights, data, nodata, what, client)
    elif _is_dask(data):
        sums = _sums_dask(weights, data, nodata, what)
    else:
        data = np.asarray(data)
        sums = np.concatenate([_block_sums(weights, d, 0, nodata, what) for d in data])
    return _finish(sums, weights, times, stats)


def _is_dask(data: Any) -> bool:
    return hasattr(data, "dask") and hasattr(data, "to_delayed")


def _sum_blocks(*parts: np.ndarray) -> np.ndarray:
    """Combine per-block sums of the same dates (min and max combine by fmin and fmax)."""
    out = parts[0].copy()
    for p in parts[1:]:
        out[:, :_MIN] += p[:, :_MIN]
        np.fmin(out[:, _MIN], p[:, _MIN], out=out[:, _MIN])
        np.fmax(out[:, _MAX], p[:, _MAX], out=out[:, _MAX])
    return out


def _block_tasks(weights_ref: Any, data: Any, nodata: float | None, what: _What) -> list[Any]:
    """One delayed reduction per chunk of dates: blocks of full-width rows, then combined."""
    import dask

    data = data.rechunk({0: 1, 2: -1})
    row_starts = np.cumsum((0, *data.chunks[1]))[:-1]
    blocks = data.to_delayed()
    block_sums = dask.delayed(_block_sums, pure=True)
    combine = dask.delayed(_sum_blocks, pure=True)
    tasks = []
    for t in range(blocks.shape[0]):
        parts = [
            block_sums(weights_ref, blocks[t, k, 0], int(row_starts[k]), nodata, what)
            for k in range(blocks.shape[1])
        ]
        while len(parts) > 1:  # a tree, so that few partial sums wait at any time
            parts = [combine(*parts[i : i + 8]) for i in range(0, len(parts), 8)]
        tasks.append(parts[0])
    return tasks


def _sums_dask(
    weights: CoverageWeights, data: Any, nodata: float | None, what: _What
) -> np.ndarray:
    import dask

    # Threads, explicitly: a distributed client set as default elsewhere would otherwise get
    # the weights embedded in every graph; pass it as ``client=`` to scatter them once.
    results = dask.compute(*_block_tasks(weights, data, nodata, what), scheduler="threads")
    return np.concatenate(results)


def _sums_distributed(
    weights: CoverageWeights, data: Any, nodata: float | None, what: _What, client: Any
) -> np.ndarray:
    from distributed import Client

    own = isinstance(client, str)
    cl = Client(client) if own else client
    try:
        wref = cl.scatter(weights, broadcast=True, hash=False)
        if _is_dask(data):
            futures = cl.compute(_block_tasks(wref, data, nodata, what))
        else:
            arr = np.asarray(data)
            futures = [
                cl.submit(_block_sums, wref, cl.scatter(arr[t]), 0, nodata, what, pure=False)
                for t in range(arr.shape[0])
            ]
        return np.concatenate(cl.gather(futures))
    finally:
        if own:
            cl.close()
