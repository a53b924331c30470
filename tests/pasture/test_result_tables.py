"""Result tables (scenes, NDVI statistics, capacity, plans, ...): same behaviour in both stores."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from pasture.errors import InvalidInput
from pasture.model import TABLES
from pasture.store import Store


def _stats(plot_ids: list[str], day: str) -> pd.DataFrame:
    n = len(plot_ids)
    return pd.DataFrame(
        {
            "plot_id": plot_ids,
            "time": [day] * n,
            "mean": np.linspace(0.2, 0.6, n),
            "std": [0.01] * n,
            "count": [12.5] * n,
            "valid_fraction": [1.0] * (n - 1) + [0.0],
        }
    )


def test_replace_rows_replaces_only_its_slice(store: Store) -> None:
    store.replace_rows("ndvi_stats", _stats(["a", "b"], "2024-06-10"), where={"time": "2024-06-10"})
    store.replace_rows(
        "ndvi_stats", _stats(["a", "b", "c"], "2024-06-26"), where={"time": "2024-06-26"}
    )
    store.replace_rows("ndvi_stats", _stats(["a"], "2024-06-10"), where={"time": "2024-06-10"})
    rows = store.read_rows("ndvi_stats")
    assert list(zip(rows["plot_id"], rows["time"].dt.strftime("%m-%d"), strict=True)) == [
        ("a", "06-10"),
        ("a", "06-26"),
        ("b", "06-26"),
        ("c", "06-26"),
    ]
    june26 = store.read_rows("ndvi_stats", where={"time": "2024-06-26"})
    assert june26["mean"].tolist() == pytest.approx([0.2, 0.4, 0.6])
    assert store.info().tables["ndvi_stats"] == 4


def test_json_datetime_and_reserved_names_round_trip(store: Store) -> None:
    created = datetime(2026, 5, 1, 8, 30, 15, 123000, tzinfo=UTC)
    plan = pd.DataFrame(
        {
            "id": ["plan-1"],
            "season_year": [2026],
            "state": ["draft"],
            "params": [{"utilisation": 0.5, "min_rest_days": 30, "seasons": ["summer"]}],
            "created_at": [created],
            "created_by": ["akimat"],
        }
    )
    store.replace_rows("plans", plan, where={"id": "plan-1"})
    got = store.read_rows("plans")
    assert got["params"].iat[0] == {"utilisation": 0.5, "min_rest_days": 30, "seasons": ["summer"]}
    assert got["created_at"].iat[0] == pd.Timestamp(created)
    assert got["approved_at"].isna().all()
    deficits = pd.DataFrame(
        {
            "plan_id": ["plan-1"],
            "union_id": ["u"],
            "period": [3],
            "start": ["2026-06-15"],
            "deficit_kg": [1200.0],
        }
    )
    store.replace_rows("deficits", deficits, where={"plan_id": "plan-1"})
    assignments = pd.DataFrame(
        {
            "plan_id": ["plan-1"],
            "herd_id": ["h"],
            "union_id": ["u"],
            "period": [0],
            "start": ["2026-06-01"],
            "end": ["2026-06-07"],
            "plot_id": [None],
        }
    )
    store.replace_rows("assignments", assignments, where={"plan_id": "plan-1"})
    row = store.read_rows("assignments").iloc[0]
    assert row["end"] == pd.Timestamp("2026-06-07") and row["plot_id"] is None


def test_bad_rows_are_refused_and_nothing_changes(store: Store) -> None:
    store.replace_rows("ndvi_stats", _stats(["a"], "2024-06-10"))
    bad = _stats(["b"], "2024-06-26").assign(valid_fraction=[None])
    with pytest.raises(InvalidInput, match="valid_fraction"):
        store.replace_rows("ndvi_stats", bad)
    with pytest.raises(InvalidInput, match="unknown column"):
        store.replace_rows("ndvi_stats", _stats(["b"], "2024-06-26").assign(colour="green"))
    assert store.read_rows("ndvi_stats")["plot_id"].tolist() == ["a"]


def test_every_table_exists_and_starts_empty(store: Store) -> None:
    assert store.info().tables == dict.fromkeys(TABLES, 0)


def test_replace_many_writes_every_slice_or_none(store: Store) -> None:
    store.replace_rows("ndvi_stats", _stats(["a", "b"], "2024-06-10"), where={"time": "2024-06-10"})
    before = store.read_rows("ndvi_stats")
    bad = _stats(["c"], "2024-07-12").assign(mean=["not a number"])
    with pytest.raises(InvalidInput):
        store.replace_many(
            [
                ("ndvi_stats", _stats(["x"], "2024-06-10"), {"time": "2024-06-10"}),
                ("ndvi_stats", bad, {"time": "2024-07-12"}),
            ]
        )
    pd.testing.assert_frame_equal(store.read_rows("ndvi_stats"), before)
    counts = store.replace_many(
        [
            ("ndvi_stats", _stats(["x"], "2024-06-10"), {"time": "2024-06-10"}),
            ("ndvi_stats", _stats(["c", "d"], "2024-07-12"), {"time": "2024-07-12"}),
        ]
    )
    assert counts == [1, 2]
    rows = store.read_rows("ndvi_stats")
    assert sorted(rows["plot_id"]) == ["c", "d", "x"]
