"""The ``pasture`` command as installed: pasture's commands plus ``serve`` and ``users``.

The composition root adds the web commands to :data:`pasture.cli.main`, so
that ``pasture`` (the package) never imports ``api``. ``pasture demo`` finds
the demo accounts and the server through the hooks registered here.
"""

from __future__ import annotations

import os
from typing import Any

import click

from pasture import cli as pasture_cli

__all__ = ["command", "main", "serve", "users"]

DEMO_PASSWORD_DEFAULT = "demo"  # noqa: S105 - the documented demo password, overridable


@click.command()
@click.option("--store", "store_url", required=True, help="GeoPackage path or postgresql:// URL")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8000, show_default=True, type=int, help="port to listen on")
def serve(store_url: str, host: str, port: int) -> None:
    """Serve the web API (OGC API - Features, plans, census) for a store.

    Other settings come from PASTURE_* environment variables, e.g.
    PASTURE_SECRET_KEY (required unless the store is the demo).
    """
    import uvicorn

    from .main import create_app
    from .settings import Settings

    app = create_app(Settings(store=store_url))
    uvicorn.run(app, host=host, port=port, proxy_headers=True)


@click.group()
def users() -> None:
    """Accounts of the web API."""


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["akimat", "union", "analyst"]),
    help="what the account may do",
)
@click.option("--union", "union_id", help="the union of a union account (e.g. upu-akshi)")
@click.option("--store", "store_url", required=True, help="GeoPackage path or postgresql:// URL")
@click.password_option(help="the password (asked for when not given)")
def add(name: str, role: str, union_id: str | None, store_url: str, password: str) -> None:
    """Add an account; its password is stored only as an argon2 hash."""
    from pasture.store import open_store

    from .users import add_user

    with open_store(store_url) as store:
        account = add_user(store, name, password, role=role, union_id=union_id)
    suffix = f" of {account.union_id}" if account.union_id else ""
    click.echo(f"user {account.username} added: {account.role.value}{suffix}")


def _demo_accounts(store: Any) -> None:
    """Create the demo's accounts with PASTURE_DEMO_PASSWORD (default "demo") and list them."""
    from .users import create_demo_users

    password = os.environ.get("PASTURE_DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)
    accounts = create_demo_users(store, password)
    names = ", ".join(a.username for a in accounts)
    pasture_cli.out.print(
        f"demo accounts (password from PASTURE_DEMO_PASSWORD, default 'demo'): {names}"
    )


def _demo_serve(store_url: str) -> None:
    click.get_current_context().invoke(serve, store_url=store_url, host="127.0.0.1", port=8000)


def command() -> click.Group:
    """Pasture's command group with the web commands and demo hooks added (once)."""
    group = pasture_cli.main
    if "serve" not in group.commands:
        for extra in (serve, users):
            group.add_command(extra)
        pasture_cli.DEMO_HOOKS.append(_demo_accounts)
        pasture_cli.DEMO_SERVER.append(_demo_serve)
    return group


def main() -> Any:
    """Entry point of the ``pasture`` command."""
    return command()()
