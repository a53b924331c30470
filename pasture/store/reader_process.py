"""The reader process of :mod:`pasture.store.reader`: GDAL reads, this process answers.

Run as a script (``python -I reader_process.py``), so that nothing of the store's own
imports, GDAL's SQLite library included, is loaded beside another; it only needs
pyogrio and pyarrow. It answers requests from standard input until that closes.
"""

from __future__ import annotations

import json
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


def _read(path: str, sql: str) -> tuple[bytes, Any]:
    """GDAL's metadata (JSON) and the rows of ``sql`` as an Arrow table."""
    import pyogrio  # only in the reader process: GDAL stays out of the store's process

    meta, table = pyogrio.read_arrow(path, sql=sql)
    return json.dumps({"geometry_name": meta.get("geometry_name") or ""}).encode(), table


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
    while True:
        try:
            request = json.loads(receive(stdin))
        except EOFError:
            return
        start = time.process_time()
        try:
            head, table = _read(request["path"], request["sql"])
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
