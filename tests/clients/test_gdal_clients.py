"""The README's GDAL recipe, run as written against a real server: Debian 12's ogrinfo
(GDAL 3.6, unpacked by scripts/ensure-gdal36.sh) and the newest GDAL (pyogrio's bundled
one) read every collection with numeric fields typed and every feature the API counts."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyogrio
import pytest

from pasture.model import FieldType, layer
from pasture_api.ogc import COLLECTIONS
from tests.clients.conftest import ROOT, analyst_token

OGRINFO_36 = ROOT / ".cache" / "gdal36" / "usr" / "bin" / "ogrinfo"
#: The address the README's recipe uses for the office server.
README_BASE = "https://pasture.example.kz"
#: GDAL's field type of each stored type (ogrinfo's names; pyogrio's add an "OFT").
GDAL_TYPE = {
    FieldType.INTEGER: "Integer",
    FieldType.REAL: "Real",
    FieldType.DATE: "Date",
    FieldType.TEXT: "String",
    FieldType.SEASONS: "String",
}


def _recipe(program: str) -> list[str]:
    """The README's command line for ``program`` (the one after GDAL_HTTP_HEADER_FILE=)."""
    lines = (ROOT / "README.md").read_text().splitlines()
    found = [ln for ln in lines if ln.startswith("GDAL_HTTP_HEADER_FILE=") and f" {program} " in ln]
    assert len(found) == 1, f"the README has {len(found)} {program} recipe lines"
    return shlex.split(found[0])[1:]


@pytest.fixture(scope="module")
def header_file(server: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's token file: one 'Authorization: Bearer <token>' line, for the analyst."""
    path = tmp_path_factory.mktemp("token") / "jailym-token"
    path.write_text(f"Authorization: Bearer {analyst_token(server)}\n")
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def expected(server: str, header_file: Path) -> dict[str, tuple[int, dict[str, str]]]:
    """Per collection: the API's feature count and the GDAL type each property must get."""
    token = header_file.read_text().split(": ", 1)[1].strip()
    out = {}
    for cid, name in COLLECTIONS.items():
        page = httpx.get(
            f"{server}/collections/{cid}/items?limit=1", headers={"Authorization": token}
        ).json()
        types = {"id": "String"}
        types.update({f.name: GDAL_TYPE[f.type] for f in layer(name).fields if not f.personal})
        out[cid] = (int(page["numberMatched"]), types)
    assert any("Real" in t.values() for _, t in out.values())
    assert any("Integer" in t.values() for _, t in out.values())
    return out


def _ogrinfo_layers(text: str) -> dict[str, dict[str, str]]:
    """Layer name -> field name -> type, from ogrinfo -so -al output."""
    layers: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("Layer name: "):
            current = layers.setdefault(line.removeprefix("Layer name: ").strip(), {})
        elif m := re.match(r"^(\w+): (\w+) \(\d+\.\d+\)$", line):
            current[m[1]] = m[2]
        elif line.startswith("Feature Count: "):
            current["<count>"] = line.removeprefix("Feature Count: ")
    return layers


def _run_36(argv: list[str], header_file: Path) -> str:
    if not OGRINFO_36.exists():
        pytest.skip("Debian 12's ogrinfo is missing: run scripts/ensure-gdal36.sh (make test does)")
    env = {**os.environ, "GDAL_HTTP_HEADER_FILE": str(header_file)}
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_gdal36_types_every_collection_with_the_readme_recipe(
    server: str, header_file: Path, expected: dict[str, tuple[int, dict[str, str]]]
) -> None:
    version = subprocess.run([OGRINFO_36, "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("GDAL 3.6."), version.stdout
    argv = [str(OGRINFO_36), *_recipe("ogrinfo")[1:]]
    argv[-1] = argv[-1].replace(README_BASE, server)
    layers = _ogrinfo_layers(_run_36(argv, header_file))
    assert set(layers) == set(COLLECTIONS)
    for cid, (count, types) in expected.items():
        assert layers[cid].pop("<count>") == str(count), cid
        assert layers[cid] == types, cid


def test_gdal36_reads_every_feature(
    server: str, header_file: Path, expected: dict[str, tuple[int, dict[str, str]]]
) -> None:
    """The recipe without -so: every feature of every collection comes through the pages."""
    argv = [str(OGRINFO_36), *_recipe("ogrinfo")[1:]]
    argv[-1] = argv[-1].replace(README_BASE, server)
    argv.remove("-so")
    argv[-1:-1] = ["-geom=NO"]
    text = _run_36(argv, header_file)
    read = {
        cid: len(re.findall(rf"^OGRFeature\({re.escape(cid)}\):", text, re.M))
        for cid in COLLECTIONS
    }
    assert read == {cid: count for cid, (count, _) in expected.items()}
    # a number from the API arrives as a number: the first plot's area, typed Real
    assert re.search(r"^  area_ha \(Real\) = \d+\.\d+", text, re.M)


@pytest.fixture
def newest_gdal_token(header_file: Path) -> Iterator[None]:
    pyogrio.set_gdal_config_options({"GDAL_HTTP_HEADER_FILE": str(header_file)})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"GDAL_HTTP_HEADER_FILE": None})


@pytest.mark.usefixtures("newest_gdal_token")
@pytest.mark.parametrize("cid", list(COLLECTIONS))
def test_newest_gdal_types_and_reads_every_collection(
    server: str, expected: dict[str, tuple[int, dict[str, str]]], cid: str
) -> None:
    assert tuple(int(p) for p in pyogrio.__gdal_version__[:2]) >= (3, 9)
    options = dict(o.split("=", 1) for o in _recipe("ogrinfo") if o.startswith("PAGE_SIZE="))
    url = f"OAPIF:{server}/collections/{cid}"
    info = pyogrio.read_info(url, **options)
    count, types = expected[cid]
    got = {
        name: kind.removeprefix("OFT")
        for name, kind in zip(info["fields"], info["ogr_types"], strict=True)
    }
    assert got == types
    frame = pyogrio.read_dataframe(url, **options)
    assert len(frame) == count
