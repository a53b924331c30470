"""The reader process of :mod:`pasture.store.reader`: GDAL reads, this process answers.

Run as a script (``python -I reader_process.py``), so that nothing of the store's own
imports, GDAL's SQLite library included, is loaded beside another; it only needs
pyogrio and pyarrow. It answers requests from standard input until that closes.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import time
from typing import IO, Any

LENGTH = struct.Struct("<Q")
CPU = struct.Struct("<d")


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
    #: OGR_L_GetArrowStream's options: no FID column, the whole result in one batch
    #: where it fits (pyogrio's default batch size)
    STREAM_OPTIONS = (b"INCLUDE_FID=NO", b"MAX_FEATURES_IN_BATCH=65536")

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
        self._options = (s * (len(self.STREAM_OPTIONS) + 1))(*self.STREAM_OPTIONS, None)
        self._dataset: int | None = None
        self._key: tuple[str, int, int, Any] | None = None

    def read(self, path: str, sql: str, schema: Any) -> tuple[str, Any]:
        """(the geometry column's name, the rows of ``sql``) on the GeoPackage at ``path``."""
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
                if not lib.OGR_L_GetArrowStream(layer, stream, self._options):
                    raise RuntimeError(self._error("GDAL gave no Arrow stream"))
                # pyarrow takes the stream over and releases it when closed
                with pa.RecordBatchReader._import_from_c(ctypes.addressof(stream)) as batches:
                    table = batches.read_all()
            finally:
                lib.GDALDatasetReleaseResultSet(dataset, layer)  # ends the read transaction
        except BaseException:
            self.close()  # opened again for the next request
            raise
        return geometry_name, table

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

    def release(self, path: str) -> None:
        """Nothing is kept open between statements."""

    def read(self, path: str, sql: str, schema: Any) -> tuple[str, Any]:
        import pyogrio

        meta, table = pyogrio.read_arrow(path, sql=sql)
        return meta.get("geometry_name") or "", table


def _reader() -> _Gdal | _Pyogrio:
    try:
        return _Gdal()
    except (OSError, AttributeError):  # no such library or function
        return _Pyogrio()


def _read(gdal: _Gdal | _Pyogrio, request: dict[str, Any]) -> tuple[bytes, Any]:
    """GDAL's metadata (JSON) and the rows of the request's statement as an Arrow table:
    its lean statement's, without the count column, when they are every record (see
    ``pasture.store.reader.lean_layer_sql``), else its whole statement's."""
    path, schema, table = request["path"], request.get("schema"), None
    if request.get("lean"):
        geometry_name, table = gdal.read(path, request["lean"], schema)
        counted = request["rows_column"]
        rows = table.column(counted)[0].as_py() if table.num_rows else None
        table = table.drop_columns([counted]) if rows == table.num_rows else None
    if table is None:
        geometry_name, table = gdal.read(path, request["sql"], schema)
    return json.dumps({"geometry_name": geometry_name}).encode(), table


def _write_stream(table: Any) -> None:
    """The table as an Arrow IPC stream straight into the pipe: Arrow writes its buffers
    to the descriptor itself (copied once, by the kernel; an in-memory stream first
    cost 0.04 s of CPU more for 250,000 plots). The stream ends with its own marker."""
    import pyarrow as pa  # only here: the parent imports this module for its framing

    pipe = pa.PythonFile(sys.stdout.buffer, mode="w")
    with pa.ipc.new_stream(pipe, table.schema) as writer:
        writer.write_table(table)


#: What pyogrio imports if it can (for its data frames) and this process never uses:
#: without them the reader starts in ~0.25 s of CPU instead of ~0.8 s.
FRAME_LIBRARIES = ("geopandas", "pandas", "pyproj", "shapely")


def main() -> None:
    """The reader process: answer requests from standard input until it closes.

    An answer is a status byte, then for rows (1) GDAL's metadata (its length, then
    JSON) and the Arrow stream, for an error (0) its length and message; last the CPU
    seconds the request took here, written included.
    """
    for name in FRAME_LIBRARIES:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    gdal: _Gdal | _Pyogrio | None = None
    while True:
        try:
            request = json.loads(receive(stdin))
        except EOFError:
            return
        start = time.process_time()
        try:
            if "release" in request:  # answered as "no rows": nothing to read
                if gdal is not None:
                    gdal.release(request["release"])
                raise LookupError("released")
            if gdal is None:  # GDAL loaded on the first request, counted in its CPU
                gdal = _reader()
            head, table = _read(gdal, request)
        except Exception as exc:  # any failure is an answer: the parent reads in-process
            stdout.write(b"\x00")
            send(stdout, str(exc).encode())
        else:
            stdout.write(b"\x01")
            send(stdout, head)  # flushed: the stream below goes past this buffer
            _write_stream(table)
        stdout.write(CPU.pack(time.process_time() - start))
        stdout.flush()


if __name__ == "__main__":
    main()
