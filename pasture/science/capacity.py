"""Forage and carrying capacity of every plot and allowed season (the ``capacity`` table)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import pandas as pd

from grazing_models.biomass import DEFAULT_INTERVAL_LEVEL, BiomassModels
from grazing_models.capacity import DEFAULT_UTILISATION, plot_capacity
from grazing_models.livestock import SpeciesTable
from grazing_models.seasons import SEASON_WINDOWS, SeasonWindow

from ..errors import InvalidInput
from ..store.base import Store
from .calibration import BiomassCalibration, YieldBasis, calibrate_biomass_models
from .inputs import DEFAULT_MIN_VALID_FRACTION, latest_full_year, read_ndvi, read_plots
from .tables import table_frame

__all__ = ["compute_capacity"]


def compute_capacity(
    store: Store,
    *,
    year: int | None = None,
    models: BiomassModels | BiomassCalibration | None = None,
    utilisation: float = DEFAULT_UTILISATION,
    yield_basis: YieldBasis | None = None,
    yield_dm_fraction: float | None = None,
    level: float = DEFAULT_INTERVAL_LEVEL,
    ndvi_statistic: Literal["max", "mean", "median"] = "max",
    min_valid_fraction: float = DEFAULT_MIN_VALID_FRACTION,
    windows: Mapping[str, SeasonWindow] = SEASON_WINDOWS,
    table: SpeciesTable | None = None,
    ndvi: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Forage and carrying capacity of every plot and allowed season; writes ``capacity``.

    Spring, summer and autumn biomass come from the season's peak NDVI through
    the plot's pasture-type model, with the model's prediction interval as the
    low/high band; winter (and any season without NDVI) from the geobotanical
    yield when ``yield_basis`` is given (`grazing_models.capacity.plot_capacity`).
    Capacity = biomass × area × utilisation / (intake × days) (docs/domain.md,
    "Carrying capacity", 2024). The year's slice of the table is replaced in one
    transaction; each row's ``model`` holds the model and its parameters.

    Parameters
    ----------
    store
        The store to read plots and ``ndvi_stats`` from and write ``capacity`` to.
    year
        Season year; default `latest_full_year` of the NDVI stack.
    models
        Biomass models per pasture type (or a `BiomassCalibration`). None: calibrate
        against the plots' own yields (`calibrate_biomass_models`), which needs
        ``yield_basis``.
    utilisation
        Allowable utilisation, default 0.5 "take half, leave half" (docs/domain.md, 2024).
    yield_basis, yield_dm_fraction
        Basis of the plots' geobotanical yields (``"fresh"``, ``"air_dry"``, ``"dry"``);
        None leaves yields unused. The demo's are air-dry (`DEMO_YIELD_BASIS`).
    level
        Level of the low–high band (default 0.9).
    ndvi_statistic
        How the composites of a season window combine (default the peak, ``"max"``).
    min_valid_fraction
        Composites observed over less of the plot are ignored (default 0.5, assumption).
    windows, table
        Season windows and species table (defaults from docs/domain.md, 2024).
    ndvi
        Already read ``ndvi_stats`` rows, to avoid reading them again.

    Returns
    -------
    pandas.DataFrame
        `plot_capacity` rows (with ``union_id, okrug_id, pasture_type``) and ``model``.
    """
    plots = read_plots(store)
    ndvi = read_ndvi(store) if ndvi is None else ndvi
    if year is None:
        year = latest_full_year(ndvi, windows=windows)
    calibration: BiomassCalibration | None = None
    if models is None:
        if yield_basis is None:
            raise InvalidInput(
                "capacity",
                [
                    "no biomass model: pass models=... or give yield_basis (fresh, air_dry "
                    "or dry) to calibrate against the plots' geobotanical yields"
                ],
            )
        calibration = calibrate_biomass_models(
            plots, ndvi, yield_basis=yield_basis, yield_dm_fraction=yield_dm_fraction
        )
    elif isinstance(models, BiomassCalibration):
        calibration = models
    chosen = calibration.models if calibration is not None else models
    assert chosen is None or isinstance(chosen, BiomassModels)
    rows = plot_capacity(
        plots,
        ndvi=ndvi,
        models=chosen,
        year=year,
        windows=windows,
        utilisation=utilisation,
        table=table,
        level=level,
        ndvi_statistic=ndvi_statistic,
        min_valid_fraction=min_valid_fraction,
        yield_basis=yield_basis,
        yield_dm_fraction=yield_dm_fraction,
    )
    rows["model"] = _model_docs(
        rows, calibration, chosen, yield_basis=yield_basis, dm_fraction=yield_dm_fraction
    )
    store.replace_rows("capacity", table_frame("capacity", rows), where={"year": int(year)})
    return rows


def _model_docs(
    rows: pd.DataFrame,
    calibration: BiomassCalibration | None,
    models: BiomassModels | None,
    *,
    yield_basis: str | None,
    dm_fraction: float | None,
) -> list[dict[str, Any] | None]:
    cache: dict[str, dict[str, Any]] = {}

    def ndvi_doc(kind: str) -> dict[str, Any]:
        if kind not in cache:
            if calibration is not None:
                cache[kind] = calibration.model_json(kind)
            else:
                assert models is not None
                model = models.for_type(kind)
                dump = getattr(model, "summary", None) or getattr(model, "model_dump", None)
                cache[kind] = dict(dump()) if dump else {"model": repr(model)}
        return cache[kind]

    out: list[dict[str, Any] | None] = []
    for source, kind in zip(rows["source"], rows["pasture_type"], strict=True):
        if source == "ndvi":
            out.append({"input": "ndvi", **ndvi_doc(str(kind))})
        elif source == "yield":
            out.append(
                {"input": "yield", "basis": yield_basis, "dm_fraction": dm_fraction, "band": "none"}
            )
        else:
            out.append(None)
    return out
