"""Small hand-made layers for tests: a district corner with two okrugs, a union and plots."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, box

from pasture.store import Store

# Around Esik, inside the demo district's region.
X0, Y0 = 77.40, 43.30


def okrugs() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["ok-a", "ok-b"],
            "name_kk": ["А округі", "Б округі"],
            "name_ru": ["Округ А", "Округ Б"],
            "name_en": ["Okrug A", "Okrug B"],
            "kato": ["194000001", None],
        },
        geometry=[box(X0, Y0, X0 + 0.2, Y0 + 0.2), box(X0 + 0.2, Y0, X0 + 0.4, Y0 + 0.2)],
        crs=4326,
    )


def settlements() -> gpd.GeoDataFrame:
    """A village in okrug A and a hamlet in okrug B (names made up for tests)."""
    return gpd.GeoDataFrame(
        {
            "id": ["s-a", "s-b"],
            "name_kk": ["А ауылы", "Б қыстағы"],
            "name_ru": ["Село А", "Зимовка Б"],
            "name_en": ["Village A", "Hamlet B"],
            "kato": ["194000011", None],
            "okrug_id": ["ok-a", "ok-b"],
            "kind": ["village", "hamlet"],
            "population": [1200, None],
            "households": [300, None],
        },
        geometry=[Point(X0 + 0.1, Y0 + 0.1), Point(X0 + 0.3, Y0 + 0.1)],
        crs=4326,
    )


def unions() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["u-a"], "name": ["Union A"], "okrug_id": ["ok-a"], "contact": ["+7 700 000 0000"]},
        geometry=[box(X0, Y0, X0 + 0.2, Y0 + 0.2)],
        crs=4326,
    )


def plots(n: int = 4) -> gpd.GeoDataFrame:
    """n plots in a row, 0.04° wide, touching but not overlapping; the first two belong to u-a.

    The third is the public pasture of village s-a (Land Code Art. 97 п.4).
    """
    geoms = [box(X0 + 0.04 * i, Y0, X0 + 0.04 * (i + 1), Y0 + 0.04) for i in range(n)]
    public = [i == 2 for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "name": [f"Plot {i}" for i in range(n)],
            "union_id": ["u-a" if i < 2 else None for i in range(n)],
            "okrug_id": ["ok-a"] * n,
            "seasons": ["winter,spring" if i % 2 == 0 else "summer" for i in range(n)],
            "pasture_type": ["semi_desert"] * n,
            "elevation_m": [600.0 + 10 * i for i in range(n)],
            "yield_spring_cha": [5.5] * n,
            "cadastral_number": [f"03-044-123-{100 + i}" for i in range(n)],
            "tenure": [
                "union" if i < 2 else ("public" if public[i] else "state") for i in range(n)
            ],
            "settlement_id": ["s-a" if p else None for p in public],
            "reserved_basis": ["test decision 1" if p else None for p in public],
            "reserved_until": ["2045-12-31" if p else None for p in public],
        },
        geometry=geoms,
        crs=4326,
    )


def herds() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["h1"],
            "name": ["Flock 1"],
            "union_id": ["u-a"],
            "sheep": [300],
            "goats": [20],
            "cattle": [0],
            "horses": [4],
            "camels": [0],
        },
        geometry=[Point(X0 + 0.01, Y0 + 0.01)],
        crs=4326,
    )


def census() -> tuple[pd.DataFrame, pd.DataFrame]:
    households = pd.DataFrame(
        {
            "id": ["hh1", "hh2"],
            "name": ["Household One", "Household Two"],
            "union_id": ["u-a", "u-a"],
        }
    )
    counts = pd.DataFrame(
        {
            "id": ["hh1/2025-01-01", "hh2/2025-01-01"],
            "household_id": ["hh1", "hh2"],
            "union_id": ["u-a", "u-a"],
            "date": ["2025-01-01", "2025-01-01"],
            "sheep": [40, 12],
            "goats": [5, 0],
            "cattle": [3, 1],
            "horses": [1, 0],
            "camels": [0, 0],
        }
    )
    return households, counts


def fill(store: Store, *, n_plots: int = 4) -> None:
    """A small complete store: okrugs, settlements, union, plots, herd, households and census."""
    households, counts = census()
    households["settlement_id"] = ["s-a", None]  # the second lives in no known settlement
    store.write_many(
        [
            ("okrugs", okrugs(), "append"),
            ("settlements", settlements(), "append"),
            ("unions", unions(), "append"),
            ("plots", plots(n_plots), "append"),
            ("herds", herds(), "append"),
            ("households", households, "append"),
            ("census", counts, "append"),
        ],
        user="tester",
    )
