"""Pages of management plans: the list, one plan with its comments, steps, diff and history.

These pages write (comments, answers, steps), so every form POST must come from this site:
the session cookie is ``SameSite=Lax`` (never sent on a cross-site POST) and the form
handlers refuse a request whose ``Origin`` (or ``Referer``) names another site, as the
login form does. Who may do what is the API's rule (:mod:`api.management`): the akimat
drafts, answers and moves the plan; a union comments within its own okrug.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse

from pasture import management as mp
from pasture.management.cycle import COMMENT_STATES, SECTIONS, STEPS, NotAllowed
from pasture.management.labels import ANNEX_TITLES, word

from ..errors import Forbidden
from ..management import union_okrug
from ..users import Role
from . import session
from .layout import render_page
from .session import Ctx

__all__ = ["router"]

router = APIRouter(
    include_in_schema=False, tags=["pages"], dependencies=[Depends(session.mark_page)]
)


def _guard(ctx: Any) -> None:
    if not session.same_origin(ctx.request):
        raise Forbidden("this form must be sent from this site")


def _okrug_name(ctx: Any, okrug_id: str) -> str:
    okrugs = ctx.store.read("okrugs", ids=[okrug_id])
    return okrug_id if okrugs.empty else str(okrugs[f"name_{_label_lang(ctx)}"].iloc[0])


def _label_lang(ctx: Any) -> str:
    return ctx.lang if ctx.lang in ("kk", "ru", "en") else "en"


@router.get("/management", response_class=HTMLResponse)
def plans_page(ctx: Ctx) -> HTMLResponse:
    """Every management plan, and a form to draft one (akimat)."""
    lang = _label_lang(ctx)
    okrugs = ctx.store.read("okrugs")
    names = dict(zip(okrugs["id"], okrugs[f"name_{lang}"], strict=True))
    plans = [
        {
            **p,
            "href": ctx.url(f"/management/{quote(p['id'])}"),
            "okrug": names.get(p["okrug_id"], p["okrug_id"]),
            "state_label": word(p["state"], lang),
            "decision": f"{p['decision_number']} ({p['decision_date']})"
            if p["decision_number"]
            else "",
        }
        for p in mp.list_plans(ctx.store)
    ]
    return render_page(
        ctx,
        "management/list.html",
        title=ctx.t("Management plans"),
        plans=plans,
        generated=ctx.store.get_meta("demo") is not None,
        can_draft=ctx.user.role is Role.AKIMAT,
        okrugs=[{"id": k, "name": v} for k, v in names.items()],
        year=date.today().year,
        create_url=ctx.url("/management"),
    )


@router.post("/management")
def create_page(
    ctx: Ctx, okrug_id: Annotated[str, Form()], first_year: Annotated[int, Form()]
) -> RedirectResponse:
    """Draft a plan from the form (akimat)."""
    _guard(ctx)
    if ctx.user.role is not Role.AKIMAT:
        raise Forbidden("only akimat accounts draft management plans")
    plan = mp.create_plan(ctx.store, okrug_id, first_year, user=ctx.user.username)
    return RedirectResponse(ctx.url(f"/management/{quote(plan['id'])}"), 303)


def _may_comment(ctx: Any, plan: dict[str, Any]) -> bool:
    if plan["state"] not in COMMENT_STATES:
        return False
    if ctx.user.role is Role.AKIMAT:
        return True
    return ctx.user.role is Role.UNION and union_okrug(ctx.store, ctx.user) == plan["okrug_id"]


#: Accounts that take steps of the cycle (which steps: :data:`STEPS`' roles).
STEP_ROLES = {Role.AKIMAT: "akimat", Role.MASLIKHAT: "maslikhat"}


def _steps(ctx: Any, plan: dict[str, Any], base: str) -> list[dict[str, str]]:
    role = STEP_ROLES.get(ctx.user.role)
    if role is None:
        return []
    labels = {
        "discuss": ctx.t("Open for discussion"),
        "submit": ctx.t("Submit to the maslikhat"),
        "adopt": ctx.t("Record adoption"),
        "amend": ctx.t("Amend"),
        "expire": ctx.t("Close the plan"),
        "return": ctx.t("Send back for changes"),
    }
    return [
        {"action": a, "label": labels[a], "url": ctx.url(f"{base}/step/{a}")}
        for a, s in STEPS.items()
        if plan["state"] in s.sources and role in s.roles
    ]


def _documents(ctx: Any, plan_id: str) -> list[dict[str, str]]:
    href = f"/management-plans/{quote(plan_id)}/document"
    return [
        {"href": f"{href}.pdf?lang=kk", "label": ctx.t("Plan (Kazakh, PDF)")},
        {"href": f"{href}.pdf?lang=ru", "label": ctx.t("Plan (Russian, PDF)")},
        {"href": f"{href}.docx?lang=ru", "label": ctx.t("Plan (Russian, DOCX)")},
        {"href": f"{href}.pdf?lang=ru&part=decision", "label": ctx.t("Draft decision (PDF)")},
    ]


@router.get("/management/{plan_id}", response_class=HTMLResponse)
def plan_page(ctx: Ctx, plan_id: str) -> HTMLResponse:
    """One plan: state, documents, annexes, comments and answers, steps, diff, history."""
    plan = mp.get_plan(ctx.store, plan_id)
    lang = _label_lang(ctx)
    base = f"/management/{quote(plan_id)}"
    content = mp.version_content(ctx.store, plan_id)
    diff_lines: list[str] = []
    if plan["version"] > 1:
        old = mp.version_content(ctx.store, plan_id, plan["version"] - 1)
        diff_lines = mp.diff_lines(mp.diff_content(old, content))
    comments = [
        {**c, "answer_url": ctx.url(f"{base}/comments/{quote(c['id'])}/answer")}
        for c in mp.comments(ctx.store, plan_id)
    ]
    return render_page(
        ctx,
        "management/plan.html",
        title=ctx.t("Pasture management and use plan"),
        plan=plan,
        okrug=_okrug_name(ctx, plan["okrug_id"]),
        state_label=word(plan["state"], lang),
        generated=bool(content.get("generated")),
        documents=_documents(ctx, plan_id),
        annexes=[{"number": n, "title": ANNEX_TITLES[n][lang]} for n in ANNEX_TITLES],
        comments=comments,
        can_answer=ctx.user.role is Role.AKIMAT and plan["state"] not in ("submitted",),
        can_comment=_may_comment(ctx, plan),
        comment_url=ctx.url(f"{base}/comments"),
        sections=SECTIONS,
        plots=[p[0] for p in content["sections"]["1"]["tables"]["plots"]["rows"]],
        steps=_steps(ctx, plan, base),
        diff_lines=diff_lines,
        diff_from=plan["version"] - 1,
        diff_to=plan["version"],
        events=[{**e, "at": f"{e['at']:%Y-%m-%d %H:%M}"} for e in mp.events(ctx.store, plan_id)],
    )


@router.post("/management/{plan_id}/comments")
def comment_page(
    ctx: Ctx,
    plan_id: str,
    section: Annotated[str, Form()],
    body: Annotated[str, Form()],
    plot_id: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """A comment from the plan's page (a union within its okrug, or the akimat)."""
    _guard(ctx)
    plan = mp.get_plan(ctx.store, plan_id)
    if not _may_comment(ctx, plan):
        raise Forbidden("you may not comment on this plan (a union comments on its own okrug's)")
    role = "akimat" if ctx.user.role is Role.AKIMAT else "union"
    mp.add_comment(
        ctx.store,
        plan_id,
        section=section,
        body=body,
        plot_id=plot_id or None,
        user=ctx.user.username,
        role=role,
    )
    return RedirectResponse(ctx.url(f"/management/{quote(plan_id)}"), 303)


@router.post("/management/{plan_id}/comments/{comment_id}/answer")
def answer_page(
    ctx: Ctx, plan_id: str, comment_id: str, answer: Annotated[str, Form()]
) -> RedirectResponse:
    """The akimat's answer from the plan's page."""
    _guard(ctx)
    if ctx.user.role is not Role.AKIMAT:
        raise Forbidden("only akimat accounts answer comments")
    mp.answer_comment(ctx.store, plan_id, comment_id, answer=answer, user=ctx.user.username)
    return RedirectResponse(ctx.url(f"/management/{quote(plan_id)}"), 303)


@router.post("/management/{plan_id}/step/{action}")
def step_page(
    ctx: Ctx,
    plan_id: str,
    action: str,
    decision_number: Annotated[str | None, Form()] = None,
    decision_date: Annotated[date | None, Form()] = None,
    note: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    """A step of the cycle from the plan's page (akimat; adoption: the maslikhat)."""
    _guard(ctx)
    role = STEP_ROLES.get(ctx.user.role)
    if role is None:
        raise Forbidden("only akimat and maslikhat accounts move a plan through its cycle")
    try:
        if action == "amend":
            if role != "akimat":
                raise Forbidden("only akimat accounts amend a plan")
            mp.amend_plan(ctx.store, plan_id, user=ctx.user.username, note=note or "")
        else:
            mp.step_plan(
                ctx.store,
                plan_id,
                action,
                user=ctx.user.username,
                role=role,
                decision_number=decision_number,
                decision_date=decision_date,
            )
    except NotAllowed as exc:
        raise Forbidden(str(exc)) from None
    return RedirectResponse(ctx.url(f"/management/{quote(plan_id)}"), 303)
