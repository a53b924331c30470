"""Households in no union graze their settlement's public pasture (Land Code Art. 97 п.4)."""

from __future__ import annotations

import pandas as pd
import pytest

from pasture.model import SPECIES
from pasture.science.plan_livestock import village_heads


def _census(rows: list[tuple[str, str | None, str, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["household_id", "union_id", "date", "sheep"])
    for species in SPECIES:
        if species != "sheep":
            frame[species] = 0
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


HOUSEHOLDS = pd.DataFrame(
    {"id": ["h1", "h2", "h3", "h4"], "settlement_id": ["s1", "s1", "s2", "s1"]}
)
PLOTS = pd.DataFrame(
    {
        "id": ["pub-a", "pub-b", "pub-other", "union-plot"],
        "tenure": ["public", "public", "public", "union"],
        "settlement_id": ["s1", "s1", "s3", None],
    }
)
CAPACITY = pd.DataFrame(
    {
        "plot_id": ["pub-a", "pub-b", "pub-other", "union-plot", "pub-a"],
        "season": ["summer", "summer", "summer", "summer", "winter"],
        "area_ha": [30.0, 10.0, 50.0, 100.0, 30.0],
    }
)


def test_a_villages_livestock_is_spread_over_its_public_pasture_by_area() -> None:
    census = _census(
        [
            ("h1", None, "2024-01-01", 100),  # superseded by the later record
            ("h1", None, "2024-06-01", 60),
            ("h2", None, "2024-06-01", 20),
            ("h3", None, "2024-06-01", 500),  # s2 has no public pasture: not placed here
            ("h4", "upu-x", "2024-06-01", 999),  # a union member: the plan's, not the village's
        ]
    )
    heads = village_heads(census, HOUSEHOLDS, PLOTS, CAPACITY)
    assert heads.loc[("pub-a", "summer"), "sheep"] == pytest.approx(80 * 30 / 40)
    assert heads.loc[("pub-b", "summer"), "sheep"] == pytest.approx(80 * 10 / 40)
    assert heads.loc[("pub-a", "winter"), "sheep"] == pytest.approx(80)  # its only plot then
    assert "pub-other" not in heads.index.get_level_values("plot_id")
    assert "union-plot" not in heads.index.get_level_values("plot_id")


def test_without_settlements_nothing_is_placed() -> None:
    census = _census([("h1", None, "2024-06-01", 60)])
    old_plots = PLOTS.drop(columns=["tenure"])
    assert village_heads(census, HOUSEHOLDS, old_plots, CAPACITY).empty
