"""The ``pasture kernels`` commands: the compiled (numba) kernels, compiled ahead.

A plain click group, registered on ``pasture`` in :mod:`pasture.cli`.
"""

from __future__ import annotations

import time

import click

__all__ = ["kernels"]


@click.group()
def kernels() -> None:
    """The compiled kernels (zonal statistics, the planner): compiled once, ahead."""


@kernels.command("warm")
def kernels_warm() -> None:
    """Compile every kernel signature the code calls into numba's disk cache (or load it).

    Run at install time (the Makefile, the systemd unit's ExecStartPre, the image's build)
    with the same NUMBA_CACHE_DIR as the server and the cluster workers: then none of them
    compiles. Idempotent: signatures already cached are only loaded.
    """
    from ..kernels import Warmed, warm

    def show(item: Warmed) -> None:
        how = "compiled" if item.compiled else "loaded  "
        click.echo(f"{how} {item.seconds:7.2f} s  {item.kernel}", err=True)

    t0 = time.perf_counter()
    done = warm(progress=show)
    compiled = sum(item.compiled for item in done)
    for cache in sorted({item.cache for item in done}):
        click.echo(f"cache: {cache}")
    click.echo(
        f"{len(done)} kernel signatures: {compiled} compiled, {len(done) - compiled} loaded "
        f"from the cache ({time.perf_counter() - t0:.1f} s)"
    )
