"""Who sees what: every route × every role, no foreign data in any body, token attacks are 401."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pandas as pd
import pytest
from fastapi.testclient import TestClient

import pasture
from pasture_api.main import create_app

from .conftest import FOREIGN_UNION, OWN_UNION, auth, login, make_settings

ROLES = ("akimat", "union", "foreign", "analyst", "maslikhat", "anonymous")
OWN_CENSUS = "H-akshi-0001/2025-01-01"
OWN_HOUSEHOLD = "H-akshi-0001"
OWN_HERD = "upu-akshi-herd-01"

# route -> expected status per role (union = the akshi account, foreign = the asy account)
MATRIX: dict[str, dict[str, int]] = {
    "/": dict.fromkeys(ROLES, 200),
    "/conformance": dict.fromkeys(ROLES, 200),
    "/api": dict.fromkeys(ROLES, 200),
    "/openapi.json": dict.fromkeys(ROLES, 200),
    "/health": dict.fromkeys(ROLES, 200),
    "/collections": {**dict.fromkeys(ROLES, 200), "anonymous": 401},
    "/collections/plots": {**dict.fromkeys(ROLES, 200), "anonymous": 401},
    "/collections/plots/items": {**dict.fromkeys(ROLES, 200), "anonymous": 401},
    "/collections/unions/items/upu-asy": {**dict.fromkeys(ROLES, 200), "anonymous": 401},
    "/collections/settlements/items": {**dict.fromkeys(ROLES, 200), "anonymous": 401},
    "/collections/plots/items/P0501": {**dict.fromkeys(ROLES, 200), "anonymous": 401},
    "/households": {**dict.fromkeys(ROLES, 200), "anonymous": 401},
    f"/households/{OWN_HOUSEHOLD}": {
        "akimat": 200,
        "union": 200,
        "foreign": 404,
        "analyst": 403,  # households without identifiers: no one household's record
        "maslikhat": 403,
        "anonymous": 401,
    },
    "/census": {**dict.fromkeys(ROLES, 200), "anonymous": 401},
    "/census/totals": {**dict.fromkeys(ROLES, 200), "anonymous": 401},
    f"/census/{OWN_CENSUS}": {
        "akimat": 200,
        "union": 200,
        "foreign": 404,
        "analyst": 403,  # aggregates only: no household's census record
        "maslikhat": 403,
        "anonymous": 401,
    },
    "/herds": {**dict.fromkeys(ROLES, 200), "anonymous": 401},
    f"/herds/{OWN_HERD}": {
        "akimat": 200,
        "union": 200,
        "foreign": 404,
        "analyst": 200,
        "maslikhat": 200,
        "anonymous": 401,
    },
    "/plans": {**dict.fromkeys(ROLES, 200), "anonymous": 401},
}


def _headers(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {} if role == "anonymous" else auth(tokens[role])


@pytest.mark.parametrize("role", ROLES)
def test_read_matrix(client: TestClient, tokens: dict[str, str], role: str) -> None:
    for path, expected in MATRIX.items():
        r = client.get(path, headers=_headers(tokens, role))
        assert r.status_code == expected[role], (path, role, r.text[:200])
        if r.status_code >= 400:
            assert r.headers["content-type"] == "application/problem+json"
        # a 404 repeats the id that was asked for; nothing else may name foreign data
        layer, _, asked = path.lstrip("/").partition("/")
        body = r.text.replace(asked, "") if r.status_code == 404 else r.text
        if r.status_code == 404:
            missing = client.get(f"/{layer}/H-none-0000", headers=_headers(tokens, role))
            assert r.json()["detail"].replace(asked, "?") == missing.json()["detail"].replace(
                "H-none-0000", "?"
            ), "out of scope must look like missing"
        if role == "union":
            # households, census and herds of other unions never appear
            for other in ("H-asy-", "upu-asy-herd", "H-sogety-", "upu-sogety-herd"):
                assert other not in body, (path, other)
        if role == "foreign":
            assert "H-akshi-" not in body and "upu-akshi-herd" not in body, path
        if role in ("analyst", "maslikhat") and path.startswith(("/households", "/census/H")):
            assert "Household 1 of Akshi" not in body and '"sheep"' not in body, path


def test_union_sees_only_its_own_records(
    client: TestClient, tokens: dict[str, str], n_plots: int
) -> None:
    h = auth(tokens["union"])
    for path in ("/households?limit=10000", "/census?limit=10000"):
        items = client.get(path, headers=h).json()["items"]
        assert items and {i["union_id"] for i in items} == {OWN_UNION}
    herds = client.get("/herds?limit=10000", headers=h).json()["features"]
    assert {f["properties"]["union_id"] for f in herds} == {OWN_UNION}
    # asking for another union's records by filter finds nothing rather than leaking
    foreign = client.get(f"/census?union={FOREIGN_UNION}", headers=h).json()
    assert foreign["numberMatched"] == 0
    totals = client.get("/census/totals", headers=h).json()
    assert {t["union_id"] for t in totals} == {OWN_UNION}
    # all plots are public map data
    plots = client.get("/collections/plots/items?limit=1", headers=h).json()
    assert plots["numberMatched"] == n_plots


def test_analyst_gets_aggregates_not_personal_data(
    client: TestClient, tokens: dict[str, str]
) -> None:
    h = auth(tokens["analyst"])
    census = client.get("/census?limit=50", headers=h).json()["items"]
    assert census and all(
        set(i) & {"sheep", "goats", "cattle", "horses", "camels"} == set() for i in census
    )
    households = client.get("/households?limit=50", headers=h).json()["items"]
    assert households and all("name" not in i for i in households)
    assert all("household_id" not in i and "id" not in i for i in census)
    assert client.get("/census?household=H-akshi-0001", headers=h).status_code == 403
    totals = client.get("/census/totals", headers=h).json()
    # the five unions, and the households in none summed under null
    assert len({t["union_id"] for t in totals} - {None}) == 5 and all(
        t["sheep"] > 0 for t in totals
    )
    assert None in {t["union_id"] for t in totals}


@pytest.mark.parametrize("role", ["analyst", "union", "foreign", "anonymous"])
def test_writes_refused(client: TestClient, tokens: dict[str, str], role: str) -> None:
    h = {**_headers(tokens, role), "If-Match": '"1"'}
    expected_census = {"analyst": 403, "union": None, "foreign": 404, "anonymous": 401}[role]
    if expected_census is not None:
        r = client.patch(f"/census/{OWN_CENSUS}", json={"sheep": 1}, headers=h)
        assert r.status_code == expected_census, r.text
    herd = client.patch(f"/herds/{OWN_HERD}", json={"sheep": 1}, headers=h)
    assert herd.status_code == (401 if role == "anonymous" else 403)
    plan = client.post("/plans", json={"season_year": 2025}, headers=h)
    assert plan.status_code == (401 if role == "anonymous" else 403)
    approve = client.post("/plans/any/approve", headers=h)
    assert approve.status_code == (401 if role == "anonymous" else 403)


# ----------------------------------------------------------------- token attacks
def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _b64(doc: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()


def test_token_attacks_are_401(client: TestClient, tokens: dict[str, str]) -> None:
    good = tokens["union"]
    claims = _claims(good)
    head, _, sig = good.split(".")
    now = datetime.now(UTC)
    attacks = {
        "expired": jwt.encode(
            {**claims, "exp": now - timedelta(minutes=1)}, "x" * 40, algorithm="HS256"
        ),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({**claims, 'role': 'akimat'})}.",
        "wrong key": jwt.encode(
            {**claims, "role": "akimat", "union": None}, "k" * 48, algorithm="HS256"
        ),
        "edited role": f"{head}.{_b64({**claims, 'role': 'akimat', 'union': None})}.{sig}",
        "edited union": f"{head}.{_b64({**claims, 'union': FOREIGN_UNION})}.{sig}",
        "no exp": f"{head}.{_b64({k: v for k, v in claims.items() if k != 'exp'})}.{sig}",
        "garbage": "not-a-token",
    }
    for name, token in attacks.items():
        r = client.get("/census", headers=auth(token))
        assert r.status_code == 401, name
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.headers["content-type"] == "application/problem+json"
    # a token signed with the server's key but expired is refused too
    secret = client.app.state.tokens._secret  # type: ignore[attr-defined]
    expired = jwt.encode({**claims, "exp": now - timedelta(seconds=1)}, secret, algorithm="HS256")
    assert client.get("/census", headers=auth(expired)).status_code == 401
    assert client.get("/census", headers=auth(good)).status_code == 200


def test_wrong_password_is_401_without_detail_of_which(client: TestClient) -> None:
    bad_user = client.post("/auth/token", data={"username": "nobody", "password": "x"})
    bad_pass = client.post("/auth/token", data={"username": "analyst", "password": "wrong"})
    assert bad_user.status_code == bad_pass.status_code == 401
    assert bad_user.json()["detail"] == bad_pass.json()["detail"]


def test_a_household_in_no_union_is_the_akimats_and_in_the_analysts_totals(
    writable_gpkg: Path,
) -> None:
    with pasture.open_store(writable_gpkg) as store:
        settlement = str(store.read("settlements", limit=1)["id"].iat[0])
        store.write(
            "households",
            pd.DataFrame(
                {"id": ["H-free"], "name": ["Free Household"], "settlement_id": [settlement]}
            ),
            user="t",
        )
        census = store.read("census", limit=1).drop(columns=["version"])
        census = census.assign(
            id="H-free/2025-01-01", household_id="H-free", union_id=None, sheep=7
        )
        store.write("census", census, user="t")
    with TestClient(create_app(make_settings(writable_gpkg))) as c:
        role = {name: auth(login(c, name)) for name in ("akimat", "analyst", OWN_UNION)}
        assert (
            c.get("/households/H-free", headers=role["akimat"]).json()["name"] == "Free Household"
        )
        assert c.get("/census/H-free/2025-01-01", headers=role[OWN_UNION]).status_code == 404
        assert c.get("/households/H-free", headers=role[OWN_UNION]).status_code == 404
        own = c.get("/households?limit=10000", headers=role[OWN_UNION]).json()["items"]
        assert "H-free" not in {i["id"] for i in own}
        assert c.get("/households/H-free", headers=role["analyst"]).status_code == 403
        totals = c.get("/census/totals", headers=role["analyst"]).json()
        free = [t for t in totals if t["union_id"] is None]
        assert len(free) == 1 and free[0]["sheep"] >= 7 and free[0]["households"] >= 1
        union_totals = c.get("/census/totals", headers=role[OWN_UNION]).json()
        assert {t["union_id"] for t in union_totals} == {OWN_UNION}


def _basic(username: str, password: str) -> dict[str, str]:
    return {
        "Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    }


def test_basic_authentication_takes_the_token_as_password(
    client: TestClient, tokens: dict[str, str]
) -> None:
    """QGIS 3.22 can send only Basic credentials: the token is the password, never the password."""
    items = "/collections/plots/items?limit=1"
    assert client.get(items, headers=_basic("analyst", tokens["analyst"])).status_code == 200
    # the union's Basic request is scoped to its union as its bearer request is
    by_basic = client.get("/herds", headers=_basic(OWN_UNION, tokens["union"]))
    by_bearer = client.get("/herds", headers=auth(tokens["union"]))
    assert by_basic.status_code == 200
    assert by_basic.json() == by_bearer.json()
    refused = {
        "the password itself": _basic("analyst", "demo"),
        "another account's token": _basic("analyst", tokens["akimat"]),
        "no password": _basic("analyst", ""),
        "no user name": _basic("", tokens["analyst"]),
        "not base64": {"Authorization": "Basic %%%"},
        "no colon": {"Authorization": "Basic " + base64.b64encode(b"analyst").decode()},
        "not UTF-8": {"Authorization": "Basic " + base64.b64encode(b"\xff:\xfe").decode()},
    }
    for name, headers in refused.items():
        r = client.get(items, headers=headers)
        assert r.status_code == 401, name
        assert r.headers["content-type"] == "application/problem+json", name
        # Bearer only: a Basic challenge would make browsers ask for a password
        assert r.headers["www-authenticate"] == "Bearer", name
    detail = client.get(items, headers=refused["the password itself"]).json()["detail"]
    assert "must be a valid access token, not your password" in detail
