"""Many rows into one SQLite table through the sqlite3 module: few statements, few parameters.

The module's cost is per executed statement and per bound parameter (each one a call
into SQLite, a text one a copy of its bytes), so a result table goes in as many rows per
``INSERT … VALUES (…), (…)`` as SQLite's variable limit allows (:func:`insert_columns`).

A result table is often a grid: the zonal engine's rows are every plot × every date, plot
by plot, so a plot's id repeats over its block of dates and a date and its scene repeat
in every block. Such values are bound once per statement and named again by number
(``?1``) in each row that holds them: half a million NDVI rows bind 4 numbers a row
instead of 7 values, 3 of them text. Which columns repeat so is checked, not assumed:
every value against the one bound in its place (:func:`grid_layout`); a frame that is no
such grid is written row by row, with the same values either way.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = ["GridLayout", "grid_layout", "insert_columns", "insert_rows"]

#: Rows per INSERT of the row-by-row path (at most SQLite's variable limit allows):
#: measured on 521,824 NDVI rows, 200 rows per statement took a third of the time of one.
ROWS_PER_INSERT = 200

#: Rows per INSERT of the grid path, in whole blocks: 920 (5 plots × 184 dates) or 1,840
#: took 0.65–0.8 s for 521,824 NDVI rows, 4,600 took 1.35–1.5 s.
GRID_ROWS_PER_INSERT = 1_000

#: A frame is looked at as a grid from this many rows on, of blocks of at most this many.
GRID_MIN_ROWS = 1_000
GRID_MAX_BLOCK = 5_000

#: Rows of the row-by-row path interleaved into one flat list at a time (memory).
_STEP = 100_000

Kind = Literal["block", "cycle", "row"]


@dataclass(frozen=True)
class GridLayout:
    """Rows as blocks of ``block`` rows; each column's values are the same over each
    block (``"block"``: bound once per block), repeat from block to block (``"cycle"``:
    ``block`` values bound once per statement) or are the row's own (``"row"``)."""

    block: int
    kinds: tuple[Kind, ...]


def grid_layout(values: Sequence[list[Any]], shareable: Sequence[bool]) -> GridLayout | None:
    """The grid the rows form, or None. Columns are ``values``; only ``shareable`` ones
    (text, whose values are exactly equal when ``==``) may be bound once for many rows.

    The block is the first run of the first shareable column; a column is ``"block"`` or
    ``"cycle"`` only if every one of its values equals the one bound in its place.
    """
    n = len(values[0]) if values else 0
    first = next((j for j, s in enumerate(shareable) if s), None)
    if first is None or n < GRID_MIN_ROWS:
        return None
    head = np.asarray(values[first][: GRID_MAX_BLOCK + 1], dtype=object)
    changes = np.flatnonzero(head[1:] != head[0])
    if not len(changes):
        return None
    block = int(changes[0]) + 1
    if block < 2 or n % block or n // block < 2:
        return None
    kinds: list[Kind] = []
    for column, share in zip(values, shareable, strict=True):
        kinds.append(_kind(column, block) if share else "row")
    if all(k == "row" for k in kinds):
        return None
    return GridLayout(block, tuple(kinds))


def _kind(column: list[Any], block: int) -> Kind:
    """A shareable column's kind: two blocks are looked at first, then every value.

    Lists compare in C, each pair by identity first and then by ``==``: the same text
    object repeated (as a frame's factorised text holds it) costs no string comparison.
    """
    head = column[: 2 * block]
    if head == _block_firsts(head, block) and column == _block_firsts(column, block):
        return "block"  # every value equals its block's first (a constant column too)
    if head[:block] == head[block:] and column[block:] == column[:-block]:
        return "cycle"  # every value equals the one a block before it
    return "row"


def _block_firsts(column: list[Any], block: int) -> list[Any]:
    """Each block's first value, repeated over its block."""
    return list(itertools.chain.from_iterable(itertools.repeat(v, block) for v in column[::block]))


def insert_columns(
    cur: sqlite3.Cursor,
    table: str,
    columns: Sequence[str],
    values: Sequence[list[Any]],
    *,
    shareable: Sequence[bool] = (),
) -> None:
    """Insert rows given column by column (lists of parameters), as a grid when they are one."""
    layout = grid_layout(values, shareable) if shareable else None
    limit = cur.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    if layout is not None and _grid_params(layout, 1) <= limit:
        _insert_grid(cur, table, columns, values, layout, limit)
        return
    n = len(values[0]) if values else 0
    for start in range(0, n, _STEP):
        _insert_flat(cur, table, columns, [v[start : start + _STEP] for v in values], limit)


def insert_rows(
    cur: sqlite3.Cursor, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert rows given as tuples, as many per INSERT as :func:`insert_columns` puts in
    its row-by-row path (a bulk write's layer rows and their history)."""
    limit = cur.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    for start in range(0, len(rows), _STEP):
        flat = list(itertools.chain.from_iterable(rows[start : start + _STEP]))
        _execute_flat(cur, table, columns, flat, limit)


def _insert_flat(
    cur: sqlite3.Cursor, table: str, columns: Sequence[str], values: list[list[Any]], limit: int
) -> None:
    # The columns are interleaved into one flat list by slice assignment (in C), and
    # each statement takes a slice of it.
    width = len(values)
    n = len(values[0]) if values else 0
    flat: list[Any] = [None] * (n * width)
    for j, column in enumerate(values):
        flat[j::width] = column
    _execute_flat(cur, table, columns, flat, limit)


def _execute_flat(
    cur: sqlite3.Cursor, table: str, columns: Sequence[str], flat: list[Any], limit: int
) -> None:
    """Insert the rows of ``flat`` (row after row, ``len(columns)`` values each)."""
    width = len(columns)
    size = max(1, min(ROWS_PER_INSERT, limit // width)) * width
    whole = len(flat) - len(flat) % size
    row = "(" + ", ".join("?" * width) + ")"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    if whole:
        statements = [flat[i : i + size] for i in range(0, whole, size)]
        cur.executemany(sql + ", ".join([row] * (size // width)), statements)
    if whole < len(flat):
        rows = [flat[i : i + width] for i in range(whole, len(flat), width)]
        cur.executemany(sql + row, rows)


def _grid_params(layout: GridLayout, blocks: int) -> int:
    """Parameters of one statement of ``blocks`` blocks."""
    count = {k: layout.kinds.count(k) for k in ("block", "cycle", "row")}
    return blocks * count["block"] + layout.block * (count["cycle"] + blocks * count["row"])


def _insert_grid(
    cur: sqlite3.Cursor,
    table: str,
    columns: Sequence[str],
    values: Sequence[list[Any]],
    layout: GridLayout,
    limit: int,
) -> None:
    block, kinds = layout.block, layout.kinds
    blocks = len(values[0]) // block
    per = max(1, GRID_ROWS_PER_INSERT // block)
    while per > 1 and _grid_params(layout, per) > limit:
        per -= 1
    by_block = [values[j][::block] for j, k in enumerate(kinds) if k == "block"]
    heads = [values[j][:block] for j, k in enumerate(kinds) if k == "cycle"]
    own = [values[j] for j, k in enumerate(kinds) if k == "row"]
    cycle = list(itertools.chain.from_iterable(heads))
    marks = _GridMarks(len(by_block), len(heads), len(own), block)

    def params(first: int, count: int) -> list[Any]:
        """One statement's parameters: its blocks' values, the cycle, its rows' values."""
        shared: list[Any] = [None] * (count * len(by_block))
        for j, column in enumerate(by_block):
            shared[j :: len(by_block)] = column[first : first + count]
        rows: list[Any] = [None] * (count * block * len(own))
        start, stop = first * block, (first + count) * block
        for j, column in enumerate(own):
            rows[j :: len(own)] = column[start:stop]
        return shared + cycle + rows

    def statements(first: int, stop: int) -> Iterator[list[Any]]:
        return (params(b, per) for b in range(first, stop, per))

    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    whole = blocks - blocks % per
    if whole:
        cur.executemany(sql + marks.rows(kinds, per), statements(0, whole))
    if whole < blocks:
        cur.execute(sql + marks.rows(kinds, blocks - whole), params(whole, blocks - whole))


@dataclass(frozen=True)
class _GridMarks:
    """Parameter numbers of a grid statement: blocks' values first, then the cycle's
    (column by column), then each row's own."""

    n_block: int
    n_cycle: int
    n_row: int
    block: int

    def rows(self, kinds: Sequence[Kind], blocks: int) -> str:
        cycle_base = blocks * self.n_block
        row_base = cycle_base + self.n_cycle * self.block
        out = []
        for r in range(blocks * self.block):
            b, i = divmod(r, self.block)
            counters = {"block": 0, "cycle": 0, "row": 0}
            marks = []
            for kind in kinds:
                c = counters[kind]
                counters[kind] += 1
                if kind == "block":
                    number = b * self.n_block + c
                elif kind == "cycle":
                    number = cycle_base + c * self.block + i
                else:
                    number = row_base + r * self.n_row + c
                marks.append(f"?{number + 1}")
            out.append("(" + ", ".join(marks) + ")")
        return ", ".join(out)
