"""Shared builders of the benchmarks: many districts from one, and what a step costs.

A large store is made of copies of one generated district laid side by side on a grid
(each copy shifted east and north by slightly more than the district's extent), the
way ``pages.py`` and ``national.py`` build theirs. Everything here is generated demo
data and stays labelled so.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

#: Columns naming a record of a copied layer: suffixed in every copy.
REFERENCES = ("id", "okrug_id", "union_id", "settlement_id")


def tile_offsets(
    bounds: np.ndarray | tuple[float, ...], copies: int, *, square: bool = False
) -> list[tuple[float, float]]:
    """(dx, dy) of each of ``copies`` districts (the first is the original, at 0, 0).

    The copies fill rows west to east, rows south to north, each 2 % (east) and 5 %
    (north) farther apart than the district is wide: rows of about 1.5 × √copies
    districts, or with ``square`` as many as make the whole about as tall as wide.
    """
    w, s, e, n = (float(v) for v in bounds)
    dx, dy = (e - w) * 1.02, (n - s) * 1.05
    cols = round((copies * dy / dx) ** 0.5) if square else round(copies**0.5 * 1.5)
    cols = max(1, cols)
    return [((k % cols) * dx, (k // cols) * dy) for k in range(copies)]


def shifted(frame: gpd.GeoDataFrame, offset: tuple[float, float]) -> gpd.GeoDataFrame:
    """A copy of ``frame`` with every geometry moved by ``offset`` (its CRS's units)."""
    out = frame.copy()
    shift = np.asarray(offset, dtype=float)
    out["geometry"] = shapely.transform(frame.geometry.values, lambda xy: xy + shift)
    return out


def district_copy(frame: gpd.GeoDataFrame, k: int, offset: tuple[float, float]) -> gpd.GeoDataFrame:
    """District ``k``'s copy of a layer: shifted, its ids and references suffixed ``-dNNN``.

    District 0 is the original and keeps its ids.
    """
    out = shifted(frame, offset).drop(columns=["version"], errors="ignore")
    if k == 0:
        return out
    for col in REFERENCES:
        if col in out:
            out[col] = [
                None if v is None or v != v else f"{v}{district_suffix(k)}" for v in out[col]
            ]
    return out


def district_suffix(k: int) -> str:
    """What the ids of district ``k``'s copies end in ('' for the original district)."""
    return "" if k == 0 else f"-d{k:03d}"


@dataclass
class Cost:
    """What one measured step took: wall and CPU seconds, peak resident memory (MiB)."""

    wall: float = 0.0
    cpu: float = 0.0
    peak_mib: float = 0.0


def _family_cpu_and_rss() -> tuple[float, float]:
    """CPU seconds and resident bytes of this process and its children: live ones (e.g. a
    local cluster's workers) through psutil, ended ones (e.g. ogr2ogr) as the kernel
    counts them once they are waited for."""
    import psutil

    me = psutil.Process()
    ended = os.times()
    cpu = sum(me.cpu_times()[:2]) + ended.children_user + ended.children_system
    rss = float(me.memory_info().rss)
    for child in me.children(recursive=True):
        try:
            cpu += sum(child.cpu_times()[:2])
            rss += child.memory_info().rss
        except psutil.Error:  # a child that ended meanwhile
            continue
    return cpu, rss


@contextmanager
def measured(interval: float = 0.05) -> Iterator[Cost]:
    """Measure the block: wall time, CPU time and peak RSS of this process and its children.

    The peak is sampled every ``interval`` seconds by a thread (psutil), so it is the
    whole family's resident memory, a cluster's workers included, not Python allocations
    alone (a child that starts and ends between two samples is missed).
    """
    cost = Cost()
    cpu0, rss0 = _family_cpu_and_rss()
    peak = [rss0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(interval):
            peak[0] = max(peak[0], _family_cpu_and_rss()[1])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    wall0 = time.perf_counter()
    try:
        yield cost
    finally:
        cost.wall = time.perf_counter() - wall0
        done.set()
        sampler.join()
        cpu1, rss1 = _family_cpu_and_rss()
        cost.cpu = cpu1 - cpu0
        cost.peak_mib = max(peak[0], rss1) / 2**20


def load_average() -> float:
    """The one-minute load average (the machine is shared: say how busy it was)."""
    return os.getloadavg()[0]
