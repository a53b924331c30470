"""ASGI middleware of the API: the request body limit and the methods a path allows."""

from __future__ import annotations

from fastapi.responses import Response
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import TITLES, problem_response

__all__ = ["AllowedMethods", "BodyLimit", "allowed_methods"]


class BodyLimit:
    """ASGI middleware: 413 for a body over ``max_bytes`` (by Content-Length or as it streams)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> Response:
        return problem_response(
            413,
            TITLES[413],
            f"send at most {self.max_bytes} bytes in a request body",
            slug="payload-too-large",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_large = int(value) > self.max_bytes
                except ValueError:
                    too_large = False
                if too_large:
                    await self._too_large()(scope, receive, send)
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._too_large()(scope, receive, send)


class _BodyTooLarge(StarletteHTTPException):
    """Raised while the body streams in; an HTTPException because FastAPI re-raises those
    from body parsing (any other exception there becomes a 400 "error parsing the body"),
    so the error handlers answer with the 413 problem."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"send at most {max_bytes} bytes in a request body")


#: What a mount of static files answers (StaticFiles).
_STATIC_METHODS = frozenset({"GET", "HEAD"})
#: Methods probed on every route: FastAPI nests included routers, so a route's
#: methods are asked through ``matches`` rather than read from a flat route list.
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(app: ASGIApp, scope: Scope) -> set[str]:
    """Methods some route answers on ``scope``'s path (empty: no such path)."""
    methods: set[str] = set()
    for route in getattr(getattr(app, "router", None), "routes", []):
        if isinstance(route, Mount):
            if route.matches(scope)[0] is not Match.NONE:
                methods |= _STATIC_METHODS
            continue
        for method in _METHODS:
            if route.matches({**scope, "method": method})[0] is Match.FULL:
                methods.add(method)
    return methods


class AllowedMethods:
    """ASGI middleware: OPTIONS answers 204 with every method of the path in ``Allow``;
    a 405 gets the same complete ``Allow``. Starlette routes one method per route, so
    on its own it answers OPTIONS with 405 and lists only the first matching route's
    methods (e.g. GET of /census/{id}, not its PATCH and PUT)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        app = scope["app"]
        if scope["method"] == "OPTIONS":
            methods = allowed_methods(app, scope)
            if methods:
                allow = ", ".join(sorted(methods | {"OPTIONS"}))
                await Response(status_code=204, headers={"Allow": allow})(scope, receive, send)
                return

        async def complete_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                methods = allowed_methods(app, scope) | {"OPTIONS"}
                MutableHeaders(scope=message)["Allow"] = ", ".join(sorted(methods))
            await send(message)

        await self.app(scope, receive, complete_allow)
