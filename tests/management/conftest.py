"""Fixtures of the management plan's API, page and browser tests: the demo with its accounts."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

import pasture
from pasture.store.gpkg import default_accounts_path
from pasture_api.main import create_app
from pasture_api.settings import Settings
from pasture_api.users import create_demo_users

PASSWORD = "demo"


@pytest.fixture(scope="session")
def accounts_gpkg(demo_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store with its demo accounts (read-only: copy it to change it)."""
    path = tmp_path_factory.mktemp("management") / "demo.gpkg"
    shutil.copy(demo_gpkg, path)
    with pasture.open_store(path) as store:
        create_demo_users(store, PASSWORD)
    return path


def copy_store(source: Path, target: Path) -> Path:
    """A GeoPackage store with its accounts file (kept beside it)."""
    shutil.copy(source, target)
    shutil.copy(default_accounts_path(source), default_accounts_path(target))
    return target


def settings(store: Path) -> Settings:
    return Settings(_env_file=None, store=str(store), basemap_url="")  # type: ignore[call-arg]


@pytest.fixture
def writable(accounts_gpkg: Path, tmp_path: Path) -> Path:
    return copy_store(accounts_gpkg, tmp_path / "demo.gpkg")


@pytest.fixture
def client(writable: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings(writable))) as c:
        yield c


def token(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


_SERVER = """
import sys, uvicorn
from pasture_api.main import create_app
from pasture_api.settings import Settings
app = create_app(Settings(_env_file=None, store=sys.argv[1], basemap_url=""))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


@pytest.fixture(scope="module")
def live_server(
    accounts_gpkg: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """The app served by uvicorn in a subprocess, on its own copy of the demo store: (URL, store)."""
    store = copy_store(accounts_gpkg, tmp_path_factory.mktemp("live") / "demo.gpkg")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    proc = subprocess.Popen([sys.executable, "-c", _SERVER, str(store), str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)  # polling the server's start, not waiting on a result
        else:
            pytest.fail("the server did not answer /health")
        yield base, store
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
