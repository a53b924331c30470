"""The built wheel works on its own: installed into a fresh venv (its dependencies from
the project's .venv, nothing downloaded), run from an empty folder with no PYTHONPATH,
`pasture demo --no-serve` builds the demo and the installed app answers a request.

Everything the running code reads from its package (migrations, locales, reference CSVs,
templates, static files) must be in the wheel, or this fails.
"""

from __future__ import annotations

import os
import site
import sqlite3
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Run in the fresh venv: import the INSTALLED package, build nothing, one API request.
CHECK = """
import sys, pathlib
import pasture_api, pasture, grazing_models
from fastapi.testclient import TestClient
from pasture_api.main import create_app
from pasture_api.settings import Settings
venv = pathlib.Path(sys.prefix).resolve()
for module in (pasture_api, pasture, grazing_models):
    assert pathlib.Path(module.__file__).resolve().is_relative_to(venv), module.__file__
with TestClient(create_app(Settings(_env_file=None, store="demo/enbekshikazakh.gpkg"))) as c:
    token = c.post("/auth/token", data={"username": "akimat", "password": "demo"}).json()
    headers = {"Authorization": "Bearer " + token["access_token"]}
    plots = c.get("/collections/plots/items?limit=1", headers=headers)
    assert plots.status_code == 200, plots.text
    page = c.get("/?lang=kk", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text[:300]
    print("matched", plots.json()["numberMatched"], "from", pathlib.Path(pasture_api.__file__).parent)
"""


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture
def own_tmp() -> Iterator[Path]:
    """A folder of this test alone: the run takes minutes, and pytest's numbered temporary
    folders are pruned by other pytest runs of the same user in the meantime."""
    with tempfile.TemporaryDirectory(prefix="jailym-wheel-") as folder:
        yield Path(folder)


@pytest.mark.slow
def test_the_installed_wheel_builds_the_demo_and_serves_it(own_tmp: Path) -> None:
    tmp_path = own_tmp
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_NO_INDEX"] = "1"  # nothing is downloaded: a missing dependency fails here
    wheels = tmp_path / "wheels"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        tmp_path,
        env,
    )
    (wheel,) = wheels.glob("jailym-*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env)
    python = venv / "bin" / "python"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        tmp_path,
        env,
    )
    # the dependencies: the project's site-packages, after the venv's own (which holds
    # the wheel), so `import api` finds the installed copy, not the source tree
    fresh_site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    deps = [p for p in (*site.getsitepackages(), sysconfig.get_paths()["purelib"])]
    (fresh_site / "zz_project_deps.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n")

    empty = tmp_path / "empty"
    empty.mkdir()
    _run([str(venv / "bin" / "pasture"), "demo", "--no-serve", "--years", "3"], empty, env)
    assert (empty / "demo" / "enbekshikazakh.gpkg").exists()
    out = _run([str(python), "-c", CHECK], empty, env)
    with sqlite3.connect(empty / "demo" / "enbekshikazakh.gpkg") as db:
        (n_plots,) = db.execute("SELECT count(*) FROM plots").fetchone()
    assert f"matched {n_plots} from" in out and str(venv.resolve()) in out
