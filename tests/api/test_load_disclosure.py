"""``/science/load``'s land-user rows under the census disclosure rules, on both stores.

A union's row sums the livestock on its plots, its members' herds: with one household
holding most of it (or too few households), its demand and ratios are that household's
livestock in sheep units times the intake. Roles without personal data get those fields
null with ``suppressed_by``, as /census/totals does; the akimat gets the figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import pasture
from pasture.model import SPECIES
from pasture.science.load import PUBLIC_GROUP
from pasture.science.tables import table_frame
from pasture_api.main import create_app
from pasture_api.science import LIVESTOCK_FIELDS

from .conftest import auth, copy_store, login, make_settings

YEAR = 2024
DOMINATED = "upu-karazhota"  # one member's latest census will hold almost all its livestock
LATE_DAY = "2026-10-01"  # after the demo's census: that member's latest


def _load_rows(groups: list[str]) -> pd.DataFrame:
    """One spring row per land user, as `compute_load` writes them (figures made up)."""
    return pd.DataFrame(
        [
            {
                "level": "union",
                "group_id": g,
                "year": YEAR,
                "season": "spring",
                "demand_kg": 1000.0 * (i + 1),
                "forage_low_kg": 500.0,
                "forage_central_kg": 1000.0,
                "forage_high_kg": 2000.0,
                "stocking_ratio_low": 2.0 * (i + 1),
                "stocking_ratio_central": 1.0 * (i + 1),
                "stocking_ratio_high": 0.5 * (i + 1),
                "status": "overloaded",
                "norm_status": "over the norm",
                "norm_load": 1.5,
                "disagreement": None,
                "load_source": "test",
            }
            for i, g in enumerate(groups)
        ]
    )


@pytest.fixture(
    scope="module",
    params=["geopackage", pytest.param("postgis", marks=pytest.mark.postgis)],
)
def served(
    request: pytest.FixtureRequest, api_gpkg: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, list[str]]]:
    """The demo on each backend with land-user load rows and one dominating household."""
    url = str(copy_store(api_gpkg, tmp_path_factory.mktemp("load-sdc") / "demo.gpkg"))
    if request.param == "postgis":
        pg = request.getfixturevalue("postgis_url_module")
        with pasture.open_store(url) as source, pasture.open_store(pg) as target:
            target.load_copy(source)
            from pasture_api.users import create_demo_users

            create_demo_users(target, "demo")
        url = pg
    with pasture.open_store(url) as store:
        groups = [*sorted(store.read("unions")["id"].astype(str)), PUBLIC_GROUP]
        store.replace_rows("load", table_frame("load", _load_rows(groups)), where={"year": YEAR})
        member = store.read("households", where={"union_id": DOMINATED})["id"].iloc[0]
        row = {"id": f"{member}/{LATE_DAY}", "household_id": member, "union_id": DOMINATED}
        heads = {**dict.fromkeys(SPECIES, 0), "horses": 19_000}  # 114,000 sheep units
        census = pd.DataFrame([{**row, "date": LATE_DAY, **heads, "source": "test"}])
        store.write("census", census, user="test")
    with TestClient(create_app(make_settings(url))) as c:
        yield c, groups


def _rows(client: TestClient, user: str) -> dict[str, dict[str, Any]]:
    r = client.get(f"/science/load?year={YEAR}&level=union", headers=auth(login(client, user)))
    assert r.status_code == 200, r.text
    return {row["group_id"]: row for row in r.json()["load"]}


@pytest.mark.parametrize("user", ["analyst", "maslikhat"])
def test_a_land_user_row_one_household_dominates_is_withheld(
    served: tuple[TestClient, list[str]], user: str
) -> None:
    client, groups = served
    rows = _rows(client, user)
    assert set(rows) == set(groups)
    hidden = rows[DOMINATED]
    assert hidden["suppressed"] is True
    assert hidden["suppressed_by"] == dict.fromkeys(LIVESTOCK_FIELDS, "dominance")
    assert all(hidden[f] is None for f in LIVESTOCK_FIELDS)
    # forage is the land's, the status a band: both stay
    assert hidden["forage_central_kg"] == 1000.0 and hidden["status"] == "overloaded"
    for group in set(groups) - {DOMINATED}:  # many households, none dominating: published
        assert rows[group]["suppressed"] is False and rows[group]["demand_kg"] is not None


def test_personal_data_roles_see_the_figures(served: tuple[TestClient, list[str]]) -> None:
    client, groups = served
    rows = _rows(client, "akimat")
    assert rows[DOMINATED]["demand_kg"] == 1000.0 * (groups.index(DOMINATED) + 1)
    assert rows[DOMINATED]["suppressed"] is False and rows[DOMINATED]["suppressed_by"] == {}


def test_a_land_user_of_too_few_households_is_withheld(
    served: tuple[TestClient, list[str]],
) -> None:
    """The threshold rule with the server's ``census_min_group``: raised above every
    union's membership, only the public pasture's (households in no union) is shown."""
    client, _ = served
    app: Any = client.app
    configured = app.state.settings
    try:
        app.state.settings = configured.model_copy(update={"census_min_group": 1000})
        rows = _rows(client, "analyst")
    finally:
        app.state.settings = configured
    assert rows[PUBLIC_GROUP]["suppressed"] is False
    for group, row in rows.items():
        if group != PUBLIC_GROUP:
            assert row["suppressed_by"] == dict.fromkeys(LIVESTOCK_FIELDS, "threshold")
            assert row["demand_kg"] is None and row["stocking_ratio_central"] is None
