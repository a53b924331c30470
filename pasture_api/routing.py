"""Registering one module-level handler for several resources (collections, record layers)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["bind"]


def bind(
    handler: Callable[..., Any],
    /,
    *,
    annotations: dict[str, Any] | None = None,
    **fixed: Any,
) -> Callable[..., Any]:
    """``handler`` with the keyword arguments ``fixed`` given (e.g. the layer it serves).

    FastAPI reads the rest of its signature to fill and document the request's
    parameters; ``annotations`` replace those of the parameters they name, for the
    ones whose type depends on the resource (a layer's body model, its query).
    """
    changed = annotations or {}
    signature = inspect.signature(handler)
    params = [
        p.replace(annotation=changed.get(p.name, p.annotation))
        for p in signature.parameters.values()
        if p.name not in fixed
    ]

    def endpoint(**values: Any) -> Any:
        return handler(**values, **fixed)

    endpoint.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint
