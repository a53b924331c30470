"""Management plans (Art. 13) over HTTP: list, create, read, comment, answer, steps, documents.

Who may do what (:mod:`pasture.management.cycle`): the akimat creates, answers and moves the
plan through its cycle up to submission; the maslikhat's secretariat records the adoption
(decision number and date) or returns a submitted plan, and changes nothing else; a union comments on the
plans of its own okrug only (another okrug's plan answers 403); every signed-in role reads
plans, their versions, comments, history and documents (a plan is a public document once
published). Every write is in the plan's history (``/history``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from pasture import management as mp
from pasture.errors import NotFound
from pasture.management.cycle import NotAllowed
from pasture.store import Store

from . import web
from .auth import CurrentUser, Principal
from .deps import StoreDep
from .errors import Forbidden
from .scope import require_role
from .users import Role

__all__ = ["management_router", "union_okrug"]

StoreArg = Annotated[Store, StoreDep]
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BASE = "/management-plans"
#: Versions are numbered from 1; a bound keeps a wild number from reaching the database.
MAX_VERSION = 100_000


class PlanCreate(BaseModel):
    """An okrug's plan for a term: drafted from the store as it is now."""

    okrug_id: str = Field(min_length=1, max_length=100, examples=["okrug-akshi"])
    first_year: int = Field(ge=2000, le=2100, examples=[2026])
    years: int = Field(5, ge=1, le=20)


class CommentIn(BaseModel):
    """A comment on one section (annex 1-8, 7-1 or general), optionally on one plot."""

    section: str = Field(max_length=10, examples=["5"])
    body: str = Field(min_length=1, max_length=4000)
    plot_id: str | None = Field(None, max_length=100)


class AnswerIn(BaseModel):
    """The akimat's answer to a comment."""

    answer: str = Field(min_length=1, max_length=4000)


class AdoptIn(BaseModel):
    """The maslikhat decision that approves the plan."""

    decision_number: str = Field(min_length=1, max_length=50, examples=["45-2"])
    decision_date: date


class AmendIn(BaseModel):
    """Why the plan is amended."""

    note: str = Field(min_length=1, max_length=2000)


def _role(user: Principal) -> str:
    """The cycle's name of an account's role (:data:`pasture.management.cycle.ROLES`)."""
    names = {Role.AKIMAT: "akimat", Role.UNION: "union", Role.MASLIKHAT: "maslikhat"}
    return names.get(user.role, "analyst")


def _doc(request: Request, plan: dict[str, Any]) -> dict[str, Any]:
    href = f"{web.base_url(request)}{BASE}/{plan['id']}"
    out = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in plan.items()}
    out["links"] = [
        web.link(href, "self", web.JSON),
        web.link(f"{href}/document.pdf?lang=ru", "alternate", PDF, "plan (ru)"),
        web.link(f"{href}/document.pdf?lang=kk", "alternate", PDF, "plan (kk)"),
        web.link(f"{href}/document.docx?lang=ru", "alternate", DOCX, "plan (ru, editable)"),
    ]
    return out


def _json(doc: Any, status_code: int = 200) -> Response:
    return web.json_response(doc, status_code=status_code)


def _guarded(call: Any, *args: Any, **kwargs: Any) -> Any:
    """A domain call whose refusal for this role is a 403."""
    try:
        return call(*args, **kwargs)
    except NotAllowed as exc:
        raise Forbidden(str(exc.problems[0]) if exc.problems else str(exc)) from None


def list_plans(
    request: Request, store: StoreArg, user: CurrentUser, okrug_id: str | None = None
) -> Response:
    """Every management plan (of one okrug)."""
    return _json({"plans": [_doc(request, p) for p in mp.list_plans(store, okrug_id=okrug_id)]})


def create(request: Request, store: StoreArg, user: CurrentUser, body: PlanCreate) -> Response:
    """Draft an okrug's plan for a term (akimat)."""
    require_role(user, Role.AKIMAT)
    plan = mp.create_plan(
        store, body.okrug_id, body.first_year, user=user.username, years=body.years
    )
    doc = _doc(request, plan)
    return web.json_response(doc, status_code=201, headers={"Location": doc["links"][0]["href"]})


def get_plan(request: Request, store: StoreArg, user: CurrentUser, plan_id: str) -> Response:
    """A plan, its versions (without content) and links to its documents."""
    doc = _doc(request, mp.get_plan(store, plan_id))
    doc["versions"] = [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
        for row in mp.versions(store, plan_id)
    ]
    doc["seasonal_plans"] = mp.seasonal_plans(store, plan_id)
    return _json(doc)


def get_version(
    store: StoreArg,
    user: CurrentUser,
    plan_id: str,
    version: Annotated[int, Path(ge=1, le=MAX_VERSION)],
) -> Response:
    """The frozen content of one version: every annex's figures with their sources."""
    return _json(mp.version_content(store, plan_id, version))


def get_section(
    store: StoreArg,
    user: CurrentUser,
    plan_id: str,
    section: str,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
) -> Response:
    """One annex of a version (the newest by default)."""
    content = mp.version_content(store, plan_id, version)
    if section not in content["sections"]:
        raise NotFound(f"no section {section!r}; sections are {', '.join(content['sections'])}")
    return _json(content["sections"][section])


def union_okrug(store: Store, user: Principal) -> str | None:
    """The okrug of a union account's union (None for other accounts)."""
    if user.union_id is None:
        return None
    unions = store.read("unions", ids=[user.union_id])
    return None if unions.empty else str(unions["okrug_id"].iloc[0])


def list_comments(store: StoreArg, user: CurrentUser, plan_id: str) -> Response:
    """The plan's comments and their answers."""
    return _json({"comments": web.records_of(_frame(mp.comments(store, plan_id)))})


def _frame(rows: list[dict[str, Any]]) -> Any:
    import pandas as pd

    return pd.DataFrame(rows)


def comment(store: StoreArg, user: CurrentUser, plan_id: str, body: CommentIn) -> Response:
    """Comment on a section or plot (a union: only on its own okrug's plan; the akimat)."""
    require_role(user, Role.AKIMAT, Role.UNION)
    plan = mp.get_plan(store, plan_id)
    if user.role is Role.UNION and union_okrug(store, user) != plan["okrug_id"]:
        raise Forbidden(
            f"a union comments only on the plan of its own okrug, not {plan['okrug_id']}"
        )
    made = mp.add_comment(
        store,
        plan_id,
        section=body.section,
        body=body.body,
        plot_id=body.plot_id,
        user=user.username,
        role=_role(user),
    )
    return _json(web.records_of(_frame([made]))[0], status_code=201)


def answer(
    store: StoreArg, user: CurrentUser, plan_id: str, comment_id: str, body: AnswerIn
) -> Response:
    """The akimat's answer to a comment."""
    require_role(user, Role.AKIMAT)
    made = mp.answer_comment(store, plan_id, comment_id, answer=body.answer, user=user.username)
    return _json(web.records_of(_frame([made]))[0])


def _step(
    request: Request, store: Store, user: Principal, plan_id: str, action: str, **kw: Any
) -> Response:
    require_role(user, Role.AKIMAT, Role.MASLIKHAT)  # the cycle says which of them
    plan = _guarded(
        mp.step_plan, store, plan_id, action, user=user.username, role=_role(user), **kw
    )
    return _json(_doc(request, plan))


def discuss(request: Request, store: StoreArg, user: CurrentUser, plan_id: str) -> Response:
    """Open the draft to comments (akimat)."""
    return _step(request, store, user, plan_id, "discuss")


def submit(request: Request, store: StoreArg, user: CurrentUser, plan_id: str) -> Response:
    """Submit the plan to the maslikhat; every comment must be answered (akimat)."""
    return _step(request, store, user, plan_id, "submit")


def adopt(
    request: Request, store: StoreArg, user: CurrentUser, plan_id: str, body: AdoptIn
) -> Response:
    """Record the maslikhat's decision: number and date; the version is frozen (maslikhat)."""
    return _step(
        request,
        store,
        user,
        plan_id,
        "adopt",
        decision_number=body.decision_number,
        decision_date=body.decision_date,
    )


def send_back(request: Request, store: StoreArg, user: CurrentUser, plan_id: str) -> Response:
    """Send a submitted plan back for changes (the maslikhat returns it, the akimat withdraws it)."""
    return _step(request, store, user, plan_id, "return")


def expire(request: Request, store: StoreArg, user: CurrentUser, plan_id: str) -> Response:
    """Close a plan whose term is over (akimat)."""
    return _step(request, store, user, plan_id, "expire")


def amend(
    request: Request, store: StoreArg, user: CurrentUser, plan_id: str, body: AmendIn
) -> Response:
    """Start an amendment: a new version from the store now, with its diff (akimat)."""
    require_role(user, Role.AKIMAT)
    plan = mp.amend_plan(store, plan_id, user=user.username, note=body.note)
    doc = _doc(request, plan)
    old = mp.version_content(store, plan_id, plan["version"] - 1)
    doc["diff"] = mp.diff_content(old, mp.version_content(store, plan_id, plan["version"]))
    return _json(doc)


def diff(
    store: StoreArg,
    user: CurrentUser,
    plan_id: str,
    a: Annotated[int | None, Query(alias="from", ge=1, le=MAX_VERSION)] = None,
    b: Annotated[int | None, Query(alias="to", ge=1, le=MAX_VERSION)] = None,
) -> Response:
    """What changed between two versions (default: the newest and the one before)."""
    newest = mp.get_plan(store, plan_id)["version"]
    b = b or newest
    a = a or max(b - 1, 1)
    changes = mp.diff_content(
        mp.version_content(store, plan_id, a), mp.version_content(store, plan_id, b)
    )
    return _json({"from": a, "to": b, **changes, "lines": mp.diff_lines(changes)})


def history(store: StoreArg, user: CurrentUser, plan_id: str) -> Response:
    """Every action on the plan: who, when, what."""
    return _json({"events": web.records_of(_frame(mp.events(store, plan_id)))})


def document(
    store: StoreArg,
    user: CurrentUser,
    plan_id: str,
    fmt: Literal["pdf", "docx"],
    lang: Annotated[Literal["kk", "ru"], Query()] = "ru",
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
    part: Annotated[Literal["plan", "decision"], Query()] = "plan",
) -> Response:
    """The plan (or its draft maslikhat decision) as PDF or DOCX, in Kazakh or Russian."""
    data = mp.render_plan(store, plan_id, lang=lang, fmt=fmt, version=version, part=part)
    name = f"{plan_id}-{part}-{lang}.{fmt}"
    return Response(
        data,
        media_type=PDF if fmt == "pdf" else DOCX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def report(
    store: StoreArg,
    user: CurrentUser,
    fmt: Literal["pdf", "docx"],
    year: Annotated[int, Query(ge=2000, le=2100)],
    lang: Annotated[Literal["kk", "ru"], Query()] = "ru",
    plan_id: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The annual implementation report: the district's, or one okrug's (``plan_id``)."""
    data = mp.render_report(store, year, lang=lang, fmt=fmt, plan_id=plan_id)
    name = f"management-report-{year}-{plan_id or 'district'}-{lang}.{fmt}"
    return Response(
        data,
        media_type=PDF if fmt == "pdf" else DOCX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def management_router(*, responses: dict[Any, Any]) -> APIRouter:
    """Routes of management plans (and their pages, registered with them)."""
    router = APIRouter(tags=["management plans"])
    read = {k: v for k, v in responses.items() if k in (400, 401, 403, 404, 406, 422, 503)}
    write = {**read, **{k: v for k, v in responses.items() if k in (409, 412, 413)}}
    files: dict[int | str, dict[str, Any]] = {
        200: {
            "content": {
                PDF: {"schema": {"type": "string", "format": "binary"}},
                DOCX: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    }
    p = f"{BASE}/{{plan_id}}"
    for path, endpoint, method, status, errs, summary in (
        (BASE, list_plans, "GET", 200, read, "Management plans"),
        (BASE, create, "POST", 201, write, "Draft an okrug's plan"),
        (p, get_plan, "GET", 200, read, "One management plan"),
        (f"{p}/versions/{{version}}", get_version, "GET", 200, read, "A version's content"),
        (f"{p}/sections/{{section}}", get_section, "GET", 200, read, "One annex"),
        (f"{p}/comments", list_comments, "GET", 200, read, "Comments and answers"),
        (f"{p}/comments", comment, "POST", 201, write, "Comment on a section or plot"),
        (f"{p}/comments/{{comment_id}}/answer", answer, "POST", 200, write, "Answer a comment"),
        (f"{p}/discuss", discuss, "POST", 200, write, "Open for discussion"),
        (f"{p}/submit", submit, "POST", 200, write, "Submit to the maslikhat"),
        (f"{p}/adopt", adopt, "POST", 200, write, "Record the maslikhat's decision"),
        (f"{p}/return", send_back, "POST", 200, write, "Send a submitted plan back"),
        (f"{p}/amend", amend, "POST", 200, write, "Start an amendment"),
        (f"{p}/expire", expire, "POST", 200, write, "Close an expired plan"),
        (f"{p}/diff", diff, "GET", 200, read, "Diff of two versions"),
        (f"{p}/history", history, "GET", 200, read, "History of the plan"),
    ):
        router.add_api_route(
            path, endpoint, methods=[method], status_code=status, responses=errs, summary=summary
        )
    router.add_api_route(
        f"{p}/document.{{fmt}}",
        document,
        responses={**read, **files},
        response_class=Response,
        summary="The plan as PDF or DOCX",
    )
    router.add_api_route(
        "/management-report.{fmt}",
        report,
        responses={**read, **files},
        response_class=Response,
        summary="The annual implementation report",
    )
    from .pages.management import router as pages

    router.include_router(pages)
    return router
