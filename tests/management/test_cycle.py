"""The management plan's cycle on both stores: create, comment, answer, submit, adopt, amend."""

from __future__ import annotations

import threading
from datetime import date

import pandas as pd
import pytest

from pasture import management as mp
from pasture.errors import AlreadyExists, InvalidInput, NotFound, PlanStateConflict, VersionConflict
from pasture.management.cycle import NotAllowed
from pasture.store import Store
from tests.pasture import factories


@pytest.fixture
def filled(store: Store) -> Store:
    factories.fill(store)
    return store


def test_create_freezes_the_store_content(filled: Store) -> None:
    plan = mp.create_plan(filled, "ok-a", 2026, user="akim")
    assert (plan["state"], plan["version"], plan["last_year"]) == ("draft", 1, 2030)
    content = mp.version_content(filled, plan["id"])
    plots = filled.read("plots", where={"okrug_id": "ok-a"})
    listed = content["sections"]["1"]["tables"]["plots"]["rows"]
    assert [r[0] for r in listed] == sorted(plots["id"])
    assert content["sections"]["3"]["figures"]["pasture_area_ha"] == round(
        float(plots["area_ha"].sum()), 1
    )
    census = filled.read("census")
    assert content["livestock"]["sheep"] == int(census["sheep"].sum())
    with pytest.raises(AlreadyExists, match="amend it instead"):
        mp.create_plan(filled, "ok-a", 2026, user="akim")
    with pytest.raises(NotFound, match="ok-a"):
        mp.create_plan(filled, "no-such-okrug", 2026, user="akim")


def test_the_whole_cycle_with_history(filled: Store) -> None:
    plan = mp.create_plan(filled, "ok-a", 2026, user="akim")
    pid = plan["id"]
    comment = mp.add_comment(
        filled, pid, section="5", plot_id="p1", body="Move the flock", user="u", role="union"
    )
    with pytest.raises(PlanStateConflict, match="not answered"):
        mp.step_plan(filled, pid, "submit", user="akim")
    mp.answer_comment(filled, pid, comment["id"], answer="Moved to p2", user="akim")
    mp.step_plan(filled, pid, "submit", user="akim")
    with pytest.raises(PlanStateConflict, match="takes no comments"):
        mp.add_comment(filled, pid, section="1", body="late", user="u", role="union")
    with pytest.raises(InvalidInput, match="decision's number"):
        mp.step_plan(filled, pid, "adopt", user="sec", role="maslikhat")
    adopted = mp.step_plan(
        filled,
        pid,
        "adopt",
        user="sec",
        role="maslikhat",
        decision_number="12-3",
        decision_date=date(2026, 3, 1),
    )
    assert (adopted["state"], adopted["in_force"], adopted["decision_number"]) == (
        "approved",
        1,
        "12-3",
    )
    assert mp.plan_in_force(filled, "ok-a", 2028)["id"] == pid
    assert mp.plan_in_force(filled, "ok-a", 2031) is None
    assert mp.seasonal_plans(filled, pid) == []  # no rotation plan is stored yet
    rotation = {"season_year": 2027, "state": "draft", "params": {}, "created_by": "t"}
    filled.replace_rows(
        "plans",
        pd.DataFrame(
            [
                {**rotation, "id": "rot-2027", "created_at": pd.Timestamp.now(tz="UTC")},
                {
                    **rotation,
                    "id": "rot-2035",
                    "season_year": 2035,
                    "created_at": pd.Timestamp.now(tz="UTC"),
                },
            ]
        ),
    )
    assert mp.seasonal_plans(filled, pid) == ["rot-2027"]  # 2035 is outside the term
    # a change on the land, then an amendment: a new version, the old one stays in force
    filled.update("plots", "p1", {"seasons": "summer,autumn"}, expected_version=1, user="akim")
    amended = mp.amend_plan(filled, pid, user="akim", note="p1 becomes a summer pasture")
    assert (amended["state"], amended["version"], amended["in_force"]) == ("amended", 2, 1)
    diff = mp.diff_content(mp.version_content(filled, pid, 1), mp.version_content(filled, pid, 2))
    assert [c["plot_id"] for c in diff["plots"]["changed"]] == ["p1"]
    assert diff["plots"]["changed"][0]["after"]["seasons"] == "summer,autumn"
    assert any("p1" in line for line in mp.diff_lines(diff))
    actions = [e["action"] for e in mp.events(filled, pid)]
    assert actions == ["create", "comment", "answer", "submit", "adopt", "amend"]
    assert [e["seq"] for e in mp.events(filled, pid)] == list(range(1, 7))
    assert mp.versions(filled, pid)[0]["decision_number"] == "12-3"


def test_roles_and_bad_input(filled: Store) -> None:
    pid = mp.create_plan(filled, "ok-a", 2026, user="akim")["id"]
    with pytest.raises(NotAllowed, match="only akimat"):
        mp.step_plan(filled, pid, "submit", user="u", role="union")
    with pytest.raises(InvalidInput, match="unknown section"):
        mp.add_comment(filled, pid, section="9", body="x", user="u", role="union")
    with pytest.raises(InvalidInput, match="not a plot of okrug"):
        mp.add_comment(filled, pid, section="1", plot_id="nope", body="x", user="u", role="union")
    with pytest.raises(PlanStateConflict, match="needs a plan that is submitted"):
        mp.step_plan(
            filled, pid, "adopt", user="a", decision_number="1", decision_date=date.today()
        )
    assert [e["action"] for e in mp.events(filled, pid)] == ["create"]


def test_two_writers_cannot_both_move_the_plan(filled: Store) -> None:
    """The guard runs inside the transaction: a step on a stale read writes nothing."""
    pid = mp.create_plan(filled, "ok-a", 2026, user="akim")["id"]
    stale = mp.get_plan(filled, pid)
    mp.step_plan(filled, pid, "discuss", user="akim")
    from pasture.management.service import _commit

    with pytest.raises(VersionConflict, match="changed while"):
        _commit(filled, stale, {**stale, "state": "submitted"}, "submit", "other", {})
    assert mp.get_plan(filled, pid)["state"] == "discussion"
    assert [e["action"] for e in mp.events(filled, pid)] == ["create", "discuss"]


def test_concurrent_comments_all_land(filled: Store) -> None:
    pid = mp.create_plan(filled, "ok-a", 2026, user="akim")["id"]
    errors: list[Exception] = []

    def comment(i: int) -> None:
        for _ in range(5):
            try:
                mp.add_comment(filled, pid, section="2", body=f"c{i}", user=f"u{i}", role="union")
                return
            except VersionConflict:
                continue
        errors.append(RuntimeError(f"writer {i} never got through"))

    threads = [threading.Thread(target=comment, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(c["body"] for c in mp.comments(filled, pid)) == ["c0", "c1", "c2"]
    assert [e["seq"] for e in mp.events(filled, pid)] == [1, 2, 3, 4]
