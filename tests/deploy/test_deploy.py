"""The office deployment files: the systemd unit checked by systemd's own offline tools
(`systemd-analyze verify` and `security`) and its exact ExecStart run for real with its
environment file (this machine has no systemd running as init, so `systemctl start` cannot
run here), and the settings the deployment files set exist.

`docker compose config` on deploy/compose.yaml: tests/deploy/test_compose.py.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

import pasture
from pasture.cli.common import EXIT_USAGE
from pasture_api.settings import Settings
from tests.api.conftest import api_gpkg, copy_store  # noqa: F401 - the fixture by name

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ROOT = DEPLOY.parent
#: Seconds the server may take to answer /health after start (workers import geopandas).
START_S = 120
#: Highest `systemd-analyze security` exposure the unit may have (0 safest, 10 worst;
#: 8.5 "EXPOSED" before the hardening options, 3.0 with them).
MAX_EXPOSURE = 4.0


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
    assert argv[0] == "/opt/jailym/venv/bin/pasture"
    argv[0] = str(Path(sys.executable).parent / "pasture")
    argv[argv.index("--port") + 1] = str(port)
    return argv


def _environment_file(text: str) -> dict[str, str]:
    """Variables of a systemd EnvironmentFile: KEY=VALUE lines, # and ; comments, quotes."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def _unit_environment(store: Path, **overrides: str) -> dict[str, str]:
    """The process environment systemd gives ExecStart: this machine's, less any PASTURE_*
    of the test run, plus the unit's EnvironmentFile (the example file, which the unit
    file's path /etc/jailym/pasture.env is a copy of) with the store replaced."""
    assert _unit_value("EnvironmentFile") == "/etc/jailym/pasture.env"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASTURE_")}
    env.update(_environment_file((DEPLOY / "pasture.env.example").read_text()))
    env.update({"PASTURE_STORE": str(store), "PYTHONPATH": str(ROOT), **overrides})
    return env


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
    # `pasture serve` (it fails loudly where plain uvicorn exits 0), the store from the file
    argv = shlex.split(_unit_value("ExecStart"))
    assert (
        argv[1] == "serve" and "--store" not in argv and int(argv[argv.index("--workers") + 1]) > 1
    )
    assert set(compose["services"]) == {"db", "app", "proxy"}


def test_the_unit_command_serves_health(
    api_gpkg: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    store = copy_store(api_gpkg, tmp_path / "demo.gpkg")
    port = _free_port()
    env = _unit_environment(store, PASTURE_SECRET_KEY="unit-test-secret-" + "k" * 32)
    assert env["PASTURE_TRUSTED_PROXIES"] == "127.0.0.1"  # from the env file
    server = subprocess.Popen(
        _exec_start(port), cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        health = _wait_for_health(server, f"http://127.0.0.1:{port}")
        assert health == {"status": "ready", "backend": "geopackage", "checks": {"store": "ok"}}
        live = httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=10)
        assert live.json() == {"status": "alive"}
        # the env file's public address is the one links are built with
        landing = httpx.get(f"http://127.0.0.1:{port}/", timeout=30).json()
        assert landing["links"][0]["href"].startswith(env["PASTURE_PUBLIC_BASE_URL"] + "/")
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0].decode(errors="replace")
    assert server.returncode == 0, output[-2000:]
    assert output.count("Started server process") >= 4, output[-2000:]  # --workers 4


def test_the_example_secret_cannot_start_a_real_store(tmp_path: Path) -> None:
    """An office that forgets to set the secret gets a refusal, not a known signing key."""
    store = tmp_path / "office.gpkg"
    pasture.open_store(store).close()  # an empty store: not the demo
    env = _unit_environment(store)
    assert len(env["PASTURE_SECRET_KEY"]) < 32  # the placeholder of the example file
    done = subprocess.run(
        _exec_start(_free_port()),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # refused before any worker starts, as a failure systemd does not restart
    assert done.returncode == EXIT_USAGE, done.stderr[-3000:]
    assert str(EXIT_USAGE) in _unit_value("RestartPreventExitStatus").split()
    assert "set PASTURE_SECRET_KEY to a random string" in done.stderr
    assert "Started parent process" not in done.stdout + done.stderr


def _unit_copy(folder: Path, text: str | None = None) -> Path:
    """The unit file with this venv's pasture in ExecStart (verify checks it is executable)."""
    text = (DEPLOY / "pasture.service").read_text() if text is None else text
    path = folder / "pasture.service"
    path.write_text(text.replace("/opt/jailym/venv/bin/pasture", _exec_start(0)[0]))
    return path


def _systemd_analyze(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is missing: apt-get install systemd")
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True, timeout=120)


def test_systemd_verifies_the_unit(tmp_path: Path) -> None:
    done = _systemd_analyze("verify", str(_unit_copy(tmp_path)))
    assert done.returncode == 0 and done.stdout + done.stderr == "", done.stderr


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("Restart=on-failure", "Restrat=on-failure", "Unknown key"),
        ("Restart=on-failure", "Restart=sometimes", "restart specifier"),
        ("ProtectSystem=strict", "ProtectSystem=very", "protect system value"),
    ],
)
def test_systemd_reports_a_broken_unit(tmp_path: Path, old: str, new: str, says: str) -> None:
    text = (DEPLOY / "pasture.service").read_text()
    assert old in text
    done = _systemd_analyze("verify", str(_unit_copy(tmp_path, text.replace(old, new))))
    assert says in done.stderr, done.stderr


def test_the_unit_is_hardened(tmp_path: Path) -> None:
    done = _systemd_analyze("security", "--offline=yes", str(_unit_copy(tmp_path)))
    found = re.search(r"Overall exposure level for pasture\.service: (\d+\.\d+)", done.stdout)
    assert found, done.stdout[-2000:] + done.stderr
    assert float(found[1]) <= MAX_EXPOSURE, done.stdout


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


def test_the_kernels_are_compiled_into_the_workers_cache_before_they_start() -> None:
    """ExecStartPre runs `pasture kernels warm` (tests/pasture/test_kernels.py checks what it
    compiles) with the unit's one NUMBA_CACHE_DIR, which the workers of ExecStart load from:
    a folder the hardened unit may write, or numba could not keep what it compiles."""
    pre, start = shlex.split(_unit_value("ExecStartPre")), shlex.split(_unit_value("ExecStart"))
    assert pre == [start[0], "kernels", "warm"]
    key, _, cache = _unit_value("Environment").partition("=")
    assert key == "NUMBA_CACHE_DIR"
    assert Path(_unit_value("ReadWritePaths")) in Path(cache).parents
    assert _unit_value("TimeoutStartSec") == "10min"  # compiling under load took 3 min
