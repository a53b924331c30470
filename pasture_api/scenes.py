"""The NDVI scene catalogue over HTTP: ``GET /ndvi/scenes``.

Each scene with its date, sensor, grid and file name, and for a composite fetched from
a STAC catalogue (`pasture ndvi fetch`) its provenance: the catalogue and collection,
the items composited, the share of observations masked as cloud, shadow or snow, and
the period. The server's own file paths are not shown, only the file's name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import Response

from pasture.store import Store

from . import web
from .auth import CurrentUser
from .deps import StoreDep

__all__ = ["scenes_router"]

StoreArg = Annotated[Store, StoreDep]
_SHOWN = (
    "id", "date", "sensor", "file", "crs", "width", "height", "band", "catalog", "collection",
    "items", "cloud_share", "period_start", "period_end", "registered_at", "registered_by",
)  # fmt: skip


def scenes(store: StoreArg, user: CurrentUser) -> Response:
    """The scene catalogue by date, with each fetched composite's STAC provenance."""
    from pasture.ndvi import list_scenes

    rows = list_scenes(store)
    rows["file"] = [Path(p).name for p in rows["path"]]
    return web.json_response({"scenes": web.records_of(rows[list(_SHOWN)])})


def scenes_router(*, responses: dict[Any, Any]) -> APIRouter:
    """The catalogue's route (any signed-in account: scenes hold nothing personal)."""
    router = APIRouter(tags=["ndvi"])
    errs = {k: v for k, v in responses.items() if k in (401, 406, 503)}
    router.add_api_route("/ndvi/scenes", scenes, responses=errs, summary="NDVI scenes")
    return router
