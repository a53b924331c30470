"""Plans over HTTP: start (akimat, 202), poll, assignments as GeoJSON/CSV/XLSX, approve."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import pasture
from pasture_api.cli import command
from pasture_api.main import create_app

from .conftest import FOREIGN_UNION, OWN_UNION, auth, login, make_settings

_PLAN = {
    "id": "plan-test",
    "season_year": 2025,
    "state": "draft",
    "solver": "heuristic",
    "params": {"weeks": 2},
    "summary": {"deficit_kg": 0},
    "created_at": datetime(2025, 1, 1, tzinfo=UTC),
    "created_by": "akimat",
}


@pytest.fixture
def plan_client(writable_gpkg: Path) -> TestClient:
    with pasture.open_store(writable_gpkg) as store:
        store.replace_rows(
            "plans",
            pd.DataFrame([{**_PLAN, "created_at": datetime.now(UTC)}]),
        )
        rows = []
        for union, herd, plot in (
            (OWN_UNION, "upu-akshi-herd-01", "P0501"),
            (FOREIGN_UNION, "upu-asy-herd-01", None),
        ):
            for period in (1, 2):
                rows.append(
                    {
                        "plan_id": "plan-test",
                        "herd_id": herd,
                        "union_id": union,
                        "period": period,
                        "start": f"2025-05-0{period}",
                        "end": f"2025-05-0{period + 1}",
                        "plot_id": plot,
                        "sheep_units": 500.0,
                        "demand_kg": 10.0,
                        "eaten_kg": 10.0,
                        "available_kg": 20.0,
                    }
                )
        store.replace_rows("assignments", pd.DataFrame(rows))
    with TestClient(create_app(make_settings(writable_gpkg))) as c:
        yield c  # type: ignore[misc]


def test_assignments_are_scoped_and_exported(plan_client: TestClient) -> None:
    union = auth(login(plan_client, OWN_UNION))
    akimat = auth(login(plan_client, "akimat"))
    mine = plan_client.get("/plans/plan-test/assignments", headers=union)
    assert mine.status_code == 200 and mine.headers["content-type"] == "application/geo+json"
    features = mine.json()["features"]
    assert {f["properties"]["union_id"] for f in features} == {OWN_UNION}
    assert features[0]["geometry"]["type"] == "MultiPolygon"
    assert FOREIGN_UNION not in mine.text
    every = plan_client.get("/plans/plan-test/assignments?f=csv", headers=akimat)
    assert every.headers["content-type"].startswith("text/csv")
    table = pd.read_csv(io.StringIO(every.text))
    assert len(table) == 4
    # each herd's name beside its id; this plan has no plan_herds rows (as one stored
    # before them): the names are the herds layer's
    assert list(table.columns[:3]) == ["plan_id", "herd_id", "herd"]
    assert table["herd"].notna().all() and (table["herd"] != table["herd_id"]).any()
    xlsx = plan_client.get(
        "/plans/plan-test/assignments",
        headers={
            **akimat,
            "Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
    )
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.max_row == 5
    # ?lang= titles the headers and the sheet; dates are date cells, not '2024-04-16 00:00:00'
    kk = plan_client.get("/plans/plan-test/assignments?f=xlsx&lang=kk", headers=akimat)
    book = openpyxl.load_workbook(io.BytesIO(kk.content))
    page = book["Тағайындаулар"]
    header = [c.value for c in page[1]]
    assert "Басы" in header and "start" not in header
    assert isinstance(page.cell(row=2, column=header.index("Басы") + 1).value, datetime)
    assert plan_client.get("/plans/nope/assignments", headers=akimat).status_code == 404


def test_plans_list_get_and_approve(plan_client: TestClient) -> None:
    union = auth(login(plan_client, OWN_UNION))
    akimat = auth(login(plan_client, "akimat"))
    plans = plan_client.get("/plans", headers=union).json()["plans"]
    assert [p["id"] for p in plans] == ["plan-test"] and plans[0]["summary"] is None
    assert plan_client.post("/plans/plan-test/approve", headers=union).status_code == 403
    r = plan_client.post("/plans/plan-test/approve", headers=akimat)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "approved" and r.json()["approved_by"] == "akimat"
    assert plan_client.post("/plans/plan-test/approve", headers=akimat).status_code == 409


def test_a_union_sees_no_plan_summary(plan_client: TestClient) -> None:
    union = auth(login(plan_client, OWN_UNION))
    akimat = auth(login(plan_client, "akimat"))
    assert plan_client.get("/plans/plan-test", headers=union).json()["summary"] is None
    assert plan_client.get("/plans/plan-test", headers=akimat).json()["summary"] == {
        "deficit_kg": 0
    }


def test_only_a_draft_can_be_approved_over_http(plan_client: TestClient) -> None:
    akimat = auth(login(plan_client, "akimat"))
    assert plan_client.post("/plans/plan-test/approve", headers=akimat).status_code == 200
    again = plan_client.post("/plans/plan-test/approve", headers=akimat)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    problem = again.json()
    assert problem["type"] == "urn:jailym:problem:plan-state-conflict"
    assert "only a draft plan can be approved; this plan is approved" in problem["detail"]
    assert plan_client.post("/plans/nope/approve", headers=akimat).status_code == 404


def test_only_a_draft_can_be_approved_from_the_cli(writable_gpkg: Path) -> None:
    # the CLI reaches the same domain error; PlanStateConflict is an InvalidInput: exit code 3
    with pasture.open_store(writable_gpkg) as store:
        store.replace_rows("plans", pd.DataFrame([{**_PLAN, "state": "failed"}]))
    result = CliRunner().invoke(
        command(), ["plan", "approve", "plan-test", "--store", str(writable_gpkg)]
    )
    assert result.exit_code == 3, result.output
    assert "only a draft plan can be approved; this plan is failed" in result.output


def test_post_plan_starts_in_background(plan_client: TestClient) -> None:
    akimat = auth(login(plan_client, "akimat"))
    r = plan_client.post(
        "/plans", json={"season_year": 2025, "solver": "heuristic"}, headers=akimat
    )
    assert r.status_code == 202, r.text
    plan_id = r.json()["id"]
    assert r.headers["location"].endswith(f"/plans/{plan_id}")
    state = "solving"
    for _ in range(600):
        state = plan_client.get(f"/plans/{plan_id}", headers=akimat).json()["state"]
        if state != "solving":
            break
        time.sleep(0.1)
    assert state in ("draft", "failed")
