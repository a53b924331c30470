"""The season's plans in the browser: list, new plan, progress, result, approve, withdraw, compare.

The pages live under ``/pages/plans`` (``/plans`` is the API's). A new plan is
started as the API starts one (:func:`api.plans.start_plan`, the same
defaults) and solved in the app's plan executor; its steps are kept in
memory by plan id so the result page, reloaded or opened again, shows them
while the store's ``plans`` row says ``solving``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from pasture.i18n import Translator
from pasture.progress import Step

from ..errors import Forbidden
from ..plans import PlanRequest, start_plan
from ..scope import plan_summary, require_role, union_scope
from ..users import Role
from .layout import PageContext, render_page
from .plan_form import DOC_CONTEXT, GROUPS, form_fields, parse_form
from .plan_summary import Section, land_user_names, okrug_names, summary_sections
from .session import Ctx, same_origin

__all__ = ["PLANS_PAGE", "router"]

#: Where the plan pages live.
PLANS_PAGE = "/pages/plans"
SOLVERS = ("auto", "heuristic", "milp")

router = APIRouter(include_in_schema=False)


# ----------------------------------------------------------------------------- progress


def _progress_book(request: Request) -> dict[str, list[tuple[float, str]]]:
    """Steps of the plans this process is solving, by plan id (in memory)."""
    book = getattr(request.app.state, "plan_progress", None)
    if book is None:
        book = {}
        request.app.state.plan_progress = book
    return book


class _Steps:
    """A progress callback that keeps each step with the seconds since the plan started."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.steps: list[tuple[float, str]] = [(0.0, "queued")]

    def __call__(self, message: str) -> None:
        self.steps.append((round(time.monotonic() - self.started, 1), message))


def step_views(t: Translator, steps: list[tuple[float, str]]) -> list[dict[str, Any]]:
    """Each step in the page's language: when (seconds, as the language writes them) and
    what; ``key`` keeps the English message.

    A :class:`~pasture.progress.Step` is its template translated, then filled with its
    values (numbers formatted for the language); a plain message is a msgid itself.
    """
    views = []
    for seconds, message in steps:
        if isinstance(message, Step):
            values = {
                k: t.number(v) if isinstance(v, int | float) else v
                for k, v in message.values.items()
            }
            if "solver" in values:  # a solver's name, as the form names it
                values["solver"] = t.pgettext("solver", str(values["solver"]))
            text = t(message.template).format(**values)
        else:
            text = t(message)
        views.append(
            {
                "seconds": seconds,
                "at": t("{seconds} s").format(seconds=t.number(seconds, digits=1)),
                "step": text,
                "key": str(message),
            }
        )
    return views


# ----------------------------------------------------------------------------- helpers


def _akimat(ctx: PageContext) -> None:
    require_role(ctx.user, Role.AKIMAT)


def _plans(ctx: PageContext) -> list[dict[str, Any]]:
    from pasture.planning.service import list_plans

    return list(list_plans(ctx.store).to_dict("records"))


def _when(value: Any, ctx: PageContext) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return ""
    stamp = pd.Timestamp(value)
    return f"{ctx.t.date(stamp.date())} {stamp.strftime('%H:%M')}"


def _number(ctx: PageContext, value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    return str(ctx.t.number(float(value), digits=digits))


def _state(ctx: PageContext, state: str) -> str:
    names = {
        "solving": ctx.t("solving"),
        "draft": ctx.t("draft"),
        "approved": ctx.t("approved"),
        "failed": ctx.t("failed"),
    }
    return names.get(state, state)


def _row_view(ctx: PageContext, row: dict[str, Any]) -> dict[str, Any]:
    pid = str(row["id"])
    gap = row.get("gap")
    return {
        "id": pid,
        "url": ctx.url(f"{PLANS_PAGE}/{quote(pid)}"),
        "season": int(row["season_year"]),
        "state": str(row["state"]),
        "state_name": _state(ctx, str(row["state"])),
        "objective": _number(ctx, row.get("objective")),
        "gap": "—" if gap is None or pd.isna(gap) else f"{ctx.t.number(100 * gap, digits=2)} %",
        "created": f"{row.get('created_by') or ''}, {_when(row.get('created_at'), ctx)}",
        "approved": (
            f"{row.get('approved_by')}, {_when(row.get('approved_at'), ctx)}"
            if row.get("approved_by")
            else ""
        ),
    }


# ----------------------------------------------------------------------------- list and new


@router.get(PLANS_PAGE, response_class=HTMLResponse)
def plans_page(ctx: Ctx) -> HTMLResponse:
    """Every plan: season, state, objective, proven gap, who created and approved it when."""
    rows = [_row_view(ctx, r) for r in _plans(ctx)]
    return render_page(
        ctx,
        "plans.html",
        title=ctx.t("Grazing plans"),
        rows=rows,
        can_plan=ctx.user.role is Role.AKIMAT,
        new_url=ctx.url(f"{PLANS_PAGE}/new"),
        compare_url=f"{PLANS_PAGE}/compare",
        seasons=sorted({r["season"] for r in rows}, reverse=True),
    )


def _defaults() -> dict[str, Any]:
    from pasture.planning.service import create_plan, default_params

    params, planning = default_params()
    limit = inspect_default(create_plan, "time_limit")
    return {"params": params, "planning": planning, "time_limit": limit}


def inspect_default(func: Callable[..., Any], name: str) -> Any:
    """The default of a keyword of ``func`` (one source: the function's own signature)."""
    import inspect

    return inspect.signature(func).parameters[name].default


def _new_form(
    ctx: PageContext,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    defaults = _defaults()
    fields = form_fields(defaults)
    plans = _plans(ctx)
    season = max((int(p["season_year"]) for p in plans), default=datetime.now().year)
    page = render_page(
        ctx,
        "plan_new.html",
        title=ctx.t("New grazing plan"),
        fields=fields,
        doc_context=DOC_CONTEXT,
        form=form or {},
        errors=errors or {},
        season=season,
        solvers=SOLVERS,
        time_limit=defaults["time_limit"],
        action=ctx.url(f"{PLANS_PAGE}/new"),
        list_url=ctx.url(PLANS_PAGE),
    )
    page.status_code = status
    return page


@router.get(PLANS_PAGE + "/new", response_class=HTMLResponse)
def new_plan_page(ctx: Ctx) -> HTMLResponse:
    """The form of a new plan: every parameter with its default and what it means (akimat)."""
    _akimat(ctx)
    return _new_form(ctx)


def _request_of(form: dict[str, str]) -> tuple[PlanRequest | None, dict[str, Any], dict[str, str]]:
    """The plan request from the form, or the errors per input."""
    from grazing_models.rotation import RotationParams
    from pasture.planning import PlanningParams

    defaults = _defaults()
    fields = form_fields(defaults)
    models = {"params": RotationParams, "planning": PlanningParams}
    changed, errors = parse_form(fields, form, models)  # type: ignore[arg-type]
    body: dict[str, Any] = {
        "season_year": form.get("season_year", ""),
        "solver": form.get("solver", "auto"),
    }
    limit = form.get("time_limit", "").strip()
    if limit and limit != str(defaults["time_limit"]):
        body["time_limit"] = limit
    body.update({key: changed[group] for group, key in GROUPS})
    try:
        return PlanRequest.model_validate(body), changed, errors
    except ValueError as exc:
        for e in getattr(exc, "errors", lambda **_: [])(include_url=False):
            errors[str(e["loc"][0])] = e["msg"]
        return None, changed, errors


@router.post(PLANS_PAGE + "/new", response_model=None)
async def start_new_plan(ctx: Ctx) -> Response:
    """Start the plan in the background and go to its page, which shows its progress."""
    _akimat(ctx)
    request = ctx.request
    if not same_origin(request):
        raise Forbidden("send the form from this site's own page")
    async with request.form() as received:  # closes an uploaded file's temporary copy
        form = {k: v for k, v in received.items() if isinstance(v, str)}
    body, _changed, errors = _request_of(form)
    if body is None or errors:
        return _new_form(ctx, form=form, errors=errors, status=400)
    steps = _Steps()
    plan_id = start_plan(request, ctx.store, ctx.user, body, steps)
    # the list is shared: steps the worker reports before this line are kept
    _progress_book(request)[plan_id] = steps.steps
    return RedirectResponse(ctx.url(f"{PLANS_PAGE}/{quote(plan_id)}"), 303)


# ----------------------------------------------------------------------------- compare


@router.get(PLANS_PAGE + "/compare", response_class=HTMLResponse)
def compare_page(
    ctx: Ctx,
    a: Annotated[str, Query(max_length=100)],
    b: Annotated[str, Query(max_length=100)],
) -> HTMLResponse:
    """Two plans side by side: per union, herd-weeks on another plot, moves and deficits."""
    from pasture.planning.service import plan_row

    rows = {k: plan_row(ctx.store, pid) for k, pid in (("a", a), ("b", b))}
    from .plan_compare import compare_plans

    table, moved = compare_plans(
        ctx.store, a, b, union_scope(ctx.user), land_user_names(ctx.store, ctx.t)
    )
    return render_page(
        ctx,
        "plan_compare.html",
        title=f"{ctx.t('Compare plans')}: {a} / {b}",
        a=_row_view(ctx, rows["a"]),
        b=_row_view(ctx, rows["b"]),
        table=[[name, *(_number(ctx, v) for v in values)] for name, *values in table],
        moved=moved,
        list_url=ctx.url(PLANS_PAGE),
    )


# ----------------------------------------------------------------------------- one plan


@router.get(PLANS_PAGE + "/{plan_id}/progress")
def plan_progress(ctx: Ctx, plan_id: str) -> JSONResponse:
    """The plan's state and the steps solved so far (the result page polls this)."""
    from pasture.planning.service import plan_row

    row = plan_row(ctx.store, plan_id)
    steps = _progress_book(ctx.request).get(plan_id, [])
    return JSONResponse(
        {
            "id": plan_id,
            "state": row["state"],
            "steps": step_views(ctx.t, steps),
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get(PLANS_PAGE + "/{plan_id}", response_class=HTMLResponse)
def plan_page(ctx: Ctx, plan_id: str) -> HTMLResponse:
    """A plan: its state (progress while it solves), checks, deficits, parameters and actions."""
    from pasture.planning.service import plan_row

    row = plan_row(ctx.store, plan_id)
    union = union_scope(ctx.user)
    others = [
        p for p in _plans(ctx) if p["season_year"] == row["season_year"] and p["id"] != plan_id
    ]
    path = f"/plans/{quote(plan_id)}"
    return render_page(
        ctx,
        "plan_result.html",
        title=f"{ctx.t('Grazing plan')} {plan_id}",
        plan=_row_view(ctx, row),
        solver=" ".join(
            ctx.t.pgettext("solver", str(row[k])) for k in ("solver", "solver_status") if row.get(k)
        ),
        summary=_summary(ctx, row),
        error=(row.get("summary") or {}).get("error"),
        deficits=_deficit_rows(ctx, plan_id, union),
        params=_param_rows(row.get("params") or {}),
        steps=step_views(ctx.t, _progress_book(ctx.request).get(plan_id, [])),
        progress_url=ctx.url(f"{PLANS_PAGE}/{quote(plan_id)}/progress"),
        map_url=ctx.url(f"{path}/map"),
        chart_url=ctx.url(f"{path}/chart"),
        list_url=ctx.url(PLANS_PAGE),
        approve_url=ctx.url(f"{PLANS_PAGE}/{quote(plan_id)}/approve"),
        withdraw_url=ctx.url(f"{PLANS_PAGE}/{quote(plan_id)}/withdraw"),
        compare_url=f"{PLANS_PAGE}/compare",
        others=[str(p["id"]) for p in others],
        can_act=ctx.user.role is Role.AKIMAT,
    )


def _summary(ctx: PageContext, row: dict[str, Any]) -> list[Section]:
    """The summary's sections as the caller may see it (as ``GET /plans/{id}``: a union
    sees none, the summary describes every union)."""
    summary = plan_summary(ctx.user, row.get("summary") or {}) or {}
    return summary_sections(
        ctx.t,
        summary,
        row.get("params") or {},
        okrugs=okrug_names(ctx.store, ctx.lang),
        land_users=land_user_names(ctx.store, ctx.t),
    )


def _param_rows(params: dict[str, Any]) -> list[tuple[str, str]]:
    """Every parameter the plan was solved with, ``group.name = value``."""
    rows = []
    for group in ("rotation", "planning", "solver"):
        for k, v in sorted((params.get(group) or {}).items()):
            rows.append((f"{group}.{k}", str(v)))
    return rows


def _deficit_rows(ctx: PageContext, plan_id: str, union: str | None) -> list[list[str]]:
    """Per land user (union or a settlement's village herds): weeks with a deficit, the deficit's total and the largest sheep units to move."""
    where: dict[str, Any] = {"plan_id": plan_id}
    if union:
        where["union_id"] = union
    deficits = ctx.store.read_rows("deficits", where=where)
    deficits = deficits[deficits["deficit_kg"] > 0]
    if deficits.empty:
        return []
    names = land_user_names(ctx.store, ctx.t)
    totals = deficits.groupby("union_id").agg(
        weeks=("period", "nunique"),
        kg=("deficit_kg", "sum"),
        su=("sheep_units_to_move", "max"),
    )
    return [
        [
            names.get(str(u), str(u)),
            _number(ctx, r.weeks),
            _number(ctx, r.kg),
            _number(ctx, r.su),
        ]
        for u, r in totals.iterrows()
    ]


def _act(ctx: PageContext, plan_id: str, action: Callable[..., Any]) -> RedirectResponse:
    _akimat(ctx)
    if not same_origin(ctx.request):
        raise Forbidden("send the form from this site's own page")
    action(ctx.store, plan_id, user=ctx.user.username)  # PlanStateConflict: 409
    return RedirectResponse(ctx.url(f"{PLANS_PAGE}/{quote(plan_id)}"), 303)


@router.post(PLANS_PAGE + "/{plan_id}/approve")
def approve_page(ctx: Ctx, plan_id: str) -> RedirectResponse:
    """Approve a draft (akimat), then back to the plan's page."""
    from pasture.planning.service import approve_plan

    return _act(ctx, plan_id, approve_plan)


@router.post(PLANS_PAGE + "/{plan_id}/withdraw")
def withdraw_page(ctx: Ctx, plan_id: str) -> RedirectResponse:
    """Withdraw an approval (akimat): the plan is a draft again."""
    from pasture.planning.service import withdraw_plan

    return _act(ctx, plan_id, withdraw_plan)
