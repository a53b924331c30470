"""The science commands (pasture.cli_science): capacity, load and trends."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import pasture
from pasture import cli as pasture_cli
from pasture.cli import common

from .helpers import YEAR, Science


def test_cli_commands_write_and_print(
    demo_ndvi_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, path)
    group = pasture_cli.main  # the real group, where these commands are registered
    runner = CliRunner(env={"COLUMNS": "200"})
    # the module's rich console may have fixed its width when it was first imported
    # (COLUMNS then, or 80): give it the wide terminal the tables are read in
    monkeypatch.setattr(common.out, "_width", 200)

    def run(*args: str) -> str:
        result = runner.invoke(group, [*args, "--store", str(path)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    output = run("calibrate")
    assert "NDVI → biomass calibration" in output and "mountain_meadow_steppe" in output
    assert "GENERATED demo survey samples" in output
    output = run("capacity")
    assert "Carrying capacity 2024 per union" in output and "upu-karazhota" in output
    with pasture.open_store(path) as store:
        rows = len(store.read_rows("capacity", where={"year": YEAR}))
    assert f"{rows:,} plot-season rows stored for 2024" in output
    assert "forage-equivalent sheep" in output and "GENERATED" in output
    output = run("load")
    assert "Load 2024 per union" in output and "upu-sogety" in output
    assert "overloaded" in output and "Order 3-3/332 annex, as transcribed" in output
    assert "менее пятидесяти процентов" in output
    assert "capacity status" in output and "of the norm" in output
    output = run("load", "--level", "plot")
    assert f"no plan for {YEAR}" in output
    assert "row(s) unused under the law (< 50 % of the norm)" in output
    output = run("trends")
    assert "8 years × 13 composites" in output
    with pasture.open_store(path) as store:
        trends = store.read_rows("trends")
        generated = set(json.loads(store.get_meta("demo_degraded_plots") or "{}"))
        assert set(store.read_rows("load")["level"]) == {"plot", "union", "okrug"}
    flagged = set(trends.loc[trends["status"] == "degrading", "plot_id"])
    assert f"Degrading plots ({len(flagged)}" in output
    expected = f"{len(flagged)} plots flagged degrading at q = 0.1; expected false flags ≤ q × N"
    assert expected in output
    hits = len(flagged & generated)
    assert f"{hits} of {len(generated)} plots generated with a downward trend" in output


def test_cli_calibrate_needs_the_yield_basis_outside_the_demo(
    science: Science, tmp_path: Path
) -> None:
    group = pasture_cli.main
    runner = CliRunner(env={"COLUMNS": "200"})
    path = tmp_path / "demo.gpkg"
    shutil.copy(science.path, path)
    with pasture.open_store(path) as store:
        store.set_meta("demo", "")
    result = runner.invoke(group, ["calibrate", "--store", str(path)])
    assert result.exit_code == 2 and "--yield-basis" in result.output
    result = runner.invoke(
        group,
        ["calibrate", "--store", str(path), "--yield-basis", "fresh", "--level", "0.8"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "90% prediction interval" not in result.output and "80%" in result.output
    # capacity follows the new basis: fresh mass has less dry matter than air-dry
    before = science.capacity.set_index(["plot_id", "season"])["biomass_central_kg_ha"]
    result = runner.invoke(group, ["capacity", "--store", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with pasture.open_store(path) as store:
        cap = store.read_rows("capacity", where={"year": YEAR})
    after = cap.set_index(["plot_id", "season"])["biomass_central_kg_ha"]
    ndvi = cap.set_index(["plot_id", "season"])["source"] == "ndvi"
    ratio = (after[ndvi] / before.reindex(after[ndvi].index)).median()
    assert 0.2 < ratio < 0.4  # 0.25 / 0.875 of the air-dry reading
