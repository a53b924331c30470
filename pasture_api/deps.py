"""Dependencies shared by the routers: the store opened in the lifespan."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from pasture.store import Store

__all__ = ["StoreDep", "get_store"]


def get_store(request: Request) -> Store:
    """The store the lifespan opened (``app.state.store``)."""
    store: Store = request.app.state.store
    return store


#: The default store dependency; router factories take another one to swap it.
StoreDep: Any = Depends(get_store)
