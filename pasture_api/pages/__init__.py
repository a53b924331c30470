"""Web pages for akimat officials and unions: maps, a union's page, downloads, browser sessions.

Pages
-----
``/login`` (GET form, POST), ``/logout`` (POST), ``/me``,
``/maps/overview``, ``/plans/{id}/map``, ``/plans/{id}/chart``,
``/pages/plans`` (list, new, progress, result, approve, withdraw, compare),
``/pages/history`` (edits, before and after; restore), ``/unions/{id}/census`` (form),
``/pages/ndvi-scenes`` (the NDVI scene catalogue with each scene's provenance),
``/pages/load`` (load against the legal norm and against forage, side by side),
``/unions/{id}`` and its downloads ``/unions/{id}/plots.{kml,geojson,csv,xlsx}``
and ``/unions/{id}/calendar.{kml,geojson,csv,xlsx}``.

Sessions
--------
``POST /login`` checks the password like ``POST /auth/token`` (same accounts,
same throttle) and stores the same JWT in an ``HttpOnly``, ``SameSite=Lax``
cookie (``Secure`` behind https). Page routes accept that cookie or a bearer
token; the API routes accept only bearer tokens, so a cookie can never
authorise an API write.

CSRF: the state-changing page requests are the login and logout forms, the
plan forms (new, approve, withdraw), the census form and 'restore', all POST. ``SameSite=Lax`` keeps the cookie off cross-site POSTs, and both
forms also refuse a request whose ``Origin`` (or ``Referer``) names another
site, which stops login CSRF (signing a victim into the attacker's account).
The other forms refuse another site's ``Origin`` the same way.

Without a valid session a page answers ``303 See Other`` to ``/login?next=…``
when the client asks for HTML; other clients get the usual 401
problem+json. Other errors on page routes render a short page with the same
status for browsers (:func:`install_page_errors`).

Layout: :mod:`.session` (cookie, sign-in/out, language, errors for browsers),
:mod:`.layout` (the Jinja2 environment and the context every page shares),
:mod:`.routes` (the pages), :mod:`.downloads` (the files) and :mod:`.data`
(what they read); the templates are ``pasture_api/templates/*.html``, autoescaped.

Scope is the API's (:mod:`api.scope`): a union's account sees only its own union page (another
union's answers 404, as if it did not exist), and its rotation map and chart
hold only its own herds' assignments and plots.
"""

from fastapi import APIRouter, Depends

from . import downloads, history, load, plans, routes, scenes, session
from .data import merge_calendar
from .routes import STATIC_LEAFLET
from .session import SESSION_COOKIE, LoginRequired, install_page_errors

__all__ = [
    "SESSION_COOKIE",
    "STATIC_LEAFLET",
    "LoginRequired",
    "install_page_errors",
    "merge_calendar",
    "pages_router",
]


def pages_router() -> APIRouter:
    """The HTML pages, their downloads and the browser login (not in the OpenAPI document)."""
    router = APIRouter(
        tags=["pages"], include_in_schema=False, dependencies=[Depends(session.mark_page)]
    )
    for part in (
        session.router,
        routes.router,
        downloads.router,
        plans.router,
        history.router,
        scenes.router,
        load.router,
    ):
        router.include_router(part)
    return router
