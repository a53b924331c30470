"""Animal registers and household books summed into the census.

A register has one row per animal, or per household and species with a head
count: columns ``household_id, date, species`` and optionally ``union_id``,
``household_name``, ``settlement_id`` and ``head`` (1 when absent: a row is one
animal). Species may be named in English, Kazakh or Russian
(:data:`grazing_models.vocabulary.SPECIES_NAMES`). Rows of one household and date
are summed into one census row; every bad row is named, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from grazing_models.vocabulary import SPECIES, SPECIES_NAMES, parse_species

from ..errors import InvalidInput, NotFound, Problem
from ..model import layer as layer_named
from ..store import Store
from .layers import ImportReport, census_frames, write_census
from .mapping import apply_mapping, read_table_file

__all__ = ["import_animal_register", "read_animal_register"]

_REQUIRED = ("household_id", "date", "species")
_KEPT = ("union_id", "household_name", "settlement_id")


def read_animal_register(
    path: str | Path, mapping: dict[str, str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a register (CSV or XLSX) and sum it into (households, census) frames."""
    path = Path(path)
    if not path.exists():
        raise NotFound(f"{path}: no such file")
    raw = read_table_file(path)
    if mapping:
        extra = (*_REQUIRED, *_KEPT, "head")
        raw = apply_mapping(raw, mapping, layer_named("census"), str(path), extra=extra)
    missing = [c for c in _REQUIRED if c not in raw.columns]
    if missing:
        raise InvalidInput(
            str(path),
            [
                Problem(f"required column {c!r} is missing; map it with --map {c}=...", field=c)
                for c in missing
            ],
        )
    species = [parse_species(v) for v in raw["species"]]
    head = (
        pd.to_numeric(raw["head"], errors="coerce")
        if "head" in raw.columns
        else pd.Series(np.ones(len(raw)), index=raw.index)
    )
    problems = _row_problems(raw, species, head)
    if problems:
        raise InvalidInput(str(path), problems)
    rows = raw.assign(species=species, head=head.astype(int))
    keys = ["household_id", "date", *[c for c in _KEPT if c in rows.columns]]
    rows[keys] = rows[keys].fillna("").astype(str)
    summed = rows.pivot_table(
        index=keys, columns="species", values="head", aggfunc="sum", fill_value=0
    )
    table = summed.reindex(columns=list(SPECIES), fill_value=0).reset_index()
    table = table.astype(str)
    if "union_id" not in table.columns:
        table["union_id"] = ""
    table["source"] = path.name
    return census_frames(table, path)


def _row_problems(raw: pd.DataFrame, species: list[str | None], head: pd.Series) -> list[Problem]:
    names = ", ".join(n for names in SPECIES_NAMES.values() for n in names)
    problems = []
    for n, (word, found, count) in enumerate(zip(raw["species"], species, head, strict=True)):
        where = f"row {n + 2}"  # as a spreadsheet numbers it: the header is row 1
        if found is None:
            problems.append(
                Problem(f"{word!r} is not a species we count; use one of {names}", where, "species")
            )
        if not (count >= 0 and float(count).is_integer()):
            problems.append(Problem(f"head {count!r} is not a whole number ≥ 0", where, "head"))
        if raw["household_id"].iat[n] is None or raw["date"].iat[n] is None:
            problems.append(Problem("household_id and date are required", where))
    return problems


def import_animal_register(
    store: Store, path: str | Path, *, user: str, mapping: dict[str, str] | None = None
) -> ImportReport:
    """Sum a register into the census and write it with its households, all or nothing."""
    households, census = read_animal_register(path, mapping)
    return write_census(store, households, census, user=user, source=str(path))
