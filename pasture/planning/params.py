"""How the store's data become planner inputs (PlanningParams), its defaults, and PlanRejected.

Forage comes from the store's one forage basis (``pasture.science.forage_basis``),
the same computation as the capacity table (``pasture.science.capacity.season_forage``):
the planner has no biomass model of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from grazing_models.capacity import DEFAULT_HARVEST_EFFICIENCY
from grazing_models.livestock import SpeciesTable, default_species_table
from grazing_models.rotation import Violation
from grazing_models.rotation.model import (
    DEFAULT_MAX_STAY_DAYS_BY_SEASON,
    DEFAULT_MIN_REST_DAYS_BY_SEASON,
)
from grazing_models.seasons import GROWING_SEASONS, SEASON_WINDOWS, SeasonWindow

from ..errors import PastureError
from ..model import SEASONS, SPECIES

__all__ = [
    "DEFAULT_FLOCK_HEADS",
    "DEFAULT_MAX_STAY_DAYS_BY_SEASON",
    "DEFAULT_MIGRATION_KM",
    "DEFAULT_MIN_REST_DAYS_BY_SEASON",
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

#: Most head of one species moved together in a flock or herd, the size a village's
#: livestock on distant pasture is split into (``PlanningParams.flock_heads``). An
#: *assumption* (docs/domain.md, Census → herds): no source on flock sizes in Almaty oblast
#: is in this repository; the demo's union herds are generated with the same sizes.
DEFAULT_FLOCK_HEADS: dict[str, int] = {
    "sheep": 600,
    "goats": 600,
    "cattle": 120,
    "horses": 80,
    "camels": 50,
}

#: Longest move into the first week of a new season, km: herds migrate along the
#: transhumance routes then and reach the Asy plateau in May (docs/domain.md, Seasons).
#: An assumption: the demo's foothill pastures lie 20-100 km from the jailau.
DEFAULT_MIGRATION_KM = 100.0


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
    forage_band
        Which band of the forage basis's prediction interval the plan grazes:
        ``"central"`` (default), or ``"low"`` for a cautious plan. Recorded with
        the plan. The season's standing crop of each plot is the capacity table's
        (``pasture.science.capacity.season_forage``).
    harvest_efficiency
        Eaten share of the removal the utilisation allows (eaten, trampled,
        soiled): the planner's herds may *eat* utilisation × harvest efficiency
        of the standing crop. Default 0.5 (Holechek, White & Hanselka 2001, Texas
        AgriLife E-128; docs/domain.md, Livestock units and intake).
    ndvi_year
        Year whose NDVI gives the forage; default the season year itself. Plan
        the coming season from last year's NDVI by setting it.
    min_valid_fraction
        NDVI composites whose valid fraction is below this are ignored in the
        weekly green-up shape (docs/domain.md, Satellite NDVI: every value comes
        with its valid fraction). Default 0.0; the season's forage itself follows
        the forage basis's own threshold.
    max_ndvi_gap_days
        A week farther than this from any valid composite of its plot has no
        NDVI estimate: until the season's first estimate its forage is 0; after
        it, the standing crop reached stays. Default 40 days: two 16-day MODIS
        composites and a week.
    regrowth_per_week
        Regrowth per week as a share of the week's standing crop, repaying
        earlier grazing. Default 0.0, off: docs/domain.md (Seasons) asks for a
        source before regrowth enters a plan, and none is cited. A value > 0 is
        an *assumption* the plan records and prints.
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
    flock_heads
        Most head of each species in one flock: the livestock of a village's households
        sent to distant pasture is split by species, then into flocks of at most this
        many head, each planned on its own. Default :data:`DEFAULT_FLOCK_HEADS` (sheep and
        goats 600, cattle 120, horses 80, camels 50), an assumption: no source was found.

    The rotation rules' defaults (rest and longest stay per season) are
    :data:`DEFAULT_MIN_REST_DAYS_BY_SEASON` and :data:`DEFAULT_MAX_STAY_DAYS_BY_SEASON`,
    re-exported here from ``grazing_models.rotation.model``, their one home: the
    planner's parameters (``RotationParams``) take them as defaults.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seasons: tuple[str, ...] = GROWING_SEASONS
    windows: dict[str, tuple[tuple[int, int], tuple[int, int]]] = Field(
        default_factory=_default_windows
    )
    forage_band: Literal["low", "central", "high"] = "central"
    harvest_efficiency: float = Field(default=DEFAULT_HARVEST_EFFICIENCY, gt=0.0, le=1.0)
    ndvi_year: int | None = None
    min_valid_fraction: float = Field(default=0.0, ge=0.0, le=1.0)
    max_ndvi_gap_days: float = Field(default=40.0, gt=0.0)
    regrowth_per_week: float = Field(default=0.0, ge=0.0, le=1.0)
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
    flock_heads: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_FLOCK_HEADS))

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

    @field_validator("flock_heads")
    @classmethod
    def _flock_of_every_species(cls, value: dict[str, int]) -> dict[str, int]:
        wrong = sorted(set(value) ^ set(SPECIES))
        if wrong:
            raise ValueError(f"flock_heads needs exactly the species {', '.join(SPECIES)}")
        small = {k: v for k, v in value.items() if v < 1}
        if small:
            raise ValueError(f"a flock holds at least one head: {small}")
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
