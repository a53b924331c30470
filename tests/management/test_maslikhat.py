"""The maslikhat's secretariat on both stores, over real HTTP: it records the adoption of a
submitted plan; the akimat drafts and submits but does not adopt; a union cannot; the
secretariat changes nothing else and reads no household's census record."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import pasture
from pasture.store.gpkg import default_accounts_path
from pasture_api.cli import users
from pasture_api.main import create_app
from pasture_api.settings import Settings
from pasture_api.users import Role, add_user, get_account
from tests.pasture import factories

BASE = "/management-plans"
PASSWORD = "demo"
ADOPTION = {"decision_number": "12-3", "decision_date": "2026-03-15"}


@pytest.fixture
def app(store_url: str) -> Iterator[TestClient]:
    """The app on a small filled store of each backend, with one account per role."""
    with pasture.open_store(store_url, create=True) as store:
        factories.fill(store)
        for name, role in (("akimat", "akimat"), ("sec", "maslikhat"), ("analyst", "analyst")):
            add_user(store, name, PASSWORD, role=role)
        add_user(store, "union", PASSWORD, role="union", union_id="u-a")
    settings = Settings(_env_file=None, store=store_url, basemap_url="", secret_key="k" * 40)  # type: ignore[call-arg,arg-type]
    with TestClient(create_app(settings)) as client:
        yield client


def _auth(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _problem(response: object, status: int) -> str:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    return str(response.json()["detail"])  # type: ignore[attr-defined]


def test_the_maslikhat_records_adoption_and_nothing_else(app: TestClient) -> None:
    akimat, sec, union = (_auth(app, n) for n in ("akimat", "sec", "union"))
    body = {"okrug_id": "ok-a", "first_year": 2026}
    _problem(app.post(BASE, json=body, headers=sec), 403)  # the maslikhat does not draft
    pid = app.post(BASE, json=body, headers=akimat).json()["id"]
    note = {"section": "5", "body": "Comment from the secretariat"}
    _problem(app.post(f"{BASE}/{pid}/comments", json=note, headers=sec), 403)
    assert "only akimat may submit" in _problem(app.post(f"{BASE}/{pid}/submit", headers=sec), 403)
    assert app.post(f"{BASE}/{pid}/submit", headers=akimat).json()["state"] == "submitted"

    adopt = f"{BASE}/{pid}/adopt"
    assert "only maslikhat may adopt" in _problem(
        app.post(adopt, json=ADOPTION, headers=akimat), 403
    )
    _problem(app.post(adopt, json=ADOPTION, headers=union), 403)
    assert app.get(f"{BASE}/{pid}", headers=sec).json()["state"] == "submitted"  # unchanged
    adopted = app.post(adopt, json=ADOPTION, headers=sec)
    assert adopted.status_code == 200, adopted.text
    assert (adopted.json()["state"], adopted.json()["decision_number"]) == ("approved", "12-3")
    _problem(app.post(f"{BASE}/{pid}/amend", json={"note": "x"}, headers=sec), 403)
    events = app.get(f"{BASE}/{pid}/history", headers=sec).json()["events"]
    assert [(e["action"], e["username"]) for e in events][-1] == ("adopt", "sec")


def test_the_maslikhat_returns_a_submitted_plan(app: TestClient) -> None:
    akimat, sec = _auth(app, "akimat"), _auth(app, "sec")
    pid = app.post(BASE, json={"okrug_id": "ok-a", "first_year": 2027}, headers=akimat).json()["id"]
    app.post(f"{BASE}/{pid}/submit", headers=akimat)
    back = app.post(f"{BASE}/{pid}/return", headers=sec)
    assert back.status_code == 200 and back.json()["state"] == "discussion"


def test_the_maslikhat_reads_no_personal_data_and_edits_no_layer(app: TestClient) -> None:
    sec, akimat = _auth(app, "sec"), _auth(app, "akimat")
    households = app.get("/households", headers=sec).json()["items"]
    assert households and all("name" not in h for h in households)
    assert all("name" in h for h in app.get("/households", headers=akimat).json()["items"])
    census = app.get("/census", headers=akimat).json()["items"][0]["id"]
    _problem(app.get(f"/census/{census}", headers=sec), 403)
    herd = app.get("/herds", headers=sec).json()["features"][0]
    edit = app.patch(
        f"/herds/{herd['id']}",
        json={"name": "Renamed by the secretariat"},
        headers={**sec, "If-Match": '"1"'},
    )
    _problem(edit, 403)


def test_users_add_maslikhat_from_the_command_line(tmp_path: Path) -> None:
    url = str(tmp_path / "s.gpkg")
    with pasture.open_store(url, create=True) as store:
        factories.fill(store)
    args = ["add", "sec", "--role", "maslikhat", "--store", url, "--password", PASSWORD]
    result = CliRunner().invoke(users, args)
    assert result.exit_code == 0, result.output
    with pasture.open_store(url) as store:
        account = get_account(store, "sec")
    assert account is not None and account.role is Role.MASLIKHAT


def test_an_older_accounts_file_takes_the_new_role(tmp_path: Path) -> None:
    """An accounts file written before the role existed is upgraded on the first change."""
    url = tmp_path / "s.gpkg"
    with pasture.open_store(url, create=True) as store:
        factories.fill(store)
        add_user(store, "akimat", PASSWORD, role="akimat")
    path = default_accounts_path(url)
    with sqlite3.connect(path) as conn:  # the schema of before: three roles only
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'users'").fetchone()[0]
        conn.execute("ALTER TABLE users RENAME TO old")
        conn.execute(sql.replace(", 'maslikhat'", ""))
        conn.execute("INSERT INTO users SELECT * FROM old")
        conn.execute("DROP TABLE old")
    with pasture.open_store(url) as store:
        add_user(store, "sec", PASSWORD, role="maslikhat")
        assert [a.role for a in (get_account(store, "akimat"), get_account(store, "sec"))] == [
            Role.AKIMAT,
            Role.MASLIKHAT,
        ]


def _page_session(client: TestClient, username: str) -> None:
    client.cookies.clear()
    signed = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert signed.status_code == 303, signed.text


def test_the_pages_offer_adoption_to_the_maslikhat_only(app: TestClient) -> None:
    akimat = _auth(app, "akimat")
    pid = app.post(BASE, json={"okrug_id": "ok-a", "first_year": 2028}, headers=akimat).json()["id"]
    app.post(f"{BASE}/{pid}/submit", headers=akimat)
    step = f"/management/{pid}/step/adopt"
    form = {"decision_number": "5-1", "decision_date": "2026-04-01"}

    _page_session(app, "akimat")
    assert 'data-step="adopt"' not in app.get(f"/management/{pid}?lang=ru").text
    assert app.post(step, data=form, follow_redirects=False).status_code == 403

    _page_session(app, "sec")
    page = app.get(f"/management/{pid}?lang=ru").text
    assert 'data-step="adopt"' in page and 'data-step="amend"' not in page
    assert 'id="comment-form"' not in page
    assert app.post(step, data=form, follow_redirects=False).status_code == 303
    assert app.get(f"{BASE}/{pid}", headers=akimat).json()["decision_number"] == "5-1"
    amend = app.post(f"/management/{pid}/step/amend", data={"note": "x"}, follow_redirects=False)
    assert amend.status_code == 403
