"""GDAL's OGC API - Features driver reads our plots from a real uvicorn server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyogrio
import pytest

from .conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(api_gpkg: Path) -> Iterator[str]:
    """uvicorn in a subprocess on a free port (pyogrio holds the GIL while GDAL fetches pages)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PASTURE_STORE": str(api_gpkg)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "pasture_api.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_gdal_oapif_reads_plots_with_a_bearer_token(server: str, n_plots: int) -> None:
    token = httpx.post(
        f"{server}/auth/token", data={"username": "analyst", "password": PASSWORD}
    ).json()["access_token"]
    # GDAL >= 3.9 sends the token itself: GDAL_HTTP_AUTH=BEARER with GDAL_HTTP_BEARER
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": token})
    try:
        frame = pyogrio.read_dataframe(f"OAPIF:{server}/collections/plots")
    finally:
        pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": None, "GDAL_HTTP_BEARER": None})
    assert len(frame) == n_plots
    assert frame.crs is not None and frame.crs.to_epsg() == 4326
    minx, miny, maxx, maxy = frame.total_bounds
    assert 76 < minx < maxx < 80 and 42 < miny < maxy < 45
    assert {"union_id", "seasons", "area_ha"} <= set(frame.columns)
