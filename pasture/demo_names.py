"""The names the demo generator gives its records, and the same names in another language.

The store keeps one ``name`` per plot, water point, route and union (names in kk, ru and
en only for okrugs and settlements), and the demo fills it in English ("Plot 12
(generated)"). The printed plan in Kazakh or Russian must not carry those English words,
so the document prints a generated name in its own language, made from the number (and
kind, okrug) the name was made from: :func:`local_name`. The patterns below are the one
source of both, the demo's names (:mod:`pasture.demo`) and their reading here; the
localised forms are the English patterns' entries in the gettext catalogues
(:mod:`pasture.i18n`). A name that matches no pattern is a real name, printed as recorded.
The pages and maps show names the same way (:func:`local_names` on a layer's frame).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from .i18n import Translator

if TYPE_CHECKING:
    from .store import Store

__all__ = [
    "HERD_KINDS",
    "HERD_NAMES",
    "PLOT_NAME",
    "ROUTE_NAME",
    "UNION_NAME",
    "WATER_NAME",
    "local_name",
    "local_names",
    "store_places",
    "union_place",
    "union_places",
]

#: A generated plot's name (its number in the demo's north-to-south order).
PLOT_NAME = "Plot {n} (generated)"
#: A generated water point's name: its kind (capitalised) and number.
WATER_NAME = "{kind} {n} (generated)"
#: A generated transhumance route's name.
ROUTE_NAME = "Transhumance route {n} (generated)"
#: A generated union's name: its okrug's English name without " rural okrug".
UNION_NAME = "{place} Union of Pasture Users (generated)"
#: The kinds of herd a generated union keeps: the kind's words in a herd's name and the
#: species each kind moves together.
HERD_KINDS = (
    ("sheep and goat flock", ("sheep", "goats")),
    ("cattle herd", ("cattle",)),
    ("horse herd", ("horses", "camels")),
)
#: A generated union herd's name per kind: its union's place (as in :data:`UNION_NAME`),
#: the kind and its number among the union's herds of that kind. One whole phrase per
#: kind, as the words of a flock and a herd differ in each language.
HERD_NAMES = {
    "sheep and goat flock": "{place} union sheep and goat flock {n}",
    "cattle herd": "{place} union cattle herd {n}",
    "horse herd": "{place} union horse herd {n}",
}


def union_place(okrug_name_en: object) -> str:
    """The place a generated union is named after: its okrug's English name, short."""
    return str(okrug_name_en).removesuffix(" rural okrug")


def union_places(okrugs: Iterable[Mapping[str, Any]], lang: str) -> dict[str, str]:
    """Each okrug's :func:`union_place` to its name in ``lang`` (for :func:`local_name`);
    in English the place itself, so an English name reads as recorded."""
    return {
        union_place(o["name_en"]): union_place(o["name_en"]) if lang == "en" else o[f"name_{lang}"]
        for o in okrugs
    }


_WATER_KINDS = ("well", "spring", "river access", "trough", "pond")


def _pattern(template: str, **groups: str) -> re.Pattern[str]:
    text = re.escape(template)
    for key, group in groups.items():
        text = text.replace(re.escape("{" + key + "}"), f"(?P<{key}>{group})")
    return re.compile(f"^{text}$")


_PLOT = _pattern(PLOT_NAME, n=r"\d+")
_ROUTE = _pattern(ROUTE_NAME, n=r"\d+")
_WATER = _pattern(WATER_NAME, kind="|".join(k.capitalize() for k in _WATER_KINDS), n=r"\d+")
_UNION = _pattern(UNION_NAME, place=".+")
_HERDS = {kind: _pattern(text, place=".+?", n=r"\d+") for kind, text in HERD_NAMES.items()}


def local_name(name: object, t: Translator, places: Mapping[str, str] | None = None) -> str:
    """``name`` in ``t``'s language when the demo generated it, else ``name`` as recorded.

    ``places``: an okrug's English name (as in :data:`UNION_NAME`) to its name in ``t``'s
    language, for a generated union; without it a union keeps its recorded name.
    """
    text = str(name)
    if m := _PLOT.match(text):
        return t.gettext(PLOT_NAME).format(n=m["n"])
    if m := _ROUTE.match(text):
        return t.gettext(ROUTE_NAME).format(n=m["n"])
    if m := _WATER.match(text):
        kind = t.pgettext("water", m["kind"].lower())
        return t.gettext(WATER_NAME).format(kind=kind[:1].upper() + kind[1:], n=m["n"])
    if not places:
        return text
    if (m := _UNION.match(text)) and m["place"] in places:
        return t.gettext(UNION_NAME).format(place=places[m["place"]])
    for kind, pattern in _HERDS.items():
        if (m := pattern.match(text)) and m["place"] in places:
            return t.gettext(HERD_NAMES[kind]).format(place=places[m["place"]], n=m["n"])
    return text


def store_places(okrugs: pd.DataFrame, lang: str) -> dict[str, str]:
    """:func:`union_places` of a store's ``okrugs`` layer (none for a store without one)."""
    if okrugs.empty or "name_en" not in okrugs or f"name_{lang}" not in okrugs:
        return {}
    return union_places(okrugs.to_dict("records"), lang)


def store_local_names(store: Store, frame: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """:func:`local_names` with the places of ``store``'s okrugs: a layer frame of the
    store as the pages and maps show it (the frame itself in English)."""
    if t.lang == "en":
        return frame
    return local_names(frame, t, store_places(store.read("okrugs"), t.lang))


def local_names(frame: pd.DataFrame, t: Translator, places: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` (a layer with a ``name``) with each name read through :func:`local_name`:
    a copy in kk and ru, the frame itself in English (the names as recorded)."""
    if t.lang == "en" or "name" not in frame or frame.empty:
        return frame
    out = frame.copy()
    out["name"] = [local_name(n, t, places) if isinstance(n, str) else n for n in out["name"]]
    return out
