"""Accounts of the web API: kept by ``store.accounts`` (never inside a GeoPackage), passwords
as argon2 hashes. Every change ends the account's tokens (see :mod:`pasture.store.accounts`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from pasture.errors import AlreadyExists, InvalidInput, NotFound
from pasture.store import Store
from pasture.store.accounts import new_token_version

__all__ = [
    "Account",
    "Role",
    "add_user",
    "authenticate",
    "create_demo_users",
    "delete_user",
    "get_account",
    "hash_password",
    "list_accounts",
    "revoke",
    "revoke_all",
    "set_disabled",
    "set_password",
    "set_role",
]


class Role(StrEnum):
    """What a caller may see and do (DESIGN.md, API)."""

    AKIMAT = "akimat"
    UNION = "union"
    ANALYST = "analyst"
    #: The district maslikhat's secretariat: reads what the akimat reads except personal
    #: data, and records the maslikhat's decision on a submitted management plan.
    MASLIKHAT = "maslikhat"


@dataclass(frozen=True)
class Account:
    """A stored user, without the password hash."""

    username: str
    role: Role
    union_id: str | None = None
    disabled: bool = False
    created_at: datetime | None = None
    #: Moves on with every change of the account; tokens of another version are refused.
    token_version: int = 0


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("not a password of anyone")


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher().hash(password)


def _account(row: Mapping[str, Any]) -> Account:
    return Account(
        username=str(row["username"]),
        role=Role(str(row["role"])),
        union_id=row["union_id"],
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
        token_version=int(row["token_version"]),
    )


def get_account(store: Store, username: str) -> Account | None:
    """The account of a user name, or None (one primary-key read)."""
    row = store.accounts.get(username)
    return None if row is None else _account(row)


def list_accounts(store: Store) -> list[Account]:
    """Every account, by name."""
    return [_account(row) for row in store.accounts.all()]


def authenticate(store: Store, username: str, password: str) -> Account | None:
    """The account if the password is right and the account enabled, else None."""
    row = store.accounts.get(username)
    if row is None:
        _hasher().verify(password, _dummy_hash())  # same time as a wrong password
        return None
    if not _hasher().verify(password, str(row["password_hash"])):
        return None
    account = _account(row)
    return None if account.disabled else account


def _password_problems(password: str) -> list[str]:
    return ["the password must have at least 4 characters"] if len(password) < 4 else []


def _role_problems(store: Store, role: Role, union_id: str | None) -> list[str]:
    problems = []
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
    return problems


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
    problems += _password_problems(password) + _role_problems(store, role, union_id)
    if problems:
        raise InvalidInput(f"user {username!r}", problems)
    if not replace and get_account(store, username) is not None:
        raise AlreadyExists(f"user {username!r} exists; choose another name")
    row = {
        "username": username,
        "password_hash": hash_password(password),
        "role": role.value,
        "union_id": union_id,
        "disabled": False,
        "created_at": datetime.now(UTC),
        "token_version": new_token_version(),
    }
    store.accounts.put(row)
    return _account(row)


def _change(store: Store, username: str, **changes: Any) -> None:
    """Apply changes (ending the account's tokens), or NotFound."""
    if not store.accounts.change(username, **changes):
        raise NotFound(f"no user {username!r}; `pasture users list` shows the accounts")


def set_disabled(store: Store, username: str, disabled: bool) -> None:
    """Disable (no sign-in, tokens end) or enable an account."""
    _change(store, username, disabled=int(disabled))


def set_password(store: Store, username: str, password: str) -> None:
    """A new password; the account's tokens end."""
    problems = _password_problems(password)
    if problems:
        raise InvalidInput(f"user {username!r}", problems)
    _change(store, username, password_hash=hash_password(password))


def set_role(store: Store, username: str, role: Role | str, union_id: str | None = None) -> None:
    """A new role (and union); the account's tokens end."""
    role = Role(role)
    problems = _role_problems(store, role, union_id)
    if problems:
        raise InvalidInput(f"user {username!r}", problems)
    _change(store, username, role=role.value, union_id=union_id)


def revoke(store: Store, username: str) -> None:
    """Sign an account out everywhere: its tokens end, the account stays as it is."""
    _change(store, username)


def revoke_all(store: Store) -> int:
    """Sign every account out everywhere; the number of accounts."""
    return store.accounts.revoke_all()


def delete_user(store: Store, username: str) -> None:
    """Remove an account (its tokens end with it); the history keeps its name."""
    if not store.accounts.delete(username):
        raise NotFound(f"no user {username!r}; `pasture users list` shows the accounts")


def create_demo_users(store: Store, password: str) -> list[Account]:
    """Accounts ``akimat``, ``analyst``, ``maslikhat`` and one per union named by the union's id
    (``upu-akshi``)."""
    accounts = [
        add_user(store, "akimat", password, role=Role.AKIMAT, replace=True),
        add_user(store, "analyst", password, role=Role.ANALYST, replace=True),
        add_user(store, "maslikhat", password, role=Role.MASLIKHAT, replace=True),
    ]
    for union_id in store.read("unions")["id"]:
        accounts.append(
            add_user(
                store, str(union_id), password, role=Role.UNION, union_id=union_id, replace=True
            )
        )
    return accounts
