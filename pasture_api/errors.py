"""RFC 9457 problem details: every error of the API, mapped from its exception in ONE table."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pasture import errors as domain

__all__ = [
    "ERRORS",
    "PROBLEM_MEDIA_TYPE",
    "TITLES",
    "ApiError",
    "BadRequest",
    "Forbidden",
    "NotAcceptable",
    "PayloadTooLarge",
    "PreconditionFailed",
    "PreconditionRequired",
    "TooManyRequests",
    "Unauthorized",
    "install_error_handlers",
    "problem_response",
]

log = logging.getLogger("pasture_api")

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ApiError(Exception):
    """An error of the HTTP layer itself (auth, negotiation, preconditions, limits)."""

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class BadRequest(ApiError):
    """A query parameter or header that cannot be understood."""


class Unauthorized(ApiError):
    """No valid access token."""


class Forbidden(ApiError):
    """The caller's role may not use this operation at all."""


class NotAcceptable(ApiError):
    """No representation in a format the client accepts."""


class PreconditionFailed(ApiError):
    """If-Match names a version that is no longer current."""


class PreconditionRequired(ApiError):
    """A write without If-Match."""


class PayloadTooLarge(ApiError):
    """A request body over the configured limit."""


class TooManyRequests(ApiError):
    """Too many attempts; Retry-After says when to try again."""


#: The one table of problem titles (RFC 9457 ``title``), by status: the problem
#: handlers, the 413 of the body limit and the OpenAPI descriptions all read it.
#: The ``type`` slug and the detail say which problem of a status it is.
TITLES: dict[int, str] = {
    400: "Bad request",
    401: "Authentication required",
    403: "Not allowed for your role",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid request body",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal error",
    503: "The database is unavailable",
}


@dataclass(frozen=True)
class ErrorKind:
    """How one exception class answers: status and problem type slug."""

    status: int
    slug: str
    #: show the exception's own message as the detail (domain messages say what to fix)
    show_message: bool = True
    #: detail to use when the message is not shown
    detail: str = ""

    @property
    def title(self) -> str:
        return TITLES[self.status]


#: The one table from exception class to HTTP answer. Starlette picks the most
#: specific class (method resolution order), so StoreUnavailable wins over StoreError.
ERRORS: dict[type[Exception], ErrorKind] = {
    domain.InvalidInput: ErrorKind(422, "invalid-input"),
    domain.NotFound: ErrorKind(404, "not-found"),
    domain.AlreadyExists: ErrorKind(409, "already-exists"),
    domain.PlanStateConflict: ErrorKind(409, "plan-state-conflict"),
    domain.VersionConflict: ErrorKind(412, "version-conflict"),
    domain.StoreUnavailable: ErrorKind(503, "store-unavailable"),
    domain.StoreError: ErrorKind(
        500,
        "store-error",
        show_message=False,
        detail="the store cannot be used right now; the operator should check the server log",
    ),
    domain.PastureError: ErrorKind(
        500,
        "internal-error",
        show_message=False,
        detail="the server failed on this request; the operator should check the server log",
    ),
    BadRequest: ErrorKind(400, "bad-request"),
    Unauthorized: ErrorKind(401, "unauthorized"),
    Forbidden: ErrorKind(403, "forbidden"),
    NotAcceptable: ErrorKind(406, "not-acceptable"),
    PreconditionFailed: ErrorKind(412, "precondition-failed"),
    PreconditionRequired: ErrorKind(428, "precondition-required"),
    PayloadTooLarge: ErrorKind(413, "payload-too-large"),
    TooManyRequests: ErrorKind(429, "too-many-requests"),
}

_RETRY_AFTER_S = {503: "5"}
#: Problem type slugs of statuses that Starlette/FastAPI or middleware raise as HTTPException.
_HTTP_SLUGS = {405: "method-not-allowed", 413: "payload-too-large"}


def _type_uri(slug: str) -> str:
    return f"urn:jailym:problem:{slug}"


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """An ``application/problem+json`` response."""
    body: dict[str, Any] = {
        "type": _type_uri(slug) if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        **(extra or {}),
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _kind_of(exc: Exception) -> ErrorKind:
    for cls in type(exc).__mro__:
        if cls in ERRORS:
            return ERRORS[cls]
    return ERRORS[domain.PastureError]


def _handle(request: Request, exc: Exception) -> JSONResponse:
    kind = _kind_of(exc)
    headers = dict(getattr(exc, "headers", {}) or {})
    extra: dict[str, Any] = {}
    if kind.status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    if kind.status in _RETRY_AFTER_S:
        headers.setdefault("Retry-After", _RETRY_AFTER_S[kind.status])
    if isinstance(exc, domain.InvalidInput):
        extra["errors"] = [
            {"message": p.message, "feature": p.feature, "field": p.field} for p in exc.problems
        ]
    if isinstance(exc, domain.VersionConflict) and exc.current_version is not None:
        headers["ETag"] = f'"{exc.current_version}"'
        extra["current_version"] = exc.current_version
    detail = (getattr(exc, "detail", None) or str(exc)) if kind.show_message else kind.detail
    return problem_response(
        kind.status, kind.title, detail, slug=kind.slug, headers=headers, extra=extra
    )


def _validation(request: Request, exc: Exception) -> JSONResponse:
    # OGC API - Features /req/core/query-param-invalid: invalid parameters are 400
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        where = loc[0] if loc else "request"
        name = ".".join(loc[1:]) or where
        problems.append({"in": where, "name": name, "message": str(err.get("msg", ""))})
    in_body = any(p["in"] == "body" for p in problems)
    listed = "; ".join(f"{p['in']} {p['name']}: {p['message']}" for p in problems[:10])
    status = 422 if in_body else 400
    return problem_response(
        status,
        TITLES[status],
        f"fix these and send the request again: {listed}",
        slug="invalid-body" if in_body else "invalid-parameter",
        extra={"errors": problems},
    )


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":  # Starlette's detail for no route
        detail = f"no resource at {request.url.path}; the landing page / lists what there is"
    elif exc.status_code == 405:
        detail = f"{request.method} is not supported on {request.url.path}"
    return problem_response(
        exc.status_code,
        TITLES.get(exc.status_code, "Error"),
        detail,
        slug=_HTTP_SLUGS.get(exc.status_code),
        headers=dict(exc.headers or {}),
    )


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        500,
        TITLES[500],
        "the server failed on this request; the operator should check the server log",
        slug="internal-error",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the table (and FastAPI's own errors) as problem+json handlers."""
    for cls in ERRORS:
        app.add_exception_handler(cls, _handle)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
