"""Census totals never reveal one household: groups under the minimum size are suppressed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

import pasture
from pasture.model import SPECIES
from pasture_api.main import create_app

from .conftest import auth, login, make_settings

UNION = "upu-akshi"
DATE = "2003-03-03"  # a census date only this test writes


def _add_census(path: Path, households: list[str]) -> None:
    with pasture.open_store(path) as store:
        rows = [
            {
                "id": f"{h}/{DATE}",
                "household_id": h,
                "union_id": UNION,
                "date": DATE,
                **{s: 7 for s in SPECIES},
                "source": "test",
            }
            for h in households
        ]
        store.write("census", pd.DataFrame(rows), user="test")


def _group(client: TestClient, headers: dict[str, str]) -> dict[str, object]:
    totals = client.get("/census/totals", headers=headers).json()
    return next(t for t in totals if t["union_id"] == UNION and t["date"] == DATE)


def test_a_group_below_the_minimum_is_suppressed(writable_gpkg: Path) -> None:
    with pasture.open_store(writable_gpkg) as store:
        members = store.read("households", where={"union_id": UNION})["id"].tolist()[:3]
    _add_census(writable_gpkg, members[:1])
    settings = make_settings(writable_gpkg, census_min_group=3)
    with TestClient(create_app(settings)) as c:
        for user in ("analyst", "akimat", UNION):
            group = _group(c, auth(login(c, user)))
            assert group["suppressed"] is True and group["households"] == 1
            assert all(group[s] is None for s in SPECIES)
    _add_census(writable_gpkg, members[1:3])
    with TestClient(create_app(settings)) as c:
        group = _group(c, auth(login(c, "analyst")))
        assert group["suppressed"] is False and group["households"] == 3
        assert group["sheep"] == 21
