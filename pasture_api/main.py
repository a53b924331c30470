"""The application factory: settings in, a FastAPI app with its store opened in the lifespan."""

import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

import pasture
from pasture.store import Store

from .auth import LoginLimiter, TokenService, auth_router, generated_secret
from .errors import PROBLEM_MEDIA_TYPE, TITLES, install_error_handlers
from .layers import VersionCache, layers_router
from .management import management_router
from .middleware import AllowedMethods, BodyLimit, RefuseNul, TrustedProxies
from .ogc import ogc_router
from .openapi import openapi_30
from .pages import STATIC_LEAFLET, install_page_errors, pages_router
from .plans import plans_router
from .records import records_router
from .scenes import scenes_router
from .schemas import ProblemDetails
from .science import science_router
from .service import install_docs_assets, service_router
from .settings import DEFAULT_SECRET, Settings
from .tiles import tiles_router

__all__ = [
    "ConfigurationError",
    "app_from_environment",
    "check_startup",
    "create_app",
    "open_server_store",
    "openapi_30",
]

log = logging.getLogger("pasture_api")

#: The smallest secret that may sign tokens of a production store.
MIN_SECRET_CHARS = 32

#: Error responses routers pick from to document their operations.
PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {
        "model": ProblemDetails,
        "description": TITLES[code],
        "content": {PROBLEM_MEDIA_TYPE: {}},
    }
    for code in (400, 401, 403, 404, 406, 409, 412, 413, 422, 428, 429, 503)
}


class ConfigurationError(RuntimeError):
    """The settings cannot run this store (e.g. no secret for a production store)."""


def resolve_secret(settings: Settings, store: Store) -> str:
    """The key that signs tokens; a demo store may run on a generated one."""
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    if secret and secret != DEFAULT_SECRET and len(secret) >= MIN_SECRET_CHARS:
        return secret
    if store.get_meta("demo") is not None:
        log.warning(
            "PASTURE_SECRET_KEY is not set: using a generated key for the demo store; "
            "tokens become invalid when the server restarts"
        )
        return generated_secret()
    raise ConfigurationError(
        f"set PASTURE_SECRET_KEY to a random string of at least {MIN_SECRET_CHARS} characters "
        "(e.g. the output of `python -c 'import secrets; print(secrets.token_urlsafe(48))'`); "
        "a production store does not start without one"
    )


def open_server_store(settings: Settings, url: str) -> Store:
    """The server's store: it must exist (a typo in PASTURE_STORE is an error, never a new
    empty store), with the database settings' pool size and timeouts."""
    return pasture.open_store(
        url,
        create=False,
        accounts=settings.accounts,
        pool_size=settings.db_pool_size,
        connect_timeout_s=settings.db_connect_timeout_s,
        statement_timeout_s=settings.db_statement_timeout_s,
    )


def check_startup(settings: Settings) -> None:
    """What each server process does at startup, done once before any starts: open the
    store (it exists, its schema is brought up to date or refused as newer, the database
    answers) and resolve the secret. Raises what a worker's startup would raise."""
    store = open_server_store(settings, settings.store)
    try:
        resolve_secret(settings, store)
    finally:
        store.close()


def create_app(
    settings: Settings | None = None,
    *,
    open_store: Callable[[str], Store] | None = None,
) -> FastAPI:
    """The API for one store; ``open_store`` may be swapped (tests, other deployments)."""
    settings = settings or Settings()
    if open_store is None:
        open_store = partial(open_server_store, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await run_in_threadpool(open_store, settings.store)
        try:
            secret = await run_in_threadpool(resolve_secret, settings, store)
        except BaseException:
            store.close()
            raise
        executor = ThreadPoolExecutor(settings.plan_workers, thread_name_prefix="plan")
        app.state.store = store
        app.state.tokens = TokenService(secret, minutes=settings.token_minutes)
        app.state.login_limiter = LoginLimiter(settings.login_attempts_per_minute)
        app.state.plan_executor = executor
        try:
            yield
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
            store.close()

    app = FastAPI(
        title="Jailym pasture API",
        version="0.1.0",
        description="OGC API - Features for the pasture map; census, herds and grazing plans. "
        "Sign in at POST /auth/token and send `Authorization: Bearer <token>`, or, from a "
        "client that cannot send that header (QGIS 3.22), HTTP Basic authentication with "
        "your user name and the token as the password.",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.map_cache = VersionCache()
    install_error_handlers(app)
    # the last added runs first: proxies, then the body limit, then the NUL check
    app.add_middleware(AllowedMethods)
    app.add_middleware(RefuseNul)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(TrustedProxies, trusted=settings.trusted_proxies)
    app.add_middleware(GZipMiddleware, minimum_size=1000)  # pages and GeoJSON compress ~5-10x

    app.include_router(
        ogc_router(
            default_limit=settings.default_limit, max_limit=settings.max_limit, responses=PROBLEMS
        )
    )
    app.include_router(auth_router(responses=PROBLEMS))
    app.include_router(records_router(responses=PROBLEMS))
    app.include_router(plans_router(responses=PROBLEMS))
    app.include_router(management_router(responses=PROBLEMS))
    app.include_router(science_router(responses=PROBLEMS))
    app.include_router(scenes_router(responses=PROBLEMS))
    app.include_router(service_router(responses=PROBLEMS))
    app.include_router(tiles_router())
    app.include_router(layers_router())
    app.include_router(pages_router())
    install_page_errors(app)
    from pasture.maps import leaflet_asset_dir  # folium only for the pages

    app.mount(
        STATIC_LEAFLET.rstrip("/"), StaticFiles(directory=leaflet_asset_dir()), name="leaflet"
    )
    install_docs_assets(app)

    return app


def app_from_environment() -> FastAPI:
    """The app with every setting from PASTURE_* variables: the factory each worker of
    ``pasture serve --workers N`` calls (plain ``uvicorn ... --factory --workers N`` runs it
    too, but exits 0 when its workers fail to start)."""
    return create_app(Settings())
