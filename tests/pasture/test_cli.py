"""The `pasture` command: outputs and exit codes that scripts rely on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import pasture
from pasture.cli import (
    EXIT_CONFLICT,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_STORE,
    EXIT_USAGE,
    main,
)


@pytest.fixture
def demo_copy(demo_gpkg: Path, tmp_path: Path) -> Path:
    target = tmp_path / "demo.gpkg"
    shutil.copy(demo_gpkg, target)
    return target


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_demo_builds_and_info_shows_it(tmp_path: Path) -> None:
    store = tmp_path / "out" / "demo.gpkg"
    # without NDVI (--years 0): the NDVI, science and plan steps have their own tests
    code, output = run("demo", "--store", str(store), "--no-serve", "--years", "0")
    assert code == EXIT_OK, output
    assert "plots" in output and "generated" in output
    code, output = run("info", str(store), "--json")
    assert code == EXIT_OK
    doc = json.loads(output)
    counts = {layer["name"]: layer["count"] for layer in doc["layers"]}
    assert 1_000 <= counts["plots"] <= 3_000 and counts["unions"] == 5
    assert json.loads(doc["meta"]["demo"])["generated"] is True
    # rebuilding over a demo store is allowed and gives the same store
    code, _ = run("demo", "--store", str(store), "--no-serve", "--years", "0")
    assert code == EXIT_OK


def test_demo_refuses_to_overwrite_a_real_store(tmp_path: Path) -> None:
    real = tmp_path / "akimat.gpkg"
    code, _ = run("init", str(real))
    assert code == EXIT_OK
    code, output = run("demo", "--store", str(real), "--no-serve", "--years", "0")
    assert code == EXIT_STORE and "not a demo store" in output


def test_export_then_import_round_trip(demo_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "routes.geojson"
    code, _ = run("export", "routes", "--store", str(demo_copy), "-o", str(out))
    assert code == EXIT_OK and out.exists()
    code, output = run("import", "routes", str(out), "--store", str(demo_copy), "--mode", "upsert")
    assert code == EXIT_OK, output
    assert "0 inserted, 0 updated" in output
    code, output = run("import", "routes", str(out), "--store", str(demo_copy))
    assert code == EXIT_CONFLICT and "already stored" in output


def test_exit_codes_for_bad_input(demo_copy: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [')
    code, output = run("import", "plots", str(broken), "--store", str(demo_copy))
    assert code == EXIT_INVALID and "broken.geojson" in output and "nothing was written" in output
    code, output = run(
        "import", "plots", str(tmp_path / "missing.geojson"), "--store", str(demo_copy)
    )
    assert code == EXIT_NOT_FOUND
    code, output = run("info", str(tmp_path / "store.txt"))
    assert code == EXIT_STORE and "cannot tell the store type" in output
    code, output = run("import", "pigs", str(broken), "--store", str(demo_copy))
    assert code == EXIT_USAGE


def test_a_missing_store_is_not_created(tmp_path: Path) -> None:
    typo = tmp_path / "akimta.gpkg"
    for args in (
        ("info", str(typo)),
        ("export", "plots", "--store", str(typo), "-o", str(tmp_path / "plots.geojson")),
        ("plan", "list", "--store", str(typo)),
    ):
        code, output = run(*args)
        assert code == EXIT_NOT_FOUND, args
        assert "no such GeoPackage" in output and "pasture init" in output
    assert not typo.exists()
    assert not (tmp_path / "plots.geojson").exists()


def test_init_and_import_create(demo_copy: Path, tmp_path: Path) -> None:
    new = tmp_path / "new.gpkg"
    code, output = run("init", str(new))
    assert code == EXIT_OK and new.exists(), output
    code, output = run("init", str(new))
    assert code == EXIT_USAGE and "exists already" in output
    okrugs = tmp_path / "okrugs.geojson"
    assert run("export", "okrugs", "--store", str(demo_copy), "-o", str(okrugs))[0] == EXIT_OK
    other = tmp_path / "other.gpkg"
    code, output = run("import", "okrugs", str(okrugs), "--store", str(other))
    assert code == EXIT_NOT_FOUND and not other.exists()
    code, output = run("import", "okrugs", str(okrugs), "--store", str(other), "--create")
    assert code == EXIT_OK, output
    with pasture.open_store(demo_copy) as source:
        assert f"{source.count('okrugs')} inserted" in output


def test_census_csv_import(demo_copy: Path, tmp_path: Path) -> None:
    csv = tmp_path / "census.csv"
    csv.write_text(
        "household_id,household_name,union_id,date,sheep,goats,cattle,horses,camels\n"
        "H-new-1,New household,upu-asy,2026-01-01,25,3,2,1,0\n"
    )
    code, output = run("import", "census", str(csv), "--store", str(demo_copy))
    assert code == EXIT_OK, output
    csv.write_text("household_id,union_id,date,sheep,pigs\nH-new-2,upu-asy,2026-01-01,5,3\n")
    code, output = run("import", "census", str(csv), "--store", str(demo_copy))
    assert code == EXIT_INVALID and "unknown column 'pigs'" in output


def test_copy_between_stores(demo_copy: Path, tmp_path: Path) -> None:
    dest = tmp_path / "copy.gpkg"
    code, output = run("copy", str(demo_copy), str(dest))
    assert code == EXIT_OK, output
    code, output = run("copy", str(demo_copy), str(dest))
    assert code == EXIT_STORE and "not empty" in output


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in group.commands.items():
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths.extend(_command_paths(command, (*prefix, name)))
    return paths


def test_every_help_text_renders_as_written() -> None:
    # click prints help verbatim: a "%%" written for argparse-style formatting shows doubled
    paths = _command_paths(main)
    assert ("plan", "create") in paths
    for path in paths:
        code, out = run(*path, "--help")
        assert code == 0, path
        assert "%%" not in out, f"{' '.join(path)} --help shows '%%'"
