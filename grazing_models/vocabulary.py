"""The domain's vocabulary: seasons of pasture use and livestock species.

Pure names shared by the models here and by the ``pasture`` store layer, which imports
them from this module.
"""

from __future__ import annotations

from enum import StrEnum


class Season(StrEnum):
    """Seasonal pasture kinds of south-east Kazakhstan (docs/domain.md, Seasons)."""

    WINTER = "winter"
    SPRING = "spring"
    SUMMER = "summer"
    AUTUMN = "autumn"


SEASONS: tuple[str, ...] = tuple(s.value for s in Season)

#: Census and herd columns, one head count per species.
SPECIES: tuple[str, ...] = ("sheep", "goats", "cattle", "horses", "camels")


def format_seasons(seasons: object) -> str:
    """Normalise a season list or comma string to canonical comma-separated text."""
    if seasons is None:
        return ""
    items = seasons.split(",") if isinstance(seasons, str) else list(seasons)  # type: ignore[call-overload]
    wanted = {str(s).strip().lower() for s in items if str(s).strip()}
    unknown = wanted - set(SEASONS)
    if unknown:
        raise ValueError(f"unknown season(s) {sorted(unknown)}; use {', '.join(SEASONS)}")
    return ",".join(s for s in SEASONS if s in wanted)


def parse_seasons(text: str | None) -> tuple[str, ...]:
    """Split stored season text into a tuple in season order."""
    return tuple(s for s in (text or "").split(",") if s)


#: Names of each species in registers: English, Kazakh and Russian (singular and plural),
#: compared in lower case. "ірі қара" and "КРС" are cattle as a whole.
SPECIES_NAMES: dict[str, tuple[str, ...]] = {
    "sheep": ("sheep", "қой", "овца", "овцы"),
    "goats": ("goats", "goat", "ешкі", "коза", "козы"),
    "cattle": ("cattle", "ірі қара", "сиыр", "крс", "корова", "коровы"),
    "horses": ("horses", "horse", "жылқы", "лошадь", "лошади"),
    "camels": ("camels", "camel", "түйе", "верблюд", "верблюды"),
}


def parse_species(text: object) -> str | None:
    """The species a register's word names (any of :data:`SPECIES_NAMES`), or None."""
    word = " ".join(str(text).strip().lower().split())
    return next((s for s, names in SPECIES_NAMES.items() if word in names), None)
