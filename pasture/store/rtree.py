"""Filling an empty SQLite R-tree (the GeoPackage spatial index) in one pass.

SQLite's R-tree inserts one entry at a time, each a walk down the tree with node reads
and writes through its shadow tables; on a 20,000-plot import that was more CPU than the
plots' own inserts. An empty index is instead built here, packed Sort-Tile-Recursive
(Leutenegger, Lopez & Edgington 1997: sort by x into vertical slices, each by y into
full nodes), and its shadow tables ``<name>_node``, ``_parent`` and ``_rowid`` written
directly, in SQLite's own format (``ext/rtree/rtree.c``): a node is a blob of a 2-byte
big-endian depth (the root's; 0 in the others), a 2-byte cell count, then cells of an
8-byte rowid (a leaf's) or child node number (a branch's) and the box as big-endian
float32 ``minx, maxx, miny, maxy``, padded to the node size; node 1 is the root. GDAL's
GeoPackage driver bulk-loads its index the same way (``sqlite_rtree_bulk_load.c``).
``SELECT rtreecheck('<name>')`` checks the result (tests/pasture/test_rtree.py).
"""

from __future__ import annotations

import sqlite3

import numpy as np

__all__ = ["fill_empty_rtree"]

_CELL = np.dtype(
    [("id", ">i8"), ("minx", ">f4"), ("maxx", ">f4"), ("miny", ">f4"), ("maxy", ">f4")]
)

# rtree.c's rounding of a double to the float32 it stores: a box's minimum is rounded
# down and its maximum up, so the stored box always holds the exact one
_TOWARDS = 1.0 - 1.0 / 8388608.0
_AWAY = 1.0 + 1.0 / 8388608.0


def fill_empty_rtree(cur: sqlite3.Cursor, name: str, ids: np.ndarray, boxes: np.ndarray) -> bool:
    """Write the entries (``ids``; ``boxes`` rows minx, maxx, miny, maxy, the R-tree's and
    the GeoPackage envelope's order) into the R-tree ``name`` if it holds none; False
    (nothing written) if it is not empty."""
    cur.execute(f"SELECT EXISTS (SELECT 1 FROM {name}_rowid)")
    if cur.fetchone()[0]:
        return False
    if not len(ids):
        return True
    # the node size is the root's (rtree.c reads it so): page size - 64, at most 51 cells
    cur.execute(f"SELECT length(data) FROM {name}_node WHERE nodeno = 1")
    node_bytes = int(cur.fetchone()[0])
    capacity = (node_bytes - 4) // _CELL.itemsize
    cells = np.empty(len(ids), dtype=_CELL)
    cells["id"] = ids
    cells["minx"], cells["maxx"] = _down(boxes[:, 0]), _up(boxes[:, 1])
    cells["miny"], cells["maxy"] = _down(boxes[:, 2]), _up(boxes[:, 3])
    levels = _pack(cells, capacity)
    numbers = _number(levels)
    nodes, parents, rowids = [], [], []
    for depth, (packed, counts) in enumerate(levels):
        own = np.repeat(numbers[depth], counts)  # the node each cell is in
        if depth + 1 < len(levels):  # a branch: its cells' ids index the level below
            children = numbers[depth + 1][packed["id"]]
            packed["id"] = children
            parents += np.column_stack([children, own]).tolist()
        else:
            rowids = np.column_stack([packed["id"].astype(np.int64), own]).tolist()
        root_depth = len(levels) - 1 if depth == 0 else 0
        nodes += _node_rows(packed, counts, numbers[depth], node_bytes, capacity, root_depth)
    cur.execute(f"DELETE FROM {name}_node")  # the empty root SQLite made
    cur.executemany(f"INSERT INTO {name}_node (nodeno, data) VALUES (?, ?)", nodes)
    cur.executemany(f"INSERT INTO {name}_parent (nodeno, parentnode) VALUES (?, ?)", parents)
    cur.executemany(f"INSERT INTO {name}_rowid (rowid, nodeno) VALUES (?, ?)", rowids)
    return True


def _down(values: np.ndarray) -> np.ndarray:
    f = values.astype(np.float32)
    over = f.astype(np.float64) > values
    fix = values[over]
    f[over] = (fix * np.where(fix < 0, _AWAY, _TOWARDS)).astype(np.float32)
    return f


def _up(values: np.ndarray) -> np.ndarray:
    f = values.astype(np.float32)
    under = f.astype(np.float64) < values
    fix = values[under]
    f[under] = (fix * np.where(fix < 0, _TOWARDS, _AWAY)).astype(np.float32)
    return f


def _pack(cells: np.ndarray, capacity: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The tree's levels, root first: each (its cells in node order, cells per node)."""
    levels = []
    while True:
        n = len(cells)
        n_nodes = -(-n // capacity)
        per_slice = -(-n_nodes // max(1, int(np.ceil(np.sqrt(n_nodes))))) * capacity
        cx = cells["minx"].astype(np.float64) + cells["maxx"]
        cy = cells["miny"].astype(np.float64) + cells["maxy"]
        by_x = np.argsort(cx, kind="stable")
        slice_of = np.empty(n, dtype=np.int64)
        slice_of[by_x] = np.arange(n) // per_slice
        packed = cells[np.lexsort((cy, slice_of))]
        # a slice holds whole nodes: only a slice's last node may be part full
        node_of = (
            np.arange(n) // per_slice * (per_slice // capacity)
            + np.arange(n) % per_slice // capacity
        )
        starts = np.flatnonzero(np.r_[True, node_of[1:] != node_of[:-1]])
        counts = np.diff(np.r_[starts, n])
        levels.append((packed, counts))
        if len(starts) == 1:
            return levels[::-1]
        parent = np.empty(len(starts), dtype=_CELL)
        parent["id"] = np.arange(len(starts))  # the node's index in this level
        for key, reduce in (("minx", np.minimum), ("miny", np.minimum)):
            parent[key] = reduce.reduceat(packed[key], starts)
        for key in ("maxx", "maxy"):
            parent[key] = np.maximum.reduceat(packed[key], starts)
        cells = parent


def _number(levels: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """Node numbers, level by level from the root (1), in each level's node order."""
    numbers, first = [], 1
    for _, counts in levels:
        numbers.append(np.arange(first, first + len(counts), dtype=np.int64))
        first += len(counts)
    return numbers


def _node_rows(
    packed: np.ndarray,
    counts: np.ndarray,
    numbers: np.ndarray,
    node_bytes: int,
    capacity: int,
    depth: int,
) -> list[tuple[int, bytes]]:
    """(node number, blob) of each node of one level; ``depth``: the tree's, in the root."""
    n_nodes = len(counts)
    slot = np.arange(len(packed)) - np.repeat(np.cumsum(counts) - counts, counts)
    node = np.repeat(np.arange(n_nodes), counts)
    grid = np.zeros((n_nodes, capacity), dtype=_CELL)
    grid[node, slot] = packed
    header = np.zeros((n_nodes, 2), dtype=">u2")
    header[:, 0] = depth
    header[:, 1] = counts
    blobs = np.zeros((n_nodes, node_bytes), dtype=np.uint8)
    blobs[:, :4] = header.view(np.uint8).reshape(n_nodes, 4)
    blobs[:, 4 : 4 + capacity * _CELL.itemsize] = grid.view(np.uint8).reshape(n_nodes, -1)
    return [(int(k), row.tobytes()) for k, row in zip(numbers, blobs, strict=True)]
