"""Write docs/numbers.md: every domain number the code uses, its value, source and home.

Run from the repository root::

    python scripts/domain_numbers.py            # rewrite docs/numbers.md
    python scripts/domain_numbers.py --check    # exit 1 when docs/numbers.md is stale

Values are read from the code itself (constants, parameter defaults, the packaged
tables), so the page cannot disagree with the code; tests/test_numbers.py runs the
check. A new domain default belongs in `NUMBERS` below, with its source.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "numbers.md"


@dataclass(frozen=True)
class Number:
    """One documented default: where it lives (module and attribute, or a model's field)."""

    module: str
    name: str  # an attribute, or "Model.field" for a pydantic default
    unit: str
    source: str

    def value(self) -> Any:
        mod = importlib.import_module(self.module)
        if "." in self.name:
            model, field = self.name.split(".", 1)
            return getattr(mod, model).model_fields[field].default
        return getattr(mod, self.name)


_DOMAIN = "docs/domain.md"
NUMBERS: tuple[Number, ...] = (
    Number(
        "grazing_models.capacity",
        "DEFAULT_UTILISATION",
        "share of standing crop removed",
        f"'take half, leave half' ({_DOMAIN}, Livestock units and intake)",
    ),
    Number(
        "grazing_models.capacity",
        "DEFAULT_HARVEST_EFFICIENCY",
        "share of the removal eaten",
        "Holechek, White & Hanselka 2001, Texas AgriLife E-128: ~25 % of forage eaten at "
        f"50 % use ({_DOMAIN}, Livestock units and intake)",
    ),
    Number(
        "grazing_models.biomass",
        "CENTNER_KG",
        "kg per centner",
        f"1 c/ha = 100 kg/ha (Order 189; {_DOMAIN})",
    ),
    Number(
        "grazing_models.biomass",
        "FRESH_DM_FRACTION",
        "dry-matter share of fresh forage",
        f"horse-norm check ({_DOMAIN}); assumption for any particular pasture",
    ),
    Number(
        "grazing_models.biomass",
        "AIR_DRY_DM_FRACTION",
        "dry-matter share of air-dry forage",
        "assumption: usual hay moisture 10–15 %",
    ),
    Number(
        "grazing_models.biomass",
        "DEFAULT_INTERVAL_LEVEL",
        "two-sided level",
        "convention of this project: low/high forage bands are the 90 % prediction interval",
    ),
    Number(
        "grazing_models.load",
        "UNDERUSED_SHARE",
        "share of the eaten forage (stocking ratio)",
        f"assumption: half, mirroring 'take half, leave half' ({_DOMAIN}, One forage basis, "
        "removal and the two statuses); not the law's unused-pasture rule",
    ),
    Number(
        "grazing_models.norms",
        "UNUSED_SHARE",
        "share of the permissible load",
        f"Land Code Art. 92 п.4 пп.3, 2024 wording ({_DOMAIN}, Unused pasture)",
    ),
    Number(
        "grazing_models.norms",
        "UNUSED_SHARE_BEFORE_2024",
        "share of the permissible load",
        f"the wording before 2024 ({_DOMAIN})",
    ),
    Number(
        "grazing_models.seasons",
        "DEFAULT_GREENUP_FRACTION",
        "share of seasonal NDVI amplitude",
        f"green-up at ~25 % of the amplitude ({_DOMAIN}, Satellite NDVI)",
    ),
    Number(
        "grazing_models.degradation",
        "DEFAULT_ALPHA",
        "significance level",
        f"trends.earth method ({_DOMAIN}, Degradation)",
    ),
    Number(
        "grazing_models.degradation",
        "MIN_YEARS",
        "years",
        "assumption: fewest annual values for a Mann–Kendall test",
    ),
    Number(
        "grazing_models.livestock",
        "AU_BODY_MASS_KG",
        "kg",
        f"US animal unit ({_DOMAIN}, Livestock units and intake)",
    ),
    Number(
        "grazing_models.livestock",
        "AU_INTAKE_KG_DM_DAY",
        "kg DM/day",
        f"US animal unit ({_DOMAIN})",
    ),
    Number("grazing_models.livestock", "AUM_DAYS", "days", "US convention"),
    Number(
        "pasture.science.inputs",
        "DEFAULT_MIN_VALID_FRACTION",
        "share of a plot observed",
        "assumption: half the plot observed",
    ),
    Number(
        "pasture.science.calibration",
        "MIN_CALIBRATION_SAMPLES",
        "samples",
        "assumption: fewer samples per pasture type use the pooled model",
    ),
    Number(
        "pasture.planning.params",
        "DEFAULT_MIGRATION_KM",
        "km",
        f"assumption from the demo's distances to the jailau ({_DOMAIN}, Seasons)",
    ),
    Number(
        "pasture.planning.params",
        "DEFAULT_FLOCK_HEADS",
        "head of one species per flock",
        f"assumption: no source found ({_DOMAIN}, Census → herds); the demo's herds too",
    ),
    Number(
        "grazing_models.seasons",
        "DEFAULT_PERIOD_DAYS",
        "days per planning period",
        f"plans in weeks ({_DOMAIN}, Rotation rules); season days are whole weeks (Seasons)",
    ),
    Number(
        "pasture.planning.params",
        "PlanningParams.harvest_efficiency",
        "share of the removal eaten",
        "DEFAULT_HARVEST_EFFICIENCY (one value)",
    ),
    Number(
        "pasture.planning.params",
        "PlanningParams.regrowth_per_week",
        "share of the stand per week",
        f"off: no sourced regrowth model ({_DOMAIN}, Seasons)",
    ),
    Number(
        "pasture.planning.params",
        "PlanningParams.max_ndvi_gap_days",
        "days",
        "assumption: two 16-day MODIS composites and a week",
    ),
    Number(
        "grazing_models.rotation",
        "RotationParams.utilisation",
        "share of standing crop removed",
        "DEFAULT_UTILISATION (the same value)",
    ),
    Number(
        "grazing_models.rotation.model",
        "DEFAULT_MIN_REST_DAYS_BY_SEASON",
        "days per season",
        f"spring 20, summer 45, autumn 30 ({_DOMAIN}, Rotation rules); winter 30 an assumption",
    ),
    Number(
        "grazing_models.rotation.model",
        "DEFAULT_MAX_STAY_DAYS_BY_SEASON",
        "days per grazing spell",
        f"assumption ({_DOMAIN}, Rotation rules)",
    ),
    Number("grazing_models.rotation", "RotationParams.max_move_km", "km", "assumption"),
    Number("grazing_models.rotation", "RotationParams.max_water_km", "km", "assumption"),
    Number(
        "grazing_models.rotation",
        "RotationParams.intake_kg_dm_per_su_day",
        "kg DM/day",
        "sheep intake (grazing_models/data/species.csv); deficits in forage-equivalent sheep",
    ),
)


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value)


def _species_rows() -> list[str]:
    from grazing_models.livestock import default_species_table

    rows = []
    for sp in default_species_table().species:
        rows.append(
            f"| {sp.species} | {_fmt(sp.sheep_units)} | {_fmt(sp.intake_kg_dm_day)} | "
            f"{_fmt(sp.intake_summer)} | {_fmt(sp.intake_winter)} | {sp.source} |"
        )
    return rows


def render() -> str:
    """The page, from the code's current values."""
    from grazing_models.norms import NormTable

    lines = [
        "# The domain numbers the code uses",
        "",
        "Generated by `python scripts/domain_numbers.py` from the code's own values; "
        "`tests/test_numbers.py` fails when this page is stale. Sources are cited in "
        "[`domain.md`](domain.md); *assumption* marks a number without one. Every number "
        "is a configurable default: the column *where* names its home.",
        "",
        "## Defaults",
        "",
        "| value | unit | source | where |",
        "|---|---|---|---|",
    ]
    for n in NUMBERS:
        lines.append(f"| {_fmt(n.value())} | {n.unit} | {n.source} | `{n.module}.{n.name}` |")
    lines += [
        "",
        "## Species: Kazakh sheep units and intake",
        "",
        "One sheep-unit definition everywhere a *sheep unit* is shown: the Kazakh "
        "coefficients below (they match the species ratios of Order 3-3/332). Figures "
        "counted by forage (capacity ÷ a sheep's intake) are *forage-equivalent sheep*. "
        "Home: `grazing_models/data/species.csv` (read by `grazing_models.livestock`).",
        "",
        "| species | sheep units | intake kg DM/day | summer | winter | source |",
        "|---|---|---|---|---|---|",
        *_species_rows(),
        "",
        "## Tables",
        "",
    ]
    annex = NormTable.annex()
    lines.append(
        f"- Load norms of Order 3-3/332: {len(annex)} rows, `{annex.source}` "
        f"(`grazing_models.norms.NormTable.annex`); {annex.label}."
    )
    lines += [
        "- Season windows: `grazing_models.seasons.SEASON_WINDOWS` "
        f"({_DOMAIN}, Seasons; day bounds assumed).",
        "- NDVI→biomass: no default model. Each district calibrates its one forage basis "
        "(`pasture calibrate`, stored in the store with R², RMSE, n and its prediction "
        "interval); the demo's is calibrated on GENERATED survey yields.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the page is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is stale: run python scripts/domain_numbers.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
