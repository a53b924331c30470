"""``numba.njit`` as the rotation's compiled kernels use it, typed for mypy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

_F = TypeVar("_F", bound=Callable[..., Any])


def jit(**options: Any) -> Callable[[_F], _F]:
    """``numba.njit(nogil=True, cache=True, **options)``, typed for mypy."""
    return cast(Callable[[_F], _F], numba.njit(nogil=True, cache=True, **options))
