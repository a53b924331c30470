"""The pages' Jinja2 environment, the context every page shares, and rendering to a response."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from branca.element import Figure
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pasture.i18n import LANGUAGE_NAMES, SUPPORTED_LANGUAGES, Translator
from pasture.store import Store

from ..auth import Principal

if TYPE_CHECKING:
    import folium

__all__ = ["TEMPLATES", "MapParts", "PageContext", "language_links", "render", "render_page"]

#: The page templates (package data of ``api``).
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _blank_none(value: Any) -> Any:
    # a missing value prints as nothing, never as "None"
    return "" if value is None else value


_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    finalize=_blank_none,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


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


_FOLIUM_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>', re.S)


@dataclass(frozen=True)
class MapParts:
    """A folium map's document in the three parts ``map.html`` places."""

    head: str
    body: str
    script: str

    @classmethod
    def of(cls, m: folium.Map) -> MapParts:
        """Render the map as branca's ``Figure.render`` does, keeping the parts apart."""
        figure = m.get_root()
        assert isinstance(figure, Figure)
        for child in list(figure._children.values()):
            child.render()
        # folium's viewport forbids pinch-zoom (user-scalable=no): the page sets its own
        head = _FOLIUM_VIEWPORT.sub("", figure.header.render())
        return cls(head, figure.html.render(), figure.script.render())


def language_links(path: str, params: dict[str, str], current: str) -> list[dict[str, Any]]:
    """The same page in every language: ``params`` with ``lang`` replaced."""
    links = []
    for code in SUPPORTED_LANGUAGES:
        href = f"{path}?{urlencode({**params, 'lang': code})}"
        links.append(
            {"code": code, "name": LANGUAGE_NAMES[code], "href": href, "current": code == current}
        )
    return links


def render(
    template: str, *, lang: str, title: str, status: int = 200, **context: Any
) -> HTMLResponse:
    """A template as a page; ``context`` needs ``t`` and what the template itself uses."""
    page = _ENV.get_template(template).render(lang=lang, title=title, **context)
    return HTMLResponse(page, status_code=status)


def render_page(ctx: PageContext, template: str, *, title: str, **context: Any) -> HTMLResponse:
    """A signed-in page: the bar's links, user and languages come from ``ctx``."""
    union_id = ctx.user.union_id
    request = ctx.request
    return render(
        template,
        lang=ctx.lang,
        title=title,
        t=ctx.t,
        overview_url=ctx.url("/maps/overview"),
        home_url=ctx.url(f"/unions/{quote(union_id)}") if union_id else None,
        plans_url=None if union_id else ctx.url("/pages/plans"),
        # a union reaches its census history from its own page
        bar_history_url=None if union_id else ctx.url("/pages/history"),
        # the akimat's and analysts' pages link the scene catalogue (a union may open it too)
        bar_scenes_url=None if union_id else ctx.url("/pages/ndvi-scenes"),
        bar_load_url=ctx.url("/pages/load"),
        username=ctx.user.username,
        languages=language_links(request.url.path, dict(request.query_params), ctx.lang),
        **context,
    )
