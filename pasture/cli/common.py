"""What every ``pasture`` command shares: consoles, exit codes, the store option, progress.

Exit codes that scripts can rely on:

===  ====================================================================
0    success
1    an unexpected error (a bug: please report it)
2    wrong usage: unknown option, missing argument
3    invalid input: the file or records were refused, nothing was written
4    not found: no such file, store or record
5    store error: the store cannot be opened, or the database is unreachable
6    conflict: ids already stored, or a record changed under an edit
===  ====================================================================
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import errors

EXIT_OK, EXIT_BUG, EXIT_USAGE, EXIT_INVALID, EXIT_NOT_FOUND, EXIT_STORE, EXIT_CONFLICT = range(7)

EXIT_CODES: tuple[tuple[type[Exception], int], ...] = (
    (errors.InvalidInput, EXIT_INVALID),
    (errors.NotFound, EXIT_NOT_FOUND),
    (errors.AlreadyExists, EXIT_CONFLICT),
    (errors.VersionConflict, EXIT_CONFLICT),
    (errors.StoreError, EXIT_STORE),
)

#: Messages, progress and errors go to stderr; results to stdout.
console = Console(stderr=True)
out = Console()

STORE_HELP = "GeoPackage path or postgresql:// URL"
#: The ``--store`` option of every command that works on a store.
store_option = click.option("--store", "store_url", required=True, help=STORE_HELP)


def user_name(value: str | None) -> str:
    """The name recorded in the history: the option, else PASTURE_USER, else the login name."""
    return value or os.environ.get("PASTURE_USER") or f"cli:{getpass.getuser()}"


def open_url(url: str, *, create: bool = False) -> Any:
    """Open the store at ``url``; a missing GeoPackage is an error unless ``create``.

    (Imported here so that ``pasture --help`` stays fast.)
    """
    from ..store import open_store

    # the same accounts file as the server's (its PASTURE_ACCOUNTS setting)
    return open_store(url, create=create, accounts=os.environ.get("PASTURE_ACCOUNTS") or None)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr, driven by (done, total) callbacks."""
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


class CommandGroup(click.Group):
    """Maps domain errors to messages and exit codes in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except errors.PastureError as exc:
            ctx.exit(report(exc))


def report(exc: errors.PastureError) -> int:
    """Print a domain error as every command does (on stderr) and return its exit code."""
    console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
    return next((c for cls, c in EXIT_CODES if isinstance(exc, cls)), EXIT_BUG)
