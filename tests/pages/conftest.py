"""Fixtures of the page tests: a demo store with science, a plan and accounts; a live server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

import pasture
from pasture_api.main import create_app
from pasture_api.settings import Settings
from pasture_api.users import create_demo_users

PASSWORD = "demo"
OWN_UNION = "upu-akshi"
FOREIGN_UNION = "upu-asy"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def pages_gpkg(demo_ndvi_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store with NDVI scenes, capacity/load/trends, one plan and the demo accounts."""
    from pasture.planning import run_demo_plan
    from pasture.science import run_demo_science

    path = tmp_path_factory.mktemp("pages") / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, path)
    with pasture.open_store(path) as store:
        run_demo_science(store)
        run_demo_plan(store)
        create_demo_users(store, PASSWORD)
    return path


@pytest.fixture(scope="session")
def plan_id(pages_gpkg: Path) -> str:
    with pasture.open_store(pages_gpkg) as store:
        return str(store.read_rows("plans")["id"].iloc[0])


def settings(store: Path) -> Settings:
    return Settings(_env_file=None, store=str(store), basemap_url="")  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def app_client(pages_gpkg: Path) -> Iterator[TestClient]:
    """The app in process (no cookies kept between tests: pass them per request)."""
    with TestClient(create_app(settings(pages_gpkg))) as client:
        yield client


def session_cookie(client: TestClient, username: str) -> dict[str, str]:
    """Sign in through the login form; the client keeps (only) that session cookie."""
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    cookie = response.cookies.get("jailym_session")
    assert cookie
    client.cookies.clear()
    client.cookies.set("jailym_session", cookie)
    return {"jailym_session": cookie}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_SERVER = """
import sys, uvicorn
from pasture_api.main import create_app
from pasture_api.settings import Settings
app = create_app(Settings(_env_file=None, store=sys.argv[1], basemap_url=""))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


@contextmanager
def serve(store: Path) -> Iterator[str]:
    """The app on ``store`` served by uvicorn in a subprocess (GDAL holds the GIL: not a
    thread); yields its base URL."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", _SERVER, str(store), str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("the server did not answer /health")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def copy_pages_store(source: Path, target: Path) -> Path:
    """A copy of a pages store with its accounts file (kept beside the GeoPackage)."""
    shutil.copy(source, target)
    shutil.copy(source.with_suffix(".accounts.sqlite"), target.with_suffix(".accounts.sqlite"))
    return target


@pytest.fixture(scope="session")
def live_server(pages_gpkg: Path) -> Iterator[str]:
    """The app served by uvicorn on the pages' (read-only) demo store."""
    with serve(pages_gpkg) as base:
        yield base
