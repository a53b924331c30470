"""The plan document: per okrug or for the district, in Kazakh or Russian, as PDF and DOCX.

The content of a version (frozen figures with their sources) is laid out once as a list
of blocks (:func:`plan_blocks`): headings, paragraphs, tables with their source line, maps;
:func:`render_pdf` (reportlab: pure Python, needs no system libraries, embeds the DejaVu
fonts matplotlib ships, which cover Kazakh letters) and :func:`render_docx` (python-docx,
for the maslikhat secretariat to edit) write the same blocks. Generated (demo) content
carries a banner on every page. :func:`decision_blocks` drafts the maslikhat decision.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

from ..demo_names import local_name
from ..i18n import translator
from .content import ROUTE_OBJECT
from .labels import RULES, TEXT, annex_heading, pasture_type, source_text, word
from .maps import DOCX_WIDTH_CM, map_figure, render_map

if TYPE_CHECKING:
    from .vector import MapBook

__all__ = [
    "Block",
    "PlanDoc",
    "decision_blocks",
    "district_blocks",
    "fmt",
    "plan_blocks",
    "render_docx",
    "render_pdf",
]

ANNEXES: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "7", "7-1", "8")
_MAP_OF = {
    "1": "tenure",
    "2": "seasons",
    "3": "boundaries",
    "4": "water",
    "7": "routes",
    "7-1": "needed",
}
_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@dataclass(frozen=True)
class Block:
    """One piece of the document: ``h1``, ``h2``, ``p``, ``small``, ``table``, ``image``, ``break``."""

    kind: str
    text: str = ""
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    image: bytes = b""
    #: ``png`` (the DOCX's maps) or ``pdf`` (vector maps of the PDF)
    image_format: str = "png"
    #: a vector map: its page in the document's map book (``image`` is then empty)
    vector: Any = None


@dataclass(frozen=True)
class PlanDoc:
    """A plan's row, the version rendered and its content."""

    plan: dict[str, Any]
    version: int
    content: dict[str, Any]
    decision: dict[str, Any] = field(default_factory=dict)


def fmt(value: Any, lang: str, column: str = "") -> str:
    """A cell as the document prints it: thin-spaced thousands, decimal comma, shares in %."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float) and (column.endswith("share") or column == "share"):
        return _number(float(value) * 100, 1, lang) + " %"
    if isinstance(value, int):
        return _number(value, 0, lang)
    if isinstance(value, float):
        return _number(value, 2 if abs(value) < 10 and value != int(value) else 1, lang)
    return word(str(value), lang)


def _number(value: float, decimals: int, lang: str) -> str:
    text = f"{value:,.{decimals}f}".replace(",", " ")
    return text.replace(".", ",") if lang in ("kk", "ru") else text


def _cell(value: Any, column: str, lang: str, names: dict[str, dict[str, str]]) -> str:
    if column in ("settlement", "settlement_id", "land_user", "okrug_id") and str(value) in names:
        return names[str(value)].get(lang, str(value))
    if value is None:
        return fmt(value, lang, column)
    if column == "seasons" and isinstance(value, str):  # "winter,spring": each in ``lang``
        return ", ".join(word(s.strip(), lang) for s in value.split(","))
    t = translator(lang)
    if column == "pasture_type":
        return pasture_type(value, lang)
    if column == "kind":  # a water point's kind
        return t.pgettext("water", str(value))
    if column == "name":  # a plot's or water point's name: the demo's in ``lang``
        return local_name(value, t)
    if column == "routes" and isinstance(value, str):  # annex 7: route names, "; "-joined
        return "; ".join(local_name(r, t) for r in value.split("; "))
    if column == "object" and str(value).startswith(ROUTE_OBJECT):
        return t.gettext("route: {name}").format(
            name=local_name(str(value)[len(ROUTE_OBJECT) :], t)
        )
    return fmt(value, lang, column)


def _table_blocks(
    name: str, table: dict[str, Any], lang: str, names: dict[str, dict[str, str]] | None = None
) -> list[Block]:
    columns = tuple(table["columns"])
    rows = tuple(
        tuple(_cell(v, c, lang, names or {}) for v, c in zip(r, columns, strict=True))
        for r in table["rows"]
    )
    heads = tuple(word(c, lang) for c in columns)
    out = [Block("h2", word(name, lang))]
    out.append(Block("table", columns=heads, rows=rows) if rows else Block("p", "—"))
    out.append(Block("small", f"{TEXT['source'][lang]}: {source_text(table['source'], lang)}"))
    return out


def _okrug_name(content: dict[str, Any], lang: str) -> str:
    return str(content["okrug"][f"name_{lang}"])


def _title_blocks(doc: PlanDoc, lang: str) -> list[Block]:
    c = doc.content
    y1, y2 = c["term"]
    out = [
        Block("h1", TEXT["plan_title"][lang]),
        Block("p", TEXT["for_okrug"][lang].format(okrug=_okrug_name(c, lang), y1=y1, y2=y2)),
        Block(
            "p",
            f"{TEXT['state'][lang]}: {word(doc.plan['state'], lang)}; "
            f"{TEXT['version'][lang]}: {doc.version}",
        ),
    ]
    if doc.decision.get("decision_number"):
        out.append(
            Block(
                "p",
                TEXT["decision"][lang].format(
                    number=doc.decision["decision_number"], date=doc.decision["decision_date"]
                ),
            )
        )
    out.append(Block("p", TEXT["basis"][lang]))
    out.append(_areas(c, lang))
    return out


def _areas(content: dict[str, Any], lang: str) -> Block:
    """The okrug's area and its pastures' (annex 3's figures)."""
    s3 = content["sections"]["3"]["figures"]
    return Block(
        "p",
        f"{word('okrug_area_ha', lang)}: {fmt(s3['okrug_area_ha'], lang)}; "
        f"{word('pasture_area_ha', lang)}: {fmt(s3['pasture_area_ha'], lang)}",
    )


def plan_blocks(
    doc: PlanDoc,
    lang: str,
    *,
    maps: bool = True,
    image_format: str = "png",
    book: MapBook | None = None,
    credit: str = "",
) -> list[Block]:
    """One okrug's plan: title, then annexes 1-8 and 7-1 as numbered sections.

    ``image_format``: the maps as ``png`` or as vector ``pdf`` (for the PDF document), the
    vector maps as pages of ``book`` (the document's, shared by every okrug's plan);
    ``credit``: the maps' data credit in ``lang`` (:func:`.render.map_credit`)."""
    from .vector import MapBook

    c = doc.content
    book = book or MapBook()
    out = _title_blocks(doc, lang)
    okrug = _okrug_name(c, lang)
    for number in ANNEXES:
        section = c["sections"][number]
        out.append(Block("break"))
        out.append(Block("h1", f"{annex_heading(number, lang)} — {okrug}"))
        if "unavailable" in section:
            reason = translator(lang).gettext(section["unavailable"])
            out.append(Block("p", TEXT["unavailable"][lang].format(reason=reason)))
        if number in _MAP_OF and maps:
            title = f"{okrug}: {TEXT['annex'][lang].format(n=number)}"
            args = (c["geo"], _MAP_OF[number])
            opts = {"lang": lang, "title": title, "generated": c["generated"], "credit": credit}
            if image_format == "pdf":
                vector = book.add(map_figure(*args, **opts))
                out.append(Block("image", image_format="pdf", vector=vector))
            else:
                out.append(Block("image", image=render_map(*args, **opts, fmt=image_format)))
        if number == "3":
            out.append(_areas(c, lang))
        if number in ("5", "6"):
            out.append(Block("small", TEXT["breeding"][lang]))
        for name, table in section.get("tables", {}).items():
            out.extend(_table_blocks(name, table, lang, section.get("names")))
        if number == "8":
            out.extend(
                Block("p", f"{i}. {RULES[key][lang]}") for i, key in enumerate(section["rules"], 1)
            )
    return out


def district_blocks(
    docs: Sequence[PlanDoc],
    lang: str,
    *,
    maps: bool = True,
    image_format: str = "png",
    credit: str = "",
) -> list[Block]:
    """The district's document: a summary row per okrug, then every okrug's plan."""
    columns = ("okrug", "plots", "pasture_area_ha", "households", "sheep", "cattle", "horses")
    rows = []
    for d in docs:
        c = d.content
        rows.append(
            (
                _okrug_name(c, lang),
                fmt(c["sections"]["1"]["figures"]["plots"], lang),
                fmt(c["sections"]["3"]["figures"]["pasture_area_ha"], lang),
                fmt(c["livestock"]["households"], lang),
                *(fmt(c["livestock"][s], lang) for s in ("sheep", "cattle", "horses")),
            )
        )
    out = [
        Block("h1", TEXT["plan_title"][lang]),
        Block("p", TEXT["district"][lang]),
        Block("p", TEXT["basis"][lang]),
        Block("table", columns=tuple(word(c, lang) for c in columns), rows=tuple(rows)),
        Block(
            "small",
            f"{TEXT['source'][lang]}: "
            + source_text("store: okrugs, plots, households, census", lang),
        ),
    ]
    from .vector import MapBook

    book = MapBook()
    for d in docs:
        out.append(Block("break"))
        out.extend(
            plan_blocks(d, lang, maps=maps, image_format=image_format, book=book, credit=credit)
        )
    return out


def decision_blocks(docs: Sequence[PlanDoc], lang: str) -> list[Block]:
    """A draft decision of the district maslikhat approving the plans, citing its legal basis."""
    y1, y2 = docs[0].content["term"]
    names = ", ".join(_okrug_name(d.content, lang) for d in docs)
    if lang == "kk":
        body = [
            "Аудандық мәслихаттың шешімі (жоба)",
            f"{y1}–{y2} жылдарға арналған жайылымдарды басқару және оларды пайдалану "
            "жөніндегі жоспарды бекіту туралы",
            "Қазақстан Республикасы Жер кодексінің 15-бабы 1-тармағының 2-1) тармақшасына, "
            "«Жайылымдар туралы» Қазақстан Республикасы Заңының 8-бабының 1-тармағына және "
            "13-бабына сәйкес аудандық мәслихат ШЕШІМ ҚАБЫЛДАДЫ:",
            f"1. Қоса беріліп отырған {names} бойынша {y1}–{y2} жылдарға арналған жайылымдарды "
            "басқару және оларды пайдалану жөніндегі жоспар бекітілсін.",
            "2. Аудан әкімдігі жоспардың орындалуы туралы мәслихатқа жыл сайын есеп береді "
            "(Жер кодексі, 17-бап 8-2) тармақша).",
            "3. Осы шешім алғашқы ресми жарияланған күнінен кейін күнтізбелік он күн өткен "
            "соң қолданысқа енгізіледі.",
        ]
    else:
        body = [
            "Решение районного маслихата (проект)",
            f"Об утверждении Плана по управлению пастбищами и их использованию на {y1}–{y2} годы",
            "В соответствии с подпунктом 2-1) пункта 1 статьи 15 Земельного кодекса Республики "
            "Казахстан, пунктом 1 статьи 8 и статьёй 13 Закона Республики Казахстан «О "
            "пастбищах» районный маслихат РЕШИЛ:",
            f"1. Утвердить прилагаемый План по управлению пастбищами и их использованию по "
            f"{names} на {y1}–{y2} годы.",
            "2. Акимату района ежегодно отчитываться перед маслихатом о реализации плана "
            "(Земельный кодекс, подпункт 8-2) статьи 17).",
            "3. Настоящее решение вводится в действие по истечении десяти календарных дней "
            "после дня его первого официального опубликования.",
        ]
    return [Block("h1", body[0]), Block("p", body[1]), *(Block("p", t) for t in body[2:])]


# ----------------------------------------------------------------- PDF (reportlab)
def _fonts() -> tuple[str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(_FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(_FONT_DIR / "DejaVuSans-Bold.ttf")))
    return "DejaVuSans", "DejaVuSans-Bold"


def _pdf_flowables(
    blocks: Iterable[Block], width: float, height: float, placed: list[Any]
) -> list[Any]:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Image, LongTable, PageBreak, Paragraph, Spacer, TableStyle

    from .vector import VectorMap

    regular, bold = _fonts()
    styles = {
        "h1": ParagraphStyle("h1", fontName=bold, fontSize=12, leading=15, spaceAfter=6),
        "h2": ParagraphStyle(
            "h2", fontName=bold, fontSize=9.5, leading=12, spaceBefore=6, spaceAfter=3
        ),
        "p": ParagraphStyle("p", fontName=regular, fontSize=9, leading=12, spaceAfter=4),
        "small": ParagraphStyle(
            "small", fontName=regular, fontSize=6.5, leading=8, textColor=colors.grey
        ),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=6.5, leading=8),
        "head": ParagraphStyle("head", fontName=bold, fontSize=6.5, leading=8),
    }
    out: list[Any] = []
    for b in blocks:
        if b.kind == "break":
            out.append(PageBreak())
        elif b.kind == "image" and b.image_format == "pdf":
            out.append(VectorMap(b.vector or b.image, width, height, placed))
        elif b.kind == "image":
            img = Image(io.BytesIO(b.image))
            # fit the frame both ways: a tall okrug must not overflow the page
            scale = min(width / img.imageWidth, height * 0.8 / img.imageHeight)
            img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
            out.append(img)
        elif b.kind == "table":
            data = [[Paragraph(_esc(h), styles["head"]) for h in b.columns]]
            data += [[Paragraph(_esc(v), styles["cell"]) for v in r] for r in b.rows]
            table = LongTable(
                data, repeatRows=1, colWidths=[width / len(b.columns)] * len(b.columns)
            )
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            out.append(table)
        else:
            out.append(Paragraph(_esc(b.text), styles[b.kind]))
        if b.kind in ("table", "image"):
            out.append(Spacer(1, 4))
    return out


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_pdf(blocks: Sequence[Block], *, lang: str, generated: bool, footer: str) -> bytes:
    """The blocks as an A4 PDF; a banner on every page when the content is generated."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    regular, bold = _fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=15 * mm,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title=footer,
    )

    def page(canvas: Any, document: Any) -> None:
        canvas.saveState()
        if generated:
            canvas.setFont(bold, 9)
            canvas.setFillColorRGB(0.8, 0, 0)
            canvas.drawCentredString(A4[0] / 2, A4[1] - 12 * mm, TEXT["generated"][lang])
        canvas.setFont(regular, 7)
        canvas.setFillColorRGB(0.3, 0.3, 0.3)
        canvas.drawString(18 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, TEXT["page"][lang].format(n=document.page))
        canvas.restoreState()

    from .vector import lay_maps

    placed: list[Any] = []
    flowables = _pdf_flowables(blocks, doc.width, doc.height, placed)
    doc.build(flowables, onFirstPage=page, onLaterPages=page)
    return lay_maps(buffer.getvalue(), placed)


# ----------------------------------------------------------------- DOCX (python-docx)
def render_docx(blocks: Sequence[Block], *, lang: str, generated: bool, footer: str) -> bytes:
    """The blocks as an editable DOCX; the banner in the page header when generated."""
    from docx import Document
    from docx.enum.text import WD_BREAK
    from docx.shared import Cm, Pt, RGBColor

    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    if generated:
        run = section.header.paragraphs[0].add_run(TEXT["generated"][lang])
        run.bold, run.font.color.rgb = True, RGBColor(0xCC, 0, 0)
    section.footer.paragraphs[0].add_run(footer).font.size = Pt(7)
    for b in blocks:
        if b.kind == "break":
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        elif b.kind in ("h1", "h2"):
            document.add_heading(b.text, level=1 if b.kind == "h1" else 2)
        elif b.kind == "image":
            document.add_picture(io.BytesIO(b.image), width=Cm(DOCX_WIDTH_CM))
        elif b.kind == "table":
            table = document.add_table(rows=1, cols=len(b.columns))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, b.columns, strict=True):
                cell.text = text
            for r in b.rows:
                for cell, text in zip(table.add_row().cells, r, strict=True):
                    cell.text = text
        else:
            p = document.add_paragraph(b.text)
            if b.kind == "small":
                for run in p.runs:
                    run.font.size = Pt(7)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
