"""``benchmarks/planner.py --end-to-end``: `create_plan` on a store, the whole call timed.

Each size runs in a process of its own (``--one-end-to-end``), as ``pasture plan create``
does: open the store, call :func:`pasture.planning.create_plan` with the parameters the
command uses and ``--time-limit``, and time the whole call and its phases from its
progress messages:

* read: from the call to the planner's start (parameters, the store read: census →
  herds, forage, NDVI; the check of the time left);
* plan: the planner (pairs, passes, bound);
* check: ``validate_plan`` and building the plan's rows and summary;
* write: storing the rows and the plan as a draft.

Size 1 is a copy of the store (a GeoPackage is copied to a temporary folder; a PostGIS
URL is planned in place: the plan is added to it). Larger sizes (GeoPackage only) are
copies of the district side by side (:func:`tiled_store`). The ratio is the whole call's
wall time over the limit: FAILED above ``MAX_TIME_RATIO``, with violations (a
PlanRejected), or without a bound above 0.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: A plan may take this many times its limit (the planner's own benchmarks' rule).
MAX_TIME_RATIO = 1.05

#: The layers a tiled store repeats (each copy shifted, its ids suffixed); the census and
#: households are not copied: the copies' unions keep their stored herds
#: (`reconcile_union_herds`: a union without census), the village flocks stay the first
#: district's.
TILED_LAYERS = ("okrugs", "settlements", "unions", "plots", "water_points", "herds")


def one_run(store_url: str, season: int, time_limit: float, seed: int) -> dict[str, Any]:
    """`create_plan` once on ``store_url``: the whole call's time, its phases, its plan."""
    import pasture
    from pasture.planning import create_plan, plan_row

    marks: list[tuple[str, float]] = []

    def progress(msg: object) -> None:
        marks.append((str(getattr(msg, "template", msg)), time.perf_counter()))

    cpu0 = time.process_time()
    with pasture.open_store(store_url) as store:
        t0 = time.perf_counter()
        try:
            plan_id = create_plan(
                store,
                season_year=season,
                user="benchmark",
                solver="auto",
                params={"utilisation": 0.5},  # as `pasture plan create` sends it
                time_limit=time_limit,
                seed=seed,
                progress=progress,
            )
            error = None
        except Exception as exc:  # a refused plan is a result: report it
            plan_id, error = None, f"{type(exc).__name__}: {exc}"
        t1 = time.perf_counter()
        row = plan_row(store, plan_id) if plan_id else {}
        store_rows = store.read_rows("assignments", where={"plan_id": plan_id}) if plan_id else ()
    return {
        "seconds": t1 - t0,
        "ratio": (t1 - t0) / time_limit,
        "cpu_s": time.process_time() - cpu0,
        "phases": _phases(t0, t1, marks),
        "error": error,
        "bound": row.get("bound"),
        "gap": row.get("gap"),
        "objective": row.get("objective"),
        "summary_time": (row.get("summary") or {}).get("time"),
        "planner_timings": (row.get("summary") or {}).get("timings"),
        "assignments": len(store_rows) if plan_id else 0,
        "plots": (row.get("summary") or {}).get("n_plots"),
        "herds": (row.get("summary") or {}).get("n_herds"),
    }


def _phases(t0: float, t1: float, marks: list[tuple[str, float]]) -> dict[str, float]:
    """Seconds of read, plan, check and write from the progress messages' instants."""
    starts: dict[str, float | None] = {"plan": None, "check": None, "write": None}
    for text, at in marks:
        if text.startswith("planning ") and starts["plan"] is None:
            starts["plan"] = at
        elif text == "checking the plan":
            starts["check"] = at
        elif text == "storing the plan":
            starts["write"] = at
    edges = [t0, *[v if v is not None else t1 for v in starts.values()], t1]
    return {
        name: max(0.0, edges[k + 1] - edges[k])
        for k, name in enumerate(("read", "plan", "check", "write"))
    }


def tiled_store(source: Path, copies: int, target: Path, season: int) -> Path:
    """A copy of the GeoPackage ``source`` with its district repeated ``copies`` times.

    The copies' layers (:data:`TILED_LAYERS`) are shifted and suffixed
    (``benchmarks/_districts.py``), and the NDVI statistics of their plots copied, those
    of the season's year and the years either side (what the planner reads); everything
    stays labelled generated, as the demo's records are.
    """
    import pandas as pd
    import shapely
    from _districts import district_copy, district_suffix, tile_offsets

    import pasture

    shutil.copy(source, target)
    with pasture.open_store(target) as store:
        base = {name: store.read(name) for name in TILED_LAYERS}
        offsets = tile_offsets(base["plots"].total_bounds, copies)
        extent = shapely.box(*base["plots"].total_bounds)
        ends = [shapely.affinity.translate(extent, dx, dy) for dx, dy in offsets]
        store.set_region(shapely.union_all(ends).envelope.buffer(0.1))
        for name in TILED_LAYERS:
            frames = [district_copy(base[name], k, offsets[k]) for k in range(1, copies)]
            store.write(name, pd.concat(frames, ignore_index=True), user="benchmark")
        ndvi = store.read_rows("ndvi_stats")
        near = ndvi[(pd.to_datetime(ndvi["time"]).dt.year - season).abs() <= 1]
        rows = [
            near.assign(plot_id=near["plot_id"].astype(str) + district_suffix(k))
            for k in range(1, copies)
        ]
        store.replace_rows("ndvi_stats", pd.concat([ndvi, *rows], ignore_index=True))
    return target


def run_sizes(store: str, season: int, time_limit: float, sizes: list[int], seed: int) -> int:
    """Each size in a process of its own; prints one line each; 1 when a contract broke."""
    failed = False
    print(
        f"create_plan end to end on {store}, season {season}; time limit {time_limit:g} s; "
        f"FAILED above {MAX_TIME_RATIO} x; load average {os.getloadavg()[0]:.1f} (1 min)"
    )
    with tempfile.TemporaryDirectory(prefix="plan-e2e-") as tmp:
        for size in sizes:
            url = _store_of_size(store, size, Path(tmp), season)
            cmd = [sys.executable, str(Path(__file__).with_name("planner.py"))]
            cmd += ["--one-end-to-end", url, "--season", str(season)]
            cmd += ["--time-limit", str(time_limit), "--seed", str(seed)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"x{size}: the run failed ({done.returncode}):\n{done.stderr[-3000:]}")
                failed = True
                continue
            failed |= _report(size, json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"load average at the end {os.getloadavg()[0]:.1f} (1 min)")
    if failed:
        print("FAILED: a plan broke its time limit, a rule, or has no bound")
    return 1 if failed else 0


def _store_of_size(store: str, size: int, folder: Path, season: int) -> str:
    """Where size ``size`` is planned: a copy of a GeoPackage (tiled above 1), or the URL."""
    if "://" in store:
        if size != 1:
            raise SystemExit("--end-to-end: sizes above 1 need a GeoPackage --store")
        return store
    target = folder / f"x{size}.gpkg"
    if size == 1:
        shutil.copy(store, target)
        return str(target)
    t = time.perf_counter()
    tiled_store(Path(store), size, target, season)
    print(f"x{size}: tiled store built in {time.perf_counter() - t:.0f} s")
    return str(target)


def _report(size: int, r: dict[str, Any]) -> bool:
    """Print one size's line; whether it broke the contract."""
    bound = r["bound"]
    no_bound = bound is None or bound <= 0.0
    over = r["ratio"] > MAX_TIME_RATIO
    phases = ", ".join(f"{k} {v:.1f}" for k, v in r["phases"].items())
    gap = "n/a" if r["gap"] is None else f"{100 * r['gap']:.1f}%"
    print(
        f"x{size}: {r['plots'] or 0:,} plots, {r['herds'] or 0:,} herds: {r['seconds']:.1f} s, "
        f"whole call / limit {r['ratio']:.3f}{'  OVER THE LIMIT' if over else ''} "
        f"(CPU {r['cpu_s']:.1f} s); phases (s): {phases}; "
        f"violations {'refused: ' + r['error'] if r['error'] else 0}; "
        f"bound {'none' if bound is None else f'{bound:,.0f}'}, gap {gap}"
    )
    if r["summary_time"]:
        print(f"  shares of the limit (plan summary): {r['summary_time']}")
        timings = ", ".join(f"{k} {v:.1f}" for k, v in (r["planner_timings"] or {}).items())
        print(f"  {r['assignments']:,} assignment rows; the planner's own phases (s): {timings}")
    return bool(over or r["error"] or no_bound)
