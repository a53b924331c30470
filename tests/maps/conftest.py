"""Fixtures of the map tests: the demo layers read once, and result tables made up for them."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import pasture


@pytest.fixture(scope="session")
def demo_layers(demo_gpkg: Path) -> dict[str, gpd.GeoDataFrame]:
    """The demo store's map layers (read-only: copy before changing)."""
    with pasture.open_store(demo_gpkg) as s:
        return {n: s.read(n) for n in ("plots", "okrugs", "unions", "water_points", "routes")}


@pytest.fixture(scope="session")
def results(demo_layers: dict[str, gpd.GeoDataFrame]) -> dict[str, pd.DataFrame]:
    """Capacity, load and trend rows in the shape of the result tables (made up, seeded)."""
    ids = demo_layers["plots"]["id"].to_numpy()
    rng = np.random.default_rng(7)
    ratio = rng.uniform(0.0, 2.0, len(ids))
    load = pd.DataFrame(
        {
            "level": "plot",
            "group_id": ids,
            "year": 2025,
            "season": "summer",
            "stocking_ratio_central": ratio,
            "status": np.select(
                [ratio > 1, ratio < 0.5], ["overloaded", "underused"], "within capacity"
            ),
        }
    )
    capacity = pd.DataFrame(
        {
            "plot_id": ids,
            "year": 2025,
            "season": "summer",
            "capacity_su_central": rng.uniform(10, 500, len(ids)),
        }
    )
    # the forage basis's band around each plot's forage (pasture.maps shows central (low–high))
    capacity["forage_central_kg"] = capacity["capacity_su_central"] * 1.4 * 92
    for band, factor in (("low", 0.8), ("high", 1.2)):
        capacity[f"forage_{band}_kg"] = capacity["forage_central_kg"] * factor
        capacity[f"capacity_su_{band}"] = capacity["capacity_su_central"] * factor
    trends = pd.DataFrame(
        {
            "plot_id": ids,
            "status": rng.choice(["degrading", "stable", "improving"], len(ids), p=[0.1, 0.8, 0.1]),
            "slope": rng.normal(0, 0.003, len(ids)),
        }
    )
    return {"load": load, "capacity": capacity, "trends": trends}


@pytest.fixture(scope="session")
def plan(demo_layers: dict[str, gpd.GeoDataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small summer plan for the Asy union: 3 herds over 6 weeks (assignments, periods)."""
    plots = demo_layers["plots"]
    own = plots[(plots["union_id"] == "upu-asy") & plots["seasons"].str.contains("summer")]
    plot_ids = own["id"].tolist()[:6]
    starts = pd.date_range("2025-06-02", periods=6, freq="7D")
    periods = pd.DataFrame(
        {
            "period": range(1, 7),
            "start": starts,
            "end": starts + pd.Timedelta(days=6),
            "season": "summer",
        }
    )
    rows = []
    for h in range(3):
        for w in range(6):
            rows.append(
                {
                    "plan_id": "plan-1",
                    "herd_id": f"upu-asy-herd-{h + 1:02d}",
                    "union_id": "upu-asy",
                    "period": w + 1,
                    "start": starts[w],
                    "end": starts[w] + pd.Timedelta(days=6),
                    "plot_id": plot_ids[(h * 2 + w) % len(plot_ids)] if w < 5 or h < 2 else None,
                }
            )
    return pd.DataFrame(rows), periods
