"""Which plots of a tiling have an edge no neighbour shares: the suspects of the overlap check.

Plots that tile a district share their edges exactly: each edge of one is an edge of
exactly one other, run the other way (the two interiors on either side of it). A plot
whose every edge is shared so has no edge inside or across another plot, so it can
overlap another only where that one has an edge that is not shared. GEOS's coverage check
(``shapely.coverage_invalid_edges``) found the plots with a bad edge, one plot and its
neighbours at a time: 0.3-0.4 s of CPU for 20,000 plots. Here every edge of every plot is
matched at once, by sorting: a plot with an edge that is not shared exactly once, the
other way, by another plot, is a suspect. These are the plots GEOS finds and more (an edge
on the district's border, or one that differs in its last bit from its neighbour's: no
overlap, and the exact check of the suspects' pairs says so), never fewer: GEOS too
takes an edge shared that way as valid. (Two plots that both share every edge can still
overlap as inner plots of two different tilings laid over the same ground; GEOS's check,
edge by edge as well, misses them too: the same suspects, checked by hand.)
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["with_unshared_edges"]

# SplitMix64's finaliser: every bit of a coordinate moves every bit of its hash (a float's
# low bits are often all zero, which a plain multiply would leave so)
_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31))
_MULTIPLIERS = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
#: a different start per coordinate, so that an edge's ends do not hash alike swapped
_STARTS = [np.uint64(0x9E3779B97F4A7C15 * j % 2**64) for j in range(1, 5)]


def with_unshared_edges(polygons: np.ndarray) -> np.ndarray:
    """For each (Multi)Polygon, whether one of its edges is not shared exactly once, run
    the other way (shells counter-clockwise, holes clockwise), by another polygon."""
    out = np.zeros(len(polygons), dtype=bool)
    if not len(polygons):
        return out
    _, coords, offsets = shapely.to_ragged_array(polygons)
    rings, parts = offsets[0], offsets[1]
    wholes = offsets[2] if len(offsets) == 3 else np.arange(len(polygons) + 1)
    ring_of = np.repeat(np.arange(len(rings) - 1), np.diff(rings))  # per vertex
    part_of_ring = np.repeat(np.arange(len(parts) - 1), np.diff(parts))
    owner_of_ring = np.repeat(np.arange(len(wholes) - 1), np.diff(wholes))[part_of_ring]
    start = np.flatnonzero(ring_of[:-1] == ring_of[1:])  # an edge: two vertices of one ring
    if not len(start):
        return out
    a, b = coords[start], coords[start + 1]
    forward = (a[:, 0] < b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] < b[:, 1]))
    low = np.where(forward[:, None], a, b)
    high = np.where(forward[:, None], b, a)
    ring = ring_of[start]
    # the way an edge runs around its polygon's interior: its ring's way, put right
    way = forward ^ _runs_backwards(coords, rings, parts)[ring]
    owner = owner_of_ring[ring]
    key = np.ascontiguousarray(np.column_stack([low, high]))
    hashed = _hash(key.view(np.uint64))
    order = np.argsort(hashed)
    key, way, owner = key[order], way[order], owner[order]
    # runs of one edge (equal coordinates, not only equal hashes: a collision splits a
    # run, which makes its edges unshared, a suspect too many and never one too few)
    first = np.ones(len(order), dtype=bool)
    first[1:] = (hashed[order][1:] != hashed[order][:-1]) | (key[1:] != key[:-1]).any(axis=1)
    run = np.cumsum(first) - 1
    pair = np.bincount(run)[run] == 2
    other = np.where(first, np.arange(len(order)) + 1, np.arange(len(order)) - 1)
    other = np.minimum(other, len(order) - 1)
    shared = pair & (way != way[other]) & (owner != owner[other])
    out[owner[~shared]] = True
    return out


def _runs_backwards(coords: np.ndarray, rings: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """Per ring: a shell that runs clockwise or a hole that runs counter-clockwise."""
    lengths = np.diff(rings)
    ring_of = np.repeat(np.arange(len(lengths)), lengths)
    x = coords[:, 0] - coords[rings[:-1], 0][ring_of]  # each vertex from its ring's first
    y = coords[:, 1] - coords[rings[:-1], 1][ring_of]
    cross = np.append(x[:-1] * y[1:] - x[1:] * y[:-1], 0.0)
    cross[rings[1:] - 1] = 0.0  # the step from a ring's last vertex to the next ring's first
    signed = np.add.reduceat(cross, np.minimum(rings[:-1], len(cross) - 1))
    signed[lengths == 0] = 0.0
    shell = np.zeros(len(lengths), dtype=bool)
    shell[parts[:-1][np.diff(parts) > 0]] = True  # a polygon's first ring
    return np.where(shell, signed < 0, signed > 0)


def _hash(words: np.ndarray) -> np.ndarray:
    """One 64-bit hash per row of 64-bit words (an edge's four coordinates)."""
    out = np.zeros(len(words), dtype=np.uint64)
    for j in range(words.shape[1]):
        z = words[:, j] + _STARTS[j]
        z = (z ^ (z >> _SHIFTS[0])) * _MULTIPLIERS[0]
        z = (z ^ (z >> _SHIFTS[1])) * _MULTIPLIERS[1]
        out = (out ^ (z ^ (z >> _SHIFTS[2]))) * _GOLDEN
    return out
