"""The reader process of :mod:`pasture.store.reader`: GDAL reads, this process answers.

Run as a script (``python -I reader_process.py``), so that nothing of the store's own
imports, GDAL's SQLite library included, is loaded beside another; it only needs
pyogrio and pyarrow. It answers requests from standard input until that closes.

An answer comes in records, each a kind byte and its data (:data:`RECORDS`): GDAL's rows
one Arrow record batch at a time, as GDAL makes them, so that the parent decodes a batch
while the next one is read. The batches go through the pipe, which the parent makes
large enough (:data:`PIPE_BYTES`) for a batch or two to wait there while it decodes.
Not through shared memory: a memory file (``memfd``) of each answer, its batches mapped
by the parent without a copy, cost the parent more CPU than the pipe's copy (~+9 ms of
~35 ms at 20,000 plots: every page of a fresh mapping is a page fault, and the reader
fills new pages too; benchmarks/README.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import sys
import time
from collections.abc import Iterator
from typing import IO, Any

LENGTH = struct.Struct("<Q")
CPU = struct.Struct("<d")

#: The records of an answer: one kind byte, then
#: ``HEAD`` GDAL's metadata (JSON) and the statement's Arrow schema (each length first);
#: ``BATCH`` a record batch as an Arrow IPC message (its length first);
#: ``AGAIN`` the lean statement missed records: forget its rows, the whole statement's follow;
#: ``DONE`` the rows are whole; ``ERROR`` the reader's message (its length first).
#: ``DONE`` and ``ERROR`` end the answer, followed by the CPU seconds it took (:data:`CPU`).
HEAD, BATCH, AGAIN, DONE, ERROR = (bytes([c]) for c in b"HBADE")
RECORDS = (HEAD, BATCH, AGAIN, DONE, ERROR)

#: Bytes the parent has the answers' pipe hold (Linux; 64 KiB otherwise): a batch of
#: 1,024 plots is ~0.4 MB, and the reader writing one waits while the pipe is full.
PIPE_BYTES = 1 << 20

#: Records GDAL puts in one batch, unless the request says (``batch_rows``): small enough
#: for the parent to decode one batch while the next is read (20 batches for 20,000
#: plots), large enough to cost next to nothing per batch.
BATCH_ROWS = 1024


def send(pipe: IO[bytes], data: bytes) -> None:
    pipe.write(LENGTH.pack(len(data)) + data)
    pipe.flush()


def receive(pipe: IO[bytes]) -> bytes:
    head = pipe.read(LENGTH.size)
    if len(head) < LENGTH.size:
        raise EOFError("the reader process ended")
    size = LENGTH.unpack(head)[0]
    data = pipe.read(size)
    if len(data) < size:
        raise EOFError("the reader process ended mid-answer")
    return data


class _Gdal:
    """GDAL's C API (the library pyogrio loaded) through ctypes: the dataset of the last
    file read is kept open between requests, which saves opening the GeoPackage again
    (~5 ms of CPU per read: SQLite's schema, GDAL's list of layers).

    Each statement still runs in a read transaction of its own: SQLite begins it at the
    statement's first step and ends it when the result set is released, so a statement
    sees every write committed before it (WAL mode). A dataset is reopened when the file
    at its path is another one (a new inode: replaced, or deleted and created again; the
    kept dataset holds the old inode, so the number is not reused meanwhile) or its
    schema changed (the parent's ``PRAGMA schema_version``), and is closed after any
    error."""

    #: GDALOpenEx's flags: a vector dataset, read-only
    OF_VECTOR = 0x04
    #: OGR_L_GetArrowStream's options: no FID column, batches of ``batch_rows`` records
    STREAM_OPTIONS = (b"INCLUDE_FID=NO", b"MAX_FEATURES_IN_BATCH=%d")

    def __init__(self) -> None:
        import ctypes

        import pyogrio._io  # loads GDAL (and registers its drivers)

        # dlsym on pyogrio's extension also searches the libraries it links: its GDAL
        lib = ctypes.CDLL(pyogrio._io.__file__)
        p, s = ctypes.c_void_p, ctypes.c_char_p
        strings = ctypes.POINTER(s)
        for name, restype, argtypes in (
            ("GDALOpenEx", p, [s, ctypes.c_uint, strings, strings, strings]),
            ("GDALClose", ctypes.c_int, [p]),
            ("GDALDatasetExecuteSQL", p, [p, s, p, s]),
            ("GDALDatasetReleaseResultSet", None, [p, p]),
            ("OGR_L_GetGeometryColumn", s, [p]),
            ("OGR_L_GetArrowStream", ctypes.c_bool, [p, p, strings]),
            ("CPLGetLastErrorMsg", s, []),
            ("CPLErrorReset", None, []),
        ):
            function = getattr(lib, name)
            function.restype, function.argtypes = restype, argtypes
        self._lib, self._ctypes = lib, ctypes
        self._drivers = (s * 2)(b"GPKG", None)
        self.batch_rows = BATCH_ROWS
        self._dataset: int | None = None
        self._key: tuple[str, int, int, Any] | None = None

    @contextlib.contextmanager
    def read(self, path: str, sql: str, schema: Any) -> Iterator[tuple[str, Any]]:
        """(the geometry column's name, a reader of the batches of ``sql``'s rows) on the
        GeoPackage at ``path``, in one read transaction: the block's."""
        import pyarrow as pa

        lib, ctypes = self._lib, self._ctypes
        dataset = self._opened(path, schema)
        try:
            lib.CPLErrorReset()
            layer = lib.GDALDatasetExecuteSQL(dataset, sql.encode(), None, None)
            if not layer:
                raise RuntimeError(self._error("GDAL refused the statement"))
            try:
                geometry_name = (lib.OGR_L_GetGeometryColumn(layer) or b"").decode()
                stream = ctypes.create_string_buffer(40)  # struct ArrowArrayStream
                options = (*self.STREAM_OPTIONS[:-1], self.STREAM_OPTIONS[-1] % self.batch_rows)
                strings = (ctypes.c_char_p * (len(options) + 1))(*options, None)
                if not lib.OGR_L_GetArrowStream(layer, stream, strings):
                    raise RuntimeError(self._error("GDAL gave no Arrow stream"))
                # pyarrow takes the stream over and releases it when closed
                with pa.RecordBatchReader._import_from_c(ctypes.addressof(stream)) as batches:
                    yield geometry_name, batches
            finally:
                lib.GDALDatasetReleaseResultSet(dataset, layer)  # ends the read transaction
        except BaseException:
            self.close()  # opened again for the next request
            raise

    def _opened(self, path: str, schema: Any) -> int:
        info = os.stat(path)
        key = (path, info.st_dev, info.st_ino, schema)
        if self._key != key:
            self.close()
        if self._dataset is None:
            self._lib.CPLErrorReset()
            dataset = self._lib.GDALOpenEx(path.encode(), self.OF_VECTOR, self._drivers, None, None)
            if not dataset:
                raise RuntimeError(self._error(f"GDAL could not open {path}"))
            self._dataset, self._key = dataset, key
        return self._dataset

    def _error(self, what: str) -> str:
        message = (self._lib.CPLGetLastErrorMsg() or b"").decode(errors="replace")
        return f"{what}: {message}" if message else what

    def close(self) -> None:
        dataset, self._dataset, self._key = self._dataset, None, None
        if dataset is not None:
            self._lib.GDALClose(dataset)

    def release(self, path: str) -> None:
        """Close the kept dataset if it is the file at ``path`` (its store is closing)."""
        if self._key is not None and self._key[0] == path:
            self.close()


class _Pyogrio:
    """Where GDAL's functions are not found through pyogrio's extension (on Windows a
    library's symbols are not looked up in the libraries it links): pyogrio's read,
    which opens the file for every statement."""

    batch_rows = BATCH_ROWS

    def release(self, path: str) -> None:
        """Nothing is kept open between statements."""

    @contextlib.contextmanager
    def read(self, path: str, sql: str, schema: Any) -> Iterator[tuple[str, Any]]:
        from pyogrio.raw import open_arrow

        with open_arrow(path, sql=sql, batch_size=self.batch_rows, use_pyarrow=True) as (
            meta,
            batches,
        ):
            yield meta.get("geometry_name") or "", batches


def _reader() -> _Gdal | _Pyogrio:
    try:
        return _Gdal()
    except (OSError, AttributeError):  # no such library or function
        return _Pyogrio()


class _Answer:
    """Writes one answer's records to standard output."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out

    def head(self, geometry_name: str, schema: Any) -> None:
        self._out.write(HEAD)
        send(self._out, json.dumps({"geometry_name": geometry_name}).encode())
        send(self._out, schema.serialize().to_pybytes())

    def batch(self, batch: Any) -> None:
        message = batch.serialize()  # Arrow's IPC message: written as it is, not copied
        self._out.write(BATCH + LENGTH.pack(message.size))
        self._out.write(message)
        self._out.flush()  # the parent decodes this batch while GDAL reads the next

    def write(self, record: bytes) -> None:
        self._out.write(record)


def _stream(
    gdal: _Gdal | _Pyogrio, path: str, sql: str, schema: Any, answer: _Answer, counted: str = ""
) -> bool:
    """Writes the rows of ``sql`` (without the column ``counted``, if given) to the
    answer; True when as many came as ``counted`` says in each of them (see
    ``pasture.store.reader.lean_layer_sql``)."""
    rows, count = 0, None
    with gdal.read(path, sql, schema) as (geometry_name, batches):
        layout = batches.schema
        if counted:
            layout = layout.remove(layout.get_field_index(counted))
        answer.head(geometry_name, layout)
        for batch in batches:
            if counted:
                if count is None and batch.num_rows:
                    count = batch.column(counted)[0].as_py()
                batch = batch.drop_columns([counted])
            rows += batch.num_rows
            answer.batch(batch)
    return count is not None and rows == count


def _answer(gdal: _Gdal | _Pyogrio, request: dict[str, Any], answer: _Answer) -> None:
    """The rows of the request's lean statement when they are every record, else (after
    ``AGAIN``) its whole statement's."""
    path, schema = request["path"], request.get("schema")
    if request.get("lean"):
        if _stream(gdal, path, request["lean"], schema, answer, request["rows_column"]):
            return
        answer.write(AGAIN)
    _stream(gdal, path, request["sql"], schema, answer)


#: What pyogrio imports if it can (for its data frames) and this process never uses:
#: without them the reader starts in ~0.25 s of CPU instead of ~0.8 s.
FRAME_LIBRARIES = ("geopandas", "pandas", "pyproj", "shapely")


def main() -> None:
    """The reader process: answer requests from standard input until it closes.

    An answer is records (:data:`RECORDS`) ending in ``DONE`` or ``ERROR`` (any failure:
    the parent reads in its own process), then the CPU seconds the request took here,
    writing included.
    """
    for name in FRAME_LIBRARIES:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    gdal: _Gdal | _Pyogrio | None = None
    answer = _Answer(stdout)
    while True:
        try:
            request = json.loads(receive(stdin))
        except EOFError:
            return
        start = time.process_time()
        try:
            if "release" in request:  # answered as an error: nothing to read
                if gdal is not None:
                    gdal.release(request["release"])
                raise LookupError("released")
            if gdal is None:  # GDAL loaded on the first request, counted in its CPU
                gdal = _reader()
            gdal.batch_rows = int(request.get("batch_rows") or BATCH_ROWS)
            _answer(gdal, request, answer)
        except Exception as exc:  # any failure is an answer: the parent reads in-process
            stdout.write(ERROR)
            send(stdout, str(exc).encode())
        else:
            stdout.write(DONE)
        stdout.write(CPU.pack(time.process_time() - start))
        stdout.flush()


if __name__ == "__main__":
    main()
