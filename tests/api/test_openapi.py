"""The OpenAPI 3.0 document: every schema a 3.0 schema, every OGC parameter as Part 1 declares it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from pasture_api.openapi import SCHEMA_31_ONLY, convert_schema, openapi_30

#: Keywords that give a nullable schema a type it is nullable *of*.
_TYPED = ("type", "$ref", "allOf", "anyOf", "oneOf")


def _schema_problems(schema: Any, where: str) -> list[str]:
    """What in one schema object (and its subschemas) is not OpenAPI 3.0."""
    if not isinstance(schema, dict):
        return []
    problems = []
    if schema.get("nullable") is True and not any(k in schema for k in _TYPED):
        problems.append(f"{where}: nullable without a type {schema}")
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []):
            if option == {"type": "null"} or (
                isinstance(option, dict) and option.get("nullable") and len(option) == 1
            ):
                problems.append(f"{where}: {key} with a bare null member")
    if isinstance(schema.get("type"), list) or schema.get("type") == "null":
        problems.append(f"{where}: type {schema['type']!r}")
    problems += [f"{where}: 2020-12 keyword {k}" for k in sorted(SCHEMA_31_ONLY & set(schema))]
    for key in ("items", "additionalProperties", "not"):
        problems += _schema_problems(schema.get(key), f"{where}/{key}")
    for key in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(schema.get(key, [])):
            problems += _schema_problems(sub, f"{where}/{key}/{i}")
    for name, sub in (schema.get("properties") or {}).items():
        problems += _schema_problems(sub, f"{where}/properties/{name}")
    return problems


def document_problems(node: Any, where: str = "") -> list[str]:
    """Every schema of the document (components, parameters, bodies, responses) checked."""
    if isinstance(node, list):
        return [p for i, n in enumerate(node) for p in document_problems(n, f"{where}/{i}")]
    if not isinstance(node, dict):
        return []
    problems = []
    for key, value in node.items():
        if key == "schema":
            problems += _schema_problems(value, f"{where}/schema")
        elif where == "/components/schemas":
            problems += _schema_problems(value, f"{where}/{key}")
        else:
            problems += document_problems(value, f"{where}/{key}")
    return problems


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    return dict(r.json())


def test_every_schema_is_an_openapi_30_schema(document: dict[str, Any]) -> None:
    problems = document_problems(document)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:20])


def test_the_validator_accepts_the_document(document: dict[str, Any]) -> None:
    validate(document)  # raises with the first error


def test_the_walk_finds_what_the_old_conversion_made() -> None:
    # the old conversion's output for `str | None`, and 2020-12 leftovers
    bad = {
        "components": {"schemas": {"A": {"anyOf": [{"type": "string"}, {"nullable": True}]}}},
        "paths": {"/x": {"get": {"parameters": [{"schema": {"const": 1, "type": ["a", "b"]}}]}}},
    }
    assert len(document_problems(bad)) == 4


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, {"type": "string", "nullable": True}),
        (
            {"anyOf": [{"$ref": "#/x"}, {"type": "null"}], "title": "X"},
            {"allOf": [{"$ref": "#/x"}], "title": "X", "nullable": True},
        ),
        (
            {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
            {"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": True},
        ),
        ({"type": ["number", "null"]}, {"type": "number", "nullable": True}),
        ({"const": "Feature", "type": "string"}, {"enum": ["Feature"], "type": "string"}),
        (
            {"type": "integer", "exclusiveMinimum": 0},
            {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
        ),
        ({"type": "string", "examples": ["a", "b"]}, {"type": "string", "example": "a"}),
        (
            {"properties": {"const": {"anyOf": [{"type": "string"}, {"type": "null"}]}}},
            {"properties": {"const": {"type": "string", "nullable": True}}},
        ),
    ],
)
def test_convert_schema(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    assert convert_schema(schema) == expected


def test_a_query_parameter_is_optional_not_nullable() -> None:
    doc = {
        "openapi": "3.1.0",
        "paths": {
            "/x": {
                "get": {
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "schema": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        }
                    ]
                }
            }
        },
    }
    param = openapi_30(doc)["paths"]["/x"]["get"]["parameters"][0]
    assert param["schema"] == {"type": "string"}


def _parameters(document: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}


@pytest.mark.parametrize("cid", ["okrugs", "unions", "plots", "water-points", "routes"])
def test_items_parameters_as_part1_declares_them(document: dict[str, Any], cid: str) -> None:
    params = _parameters(document, f"/collections/{cid}/items")
    bbox, limit, when = params["bbox"], params["limit"], params["datetime"]
    for param in (bbox, limit, when):
        assert (param["style"], param["explode"], param["required"]) == ("form", False, False)
    assert bbox["schema"]["type"] == "array" and bbox["schema"]["items"] == {"type": "number"}
    sizes = {(o["minItems"], o["maxItems"]) for o in bbox["schema"]["oneOf"]}
    assert sizes == {(4, 4), (6, 6)}
    assert limit["schema"]["type"] == "integer" and limit["schema"]["minimum"] == 1
    # GDAL reads default and maximum here: 1000 features a request, not 10
    assert (limit["schema"]["default"], limit["schema"]["maximum"]) == (1000, 10_000)
    assert when["schema"] == {"type": "string"}


def test_part1_parameters_declared_where_qgis_322_reads_the_page_size(
    document: dict[str, Any],
) -> None:
    """QGIS 3.22 takes default and maximum limit from components/parameters/limit only."""
    shared = document["components"]["parameters"]
    assert set(shared) == {"bbox", "limit", "datetime"}
    assert (shared["limit"]["schema"]["default"], shared["limit"]["schema"]["maximum"]) == (
        1000,
        10_000,
    )
    for cid in ("okrugs", "plots", "routes"):
        params = _parameters(document, f"/collections/{cid}/items")
        assert {name: params[name] for name in shared} == shared, cid


def test_every_parameter_has_a_typed_schema(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for param in operation.get("parameters", []):
                schema = param["schema"]
                assert "nullable" not in schema, (path, method, param["name"])
                assert {"type", "$ref", "allOf"} & set(schema), (path, method, param["name"])
