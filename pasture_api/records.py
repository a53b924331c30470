"""Households, census and herds: scoped reads with ETags, edits with If-Match."""

from datetime import date
from typing import Annotated, Any

import shapely.geometry
from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, create_model
from shapely.errors import ShapelyError
from shapely.geometry.base import BaseGeometry

from pasture.disclosure import protected_totals
from pasture.errors import InvalidInput, NotFound
from pasture.model import FieldType, Layer
from pasture.model import layer as layer_named
from pasture.store import Record, Store

from . import web
from .auth import CurrentUser, Principal
from .deps import StoreDep
from .errors import Forbidden, PreconditionRequired
from .layers import map_cache
from .routing import bind
from .schemas import Feature, FeatureCollection, RecordList
from .scope import (
    check_household_field,
    check_union_fields,
    disclosure_rules,
    hidden_fields,
    in_scope,
    not_found,
    read_filter,
    require_role,
    scoped_where,
    sees_households,
)
from .users import Role

__all__ = ["body_model", "records_router"]

_TYPES: dict[FieldType, Any] = {
    FieldType.TEXT: str,
    FieldType.INTEGER: int,
    FieldType.REAL: float,
    FieldType.DATE: date,
    FieldType.SEASONS: str,
}


def body_model(spec: Layer, *, partial: bool) -> type[BaseModel]:
    """The request body of a PATCH (every field optional) or PUT (required fields required)."""
    fields: dict[str, Any] = {}
    for f in spec.fields:
        kind = _TYPES.get(f.type, str)
        required = f.required and not partial
        fields[f.name] = (kind if required else kind | None, ... if required else None)
    if spec.geometry_type == "POINT":
        fields["geometry"] = (dict[str, Any] | None, None)
    prefix = "Patch" if partial else "Put"
    return create_model(
        f"{prefix}{spec.name.title().replace('_', '')}",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )


def parse_if_match(value: str | None) -> int:
    """The version an If-Match header names; 428 without one."""
    if value is None:
        raise PreconditionRequired(
            "send If-Match with the ETag of the version you read (GET the record first)"
        )
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit():
        raise PreconditionRequired(
            f'If-Match must be the ETag of the record (a quoted version such as "3"), not {value!r}'
        )
    return int(text)


def _record_doc(record: Record, hidden: frozenset[str]) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": record.id}
    doc.update({k: v for k, v in record.properties.items() if k not in hidden})
    doc["version"] = record.version
    return doc


def _feature_doc(record: Record, hidden: frozenset[str]) -> dict[str, Any]:
    props = {k: v for k, v in record.properties.items() if k not in hidden}
    props["version"] = record.version
    geom = shapely.geometry.mapping(record.geometry) if record.geometry is not None else None
    return {"type": "Feature", "id": record.id, "geometry": geom, "properties": props}


StoreArg = Annotated[Store, StoreDep]
Limit = Annotated[int, Query(ge=1, le=10_000, description="records per page")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="records to skip")]
UnionArg = Annotated[str | None, Query(description="union id (e.g. upu-akshi)")]
IfMatch = Annotated[str | None, Header(description="ETag of the version you read")]

HOUSEHOLDS = layer_named("households")
CENSUS = layer_named("census")
HERDS = layer_named("herds")


def _refuse_household_census(user: Principal, spec: Layer = CENSUS) -> None:
    """A role that reads households anonymously (analysts) gets no one household's record."""
    if not sees_households(user, spec):
        raise Forbidden(
            f"your role reads {spec.name} without household identifiers, not one household's "
            "record: use the lists (/households, /census) or /census/totals (groups under the "
            "minimum size, and counts one household dominates, are suppressed)"
        )


def scoped_get(store: Store, user: Principal, spec: Layer, record_id: str) -> Record:
    """One record the caller may see; the same 404 whether it is missing or out of scope."""
    try:
        record = store.get(spec.name, record_id)
    except NotFound:
        raise not_found(spec, record_id) from None
    if not in_scope(user, spec, record.properties):
        raise not_found(spec, record_id)
    return record


def page(
    request: Request,
    store: Store,
    user: Principal,
    spec: Layer,
    where: dict[str, Any],
    limit: int,
    offset: int,
) -> Response:
    """One page of a layer's records in the caller's scope, with next/prev links."""
    scoped = scoped_where(user, spec, where)
    if scoped is None:  # e.g. a union asking for another union's records
        frame, matched = store.read(spec.name, ids=[]), 0
    else:
        frame = store.read(spec.name, where=scoped, limit=limit, offset=offset)
        matched = store.count(spec.name, where=scoped)
    hidden = hidden_fields(user, spec)
    href = f"{web.base_url(request)}/{spec.name}"
    links = [web.link(str(request.url), "self")]
    if offset + len(frame) < matched:
        links.append(web.link(f"{href}?limit={limit}&offset={offset + limit}", "next"))
    if offset > 0:
        links.append(web.link(f"{href}?limit={limit}&offset={max(0, offset - limit)}", "prev"))
    extra = {"links": links, "numberMatched": matched, "numberReturned": len(frame)}
    if spec.geometry_type:
        body = web.feature_collection_json(frame, drop=hidden, extra=extra)
        return Response(body, media_type=web.GEOJSON)
    items = web.records_of(frame, drop=hidden)
    return web.json_response({"items": items, **extra})


def _union_where(union: str | None) -> dict[str, Any]:
    return {} if union is None else {"union_id": union}


def list_households(
    request: Request,
    store: StoreArg,
    user: CurrentUser,
    union: UnionArg = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Households of your union (akimat: all; analysts: without names)."""
    return page(request, store, user, HOUSEHOLDS, _union_where(union), limit, offset)


def list_census(
    request: Request,
    store: StoreArg,
    user: CurrentUser,
    union: UnionArg = None,
    household: Annotated[str | None, Query(description="household id")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Census records of your union (akimat: all; analysts: without head counts)."""
    where = _union_where(union)
    if household is not None:
        _refuse_household_census(user)
        where["household_id"] = household
    return page(request, store, user, CENSUS, where, limit, offset)


def census_totals(request: Request, store: StoreArg, user: CurrentUser) -> list[dict[str, Any]]:
    """Head counts summed per union and census date: the aggregate every role may see.

    Households in no union are summed under ``union_id`` null (a union account never
    sees them: its reads are confined to its own union). Every cell passes the
    disclosure rules of docs/domain.md "Census disclosure control": a group of fewer
    households than ``census_min_group`` is suppressed whole (threshold rule), and one
    species' count where ``census_dominance_n`` households hold more than
    ``census_dominance_k`` % of the head is suppressed ((n, k) dominance rule). A
    suppressed count is null, ``suppressed_by`` names its rule and the row is marked
    ``suppressed``.

    Computed once per store version, caller's scope and rules (:class:`VersionCache`):
    reading every census row and checking each cell costs more than the rest of a
    request, and the answer changes only with a write.
    """
    scope = read_filter(user, CENSUS)
    rules = disclosure_rules(request.app.state.settings)
    key = ("census-totals", store.version(), tuple(sorted(scope.items())), rules)
    return map_cache(request).get(
        key, lambda: protected_totals(store.read(CENSUS.name, where=scope), rules)
    )


def list_herds(
    request: Request,
    store: StoreArg,
    user: CurrentUser,
    union: UnionArg = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Herds of your union (akimat and analysts: all) as GeoJSON."""
    return page(request, store, user, HERDS, _union_where(union), limit, offset)


def represent(user: Principal, spec: Layer, record: Record) -> Response:
    """A record as the caller may see it (GeoJSON Feature for a layer with geometry)."""
    geo = spec.geometry_type is not None
    hidden = hidden_fields(user, spec)
    doc = _feature_doc(record, hidden) if geo else _record_doc(record, hidden)
    return web.json_response(
        doc,
        media_type=web.GEOJSON if geo else web.JSON,
        headers={"ETag": f'"{record.version}"'},
    )


def get_record(store: StoreArg, user: CurrentUser, record_id: str, *, spec: Layer) -> Response:
    """One record; its ETag is the version to send in If-Match."""
    if spec.name in (CENSUS.name, HOUSEHOLDS.name):
        _refuse_household_census(user, spec)
    return represent(user, spec, scoped_get(store, user, spec, record_id))


def _can_edit(user: Principal, spec: Layer) -> None:
    if spec.name == "census":
        require_role(user, Role.AKIMAT, Role.UNION)
    else:
        require_role(user, Role.AKIMAT)


def _stored_values(spec: Layer, record_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO text and a GeoJSON geometry as a shape, as the store takes them."""
    out: dict[str, Any] = {
        k: v.isoformat() if isinstance(v, date) else v for k, v in changes.items()
    }
    if "geometry" in out:
        out["geometry"] = _geometry_of(spec, record_id, out["geometry"])
    return out


#: GeoJSON's names of the OGC geometry types a layer accepts.
_GEOJSON_TYPES = {
    "POINT": "Point",
    "MULTIPOINT": "MultiPoint",
    "LINESTRING": "LineString",
    "MULTILINESTRING": "MultiLineString",
    "POLYGON": "Polygon",
    "MULTIPOLYGON": "MultiPolygon",
}


def _geometry_of(spec: Layer, record_id: str, doc: Any) -> BaseGeometry | None:
    """A GeoJSON geometry as a shape; 422 naming the accepted types for anything else."""
    if not doc:
        return None
    accepted = [_GEOJSON_TYPES.get(t, t) for t in (spec.accepts or (spec.geometry_type or "",))]
    kind = doc.get("type") if isinstance(doc, dict) else None
    problem = None
    if kind not in accepted:
        problem = f"geometry type {kind!r} is not accepted"
    else:
        try:
            return shapely.geometry.shape(doc)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, ShapelyError):
            problem = f"the {kind} has no valid coordinates"
    raise InvalidInput(
        f"{spec.name} {record_id!r}",
        [
            f"{problem}: send a GeoJSON geometry of type {' or '.join(accepted)} with "
            'coordinates in longitude, latitude, e.g. {"type": "Point", "coordinates": [77.9, 43.4]}'
        ],
    )


def apply(
    store: Store,
    user: Principal,
    spec: Layer,
    record_id: str,
    changes: dict[str, Any],
    if_match: str | None,
) -> Response:
    """Check who may change what, then write the changes against the version read."""
    _can_edit(user, spec)
    record = scoped_get(store, user, spec, record_id)
    version = parse_if_match(if_match)
    check_union_fields(user, spec, changes)
    check_household_field(store, user, spec, record, changes)
    updated = store.update(
        spec.name,
        record_id,
        _stored_values(spec, record_id, changes),
        expected_version=version,
        user=user.username,
    )
    return represent(user, spec, updated)


def patch_record(
    store: StoreArg,
    user: CurrentUser,
    record_id: str,
    body: BaseModel,
    if_match: IfMatch = None,
    *,
    spec: Layer,
) -> Response:
    """Change some fields of one record (If-Match required)."""
    return apply(store, user, spec, record_id, body.model_dump(exclude_unset=True), if_match)


def put_record(
    store: StoreArg,
    user: CurrentUser,
    record_id: str,
    body: BaseModel,
    if_match: IfMatch = None,
    *,
    spec: Layer,
) -> Response:
    """Replace every field of one record (If-Match required)."""
    changes = body.model_dump()
    if spec.geometry_type is not None and changes.get("geometry") is None:
        changes.pop("geometry")
    return apply(store, user, spec, record_id, changes, if_match)


def _add_record_routes(
    router: APIRouter, spec: Layer, errs: dict[Any, Any], edit_errs: dict[Any, Any]
) -> None:
    """GET of one record; PATCH and PUT too for the layers that are edited (census, herds)."""
    geo = spec.geometry_type is not None
    path = f"/{spec.name}/{{record_id:path}}"
    common: dict[str, Any] = {
        "response_model": Feature if geo else dict[str, Any],
        "response_class": web.GeoJSONResponse if geo else web.JSONResponse,
    }
    router.add_api_route(
        path,
        bind(get_record, spec=spec),
        responses=errs,
        summary=f"One {spec.name} record",
        description=f"One {spec.name} record; its ETag is the version to send in If-Match.",
        operation_id=f"get_{spec.name}",
        **common,
    )
    if spec.name == "households":
        return
    for method, handler, partial, summary, description in (
        ("PATCH", patch_record, True, "Change fields of", "Change some fields of"),
        ("PUT", put_record, False, "Replace", "Replace every field of"),
    ):
        body = Annotated[body_model(spec, partial=partial), Body()]  # type: ignore[valid-type]
        router.add_api_route(
            path,
            bind(handler, spec=spec, annotations={"body": body}),
            methods=[method],
            responses=edit_errs,
            summary=f"{summary} one {spec.name} record",
            description=f"{description} one {spec.name} record (If-Match required).",
            operation_id=f"{method.lower()}_{spec.name}",
            **common,
        )


def records_router(*, responses: dict[Any, Any]) -> APIRouter:
    """Routes of households, census and herds (deny by default, scoped by union)."""
    router = APIRouter(tags=["records"])
    codes = (400, 401, 403, 404, 503)
    errs = {k: v for k, v in responses.items() if k in codes}
    edit_errs = {k: v for k, v in responses.items() if k in (*codes, 412, 413, 422, 428)}
    router.add_api_route(
        "/households",
        list_households,
        response_model=RecordList,
        responses=errs,
        summary="Households",
    )
    router.add_api_route(
        "/census", list_census, response_model=RecordList, responses=errs, summary="Census records"
    )
    router.add_api_route(
        "/census/totals", census_totals, responses=errs, summary="Census totals per union and date"
    )
    for spec in (HOUSEHOLDS, CENSUS):
        _add_record_routes(router, spec, errs, edit_errs)
    router.add_api_route(
        "/herds",
        list_herds,
        response_model=FeatureCollection,
        response_class=web.GeoJSONResponse,
        responses=errs,
        summary="Herds",
    )
    _add_record_routes(router, HERDS, errs, edit_errs)
    return router
