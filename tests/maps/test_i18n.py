"""Catalogues: complete for kk and ru, every literal the maps and pages show is in them
(the pages' Python and templates too); negotiation; formats."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import pasture.maps
import pasture_api
from pasture.i18n import (
    SUPPORTED_LANGUAGES,
    catalogue_path,
    compile_catalogues,
    negotiate_language,
    translator,
)

KEYWORDS = {"t": None, "gettext": None, "pgettext": ((1, "c"), 2), "ngettext": (1, 2)}


def _catalogue(lang: str):
    with catalogue_path(lang).open("rb") as f:
        return read_po(f, locale=lang)


def _key(msgid, context):
    return (msgid if isinstance(msgid, str) else msgid[0], context)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_catalogue_is_complete(lang: str) -> None:
    english = {_key(m.id, m.context) for m in _catalogue("en") if m.id}
    catalogue = _catalogue(lang)
    found = {_key(m.id, m.context): m for m in catalogue if m.id}
    assert set(found) == english
    for key, message in found.items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{lang}: {key} has no translation"
        assert not message.fuzzy


_PAGES = Path(pasture_api.__file__).parent
_SOURCES = {
    "maps": (Path(pasture.maps.__file__).parent, ("**.py", "python")),
    "pages": (_PAGES / "pages", ("**.py", "python")),
    "templates": (_PAGES / "templates", ("**.html", "jinja2")),
}


@pytest.mark.parametrize("source", list(_SOURCES))
def test_every_literal_in_the_map_and_page_code_is_translated(source: str) -> None:
    folder, method = _SOURCES[source]
    english = {_key(m.id, m.context) for m in _catalogue("en") if m.id}
    used = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        folder, method_map=[method], keywords=KEYWORDS, options_map={method[0]: {}}
    ):
        if message:
            used.add(_key(message, context))
    assert used, "no messages extracted"
    assert used <= english, f"not in the catalogues: {sorted(used - english, key=str)}"


def test_seasons_and_words() -> None:
    kk, ru, en = translator("kk"), translator("ru"), translator("en")
    assert [kk.season(s) for s in ("winter", "spring", "summer", "autumn")] == [
        "қыс",
        "көктем",
        "жаз",
        "күз",
    ]
    assert [ru.season(s) for s in ("winter", "spring", "summer", "autumn")] == [
        "зима",
        "весна",
        "лето",
        "осень",
    ]
    assert (kk("Plots"), ru("Plots"), en("Plots")) == ("Учаскелер", "Участки", "Plots")
    # a spring as a water source is not the season
    assert ru.pgettext("water", "spring") == "родник"
    assert ru.ngettext("{n} plot", "{n} plots", 5).format(n=5) == "5 участков"
    assert ru.ngettext("{n} plot", "{n} plots", 2).format(n=2) == "2 участка"
    assert ru.ngettext("{n} plot", "{n} plots", 21).format(n=21) == "21 участок"


def test_number_and_date_formats() -> None:
    assert translator("en").number(1234.5, digits=1) == "1,234.5"
    assert translator("ru").number(1234.5, digits=1) == "1\u00a0234,5"
    assert translator("kk").number(float("nan")) == "деректер жоқ"
    assert translator("ru").date("2025-05-12", format="d MMMM") == "12 мая"
    assert translator("kk").date("2025-05-12", format="d MMMM") == "12 мамыр"
    assert translator("en").quantity(12.34, "ha", digits=1) == "12.3 ha"


def test_negotiate_language() -> None:
    assert negotiate_language("ru", "en") == "ru"
    assert negotiate_language("EN-gb", None) == "en"
    assert negotiate_language("de", "ru-RU,ru;q=0.9,en;q=0.8") == "ru"
    assert negotiate_language(None, "fr;q=1, en;q=0.5, kk;q=0.7") == "kk"
    assert negotiate_language(None, "fr, de") == "kk"
    assert negotiate_language(None, "*") == "kk"
    assert negotiate_language(None, None, default="ru") == "ru"
    with pytest.raises(ValueError, match="unsupported"):
        translator("de")


def test_compile_catalogues_writes_mo_files(tmp_path: Path) -> None:
    written = compile_catalogues(tmp_path)
    assert [p.parent.parent.name for p in written] == list(SUPPORTED_LANGUAGES)
    assert all(p.stat().st_size > 100 for p in written)
