"""Representations: content negotiation, links, GeoJSON and the simple HTML views."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
import shapely
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from .errors import BadRequest, NotAcceptable

__all__ = [
    "GEOJSON",
    "JSON",
    "OPENAPI_JSON",
    "GeoJSONResponse",
    "OpenAPIResponse",
    "base_url",
    "feature_collection_json",
    "html_page",
    "json_bytes",
    "link",
    "negotiate",
    "records_of",
]

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"

Format = Literal["json", "html", "csv", "xlsx"]

_MEDIA_OF: dict[str, tuple[str, ...]] = {
    "json": (JSON, GEOJSON, OPENAPI_JSON, "application/*"),
    "html": (HTML, "application/xhtml+xml"),
    "csv": ("text/csv",),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
}


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON


class OpenAPIResponse(JSONResponse):
    media_type = OPENAPI_JSON


def _accept(header: str) -> list[tuple[str, float]]:
    out = []
    for part in header.split(","):
        items = [p.strip() for p in part.split(";")]
        if not items[0]:
            continue
        q = 1.0
        for p in items[1:]:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        out.append((items[0].lower(), q))
    return out


def negotiate(request: Request, f: str | None, formats: Sequence[str] = ("json", "html")) -> str:
    """Pick a format: ``f`` wins, then the Accept header, then the first of ``formats``."""
    if f is not None:
        if f not in formats:
            raise BadRequest(f"f must be one of {', '.join(formats)}, not {f!r}")
        return f
    header = request.headers.get("accept", "")
    if not header:
        return formats[0]
    best, best_q = None, 0.0
    for media, q in _accept(header):
        if q <= best_q:
            continue
        if media in ("*/*", "*"):
            best, best_q = formats[0], q
            continue
        for fmt in formats:
            if media in _MEDIA_OF[fmt] or (
                media.endswith("/*") and any(m.startswith(media[:-1]) for m in _MEDIA_OF[fmt])
            ):
                best, best_q = fmt, q
                break
    if best is None:
        offered = ", ".join(m for fmt in formats for m in _MEDIA_OF[fmt][:1])
        raise NotAcceptable(f"this resource is available as {offered}; ask for one of them")
    return best


def base_url(request: Request) -> str:
    """The URL prefix of links: the configured public URL, else the request's."""
    configured = request.app.state.settings.public_base_url
    return (configured or str(request.base_url)).rstrip("/")


def link(
    href: str, rel: str, media_type: str | None = None, title: str | None = None
) -> dict[str, str]:
    out = {"href": href, "rel": rel}
    if media_type:
        out["type"] = media_type
    if title:
        out["title"] = title
    return out


def _default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        v = float(value)
        return None if math.isnan(v) else v
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_bytes(doc: Any) -> bytes:
    """Compact JSON (no NaN: missing numbers are null)."""
    return json.dumps(doc, default=_default, separators=(",", ":"), allow_nan=False).encode()


def records_of(frame: pd.DataFrame, *, drop: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: NaN and NA become None, dates ISO dates."""
    cols = [c for c in frame.columns if c not in set(drop) and c != "geometry"]
    data: dict[str, list[Any]] = {}
    for c in cols:
        col = frame[c]
        if pd.api.types.is_datetime64_any_dtype(col):
            # DATE fields come naive (a day), DATETIME fields tz-aware (an instant)
            naive = col.dt.tz is None
            data[c] = [
                None if pd.isna(v) else v.date().isoformat() if naive else v.isoformat()
                for v in col
            ]
        elif pd.api.types.is_float_dtype(col):
            data[c] = [None if math.isnan(v) else float(v) for v in col.to_numpy()]
        elif pd.api.types.is_integer_dtype(col):
            data[c] = [None if v is pd.NA else int(v) for v in col.astype(object)]
        else:
            data[c] = [None if v is None or v is pd.NA else v for v in col.astype(object)]
    if not cols:
        return [{} for _ in range(len(frame))]
    return [dict(zip(cols, row, strict=True)) for row in zip(*data.values(), strict=True)]


def feature_collection_json(
    frame: pd.DataFrame,
    *,
    drop: Iterable[str] = (),
    extra: Mapping[str, Any] | None = None,
    item_links: str | None = None,
) -> bytes:
    """A GeoJSON FeatureCollection, built from per-feature strings (fast for pages of 100s)."""
    props = records_of(frame, drop=drop)
    ids = [str(i) for i in frame["id"]]
    geoms = (
        shapely.to_geojson(np.asarray(frame.geometry.values, dtype=object))
        if "geometry" in frame
        else [None] * len(frame)
    )
    parts = []
    for fid, geom, p in zip(ids, geoms, props, strict=True):
        p.pop("id", None)
        head = (
            f'{{"type":"Feature","id":{json.dumps(fid)},"geometry":{geom or "null"},"properties":'
        )
        tail = ""
        if item_links is not None:
            href = json.dumps(f"{item_links}/{fid}")
            tail = f',"links":[{{"href":{href},"rel":"self","type":"{GEOJSON}"}}]'
        parts.append(head + json_bytes(p).decode() + tail + "}")
    head = f'{{"type":"FeatureCollection","features":[{",".join(parts)}]'
    doc = json_bytes(dict(extra or {})).decode()
    # splice the other members (links, numbers) after the features
    return (head + ("}" if doc == "{}" else "," + doc[1:])).encode()


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}"
    "nav a{margin-right:1rem}"
)


def html_page(title: str, links: Iterable[Mapping[str, Any]], body: str = "") -> HTMLResponse:
    """A minimal HTML view: title, navigation links and a body fragment (already escaped)."""
    nav = " ".join(
        f'<a href="{html.escape(str(lk["href"]))}" rel="{html.escape(str(lk["rel"]))}">'
        f"{html.escape(str(lk.get('title') or lk['rel']))}</a>"
        for lk in links
    )
    page = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><nav>{nav}</nav><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(page)


def html_table(rows: Sequence[Mapping[str, Any]], *, href: Mapping[str, str] | None = None) -> str:
    """An escaped HTML table of rows; ``href`` maps a row id to a link."""
    if not rows:
        return "<p>No items.</p>"
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = []
    for r in rows:
        cells = []
        for c in cols:
            text = html.escape("" if r.get(c) is None else str(r.get(c)))
            if c == "id" and href and str(r.get(c)) in href:
                text = f'<a href="{html.escape(href[str(r[c])])}">{text}</a>'
            cells.append(f"<td>{text}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def json_response(doc: Any, media_type: str = JSON, **kwargs: Any) -> Response:
    """A JSON response with an explicit media type."""
    return Response(json_bytes(doc), media_type=media_type, **kwargs)
