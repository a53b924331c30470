"""Livestock units and dry-matter intake per species.

The species table is data (``data/species.csv``), with the source of each
number in its ``source`` column. Defaults come from docs/domain.md, "Livestock units
and intake" (2024):

========  ===========  ==============================  =============================
species   sheep units  intake kg DM/day (default)      range / season variants
========  ===========  ==============================  =============================
sheep     1 (verified) 1.4 (0.028 x 50 kg)             1.1-1.9 (Mongolia)
goats     1 (verified) 1.1                             1.0-1.2
cattle    5 (verified) 9                               8-10 (US animal unit 11.8)
horses    6 (verified) 12                              10-12; Kazakh source 14 summer,
                                                       12 winter
camels    7 ASSUMPTION 9 ASSUMPTION                    8-10
========  ===========  ==============================  =============================

Camel values have no citable source: they are labelled ``ASSUMPTION`` in the
table and should be overridden per district (`SpeciesTable.with_overrides`).

US animal unit (docs/domain.md, 2024): 1 AU = a 454 kg cow eating 11.8 kg DM/day;
1 AUM = 355 kg DM. With a 30-day month 11.8 x 30 = 354.0 kg; the US figure of
780 lb (26 lb/day x 30 days) is 353.8 kg. The cited 355 is the same quantity
rounded up; `AUM_KG_DM` is computed as ``AU_INTAKE_KG_DM_DAY * AUM_DAYS`` =
354.0 kg, within 1 kg (0.3 %) of 355.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from importlib import resources
from os import PathLike
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from grazing_models.vocabulary import SEASONS, SPECIES

__all__ = [
    "AUM_DAYS",
    "AUM_KG_DM",
    "AU_BODY_MASS_KG",
    "AU_INTAKE_KG_DM_DAY",
    "HeadCounts",
    "Species",
    "SpeciesTable",
    "animal_unit_months",
    "animal_units",
    "daily_demand_kg",
    "default_species_table",
    "head_counts",
    "sheep_units",
]

#: Body mass of one US animal unit, kg (docs/domain.md, Livestock units and intake, 2024).
AU_BODY_MASS_KG: float = 454.0
#: Dry-matter intake of one US animal unit, kg/day (docs/domain.md, 2024).
AU_INTAKE_KG_DM_DAY: float = 11.8
#: Days in one animal unit month (US convention, 30 days).
AUM_DAYS: float = 30.0
#: Forage of one animal unit month, kg DM: 11.8 x 30 = 354.0, cited as 355 (docs/domain.md, 2024).
AUM_KG_DM: float = AU_INTAKE_KG_DM_DAY * AUM_DAYS

#: Head counts: a frame or Series/mapping with one column/key per species in `SPECIES`.
HeadCounts: TypeAlias = pd.DataFrame | pd.Series | Mapping[str, float]

_NUMERIC = (
    "sheep_units",
    "intake_kg_dm_day",
    "intake_winter",
    "intake_summer",
    "intake_low",
    "intake_high",
)
_COLUMNS = ("species", *_NUMERIC, "source")


@dataclass(frozen=True)
class Species:
    """One species: sheep-unit coefficient and dry-matter intake (kg DM/day).

    ``intake_kg_dm_day`` applies in spring, autumn and when no season is given;
    ``intake_winter`` and ``intake_summer`` in those seasons.
    """

    species: str
    sheep_units: float
    intake_kg_dm_day: float
    intake_winter: float
    intake_summer: float
    intake_low: float
    intake_high: float
    source: str = ""

    def __post_init__(self) -> None:
        for name in _NUMERIC:
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"{self.species}: {name} must be a positive number, got {value!r}")
        for name in ("intake_kg_dm_day", "intake_winter", "intake_summer"):
            value = getattr(self, name)
            if not self.intake_low <= value <= self.intake_high:
                raise ValueError(
                    f"{self.species}: {name}={value} lies outside the intake range "
                    f"[{self.intake_low}, {self.intake_high}]; widen intake_low/intake_high"
                )

    @property
    def is_assumption(self) -> bool:
        """True when the source marks these numbers as an assumption."""
        return "ASSUMPTION" in self.source.upper()

    def intake(self, season: str | None = None) -> float:
        """Dry-matter intake in kg/day for a season (None: the annual default)."""
        if season is None or season in ("spring", "autumn"):
            return self.intake_kg_dm_day
        if season == "winter":
            return self.intake_winter
        if season == "summer":
            return self.intake_summer
        raise ValueError(f"unknown season {season!r}; use one of {', '.join(SEASONS)} or None")


@dataclass(frozen=True)
class SpeciesTable:
    """The species of a district, in `grazing_models.vocabulary.SPECIES` order.

    Build it with `default_species_table`, `SpeciesTable.from_csv` or
    `SpeciesTable.with_overrides`; the object is immutable.
    """

    species: tuple[Species, ...]

    def __post_init__(self) -> None:
        names = [s.species for s in self.species]
        missing = [s for s in SPECIES if s not in names]
        extra = [s for s in names if s not in SPECIES]
        if missing or extra or len(names) != len(set(names)):
            raise ValueError(
                f"a species table needs exactly one row for each of {', '.join(SPECIES)}; "
                f"missing {missing}, unknown {extra}, given {names}"
            )
        order = {name: i for i, name in enumerate(SPECIES)}
        object.__setattr__(
            self, "species", tuple(sorted(self.species, key=lambda s: order[s.species]))
        )

    @classmethod
    def from_csv(cls, path: str | PathLike[str] | io.TextIOBase) -> SpeciesTable:
        """Read a table with columns ``species, sheep_units, intake_*, source``."""
        if isinstance(path, io.TextIOBase):
            rows = list(csv.DictReader(path))
        else:
            with open(path, newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
        return cls._from_rows(rows, origin=str(getattr(path, "name", path)))

    @classmethod
    def _from_rows(cls, rows: list[dict[str, str]], *, origin: str) -> SpeciesTable:
        if not rows:
            raise ValueError(f"{origin}: the species table is empty")
        missing = [c for c in _COLUMNS if c not in rows[0]]
        if missing:
            raise ValueError(f"{origin}: missing column(s) {missing}; expected {list(_COLUMNS)}")
        species = []
        for row in rows:
            try:
                values = {name: float(row[name]) for name in _NUMERIC}
            except ValueError as exc:
                raise ValueError(f"{origin}: species {row['species']!r}: {exc}") from None
            species.append(Species(species=row["species"].strip(), source=row["source"], **values))
        return cls(tuple(species))

    def __getitem__(self, name: str) -> Species:
        for s in self.species:
            if s.species == name:
                return s
        raise KeyError(f"unknown species {name!r}; known: {', '.join(SPECIES)}")

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> SpeciesTable:
        """Return a copy with some fields replaced, e.g. ``{"camels": {"sheep_units": 6}}``.

        The ``source`` of a changed species records the override unless one is given.
        """
        allowed = {f.name for f in fields(Species)} - {"species"}
        out = []
        for s in self.species:
            changes = dict(overrides.get(s.species, {}))
            unknown = set(changes) - allowed
            if unknown:
                raise ValueError(f"cannot override {sorted(unknown)}; fields are {sorted(allowed)}")
            if changes and "source" not in changes:
                listed = ", ".join(f"{k}={v}" for k, v in changes.items())
                changes["source"] = f"override: {listed}; was: {s.source}"
            out.append(replace(s, **changes))
        unknown_species = set(overrides) - set(SPECIES)
        if unknown_species:
            raise ValueError(
                f"unknown species {sorted(unknown_species)}; known: {', '.join(SPECIES)}"
            )
        return SpeciesTable(tuple(out))

    @property
    def sheep_units(self) -> pd.Series:
        """Sheep-unit coefficient per species (Series indexed by species)."""
        return pd.Series({s.species: s.sheep_units for s in self.species}, dtype=float)

    def intake(self, season: str | None = None) -> pd.Series:
        """Dry-matter intake in kg/day per species for a season (None: annual default)."""
        return pd.Series({s.species: s.intake(season) for s in self.species}, dtype=float)

    def to_frame(self) -> pd.DataFrame:
        """The table as a frame with the CSV's columns."""
        return pd.DataFrame(
            [{c: getattr(s, c) for c in _COLUMNS} for s in self.species], columns=list(_COLUMNS)
        )


def default_species_table() -> SpeciesTable:
    """The packaged species table (``grazing_models/data/species.csv``, docs/domain.md 2024)."""
    text = resources.files("grazing_models").joinpath("data/species.csv").read_text("utf-8")
    return SpeciesTable._from_rows(list(csv.DictReader(io.StringIO(text))), origin="species.csv")


def head_counts(counts: HeadCounts) -> pd.DataFrame:
    """Head counts as a float frame with exactly the `SPECIES` columns (missing = 0).

    A Series or mapping becomes a one-row frame. Columns other than species are
    ignored in frames and Series; a mapping with an unknown key is refused.
    Negative counts are refused.
    """
    if isinstance(counts, pd.DataFrame):
        frame = counts
    elif isinstance(counts, pd.Series):
        frame = counts.to_frame().T
    else:
        frame = pd.DataFrame([dict(counts)])
    # a frame or a Series (a row of one) may carry other columns; a plain mapping is
    # typed by hand, so an unknown key there is a typo ("goat" for "goats")
    unknown = (
        []
        if isinstance(counts, pd.DataFrame | pd.Series)
        else [c for c in frame if c not in SPECIES]
    )
    if unknown:
        raise ValueError(f"unknown species {unknown}; known: {', '.join(SPECIES)}")
    out = pd.DataFrame(
        {s: pd.to_numeric(frame[s], errors="raise") if s in frame else 0.0 for s in SPECIES},
        index=frame.index,
    ).astype(float)
    out = out.fillna(0.0)
    if (out.to_numpy() < 0).any():
        raise ValueError("head counts must not be negative")
    return out


def _weighted(counts: HeadCounts, weights: pd.Series) -> pd.Series | float:
    frame = head_counts(counts)
    result = pd.Series(
        frame.to_numpy() @ weights.reindex(list(SPECIES)).to_numpy(), index=frame.index
    )
    if isinstance(counts, pd.DataFrame):
        return result
    return float(result.iloc[0])


def sheep_units(counts: HeadCounts, *, table: SpeciesTable | None = None) -> pd.Series | float:
    """Convert head counts to Kazakh sheep units.

    Parameters
    ----------
    counts
        Frame with species columns (census, herds), or one Series/mapping of head counts.
        Missing species count as 0.
    table
        Species table; default `default_species_table` (sheep 1, goat 1, cattle 5,
        horse 6 verified; camel 7 assumption; docs/domain.md 2024).

    Returns
    -------
    pandas.Series or float
        Sheep units per row of a frame, a float for a single Series/mapping.
    """
    table = table or default_species_table()
    return _weighted(counts, table.sheep_units)


def animal_units(
    counts: HeadCounts,
    *,
    table: SpeciesTable | None = None,
    season: str | None = None,
    au_intake_kg_dm_day: float = AU_INTAKE_KG_DM_DAY,
) -> pd.Series | float:
    """Convert head counts to US animal units by forage demand.

    One animal unit eats ``au_intake_kg_dm_day`` (11.8 kg DM/day, a 454 kg cow;
    docs/domain.md 2024), so a head of species *s* counts ``intake_s / 11.8`` AU.

    Parameters
    ----------
    counts
        Frame with species columns, or one Series/mapping of head counts.
    table
        Species table; default `default_species_table`.
    season
        Season whose intake to use (None: annual default).
    au_intake_kg_dm_day
        Intake of one animal unit, kg DM/day.
    """
    table = table or default_species_table()
    return _weighted(counts, table.intake(season) / au_intake_kg_dm_day)


def animal_unit_months(forage_kg_dm: Any, *, aum_kg_dm: float = AUM_KG_DM) -> Any:
    """Convert kg of dry matter to animal unit months (1 AUM = `AUM_KG_DM` kg DM)."""
    return forage_kg_dm / aum_kg_dm


def daily_demand_kg(
    counts: HeadCounts, *, table: SpeciesTable | None = None, season: str | None = None
) -> pd.Series | float:
    """Dry-matter demand in kg/day of herds or households: Σ heads × intake.

    Parameters
    ----------
    counts
        Frame with species columns (census, herds), or one Series/mapping.
    table
        Species table; default `default_species_table` (docs/domain.md 2024).
    season
        ``"winter"``/``"summer"`` use the seasonal intake (horses 12/14 kg DM/day,
        Kazakh source in docs/domain.md); spring, autumn and None the annual default.

    Returns
    -------
    pandas.Series or float
        kg DM/day per row, or a float for a single Series/mapping.
    """
    table = table or default_species_table()
    return _weighted(counts, table.intake(season))
