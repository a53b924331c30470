"""Edit history in the pages: who changed what when, before and after; the akimat restores a
version (as a new version: nothing is erased); a union edits its census in a form.

Routes: ``GET /pages/history?layer=&record=``, ``POST /pages/history/{layer}/restore``
(akimat), ``GET /unions/{id}/census`` and ``POST /unions/{id}/census`` (the union or the
akimat; each household's row is saved with the version it was read at, so an edit made
meanwhile is never overwritten: 409).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse

from pasture.errors import InvalidInput, NotFound
from pasture.model import SPECIES
from pasture.model import layer as layer_named

from ..errors import Forbidden
from ..scope import (
    require_role,
    require_union,
    sees_households,
    sees_personal_data,
    union_scope,
)
from ..users import Role
from .data import union_row
from .layout import PageContext, render_page
from .session import Ctx, same_origin

__all__ = ["HISTORY_LAYERS", "router"]

#: Layers whose history the pages show.
HISTORY_LAYERS = ("plots", "census", "herds", "water_points", "routes", "unions")
#: At most this many changes are listed, newest first.
MAX_ROWS = 500

router = APIRouter(include_in_schema=False)


def _allowed(ctx: PageContext, layer: str) -> None:
    if layer not in HISTORY_LAYERS:
        raise InvalidInput("layer", [f"unknown layer {layer!r}; use {', '.join(HISTORY_LAYERS)}"])
    if not sees_personal_data(ctx.user) and layer == "census":
        raise Forbidden(
            f"census counts are personal data: {ctx.user.role.value} accounts do not see "
            "their history"
        )


def _props(doc: Any) -> dict[str, Any]:
    return dict((doc or {}).get("properties") or {}) if isinstance(doc, dict) else {}


def _union_of(row: pd.Series) -> str | None:
    for doc in (row["after"], row["before"]):
        union = _props(doc).get("union_id")
        if union:
            return str(union)
    return None


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, before, after) of each field that differs."""
    keys = sorted(set(before) | set(after))
    return [
        (
            k,
            "" if before.get(k) is None else str(before.get(k)),
            "" if after.get(k) is None else str(after.get(k)),
        )
        for k in keys
        if before.get(k) != after.get(k)
    ]


@router.get("/pages/history", response_class=HTMLResponse)
def history_page(
    ctx: Ctx,
    layer: Annotated[str, Query(max_length=40)] = "census",
    record: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    """Recorded changes of a layer (or one record), newest first, with before and after."""
    _allowed(ctx, layer)
    rows = ctx.store.history(layer=layer, record_id=record)
    scope = union_scope(ctx.user)
    if scope is not None:  # a union sees only the changes of its own records
        rows = rows[[_union_of(r) == scope for _, r in rows.iterrows()]] if len(rows) else rows
    rows = rows.sort_values("seq", ascending=False).head(MAX_ROWS)
    current = _current_versions(ctx, layer, rows)
    entries = []
    for r in rows.itertuples():
        geometry = "geometry_wkb" in (r.after or {}) and (r.after or {}).get("geometry_wkb") != (
            r.before or {}
        ).get("geometry_wkb")
        entries.append(
            {
                "record": str(r.record_id),
                "record_url": ctx.url("/pages/history", layer=layer, record=str(r.record_id)),
                "when": f"{ctx.t.date(r.at.date())} {r.at.strftime('%H:%M')} UTC",
                "who": r.username,
                "action": r.action,
                "version": int(r.version),
                "changes": _changes(_props(r.before), _props(r.after)),
                "geometry": bool(geometry),
                "restorable": r.action != "delete"
                and current.get(str(r.record_id), r.version) != r.version,
                "current": current.get(str(r.record_id)),
            }
        )
    return render_page(
        ctx,
        "history.html",
        title=f"{ctx.t('Edit history')}: {layer}" + (f" / {record}" if record else ""),
        entries=entries,
        layers=HISTORY_LAYERS if scope is None else ("census",),
        layer=layer,
        can_restore=ctx.user.role is Role.AKIMAT,
        restore_url=ctx.url(f"/pages/history/{quote(layer)}/restore"),
    )


def _current_versions(ctx: PageContext, layer: str, rows: pd.DataFrame) -> dict[str, int]:
    ids = sorted({str(i) for i in rows["record_id"]}) if len(rows) else []
    if not ids:
        return {}
    stored = ctx.store.read(layer, ids=ids)
    return {str(i): int(v) for i, v in zip(stored["id"], stored["version"], strict=True)}


@router.post("/pages/history/{layer}/restore")
def restore(
    ctx: Ctx,
    layer: str,
    record: Annotated[str, Form(max_length=200)],
    version: Annotated[int, Form(ge=1)],
    expected: Annotated[int, Form(ge=1)],
) -> RedirectResponse:
    """Make a record again what it was at ``version``: a new version, the history kept (akimat)."""
    require_role(ctx.user, Role.AKIMAT)
    _allowed(ctx, layer)
    if not same_origin(ctx.request):
        raise Forbidden("send the form from this site's own page")
    rows = ctx.store.history(layer=layer, record_id=record)
    chosen = rows[(rows["version"] == version) & (rows["action"] != "delete")]
    if chosen.empty:
        raise NotFound(f"{layer} {record!r} has no version {version} to restore")
    after = chosen.iloc[-1]["after"] or {}
    changes: dict[str, Any] = _props(after)
    if after.get("geometry_wkb"):
        import shapely

        changes["geometry"] = shapely.from_wkb(bytes.fromhex(str(after["geometry_wkb"])))
    # VersionConflict (409) when someone changed the record since the page was read
    ctx.store.update(layer, record, changes, expected_version=expected, user=ctx.user.username)
    return RedirectResponse(ctx.url("/pages/history", layer=layer, record=record), 303)


# ----------------------------------------------------------------------------- census form


@router.get("/unions/{union_id}/census", response_class=HTMLResponse)
def census_form(ctx: Ctx, union_id: str) -> HTMLResponse:
    """The union's latest census, one row per household, each saved on its own."""
    union = union_row(ctx.store, ctx.user, union_id)
    if not sees_households(ctx.user, layer_named("census")):
        raise Forbidden(
            f"census counts are personal data: {ctx.user.role.value} accounts read the union's totals"
        )
    census = ctx.store.read("census", where={"union_id": union_id})
    if len(census):
        census = census[census["date"] == census["date"].max()].sort_values("household_id")
    rows = [
        {
            "id": str(r["id"]),
            "household": str(r["household_id"]),
            "date": ctx.t.date(r["date"]),
            "version": int(r["version"]),
            "counts": [(s, int(r[s] or 0)) for s in SPECIES],
        }
        for r in census.to_dict("records")
    ]
    return render_page(
        ctx,
        "census.html",
        title=f"{ctx.t('Livestock census')}: {union.get('name') or union_id}",
        rows=rows,
        species=SPECIES,
        action=ctx.url(f"/unions/{quote(union_id)}/census"),
        history_url=ctx.url("/pages/history", layer="census"),
        union_url=ctx.url(f"/unions/{quote(union_id)}"),
    )


@router.post("/unions/{union_id}/census")
async def save_census(ctx: Ctx, union_id: str) -> RedirectResponse:
    """Save one household's counts if its row is still at the version the form was read at."""
    require_union(ctx.user, union_id)
    if ctx.user.role not in (Role.AKIMAT, Role.UNION):
        raise Forbidden(
            f"{ctx.user.role.value} accounts read; only the union and the akimat edit a census"
        )
    if not same_origin(ctx.request):
        raise Forbidden("send the form from this site's own page")
    async with ctx.request.form() as received:  # closes an uploaded file's temporary copy
        form = {k: v for k, v in received.items() if isinstance(v, str)}
    record = str(form.get("record", ""))
    stored = ctx.store.read("census", ids=[record]) if record else None
    if stored is None or stored.empty or str(stored["union_id"].iloc[0]) != union_id:
        raise NotFound(f"no census record {record!r} of union {union_id!r}")
    changes: dict[str, int] = {}
    problems = []
    for s in SPECIES:
        text = str(form.get(s, "")).strip()
        if not text.isdigit():
            problems.append(f"{s}: a whole number of head, 0 or more, is needed (got {text!r})")
        else:
            changes[s] = int(text)
    if problems:
        raise InvalidInput(f"census {record}", problems)
    version = str(form.get("version", ""))
    if not version.isdigit():
        raise InvalidInput(f"census {record}", ["the form lost the record's version; reload it"])
    expected = int(version)
    ctx.store.update("census", record, changes, expected_version=expected, user=ctx.user.username)
    return RedirectResponse(ctx.url(f"/unions/{quote(union_id)}/census"), 303)
