"""`pasture serve --workers 2` run for real: a store that cannot be served ends the command
with its exit code and message before any worker starts; workers that fail to start end it
with 1; a good store is served and a stop signal ends it with 0. systemd's
Restart=on-failure and a container's restart policy see the difference only by the code.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import pasture
from pasture.cli.common import EXIT_BUG, EXIT_NOT_FOUND, EXIT_OK, EXIT_STORE, EXIT_USAGE
from pasture.store.base import read_migrations
from tests.deploy import startup_fails

ROOT = Path(__file__).resolve().parents[2]
#: Seconds a server may take to start, refuse or stop (workers import geopandas; the
#: build machine is shared). A bound against hanging, not a timing assertion.
WAIT_S = 300
SECRET = "serve-test-secret-" + "s" * 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASTURE_")}
    return {**env, "PYTHONPATH": str(ROOT), **settings}


def _pasture(*args: str, code: str = "from pasture_api.cli import main") -> list[str]:
    return [sys.executable, "-c", f"import sys; {code}; sys.argv[0] = 'pasture'; main()", *args]


def _serve(store: str, port: int) -> list[str]:
    return ["serve", "--store", store, "--workers", "2", "--port", str(port)]


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=WAIT_S)


def _newer_store(path: Path) -> str:
    pasture.open_store(path).close()
    newest = read_migrations("gpkg")[-1][0]
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, ?)",
            (newest + 1, "from_a_newer_pasture.sql", "2030-01-01T00:00:00+00:00"),
        )
    conn.close()
    return str(path)


def _real_store(path: Path) -> str:
    pasture.open_store(path).close()  # an empty store: not the demo, so it needs a secret
    return str(path)


@pytest.mark.parametrize(
    ("store", "secret", "code", "says"),
    [
        (lambda d: str(d / "typo.gpkg"), SECRET, EXIT_NOT_FOUND, "typo.gpkg: no such GeoPackage"),
        (
            lambda d: _newer_store(d / "office.gpkg"),
            SECRET,
            EXIT_STORE,
            "this version of pasture does not know",
        ),
        (
            lambda d: f"postgresql://pasture@127.0.0.1:{_free_port()}/pasture",
            SECRET,
            EXIT_STORE,
            "cannot connect to PostgreSQL at 127.0.0.1",
        ),
        (
            lambda d: _real_store(d / "office.gpkg"),
            "too-short",
            EXIT_USAGE,
            "set PASTURE_SECRET_KEY to a random string",
        ),
    ],
    ids=["missing-store", "newer-schema", "unreachable-postgresql", "no-secret"],
)
def test_a_store_that_cannot_be_served_fails_before_any_worker(
    tmp_path: Path, store: object, secret: str, code: int, says: str
) -> None:
    url = store(tmp_path)  # type: ignore[operator]
    done = _run(_pasture(*_serve(url, _free_port())), _env(PASTURE_SECRET_KEY=secret), tmp_path)
    assert done.returncode == code, done.stderr[-3000:]
    assert says in done.stderr and done.stderr.startswith("error: ")
    assert "Started parent process" not in done.stdout + done.stderr  # no worker spawned
    assert "Traceback" not in done.stderr


def test_one_server_process_refuses_a_missing_store_the_same_way(tmp_path: Path) -> None:
    argv = _pasture("serve", "--store", str(tmp_path / "typo.gpkg"), "--port", str(_free_port()))
    done = _run(argv, _env(PASTURE_SECRET_KEY=SECRET), tmp_path)
    assert done.returncode == EXIT_NOT_FOUND, done.stderr[-3000:]
    assert done.stderr.startswith("error: ") and "typo.gpkg: no such GeoPackage" in done.stderr


def test_workers_that_fail_to_start_end_the_server_with_a_failure(tmp_path: Path) -> None:
    """The parent's check passes, then every worker's store fails to open (the app factory
    is swapped for one whose store refuses): uvicorn's supervisor stops, and the command
    exits 1 instead of uvicorn's 0."""
    swap = f"import pasture_api.cli as c; c.APP_FACTORY = {_factory()!r}; main = c.main"
    argv = _pasture(*_serve(_real_store(tmp_path / "office.gpkg"), _free_port()), code=swap)
    done = _run(argv, _env(PASTURE_SECRET_KEY=SECRET), tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == EXIT_BUG, output[-3000:]
    assert startup_fails.MESSAGE in output  # the worker's own log says why
    assert "failed to start, stopping the parent process" in output
    assert done.stderr.rstrip().endswith("error: the server did not start: its log above says why")


def test_a_taken_port_ends_the_server_with_a_failure(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = _pasture(*_serve(_real_store(tmp_path / "office.gpkg"), port))
        done = _run(argv, _env(PASTURE_SECRET_KEY=SECRET), tmp_path)
    assert done.returncode == EXIT_BUG, done.stderr[-3000:]
    assert "Address already in use" in done.stderr
    assert done.stderr.rstrip().endswith("error: the server did not start: its log above says why")


def _factory() -> str:
    return f"{startup_fails.__name__}:{startup_fails.app_whose_store_fails.__name__}"


def test_a_good_store_is_served_by_two_workers_and_stops_with_0(tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        _pasture(*_serve(_real_store(tmp_path / "office.gpkg"), port)),
        env=_env(PASTURE_SECRET_KEY=SECRET),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        live = _wait_for(server, f"http://127.0.0.1:{port}/health/live")
        assert live.json() == {"status": "alive"}
        ready = httpx.get(f"http://127.0.0.1:{port}/health", timeout=30)
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=WAIT_S)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == EXIT_OK, output[-3000:]
    # uvicorn's supervisor ran the workers, and stopped them on the signal
    assert "Started parent process" in output and "Stopping parent process" in output


def _wait_for(server: subprocess.Popen[str], url: str) -> httpx.Response:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server stopped: {server.stdout.read() if server.stdout else ''}")
        try:
            response = httpx.get(url, timeout=5)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.5)  # polling a starting server; not a timing assertion
    pytest.fail(f"no answer from {url} within {WAIT_S} s")
