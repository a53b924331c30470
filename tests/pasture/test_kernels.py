"""`pasture kernels warm` compiles every kernel signature the code calls, so nothing else does.

Into an empty numba cache (a temporary ``NUMBA_CACHE_DIR``); then a fresh process runs the
real calls (tests/pasture/kernel_calls.py: zonal statistics of every kind of stack, in
memory, dask-backed and on a cluster worker it starts, and a season plan) and numba's own
counters say what it loaded and what it compiled: nothing may be compiled, and every
signature used must be one the command warms (and every one it warms used). A kernel
called with types missing from its module's ``SIGNATURES`` fails here, named. Compiling
took 37.6 to 177 s in a fresh process under load; loading, a few seconds.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pasture.kernels import KERNEL_MODULES, kernel_signatures

ROOT = Path(__file__).resolve().parents[2]
PASTURE = Path(sys.executable).parent / "pasture"


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_CACHE_DIR": str(cache)}


def _warm(cache: Path) -> str:
    done = subprocess.run(
        [str(PASTURE), "kernels", "warm"], env=_env(cache), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def warmed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An empty cache folder after `pasture kernels warm`, and what the command printed."""
    cache = tmp_path_factory.mktemp("numba-cache")
    return cache, _warm(cache)


def _warm_list() -> dict[str, set[str]]:
    return {name: {str(tuple(s)) for s in sigs} for name, _, sigs in kernel_signatures()}


def test_warm_compiles_every_signature_into_the_empty_cache(warmed: tuple[Path, str]) -> None:
    cache, stdout = warmed
    n = sum(len(sigs) for sigs in _warm_list().values())
    assert f"{n} kernel signatures: {n} compiled, 0 loaded from the cache" in stdout, stdout
    # numba's index and object files, one folder per kernel package, all under the one dir
    assert {p.suffix for p in cache.rglob("*.nb*")} == {".nbi", ".nbc"}
    assert stdout.count(f"cache: {cache}/") == len({m.rsplit(".", 1)[0] for m in KERNEL_MODULES})


def _calls_in_fresh_process(cache: Path) -> dict[str, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests/pasture/kernel_calls.py")],
        env=_env(cache),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_fresh_process_and_its_worker_load_every_kernel_and_compile_none(
    warmed: tuple[Path, str],
) -> None:
    cache, _ = warmed
    report = _calls_in_fresh_process(cache)
    warm = _warm_list()
    used: dict[str, set[str]] = {name: set() for name in warm}
    for process, kernels in report.items():
        for name, c in kernels.items():
            compiled = set(c["signatures"]) - warm.get(name, set())
            assert c["misses"] == 0 and not compiled, (process, name, c["misses"], compiled)
            if c["signatures"]:  # kernels only other kernels call hold none
                used.setdefault(name, set()).update(c["signatures"])
    assert used == warm  # every warmed signature is one the code calls
    # loaded from the cache by both processes (the worker builds the weights and reduces)
    for name in (f"pasture.ndvi.zonal_kernels.{k}" for k in ("plot_coverage", "reduce_rows")):
        assert report["client"][name]["hits"] >= 1 and report["worker"][name]["hits"] >= 1
    assert report["client"]["grazing_models.rotation.path_kernel.best_path"]["hits"] == 1


def test_warm_again_only_loads(warmed: tuple[Path, str]) -> None:
    cache, _ = warmed
    n = sum(len(sigs) for sigs in _warm_list().values())
    assert f"{n} kernel signatures: 0 compiled, {n} loaded from the cache" in _warm(cache)


_JIT_NAMES = {"jit", "_jit", "njit"}


def _defines_kernels(path: Path) -> bool:
    """Whether a module decorates a function with a numba jit (``@jit(...)``, ``@_jit()``,
    ``@numba.njit``...)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                name = (
                    target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                )
                if name in _JIT_NAMES:
                    return True
    return False


def test_every_module_with_kernels_is_warmed() -> None:
    found = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for package in ("pasture", "grazing_models", "pasture_api")
        for path in (ROOT / package).rglob("*.py")
        if _defines_kernels(path)
    }
    assert found == set(KERNEL_MODULES)
