"""``/science/load``'s rows under the census disclosure rules, on both stores.

A union's row sums the livestock on its plots, its members' herds: with one household
holding most of it (or too few households), its demand and ratios are that household's
livestock in sheep units times the intake. A plot's row is the livestock of the
households whose animals graze it. Roles without personal data get those fields null
with ``suppressed_by``, as /census/totals does, and the maps say the plot's load is
withheld; the akimat gets the figures. The decision is made from the households behind
the stored figures (stored with them by `pasture load`), not from today's census.
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

from .conftest import auth, copy_store, login, make_settings, on_backend, recount

YEAR = 2024
DOMINATED = "upu-karazhota"  # one member's latest census will hold almost all its livestock
SHARED = "upu-akshi"  # a union of many households, none dominating
LATE_DAY = "2026-10-01"  # after the demo's census: that member's latest
LONE = "S-LONE"  # a settlement of one household in no union, with one public plot
LATER_DAY = "2026-11-01"
SHOWN_THEN_ALONE = "upu-karazhota"  # many households at `pasture load`, one after
ALONE_THEN_JOINED = "upu-sogety"  # one household at `pasture load`, many after


def _load_rows(groups: list[str], level: str = "union") -> pd.DataFrame:
    """One spring row per group, as `compute_load` writes them (figures made up)."""
    return pd.DataFrame(
        [
            {
                "level": level,
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


#: The client, the land users and a plot of each kind (`_seed`).
Served = tuple[TestClient, list[str], dict[str, str]]


@pytest.fixture(
    scope="module",
    params=["geopackage", pytest.param("postgis", marks=pytest.mark.postgis)],
)
def served(
    request: pytest.FixtureRequest, api_gpkg: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """The demo on each backend with land-user and plot load rows, one dominating
    household and a plot grazed by one household."""
    url = str(copy_store(api_gpkg, tmp_path_factory.mktemp("load-sdc") / "demo.gpkg"))
    url = on_backend(request, url)
    with pasture.open_store(url) as store:
        groups = [*sorted(store.read("unions")["id"].astype(str)), PUBLIC_GROUP]
        plots = _seed(store)
        rows = pd.concat([_load_rows(groups), _load_rows(list(plots.values()), "plot")])
        store.replace_rows("load", table_frame("load", rows), where={"year": YEAR})
    with TestClient(create_app(make_settings(url))) as c:
        yield c, groups, plots


def _seed(store: pasture.Store) -> dict[str, str]:
    """The year's capacity rows (the plots the livestock is spread over, no plan: near
    the settlements), one dominating household in ``DOMINATED`` and a public plot grazed
    by one household only; returns a plot of each kind by name."""
    plots = _capacity(store)
    member = store.read("households", where={"union_id": DOMINATED})["id"].iloc[0]
    heads = {**dict.fromkeys(SPECIES, 0), "horses": 19_000}  # 114,000 sheep units
    _census(store, member, DOMINATED, heads)
    # one household alone in its settlement: its village livestock is the public plot's
    lone_plot = plots[plots["tenure"] == "public"].iloc[0]
    settlement = store.read("settlements", where={"id": lone_plot["settlement_id"]})
    store.write("settlements", settlement.assign(id=LONE, name_en="Lone"), user="test")
    store.update("plots", lone_plot["id"], {"settlement_id": LONE}, expected_version=1, user="test")
    free = store.read("households")
    lone = free[free["union_id"].isna()].iloc[0]
    store.update(
        "households",
        lone["id"],
        {"settlement_id": LONE},
        expected_version=int(lone["version"]),
        user="test",
    )
    _census(store, lone["id"], None, {**dict.fromkeys(SPECIES, 0), "sheep": 300})
    return {
        "lone": str(lone_plot["id"]),
        "dominated": str(plots.loc[plots["union_id"] == DOMINATED, "id"].iloc[0]),
        "shared": str(plots.loc[plots["union_id"] == SHARED, "id"].iloc[0]),
    }


def _capacity(store: pasture.Store) -> pd.DataFrame:
    """The year's capacity rows: every plot in spring; returns the plots."""
    plots = store.read("plots")
    capacity = pd.DataFrame(
        {"plot_id": plots["id"], "year": YEAR, "season": "spring", "area_ha": plots["area_ha"]}
    ).assign(days=90)
    store.replace_rows("capacity", table_frame("capacity", capacity), where={"year": YEAR})
    return plots


def _census(store: pasture.Store, household: str, union: str | None, heads: dict) -> None:
    """A census record of ``household`` on LATE_DAY: its latest."""
    row = {"id": f"{household}/{LATE_DAY}", "household_id": household, "union_id": union}
    census = pd.DataFrame([{**row, "date": LATE_DAY, **heads, "source": "test"}])
    store.write("census", census, user="test")


def _rows(client: TestClient, user: str, level: str = "union") -> dict[str, dict[str, Any]]:
    r = client.get(f"/science/load?year={YEAR}&level={level}", headers=auth(login(client, user)))
    assert r.status_code == 200, r.text
    return {row["group_id"]: row for row in r.json()["load"]}


@pytest.mark.parametrize("user", ["analyst", "maslikhat"])
def test_a_land_user_row_one_household_dominates_is_withheld(served: Served, user: str) -> None:
    client, groups, _ = served
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


def test_personal_data_roles_see_the_figures(served: Served) -> None:
    client, groups, _ = served
    rows = _rows(client, "akimat")
    assert rows[DOMINATED]["demand_kg"] == 1000.0 * (groups.index(DOMINATED) + 1)
    assert rows[DOMINATED]["suppressed"] is False and rows[DOMINATED]["suppressed_by"] == {}


def test_a_land_user_of_too_few_households_is_withheld(
    served: Served,
) -> None:
    """The threshold rule with the server's ``census_min_group``: raised above every
    union's membership, only the public pasture's (households in no union) is shown."""
    client, _, _ = served
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


@pytest.mark.parametrize("user", ["analyst", "maslikhat"])
def test_a_plot_of_one_household_is_withheld(served: Served, user: str) -> None:
    client, _, plots = served
    rows = _rows(client, user, "plot")
    lone, dominated, shared = (rows[plots[k]] for k in ("lone", "dominated", "shared"))
    assert lone["suppressed_by"] == dict.fromkeys(LIVESTOCK_FIELDS, "threshold")
    assert all(lone[f] is None for f in LIVESTOCK_FIELDS) and lone["status"] == "overloaded"
    assert dominated["suppressed_by"] == dict.fromkeys(LIVESTOCK_FIELDS, "dominance")
    assert shared["suppressed"] is False and shared["demand_kg"] is not None


def test_the_akimat_sees_every_plot(served: Served) -> None:
    client, _, plots = served
    rows = _rows(client, "akimat", "plot")
    for plot in plots.values():
        assert rows[plot]["suppressed"] is False and rows[plot]["demand_kg"] is not None


@pytest.mark.parametrize(
    # the akimat first: its layer is cached, and must not be what the analyst gets
    ("user", "withheld"),
    [("akimat", False), ("analyst", True), ("maslikhat", True)],
)
def test_the_map_popup_says_a_plot_load_is_withheld(
    served: Served, user: str, withheld: bool
) -> None:
    """The overview's plot popup (``/layers/plots/{id}``, the map's one source of a
    plot's load) shows the share of capacity only where the role may see it."""
    client, _, plots = served
    headers = auth(login(client, user))
    texts = {}
    for kind in ("lone", "shared"):
        r = client.get(f"/layers/plots/{plots[kind]}?lang=en&shade=load", headers=headers)
        assert r.status_code == 200, r.text
        texts[kind] = " ".join(v or "" for v in r.json()["p"])
    assert ("withheld (privacy)" in texts["lone"]) is withheld
    assert "withheld (privacy)" not in texts["shared"]


def test_a_union_counts_every_household_on_its_land() -> None:
    """A union's row sums what is on its plots: a village flock the plan puts there is
    among its contributors, so one outside household dominating it is seen."""
    from pasture.disclosure import DisclosureRules, withheld_by
    from pasture.science.load import _group_contributions, load_group

    index = pd.MultiIndex.from_tuples(
        [("p1", "summer", "u"), ("p1", "summer", "village:s")],
        names=["plot_id", "season", "pool"],
    )
    pooled = pd.DataFrame(0.0, index=index, columns=list(SPECIES))
    pooled.loc[("p1", "summer", "u"), "sheep"] = 30.0  # three members' sheep
    pooled.loc[("p1", "summer", "village:s"), "horses"] = 500.0  # one outsider's horses
    shares = pd.DataFrame(0.0, index=pd.Index(["a", "b", "c", "z"]), columns=list(SPECIES))
    shares.loc[["a", "b", "c"], "sheep"] = 1 / 3
    shares.loc["z", "horses"] = 1.0
    shares["pool"] = ["u", "u", "u", "village:s"]
    capacity = pd.DataFrame({"plot_id": ["p1"], "union_id": ["u"], "okrug_id": ["o"]})
    got = _group_contributions(pooled, shares, capacity, None)
    union = got[load_group("union", "u", "summer")]
    assert sorted(union.index) == ["a", "b", "c", "z"]
    assert withheld_by(union, DisclosureRules()) == "dominance"
    assert got[load_group("okrug", "o", "summer")].equals(got[load_group("plot", "p1", "summer")])


@pytest.fixture(params=["geopackage", pytest.param("postgis", marks=pytest.mark.postgis)])
def fresh(request: pytest.FixtureRequest, api_gpkg: Path, tmp_path: Path) -> str:
    """A writable copy of the demo with its accounts on each backend, with the year's
    capacity and ``ALONE_THEN_JOINED``'s members but one without livestock."""
    url = str(copy_store(api_gpkg, tmp_path / "demo.gpkg"))
    url = on_backend(request, url, "postgis_url")
    with pasture.open_store(url) as store:
        _capacity(store)
        recount(store, ALONE_THEN_JOINED, LATE_DAY, alone=True)
    return url


def _served_rows(url: str) -> dict[str, dict[str, Any]]:
    with TestClient(create_app(make_settings(url))) as client:
        return _rows(client, "analyst")


def test_a_row_is_decided_by_the_households_behind_its_figures(fresh: str) -> None:
    """A census edit after `pasture load` changes neither a row's figures nor whether they
    are shown: figures of many households stay shown after all but one drop out, figures
    of one household stay withheld after others join, until the load is computed again."""
    from pasture.disclosure import DisclosureRules, withheld_by
    from pasture.science.load import compute_load, load_contributions, load_group

    with pasture.open_store(fresh) as store:
        compute_load(store, year=YEAR)
        computed = store.read_rows("load", where={"year": YEAR, "level": "union"})
        recount(store, SHOWN_THEN_ALONE, LATER_DAY, alone=True)
        recount(store, ALONE_THEN_JOINED, LATER_DAY, alone=False)
        today = load_contributions(store, [YEAR])
    # today's census would decide both rows the other way round
    for union, rule in ((SHOWN_THEN_ALONE, "threshold"), (ALONE_THEN_JOINED, None)):
        assert withheld_by(today[load_group("union", union, "spring")], DisclosureRules()) == rule
    stored = computed.set_index("group_id")
    rows = _served_rows(fresh)
    shown, withheld = rows[SHOWN_THEN_ALONE], rows[ALONE_THEN_JOINED]
    assert shown["suppressed"] is False and "top_shares" not in shown
    assert shown["demand_kg"] == pytest.approx(stored.at[SHOWN_THEN_ALONE, "demand_kg"])
    assert shown["contributors"] == stored.at[SHOWN_THEN_ALONE, "contributors"] > 3
    assert withheld["suppressed_by"] == dict.fromkeys(LIVESTOCK_FIELDS, "threshold")
    assert withheld["demand_kg"] is None and withheld["contributors"] == 1

    with pasture.open_store(fresh) as store:  # computed again: both follow today's census
        compute_load(store, year=YEAR)
    rows = _served_rows(fresh)
    assert rows[SHOWN_THEN_ALONE]["suppressed_by"] == dict.fromkeys(LIVESTOCK_FIELDS, "threshold")
    assert rows[ALONE_THEN_JOINED]["suppressed"] is False
    assert rows[ALONE_THEN_JOINED]["demand_kg"] > 0


def test_stored_contributors_decide_either_rule() -> None:
    """What a row stores is enough for both rules, with any n up to the shares kept and a
    bound beyond: the same decision as from the contributions themselves."""
    from pasture.disclosure import (
        KEPT_SHARES,
        Contributors,
        DisclosureRules,
        withheld_by,
        withheld_from,
    )

    totals = [[5.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0], [9.0, 0.0], [0.0] * 4, [3.0, 1.0]]
    totals += [[float(v) for v in range(1, 30)]]
    for n, k in ((1, 75.0), (2, 50.0), (3, 90.0), (KEPT_SHARES, 60.0)):
        rules = DisclosureRules(min_group=3, dominance_n=n, dominance_k=k)
        for values in totals:
            stored = Contributors.of(pd.Series(values))
            assert withheld_from(stored, rules) == withheld_by(pd.Series(values), rules)
    # past the shares kept: an upper bound, so a household is never revealed
    many = Contributors(40, (0.025,) * KEPT_SHARES)  # 40 households of 2.5 % each
    assert withheld_from(many, DisclosureRules(dominance_n=20, dominance_k=60.0)) is None
    assert withheld_from(many, DisclosureRules(dominance_n=20, dominance_k=40.0)) == "dominance"
    # a row without livestock has no household to publish
    assert withheld_from(Contributors(0), DisclosureRules(min_group=1)) == "threshold"
