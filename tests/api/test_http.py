"""HTTP hardening through the real ASGI app: OPTIONS answers with Allow, chunked bodies are limited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pasture_api.main import create_app

from .conftest import auth, login, make_settings

CENSUS = "H-akshi-0001/2025-01-01"


@pytest.fixture
def small_body_client(writable_gpkg: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(writable_gpkg, max_body_bytes=2000))) as c:
        yield c


def _chunks(total: int, size: int = 500) -> Iterator[bytes]:
    yield b'{"sheep": 1' + b" " * 10
    sent = 0
    while sent < total:
        yield b" " * size
        sent += size
    yield b"}"


def test_chunked_body_over_the_limit_is_413(small_body_client: TestClient) -> None:
    h = auth(login(small_body_client, "akimat"))
    r = small_body_client.patch(
        f"/census/{CENSUS}",
        content=_chunks(5000),  # a generator: sent chunked, without Content-Length
        headers={**h, "If-Match": '"1"', "Content-Type": "application/json"},
    )
    assert r.status_code == 413, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert "2000" in r.json()["detail"]
    assert r.json()["type"] == "urn:jailym:problem:payload-too-large"


def test_chunked_body_under_the_limit_is_read(small_body_client: TestClient) -> None:
    h = auth(login(small_body_client, "akimat"))
    r = small_body_client.patch(
        f"/census/{CENSUS}",
        content=_chunks(1000),
        headers={**h, "If-Match": '"1"', "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["sheep"] == 1


def test_chunked_plan_request_over_the_limit_is_413(small_body_client: TestClient) -> None:
    h = auth(login(small_body_client, "akimat"))
    r = small_body_client.post(
        "/plans", content=_chunks(5000), headers={**h, "Content-Type": "application/json"}
    )
    assert r.status_code == 413, r.text


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/", {"GET"}),
        ("/collections/plots/items", {"GET"}),
        ("/census/H-akshi-0001/2025-01-01", {"GET", "PATCH", "PUT"}),
        ("/herds/upu-akshi-herd-01", {"GET", "PATCH", "PUT"}),
        ("/plans", {"GET", "POST"}),
        ("/auth/token", {"POST"}),
        ("/static/docs/swagger-ui.css", {"GET", "HEAD"}),
    ],
)
def test_options_answers_with_every_method_of_the_path(
    client: TestClient, path: str, methods: set[str]
) -> None:
    r = client.options(path)
    assert r.status_code == 204, r.text
    allow = {m.strip() for m in r.headers["allow"].split(",")}
    assert allow == methods | {"OPTIONS"}


def test_options_on_no_route_is_404(client: TestClient) -> None:
    r = client.options("/nowhere")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_405_lists_every_method_of_the_path(client: TestClient) -> None:
    r = client.delete("/census/H-akshi-0001/2025-01-01")
    assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"
    allow = {m.strip() for m in r.headers["allow"].split(",")}
    assert allow == {"GET", "PATCH", "PUT", "OPTIONS"}
