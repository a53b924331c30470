"""The ``pasture`` command: one click group, its subcommands registered here.

Exit codes that scripts can rely on are listed in :mod:`pasture.cli.common`.
"""

from __future__ import annotations

from .common import (
    EXIT_BUG,
    EXIT_CONFLICT,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_STORE,
    EXIT_USAGE,
    console,
    out,
)
from .kernels import kernels
from .main import DEMO_HOOKS, DEMO_SERVER, main
from .management import management_plan
from .ndvi import ndvi
from .plan import plan
from .science import calibrate_command, capacity, load, trends

for _command in (ndvi, capacity, load, trends, plan, calibrate_command, kernels):
    main.add_command(_command)
main.add_command(management_plan)

__all__ = [
    "DEMO_HOOKS",
    "DEMO_SERVER",
    "EXIT_BUG",
    "EXIT_CONFLICT",
    "EXIT_INVALID",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_STORE",
    "EXIT_USAGE",
    "console",
    "main",
    "out",
]
