"""The feature schema each collection links with rel=describedBy: every served feature
matches it, and every property has one JSON type (what GDAL's OAPIF driver types from)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from openapi_schema_validator import OAS30Validator

from pasture.model import FieldType, layer
from pasture_api.ogc import COLLECTIONS, REL_DESCRIBED_BY
from tests.api.conftest import api_gpkg, auth, client, tokens  # noqa: F401 - fixtures by name

SCHEMA_JSON = "application/schema+json"
#: The JSON type a GDAL field of each stored type needs in the schema.
JSON_TYPE = {
    FieldType.INTEGER: "integer",
    FieldType.REAL: "number",
    FieldType.TEXT: "string",
    FieldType.DATE: "string",
    FieldType.SEASONS: "string",
}


@pytest.mark.parametrize("cid", list(COLLECTIONS))
def test_every_feature_matches_the_described_by_schema(
    client: TestClient,  # noqa: F811
    tokens: dict[str, str],  # noqa: F811
    cid: str,
) -> None:
    h = auth(tokens["analyst"])
    links = client.get(f"/collections/{cid}", headers=h).json()["links"]
    (described,) = [lk for lk in links if lk["rel"].lower() == REL_DESCRIBED_BY.lower()]
    assert described["type"] == SCHEMA_JSON
    response = client.get(described["href"], headers=h)
    assert response.status_code == 200 and response.headers["content-type"] == SCHEMA_JSON
    schema = response.json()
    OAS30Validator.check_schema(schema)
    validator = OAS30Validator(schema)
    features = client.get(f"/collections/{cid}/items?limit=10000", headers=h).json()["features"]
    assert features
    errors = [e.message for f in features for e in validator.iter_errors(f)]
    assert not errors, errors[:5]


@pytest.mark.parametrize("cid", list(COLLECTIONS))
def test_each_property_has_one_type_and_nullable_when_optional(
    client: TestClient,  # noqa: F811
    tokens: dict[str, str],  # noqa: F811
    cid: str,
) -> None:
    props = client.get(
        f"/collections/{cid}/feature-schema", headers=auth(tokens["analyst"])
    ).json()["properties"]["properties"]["properties"]
    spec = layer(COLLECTIONS[cid])
    for f in spec.fields:
        if f.personal:
            continue
        assert props[f.name]["type"] == JSON_TYPE[f.type], f.name
        assert props[f.name].get("nullable", False) is not f.required, f.name


def test_a_feature_that_breaks_the_schema_is_caught(
    client: TestClient,  # noqa: F811
    tokens: dict[str, str],  # noqa: F811
) -> None:
    """The check above can fail: a number sent as text does not match."""
    h = auth(tokens["analyst"])
    schema = client.get("/collections/plots/feature-schema", headers=h).json()
    feature = client.get("/collections/plots/items?limit=1", headers=h).json()["features"][0]
    feature["properties"]["area_ha"] = str(feature["properties"]["area_ha"])
    assert not OAS30Validator(schema).is_valid(feature)
