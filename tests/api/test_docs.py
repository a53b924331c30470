"""The documentation pages load everything from this server: no CDN, no font service."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient


class _Refs(HTMLParser):
    """Every src/href of the page, and every URL written in its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.refs += [v for k, v in attrs if k in ("src", "href", "spec-url") and v]

    def handle_data(self, data: str) -> None:
        self.refs += re.findall(r"""(?:https?:)?//[^\s'"<>)]+""", data)


def _refs(html: str) -> list[str]:
    parser = _Refs()
    parser.feed(html)
    return parser.refs


@pytest.mark.parametrize("path", ["/api?f=html", "/api/redoc"])
def test_docs_page_references_no_external_host(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    refs = _refs(r.text)
    assert any("/static/docs/" in ref for ref in refs), refs
    external = [ref for ref in refs if re.match(r"^(https?:)?//", ref)]
    assert not external, external
    for ref in refs:
        if ref.startswith("/static/docs/"):
            asset = client.get(ref)
            assert asset.status_code == 200 and len(asset.content) > 1000, ref


def test_landing_page_links_both_pages(client: TestClient) -> None:
    docs = [lk["href"] for lk in client.get("/").json()["links"] if lk["rel"] == "service-doc"]
    assert any(h.endswith("/api?f=html") for h in docs) and any(
        h.endswith("/api/redoc") for h in docs
    )
