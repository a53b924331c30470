"""Concurrent state changes of a plan: exactly one of N simultaneous approvals (or
withdrawals) wins, on both stores; a stale version is refused, nothing is half-changed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

import pasture
from pasture.errors import PlanStateConflict, VersionConflict
from pasture.planning import approve_plan, plan_row, plan_version, withdraw_plan
from pasture.store import Store

#: Simultaneous callers; the issue saw 4 of 4 approvals succeed.
CALLERS = 8

PLAN = {
    "id": "plan-race",
    "season_year": 2025,
    "state": "draft",
    "solver": "heuristic",
    "params": {"weeks": 2},
    "created_at": datetime(2025, 1, 1, tzinfo=UTC),
    "created_by": "akimat",
}


def race(calls: list[Callable[[], Any]]) -> tuple[list[Any], list[Exception]]:
    """Run the calls in threads released together; their results and their errors."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = []
    errors: list[Exception] = []

    def run(call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results.append(call())
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.fixture
def plan_store(store: Store) -> Store:
    store.replace_rows("plans", pd.DataFrame([PLAN]))
    return store


def test_exactly_one_of_concurrent_approvals_wins(plan_store: Store) -> None:
    calls = [
        lambda u=f"user-{i}": approve_plan(plan_store, "plan-race", user=u) for i in range(CALLERS)
    ]
    results, errors = race(calls)
    assert len(results) == 1, errors
    assert len(errors) == CALLERS - 1
    assert all(isinstance(e, PlanStateConflict) for e in errors), errors
    row = plan_row(plan_store, "plan-race")
    assert row["state"] == "approved" and row["approved_by"] == results[0]["approved_by"]


def test_exactly_one_wins_across_store_instances(plan_store: Store) -> None:
    """As under several server processes: each caller has its own connection or file handle."""
    stores = [pasture.open_store(plan_store.url) for _ in range(4)]
    try:
        version = plan_version(plan_row(plan_store, "plan-race"))
        calls = [
            lambda s=s, i=i: approve_plan(s, "plan-race", user=f"u{i}", expected_version=version)
            for i, s in enumerate(stores)
        ]
        results, errors = race(calls)
    finally:
        for s in stores:
            s.close()
    assert len(results) == 1, errors
    assert all(isinstance(e, PlanStateConflict | VersionConflict) for e in errors), errors


def test_a_stale_version_is_refused_and_changes_nothing(plan_store: Store) -> None:
    seen = plan_version(plan_row(plan_store, "plan-race"))
    approve_plan(plan_store, "plan-race", user="first", expected_version=seen)
    approved = plan_row(plan_store, "plan-race")
    with pytest.raises(VersionConflict, match="changed since you read it"):
        withdraw_plan(plan_store, "plan-race", user="second", expected_version=seen)
    assert plan_row(plan_store, "plan-race") == approved
    withdraw_plan(plan_store, "plan-race", user="second", expected_version=plan_version(approved))
    draft = plan_row(plan_store, "plan-race")
    assert draft["state"] == "draft" and draft["approved_by"] is None


def test_concurrent_withdrawals_one_wins(plan_store: Store) -> None:
    approve_plan(plan_store, "plan-race", user="akimat")
    calls = [lambda: withdraw_plan(plan_store, "plan-race", user="akimat") for _ in range(CALLERS)]
    results, errors = race(calls)
    assert len(results) == 1 and all(isinstance(e, PlanStateConflict) for e in errors)
    assert plan_row(plan_store, "plan-race")["state"] == "draft"
