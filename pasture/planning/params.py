"""How the store's data become planner inputs (PlanningParams), its defaults, and PlanRejected.

The default biomass models (:data:`DEMO_BIOMASS_MODELS`) are *assumptions*
sized for the generated demo district; a real district must configure its own
(docs/domain.md, NDVI to biomass: no published equation for Kazakh mountain pastures).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from grazing_models.biomass import BiomassModel, Exponential, Linear, Power, Quadratic
from grazing_models.livestock import SpeciesTable, default_species_table
from grazing_models.rotation import Violation
from grazing_models.rotation.model import (
    DEFAULT_MAX_STAY_DAYS_BY_SEASON,
    DEFAULT_MIN_REST_DAYS_BY_SEASON,
)
from grazing_models.seasons import SEASON_WINDOWS, SeasonWindow

from ..errors import PastureError
from ..model import SEASONS

__all__ = [
    "DEFAULT_MAX_STAY_DAYS_BY_SEASON",
    "DEFAULT_MIGRATION_KM",
    "DEFAULT_MIN_REST_DAYS_BY_SEASON",
    "DEMO_BIOMASS_MODELS",
    "MAX_MILP_PAIRS",
    "PlanRejected",
    "PlanningParams",
]

#: ``solver="milp"`` is refused above this many herd x plot x period pairs. Measured on
#: the demo district (2024 season, 129 herds, 2,741 plots, 29 weeks): at 114k pairs
#: the model (2.5 M nonzeros, 2.3 GB) builds in 1 s and HiGHS stays at the warm
#: start for 60 s; at 3.2 M pairs its move constraints alone would need ~4e8
#: nonzeros (over 10 GB) and the build runs out of memory.
MAX_MILP_PAIRS = 200_000

#: Longest move into the first week of a new season, km: herds migrate along the
#: transhumance routes then and reach the Asy plateau in May (docs/domain.md, Seasons).
#: An assumption: the demo's foothill pastures lie 20-100 km from the jailau.
DEFAULT_MIGRATION_KM = 100.0

# NDVI of bare soil and dormant pasture: biomass is zero at and below it. An
# *assumption*, matching the demo's winter NDVI (0.08-0.10) and the usual
# bare-soil NDVI of ~0.1.
_BARE_NDVI = 0.1


def _demo_linear(kg_ha: float, at_ndvi: float, *, source: str) -> Linear:
    """A linear model through (bare soil NDVI, 0) and (``at_ndvi``, ``kg_ha``), capped at 1.5×."""
    a = round(kg_ha / (at_ndvi - _BARE_NDVI), -1)
    return Linear(a=a, b=-a * _BARE_NDVI, max_kg_ha=round(1.5 * kg_ha, -1), source=source)


#: Default NDVI → biomass models (kg DM/ha) per pasture type of the demo district.
#: Linear ``a·ndvi + b``, zero at NDVI 0.1 (bare soil, *assumption*), passing
#: through a reference magnitude at the median peak NDVI of that type in the
#: demo's generated NDVI, and capped at 1.5 times that magnitude. The magnitudes
#: come from docs/domain.md (2024): semi-desert peak 1,370 kg DM/ha (Dzhanybek);
#: high-mountain summer pasture 400-500 kg/ha (450 used); foothill and mountain
#: meadow steppe 875 kg DM/ha, the horse-norm check (3.5 t/ha fresh July yield
#: at 25% dry matter). They are *assumptions* for the generated demo, not a
#: calibration: configure :attr:`PlanningParams.biomass_models` per district.
DEMO_BIOMASS_MODELS: Mapping[str, Linear] = {
    "semi_desert": _demo_linear(
        1370.0,
        0.40,
        source="demo assumption: 1,370 kg DM/ha at NDVI 0.40 (Dzhanybek semi-desert peak, docs/domain.md 2024)",
    ),
    "foothill_steppe": _demo_linear(
        875.0,
        0.52,
        source="demo assumption: 875 kg DM/ha at NDVI 0.52 (horse-norm check 3.5 t/ha fresh x 0.25, docs/domain.md 2024)",
    ),
    "mountain_meadow_steppe": _demo_linear(
        875.0,
        0.62,
        source="demo assumption: 875 kg DM/ha at NDVI 0.62 (horse-norm check 3.5 t/ha fresh x 0.25, docs/domain.md 2024)",
    ),
    "alpine_meadow": _demo_linear(
        450.0,
        0.62,
        source="demo assumption: 450 kg DM/ha at NDVI 0.62 (high-mountain summer 4-5 c/ha, docs/domain.md 2024)",
    ),
}


def _default_models() -> dict[str, Linear | Exponential | Power | Quadratic]:
    return dict(DEMO_BIOMASS_MODELS)


def _default_windows() -> dict[str, tuple[tuple[int, int], tuple[int, int]]]:
    return {name: (w.start, w.end) for name, w in SEASON_WINDOWS.items()}


class PlanningParams(BaseModel):
    """How the store's data become planner inputs; stored with every plan.

    Attributes
    ----------
    seasons
        Seasons of the grazing year the plan covers: spring, summer and autumn.
        Winter pasture is not grazed in a growing-season plan (its forage is
        dormant standing crop that NDVI does not measure; see
        ``grazing_models.capacity.DEFAULT_NDVI_SEASONS``).
    windows
        Season windows as ``{season: ((month, day), (month, day))}``; default
        ``grazing_models.seasons.SEASON_WINDOWS`` (docs/domain.md, Seasons; day
        bounds assumed). Where two windows overlap (September: summer and
        autumn) a week takes the season that began last (autumn: herds come
        down), like ``grazing_models.rotation.instances.season_of``.
    biomass_models
        NDVI → biomass model (kg DM/ha) per pasture type; default
        :data:`DEMO_BIOMASS_MODELS` (assumptions for the demo district).
    default_biomass_model
        Model for pasture types without their own; ``None``: such plots are an
        error that names them.
    ndvi_year
        Year whose NDVI gives the forage; default the season year itself. Plan
        the coming season from last year's NDVI by setting it.
    min_valid_fraction
        NDVI composites whose valid fraction is below this are ignored
        (docs/domain.md, Satellite NDVI: every value comes with its valid fraction).
        Default 0.0, as ``grazing_models.capacity.plot_capacity``.
    max_ndvi_gap_days
        A week farther than this from any valid composite of its plot has no
        NDVI estimate; its forage is 0 and the plot is counted in the plan's
        summary. Default 40 days: two 16-day MODIS composites and a week.
    regrowth_per_week
        Regrowth per week as a share of the week's green biomass (from NDVI),
        repaying earlier grazing. Default 0.10, an *assumption* read from the
        rest periods of docs/domain.md (Seasons: 20-60 days of rest let a sward
        recover a 50% take, i.e. roughly 10% of the stand per week).
    cured_loss_per_week
        NDVI sees green biomass only; after the peak the forage cures and stays
        standing (docs/domain.md: winter pasture is grazed as dormant standing crop).
        The standing forage of a week is the larger of its green biomass and the
        previous week's standing forage less this share (weathering and
        trampling). Default 0.05, an *assumption*; 1.0 uses green biomass only.
    degradation_scores
        Degradation score in [0, 1] per ``trends.status``; default degrading 1,
        everything else 0. Plots without a trend score 0.
    livestock_factor
        Scenario factor on every herd's head counts: 0.8 is 20% destocking.
    species_overrides
        Changes to the species table, e.g. ``{"camels": {"sheep_units": 6}}``
        (``grazing_models.livestock.SpeciesTable.with_overrides``).
    unions
        Plan only these unions' herds (``None``: all); their plots and public
        pasture are used.
    greenup_spring
        Start each plot's spring at its green-up date in the ``greenup`` table (of
        the NDVI year, moved into the season year) where it has one, else at the
        calendar window (docs/domain.md, Satellite NDVI: grazing readiness). The
        plan's summary counts the plots of each kind. Default ``True``.

    The rotation rules' defaults (rest and longest stay per season) are
    :data:`DEFAULT_MIN_REST_DAYS_BY_SEASON` and :data:`DEFAULT_MAX_STAY_DAYS_BY_SEASON`,
    re-exported here from ``grazing_models.rotation.model``, their one home: the
    planner's parameters (``RotationParams``) take them as defaults.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seasons: tuple[str, ...] = ("spring", "summer", "autumn")
    windows: dict[str, tuple[tuple[int, int], tuple[int, int]]] = Field(
        default_factory=_default_windows
    )
    biomass_models: dict[str, BiomassModel] = Field(default_factory=_default_models)
    default_biomass_model: BiomassModel | None = None
    ndvi_year: int | None = None
    min_valid_fraction: float = Field(default=0.0, ge=0.0, le=1.0)
    max_ndvi_gap_days: float = Field(default=40.0, gt=0.0)
    regrowth_per_week: float = Field(default=0.10, ge=0.0, le=1.0)
    cured_loss_per_week: float = Field(default=0.05, ge=0.0, le=1.0)
    degradation_scores: dict[str, float] = Field(
        default_factory=lambda: {"degrading": 1.0, "stable": 0.0, "improving": 0.0, "unknown": 0.0}
    )
    livestock_factor: float = Field(default=1.0, gt=0.0)
    species_overrides: dict[str, dict[str, float]] = Field(default_factory=dict)
    unions: tuple[str, ...] | None = None
    greenup_spring: bool = Field(
        default=True,
        description="Start each plot's spring at its green-up date from NDVI where the "
        "greenup table has one, else at the calendar's spring window",
    )

    @field_validator("seasons")
    @classmethod
    def _known_seasons(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("seasons must not be empty")
        bad = [s for s in value if s not in SEASONS]
        if bad:
            raise ValueError(f"unknown season(s) {bad}; use {', '.join(SEASONS)}")
        return value

    @field_validator("degradation_scores")
    @classmethod
    def _scores_in_range(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not 0.0 <= v <= 1.0}
        if bad:
            raise ValueError(f"degradation scores must lie in [0, 1]: {bad}")
        return value

    @model_validator(mode="after")
    def _windows_for_seasons(self) -> PlanningParams:
        missing = [s for s in self.seasons if s not in self.windows]
        if missing:
            raise ValueError(f"no window for season(s) {missing}")
        for name, (start, end) in self.windows.items():
            SeasonWindow(name, tuple(start), tuple(end))  # type: ignore[arg-type]
        return self

    def season_windows(self) -> dict[str, SeasonWindow]:
        """The windows as ``grazing_models.seasons.SeasonWindow`` objects."""
        return {
            name: SeasonWindow(name, tuple(start), tuple(end))  # type: ignore[arg-type]
            for name, (start, end) in self.windows.items()
        }

    def species_table(self) -> SpeciesTable:
        """The species table with :attr:`species_overrides` applied."""
        table = default_species_table()
        return table.with_overrides(self.species_overrides) if self.species_overrides else table


class PlanRejected(PastureError):
    """The solver returned a plan that breaks a rule; nothing was stored.

    This is a bug in the planner, not in the input: the message lists the
    violations so that it can be reported.
    """

    max_listed = 20

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        listed = "\n".join(
            f"  - {v.rule}: {v.message}"
            + "".join(
                f" ({k} {val})"
                for k, val in (("herd", v.herd_id), ("plot", v.plot_id), ("period", v.period))
                if val is not None
            )
            for v in self.violations[: self.max_listed]
        )
        more = len(self.violations) - self.max_listed
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(
            f"the planner's plan breaks {len(self.violations)} rule(s); it was not stored "
            f"(a planner bug: please report it)\n{listed}{tail}"
        )
