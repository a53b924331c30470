"""Browser sessions: the cookie, sign-in and sign-out, the page language, and errors for browsers."""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pasture.i18n import negotiate_language
from pasture.i18n import translator as get_translator
from pasture.store import Store

from ..auth import Principal, TokenService, live_principal
from ..deps import StoreDep, get_store
from ..errors import TooManyRequests, Unauthorized
from ..users import authenticate
from .layout import PageContext, language_links, render

__all__ = [
    "SESSION_COOKIE",
    "Ctx",
    "LangArg",
    "LoginRequired",
    "StoreArg",
    "install_page_errors",
    "language",
    "page_user",
    "router",
]

#: Name of the session cookie (it holds the same JWT that ``POST /auth/token`` returns).
SESSION_COOKIE = "jailym_session"

StoreArg = Annotated[Store, StoreDep]
LangArg = Annotated[
    str | None, Query(max_length=10, description="kk, ru or en; default from Accept-Language")
]

router = APIRouter(include_in_schema=False)


class LoginRequired(Unauthorized):
    """A page request without a valid session: browsers are sent to ``/login``."""


def language(request: Request, lang: str | None) -> str:
    """The page language: ``?lang=``, else Accept-Language, else Kazakh."""
    return negotiate_language(lang, request.headers.get("accept-language"))


def page_user(request: Request) -> Principal:
    """The caller from a bearer token or the session cookie; LoginRequired otherwise."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    token = token or request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired("sign in at /login (or send 'Authorization: Bearer <token>')")
    tokens: TokenService = request.app.state.tokens
    try:
        # the same rule as the API: the account must still hold the token's version
        return live_principal(get_store(request), tokens.check(token))
    except Unauthorized:
        raise LoginRequired(
            "your session has expired or is invalid; sign in again at /login"
        ) from None


def page_context(
    request: Request,
    store: StoreArg,
    user: Annotated[Principal, Depends(page_user)],
    lang: LangArg = None,
) -> PageContext:
    """The dependency of every signed-in page."""
    code = language(request, lang)
    return PageContext(user, code, get_translator(code), store, request)


Ctx = Annotated[PageContext, Depends(page_context)]


def _safe_next(target: str | None) -> str:
    """A local path to go to after login (never another site: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/me"
    return target


def same_origin(request: Request) -> bool:
    """Whether a form POST comes from this site (Origin, else Referer; absent counts as same)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return source is None
    parts = urlsplit(source)
    return parts.netloc == request.headers.get("host", request.url.netloc)


def _secure(request: Request) -> bool:
    configured = request.app.state.settings.public_base_url or ""
    return request.url.scheme == "https" or configured.startswith("https://")


def _login_form(lang: str, *, next_url: str, error: str = "", status: int = 200) -> HTMLResponse:
    t = get_translator(lang)
    return render(
        "login.html",
        lang=lang,
        title=t("Sign in"),
        status=status,
        t=t,
        error=error,
        next_url=next_url,
        languages=language_links("/login", {"lang": lang, "next": next_url}, lang),
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, lang: LangArg = None, next: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    """The sign-in form."""
    return _login_form(language(request, lang), next_url=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    store: StoreArg,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str | None, Form(max_length=2000)] = None,
    lang: LangArg = None,
) -> Response:
    """Check the password and set the session cookie; the form again on failure."""
    code = language(request, lang)
    t = get_translator(code)
    target = _safe_next(next)
    if not same_origin(request):
        return _login_form(
            code, next_url=target, error=t("Sign in from this site's own page."), status=403
        )
    limiter = request.app.state.login_limiter
    client = request.client.host if request.client else "unknown"
    key = f"{username}\x00{client}"
    try:
        limiter.check(key)
    except TooManyRequests as exc:
        page = _login_form(
            code,
            next_url=target,
            error=t("Too many failed attempts; wait a minute and try again."),
            status=429,
        )
        page.headers.update(exc.headers)
        return page
    account = authenticate(store, username, password)
    if account is None:
        limiter.failed(key)
        return _login_form(
            code, next_url=target, error=t("Wrong user name or password."), status=401
        )
    limiter.succeeded(key)
    return _signed_in(request, Principal.from_account(account), target, code)


def _signed_in(request: Request, user: Principal, target: str, lang: str) -> Response:
    """Go on to ``target`` with the session cookie set."""
    tokens: TokenService = request.app.state.tokens
    if target == "/me":
        target = f"/me?lang={lang}"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        tokens.issue(user),
        max_age=tokens.minutes * 60,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, lang: LangArg = None) -> Response:
    """Forget the session cookie and go back to the login page."""
    code = language(request, lang)
    if not same_origin(request):
        t = get_translator(code)
        title = t("Sign out")
        return render("message.html", lang=code, title=title, status=403, t=t, message=title)
    response = RedirectResponse(f"/login?lang={code}", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request)
    )
    return response


# ----------------------------------------------------------------------------- errors for browsers


def mark_page(request: Request) -> None:
    """Router dependency: errors of this request may be rendered as HTML for browsers."""
    request.state.html_page = True


def _wants_html(request: Request) -> bool:
    if not getattr(request.state, "html_page", False):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "application/xhtml+xml" in accept


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    query = {"next": target}
    if request.query_params.get("lang"):
        query["lang"] = request.query_params["lang"]
    return RedirectResponse(f"/login?{urlencode(query)}", status_code=303)


def install_page_errors(app: FastAPI) -> None:
    """Wrap the problem+json handlers: on page routes, browsers get a page with the same status.

    Call after :func:`api.errors.install_error_handlers`. The table stays the
    one source of statuses; only the body changes (and a missing session on a
    page becomes a redirect to the login page).
    """
    for cls, handler in list(app.exception_handlers.items()):
        app.exception_handlers[cls] = _page_aware(handler)


def _page_aware(
    handler: Callable[[Request, Exception], Response | Awaitable[Response]],
) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        if isinstance(exc, LoginRequired) and _wants_html(request):
            return _login_redirect(request)
        response = handler(request, exc)
        if inspect.isawaitable(response):
            response = await response
        if not _wants_html(request):
            return response
        return _error_page(request, response)

    return handle


def _error_page(request: Request, response: Response) -> Response:
    """The problem+json ``response`` as a short page with the same status and headers."""
    try:
        problem = json.loads(bytes(response.body))
    except ValueError:
        return response
    lang = language(request, request.query_params.get("lang"))
    t = get_translator(lang)
    title = f"{response.status_code} — {t('The page cannot be shown')}"
    page = render(
        "error.html",
        lang=lang,
        title=title,
        status=response.status_code,
        t=t,
        detail=problem.get("detail"),
    )
    for key, value in response.headers.items():
        if key.lower() not in ("content-type", "content-length"):
            page.headers[key] = value
    return page
