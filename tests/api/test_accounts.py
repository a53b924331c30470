"""Tokens end when the account ends: disabled, deleted, password or role changed, revoked.

Through the real app on both stores; each change is made the way an operator
makes it (the functions behind ``pasture users``), then the very next request
with the old token is refused with 401 problem+json.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import pasture
from pasture.store.gpkg import default_accounts_path
from pasture_api.main import create_app
from pasture_api.users import (
    Role,
    add_user,
    delete_user,
    revoke,
    revoke_all,
    set_disabled,
    set_password,
    set_role,
)

from .conftest import OWN_UNION, auth, login, make_settings

PLOTS = "/collections/plots/items?limit=1"
CENSUS = "H-akshi-0001/2025-01-01"


@pytest.fixture(params=["geopackage", "postgis"])
def app(request: pytest.FixtureRequest, writable_gpkg: Path) -> Iterator[tuple[TestClient, Any]]:
    """The app on a writable demo store of each backend, and that store (for the operator)."""
    url = str(writable_gpkg)
    if request.param == "postgis":
        url = request.getfixturevalue("postgis_url")
        with pasture.open_store(writable_gpkg) as source, pasture.open_store(url) as target:
            target.load_copy(source)
    with pasture.open_store(url) as store, TestClient(create_app(make_settings(url))) as client:
        add_user(store, "aigul", "secret1", role=Role.UNION, union_id=OWN_UNION)
        yield client, store


def _problem_401(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


def _write(client: TestClient, token: str, version: int) -> Any:
    """An edit the union account may make: a census record of its union at ``version``."""
    return client.patch(
        f"/census/{CENSUS}",
        headers={**auth(token), "If-Match": f'"{version}"'},
        json={"sheep": 20 + version},
    )


CHANGES: dict[str, Callable[[Any], None]] = {
    "disabled": lambda s: set_disabled(s, "aigul", True),
    "deleted": lambda s: delete_user(s, "aigul"),
    "password changed": lambda s: set_password(s, "aigul", "secret2"),
    "role changed": lambda s: set_role(s, "aigul", Role.ANALYST),
    "revoked": lambda s: revoke(s, "aigul"),
    "everyone revoked": revoke_all,
}
#: The password a fresh sign-in uses after the change; None: no fresh sign-in may work.
AFTER = {
    "disabled": None,
    "deleted": None,
    "password changed": "secret2",
    "role changed": "secret1",
    "revoked": "secret1",
    "everyone revoked": "secret1",
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_changed_account_loses_its_tokens(app: tuple[TestClient, Any], change: str) -> None:
    client, store = app
    token = login(client, "aigul", "secret1")
    assert client.get(PLOTS, headers=auth(token)).status_code == 200
    assert _write(client, token, 1).status_code == 200
    CHANGES[change](store)
    _problem_401(client.get(PLOTS, headers=auth(token)))
    _problem_401(_write(client, token, 2))
    password = AFTER[change]
    if password is None:
        r = client.post("/auth/token", data={"username": "aigul", "password": "secret1"})
        assert r.status_code == 401
        return
    fresh = login(client, "aigul", password)
    assert client.get(PLOTS, headers=auth(fresh)).status_code == 200


def test_revoking_everyone_ends_every_token(app: tuple[TestClient, Any]) -> None:
    client, store = app
    tokens = [login(client, name) for name in ("akimat", "analyst", OWN_UNION)]
    assert revoke_all(store) >= 3
    for token in tokens:
        _problem_401(client.get(PLOTS, headers=auth(token)))


def test_one_revoke_leaves_other_accounts_signed_in(app: tuple[TestClient, Any]) -> None:
    client, store = app
    mine, other = login(client, "aigul", "secret1"), login(client, "akimat")
    revoke(store, "aigul")
    _problem_401(client.get(PLOTS, headers=auth(mine)))
    assert client.get(PLOTS, headers=auth(other)).status_code == 200


def test_a_reused_name_does_not_revive_old_tokens(app: tuple[TestClient, Any]) -> None:
    client, store = app
    token = login(client, "aigul", "secret1")
    delete_user(store, "aigul")
    add_user(store, "aigul", "secret1", role=Role.UNION, union_id=OWN_UNION)
    _problem_401(client.get(PLOTS, headers=auth(token)))


def test_the_session_cookie_ends_with_the_account(app: tuple[TestClient, Any]) -> None:
    client, store = app
    r = client.post(
        "/login", data={"username": "aigul", "password": "secret1"}, follow_redirects=False
    )
    assert r.status_code == 303 and client.cookies.get("jailym_session")  # the client keeps it
    assert client.get("/me").status_code == 200
    set_disabled(store, "aigul", True)
    page = client.get("/me", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    _problem_401_page(client.get("/me"))


def _problem_401_page(response: Any) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_history_keeps_the_name_of_a_deleted_account(app: tuple[TestClient, Any]) -> None:
    """The history records the user name as text, not a reference to the account."""
    client, store = app
    assert _write(client, login(client, "aigul", "secret1"), 1).status_code == 200
    delete_user(store, "aigul")
    history = store.history(layer="census", record_id=CENSUS)
    assert list(history["username"])[-1] == "aigul"
    token = login(client, "akimat")
    r = client.get(f"/census/{CENSUS}", headers=auth(token))
    assert r.status_code == 200 and r.json()["sheep"] == 21


def test_the_geopackage_holds_no_accounts(writable_gpkg: Path) -> None:
    with pasture.open_store(writable_gpkg) as store:
        add_user(store, "aigul", "secret1", role=Role.ANALYST)
    with sqlite3.connect(writable_gpkg) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        contents = {r[0] for r in conn.execute("SELECT table_name FROM gpkg_contents")}
    assert "users" not in tables and "users" not in contents
    accounts = default_accounts_path(writable_gpkg)
    assert accounts.exists() and accounts.stat().st_mode & 0o077 == 0  # owner only
    with sqlite3.connect(accounts) as conn:
        names = {r[0] for r in conn.execute("SELECT username FROM users")}
    assert {"aigul", "akimat"} <= names


def test_a_new_store_has_no_accounts_file_until_the_first_account(tmp_path: Path) -> None:
    path = tmp_path / "new.gpkg"
    with pasture.open_store(path) as store:
        assert store.accounts.all() == []
    assert not default_accounts_path(path).exists()


def test_accounts_inside_an_older_geopackage_move_out_on_open(writable_gpkg: Path) -> None:
    """An older store kept ``users`` inside the GeoPackage: opening it moves them beside it."""
    accounts = default_accounts_path(writable_gpkg)
    accounts.unlink()
    with sqlite3.connect(writable_gpkg) as conn:
        conn.executescript(OLD_USERS_TABLE)
    with pasture.open_store(writable_gpkg) as store:
        moved = store.accounts.get("old-akimat")
    assert (
        moved is not None
        and moved["role"] == "akimat"
        and moved["password_hash"] == "$argon2id$old-hash"
    )
    with sqlite3.connect(writable_gpkg) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        contents = {r[0] for r in conn.execute("SELECT table_name FROM gpkg_contents")}
    assert "users" not in tables and "users" not in contents
    assert b"$argon2id$old-hash" not in writable_gpkg.read_bytes()  # not left in free pages


OLD_USERS_TABLE = """
CREATE TABLE users (
    fid INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL, role TEXT NOT NULL, union_id TEXT,
    disabled INTEGER NOT NULL DEFAULT 0, created_at DATETIME NOT NULL);
INSERT INTO users (username, password_hash, role, union_id, disabled, created_at)
    VALUES ('old-akimat', '$argon2id$old-hash', 'akimat', NULL, 0, '2025-01-02T03:04:05.000Z');
INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('users', 'attributes', 'users');
"""


def _cli(*args: str) -> Any:
    from click.testing import CliRunner

    from pasture_api.cli import command

    return CliRunner().invoke(command(), ["users", *args])


def test_users_commands_and_their_exit_codes(writable_gpkg: Path) -> None:
    store = ["--store", str(writable_gpkg)]
    added = _cli("add", "aigul", "--role", "analyst", *store, "--password", "secret1")
    assert added.exit_code == 0, added.output
    assert _cli("add", "aigul", "--role", "analyst", *store, "--password", "x1234").exit_code == 6
    assert _cli("add", "bad", "--role", "union", *store, "--password", "secret1").exit_code == 3
    listed = _cli("list", *store)
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].split() == ["name", "role", "union", "enabled", "created"]
    aigul = next(line.split() for line in lines if line.startswith("aigul "))
    assert aigul[:4] == ["aigul", "analyst", "-", "yes"]
    assert "$argon2" not in listed.output
    for args in (
        ("disable", "aigul"),
        ("enable", "aigul"),
        ("passwd", "aigul", "--password", "secret2"),
        ("set-role", "aigul", "--role", "union", "--union", OWN_UNION),
        ("revoke", "aigul"),
        ("revoke", "--all"),
        ("delete", "aigul"),
    ):
        result = _cli(*args, *store)
        assert result.exit_code == 0, (args, result.output)
    assert "aigul" not in _cli("list", *store).output
    for args in (("disable", "nobody"), ("delete", "nobody"), ("revoke", "nobody")):
        missing = _cli(*args, *store)
        assert missing.exit_code == 4 and "no user 'nobody'" in missing.output
    assert _cli("passwd", "akimat", "--password", "x", *store).exit_code == 3
    assert _cli("set-role", "akimat", "--role", "union", *store).exit_code == 3
    assert _cli("revoke", *store).exit_code == 2  # neither NAME nor --all
    assert _cli("revoke", "akimat", "--all", *store).exit_code == 2
    assert _cli("list", "--store", str(writable_gpkg.with_name("typo.gpkg"))).exit_code == 4
    assert not writable_gpkg.with_name("typo.gpkg").exists()


def test_users_disable_ends_a_token_of_the_running_app(app: tuple[TestClient, Any]) -> None:
    client, store = app
    token = login(client, "aigul", "secret1")
    assert _cli("disable", "aigul", "--store", store.url).exit_code == 0
    _problem_401(client.get(PLOTS, headers=auth(token)))
    assert _cli("revoke", "--all", "--store", store.url).exit_code == 0
