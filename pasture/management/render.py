"""Rendering stored plans: one okrug's, the district's (every okrug's plan of a term), the decision."""

from __future__ import annotations

from typing import Any, Literal

from ..attribution import data_attribution
from ..demo_names import local_name, union_places
from ..errors import InvalidInput, NotFound
from ..i18n import translator
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
from .labels import LANGS, TEXT, source_text, word
from .service import get_plan, list_plans, version_content, versions

__all__ = [
    "FORMATS",
    "map_credit",
    "plan_doc",
    "render_blocks",
    "render_district",
    "render_plan",
    "render_report",
]

Format = Literal["pdf", "docx"]
FORMATS: tuple[str, ...] = ("pdf", "docx")
Part = Literal["plan", "decision"]


def map_credit(store: Store, lang: str) -> str:
    """The printed maps' credit line in ``lang``: the web maps' (:func:`data_attribution`),
    each source said by the catalogues."""
    t = translator(lang)
    credits = data_attribution(store, t.gettext("other layers generated (demo)"))
    return t.gettext("Map data: {credits}").format(credits=source_text(credits, lang))


def local_union_names(content: dict[str, Any], okrugs: list[dict[str, Any]]) -> None:
    """A version frozen before the demo's union names were said in kk and ru: its generated
    union names (``"Sogety Union of Pasture Users (generated)"``) in each language, in place.

    Only a name the demo generated changes (:func:`pasture.demo_names.local_name`), from the
    frozen English name and the okrug's names; a real union's name stays as frozen."""
    tables = [s.get("names", {}) for s in content["sections"].values()]
    for names in [*tables, content["geo"].get("land_users", {})]:
        for key, said in names.items():
            if not key.startswith("union:") or "en" not in said:
                continue
            for lang in LANGS:
                local = local_name(said["en"], translator(lang), union_places(okrugs, lang))
                if local != said["en"]:
                    said[lang] = TEXT["land_user_union"][lang].format(name=local)


def plan_doc(store: Store, plan_id: str, version: int | None = None) -> PlanDoc:
    """A stored plan's version (the newest when None) with its content and decision."""
    plan = get_plan(store, plan_id)
    number = plan["version"] if version is None else int(version)
    content = version_content(store, plan_id, number)
    local_union_names(content, store.read("okrugs").to_dict("records"))
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
        plan_blocks(doc, lang, image_format=maps, credit=map_credit(store, lang))
        if part == "plan"
        else decision_blocks([doc], lang)
    )
    footer = f"{plan_id} · v{doc.version} · {word(doc.plan['state'], lang)}"
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
        district_blocks(
            docs, lang, maps=maps, image_format=_image_format(fmt), credit=map_credit(store, lang)
        )
        if part == "plan"
        else decision_blocks(docs, lang)
    )
    generated = any(d.content["generated"] for d in docs)
    footer = translator(lang).gettext("district plan {year}").format(year=first_year)
    return render_blocks(blocks, lang=lang, fmt=fmt, generated=generated, footer=footer)


def render_report(
    store: Store, year: int, *, lang: str, fmt: str = "pdf", plan_id: str | None = None
) -> bytes:
    """The annual implementation report: the district's, or one okrug's (``plan_id``)."""
    from .report import report_blocks

    _check(lang, fmt)
    blocks, generated = report_blocks(store, year, lang, plan_id=plan_id)
    t = translator(lang)
    footer = (
        t.gettext("annual report {year}, {plan}").format(year=year, plan=plan_id)
        if plan_id
        else t.gettext("annual report {year}, district").format(year=year)
    )
    return render_blocks(blocks, lang=lang, fmt=fmt, generated=generated, footer=footer)
