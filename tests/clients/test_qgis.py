"""The README's QGIS recipe against a real server: Debian 12's QGIS 3.22 (its own OGC API -
Features provider, "OAPIF", installed by scripts/ensure-qgis.sh) run headless under
/usr/bin/python3 by tests/clients/qgis_probe.py, with the README's provider URI and both
ways its Authentication tab stores the Basic credentials (user name, token as password).

QGIS 3.22 types each field from the first ten features of a collection (``items?limit=10``)
and reads no schema: a field empty in all ten comes as String, as the README says. The
expected types are worked out from that page, so a change of QGIS or of the API shows."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from pasture.model import FieldType, layer
from pasture_api.ogc import COLLECTIONS
from tests.clients.conftest import ROOT, analyst_token

SYSTEM_PYTHON = Path("/usr/bin/python3")
PROBE = Path(__file__).with_name("qgis_probe.py")
#: The address the README's recipe uses for the office server.
README_BASE = "https://pasture.example.kz"
#: QVariant types (QVariant::Type) of the stored field types: Int or LongLong, Double,
#: Date, String.
QVARIANT = {
    FieldType.INTEGER: {2, 4},
    FieldType.REAL: {6},
    FieldType.DATE: {14},
    FieldType.TEXT: {10},
    FieldType.SEASONS: {10},
}
STRING = {10}
#: Features QGIS 3.22 reads to guess the fields (QgsOapifProvider::init: items?limit=10).
SAMPLE = 10
#: The demo's numeric fields the README says QGIS 3.22 reads as text.
README_AS_TEXT = ("yield_summer_cha", "yield_autumn_cha", "households")
#: The page size QGIS 3.22 takes from /api (components/parameters/limit: default 1000).
PAGE = 1000


def _readme_uri() -> str:
    """The README's provider URI for plots, as a template of typename and token."""
    text = (ROOT / "README.md").read_text()
    found = re.findall(r'QgsVectorLayer\(\s*"([^"]+)",\s*"plots",\s*"OAPIF",?\s*\)', text)
    assert len(found) == 1, f"the README has {len(found)} QGIS provider URIs"
    uri = found[0]
    assert f"url='{README_BASE}'" in uri and "typename='plots'" in uri, uri
    return uri.replace("typename='plots'", "typename='{typename}'").replace("<token>", "{token}")


@pytest.fixture(scope="module")
def expected(server: str) -> dict[str, dict[str, Any]]:
    """Per collection, from the API: count, filled values, sums and QGIS 3.22's types."""
    headers = {"Authorization": f"Bearer {analyst_token(server)}"}
    out = {}
    for cid, name in COLLECTIONS.items():
        url = f"{server}/collections/{cid}/items"
        every = httpx.get(url, params={"limit": 10_000}, headers=headers, timeout=120).json()
        sample = every["features"][:SAMPLE]
        assert every["numberMatched"] == len(every["features"]), cid  # one page holds all
        fields = [f for f in layer(name).fields if not f.personal]
        props = [f["properties"] for f in every["features"]]
        out[cid] = {
            "count": every["numberMatched"],
            "types": {"id": STRING}
            | {
                f.name: QVARIANT[f.type]
                if any(p.get(f.name) is not None for p in (s["properties"] for s in sample))
                else STRING
                for f in fields
            },
            "filled": {"id": len(props)}
            | {f.name: sum(p.get(f.name) is not None for p in props) for f in fields},
            "sums": {
                f.name: sum(p[f.name] for p in props if p.get(f.name) is not None)
                for f in fields
                if f.type in (FieldType.INTEGER, FieldType.REAL)
            },
        }
    return out


def _probe(server: str, auth: str, home: Path) -> dict[str, Any]:
    if (
        not SYSTEM_PYTHON.exists()
        or subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True).returncode
    ):
        pytest.skip("QGIS's Python is missing: run scripts/ensure-qgis.sh (make test does)")
    home.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    # headless; settings and the authentication database in a directory of the test's own
    env |= {"QT_QPA_PLATFORM": "offscreen", "HOME": str(home), "XDG_RUNTIME_DIR": str(home)}
    env |= {"QGIS_AUTH_DB_DIR_PATH": str(home), "JAILYM_TOKEN": analyst_token(server)}
    uri = _readme_uri().replace(README_BASE, server)
    argv = [str(SYSTEM_PYTHON), str(PROBE), uri, auth, *COLLECTIONS]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("auth", ["uri", "authcfg"])
def test_qgis_322_reads_every_collection_with_the_readme_recipe(
    server: str, expected: dict[str, dict[str, Any]], auth: str, tmp_path: Path
) -> None:
    result = _probe(server, auth, tmp_path / "qgis-home")
    assert result["version"].startswith("3.22."), result["version"]
    assert "QGIS 3.22" in (ROOT / "README.md").read_text()
    layers = {found["id"]: found for found in result["layers"]}
    assert set(layers) == set(COLLECTIONS)
    for cid, want in expected.items():
        got = layers[cid]
        assert got["valid"], cid
        assert got["count"] == got["read"] == want["count"], cid
        assert got["crs"] == "EPSG:4326", cid
        # longitude first, in the district (the API's CRS84 read the right way round)
        assert 76 < got["lon"][0] <= got["lon"][1] < 80, (cid, got["lon"])
        assert 42 < got["lat"][0] <= got["lat"][1] < 45, (cid, got["lat"])
        types = {name: kind for name, (kind, _) in got["fields"].items()}
        assert types.keys() == want["types"].keys(), cid
        wrong = {n: t for n, t in types.items() if t not in want["types"][n]}
        assert not wrong, (cid, wrong)
        assert got["filled"] == want["filled"], cid
        for name, total in got["sums"].items():
            assert total == pytest.approx(want["sums"][name], rel=1e-9), (cid, name)
        # the sample of ten, then every feature in pages of 1000 (100 without the /api limit)
        sample, *pages = [re.sub(r"^.*/items", "", u) for u in got["items_requests"]]
        assert sample == f"?limit={SAMPLE}", cid
        assert len(pages) == max(1, math.ceil(want["count"] / PAGE)), (cid, pages)
        assert all(p.startswith(f"?limit={PAGE}") for p in pages), (cid, pages)
    # the README names the demo's numeric fields QGIS 3.22 reads as text (empty in the sample)
    readme = " ".join((ROOT / "README.md").read_text().split())
    as_text = {
        f.name
        for cid, name in COLLECTIONS.items()
        for f in layer(name).fields
        if f.type in (FieldType.INTEGER, FieldType.REAL) and f.name in layers[cid]["fields"]
        if layers[cid]["fields"][f.name][0] in STRING
    }
    assert as_text == set(README_AS_TEXT), "update the README's QGIS 3.22 text fields"
    for field in README_AS_TEXT:
        assert f"`{field}`" in readme, field
    # the numbers the analyst works with arrive as numbers
    plots = {name: kind for name, (kind, _) in layers["plots"]["fields"].items()}
    assert plots["area_ha"] == plots["yield_winter_cha"] == plots["yield_spring_cha"] == 6
