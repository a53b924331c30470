"""The compiled (numba) kernels compiled ahead: ``pasture kernels warm``.

numba compiles a kernel for each signature (the types of its arguments) at its first call
and keeps the machine code in its disk cache (every kernel is ``cache=True``): in the
package's ``__pycache__`` when that is writable, else in ``NUMBA_CACHE_DIR``. A process
whose cache lacks a signature compiles it: 10 to 40 s for the zonal kernels on an idle
machine, 177 s under load (benchmarks/README.md, "Numba kernels, first call"). :func:`warm`
compiles every signature the code calls (each kernel module's ``SIGNATURES``) into that
cache, or loads it if it is there already, so that no request and no cluster worker
compiles. It runs at install time: the Makefile's install step, the systemd unit's
``ExecStartPre`` and the image's build (``deploy/``).

The cache is wherever numba puts it for the process that warms: the processes that use
it must see the same ``NUMBA_CACHE_DIR`` (or none, and the same installed package).
dask workers started from a process (a ``LocalCluster``) inherit its environment; a
worker on another machine needs its own ``pasture kernels warm``, run with its settings.
The cache is also tied to the machine's CPU (numba compiles for it) and to the kernels'
source files (editing one, or installing another version, makes its entries stale).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["KERNEL_MODULES", "Warmed", "kernel_signatures", "warm"]

KERNEL_MODULES = (
    "pasture.ndvi.zonal_kernels",
    "grazing_models.rotation.path_kernel",
    "grazing_models.rotation.forage_lp",
)
"""The modules that define compiled kernels, each with its ``SIGNATURES``."""


@dataclass(frozen=True)
class Warmed:
    """One signature of one kernel after :func:`warm`."""

    kernel: str  # module.name
    signature: str  # the argument types, as numba prints them
    compiled: bool  # False: loaded from the cache
    seconds: float  # wall time of compiling or loading it
    cache: str  # numba's cache folder of the kernel


def kernel_signatures() -> Iterator[tuple[str, Any, tuple[Any, ...]]]:
    """Every kernel called from Python: its name (module.name), its numba dispatcher and the
    signatures it is called with (tuples of numba types)."""
    for module_name in KERNEL_MODULES:
        module = importlib.import_module(module_name)
        for name, signatures in module.SIGNATURES.items():
            yield f"{module_name}.{name}", getattr(module, name), signatures


def warm(progress: Callable[[Warmed], None] | None = None) -> list[Warmed]:
    """Compile every signature of :func:`kernel_signatures` into numba's cache, or load it
    from there; ``progress`` gets each one when done."""
    done = []
    for name, dispatcher, signatures in kernel_signatures():
        for signature in signatures:
            misses = sum(dispatcher.stats.cache_misses.values())
            t0 = time.perf_counter()
            # A tuple of argument types, as a call makes it: numba's cache keys entries by
            # the signature object it compiled for, so a string or a typed signature with a
            # return type would be cached under another key and never found by a call.
            dispatcher.compile(tuple(signature))
            compiled = sum(dispatcher.stats.cache_misses.values()) > misses
            item = Warmed(
                kernel=name,
                signature=str(tuple(signature)),
                compiled=compiled,
                seconds=time.perf_counter() - t0,
                cache=str(dispatcher.stats.cache_path),
            )
            done.append(item)
            if progress is not None:
                progress(item)
    return done
