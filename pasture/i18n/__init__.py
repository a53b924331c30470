"""Translations of what the maps and pages show: Kazakh, Russian and English.

The catalogues are gettext ``.po`` files under ``locales/<lang>/LC_MESSAGES/``
(domain ``pasture``), the committed source of truth. They are compiled with
Babel when first needed: an up-to-date ``.mo`` beside the ``.po`` is used if
there is one (see :func:`compile_catalogues`), otherwise the ``.po`` is
compiled in memory, so no build step outside Python is needed and nothing is
written into the package at run time.

Message ids are the English texts. Words that mean different things in
different places carry a gettext context (``pgettext``): ``season`` (winter,
spring, ...), ``water`` (a spring as a water source), ``load``, ``trend``,
``pasture`` (pasture types) and ``rotation``.

Dates and numbers are formatted per language with Babel (CLDR data):
``1 234,5`` in Kazakh and Russian, ``1,234.5`` in English.
"""

from __future__ import annotations

import gettext
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGE_NAMES",
    "SUPPORTED_LANGUAGES",
    "Translator",
    "catalogue_path",
    "compile_catalogues",
    "negotiate_language",
    "translator",
]

#: Languages the pages speak (DESIGN.md, API): Kazakh, Russian, English.
SUPPORTED_LANGUAGES: tuple[str, ...] = ("kk", "ru", "en")

#: Language used when neither the query nor the browser asks for a supported one:
#: Kazakh, the state language (Constitution of the Republic of Kazakhstan, art. 7).
DEFAULT_LANGUAGE = "kk"

#: Each language's name in itself, for a language switcher.
LANGUAGE_NAMES: dict[str, str] = {"kk": "Қазақша", "ru": "Русский", "en": "English"}

#: gettext domain of the catalogues.
DOMAIN = "pasture"

_LOCALES = Path(__file__).resolve().parent / "locales"


def catalogue_path(lang: str, *, suffix: str = ".po") -> Path:
    """Path of the ``.po`` (or ``.mo``) catalogue of a supported language."""
    _check(lang)
    return _LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def _check(lang: str) -> None:
    if lang not in SUPPORTED_LANGUAGES:
        raise ValueError(
            f"unsupported language {lang!r}; use one of {', '.join(SUPPORTED_LANGUAGES)}"
        )


def _compiled(lang: str) -> bytes:
    """The ``.mo`` bytes of a language: from an up-to-date ``.mo`` file or compiled now."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = catalogue_path(lang)
    mo = catalogue_path(lang, suffix=".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return mo.read_bytes()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


def compile_catalogues(dest: Path | None = None) -> list[Path]:
    """Write the ``.mo`` file of every language (beside the ``.po`` or under ``dest``).

    Not needed at run time; useful for packaging or for tools that read ``.mo``
    files (Jinja2's i18n extension, ``msgunfmt``).
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for lang in SUPPORTED_LANGUAGES:
        po = catalogue_path(lang)
        target = (
            po.with_suffix(".mo") if dest is None else dest / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as f:
            catalog = read_po(f, locale=lang, domain=DOMAIN)
        with target.open("wb") as out:
            write_mo(out, catalog)
        written.append(target)
    return written


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value or (isinstance(value, float) and math.isnan(value)))
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Translator:
    """Messages, dates and numbers of one language; build it with :func:`translator`."""

    lang: str
    _catalog: gettext.GNUTranslations = field(repr=False, compare=False)

    def gettext(self, message: str) -> str:
        """The translation of a message (the English text when it has none)."""
        return self._catalog.gettext(message)

    __call__ = gettext

    def pgettext(self, context: str, message: str) -> str:
        """The translation of a message in a context (``season``, ``water``, ...)."""
        return self._catalog.pgettext(context, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The singular or plural form for ``n`` under the language's plural rule."""
        return self._catalog.ngettext(singular, plural, n)

    def season(self, name: str) -> str:
        """A season's name: ``summer`` → ``жаз`` / ``лето``."""
        return self.pgettext("season", name)

    def seasons(self, names: str | Iterable[str] | None) -> str:
        """A season set (``"winter,spring"`` or a list) as translated, comma-separated text."""
        if names is None or _missing(names):
            return ""
        items = names.split(",") if isinstance(names, str) else list(names)
        return ", ".join(self.season(s.strip()) for s in items if s.strip())

    def number(self, value: Any, *, digits: int = 0) -> str:
        """A number with the language's grouping and decimal signs; ``no data`` when missing."""
        if _missing(value):
            return self.gettext("no data")
        from babel.numbers import format_decimal

        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return format_decimal(float(value), format=pattern, locale=self.lang)

    def percent(self, value: Any, *, digits: int = 0) -> str:
        """A fraction as a percentage (0.85 → ``85 %`` / ``85%``)."""
        if _missing(value):
            return self.gettext("no data")
        from babel.numbers import format_percent

        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
        return format_percent(float(value), format=pattern, locale=self.lang)

    def quantity(self, value: Any, unit: str, *, digits: int = 0) -> str:
        """A number followed by a translated unit: ``1 234 га``."""
        if _missing(value):
            return self.gettext("no data")
        return f"{self.number(value, digits=digits)} {self.gettext(unit)}"

    def date(self, value: date | datetime | str | Any, *, format: str = "medium") -> str:
        """A date in the language: ``format`` is a Babel width or a CLDR pattern (``d MMM``)."""
        if _missing(value):
            return self.gettext("no data")
        from babel.dates import format_date

        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        elif hasattr(value, "to_pydatetime"):
            value = value.to_pydatetime()
        if isinstance(value, datetime):
            value = value.date()
        return format_date(value, format=format, locale=self.lang)


@cache
def translator(lang: str) -> Translator:
    """The translator of a supported language (``kk``, ``ru`` or ``en``); cached."""
    _check(lang)
    catalog = gettext.GNUTranslations(io.BytesIO(_compiled(lang)))
    return Translator(lang, catalog)


def _parse_accept_language(header: str) -> list[tuple[str, float]]:
    """Language ranges of an ``Accept-Language`` header with their q-values (RFC 9110 12.5.4)."""
    out: list[tuple[str, float]] = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        tag = pieces[0]
        if not tag:
            continue
        q = 1.0
        for p in pieces[1:]:
            if p.lower().startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            out.append((tag, q))
    # stable sort: equal q-values keep the header's order
    return sorted(out, key=lambda item: -item[1])


def negotiate_language(
    query_lang: str | None,
    accept_language_header: str | None,
    *,
    default: str = DEFAULT_LANGUAGE,
) -> str:
    """The page language: a supported ``?lang=`` first, then the browser's preference, then ``default``.

    ``kk-KZ``, ``ru_RU`` and ``RU`` count as their base language; ``*`` takes
    ``default``. An unsupported ``query_lang`` is ignored rather than refused,
    so a stale link still shows a page.
    """
    _check(default)
    if query_lang:
        base = query_lang.strip().replace("_", "-").split("-")[0].lower()
        if base in SUPPORTED_LANGUAGES:
            return base
    for tag, _q in _parse_accept_language(accept_language_header or ""):
        if tag == "*":
            return default
        base = tag.replace("_", "-").split("-")[0].lower()
        if base in SUPPORTED_LANGUAGES:
            return base
    return default
