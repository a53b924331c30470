"""Annexes 4-6 and 7-1: households' livestock near its settlement, distant pasture, water."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from grazing_models.livestock import default_species_table
from grazing_models.norms import DEMO_TYPE_ROWS, NormTable
from grazing_models.vocabulary import SPECIES
from pasture.management.allocation import SEARCH_RADIUS_M, allocate, size_class
from pasture.management.content import build_content
from pasture.management.water import WateringNorms, water_scheme
from pasture.store import Store
from tests.pasture import factories

X0, Y0 = factories.X0, factories.Y0
ROW = NormTable.annex().resolve(["semi_desert"], DEMO_TYPE_ROWS)[0]
SU = default_species_table().sheep_units.to_dict()


def _need(heads: dict[str, float]) -> float:
    assert ROW is not None
    return sum(heads[s] * ROW.ha_per_head(s) for s in SPECIES)


def _plots(areas: list[float], tenures: list[str]) -> gpd.GeoDataFrame:
    n = len(areas)
    return gpd.GeoDataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "okrug_id": "ok-a",
            "tenure": tenures,
            "settlement_id": ["s" if t == "public" else None for t in tenures],
            "seasons": "spring,summer",
            "area_ha": areas,
        },
        geometry=[box(X0 + 0.05 * i, Y0, X0 + 0.05 * i + 0.04, Y0 + 0.04) for i in range(n)],
        crs=4326,
    )


def _households(heads: list[dict[str, int]]) -> pd.DataFrame:
    return pd.DataFrame([{"id": f"h{i}", "settlement_id": "s", **h} for i, h in enumerate(heads)])


SETTLEMENT = gpd.GeoDataFrame(
    {"id": ["s"], "name_ru": ["Село"], "okrug_id": ["ok-a"]},
    geometry=[Point(X0 + 0.02, Y0 + 0.05)],
    crs=4326,
)


def test_near_first_then_distant_then_unplaced_never_above_the_norm() -> None:
    heads = [
        {"sheep": 400, "goats": 0, "cattle": 30, "horses": 5, "camels": 0},
        {"sheep": 10, "goats": 2, "cattle": 1, "horses": 0, "camels": 0},
    ]
    total = {s: float(sum(h[s] for h in heads)) for s in SPECIES}
    need = _need(total)
    near_area, distant_area = need * 0.3, need * 0.5
    plots = _plots([near_area, distant_area, need], ["public", "state", "union"])
    result = allocate(SETTLEMENT, _households(heads), plots, [ROW] * 3, SU)
    row = result.settlements.iloc[0]
    assert row["near_share"] == pytest.approx(0.3, abs=1e-4)
    assert row["distant_share"] == pytest.approx(0.5, abs=1e-4)
    assert row["unplaced_share"] == pytest.approx(0.2, abs=1e-4)
    used = result.plots.set_index("plot_id")
    assert (used["used_ha"] <= used["area_ha"] + 0.01).all()  # never above the norm
    assert "p2" not in used.index  # a union's plot is not redistributed
    # every household of the settlement gets the same shares, whatever its size
    assert result.households["near_share"].nunique() == 1
    assert set(result.fairness["size_class"]) == {
        size_class(h) for h in result.households["sheep_units"]
    }
    distant = result.placements[result.placements["kind"] == "distant"]
    assert distant["plot_id"].tolist() == ["p1"]


def test_enough_near_pasture_places_everything_near() -> None:
    heads = [{"sheep": 20, "goats": 0, "cattle": 2, "horses": 0, "camels": 0}]
    need = _need({s: float(heads[0][s]) for s in SPECIES})
    result = allocate(SETTLEMENT, _households(heads), _plots([need * 3], ["public"]), [ROW], SU)
    assert result.settlements.iloc[0][["near_share", "unplaced_share"]].tolist() == [1.0, 0.0]
    assert result.plots["used_ha"].iloc[0] == pytest.approx(need, abs=0.01)


def test_content_allocates_from_the_store(store: Store) -> None:
    factories.fill(store)
    store.set_meta("load_norm_rows", json.dumps(DEMO_TYPE_ROWS, ensure_ascii=False))
    content = build_content(store, "ok-a", 2026, 2030)
    five = content["sections"]["5"]
    table = five["tables"]["settlements"]
    rows = [dict(zip(table["columns"], r, strict=True)) for r in table["rows"]]
    assert [r["settlement"] for r in rows] == ["s-a"]
    assert five["names"]["s-a"] == {"kk": "А ауылы", "ru": "Село А", "en": "Village A"}
    census = store.read("census")
    hh1 = census[census["household_id"] == "hh1"].iloc[0]
    assert rows[0]["sheep"] == int(hh1["sheep"]) and rows[0]["households"] == 1
    p2 = store.get("plots", "p2").properties["area_ha"]
    expected = min(1.0, p2 / _need({s: float(hh1[s]) for s in SPECIES}))
    assert rows[0]["near_share"] == pytest.approx(expected, abs=1e-4)
    assert five["figures"]["households_without_settlement"] == 1  # hh2 has no settlement
    assert content["sections"]["7-1"]["plot_ids"] == ["p2"]


def test_water_demand_against_yield_and_reach() -> None:
    plots = _plots([100.0, 100.0], ["public", "state"])
    plots.loc[1, "geometry"] = box(X0 + 0.5, Y0, X0 + 0.54, Y0 + 0.04)  # ~40 km away
    water = gpd.GeoDataFrame(
        {"id": ["w"], "name": ["Well"], "kind": ["well"], "capacity_m3_day": [1.0]},
        geometry=[Point(X0 + 0.02, Y0 + 0.02)],
        crs=4326,
    )
    heads = {"sheep": 100, "goats": 0, "cattle": 10, "horses": 0, "camels": 0}
    norms = WateringNorms()
    scheme = water_scheme(plots, water, heads, norms=norms)
    summer = scheme.totals.set_index("season").loc["summer"]
    demand = (100 * norms.litres["summer"]["sheep"] + 10 * norms.litres["summer"]["cattle"]) / 1000
    assert summer["demand_m3_day"] == pytest.approx(round(demand, 2))
    assert summer["plots_unreached"] == 1
    point = scheme.points.set_index("season").loc["summer"]
    assert point["demand_m3_day"] == pytest.approx(round(demand / 2, 2))  # half the area
    assert point["status"] == ("short" if demand / 2 > 1.0 else "enough")
    assert scheme.unreached["plot_id"].tolist() == ["p1", "p1"]  # spring and summer


def test_distant_pasture_nearest_first_however_far() -> None:
    # state plots scattered up to ~150 km away, so small that the livestock fills many: the
    # allocation looks for them ring by ring from a spatial index (SEARCH_RADIUS_M, then
    # twice it...); the order must be every plot's distance sorted, ties by the plots'
    # order, and the distances the plots' own, whichever ring found them
    rng = np.random.default_rng(7)
    n = 120
    dx, dy = rng.uniform(-1.8, 1.8, n), rng.uniform(-1.2, 1.2, n)
    dx[:4], dy[:4] = 0.3, 0.0  # four plots at one distance: a tie
    plots = gpd.GeoDataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "okrug_id": "ok-a",
            "tenure": "state",
            "settlement_id": None,
            "seasons": "summer",
            "area_ha": 2.0,
        },
        geometry=[
            box(X0 + x, Y0 + y, X0 + x + 0.01, Y0 + y + 0.01) for x, y in zip(dx, dy, strict=True)
        ],
        crs=4326,
    )
    heads = [{"sheep": 3000, "goats": 0, "cattle": 0, "horses": 0, "camels": 0}]
    need = _need({s: float(heads[0][s]) for s in SPECIES})
    assert need > n * 2.0  # more than every plot holds: all are used, in order
    result = allocate(SETTLEMENT, _households(heads), plots, [ROW] * n, SU)
    crs = SETTLEMENT.estimate_utm_crs()
    home = SETTLEMENT.to_crs(crs).geometry.iloc[0]
    km = plots.to_crs(crs).distance(home).to_numpy() / 1000.0
    assert km.max() * 1000 > 4 * SEARCH_RADIUS_M  # several rings
    expected = [f"p{i}" for i in np.argsort(km, kind="stable")]
    placed = result.placements
    assert placed["kind"].eq("distant").all()
    assert placed["plot_id"].tolist() == expected
    assert placed["plot_id"].tolist()[:4] == ["p0", "p1", "p2", "p3"]  # the tie, in order
    assert placed["distance_km"].tolist() == [round(float(d), 2) for d in np.sort(km)]
    assert result.settlements.iloc[0]["unplaced_share"] > 0
