"""The science commands (pasture.cli_science): capacity, load and trends."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from click.testing import CliRunner

import pasture
from pasture import cli as pasture_cli

from .helpers import YEAR, Science


def test_cli_commands_write_and_print(demo_ndvi_gpkg: Path, tmp_path: Path) -> None:
    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, path)
    group = pasture_cli.main  # the real group, where these commands are registered
    runner = CliRunner(env={"COLUMNS": "200"})

    def run(*args: str) -> str:
        result = runner.invoke(group, [*args, "--store", str(path)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    output = run("capacity")
    assert "NDVI → biomass calibration" in output and "mountain_meadow_steppe" in output
    assert "Carrying capacity 2024 per union" in output and "upu-karazhota" in output
    with pasture.open_store(path) as store:
        rows = len(store.read_rows("capacity", where={"year": YEAR}))
    assert f"{rows:,} plot-season rows stored for 2024" in output
    output = run("load")
    assert "Load 2024 per union" in output and "upu-sogety" in output
    assert "overloaded" in output and "Order 3-3/332 annex, as transcribed" in output
    assert "менее пятидесяти процентов" in output
    output = run("trends")
    with pasture.open_store(path) as store:
        trends = store.read_rows("trends")
        generated = set(json.loads(store.get_meta("demo_degraded_plots") or "{}"))
        assert set(store.read_rows("load")["level"]) == {"plot", "union", "okrug"}
    flagged = set(trends.loc[trends["status"] == "degrading", "plot_id"])
    assert f"Degrading plots ({len(flagged)}" in output
    hits = len(flagged & generated)
    assert f"{hits} of {len(generated)} plots generated with a downward trend" in output


def test_cli_capacity_without_models_or_yields_is_a_usage_error(
    science: Science, tmp_path: Path
) -> None:
    models = tmp_path / "models.json"
    models.write_text(json.dumps({"*": {"form": "linear", "a": 1000, "b": 0}}), encoding="utf-8")
    group = pasture_cli.main
    runner = CliRunner(env={"COLUMNS": "200"})
    path = tmp_path / "demo.gpkg"
    shutil.copy(science.path, path)
    result = runner.invoke(group, ["capacity", "--store", str(path), "--yield-basis", "none"])
    assert result.exit_code == 2 and "--models" in result.output
    result = runner.invoke(
        group,
        ["capacity", "--store", str(path), "--yield-basis", "none", "--models", str(models)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    with pasture.open_store(path) as store:
        cap = store.read_rows("capacity", where={"year": YEAR})
    ndvi_rows = cap[cap["source"] == "ndvi"]
    assert np.allclose(ndvi_rows["biomass_central_kg_ha"], 1000 * ndvi_rows["ndvi"].clip(lower=0))
    assert (cap.loc[cap["season"] == "winter", "source"] == "none").all()
