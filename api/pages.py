"""Web pages for akimat officials and unions: maps, a union's page, downloads, browser sessions.

Pages
-----
``/login`` (GET form, POST), ``/logout`` (POST), ``/me``,
``/maps/overview``, ``/plans/{id}/map``, ``/plans/{id}/chart``,
``/unions/{id}`` and its downloads ``/unions/{id}/plots.{kml,geojson,csv,xlsx}``
and ``/unions/{id}/calendar.{kml,geojson,csv,xlsx}``.

Sessions
--------
``POST /login`` checks the password like ``POST /auth/token`` (same accounts,
same throttle) and stores the same JWT in an ``HttpOnly``, ``SameSite=Lax``
cookie (``Secure`` behind https). Page routes accept that cookie or a bearer
token; the API routes accept only bearer tokens, so a cookie can never
authorise an API write.

CSRF: the only state-changing page requests are the login and logout forms,
both POST. ``SameSite=Lax`` keeps the cookie off cross-site POSTs, and both
forms also refuse a request whose ``Origin`` (or ``Referer``) names another
site, which stops login CSRF (signing a victim into the attacker's account).
No CSRF tokens are needed while pages do not write data; a page that writes
would need one.

Without a valid session a page answers ``303 See Other`` to ``/login?next=…``
when the client asks for HTML; other clients get the usual 401
problem+json. Other errors on page routes render a short page with the same
status for browsers (:func:`install_page_errors`).

Scope is the API's: a union's account sees only its own union page (another
union's answers 404, as if it did not exist), and its rotation map and chart
hold only its own herds' assignments and plots.
"""

import html
import inspect
import io
import math
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import quote, urlencode, urlsplit

import pandas as pd
from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pasture.errors import NotFound
from pasture.i18n import LANGUAGE_NAMES, SUPPORTED_LANGUAGES, Translator, negotiate_language
from pasture.i18n import translator as get_translator
from pasture.model import SEASONS, SPECIES
from pasture.store import Store

from .auth import Principal, TokenService
from .deps import StoreDep
from .errors import TooManyRequests, Unauthorized
from .tiles import scene_for_day
from .users import Role, authenticate

if TYPE_CHECKING:
    import folium

__all__ = [
    "SESSION_COOKIE",
    "STATIC_LEAFLET",
    "LoginRequired",
    "install_page_errors",
    "merge_calendar",
    "pages_router",
]

#: Name of the session cookie (it holds the same JWT that ``POST /auth/token`` returns).
SESSION_COOKIE = "jailym_session"
#: Where the app serves Leaflet from (:func:`pasture.maps.leaflet_asset_dir`).
STATIC_LEAFLET = "/static/leaflet/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ShadeBy = Literal["season", "load", "trend"]
Season = Literal["winter", "spring", "summer", "autumn"]
assert set(SEASONS) == {"winter", "spring", "summer", "autumn"}


class LoginRequired(Unauthorized):
    """A page request without a valid session: browsers are sent to ``/login``."""


# ----------------------------------------------------------------------------- request context


@dataclass(frozen=True)
class PageContext:
    """What every page needs: the caller, the language and the store."""

    user: Principal
    lang: str
    t: Translator
    store: Store
    request: Request

    def url(self, path: str, **params: Any) -> str:
        """A link within the site that keeps the page language."""
        query = {k: v for k, v in params.items() if v is not None}
        query["lang"] = self.lang
        return f"{path}?{urlencode(query)}"


def _mark_page(request: Request) -> None:
    """Router dependency: errors of this request may be rendered as HTML for browsers."""
    request.state.html_page = True


def _language(request: Request, lang: str | None) -> str:
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
        return tokens.check(token)
    except Unauthorized:
        raise LoginRequired(
            "your session has expired or is invalid; sign in again at /login"
        ) from None


def _safe_next(target: str | None) -> str:
    """A local path to go to after login (never another site: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/me"
    return target


def _same_origin(request: Request) -> bool:
    """Whether a form POST comes from this site (Origin, else Referer; absent counts as same)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return source is None
    parts = urlsplit(source)
    return parts.netloc == request.headers.get("host", request.url.netloc)


def _secure(request: Request) -> bool:
    configured = request.app.state.settings.public_base_url or ""
    return request.url.scheme == "https" or configured.startswith("https://")


# ----------------------------------------------------------------------------- HTML pieces

_BASE_CSS = """
html, body { margin: 0; padding: 0; font: 14px/1.4 system-ui, sans-serif; color: #222; }
.jailym-bar { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem 1rem;
  padding: .35rem .8rem; background: #24543a; color: #fff; min-height: 2.6rem; box-sizing: border-box; }
.jailym-bar h1 { font-size: 1.1rem; margin: 0 1rem 0 0; }
.jailym-bar a, .jailym-bar button.link { color: #fff; }
.jailym-bar form { display: inline-flex; gap: .3rem; align-items: center; margin: 0; }
.jailym-bar select, .jailym-bar input, .jailym-bar button { font: inherit; }
.jailym-langs a[aria-current] { font-weight: bold; text-decoration: none; }
button.link { background: none; border: 0; padding: 0; text-decoration: underline; cursor: pointer; }
"""

_MAP_PAGE_CSS = """
html, body { height: 100%; }
.folium-map { position: absolute !important; top: 2.6rem !important; bottom: 0; left: 0; right: 0;
  height: auto !important; width: 100% !important; }
"""

_UNION_CSS = """
html, body { height: auto !important; }
body { display: flex; flex-direction: column; }
.jailym-bar { order: 0; }
.folium-map { order: 1; position: relative !important; height: 55vh !important; width: 100% !important; }
.jailym-content { order: 2; padding: .5rem 1rem 2rem; max-width: 60rem; }
.jailym-content h2 { font-size: 1.1rem; margin: 1.2rem 0 .4rem; border-bottom: 1px solid #ccc; }
.jailym-content table { border-collapse: collapse; }
.jailym-content td, .jailym-content th { border: 1px solid #bbb; padding: .15rem .45rem; text-align: left; }
.jailym-content td.num, .jailym-content th.num { text-align: right; }
.jailym-downloads a { margin-right: .8rem; }
@page { size: A4; margin: 12mm; }
@media print {
  html, body { width: 186mm; font-size: 9pt; }
  .no-print, .leaflet-control-layers, .leaflet-control-zoom { display: none !important; }
  .jailym-bar { background: none; color: #000; padding: 0; min-height: 0; }
  .jailym-bar a { color: #000; }
  .folium-map { height: 110mm !important; width: 186mm !important; break-inside: avoid; }
  .jailym-content { padding: 0; max-width: none; }
  tr, .pasture-legend { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""

_PLAIN_CSS = """
body { margin: 0; }
main { padding: 1rem; max-width: 70rem; }
.jailym-login { max-width: 22rem; margin: 3rem auto; padding: 1.5rem; border: 1px solid #ccc; border-radius: 6px; }
.jailym-login label { display: block; margin: .6rem 0 .2rem; }
.jailym-login input { width: 100%; box-sizing: border-box; padding: .35rem; font: inherit; }
.jailym-login button { margin-top: 1rem; padding: .4rem 1.2rem; font: inherit; }
.jailym-error { color: #a40000; }
.pasture-grazing-chart td { width: 12px; height: 12px; border: 1px solid #fff; }
.pasture-grazing-chart th { font-weight: normal; font-size: 11px; text-align: right; padding-right: 4px; }
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _lang_links(ctx_lang: str, request: Request) -> str:
    parts = []
    for code in SUPPORTED_LANGUAGES:
        params = dict(request.query_params)
        params["lang"] = code
        href = f"{request.url.path}?{urlencode(params)}"
        current = ' aria-current="true"' if code == ctx_lang else ""
        parts.append(
            f'<a href="{_e(href)}" hreflang="{code}" lang="{code}"{current}>{_e(LANGUAGE_NAMES[code])}</a>'
        )
    return f'<nav class="jailym-langs no-print" aria-label="language">{" ".join(parts)}</nav>'


def _logout_form(t: Translator) -> str:
    return (
        '<form class="no-print" method="post" action="/logout">'
        f'<button class="link" type="submit">{_e(t("Sign out"))}</button></form>'
    )


def _bar(ctx: PageContext, title: str, extra: str = "") -> str:
    t = ctx.t
    home = (
        ctx.url(f"/unions/{quote(ctx.user.union_id)}")
        if ctx.user.union_id
        else ctx.url("/maps/overview")
    )
    nav = f'<a class="no-print" href="{_e(ctx.url("/maps/overview"))}">{_e(t("Pasture overview"))}</a>'
    if ctx.user.union_id:
        nav += f' <a class="no-print" href="{_e(home)}">{_e(t("My union"))}</a>'
    return (
        f'<header class="jailym-bar"><h1>{_e(title)}</h1>{nav}{extra}'
        f'<span style="flex:1"></span>{_lang_links(ctx.lang, ctx.request)}'
        f'<span class="no-print">{_e(ctx.user.username)}</span>{_logout_form(t)}</header>'
    )


def _plain_page(lang: str, title: str, body: str, *, status: int = 200) -> HTMLResponse:
    page = (
        f'<!DOCTYPE html><html lang="{_e(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_BASE_CSS}{_PLAIN_CSS}</style></head>"
        f"<body>{body}</body></html>"
    )
    return HTMLResponse(page, status_code=status)


def _map_page(m: "folium.Map", *, css: str, before: str, after: str = "") -> HTMLResponse:
    """The folium page with our bar before the map, content after it and the page CSS."""
    from branca.element import Element

    figure = m.get_root()
    figure.header.add_child(Element(f"<style>{_BASE_CSS}{css}</style>"), name="jailym_css")  # type: ignore[attr-defined]
    figure.html.add_child(Element(before), name="jailym_bar")  # type: ignore[attr-defined]
    if after:
        figure.html.add_child(Element(after), name="jailym_content")  # type: ignore[attr-defined]
    return HTMLResponse(figure.render())


def _map_options(request: Request) -> dict[str, Any]:
    """Leaflet from this server; the basemap from the settings (empty: none, fully offline)."""
    from pasture.maps import Assets
    from pasture.maps.style import BASEMAP_ATTRIBUTION, DEFAULT_BASEMAP

    settings = request.app.state.settings
    url = getattr(settings, "basemap_url", DEFAULT_BASEMAP) or None
    attribution = (
        BASEMAP_ATTRIBUTION
        if url and "openstreetmap" in url
        else (urlsplit(url).netloc if url else "")
    )
    base = (settings.public_base_url or "").rstrip("/")
    return {
        "assets": Assets.served(base + STATIC_LEAFLET),
        "basemap": url,
        "basemap_attribution": attribution or "basemap",
    }


def _table(
    header: list[str], rows: Iterable[list[Any]], *, numeric: Iterable[int] = (), caption: str = ""
) -> str:
    nums = set(numeric)
    head = "".join(
        f'<th{" class=num" if i in nums else ""} scope="col">{_e(h)}</th>'
        for i, h in enumerate(header)
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=num' if i in nums else ''}>{_e(v)}</td>" for i, v in enumerate(r))
        + "</tr>"
        for r in rows
    )
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# ----------------------------------------------------------------------------- data


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _day(value: Any) -> date | None:
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def merge_calendar(assignments: pd.DataFrame) -> pd.DataFrame:
    """Consecutive weeks of one herd on the same plot as one row: herd, plot, start, end, weeks.

    Rows without a plot (a herd the plan could not place) are merged the same
    way and keep an empty ``plot_id``.
    """
    cols = ["herd_id", "union_id", "plot_id", "start", "end", "weeks", "sheep_units"]
    if assignments.empty:
        return pd.DataFrame(columns=cols)
    a = assignments.sort_values(["herd_id", "period"]).reset_index(drop=True)
    plot = a["plot_id"].astype(object).where(a["plot_id"].notna(), "").astype(str)
    herd = a["herd_id"].astype(str)
    period = a["period"].astype(int)
    new_run = (herd != herd.shift()) | (plot != plot.shift()) | (period != period.shift() + 1)
    a = a.assign(_plot=plot, _run=new_run.cumsum())
    out = a.groupby("_run", sort=True).agg(
        herd_id=("herd_id", "first"),
        union_id=("union_id", "first"),
        plot_id=("_plot", "first"),
        start=("start", "min"),
        end=("end", "max"),
        weeks=("period", "size"),
        sheep_units=("sheep_units", "max"),
    )
    out = out.sort_values(["start", "herd_id"]).reset_index(drop=True)
    return out[cols]


def _chosen_plan(store: Store, plan_id: str | None) -> dict[str, Any] | None:
    """The plan asked for, else the latest approved one, else the latest draft."""
    plans = store.read_rows("plans")
    if plan_id is not None:
        row = plans[plans["id"] == plan_id]
        if row.empty:
            raise NotFound(f"no plan {plan_id!r}; list them at /plans")
        return dict(row.iloc[0])
    usable = plans[plans["state"].isin(["approved", "draft"])]
    if usable.empty:
        return None
    usable = usable.assign(_approved=usable["state"] == "approved").sort_values(
        ["_approved", "season_year", "created_at"]
    )
    return dict(usable.iloc[-1])


def _scoped_assignments(store: Store, plan_id: str, union_id: str | None) -> pd.DataFrame:
    from pasture.planning import plan_frames

    frames = plan_frames(store, plan_id)
    a = frames.assignments
    if union_id is not None:
        a = a[a["union_id"] == union_id]
    return a.reset_index(drop=True)


def _union_row(ctx: PageContext, union_id: str) -> dict[str, Any]:
    """The union, if the caller may see it; the same 404 as a missing one otherwise."""
    if ctx.user.role is Role.UNION and ctx.user.union_id != union_id:
        raise NotFound(f"no union {union_id!r}")
    rows = ctx.store.read("unions", where={"id": union_id})
    if rows.empty:
        raise NotFound(f"no union {union_id!r}")
    return dict(rows.drop(columns="geometry").iloc[0])


def _herd_names(store: Store, union_id: str | None) -> dict[str, str]:
    where = {"union_id": union_id} if union_id else None
    herds = store.read("herds", where=where)
    return {str(i): str(n or i) for i, n in zip(herds["id"], herds["name"], strict=True)}


# ----------------------------------------------------------------------------- downloads


def _download(data: bytes | str, media_type: str, filename: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _vector_file(frame: Any, fmt: str, layer: str, *, name_field: str) -> bytes:
    """GeoJSON (RFC 7946) or KML bytes of a GeoDataFrame in EPSG:4326, written by GDAL."""
    import pyogrio

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{layer}.{fmt}"
        if fmt == "kml":
            pyogrio.write_dataframe(
                frame, path, driver="KML", layer=layer, dataset_options={"NameField": name_field}
            )
        else:
            pyogrio.write_dataframe(
                frame, path, driver="GeoJSON", layer=layer, RFC7946="YES", WRITE_NAME="NO"
            )
        return path.read_bytes()


def _xlsx(frame: pd.DataFrame, sheet: str) -> bytes:
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False, sheet_name=sheet)
    return buffer.getvalue()


_PLOT_EXPORT = ["id", "name", "union_id", "okrug_id", "seasons", "pasture_type", "area_ha"]


def _plots_download(plots: Any, fmt: str, union_id: str) -> Response:
    frame = plots[[c for c in _PLOT_EXPORT if c in plots.columns] + ["geometry"]]
    name = f"{union_id}-plots.{fmt}"
    if fmt == "kml":
        data = _vector_file(frame, "kml", "plots", name_field="id")
        return _download(data, "application/vnd.google-earth.kml+xml", name)
    if fmt == "geojson":
        return _download(
            _vector_file(frame, "geojson", "plots", name_field="id"), "application/geo+json", name
        )
    points = frame.geometry.representative_point()
    table = pd.DataFrame(frame.drop(columns="geometry")).assign(
        lon=points.x.round(6), lat=points.y.round(6)
    )
    if fmt == "csv":
        return _download(table.to_csv(index=False), "text/csv; charset=utf-8", name)
    return _download(_xlsx(table, "plots"), XLSX, name)


def _calendar_table(calendar: pd.DataFrame, herd_names: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "herd_id": calendar["herd_id"].astype(str),
            "herd": [herd_names.get(str(h), str(h)) for h in calendar["herd_id"]],
            "plot_id": calendar["plot_id"],
            "start": [d.isoformat() if (d := _day(v)) else "" for v in calendar["start"]],
            "end": [d.isoformat() if (d := _day(v)) else "" for v in calendar["end"]],
            "weeks": calendar["weeks"].astype(int),
            "sheep_units": calendar["sheep_units"],
        }
    )


def _calendar_download(
    store: Store, calendar: pd.DataFrame, herd_names: Mapping[str, str], fmt: str, stem: str
) -> Response:
    import geopandas as gpd

    table = _calendar_table(calendar, herd_names)
    name = f"{stem}.{fmt}"
    if fmt == "csv":
        return _download(table.to_csv(index=False), "text/csv; charset=utf-8", name)
    if fmt == "xlsx":
        return _download(_xlsx(table, "calendar"), XLSX, name)
    placed = table[table["plot_id"] != ""]
    plot_ids = sorted(set(placed["plot_id"]))
    plots = store.read("plots", ids=plot_ids) if plot_ids else None
    geoms = dict(zip(plots["id"], plots.geometry, strict=True)) if plots is not None else {}
    frame = gpd.GeoDataFrame(
        placed.assign(
            name=[
                f"{h}: {p} ({s} – {e})"
                for h, p, s, e in zip(
                    placed["herd"], placed["plot_id"], placed["start"], placed["end"], strict=True
                )
            ]
        ),
        geometry=[geoms.get(p) for p in placed["plot_id"]],
        crs=4326,
    )
    media = "application/vnd.google-earth.kml+xml" if fmt == "kml" else "application/geo+json"
    return _download(_vector_file(frame, fmt, "calendar", name_field="name"), media, name)


# ----------------------------------------------------------------------------- errors for browsers


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
        import json

        try:
            problem = json.loads(bytes(response.body))
        except ValueError:
            return response
        lang = _language(request, request.query_params.get("lang"))
        t = get_translator(lang)
        title = f"{response.status_code} — {t('The page cannot be shown')}"
        body = (
            f'<main><h1>{_e(title)}</h1><p class="jailym-error">{_e(problem.get("detail"))}</p>'
            f'<p><a href="/me?lang={lang}">{_e(t("Back to the start page"))}</a></p></main>'
        )
        page = _plain_page(lang, title, body, status=response.status_code)
        for key, value in response.headers.items():
            if key.lower() not in ("content-type", "content-length"):
                page.headers[key] = value
        return page

    return handle


# ----------------------------------------------------------------------------- router


def pages_router(*, store_dependency: Any = StoreDep) -> APIRouter:
    """The HTML pages, their downloads and the browser login (not in the OpenAPI document)."""
    router = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[Depends(_mark_page)])
    StoreArg = Annotated[Store, store_dependency]  # noqa: N806
    LangArg = Annotated[  # noqa: N806
        str | None, Query(max_length=10, description="kk, ru or en; default from Accept-Language")
    ]

    def context(
        request: Request,
        store: StoreArg,
        user: Annotated[Principal, Depends(page_user)],
        lang: LangArg = None,
    ) -> PageContext:
        code = _language(request, lang)
        return PageContext(user, code, get_translator(code), store, request)

    Ctx = Annotated[PageContext, Depends(context)]  # noqa: N806

    # ---- sessions

    def login_form(lang: str, *, next_url: str, error: str = "", status: int = 200) -> HTMLResponse:
        t = get_translator(lang)
        message = f'<p class="jailym-error" role="alert">{_e(error)}</p>' if error else ""
        body = (
            f'<header class="jailym-bar"><h1>{_e(t("Jailym: pasture management"))}</h1>'
            f'<span style="flex:1"></span>{_lang_links_static(lang, next_url)}</header>'
            f'<main><form class="jailym-login" method="post" action="/login?lang={lang}">'
            f"<h2>{_e(t('Sign in'))}</h2>{message}"
            f'<label for="username">{_e(t("User name"))}</label>'
            '<input id="username" name="username" autocomplete="username" required>'
            f'<label for="password">{_e(t("Password"))}</label>'
            '<input id="password" name="password" type="password" autocomplete="current-password" required>'
            f'<input type="hidden" name="next" value="{_e(next_url)}">'
            f'<button type="submit">{_e(t("Sign in"))}</button></form></main>'
        )
        return _plain_page(lang, t("Sign in"), body, status=status)

    @router.get("/login", response_class=HTMLResponse)
    def login_page(
        request: Request, lang: LangArg = None, next: Annotated[str | None, Query()] = None
    ) -> HTMLResponse:
        """The sign-in form."""
        return login_form(_language(request, lang), next_url=_safe_next(next))

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
        code = _language(request, lang)
        t = get_translator(code)
        target = _safe_next(next)
        if not _same_origin(request):
            return login_form(
                code, next_url=target, error=t("Sign in from this site's own page."), status=403
            )
        limiter = request.app.state.login_limiter
        client = request.client.host if request.client else "unknown"
        key = f"{username}\x00{client}"
        try:
            limiter.check(key)
        except TooManyRequests as exc:
            page = login_form(
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
            return login_form(
                code, next_url=target, error=t("Wrong user name or password."), status=401
            )
        limiter.succeeded(key)
        tokens: TokenService = request.app.state.tokens
        token = tokens.issue(Principal.from_account(account))
        if target == "/me":
            target = f"/me?lang={code}"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
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
        code = _language(request, lang)
        if not _same_origin(request):
            t = get_translator(code)
            return _plain_page(code, t("Sign out"), f"<main>{_e(t('Sign out'))}</main>", status=403)
        response = RedirectResponse(f"/login?lang={code}", status_code=303)
        response.delete_cookie(
            SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request)
        )
        return response

    @router.get("/me")
    def me(ctx: Ctx) -> RedirectResponse:
        """A union's own page; the district overview for akimat and analysts."""
        if ctx.user.union_id:
            return RedirectResponse(ctx.url(f"/unions/{quote(ctx.user.union_id)}"), 303)
        return RedirectResponse(ctx.url("/maps/overview"), 303)

    # ---- overview

    @router.get("/maps/overview", response_class=HTMLResponse)
    def overview(
        ctx: Ctx,
        shade: Annotated[ShadeBy, Query(description="plot fill")] = "season",
        ndvi: Annotated[
            date | None, Query(description="NDVI date (nearest scene on or before)")
        ] = None,
        season: Annotated[Season | None, Query()] = None,
        year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    ) -> HTMLResponse:
        """The district: okrugs, unions, plots (by season, load or trend), water, routes, NDVI."""
        from pasture.maps import overview_map

        store, t = ctx.store, ctx.t
        layers = {n: store.read(n) for n in ("plots", "okrugs", "unions", "water_points", "routes")}
        load = store.read_rows("load")
        load = load[load["level"] == "plot"] if not load.empty else None
        capacity = store.read_rows("capacity")
        trends = store.read_rows("trends")
        scene_days = _scene_days(store)
        tiles = scene_day = None
        if ndvi is not None:
            scene_day = _day(scene_for_day(store, ndvi, on_or_before=True)["date"])
            assert scene_day is not None
            tiles = f"/tiles/ndvi/{scene_day.isoformat()}/{{z}}/{{x}}/{{y}}.png"
        m = overview_map(
            layers["plots"],
            okrugs=layers["okrugs"],
            unions=layers["unions"],
            water=layers["water_points"],
            routes=layers["routes"],
            capacity=capacity if not capacity.empty else None,
            load=load,
            trends=trends if not trends.empty else None,
            shade_by=shade,
            year=year,
            season=season,
            ndvi_tiles=tiles,
            ndvi_attribution=t("NDVI (vegetation index)"),
            lang=ctx.lang,
            title=t("Pasture overview"),
            **_map_options(ctx.request),
        )
        if tiles:
            _show_overlay(m, t("NDVI (vegetation index)"))
        controls = _overview_controls(ctx, shade, scene_days, scene_day, season)
        unions = layers["unions"]
        links = " ".join(
            f'<a href="{_e(ctx.url(f"/unions/{quote(str(u))}"))}">{_e(n)}</a>'
            for u, n in zip(unions["id"], unions["name"], strict=True)
        )
        if ctx.user.role is not Role.UNION:
            controls += (
                f'<details class="no-print"><summary>{_e(t("Unions of pasture users"))}</summary>'
                f'<div style="position:absolute;z-index:2000;background:#24543a;padding:.4rem;'
                f'display:flex;flex-direction:column">{links}</div></details>'
            )
        return _map_page(m, css=_MAP_PAGE_CSS, before=_bar(ctx, t("Pasture overview"), controls))

    # ---- plans

    @router.get("/plans/{plan_id}/map", response_class=HTMLResponse)
    def plan_map(
        ctx: Ctx,
        plan_id: str,
        week: Annotated[
            int | None, Query(ge=0, description="index of the week shown first")
        ] = None,
    ) -> HTMLResponse:
        """A rotation plan week by week (a union sees only its own herds and plots)."""
        from pasture.maps import rotation_map

        plan = _chosen_plan(ctx.store, plan_id)
        assert plan is not None
        union = ctx.user.union_id if ctx.user.role is Role.UNION else None
        assignments = _scoped_assignments(ctx.store, plan_id, union)
        plots = ctx.store.read("plots")
        if union is not None:
            used = set(assignments["plot_id"].dropna().astype(str))
            plots = plots[(plots["union_id"] == union) | plots["id"].isin(used)]
        if assignments.empty:
            raise NotFound(f"plan {plan_id!r} has no assignments to show")
        cols = [c for c in ("period", "start", "end", "season") if c in assignments]
        periods = assignments[cols].drop_duplicates("period")
        t = ctx.t
        title = f"{t('Pasture rotation')}: {plan_id}"
        m = rotation_map(
            plots,
            assignments,
            periods,
            herds=ctx.store.read("herds", where={"union_id": union} if union else None),
            week=week,
            lang=ctx.lang,
            title=title,
            **_map_options(ctx.request),
        )
        chart = f' <a class="no-print" href="{_e(ctx.url(f"/plans/{quote(plan_id)}/chart"))}">{_e(t("Grazing calendar"))}</a>'
        return _map_page(m, css=_MAP_PAGE_CSS, before=_bar(ctx, title, chart))

    @router.get("/plans/{plan_id}/chart")
    def plan_chart(
        ctx: Ctx,
        plan_id: str,
        f: Annotated[Literal["html", "png", "svg"], Query(description="html, png or svg")] = "html",
    ) -> Response:
        """The grazing calendar of a plan: plots × weeks coloured by herd (HTML, PNG or SVG)."""
        from pasture.maps import grazing_chart

        _chosen_plan(ctx.store, plan_id)
        union = ctx.user.union_id if ctx.user.role is Role.UNION else None
        assignments = _scoped_assignments(ctx.store, plan_id, union)
        names = _herd_names(ctx.store, union)
        t = ctx.t
        title = f"{t('Grazing calendar')}: {plan_id}"
        if f == "png":
            png = grazing_chart(
                assignments, fmt="png", lang=ctx.lang, herd_names=names, title=title
            )
            return Response(png, media_type="image/png")
        if f == "svg":
            svg = grazing_chart(
                assignments, fmt="svg", lang=ctx.lang, herd_names=names, title=title
            )
            return Response(svg, media_type="image/svg+xml")
        table = grazing_chart(assignments, fmt="html", lang=ctx.lang, herd_names=names, title=title)
        links = (
            f' <a class="no-print" href="{_e(ctx.url(f"/plans/{quote(plan_id)}/map"))}">{_e(t("Pasture rotation"))}</a>'
            f' <a class="no-print" href="{_e(ctx.url(f"/plans/{quote(plan_id)}/chart", f="png"))}">PNG</a>'
            f' <a class="no-print" href="{_e(ctx.url(f"/plans/{quote(plan_id)}/chart", f="svg"))}">SVG</a>'
        )
        return _plain_page(ctx.lang, title, _bar(ctx, title, links) + f"<main>{table}</main>")

    # ---- unions

    @router.get("/unions/{union_id}", response_class=HTMLResponse)
    def union_page(
        ctx: Ctx, union_id: str, plan: Annotated[str | None, Query(max_length=100)] = None
    ) -> HTMLResponse:
        """A union's plots on a map, its grazing calendar, herds, census and deficits; prints on A4."""
        from pasture.maps import union_map

        union = _union_row(ctx, union_id)
        store, t = ctx.store, ctx.t
        plots = store.read("plots")
        unions = store.read("unions")
        load = store.read_rows("load")
        m = union_map(
            plots,
            union_id,
            unions=unions,
            okrugs=store.read("okrugs"),
            water=store.read("water_points"),
            routes=store.read("routes"),
            capacity=_or_none(store.read_rows("capacity")),
            load=load[load["level"] == "plot"] if not load.empty else None,
            trends=_or_none(store.read_rows("trends")),
            lang=ctx.lang,
            title=str(union.get("name") or union_id),
            **_map_options(ctx.request),
        )
        content = _union_content(ctx, union_id, plots[plots["union_id"] == union_id], plan)
        print_button = f'<button class="no-print" type="button" onclick="window.print()">{_e(t("Print"))}</button>'
        return _map_page(
            m,
            css=_UNION_CSS,
            before=_bar(ctx, str(union.get("name") or union_id), print_button),
            after=content,
        )

    @router.get("/unions/{union_id}/plots.{fmt}")
    def union_plots(
        ctx: Ctx, union_id: str, fmt: Literal["kml", "geojson", "csv", "xlsx"]
    ) -> Response:
        """The union's plots as KML (Google Earth), GeoJSON, CSV or XLSX."""
        _union_row(ctx, union_id)
        plots = ctx.store.read("plots", where={"union_id": union_id})
        return _plots_download(plots, fmt, union_id)

    @router.get("/unions/{union_id}/calendar.{fmt}")
    def union_calendar(
        ctx: Ctx,
        union_id: str,
        fmt: Literal["kml", "geojson", "csv", "xlsx"],
        plan: Annotated[str | None, Query(max_length=100)] = None,
    ) -> Response:
        """The union's grazing calendar (merged weeks) as CSV, XLSX, GeoJSON or KML."""
        _union_row(ctx, union_id)
        chosen = _chosen_plan(ctx.store, plan)
        if chosen is None:
            raise NotFound("there is no draft or approved plan yet")
        calendar = merge_calendar(_scoped_assignments(ctx.store, str(chosen["id"]), union_id))
        names = _herd_names(ctx.store, union_id)
        return _calendar_download(
            ctx.store, calendar, names, fmt, f"{union_id}-calendar-{chosen['id']}"
        )

    return router


# ----------------------------------------------------------------------------- page parts


def _or_none(frame: pd.DataFrame) -> pd.DataFrame | None:
    return None if frame.empty else frame


def _scene_days(store: Store) -> list[date]:
    scenes = store.read_rows("scenes")
    return sorted({d for d in (_day(v) for v in scenes["date"]) if d is not None})


def _show_overlay(m: "folium.Map", name: str) -> None:
    """Switch on an overlay the builder adds hidden (the NDVI layer when a date was asked for)."""
    import folium
    from branca.element import Element

    for child in m._children.values():
        if isinstance(child, folium.TileLayer) and child.layer_name == name:
            script = (
                'document.addEventListener("DOMContentLoaded", function () {'
                f"{child.get_name()}.addTo({m.get_name()}); }});"
            )
            m.get_root().script.add_child(Element(script), name="jailym_show_ndvi")  # type: ignore[attr-defined]


def _overview_controls(
    ctx: PageContext,
    shade: str,
    scene_days: list[date],
    scene_day: date | None,
    season: str | None,
) -> str:
    t = ctx.t
    shades = [
        ("season", t("Season of use")),
        ("load", t("Load against capacity")),
        ("trend", t("Degradation trend")),
    ]
    shade_opts = "".join(
        f'<option value="{k}"{" selected" if k == shade else ""}>{_e(label)}</option>'
        for k, label in shades
    )
    season_opts = f'<option value="">{_e(t("All seasons"))}</option>' + "".join(
        f'<option value="{s}"{" selected" if s == season else ""}>{_e(t.season(s))}</option>'
        for s in SEASONS
    )
    ndvi_opts = f'<option value="">{_e(t("No NDVI"))}</option>' + "".join(
        f'<option value="{d.isoformat()}"{" selected" if d == scene_day else ""}>'
        f"{_e(t.date(d))}</option>"
        for d in reversed(scene_days)
    )
    return (
        f'<form class="no-print jailym-controls" method="get" action="/maps/overview">'
        f'<input type="hidden" name="lang" value="{ctx.lang}">'
        f'<label>{_e(t("Shade plots by"))} <select name="shade">{shade_opts}</select></label>'
        f'<label>{_e(t("Season"))} <select name="season">{season_opts}</select></label>'
        f'<label>NDVI <select name="ndvi">{ndvi_opts}</select></label>'
        f'<button type="submit">{_e(t("Show"))}</button></form>'
    )


def _species_labels(t: Translator) -> list[str]:
    """Column heads of the species, in the order of :data:`pasture.model.SPECIES`."""
    labels = {
        "sheep": t("Sheep"),
        "goats": t("Goats"),
        "cattle": t("Cattle"),
        "horses": t("Horses"),
        "camels": t("Camels"),
    }
    return [labels[s] for s in SPECIES]


def _lang_links_static(lang: str, next_url: str) -> str:
    parts = []
    for code in SUPPORTED_LANGUAGES:
        href = f"/login?{urlencode({'lang': code, 'next': next_url})}"
        current = ' aria-current="true"' if code == lang else ""
        parts.append(
            f'<a href="{_e(href)}" hreflang="{code}" lang="{code}"{current}>{_e(LANGUAGE_NAMES[code])}</a>'
        )
    return f'<nav class="jailym-langs" aria-label="language">{" ".join(parts)}</nav>'


def _union_content(ctx: PageContext, union_id: str, plots: Any, plan_id: str | None) -> str:
    """Calendar, herds, census and deficits of one union, and its downloads."""
    store, t = ctx.store, ctx.t
    parts = ['<section class="jailym-content">']
    area = float(plots["area_ha"].fillna(0).sum()) if len(plots) else 0.0
    count = t.ngettext("{n} plot", "{n} plots", len(plots)).format(n=len(plots))
    parts.append(f"<p>{_e(count)}, {_e(t.quantity(area, 'ha'))}</p>")

    chosen = _chosen_plan(store, plan_id)
    names = _herd_names(store, union_id)
    parts.append(f"<h2>{_e(t('Grazing calendar'))}</h2>")
    calendar = pd.DataFrame()
    if chosen is None:
        parts.append(f"<p>{_e(t('There is no grazing plan yet.'))}</p>")
    else:
        pid = str(chosen["id"])
        state = t("approved") if chosen["state"] == "approved" else t("draft")
        plan_link = f'<a href="{_e(ctx.url(f"/plans/{quote(pid)}/map"))}">{_e(pid)}</a>'
        parts.append(f"<p>{_e(t('Plan'))}: {plan_link} ({_e(state)})</p>")
        calendar = merge_calendar(_scoped_assignments(store, pid, union_id))
        rows = [
            [
                names.get(str(r.herd_id), str(r.herd_id)),
                r.plot_id or t("not placed"),
                t.date(r.start),
                t.date(r.end),
                t.number(r.weeks),
                t.number(r.sheep_units),
            ]
            for r in calendar.itertuples()
        ]
        parts.append(
            _table(
                [t("Herd"), t("Plot"), t("From"), t("To"), t("Weeks"), t("sheep units")],
                rows,
                numeric=(4, 5),
            )
            if rows
            else f"<p>{_e(t('No herd of this union is in the plan.'))}</p>"
        )
        deficits = store.read_rows("deficits", where={"plan_id": pid, "union_id": union_id})
        deficits = deficits[deficits["deficit_kg"] > 0].sort_values("period")
        parts.append(f"<h2>{_e(t('Forage deficit'))}</h2>")
        if deficits.empty:
            parts.append(f"<p>{_e(t('The plan covers all herds of this union.'))}</p>")
        else:
            rows = [
                [
                    t.number(r.period),
                    t.date(r.start),
                    t.number(r.deficit_kg),
                    t.number(r.sheep_units_to_move),
                    t.number(r.feed_kg_dm),
                ]
                for r in deficits.itertuples()
            ]
            parts.append(
                _table(
                    [
                        t("Week"),
                        t("From"),
                        t("Deficit, kg"),
                        t("Sheep units to move"),
                        t("Feed needed, kg DM"),
                    ],
                    rows,
                    numeric=(0, 2, 3, 4),
                )
            )

    herds = store.read("herds", where={"union_id": union_id})
    parts.append(f"<h2>{_e(t('Herds'))}</h2>")
    species_labels = _species_labels(t)
    rows = [
        [names.get(str(h["id"]), str(h["id"])), *(t.number(h[s]) for s in SPECIES)]
        for h in herds.to_dict("records")
    ]
    if rows:
        totals = [t("Total"), *(t.number(herds[s].sum()) for s in SPECIES)]
        rows.append(totals)
    parts.append(_table([t("Herd"), *species_labels], rows, numeric=range(1, 1 + len(SPECIES))))

    census = store.read("census", where={"union_id": union_id})
    parts.append(f"<h2>{_e(t('Livestock census'))}</h2>")
    if census.empty:
        parts.append(f"<p>{_e(t('no data'))}</p>")
    else:
        # union totals of the latest census only: no household's own counts are shown
        latest = census[census["date"] == census["date"].max()]
        summary = [
            [
                t.date(latest["date"].iloc[0]),
                t.number(latest["household_id"].nunique()),
                *(t.number(latest[s].sum()) for s in SPECIES),
            ]
        ]
        parts.append(
            _table(
                [t("Census date"), t("Households"), *species_labels],
                summary,
                numeric=range(1, 2 + len(SPECIES)),
            )
        )

    base = f"/unions/{quote(union_id)}"
    downloads = [
        (f"{base}/plots.kml", t("Plots") + " — KML (Google Earth)"),
        (f"{base}/plots.geojson", t("Plots") + " — GeoJSON"),
        (f"{base}/plots.csv", t("Plots") + " — CSV"),
        (f"{base}/plots.xlsx", t("Plots") + " — XLSX"),
    ]
    if chosen is not None and not calendar.empty:
        q = f"?{urlencode({'plan': str(chosen['id'])})}"
        downloads += [
            (f"{base}/calendar.csv{q}", t("Grazing calendar") + " — CSV"),
            (f"{base}/calendar.xlsx{q}", t("Grazing calendar") + " — XLSX"),
            (f"{base}/calendar.kml{q}", t("Grazing calendar") + " — KML"),
            (f"{base}/calendar.geojson{q}", t("Grazing calendar") + " — GeoJSON"),
        ]
    links = " ".join(f'<a href="{_e(h)}" download>{_e(label)}</a>' for h, label in downloads)
    parts.append(
        f'<h2 class="no-print">{_e(t("Downloads"))}</h2><p class="jailym-downloads no-print">{links}</p>'
    )
    parts.append("</section>")
    return "".join(parts)
