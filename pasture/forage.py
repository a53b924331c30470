"""Grazing science on a store: biomass calibration, capacity, load, trends and green-up.

Small functions that read layers and NDVI statistics from a `pasture.store.Store`,
call the pure models of `grazing_models` and write the result tables of
`pasture.model` (``capacity``, ``load``, ``trends``, ``greenup``), each as one
transactional replacement of its slice. Every number here is a documented,
keyword-only default taken from DOMAIN.md (2024) or marked as an *assumption*.

Which livestock figures are used (census and herds are the same animals, so
they are never added together):

* union and okrug levels use each household's **latest census** (the record a
  union keeps and the law asks for, DOMAIN.md "Who does what");
* the plot level uses the **herds**, placed on the plot that holds their point:
  only herds have a location. A herd counts on its plot for every season of the
  plot, so the plot level shows where herds stand now, not a rotation plan.

The ``norm_status`` column compares livestock with a load-norm table (Order
3-3/332 format, `grazing_models.load.LoadNorms`); the default is the packaged
SAMPLE table, and every status it gives says ``(SAMPLE norms)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from grazing_models.biomass import (
    DEFAULT_INTERVAL_LEVEL,
    BiomassModels,
    BiomassPredictor,
    Calibration,
    Form,
    calibrate,
    yield_cha_to_kg_dm_ha,
)
from grazing_models.capacity import (
    BANDS,
    DEFAULT_NDVI_SEASONS,
    DEFAULT_UTILISATION,
    aggregate_capacity,
    plot_capacity,
    seasonal_ndvi,
)
from grazing_models.degradation import (
    DEFAULT_ALPHA,
    MIN_YEARS,
    annual_integrated_ndvi,
    growing_season,
    ndvi_trends,
)
from grazing_models.livestock import SpeciesTable
from grazing_models.load import (
    UNUSED_THRESHOLD,
    LoadNorms,
    census_heads,
    herd_heads,
    norm_check,
    stocking_load,
    stocking_status,
)
from grazing_models.seasons import DEFAULT_GREENUP_FRACTION, SEASON_WINDOWS, SeasonWindow
from grazing_models.seasons import greenup_dates as _greenup_dates

from .errors import InvalidInput, NotFound
from .model import SPECIES, TABLES
from .store.base import Store

__all__ = [
    "DEFAULT_MIN_VALID_FRACTION",
    "DEMO_YIELD_BASIS",
    "MIN_CALIBRATION_SAMPLES",
    "PUBLIC_GROUP",
    "TREND_REFERENCES",
    "BiomassCalibration",
    "ScienceSummary",
    "calibrate_biomass_models",
    "calibration_samples",
    "compute_capacity",
    "compute_greenup",
    "compute_load",
    "compute_trends",
    "demo_biomass_models",
    "latest_full_year",
    "read_ndvi",
    "read_plots",
    "relative_to_reference",
    "run_demo_science",
]

#: Composites whose ``valid_fraction`` is below this are ignored. DOMAIN.md ("Satellite
#: NDVI", 2024) asks for the valid fraction with every value but gives no threshold:
#: half the plot observed is an *assumption* of this module.
DEFAULT_MIN_VALID_FRACTION: float = 0.5
#: Basis of the demo's generated geobotanical yields: air-dry c/ha (`pasture.demo`,
#: "Generated geobotanical yields, air-dry c/ha"). Real surveys differ: say which.
DEMO_YIELD_BASIS: Literal["air_dry"] = "air_dry"
#: Group id of plots without a union in the ``load`` table (see `pasture.model.LOAD`).
PUBLIC_GROUP: str = "public"
#: What the annual NDVI of a plot is compared with before the trend test.
TREND_REFERENCES: tuple[str, ...] = ("none", "pasture_type", "okrug", "district")
#: Smallest calibration sample for a per-pasture-type model; types with fewer samples
#: use the model pooled over all types (an *assumption*).
MIN_CALIBRATION_SAMPLES: int = 10

Progress = Callable[[str], None]
YieldBasis = Literal["fresh", "air_dry", "dry"]


# ----------------------------------------------------------------------------- reading


def read_plots(store: Store) -> pd.DataFrame:
    """The plots layer; NotFound when the store has none."""
    plots = store.read("plots")
    if plots.empty:
        raise NotFound("no plots in the store; import them with `pasture import plots FILE`")
    return plots


def read_ndvi(store: Store) -> pd.DataFrame:
    """Per-plot NDVI statistics (``ndvi_stats``); NotFound when there are none."""
    ndvi = store.read_rows("ndvi_stats")
    if ndvi.empty:
        raise NotFound("no NDVI statistics in the store; run `pasture ndvi zonal` first")
    return ndvi


def latest_full_year(
    ndvi: pd.DataFrame, *, windows: Mapping[str, SeasonWindow] = SEASON_WINDOWS
) -> int:
    """The latest calendar year whose whole growing season the NDVI stack covers.

    A year counts when the stack holds composites both before the start of its
    spring window and after the end of its autumn window (16 Apr – 5 Nov by
    default, DOMAIN.md "Seasons", 2024).
    """
    times = pd.DatetimeIndex(pd.to_datetime(ndvi["time"]).unique())
    if times.empty:
        raise NotFound("no NDVI statistics in the store; run `pasture ndvi zonal` first")
    season = growing_season(windows)
    for year in sorted(set(times.year), reverse=True):
        first, last = season.bounds(int(year))
        before = (times >= pd.Timestamp(year, 1, 1)) & (times < first)
        after = (times > last) & (times <= pd.Timestamp(year, 12, 31))
        if before.any() and after.any():
            return int(year)
    raise NotFound(
        "the NDVI statistics cover no full growing season "
        f"({season.start[1]:02d}.{season.start[0]:02d}–{season.end[1]:02d}.{season.end[0]:02d}); "
        "add scenes with `pasture ndvi add` and run `pasture ndvi zonal`"
    )


# ------------------------------------------------------------------------- calibration


@dataclass(frozen=True, eq=False)
class BiomassCalibration:
    """Biomass models calibrated per pasture type, with their fit statistics.

    Attributes
    ----------
    models
        `BiomassModels` holding one `Calibration` per pasture type with enough samples
        and the calibration pooled over all types as the default.
    calibrations
        The calibrations by pasture type; key ``"*"`` is the pooled one.
    samples
        The (pasture_type, plot_id, season, ndvi, biomass) pairs fitted.
    """

    models: BiomassModels
    calibrations: Mapping[str, Calibration]
    samples: pd.DataFrame
    description: str = ""

    def report(self) -> pd.DataFrame:
        """One row per pasture type: ``pasture_type, form, r2, rmse_kg_ha, n, params``."""
        rows = [
            {
                "pasture_type": kind,
                "form": c.form,
                "r2": c.r2,
                "rmse_kg_ha": c.rmse,
                "n": c.n,
                "params": tuple(round(p, 3) for p in c.params),
                "ndvi_range": (c.model.index_min, c.model.index_max),
            }
            for kind, c in self.calibrations.items()
        ]
        return pd.DataFrame(rows)

    def model_json(self, pasture_type: str) -> dict[str, Any]:
        """Parameters and fit statistics of the model used for a pasture type (JSON-ready)."""
        kind = pasture_type if pasture_type in self.calibrations else "*"
        doc = self.calibrations[kind].summary()
        doc["calibration"] = kind
        if self.description:
            doc["calibrated_on"] = self.description
        return doc


def calibration_samples(
    plots: pd.DataFrame,
    ndvi: pd.DataFrame,
    *,
    yield_basis: YieldBasis,
    yield_dm_fraction: float | None = None,
    seasons: Sequence[str] = DEFAULT_NDVI_SEASONS,
    years: Sequence[int] | None = None,
    windows: Mapping[str, SeasonWindow] = SEASON_WINDOWS,
    min_valid_fraction: float = DEFAULT_MIN_VALID_FRACTION,
) -> pd.DataFrame:
    """Pair each plot's geobotanical yield with its seasonal peak NDVI.

    A geobotanical survey gives one yield per plot and season
    (``yield_<season>_cha``, c/ha; DOMAIN.md, Order 189, 2022). It is converted to
    kg DM/ha with `yield_cha_to_kg_dm_ha` and paired with the plot's peak NDVI in
    that season's window (`seasonal_ndvi`, statistic ``"max"``), averaged over
    ``years`` (all years of the stack by default: a survey describes a typical
    year, an *assumption*; give the survey year when known).

    Returns
    -------
    pandas.DataFrame
        ``pasture_type, plot_id, season, ndvi, biomass`` (kg DM/ha), complete rows only.
    """
    peaks = seasonal_ndvi(
        ndvi,
        windows=windows,
        seasons=[s for s in seasons if s in windows],
        statistic="max",
        min_valid_fraction=min_valid_fraction,
    )
    if years is not None:
        peaks = peaks[peaks["year"].isin(list(years))]
    mean_peak = peaks.groupby(["plot_id", "season"], sort=True)["ndvi"].mean().reset_index()
    parts = []
    for season in seasons:
        column = f"yield_{season}_cha"
        if column not in plots:
            continue
        cha = pd.to_numeric(plots[column], errors="coerce").astype(float)
        part = pd.DataFrame(
            {
                "pasture_type": plots["pasture_type"].astype(str).to_numpy(),
                "plot_id": plots["id"].to_numpy(),
                "season": season,
                "biomass": np.asarray(
                    yield_cha_to_kg_dm_ha(
                        cha.to_numpy(), basis=yield_basis, dm_fraction=yield_dm_fraction
                    ),
                    dtype=float,
                ),
            }
        )
        parts.append(part)
    columns = ["pasture_type", "plot_id", "season", "ndvi", "biomass"]
    if not parts:
        return pd.DataFrame(columns=columns)
    samples = pd.concat(parts, ignore_index=True).merge(
        mean_peak, on=["plot_id", "season"], how="inner"
    )
    samples = samples.dropna(subset=["ndvi", "biomass"])
    return samples[columns].sort_values(["pasture_type", "plot_id", "season"], ignore_index=True)


def calibrate_biomass_models(
    plots: pd.DataFrame,
    ndvi: pd.DataFrame,
    *,
    yield_basis: YieldBasis,
    yield_dm_fraction: float | None = None,
    form: Form = "linear",
    seasons: Sequence[str] = DEFAULT_NDVI_SEASONS,
    years: Sequence[int] | None = None,
    min_samples: int = MIN_CALIBRATION_SAMPLES,
    min_valid_fraction: float = DEFAULT_MIN_VALID_FRACTION,
    description: str = "",
) -> BiomassCalibration:
    """Calibrate one NDVI→biomass model per pasture type against geobotanical yields.

    DOMAIN.md ("NDVI to biomass", 2024): no published equation exists for Kazakh
    mountain pastures, so the model form and coefficients are calibrated per
    pasture type; a calibration reports R², RMSE and n, and its prediction
    interval carries into the capacity bands. The index range of each model is
    clipped to the range of its samples (no extrapolation).

    Parameters
    ----------
    plots, ndvi
        Plots layer (with ``yield_<season>_cha``) and ``ndvi_stats`` rows.
    yield_basis, yield_dm_fraction
        What the survey weighed (see `yield_cha_to_kg_dm_ha`); no default.
    form
        Model form (default ``"linear"``, the fewest parameters).
    seasons
        Seasons whose yields are paired with NDVI (default spring, summer, autumn:
        winter forage is dormant standing crop that NDVI does not see).
    years
        NDVI years to average the seasonal peak over (default all).
    min_samples
        Fewer samples than this for a pasture type: it uses the pooled model.
    min_valid_fraction
        Composites observed over less of the plot are ignored.
    description
        Recorded with every model (e.g. where the yields come from).
    """
    samples = calibration_samples(
        plots,
        ndvi,
        yield_basis=yield_basis,
        yield_dm_fraction=yield_dm_fraction,
        seasons=seasons,
        years=years,
        min_valid_fraction=min_valid_fraction,
    )
    if len(samples) < min_samples:
        raise InvalidInput(
            "biomass calibration",
            [
                f"{len(samples)} plot-season pair(s) with both a geobotanical yield and NDVI; "
                f"at least {min_samples} are needed (fill yield_<season>_cha of the plots or "
                "pass biomass models)"
            ],
        )
    note = description or f"geobotanical yields ({yield_basis}) against seasonal peak NDVI"

    def fit(frame: pd.DataFrame, label: str) -> Calibration:
        return calibrate(
            frame,
            form,
            index_min=float(frame["ndvi"].min()),
            index_max=float(frame["ndvi"].max()),
            source=f"{note}; {label}, n={len(frame)}",
        )

    calibrations: dict[str, Calibration] = {"*": fit(samples, "all pasture types")}
    for kind, frame in samples.groupby("pasture_type", sort=True):
        if len(frame) >= min_samples and frame["ndvi"].nunique() > 2:
            calibrations[str(kind)] = fit(frame, f"pasture type {kind}")
    per_type: dict[str, BiomassPredictor] = {k: c for k, c in calibrations.items() if k != "*"}
    models = BiomassModels(models=per_type, default=calibrations["*"])
    return BiomassCalibration(
        models=models, calibrations=calibrations, samples=samples, description=note
    )


def demo_biomass_models(
    store: Store, *, form: Form = "linear", ndvi: pd.DataFrame | None = None
) -> BiomassCalibration:
    """Calibrate biomass models on the demo district's GENERATED geobotanical yields.

    The demo's yields (``yield_<season>_cha``, air-dry c/ha) are generated by
    `pasture.demo` per pasture type and season with ±30 % random scatter,
    independently of the generated NDVI; this is a real use of `calibrate` on
    generated survey data, not a calibration of any real pasture. Expect R² near 0
    for single-season types (the scatter is noise to NDVI) and moderate R² for
    types with two seasons (season means differ in both NDVI and yield).
    """
    plots = read_plots(store)
    ndvi = read_ndvi(store) if ndvi is None else ndvi
    return calibrate_biomass_models(
        plots,
        ndvi,
        yield_basis=DEMO_YIELD_BASIS,
        form=form,
        description=(
            "GENERATED demo geobotanical yields (air-dry c/ha, pasture.demo) against "
            "seasonal peak NDVI of the generated stack; not survey data"
        ),
    )


# ---------------------------------------------------------------------------- capacity


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
    Capacity = biomass × area × utilisation / (intake × days) (DOMAIN.md,
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
        Allowable utilisation, default 0.5 "take half, leave half" (DOMAIN.md, 2024).
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
        Season windows and species table (defaults from DOMAIN.md, 2024).
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
    store.replace_rows("capacity", _table_frame("capacity", rows), where={"year": int(year)})
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


def _table_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Only the columns of a result table, in its order."""
    columns = [c for c in TABLES[name].column_names if c in frame]
    return frame[columns]


# -------------------------------------------------------------------------------- load


def compute_load(
    store: Store,
    *,
    year: int | None = None,
    norms: LoadNorms | None = None,
    region: str = "*",
    unused_threshold: float = UNUSED_THRESHOLD,
    table: SpeciesTable | None = None,
) -> pd.DataFrame:
    """Livestock demand against forage per plot, union and okrug; writes ``load``.

    Reads the year's ``capacity`` rows (run `compute_capacity` first), the latest
    census and the herds. Union and okrug levels use the census, the plot level
    the herds on each plot (the same animals: never both, see the module
    docstring). Per DOMAIN.md (2024)::

        demand_kg      = Σ_species head × intake(season) × days
        stocking_ratio = demand_kg / forage_kg          # > 1 overloaded

    ``status`` is overloaded above 1, unused below ``unused_threshold`` (0.5, Law
    65-VIII, 2024), within capacity otherwise. Groups whose livestock is not in
    the census (public pasture, okrugs without a union) have unknown demand and
    status ``"unknown"``. ``norm_status`` compares the livestock with ``norms``
    (default the SAMPLE table, and then every status says ``(SAMPLE norms)``).

    Parameters
    ----------
    store
        Store with plots, unions, census, herds and the year's capacity.
    year
        Season year of the capacity rows; default the latest year stored.
    norms
        Load norms in hectares per head (Order 3-3/332 format); default
        `LoadNorms.sample`, which is NOT the legal table.
    region
        Region selector of the norm table (``*``: any).
    unused_threshold
        Non-use threshold for both statuses (Law 65-VIII, 2024).
    table
        Species table (intake per season); default DOMAIN.md (2024).

    Returns
    -------
    pandas.DataFrame
        The ``load`` rows plus ``area_ha``, the species head counts, ``sheep_units``
        (census heads in Kazakh sheep units), ``norm_load`` and ``norms_sample``.
    """
    norms = LoadNorms.sample() if norms is None else norms
    where = None if year is None else {"year": int(year)}
    capacity = store.read_rows("capacity", where=where)
    if capacity.empty:
        what = "any year" if year is None else f"{year}"
        raise NotFound(f"no capacity rows for {what}; run `pasture capacity` first")
    if year is None:
        year = int(capacity["year"].max())
        capacity = capacity[capacity["year"] == year]
    plots = read_plots(store)
    capacity = _with_plot_fields(capacity, plots)

    census = store.read("census")
    unions = store.read("unions")
    herds = store.read("herds")
    union_heads = census_heads(census, by="union_id") if not census.empty else _no_heads()
    okrug_of = dict(zip(unions["id"], unions["okrug_id"], strict=True))
    okrug_heads = (
        union_heads.rename(index=okrug_of).groupby(level=0).sum()
        if not union_heads.empty
        else _no_heads()
    )
    plot_heads = herd_heads(herds, by="plot_id", plots=plots) if not herds.empty else _no_heads()

    parts: list[tuple[str, pd.DataFrame, pd.DataFrame, set[str]]] = []
    plot_rows = capacity.assign(group_id=capacity["plot_id"])
    parts.append(("plot", plot_rows, plot_heads, set()))
    union_rows = aggregate_capacity(
        capacity.assign(group_id=capacity["union_id"].fillna(PUBLIC_GROUP)), by="group_id"
    )
    parts.append(("union", union_rows, union_heads, {PUBLIC_GROUP}))
    okrug_rows = aggregate_capacity(capacity.assign(group_id=capacity["okrug_id"]), by="group_id")
    without_census = set(okrug_rows["group_id"]) - set(okrug_heads.index)
    parts.append(("okrug", okrug_rows, okrug_heads, without_census))

    permitted = _permitted_heads(capacity, norms, region=region)
    frames = []
    for level, rows, heads, unknown in parts:
        loaded = stocking_load(
            rows, heads, by="group_id", table=table, unused_threshold=unused_threshold
        )
        loaded = _with_norms(
            loaded,
            permitted,
            level=level,
            plots_capacity=capacity,
            unused_threshold=unused_threshold,
            is_sample=norms.is_sample,
        )
        if unknown:
            mask = loaded["group_id"].isin(list(unknown)).to_numpy()
            for column in ("demand_kg", *(f"stocking_ratio_{b}" for b in BANDS), "norm_load"):
                loaded.loc[mask, column] = np.nan
            loaded.loc[mask, "status"] = "unknown"
            loaded.loc[mask, "norm_status"] = "unknown"
        frames.append(loaded.assign(level=level))
    result = pd.concat(frames, ignore_index=True)
    result["year"] = int(year)
    result["sheep_units"] = _sheep_units(result, table)
    result["norms_sample"] = norms.is_sample
    # demand on zero forage has no finite ratio: stored as missing, the status says overloaded
    ratios = [c for c in result.columns if c.startswith("stocking_ratio_")]
    result[ratios] = result[ratios].replace([np.inf, -np.inf], np.nan)
    store.replace_rows("load", _table_frame("load", result), where={"year": int(year)})
    first = ["level", "group_id", "year", "season"]
    return result[first + [c for c in result.columns if c not in first]]


def _no_heads() -> pd.DataFrame:
    return pd.DataFrame(columns=list(SPECIES), dtype=float)


def _sheep_units(frame: pd.DataFrame, table: SpeciesTable | None) -> np.ndarray:
    from grazing_models.livestock import sheep_units

    return np.asarray(sheep_units(frame[list(SPECIES)], table=table), dtype=float)


def _with_plot_fields(capacity: pd.DataFrame, plots: pd.DataFrame) -> pd.DataFrame:
    fields = plots[["id", "union_id", "okrug_id", "pasture_type"]].rename(columns={"id": "plot_id"})
    out = capacity.merge(fields, on="plot_id", how="left")
    missing = out["okrug_id"].isna()
    if missing.any():
        listed = ", ".join(sorted(out.loc[missing, "plot_id"].astype(str).unique())[:10])
        raise NotFound(
            f"capacity rows refer to plots that are no longer stored ({listed}); "
            "run `pasture capacity` again"
        )
    return out


def _permitted_heads(capacity: pd.DataFrame, norms: LoadNorms, *, region: str) -> pd.DataFrame:
    """Heads each plot-season may carry under the norms: ``permitted_<species>``."""
    parts = []
    for season, rows in capacity.groupby("season", sort=True):
        checked = norm_check(
            rows[["plot_id", "union_id", "okrug_id", "season", "area_ha", "pasture_type"]],
            norms,
            region=region,
            season=str(season),
        )
        parts.append(checked)
    return pd.concat(parts, ignore_index=True)


def _with_norms(
    loaded: pd.DataFrame,
    permitted: pd.DataFrame,
    *,
    level: str,
    plots_capacity: pd.DataFrame,
    unused_threshold: float,
    is_sample: bool,
) -> pd.DataFrame:
    """``norm_load`` = Σ_species heads / Σ_plots permitted heads, and its status.

    For one plot this is `grazing_models.load.norm_check`'s Σ heads × ha_per_head /
    area; for a group it sums the permitted heads of its plots, so mixed pasture
    types each keep their own norm.
    """
    key = {"plot": "plot_id", "union": "union_id", "okrug": "okrug_id"}[level]
    group = permitted[key]
    if level == "union":
        group = group.fillna(PUBLIC_GROUP)
    columns = [f"permitted_{s}" for s in SPECIES]
    sums = (
        permitted.assign(group_id=group.to_numpy())
        .groupby(["group_id", "season"], sort=False)[columns]
        .sum(min_count=1)
    )
    index = pd.MultiIndex.from_arrays([loaded["group_id"], loaded["season"]])
    allowed = sums.reindex(index).to_numpy(dtype=float)
    heads = loaded[list(SPECIES)].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(heads > 0, heads / allowed, 0.0)
    norm_load = np.where(np.isnan(allowed).all(axis=1), np.nan, np.nansum(share, axis=1))
    out = loaded.copy()
    out["norm_load"] = norm_load
    status = stocking_status(norm_load, unused_threshold=unused_threshold)
    label = " (SAMPLE norms)" if is_sample else ""
    out["norm_status"] = [s if s == "unknown" else f"{s}{label}" for s in status]
    return out


# ------------------------------------------------------------------------------ trends


def relative_to_reference(
    annual: pd.DataFrame,
    groups: pd.Series | None,
    *,
    value: str = "integrated_ndvi",
) -> pd.DataFrame:
    """Annual NDVI as a ratio to the median of its reference group in the same year.

    The trends.earth method compares a plot with "similar land" (DOMAIN.md,
    "Degradation", 2024) and removes the climate signal before testing a trend
    (RESTREND uses rainfall). Without rainfall data, the year-by-year median of
    similar plots carries the weather: dividing by it leaves what differs in the
    plot itself. ``groups`` maps plot id → group (None: one group, the district).
    """
    frame = annual.copy()
    key = (
        pd.Series("district", index=frame.index)
        if groups is None
        else frame["plot_id"].map(groups).fillna("?")
    )
    median = frame.groupby([key, frame["year"]])[value].transform("median")
    with np.errstate(divide="ignore", invalid="ignore"):
        frame[value] = frame[value] / median.where(median > 0)
    return frame


def compute_trends(
    store: Store,
    *,
    alpha: float = DEFAULT_ALPHA,
    reference: str = "pasture_type",
    min_years: int = MIN_YEARS,
    method: Literal["trapezoid", "sum"] = "trapezoid",
    min_valid_fraction: float = DEFAULT_MIN_VALID_FRACTION,
    windows: Mapping[str, SeasonWindow] = SEASON_WINDOWS,
    ndvi: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Degradation trend of every plot; replaces the ``trends`` table.

    Integrates each year's growing-season NDVI (`annual_integrated_ndvi`), divides
    it by the median of the plot's reference group that year
    (`relative_to_reference`), then tests the trend with Mann–Kendall and sizes
    it with Theil–Sen (`ndvi_trends`; trends.earth, DOMAIN.md "Degradation", 2024).
    ``reference="none"`` tests the raw integral: weather shared by the whole
    district then shows up as a trend (on the demo stack, whose generated years
    happen to get drier, 737 of 2,741 plots test "degrading" that way).

    Parameters
    ----------
    store
        Store with plots and ``ndvi_stats``.
    alpha
        Significance level, default 0.05 (trends.earth).
    reference
        ``"pasture_type"`` (default: similar land), ``"okrug"``, ``"district"`` or ``"none"``.
    min_years
        Plots with fewer valid years are ``"unknown"``; default 5 (`MIN_YEARS`).
    method
        Integration of the season (see `annual_integrated_ndvi`).
    min_valid_fraction
        Composites observed over less of the plot are ignored (default 0.5, assumption).
    windows
        Season windows; the growing season runs from spring start to autumn end.
    ndvi
        Already read ``ndvi_stats`` rows.

    Returns
    -------
    pandas.DataFrame
        The ``trends`` rows plus ``pasture_type, okrug_id, union_id, reference, s, z``;
        ``slope`` is in units of the tested series per year (a ratio to the
        reference, or NDVI·days with ``"none"``).
    """
    if reference not in TREND_REFERENCES:
        raise InvalidInput(
            "trends", [f"unknown reference {reference!r}; use one of {', '.join(TREND_REFERENCES)}"]
        )
    plots = read_plots(store)
    ndvi = read_ndvi(store) if ndvi is None else ndvi
    annual = annual_integrated_ndvi(
        ndvi, window=growing_season(windows), method=method, min_valid_fraction=min_valid_fraction
    )
    if reference != "none":
        column = {"pasture_type": "pasture_type", "okrug": "okrug_id"}.get(reference)
        groups = None if column is None else plots.set_index("id")[column]
        annual = relative_to_reference(annual, groups)
    trends = ndvi_trends(annual, alpha=alpha, min_years=min_years)
    trends["status"] = trends["status"].replace({"insufficient data": "unknown"})
    trends["alpha"] = alpha
    trends["reference"] = reference
    fields = plots[["id", "okrug_id", "union_id", "pasture_type"]].rename(columns={"id": "plot_id"})
    trends = trends.merge(fields, on="plot_id", how="left")
    store.replace_rows("trends", _table_frame("trends", trends))
    store.set_meta(
        "trends_method",
        json.dumps(
            {
                "alpha": alpha,
                "reference": reference,
                "statistic": "ratio to the reference group's median of the year"
                if reference != "none"
                else "integrated NDVI",
                "integration": method,
                "min_years": min_years,
                "min_valid_fraction": min_valid_fraction,
                "test": "Mann-Kendall (tie-corrected), Theil-Sen slope (trends.earth)",
            },
            sort_keys=True,
        ),
    )
    return trends


# ----------------------------------------------------------------------------- green-up


def compute_greenup(
    store: Store,
    *,
    fraction: float = DEFAULT_GREENUP_FRACTION,
    min_valid_fraction: float = DEFAULT_MIN_VALID_FRACTION,
    ndvi: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Green-up date of every plot and year; replaces the ``greenup`` table.

    Green-up is when NDVI rises past ``fraction`` (default 25 %) of its seasonal
    amplitude (DOMAIN.md, "Satellite NDVI", 2024; `grazing_models.seasons.greenup_dates`).
    """
    ndvi = read_ndvi(store) if ndvi is None else ndvi
    frame = _greenup_dates(ndvi, fraction=fraction, min_valid_fraction=min_valid_fraction)
    store.replace_rows("greenup", _table_frame("greenup", frame))
    return frame


# ------------------------------------------------------------------------------ the demo


@dataclass(frozen=True)
class ScienceSummary:
    """What `run_demo_science` computed and what it found."""

    year: int
    capacity_rows: int
    load_rows: int
    trend_rows: int
    greenup_rows: int
    calibration: pd.DataFrame
    degrading: tuple[str, ...]
    generated_degraded: tuple[str, ...]
    union_load: pd.DataFrame = field(repr=False)

    @property
    def detected(self) -> tuple[str, ...]:
        """Generated degraded plots that the trend test flags degrading."""
        return tuple(p for p in self.generated_degraded if p in set(self.degrading))

    @property
    def false_positives(self) -> tuple[str, ...]:
        """Plots flagged degrading that the demo did not generate with a trend."""
        generated = set(self.generated_degraded)
        return tuple(p for p in self.degrading if p not in generated)


def run_demo_science(store: Store, *, progress: Progress | None = None) -> ScienceSummary:
    """Run calibration, capacity, load, trends and green-up on the demo store.

    Uses the latest full year of the NDVI stack, the demo's generated yields for
    calibration and winter forage (air-dry, `DEMO_YIELD_BASIS`), the SAMPLE load
    norms, and compares the degrading plots with the store's
    ``demo_degraded_plots`` setting.
    """
    say = progress or (lambda _msg: None)
    say("reading NDVI statistics")
    ndvi = read_ndvi(store)
    year = latest_full_year(ndvi)
    say("calibrating biomass models on the generated yields")
    calibration = demo_biomass_models(store, ndvi=ndvi)
    say(f"capacity {year}")
    capacity = compute_capacity(
        store, year=year, models=calibration, yield_basis=DEMO_YIELD_BASIS, ndvi=ndvi
    )
    say(f"load {year}")
    load = compute_load(store, year=year)
    say("degradation trends")
    trends = compute_trends(store, ndvi=ndvi)
    say("green-up dates")
    greenup = compute_greenup(store, ndvi=ndvi)
    generated = json.loads(store.get_meta("demo_degraded_plots") or "{}")
    return ScienceSummary(
        year=year,
        capacity_rows=len(capacity),
        load_rows=len(load),
        trend_rows=len(trends),
        greenup_rows=len(greenup),
        calibration=calibration.report(),
        degrading=tuple(sorted(trends.loc[trends["status"] == "degrading", "plot_id"])),
        generated_degraded=tuple(sorted(generated)),
        union_load=load[load["level"] == "union"].reset_index(drop=True),
    )
