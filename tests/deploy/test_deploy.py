"""The office deployment files: the systemd unit's ExecStart run for real (this machine
has no systemd running as init), and the settings the deployment files set exist.

`docker compose config` is not run: this machine's docker client has no compose plugin
(docs/deployment.md says how to validate it where there is one).
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from pasture_api.settings import Settings
from tests.api.conftest import api_gpkg, copy_store  # noqa: F401 - the fixture by name

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ROOT = DEPLOY.parent
#: Seconds the server may take to answer /health after start (workers import geopandas).
START_S = 120


def _unit_value(key: str) -> str:
    for line in (DEPLOY / "pasture.service").read_text().splitlines():
        if line.startswith(f"{key}="):
            return line.split("=", 1)[1]
    raise AssertionError(f"pasture.service has no {key}=")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _exec_start(port: int) -> list[str]:
    """The unit's ExecStart with this venv in place of /opt/jailym/venv and a free port."""
    argv = shlex.split(_unit_value("ExecStart"))
    assert argv[0] == "/opt/jailym/venv/bin/uvicorn"
    argv[0] = str(Path(sys.executable).parent / "uvicorn")
    argv[argv.index("--port") + 1] = str(port)
    return argv


def _settings_names() -> set[str]:
    return {f"PASTURE_{name.upper()}" for name in Settings.model_fields}


def test_deployment_files_set_only_real_settings() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    app_env = set(compose["services"]["app"]["environment"])
    example = {
        line.split("=", 1)[0]
        for line in (DEPLOY / "pasture.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    unknown = {n for n in app_env | example if n.startswith("PASTURE_")} - _settings_names()
    assert unknown == {"PASTURE_HOST"}, unknown  # PASTURE_HOST: Caddy's, not the app's
    assert "--factory" in _unit_value("ExecStart") and "--no-proxy-headers" in _unit_value(
        "ExecStart"
    )
    assert set(compose["services"]) == {"db", "app", "proxy"}


def test_the_unit_command_serves_health(
    api_gpkg: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    store = copy_store(api_gpkg, tmp_path / "demo.gpkg")
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PASTURE_")},
        "PASTURE_STORE": str(store),
        "PASTURE_SECRET_KEY": "unit-test-secret-" + "k" * 32,
        "PASTURE_TRUSTED_PROXIES": "127.0.0.1",
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        _exec_start(port), cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        health = _wait_for_health(server, f"http://127.0.0.1:{port}")
        assert health == {"status": "ready", "backend": "geopackage", "checks": {"store": "ok"}}
        live = httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=10)
        assert live.json() == {"status": "alive"}
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0].decode(errors="replace")
    assert server.returncode == 0, output[-2000:]
    assert output.count("Started server process") >= 4, output[-2000:]  # --workers 4


def _wait_for_health(server: subprocess.Popen[bytes], base: str) -> object:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(
                f"the server stopped: {server.stdout.read().decode() if server.stdout else ''}"
            )
        try:
            response = httpx.get(f"{base}/health", timeout=5)
            if response.status_code == 200:
                return response.json()
        except httpx.TransportError:
            pass
        time.sleep(0.5)  # polling a starting server; not a timing assertion
    pytest.fail(f"no answer from {base}/health within {START_S} s")
