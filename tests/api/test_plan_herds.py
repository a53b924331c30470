"""A plan's herds over HTTP (``GET /plans/{id}``) and herd privacy, on both stores.

The plan's herds come from ``plan_herds`` (a plan stored before it: the ``herds``
layer), scoped like the plan's assignments. Herd heads, and the assignments' sheep
units, demand and forage eaten, are a union's members' livestock: with a minimum group
no union reaches every herd would reveal a household, so analysts and the maslikhat get
them null with ``suppressed_by`` (pages: "withheld (privacy)") while the akimat and
the herd's own union see them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import pasture
from pasture.model import SPECIES
from pasture_api.main import create_app

from .conftest import (
    FOREIGN_UNION,
    OWN_UNION,
    USERS,
    auth,
    copy_store,
    login,
    make_settings,
    on_backend,
)

PLAN, OLD_PLAN = "plan-herds", "plan-before-herds"
UNREACHED = 1_000_000  # a minimum group no union reaches


def _seed(store: pasture.Store) -> None:
    """Two plans of two unions' first two herds: one with ``plan_herds``, one without."""
    herds = store.read("herds")
    herds = herds[herds["union_id"].isin([OWN_UNION, FOREIGN_UNION])].groupby("union_id").head(2)
    now = datetime.now(UTC)
    plans = [
        {"id": p, "season_year": 2025, "state": "draft", "solver": "heuristic", "params": {},
         "summary": {"deficit_kg": 0}, "created_at": now, "created_by": "akimat"}
        for p in (PLAN, OLD_PLAN)
    ]  # fmt: skip
    store.replace_rows("plans", pd.DataFrame(plans))
    rows = [
        {"plan_id": p, "herd_id": h.id, "union_id": h.union_id, "period": k,
         "start": f"2025-05-0{k}", "end": f"2025-05-0{k + 1}", "plot_id": None,
         "sheep_units": 500.0, "demand_kg": 10.0, "eaten_kg": 10.0, "available_kg": 20.0}
        for p in (PLAN, OLD_PLAN) for h in herds.itertuples() for k in (1, 2)
    ]  # fmt: skip
    store.replace_rows("assignments", pd.DataFrame(rows))
    planned = herds.drop(columns="geometry").assign(plan_id=PLAN, kind="union")
    planned = planned.rename(columns={"id": "herd_id"})
    store.replace_rows(
        "plan_herds", planned[["plan_id", "herd_id", "union_id", "kind", "name", *SPECIES]]
    )


@pytest.fixture(
    scope="module", params=["geopackage", pytest.param("postgis", marks=pytest.mark.postgis)]
)
def served(
    request: pytest.FixtureRequest, api_gpkg: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    url = str(copy_store(api_gpkg, tmp_path_factory.mktemp("plan-herds") / "demo.gpkg"))
    with pasture.open_store(url) as store:
        _seed(store)
    url = on_backend(request, url)
    app = create_app(make_settings(url, census_min_group=UNREACHED))
    with TestClient(app) as client:
        yield client, {label: login(client, name) for label, name in USERS.items()}


def _herds(client: TestClient, token: str, plan: str = PLAN) -> list[dict[str, object]]:
    r = client.get(f"/plans/{plan}", headers=auth(token))
    assert r.status_code == 200, r.text
    return list(r.json()["herds"])


@pytest.mark.parametrize("plan", [PLAN, OLD_PLAN])
def test_the_plan_names_its_herds_scoped_by_role(
    served: tuple[TestClient, dict[str, str]], plan: str
) -> None:
    client, tokens = served
    every = _herds(client, tokens["akimat"], plan)
    assert {h["land_user"] for h in every} == {OWN_UNION, FOREIGN_UNION}
    assert all(h["name"] and h["kind"] == "union" for h in every)
    assert all(isinstance(h["heads"]["sheep"], int) and not h["suppressed_by"] for h in every)
    own = _herds(client, tokens["union"], plan)
    assert own and {h["land_user"] for h in own} == {OWN_UNION}
    assert all(isinstance(h["heads"]["sheep"], int) for h in own)  # its own union sees them


@pytest.mark.parametrize("role", ["analyst", "maslikhat"])
def test_herd_figures_are_withheld_from_roles_without_personal_data(
    served: tuple[TestClient, dict[str, str]], role: str
) -> None:
    client, tokens = served
    for plan in (PLAN, OLD_PLAN):
        herds = _herds(client, tokens[role], plan)
        assert len(herds) == 4
        for h in herds:
            assert h["name"]  # the herd is named; its heads are not shown
            assert set(h["heads"].values()) == {None}  # type: ignore[union-attr]
            assert h["suppressed_by"] == {"heads": "threshold"}
    r = client.get(f"/plans/{PLAN}/assignments", headers=auth(tokens[role]))
    rows = [f["properties"] for f in r.json()["features"]]
    assert rows and all(p["sheep_units"] is None and p["demand_kg"] is None for p in rows)
    assert all(p["suppressed_by"]["eaten_kg"] == "threshold" for p in rows)
    assert all(p["available_kg"] == 20.0 for p in rows)  # the plot's forage is no herd's
    csv = client.get(f"/plans/{PLAN}/assignments", headers=auth(tokens[role]), params={"f": "csv"})
    assert ",,,20,threshold" in csv.text
    # the akimat sees the same rows' figures
    r = client.get(f"/plans/{PLAN}/assignments", headers=auth(tokens["akimat"]))
    assert all(f["properties"]["sheep_units"] == 500.0 for f in r.json()["features"])


def test_the_union_page_withholds_herd_heads_from_analysts(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = served
    shown = {}
    for user in ("analyst", "akimat", OWN_UNION):
        client.cookies.clear()
        r = client.post(
            "/login", data={"username": user, "password": "demo"}, follow_redirects=False
        )
        assert r.status_code == 303
        page = client.get(f"/unions/{OWN_UNION}", params={"plan": PLAN, "lang": "en"})
        assert page.status_code == 200, page.text[:300]
        shown[user] = page.text.count("withheld (privacy)")
    client.cookies.clear()
    assert shown["analyst"] > 0
    assert shown["akimat"] == 0 and shown[OWN_UNION] == 0


def test_the_openapi_schema_has_the_plan_herds(served: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = served
    doc = client.get("/openapi.json").json()
    ok = doc["paths"]["/plans/{plan_id}"]["get"]["responses"]["200"]["content"]
    assert ok["application/json"]["schema"]["$ref"].endswith("/PlanDetail")
    herd = doc["components"]["schemas"]["PlanHerd"]
    assert {"id", "name", "land_user", "kind", "heads", "suppressed_by"} <= set(herd["properties"])
