"""Herd privacy of a plan (issue 22): CPU seconds of deciding a plan's herds, and what
storing their contributors adds to the planner's read.

A plan's herds are decided from the contributors stored with them in ``plan_herds``
(gpkg 0012 / postgis 0014); the peer is the same plan's herds without them (a plan
stored before), decided from today's census (`herd_contributions`: the census, the
households and each pool's shares on every call). Both are what an analyst's
``GET /plans/{id}``, ``/plans/{id}/assignments`` and union-page calendar pay. The
planner's cost is `with_herd_contributors` beside `planning_herds` (the read's costliest
step), once per store version. Run on a demo store with a plan::

    python benchmarks/herd_privacy.py /tmp/demo.gpkg --repeat 5

The store is copied (the schema is upgraded on the copy); the newest plan's herds are
written again with their contributors (as `create_plan` stores them now) and under a
second plan id without (the peer). Prints the median CPU seconds (``time.process_time``;
the GeoPackage reader process is not counted, alike on both sides) and the ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pasture  # noqa: E402
from pasture.disclosure import DisclosureRules  # noqa: E402
from pasture.model import PLAN_HERDS  # noqa: E402
from pasture.science.herd_privacy import with_herd_contributors, withheld_herds  # noqa: E402
from pasture.science.herds import planning_herds  # noqa: E402

BEFORE = "-before"  # the peer plan's id: the plan's own id and this


def cpu(call: Callable[[], Any], repeat: int) -> float:
    """Median CPU seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        call()
        times.append(time.process_time() - start)
    return statistics.median(times)


def prepare(store: pasture.Store) -> str:
    """The newest plan's herds stored with their contributors, and under ``<id>-before``
    without; returns the plan's id."""
    plans = store.read_rows("plans").sort_values("created_at")
    plan_id = str(plans["id"].iat[-1])
    rows = store.read_rows("plan_herds", where={"plan_id": plan_id})
    if rows.empty:
        raise SystemExit(f"plan {plan_id} has no plan_herds rows: run `pasture demo` again")
    herds = rows.rename(columns={"herd_id": "id"}).drop(columns=["contributors", "top_shares"])
    stored = with_herd_contributors(store, herds).rename(columns={"id": "herd_id"})
    columns = list(PLAN_HERDS.column_names)
    store.replace_rows("plan_herds", stored[columns], where={"plan_id": plan_id})
    before = stored.assign(plan_id=plan_id + BEFORE, contributors=None, top_shares=None)
    store.replace_rows("plan_herds", before[columns], where={"plan_id": plan_id + BEFORE})
    return plan_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("store", type=Path, help="a demo GeoPackage with a plan (copied)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "demo.gpkg"
        shutil.copy(args.store, copy)
        with pasture.open_store(copy) as store:
            plan_id = prepare(store)
            herds = store.read_rows("plan_herds", where={"plan_id": plan_id})
            herds = herds.rename(columns={"herd_id": "id"})
            rules = DisclosureRules()
            same = withheld_herds(store, herds, rules, plan_id=plan_id) == withheld_herds(
                store, herds, rules, plan_id=plan_id + BEFORE
            )
            stored_s = cpu(
                lambda: withheld_herds(store, herds, rules, plan_id=plan_id), args.repeat
            )
            today_s = cpu(
                lambda: withheld_herds(store, herds, rules, plan_id=plan_id + BEFORE), args.repeat
            )
            built = planning_herds(store)
            read_s = cpu(lambda: planning_herds(store), max(1, args.repeat // 2))
            added_s = cpu(lambda: with_herd_contributors(store, built), args.repeat)
    print(f"load average {os.getloadavg()[0]:.1f}; plan {plan_id}: {len(herds)} herds")
    print(f"same decisions from stored contributors and today's unchanged census: {same}")
    print(f"withheld_herds, stored contributors: {stored_s:.3f} CPU s")
    print(f"withheld_herds, today's census (peer): {today_s:.3f} CPU s")
    print(f"ratio today / stored: {today_s / stored_s:.1f}")
    print(f"planning_herds: {read_s:.2f} CPU s; with_herd_contributors adds {added_s:.3f} CPU s")
    print(f"ratio added / planning_herds: {added_s / read_s:.3f}")


if __name__ == "__main__":
    main()
