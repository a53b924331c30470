"""OGC API - Features for the map layers: Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0), Part 3
queryables as query parameters, and the schema of each collection (Part 5 draft)."""

import inspect
import json
import re
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from pasture.errors import NotFound
from pasture.model import SEASONS, FieldType, Layer
from pasture.model import layer as layer_named
from pasture.store import Store

from . import geojson, web
from .auth import CurrentUser
from .deps import StoreDep
from .errors import BadRequest
from .queryables import SCHEMA_JSON, feature_schema_doc, queryables_doc, schema_doc
from .routing import bind
from .schemas import (
    Collection,
    Collections,
    Conformance,
    Feature,
    FeatureCollection,
    JsonSchema,
    LandingPage,
)
from .scope import hidden_fields, read_filter, scoped_where

__all__ = [
    "COLLECTIONS",
    "CONFORMANCE",
    "CRS84",
    "REL_DESCRIBED_BY",
    "ItemsQuery",
    "declare_part1_parameters",
    "ogc_router",
    "part1_parameters",
]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    # Part 3: /collections/{id}/queryables, each queryable a ?name=value filter
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
REL_SCHEMA = "http://www.opengis.net/def/rel/ogc/1.0/schema"
#: IANA "describedby"; relation types compare case-insensitively (RFC 8288, 2.1.1), and
#: GDAL's OAPIF driver before 3.9 (Debian 12 has 3.6) matches only this spelling
REL_DESCRIBED_BY = "describedBy"
#: Collection id -> layer name.
COLLECTIONS = {
    "okrugs": "okrugs",
    "settlements": "settlements",
    "unions": "unions",
    "plots": "plots",
    "water-points": "water_points",
    "routes": "routes",
}
#: Largest offset accepted (SQLite binds 64-bit integers; far past any real layer).
MAX_OFFSET = 1_000_000_000
_STANDARD = ("f", "limit", "offset", "bbox", "datetime")
_DATETIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?|\.\.|)$", re.I
)

Season = Enum("Season", {s: s for s in SEASONS}, type=str)  # type: ignore[misc]


class Format(StrEnum):
    json = "json"
    html = "html"


@dataclass(frozen=True)
class ItemsQuery:
    """The parsed query of an items request, forwarded to ``Store.read``."""

    limit: int
    offset: int
    bbox: tuple[float, float, float, float] | None = None
    where: dict[str, Any] = field(default_factory=dict)
    f: str | None = None
    raw: dict[str, str] = field(default_factory=dict)


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """minx,miny,maxx,maxy (or with heights) in CRS84; 400 with what to fix otherwise."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise BadRequest(f"bbox must be 4 or 6 comma-separated numbers, not {text!r}") from None
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(abs(v) < float("inf") for v in values):
        raise BadRequest(f"bbox must be 4 or 6 comma-separated numbers, not {text!r}")
    minx, miny, maxx, maxy = values
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise BadRequest(
            "bbox is longitude,latitude in CRS84: longitudes in [-180, 180], "
            f"latitudes in [-90, 90] with the lower first; got {text!r}"
        )
    if minx > maxx:
        raise BadRequest(
            "bbox crossing the antimeridian (minx > maxx) is not supported; split it in two"
        )
    return minx, miny, maxx, maxy


def filter_params(spec: Layer) -> dict[str, tuple[str, Any, str]]:
    """Query parameter name -> (field, type, description) of a layer's property filters."""
    out: dict[str, tuple[str, Any, str]] = {}
    if spec.union_field:
        out["union"] = (spec.union_field, str, "union id (e.g. upu-akshi)")
    for f in spec.fields:
        if f.personal:
            continue
        if f.type is FieldType.SEASONS:
            out["season"] = (f.name, Season, f"keep features open in this season ({f.name})")
        elif f.type is FieldType.TEXT:
            out[f.name] = (f.name, str, f.description or f"features whose {f.name} equals this")
        elif f.type is FieldType.INTEGER:
            out[f.name] = (f.name, int, f.description or f"features whose {f.name} equals this")
    return out


def _standard_parameters(*, default_limit: int, max_limit: int) -> list[inspect.Parameter]:
    """f, limit, offset, bbox and datetime of every items operation."""
    kw = inspect.Parameter.KEYWORD_ONLY
    return [
        inspect.Parameter(
            "f",
            kw,
            default=None,
            annotation=Annotated[
                Format | None, Query(description="json or html (default: by Accept)")
            ],
        ),
        inspect.Parameter(
            "limit",
            kw,
            default=default_limit,
            annotation=Annotated[
                int,
                Query(
                    ge=1,
                    description=f"features per page; more than {max_limit} is clamped to {max_limit}",
                ),
            ],
        ),
        inspect.Parameter(
            "offset",
            kw,
            default=0,
            annotation=Annotated[int, Query(ge=0, le=MAX_OFFSET, description="features to skip")],
        ),
        inspect.Parameter(
            "bbox",
            kw,
            default=None,
            annotation=Annotated[
                str | None,
                Query(
                    description="minx,miny,maxx,maxy in CRS84 (longitude, latitude)",
                    examples=["77.5,43.5,77.7,43.7"],
                ),
            ],
        ),
        inspect.Parameter(
            "datetime",
            kw,
            default=None,
            annotation=Annotated[
                str | None,
                Query(
                    description="RFC 3339 instant or interval; the map layers have no time, so every feature matches"
                ),
            ],
        ),
    ]


def items_query(spec: Layer, *, default_limit: int, max_limit: int) -> Any:
    """A dependency with one documented query parameter per standard option and filter."""
    filters = filter_params(spec)
    allowed = {*_STANDARD, *filters}
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("request", kw, annotation=Request),
        *_standard_parameters(default_limit=default_limit, max_limit=max_limit),
    ]
    for name, (_, kind, description) in filters.items():
        params.append(
            inspect.Parameter(
                name,
                kw,
                default=None,
                annotation=Annotated[kind | None, Query(description=description)],
            )
        )

    async def dependency(request: Request, **values: Any) -> ItemsQuery:
        # pure parsing: run it on the event loop, not in a worker thread
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise BadRequest(
                f"unknown query parameter(s) {', '.join(unknown)}; "
                f"this collection takes {', '.join(sorted(allowed))}"
            )
        when = values.get("datetime")
        if when is not None and not all(_DATETIME.match(p) for p in when.split("/")):
            raise BadRequest(f"datetime must be an RFC 3339 date-time or interval, not {when!r}")
        where = {}
        for name, (fname, _, _) in filters.items():
            value = values.get(name)
            if value is not None:
                where[fname] = value.value if isinstance(value, Enum) else value
        fmt = values.get("f")
        return ItemsQuery(
            limit=min(int(values["limit"]), max_limit),
            offset=int(values["offset"]),
            bbox=parse_bbox(values["bbox"]) if values.get("bbox") is not None else None,
            where=where,
            f=fmt.value if fmt is not None else None,
            raw={k: v for k, v in request.query_params.items() if k not in ("f", "offset")},
        )

    dependency.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return dependency


def part1_parameters(*, default_limit: int, max_limit: int) -> dict[str, dict[str, Any]]:
    """bbox, limit and datetime as OGC API - Features Part 1 declares them (its OpenAPI
    fragments): FastAPI can only describe them as plain strings, so the document is
    patched with these after it is generated; the values are parsed by ``items_query``."""
    form = {"style": "form", "explode": False}
    return {
        "bbox": {
            **form,
            "example": [77.5, 43.5, 77.7, 43.7],
            "schema": {
                "type": "array",
                # the 1.0.1 fragment (oneOf) with the 1.0.0 one's bounds, which it implies:
                # validators of either edition (ogctests checks 1.0.0's) accept it
                "minItems": 4,
                "maxItems": 6,
                "oneOf": [{"minItems": 4, "maxItems": 4}, {"minItems": 6, "maxItems": 6}],
                "items": {"type": "number"},
            },
        },
        "limit": {
            **form,
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": max_limit,
                "default": default_limit,
            },
        },
        "datetime": {**form, "schema": {"type": "string"}},
    }


def declare_part1_parameters(doc: dict[str, Any], *, default_limit: int, max_limit: int) -> None:
    """Every items operation of the (OpenAPI 3.0) document with the Part 1 parameters, and
    the same parameters under ``components/parameters`` as Part 1's OpenAPI fragments name
    them: QGIS 3.22 reads its page size only from ``components/parameters/limit`` (and asks
    for 100 features a request without it)."""
    declared = part1_parameters(default_limit=default_limit, max_limit=max_limit)
    shared = doc.setdefault("components", {}).setdefault("parameters", {})
    for cid in COLLECTIONS:
        operation = doc["paths"][f"/collections/{cid}/items"]["get"]
        for param in operation["parameters"]:
            if param["name"] in declared:
                param.pop("example", None)
                param.update(deepcopy(declared[param["name"]]))
                shared.setdefault(param["name"], deepcopy(param))


def _geojson_content(model: type) -> dict[str, Any]:
    return {"model": model, "content": {"text/html": {"schema": {"type": "string"}}}}


def _json_content(model: type) -> dict[str, Any]:
    return {"model": model, "content": {"text/html": {"schema": {"type": "string"}}}}


StoreArg = Annotated[Store, StoreDep]
FormatArg = Annotated[Format | None, Query(description="json or html (default: by Accept)")]


def landing(request: Request, f: FormatArg = None) -> Response:
    """Links to the API definition, the conformance declaration and the collections."""
    fmt = web.negotiate(request, f and f.value)
    base = web.base_url(request)
    links = [
        web.link(
            f"{base}/?f=json",
            "self" if fmt == "json" else "alternate",
            web.JSON,
            "this document as JSON",
        ),
        web.link(
            f"{base}/?f=html",
            "self" if fmt == "html" else "alternate",
            "text/html",
            "this document as HTML",
        ),
        web.link(
            f"{base}/api", "service-desc", web.OPENAPI_JSON, "the API definition (OpenAPI 3.0)"
        ),
        web.link(f"{base}/api?f=html", "service-doc", "text/html", "the API documentation"),
        web.link(f"{base}/api/redoc", "service-doc", "text/html", "the API reference"),
        web.link(f"{base}/conformance", "conformance", web.JSON, "conformance classes"),
        web.link(f"{base}/collections", "data", web.JSON, "the collections"),
    ]
    doc = {
        "title": "Jailym: pasture of Enbekshikazakh District",
        "description": "Pasture plots, unions, okrugs, water points and livestock routes "
        "as OGC API - Features; plans and census for signed-in users.",
        "links": links,
    }
    if fmt == "html":
        return web.html_page(str(doc["title"]), links, f"<p>{doc['description']}</p>")
    return web.json_response(doc)


def conformance(request: Request, f: FormatArg = None) -> Response:
    """The OGC conformance classes this API implements."""
    fmt = web.negotiate(request, f and f.value)
    if fmt == "html":
        items = "".join(f"<li>{c}</li>" for c in CONFORMANCE)
        base = web.base_url(request)
        return web.html_page("Conformance", [web.link(f"{base}/", "home")], f"<ul>{items}</ul>")
    return web.json_response({"conformsTo": CONFORMANCE})


def collection_doc(base: str, cid: str, extents: dict[str, Any]) -> dict[str, Any]:
    """The description of one collection, with its links."""
    spec = layer_named(COLLECTIONS[cid])
    href = f"{base}/collections/{cid}"
    doc: dict[str, Any] = {
        "id": cid,
        "title": spec.title,
        "description": f"{spec.title}: " + ", ".join(f.name for f in spec.fields),
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            web.link(href, "self", web.JSON, "this collection"),
            web.link(f"{href}?f=html", "alternate", "text/html", "this collection as HTML"),
            web.link(f"{href}/items", "items", web.GEOJSON, "the features as GeoJSON"),
            web.link(f"{href}/items?f=html", "items", "text/html", "the features as HTML"),
            web.link(f"{href}/queryables", REL_QUERYABLES, SCHEMA_JSON, "the queryables"),
            web.link(f"{href}/schema", REL_SCHEMA, SCHEMA_JSON, "the schema of the features"),
            web.link(
                f"{href}/feature-schema",
                REL_DESCRIBED_BY,
                SCHEMA_JSON,
                "a feature as an OpenAPI 3.0 schema (typed fields for GDAL)",
            ),
        ],
    }
    extent = extents.get(spec.name)
    if extent is not None:
        doc["extent"] = {"spatial": {"bbox": [list(extent)], "crs": CRS84}}
    return doc


def _extents(store: Store) -> dict[str, Any]:
    return {layer.name: layer.extent for layer in store.info().layers}


def collections(
    request: Request, store: StoreArg, user: CurrentUser, f: FormatArg = None
) -> Response:
    """The map layers served as feature collections."""
    fmt = web.negotiate(request, f and f.value)
    base = web.base_url(request)
    extents = _extents(store)
    docs = [collection_doc(base, cid, extents) for cid in COLLECTIONS]
    links = [
        web.link(f"{base}/collections", "self", web.JSON, "this document"),
        web.link(f"{base}/collections?f=html", "alternate", "text/html", "this document as HTML"),
    ]
    if fmt == "html":
        rows = [{"id": d["id"], "title": d["title"]} for d in docs]
        hrefs = {d["id"]: f"{base}/collections/{d['id']}?f=html" for d in docs}
        return web.html_page(
            "Collections",
            [web.link(f"{base}/", "home"), *links],
            web.html_table(rows, href=hrefs),
        )
    return web.json_response({"links": links, "collections": docs})


def collection(
    request: Request, store: StoreArg, user: CurrentUser, f: FormatArg = None, *, cid: str
) -> Response:
    """Metadata of one collection."""
    fmt = web.negotiate(request, f and f.value)
    base = web.base_url(request)
    doc = collection_doc(base, cid, _extents(store))
    if fmt == "html":
        body = f"<p>{doc['description']}</p>"
        if "extent" in doc:
            body += f"<p>Extent (CRS84): {doc['extent']['spatial']['bbox'][0]}</p>"
        return web.html_page(
            doc["title"], [web.link(f"{base}/collections", "collections"), *doc["links"]], body
        )
    return web.json_response(doc)


def _read_page(store: Store, spec: Layer, where: dict[str, Any] | None, q: ItemsQuery) -> Any:
    """One page of features and how many match in all."""
    if where is None:
        return store.read(spec.name, ids=[]), 0
    if q.bbox is not None:
        # one read: the matches of a bbox are refined in Python anyway
        everything = store.read(spec.name, bbox=q.bbox, where=where)
        return everything.iloc[q.offset : q.offset + q.limit], len(everything)
    frame = store.read(spec.name, where=where, limit=q.limit, offset=q.offset)
    return frame, store.count(spec.name, where=where)


def items(
    request: Request, store: StoreArg, user: CurrentUser, q: ItemsQuery, *, cid: str
) -> Response:
    """Features of a collection, paged (limit, offset), filtered by bbox and properties."""
    spec = layer_named(COLLECTIONS[cid])
    fmt = web.negotiate(request, q.f, ("json", "html"))
    frame, matched = _read_page(store, spec, scoped_where(user, spec, q.where), q)
    base = web.base_url(request)
    href = f"{base}/collections/{cid}/items"
    links = _page_links(href, q, fmt, matched, len(frame))
    links.append(web.link(f"{base}/collections/{cid}", "collection", web.JSON, "the collection"))
    hidden = {"version", *hidden_fields(user, spec)}
    if fmt == "html":
        rows = web.records_of(frame, drop=hidden)
        hrefs = {r["id"]: f"{href}/{r['id']}?f=html" for r in rows}
        body = f"<p>{len(frame)} of {matched} features.</p>" + web.html_table(rows, href=hrefs)
        return web.html_page(spec.title, links, body)
    stamp = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    extra = {
        "links": links,
        "timeStamp": stamp,
        "numberMatched": matched,
        "numberReturned": len(frame),
    }
    return Response(
        geojson.feature_collection_json(frame, drop=hidden, extra=extra), media_type=web.GEOJSON
    )


def item(
    request: Request,
    store: StoreArg,
    user: CurrentUser,
    featureId: str,  # noqa: N803 - the OGC parameter name
    f: FormatArg = None,
    *,
    cid: str,
) -> Response:
    """One feature of a collection by id."""
    spec = layer_named(COLLECTIONS[cid])
    fmt = web.negotiate(request, f and f.value)
    frame = store.read(spec.name, ids=[featureId], where={**read_filter(user, spec)})
    if frame.empty:
        raise NotFound(
            f"no feature {featureId!r} in collection {cid}; list them at /collections/{cid}/items"
        )
    base = web.base_url(request)
    href = f"{base}/collections/{cid}/items/{featureId}"
    links = [
        web.link(
            href, "self" if fmt == "json" else "alternate", web.GEOJSON, "this feature as GeoJSON"
        ),
        web.link(
            f"{href}?f=html",
            "self" if fmt == "html" else "alternate",
            "text/html",
            "this feature as HTML",
        ),
        web.link(f"{base}/collections/{cid}", "collection", web.JSON, "the collection"),
    ]
    hidden = {"version", *hidden_fields(user, spec)}
    etag = {"ETag": f'"{int(frame["version"].iloc[0])}"'}
    if fmt == "html":
        record = web.records_of(frame, drop=hidden)[0]
        rows = [{"property": k, "value": v} for k, v in record.items()]
        resp = web.html_page(f"{spec.title}: {featureId}", links, web.html_table(rows))
        resp.headers.update(etag)
        return resp
    body = geojson.feature_collection_json(frame, drop=hidden)
    # the one feature of the collection, with its links
    feature = json.loads(body)["features"][0]
    feature["links"] = links
    return Response(web.json_bytes(feature), media_type=web.GEOJSON, headers=etag)


def queryables(request: Request, user: CurrentUser, *, cid: str) -> Response:
    """The properties of a collection that ``?name=value`` filters on (equality)."""
    spec = layer_named(COLLECTIONS[cid])
    href = f"{web.base_url(request)}/collections/{cid}/queryables"
    doc = queryables_doc(spec, href, hidden_fields(user, spec))
    return Response(web.json_bytes(doc), media_type=SCHEMA_JSON)


def schema(request: Request, user: CurrentUser, *, cid: str) -> Response:
    """The JSON Schema of a collection's features: every property you see, with its type."""
    spec = layer_named(COLLECTIONS[cid])
    href = f"{web.base_url(request)}/collections/{cid}/schema"
    doc = schema_doc(spec, href, hidden_fields(user, spec))
    return Response(web.json_bytes(doc), media_type=SCHEMA_JSON)


def feature_schema(user: CurrentUser, *, cid: str) -> Response:
    """A GeoJSON feature of a collection as an OpenAPI 3.0 Schema Object (for GDAL)."""
    spec = layer_named(COLLECTIONS[cid])
    doc = feature_schema_doc(spec, hidden_fields(user, spec))
    return Response(web.json_bytes(doc), media_type=SCHEMA_JSON)


class SchemaResponse(JSONResponse):
    media_type = SCHEMA_JSON


def _add_collection_routes(router: APIRouter, cid: str, errors: dict[Any, Any], query: Any) -> None:
    """The six routes of one collection (its id is in the path and in the operation ids)."""
    spec = layer_named(COLLECTIONS[cid])
    href = f"/collections/{cid}"
    name = spec.title.lower()
    schema_response = {200: {"model": JsonSchema, "content": {SCHEMA_JSON: {}}}, **errors}
    router.add_api_route(
        href,
        bind(collection, cid=cid),
        response_model=Collection,
        responses={200: _json_content(Collection), **errors},
        summary=f"Collection {cid}",
        description=f"Metadata of the {name} collection.",
        operation_id=f"describe_{spec.name}",
    )
    router.add_api_route(
        f"{href}/items",
        bind(items, cid=cid, annotations={"q": Annotated[ItemsQuery, Depends(query)]}),
        response_model=FeatureCollection,
        response_class=web.GeoJSONResponse,
        responses={200: _geojson_content(FeatureCollection), **errors},
        summary=f"Features of {cid}",
        description=f"Features of {name}, paged (limit, offset), filtered by bbox and properties.",
        operation_id=f"items_{spec.name}",
    )
    router.add_api_route(
        f"{href}/items/{{featureId}}",
        bind(item, cid=cid),
        response_model=Feature,
        response_class=web.GeoJSONResponse,
        responses={200: _geojson_content(Feature), **errors},
        summary=f"One feature of {cid}",
        description=f"One feature of {name} by id.",
        operation_id=f"item_{spec.name}",
    )
    router.add_api_route(
        f"{href}/queryables",
        bind(queryables, cid=cid),
        response_model=JsonSchema,
        response_class=SchemaResponse,
        responses=schema_response,
        summary=f"Queryables of {cid}",
        description=f"The properties of {name} that filter with ?name=value (JSON Schema).",
        operation_id=f"queryables_{spec.name}",
    )
    router.add_api_route(
        f"{href}/schema",
        bind(schema, cid=cid),
        response_model=JsonSchema,
        response_class=SchemaResponse,
        responses=schema_response,
        summary=f"Schema of {cid}",
        description=f"The properties of {name} with their types (JSON Schema).",
        operation_id=f"schema_{spec.name}",
    )
    router.add_api_route(
        f"{href}/feature-schema",
        bind(feature_schema, cid=cid),
        response_model=JsonSchema,
        response_class=SchemaResponse,
        responses=schema_response,
        summary=f"Feature schema of {cid}",
        description=f"One GeoJSON feature of {name} as an OpenAPI 3.0 Schema Object "
        "(one type per property, nullable when optional): what GDAL reads to type fields.",
        operation_id=f"feature_schema_{spec.name}",
    )


def ogc_router(
    *, default_limit: int = 1000, max_limit: int = 10_000, responses: dict[Any, Any]
) -> APIRouter:
    """The OGC API - Features routes: landing page, conformance, collections and their items."""
    router = APIRouter(tags=["OGC API - Features"])
    public = {k: v for k, v in responses.items() if k in (400, 406, 503)}
    private = {k: v for k, v in responses.items() if k in (400, 401, 404, 406, 503)}
    for path, handler, model, summary in (
        ("/", landing, LandingPage, "Landing page"),
        ("/conformance", conformance, Conformance, "Conformance classes"),
    ):
        router.add_api_route(
            path,
            handler,
            response_model=model,
            responses={200: _json_content(model), **public},
            summary=summary,
        )
    router.add_api_route(
        "/collections",
        collections,
        response_model=Collections,
        responses={200: _json_content(Collections), **private},
        summary="The feature collections",
    )
    for cid, layer_name in COLLECTIONS.items():
        query = items_query(
            layer_named(layer_name), default_limit=default_limit, max_limit=max_limit
        )
        _add_collection_routes(router, cid, private, query)
    return router


def _page_links(
    href: str, q: ItemsQuery, fmt: str, matched: int, returned: int
) -> list[dict[str, str]]:
    def url(offset: int, f: str | None) -> str:
        params = {**q.raw, "limit": str(q.limit)}
        if offset:
            params["offset"] = str(offset)
        if f:
            params["f"] = f
        return f"{href}?{urlencode(params)}"

    links = [
        web.link(
            url(q.offset, "json"),
            "self" if fmt == "json" else "alternate",
            web.GEOJSON,
            "this page as GeoJSON",
        ),
        web.link(
            url(q.offset, "html"),
            "self" if fmt == "html" else "alternate",
            "text/html",
            "this page as HTML",
        ),
    ]
    own = "json" if fmt == "json" else "html"
    media = web.GEOJSON if fmt == "json" else "text/html"
    if q.offset + returned < matched:
        links.append(web.link(url(q.offset + q.limit, own), "next", media, "next page"))
    if q.offset > 0:
        links.append(web.link(url(max(0, q.offset - q.limit), own), "prev", media, "previous page"))
    return links
