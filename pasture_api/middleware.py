"""ASGI middleware of the API: the body limit, the methods a path allows, NUL characters and
the client address behind trusted proxies."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

from fastapi.responses import Response
from starlette.datastructures import Headers, MutableHeaders, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import TITLES, problem_response

__all__ = ["AllowedMethods", "BodyLimit", "RefuseNul", "TrustedProxies", "allowed_methods"]


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

    def _limited(self, receive: Receive) -> Receive:
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        return limited

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        announced = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    announced = int(value)
                except ValueError:
                    announced = None
                if announced is not None and announced > self.max_bytes:
                    await self._too_large()(scope, receive, send)
                    return
        if announced is None and _streams_a_body(scope):
            # a chunked body is read here, up to the limit, so that a route that never
            # reads its body still answers 413 rather than whatever it would have said
            try:
                messages, _ = await _read_body(self._limited(receive))
            except _BodyTooLarge:
                await self._too_large()(scope, receive, send)
                return
            receive = _replay(messages, receive)
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, self._limited(receive), tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._too_large()(scope, receive, send)


def _streams_a_body(scope: Scope) -> bool:
    """Whether a request sends a body without announcing its length (chunked)."""
    return any(
        name == b"transfer-encoding" and b"chunked" in value.lower()
        for name, value in scope.get("headers", [])
    )


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


class TrustedProxies:
    """ASGI middleware: the client address from X-Forwarded-For, only through listed proxies.

    The connecting peer is the client unless it is one of ``trusted`` (addresses or
    CIDR networks); then the header's addresses are walked from the right (the one the
    nearest proxy appended) past every trusted hop, and the first untrusted address is
    the client. A client that sends its own X-Forwarded-For to the server directly,
    or through a proxy, cannot choose the address the login throttle counts.
    """

    def __init__(self, app: ASGIApp, *, trusted: list[str]) -> None:
        self.app = app
        self.networks = [ipaddress.ip_network(t, strict=False) for t in trusted]

    def _trusted(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in net for net in self.networks)

    def client_of(self, scope: Scope) -> str | None:
        """The client address of a request (None: the peer is unknown)."""
        peer = scope.get("client")
        host = peer[0] if peer else None
        if host is None or not self._trusted(host):
            return host
        hops = []
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                hops += [h.strip() for h in value.decode("latin-1").split(",") if h.strip()]
        for hop in reversed(hops):
            if not self._trusted(hop):
                return hop
        return hops[0] if hops else host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.networks:
            client = self.client_of(scope)
            peer = scope.get("client")
            if client is not None and peer is not None and client != peer[0]:
                scope = {**scope, "client": (client, 0)}
        await self.app(scope, receive, send)


#: Bodies whose text the NUL check reads; other media (files) may hold NUL bytes.
_JSON_TYPES = ("application/json", "application/geo+json", "application/merge-patch+json")
_FORM_TYPE = "application/x-www-form-urlencoded"
_MULTIPART_TYPE = "multipart/form-data"
_CHECKED_TYPES = (*_JSON_TYPES, _FORM_TYPE, _MULTIPART_TYPE)


def _nul_in_query(raw: bytes) -> str | None:
    """The name of the first query parameter with a NUL in its name or value."""
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "\\0")
    return None


def _nul_in_json(doc: object, where: str = "body") -> str | None:
    """The JSON path of the first string (key or value) with a NUL in it."""
    if isinstance(doc, str):
        return where if "\x00" in doc else None
    items: list[tuple[str, object]] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            if "\x00" in key:
                return where
            items.append((f"{where}.{key}", value))
    elif isinstance(doc, list):
        items = [(f"{where}[{i}]", v) for i, v in enumerate(doc)]
    for path, value in items:
        found = _nul_in_json(value, path)
        if found:
            return found
    return None


def _nul_in_header(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The name of the first header with a NUL in its name or value."""
    for name, value in headers:
        if b"\x00" in name or b"\x00" in value:
            return name.replace(b"\x00", b"\\0").decode("latin-1")
    return None


async def _nul_in_multipart(headers: Headers, body: bytes) -> str | None:
    """The first text field (name or value) or file name of a multipart form with a NUL
    in it. A file's content may hold NUL bytes (any binary file does); its name may not."""

    async def stream() -> AsyncIterator[bytes]:
        yield body

    parser = MultiPartParser(headers, stream())  # type: ignore[arg-type]
    try:
        form = await parser.parse()
    except MultiPartException:
        return None  # not a valid form: the route's own parser says so
    try:
        for name, value in form.multi_items():
            shown = name.replace("\x00", "\\0")
            if "\x00" in name:
                return f"form field {shown}"
            if isinstance(value, UploadFile):
                if value.filename and "\x00" in value.filename:
                    return f"the file name of form field {shown}"
            elif "\x00" in value:
                return f"form field {shown}"
        return None
    finally:
        await form.close()


async def _nul_in_body(headers: Headers, body: bytes) -> str | None:
    content_type = headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media == _MULTIPART_TYPE:
        return await _nul_in_multipart(headers, body)
    if media in _JSON_TYPES:
        try:
            doc = json.loads(body)
        except ValueError:
            return None  # not JSON: the route's own parser says so
        return _nul_in_json(doc)
    if media == _FORM_TYPE:
        name = _nul_in_query(body)
        return None if name is None else f"form field {name}"
    return None


class RefuseNul:
    """ASGI middleware: a NUL character in the path, a query parameter, a header or a JSON
    or form body (urlencoded or multipart; not inside an uploaded file's content) is
    refused with a problem (400 in the URL or a header, 422 in the body) before any route
    runs. No text the store keeps may hold one (PostgreSQL refuses it outright), and a
    NUL in a name or id only ever comes from a broken or hostile client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def _refuse(status: int, where: str) -> Response:
        return problem_response(
            status,
            TITLES[status],
            f"{where} contains a NUL character (\\0, %00 or \\u0000); "
            "remove it and send the request again",
            slug="nul-character",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = None
        if "\x00" in scope["path"]:
            where = "the path"
        elif (name := _nul_in_query(scope.get("query_string", b""))) is not None:
            where = f"query parameter {name}"
        elif (name := _nul_in_header(scope.get("headers", []))) is not None:
            where = f"header {name}"
        if where is not None:
            await self._refuse(400, where)(scope, receive, send)
            return
        headers = Headers(scope=scope)
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media not in _CHECKED_TYPES:
            await self.app(scope, receive, send)
            return
        messages, body = await _read_body(receive)
        found = await _nul_in_body(headers, body)
        if found is not None:
            await self._refuse(422, found)(scope, receive, send)
            return
        await self.app(scope, _replay(messages, receive), send)


async def _read_body(receive: Receive) -> tuple[list[Message], bytes]:
    """Every message of the request body (BodyLimit, outside, bounds its size)."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    return messages, b"".join(m.get("body", b"") for m in messages)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that hands the read messages out again, then the live channel."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
