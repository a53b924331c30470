"""Households, census and herds: scoped reads with ETags, edits with If-Match."""

from datetime import date
from typing import Annotated, Any

import shapely.geometry
from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, create_model

from pasture.errors import InvalidInput, NotFound
from pasture.model import SPECIES, FieldType, Layer
from pasture.model import layer as layer_named
from pasture.store import Record, Store

from . import web
from .auth import CurrentUser, Principal
from .deps import StoreDep
from .errors import PreconditionRequired
from .schemas import Feature, FeatureCollection, RecordList
from .scope import (
    check_union_fields,
    hidden_fields,
    in_scope,
    not_found,
    read_filter,
    require_role,
    scoped_where,
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


def records_router(*, store_dependency: Any = StoreDep, responses: dict[Any, Any]) -> APIRouter:
    """Routes of households, census and herds (deny by default, scoped by union)."""
    router = APIRouter(tags=["records"])
    StoreArg = Annotated[Store, store_dependency]  # noqa: N806
    errs = {k: v for k, v in responses.items() if k in (400, 401, 403, 404, 503)}
    edit_errs = {
        k: v for k, v in responses.items() if k in (400, 401, 403, 404, 412, 413, 422, 428, 503)
    }

    def scoped_get(store: Store, user: Principal, spec: Layer, record_id: str) -> Record:
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

    Limit = Annotated[int, Query(ge=1, le=10_000, description="records per page")]  # noqa: N806
    Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="records to skip")]  # noqa: N806
    UnionArg = Annotated[str | None, Query(description="union id (e.g. upu-akshi)")]  # noqa: N806

    households = layer_named("households")
    census = layer_named("census")
    herds = layer_named("herds")

    @router.get("/households", response_model=RecordList, responses=errs, summary="Households")
    def list_households(
        request: Request,
        store: StoreArg,
        user: CurrentUser,
        union: UnionArg = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Response:
        """Households of your union (akimat: all; analysts: without names)."""
        where = {} if union is None else {"union_id": union}
        return page(request, store, user, households, where, limit, offset)

    @router.get("/census", response_model=RecordList, responses=errs, summary="Census records")
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
        where: dict[str, Any] = {} if union is None else {"union_id": union}
        if household is not None:
            where["household_id"] = household
        return page(request, store, user, census, where, limit, offset)

    @router.get(
        "/census/totals",
        responses=errs,
        summary="Census totals per union and date",
    )
    def census_totals(store: StoreArg, user: CurrentUser) -> list[dict[str, Any]]:
        """Head counts summed per union and census date: the aggregate every role may see."""
        frame = store.read(census.name, where=read_filter(user, census))
        if frame.empty:
            return []
        grouped = frame.groupby(["union_id", "date"], sort=True)
        totals = grouped[list(SPECIES)].sum().reset_index()
        totals["households"] = grouped.size().to_numpy()
        return [
            {
                "union_id": str(r["union_id"]),
                "date": r["date"].date().isoformat(),
                "households": int(r["households"]),
                **{s: int(r[s]) for s in SPECIES},
            }
            for r in totals.to_dict("records")
        ]

    for spec in (households, census):
        _add_record_routes(router, spec, StoreArg, scoped_get, errs, edit_errs)

    @router.get(
        "/herds",
        response_model=FeatureCollection,
        response_class=web.GeoJSONResponse,
        responses=errs,
        summary="Herds",
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
        where = {} if union is None else {"union_id": union}
        return page(request, store, user, herds, where, limit, offset)

    _add_record_routes(router, herds, StoreArg, scoped_get, errs, edit_errs)
    return router


def _add_record_routes(
    router: APIRouter,
    spec: Layer,
    StoreArg: Any,  # noqa: N803
    scoped_get: Any,
    errs: dict[Any, Any],
    edit_errs: dict[Any, Any],
) -> None:
    geo = spec.geometry_type is not None
    path = f"/{spec.name}/{{record_id:path}}"
    model: Any = Feature if geo else dict[str, Any]
    response_class = web.GeoJSONResponse if geo else web.JSONResponse

    def represent(user: Principal, record: Record) -> Response:
        hidden = hidden_fields(user, spec)
        doc = _feature_doc(record, hidden) if geo else _record_doc(record, hidden)
        return web.json_response(
            doc,
            media_type=web.GEOJSON if geo else web.JSON,
            headers={"ETag": f'"{record.version}"'},
        )

    @router.get(
        path,
        response_model=model,
        response_class=response_class,
        responses=errs,
        summary=f"One {spec.name} record",
        operation_id=f"get_{spec.name}",
    )
    def get_record(store: StoreArg, user: CurrentUser, record_id: str) -> Response:
        record = scoped_get(store, user, spec, record_id)
        return represent(user, record)

    get_record.__doc__ = f"One {spec.name} record; its ETag is the version to send in If-Match."

    if spec.name == "households":
        return

    def can_edit(user: Principal) -> None:
        if spec.name == "census":
            require_role(user, Role.AKIMAT, Role.UNION)
        else:
            require_role(user, Role.AKIMAT)

    def apply(
        store: Store, user: Principal, record_id: str, changes: dict[str, Any], if_match: str | None
    ) -> Response:
        can_edit(user)
        record = scoped_get(store, user, spec, record_id)
        version = parse_if_match(if_match)
        check_union_fields(user, spec, changes)
        if user.role is Role.UNION and changes.get("household_id") not in (
            None,
            record.properties.get("household_id"),
        ):
            try:
                household = store.get("households", str(changes["household_id"]))
            except NotFound:
                household = None
            if household is None or household.properties.get("union_id") != user.union_id:
                raise InvalidInput(
                    f"{spec.name} {record_id!r}",
                    [f"no household {changes['household_id']!r} in your union"],
                )
        for key, value in list(changes.items()):
            if isinstance(value, date):
                changes[key] = value.isoformat()
        if "geometry" in changes:
            try:
                geom = shapely.geometry.shape(changes["geometry"]) if changes["geometry"] else None
            except (KeyError, TypeError, ValueError, AttributeError, IndexError):
                raise InvalidInput(
                    f"{spec.name} {record_id!r}", ["geometry must be a GeoJSON Point"]
                ) from None
            changes["geometry"] = geom
        updated = store.update(
            spec.name, record_id, changes, expected_version=version, user=user.username
        )
        return represent(user, updated)

    patch_model = body_model(spec, partial=True)
    put_model = body_model(spec, partial=False)
    IfMatch = Annotated[str | None, Header(description="ETag of the version you read")]  # noqa: N806

    @router.patch(
        path,
        response_model=model,
        response_class=response_class,
        responses=edit_errs,
        summary=f"Change fields of one {spec.name} record",
        operation_id=f"patch_{spec.name}",
    )
    def patch_record(
        store: StoreArg,
        user: CurrentUser,
        record_id: str,
        body: Annotated[patch_model, Body()],  # type: ignore[valid-type]
        if_match: IfMatch = None,
    ) -> Response:
        changes = body.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
        return apply(store, user, record_id, changes, if_match)

    patch_record.__doc__ = f"Change some fields of one {spec.name} record (If-Match required)."

    @router.put(
        path,
        response_model=model,
        response_class=response_class,
        responses=edit_errs,
        summary=f"Replace one {spec.name} record",
        operation_id=f"put_{spec.name}",
    )
    def put_record(
        store: StoreArg,
        user: CurrentUser,
        record_id: str,
        body: Annotated[put_model, Body()],  # type: ignore[valid-type]
        if_match: IfMatch = None,
    ) -> Response:
        changes = body.model_dump()  # type: ignore[attr-defined]
        if geo and changes.get("geometry") is None:
            changes.pop("geometry")
        return apply(store, user, record_id, changes, if_match)

    put_record.__doc__ = f"Replace every field of one {spec.name} record (If-Match required)."
