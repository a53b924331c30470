"""Result tables (capacity, load, NDVI statistics, plans...): read and replace by slice.

Unlike layers, result tables keep no versions or history: a computation replaces its
slice of a table in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ..errors import InvalidInput
from ..model import FieldType, Table
from ..model import table as table_named
from .backend import StoreBackend
from .validation import normalise_table
from .values import BATCH, db_value, iso_date, iso_days, quoted


class ResultTables(StoreBackend):
    """Reading and writing the result tables of :data:`pasture.model.TABLES`."""

    def read_rows(self, table: str, *, where: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Rows of a result table (see :data:`pasture.model.TABLES`), ordered by its key."""
        spec = table_named(table)
        conds, params = self._table_conditions(spec, where)
        columns = ", ".join(quoted(c) for c in spec.column_names)
        order = ", ".join(
            f"{quoted(k)}{self._text_order if spec.column(k).type is FieldType.TEXT else ''}"
            for k in spec.key
        )
        sql = f"SELECT {columns} FROM {spec.name}"
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        with self._snapshot() as cur:
            cur.execute(self._sql(f"{sql} ORDER BY {order}"), params)
            rows = cur.fetchall()
        return self._typed_rows(spec, rows)

    def replace_rows(
        self, table: str, rows: pd.DataFrame, *, where: Mapping[str, Any] | None = None
    ) -> int:
        """Replace the slice of a result table that ``where`` selects (all of it when None) by ``rows``.

        One transaction: readers see the old slice or the new one, never half.
        """
        return self.replace_many([(table, rows, where)])[0]

    def replace_many(
        self, slices: Sequence[tuple[str, pd.DataFrame, Mapping[str, Any] | None]]
    ) -> list[int]:
        """Replace several slices ``(table, rows, where)`` in one transaction: all or none.

        A plan's assignments, deficits and row are written this way, so no reader sees a
        plan whose rows are half there.
        """
        return self._replace_prepared(self._prepare_slices(slices))

    def _replace_prepared(
        self, prepared: list[tuple[Table, pd.DataFrame, list[str], list[Any]]]
    ) -> list[int]:
        with self._transaction() as cur:
            for spec, *_ in prepared:
                self._lock_for_write(cur, spec.name)
            self._write_slices(cur, prepared)
        return [len(clean) for _, clean, _, _ in prepared]

    @contextmanager
    def replacing(
        self, table: str, *, where: Mapping[str, Any] | None = None
    ) -> Iterator[PendingSlice]:
        """A slice to replace once its rows are computed, as :meth:`replace_rows` would::

            with store.replacing("ndvi_stats", where={"time": days}) as slice_:
                rows = ...  # the long computation
                slice_.write(rows)

        A backend may use the time in between: the GeoPackage checks meanwhile whether
        the slice holds every row of the table (:mod:`pasture.store.gpkg_slice`). Leaving
        the block without writing writes nothing.
        """
        spec = table_named(table)
        self._table_conditions(spec, where)  # a bad filter is refused before the work
        yield _ReplaceLater(lambda rows: self.replace_rows(table, rows, where=where))

    def replace_many_if(
        self,
        guard: tuple[str, Mapping[str, Any]],
        slices: Sequence[tuple[str, pd.DataFrame, Mapping[str, Any] | None]],
        *,
        conflict: Callable[[], Exception],
        expect_rows: int = 1,
    ) -> list[int]:
        """:meth:`replace_many`, if ``guard`` (table, where) still selects ``expect_rows`` rows.

        The check runs inside the write transaction, after the tables are locked, so two
        writers that read the same state cannot both move it on: the second gets
        ``conflict()`` raised and writes nothing.
        """
        table, where = guard
        spec = table_named(table)
        conds, params = self._table_conditions(spec, where)
        prepared = self._prepare_slices(slices)
        with self._transaction() as cur:
            for name in sorted({spec.name, *(p[0].name for p in prepared)}):
                self._lock_for_write(cur, name)
            sql = f"SELECT count(*) FROM {spec.name} WHERE {' AND '.join(conds) or '1 = 1'}"
            cur.execute(self._sql(sql), params)
            if int(cur.fetchone()[0]) != expect_rows:
                raise conflict()
            self._write_slices(cur, prepared)
        return [len(clean) for _, clean, _, _ in prepared]

    def _prepare_slices(
        self, slices: Sequence[tuple[str, pd.DataFrame, Mapping[str, Any] | None]]
    ) -> list[tuple[Table, pd.DataFrame, list[str], list[Any]]]:
        """Each slice checked (nothing is written when one is bad) and in key order."""
        prepared = []
        for table, rows, where in slices:
            spec = table_named(table)
            clean = normalise_table(spec, rows, source=f"table {spec.name}")
            # in key order, the unique index grows at its end: 1.7x faster into SQLite
            # for half a million NDVI rows than in the engine's plot order
            # (the zonal engine's rows come in key order already: checked, not sorted again)
            if not in_key_order(clean, spec.key):
                clean = clean.sort_values(list(spec.key), kind="stable", ignore_index=True)
            prepared.append((spec, clean, *self._table_conditions(spec, where)))
        return prepared

    def _write_slices(
        self, cur: Any, prepared: list[tuple[Table, pd.DataFrame, list[str], list[Any]]]
    ) -> None:
        for spec, clean, conds, params in prepared:
            self._delete_slice(cur, spec.name, conds, params)
            self._insert_table(cur, spec, clean)

    def _delete_slice(self, cur: Any, table: str, conds: list[str], params: list[Any]) -> None:
        """Delete the rows ``conds`` select (every row when there are none)."""
        sql = f"DELETE FROM {table}"
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        cur.execute(self._sql(sql), params)

    def _table_conditions(
        self, spec: Table, where: Mapping[str, Any] | None
    ) -> tuple[list[str], list[Any]]:
        conds, params = [], []
        for key, value in (where or {}).items():
            if key not in spec.column_names:
                raise InvalidInput(
                    spec.name,
                    [f"cannot filter on {key!r}; columns are {', '.join(spec.column_names)}"],
                )
            if value is None:
                conds.append(f"{quoted(key)} IS NULL")
            elif isinstance(value, list | tuple | set | frozenset):
                values = [db_value(v) for v in value]
                conds.append(
                    f"{quoted(key)} IN ({', '.join('?' * len(values))})" if values else "1 = 0"
                )
                params.extend(values)
            else:
                conds.append(f"{quoted(key)} = ?")
                params.append(db_value(value))
        return conds, params

    def _insert_table(self, cur: Any, spec: Table, frame: pd.DataFrame) -> None:
        # column by column into lists of parameters: the values of a normalised frame are
        # already Python values or None, so only numbers, JSON, dates and times need
        # converting (per value in Python, this cost more than the zonal engine for half
        # a million NDVI rows)
        self._insert_columns(
            cur, spec, [self._column_params(c.type, frame[c.name]) for c in spec.columns]
        )

    def _insert_columns(self, cur: Any, spec: Table, values: list[list[Any]]) -> None:
        """Insert rows given column by column, as lists of parameters (a backend may do
        it in bulk)."""
        columns = [quoted(c) for c in spec.column_names]
        step = BATCH * 50
        for start in range(0, len(values[0]) if values else 0, step):
            rows = list(zip(*(v[start : start + step] for v in values), strict=True))
            self._bulk_insert(cur, spec.name, columns, rows)

    def _column_params(self, kind: FieldType, values: pd.Series) -> list[Any]:
        """One column of a normalised frame as database parameters: Python values, None
        for missing (which a normalised frame's text and date columns already hold)."""
        if kind in (FieldType.REAL, FieldType.INTEGER):
            numbers = pd.to_numeric(values).to_numpy(dtype="float64", na_value=np.nan)
            missing = np.flatnonzero(np.isnan(numbers))
            if kind is FieldType.INTEGER:
                numbers = np.nan_to_num(numbers, nan=0.0).astype(np.int64)
            plain = numbers.tolist()  # Python floats (ints), made in C
            for i in missing.tolist():
                plain[i] = None
            return plain
        if kind is FieldType.TEXT or (
            kind is FieldType.DATE and pd.api.types.infer_dtype(values) == "string"
        ):  # text, and dates a normalised frame holds as ISO text
            return values.tolist()
        if kind is FieldType.DATE and values.dtype.kind == "M":
            return iso_days(values.to_numpy(dtype="datetime64[ns]")).tolist()
        convert = self._table_param(kind)
        return [
            v if isinstance(v, str) and kind is FieldType.DATE else convert(db_value(v))
            for v in values.tolist()
        ]

    def _table_param(self, kind: FieldType) -> Callable[[Any], Any]:
        if kind is FieldType.JSON:
            return lambda v: None if v is None else self._json_param(v)
        if kind is FieldType.DATETIME:
            return lambda v: (
                None if v is None else self._time_param(pd.Timestamp(v).to_pydatetime())
            )
        if kind is FieldType.DATE:
            return lambda v: None if v is None else pd.Timestamp(v).date().isoformat()
        return lambda v: v

    def _typed_rows(self, spec: Table, rows: list[tuple[Any, ...]]) -> pd.DataFrame:
        raw = list(zip(*rows, strict=True)) if rows else [()] * len(spec.columns)
        data: dict[str, Any] = {}
        for c, values in zip(spec.columns, raw, strict=True):
            if c.type is FieldType.REAL:
                data[c.name] = pd.Series(values, dtype="float64")
            elif c.type is FieldType.INTEGER:
                data[c.name] = pd.Series(values, dtype="Int64")
            elif c.type is FieldType.DATE:
                data[c.name] = pd.to_datetime(
                    pd.Series([iso_date(v) for v in values], dtype=object)
                ).astype("datetime64[ns]")
            elif c.type is FieldType.DATETIME:
                data[c.name] = pd.to_datetime(
                    [None if v is None else self._time_value(v) for v in values], utc=True
                )
            elif c.type is FieldType.JSON:
                data[c.name] = pd.Series([self._json_value(v) for v in values], dtype=object)
            else:
                data[c.name] = pd.Series(values, dtype=object)
        return pd.DataFrame(data)

    _text_order = ""


class PendingSlice(Protocol):
    """The slice :meth:`ResultTables.replacing` will replace: :meth:`write` it once."""

    def write(self, rows: pd.DataFrame) -> int:
        """Replace the slice by ``rows`` in one transaction; returns the rows written."""
        ...


class _ReplaceLater:
    """A :class:`PendingSlice` that is :meth:`ResultTables.replace_rows` when written."""

    def __init__(self, write: Callable[[pd.DataFrame], int]) -> None:
        self._write: Callable[[pd.DataFrame], int] | None = write

    def write(self, rows: pd.DataFrame) -> int:
        """Replace the slice by ``rows`` in one transaction; returns the rows written."""
        if self._write is None:
            raise RuntimeError("this slice was written already")
        write, self._write = self._write, None
        return write(rows)


def in_key_order(frame: pd.DataFrame, key: Sequence[str]) -> bool:
    """Whether the rows are in strictly increasing key order, as ``sort_values`` would put
    them: each pair of neighbours compared on its first key column that differs. A column
    whose values do not compare (missing values) answers False: the caller sorts."""
    undecided = np.ones(max(len(frame) - 1, 0), dtype=bool)
    try:
        for name in key:
            values = frame[name].to_numpy()
            before, after = values[:-1], values[1:]
            if (undecided & (before > after)).any():
                return False
            undecided &= ~(before < after)
    except TypeError:
        return False
    return not undecided.any()  # equal keys remain: not strictly increasing
