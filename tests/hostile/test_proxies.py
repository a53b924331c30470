"""X-Forwarded-For is believed only from a listed proxy: a client cannot pick the address
the login throttle counts by sending the header itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from pasture_api.main import create_app
from pasture_api.middleware import TrustedProxies
from tests.api.conftest import make_settings


def _scope(peer: str, forwarded: str | None) -> dict[str, Any]:
    headers = [] if forwarded is None else [(b"x-forwarded-for", forwarded.encode())]
    return {"type": "http", "client": (peer, 5555), "headers": headers}


def _client(trusted: list[str], peer: str, forwarded: str | None) -> str | None:
    middleware = TrustedProxies(lambda *a: None, trusted=trusted)  # type: ignore[arg-type]
    return middleware.client_of(_scope(peer, forwarded))


def test_forwarded_for_is_ignored_from_an_unlisted_peer() -> None:
    assert _client([], "203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert _client(["127.0.0.1"], "203.0.113.9", "198.51.100.1") == "203.0.113.9"


def test_forwarded_for_is_walked_through_trusted_proxies_only() -> None:
    trusted = ["127.0.0.1", "10.0.0.0/8"]
    # the proxy appended the real client on the right; the left part is the client's own
    assert _client(trusted, "127.0.0.1", "6.6.6.6, 198.51.100.7") == "198.51.100.7"
    assert _client(trusted, "127.0.0.1", "198.51.100.7, 10.1.2.3") == "198.51.100.7"
    assert _client(trusted, "127.0.0.1", None) == "127.0.0.1"
    assert _client(trusted, "127.0.0.1", "not-an-address") == "not-an-address"


def test_a_wrong_proxy_setting_is_refused() -> None:
    with pytest.raises(ValidationError, match="not an IP address or CIDR network"):
        make_settings("x.gpkg", trusted_proxies="localhost")


def test_rotating_forwarded_for_does_not_escape_the_login_throttle(
    writable_gpkg: Path,
) -> None:
    settings = make_settings(writable_gpkg, login_attempts_per_minute=3)
    with TestClient(create_app(settings)) as c:
        statuses = [
            c.post(
                "/auth/token",
                data={"username": "akimat", "password": "wrong"},
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
            ).status_code
            for i in range(5)
        ]
    assert statuses[:3] == [401, 401, 401] and statuses[3:] == [429, 429]
