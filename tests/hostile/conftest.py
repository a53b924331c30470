"""Fixtures of the hostile-input suite: the demo app on each backend, and a checksum of
everything a refused request could have touched."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

import pasture
from pasture.store import Store
from pasture_api.main import create_app
from tests.api.conftest import (  # noqa: F401 - fixtures used by name
    PASSWORD,
    api_gpkg,
    copy_store,
    make_settings,
    postgis_url_module,
    writable_gpkg,
)

#: Layers and result tables a write through the API may change.
LAYERS = ("unions", "households", "census", "herds")
TABLES = ("plans", "assignments")


def checksum(store: Store) -> str:
    """A digest of the records, result tables, history and accounts of a store."""
    digest = hashlib.sha256()
    for layer in LAYERS:
        frame = store.read(layer)
        digest.update(
            frame.drop(columns="geometry", errors="ignore").to_json(date_format="iso").encode()
        )
        if "geometry" in frame:
            digest.update(b"".join(g.wkb if g is not None else b"-" for g in frame.geometry))
    for table in TABLES:
        digest.update(store.read_rows(table).to_json(date_format="iso").encode())
    digest.update(store.history().to_json(date_format="iso").encode())
    for row in sorted(store.accounts.all(), key=lambda r: str(r["username"])):
        digest.update(repr(sorted(row.items())).encode())
    return digest.hexdigest()


@dataclass
class Hostile:
    """The app on one backend, its store for the checksum, and tokens."""

    client: TestClient
    store: Store
    backend: str

    def token(self, user: str = "akimat") -> dict[str, str]:
        r = self.client.post("/auth/token", data={"username": user, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def refused(self, method: str, path: str, status: int, **kwargs: Any) -> dict[str, Any]:
        """Send a request that must be refused with ``status`` as problem+json; check
        that the store's content is the same before and after it."""
        before = checksum(self.store)
        response = self.client.request(method, path, **kwargs)
        after = checksum(self.store)
        assert response.status_code == status, f"{method} {path}: {response.text[:500]}"
        assert response.headers["content-type"] == "application/problem+json"
        body: dict[str, Any] = response.json()
        assert body["detail"] and body["status"] == status
        assert before == after, f"{method} {path} was refused but changed the store"
        return body


@pytest.fixture(scope="module", params=["geopackage", "postgis"])
def hostile(
    request: pytest.FixtureRequest,
    api_gpkg: Path,  # noqa: F811 - the fixture imported above
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Hostile]:
    """The demo app with its accounts on each backend (module-wide: refused requests
    change nothing, which each test checks)."""
    url = str(copy_store(api_gpkg, tmp_path_factory.mktemp("hostile") / "demo.gpkg"))
    if request.param == "postgis":
        pg = request.getfixturevalue("postgis_url_module")
        with pasture.open_store(url) as source, pasture.open_store(pg) as target:
            target.load_copy(source)
            from pasture_api.users import create_demo_users

            create_demo_users(target, PASSWORD)
        url = pg
    with pasture.open_store(url) as store, TestClient(create_app(make_settings(url))) as c:
        yield Hostile(c, store, request.param)


def api_routes(app: Any) -> list[APIRoute]:
    """Every route of the app, through the included routers (FastAPI nests them)."""

    def walk(routes: list[Any]) -> Iterator[APIRoute]:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                yield from walk(inner.routes)
            elif isinstance(route, APIRoute):
                yield route

    return list(walk(app.router.routes))


def concrete_paths(template: str, values: dict[str, list[str]]) -> list[str]:
    """Every concrete path of a route template from the sample values of its parameters."""
    paths = [template.replace(":path}", "}")]
    for name, options in values.items():
        key = "{" + name + "}"
        if any(key in p for p in paths):
            paths = [p.replace(key, o) for p in paths for o in options]
    assert not any("{" in p for p in paths), f"no sample value for {template}"
    return paths


#: Sample values of the path parameters for a union and plans this suite drafts.
SAMPLE_UNION = "upu-akshi"


@pytest.fixture(scope="module")
def samples(hostile: Hostile) -> dict[str, list[str]]:
    """Real values of every path parameter of the app (a management plan drafted here)."""
    from pasture.management.service import create_plan, version_content

    store = hostile.store
    okrug = str(store.get("unions", SAMPLE_UNION).properties["okrug_id"])
    plan = create_plan(store, okrug, 2032, user="akimat")
    content = version_content(store, plan["id"])
    plans = store.read_rows("plans")
    first = {
        layer: str(store.read(layer, limit=1)["id"].iloc[0])
        for layer in ("okrugs", "settlements", "unions", "plots", "water_points", "routes")
    }
    return {
        "featureId": sorted(set(first.values())),
        "record_id": [
            str(store.read(layer, limit=1)["id"].iloc[0])
            for layer in ("households", "census", "herds")
        ],
        "plan_id": [plan["id"], *[str(i) for i in plans["id"][:1]]],
        "version": ["1"],
        "section": sorted(content["sections"]),
        "union_id": [SAMPLE_UNION],
        "plot_id": [first["plots"]],
        "fmt": ["kml", "geojson", "csv"],
        "comment_id": ["c-none"],
        "action": ["discuss"],
        "layer": ["census"],
        "day": ["2025-06-01"],
        "z": ["10"],
        "x": ["700"],
        "y": ["380"],
    }
