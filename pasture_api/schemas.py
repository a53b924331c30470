"""Response models: they document the API (OpenAPI) and tests validate bodies against them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Collection",
    "Collections",
    "Conformance",
    "Extent",
    "Feature",
    "FeatureCollection",
    "JsonSchema",
    "LandingPage",
    "Link",
    "PlanAccepted",
    "PlanDetail",
    "PlanHerd",
    "PlanInfo",
    "PlanList",
    "ProblemDetails",
    "RecordList",
]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Link(_Open):
    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class LandingPage(_Open):
    title: str
    description: str
    links: list[Link]


class Conformance(_Open):
    conformsTo: list[str]  # noqa: N815 - OGC name


class SpatialExtent(_Open):
    bbox: list[list[float]]
    crs: str


class Extent(_Open):
    spatial: SpatialExtent | None = None


class Collection(_Open):
    id: str
    title: str
    description: str | None = None
    links: list[Link]
    extent: Extent | None = None
    itemType: str = "feature"  # noqa: N815 - OGC name
    crs: list[str] = Field(default_factory=list)


class Collections(_Open):
    links: list[Link]
    collections: list[Collection]


class Feature(_Open):
    type: Literal["Feature"]
    id: str | int | None = None
    geometry: dict[str, Any] | None
    properties: dict[str, Any] | None
    links: list[Link] | None = None


class FeatureCollection(_Open):
    type: Literal["FeatureCollection"]
    features: list[Feature]
    links: list[Link] | None = None
    timeStamp: str | None = None  # noqa: N815 - OGC name
    numberMatched: int | None = Field(None, ge=0)  # noqa: N815 - OGC name
    numberReturned: int | None = Field(None, ge=0)  # noqa: N815 - OGC name


class JsonSchema(_Open):
    """A JSON Schema (2020-12) of a collection's features: queryables or schema."""

    type: Literal["object"]
    title: str
    properties: dict[str, dict[str, Any]]


class RecordList(_Open):
    """A page of records without geometry (households, census)."""

    items: list[dict[str, Any]]
    numberMatched: int = Field(ge=0)  # noqa: N815 - same names as OGC pages
    numberReturned: int = Field(ge=0)  # noqa: N815
    links: list[Link]


class ProblemDetails(_Open):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str


class PlanInfo(_Open):
    id: str
    season_year: int
    state: str
    solver: str | None = None
    solver_status: str | None = None
    objective: float | None = None
    gap: float | None = None
    params: dict[str, Any] | None = None
    summary: dict[str, Any] | list[Any] | None = None
    created_at: str | None = None
    created_by: str | None = None
    approved_at: str | None = None
    approved_by: str | None = None
    links: list[Link] = Field(default_factory=list)


class PlanHerd(_Open):
    """A herd of a plan as the plan stored it: ``land_user`` a union's id or
    ``village:<settlement>``; ``kind`` union or village; ``heads`` per species, null where
    they would reveal a household (the rule in ``suppressed_by``, for the roles that see
    no personal data), decided from the households behind the heads when the plan was
    made (a plan stored before that was kept: from today's census)."""

    id: str
    name: str | None = None
    land_user: str | None = None
    kind: str | None = None
    heads: dict[str, int | None]
    suppressed_by: dict[str, str] = Field(default_factory=dict)


class PlanDetail(PlanInfo):
    """One plan with its herds (those the caller may see)."""

    herds: list[PlanHerd] = Field(default_factory=list)


class PlanList(_Open):
    plans: list[PlanInfo]


class PlanAccepted(_Open):
    id: str
    state: str
    links: list[Link]
