"""The ``pasture`` command as installed: pasture's commands plus ``serve`` and ``users``.

The composition root adds the web commands to :data:`pasture.cli.main`, so
that ``pasture`` (the package) never imports ``pasture_api``. ``pasture demo`` finds
the demo accounts and the server through the hooks registered here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn

import click

from pasture import cli as pasture_cli
from pasture.cli.common import (
    EXIT_BUG,
    EXIT_OK,
    EXIT_USAGE,
    STORE_HELP,
    CommandGroup,
    console,
    open_url,
    report,
)
from pasture.errors import PastureError

if TYPE_CHECKING:
    from pasture.store import Store

    from .settings import Settings

__all__ = ["command", "main", "run_workers", "serve", "users"]

DEMO_PASSWORD_DEFAULT = "demo"  # noqa: S105 - the documented demo password, overridable


#: The app factory each worker process calls (settings from PASTURE_* variables).
APP_FACTORY = "pasture_api.main:app_from_environment"
#: Seconds a worker may take to answer the supervisor's health check before it is killed
#: and replaced (uvicorn's default: 5). A new worker answers only once its interpreter has
#: started, and on a small or busy machine that alone took 6 s (2 cores, load 14): with 5 s
#: every worker was killed and respawned again and again before it could serve.
WORKER_HEALTHCHECK_S = 30


@click.command()
@click.option(
    "--store",
    "store_url",
    required=True,
    envvar="PASTURE_STORE",
    help="GeoPackage path or postgresql:// URL (default: $PASTURE_STORE)",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8000, show_default=True, type=int, help="port to listen on")
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1), help="server processes"
)
def serve(store_url: str, host: str, port: int, workers: int = 1) -> None:
    """Serve the web API (OGC API - Features, plans, census) for a store.

    Other settings come from PASTURE_* environment variables, e.g.
    PASTURE_SECRET_KEY (required unless the store is the demo) and
    PASTURE_TRUSTED_PROXIES (whose X-Forwarded-For to believe).

    The store is opened once before any server process starts (it must exist, its
    schema is brought up to date, the database must answer) and the secret checked.
    A refusal ends the command with the exit codes of every pasture command (2 a
    setting is missing or wrong, 4 no such store, 5 the store cannot be opened or the
    database is unreachable), and a server process that fails to start ends it with 1,
    so that systemd or a container engine sees the failure.
    """
    if workers == 1:
        from .main import create_app

        started = _run_one(create_app(_startup_settings(store_url)), host, port)
    else:
        code = _check_in_child(store_url)
        if code != EXIT_OK:
            raise click.exceptions.Exit(code if code > 0 else EXIT_BUG)
        os.environ["PASTURE_STORE"] = store_url  # each worker process builds its app from it
        started = run_workers(APP_FACTORY, workers, host, port)
    if not started:
        _fail("the server did not start: its log above says why", EXIT_BUG)


def _fail(message: str, code: int) -> NoReturn:
    console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise click.exceptions.Exit(code)


def _startup_settings(store_url: str) -> Settings:
    """The settings, with the store opened and the secret resolved once (``check_startup``).

    A store error propagates to the command group, which prints it and exits with its
    code; settings that cannot run are a usage error.
    """
    from pydantic import ValidationError

    from .main import ConfigurationError, check_startup
    from .settings import Settings

    try:
        settings = Settings(store=store_url)
        check_startup(settings)
    except ValidationError as exc:
        _fail(f"a PASTURE_* setting is not valid: {exc}", EXIT_USAGE)
    except ConfigurationError as exc:
        _fail(str(exc), EXIT_USAGE)
    return settings


def _check_in_child(store_url: str) -> int:
    """The exit code of :func:`_startup_settings` run in a fresh process, which prints any
    refusal itself: the supervisor of the workers never loads the app, its store or
    fastapi (about 150 MB it would hold beside every worker's own)."""
    import multiprocessing

    child = multiprocessing.get_context("spawn").Process(
        target=_check_and_exit, args=(store_url,), name="pasture-serve-check"
    )
    child.start()
    child.join()
    return child.exitcode if child.exitcode is not None else EXIT_BUG


def _check_and_exit(store_url: str) -> None:
    try:
        _startup_settings(store_url)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except PastureError as exc:
        sys.exit(report(exc))


def _run_one(app: Any, host: str, port: int) -> bool:
    """Serve ``app`` in this process until stopped; False when it failed to start."""
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE

    try:
        # the app reads X-Forwarded-For itself, from PASTURE_TRUSTED_PROXIES only
        uvicorn.run(app, host=host, port=port, proxy_headers=False)
    except SystemExit as exc:
        if exc.code != STARTUP_FAILURE:
            raise
        return False
    return True


def run_workers(factory: str, workers: int, host: str, port: int) -> bool:
    """Serve the app ``factory`` makes with several worker processes until stopped.

    What ``uvicorn.run`` does for several workers, keeping the supervisor: it stops when
    a worker exits with uvicorn's startup-failure code and then returns like after a
    stop signal, so its workers' exit codes tell the two apart. False when one failed
    to start.
    """
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        factory,
        factory=True,
        workers=workers,
        host=host,
        port=port,
        proxy_headers=False,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
    )
    try:
        sockets = [config.bind_socket()]  # uvicorn logs why it cannot, e.g. the port is taken
    except SystemExit as exc:
        if exc.code != STARTUP_FAILURE:
            raise
        return False
    supervisor = Multiprocess(config, sockets=sockets)
    supervisor.run()
    return all(process.exitcode != STARTUP_FAILURE for process in supervisor.processes)


STORE = click.option("--store", "store_url", required=True, help=STORE_HELP)
ROLE = click.option(
    "--role",
    required=True,
    type=click.Choice(["akimat", "union", "analyst", "maslikhat"]),
    help="what the account may do",
)
UNION = click.option("--union", "union_id", help="the union of a union account (e.g. upu-akshi)")


@click.group(cls=CommandGroup)
def users() -> None:
    """Accounts of the web API (kept beside a GeoPackage, never inside it).

    Every change (disable, delete, passwd, set-role, revoke) ends the account's
    tokens and page sessions at once. Exit codes as every pasture command: 3
    invalid input, 4 no such account or store, 5 store error, 6 the name exists.
    """


@contextmanager
def _store(url: str) -> Iterator[tuple[Store, ModuleType]]:
    """An existing store (a typo must not create an empty one) and the account functions.

    (Imported here so that ``pasture --help`` stays fast.)
    """
    from . import users as accounts

    with open_url(url, create=False) as store:
        yield store, accounts


@users.command("list")
@STORE
def list_(store_url: str) -> None:
    """Name, role, union, enabled and creation time of every account (never a hash)."""
    with _store(store_url) as (store, accounts):
        listed = accounts.list_accounts(store)
    rows = [("name", "role", "union", "enabled", "created")]
    rows += [
        (
            a.username,
            a.role.value,
            a.union_id or "-",
            "no" if a.disabled else "yes",
            a.created_at.strftime("%Y-%m-%d %H:%M") if a.created_at else "-",
        )
        for a in listed
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


@users.command("add")
@click.argument("name")
@ROLE
@UNION
@STORE
@click.password_option(help="the password (asked for when not given)")
def add(name: str, role: str, union_id: str | None, store_url: str, password: str) -> None:
    """Add an account; its password is stored only as an argon2 hash."""
    with _store(store_url) as (store, accounts):
        account = accounts.add_user(store, name, password, role=role, union_id=union_id)
    suffix = f" of {account.union_id}" if account.union_id else ""
    click.echo(f"user {account.username} added: {account.role.value}{suffix}")


@users.command("disable")
@click.argument("name")
@STORE
def disable(name: str, store_url: str) -> None:
    """Stop an account signing in; its tokens end now."""
    with _store(store_url) as (store, accounts):
        accounts.set_disabled(store, name, True)
    click.echo(f"user {name} disabled and signed out everywhere")


@users.command("enable")
@click.argument("name")
@STORE
def enable(name: str, store_url: str) -> None:
    """Let a disabled account sign in again."""
    with _store(store_url) as (store, accounts):
        accounts.set_disabled(store, name, False)
    click.echo(f"user {name} enabled")


@users.command("delete")
@click.argument("name")
@STORE
def delete(name: str, store_url: str) -> None:
    """Remove an account; its tokens end, the history keeps its name."""
    with _store(store_url) as (store, accounts):
        accounts.delete_user(store, name)
    click.echo(f"user {name} deleted")


@users.command("passwd")
@click.argument("name")
@STORE
@click.password_option(help="the new password (asked for when not given)")
def passwd(name: str, store_url: str, password: str) -> None:
    """Set a new password; the account's tokens end."""
    with _store(store_url) as (store, accounts):
        accounts.set_password(store, name, password)
    click.echo(f"password of {name} changed; signed out everywhere")


@users.command("set-role")
@click.argument("name")
@ROLE
@UNION
@STORE
def set_role_(name: str, role: str, union_id: str | None, store_url: str) -> None:
    """Give an account another role (a union account names its union); its tokens end."""
    with _store(store_url) as (store, accounts):
        accounts.set_role(store, name, role, union_id)
    suffix = f" of {union_id}" if union_id else ""
    click.echo(f"user {name} is now {role}{suffix}; signed out everywhere")


@users.command("revoke")
@click.argument("name", required=False)
@click.option("--all", "everyone", is_flag=True, help="sign every account out")
@STORE
def revoke_(name: str | None, everyone: bool, store_url: str) -> None:
    """Sign an account (or, with --all, everyone) out everywhere; accounts stay as they are."""
    if bool(name) == everyone:
        raise click.UsageError("give either an account NAME or --all")
    with _store(store_url) as (store, accounts):
        if name:
            accounts.revoke(store, name)
            click.echo(f"user {name} signed out everywhere")
        else:
            count = accounts.revoke_all(store)
            click.echo(f"{count} accounts signed out everywhere")


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
