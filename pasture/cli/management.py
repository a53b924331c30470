"""The ``pasture management-plan`` commands: the Art. 13 plan of each okrug through its cycle.

create, list, show, comment, answer, discuss, submit, adopt, amend, expire, diff,
history, render and report; each prints what it did and every change is in the plan's
history (``history``). The command line acts as the akimat unless ``--role`` says
otherwise (``adopt --role maslikhat`` for the maslikhat's secretariat).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import click
from rich.table import Table

from .common import console, open_url, out, store_option, user_name

__all__ = ["management_plan"]

USER = click.option("--user", help="name recorded in the history (default: PASTURE_USER or login)")
PLAN = click.argument("plan_id")


@click.group("management-plan")
def management_plan() -> None:
    """Pasture management and use plans (Law "On Pastures" Art. 13), per okrug and term."""


def _show_row(plan: dict[str, Any]) -> None:
    decision = (
        f", decision {plan['decision_number']} of {plan['decision_date']}"
        if plan.get("decision_number")
        else ""
    )
    in_force = "" if plan.get("in_force") is None else f" (in force: v{plan['in_force']})"
    out.print(
        f"{plan['id']}: okrug {plan['okrug_id']}, {plan['first_year']}-{plan['last_year']}, "
        f"{plan['state']}, version {plan['version']}{in_force}{decision}",
        highlight=False,
    )


@management_plan.command("create")
@store_option
@click.option("--okrug", "okrugs", multiple=True, help="okrug id (repeat; default: every okrug)")
@click.option("--first-year", type=int, required=True, help="first year of the term")
@click.option("--years", type=int, default=5, show_default=True, help="length of the term")
@USER
def create(
    store_url: str, okrugs: tuple[str, ...], first_year: int, years: int, user: str | None
) -> None:
    """Draft the plan of each okrug from the store as it is now."""
    from ..management import create_plan

    with open_url(store_url) as store:
        chosen = list(okrugs) or store.read("okrugs")["id"].tolist()
        for okrug in chosen:
            with console.status(f"reading okrug {okrug}"):
                plan = create_plan(store, okrug, first_year, user=user_name(user), years=years)
            _show_row(plan)


@management_plan.command("list")
@store_option
@click.option("--okrug", help="only this okrug's plans")
def list_(store_url: str, okrug: str | None) -> None:
    """The stored plans."""
    from ..management import list_plans

    with open_url(store_url) as store:
        table = Table("plan", "okrug", "term", "state", "version", "in force", "decision")
        for p in list_plans(store, okrug_id=okrug):
            table.add_row(
                p["id"],
                p["okrug_id"],
                f"{p['first_year']}-{p['last_year']}",
                p["state"],
                str(p["version"]),
                str(p["in_force"] or "—"),
                f"{p['decision_number']} of {p['decision_date']}" if p["decision_number"] else "—",
            )
        out.print(table)


@management_plan.command("show")
@store_option
@PLAN
def show(store_url: str, plan_id: str) -> None:
    """A plan: its state, versions, comments with their answers."""
    from ..management import comments, get_plan, versions

    with open_url(store_url) as store:
        _show_row(get_plan(store, plan_id))
        for v in versions(store, plan_id):
            note = f" — {v['note']}" if v.get("note") else ""
            out.print(
                f"  version {v['version']} by {v['created_by']} at {v['created_at']:%Y-%m-%d %H:%M}{note}"
            )
        for c in comments(store, plan_id):
            plot = f", plot {c['plot_id']}" if c.get("plot_id") else ""
            said = f"{c['author']} ({c['author_role']}): {c['body']}"
            out.print(f"  {c['id']} annex {c['section']}{plot}, {said}", markup=False)
            answer = c["answer"] or "(not answered yet)"
            out.print(f"      answer: {answer}", highlight=False, markup=False)


@management_plan.command("comment")
@store_option
@PLAN
@click.option("--section", required=True, help="annex 1-8, 7-1, or general")
@click.option("--plot", "plot_id", help="the plot the comment is about")
@click.option(
    "--role",
    default="union",
    show_default=True,
    type=click.Choice(["union", "rural_akim", "council", "akimat"]),
)
@click.argument("body")
@USER
def comment(
    store_url: str,
    plan_id: str,
    section: str,
    plot_id: str | None,
    role: str,
    body: str,
    user: str | None,
) -> None:
    """Comment on a section (and a plot) of a draft or a plan under discussion."""
    from ..management import add_comment

    with open_url(store_url) as store:
        c = add_comment(
            store,
            plan_id,
            section=section,
            body=body,
            plot_id=plot_id,
            user=user_name(user),
            role=role,
        )
    out.print(f"comment {c['id']} on annex {section} of {plan_id}")


@management_plan.command("answer")
@store_option
@PLAN
@click.argument("comment_id")
@click.argument("answer")
@USER
def answer(store_url: str, plan_id: str, comment_id: str, answer: str, user: str | None) -> None:
    """The akimat's answer to a comment."""
    from ..management import answer_comment

    with open_url(store_url) as store:
        answer_comment(store, plan_id, comment_id, answer=answer, user=user_name(user))
    out.print(f"answered {comment_id}")


def _step(store_url: str, plan_id: str, action: str, user: str | None, **kwargs: Any) -> None:
    from ..management import step_plan

    with open_url(store_url) as store:
        _show_row(step_plan(store, plan_id, action, user=user_name(user), **kwargs))


@management_plan.command("discuss")
@store_option
@PLAN
@USER
def discuss(store_url: str, plan_id: str, user: str | None) -> None:
    """Open a draft to the comments of rural akims, unions and the pasture council."""
    _step(store_url, plan_id, "discuss", user)


@management_plan.command("submit")
@store_option
@PLAN
@USER
def submit(store_url: str, plan_id: str, user: str | None) -> None:
    """Submit the plan to the maslikhat (every comment must be answered)."""
    _step(store_url, plan_id, "submit", user)


@management_plan.command("adopt")
@store_option
@PLAN
@click.option("--decision", "number", required=True, help="the maslikhat decision's number")
@click.option(
    "--date",
    "when",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="the decision's date, YYYY-MM-DD",
)
@click.option(
    "--role",
    default="maslikhat",
    show_default=True,
    type=click.Choice(["maslikhat", "akimat"]),
    help="who records the adoption",
)
@USER
def adopt(
    store_url: str, plan_id: str, number: str, when: datetime, role: str, user: str | None
) -> None:
    """Record the maslikhat's decision: the version is approved and frozen."""
    _step(
        store_url,
        plan_id,
        "adopt",
        user,
        role=role,
        decision_number=number,
        decision_date=when.date(),
    )


@management_plan.command("expire")
@store_option
@PLAN
@USER
def expire(store_url: str, plan_id: str, user: str | None) -> None:
    """Close a plan whose term is over."""
    _step(store_url, plan_id, "expire", user)


@management_plan.command("amend")
@store_option
@PLAN
@click.option("--note", required=True, help="why the plan is amended")
@USER
def amend(store_url: str, plan_id: str, note: str, user: str | None) -> None:
    """Start an amendment: a new version read from the store now; prints its diff."""
    from ..management import amend_plan, diff_content, diff_lines, version_content

    with open_url(store_url) as store:
        plan = amend_plan(store, plan_id, user=user_name(user), note=note)
        _show_row(plan)
        old = version_content(store, plan_id, plan["version"] - 1)
        new = version_content(store, plan_id, plan["version"])
    for line in diff_lines(diff_content(old, new)):
        out.print(line, highlight=False, markup=False)


@management_plan.command("diff")
@store_option
@PLAN
@click.option("--from", "a", type=int, help="older version (default: the one before the newest)")
@click.option("--to", "b", type=int, help="newer version (default: the newest)")
def diff(store_url: str, plan_id: str, a: int | None, b: int | None) -> None:
    """What changed between two versions: plots, allocations, calendar, maps."""
    from ..management import diff_content, diff_lines, get_plan, version_content

    with open_url(store_url) as store:
        newest = get_plan(store, plan_id)["version"]
        b = b or newest
        a = a or max(b - 1, 1)
        lines = diff_lines(
            diff_content(version_content(store, plan_id, a), version_content(store, plan_id, b))
        )
    out.print(f"{plan_id}: version {a} -> {b}", highlight=False)
    for line in lines:
        out.print(line, highlight=False, markup=False)


@management_plan.command("history")
@store_option
@PLAN
def history(store_url: str, plan_id: str) -> None:
    """Every action on the plan: who, when, what."""
    from ..management import events

    with open_url(store_url) as store:
        for e in events(store, plan_id):
            out.print(
                f"{e['seq']:>3} {e['at']:%Y-%m-%d %H:%M} {e['username']}: {e['action']} "
                f"(v{e['version']}) {e['detail'] or ''}",
                highlight=False,
                markup=False,
            )


@management_plan.command("render")
@store_option
@click.argument("plan_id", required=False)
@click.option(
    "--district", "first_year", type=int, help="every okrug's plan of the term starting this year"
)
@click.option("--lang", type=click.Choice(["kk", "ru"]), default="ru", show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["pdf", "docx"]), default="pdf", show_default=True
)
@click.option("--version", type=int, help="the version to render (default: the newest)")
@click.option("--decision", is_flag=True, help="the draft maslikhat decision instead of the plan")
@click.option("--output", "-o", type=click.Path(path_type=Path), required=True)
def render(
    store_url: str,
    plan_id: str | None,
    first_year: int | None,
    lang: str,
    fmt: str,
    version: int | None,
    decision: bool,
    output: Path,
) -> None:
    """Write a plan (one okrug, or --district YEAR) as PDF or DOCX."""
    from ..management import render_district, render_plan

    if (plan_id is None) == (first_year is None):
        raise click.UsageError("give a PLAN_ID or --district YEAR (one of the two)")
    part: Literal["plan", "decision"] = "decision" if decision else "plan"
    with open_url(store_url) as store, console.status("rendering"):
        data = (
            render_plan(store, plan_id, lang=lang, fmt=fmt, version=version, part=part)
            if plan_id is not None
            else render_district(store, int(first_year or 0), lang=lang, fmt=fmt, part=part)
        )
    output.write_bytes(data)
    out.print(f"wrote {output} ({len(data) / 1024:,.0f} KiB)")


@management_plan.command("report")
@store_option
@click.option("--year", type=int, required=True, help="the year reported on")
@click.option("--plan", "plan_id", help="one okrug's short report (default: the district's)")
@click.option("--lang", type=click.Choice(["kk", "ru"]), default="ru", show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["pdf", "docx"]), default="pdf", show_default=True
)
@click.option("--output", "-o", type=click.Path(path_type=Path), required=True)
def report(
    store_url: str, year: int, plan_id: str | None, lang: str, fmt: str, output: Path
) -> None:
    """The annual report on the plans' implementation (maslikhat; an okrug's meeting)."""
    from ..management import render_report

    with open_url(store_url) as store, console.status("reporting"):
        data = render_report(store, year, lang=lang, fmt=fmt, plan_id=plan_id)
    output.write_bytes(data)
    out.print(f"wrote {output} ({len(data) / 1024:,.0f} KiB)")
