"""Season plans on a slow core: does the planner keep a short limit with a third of a core?

    .venv/bin/python benchmarks/national.py --plots 20000 --dates 6 --keep /tmp/national-small
    .venv/bin/python benchmarks/slow_core.py /tmp/national-small --districts 0,1,2,3 --time-limit 10

The districts of a store kept by ``benchmarks/national.py --keep`` (GENERATED data), each
planned with the heuristic within ``--time-limit``, while this process is pinned to one
core beside ``--busy`` busy loops pinned to the same core: the planner gets about
1 / (busy + 1) of a core, as on a machine shared with other work. The first district is
planned once before the measured ones and not counted (a process's first plan also loads
the kernels). Peer: the limit itself; each district's time ÷ limit is printed, with how
long the bound's thread ran on after the plan. Exit 1 when a district took more than
1.05 × its limit.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national import YEAR, district_inputs, district_of, plan_district

import pasture

#: A district may take this much of its limit (the planner's benchmarks' tolerance).
TOLERANCE = 1.05


def busy_loops(n: int, core: int) -> list[subprocess.Popen[bytes]]:
    """``n`` processes spinning on ``core``: they take its time from the planner."""

    def pin() -> None:
        os.sched_setaffinity(0, {core})

    spin = [sys.executable, "-c", "while True: pass"]
    return [subprocess.Popen(spin, preexec_fn=pin) for _ in range(n)]


def main(argv: list[str] | None = None) -> int:
    from pasture.planning.inputs import rotation_inputs
    from pasture.planning.service import default_params

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a benchmarks/national.py --keep folder")
    parser.add_argument("--districts", default="0,1,2,3")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--busy", type=int, default=2, help="busy loops on the planner's core")
    parser.add_argument("--core", type=int, default=0)
    args = parser.parse_args(argv)
    districts = [int(k) for k in args.districts.split(",")]
    params, planning = default_params()
    with pasture.open_store(args.folder / "national.gpkg") as store:
        inputs = rotation_inputs(store, season_year=YEAR, planning=planning)
    ids = np.array([district_of(p.id) for p in inputs.plots])
    xy = np.array([(p.x_km, p.y_km) for p in inputs.plots])
    parts = {k: district_inputs(inputs, k, ids, xy) for k in districts}
    os.sched_setaffinity(0, {args.core})
    loops = busy_loops(args.busy, args.core)
    try:
        plan_district(parts[districts[0]], params, args.time_limit)  # the first: not counted
        ratios = []
        print(f"# {args.busy} busy loops beside the planner on core {args.core}")
        print("| district | plots | time ÷ limit | violations | gap | bound thread after, s |")
        print("|---|---|---|---|---|---|")
        for k in districts:
            found = plan_district(parts[k], params, args.time_limit)
            ratios.append(found["seconds"] / args.time_limit)
            print(
                f"| {k} | {parts[k].n_plots:,} | {ratios[-1]:.3f} | {found['violations']} "
                f"| {100 * found['gap']:.1f} % | {found['linger']:.2f} |",
                flush=True,
            )
    finally:
        for loop in loops:
            loop.kill()
    print(f"time ÷ limit: max {max(ratios):.3f}, median {float(np.median(ratios)):.3f}")
    print(
        f"# {time.strftime('%H:%M:%S UTC', time.gmtime())}, load average {os.getloadavg()[0]:.1f}"
    )
    return 1 if max(ratios) > TOLERANCE else 0


if __name__ == "__main__":
    raise SystemExit(main())
