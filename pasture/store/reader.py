"""Whole-layer reads of a GeoPackage in a reader process: GDAL's columnar (Arrow) read.

Python's SQLite module builds one object per fetched value (~0.2 µs each), which for a
20,000-plot layer costs more than GDAL's whole read; GDAL fills Arrow columns in C. GDAL
may not run in the store's own process: it brings a second SQLite library, and two
SQLite libraries in one process do not see each other's POSIX locks (see
:mod:`pasture.store.gpkg`). In a process of its own GDAL is one more reader of the
file, as QGIS is, and the locks between processes hold.

One reader process serves every store of the parent; it is started on the first large
read and answers one request at a time: a statement, run in one read transaction of its
own, comes back as an Arrow IPC stream. The reader keeps the last file it read open
(GDAL's dataset; each statement still reads the state committed before it) and opens
it again for another file at the path or a new schema. A whole layer is asked for
without the fields the store's last read of it found empty (:func:`lean_layer_sql`),
checked against the layer's count in the same statement. A request that finds the
reader busy, or a reader that fails, is answered ``None``: the caller reads in its own
process instead.
So is a request the reader has not answered within :attr:`LayerReader.timeout` seconds:
the reader process is killed (a hung GDAL, a statement far slower than expected), a
warning is logged, and the next request starts a new one.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from geopandas.array import from_shapely

from ..model import FieldType, Layer
from . import reader_process
from .reader_process import CPU, receive, send
from .values import WGS84, layer_frame, paused_gc

__all__ = [
    "READER",
    "READER_TIMEOUT",
    "ROWS_COLUMN",
    "LayerReader",
    "arrow_frame",
    "empty_fields",
    "lean_layer_sql",
    "whole_layer_sql",
]

log = logging.getLogger("pasture.store")

#: Seconds a request may take before the reader process is killed. A whole layer of
#: 20,000 plots takes the reader under a second; a national one (250,000) a few.
READER_TIMEOUT = 60.0


class LayerReader:
    """The parent's end: a lazily started reader process and a lock around its pipes."""

    def __init__(self, timeout: float = READER_TIMEOUT) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        #: seconds a request may take before the reader process is killed
        self.timeout = timeout
        #: CPU seconds the reader process spent on the answers so far (benchmarks add it)
        self.cpu_seconds = 0.0

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return None if proc is None or proc.poll() is not None else proc.pid

    def read(
        self, path: str, sql: str, *, schema: int | None = None, lean: str | None = None
    ) -> tuple[dict[str, Any], pa.Table] | None:
        """(GDAL's metadata, the rows of ``sql`` on the GeoPackage at ``path``), or None
        when the reader is busy with another request or cannot answer. ``schema``: the
        file's ``PRAGMA schema_version``; the reader reopens a file it kept open when it
        changes (and when another file is at ``path``). ``lean``: a
        :func:`lean_layer_sql` statement tried first, answered when it holds every record
        (without its :data:`ROWS_COLUMN`)."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            proc = self._started()
            # The pipes block: past the deadline the reader is killed, which ends the read
            # below with EOF (an in-process read follows); the timer is ours alone.
            timer = threading.Timer(self.timeout, self._kill, (proc, path))
            timer.daemon = True
            timer.start()
            try:
                request = {"path": path, "sql": sql, "schema": schema, "lean": lean}
                return self._request(proc, request)
            finally:
                timer.cancel()
        except (OSError, EOFError, ValueError, pa.ArrowException):
            self._stop()  # a broken reader is started anew on the next request
            return None
        finally:
            self._lock.release()

    def _request(
        self, proc: subprocess.Popen[bytes], request: dict[str, Any]
    ) -> tuple[dict[str, Any], pa.Table] | None:
        assert proc.stdin is not None and proc.stdout is not None
        send(proc.stdin, json.dumps({**request, "rows_column": ROWS_COLUMN}).encode())
        ok = proc.stdout.read(1)
        if not ok:
            raise EOFError("the reader process ended")
        head = receive(proc.stdout)  # GDAL's metadata, or the reader's error message
        # the stream is read from the pipe up to its end marker, no further
        table = pa.ipc.open_stream(proc.stdout).read_all() if ok == b"\x01" else None
        cpu = proc.stdout.read(CPU.size)
        if len(cpu) < CPU.size:
            raise EOFError("the reader process ended mid-answer")
        self.cpu_seconds += CPU.unpack(cpu)[0]
        if table is None:
            return None  # GDAL refused the statement: read in-process
        return json.loads(head), table

    def _kill(self, proc: subprocess.Popen[bytes], path: str) -> None:
        """The deadline passed: kill the reader (the waiting read then ends)."""
        log.warning(
            "the GeoPackage reader process (pid %s) did not answer within %g s; "
            "killed, reading %s in this process",
            proc.pid,
            self.timeout,
            path,
        )
        with contextlib.suppress(OSError):  # it may have ended meanwhile
            proc.kill()

    def _started(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is not None:
            self._stop()  # ended (killed?): its pipes are closed before a new one starts
        if self._proc is None:
            # -I: the script alone, no package around it (nothing of the store's imports);
            # the command is this interpreter and a file of this package, nothing given
            self._proc = subprocess.Popen(  # noqa: S603
                [sys.executable, "-I", str(Path(reader_process.__file__))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # GDAL's warnings; errors come back as answers
            )
        return self._proc

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):  # a dead reader's pipe may be broken
                    pipe.close()  # the reader ends at the end of its input
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def release(self, path: str) -> None:
        """Have the reader close the file at ``path`` if it keeps it open: called when its
        store closes, before the store's own connections, so that the last connection to
        close is the store's and SQLite checkpoints the WAL into the file and removes it
        (a copy of the ``.gpkg`` alone then holds every commit). A reader not running
        keeps nothing; a broken one is stopped."""
        with self._lock:
            proc = self._proc
            if proc is None or proc.poll() is not None:
                return
            try:
                self._request(proc, {"release": path})
            except (OSError, EOFError, ValueError, pa.ArrowException):
                self._stop()

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _forget(self) -> None:
        """In a forked child: the pipes are the parent's reader's, not to be shared."""
        self._proc = None
        self._lock = threading.Lock()


#: The reader of this process (started on first use, ended at exit).
READER = LayerReader()
atexit.register(READER.close)
os.register_at_fork(after_in_child=READER._forget)


def whole_layer_sql(spec: Layer, order_by_id: str) -> str:
    """Every record of a layer, ordered by id, as the store's own whole-layer read."""
    columns = ", ".join(["id", *spec.field_names, "version", "geom"])
    return f"SELECT {columns} FROM {spec.name} ORDER BY {order_by_id}"


#: The lean statement's column holding the layer's record count (see :func:`lean_layer_sql`).
ROWS_COLUMN = "pasture_rows_"


def lean_layer_sql(spec: Layer, order_by_id: str, skip: frozenset[str]) -> str:
    """:func:`whole_layer_sql` without the fields ``skip`` (found empty in every record by
    the last read): only the records where they are all empty, each with the layer's
    record count (:data:`ROWS_COLUMN`), counted in the same snapshot. Where as many
    records come back as it says, the skipped fields are empty in every one of them and
    the answer is the whole layer; otherwise the reader runs the whole statement.

    GDAL's cost is per value, empty or not: 12 empty fields of 19 were ~6 ms of ~25 ms
    at 20,000 plots. ``coalesce``, not ``IS NULL`` on each field, which would let SQLite
    pick a field's index and sort the rows afterwards."""
    kept = [name for name in spec.field_names if name not in skip]
    columns = ", ".join(["id", *kept, "version", "geom"])
    empty = ", ".join([*sorted(skip), "NULL"])  # coalesce takes two arguments or more
    return (
        f"SELECT {columns}, (SELECT count(*) FROM {spec.name}) AS {ROWS_COLUMN} "
        f"FROM {spec.name} WHERE coalesce({empty}) IS NULL ORDER BY {order_by_id}"
    )


def empty_fields(spec: Layer, table: pa.Table) -> frozenset[str]:
    """The layer's fields the reader's answer left out or has empty in every record."""
    return frozenset(
        name
        for name in spec.field_names
        if name not in table.column_names or table.column(name).null_count == table.num_rows
    )


def arrow_frame(spec: Layer, table: pa.Table, geometry_name: str) -> pd.DataFrame:
    """The layer's frame, with :func:`~pasture.store.values.layer_frame`'s dtypes, of the
    reader's rows: each column straight from its Arrow array (no value-by-value checks,
    Arrow has typed them); a column GDAL typed otherwise goes through ``layer_frame``."""
    with paused_gc():  # a geometry and a text per record: see paused_gc
        return _arrow_frame(spec, table, geometry_name)


def _arrow_frame(spec: Layer, table: pa.Table, geometry_name: str) -> pd.DataFrame:
    names = ["id", *spec.field_names, "version"]
    for spec_field in spec.fields:  # left out by a lean statement: empty, typed as GDAL would
        if spec_field.name not in table.column_names:
            empty = pa.nulls(table.num_rows, _EMPTY_TYPES.get(spec_field.type, pa.string()))
            table = table.append_column(spec_field.name, empty)
    geoms = shapely.from_wkb(table.column(geometry_name).to_numpy(zero_copy_only=False))
    kinds = {f.name: f for f in spec.fields}
    columns: dict[str, Any] = {}
    for name in names:
        column, field = table.column(name), kinds.get(name)
        kind = (
            FieldType.TEXT if name == "id" else FieldType.INTEGER if field is None else field.type
        )
        if not _ARROW_TYPES.get(kind, pa.types.is_string)(column.type):
            return _frame_by_value(spec, table, names, geoms)
        if kind is FieldType.INTEGER and field is not None and not field.required:
            columns[name] = pd.array(column.to_pylist(), dtype="Int64")
        elif kind is FieldType.INTEGER:
            columns[name] = column.to_numpy()  # required: never null
        elif kind is FieldType.DATE:
            columns[name] = column.cast(pa.timestamp("ns")).to_numpy(zero_copy_only=False)
        elif kind is FieldType.REAL:
            columns[name] = column.to_numpy(zero_copy_only=False)  # NaN where empty
        else:
            text = column.to_numpy(zero_copy_only=False)  # None where empty
            columns[name] = pd.Series(text, dtype=object, copy=False)
    columns["geometry"] = from_shapely(np.asarray(geoms, dtype=object), crs=WGS84)
    return gpd.GeoDataFrame(columns, geometry="geometry", copy=False)


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


def _frame_by_value(
    spec: Layer, table: pa.Table, names: list[str], geoms: np.ndarray
) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for name in names:
        column = table.column(name)
        if pa.types.is_floating(column.type) or pa.types.is_string(column.type):
            data[name] = column.to_numpy(zero_copy_only=False)  # NaN / None where empty
        elif pa.types.is_integer(column.type) and not column.null_count:
            data[name] = column.to_numpy()
        else:  # integers with gaps (not through float), dates, anything GDAL made text of
            data[name] = column.to_pylist()
    return layer_frame(spec, data, table.num_rows, geoms)
