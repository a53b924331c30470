"""NDVI map tiles: ``/tiles/ndvi/{date}/{z}/{x}/{y}.png`` from the scenes the store registers.

Tiles are rendered with rio-tiler (:func:`pasture.ndvi.tiles.render_ndvi_tile`) on
one fixed colour scale, nodata transparent. A scene is picked by its exact
date (the overview page resolves a requested day to a scene date first), so a
tile URL always names one raster and can be cached: ``Cache-Control: public``
with an ``ETag`` made of the scene, its registration time, the tile and the
colour scale; ``If-None-Match`` answers 304.

Access: tiles need no sign-in. They show a vegetation index computed from
public satellite data: no personal data, no union's allocations or plans. That
is what makes ``public`` honest (a proxy or CDN may share them between users);
every page that shows them still needs a session.
"""

import hashlib
import math
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from pasture.errors import NotFound
from pasture.ndvi import NDVI_RANGE, NDVI_STOPS, ndvi_legend, render_ndvi_tile
from pasture.store import Store

from .deps import StoreDep

__all__ = ["TILE_MAX_AGE_S", "scene_for_day", "tiles_router"]

#: How long browsers and shared caches may keep a tile (a registered scene does not change).
TILE_MAX_AGE_S = 7 * 24 * 3600


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def scene_for_day(store: Store, day: date, *, on_or_before: bool = False) -> dict[str, Any]:
    """The scene of ``day`` (or, with ``on_or_before``, the latest one up to it); NotFound otherwise."""
    scenes = store.read_rows("scenes")
    if scenes.empty:
        raise NotFound("no NDVI scene is registered in this store; register scenes first")
    days = scenes["date"].map(lambda v: v.date() if hasattr(v, "date") else date.fromisoformat(v))
    exact = scenes[days == day]
    if not exact.empty:
        return dict(exact.sort_values("id").iloc[0])
    earlier = scenes[days <= day]
    if on_or_before and not earlier.empty:
        return dict(earlier.assign(_d=days[days <= day]).sort_values(["_d", "id"]).iloc[-1])
    first, last = min(days), max(days)
    raise NotFound(
        f"no NDVI scene on {day.isoformat()}; scenes run from {first.isoformat()} to "
        f"{last.isoformat()} (ask /maps/overview?ndvi=YYYY-MM-DD for the nearest earlier one)"
    )


def _etag(scene: dict[str, Any], z: int, x: int, y: int) -> str:
    key = f"{scene['id']}|{scene.get('registered_at')}|{z}/{x}/{y}|{NDVI_STOPS}|{NDVI_RANGE}"
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:24] + '"'


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def tiles_router(*, store_dependency: Any = StoreDep, max_age: int = TILE_MAX_AGE_S) -> APIRouter:
    """Routes of NDVI tiles and their legend."""
    router = APIRouter(tags=["tiles"], include_in_schema=False)
    StoreArg = Annotated[Store, store_dependency]  # noqa: N806

    @router.get("/tiles/ndvi/legend.json")
    def legend(lang: Annotated[str, Query(pattern="^(kk|ru|en)$")] = "en") -> JSONResponse:
        """The fixed NDVI colour scale: value, colour and the value formatted in ``lang``."""
        stops = [
            {"value": v, "colour": c, "label": label} for v, c, label in ndvi_legend(lang=lang)
        ]
        return JSONResponse(
            {"range": list(NDVI_RANGE), "stops": stops},
            headers={"Cache-Control": f"public, max-age={max_age}"},
        )

    @router.get("/tiles/ndvi/{day}/{z}/{x}/{y}.png")
    def ndvi_tile(
        request: Request,
        store: StoreArg,
        day: date,
        z: Annotated[int, Path(ge=0, le=24)],
        x: Annotated[int, Path(ge=0)],
        y: Annotated[int, Path(ge=0)],
    ) -> Response:
        """One PNG tile of the NDVI scene of ``day`` (RGBA, nodata transparent)."""
        scene = scene_for_day(store, day)
        etag = _etag(scene, z, x, y)
        headers = {"Cache-Control": f"public, max-age={max_age}", "ETag": etag}
        if _matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        png = render_ndvi_tile(
            str(scene["path"]),
            z,
            x,
            y,
            band=int(scene.get("band") or 1),
            scale=_number(scene.get("scale")),
            offset=_number(scene.get("offset")),
        )
        return Response(png, media_type="image/png", headers=headers)

    return router
