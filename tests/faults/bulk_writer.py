"""Run by tests/faults/test_gpkg_kill.py in a subprocess, which kills it with SIGKILL.

Writes batches of households into a GeoPackage store, one transaction each, and prints
the number of each batch after its commit, forever (until killed).
"""

from __future__ import annotations

import sys
from itertools import count

import pandas as pd

import pasture


def main(path: str, batch: int) -> None:
    with pasture.open_store(path, create=False) as store:
        for k in count():
            ids = [f"HX-{k:05d}-{i:05d}" for i in range(batch)]
            frame = pd.DataFrame(
                {"id": ids, "name": ids, "union_id": "upu-akshi", "source": "generated: test"}
            )
            store.write("households", frame, user="fault-test")
            print(k, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
