"""The history of a bulk import alone: build the insert entries of N plots, insert, commit.

    .venv/bin/python benchmarks/history.py [--plots 20000] [--repeat 7]

Four forms of an insert's entry, each into a fresh GeoPackage store, alternating, best of
``--repeat`` (wall and CPU of this process; the store builds the entries in a worker
thread beside the plots' insert, so the insert and the commit are what the importing
thread waits for):

- ``whole document``: the peer, the form before ``history.after_geometry``: the geometry
  as hex WKB inside the JSON document;
- ``WKB apart``: what the store writes now (``pasture.store.history.insert_rows``);
- ``digest``: a sha1 of the WKB in the document instead of the geometry (design (b) of
  issue 23's history, not adopted: the geometry of version 1 would be looked up later);
- ``properties only``: no geometry at all, the floor of any form that keeps the properties.

Sizes are the file and its WAL at commit (the WAL is checkpointed into the file after).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from store import make_plots

import pasture
from pasture.geometry import geodesic_area_ha, geometry_values
from pasture.model import LAYERS, Layer
from pasture.store.history import NEW_COLUMNS, insert_rows
from pasture.store.values import record_json_texts

Rows = Callable[[Layer, pd.DataFrame, str, Any], list[tuple[Any, ...]]]


def _rows(spec: Layer, inserts: pd.DataFrame, user: str, at: Any, docs: list[str]) -> list[Any]:
    ids = inserts["id"].tolist()
    return [
        (spec.name, i, "insert", 1, user, at, None, d, None) for i, d in zip(ids, docs, strict=True)
    ]


def whole_document(spec: Layer, inserts: pd.DataFrame, user: str, at: Any) -> list[Any]:
    docs = record_json_texts(spec.field_names, inserts, geometry=True)
    return _rows(spec, inserts, user, at, docs)


def digest(spec: Layer, inserts: pd.DataFrame, user: str, at: Any) -> list[Any]:
    docs = record_json_texts(spec.field_names, inserts, geometry=False)
    wkb = shapely.to_wkb(geometry_values(inserts["geometry"]), byte_order=1, flavor="iso")
    docs = [
        f'{{"geometry_sha1": "{hashlib.sha1(b).hexdigest()}", ' + d[1:]
        for d, b in zip(docs, wkb.tolist(), strict=True)
    ]
    return _rows(spec, inserts, user, at, docs)


def properties_only(spec: Layer, inserts: pd.DataFrame, user: str, at: Any) -> list[Any]:
    docs = record_json_texts(spec.field_names, inserts, geometry=False)
    return _rows(spec, inserts, user, at, docs)


FORMS: dict[str, Rows] = {
    "whole document": whole_document,
    "WKB apart": insert_rows,
    "digest": digest,
    "properties only": properties_only,
}


def measure(path: Path, rows_of: Rows, frame: pd.DataFrame) -> tuple[float, ...]:
    """(build, insert, commit, total) wall and CPU, and the MB at commit."""
    spec = LAYERS["plots"]
    with pasture.open_store(path) as store:
        at = store._time_param(pd.Timestamp.now(tz="UTC").to_pydatetime())
        t0, c0 = time.perf_counter(), time.process_time()
        rows = rows_of(spec, frame, "bench", at)
        t1, c1 = time.perf_counter(), time.process_time()
        with store._transaction() as cur:
            store._bulk_insert(cur, "history", NEW_COLUMNS, rows)
            t2, c2 = time.perf_counter(), time.process_time()
        t3, c3 = time.perf_counter(), time.process_time()
        wal = path.with_name(path.name + "-wal")
        size = (path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) / 1e6
    return (t1 - t0, c1 - c0, t2 - t1, c2 - c1, t3 - t2, c3 - c2, t3 - t0, c3 - c0, size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plots", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    frame = make_plots(args.plots)
    frame["area_ha"] = geodesic_area_ha(frame.geometry.tolist())
    results: dict[str, list[tuple[float, ...]]] = {name: [] for name in FORMS}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for k, (name, rows_of) in enumerate(FORMS.items()):
                path = Path(tmp) / f"h{k}.gpkg"
                for old in Path(tmp).glob(f"h{k}.*"):
                    old.unlink()
                results[name].append(measure(path, rows_of, frame))
    peer = [min(r[i] for r in results["whole document"]) for i in range(8)]
    print(f"history of {args.plots:,} inserted plots, best of {args.repeat} (wall / CPU s)")
    print(
        f"{'form':16} {'build':>13} {'insert':>13} {'commit':>13} {'total':>13}"
        f" {'wall ratio':>10} {'CPU ratio':>9} {'MB':>6}"
    )
    for name, runs in results.items():
        best = [min(r[i] for r in runs) for i in range(8)]
        cells = " ".join(f"{best[i]:6.3f}/{best[i + 1]:6.3f}" for i in range(0, 8, 2))
        print(
            f"{name:16} {cells} {best[6] / peer[6]:10.2f} {best[7] / peer[7]:9.2f}"
            f" {runs[0][8]:6.1f}"
        )
    print(f"(ratios to 'whole document'; load average now {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
