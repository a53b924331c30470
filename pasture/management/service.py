"""Management plans in the store: create, comment, answer, move through the cycle, amend.

Every change is one transaction that also appends the plan's history
(``management_events``) and moves the plan's ``revision`` on; it happens only if the plan
is still at the revision it was read at, so two people acting at once cannot both move
it (the second gets :class:`~pasture.errors.VersionConflict` and nothing is written).
The same functions serve the API, the ``pasture management-plan`` command and notebooks.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from ..errors import AlreadyExists, InvalidInput, NotFound, PlanStateConflict, VersionConflict
from ..model import FieldType
from ..model import table as table_named
from ..store.base import Store
from .content import build_content
from .cycle import check_comment, check_step
from .diff import diff_content

__all__ = [
    "DEFAULT_TERM_YEARS",
    "add_comment",
    "amend_plan",
    "answer_comment",
    "comments",
    "create_plan",
    "events",
    "get_plan",
    "list_plans",
    "plan_in_force",
    "seasonal_plans",
    "step_plan",
    "version_content",
    "versions",
]

#: Plans adopted since 2024 run for five years (docs/domain.md, "The law the outputs must serve").
DEFAULT_TERM_YEARS = 5


def _now() -> datetime:
    return datetime.now(UTC)


def _py(value: Any) -> Any:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, dict | list | str):
        return value.item()
    return value


def _rows(store: Store, table: str, where: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    frame = store.read_rows(table, where=where)
    dates = {c.name for c in table_named(table).columns if c.type is FieldType.DATE}
    rows = [{k: _py(v) for k, v in r.items()} for r in frame.to_dict("records")]
    for row in rows:
        for k in dates:
            if row[k] is not None:
                row[k] = row[k].date()
    return rows


def plan_id_for(okrug_id: str, first_year: int) -> str:
    """The id of an okrug's plan for the term starting in ``first_year``."""
    return f"mp-{okrug_id}-{first_year}"


def get_plan(store: Store, plan_id: str) -> dict[str, Any]:
    """The ``management_plans`` row; NotFound names the stored plans."""
    rows = _rows(store, "management_plans", {"id": plan_id})
    if not rows:
        known = [r["id"] for r in _rows(store, "management_plans")][:10]
        hint = f"; stored plans: {', '.join(known)}" if known else "; no plans are stored"
        raise NotFound(f"no management plan {plan_id!r}{hint}")
    return rows[0]


def list_plans(store: Store, *, okrug_id: str | None = None) -> list[dict[str, Any]]:
    """Every management plan (of one okrug), by okrug and term."""
    rows = _rows(store, "management_plans", {"okrug_id": okrug_id} if okrug_id else None)
    return sorted(rows, key=lambda r: (r["okrug_id"], r["first_year"]))


def versions(store: Store, plan_id: str) -> list[dict[str, Any]]:
    """The plan's versions without their content, oldest first."""
    rows = _rows(store, "management_versions", {"plan_id": plan_id})
    return [{k: v for k, v in r.items() if k != "content"} for r in rows]


def version_content(store: Store, plan_id: str, version: int | None = None) -> dict[str, Any]:
    """The frozen content of one version (the newest when None)."""
    plan = get_plan(store, plan_id)
    number = plan["version"] if version is None else int(version)
    rows = _rows(store, "management_versions", {"plan_id": plan_id, "version": number})
    if not rows:
        raise NotFound(f"plan {plan_id} has no version {number}; it has 1 to {plan['version']}")
    return dict(rows[0]["content"])


def comments(store: Store, plan_id: str, *, okrug_scope: bool = True) -> list[dict[str, Any]]:
    """The plan's comments with their answers, oldest first."""
    get_plan(store, plan_id)
    rows = _rows(store, "management_comments", {"plan_id": plan_id})
    return sorted(rows, key=lambda r: (r["created_at"], r["id"]))


def events(store: Store, plan_id: str) -> list[dict[str, Any]]:
    """Every action on the plan: who, when, what, oldest first."""
    get_plan(store, plan_id)
    return _rows(store, "management_events", {"plan_id": plan_id})


def _event(plan: dict[str, Any], action: str, user: str, detail: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "plan_id": plan["id"],
                "seq": plan["revision"],
                "action": action,
                "version": plan["version"],
                "username": user,
                "at": _now(),
                "detail": detail,
            }
        ]
    )


def _commit(
    store: Store,
    before: dict[str, Any],
    after: dict[str, Any],
    action: str,
    user: str,
    detail: dict[str, Any],
    extra: list[tuple[str, pd.DataFrame, dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Write ``after`` (revision + 1), its event and ``extra`` slices if ``before`` is current."""
    after = {**after, "revision": int(before["revision"]) + 1}
    event = _event(after, action, user, detail)
    slices = [
        ("management_plans", pd.DataFrame([after]), {"id": after["id"]}),
        *(extra or []),
        ("management_events", event, {"plan_id": after["id"], "seq": after["revision"]}),
    ]
    store.replace_many_if(
        ("management_plans", {"id": before["id"], "revision": before["revision"]}),
        slices,
        conflict=lambda: VersionConflict(
            f"management plan {before['id']} changed while you worked on it; read it again"
        ),
    )
    return after


def _version_row(plan_id: str, number: int, content: dict, user: str, note: str | None) -> dict:
    return {
        "plan_id": plan_id,
        "version": number,
        "content": content,
        "note": note,
        "decision_number": None,
        "decision_date": None,
        "created_at": _now(),
        "created_by": user,
    }


def create_plan(
    store: Store,
    okrug_id: str,
    first_year: int,
    *,
    user: str,
    years: int = DEFAULT_TERM_YEARS,
    **content_options: Any,
) -> dict[str, Any]:
    """Draft an okrug's plan for ``years`` years from ``first_year``, read from the store now.

    Raises
    ------
    AlreadyExists
        When the okrug has a plan for that term already.
    NotFound
        When the okrug is not stored.
    InvalidInput
        For a term outside 2000-2100 or shorter than a year.
    """
    if not 2000 <= first_year <= 2100 or not 1 <= years <= 20:
        raise InvalidInput(
            "management plan",
            [
                f"a term of {years} years from {first_year} is not valid; "
                "give a first year 2000-2100 and 1-20 years (5 by default)"
            ],
        )
    plan_id = plan_id_for(okrug_id, first_year)
    content = build_content(store, okrug_id, first_year, first_year + years - 1, **content_options)
    row = {
        "id": plan_id,
        "okrug_id": okrug_id,
        "first_year": first_year,
        "last_year": first_year + years - 1,
        "state": "draft",
        "version": 1,
        "in_force": None,
        "decision_number": None,
        "decision_date": None,
        "revision": 1,
        "created_at": _now(),
        "created_by": user,
    }
    store.replace_many_if(
        ("management_plans", {"id": plan_id}),
        [
            ("management_plans", pd.DataFrame([row]), {"id": plan_id}),
            (
                "management_versions",
                pd.DataFrame([_version_row(plan_id, 1, content, user, None)]),
                {"plan_id": plan_id},
            ),
            (
                "management_events",
                _event(row, "create", user, {"term": [row["first_year"], row["last_year"]]}),
                {"plan_id": plan_id},
            ),
        ],
        conflict=lambda: AlreadyExists(
            f"okrug {okrug_id} has a management plan for {first_year} already ({plan_id}); "
            "amend it instead"
        ),
        expect_rows=0,
    )
    return row


def add_comment(
    store: Store,
    plan_id: str,
    *,
    section: str,
    body: str,
    user: str,
    role: str,
    plot_id: str | None = None,
) -> dict[str, Any]:
    """A comment on one section (``1``…``8``, ``7-1`` or ``general``), optionally on a plot."""
    plan = get_plan(store, plan_id)
    check_comment(plan["state"], section, body, plan=f"management plan {plan_id}")
    if plot_id is not None:
        plots = store.read("plots", ids=[plot_id])
        if plots.empty or plots["okrug_id"].iloc[0] != plan["okrug_id"]:
            raise InvalidInput(
                f"management plan {plan_id}",
                [f"plot {plot_id!r} is not a plot of okrug {plan['okrug_id']}"],
            )
    comment = {
        "id": f"c-{uuid.uuid4().hex[:12]}",
        "plan_id": plan_id,
        "version": plan["version"],
        "section": section,
        "plot_id": plot_id,
        "author": user,
        "author_role": role,
        "body": body.strip(),
        "created_at": _now(),
        "answer": None,
        "answered_by": None,
        "answered_at": None,
    }
    frame = pd.DataFrame([comment])
    detail = {"comment": comment["id"], "section": section, "plot_id": plot_id}
    _commit(
        store,
        plan,
        plan,
        "comment",
        user,
        detail,
        [("management_comments", frame, {"id": comment["id"]})],
    )
    return comment


def answer_comment(
    store: Store, plan_id: str, comment_id: str, *, answer: str, user: str
) -> dict[str, Any]:
    """The akimat's answer to a comment (an answered comment may be answered again)."""
    plan = get_plan(store, plan_id)
    rows = _rows(store, "management_comments", {"id": comment_id, "plan_id": plan_id})
    if not rows:
        raise NotFound(f"plan {plan_id} has no comment {comment_id!r}")
    if not answer.strip():
        raise InvalidInput(f"comment {comment_id}", ["the answer is empty: say what was decided"])
    if plan["state"] in ("approved", "expired", "submitted"):
        raise PlanStateConflict(
            f"management plan {plan_id}", [f"a plan that is {plan['state']} takes no answers"]
        )
    comment = {**rows[0], "answer": answer.strip(), "answered_by": user, "answered_at": _now()}
    frame = pd.DataFrame([comment])
    _commit(
        store,
        plan,
        plan,
        "answer",
        user,
        {"comment": comment_id},
        [("management_comments", frame, {"id": comment_id})],
    )
    return comment


def step_plan(
    store: Store,
    plan_id: str,
    action: str,
    *,
    user: str,
    role: str = "akimat",
    decision_number: str | None = None,
    decision_date: date | None = None,
) -> dict[str, Any]:
    """Move the plan one step of its cycle (:data:`pasture.management.cycle.STEPS`).

    ``submit`` needs every comment on the current version answered; ``adopt`` needs the
    maslikhat decision's number and date, records them on the version and freezes it.
    """
    plan = get_plan(store, plan_id)
    step = check_step(action, plan["state"], role, plan=f"management plan {plan_id}")
    after = {**plan, "state": step.target}
    detail: dict[str, Any] = {"from": plan["state"], "to": step.target}
    extra: list[tuple[str, pd.DataFrame, dict[str, Any]]] = []
    if action == "submit":
        _refuse_open_comments(store, plan)
    if action == "adopt":
        version = _adopted_version(store, plan, decision_number, decision_date)
        extra.append(
            (
                "management_versions",
                pd.DataFrame([version]),
                {"plan_id": plan_id, "version": plan["version"]},
            )
        )
        after.update(
            in_force=plan["version"],
            decision_number=version["decision_number"],
            decision_date=version["decision_date"],
        )
        detail.update(
            decision_number=version["decision_number"], decision_date=str(version["decision_date"])
        )
    if action == "amend":
        raise InvalidInput(f"management plan {plan_id}", ["use amend_plan to amend a plan"])
    return _commit(store, plan, after, action, user, detail, extra)


def _refuse_open_comments(store: Store, plan: dict[str, Any]) -> None:
    open_ = [
        c["id"]
        for c in _rows(
            store, "management_comments", {"plan_id": plan["id"], "version": plan["version"]}
        )
        if not c.get("answer")
    ]
    if open_:
        raise PlanStateConflict(
            f"management plan {plan['id']}",
            [
                f"{len(open_)} comment(s) are not answered yet ({', '.join(open_[:5])}); "
                "answer each before submitting"
            ],
        )


def _adopted_version(
    store: Store, plan: dict[str, Any], number: str | None, when: date | None
) -> dict[str, Any]:
    problems = []
    if not number or not str(number).strip():
        problems.append("give the maslikhat decision's number (e.g. 12-3)")
    if when is None:
        problems.append("give the maslikhat decision's date (YYYY-MM-DD)")
    if problems:
        raise InvalidInput(f"management plan {plan['id']}", problems)
    rows = _rows(store, "management_versions", {"plan_id": plan["id"], "version": plan["version"]})
    return {**rows[0], "decision_number": str(number).strip(), "decision_date": when}


def amend_plan(
    store: Store, plan_id: str, *, user: str, note: str, **content_options: Any
) -> dict[str, Any]:
    """Start an amendment: a new version read from the store now, with its diff to the one in force."""
    plan = get_plan(store, plan_id)
    check_step("amend", plan["state"], "akimat", plan=f"management plan {plan_id}")
    if not note.strip():
        raise InvalidInput(f"management plan {plan_id}", ["say why the plan is amended (note)"])
    old = version_content(store, plan_id, plan["version"])
    content = build_content(
        store, plan["okrug_id"], plan["first_year"], plan["last_year"], **content_options
    )
    number = plan["version"] + 1
    after = {**plan, "state": "amended", "version": number}
    version = pd.DataFrame([_version_row(plan_id, number, content, user, note.strip())])
    changes = diff_content(old, content)
    detail = {"from_version": plan["version"], "note": note.strip(), "changes": changes["counts"]}
    return _commit(
        store,
        plan,
        after,
        "amend",
        user,
        detail,
        [("management_versions", version, {"plan_id": plan_id, "version": number})],
    )


def plan_in_force(store: Store, okrug_id: str, year: int) -> dict[str, Any] | None:
    """The okrug's plan whose term holds ``year`` and that has an approved version in force."""
    for plan in list_plans(store, okrug_id=okrug_id):
        in_term = plan["first_year"] <= year <= plan["last_year"]
        if in_term and plan["in_force"] is not None and plan["state"] != "expired":
            return plan
    return None


def seasonal_plans(store: Store, plan_id: str) -> list[str]:
    """Ids of the seasonal rotation plans whose season falls in the plan's term.

    A seasonal plan covers the district; it belongs to each okrug's management plan of
    its year (the rotation within the management plan in force).
    """
    plan = get_plan(store, plan_id)
    rows = store.read_rows("plans")
    inside = rows[
        (rows["season_year"] >= plan["first_year"]) & (rows["season_year"] <= plan["last_year"])
    ]
    return sorted(inside["id"].astype(str))
