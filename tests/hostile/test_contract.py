"""The HTTP layer's promises on every route, both stores: OPTIONS lists exactly the
methods a path answers (a method outside them is 405 with the same Allow), and an
oversized body is 413 on every route that takes one, announced or chunked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute

from .conftest import Hostile, api_routes, checksum, concrete_paths

PROBED = ("GET", "POST", "PUT", "PATCH", "DELETE")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _paths(routes: list[APIRoute], samples: dict[str, list[str]]) -> dict[str, set[str]]:
    """Each concrete path of the app with the methods some route answers on it."""
    out: dict[str, set[str]] = {}
    for template in sorted({r.path for r in routes}):
        for path in concrete_paths(template, samples):
            out[path] = {m for r in routes if r.path_regex.match(path) for m in r.methods}
    return out


def _problem(response: Any, status: int, where: str) -> None:
    assert response.status_code == status, f"{where}: {response.status_code} {response.text[:300]}"
    assert response.headers["content-type"] == "application/problem+json", where


def test_options_lists_exactly_the_methods_each_path_answers(
    hostile: Hostile, samples: dict[str, list[str]]
) -> None:
    paths = _paths(api_routes(hostile.client.app), samples)
    before = checksum(hostile.store)
    hostile.client.cookies.clear()
    for path, methods in paths.items():
        options = hostile.client.options(path)
        assert options.status_code == 204, f"OPTIONS {path}: {options.status_code}"
        allow = set(options.headers["allow"].split(", "))
        assert allow == methods | {"OPTIONS"}, f"OPTIONS {path}: {allow} != {methods}"
        for method in PROBED:
            # anonymous: a listed method reaches its route (and is refused there or
            # answers), an unlisted one is 405 naming the same methods
            response = hostile.client.request(method, path, follow_redirects=False)
            if method in methods:
                assert response.status_code != 405, f"{method} {path}"
            else:
                _problem(response, 405, f"{method} {path}")
                assert set(response.headers["allow"].split(", ")) == allow, f"{method} {path}"
    assert checksum(hostile.store) == before
    assert len(paths) > 40


def test_every_route_that_takes_a_body_refuses_an_oversized_one(
    hostile: Hostile, samples: dict[str, list[str]]
) -> None:
    limit = hostile.client.app.state.settings.max_body_bytes  # type: ignore[attr-defined]
    oversized = b"x" * (limit + 1)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(limit // 65_536 + 2):
            yield b"x" * 65_536

    paths = _paths(api_routes(hostile.client.app), samples)
    auth = hostile.token()
    before = checksum(hostile.store)
    sent = 0
    for path, methods in paths.items():
        for method in sorted(methods & BODY_METHODS):
            for media in ("application/json", "application/octet-stream"):
                headers = {**auth, "content-type": media, "If-Match": '"1"'}
                announced = hostile.client.request(method, path, content=oversized, headers=headers)
                _problem(announced, 413, f"{method} {path} ({media}, Content-Length)")
                streamed = hostile.client.request(method, path, content=chunks(), headers=headers)
                _problem(streamed, 413, f"{method} {path} ({media}, chunked)")
                assert str(limit) in streamed.json()["detail"]
                sent += 2
    assert checksum(hostile.store) == before
    assert sent >= 40
