"""Benchmark the rotation planner: exact MILP against the heuristic on the same input.

Run::

    .venv/bin/python benchmarks/planner.py --store demo/enbekshikazakh.gpkg --season 2024
    .venv/bin/python benchmarks/planner.py                      # a synthetic district of demo size
    .venv/bin/python benchmarks/planner.py --plots 400 --herds 20 --scale 2
    .venv/bin/python benchmarks/planner.py --sizes 1,2,4,10 --time-limit 30
    .venv/bin/python benchmarks/planner.py --sizes 1,2,4,10 --time-limit 60 --store demo/enbekshikazakh.gpkg
    .venv/bin/python benchmarks/planner.py --end-to-end --sizes 1,2,4 --time-limit 60 --store demo/enbekshikazakh.gpkg

With ``--end-to-end`` it times ``pasture.planning.create_plan`` on the store (a copy of it,
tiled ``--sizes`` times), the whole call and its phases (read, plan, check, write) against
``--time-limit``: see ``benchmarks/_plan_e2e.py``.

With ``--sizes`` it plans synthetic districts at those multiples of the demo district
(2,741 plots, 129 herds, 29 weeks, five unions per demo's worth), or with ``--store`` that
many copies of the store's district side by side, with the parameters ``pasture plan
create`` uses, each in its own process, and prints per size the time over the limit (wall
clock, and the process's CPU time beside it: on a loaded machine the wall clock is mostly
waiting), the violations, objective, bound, gap, peak memory (``ru_maxrss``), whether a
thread of the planner was still running when the plan was returned, and the time of each
phase; it exits with status 1 and prints FAILED when a plan takes more than 1.05 times
its limit, breaks a rule or has no bound above 0.

Prints the exact solve (time, status, gap), the heuristic on the same instance
(time, objective relative to the exact one) and the heuristic on a district
``--scale`` times larger (time and gap to its proven lower bound), with the parts of
each lower bound.

The larger district: with ``--store``, that many copies of the store's district side by
side (:func:`grazing_models.rotation.instances.tiled_instance`), each herd limited to the reach it
has at home (its farthest candidate plot there, rounded up to 10 km) so that no herd walks
farther than it can in the real district; public pasture is shared across the copies'
borders. Without ``--store``, a synthetic district that many times larger.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import threading
import time

import numpy as np

from grazing_models.rotation import (
    RotationInputs,
    RotationParams,
    candidate_pairs,
    plan_rotation,
    usable_cores,
    validate_plan,
)
from grazing_models.rotation.forage_lp import forage_lower_bound
from grazing_models.rotation.instances import synthetic_instance, tiled_instance
from grazing_models.rotation.lagrangian import lagrangian_herd_bound
from grazing_models.rotation.objective import arrays_from_assignments
from grazing_models.rotation.pairs import find_pairs

# Above this many candidate pairs the MILP's move constraints do not fit in memory
# (measured on the demo district: 3.2 M pairs need ~4e8 non-zeros).
MILP_BUILDABLE_PAIRS = 200_000


def _line(label: str, plan, seconds: float) -> str:
    gap = "n/a" if plan.gap is None else f"{100 * plan.gap:.2f}%"
    return (
        f"{label:<28} {seconds:8.1f} s  status={plan.status:<10} objective={plan.objective:,.0f}"
        f"  bound={'n/a' if plan.bound is None else f'{plan.bound:,.0f}'}  gap={gap}"
        f"  unfed={plan.objective_terms['unfed_kg']:,.0f} kg  moves={plan.objective_terms['moves']:.0f}"
    )


def _bound_parts(plan) -> str:
    """The heuristic's lower bounds, each with what it took, and the plan's timings."""
    timing = ", ".join(f"{k} {v:.1f}" for k, v in plan.timings.items())
    return f"  bounds: {_bounds_line(plan.stats, plan.timings)}\n  timings (s): {timing}"


def _bounds_line(st: dict[str, float], tm: dict[str, float]) -> str:
    """The heuristic's lower bounds from a plan's stats and timings."""
    parts = []
    if "bound_supply" in st:
        parts.append(f"supply {st['bound_supply']:,.0f}")
    weeks = st.get("bound_coarse_weeks", 0.0)
    for key, name in (
        ("coarse", f"district LP over {weeks:.0f}-week periods"),
        ("district", "district LP"),
        ("forage", "unions' forage LP"),
    ):
        if f"bound_{key}" in st:
            done = "complete" if st[f"bound_{key}_complete"] else "cut by the time limit"
            parts.append(
                f"{name} {st[f'bound_{key}']:,.0f} ({st[f'bound_{key}_rounds']:.0f} rounds, "
                f"{st[f'bound_{key}_windows']:,.0f} windows, {done}, "
                f"{tm.get(f'bound_{key}_s', math.nan):.1f} s)"
            )
    if "bound_herds" in st:
        priced = ""
        if st.get("bound_herds_priced"):
            done = "converged" if st.get("bound_herds_converged") else "stopped before converging"
            priced = (
                f", paying prices of forage ({st.get('bound_herds_rounds', 1):.0f} "
                f"evaluations from the LP's duals on, {done})"
            )
        parts.append(f"herds alone{priced} {st['bound_herds']:,.0f}")
    if "bound_transport" in st:
        parts.append(f"transport LP {st['bound_transport']:,.0f}")
    return "; ".join(parts) or "none"


def _reach_km(inputs: RotationInputs, h: np.ndarray, p: np.ndarray) -> float:
    """The farthest any herd grazes from home in candidate pairs ``(h, p)``, rounded up
    to 10 km."""
    d = np.hypot(*(inputs.plot_xy[p] - inputs.herd_home_xy[h]).T)
    return 10.0 * math.ceil(float(d.max()) / 10.0) if d.size else 0.0


def _converge_bound(inputs: RotationInputs, params: RotationParams, plan, seconds: float) -> None:
    """The herds bound at the best prices the Lagrangian ascent finds in ``seconds``,
    starting from ``plan``: how much of the gap the bound can close at all."""
    t = time.perf_counter()
    pairs = find_pairs(inputs, params)
    lp = forage_lower_bound(inputs, params, pairs, time_limit=seconds)
    start = arrays_from_assignments(plan.assignments, inputs)
    found = lagrangian_herd_bound(
        inputs,
        params,
        pairs,
        lp,
        lambda wait: [start] if wait else [],
        deadline=t + seconds,
        workers=usable_cores,
        patience=math.inf,
    )

    def gap(bound: float) -> float:
        return 100 * (plan.objective - bound) / abs(plan.objective)

    print(
        f"herds bound at the best prices: {found.value:,.0f} after {found.rounds} evaluations, "
        f"{'converged' if found.converged else 'not converged'}, {time.perf_counter() - t:.1f} s;"
        f" gap to the heuristic's plan {gap(found.value):.1f}%\n"
        f"  no prices on these rows prove more than {found.ceiling:,.0f} (the master's optimum);"
        f" the least gap they can show is {gap(found.ceiling):.1f}%"
    )


#: The demo district's size (2024 season): plots, herds, weeks, and unions (synthetic).
DEMO_SIZE = (2741, 129, 29, 5)
#: A plan may take this much longer than its time limit before the benchmark fails.
MAX_TIME_RATIO = 1.05


def _size_inputs(
    scale: float, seed: int, store: str | None, season: int
) -> tuple[RotationInputs, float]:
    """A district ``scale`` times the demo: synthetic, or ``scale`` copies of the store's
    (a whole number); and the seconds reading the store took (0 for synthetic)."""
    if store is None:
        plots, herds, weeks, unions = DEMO_SIZE
        inputs = synthetic_instance(
            round(plots * scale),
            round(herds * scale),
            weeks,
            seed=seed,
            n_unions=max(1, round(unions * scale)),
        )
        return inputs, 0.0
    import pasture
    from pasture.planning import rotation_inputs

    t = time.perf_counter()
    with pasture.open_store(store) as opened:
        inputs = rotation_inputs(opened, season_year=season)
    read = time.perf_counter() - t
    return (inputs if scale == 1 else tiled_instance(inputs, round(scale))), read


def _one_size(
    scale: float, time_limit: float, seed: int, store: str | None, season: int
) -> dict[str, object]:
    """Plan a district ``scale`` times the demo; the figures of the run."""
    from pasture.planning import DEFAULT_MIGRATION_KM

    inputs, read_s = _size_inputs(scale, seed, store, season)
    params = RotationParams(max_migration_km=DEFAULT_MIGRATION_KM)
    threads = threading.active_count()
    t, cpu = time.perf_counter(), time.process_time()
    plan = plan_rotation(inputs, params, solver="heuristic", time_limit=time_limit, seed=seed)
    seconds, cpu_s = time.perf_counter() - t, time.process_time() - cpu
    running = threading.active_count() - threads  # the planner's threads still alive
    violations = validate_plan(plan, inputs)
    return {
        "read_s": read_s,
        "cpu_s": cpu_s,
        "threads_left": running,
        "scale": scale,
        "plots": inputs.n_plots,
        "herds": inputs.n_herds,
        "pairs": plan.stats.get("n_pairs"),
        "seconds": seconds,
        "ratio": seconds / time_limit,
        "violations": len(violations),
        "objective": plan.objective,
        "bound": plan.bound,
        "gap": plan.gap,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "timings": dict(plan.timings),
        "stats": {k: v for k, v in plan.stats.items() if isinstance(v, int | float)},
    }


def _sizes(
    scales: list[float], time_limit: float, seed: int, store: str | None, season: int
) -> int:
    """Each size in its own process (its own peak memory); 1 when a contract is broken."""
    failed = False
    source = f"copies of {store}, season {season}" if store else f"synthetic, seed {seed}"
    print(
        f"{source}; time limit {time_limit:g} s; a plan may take {MAX_TIME_RATIO} x the limit; "
        f"{usable_cores()} usable cores; {os.getloadavg()[0]:.1f} load average (1 min)"
    )
    for scale in scales:
        cmd = [sys.executable, __file__, "--one-size", str(scale)]
        cmd += ["--time-limit", str(time_limit), "--seed", str(seed), "--season", str(season)]
        cmd += ["--store", store] if store else []
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"x{scale:g}: the run failed ({done.returncode}):\n{done.stderr[-3000:]}")
            failed = True
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        bound = "none" if r["bound"] is None else f"{r['bound']:,.0f}"
        gap = "n/a" if r["gap"] is None else f"{100 * r['gap']:.1f}%"
        no_bound = r["bound"] is None or r["bound"] <= 0.0
        broken = r["ratio"] > MAX_TIME_RATIO or r["violations"] or no_bound
        failed |= bool(broken)
        print(
            f"x{scale:g}: {r['plots']:,} plots, {r['herds']:,} herds, {r['pairs']:,.0f} pairs: "
            f"{r['seconds']:.1f} s, time / limit {r['ratio']:.3f}"
            f"{'  OVER THE LIMIT' if r['ratio'] > MAX_TIME_RATIO else ''} "
            f"(CPU {r['cpu_s']:.1f} s, CPU / limit {r['cpu_s'] / time_limit:.3f}); "
            f"{r['violations']} violations; objective {r['objective']:,.0f}, bound {bound}"
            f"{'  NO BOUND' if no_bound else ''}, gap {gap}; peak memory {r['peak_mb']:,.0f} MB;"
            f" {r['threads_left']} planner threads left running"
            + (f"; the store read in {r['read_s']:.1f} s" if store else "")
        )
        print("  phases (s): " + ", ".join(f"{k} {v:.1f}" for k, v in r["timings"].items()))
        print("  bounds: " + _bounds_line(r["stats"], r["timings"]))
    if failed:
        print("FAILED: a plan broke its time limit, a rule, or has no bound")
    return 1 if failed else 0


def _end_to_end(args: argparse.Namespace) -> int:
    """``--end-to-end``: `create_plan` on the store, whole and by phase (``_plan_e2e``)."""
    import _plan_e2e

    if args.one_end_to_end:
        one = _plan_e2e.one_run(args.one_end_to_end, args.season, args.time_limit, args.seed)
        print(json.dumps(one, default=str))
        return 0
    if not args.store:
        raise SystemExit("--end-to-end needs --store (e.g. the demo GeoPackage)")
    sizes = [int(float(x)) for x in (args.sizes or "1").split(",")]
    return _plan_e2e.run_sizes(args.store, args.season, args.time_limit, sizes, args.seed)


def main() -> None:
    """Parse the size arguments, run the three solves and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--plots", type=int, default=2000)
    ap.add_argument("--herds", type=int, default=80)
    ap.add_argument("--weeks", type=int, default=26)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tight", action="store_true", help="stock at ~2.5x the usual load")
    ap.add_argument("--time-limit", type=float, default=60.0, help="MILP time limit, s")
    ap.add_argument("--gap", type=float, default=0.01, help="MILP relative gap target")
    ap.add_argument(
        "--heuristic-time",
        type=float,
        default=60.0,
        help="heuristic time limit (whole plan and its bound), s",
    )
    ap.add_argument(
        "--converge-bound",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="then search for the best prices of the herds bound for up to this long",
    )
    ap.add_argument(
        "--large-time",
        type=float,
        default=50.0,
        help="heuristic time limit on the larger district, s (target: the plan under 60 s)",
    )
    ap.add_argument(
        "--max-home-km",
        type=float,
        default=None,
        help="limit on the distance from home, km (synthetic districts: 20 unless given)",
    )
    ap.add_argument("--scale", type=int, default=10, help="size factor of the large district")
    ap.add_argument("--skip-milp", action="store_true")
    ap.add_argument("--store", help="plan the season of this store (e.g. the demo) instead")
    ap.add_argument("--season", type=int, default=2024, help="season year with --store")
    ap.add_argument(
        "--sizes",
        help="multiples of the demo district, e.g. 1,2,4,10: plan each within --time-limit",
    )
    ap.add_argument("--one-size", type=float, help=argparse.SUPPRESS)
    ap.add_argument(
        "--end-to-end",
        action="store_true",
        help="time create_plan on --store (copies tiled --sizes times): read, plan, check, write",
    )
    ap.add_argument("--one-end-to-end", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one_end_to_end or args.end_to_end:
        raise SystemExit(_end_to_end(args))
    if args.one_size is not None:
        one = _one_size(args.one_size, args.time_limit, args.seed, args.store, args.season)
        print(json.dumps(one))
        return
    if args.sizes:
        scales = [float(x) for x in args.sizes.split(",")]
        raise SystemExit(_sizes(scales, args.time_limit, args.seed, args.store, args.season))

    params = RotationParams(max_home_km=args.max_home_km or 20.0)
    if args.store:
        import pasture
        from pasture.planning import DEFAULT_MIGRATION_KM, rotation_inputs

        with pasture.open_store(args.store) as store:
            inputs = rotation_inputs(store, season_year=args.season)
        args.plots, args.herds = len(inputs.plots), len(inputs.herds)
        args.weeks = len(inputs.periods)
        # the parameters `pasture plan create` uses for a district
        params = RotationParams(max_migration_km=DEFAULT_MIGRATION_KM, max_home_km=args.max_home_km)
    else:
        inputs = synthetic_instance(
            args.plots, args.herds, args.weeks, seed=args.seed, tight=args.tight
        )
    pair_h, pair_p, _ = candidate_pairs(inputs, params)
    n_pairs = pair_h.size
    source = (
        f"store {args.store}, season {args.season}"
        if args.store
        else f"synthetic, seed {args.seed}"
    )
    print(
        f"instance ({source}): {args.plots} plots ({100 * inputs.season_ok.mean():.0f}% usable per "
        f"week), {args.herds} herds, {args.weeks} weeks; "
        f"{n_pairs:,} herd x plot x week pairs after pruning"
    )
    print(f"params: {params.model_dump()}")

    t = time.perf_counter()
    heur = plan_rotation(
        inputs, params, solver="heuristic", time_limit=args.heuristic_time, seed=args.seed
    )
    t_heur = time.perf_counter() - t
    print(_line("heuristic", heur, t_heur))
    print(f"  plan found in {heur.timings['heuristic_s']:.1f} s; the rest of the time its bound")
    print(_bound_parts(heur))
    assert not validate_plan(heur, inputs), "heuristic plan breaks a rule"
    if args.converge_bound > 0:
        _converge_bound(inputs, params, heur, args.converge_bound)

    if not args.skip_milp and n_pairs > MILP_BUILDABLE_PAIRS:
        print(
            f"milp (HiGHS): not built: {n_pairs:,} pairs exceed what the exact model can hold in "
            f"memory (~{MILP_BUILDABLE_PAIRS:,}); its move constraints grow with the square of the "
            "candidate plots. Rerun with --max-home-km 10 to solve a home-limited variant."
        )
    elif not args.skip_milp:
        t = time.perf_counter()
        exact = plan_rotation(
            inputs, params, solver="milp", time_limit=args.time_limit, mip_rel_gap=args.gap
        )
        t_exact = time.perf_counter() - t
        print(_line("milp (HiGHS)", exact, t_exact))
        print(f"  model: {dict(exact.stats)}  timings: {dict(exact.timings)}")
        assert not validate_plan(exact, inputs), "MILP plan breaks a rule"
        print(
            f"heuristic / milp objective: {heur.objective / exact.objective:.4f}; "
            f"heuristic / milp dual bound: {heur.objective / (exact.bound or float('nan')):.4f}; "
            f"time ratio heuristic / milp: {t_heur / t_exact:.3f}"
        )

    big_params = params
    if args.store:
        reach = args.max_home_km or _reach_km(inputs, pair_h, pair_p)
        big = tiled_instance(inputs, args.scale)
        big_params = params.model_copy(update={"max_home_km": reach})
        label = f"{args.scale} copies side by side, reach {reach:.0f} km from home"
    else:
        big = synthetic_instance(
            args.plots * args.scale,
            args.herds * args.scale,
            args.weeks,
            seed=args.seed,
            tight=args.tight,
        )
        label = "synthetic"
    print(
        f"x{args.scale} district ({label}): {len(big.plots):,} plots, {len(big.herds):,} herds; "
        f"params: {big_params.model_dump()}"
    )
    t = time.perf_counter()
    large = plan_rotation(
        big, big_params, solver="heuristic", time_limit=args.large_time, seed=args.seed
    )
    t_large = time.perf_counter() - t
    print(_line(f"heuristic x{args.scale} district", large, t_large))
    print(f"  {large.stats['n_pairs']:,.0f} pairs after pruning")
    print(_bound_parts(large))
    t = time.perf_counter()
    violations = validate_plan(large, big)
    print(f"  validated in {time.perf_counter() - t:.1f} s: {len(violations)} violations")


if __name__ == "__main__":
    main()
