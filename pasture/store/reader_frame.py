"""A layer's frame of the reader process's Arrow rows (see :mod:`pasture.store.reader`).

The columns are converted one record batch at a time, as the batches come, while the
reader process reads the next ones (:class:`LayerColumns`): what is left once the last
batch is in is joining each column's pieces. The frame holds copies of the values, none
of the batches' memory (the bytes read from the pipe).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from geopandas.array import from_shapely

from ..model import FieldType, Layer
from .values import WGS84, layer_frame, paused_gc

__all__ = ["LayerColumns", "arrow_frame", "empty_fields"]


def empty_fields(spec: Layer, table: pa.Table) -> frozenset[str]:
    """The layer's fields the reader's answer left out or has empty in every record."""
    return frozenset(
        name
        for name in spec.field_names
        if name not in table.column_names or table.column(name).null_count == table.num_rows
    )


def arrow_frame(
    spec: Layer, table: pa.Table, geometry_name: str, geoms: np.ndarray | None = None
) -> pd.DataFrame:
    """The layer's frame, with :func:`~pasture.store.values.layer_frame`'s dtypes, of the
    reader's rows: each column straight from its Arrow array (no value-by-value checks,
    Arrow has typed them); a column GDAL typed otherwise goes through ``layer_frame``.
    ``geoms``: the geometry column already decoded."""
    with paused_gc():  # a geometry and a text per record: see paused_gc
        if geoms is None:
            wkb = table.column(geometry_name).to_numpy(zero_copy_only=False)
            geoms = shapely.from_wkb(wkb)
        columns = LayerColumns(spec, table.schema)
        if columns.plan is None:
            return _frame_by_value(spec, table, geoms)
        for batch in table.to_batches():
            columns.add(batch)
        return columns.frame(table.num_rows, geoms)


#: A column's conversion: a piece of each batch, then the pieces joined.
_Conversion = tuple[Callable[[pa.Array], Any], Callable[[list[Any]], Any]]


def _joined(pieces: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(pieces)  # a copy, even of one piece


def _integers(column: pa.Array) -> np.ndarray:
    return column.to_numpy()  # required: never null (an empty one raises: read in-process)


def _optional_integers(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    return column.fill_null(0).to_numpy(), column.is_null().to_numpy(zero_copy_only=False)


def _joined_optional(
    pieces: list[tuple[np.ndarray, np.ndarray]],
) -> pd.api.extensions.ExtensionArray:
    values = np.concatenate([values for values, _ in pieces])
    return pd.arrays.IntegerArray(values, np.concatenate([mask for _, mask in pieces]))


def _values(column: pa.Array) -> np.ndarray:
    return column.to_numpy(zero_copy_only=False)  # reals: NaN where empty; text: None


def _days(column: pa.Array) -> np.ndarray:
    return column.cast(pa.timestamp("ns")).to_numpy(zero_copy_only=False)


def _text(pieces: list[np.ndarray]) -> pd.Series:
    return pd.Series(np.concatenate(pieces), dtype=object, copy=False)


_CONVERSIONS: dict[str, _Conversion] = {
    "integer": (_integers, _joined),
    "optional integer": (_optional_integers, _joined_optional),
    "real": (_values, _joined),
    "date": (_days, _joined),
    "text": (_values, _text),
}

#: The Arrow type GDAL gives each field type (else text).
_EMPTY_TYPES = {
    FieldType.REAL: pa.float64(),
    FieldType.INTEGER: pa.int64(),
    FieldType.DATE: pa.date32(),
}

#: The Arrow type of each field type whose conversion gives the layer's dtype (else text).
_ARROW_TYPES = {
    FieldType.REAL: pa.types.is_float64,
    FieldType.INTEGER: pa.types.is_int64,
    FieldType.DATE: pa.types.is_date32,
}


class LayerColumns:
    """A layer's columns converted batch by batch (:meth:`add`), joined into its frame
    (:meth:`frame`). :attr:`plan` is None where GDAL typed a column otherwise than the
    layer's type: such rows go through :func:`arrow_frame` whole."""

    def __init__(self, spec: Layer, schema: pa.Schema) -> None:
        self._spec = spec
        self._pieces: dict[str, list[Any]] = {}
        #: (column, conversion, the Arrow type of an empty column) in the frame's order
        self.plan: list[tuple[str, str, pa.DataType]] | None = []
        kinds = {f.name: f for f in spec.fields}
        for name in ["id", *spec.field_names, "version"]:
            field = kinds.get(name)
            kind = FieldType.TEXT if name == "id" else field.type if field else FieldType.INTEGER
            arrow_type = _EMPTY_TYPES.get(kind, pa.string())
            if name in schema.names:
                arrow_type = schema.field(name).type
                if not _ARROW_TYPES.get(kind, pa.types.is_string)(arrow_type):
                    self.plan = None
                    return
                self._pieces[name] = []
            self.plan.append((name, _conversion(kind, field is None or field.required), arrow_type))

    def add(self, batch: pa.RecordBatch) -> None:
        assert self.plan is not None
        for name, conversion, _ in self.plan:
            if name in self._pieces:
                self._pieces[name].append(_CONVERSIONS[conversion][0](batch.column(name)))

    def frame(self, rows: int, geoms: np.ndarray) -> gpd.GeoDataFrame:
        """The frame of the batches added (``rows`` records, ``geoms`` their geometries);
        a column a lean statement left out is empty, as GDAL would have typed it."""
        assert self.plan is not None
        columns: dict[str, Any] = {}
        for name, conversion, arrow_type in self.plan:
            piece, join = _CONVERSIONS[conversion]
            pieces = self._pieces.get(name) or [piece(pa.nulls(rows, arrow_type))]
            columns[name] = join(pieces)
        columns["geometry"] = from_shapely(np.asarray(geoms, dtype=object), crs=WGS84)
        return gpd.GeoDataFrame(columns, geometry="geometry", copy=False)


def _conversion(kind: FieldType, required: bool) -> str:
    if kind is FieldType.INTEGER:
        return "integer" if required else "optional integer"
    if kind is FieldType.REAL:
        return "real"
    return "date" if kind is FieldType.DATE else "text"


def _frame_by_value(spec: Layer, table: pa.Table, geoms: np.ndarray) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for spec_field in spec.fields:  # left out by a lean statement: empty, typed as GDAL would
        if spec_field.name not in table.column_names:
            empty = pa.nulls(table.num_rows, _EMPTY_TYPES.get(spec_field.type, pa.string()))
            table = table.append_column(spec_field.name, empty)
    for name in ["id", *spec.field_names, "version"]:
        column = table.column(name)
        if pa.types.is_floating(column.type) or pa.types.is_string(column.type):
            data[name] = column.to_numpy(zero_copy_only=False)  # NaN / None where empty
        elif pa.types.is_integer(column.type) and not column.null_count:
            data[name] = np.array(column.to_numpy(), copy=True)
        else:  # integers with gaps (not through float), dates, anything GDAL made text of
            data[name] = column.to_pylist()
    return layer_frame(spec, data, table.num_rows, geoms)
