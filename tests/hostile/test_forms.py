"""The pages' form posts and the request headers, hostile: a NUL byte in a form field
(urlencoded or multipart) or in a header, and a body over the limit (announced or
chunked), are refused as problem+json and change nothing, on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pasture.management.service import create_plan

from .conftest import Hostile

OWN_UNION = "upu-akshi"


@pytest.fixture(scope="module")
def forms(hostile: Hostile) -> dict[str, tuple[str, dict[str, str]]]:
    """Each page form: its path and a valid set of fields (a real record and plan)."""
    census = hostile.store.read("census", where={"union_id": OWN_UNION}, limit=1)
    record = str(census["id"].iloc[0])
    okrug = str(hostile.store.get("unions", OWN_UNION).properties["okrug_id"])
    plan = create_plan(hostile.store, okrug, 2031, user="akimat")
    counts = {s: str(int(census[s].iloc[0])) for s in ("sheep", "goats", "cattle", "horses")}
    return {
        "login": ("/login", {"username": "akimat", "password": "demo", "next": "/me"}),
        "plan form": ("/pages/plans/new", {"season_year": "2025", "solver": "greedy"}),
        "census form": (
            f"/unions/{OWN_UNION}/census",
            {"record": record, "version": str(int(census["version"].iloc[0])), **counts},
        ),
        "management comment": (
            f"/management/{plan['id']}/comments",
            {"section": "annex-1", "body": "the plot is smaller", "plot_id": ""},
        ),
    }


def _signed_in(hostile: Hostile) -> None:
    """A page session of the akimat, kept by the client (the form routes run for it)."""
    hostile.client.cookies.clear()
    response = hostile.client.post(
        "/login", data={"username": "akimat", "password": "demo"}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert hostile.client.cookies.get("jailym_session")


FORMS = ("login", "plan form", "census form", "management comment")


def _poisoned(fields: dict[str, str]) -> dict[str, str]:
    """The fields with a NUL inside the first one's value."""
    first = next(iter(fields))
    return {**fields, first: fields[first][:2] + "\x00" + fields[first][2:]}


@pytest.mark.parametrize("form", FORMS)
def test_a_nul_in_an_urlencoded_form_post_is_refused(
    hostile: Hostile, forms: dict[str, Any], form: str
) -> None:
    path, fields = forms[form]
    _signed_in(hostile)
    body = hostile.refused("POST", path, 422, data=_poisoned(fields))
    assert "NUL" in body["detail"] and f"form field {next(iter(fields))}" in body["detail"]


@pytest.mark.parametrize("form", FORMS)
def test_a_nul_in_a_multipart_form_post_is_refused(
    hostile: Hostile, forms: dict[str, Any], form: str
) -> None:
    path, fields = forms[form]
    _signed_in(hostile)
    multipart = {k: (None, v) for k, v in _poisoned(fields).items()}
    body = hostile.refused("POST", path, 422, files=multipart)
    assert "NUL" in body["detail"] and f"form field {next(iter(fields))}" in body["detail"]


def _raw_multipart(parts: list[tuple[bytes, bytes]]) -> tuple[bytes, dict[str, str]]:
    """A multipart body built byte by byte (httpx, like a browser, writes a control
    character in a name as %00; a hostile client sends the byte itself)."""
    boundary = b"hostile-boundary"
    body = b"".join(
        b"--"
        + boundary
        + b"\r\nContent-Disposition: form-data; "
        + disposition
        + b"\r\n\r\n"
        + value
        + b"\r\n"
        for disposition, value in parts
    )
    body += b"--" + boundary + b"--\r\n"
    return body, {"content-type": f"multipart/form-data; boundary={boundary.decode()}"}


def test_a_nul_in_a_multipart_field_name_or_file_name_is_refused(
    hostile: Hostile, forms: dict[str, Any]
) -> None:
    path, fields = forms["census form"]
    _signed_in(hostile)
    valid = [(f'name="{k}"'.encode(), v.encode()) for k, v in fields.items()]
    body, headers = _raw_multipart([*valid, (b'name="sh\x00eep"', b"1")])
    problem = hostile.refused("POST", path, 422, content=body, headers=headers)
    assert "form field sh\\0eep" in problem["detail"]
    body, headers = _raw_multipart([*valid, (b'name="file"; filename="a\x00.csv"', b"x")])
    problem = hostile.refused("POST", path, 422, content=body, headers=headers)
    assert "file name of form field file" in problem["detail"]


def test_nul_bytes_inside_an_uploaded_file_are_not_refused(
    hostile: Hostile, forms: dict[str, Any]
) -> None:
    """A file's content may be binary: the form goes on to the route (which refuses the
    unknown record by itself, so nothing is written)."""
    path, fields = forms["census form"]
    _signed_in(hostile)
    files = {
        **{k: (None, v) for k, v in fields.items()},
        "record": (None, "no-such-record"),
        "file": ("data.bin", b"\x00\x01\x00"),
    }
    body = hostile.refused("POST", path, 404, files=files)
    assert "no-such-record" in body["detail"]


@pytest.mark.parametrize("form", FORMS)
def test_an_oversized_form_post_is_413(hostile: Hostile, forms: dict[str, Any], form: str) -> None:
    path, fields = forms[form]
    limit = hostile.client.app.state.settings.max_body_bytes  # type: ignore[attr-defined]
    _signed_in(hostile)
    big = {**fields, "padding": "x" * (limit + 1)}
    body = hostile.refused("POST", path, 413, data=big)
    assert str(limit) in body["detail"]
    multipart = {k: (None, v) for k, v in big.items()}
    hostile.refused("POST", path, 413, files=multipart)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts as it streams
        yield "&".join(f"{k}={v}" for k, v in fields.items()).encode()
        for _ in range(limit // 10_000 + 2):
            yield b"&padding=" + b"x" * 10_000

    hostile.refused(
        "POST",
        path,
        413,
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


@pytest.mark.parametrize("name", ["X-Note", "If-Match", "Authorization", "Accept-Language"])
def test_a_nul_in_a_header_value_is_400(hostile: Hostile, name: str) -> None:
    headers = {**hostile.token(), name: "a\x00b"}
    body = hostile.refused("GET", "/census/totals", 400, headers=headers)
    assert f"header {name.lower()}" in body["detail"] and "NUL" in body["detail"]
    login = {"username": "akimat", "password": "demo"}
    hostile.refused("POST", "/auth/token", 400, data=login, headers={name: "\x00"})
