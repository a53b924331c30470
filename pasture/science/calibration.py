"""NDVI→biomass models calibrated per pasture type against geobotanical yields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from grazing_models.biomass import (
    BiomassModels,
    BiomassPredictor,
    Calibration,
    Form,
    calibrate,
    yield_cha_to_kg_dm_ha,
)
from grazing_models.capacity import DEFAULT_NDVI_SEASONS, seasonal_ndvi
from grazing_models.seasons import SEASON_WINDOWS, SeasonWindow

from ..errors import InvalidInput
from .inputs import DEFAULT_MIN_VALID_FRACTION

__all__ = [
    "DEMO_CALIBRATION_NOTE",
    "DEMO_YIELD_BASIS",
    "MIN_CALIBRATION_SAMPLES",
    "BiomassCalibration",
    "YieldBasis",
    "calibrate_biomass_models",
    "calibration_samples",
]

#: Basis of the demo's generated geobotanical yields: air-dry c/ha (`pasture.demo`,
#: "Generated geobotanical yields, air-dry c/ha"). Real surveys differ: say which.
DEMO_YIELD_BASIS: Literal["air_dry"] = "air_dry"
#: How the demo's forage basis describes its yields: GENERATED, never survey data.
DEMO_CALIBRATION_NOTE = (
    "GENERATED demo geobotanical yields (air-dry c/ha, pasture.demo) against seasonal peak "
    "NDVI of the generated stack; not survey data"
)
#: Smallest calibration sample for a per-pasture-type model; types with fewer samples
#: use the model pooled over all types (an *assumption*).
MIN_CALIBRATION_SAMPLES: int = 10

YieldBasis = Literal["fresh", "air_dry", "dry"]


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
    (``yield_<season>_cha``, c/ha; docs/domain.md, Order 189, 2022). It is converted to
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

    docs/domain.md ("NDVI to biomass", 2024): no published equation exists for Kazakh
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
