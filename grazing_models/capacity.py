"""Carrying capacity: how many animals a pasture feeds for a season.

docs/domain.md, "Carrying capacity" and "Livestock units and intake" (2024)::

    allowance_kg           = biomass_kg_dm_per_ha × area_ha × utilisation   (removal)
    intake_kg              = allowance_kg × harvest_efficiency               (eaten)
    capacity_head(species) = intake_kg / (intake_species × days)

Utilisation ("take half, leave half") limits *removal*: what is eaten, trampled,
soiled and lost. Only the harvest-efficiency share of the removal is eaten
(`DEFAULT_HARVEST_EFFICIENCY`).

Published ranges to sanity-check results: Akmola oblast 0.10–0.17 animals/ha
(Qi et al. 2025, Remote Sens. 17(8):1477); Mongolia 0.3–2.8 sheep units/ha.

`carrying_capacity` is the formula, vectorised by broadcasting. `plot_capacity`
turns zonal NDVI (or geobotanical yields) into forage and capacity per plot and
season with a low / central / high band from the biomass model's prediction
interval; `aggregate_capacity` sums it per union or okrug.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from grazing_models.biomass import DEFAULT_INTERVAL_LEVEL, BiomassModels, yield_cha_to_kg_dm_ha
from grazing_models.livestock import SpeciesTable, default_species_table
from grazing_models.seasons import SEASON_WINDOWS, SeasonWindow, season_days
from grazing_models.vocabulary import SPECIES, parse_seasons

__all__ = [
    "BANDS",
    "DEFAULT_HARVEST_EFFICIENCY",
    "DEFAULT_NDVI_SEASONS",
    "DEFAULT_UTILISATION",
    "aggregate_capacity",
    "carrying_capacity",
    "grazeable_forage_kg",
    "intake_forage_kg",
    "plot_capacity",
    "seasonal_ndvi",
]

#: Allowable utilisation, "take half, leave half" (docs/domain.md, Livestock units and
#: intake, 2024); 0.6–0.7 is cited for Kazakh horse pastures.
DEFAULT_UTILISATION: float = 0.5
#: Harvest efficiency: the share of the removed forage (the utilisation allowance) that
#: animals eat; the rest is trampled, soiled or lost. 0.5: under season-long grazing at
#: moderate (50 %) use about 25 % of the forage is eaten, i.e. half of the removal
#: (Holechek, White & Hanselka 2001, "Using forage harvest efficiency to determine
#: stocking rate", Texas AgriLife E-128; docs/domain.md, "Livestock units and intake").
#: Rotational grazing harvests more (up to ~0.7 of the removal): configurable.
DEFAULT_HARVEST_EFFICIENCY: float = 0.5
#: Seasons whose forage is estimated from NDVI. Winter pasture is grazed as dormant
#: standing crop under snow, which NDVI in the winter window does not measure; its
#: forage comes from geobotanical yields (`plot_capacity(yield_basis=...)`). An
#: *assumption* of this module.
DEFAULT_NDVI_SEASONS: tuple[str, ...] = ("spring", "summer", "autumn")
#: The three bands of every forage and capacity figure.
BANDS: tuple[str, ...] = ("low", "central", "high")

Array: TypeAlias = Any  # scalar, numpy array, pandas Series or DataFrame


def _check_positive(name: str, value: Array, *, allow_zero: bool = False) -> None:
    a = np.asarray(value, dtype=float)
    bad = (a < 0) if allow_zero else (a <= 0)
    if np.any(bad):
        sign = "≥ 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {sign}")


def grazeable_forage_kg(
    biomass_kg_ha: Array, area_ha: Array, *, utilisation: Array = DEFAULT_UTILISATION
) -> Array:
    """Grazeable forage, kg DM: biomass × area × utilisation (docs/domain.md, 2024).

    Inputs broadcast like numpy / pandas arithmetic; NaN propagates.
    """
    _check_positive("area_ha", area_ha, allow_zero=True)
    u = np.asarray(utilisation, dtype=float)
    if np.any((u < 0) | (u > 1)):
        raise ValueError("utilisation must lie in [0, 1]")
    return biomass_kg_ha * area_ha * utilisation


def intake_forage_kg(
    allowance_kg: Array, *, harvest_efficiency: Array = DEFAULT_HARVEST_EFFICIENCY
) -> Array:
    """Forage animals may eat, kg DM: the removal allowance × harvest efficiency.

    ``allowance_kg`` is what `grazeable_forage_kg` allows to be removed; harvest
    efficiency is the eaten share of it (`DEFAULT_HARVEST_EFFICIENCY`, 0.5, Holechek et
    al. 2001; docs/domain.md).
    """
    h = np.asarray(harvest_efficiency, dtype=float)
    if np.any((h <= 0) | (h > 1)):
        raise ValueError("harvest_efficiency must lie in (0, 1]")
    return allowance_kg * harvest_efficiency


def carrying_capacity(
    biomass_kg_ha: Array,
    area_ha: Array,
    *,
    utilisation: Array = DEFAULT_UTILISATION,
    harvest_efficiency: Array = DEFAULT_HARVEST_EFFICIENCY,
    intake_kg_day: Array,
    days: Array,
) -> Array:
    """Number of head a pasture feeds for ``days``.

    ``biomass_kg_ha × area_ha × utilisation × harvest_efficiency / (intake_kg_day × days)``
    (docs/domain.md, "Carrying capacity", 2024). Every argument may be a scalar, a
    numpy array, a pandas Series or DataFrame; they broadcast (pandas aligns on
    the index), and the result has the broadcast type.

    Parameters
    ----------
    biomass_kg_ha
        Standing biomass, kg dry matter per hectare.
    area_ha
        Grazed area, hectares.
    utilisation
        Fraction of the biomass that may be removed (eaten, trampled, soiled);
        default 0.5, "take half, leave half" (docs/domain.md, 2024; 0.6–0.7 cited for
        Kazakh horse pastures).
    harvest_efficiency
        Eaten share of the removal; default 0.5 (`DEFAULT_HARVEST_EFFICIENCY`).
    intake_kg_day
        Dry-matter intake of one head, kg/day (see `grazing_models.livestock`).
    days
        Length of the grazing period, days.

    Returns
    -------
    Same type as the broadcast inputs
        Head of livestock.
    """
    _check_positive("intake_kg_day", intake_kg_day)
    _check_positive("days", days)
    forage = grazeable_forage_kg(biomass_kg_ha, area_ha, utilisation=utilisation)
    eaten = intake_forage_kg(forage, harvest_efficiency=harvest_efficiency)
    return eaten / (intake_kg_day * days)


def seasonal_ndvi(
    ndvi: pd.DataFrame,
    *,
    windows: Mapping[str, SeasonWindow] = SEASON_WINDOWS,
    seasons: Sequence[str] | None = None,
    statistic: Literal["max", "mean", "median"] = "max",
    value: str = "mean",
    min_valid_fraction: float = 0.0,
) -> pd.DataFrame:
    """NDVI per plot, season and season year from a zonal time series.

    Parameters
    ----------
    ndvi
        Long frame ``plot_id, time, mean, ..., valid_fraction``.
    windows
        Season windows; default `SEASON_WINDOWS` (docs/domain.md, 2024).
    seasons
        Seasons to compute; default all in ``windows``.
    statistic
        How composites in a window combine: ``"max"`` (default, peak standing
        crop of the window, an *assumption*), ``"mean"`` or ``"median"``. NaN
        composites are skipped.
    value
        Column with the NDVI value.
    min_valid_fraction
        Composites whose ``valid_fraction`` is below this are ignored.

    Returns
    -------
    pandas.DataFrame
        ``plot_id, season, year, ndvi, n_obs``; ``year`` is the year the window
        starts in (winter Nov 2023 – Apr 2024 is 2023).
    """
    values = pd.to_numeric(ndvi[value], errors="coerce").astype(float)
    if "valid_fraction" in ndvi and min_valid_fraction > 0:
        values = values.where(ndvi["valid_fraction"].astype(float) >= min_valid_fraction)
    base = pd.DataFrame(
        {"plot_id": ndvi["plot_id"].to_numpy(), "time": pd.to_datetime(ndvi["time"]), "v": values}
    ).dropna(subset=["v"])
    parts = []
    for name in seasons or list(windows):
        window = windows[name]
        inside = base[window.contains(base["time"])]
        if inside.empty:
            continue
        grouped = inside.assign(season=name, year=window.window_year(inside["time"])).groupby(
            ["plot_id", "season", "year"], sort=True
        )["v"]
        parts.append(
            grouped.agg([statistic, "count"]).rename(columns={statistic: "ndvi", "count": "n_obs"})
        )
    if not parts:
        return pd.DataFrame(columns=["plot_id", "season", "year", "ndvi", "n_obs"])
    return pd.concat(parts).reset_index()


def plot_capacity(
    plots: pd.DataFrame,
    *,
    ndvi: pd.DataFrame | None = None,
    models: BiomassModels | None = None,
    year: int | None = None,
    windows: Mapping[str, SeasonWindow] = SEASON_WINDOWS,
    utilisation: float = DEFAULT_UTILISATION,
    harvest_efficiency: float = DEFAULT_HARVEST_EFFICIENCY,
    table: SpeciesTable | None = None,
    level: float = DEFAULT_INTERVAL_LEVEL,
    ndvi_statistic: Literal["max", "mean", "median"] = "max",
    ndvi_seasons: Sequence[str] = DEFAULT_NDVI_SEASONS,
    min_valid_fraction: float = 0.0,
    yield_basis: Literal["fresh", "air_dry", "dry"] | None = None,
    yield_dm_fraction: float | None = None,
) -> pd.DataFrame:
    """Forage and carrying capacity per plot and season, with low / central / high bands.

    For each plot and each season in its ``seasons`` field: biomass comes from the
    season's NDVI through the plot's pasture-type model (`BiomassModels`, interval at
    ``level``) where there is NDVI, else from the geobotanical yield
    ``yield_<season>_cha`` when ``yield_basis`` is given (no band: low = central =
    high), else it is NaN. Then, per docs/domain.md (2024)::

        forage_kg       = biomass × area_ha × utilisation          (removal allowance)
        eaten_kg        = forage_kg × harvest_efficiency
        capacity_su     = eaten_kg / (intake of one sheep × days)
        capacity_<sp>   = eaten_kg / (intake_<sp>(season) × days)

    ``capacity_su`` counts *forage-equivalent sheep* (how many sheep the forage
    feeds), not Kazakh sheep units: the Kazakh coefficients (cattle 5, horse 6)
    differ from intake ratios (cattle 9/1.4 ≈ 6.4), so loads are compared in kg, as
    `load` does.

    Parameters
    ----------
    plots
        Plots frame: ``id, union_id, okrug_id, seasons, pasture_type, area_ha``
        and optionally ``yield_<season>_cha``.
    ndvi
        Zonal NDVI, long frame ``plot_id, time, mean, valid_fraction``.
    models
        Biomass models per pasture type; needed when ``ndvi`` is given.
    year
        Season year (the year a window starts in); default the latest year with
        NDVI, or a non-leap year's day counts without NDVI.
    windows
        Season windows; default `SEASON_WINDOWS` (docs/domain.md, 2024).
    utilisation
        Allowable utilisation (removal); default 0.5 (docs/domain.md, 2024).
    harvest_efficiency
        Eaten share of the removal; default `DEFAULT_HARVEST_EFFICIENCY` (0.5).
    table
        Species table; default `default_species_table` (docs/domain.md, 2024).
    level
        Level of the prediction interval (default 0.9).
    ndvi_statistic
        How composites in a window combine (default ``"max"``, see `seasonal_ndvi`).
    ndvi_seasons
        Seasons estimated from NDVI; default spring, summer, autumn (winter
        forage is dormant standing crop, taken from yields).
    min_valid_fraction
        Composites with a lower ``valid_fraction`` are ignored.
    yield_basis, yield_dm_fraction
        Basis of the plots' yields (``"fresh"``, ``"air_dry"``, ``"dry"``) and an
        optional dry-matter fraction, see `yield_cha_to_kg_dm_ha`. None: yields unused.

    Returns
    -------
    pandas.DataFrame
        One row per plot and season: ``plot_id, union_id, okrug_id, pasture_type,
        season, year, days, area_ha, utilisation, harvest_efficiency, ndvi, n_obs, source,
        biomass_{low,central,high}_kg_ha, forage_{low,central,high}_kg,
        capacity_su_{low,central,high}``, and ``capacity_<species>`` (central).
        ``source`` is ``"ndvi"``, ``"yield"`` or ``"none"``.
    """
    table = table or default_species_table()
    if not 0 <= utilisation <= 1:
        raise ValueError(f"utilisation must lie in [0, 1], got {utilisation}")
    missing = [c for c in ("id", "seasons", "pasture_type", "area_ha") if c not in plots]
    if missing:
        raise ValueError(f"plots frame lacks column(s) {missing}")
    if ndvi is not None and models is None:
        raise ValueError("NDVI was given without biomass models; pass models=BiomassModels(...)")
    rows = _plot_seasons(plots, windows)
    if ndvi is not None:
        seasonal = seasonal_ndvi(
            ndvi,
            windows=windows,
            seasons=[s for s in ndvi_seasons if s in windows],
            statistic=ndvi_statistic,
            min_valid_fraction=min_valid_fraction,
        )
        if year is None and not seasonal.empty:
            year = int(seasonal["year"].max())
        seasonal = seasonal[seasonal["year"] == year].drop(columns="year")
        rows = rows.merge(seasonal, on=["plot_id", "season"], how="left")
    else:
        rows = rows.assign(ndvi=np.nan, n_obs=0)
    rows["n_obs"] = rows["n_obs"].fillna(0).astype(int)
    rows = rows.reset_index(drop=True)
    bands, source = _biomass_bands(
        rows,
        plots,
        models=models,
        level=level,
        windows=windows,
        yield_basis=yield_basis,
        yield_dm_fraction=yield_dm_fraction,
    )
    # the planner's days of each season (whole weeks of the grazing year): one calendar
    length = season_days(windows, year=year)
    days = np.array([length[s] for s in rows["season"]], dtype=float)
    out = rows.drop(columns="_row").assign(
        year=year,
        days=days.astype(int),
        utilisation=utilisation,
        harvest_efficiency=harvest_efficiency,
        source=source,
    )
    _add_capacity(
        out,
        bands,
        days,
        utilisation=utilisation,
        harvest_efficiency=harvest_efficiency,
        table=table,
    )
    first = ["plot_id", "union_id", "okrug_id", "pasture_type", "season", "year", "days"]
    return out[first + [c for c in out.columns if c not in first]]


def _plot_seasons(plots: pd.DataFrame, windows: Mapping[str, SeasonWindow]) -> pd.DataFrame:
    """One row per plot and each season of its ``seasons`` (``_row``: the plot's position)."""
    rows = pd.DataFrame(
        {
            "plot_id": plots["id"].to_numpy(),
            "union_id": plots["union_id"].to_numpy() if "union_id" in plots else None,
            "okrug_id": plots["okrug_id"].to_numpy() if "okrug_id" in plots else None,
            "pasture_type": plots["pasture_type"].astype(str).to_numpy(),
            "area_ha": plots["area_ha"].astype(float).to_numpy(),
            "season": [list(parse_seasons(s)) for s in plots["seasons"].fillna("")],
            "_row": np.arange(len(plots)),
        }
    ).explode("season")
    rows = rows[rows["season"].notna()]
    unknown = sorted(set(rows["season"]) - set(windows))
    if unknown:
        raise ValueError(f"no season window for {unknown}; windows: {', '.join(windows)}")
    return rows


def _biomass_bands(
    rows: pd.DataFrame,
    plots: pd.DataFrame,
    *,
    models: BiomassModels | None,
    level: float,
    windows: Mapping[str, SeasonWindow],
    yield_basis: Literal["fresh", "air_dry", "dry"] | None,
    yield_dm_fraction: float | None,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """Low, central and high biomass (kg DM/ha) per row, from NDVI else yields, and the source."""
    low = np.full(len(rows), np.nan)
    central, high = low.copy(), low.copy()
    source = np.full(len(rows), "none", dtype=object)
    has_ndvi = rows["ndvi"].notna().to_numpy()
    if has_ndvi.any() and models is not None:
        lo, ce, hi = models.predict_interval(
            rows.loc[has_ndvi, "ndvi"].to_numpy(),
            rows.loc[has_ndvi, "pasture_type"].to_numpy(),
            level=level,
        )
        low[has_ndvi], central[has_ndvi], high[has_ndvi] = lo, ce, hi
        source[has_ndvi] = "ndvi"
    if yield_basis is not None:
        for name in windows:
            column = f"yield_{name}_cha"
            if column not in plots:
                continue
            take = (~has_ndvi) & (rows["season"] == name).to_numpy()
            cha = plots[column].astype(float).to_numpy()[rows.loc[take, "_row"].to_numpy(dtype=int)]
            kg = yield_cha_to_kg_dm_ha(cha, basis=yield_basis, dm_fraction=yield_dm_fraction)
            low[take] = central[take] = high[take] = kg
            source[take] = np.where(np.isfinite(kg), "yield", "none")
    return (low, central, high), source


def _add_capacity(
    out: pd.DataFrame,
    bands: tuple[np.ndarray, np.ndarray, np.ndarray],
    days: np.ndarray,
    *,
    utilisation: float,
    harvest_efficiency: float,
    table: SpeciesTable,
) -> None:
    """Biomass, forage (removal) and capacity (eaten) columns per band, and per species (in place)."""
    area = out["area_ha"].to_numpy()
    sheep_intake = np.array([table["sheep"].intake(s) for s in out["season"]])
    for band, biomass in zip(BANDS, bands, strict=True):
        forage = grazeable_forage_kg(biomass, area, utilisation=utilisation)
        eaten = intake_forage_kg(forage, harvest_efficiency=harvest_efficiency)
        out[f"biomass_{band}_kg_ha"] = biomass
        out[f"forage_{band}_kg"] = forage
        out[f"capacity_su_{band}"] = eaten / (sheep_intake * days)
    eaten_central = intake_forage_kg(
        out["forage_central_kg"].to_numpy(), harvest_efficiency=harvest_efficiency
    )
    for sp in SPECIES:
        intake = np.array([table[sp].intake(s) for s in out["season"]])
        out[f"capacity_{sp}"] = eaten_central / (intake * days)


def aggregate_capacity(
    capacity: pd.DataFrame, *, by: str | Sequence[str] = "union_id"
) -> pd.DataFrame:
    """Sum forage and capacity of `plot_capacity` rows per group, season and year.

    Parameters
    ----------
    capacity
        Output of `plot_capacity`.
    by
        ``"union_id"`` (public plots, union None, form their own group), ``"okrug_id"``
        or a list of columns.

    Returns
    -------
    pandas.DataFrame
        ``by..., season, year, days, n_plots, area_ha, forage_*_kg, capacity_*``.
        Lows and highs are summed, i.e. treated as fully correlated across plots,
        which holds for the coefficient uncertainty of a shared model and makes the
        band conservative (wide) for residual scatter.
    """
    keys = [by] if isinstance(by, str) else list(by)
    sums = [
        c
        for c in capacity.columns
        if c == "area_ha" or c.startswith("forage_") or c.startswith("capacity_")
    ]
    grouped = capacity.groupby([*keys, "season", "year"], dropna=False, sort=True)
    out = grouped[sums].sum(min_count=1)
    if "harvest_efficiency" in capacity:  # one value per capacity run: kept, not summed
        out.insert(0, "harvest_efficiency", grouped["harvest_efficiency"].max())
    out.insert(0, "n_plots", grouped.size())
    out.insert(0, "days", grouped["days"].max())
    return out.reset_index()
