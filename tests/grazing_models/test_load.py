"""Load against capacity and against load norms (docs/domain.md; Law 65-VIII, 2024)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from grazing_models.load import (
    STATUSES,
    UNDERUSED_SHARE,
    census_heads,
    herd_heads,
    latest_census,
    stocking_load,
    stocking_status,
    union_okrug,
)


def test_status_thresholds():
    assert UNDERUSED_SHARE == 0.5
    # the law's word is for the norm status only (grazing_models.norms.norm_status)
    assert "unused" not in STATUSES
    ratios = np.array([1.01, 1.0, 0.5, 0.49, 0.0, np.nan, np.inf])
    assert stocking_status(ratios).tolist() == [
        "overloaded",
        "within capacity",
        "within capacity",
        "underused",
        "underused",
        "unknown",
        "overloaded",
    ]
    assert stocking_status(0.3) == "underused"
    assert stocking_status(0.3, underused_share=0.2) == "within capacity"
    s = stocking_status(pd.Series([2.0], index=["p9"]))
    assert s.loc["p9"] == "overloaded"
    with pytest.raises(ValueError, match="underused_share"):
        stocking_status(0.3, underused_share=2)


CENSUS = pd.DataFrame(
    {
        "household_id": ["h1", "h1", "h2", "h3"],
        "union_id": ["u1", "u1", "u1", "u2"],
        "date": ["2023-01-10", "2024-01-10", "2023-06-01", "2024-03-01"],
        "sheep": [500, 100, 40, 10],
        "goats": [0, 20, 0, 0],
        "cattle": [0, 2, 0, 1],
        "horses": [0, 1, 3, 0],
        "camels": [0, 0, 0, 0],
    }
)


def test_latest_census_per_household():
    latest = latest_census(CENSUS)
    assert sorted(latest["household_id"]) == ["h1", "h2", "h3"]
    assert latest.set_index("household_id").loc["h1", "sheep"] == 100  # 2024, not 2023
    heads = census_heads(CENSUS)
    assert heads.loc["u1"].to_dict() == {
        "sheep": 140.0,
        "goats": 20.0,
        "cattle": 2.0,
        "horses": 4.0,
        "camels": 0.0,
    }


def test_stocking_load_against_union_capacity():
    capacity = pd.DataFrame(
        {
            "union_id": ["u1", "u1", "u2"],
            "season": ["summer", "winter", "summer"],
            "days": [122, 161, 122],
            "forage_low_kg": [20_000.0, 0.0, 100_000.0],
            "forage_central_kg": [40_000.0, 0.0, 200_000.0],
            "forage_high_kg": [60_000.0, 0.0, 300_000.0],
        }
    )
    out = stocking_load(capacity, census_heads(CENSUS))
    summer = out.iloc[0]
    # summer intake: 140·1.4 + 20·1.1 + 2·9 + 4·14 = 196 + 22 + 18 + 56 = 292 kg DM/day
    assert summer["demand_kg"] == pytest.approx(292 * 122)  # 35,624 kg
    # intake against the eaten half of the removal allowance (harvest efficiency 0.5)
    assert summer["stocking_ratio_central"] == pytest.approx(35_624 / 20_000)
    assert summer["stocking_ratio_low"] == pytest.approx(35_624 / 30_000)
    assert summer["stocking_ratio_high"] == pytest.approx(35_624 / 10_000)
    assert summer["status"] == "overloaded"
    # capacity rows computed with another efficiency carry it, and the load uses it
    whole = stocking_load(capacity.assign(harvest_efficiency=1.0), census_heads(CENSUS))
    assert whole.iloc[0]["stocking_ratio_central"] == pytest.approx(35_624 / 40_000)
    assert whole.iloc[0]["status"] == "within capacity"
    # winter: horses eat 12: 196 + 22 + 18 + 48 = 284 kg/day, no forage at all
    assert out.iloc[1]["demand_kg"] == pytest.approx(284 * 161)
    assert out.iloc[1]["status"] == "overloaded"
    # u2: 10 sheep + 1 cow = 23 kg/day × 122 = 2,806 kg of 200,000
    assert out.iloc[2]["status"] == "underused"


def test_herds_are_placed_on_the_plot_that_contains_them():
    plots = gpd.GeoDataFrame(
        {
            "id": ["p1", "p2"],
            "union_id": ["u1", "u1"],
            "okrug_id": ["o1", "o2"],
            "area_ha": [5.0, 1.0],
        },
        geometry=[box(0, 0, 1, 1), box(2, 0, 3, 1)],
        crs="EPSG:4326",
    )
    herds = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"], "union_id": ["u1"] * 3, "sheep": [100, 50, 7], "horses": [0, 2, 0]},
        geometry=[Point(0.5, 0.5), Point(0.2, 0.7), Point(9, 9)],
        crs="EPSG:4326",
    )
    by_plot = herd_heads(herds, by="plot_id", plots=plots)
    assert by_plot.index.tolist() == ["p1"]  # herd c stands on no plot
    assert by_plot.loc["p1", "sheep"] == 150 and by_plot.loc["p1", "horses"] == 2
    assert herd_heads(herds).loc["u1", "sheep"] == 157
    assert union_okrug(plots).to_dict() == {"u1": "o1"}  # most of its area
