"""Collection schemas (Part 5 draft) and queryables (Part 3): real types, what a role may see."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from pasture.model import SPECIES, layer
from pasture_api.auth import Principal
from pasture_api.ogc import COLLECTIONS, CONFORMANCE, REL_QUERYABLES, REL_SCHEMA
from pasture_api.queryables import field_schema, queryables_doc, schema_doc
from pasture_api.scope import hidden_fields
from pasture_api.users import Role

from .conftest import auth

SCHEMA_JSON = "application/schema+json"


def _types(prop: dict[str, Any]) -> set[str]:
    kind = prop["type"]
    return {kind} if isinstance(kind, str) else set(kind)


@pytest.fixture(scope="module")
def h(tokens: dict[str, str]) -> dict[str, str]:
    return auth(tokens["analyst"])


@pytest.mark.parametrize("cid", list(COLLECTIONS))
def test_collection_links_its_schema_and_queryables(
    client: TestClient, h: dict[str, str], cid: str
) -> None:
    links = {lk["rel"]: lk for lk in client.get(f"/collections/{cid}", headers=h).json()["links"]}
    for rel in (REL_QUERYABLES, REL_SCHEMA):
        assert links[rel]["type"] == SCHEMA_JSON
        r = client.get(links[rel]["href"], headers=h)
        assert r.status_code == 200 and r.headers["content-type"] == SCHEMA_JSON
        Draft202012Validator.check_schema(r.json())


@pytest.mark.parametrize("cid", list(COLLECTIONS))
def test_every_feature_matches_the_schema(client: TestClient, h: dict[str, str], cid: str) -> None:
    validator = Draft202012Validator(client.get(f"/collections/{cid}/schema", headers=h).json())
    features = client.get(f"/collections/{cid}/items?limit=10000", headers=h).json()["features"]
    errors = [e.message for f in features for e in validator.iter_errors(f["properties"])]
    assert not errors, errors[:5]


def test_plot_schema_has_real_types(client: TestClient, h: dict[str, str]) -> None:
    props = client.get("/collections/plots/schema", headers=h).json()["properties"]
    assert _types(props["area_ha"]) == {"number", "null"}
    assert _types(props["okrug_id"]) == {"string"}  # required: never null
    assert props["geometry"] == {
        "format": "geometry-multipolygon",
        "x-ogc-role": "primary-geometry",
    }
    assert props["id"]["x-ogc-role"] == "id"
    assert "version" not in props


def test_queryables_are_the_equality_filters(client: TestClient, h: dict[str, str]) -> None:
    doc = client.get("/collections/plots/queryables", headers=h).json()
    assert set(doc["properties"]) == {
        "name",
        "union_id",
        "okrug_id",
        "pasture_type",
        "land_category",
        "land_user",
        "source",
        "cadastral_number",
        "tenure",
        "settlement_id",
        "reserved_basis",
    }
    # Part 3 /req/queryables-query-parameters: each one is a query parameter of items
    for name in doc["properties"]:
        r = client.get(f"/collections/plots/items?{name}=x&limit=1", headers=h)
        assert r.status_code == 200, (name, r.text)
    own = client.get("/collections/plots/items?union_id=upu-akshi&limit=5", headers=h).json()
    assert {f["properties"]["union_id"] for f in own["features"]} == {"upu-akshi"}


def test_queryables_and_schema_need_a_token(client: TestClient) -> None:
    for part in ("queryables", "schema"):
        r = client.get(f"/collections/plots/{part}")
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"


def test_conformance_declares_part3() -> None:
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables" in CONFORMANCE
    assert not [c for c in CONFORMANCE if "ogcapi-features-5" in c]  # a draft: not claimed


def test_field_types() -> None:
    census = layer("census")
    assert field_schema(census.field("date")) == {
        "title": "date",
        "type": "string",
        "format": "date",
    }
    assert field_schema(census.field("sheep"))["type"] == "integer"
    assert field_schema(layer("plots").field("elevation_m"))["type"] == ["number", "null"]


@pytest.mark.parametrize(
    ("role", "sees_counts"), [(Role.AKIMAT, True), (Role.UNION, True), (Role.ANALYST, False)]
)
def test_personal_fields_only_for_roles_that_see_them(role: Role, sees_counts: bool) -> None:
    census = layer("census")
    user = Principal("u", role, "upu-akshi" if role is Role.UNION else None)
    hidden = hidden_fields(user, census)
    schema = schema_doc(census, "/s", hidden)["properties"]
    assert set(SPECIES) <= set(schema) if sees_counts else not set(SPECIES) & set(schema)
    assert "date" in schema and "union_id" in schema
    # personal fields are never queryable, whoever asks
    assert not set(SPECIES) & set(queryables_doc(census, "/q", hidden)["properties"])
    households = schema_doc(layer("households"), "/s", hidden_fields(user, layer("households")))
    assert ("name" in households["properties"]) is sees_counts
