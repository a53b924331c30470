"""The real server the client tests talk to: uvicorn in a subprocess on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import PASSWORD, api_gpkg, copy_store  # noqa: F401 - fixture by name

ROOT = Path(__file__).resolve().parents[2]
#: Seconds the server may take to answer /health after start (it imports geopandas).
START_S = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(api_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # noqa: F811
    """uvicorn in a subprocess over a copy of the demo store (a client blocks while it fetches)."""
    store = copy_store(api_gpkg, tmp_path_factory.mktemp("clients") / "demo.gpkg")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASTURE_")}
    env.update({"PASTURE_STORE": str(store), "PYTHONPATH": str(ROOT)})
    argv = [sys.executable, "-m", "uvicorn", "--factory", "pasture_api.main:create_app"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(argv, env=env, cwd=store.parent)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)  # polling a starting server; not a timing assertion
        else:
            pytest.fail(f"the server did not answer /health within {START_S} s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def analyst_token(server: str) -> str:
    """A fresh access token of the demo's analyst (read-only, no personal data)."""
    response = httpx.post(
        f"{server}/auth/token", data={"username": "analyst", "password": PASSWORD}, timeout=30
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])
