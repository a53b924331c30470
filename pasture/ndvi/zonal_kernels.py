"""Compiled (numba) kernels of :mod:`pasture.ndvi.zonal`: the coverage builder and the reduction.

All kernels are serial, release the GIL (``nogil=True``) and are cached on disk
(``cache=True``: in ``__pycache__``, or in ``NUMBA_CACHE_DIR`` if set); ``pasture kernels
warm`` (:mod:`pasture.kernels`) compiles every signature of :data:`SIGNATURES` into that
cache at install time, so that no call and no worker compiles them. :mod:`pasture.ndvi.zonal` runs them on several threads by
giving each thread its own plots or rows, and its own output arrays or slots in shared ones.
That works with every numba threading layer (``parallel=True`` with the default workqueue
layer aborts when two threads launch kernels at once, which a dask or distributed worker
does) and gives the same result whatever the scheduling: the split only depends on the
number of threads.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
from numba import types as nt

__all__ = ["SIGNATURES", "STACK_DTYPES", "plot_coverage", "reduce_rows", "scatter_by_row"]

_F = TypeVar("_F", bound=Callable[..., Any])


def _jit(**options: Any) -> Callable[[_F], _F]:
    """``numba.njit(nogil=True, cache=True, **options)``, typed for mypy."""
    return cast(Callable[[_F], _F], numba.njit(nogil=True, cache=True, **options))


# --------------------------------------------------------------------------------------------
# Coverage
# --------------------------------------------------------------------------------------------


@_jit()
def _grow(a: np.ndarray, n: int) -> np.ndarray:
    """A copy of ``a`` with room for index ``n`` (at least twice as large)."""
    b = np.empty(max(2 * a.size, n + 1), dtype=a.dtype)
    b[: a.size] = a
    return b


@_jit()
def _sort_small(a: np.ndarray, n: int) -> None:
    """Sort ``a[:n]`` in place (insertion sort for the few events of a row of a plot)."""
    if n > 32:
        a[:n] = np.sort(a[:n])
        return
    for i in range(1, n):
        v = a[i]
        j = i - 1
        while j >= 0 and a[j] > v:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v


@_jit()
def _plot_events(
    x0: np.ndarray,
    y0: np.ndarray,
    x1: np.ndarray,
    y1: np.ndarray,
    s_a: int,
    s_b: int,
    rmin: int,
    rmax: int,
    width: int,
    ev_row: np.ndarray,
    ev_col: np.ndarray,
    ev_val: np.ndarray,
) -> int:
    """Cut edges ``[s_a, s_b)`` into pieces, one per cell, and write their events (row, col,
    value): the number written, or -1 if the buffers are too small."""
    ne = 0
    cap = ev_row.size
    for s in range(s_a, s_b):
        a0, a1, b0, b1 = y0[s], y1[s], x0[s], x1[s]
        flo = np.floor(min(a0, a1))
        chi = np.ceil(max(a0, a1))
        n = max(int(chi - flo) - 1, 0)  # row lines strictly inside
        up = a1 > a0
        slope = (b1 - b0) / (a1 - a0) if a1 != a0 else 0.0
        for j in range(n + 1):
            ys = flo + j if up else chi - j
            ye = ys + 1.0 if up else ys - 1.0
            xs = b0 + (ys - a0) * slope
            xe = b0 + (ye - a0) * slope
            if j == 0:
                ys, xs = a0, b0
            if j == n:
                ye, xe = a1, b1
            row = int(np.floor((ys + ye) * 0.5))
            row = min(max(row, rmin), rmax - 1)
            # Cut the row piece at column lines.
            cflo = np.floor(min(xs, xe))
            cchi = np.ceil(max(xs, xe))
            m = max(int(cchi - cflo) - 1, 0)
            right_up = xe > xs
            cslope = (ye - ys) / (xe - xs) if xe != xs else 0.0
            for i in range(m + 1):
                pa = cflo + i if right_up else cchi - i
                pb = pa + 1.0 if right_up else pa - 1.0
                qa = ys + (pa - xs) * cslope
                qb = ys + (pb - xs) * cslope
                if i == 0:
                    pa, qa = xs, ys
                if i == m:
                    pb, qb = xe, ye
                xm = (pa + pb) * 0.5
                col = int(np.floor(xm))
                if col >= width:
                    continue
                if ne + 2 > cap:
                    return -1
                frac = min(max(xm - col, 0.0), 1.0)
                dy = qb - qa
                right = dy * frac
                ev_row[ne] = row
                ev_col[ne] = col
                ev_val[ne] = dy - right
                ev_row[ne + 1] = row
                ev_col[ne + 1] = col + 1
                ev_val[ne + 1] = right
                ne += 2
    return ne


@_jit()
def _plot_rows(
    sc: np.ndarray,
    sv: np.ndarray,
    ptr: np.ndarray,
    rmin: int,
    cmin: int,
    span: int,
    width: int,
    eps: float,
    p: int,
    run_s: np.ndarray,
    run_e: np.ndarray,
    run_p: np.ndarray,
    nr: int,
    cell_x: np.ndarray,
    cell_p: np.ndarray,
    cell_c: np.ndarray,
    nc: int,
    row_n: np.ndarray,
) -> tuple[int, int]:
    """Sum the events of each row of plot ``p`` (columns ``sc``, values ``sv``, row ``r`` at
    ``ptr[r]:ptr[r + 1]``) along the row in column order and write its runs and fractional
    cells after ``nr`` and ``nc``, and their numbers per row to ``row_n[r]``: the new counts,
    or (-1, -1) if the buffers are too small."""
    acc = np.zeros(span, dtype=np.float64)
    touched = np.zeros(span, dtype=np.bool_)
    cols = np.empty(span, dtype=np.int64)
    for r in range(ptr.size - 1):
        nr0, nc0 = nr, nc
        nt = 0
        for k in range(ptr[r], ptr[r + 1]):
            c = sc[k] - cmin
            if not touched[c]:
                touched[c] = True
                cols[nt] = c
                nt += 1
            acc[c] += sv[k]
        _sort_small(cols, nt)
        base = (r + rmin) * width
        cover = 0.0
        open_s = -1  # the run being extended, -1 if none
        open_e = -1
        for t in range(nt):
            c = cols[t]
            cover += acc[c]
            acc[c] = 0.0
            touched[c] = False
            col = c + cmin
            if col >= width:  # an event past the grid only closes the row
                continue
            nxt = cols[t + 1] + cmin if t + 1 < nt else width
            if cover >= 1.0 - eps:
                if open_s >= 0 and open_e == col:
                    open_e = nxt
                    continue
                if open_s >= 0:
                    if nr >= run_s.size:
                        return -1, -1
                    run_s[nr], run_e[nr], run_p[nr] = base + open_s, base + open_e, p
                    nr += 1
                open_s, open_e = col, nxt
                continue
            if open_s >= 0:
                if nr >= run_s.size:
                    return -1, -1
                run_s[nr], run_e[nr], run_p[nr] = base + open_s, base + open_e, p
                nr += 1
                open_s = -1
            if cover > eps:
                if nc + nxt - col > cell_x.size:
                    return -1, -1
                for cc in range(col, nxt):
                    cell_x[nc], cell_p[nc], cell_c[nc] = base + cc, p, cover
                    nc += 1
        if open_s >= 0:
            if nr >= run_s.size:
                return -1, -1
            run_s[nr], run_e[nr], run_p[nr] = base + open_s, base + open_e, p
            nr += 1
        row_n[r, 0] = nr - nr0
        row_n[r, 1] = nc - nc0
    return nr, nc


DENSE_CELLS = 1 << 16
"""Plots whose bounding box has at most this many cells sum their events in a dense box
(no sort); larger ones row by row over their sorted events."""


_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)
_DEBRUIJN_BIT = np.array(
    [
        0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4,
        62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
        63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
        46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6,
    ],
    dtype=np.int64,
)  # fmt: skip


@_jit()
def _plot_dense(
    ev_row: np.ndarray,
    ev_col: np.ndarray,
    ev_val: np.ndarray,
    ne: int,
    rmin: int,
    nrows: int,
    cmin: int,
    span: int,
    width: int,
    eps: float,
    p: int,
    run_s: np.ndarray,
    run_e: np.ndarray,
    run_p: np.ndarray,
    nr: int,
    cell_x: np.ndarray,
    cell_p: np.ndarray,
    cell_c: np.ndarray,
    nc: int,
    row_n: np.ndarray,
) -> tuple[int, int]:
    """:func:`_plot_rows` for a small plot, without sorting: its events are added into its
    bounding box, and a bitmap of the cells with events gives them in column order (lowest
    set bit first). Events of a cell add up in the same order: the same coverage to the bit.
    """
    nw = (span + 63) >> 6
    acc = np.zeros((nrows, span), dtype=np.float64)
    bits = np.zeros((nrows, nw), dtype=np.uint64)
    one = np.uint64(1)
    for k in range(ne):
        r = ev_row[k] - rmin
        c = ev_col[k] - cmin
        acc[r, c] += ev_val[k]
        bits[r, c >> 6] |= one << np.uint64(c & 63)
    for r in range(nrows):
        nr0, nc0 = nr, nc
        base = (r + rmin) * width
        cover = 0.0
        start = width  # start of the interval of constant coverage ``cover``
        open_s = -1  # the run being extended, -1 if none
        for w in range(nw):
            x = bits[r, w]
            while x:
                low = x & (~x + one)
                x ^= low
                col = (w << 6) + _DEBRUIJN_BIT[(low * _DEBRUIJN) >> np.uint64(58)] + cmin
                if col >= width:
                    break
                # The interval [start, col) ends here.
                if start < col:
                    if cover >= 1.0 - eps:
                        if open_s < 0:
                            open_s = start
                    else:
                        if open_s >= 0:
                            if nr >= run_s.size:
                                return -1, -1
                            run_s[nr], run_e[nr], run_p[nr] = base + open_s, base + start, p
                            nr += 1
                            open_s = -1
                        if cover > eps:
                            if nc + col - start > cell_x.size:
                                return -1, -1
                            for cc in range(start, col):
                                cell_x[nc], cell_p[nc], cell_c[nc] = base + cc, p, cover
                                nc += 1
                cover += acc[r, col - cmin]
                start = col
        # The last interval runs to the grid's edge.
        if start < width and cover >= 1.0 - eps:
            if open_s < 0:
                open_s = start
            start = width
        if open_s >= 0:
            if nr >= run_s.size:
                return -1, -1
            run_s[nr], run_e[nr], run_p[nr] = base + open_s, base + start, p
            nr += 1
        if start < width and cover > eps:
            if nc + width - start > cell_x.size:
                return -1, -1
            for cc in range(start, width):
                cell_x[nc], cell_p[nc], cell_c[nc] = base + cc, p, cover
                nc += 1
        row_n[r, 0] = nr - nr0
        row_n[r, 1] = nc - nc0
    return nr, nc


@_jit()
def plot_coverage(
    x0: np.ndarray,
    y0: np.ndarray,
    x1: np.ndarray,
    y1: np.ndarray,
    seg_ptr: np.ndarray,
    plots: np.ndarray,
    height: int,
    width: int,
    eps: float,
    runs: int,
    cells: int,
    interior: np.ndarray,
    partial: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Runs and fractional cells of ``plots``, in that order, and their numbers per row
    (``runs`` and ``cells``: how many to make room for at first); the area of each plot's
    runs and of its cells go to ``interior[p]`` and ``partial[p]``.

    The edges of plot ``p`` are ``seg_ptr[p]:seg_ptr[p + 1]``, in pixel space, clipped to the
    grid's rows and to ``x >= 0`` and oriented so that the inside counts +1. Each edge is cut
    at every row and column line; a piece in cell (row, col) adds ``dy * (1 - frac)`` to its
    cell and ``dy * frac`` to every cell on its right (``frac``: the position of its middle in
    the cell), kept as a difference at ``col + 1``. Per row of the plot the events are summed
    along the row in column order: the coverage of each cell, constant between events.

    Returns (run_start, run_end, run_plot, cell_pixel, cell_plot, cell_cover, run_count,
    cell_count): runs of fully covered pixels (flat half-open indices, within one row) and
    fractional cells, each plot's by row, and the number of runs and cells of each grid row.

    (Buffers only grow between plots, in this function: arrays reassigned inside a hot loop
    cost numba reference counting on every iteration.)
    """
    nr = 0
    nc = 0
    run_s = np.empty(max(runs, 16), dtype=np.int64)
    run_e = np.empty(max(runs, 16), dtype=np.int64)
    run_p = np.empty(max(runs, 16), dtype=np.int32)
    cell_x = np.empty(max(cells, 16), dtype=np.int64)
    cell_p = np.empty(max(cells, 16), dtype=np.int32)
    cell_c = np.empty(max(cells, 16), dtype=np.float64)
    ev_row = np.empty(4096, dtype=np.int64)
    ev_col = np.empty(4096, dtype=np.int64)
    ev_val = np.empty(4096, dtype=np.float64)
    sc = np.empty(4096, dtype=np.int64)
    sv = np.empty(4096, dtype=np.float64)
    row_n = np.empty((height, 2), dtype=np.int64)  # runs and cells per row of a plot
    run_count = np.zeros(height, dtype=np.int64)
    cell_count = np.zeros(height, dtype=np.int64)
    for t in range(plots.size):
        p = plots[t]
        s_a, s_b = seg_ptr[p], seg_ptr[p + 1]
        if s_a == s_b:
            continue
        xmin, xmax, ymin, ymax = np.inf, -np.inf, np.inf, -np.inf
        for s in range(s_a, s_b):
            xmin = min(xmin, x0[s], x1[s])
            xmax = max(xmax, x0[s], x1[s])
            ymin = min(ymin, y0[s], y1[s])
            ymax = max(ymax, y0[s], y1[s])
        rmin = max(math.floor(ymin), 0)
        rmax = max(min(math.ceil(ymax), height), rmin + 1)
        cmin = max(math.floor(xmin), 0)
        cmax = max(min(math.floor(xmax) + 1, width), cmin)  # last event column
        ne = _plot_events(x0, y0, x1, y1, s_a, s_b, rmin, rmax, width, ev_row, ev_col, ev_val)
        while ne < 0:
            ev_row = np.empty(2 * ev_row.size, dtype=np.int64)
            ev_col = np.empty(2 * ev_col.size, dtype=np.int64)
            ev_val = np.empty(2 * ev_val.size, dtype=np.float64)
            ne = _plot_events(x0, y0, x1, y1, s_a, s_b, rmin, rmax, width, ev_row, ev_col, ev_val)
        nrows = rmax - rmin
        span = cmax - cmin + 1
        dense = nrows * span <= DENSE_CELLS
        if not dense:
            # Counting sort of the events by row.
            ptr = np.zeros(nrows + 1, dtype=np.int64)
            for k in range(ne):
                ptr[ev_row[k] - rmin + 1] += 1
            for r in range(nrows):
                ptr[r + 1] += ptr[r]
            fill = ptr[:-1].copy()
            if ne > sc.size:
                sc = np.empty(max(ne, 2 * sc.size), dtype=np.int64)
                sv = np.empty(max(ne, 2 * sv.size), dtype=np.float64)
            for k in range(ne):
                r = ev_row[k] - rmin
                sc[fill[r]] = ev_col[k]
                sv[fill[r]] = ev_val[k]
                fill[r] += 1
        nr0, nc0 = nr, nc
        while True:
            if dense:
                nr2, nc2 = _plot_dense(
                    ev_row, ev_col, ev_val, ne, rmin, nrows, cmin, span, width, eps, p,
                    run_s, run_e, run_p, nr, cell_x, cell_p, cell_c, nc, row_n,
                )  # fmt: skip
            else:
                nr2, nc2 = _plot_rows(
                    sc, sv, ptr, rmin, cmin, span, width, eps, p,
                    run_s, run_e, run_p, nr, cell_x, cell_p, cell_c, nc, row_n,
                )  # fmt: skip
            if nr2 >= 0:
                nr, nc = nr2, nc2
                break
            run_s = _grow(run_s, 2 * run_s.size)
            run_e = _grow(run_e, 2 * run_e.size)
            run_p = _grow(run_p, 2 * run_p.size)
            cell_x = _grow(cell_x, 2 * cell_x.size + span + width)
            cell_p = _grow(cell_p, 2 * cell_p.size + span + width)
            cell_c = _grow(cell_c, 2 * cell_c.size + span + width)
        for r in range(nrows):
            run_count[rmin + r] += row_n[r, 0]
            cell_count[rmin + r] += row_n[r, 1]
        # Summed in the order of the arrays grouped by row (a plot's entries of a row are
        # consecutive there): the same sums, to the bit, as over those arrays.
        area = 0.0
        for k in range(nr0, nr):
            area += run_e[k] - run_s[k]
        interior[p] = area
        area = 0.0
        for k in range(nc0, nc):
            area += cell_c[k]
        partial[p] = area
    return (
        run_s[:nr], run_e[:nr], run_p[:nr], cell_x[:nc], cell_p[:nc], cell_c[:nc],
        run_count, cell_count,
    )  # fmt: skip


@_jit(inline="always")
def _row_of(pixel: int, width: int, inv_width: float) -> int:
    """``pixel // width``, by a float multiplication (an integer division takes longer than
    the rest of an entry's work) corrected by one where it rounds across a row's start."""
    r = int(pixel * inv_width)
    r -= r * width > pixel
    r += (r + 1) * width <= pixel
    return r


@_jit()
def scatter_by_row(
    pixel: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    width: int,
    fill: np.ndarray,
    out_pixel: np.ndarray,
    out_a: np.ndarray,
    out_b: np.ndarray,
) -> None:
    """Write entries ``(pixel, a, b)`` to ``out_*`` grouped by row: the entries of row ``r``
    go to slots ``fill[r]``, ``fill[r] + 1``, ... (the second pass of a stable counting sort);
    ``fill`` is left at the row's next free slot.

    Entries come from plots taken by bands of rows, from left to right within a band, so each
    row comes out nearly in column order (in a sweep or two): the reduction then reads a row
    mostly front to back, which the hardware prefetcher follows (in plot order each cache
    line of the raster would be a miss). The writes of a band go to its few hundred rows,
    which stay in cache. A plot's entries of a row are consecutive: the slot stays in a
    register while the row does (``fill[r] += 1`` would wait for its own last store at every
    entry).
    """
    if pixel.size == 0:
        return
    inv_width = 1.0 / width
    row = _row_of(pixel[0], width, inv_width)
    j = fill[row]
    for k in range(pixel.size):
        x = pixel[k]
        r = _row_of(x, width, inv_width)
        if r != row:
            fill[row] = j
            row = r
            j = fill[r]
        out_pixel[j] = x
        out_a[j] = a[k]
        out_b[j] = b[k]
        j += 1
    fill[row] = j


# --------------------------------------------------------------------------------------------
# Reduction
# --------------------------------------------------------------------------------------------

# fastmath without "nnan"/"ninf": NaN tests stay; "reassoc" lets LLVM vectorise the run sums.
_FAST = {"reassoc", "contract", "nsz"}

_WINDOW = 64
"""Runs are summed in windows of this many pixels, the last one masked: a fixed trip count,
which the branch predictor gets right, where loops over each run's own length (a few to a
few dozen pixels) would be mispredicted at nearly every run."""


@_jit(fastmath=_FAST)
def reduce_rows(
    flat: np.ndarray,
    offset: int,
    r_lo: int,
    r_hi: int,
    run_ptr: np.ndarray,
    run_start: np.ndarray,
    run_end: np.ndarray,
    run_plot: np.ndarray,
    edge_ptr: np.ndarray,
    edge_pixel: np.ndarray,
    edge_plot: np.ndarray,
    edge_cover: np.ndarray,
    minmax: bool,
    out: np.ndarray,
) -> None:
    """Add the sums of grid rows ``[r_lo, r_hi)`` of every date to ``out`` (plots × dates × 5:
    Σc·valid, Σc·v, Σc·v², min, max; min and max stay NaN until a valid value is seen).

    ``flat`` holds flat pixels ``offset:offset + flat.shape[1]`` of the grid for each date
    (dates × pixels); NaN is nodata. One pass over the weights for all dates: per row, the
    runs of fully covered pixels, then its boundary cells, each for every date in turn (the
    weights are read once, and the branches go again as for the first date). A run is summed
    without tests (float64, vectorised) and summed again skipping NaN only if that sum is
    NaN; a boundary cell adds to its plot's sums straight away (summing a plot's consecutive
    cells first is no faster). Indices are unsigned: numba then skips its negative-index
    check, which would keep LLVM from vectorising.
    """
    dates = flat.shape[0]
    off = np.uint64(offset)
    for r in range(r_lo, r_hi):
        for k in range(run_ptr[r], run_ptr[r + 1]):
            a = np.uint64(run_start[k]) - off
            b = np.uint64(run_end[k]) - off
            p = run_plot[k]
            for d in range(dates):
                t0 = float(b - a)
                t1, t2 = _run_sums(flat, d, a, b)
                if t1 != t1:  # NaN inside: count and sum the valid pixels only
                    t0, t1, t2 = _run_valid_sums(flat, d, a, b)
                out[p, d, 0] += t0
                out[p, d, 1] += t1
                out[p, d, 2] += t2
                if minmax and t0 > 0:
                    lo, hi = _run_min_max(flat, d, a, b)
                    _min_max(out, p, d, lo, hi)
        for k in range(edge_ptr[r], edge_ptr[r + 1]):
            x = np.uint64(edge_pixel[k]) - off
            p = edge_plot[k]
            c = edge_cover[k]
            for d in range(dates):
                v = np.float64(flat[d, x])
                if v == v:
                    cv = c * v
                    out[p, d, 0] += c
                    out[p, d, 1] += cv
                    out[p, d, 2] += cv * v
                    if minmax:
                        _min_max(out, p, d, v, v)


@_jit(fastmath=_FAST, inline="always")
def _run_sums(flat: np.ndarray, d: int, a: np.uint64, b: np.uint64) -> tuple[float, float]:
    """Σv and Σv² of date ``d`` over pixels ``[a, b)`` (NaN if one is NaN)."""
    t1 = 0.0
    t2 = 0.0
    w = np.uint64(_WINDOW)
    if b + w > np.uint64(flat.shape[1]):  # the last window would read past the end
        for i in range(a, b):
            v = np.float64(flat[d, i])
            t1 += v
            t2 += v * v
        return t1, t2
    j = a
    while j + w < b:
        for i in range(_WINDOW):
            v = np.float64(flat[d, j + np.uint64(i)])
            t1 += v
            t2 += v * v
        j += w
    n = b - j  # pixels left: the window reads on beyond them and counts those as 0
    for i in range(_WINDOW):
        x = np.float64(flat[d, j + np.uint64(i)])
        kept = x if np.uint64(i) < n else 0.0
        t1 += kept
        t2 += kept * kept
    return t1, t2


@_jit(fastmath=_FAST, inline="always")
def _run_valid_sums(
    flat: np.ndarray, d: int, a: np.uint64, b: np.uint64
) -> tuple[float, float, float]:
    """Count, Σv and Σv² of the valid (not NaN) pixels of date ``d`` in ``[a, b)``."""
    t0 = 0.0
    t1 = 0.0
    t2 = 0.0
    for i in range(a, b):
        v = np.float64(flat[d, i])
        if v == v:
            t0 += 1.0
            t1 += v
            t2 += v * v
    return t0, t1, t2


@_jit(fastmath=_FAST, inline="always")
def _run_min_max(flat: np.ndarray, d: int, a: np.uint64, b: np.uint64) -> tuple[float, float]:
    """Min and max of the valid pixels of date ``d`` in ``[a, b)`` (inf and -inf if none)."""
    lo = np.inf
    hi = -np.inf
    for i in range(a, b):
        v = np.float64(flat[d, i])
        if v == v:
            lo = min(lo, v)
            hi = max(hi, v)
    return lo, hi


@_jit(inline="always")
def _min_max(out: np.ndarray, p: int, d: int, lo: float, hi: float) -> None:
    """Lower ``out[p, d]``'s min to ``lo`` and raise its max to ``hi`` (NaN: none yet)."""
    if not out[p, d, 3] <= lo:
        out[p, d, 3] = lo
    if not out[p, d, 4] >= hi:
        out[p, d, 4] = hi


# --------------------------------------------------------------------------------------------
# Signatures compiled ahead (`pasture kernels warm`)
# --------------------------------------------------------------------------------------------

STACK_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
"""The types of stack :func:`reduce_rows` reads (``zonal._kernel_dtype`` converts the others
to one of these, exactly)."""

_F64, _I64, _I32 = nt.float64[::1], nt.int64[::1], nt.int32[::1]


def _stack_type(dtype: np.dtype) -> nt.Array:
    """The stack as :func:`reduce_rows` gets it: (dates × pixels), C order, read-only (zonal
    passes a read-only view whatever the caller's array: one signature per type)."""
    return nt.Array(numba.from_dtype(dtype), 2, "C", readonly=True)


SIGNATURES: dict[str, tuple[tuple[nt.Type, ...], ...]] = {
    "plot_coverage": (
        (_F64, _F64, _F64, _F64, _I64, _I64, nt.int64, nt.int64, nt.float64, nt.int64, nt.int64,
         _F64, _F64),
    ),
    "scatter_by_row": (
        (_I64, _I64, _I32, nt.int64, _I64, _I64, _I64, _I32),  # runs: start, end, plot
        (_I64, _I32, _F64, nt.int64, _I64, _I64, _I32, _F64),  # boundary cells: pixel, plot, cover
    ),
    "reduce_rows": tuple(
        (_stack_type(dtype), nt.int64, nt.int64, nt.int64, _I64, _I64, _I64, _I32, _I64, _I64,
         _I32, _F64, nt.boolean, nt.float64[:, :, ::1])
        for dtype in STACK_DTYPES
    ),
}  # fmt: skip
"""The argument types each kernel is called with from Python, as numba types them (Python
ints are int64, floats float64): the signatures compiled ahead. A call with other types
would compile in the calling process; ``tests/pasture/test_kernels.py`` runs the real
calls in a fresh process with only these in the cache and fails on any compile."""
