"""`pasture demo` as installed (api.cli): demo accounts, and refusing to serve nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import pasture
from pasture_api.cli import command
from pasture_api.users import authenticate


def test_demo_creates_the_demo_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASTURE_DEMO_PASSWORD", "steppe-2026")
    store_path = tmp_path / "demo.gpkg"
    result = CliRunner().invoke(
        command(),
        ["demo", "--store", str(store_path), "--no-serve", "--years", "0"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "demo accounts" in result.output and "upu-asy" in result.output
    with pasture.open_store(store_path) as store:
        users = pd.DataFrame(store.accounts.all()).set_index("username")
        unions = set(store.read("unions")["id"])
        assert set(users.index) == {"akimat", "analyst", "maslikhat", *unions}
        assert users.loc["maslikhat", "role"] == "maslikhat"
        assert (
            users.loc["upu-asy", "role"] == "union"
            and users.loc["upu-asy", "union_id"] == "upu-asy"
        )
        assert "steppe-2026" not in "".join(users["password_hash"])  # hashes only
        assert authenticate(store, "akimat", "steppe-2026") is not None
        assert authenticate(store, "akimat", "demo") is None


def test_serve_and_users_are_commands_of_pasture() -> None:
    group = command()
    assert {"serve", "users", "demo", "plan", "ndvi", "capacity"} <= set(group.commands)
