"""JSON Schemas of a collection's features, built from ``pasture.model``'s field definitions.

``/collections/{id}/schema`` (OGC API - Features Part 5 draft, as pygeoapi serves it):
every property a caller sees, with its real type. ``/collections/{id}/queryables``
(Part 3, Queryables as query parameters): the properties that can be filtered on
with ``?name=value`` (equality), so a client such as GDAL sends only filters the
items operation accepts. Fields the caller's role may not see (``scope.hidden_fields``)
appear in none of them.

``/collections/{id}/feature-schema`` is the same properties inside a whole GeoJSON
feature, written as an OpenAPI 3.0 Schema Object (one ``type`` per property plus
``nullable``), linked from the collection with ``rel=describedBy``. That is the document
GDAL's OAPIF driver reads to type its fields, from Debian 12's GDAL 3.6 on: it takes only a
single-string ``type``, so 2020-12's ``["number", "null"]`` would be read as text, and
without a schema it guesses from the first page, where a column that is empty there
(``yield_summer_cha`` of winter plots) becomes text too.
"""

from __future__ import annotations

from typing import Any

from pasture.model import SEASONS, Field, FieldType, Layer

__all__ = [
    "SCHEMA_JSON",
    "feature_schema_doc",
    "field_schema",
    "oas30_field_schema",
    "queryables_doc",
    "schema_doc",
]

SCHEMA_JSON = "application/schema+json"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_TYPES: dict[FieldType, dict[str, Any]] = {
    FieldType.TEXT: {"type": "string"},
    FieldType.INTEGER: {"type": "integer"},
    FieldType.REAL: {"type": "number"},
    FieldType.DATE: {"type": "string", "format": "date"},
    FieldType.DATETIME: {"type": "string", "format": "date-time"},
    FieldType.SEASONS: {
        "type": "string",
        # comma-separated seasons in season order, e.g. "spring,autumn"
        "pattern": f"^({'|'.join(SEASONS)})(,({'|'.join(SEASONS)}))*$",
    },
    FieldType.JSON: {"type": ["object", "array"]},
}
#: Field types a ``?name=value`` filter compares for equality (see ogc.filter_params).
_EQUALITY = frozenset({FieldType.TEXT, FieldType.INTEGER})


def field_schema(field: Field) -> dict[str, Any]:
    """One property: JSON type (and format) of the field, its name and description."""
    out: dict[str, Any] = {"title": field.name, **_TYPES[field.type]}
    if not field.required:  # a feature without a value has null there
        kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*kinds, "null"]
    if field.description:
        out["description"] = field.description
    return out


def _geometry(spec: Layer) -> dict[str, Any]:
    kind = (spec.geometry_type or "any").lower()
    return {"format": f"geometry-{kind}", "x-ogc-role": "primary-geometry"}


def _document(
    href: str, title: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "$schema": _DIALECT,
        "$id": href,
        "type": "object",
        "title": title,
        "properties": properties,
    }
    if required:
        doc["required"] = required
    doc["additionalProperties"] = False
    return doc


def schema_doc(spec: Layer, href: str, hidden: frozenset[str]) -> dict[str, Any]:
    """The schema of a feature's properties as this caller receives them."""
    fields = [f for f in spec.fields if f.name not in hidden]
    properties: dict[str, Any] = {"id": {"title": "id", "type": "string", "x-ogc-role": "id"}}
    if spec.geometry_type:
        properties["geometry"] = _geometry(spec)
    properties.update({f.name: field_schema(f) for f in fields})
    required = [f.name for f in fields if f.required]
    return _document(href, f"{spec.title}: schema", properties, required)


def queryables_doc(spec: Layer, href: str, hidden: frozenset[str]) -> dict[str, Any]:
    """The properties this caller may filter on with ``?name=value``."""
    fields = [
        f for f in spec.fields if f.type in _EQUALITY and not f.personal and f.name not in hidden
    ]
    properties = {f.name: field_schema(f) for f in fields}
    return _document(href, f"{spec.title}: queryables", properties, [])


def oas30_field_schema(field: Field) -> dict[str, Any]:
    """One property as an OpenAPI 3.0 Schema Object: one type, ``nullable`` if optional."""
    kind = _TYPES[field.type]
    out: dict[str, Any] = {"title": field.name}
    if isinstance(kind["type"], str):  # JSON fields hold an object or an array: any type
        out.update(kind)
    if not field.required:
        out["nullable"] = True
    if field.description:
        out["description"] = field.description
    return out


def feature_schema_doc(spec: Layer, hidden: frozenset[str]) -> dict[str, Any]:
    """A GeoJSON feature of the collection as this caller receives it (OpenAPI 3.0 Schema
    Object, the dialect of the API's own document), for clients that type fields from it."""
    fields = [f for f in spec.fields if f.name not in hidden]
    kind = spec.geometry_type or "any geometry"
    properties: dict[str, Any] = {
        "type": "object",
        "properties": {f.name: oas30_field_schema(f) for f in fields},
        "additionalProperties": False,
    }
    required = [f.name for f in fields if f.required]
    if required:
        properties["required"] = required
    return {
        "title": f"{spec.title}: GeoJSON feature",
        "description": "OpenAPI 3.0 Schema Object of one feature of the collection's items",
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {
                "type": "object",
                "nullable": True,
                "description": f"GeoJSON geometry ({kind}) in CRS84",
            },
            "properties": properties,
        },
    }
