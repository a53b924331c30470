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


def _answer(path: str, sql: str) -> list[Any]:
    """The answer's parts: GDAL's metadata (length and JSON), then the Arrow stream."""
    import pyarrow as pa  # only here: the parent imports this module for its framing
    import pyogrio  # only in the reader process: GDAL stays out of the store's process

    meta, table = pyogrio.read_arrow(path, sql=sql)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    head = json.dumps({"geometry_name": meta.get("geometry_name") or ""}).encode()
    return [LENGTH.pack(len(head)) + head, sink.getvalue()]


#: What pyogrio imports if it can (for its data frames) and this process never uses:
#: without them the reader starts in ~0.25 s of CPU instead of ~0.8 s.
FRAME_LIBRARIES = ("geopandas", "pandas", "pyproj", "shapely")


def main() -> None:
    """The reader process: answer requests from standard input until it closes.

    An answer is a status byte (1: rows, 0: an error message), the length of what
    follows, its parts, then the CPU seconds the request took here, written included.
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
            parts, status = _answer(request["path"], request["sql"]), b"\x01"
        except Exception as exc:  # any failure is an answer: the parent reads in-process
            parts, status = [str(exc).encode()], b"\x00"
        stdout.write(status + LENGTH.pack(sum(len(part) for part in parts)))
        for part in parts:
            stdout.write(part)  # the Arrow buffer as it is, not copied into bytes
        stdout.write(CPU.pack(time.process_time() - start))
        stdout.flush()


if __name__ == "__main__":
    main()
