"""The village flock sizes against the plan's deficit, on a store's district.

Run::

    .venv/bin/python benchmarks/flocks.py --store /tmp/demo.gpkg --season 2024 --time-limit 20
    .venv/bin/python benchmarks/flocks.py --store /tmp/demo.gpkg --unpruned

Plans the same season twice on the same forage with the heuristic (no bound): the
households in no union in flocks of ``PlanningParams.flock_heads`` (the default sizes),
and in one flock per species and settlement. Prints per variant the herds, the candidate
herd × plot × week placements and whether the planner pruned them to its pair budget
(``FULL_PAIRS_MAX``), the deficit (all and the village flocks'), the demand of herd-weeks
left without a plot, and CPU and wall time. ``--unpruned`` raises the pair budget above
both variants' candidates, so every herd sees every plot (docs/domain.md, Census → herds:
the finding this measures).
"""

from __future__ import annotations

import argparse
import time

import grazing_models.rotation.planner as planner
import pasture
from grazing_models.rotation import Plan, RotationInputs, RotationParams, plan_rotation
from pasture.planning import DEFAULT_MIGRATION_KM, PlanningParams, rotation_inputs
from pasture.planning.params import DEFAULT_FLOCK_HEADS
from pasture.science.herds import VILLAGE_PREFIX


def _variants(store_url: str, season: int) -> dict[str, RotationInputs]:
    one_flock = {species: 10**9 for species in DEFAULT_FLOCK_HEADS}
    with pasture.open_store(store_url) as store:
        return {
            "default flocks": rotation_inputs(store, season_year=season),
            "one flock per species": rotation_inputs(
                store, season_year=season, planning=PlanningParams(flock_heads=one_flock)
            ),
        }


def _line(name: str, inputs: RotationInputs, plan: Plan, cpu: float, wall: float) -> str:
    village = sum(h.union_id.startswith(VILLAGE_PREFIX) for h in inputs.herds)
    deficit = sum(d.deficit_kg for d in plan.deficits)
    of_villages = sum(d.deficit_kg for d in plan.deficits if d.union_id.startswith(VILLAGE_PREFIX))
    unplaced = sum(a.demand_kg for a in plan.assignments if a.plot_id is None)
    stats = plan.stats
    return (
        f"{name}: {inputs.n_herds} herds ({village} village flocks); "
        f"{stats.get('n_candidates', 0) / 1e6:.1f} M candidates, "
        f"{stats.get('n_pairs', 0) / 1e6:.1f} M pairs kept "
        f"({'pruned' if stats.get('pairs_pruned') else 'all'}); "
        f"deficit {deficit / 1e6:.1f} M kg DM (village flocks {of_villages / 1e6:.1f}), "
        f"unplaced demand {unplaced / 1e6:.1f} M kg; CPU {cpu:.1f} s, wall {wall:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="a store with NDVI (`pasture demo`)")
    parser.add_argument("--season", type=int, default=2024)
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--unpruned", action="store_true", help="no pair budget")
    args = parser.parse_args()
    if args.unpruned:
        planner.FULL_PAIRS_MAX = 10**9
    params = RotationParams(max_migration_km=DEFAULT_MIGRATION_KM)
    for name, inputs in _variants(args.store, args.season).items():
        cpu0, wall0 = time.process_time(), time.perf_counter()
        plan = plan_rotation(
            inputs,
            params,
            solver="heuristic",
            time_limit=args.time_limit,
            bound=False,
            seed=args.seed,
        )
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        print(_line(name, inputs, plan, cpu, wall), flush=True)


if __name__ == "__main__":
    main()
