"""The district's one forage basis: its NDVI→biomass calibration, stored in the store.

Capacity, load, the planner, maps, exports and notebooks read forage through this
basis and nothing else (issue 16: two models that disagreed 0.6–2.95× on the same
plot and season). A basis holds, per pasture type, the model form, coefficients,
R², RMSE, n, residual σ and parameter covariance (the prediction interval), the
calibration samples, what the yields were weighed as, how NDVI was summarised, who
calibrated it and when, and whether the survey data were GENERATED (the demo's).

It is stored as the store setting ``forage_basis`` (JSON), copied with the store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

import pandas as pd

from grazing_models.biomass import DEFAULT_INTERVAL_LEVEL, BiomassModels, Calibration, Form
from grazing_models.capacity import DEFAULT_NDVI_SEASONS

from ..errors import InvalidInput, NotFound
from ..store.base import Store
from .calibration import (
    DEMO_CALIBRATION_NOTE,
    DEMO_YIELD_BASIS,
    MIN_CALIBRATION_SAMPLES,
    BiomassCalibration,
    YieldBasis,
    calibrate_biomass_models,
)
from .inputs import DEFAULT_MIN_VALID_FRACTION, read_ndvi, read_plots

__all__ = [
    "FORAGE_BASIS_SETTING",
    "ForageBasis",
    "calibrate_demo_basis",
    "calibrate_forage_basis",
    "read_forage_basis",
    "save_forage_basis",
]

#: The store setting that holds the forage basis (JSON).
FORAGE_BASIS_SETTING = "forage_basis"
#: Version of the stored document.
_VERSION = 1
_SAMPLE_COLUMNS = ["pasture_type", "plot_id", "season", "ndvi", "biomass"]


@dataclass(frozen=True, eq=False)
class ForageBasis:
    """One district's NDVI→biomass calibration and how it was made.

    Attributes
    ----------
    calibration
        The models per pasture type with their fit statistics and samples.
    yield_basis, yield_dm_fraction
        What the survey weighed (fresh, air-dry, dry) and its dry-matter fraction
        (None: the default of `grazing_models.biomass.yield_cha_to_kg_dm_ha`). Seasons
        without NDVI (winter) take their forage from the yields on this basis.
    ndvi_statistic, min_valid_fraction
        How a season's composites were summarised for the calibration; capacity and
        the planner summarise them the same way.
    level
        Two-sided level of the prediction interval behind every low/high figure.
    generated
        True when the survey data are generated (the demo): shown wherever it is.
    calibrated_at, calibrated_by
        When and by whom.
    """

    calibration: BiomassCalibration
    yield_basis: YieldBasis
    yield_dm_fraction: float | None = None
    ndvi_statistic: Literal["max", "mean", "median"] = "max"
    min_valid_fraction: float = DEFAULT_MIN_VALID_FRACTION
    level: float = DEFAULT_INTERVAL_LEVEL
    generated: bool = False
    calibrated_at: str = ""
    calibrated_by: str = ""

    @property
    def models(self) -> BiomassModels:
        """The models per pasture type (pooled model for the other types)."""
        return self.calibration.models

    @property
    def id(self) -> str:
        """A short digest of the stored document: capacity rows name the basis they used."""
        text = json.dumps(self._doc_without_id(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def label(self) -> str:
        """One line for pages, tables and the command line; says GENERATED when it is."""
        pooled = self.calibration.calibrations["*"]
        kind = "GENERATED demo survey" if self.generated else "survey"
        return (
            f"forage basis {self.id}: {pooled.form} NDVI→biomass per pasture type, calibrated "
            f"on {pooled.n} {kind} samples ({self.yield_basis}), pooled R² {pooled.r2:.2f}, "
            f"RMSE {pooled.rmse:.0f} kg DM/ha, {self.level:.0%} prediction interval"
        )

    def _doc_without_id(self) -> dict[str, Any]:
        samples = self.calibration.samples[_SAMPLE_COLUMNS]
        return {
            "version": _VERSION,
            "description": self.calibration.description,
            "generated": self.generated,
            "yield_basis": self.yield_basis,
            "yield_dm_fraction": self.yield_dm_fraction,
            "ndvi_statistic": self.ndvi_statistic,
            "min_valid_fraction": self.min_valid_fraction,
            "level": self.level,
            "calibrated_at": self.calibrated_at,
            "calibrated_by": self.calibrated_by,
            "calibrations": {k: c.summary() for k, c in self.calibration.calibrations.items()},
            "samples": samples.astype(object).values.tolist(),
        }

    def doc(self) -> dict[str, Any]:
        """The stored JSON document (with ``id``)."""
        return {"id": self.id, **self._doc_without_id()}

    def summary(self) -> dict[str, Any]:
        """The document without its samples (for capacity rows, plans and the API)."""
        doc = self.doc()
        doc["n_samples"] = len(doc.pop("samples"))
        doc["label"] = self.label
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> ForageBasis:
        """The basis back from its stored document."""
        calibrations = {
            str(k): Calibration.from_summary(v) for k, v in dict(doc["calibrations"]).items()
        }
        if "*" not in calibrations:
            raise ValueError("a stored forage basis lacks its pooled calibration '*'")
        per_type = {k: c for k, c in calibrations.items() if k != "*"}
        samples = pd.DataFrame(list(doc.get("samples", [])), columns=_SAMPLE_COLUMNS)
        calibration = BiomassCalibration(
            models=BiomassModels(models=per_type, default=calibrations["*"]),
            calibrations=calibrations,
            samples=samples,
            description=str(doc.get("description", "")),
        )
        return cls(
            calibration=calibration,
            yield_basis=cast(YieldBasis, doc["yield_basis"]),
            yield_dm_fraction=doc.get("yield_dm_fraction"),
            ndvi_statistic=doc.get("ndvi_statistic", "max"),
            min_valid_fraction=float(doc.get("min_valid_fraction", DEFAULT_MIN_VALID_FRACTION)),
            level=float(doc.get("level", DEFAULT_INTERVAL_LEVEL)),
            generated=bool(doc.get("generated", False)),
            calibrated_at=str(doc.get("calibrated_at", "")),
            calibrated_by=str(doc.get("calibrated_by", "")),
        )


def save_forage_basis(store: Store, basis: ForageBasis) -> None:
    """Store the basis as the district's one forage basis (replacing any earlier one)."""
    store.set_meta(FORAGE_BASIS_SETTING, json.dumps(basis.doc(), default=str))


def read_forage_basis(store: Store) -> ForageBasis:
    """The store's forage basis.

    Raises
    ------
    NotFound
        When the store has none: says how to calibrate one.
    InvalidInput
        When the stored document cannot be read.
    """
    text = store.get_meta(FORAGE_BASIS_SETTING)
    if not text:
        raise NotFound(
            "the store has no forage basis (NDVI→biomass calibration): calibrate one from "
            "the plots' geobotanical yields with `pasture calibrate --yield-basis "
            "fresh|air_dry|dry` (or POST /science/calibration as an akimat user)"
        )
    try:
        return ForageBasis.from_doc(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(
            f"store setting {FORAGE_BASIS_SETTING}",
            [f"the stored forage basis cannot be read ({exc}); calibrate again"],
        ) from None


def calibrate_forage_basis(
    store: Store,
    *,
    yield_basis: YieldBasis,
    user: str,
    form: Form = "linear",
    yield_dm_fraction: float | None = None,
    seasons: Sequence[str] = DEFAULT_NDVI_SEASONS,
    years: Sequence[int] | None = None,
    min_samples: int = MIN_CALIBRATION_SAMPLES,
    min_valid_fraction: float = DEFAULT_MIN_VALID_FRACTION,
    level: float = DEFAULT_INTERVAL_LEVEL,
    generated: bool = False,
    description: str = "",
    ndvi: pd.DataFrame | None = None,
) -> ForageBasis:
    """Calibrate the district's forage basis on its plots' yields and NDVI, and store it.

    The plots' geobotanical yields (``yield_<season>_cha``, c/ha; docs/domain.md, Order
    189) are paired with each plot's seasonal peak NDVI and one model is fitted per
    pasture type (`calibrate_biomass_models`). The result replaces the store's basis;
    recompute capacity afterwards (`pasture capacity`).

    Parameters
    ----------
    store
        Store with plots (and their yields) and ``ndvi_stats``.
    yield_basis, yield_dm_fraction
        What the survey weighed; no default (surveys differ: say which).
    user
        Recorded as who calibrated.
    form, seasons, years, min_samples, min_valid_fraction
        See `calibrate_biomass_models`.
    level
        Level of the prediction interval (default 0.9).
    generated
        Whether the yields are generated (the demo): the basis says so wherever shown.
    description
        Where the yields come from.
    ndvi
        Already read ``ndvi_stats`` rows.
    """
    if not 0 < level < 1:
        raise InvalidInput("level", [f"the interval level must lie in (0, 1), got {level}"])
    plots = read_plots(store)
    ndvi = read_ndvi(store) if ndvi is None else ndvi
    calibration = calibrate_biomass_models(
        plots,
        ndvi,
        yield_basis=yield_basis,
        yield_dm_fraction=yield_dm_fraction,
        form=form,
        seasons=seasons,
        years=years,
        min_samples=min_samples,
        min_valid_fraction=min_valid_fraction,
        description=description,
    )
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    basis = ForageBasis(
        calibration=calibration,
        yield_basis=yield_basis,
        yield_dm_fraction=yield_dm_fraction,
        min_valid_fraction=min_valid_fraction,
        level=level,
        generated=generated,
        calibrated_at=now,
        calibrated_by=user,
    )
    save_forage_basis(store, basis)
    return basis


def calibrate_demo_basis(
    store: Store, *, form: Form = "linear", ndvi: pd.DataFrame | None = None
) -> ForageBasis:
    """Calibrate and store the demo district's forage basis on its GENERATED yields.

    The demo's yields (``yield_<season>_cha``, air-dry c/ha) are generated by
    `pasture.demo` from the generated NDVI with lognormal scatter
    (`pasture.demo.SurveyRelation`): a real use of the calibration on generated
    survey data, labelled GENERATED wherever the basis is shown, not a calibration
    of any real pasture.
    """
    return calibrate_forage_basis(
        store,
        yield_basis=DEMO_YIELD_BASIS,
        user="demo",
        form=form,
        generated=True,
        description=DEMO_CALIBRATION_NOTE,
        ndvi=ndvi,
    )
