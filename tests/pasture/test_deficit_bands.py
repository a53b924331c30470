"""The plan's deficit at the low and high forage, on its own weeks (`deficit_bands`)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from grazing_models.rotation import Period
from pasture.planning.results import deficit_bands

PERIODS = tuple(
    Period(start=date(2024, 4, 1) + timedelta(days=7 * k), season=s)
    for k, s in enumerate(["spring", "spring", "summer"])
)


def _room(rows: dict[tuple[str, str], tuple[float, float, float]]) -> pd.DataFrame:
    index = pd.MultiIndex.from_tuples(list(rows), names=["plot_id", "season"])
    values = list(rows.values())
    return pd.DataFrame(
        {
            "room_low_kg": [v[0] for v in values],
            "room_central_kg": [v[1] for v in values],
            "room_high_kg": [v[2] for v in values],
        },
        index=index,
    )


def _assignments(rows: list[tuple[str | None, int, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["plot_id", "period", "demand_kg", "eaten_kg"])


def test_low_forage_takes_what_the_plots_cannot_hold_and_high_feeds_the_unmet() -> None:
    # P1's spring: two herd-weeks eat 900 of 1000 demanded; its room 600 / 900 / 1500
    # P2's summer: fed in full (500); its room 800 / 800 / 800 (from yields: no band)
    # one herd-week unplaced: 300 unmet in every band
    a = _assignments(
        [
            ("P1", 0, 500.0, 450.0),
            ("P1", 1, 500.0, 450.0),
            ("P2", 2, 500.0, 500.0),
            (None, 2, 300.0, 0.0),
        ]
    )
    room = _room({("P1", "spring"): (600.0, 900.0, 1500.0), ("P2", "summer"): (800.0,) * 3})
    deficit = 100.0 + 300.0
    bands = deficit_bands(a, PERIODS, room, band="central", deficit_kg=deficit)
    assert bands["central"] == pytest.approx(deficit)
    assert bands["low"] == pytest.approx(deficit + (900.0 - 600.0))
    assert bands["high"] == pytest.approx(deficit - 100.0)  # P1's unmet 100, within +600 room


def test_a_plan_of_the_low_band_is_its_own_low_figure() -> None:
    a = _assignments([("P1", 0, 500.0, 400.0), ("P1", 1, 500.0, 200.0)])
    room = _room({("P1", "spring"): (600.0, 900.0, 1500.0)})
    bands = deficit_bands(a, PERIODS, room, band="low", deficit_kg=400.0)
    assert bands["low"] == pytest.approx(400.0)
    # more room at the central and high forage: the 400 unmet are fed up to the extra room
    assert bands["central"] == pytest.approx(400.0 - 300.0)
    assert bands["high"] == pytest.approx(0.0)
    assert bands["low"] >= bands["central"] >= bands["high"]
