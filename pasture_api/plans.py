"""Grazing plans over HTTP: start one in the background, poll it, read, approve and withdraw it."""

import logging
from concurrent.futures import Executor
from datetime import UTC, datetime
from typing import Annotated, Any

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from pasture.disclosure import DisclosureRules
from pasture.errors import InvalidInput, NotFound
from pasture.progress import StepProgress
from pasture.store import Store

from . import web
from .auth import CurrentUser, Principal
from .deps import StoreDep
from .errors import PreconditionFailed
from .schemas import FeatureCollection, PlanAccepted, PlanDetail, PlanInfo, PlanList
from .science import load_privacy
from .scope import plan_summary, require_role, union_scope, union_where
from .users import Role

__all__ = ["PlanRequest", "plans_router", "start_plan"]

log = logging.getLogger("api.plans")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PlanRequest(BaseModel):
    """What to plan: the season year, the solver and its parameters."""

    season_year: int = Field(ge=2000, le=2100, examples=[2025])
    solver: str = Field("auto", max_length=40, examples=["auto", "milp", "heuristic"])
    params: dict[str, Any] = Field(default_factory=dict, description="planner parameters")
    planning: dict[str, Any] = Field(
        default_factory=dict, description="how data become planner inputs (PlanningParams)"
    )
    time_limit: float | None = Field(
        None,
        gt=0.0,
        le=3600.0,
        description="seconds for the whole plan: read, solve, check, store (create_plan's)",
    )


def _plan_doc(base: str, row: dict[str, Any], user: Principal) -> dict[str, Any]:
    doc = {k: row.get(k) for k in PlanInfo.model_fields if k != "links"}
    for k in ("created_at", "approved_at"):
        if doc.get(k) is not None:
            doc[k] = pd.Timestamp(doc[k]).isoformat()
    doc["summary"] = plan_summary(user, doc.get("summary"))
    href = f"{base}/plans/{row['id']}"
    doc["links"] = [
        web.link(href, "self", web.JSON),
        web.link(f"{href}/assignments", "items", web.GEOJSON, "assignments"),
    ]
    return doc


def _plan_row(store: Store, plan_id: str) -> dict[str, Any]:
    rows = store.read_rows("plans", where={"id": plan_id})
    if rows.empty:
        raise NotFound(f"no plan {plan_id!r}; list them at /plans")
    return web.records_of(rows)[0]


def _run_plan(
    store: Store,
    plan_id: str,
    request: PlanRequest,
    user: str,
    progress: StepProgress | None = None,
) -> None:
    """Solve a plan in a worker thread; a failure is recorded on the plan row."""
    # imported here: the solver stack takes seconds to import and only plans need it
    from pasture import planning

    limit: dict[str, Any] = {} if request.time_limit is None else {"time_limit": request.time_limit}
    try:
        planning.create_plan(
            store,
            season_year=request.season_year,
            # a str: the planner refuses an unknown name and the plan is marked failed
            solver=request.solver,  # type: ignore[arg-type]
            params=request.params,
            planning=request.planning,
            user=user,
            plan_id=plan_id,
            progress=progress,
            **limit,
        )
    except Exception as exc:
        log.exception("plan %s failed", plan_id)
        row = _plan_row(store, plan_id)
        if row["state"] == "solving":
            message = (
                str(exc)
                if isinstance(exc, InvalidInput | NotFound)
                else "the planner failed; see the server log"
            )
            row.update(state="failed", summary={"error": message, **_time_advice(exc)})
            store.replace_rows("plans", pd.DataFrame([row]), where={"id": plan_id})


def _time_advice(exc: Exception) -> dict[str, Any]:
    """What a plan refused for its time limit tells the client polling it: how long the
    read took and the limit to ask for (what `create_plan`'s 422 error says)."""
    from pasture.planning.budget import TimeLimitTooShort

    if not isinstance(exc, TimeLimitTooShort):
        return {}
    return {"read_s": round(exc.read_s, 1), "time_limit_needed_s": exc.ask_s}


def _assignment_frame(
    store: Store, plan_id: str, user: Principal, lang: str | None, rules: DisclosureRules | None
) -> pd.DataFrame:
    """The plan's rows the caller may see, each herd's name in the plan (``herd``) beside
    its id: a village flock's in ``lang``, English without one. A herd's sheep units,
    demand and forage eaten are null where they would reveal a household (``rules``: the
    load's, :func:`pasture_api.science.load_privacy`; a herd the plan does not name:
    threshold), the rule in ``suppressed_by``."""
    from pasture.disclosure import withhold
    from pasture.i18n import translator
    from pasture.science.herd_privacy import HERD_FIGURES, withheld_herds
    from pasture.science.herds import plan_herds

    frame = store.read_rows("assignments", where={"plan_id": plan_id, **union_where(user)})
    herds = plan_herds(store, plan_id, translator(lang or "en"))
    names = {str(i): str(n or i) for i, n in zip(herds["id"], herds["name"], strict=True)}
    ids = frame["herd_id"].astype(str)
    frame.insert(2, "herd", ids.map(names).fillna(ids))
    if rules is None:
        return frame.assign(suppressed_by=[{} for _ in range(len(frame))])
    herds = herds[herds["id"].astype(str).isin(set(ids))]
    withheld = withheld_herds(store, herds, rules, plan_id=plan_id)
    known = set(herds["id"].astype(str))
    rule = [withheld.get(h) if h in known else "threshold" for h in ids]
    return withhold(frame, rule, HERD_FIGURES).drop(columns="suppressed")


def _plan_herds(
    store: Store, plan_id: str, user: Principal, rules: DisclosureRules | None, lang: str | None
) -> list[dict[str, Any]]:
    """The plan's herds the caller may see (a union: its own), as the plan stored them
    (``plan_herds``; the ``herds`` layer for a plan stored before), heads withheld per
    :func:`pasture_api.science.load_privacy`, as the load's."""
    from pasture.i18n import translator
    from pasture.model import SPECIES
    from pasture.science.herd_privacy import withheld_herds
    from pasture.science.herds import VILLAGE_PREFIX, plan_herds

    herds = plan_herds(store, plan_id, translator(lang or "en"), union_id=union_scope(user))
    if "kind" not in herds:  # a plan stored before plan_herds: the layer's herds it moves
        planned = store.read_rows("assignments", where={"plan_id": plan_id, **union_where(user)})
        herds = herds[herds["id"].astype(str).isin(set(planned["herd_id"].astype(str)))]
    withheld = withheld_herds(store, herds, rules, plan_id=plan_id)
    out = []
    for r in herds.drop(columns=[c for c in ("geometry",) if c in herds]).to_dict("records"):
        hid, union = str(r["id"]), str(r.get("union_id") or "")
        kind = r.get("kind")
        rule = withheld.get(hid)
        out.append(
            {
                "id": hid,
                "name": None if pd.isna(r.get("name")) else str(r["name"]),
                "land_user": union or None,
                "kind": str(kind)
                if isinstance(kind, str)
                else ("village" if union.startswith(VILLAGE_PREFIX) else "union"),
                "heads": {s: None if rule else int(r.get(s) or 0) for s in SPECIES},
                "suppressed_by": {"heads": rule} if rule else {},
            }
        )
    return out


StoreArg = Annotated[Store, StoreDep]
LangArg = Annotated[
    str | None,
    Query(
        pattern="^(kk|ru|en)$",
        description="CSV and XLSX headers, and herds' names, in kk, ru or en (default en)",
    ),
]
AssignmentsFormat = Annotated[
    str | None, Query(pattern="^(json|csv|xlsx)$", description="json, csv or xlsx")
]


def create(request: Request, store: StoreArg, user: CurrentUser, body: PlanRequest) -> Response:
    """Start planning a season in the background; poll the returned link until it is a draft."""
    plan_id = start_plan(request, store, user, body)
    href = f"{web.base_url(request)}/plans/{plan_id}"
    doc = {"id": plan_id, "state": "solving", "links": [web.link(href, "monitor", web.JSON)]}
    return web.json_response(doc, status_code=202, headers={"Location": href})


def start_plan(
    request: Request,
    store: Store,
    user: Principal,
    body: PlanRequest,
    progress: StepProgress | None = None,
) -> str:
    """Register a plan as ``solving`` and solve it in the app's plan executor (akimat).

    The API's ``POST /plans`` and the pages' 'new plan' form both start plans here.
    """
    require_role(user, Role.AKIMAT)
    from pasture import planning  # see _run_plan: the plan is solved right after this

    plan_id = planning.new_plan_id(body.season_year)
    row = {
        "id": plan_id,
        "season_year": body.season_year,
        "state": "solving",
        "solver": body.solver,
        "params": body.params,
        "created_at": datetime.now(UTC),
        "created_by": user.username,
    }
    store.replace_rows("plans", pd.DataFrame([row]), where={"id": plan_id})
    executor: Executor = request.app.state.plan_executor
    executor.submit(_run_plan, store, plan_id, body, user.username, progress)
    return plan_id


def list_plans(request: Request, store: StoreArg, user: CurrentUser) -> Response:
    """Every plan, newest season first."""
    rows = web.records_of(store.read_rows("plans"))
    rows.sort(key=lambda r: (-int(r["season_year"]), str(r["id"])))
    base = web.base_url(request)
    return web.json_response({"plans": [_plan_doc(base, r, user) for r in rows]})


def _plan_response(
    request: Request,
    row: dict[str, Any],
    user: Principal,
    *,
    herds: list[dict[str, Any]] | None = None,
) -> Response:
    """A plan's document with its ETag: the version to send in If-Match to change its state."""
    from pasture.planning import plan_version  # see _run_plan

    doc = _plan_doc(web.base_url(request), row, user)
    if herds is not None:
        doc["herds"] = herds
    return web.json_response(doc, headers={"ETag": f'"{plan_version(row)}"'})


def get_plan(
    request: Request, store: StoreArg, user: CurrentUser, plan_id: str, lang: LangArg = None
) -> Response:
    """A plan and its state: solving, draft, approved or failed; its ETag is its version.
    With its herds (``herds``: a union sees its own; heads null with ``suppressed_by``
    where they would reveal a household, for the roles that see no personal data)."""
    row = _plan_row(store, plan_id)
    herds = _plan_herds(store, plan_id, user, load_privacy(user, request.app.state.settings), lang)
    return _plan_response(request, row, user, herds=herds)


def plan_if_match(value: str | None) -> str | None:
    """The plan version an If-Match header names (None: no header, or ``*``)."""
    if value is None or value.strip() == "*":
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text or not all(c in "0123456789abcdef" for c in text):
        raise PreconditionFailed(
            f"If-Match must be the ETag of the plan (GET /plans/{{id}}), not {value!r}"
        )
    return text


IfMatch = Annotated[
    str | None,
    Header(
        description="ETag of the plan as you read it: refused with 412 if it changed since; "
        "without it, of concurrent changes only the first succeeds (409 for the others)"
    ),
]


def approve(
    request: Request, store: StoreArg, user: CurrentUser, plan_id: str, if_match: IfMatch = None
) -> Response:
    """Approve a draft plan (akimat); If-Match makes it refuse a plan changed since read."""
    require_role(user, Role.AKIMAT)
    from pasture import planning  # see _run_plan

    _plan_row(store, plan_id)  # the API's 404 message for a missing plan
    # PlanStateConflict: 409; VersionConflict (a stale If-Match): 412
    row = planning.approve_plan(
        store, plan_id, user=user.username, expected_version=plan_if_match(if_match)
    )
    return _plan_response(request, row, user)


def withdraw(
    request: Request, store: StoreArg, user: CurrentUser, plan_id: str, if_match: IfMatch = None
) -> Response:
    """Withdraw the approval of an approved plan (akimat): it becomes a draft again."""
    require_role(user, Role.AKIMAT)
    from pasture import planning  # see _run_plan

    _plan_row(store, plan_id)
    row = planning.withdraw_plan(
        store, plan_id, user=user.username, expected_version=plan_if_match(if_match)
    )
    return _plan_response(request, row, user)


def _assignments_file(frame: pd.DataFrame, fmt: str, plan_id: str, lang: str | None) -> Response:
    """The assignments as CSV or as an XLSX download (headers in ``lang`` when given)."""
    from pasture.io.tables import write_table
    from pasture.model import ASSIGNMENTS

    data = write_table(frame, ASSIGNMENTS, fmt, lang)  # type: ignore[arg-type]
    if fmt == "csv":
        return Response(data, media_type="text/csv; charset=utf-8")
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{plan_id}.xlsx"'},
    )


def assignments(
    request: Request,
    store: StoreArg,
    user: CurrentUser,
    plan_id: str,
    f: AssignmentsFormat = None,
    lang: LangArg = None,
) -> Response:
    """Which herd grazes which plot when: GeoJSON (plot geometry), CSV or XLSX; a herd's
    sheep units, demand and forage eaten null where they would reveal a household
    (``suppressed_by``; in a file, the rule)."""
    _plan_row(store, plan_id)
    fmt = web.negotiate(request, f, ("json", "csv", "xlsx"))
    frame = _assignment_frame(
        store, plan_id, user, lang, load_privacy(user, request.app.state.settings)
    )
    if fmt != "json":
        rule = [next(iter(v.values()), None) for v in frame["suppressed_by"]]
        return _assignments_file(frame.assign(suppressed_by=rule), fmt, plan_id, lang)
    plot_ids = sorted({p for p in frame["plot_id"] if isinstance(p, str)})
    plots = store.read("plots", ids=plot_ids)
    geoms = dict(zip(plots["id"], plots.geometry, strict=True))
    out = gpd.GeoDataFrame(
        frame.assign(id=[f"{r.herd_id}/{r.period}" for r in frame.itertuples()]),
        geometry=[geoms.get(p) for p in frame["plot_id"]],
        crs=4326,
    )
    cols = ["id", *[c for c in frame.columns], "geometry"]
    return Response(
        web.feature_collection_json(out[cols], extra={"numberReturned": len(out)}),
        media_type=web.GEOJSON,
    )


def plans_router(*, responses: dict[Any, Any]) -> APIRouter:
    """Routes of plans: POST (akimat) starts one in the background; GET polls it."""
    router = APIRouter(tags=["plans"])
    errs = {k: v for k, v in responses.items() if k in (400, 401, 403, 404, 406, 503)}
    router.add_api_route(
        "/plans",
        create,
        methods=["POST"],
        status_code=202,
        response_model=PlanAccepted,
        responses={**errs, **{k: v for k, v in responses.items() if k in (413, 422)}},
        summary="Start a plan",
    )
    router.add_api_route(
        "/plans", list_plans, response_model=PlanList, responses=errs, summary="Plans"
    )
    router.add_api_route(
        "/plans/{plan_id}", get_plan, response_model=PlanDetail, responses=errs, summary="One plan"
    )
    router.add_api_route(
        "/plans/{plan_id}/approve",
        approve,
        methods=["POST"],
        response_model=PlanInfo,
        responses={**errs, 409: responses[409], 412: responses[412]},
        summary="Approve a plan",
    )
    router.add_api_route(
        "/plans/{plan_id}/withdraw",
        withdraw,
        methods=["POST"],
        response_model=PlanInfo,
        responses={**errs, 409: responses[409], 412: responses[412]},
        summary="Withdraw a plan's approval",
    )
    files = {
        "text/csv": {"schema": {"type": "string"}},
        XLSX: {"schema": {"type": "string", "format": "binary"}},
    }
    router.add_api_route(
        "/plans/{plan_id}/assignments",
        assignments,
        response_model=FeatureCollection,
        response_class=web.GeoJSONResponse,
        responses={200: {"content": files}, **errs},
        summary="Assignments of a plan",
    )
    return router
