"""Livestock units and intake (docs/domain.md, Livestock units and intake)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from grazing_models.livestock import (
    AU_INTAKE_KG_DM_DAY,
    AUM_KG_DM,
    SpeciesTable,
    animal_unit_months,
    animal_units,
    daily_demand_kg,
    default_species_table,
    head_counts,
    sheep_units,
)
from pasture.model import SPECIES


def test_default_table_has_the_verified_sheep_units_and_labels_camels_as_assumption():
    table = default_species_table()
    assert table.sheep_units.to_dict() == {
        "sheep": 1.0,
        "goats": 1.0,
        "cattle": 5.0,
        "horses": 6.0,
        "camels": 7.0,
    }
    assert table["camels"].is_assumption
    assert not any(table[s].is_assumption for s in ("sheep", "goats", "cattle", "horses"))
    assert list(table.to_frame()["species"]) == list(SPECIES)


def test_intake_defaults_and_horse_season_variants():
    table = default_species_table()
    assert table.intake().to_dict() == {
        "sheep": 1.4,
        "goats": 1.1,
        "cattle": 9.0,
        "horses": 12.0,
        "camels": 9.0,
    }
    assert table["horses"].intake("summer") == 14.0
    assert table["horses"].intake("winter") == 12.0
    assert table["horses"].intake("spring") == 12.0
    assert table["sheep"].intake_low == 1.1 and table["sheep"].intake_high == 1.9
    with pytest.raises(ValueError, match="unknown season"):
        table["horses"].intake("monsoon")


def test_aum_is_355_kg_dm_within_the_documented_rounding():
    # 11.8 kg DM/day x 30 days = 354.0 kg; docs/domain.md cites 355 (780 lb = 353.8 kg)
    assert pytest.approx(354.0) == AUM_KG_DM
    assert abs(AUM_KG_DM - 355.0) <= 1.0
    assert animal_unit_months(AUM_KG_DM * 3) == pytest.approx(3.0)


def test_sheep_units_of_a_census_frame():
    census = pd.DataFrame(
        {
            "household_id": ["h1", "h2"],
            "sheep": [10, 0],
            "goats": [5, 0],
            "cattle": [2, 1],
            "horses": [1, 0],
            "camels": [1, 0],
        }
    )
    # h1: 10·1 + 5·1 + 2·5 + 1·6 + 1·7 = 38; h2: 1 cow = 5
    assert sheep_units(census).tolist() == [38.0, 5.0]
    assert sheep_units({"horses": 2}) == 12.0


def test_animal_units_follow_intake_over_11_8():
    assert animal_units({"cattle": 1}) == pytest.approx(9.0 / AU_INTAKE_KG_DM_DAY)
    assert animal_units({"horses": 1}, season="summer") == pytest.approx(14.0 / 11.8)


def test_daily_demand_is_vectorised_over_species_columns():
    herds = pd.DataFrame(
        {"id": ["a", "b"], "sheep": [100, 0], "horses": [0, 10]}, index=[7, 9]
    )  # missing species count as zero
    demand = daily_demand_kg(herds, season="summer")
    assert demand.index.tolist() == [7, 9]
    assert demand.tolist() == pytest.approx([140.0, 140.0])
    assert daily_demand_kg(herds, season="winter").tolist() == pytest.approx([140.0, 120.0])


def test_overrides_and_csv_round_trip(tmp_path):
    table = default_species_table().with_overrides({"camels": {"sheep_units": 6.0}})
    assert table["camels"].sheep_units == 6.0
    assert table["camels"].source.startswith("override: sheep_units=6.0")
    path = tmp_path / "species.csv"
    table.to_frame().to_csv(path, index=False)
    again = SpeciesTable.from_csv(path)
    assert again == table
    with pytest.raises(ValueError, match="cannot override"):
        table.with_overrides({"sheep": {"weight": 50}})
    with pytest.raises(ValueError, match="unknown species"):
        table.with_overrides({"yak": {"sheep_units": 3}})


def test_bad_tables_and_counts_are_refused():
    text = default_species_table().to_frame().iloc[:4].to_csv(index=False)
    with pytest.raises(ValueError, match="missing"):
        SpeciesTable.from_csv(io.StringIO(text))
    with pytest.raises(ValueError, match="outside the intake range"):
        default_species_table().with_overrides({"sheep": {"intake_kg_dm_day": 3.0}})
    with pytest.raises(ValueError, match="negative"):
        head_counts(pd.DataFrame({"sheep": [-1]}))
    with pytest.raises(ValueError, match="unknown species"):
        sheep_units({"goat": 3})


def test_sheep_units_are_linear_in_head_counts():
    rng = np.random.default_rng(1)
    counts = pd.DataFrame(rng.integers(0, 500, size=(50, 5)), columns=list(SPECIES))
    su = sheep_units(counts)
    assert np.allclose(sheep_units(counts * 3), 3 * su)
    assert np.allclose(su, counts.to_numpy() @ np.array([1, 1, 5, 6, 7]))
