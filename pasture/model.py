"""The data model: layers, their fields and the vocabularies they use.

Each layer is a table with a text ``id``, typed fields, an optional geometry in
EPSG:4326, a ``version`` for optimistic concurrency and a ``source`` that says
where the record came from (``generated: ...`` for demo data). Both stores and
the import/export code read these definitions; nothing else lists columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Season(StrEnum):
    """Seasonal pasture kinds of south-east Kazakhstan (DOMAIN.md, Seasons)."""

    WINTER = "winter"
    SPRING = "spring"
    SUMMER = "summer"
    AUTUMN = "autumn"


SEASONS: tuple[str, ...] = tuple(s.value for s in Season)

#: Census and herd columns, one head count per species.
SPECIES: tuple[str, ...] = ("sheep", "goats", "cattle", "horses", "camels")


class FieldType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    REAL = "real"
    DATE = "date"
    DATETIME = "datetime"
    #: a set of seasons, stored as comma-separated text in season order
    SEASONS = "seasons"


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    required: bool = False
    description: str = ""
    #: personal data: hidden from analysts, shown only to the owning union and the akimat
    personal: bool = False


@dataclass(frozen=True)
class Layer:
    """One table of the store."""

    name: str
    title: str
    fields: tuple[Field, ...]
    #: OGC geometry type name of the column (MULTIPOLYGON, POINT, ...) or None
    geometry_type: str | None = None
    #: geometry types accepted on import; they are promoted to ``geometry_type``
    accepts: tuple[str, ...] = ()
    #: field that names the owning union, for scoping by role
    union_field: str | None = None

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


T, INT, R = FieldType.TEXT, FieldType.INTEGER, FieldType.REAL
D, DT, S = FieldType.DATE, FieldType.DATETIME, FieldType.SEASONS

_SOURCE = Field(
    "source", T, description="where the record came from; 'generated: ...' for demo data"
)

OKRUGS = Layer(
    "okrugs",
    "Rural districts (okrugs)",
    (
        Field("name_kk", T, True, "name in Kazakh"),
        Field("name_ru", T, True, "name in Russian"),
        Field("name_en", T, True, "name in English"),
        Field("kato", T, description="KATO code; a plain attribute, never a join key"),
        _SOURCE,
    ),
    "MULTIPOLYGON",
    ("POLYGON", "MULTIPOLYGON"),
)

UNIONS = Layer(
    "unions",
    "Unions of pasture users",
    (
        Field("name", T, True),
        Field("okrug_id", T, True),
        Field("contact", T, description="office phone or address of the union"),
        _SOURCE,
    ),
    "MULTIPOLYGON",
    ("POLYGON", "MULTIPOLYGON"),
    union_field="id",
)

PLOTS = Layer(
    "plots",
    "Pasture plots",
    (
        Field("name", T),
        Field(
            "union_id", T, description="allocated union; empty for public or unallocated pasture"
        ),
        Field("okrug_id", T, True),
        Field("seasons", S, True, "seasons the plot may be grazed in"),
        Field("pasture_type", T, True),
        Field("land_category", T),
        Field("land_user", T),
        Field("elevation_m", R),
        Field("yield_winter_cha", R, description="geobotanical yield in winter, c/ha"),
        Field("yield_spring_cha", R, description="geobotanical yield in spring, c/ha"),
        Field("yield_summer_cha", R, description="geobotanical yield in summer, c/ha"),
        Field("yield_autumn_cha", R, description="geobotanical yield in autumn, c/ha"),
        Field("area_ha", R, description="geodesic area (WGS 84 ellipsoid), computed on write"),
        _SOURCE,
    ),
    "MULTIPOLYGON",
    ("POLYGON", "MULTIPOLYGON"),
    union_field="union_id",
)

WATER_POINTS = Layer(
    "water_points",
    "Water points",
    (
        Field("name", T),
        Field("kind", T, True, "well, spring, river access, trough, pond"),
        Field("capacity_m3_day", R),
        _SOURCE,
    ),
    "POINT",
    ("POINT",),
)

ROUTES = Layer(
    "routes",
    "Livestock routes",
    (
        Field("name", T),
        Field("seasons", S, True, "seasons the route is used in"),
        _SOURCE,
    ),
    "MULTILINESTRING",
    ("LINESTRING", "MULTILINESTRING"),
)

HOUSEHOLDS = Layer(
    "households",
    "Households (personal data)",
    (
        Field("name", T, True, personal=True),
        Field("union_id", T, True),
        _SOURCE,
    ),
    union_field="union_id",
)

_COUNTS = tuple(Field(s, INT, True, f"head of {s}") for s in SPECIES)

CENSUS = Layer(
    "census",
    "Livestock census by household (personal data)",
    (
        Field("household_id", T, True),
        Field("union_id", T, True),
        Field("date", D, True),
        *(Field(f.name, f.type, f.required, f.description, personal=True) for f in _COUNTS),
        _SOURCE,
    ),
    union_field="union_id",
)

HERDS = Layer(
    "herds",
    "Herds moved together",
    (
        Field("name", T),
        Field("union_id", T, True),
        *_COUNTS,
        _SOURCE,
    ),
    "POINT",
    ("POINT",),
    union_field="union_id",
)

#: Layers in dependency order: a layer may refer only to layers before it.
LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (OKRUGS, UNIONS, PLOTS, WATER_POINTS, ROUTES, HOUSEHOLDS, CENSUS, HERDS)
}


def layer(name: str) -> Layer:
    """Return the layer definition by name (hyphens allowed: ``water-points``)."""
    key = name.replace("-", "_")
    try:
        return LAYERS[key]
    except KeyError:
        known = ", ".join(n.replace("_", "-") for n in LAYERS)
        raise KeyError(f"unknown layer {name!r}; known layers: {known}") from None


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
