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
    recount,
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


PLAN_STORED, PLAN_BEFORE = "plan-with-contributors", "plan-before-contributors"
SHOWN_THEN_ALONE = "upu-karazhota"  # many households at plan time, one after
ALONE_THEN_JOINED = "upu-sogety"  # one household at plan time, many after
PLAN_DAY, LATER_DAY = "2026-10-01", "2026-11-01"  # after the demo's census


def _seed_planned_then_recounted(store: pasture.Store) -> None:
    """Two plans of two herds of each union, planned when ``ALONE_THEN_JOINED`` had one
    household with livestock: ``PLAN_STORED`` with each herd's contributors (as
    `create_plan` stores them), ``PLAN_BEFORE`` without (a plan stored before gpkg 0012
    / postgis 0014). Then a census that turns both unions round."""
    from pasture.science.herd_privacy import with_herd_contributors

    unions = [SHOWN_THEN_ALONE, ALONE_THEN_JOINED]
    recount(store, ALONE_THEN_JOINED, PLAN_DAY, alone=True)
    herds = store.read("herds")
    herds = pd.DataFrame(herds[herds["union_id"].isin(unions)].groupby("union_id").head(2))
    planned = with_herd_contributors(store, herds.drop(columns="geometry"))
    now = datetime.now(UTC)
    store.replace_rows(
        "plans",
        pd.DataFrame(
            [
                {"id": p, "season_year": 2025, "state": "draft", "solver": "heuristic",
                 "params": {}, "summary": {}, "created_at": now, "created_by": "akimat"}
                for p in (PLAN_STORED, PLAN_BEFORE)
            ]
        ),
    )  # fmt: skip
    rows = [
        {"plan_id": p, "herd_id": h.id, "union_id": h.union_id, "period": 1,
         "start": "2025-05-01", "end": "2025-05-08", "plot_id": None,
         "sheep_units": 500.0, "demand_kg": 10.0, "eaten_kg": 10.0, "available_kg": 20.0}
        for p in (PLAN_STORED, PLAN_BEFORE) for h in herds.itertuples()
    ]  # fmt: skip
    store.replace_rows("assignments", pd.DataFrame(rows))
    planned = planned.rename(columns={"id": "herd_id"}).assign(kind="union")
    stored = ["plan_id", "herd_id", "union_id", "kind", "name", *SPECIES]
    store.replace_rows(
        "plan_herds",
        pd.concat(
            [
                planned.assign(plan_id=PLAN_STORED)[[*stored, "contributors", "top_shares"]],
                planned.assign(plan_id=PLAN_BEFORE)[stored],
            ]
        ),
    )
    recount(store, SHOWN_THEN_ALONE, LATER_DAY, alone=True)
    recount(store, ALONE_THEN_JOINED, LATER_DAY, alone=False)


@pytest.fixture(params=["geopackage", pytest.param("postgis", marks=pytest.mark.postgis)])
def recounted(request: pytest.FixtureRequest, api_gpkg: Path, tmp_path: Path) -> str:
    """The demo on each backend with ``_seed_planned_then_recounted``'s plans and census."""
    url = on_backend(request, str(copy_store(api_gpkg, tmp_path / "demo.gpkg")), "postgis_url")
    with pasture.open_store(url) as store:
        _seed_planned_then_recounted(store)
    return url


def test_a_plan_herd_is_decided_by_the_households_behind_its_heads(recounted: str) -> None:
    """A census edit after the plan changes neither whether a herd's figures are shown:
    a herd of many households stays shown after all but one drop out, a herd of one
    household stays withheld after others join. A plan stored without its herds'
    contributors is decided from today's census, which says the opposite."""
    from pasture.disclosure import DisclosureRules
    from pasture.science.herd_privacy import withheld_herds

    with pasture.open_store(recounted) as store:
        herds = store.read("herds")
        today = withheld_herds(store, herds, DisclosureRules())
    union_of = dict(zip(herds["id"].astype(str), herds["union_id"], strict=True))
    with TestClient(create_app(make_settings(recounted))) as client:
        token = login(client, "analyst")
        decided = {p: _herds(client, token, p) for p in (PLAN_STORED, PLAN_BEFORE)}
        r = client.get(f"/plans/{PLAN_STORED}/assignments", headers=auth(token))
        rows = [f["properties"] for f in r.json()["features"]]
        withheld_on_page = _withheld_on_union_pages(client)
    assert {h["land_user"] for h in decided[PLAN_STORED]} == {SHOWN_THEN_ALONE, ALONE_THEN_JOINED}
    for h in decided[PLAN_STORED]:  # the households at plan time decide
        if h["land_user"] == SHOWN_THEN_ALONE:
            assert h["suppressed_by"] == {} and isinstance(h["heads"]["sheep"], int)  # type: ignore[index]
            assert today[str(h["id"])] == "threshold"  # today's census would withhold it
        else:
            assert h["suppressed_by"] == {"heads": "threshold"}
            assert set(h["heads"].values()) == {None}  # type: ignore[union-attr]
            assert str(h["id"]) not in today  # today's census would show it
    for h in decided[PLAN_BEFORE]:  # stored before: today's census decides
        assert h["suppressed_by"] == ({"heads": today[h["id"]]} if h["id"] in today else {})  # type: ignore[index]
    for p in rows:
        alone = union_of[p["herd_id"]] == ALONE_THEN_JOINED
        assert (p["sheep_units"] is None) is alone
        figures = ("sheep_units", "demand_kg", "eaten_kg")
        assert p["suppressed_by"] == (dict.fromkeys(figures, "threshold") if alone else {})
    # the union page's calendar: each union's two herds (one run each) follow the same
    # decisions; its herds table (the herds layer, no plan) is today's on both pages
    stored, before = withheld_on_page[SHOWN_THEN_ALONE]
    assert before - stored == 2
    stored, before = withheld_on_page[ALONE_THEN_JOINED]
    assert stored - before == 2


def _withheld_on_union_pages(client: TestClient) -> dict[str, tuple[int, int]]:
    """Union → how often its page says "withheld (privacy)" for an analyst, with each
    of ``PLAN_STORED`` and ``PLAN_BEFORE``."""
    client.cookies.clear()
    r = client.post(
        "/login", data={"username": "analyst", "password": "demo"}, follow_redirects=False
    )
    assert r.status_code == 303
    counts = {}
    for union in (SHOWN_THEN_ALONE, ALONE_THEN_JOINED):
        texts = [
            client.get(f"/unions/{union}", params={"plan": p, "lang": "en"}).text
            for p in (PLAN_STORED, PLAN_BEFORE)
        ]
        stored, before = (t.count("withheld (privacy)") for t in texts)
        counts[union] = (stored, before)
    client.cookies.clear()
    return counts
