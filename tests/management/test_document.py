"""The plan document: every annex for every okrug, in Kazakh and Russian, figures from the store."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from docx import Document
from pypdf import PdfReader

from grazing_models.norms import DEMO_TYPE_ROWS
from grazing_models.vocabulary import SEASONS, SPECIES, parse_seasons
from pasture import management as mp
from pasture.demo_names import local_name, union_places
from pasture.i18n import translator
from pasture.management.document import ANNEXES, fmt
from pasture.management.labels import ANNEX_TITLES, LANGS, RULES, TEXT, annex_heading, word
from pasture.management.water import WateringNorms
from pasture.planning.params import PlanningParams
from pasture.store import Store
from tests.pasture import factories


@pytest.fixture
def planned(store: Store) -> Store:
    factories.fill(store)
    store.set_meta("load_norm_rows", json.dumps(DEMO_TYPE_ROWS, ensure_ascii=False))
    for okrug in ("ok-a", "ok-b"):
        mp.create_plan(store, okrug, 2026, user="akim")
    return store


def _text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(p.extract_text().split()) for p in pages)


def _segment(text: str, lang: str, number: str, okrug: str) -> str:
    """The text of one annex of one okrug: from its heading to the next heading."""
    start = text.index(f"{annex_heading(number, lang)} — {okrug}")
    pattern = re.escape(TEXT["annex"][lang].format(n="§")).replace("§", r"[0-9-]+")
    following = re.compile(pattern).search(text, start + 10)
    return text[start : following.start() if following else len(text)]


@pytest.mark.parametrize("lang", LANGS)
def test_district_pdf_has_every_annex_with_the_store_figures(planned: Store, lang: str) -> None:
    pdf = mp.render_district(planned, 2026, lang=lang, fmt="pdf")
    text = _text(pdf)
    okrugs = planned.read("okrugs")
    plots = planned.read("plots")
    census = planned.read("census")
    settlements = planned.read("settlements").set_index("id")
    norms = WateringNorms()
    windows = PlanningParams().windows
    assert text.count(TEXT["generated"][lang]) == 0  # hand-made records are not generated
    for okrug in okrugs.itertuples():
        name = getattr(okrug, f"name_{lang}")
        mine = plots[plots["okrug_id"] == okrug.id]
        for number in ANNEXES:
            assert f"{annex_heading(number, lang)} — {name}" in text, (number, name)
        annex1 = _segment(text, lang, "1", name)
        for p in mine.itertuples():
            assert f"{p.id} {p.name}" in annex1 and fmt(round(p.area_ha, 1), lang) in annex1
        annex2 = _segment(text, lang, "2", name)
        for (_, seasons), group in mine.groupby(["pasture_type", "seasons"]):
            said = ", ".join(word(s, lang) for s in parse_seasons(seasons))
            area = fmt(round(float(group["area_ha"].sum()), 1), lang)
            assert f"{said} {fmt(len(group), lang)} {area}" in annex2, seasons
        annex3 = _segment(text, lang, "3", name)
        assert fmt(round(float(mine["area_ha"].sum()), 1), lang) in annex3  # pasture area
        annex7 = _segment(text, lang, "7", name)
        for season in SEASONS:
            open_ = mine[mine["seasons"].map(lambda s, season=season: season in parse_seasons(s))]
            if len(open_):
                assert fmt(round(float(open_["area_ha"].sum()), 1), lang) in annex3
            (m1, d1), (m2, d2) = windows[season]
            assert f"{word(season, lang)} {d1:02d}.{m1:02d} {d2:02d}.{m2:02d}" in annex7
        # annex 7-1: the public pasture of the okrug's settlements, with its area
        annex71 = _segment(text, lang, "7-1", name)
        for p in mine[mine["tenure"] == "public"].itertuples():
            assert f"{p.id} {fmt(round(p.area_ha, 1), lang)}" in annex71, p.id
        annex8 = _segment(text, lang, "8", name)
        assert all(" ".join(rule[lang].split()) in annex8 for rule in RULES.values())
        if okrug.id == "ok-a":  # the census households are in ok-a's union
            annex5 = _segment(text, lang, "5", name)
            village = getattr(settlements.loc["s-a"], f"name_{lang}")
            hh1 = census[census["household_id"] == "hh1"].iloc[0]
            assert f"{village} {fmt(1, lang)} {fmt(int(hh1['sheep']), lang)}" in annex5
            # annex 6: the village's sheep units fit on its public pasture (p2): none distant
            annex6 = _segment(text, lang, "6", name)
            assert f"{word('distant', lang)} —" in annex6
            assert f"{word('unplaced', lang)} —" in annex6
            annex4 = _segment(text, lang, "4", name)
            for season in ("winter", "spring", "summer"):
                demand = sum(census[s].sum() * norms.litres[season][s] for s in SPECIES) / 1000
                assert fmt(round(float(demand), 2), lang) in annex4, season


def test_okrug_docx_and_generated_banner(demo_gpkg, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    import pasture

    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_gpkg, path)
    with pasture.open_store(path) as store:
        okrug = store.read("okrugs")["id"].iloc[0]
        pid = mp.create_plan(store, okrug, 2026, user="akim")["id"]
        pdf = mp.render_plan(store, pid, lang="ru")
        docx = mp.render_plan(store, pid, lang="kk", fmt="docx")
        decision = mp.render_plan(store, pid, lang="ru", part="decision")
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert all(TEXT["generated"]["ru"] in " ".join(p.extract_text().split()) for p in pages)
    doc = Document(io.BytesIO(docx))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert sum(h.startswith(TEXT["annex"]["kk"].format(n="7-1")) for h in headings) == 1
    assert TEXT["generated"]["kk"] in doc.sections[0].header.paragraphs[0].text
    said = _text(decision)
    assert "статьи 15 Земельного кодекса" in said and "статьёй 13 Закона" in said


def test_pdf_maps_are_vectors_inside_the_page(planned: Store) -> None:
    """Maps are laid in as vector pages (no raster image), inside the page, with their text."""
    pdf = mp.render_plan(planned, "mp-ok-a-2026", lang="ru", fmt="pdf")
    reader = PdfReader(io.BytesIO(pdf))
    images = [
        name
        for page in reader.pages
        for name, ref in (page["/Resources"].get("/XObject") or {}).items()
        if ref.get_object().get("/Subtype") == "/Image"
    ]
    assert images == []
    okrug = planned.read("okrugs").set_index("id").loc["ok-a", "name_ru"]
    title = f"{okrug}: {TEXT['annex']['ru'].format(n='')}"  # each map's own title
    with_maps = [p for p in reader.pages if title in " ".join(p.extract_text().split())]
    assert len(with_maps) == 6  # annexes 1, 2, 3, 4, 7 and 7-1
    for page in with_maps:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        points = _text_points(page)
        assert points and all(0 < x < width and 0 < y < height for x, y in points)
    # the six maps share one embedded subset of each font they use (a PDF per map
    # embedded its own: at least one each)
    assert 1 <= len(_map_font_files(reader)) < len(with_maps)


def _map_font_files(reader: PdfReader) -> set[int]:
    """The font files of the maps' fonts (Type0, as matplotlib embeds TrueType), by object."""
    files = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            if font.get("/Subtype") == "/Type0":
                cid = font["/DescendantFonts"][0].get_object()
                files.add(cid["/FontDescriptor"].get_object().raw_get("/FontFile2").idnum)
    return files


def _text_points(page: Any) -> list[tuple[float, float]]:
    """Where on the page each piece of text starts (points)."""
    points: list[tuple[float, float]] = []

    def seen(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text.strip():
            points.append((cm[4] + tm[4] * cm[0], cm[5] + tm[5] * cm[3]))

    page.extract_text(visitor_text=seen)
    return points


@pytest.fixture(scope="module")
def pilot_plan(demo_gpkg, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A demo okrug with union, public and state pasture, its plan drafted: (store path, id)."""
    import shutil

    import pasture

    path = tmp_path_factory.mktemp("pilot") / "demo.gpkg"
    shutil.copy(demo_gpkg, path)
    with pasture.open_store(path) as store:
        plan = mp.create_plan(store, "okrug-kyrbaltabay", 2026, user="akim")
    return path, plan["id"]


@pytest.fixture(scope="module")
def pilot_pdfs(pilot_plan):  # type: ignore[no-untyped-def]
    """The pilot okrug's plan as a PDF in each language (rendered once for the tests below)."""
    import pasture

    path, plan_id = pilot_plan
    with pasture.open_store(path) as store:
        return {lang: mp.render_plan(store, plan_id, lang=lang) for lang in LANGS}


@pytest.fixture(scope="module")
def pilot_docx(pilot_plan):  # type: ignore[no-untyped-def]
    """The pilot okrug's plan as a DOCX in each language."""
    import pasture

    path, plan_id = pilot_plan
    with pasture.open_store(path) as store:
        return {lang: mp.render_plan(store, plan_id, lang=lang, fmt="docx") for lang in LANGS}


@pytest.mark.parametrize("lang", LANGS)
def test_land_users_are_named_in_the_documents_language(pilot_plan, pilot_pdfs, lang: str) -> None:  # type: ignore[no-untyped-def]
    """The map legend and the tables of annex 1 name each land user in kk or ru (the union's
    and the settlement's names from the store), never the land user as recorded in English."""
    import pasture
    from pasture.management.maps import render_map

    path, plan_id = pilot_plan
    pdf = pilot_pdfs[lang]
    with pasture.open_store(path) as store:
        content = mp.version_content(store, plan_id, 1)
        plots = store.read("plots", where={"okrug_id": "okrug-kyrbaltabay"})
        unions = store.read("unions").set_index("id")
        places = store.read("settlements").set_index("id")
        okrugs = store.read("okrugs")
    assert set(plots["tenure"]) >= {"union", "public", "state"}  # the premise: all three kinds
    recorded = set(plots["land_user"].dropna())
    expected = {TEXT["land_user_state"][lang]}
    # a generated union's name in ``lang``, after its okrug (the demo's English name never)
    after = union_places(okrugs.to_dict("records"), lang)
    for union in plots["union_id"].dropna().unique():
        name = local_name(unions.loc[union, "name"], translator(lang), after)
        assert name != unions.loc[union, "name"]
        expected.add(TEXT["land_user_union"][lang].format(name=name))
    for place in plots["settlement_id"].dropna().unique():
        name = places.loc[place, f"name_{lang}"]
        expected.add(TEXT["land_user_public"][lang].format(place=name))
    legend = " ".join(
        " ".join(p.extract_text().split())
        for p in PdfReader(
            io.BytesIO(
                render_map(content["geo"], "tenure", lang=lang, title="", generated=True, fmt="pdf")
            )
        ).pages
    )
    text = _text(pdf)
    for said in (legend, text):
        assert all(label in said for label in expected), expected - {
            x for x in expected if x in said
        }
        assert not [r for r in recorded if r in said]
        assert not [u for u in unions.index if u in said]  # no union id either
    # annex 6 names the okrug of each distant plot (the footer's plan id holds its own)
    others = [o for o in okrugs.itertuples() if o.id != "okrug-kyrbaltabay"]
    assert not [o.id for o in others if o.id in text]
    distant = content["sections"]["6"]["tables"]["distant"]["rows"]
    elsewhere = {r[2] for r in distant} - {"okrug-kyrbaltabay"}
    assert elsewhere  # the premise: some distant pasture lies in another okrug
    named = okrugs.set_index("id")[f"name_{lang}"]
    assert all(named[o] in _segment(text, lang, "6", named["okrug-kyrbaltabay"]) for o in elsewhere)


#: English words and identifiers a Kazakh or Russian document must not print: the content's
#: keys and values as stored, the demo's English names, the source lines' words, the
#: English of the annex titles and phrases.
_ENGLISH = (
    "Source:",
    "store:",
    "route:",
    "Plot ",
    "(generated)",
    "Union of Pasture Users",
    "Transhumance",
    "Well ",
    "River access",
    "semi_desert",
    "foothill_steppe",
    "mountain_meadow_steppe",
    "alpine_meadow",
    "area_ha",
    "land_user",
    "geodesic area",
    "assumption",
    "as recorded",
    "contributors",
    "classifier",
    "Map data",
    "district plan",
    "other layers generated",
    *(title["en"] for title in ANNEX_TITLES.values()),
    *(TEXT[k]["en"] for k in ("plan_title", "generated", "breeding", "land_user_state")),
)


def _english_in(text: str) -> list[str]:
    return [w for w in _ENGLISH if w in text]


@pytest.mark.parametrize("lang", LANGS)
def test_no_english_in_the_kazakh_and_russian_plan(
    pilot_plan, pilot_pdfs, pilot_docx, lang: str
) -> None:  # type: ignore[no-untyped-def]
    """Tables, their source lines, pasture types, the demo's names and the maps' words and
    credits are all in the document's language (the PDF's text and the DOCX's)."""
    import pasture

    text = _text(pilot_pdfs[lang])
    assert _english_in(text) == []
    # the premise: the stored content the document is made from holds those words
    path, plan_id = pilot_plan
    with pasture.open_store(path) as store:
        stored = json.dumps(mp.version_content(store, plan_id, 1), ensure_ascii=False)
    docx = Document(io.BytesIO(pilot_docx[lang]))
    premise = {"store:", "route:", "Plot ", "(generated)", "Union of Pasture Users", "area_ha"}
    assert premise <= set(_english_in(stored))
    said = [p.text for p in docx.paragraphs]
    said += [c.text for t in docx.tables for r in t.rows for c in r.cells]
    assert _english_in(" ".join(said)) == []


@pytest.mark.parametrize("lang", LANGS)
def test_printed_maps_credit_their_data(pilot_plan, pilot_pdfs, lang: str) -> None:  # type: ignore[no-untyped-def]
    """Every map of the plan carries the web maps' credit line (OSM, KATO, SRTM and the
    demo's 'generated' note), in the document's language."""
    import pasture
    from pasture.attribution import data_attribution
    from pasture.i18n import translator

    path, _ = pilot_plan
    with pasture.open_store(path) as store:
        credit = mp.map_credit(store, lang)
        web = data_attribution(store, "GENERATED")
    assert "OpenStreetMap" in web and "KATO" in web and "SRTM" in web and "GENERATED" in web
    assert "OpenStreetMap" in credit and "SRTM" in credit
    assert translator(lang).gettext("other layers generated (demo)") in credit
    text = _text(pilot_pdfs[lang])
    assert text.count(" ".join(credit.split())) == 6  # annexes 1, 2, 3, 4, 7 and 7-1


def test_docx_maps_print_at_200_dpi(pilot_docx) -> None:  # type: ignore[no-untyped-def]
    """The DOCX's PNG maps have at least :data:`maps.DPI` dots per inch at their printed size."""
    from pasture.management.maps import DPI

    doc = Document(io.BytesIO(pilot_docx["kk"]))
    shapes = list(doc.inline_shapes)
    assert len(shapes) == 6  # annexes 1, 2, 3, 4, 7 and 7-1
    for shape in shapes:
        blob = doc.part.related_parts[
            shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        ].blob
        width, height = (int.from_bytes(blob[i : i + 4], "big") for i in (16, 20))
        assert width / shape.width.inches >= DPI, (width, shape.width.inches)
        assert height / shape.height.inches >= DPI, (height, shape.height.inches)


def test_a_version_frozen_with_the_demos_english_union_names_prints_them_in_kk_and_ru(
    pilot_plan,
) -> None:  # type: ignore[no-untyped-def]
    """A version frozen before the union names were said in kk and ru (its kk and ru names
    the English one) is printed with them in kk and ru; a real union's name stays."""
    import pasture

    path, plan_id = pilot_plan
    with pasture.open_store(path) as store:
        content = mp.version_content(store, plan_id, 1)
        okrugs = store.read("okrugs").to_dict("records")
        unions = store.read("unions").set_index("id")["name"]
    names = content["sections"]["1"]["names"]
    keys = [k for k in names if k.startswith("union:")]
    assert keys  # the premise: the pilot okrug has union pasture
    for key in keys:  # as main froze them: the English name in every language
        english = unions[key.removeprefix("union:")]
        names[key] = {
            lang: TEXT["land_user_union"][lang].format(name=english) for lang in (*LANGS, "en")
        }
    names["union:real"] = {lang: "Береке" for lang in (*LANGS, "en")}
    mp.render.local_union_names(content, okrugs)
    for key in keys:
        for lang in LANGS:
            assert _english_in(names[key][lang]) == [], names[key][lang]
    assert names["union:real"]["ru"] == "Береке"
