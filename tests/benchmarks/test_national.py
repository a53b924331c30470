"""The national-scale benchmark runs end to end at a tiny size, so that it cannot rot.

Two districts of ~250 generated plots, 3 dates: every step prints a row with its
figures, its named peer and how much of the step the peer ran (exactextract here on 1
date and 100 plots, scaled), and every district's plan keeps every rule. The figures
themselves are not judged (no wall-clock assertions: benchmarks/README.md has them).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STEPS = ("build", "NDVI stack", "import", "read", "zonal", "capacity", "season plans")


@pytest.mark.slow
def test_national_benchmark_prints_every_step_and_plans_keep_the_rules(tmp_path: Path) -> None:
    cmd = [sys.executable, str(ROOT / "benchmarks" / "national.py"), "--plots", "500"]
    cmd += ["--district-plots", "250", "--dates", "3", "--plan-time-limit", "10"]
    cmd += ["--peer-dates", "1", "--peer-plots", "100"]  # the sampled peer, scaled
    cmd += ["--keep", str(tmp_path / "national")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200, check=False)
    # 1 also when a district overran its time limit: a wall-clock figure, not judged here
    assert done.returncode in (0, 1), done.stderr[-3000:]
    rows = [line.split("|")[1:-1] for line in done.stdout.splitlines() if line.startswith("| ")]
    rows = [[cell.strip() for cell in row] for row in rows[1:]]  # after the header
    assert [next(s for s in STEPS if row[0].startswith(s)) for row in rows] == list(STEPS)
    for row in rows:
        wall, cpu, peak = (float(v.replace(",", "")) for v in row[1:4])
        assert wall > 0 and cpu >= 0 and peak > 0, row
    peers = {row[0].split()[0]: row[4] for row in rows}
    assert peers["import"] in ("ogr2ogr", "pyogrio read+write")
    assert (peers["read"], peers["zonal,"]) == ("pyogrio", "exactextract")
    shares = {row[0].split()[0]: row[8] for row in rows}
    assert (shares["import"], shares["read"]) == ("all", "all")
    assert shares["zonal,"] == f"1 of 3 dates, 100 of {rows[3][0].split()[1]} plots"
    assert shares["build"] == "-"  # no peer
    assert rows[0][0] == "build 2 districts (generated)"
    imported, read = (int(rows[i][0].split()[1].replace(",", "")) for i in (2, 3))
    assert read > imported > 0  # the first district's plots, then the copies'
    plan = rows[-1]
    assert plan[0] == "season plans, 2 districts"
    assert plan[-1].startswith("0 violations"), plan
    assert "slowest district" in plan[-1]
    _slow_core_plans_keep_the_rules(tmp_path / "national", env)


def _slow_core_plans_keep_the_rules(kept: Path, env: dict[str, str]) -> None:
    """benchmarks/slow_core.py on the store just kept: each district a row, every rule kept."""
    cmd = [sys.executable, str(ROOT / "benchmarks" / "slow_core.py"), str(kept)]
    cmd += ["--districts", "0,1", "--time-limit", "10", "--busy", "1"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode in (0, 1), done.stderr[-3000:]  # 1: a district over its limit
    rows = [line.split("|")[1:-1] for line in done.stdout.splitlines() if line.startswith("| ")]
    rows = [[cell.strip() for cell in row] for row in rows[1:]]  # after the header
    assert [row[0] for row in rows] == ["0", "1"], done.stdout
    assert all(row[3] == "0" for row in rows), rows  # violations
    assert all(float(row[2]) > 0 for row in rows), rows  # time ÷ limit
