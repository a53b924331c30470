"""Service routes: health, the API definition (OpenAPI 3.0) and its pages, with local assets.

Swagger UI and ReDoc come from the ``fastapi-offline`` package and are served under
``/static/docs/``: the documentation pages work without a CDN (offline, behind a
firewall, under a Content-Security-Policy of 'self').
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from pasture.store import Store

from . import web
from .errors import TITLES, problem_response
from .ogc import declare_part1_parameters
from .openapi import openapi_30

__all__ = ["STATIC_DOCS", "document", "install_docs_assets", "service_router"]

#: Where the Swagger UI and ReDoc assets are served.
STATIC_DOCS = "/static/docs/"
log = logging.getLogger("pasture_api")
_ASSETS = Path(fastapi_offline.__file__).parent / "static"
#: Swagger UI options: no badge from the public validator (an external host)
_SWAGGER_PARAMETERS = {"validatorUrl": None, "deepLinking": True}


def document(app: FastAPI) -> dict[str, Any]:
    """The API definition as OpenAPI 3.0, built once per app."""
    if app.openapi_schema is None:
        settings = app.state.settings
        doc = openapi_30(app.openapi())
        declare_part1_parameters(
            doc, default_limit=settings.default_limit, max_limit=settings.max_limit
        )
        app.openapi_schema = doc
    return app.openapi_schema


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def swagger_page(request: Request) -> HTMLResponse:
    """Swagger UI on /openapi.json, every asset from this server."""
    root = _root(request)
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title=f"{request.app.title}: API",
        swagger_js_url=f"{root}{STATIC_DOCS}swagger-ui-bundle.js",
        swagger_css_url=f"{root}{STATIC_DOCS}swagger-ui.css",
        swagger_favicon_url=f"{root}{STATIC_DOCS}favicon.png",
        swagger_ui_parameters=_SWAGGER_PARAMETERS,
    )


def redoc(request: Request) -> HTMLResponse:
    """The API documentation as one ReDoc page, every asset from this server."""
    root = _root(request)
    return get_redoc_html(
        openapi_url=f"{root}/openapi.json",
        title=f"{request.app.title}: API reference",
        redoc_js_url=f"{root}{STATIC_DOCS}redoc.standalone.js",
        redoc_favicon_url=f"{root}{STATIC_DOCS}favicon.png",
        with_google_fonts=False,
    )


def api(request: Request, f: str | None = Query(None, pattern="^(json|html)$")) -> Response:
    """This API as OpenAPI 3.0 (f=json) or as a browsable page (f=html)."""
    if web.negotiate(request, f) == "html":
        return swagger_page(request)
    return Response(web.json_bytes(document(request.app)), media_type=web.OPENAPI_JSON)


def openapi_json(request: Request) -> Response:
    """This API as OpenAPI 3.0."""
    return Response(web.json_bytes(document(request.app)), media_type=web.OPENAPI_JSON)


def _store_check(store: Store) -> str | None:
    """None when the store answers a read; else what failed, in words for the operator."""
    try:
        store.count("okrugs")
    except Exception as exc:  # any failure makes the server not ready; say which
        log.warning("readiness: the store failed: %s", exc)
        return f"{type(exc).__name__}: {exc}"
    return None


def health(request: Request) -> Response:
    """Readiness: ``ready`` when the store answers; else 503, ``readiness: degraded`` and
    what failed (``checks``).

    A load balancer routes to a server only while this answers 200; ``/health/live``
    says whether the process runs at all (restart it when that fails).
    """
    store: Store = request.app.state.store
    failed = _store_check(store)
    if failed is None:
        doc = {"status": "ready", "backend": store.backend, "checks": {"store": "ok"}}
        return web.json_response(doc)
    return problem_response(
        503,
        TITLES[503],
        f"the server is up but not ready: the {store.backend} store failed ({failed})",
        slug="not-ready",
        headers={"Retry-After": "5"},
        extra={"readiness": "degraded", "backend": store.backend, "checks": {"store": failed}},
    )


def live() -> dict[str, str]:
    """Liveness: the process answers HTTP; it reads nothing, so a lost database is not a
    reason to restart the server (``/health`` says whether it is ready)."""
    return {"status": "alive"}


def service_router(*, responses: dict[Any, Any]) -> APIRouter:
    """Health, the API definition and its documentation pages."""
    router = APIRouter(tags=["service"])
    openapi_content = {web.OPENAPI_JSON: {"schema": {"type": "object"}}}
    router.add_api_route(
        "/health",
        health,
        summary="Readiness: the store answers",
        responses={503: responses[503]},
        methods=["GET"],
    )
    router.add_api_route("/health/live", live, summary="Liveness", methods=["GET"])
    router.add_api_route(
        "/api",
        api,
        summary="The API definition",
        response_class=web.OpenAPIResponse,
        responses={
            200: {"content": {**openapi_content, "text/html": {}}},
            400: responses[400],
            406: responses[406],
        },
        methods=["GET"],
    )
    router.add_api_route(
        "/openapi.json",
        openapi_json,
        summary="The API definition (OpenAPI 3.0)",
        response_class=web.OpenAPIResponse,
        responses={200: {"content": openapi_content}},
        methods=["GET"],
    )
    router.add_api_route(
        "/api/redoc",
        redoc,
        summary="The API reference (ReDoc)",
        response_class=HTMLResponse,
        methods=["GET"],
    )
    return router


def install_docs_assets(app: FastAPI) -> None:
    """Serve the Swagger UI and ReDoc files of the installed package under STATIC_DOCS."""
    app.mount(STATIC_DOCS.rstrip("/"), StaticFiles(directory=_ASSETS), name="docs-assets")
