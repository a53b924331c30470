"""The data model: layers, their fields and the vocabularies they use.

Each layer is a table with a text ``id``, typed fields, an optional geometry in
EPSG:4326, a ``version`` for optimistic concurrency and a ``source`` that says
where the record came from (``generated: ...`` for demo data). Both stores and
the import/export code read these definitions; nothing else lists columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from grazing_models.vocabulary import SEASONS as SEASONS
from grazing_models.vocabulary import SPECIES
from grazing_models.vocabulary import Season as Season
from grazing_models.vocabulary import format_seasons as format_seasons
from grazing_models.vocabulary import parse_seasons as parse_seasons


class FieldType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    REAL = "real"
    DATE = "date"
    DATETIME = "datetime"
    #: a set of seasons, stored as comma-separated text in season order
    SEASONS = "seasons"
    #: a JSON document (parameters, models): jsonb in PostGIS, text in GeoPackage
    JSON = "json"


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    required: bool = False
    description: str = ""
    #: personal data: hidden from analysts, shown only to the owning union and the akimat
    personal: bool = False
    #: the values a text field may take (empty: any); checked on every write
    choices: tuple[str, ...] = ()
    #: the smallest value a number may take (None: any)
    minimum: float | None = None
    #: decimals a result is written with in tables for people (CSV, XLSX); None: as
    #: stored. Stored values are never rounded. See docs/architecture.md, "Exports".
    precision: int | None = None


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
D, DT, S, J = FieldType.DATE, FieldType.DATETIME, FieldType.SEASONS, FieldType.JSON

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

#: Kinds of settlement, as OpenStreetMap's ``place`` tag names them (docs/domain.md,
#: "Settlements and households").
SETTLEMENT_KINDS = ("town", "village", "hamlet")

SETTLEMENTS = Layer(
    "settlements",
    "Settlements (towns and villages)",
    (
        Field("name_kk", T, True, "name in Kazakh"),
        Field("name_ru", T, True, "name in Russian"),
        Field("name_en", T, True, "name in English"),
        Field("kato", T, description="KATO code; a plain attribute, never a join key"),
        Field("okrug_id", T, description="the rural okrug the settlement belongs to"),
        Field("kind", T, description="town, village or hamlet", choices=SETTLEMENT_KINDS),
        Field("population", INT, description="inhabitants (with its source)", minimum=0),
        Field("households", INT, description="households living there", minimum=0),
        _SOURCE,
    ),
    "POINT",
    ("POINT",),
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

#: Who holds a pasture plot: a public pasture of a settlement's households (Land Code
#: Art. 97 п.4), a union's, a household's own, or state land not allocated.
TENURES = ("public", "union", "household", "state")

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
        Field("cadastral_number", T, description="cadastral number of the land plot"),
        Field(
            "tenure",
            T,
            description="public (Land Code Art. 97 п.4, for a settlement's households), "
            "union, household or state",
            choices=TENURES,
        ),
        Field(
            "settlement_id",
            T,
            description="the settlement whose households a public pasture serves",
        ),
        Field("reserved_basis", T, description="legal basis of the reservation (decision)"),
        Field("reserved_until", D, description="end of the reservation (Art. 49-2: ≤ 20 years)"),
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
        Field("union_id", T, description="the household's union; empty when it is in none"),
        _SOURCE,
        Field("settlement_id", T, description="the settlement the household lives in"),
    ),
    union_field="union_id",
)

_COUNTS = tuple(Field(s, INT, True, f"head of {s}") for s in SPECIES)

CENSUS = Layer(
    "census",
    "Livestock census by household (personal data)",
    (
        Field("household_id", T, True),
        Field("union_id", T, description="the household's union; empty when it has none"),
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
    for layer in (
        OKRUGS,
        SETTLEMENTS,
        UNIONS,
        PLOTS,
        WATER_POINTS,
        ROUTES,
        HOUSEHOLDS,
        CENSUS,
        HERDS,
    )
}


def layer(name: str) -> Layer:
    """Return the layer definition by name (hyphens allowed: ``water-points``)."""
    key = name.replace("-", "_")
    try:
        return LAYERS[key]
    except KeyError:
        known = ", ".join(n.replace("_", "-") for n in LAYERS)
        raise KeyError(f"unknown layer {name!r}; known layers: {known}") from None


@dataclass(frozen=True)
class Table:
    """A table of computed results: typed columns and a key, no versions or history.

    Results are replaced as a whole slice (e.g. all capacity rows of a year) in
    one transaction; they can always be computed again from the layers.
    """

    name: str
    title: str
    columns: tuple[Field, ...]
    key: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def personal_names(self) -> frozenset[str]:
        """Columns no export, download or API answer carries (e.g. the largest
        households' shares the disclosure rules decide from)."""
        return frozenset(c.name for c in self.columns if c.personal)

    def column(self, name: str) -> Field:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


_LOW_CENTRAL_HIGH = ("low", "central", "high")

SCENES = Table(
    "scenes",
    "NDVI scene catalogue",
    (
        Field("id", T, True, "scene id: sensor, date and file name"),
        Field("date", D, True),
        Field("sensor", T, True),
        Field("path", T, True, "where the raster is read from"),
        Field("crs", T, True),
        Field("transform", J, True, "affine transform, 6 numbers (GDAL order a, b, c, d, e, f)"),
        Field("width", INT, True),
        Field("height", INT, True),
        Field("band", INT, True, "band of the file holding this date (1-based)"),
        Field("dtype", T, True),
        Field("nodata", R),
        Field("scale", R),
        Field("offset", R),
        Field("bounds_wgs84", J, True),
        Field("registered_at", DT, True),
        Field("registered_by", T, True),
        # provenance of a composite fetched from a STAC catalogue (`pasture ndvi fetch`),
        # read from the file's tags; empty for scenes registered from other files
        Field("catalog", T, description="STAC API the composite was fetched from"),
        Field("collection", T, description="STAC collection of the items"),
        Field("items", J, description="ids of the STAC items composited into the scene"),
        Field(
            "cloud_share",
            R,
            description="share of observations with data masked as cloud, shadow or snow",
            precision=4,
        ),
        Field("period_start", D, description="first day of the composite's period"),
        Field("period_end", D, description="last day of the composite's period"),
    ),
    ("id",),
)

NDVI_STATS = Table(
    "ndvi_stats",
    "NDVI per plot and date (coverage-weighted)",
    (
        Field("plot_id", T, True),
        Field("time", D, True),
        Field("scene_id", T),
        Field("mean", R),
        Field("std", R),
        Field("count", R, description="sum of coverage fractions of valid pixels"),
        Field("valid_fraction", R, True),
    ),
    ("plot_id", "time"),
)

CAPACITY = Table(
    "capacity",
    "Forage and carrying capacity per plot, season and year",
    (
        Field("plot_id", T, True),
        Field("year", INT, True),
        Field("season", T, True),
        Field("days", R, precision=0),
        Field("area_ha", R, precision=2),
        Field("utilisation", R, precision=2),
        Field("ndvi", R, precision=3),
        Field("n_obs", R, precision=1),
        Field("source", T, description="ndvi, yield or none"),
        *(Field(f"biomass_{k}_kg_ha", R, precision=1) for k in _LOW_CENTRAL_HIGH),
        *(Field(f"forage_{k}_kg", R, precision=0) for k in _LOW_CENTRAL_HIGH),
        *(Field(f"capacity_su_{k}", R, precision=1) for k in _LOW_CENTRAL_HIGH),
        *(Field(f"capacity_{s}", R, precision=1) for s in SPECIES),
        Field("model", J, description="biomass model and parameters used"),
        Field("harvest_efficiency", R, description="eaten share of the removal allowance"),
    ),
    ("plot_id", "year", "season"),
)

LOAD = Table(
    "load",
    "Livestock demand against capacity per plot, union or okrug",
    (
        Field("level", T, True, "plot, union or okrug"),
        Field("group_id", T, True, "plot, union or okrug id; 'public' for plots without a union"),
        Field("year", INT, True),
        Field("season", T, True),
        Field("demand_kg", R, precision=0),
        *(Field(f"forage_{k}_kg", R, precision=0) for k in _LOW_CENTRAL_HIGH),
        *(Field(f"stocking_ratio_{k}", R, precision=2) for k in _LOW_CENTRAL_HIGH),
        Field(
            "status",
            T,
            True,
            "against forage capacity: overloaded, within capacity, underused or unknown",
        ),
        Field(
            "norm_status",
            T,
            description="against Order 3-3/332: over the norm, within the norm, unused (< 50 %), no norm",
        ),
        Field("norm_load", R, description="livestock as a share of the permissible load"),
        Field("disagreement", T, description="why the norm and capacity statuses disagree"),
        Field("load_source", T, description="where the livestock came from (plan, census)"),
        Field("condition", T, description="plot condition the norm row is read for"),
        Field("condition_basis", T, description="why the plot has that condition"),
        # what the row was computed from (gpkg 0011 / postgis 0013); null on rows stored
        # before, whose disclosure falls back to today's plan and census
        Field("plan_id", T, description="the plan whose livestock the row counts (none: no plan)"),
        Field("contributors", INT, description="households whose livestock is in the row"),
        Field(
            "top_shares",
            J,
            description="the largest contributors' shares of the row's livestock, largest "
            "first (pasture.disclosure.Contributors); never published",
            personal=True,
        ),
    ),
    ("level", "group_id", "year", "season"),
)

TRENDS = Table(
    "trends",
    "Degradation: trend of annual integrated NDVI per plot",
    (
        Field("plot_id", T, True),
        Field("first_year", INT),
        Field("last_year", INT),
        Field("n_years", INT, True),
        Field("slope", R),
        Field("slope_low", R),
        Field("slope_high", R),
        Field("tau", R),
        Field("p_value", R),
        Field("alpha", R, True, "1 − confidence of the slope interval"),
        Field("status", T, True, "degrading, stable, improving or unknown"),
        Field("n_values", INT, description="composites tested"),
        Field("q_value", R, description="Benjamini–Hochberg q-value across the plots"),
        Field("fdr_q", R, description="false discovery rate a flag is controlled at"),
        Field("method", T, description="the trend test"),
        Field("reference", T, description="none, or the group whose median series is removed"),
    ),
    ("plot_id",),
)

GREENUP = Table(
    "greenup",
    "Green-up date per plot and year",
    (
        Field("plot_id", T, True),
        Field("year", INT, True),
        Field("greenup_date", D),
        Field("base", R),
        Field("peak", R),
        Field("n_valid", INT),
    ),
    ("plot_id", "year"),
)

PLANS = Table(
    "plans",
    "Grazing rotation plans",
    (
        Field("id", T, True),
        Field("season_year", INT, True),
        Field("state", T, True, "solving, draft, approved or failed"),
        Field("solver", T),
        Field("solver_status", T),
        Field("objective", R),
        Field("bound", R),
        Field("gap", R),
        Field("params", J, True, "every parameter of the plan"),
        Field("summary", J),
        Field("created_at", DT, True),
        Field("created_by", T, True),
        Field("approved_at", DT),
        Field("approved_by", T),
    ),
    ("id",),
)

ASSIGNMENTS = Table(
    "assignments",
    "Which herd grazes which plot in which period of a plan",
    (
        Field("plan_id", T, True),
        Field("herd_id", T, True),
        Field("union_id", T, True),
        Field("period", INT, True),
        Field("start", D, True),
        Field("end", D, True),
        Field("plot_id", T, description="empty when the herd could not be placed"),
        Field("sheep_units", R, precision=1),
        Field("demand_kg", R, precision=0),
        Field("eaten_kg", R, precision=0),
        Field(
            "available_kg",
            R,
            description="what the plot may give that period under the plan's utilisation",
            precision=0,
        ),
    ),
    ("plan_id", "herd_id", "period"),
)

DEFICITS = Table(
    "deficits",
    "Forage deficit per union and period of a plan, and what would close it",
    (
        Field("plan_id", T, True),
        Field("union_id", T, True),
        Field("period", INT, True),
        Field("start", D, True),
        Field("deficit_kg", R, True, precision=0),
        Field("sheep_units_to_move", R, precision=1),
        Field("feed_kg_dm", R, precision=0),
    ),
    ("plan_id", "union_id", "period"),
)

PLAN_HERDS = Table(
    "plan_herds",
    "The herds of a plan as it planned them: name, land user and heads",
    (
        Field("plan_id", T, True),
        Field("herd_id", T, True),
        Field("union_id", T, True, "the union, or village:<settlement id> for a village flock"),
        Field("kind", T, True, "union (a stored herd) or village (a flock of households)"),
        Field("name", T, description="a union herd's stored name; a village flock's in English"),
        Field("settlement_id", T, description="a village flock's settlement"),
        Field("species", T, description="a village flock's one species"),
        Field("flock", INT, description="a village flock's number among its species' flocks"),
        Field("flocks", INT, description="how many flocks of its species the village sends"),
        *(Field(s, INT) for s in SPECIES),
        # the households behind the heads at plan time (gpkg 0012 / postgis 0014); null on
        # herds of plans stored before, whose disclosure falls back to today's census
        Field("contributors", INT, description="households whose livestock is in the herd"),
        Field(
            "top_shares",
            J,
            description="the largest contributors' shares of the herd's sheep units, largest "
            "first (pasture.disclosure.Contributors); never published",
            personal=True,
        ),
    ),
    ("plan_id", "herd_id"),
)

#: Result tables in dependency order.
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        SCENES,
        NDVI_STATS,
        CAPACITY,
        LOAD,
        TRENDS,
        GREENUP,
        PLANS,
        ASSIGNMENTS,
        DEFICITS,
        PLAN_HERDS,
    )
}


def table(name: str) -> Table:
    """Return a result table definition by name."""
    try:
        return TABLES[name.replace("-", "_")]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known tables: {', '.join(TABLES)}") from None


# ----------------------------------------------------------------- management plans (Art. 13)
#: The pasture management and use plan of Law "On Pastures" Art. 13 (docs/domain.md, "The law
#: the outputs must serve"): its row, frozen versions, comments and history. Rows are
#: written by :mod:`pasture.management.storage` only, each change in one transaction.
MANAGEMENT_PLANS = Table(
    "management_plans",
    "Pasture management and use plans (Art. 13), one per okrug and term",
    (
        Field("id", T, True),
        Field("okrug_id", T, True),
        Field("first_year", INT, True, "first year of the plan's term"),
        Field("last_year", INT, True, "last year of the plan's term"),
        Field("state", T, True, "draft, discussion, submitted, approved, amended or expired"),
        Field("version", INT, True, "the newest version"),
        Field("in_force", INT, description="the approved version in force, if any"),
        Field("decision_number", T, description="the maslikhat decision of that version"),
        Field("decision_date", D),
        Field("revision", INT, True, "moves on with every change (optimistic concurrency)"),
        Field("created_at", DT, True),
        Field("created_by", T, True),
    ),
    ("id",),
)

MANAGEMENT_VERSIONS = Table(
    "management_versions",
    "Versions of management plans: a frozen snapshot of the content each",
    (
        Field("plan_id", T, True),
        Field("version", INT, True),
        Field("content", J, True, "the annexes' figures as read from the store, with sources"),
        Field("note", T, description="why this version was made (e.g. the amendment's reason)"),
        Field("decision_number", T, description="the maslikhat decision that approved it"),
        Field("decision_date", D),
        Field("created_at", DT, True),
        Field("created_by", T, True),
    ),
    ("plan_id", "version"),
)

MANAGEMENT_COMMENTS = Table(
    "management_comments",
    "Comments on a management plan's sections and plots, and their answers",
    (
        Field("id", T, True),
        Field("plan_id", T, True),
        Field("version", INT, True),
        Field("section", T, True, "annex: 1-8 or 7-1; 'general' for the whole plan"),
        Field("plot_id", T),
        Field("author", T, True),
        Field("author_role", T, True),
        Field("body", T, True),
        Field("created_at", DT, True),
        Field("answer", T),
        Field("answered_by", T),
        Field("answered_at", DT),
    ),
    ("id",),
)

MANAGEMENT_EVENTS = Table(
    "management_events",
    "Every action on a management plan: who, when, what",
    (
        Field("plan_id", T, True),
        Field("seq", INT, True),
        Field("action", T, True),
        Field("version", INT, True),
        Field("username", T, True),
        Field("at", DT, True),
        Field("detail", J),
    ),
    ("plan_id", "seq"),
)

TABLES.update(
    (t.name, t)
    for t in (MANAGEMENT_PLANS, MANAGEMENT_VERSIONS, MANAGEMENT_COMMENTS, MANAGEMENT_EVENTS)
)
