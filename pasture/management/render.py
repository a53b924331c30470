"""Rendering stored plans: one okrug's, the district's (every okrug's plan of a term), the decision."""

from __future__ import annotations

from typing import Literal

from ..errors import InvalidInput, NotFound
from ..store.base import Store
from .document import (
    Block,
    PlanDoc,
    decision_blocks,
    district_blocks,
    plan_blocks,
    render_docx,
    render_pdf,
)
from .labels import LANGS
from .service import get_plan, list_plans, version_content, versions

__all__ = [
    "FORMATS",
    "plan_doc",
    "render_blocks",
    "render_district",
    "render_plan",
    "render_report",
]

Format = Literal["pdf", "docx"]
FORMATS: tuple[str, ...] = ("pdf", "docx")
Part = Literal["plan", "decision"]


def plan_doc(store: Store, plan_id: str, version: int | None = None) -> PlanDoc:
    """A stored plan's version (the newest when None) with its content and decision."""
    plan = get_plan(store, plan_id)
    number = plan["version"] if version is None else int(version)
    content = version_content(store, plan_id, number)
    row = next(v for v in versions(store, plan_id) if v["version"] == number)
    return PlanDoc(
        plan, number, content, {k: row.get(k) for k in ("decision_number", "decision_date")}
    )


def _check(lang: str, fmt: str) -> None:
    problems = []
    if lang not in LANGS:
        problems.append(f"unknown language {lang!r}; the document is in {', '.join(LANGS)}")
    if fmt not in FORMATS:
        problems.append(f"unknown format {fmt!r}; use {', '.join(FORMATS)}")
    if problems:
        raise InvalidInput("document", problems)


def _image_format(fmt: str) -> str:
    """Maps as vectors in a PDF; as PNG in a DOCX (Word takes no PDF picture)."""
    return "pdf" if fmt == "pdf" else "png"


def render_blocks(
    blocks: list[Block], *, lang: str, fmt: str, generated: bool, footer: str
) -> bytes:
    """PDF or DOCX bytes of ``blocks``."""
    _check(lang, fmt)
    writer = render_pdf if fmt == "pdf" else render_docx
    return writer(blocks, lang=lang, generated=generated, footer=footer)


def render_plan(
    store: Store,
    plan_id: str,
    *,
    lang: str,
    fmt: str = "pdf",
    version: int | None = None,
    part: Part = "plan",
) -> bytes:
    """One okrug's plan (or its draft decision) as PDF or DOCX."""
    _check(lang, fmt)
    doc = plan_doc(store, plan_id, version)
    maps = _image_format(fmt)
    blocks = (
        plan_blocks(doc, lang, image_format=maps)
        if part == "plan"
        else decision_blocks([doc], lang)
    )
    footer = f"{plan_id} · v{doc.version} · {doc.plan['state']}"
    return render_blocks(
        blocks, lang=lang, fmt=fmt, generated=doc.content["generated"], footer=footer
    )


def render_district(
    store: Store,
    first_year: int,
    *,
    lang: str,
    fmt: str = "pdf",
    part: Part = "plan",
    maps: bool = True,
) -> bytes:
    """Every okrug's plan of the term starting in ``first_year``, with the district summary."""
    _check(lang, fmt)
    plans = [p for p in list_plans(store) if p["first_year"] == first_year]
    if not plans:
        raise NotFound(
            f"no management plans for the term starting in {first_year}; create them first"
        )
    docs = [plan_doc(store, p["id"]) for p in plans]
    blocks = (
        district_blocks(docs, lang, maps=maps, image_format=_image_format(fmt))
        if part == "plan"
        else decision_blocks(docs, lang)
    )
    generated = any(d.content["generated"] for d in docs)
    return render_blocks(
        blocks, lang=lang, fmt=fmt, generated=generated, footer=f"district plan {first_year}"
    )


def render_report(
    store: Store, year: int, *, lang: str, fmt: str = "pdf", plan_id: str | None = None
) -> bytes:
    """The annual implementation report: the district's, or one okrug's (``plan_id``)."""
    from .report import report_blocks

    _check(lang, fmt)
    blocks, generated = report_blocks(store, year, lang, plan_id=plan_id)
    footer = f"report {year} · {plan_id or 'district'}"
    return render_blocks(blocks, lang=lang, fmt=fmt, generated=generated, footer=footer)
