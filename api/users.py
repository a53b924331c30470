"""Accounts of the web API: stored in the store's ``users`` table, passwords as argon2 hashes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache

import pandas as pd
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from pasture.errors import AlreadyExists, InvalidInput, NotFound
from pasture.store import Store

__all__ = [
    "Account",
    "Role",
    "add_user",
    "authenticate",
    "create_demo_users",
    "get_account",
    "hash_password",
]


class Role(StrEnum):
    """What a caller may see and do (DESIGN.md, API)."""

    AKIMAT = "akimat"
    UNION = "union"
    ANALYST = "analyst"


@dataclass(frozen=True)
class Account:
    """A stored user, without the password hash."""

    username: str
    role: Role
    union_id: str | None = None
    disabled: bool = False


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("not a password of anyone")


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher().hash(password)


def _row_account(row: pd.Series) -> Account:
    union = row["union_id"]
    return Account(
        username=str(row["username"]),
        role=Role(str(row["role"])),
        union_id=None if union is None or pd.isna(union) else str(union),
        disabled=bool(row["disabled"]),
    )


def get_account(store: Store, username: str) -> Account | None:
    """The account of a user name, or None."""
    rows = store.read_rows("users", where={"username": username})
    return None if rows.empty else _row_account(rows.iloc[0])


def authenticate(store: Store, username: str, password: str) -> Account | None:
    """The account if the password is right and the account enabled, else None."""
    rows = store.read_rows("users", where={"username": username})
    if rows.empty:
        _hasher().verify(password, _dummy_hash())  # same time as a wrong password
        return None
    row = rows.iloc[0]
    if not _hasher().verify(password, str(row["password_hash"])):
        return None
    account = _row_account(row)
    return None if account.disabled else account


def add_user(
    store: Store,
    username: str,
    password: str,
    *,
    role: Role | str,
    union_id: str | None = None,
    replace: bool = False,
) -> Account:
    """Store an account (a union account names its union); ``replace`` overwrites one."""
    role = Role(role)
    problems = []
    if not username.strip() or username != username.strip():
        problems.append("the user name must not be empty or start or end with spaces")
    if len(password) < 4:
        problems.append("the password must have at least 4 characters")
    if role is Role.UNION and not union_id:
        problems.append("a union account needs --union with the union's id")
    if role is not Role.UNION and union_id:
        problems.append(f"only union accounts belong to a union, not {role.value} accounts")
    if union_id:
        try:
            store.get("unions", union_id)
        except NotFound:
            known = ", ".join(store.read("unions")["id"])
            problems.append(f"no union {union_id!r}; known unions: {known}")
    if problems:
        raise InvalidInput(f"user {username!r}", problems)
    if not replace and get_account(store, username) is not None:
        raise AlreadyExists(f"user {username!r} exists; choose another name")
    row = pd.DataFrame(
        [
            {
                "username": username,
                "password_hash": hash_password(password),
                "role": role.value,
                "union_id": union_id,
                "disabled": 0,
                "created_at": datetime.now(UTC),
            }
        ]
    )
    store.replace_rows("users", row, where={"username": username})
    return Account(username, role, union_id)


def create_demo_users(store: Store, password: str) -> list[Account]:
    """Accounts ``akimat``, ``analyst`` and one per union named by the union's id (``upu-akshi``)."""
    accounts = [
        add_user(store, "akimat", password, role=Role.AKIMAT, replace=True),
        add_user(store, "analyst", password, role=Role.ANALYST, replace=True),
    ]
    for union_id in store.read("unions")["id"]:
        accounts.append(
            add_user(
                store, str(union_id), password, role=Role.UNION, union_id=union_id, replace=True
            )
        )
    return accounts
