"""The science over HTTP: the forage basis, its calibration (akimat only), capacity and load."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import pasture
from grazing_models.capacity import BANDS
from grazing_models.rotation import RotationParams
from pasture import cli as pasture_cli
from pasture import science as pasture_science
from pasture.i18n import translator
from pasture.planning import PlanningParams, approve_plan, create_plan
from pasture_api.main import create_app
from pasture_api.pages.plan_summary import summary_sections
from pasture_api.users import create_demo_users

from .conftest import OWN_UNION, PASSWORD, USERS, auth, login, make_settings

YEAR = 2024


@pytest.fixture(scope="module")
def science_client(
    demo_ndvi_gpkg: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, str]]:
    """The demo with its basis, capacity, an approved plan of one union's spring, and load."""
    path = tmp_path_factory.mktemp("science-api") / "demo.gpkg"
    with pasture.open_store(demo_ndvi_gpkg) as source, pasture.open_store(path) as store:
        store.load_copy(source)
        create_demo_users(store, PASSWORD)
        pasture_science.compute_capacity(store, year=YEAR)
        plan_id = create_plan(
            store,
            season_year=YEAR,
            user="akimat",
            solver="heuristic",
            params=RotationParams(max_home_km=5.0),
            planning=PlanningParams(unions=(OWN_UNION,), seasons=("spring",)),
            solve_limit=0.1,
            lower_bound=False,
        )
        approve_plan(store, plan_id, user="akimat")
        pasture_science.compute_load(store, year=YEAR)
    with TestClient(create_app(make_settings(path))) as client:
        yield client, plan_id


def _token(client: TestClient, role: str) -> dict[str, str]:
    return auth(login(client, USERS[role]))


def test_the_basis_is_served_and_says_it_is_generated(
    science_client: tuple[TestClient, str],
) -> None:
    client, _ = science_client
    r = client.get("/science/forage-basis", headers=_token(client, "analyst"))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["generated"] is True and "GENERATED" in doc["label"]
    pooled = doc["calibrations"]["*"]
    assert {"form", "a", "b", "r2", "rmse", "n", "covariance"} <= set(pooled)
    assert doc["n_samples"] == pooled["n"] and "samples" not in doc
    assert client.get("/science/forage-basis").status_code == 401


def test_only_the_akimat_calibrates(science_client: tuple[TestClient, str]) -> None:
    client, _ = science_client
    body = {"yield_basis": "air_dry", "level": 0.8}
    r = client.post("/science/calibration", json=body, headers=_token(client, "union"))
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    r = client.post(
        "/science/calibration", json={"yield_basis": "wet"}, headers=_token(client, "akimat")
    )
    assert r.status_code == 422 and "yield_basis" in r.text
    before = client.get("/science/forage-basis", headers=_token(client, "akimat")).json()
    r = client.post("/science/calibration", json=body, headers=_token(client, "akimat"))
    assert r.status_code == 201, r.text
    after = r.json()
    assert after["level"] == 0.8 and after["calibrated_by"] == "akimat"
    assert after["id"] != before["id"] and after["generated"] is True
    served = client.get("/science/forage-basis", headers=_token(client, "analyst")).json()
    assert served["id"] == after["id"]


def test_load_serves_both_statuses_and_the_plans_livestock(
    science_client: tuple[TestClient, str],
) -> None:
    client, plan_id = science_client
    r = client.get("/science/load?level=plot", headers=_token(client, "akimat"))
    assert r.status_code == 200, r.text
    rows = r.json()["load"]
    assert {"status", "norm_status", "norm_load", "disagreement", "load_source"} <= set(rows[0])
    assert all(row["load_source"].startswith(f"approved plan {plan_id}") for row in rows)
    carried = [row for row in rows if row["season"] == "spring" and (row["demand_kg"] or 0) > 0]
    assert carried
    # a union account sees its own plots and its own union only
    mine = client.get("/science/load", headers=_token(client, "union")).json()["load"]
    levels = {(row["level"], row["group_id"]) for row in mine if row["level"] != "plot"}
    assert levels == {("union", OWN_UNION)}
    plots = {row["group_id"] for row in mine if row["level"] == "plot"}
    assert plots and plots < {row["group_id"] for row in rows}
    r = client.get("/science/load?year=2031", headers=_token(client, "akimat"))
    assert r.status_code == 404 and "pasture load" in r.json()["detail"]


def test_capacity_is_served_per_plot_and_season(science_client: tuple[TestClient, str]) -> None:
    client, _ = science_client
    headers = _token(client, "analyst")
    rows = client.get("/science/capacity", headers=headers).json()["capacity"]
    # one row per plot and season, for every plot of the district
    assert len(rows) == len({(r["plot_id"], r["season"]) for r in rows})
    plots = client.get("/collections/plots/items?limit=1", headers=headers).json()
    assert len({r["plot_id"] for r in rows}) == plots["numberMatched"]
    row = next(r for r in rows if r["source"] == "ndvi")
    assert row["forage_low_kg"] <= row["forage_central_kg"] <= row["forage_high_kg"]
    assert row["harvest_efficiency"] == 0.5 and row["model"]["generated"] is True


def _exported(table: str, store: str, path: Path) -> pd.DataFrame:
    """``pasture export TABLE`` to ``path`` (CSV or XLSX), read back."""
    result = CliRunner().invoke(
        pasture_cli.main, ["export", table, "--store", store, "-o", str(path)]
    )
    assert result.exit_code == 0, result.output
    if path.suffix == ".csv":
        return pd.read_csv(path, encoding="utf-8-sig")
    return pd.read_excel(path)


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_exports_carry_the_forage_band_the_api_serves(
    science_client: tuple[TestClient, str], tmp_path: Path, suffix: str
) -> None:
    """Capacity and load exports: low ≤ central ≤ high, the API's figures for each plot
    (to the export's rounding: whole kilograms, ratios to 0.01)."""
    client, _ = science_client
    headers = _token(client, "akimat")
    store = str(client.app.state.settings.store)  # type: ignore[attr-defined]
    cases = [
        ("capacity", "plot_id", "forage_{}_kg", 0.51, f"/science/capacity?year={YEAR}"),
        ("load", "group_id", "stocking_ratio_{}", 0.0051, f"/science/load?year={YEAR}&level=plot"),
    ]
    for table, key, column, rounding, route in cases:
        served = client.get(route, headers=headers).json()[table]
        api = {(r[key], r["season"]): r for r in served}
        frame = _exported(table, store, tmp_path / f"{table}.{suffix}")
        frame = frame[frame["year"] == YEAR]
        if table == "load":
            frame = frame[frame["level"] == "plot"]
        low, central, high = (frame[column.format(b)].astype(float) for b in BANDS)
        banded = np.isfinite(low) & np.isfinite(central) & np.isfinite(high) & (low < high)
        assert banded.sum() > 10, table
        assert (low[banded] <= central[banded]).all() and (central[banded] <= high[banded]).all()
        for rec in frame[banded].to_dict("records"):
            row = api[(rec[key], rec["season"])]
            for band in BANDS:
                name = column.format(band)
                assert rec[name] == pytest.approx(row[name], abs=rounding), (table, rec[key])


def _exported_as(table: str, store: str, path: Path, lang: str | None) -> pd.DataFrame:
    """``pasture export TABLE`` (with ``--lang``) to ``path``, read back."""
    extra = ["--lang", lang] if lang else []
    result = CliRunner().invoke(
        pasture_cli.main, ["export", table, "--store", store, "-o", str(path), *extra]
    )
    assert result.exit_code == 0, result.output
    if path.suffix == ".csv":
        return pd.read_csv(path, encoding="utf-8-sig")
    return pd.read_excel(path)


@pytest.mark.parametrize("lang", [None, "ru"])
@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_no_export_carries_the_largest_households_shares(
    science_client: tuple[TestClient, str], tmp_path: Path, suffix: str, lang: str | None
) -> None:
    """The load's ``top_shares`` (personal: the largest households' shares of a row's
    livestock) is stored for the disclosure rules and leaves the store in no export."""
    from pasture.model import LOAD

    client, _ = science_client
    store = str(client.app.state.settings.store)  # type: ignore[attr-defined]
    with pasture.open_store(store) as s:  # stored, and not empty: there is something to leak
        stored = s.read_rows("load", where={"year": YEAR})
    assert stored["top_shares"].map(len).gt(0).any()
    frame = _exported_as("load", store, tmp_path / f"load.{suffix}", lang)
    assert "top_shares" not in frame.columns
    assert len(frame.columns) == len(LOAD.columns) - 1 and len(frame) == len(stored)
    if lang is None:  # the contributors' count is not personal: it stays
        assert frame["contributors"].tolist() == stored["contributors"].tolist()


def test_no_api_answer_carries_the_largest_households_shares(
    science_client: tuple[TestClient, str],
) -> None:
    """Neither the load's nor a plan's herds' stored ``top_shares`` is in any answer: the
    load rows, the plan and its herds, its assignments in each format, the rotation map."""
    from pasture.science.herds import plan_herds

    client, plan_id = science_client
    store = str(client.app.state.settings.store)  # type: ignore[attr-defined]
    with pasture.open_store(store) as s:
        stored = s.read_rows("plan_herds", where={"plan_id": plan_id})
        herds = plan_herds(s, plan_id, translator("en"))
        box = ",".join(f"{v:.4f}" for v in s.read("plots").total_bounds)
    assert stored["top_shares"].map(len).gt(0).any()  # there is something to leak
    assert "top_shares" not in herds and herds["contributors"].notna().all()
    routes = [
        f"/science/load?year={YEAR}",
        f"/plans/{plan_id}",
        f"/plans/{plan_id}/assignments",
        f"/plans/{plan_id}/assignments?f=csv",
        f"/layers/plots?plan={plan_id}&lang=en&bbox={box}&zoom=8",
    ]
    for role in ("akimat", "analyst"):
        headers = _token(client, role)
        for route in routes:
            r = client.get(route, headers=headers)
            assert r.status_code == 200, (route, r.text[:300])
            assert "top_shares" not in r.text, (role, route)
    book = client.get(
        f"/plans/{plan_id}/assignments?f=xlsx", headers=_token(client, "akimat")
    ).content
    assert "top_shares" not in pd.read_excel(io.BytesIO(book)).columns


def test_the_plot_popup_shows_forage_and_ratio_as_central_low_high(
    science_client: tuple[TestClient, str],
) -> None:
    """The overview's popup (shaded by load, spring) gives the API's forage and stocking
    ratio of the plot as ``central (low–high)``."""
    client, _ = science_client
    headers = _token(client, "akimat")
    capacity = client.get(f"/science/capacity?year={YEAR}", headers=headers).json()["capacity"]
    load = client.get(f"/science/load?year={YEAR}&level=plot", headers=headers).json()["load"]
    loaded = {r["group_id"]: r for r in load if r["season"] == "spring" and r["demand_kg"]}
    cap = next(
        r
        for r in capacity
        if r["season"] == "spring" and r["plot_id"] in loaded and r["source"] == "ndvi"
    )
    ratio = loaded[cap["plot_id"]]
    t = translator("en")
    popup = client.get(
        f"/layers/plots/{cap['plot_id']}",
        params={"lang": "en", "shade": "load", "season": "spring", "year": YEAR},
        headers=headers,
    )
    assert popup.status_code == 200, popup.text
    values = popup.json()["p"]

    def tonnes(v: float) -> str:
        return t.number(v / 1000, digits=1)

    forage = (
        f"{t.season('spring')}: {tonnes(cap['forage_central_kg'])} "
        f"({tonnes(cap['forage_low_kg'])}–{tonnes(cap['forage_high_kg'])}) {t('t DM')}"
    )
    stocking = (
        f"{t.season('spring')}: {t.percent(ratio['stocking_ratio_central'])} "
        f"({t.percent(ratio['stocking_ratio_low'])}–{t.percent(ratio['stocking_ratio_high'])})"
    )
    assert forage in values
    assert any(v and v.startswith(stocking) for v in values), values


def test_the_plans_deficit_at_the_low_and_high_forage(
    science_client: tuple[TestClient, str],
) -> None:
    """The plan's summary gives its deficit at the low and high forage (low ≥ plan ≥ high),
    labelled on its page in every language as an estimate on the plan's own weeks."""
    client, plan_id = science_client
    summary = client.get(f"/plans/{plan_id}", headers=_token(client, "akimat")).json()["summary"]
    low, high = summary["deficit_low_kg"], summary["deficit_high_kg"]
    assert low >= summary["deficit_kg"] - 1e-6 and summary["deficit_kg"] >= high - 1e-6
    assert high >= 0
    msgid = "Deficit at the prediction interval's low end, kg (this plan's weeks, not re-planned)"
    for lang in ("kk", "ru", "en"):
        t = translator(lang)
        label = t(msgid)
        assert label != msgid or lang == "en"  # translated
        sections = summary_sections(t, summary, {}, okrugs={}, land_users={})
        rows = [row for s in sections for row in s.rows]
        assert [label, t.number(summary["deficit_low_kg"])] in rows
