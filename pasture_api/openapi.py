"""FastAPI's OpenAPI 3.1 document as OpenAPI 3.0 (OGC API - Features, /conf/oas30).

JSON Schema 2020-12 says "optional" with ``anyOf: [X, {type: null}]``; OpenAPI 3.0
says it with ``nullable: true`` next to X's own ``type``. Converting the children
first and the parent afterwards turned the null member into a bare
``{nullable: true}`` (a schema that accepts anything), so the null members are
taken out *before* the children are converted.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

__all__ = ["SCHEMA_31_ONLY", "convert_schema", "openapi_30"]

_NULL = {"type": "null"}
#: JSON Schema 2020-12 keywords an OpenAPI 3.0 schema object does not have.
SCHEMA_31_ONLY = frozenset(
    {
        "$id",
        "$schema",
        "$anchor",
        "$defs",
        "$dynamicRef",
        "$dynamicAnchor",
        "$comment",
        "const",
        "contains",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
        "dependentRequired",
        "dependentSchemas",
        "else",
        "examples",
        "if",
        "maxContains",
        "minContains",
        "prefixItems",
        "propertyNames",
        "then",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)
#: Keywords whose value is one schema, a list of schemas, or a map of name -> schema.
_ONE = ("items", "additionalProperties", "not")
_MANY = ("allOf", "anyOf", "oneOf")
_MAP = ("properties",)
#: Annotations with no meaning in 3.0 and nothing to translate them to.
_DROP = ("$comment", "$schema", "$id", "contentMediaType", "contentEncoding")


def _without_null(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema with null taken out of ``anyOf``/``oneOf``/``type``; whether it was there."""
    out = dict(schema)
    nullable = out.pop("nullable", False) is True
    for key in ("anyOf", "oneOf"):
        options = out.get(key)
        if not isinstance(options, list) or _NULL not in options:
            continue
        nullable = True
        rest = [o for o in options if o != _NULL]
        del out[key]
        if len(rest) == 1 and "$ref" in rest[0]:
            # siblings of $ref are ignored in 3.0: wrap it to keep the annotations
            out["allOf"] = rest
        elif len(rest) == 1:
            out = {**rest[0], **out}
        elif rest:
            out[key] = rest
    kind = out.get("type")
    if isinstance(kind, list):
        nullable = nullable or "null" in kind
        kinds = [k for k in kind if k != "null"]
        if len(kinds) == 1:
            out["type"] = kinds[0]
        else:
            del out["type"]
            out["anyOf"] = [{"type": k} for k in kinds]
    return out, nullable


def _keywords_30(out: dict[str, Any]) -> dict[str, Any]:
    """2020-12 keywords of one schema object rewritten as their 3.0 equivalents."""
    if "examples" in out:
        examples = out.pop("examples")
        if isinstance(examples, list) and examples and "example" not in out:
            out["example"] = examples[0]
    if "const" in out:
        out["enum"] = [out.pop("const")]
    for bound, flag in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(bound)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[flag] = value
            out[bound] = True
    if "prefixItems" in out:  # a tuple: the items may be any of the positions
        positions = out.pop("prefixItems")
        out.setdefault("items", positions[0] if len(positions) == 1 else {"anyOf": positions})
        out.setdefault("minItems", len(positions))
        out.setdefault("maxItems", len(positions))
    for key in _DROP:
        out.pop(key, None)
    return out


def convert_schema(schema: Any) -> Any:
    """One JSON Schema 2020-12 schema (and its subschemas) as an OpenAPI 3.0 schema object."""
    if not isinstance(schema, dict):
        return schema
    out, nullable = _without_null(schema)
    if out == {} and nullable:
        return {"nullable": True}  # null only: no 3.0 form; the document test reports it
    for key in _ONE:
        if isinstance(out.get(key), dict):
            out[key] = convert_schema(out[key])
    for key in _MANY:
        if isinstance(out.get(key), list):
            out[key] = [convert_schema(s) for s in out[key]]
    for key in _MAP:
        if isinstance(out.get(key), dict):
            out[key] = {name: convert_schema(s) for name, s in out[key].items()}
    out = _keywords_30(out)
    if nullable:
        out["nullable"] = True
    return out


def _convert_schemas_in(node: Any) -> Any:
    """Every ``schema`` of the document (parameters, bodies, responses, headers) converted."""
    if isinstance(node, list):
        return [_convert_schemas_in(n) for n in node]
    if not isinstance(node, dict):
        return node
    return {
        k: convert_schema(v) if k == "schema" else _convert_schemas_in(v) for k, v in node.items()
    }


def _parameter_schemas(doc: dict[str, Any]) -> None:
    """A query parameter cannot carry null: an optional one is ``required: false``, not nullable."""
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            for param in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = param.get("schema")
                if isinstance(schema, dict):
                    schema.pop("nullable", None)


def openapi_30(doc: dict[str, Any]) -> dict[str, Any]:
    """FastAPI's OpenAPI 3.1 document as OpenAPI 3.0.3."""
    out = _convert_schemas_in(deepcopy(doc))
    components = out.get("components", {})
    if isinstance(components.get("schemas"), dict):
        components["schemas"] = {k: convert_schema(v) for k, v in components["schemas"].items()}
    _parameter_schemas(out)
    out.pop("webhooks", None)
    out.pop("jsonSchemaDialect", None)
    out.get("info", {}).pop("summary", None)
    out.get("info", {}).get("license", {}).pop("identifier", None)
    out["openapi"] = "3.0.3"
    return out
