"""A plan's herds carry their union's latest census: a census edit reaches the next plan."""

from __future__ import annotations

import pandas as pd
import pytest

from pasture.model import SPECIES
from pasture.planning.census_herds import herds_at_census


def _herds() -> pd.DataFrame:
    rows = [
        ("h1", "u-a", {"sheep": 300, "goats": 100}),
        ("h2", "u-a", {"sheep": 100, "cattle": 40}),
        ("h3", "u-b", {"horses": 20}),
    ]
    return pd.DataFrame(
        [{"id": i, "union_id": u, **{s: c.get(s, 0) for s in SPECIES}} for i, u, c in rows]
    )


def _census() -> pd.DataFrame:
    rows = [  # hh1's later record replaces its first; hh3 is in no union
        ("hh1", "u-a", "2024-01-01", {"sheep": 999}),
        ("hh1", "u-a", "2025-01-01", {"sheep": 500, "goats": 100, "camels": 3}),
        ("hh2", "u-a", "2025-01-01", {"cattle": 20}),
        ("hh3", None, "2025-01-01", {"horses": 70}),
    ]
    return pd.DataFrame(
        [
            {"id": f"{h}/{d}", "household_id": h, "union_id": u, "date": d}
            | {s: c.get(s, 0) for s in SPECIES}
            for h, u, d, c in rows
        ]
    )


def test_each_unions_species_count_is_its_latest_census_shared_by_the_herds() -> None:
    herds, info = herds_at_census(_herds(), _census())
    a = herds.set_index("id")
    # 500 sheep shared 3:1 as the herds held them; goats and cattle to the census too
    assert a.loc["h1", "sheep"] == pytest.approx(375) and a.loc["h2", "sheep"] == 125
    assert a.loc["h1", "goats"] == 100 and a.loc["h2", "cattle"] == 20
    assert info["census_date"] == {"u-a": "2025-01-01"}
    # no herd of u-a keeps camels: said so, not dropped silently
    assert info["census_heads_without_herd"] == {"u-a": {"camels": 3}}
    # u-b has no census: its herd keeps its own count; households outside unions stay out
    assert a.loc["h3", "horses"] == 20 and info["herds_own_counts"] == ["u-b"]


def test_without_any_census_the_herds_are_unchanged() -> None:
    empty = _census().iloc[0:0]
    herds, info = herds_at_census(_herds(), empty)
    assert (herds[list(SPECIES)].to_numpy() == _herds()[list(SPECIES)].to_numpy()).all()
    assert info["herds_own_counts"] == ["u-a", "u-b"]
