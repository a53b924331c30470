"""deploy/Caddyfile checked by Caddy itself: Debian 12's caddy 2.6.2, unpacked (never
installed: its package starts a caddy service on port 80) by scripts/ensure-caddy.sh.

`caddy validate` and `caddy adapt` read the file as the compose stack does; then Caddy runs
it as an office without internet access would (`tls internal`, as the file's comment says)
on high loopback ports in front of a running `pasture serve`, and the test asks for
/health/live over HTTPS, verified with Caddy's own root certificate. Nothing touches ports
80 or 443, the system's trust store (`skip_install_trust`) or the user's Caddy data.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import pasture
from pasture_api.settings import Settings
from tests.deploy.test_compose import _dockerfile_cmd
from tests.deploy.test_serve import SECRET, _free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CADDY = ROOT / ".cache" / "caddy" / "usr" / "bin" / "caddy"
SITE = "pasture.example.kz"  # PASTURE_HOST of deploy/pasture.env.example
#: Seconds the app or Caddy may take to answer (a bound against hanging, not a timing test).
WAIT_S = 180
#: Failed logins per user name and client before 429 (the app's throttle, set low here).
ATTEMPTS = 2


def _caddy(*args: str, env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[str]:
    if not CADDY.exists():
        pytest.fail("Debian 12's caddy is missing: run scripts/ensure-caddy.sh (make test does)")
    return subprocess.run(
        [str(CADDY), *args], env=env, capture_output=True, text=True, timeout=120, **kw
    )


def _env(home: Path, host: str = SITE) -> dict[str, str]:
    """Caddy's environment: the site name, and its data and config in the test's folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PASTURE_", "XDG_"))}
    xdg = {"XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config")}
    return {**env, **xdg, "HOME": str(home), "PASTURE_HOST": host}


def test_caddy_validates_the_caddyfile(tmp_path: Path) -> None:
    config = str(DEPLOY / "Caddyfile")
    done = _caddy("validate", "--adapter", "caddyfile", "--config", config, env=_env(tmp_path))
    assert done.returncode == 0 and "Valid configuration" in done.stdout + done.stderr, done.stderr


def test_caddy_refuses_a_broken_caddyfile(tmp_path: Path) -> None:
    broken = tmp_path / "Caddyfile"
    broken.write_text((DEPLOY / "Caddyfile").read_text().replace("reverse_proxy", "reverse_proxi"))
    done = _caddy("validate", "--adapter", "caddyfile", "--config", str(broken), env=_env(tmp_path))
    assert done.returncode != 0 and "unrecognized directive: reverse_proxi" in done.stderr


def _handlers(node: object) -> Iterator[dict[str, Any]]:
    """Every handler of the adapted JSON config, subroutes included."""
    if isinstance(node, dict):
        if "handler" in node:
            yield node
        for value in node.values():
            yield from _handlers(value)
    elif isinstance(node, list):
        for item in node:
            yield from _handlers(item)


def test_caddy_adapts_it_to_tls_in_front_of_the_app(tmp_path: Path) -> None:
    config = str(DEPLOY / "Caddyfile")
    done = _caddy("adapt", "--adapter", "caddyfile", "--config", config, env=_env(tmp_path))
    assert done.returncode == 0, done.stderr
    (server,) = json.loads(done.stdout)["apps"]["http"]["servers"].values()
    assert server["listen"] == [":443"]
    assert server["routes"][0]["match"] == [{"host": [SITE]}]
    policy = server["tls_connection_policies"][0]
    assert policy["match"] == {"sni": [SITE]} and policy["protocol_min"] == "tls1.2"
    by_kind = {h["handler"]: h for h in _handlers(server["routes"])}
    proxy = by_kind["reverse_proxy"]
    cmd = _dockerfile_cmd()
    assert proxy["upstreams"] == [{"dial": f"app:{cmd[cmd.index('--port') + 1]}"}]
    assert proxy["health_checks"]["active"]["uri"] == "/health/live"
    # X-Forwarded-For: Caddy sets it to the connecting client, which the app believes from
    # the proxy's network only (PASTURE_TRUSTED_PROXIES); nothing here passes on or
    # rewrites a client's own header (no trusted_proxies, no header rules)
    assert "headers" not in proxy and "trusted_proxies" not in server
    # the app answers an oversized body itself (413 problem+json): Caddy's limit is higher
    assert by_kind["request_body"]["max_size"] >= Settings().max_body_bytes
    assert "gzip" in by_kind["encode"]["encodings"]


def _office_caddyfile(folder: Path, app_port: int, http_port: int, https_port: int) -> Path:
    """deploy/Caddyfile as an office without internet access runs it: `tls internal` (its
    comment's advice) and the app on this machine instead of the compose service `app`;
    global options keep Caddy on loopback high ports, its admin endpoint off, its CA and
    certificates in ``folder`` and the system trust store untouched."""
    text = (DEPLOY / "Caddyfile").read_text()
    assert text.count("\treverse_proxy app:8000 {") == 1 and text.count("\ttls {") == 1
    text = text.replace("reverse_proxy app:8000", f"reverse_proxy 127.0.0.1:{app_port}")
    text = text.replace("\ttls {", "\ttls internal {")
    options = (
        "{\n\tadmin off\n\tskip_install_trust\n\tdefault_bind 127.0.0.1\n"
        f"\thttp_port {http_port}\n\thttps_port {https_port}\n"
        f"\tstorage file_system {folder / 'caddy-data'}\n}}\n"
    )
    path = folder / "Caddyfile"
    path.write_text(options + text)
    return path


def _start(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _get_until_ok(client: httpx.Client, url: str, processes: list[subprocess.Popen[bytes]]) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            pytest.fail(f"a server stopped before {url} answered")
        try:
            response = client.get(url)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.5)  # polling starting servers; not a timing assertion
    pytest.fail(f"no 200 from {url} within {WAIT_S} s")


def _client(local_address: str, root_cert: Path | None) -> httpx.Client:
    verify: ssl.SSLContext | bool = (
        ssl.create_default_context(cafile=str(root_cert)) if root_cert else False
    )
    transport = httpx.HTTPTransport(local_address=local_address, verify=verify)
    return httpx.Client(transport=transport, timeout=30)


def test_caddy_serves_the_app_over_https_with_its_internal_ca(tmp_path: Path) -> None:
    store = tmp_path / "office.gpkg"
    pasture.open_store(store).close()
    app_port, http_port, https_port = _free_port(), _free_port(), _free_port()
    app_env = {k: v for k, v in os.environ.items() if not k.startswith("PASTURE_")}
    app_env |= {
        "PYTHONPATH": str(ROOT),
        "PASTURE_SECRET_KEY": SECRET,
        "PASTURE_TRUSTED_PROXIES": "127.0.0.1",  # Caddy, as in deploy/pasture.env.example
        "PASTURE_LOGIN_ATTEMPTS_PER_MINUTE": str(ATTEMPTS),
    }
    pasture_bin = shutil.which("pasture", path=str(Path(sys.executable).parent))
    assert pasture_bin is not None
    serve = [pasture_bin, "serve", "--store", str(store), "--port", str(app_port)]
    app = _start(serve, app_env, tmp_path, tmp_path / "app.log")
    caddy = None
    try:
        with _client("127.0.0.1", None) as plain:
            _get_until_ok(plain, f"http://127.0.0.1:{app_port}/health/live", [app])
        caddyfile = _office_caddyfile(tmp_path, app_port, http_port, https_port)
        run = [str(CADDY), "run", "--adapter", "caddyfile", "--config", str(caddyfile)]
        env = _env(tmp_path, host=f"localhost:{https_port}")
        caddy = _start(run, env, tmp_path, tmp_path / "caddy.log")
        root = tmp_path / "caddy-data" / "pki" / "authorities" / "local" / "root.crt"
        base = f"https://localhost:{https_port}"
        with _client("127.0.0.1", None) as unverified:  # until Caddy has made its CA
            _get_until_ok(unverified, f"{base}/health/live", [app, caddy])
        with _client("127.0.0.1", root) as client:
            live = client.get(f"{base}/health/live")
            ready = client.get(f"{base}/health")
        assert live.status_code == 200 and live.json() == {"status": "alive"}
        assert "Caddy" in live.headers.get_list("server")  # through the proxy
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        _assert_the_app_sees_the_client_caddy_saw(base, root)
    finally:
        if caddy is not None:
            _stop(caddy)
        _stop(app)


def _login(client: httpx.Client, base: str, spoofed: str | None = None) -> int:
    headers = {"X-Forwarded-For": spoofed} if spoofed else {}
    form = {"username": "nobody", "password": "wrong"}
    return client.post(f"{base}/auth/token", data=form, headers=headers).status_code


def _assert_the_app_sees_the_client_caddy_saw(base: str, root: Path) -> None:
    """The login throttle counts per client as the app sees it: from 127.0.0.2 the
    attempts after the limit are refused whatever X-Forwarded-For it sends (a client
    cannot choose its address through the proxy), and 127.0.0.3 is another client
    (Caddy's X-Forwarded-For reaches the app, which believes it from 127.0.0.1 only)."""
    with _client("127.0.0.2", root) as client:
        tries = [_login(client, base, spoofed=f"203.0.113.{i}") for i in range(ATTEMPTS + 1)]
    assert tries == [401] * ATTEMPTS + [429]
    with _client("127.0.0.3", root) as other:
        assert _login(other, base) == 401
