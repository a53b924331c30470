"""Commands of the grazing science: ``calibrate``, ``capacity``, ``load`` and ``trends``.

Plain `click.command` objects; the main group registers them
(``main.add_command(capacity)``) and maps domain errors to exit codes. Each
command writes its result table to the store and prints a summary.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd
from rich.table import Table

from grazing_models.biomass import DEFAULT_INTERVAL_LEVEL
from grazing_models.capacity import (
    BANDS,
    DEFAULT_HARVEST_EFFICIENCY,
    DEFAULT_UTILISATION,
    aggregate_capacity,
)
from grazing_models.degradation import DEFAULT_Q, MIN_YEARS
from grazing_models.norms import UNUSED_SHARE, UNUSED_WORDING, NormTable

from .. import science
from ..errors import InvalidInput, NotFound
from ..science.load import parse_norm_rows
from .common import open_url, out, store_option

__all__ = ["calibrate_command", "capacity", "load", "trends"]


_FORMS = ["linear", "exponential", "power", "quadratic"]


def _num(value: Any, fmt: str = ",.0f") -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    if np.isnan(v):
        return "–"
    if np.isinf(v):
        return "∞"
    return format(v, fmt)


@click.command("calibrate")
@store_option
@click.option(
    "--yield-basis",
    type=click.Choice(["auto", "fresh", "air_dry", "dry"]),
    default="auto",
    show_default=True,
    help="what the plots' geobotanical yields weigh; auto: air_dry for the demo store "
    "(its GENERATED yields), else give it",
)
@click.option(
    "--form",
    type=click.Choice(_FORMS),
    default="linear",
    show_default=True,
    help="model form to calibrate",
)
@click.option(
    "--level",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=DEFAULT_INTERVAL_LEVEL,
    show_default=True,
    help="level of the prediction interval behind every low/high forage figure",
)
@click.option("--user", default="cli", show_default=True, help="recorded as who calibrated")
def calibrate_command(store_url: str, yield_basis: str, form: str, level: float, user: str) -> None:
    """Calibrate the district's one forage basis (NDVI→biomass) on the plots' yields; store it.

    Capacity, load, the planner, maps and exports all read this basis. Run
    `pasture capacity` afterwards: stored capacity rows name the basis they used.
    """
    with open_url(store_url) as store:
        demo = bool(store.get_meta("demo"))
        if yield_basis == "auto":
            if not demo:
                raise click.UsageError(
                    "give --yield-basis fresh, air_dry or dry: what the survey weighed"
                )
            basis = science.calibrate_demo_basis(store, form=form)  # type: ignore[arg-type]
        else:
            basis = science.calibrate_forage_basis(
                store,
                yield_basis=yield_basis,  # type: ignore[arg-type]
                user=user,
                form=form,  # type: ignore[arg-type]
                level=level,
                generated=demo,
                description=science.DEMO_CALIBRATION_NOTE if demo else "",
            )
    _print_calibration(basis.calibration)
    out.print(basis.label)
    out.print("stored as the store's forage basis; run `pasture capacity` to use it")


@click.command("capacity")
@store_option
@click.option(
    "--year", type=int, help="season year (default: the latest full year of the NDVI stack)"
)
@click.option(
    "--utilisation",
    type=click.FloatRange(0, 1),
    default=DEFAULT_UTILISATION,
    show_default=True,
    help="allowable removal (eaten, trampled, soiled), 'take half, leave half' (docs/domain.md)",
)
@click.option(
    "--harvest-efficiency",
    type=click.FloatRange(0, 1, min_open=True),
    default=DEFAULT_HARVEST_EFFICIENCY,
    show_default=True,
    help="eaten share of the removal (Holechek et al. 2001; docs/domain.md)",
)
def capacity(
    store_url: str, year: int | None, utilisation: float, harvest_efficiency: float
) -> None:
    """Compute forage and carrying capacity of every plot and season through the forage basis."""
    with open_url(store_url) as store:
        basis = science.read_forage_basis(store)
        rows = science.compute_capacity(
            store, year=year, utilisation=utilisation, harvest_efficiency=harvest_efficiency
        )
    year_done = int(rows["year"].iat[0]) if len(rows) else year
    groups = aggregate_capacity(
        rows.assign(union_id=rows["union_id"].fillna(science.PUBLIC_GROUP)), by="union_id"
    )
    table = Table(
        "union",
        "season",
        "days",
        "plots",
        "area ha",
        "forage allowance t DM (low / central / high)",
        "forage-equivalent sheep (low / central / high)",
        "per ha",
        title=f"Carrying capacity {year_done} per union (utilisation {utilisation:g} of the "
        f"standing crop removed, {harvest_efficiency:g} of that eaten)",
    )
    for row in groups.itertuples(index=False):
        table.add_row(
            str(row.union_id),
            str(row.season),
            str(int(row.days)),
            f"{int(row.n_plots):,}",
            _num(row.area_ha),
            " / ".join(_num(getattr(row, f"forage_{b}_kg") / 1000) for b in BANDS),
            " / ".join(_num(getattr(row, f"capacity_su_{b}")) for b in BANDS),
            _num(row.capacity_su_central / row.area_ha, ".2f"),
        )
    out.print(table)
    by_source = rows["source"].value_counts().to_dict()
    out.print(
        f"{len(rows):,} plot-season rows stored for {year_done}: "
        + ", ".join(f"{n:,} from {s}" for s, n in sorted(by_source.items()))
    )
    out.print(f"[italic]{basis.label}[/]")
    out.print(
        "[italic]forage-equivalent sheep: how many sheep (1.4 kg DM/day) the eaten forage "
        "feeds; not Kazakh sheep units (cattle 5, horse 6, camel 7)[/]"
    )


def _print_calibration(calibration: science.BiomassCalibration) -> None:
    table = Table(
        "pasture type",
        "form",
        "R²",
        "RMSE kg/ha",
        "n",
        "parameters",
        title="NDVI → biomass calibration against geobotanical yields",
    )
    for row in calibration.report().itertuples(index=False):
        table.add_row(
            "all (default)" if row.pasture_type == "*" else str(row.pasture_type),
            str(row.form),
            _num(row.r2, ".2f"),
            _num(row.rmse_kg_ha),
            f"{int(row.n):,}",
            ", ".join(f"{p:g}" for p in row.params),
        )
    out.print(table)
    if calibration.description:
        out.print(f"[italic]calibrated on: {calibration.description}[/]")


@click.command("load")
@store_option
@click.option("--year", type=int, help="season year of the capacity (default: the latest stored)")
@click.option(
    "--norms",
    "norms_file",
    type=click.Path(path_type=Path),
    help="norm table in the columns of Order 3-3/332's annex; default: the packaged annex",
)
@click.option(
    "--norm-rows",
    "norm_rows_file",
    type=click.Path(path_type=Path),
    help="JSON {pasture type: [oblast, natural zone, subzone, annex pasture type]}; "
    "default: the store's load_norm_rows setting",
)
@click.option(
    "--unused-threshold",
    type=click.FloatRange(0, 1),
    default=UNUSED_SHARE,
    show_default=True,
    help="below this share of the legal norm a pasture is unused (Land Code Art. 92 "
    "п.4 пп.3, Law 65-VIII, 2024; 0.2 before)",
)
@click.option(
    "--level",
    type=click.Choice(["union", "okrug", "plot"]),
    default="union",
    show_default=True,
    help="level to print (all levels are stored)",
)
def load(
    store_url: str,
    year: int | None,
    norms_file: Path | None,
    norm_rows_file: Path | None,
    unused_threshold: float,
    level: str,
) -> None:
    """Compare livestock with forage and with the legal load norm; store the load.

    Two statuses, never mixed: against forage capacity from NDVI (overloaded, within
    capacity, underused) and against the maximum permissible load of Order 3-3/332 (over
    the norm, within the norm, unused under 50 % of it: Land Code Art. 92 п.4 пп.3).
    """
    norms = _norm_table(norms_file)
    norm_rows = _norm_rows(norm_rows_file)
    with open_url(store_url) as store:
        rows = science.compute_load(
            store,
            year=year,
            norms=norms,
            norm_rows=norm_rows,
            unused_threshold=unused_threshold,
        )
    shown = rows[rows["level"] == level]
    if level == "plot":
        shown = shown[shown["demand_kg"] > 0]
    out.print(_load_table(shown, level=level, year=int(rows["year"].iat[0])))
    at_level = rows[rows["level"] == level]
    counts = at_level["status"].value_counts().to_dict()
    out.print("capacity status: " + ", ".join(f"{n:,} {s}" for s, n in sorted(counts.items())))
    out.print(f"livestock: {at_level['load_source'].iat[0]}")
    out.print(
        "Land-user (union, public) and okrug levels sum their plots' livestock: the plan's "
        "herds (union herds and village herds, from the latest census) and the livestock "
        "outside it near its village. Sheep units: Kazakh coefficients (cattle 5, horse 6)."
    )
    _print_norm_notes(at_level, norms)
    _print_disagreements(at_level)


def _load_table(shown: pd.DataFrame, *, level: str, year: int) -> Table:
    """Both loads and both statuses side by side, one row per group and season."""
    table = Table(
        level,
        "season",
        "sheep units",
        "demand t DM",
        "forage t DM",
        "of capacity (low–high)",
        "capacity status",
        "of the norm",
        "norm status",
        title=f"Load {year} per {level}" + (" (plots with livestock)" if level == "plot" else ""),
    )
    for row in shown.itertuples(index=False):
        ratio = (
            f"{_num(row.stocking_ratio_central, '.2f')} "
            f"({_num(row.stocking_ratio_low, '.2f')}–{_num(row.stocking_ratio_high, '.2f')})"
        )
        style = {"overloaded": "red", "underused": "yellow"}.get(str(row.status), "")
        table.add_row(
            str(row.group_id),
            str(row.season),
            _num(row.sheep_units),
            _num(row.demand_kg / 1000),
            _num(row.forage_central_kg / 1000),
            ratio,
            f"[{style}]{row.status}[/]" if style else str(row.status),
            _num(row.norm_load, ".2f"),
            str(row.norm_status),
        )
    return table


def _print_disagreements(rows: pd.DataFrame) -> None:
    """Why the two statuses disagree, counted by reason, and the unused rows explained."""
    reasons = rows["disagreement"].dropna().str.split(" [(]", n=1, regex=True).str[0]
    if len(reasons):
        out.print(f"the two statuses disagree on {len(reasons):,} row(s):")
        for reason, n in reasons.value_counts().items():
            out.print(f"  {n:,} × {reason}")
    unused = rows[rows["norm_status"] == "unused"]
    if len(unused):
        empty = int((unused["demand_kg"].fillna(0) <= 0).sum())
        out.print(
            f"{len(unused):,} row(s) unused under the law (< 50 % of the norm): {empty:,} carry "
            f"no livestock at all in the {'plan' if 'plan' in str(rows['load_source'].iat[0]) else 'census'}, "
            f"{len(unused) - empty:,} carry some but less than half the permissible load"
        )


def _norm_table(path: Path | None) -> NormTable:
    if path is None:
        return NormTable.annex()
    if not path.exists():
        raise NotFound(f"no such norm file: {path}")
    try:
        return NormTable.from_csv(path)
    except ValueError as exc:
        raise InvalidInput(str(path), [str(exc)]) from None


def _norm_rows(path: Path | None) -> dict[str, tuple[str, str, str, str]] | None:
    if path is None:
        return None
    if not path.exists():
        raise NotFound(f"no such file: {path}")
    return parse_norm_rows(path.read_text(encoding="utf-8"), source=str(path))


def _print_norm_notes(rows: pd.DataFrame, norms: NormTable) -> None:
    """What the norm status rests on, and why a row may be unused under the law."""
    counts = rows["norm_status"].value_counts().to_dict()
    out.print("norm status: " + ", ".join(f"{n:,} {s}" for s, n in sorted(counts.items())))
    out.print(f"[italic]norms: {norms.label}[/]")
    out.print(f"[italic]unused: {UNUSED_WORDING}[/]")
    if counts.get("no norm"):
        out.print(
            "[yellow]'no norm': the pasture type has no row of the norm table; "
            "map it with --norm-rows FILE[/]"
        )


@click.command("trends")
@store_option
@click.option(
    "--q",
    "fdr_q",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=DEFAULT_Q,
    show_default=True,
    help="false discovery rate across plots (Benjamini-Hochberg; docs/domain.md)",
)
@click.option(
    "--reference",
    type=click.Choice(list(science.TREND_REFERENCES)),
    default="none",
    show_default=True,
    help="none: each plot's own NDVI; else the residual after the group's median series "
    "(hides what the group shares, weather and degradation alike)",
)
@click.option(
    "--min-years", type=int, default=MIN_YEARS, show_default=True, help="fewest years for a trend"
)
@click.option("--limit", type=int, default=30, show_default=True, help="degrading plots to list")
def trends(store_url: str, fdr_q: float, reference: str, min_years: int, limit: int) -> None:
    """Test every plot for a trend in growing-season NDVI (degradation) and store it.

    Seasonal Kendall test over the 16-day composites, corrected for their correlation,
    with the false discovery rate controlled across plots at q.
    """
    with open_url(store_url) as store:
        rows = science.compute_trends(store, q=fdr_q, reference=reference, min_years=min_years)
        generated = json.loads(store.get_meta("demo_degraded_plots") or "{}")
        method = json.loads(store.get_meta("trends_method") or "{}")
    counts = Table("status", "plots", title=f"NDVI trends (q = {fdr_q:g}, reference: {reference})")
    for status in ("degrading", "stable", "improving", "unknown"):
        counts.add_row(status, f"{int((rows['status'] == status).sum()):,}")
    out.print(counts)
    degrading = rows[rows["status"] == "degrading"].sort_values("slope")
    out.print(f"[bold]{science.false_flag_note(len(degrading), fdr_q)}[/]")
    out.print(
        f"[italic]{science.TREND_METHOD}; {method.get('years', 0)} years × "
        f"{method.get('periods_per_year', 0)} composites; correlation between composites "
        f"{method.get('period_correlation', 0):.2f}, AR(1) across years "
        f"{method.get('ar1_phi', 0):.2f}[/]"
    )
    table = Table(
        "plot",
        "okrug",
        "union",
        "pasture type",
        "slope /yr",
        "p",
        "q",
        title=f"Degrading plots ({len(degrading):,}, steepest first)",
    )
    for row in degrading.head(limit).itertuples(index=False):
        table.add_row(
            str(row.plot_id),
            str(row.okrug_id),
            "" if pd.isna(row.union_id) else str(row.union_id),
            str(row.pasture_type),
            _num(row.slope, "+.4f"),
            _num(row.p_value, ".1e"),
            _num(row.q_value, ".3f"),
        )
    out.print(table)
    if generated:
        found = sorted(set(generated) & set(degrading["plot_id"]))
        out.print(
            f"demo (generated data): {len(found)} of {len(generated)} plots generated with a "
            f"downward trend are flagged degrading; {len(degrading) - len(found)} other "
            "plot(s) flagged"
        )
