"""Whole-layer reads of a GeoPackage in a reader process: GDAL's columnar (Arrow) read.

Python's SQLite module builds one object per fetched value (~0.2 µs each), which for a
20,000-plot layer costs more than GDAL's whole read; GDAL fills Arrow columns in C. GDAL
may not run in the store's own process: it brings a second SQLite library, and two
SQLite libraries in one process do not see each other's POSIX locks (see
:mod:`pasture.store.gpkg`). In a process of its own GDAL is one more reader of the
file, as QGIS is, and the locks between processes hold.

One reader process serves every store of the parent; it is started on the first large
read and answers one request at a time: a statement, run in one read transaction of its
own, comes back as Arrow record batches through a pipe, one at a time as GDAL makes
them, and this process decodes each batch (geometries, columns:
:mod:`pasture.store.reader_frame`) while GDAL reads the next: the two processes work side
by side where two cores are free. The reader keeps the last file it read open (GDAL's
dataset; each statement still reads the state committed before it) and opens it again
for another file at the path or a new schema. A whole layer is asked for
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
from typing import IO, Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from ..model import Layer
from . import reader_process
from .reader_frame import LayerColumns, arrow_frame, empty_fields
from .reader_process import (
    AGAIN,
    BATCH,
    CPU,
    DONE,
    ERROR,
    HEAD,
    PIPE_BYTES,
    receive,
    send,
)
from .values import paused_gc

__all__ = [
    "READER",
    "READER_TIMEOUT",
    "ROWS_COLUMN",
    "Answer",
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


class Answer(NamedTuple):
    """The reader's answer to a statement."""

    #: GDAL's metadata: ``geometry_name``
    meta: dict[str, Any]
    #: the rows
    table: pa.Table
    #: the geometry column's values decoded (shapely), or None if there is none
    geoms: np.ndarray | None
    #: the layer's frame, where a layer was given and the rows have geometries
    frame: pd.DataFrame | None = None


class LayerReader:
    """The parent's end: a lazily started reader process and a lock around its pipes."""

    def __init__(self, timeout: float = READER_TIMEOUT) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        #: seconds a request may take before the reader process is killed
        self.timeout = timeout
        #: records per batch (None: the reader's :data:`~.reader_process.BATCH_ROWS`)
        self.batch_rows: int | None = None
        #: CPU seconds the reader process spent on the answers so far (benchmarks add it)
        self.cpu_seconds = 0.0

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return None if proc is None or proc.poll() is not None else proc.pid

    def read(
        self,
        path: str,
        sql: str,
        *,
        schema: int | None = None,
        lean: str | None = None,
        layer: Layer | None = None,
    ) -> Answer | None:
        """The rows of ``sql`` on the GeoPackage at ``path`` (:class:`Answer`), or None
        when the reader is busy with another request or cannot answer. ``schema``: the
        file's ``PRAGMA schema_version``; the reader reopens a file it kept open when it
        changes (and when another file is at ``path``). ``lean``: a
        :func:`lean_layer_sql` statement tried first, answered when it holds every record
        (without its :data:`ROWS_COLUMN`). ``layer``: the rows are that layer's, its frame
        is built batch by batch as they come (:class:`~.reader_frame.LayerColumns`)."""
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
                return self._request(proc, request, layer)
            finally:
                timer.cancel()
        except (OSError, EOFError, ValueError, pa.ArrowException):
            self._stop()  # a broken reader is started anew on the next request
            return None
        except Exception:
            # decoding a batch failed here: the rest of the answer is still in the pipe,
            # so this reader cannot answer again; the in-process read decides
            log.warning("decoding the reader's answer of %s failed", path, exc_info=True)
            self._stop()
            return None
        except BaseException:
            self._stop()  # interrupted mid-answer: the pipe holds the rest of it
            raise
        finally:
            self._lock.release()

    def _request(
        self, proc: subprocess.Popen[bytes], request: dict[str, Any], layer: Layer | None = None
    ) -> Answer | None:
        assert proc.stdin is not None and proc.stdout is not None
        message = {**request, "rows_column": ROWS_COLUMN, "batch_rows": self.batch_rows}
        send(proc.stdin, json.dumps(message).encode())
        with paused_gc():  # a geometry and a text per record: see paused_gc
            answer = _Receiving(layer).records(proc.stdout)
        self.cpu_seconds += CPU.unpack(_exactly(proc.stdout, CPU.size))[0]
        return answer  # None: GDAL refused the statement, read in-process

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
            _enlarge(self._proc.stdout)
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


class _Receiving:
    """One answer's records, read from the reader's standard output (see
    :data:`~pasture.store.reader_process.RECORDS`), each batch decoded as it comes: its
    geometries, and its layer's columns where a layer was given."""

    def __init__(self, layer: Layer | None) -> None:
        self._layer = layer
        self._columns: LayerColumns | None = None
        self._restart({}, pa.schema([]))

    def _restart(self, meta: dict[str, Any], schema: pa.Schema) -> None:
        self._meta, self._schema = meta, schema
        self._batches: list[pa.RecordBatch] = []
        self._geoms: list[np.ndarray] = []
        layer = self._layer if meta.get("geometry_name") else None
        self._columns = LayerColumns(layer, schema) if layer is not None else None

    def records(self, pipe: IO[bytes]) -> Answer | None:
        while True:
            kind = pipe.read(1)
            if kind == HEAD:  # a statement's rows follow (the lean one's are forgotten)
                meta = json.loads(receive(pipe))
                self._restart(meta, pa.ipc.read_schema(pa.py_buffer(receive(pipe))))
            elif kind == BATCH:
                self._add(pa.py_buffer(receive(pipe)))
            elif kind == AGAIN:
                continue  # the whole statement's HEAD is next
            elif kind == DONE:
                return self._answer()
            elif kind == ERROR:
                receive(pipe)  # the reader's message: GDAL's, for the in-process read
                return None
            else:
                raise EOFError("the reader process ended" if not kind else f"record {kind!r}")

    def _add(self, message: pa.Buffer) -> None:
        batch = pa.ipc.read_record_batch(message, self._schema)
        self._batches.append(batch)
        name = self._meta.get("geometry_name")
        if name:
            wkb = batch.column(name).to_numpy(zero_copy_only=False)
            self._geoms.append(shapely.from_wkb(wkb))
        if self._columns is not None and self._columns.plan is not None:
            self._columns.add(batch)

    def _answer(self) -> Answer:
        table = pa.Table.from_batches(self._batches, self._schema)
        name = self._meta.get("geometry_name")
        if not name:
            return Answer(self._meta, table, None)
        geoms = np.concatenate(self._geoms) if self._geoms else np.empty(0, dtype=object)
        frame, columns = None, self._columns
        if columns is not None and columns.plan is not None:
            frame = columns.frame(table.num_rows, geoms)
        elif self._layer is not None:  # a column typed otherwise: value by value
            frame = arrow_frame(self._layer, table, name, geoms)
        return Answer(self._meta, table, geoms, frame)


def _enlarge(pipe: IO[bytes] | None) -> None:
    """The answers' pipe made to hold :data:`~.reader_process.PIPE_BYTES` (Linux), so
    that the reader writes a batch and reads the next while this process decodes one."""
    if pipe is None or not sys.platform.startswith("linux"):
        return
    import fcntl

    with contextlib.suppress(OSError):  # above the system's limit: the pipe as it is
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _exactly(pipe: IO[bytes], size: int) -> bytes:
    data = pipe.read(size)
    if len(data) < size:
        raise EOFError("the reader process ended mid-answer")
    return data


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
