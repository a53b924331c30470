"""Forage and carrying capacity of every plot and allowed season (the ``capacity`` table)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from grazing_models.capacity import (
    DEFAULT_HARVEST_EFFICIENCY,
    DEFAULT_UTILISATION,
    plot_capacity,
)
from grazing_models.livestock import SpeciesTable
from grazing_models.seasons import SEASON_WINDOWS, SeasonWindow

from ..store.base import Store
from .forage_basis import ForageBasis, read_forage_basis
from .inputs import latest_full_year, read_ndvi, read_plots
from .tables import table_frame

__all__ = ["compute_capacity", "season_forage"]


def season_forage(
    plots: pd.DataFrame,
    ndvi: pd.DataFrame,
    basis: ForageBasis,
    *,
    year: int,
    windows: Mapping[str, SeasonWindow] = SEASON_WINDOWS,
    utilisation: float = DEFAULT_UTILISATION,
    harvest_efficiency: float = DEFAULT_HARVEST_EFFICIENCY,
    table: SpeciesTable | None = None,
) -> pd.DataFrame:
    """Forage per plot and season through the district's forage basis: the one computation.

    The capacity table and the planner's season allowance both come from here, so
    they cannot disagree. Spring, summer and autumn biomass come from the season's
    NDVI (summarised as the basis was calibrated) through the plot's pasture-type
    model, with the basis's prediction interval as the low/high band; seasons without
    NDVI (winter) from the plots' geobotanical yields on the basis's weighing
    (`grazing_models.capacity.plot_capacity`). Per docs/domain.md (2024)::

        forage_kg   = biomass × area × utilisation        (removal allowance)
        capacity    = forage_kg × harvest_efficiency / (intake × days)

    Parameters
    ----------
    plots, ndvi
        The plots layer and ``ndvi_stats`` rows.
    basis
        The store's forage basis (`read_forage_basis`).
    year
        Season year (the year a window starts in).
    windows
        Season windows (default docs/domain.md, Seasons).
    utilisation
        Allowable removal, default 0.5 "take half, leave half" (docs/domain.md).
    harvest_efficiency
        Eaten share of the removal, default 0.5 (Holechek et al. 2001; docs/domain.md).
    table
        Species table (default docs/domain.md, Livestock units and intake).

    Returns
    -------
    pandas.DataFrame
        `plot_capacity` rows with ``model``: the basis's model and statistics used
        (or the yield's weighing), and the basis id.
    """
    rows = plot_capacity(
        plots,
        ndvi=ndvi,
        models=basis.models,
        year=year,
        windows=windows,
        utilisation=utilisation,
        harvest_efficiency=harvest_efficiency,
        table=table,
        level=basis.level,
        ndvi_statistic=basis.ndvi_statistic,
        min_valid_fraction=basis.min_valid_fraction,
        yield_basis=basis.yield_basis,
        yield_dm_fraction=basis.yield_dm_fraction,
    )
    rows["model"] = _model_docs(rows, basis)
    return rows


def compute_capacity(
    store: Store,
    *,
    year: int | None = None,
    utilisation: float = DEFAULT_UTILISATION,
    harvest_efficiency: float = DEFAULT_HARVEST_EFFICIENCY,
    windows: Mapping[str, SeasonWindow] = SEASON_WINDOWS,
    table: SpeciesTable | None = None,
    ndvi: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Forage and carrying capacity of every plot and allowed season; writes ``capacity``.

    Reads the store's forage basis (`read_forage_basis`; calibrate one first with
    `pasture calibrate`) and computes `season_forage` for the year. The year's slice
    of the table is replaced in one transaction; each row's ``model`` names the basis.

    Parameters
    ----------
    store
        The store to read plots, ``ndvi_stats`` and the forage basis from and write
        ``capacity`` to.
    year
        Season year; default `latest_full_year` of the NDVI stack.
    utilisation, harvest_efficiency, windows, table
        See `season_forage`.
    ndvi
        Already read ``ndvi_stats`` rows, to avoid reading them again.

    Returns
    -------
    pandas.DataFrame
        `plot_capacity` rows (with ``union_id, okrug_id, pasture_type``) and ``model``.
    """
    plots = read_plots(store)
    ndvi = read_ndvi(store) if ndvi is None else ndvi
    basis = read_forage_basis(store)
    if year is None:
        year = latest_full_year(ndvi, windows=windows)
    rows = season_forage(
        plots,
        ndvi,
        basis,
        year=year,
        windows=windows,
        utilisation=utilisation,
        harvest_efficiency=harvest_efficiency,
        table=table,
    )
    store.replace_rows("capacity", table_frame("capacity", rows), where={"year": int(year)})
    return rows


def _model_docs(rows: pd.DataFrame, basis: ForageBasis) -> list[dict[str, Any] | None]:
    """Per row: the basis's model of the plot's type (NDVI) or the yield's weighing."""
    cache: dict[str, dict[str, Any]] = {}
    common = {"basis": basis.id, "generated": basis.generated}

    def ndvi_doc(kind: str) -> dict[str, Any]:
        if kind not in cache:
            cache[kind] = {"input": "ndvi", **basis.calibration.model_json(kind), **common}
        return cache[kind]

    out: list[dict[str, Any] | None] = []
    for source, kind in zip(rows["source"], rows["pasture_type"], strict=True):
        if source == "ndvi":
            out.append(ndvi_doc(str(kind)))
        elif source == "yield":
            out.append(
                {
                    "input": "yield",
                    "basis_weighing": basis.yield_basis,
                    "dm_fraction": basis.yield_dm_fraction,
                    "band": "none",
                    **common,
                }
            )
        else:
            out.append(None)
    return out
