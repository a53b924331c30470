"""Commands of the grazing science: ``capacity``, ``load`` and ``trends``.

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

from grazing_models.biomass import BiomassModels, BiomassPredictor, parse_biomass_model
from grazing_models.capacity import BANDS, DEFAULT_UTILISATION, aggregate_capacity
from grazing_models.degradation import DEFAULT_Q, MIN_YEARS
from grazing_models.load import UNUSED_THRESHOLD
from grazing_models.norms import UNUSED_WORDING, NormTable

from .. import science
from ..errors import InvalidInput, NotFound
from ..science.load import parse_norm_rows
from .common import open_url, out, store_option

__all__ = ["capacity", "load", "trends"]


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


def _load_models(path: Path) -> BiomassModels:
    """Models from JSON ``{pasture_type: {"form": ..., ...}, "*": default}``."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(f"no such models file: {path}") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(str(path), [f"not JSON: {exc}"]) from None
    if not isinstance(doc, dict) or not doc:
        raise InvalidInput(str(path), ["expected an object {pasture_type: model parameters}"])
    models: dict[str, BiomassPredictor] = {}
    problems = []
    for kind, params in doc.items():
        try:
            models[str(kind)] = parse_biomass_model(params)
        except (ValueError, TypeError) as exc:
            problems.append(f"model {kind!r}: {exc}")
    if problems:
        raise InvalidInput(str(path), problems)
    default = models.pop("*", None)
    return BiomassModels(models=models, default=default)


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
    help="allowable utilisation, 'take half, leave half' (docs/domain.md)",
)
@click.option(
    "--yield-basis",
    type=click.Choice(["auto", "fresh", "air_dry", "dry", "none"]),
    default="auto",
    show_default=True,
    help="what the plots' geobotanical yields weigh; auto: air_dry for the demo store, else none",
)
@click.option(
    "--models",
    "models_file",
    type=click.Path(path_type=Path),
    help="JSON biomass models {pasture_type: {form, a, b, ...}, '*': default}; "
    "without it, models are calibrated against the plots' yields",
)
@click.option(
    "--form",
    type=click.Choice(_FORMS),
    default="linear",
    show_default=True,
    help="model form to calibrate",
)
def capacity(
    store_url: str,
    year: int | None,
    utilisation: float,
    yield_basis: str,
    models_file: Path | None,
    form: str,
) -> None:
    """Compute forage and carrying capacity of every plot and season, and store it."""
    with open_url(store_url) as store:
        basis = yield_basis
        if basis == "auto":
            basis = science.DEMO_YIELD_BASIS if store.get_meta("demo") else "none"
        basis_arg: Any = None if basis == "none" else basis
        ndvi = science.read_ndvi(store)
        calibration = None
        if models_file is not None:
            models: Any = _load_models(models_file)
        elif basis_arg is None:
            raise click.UsageError(
                "give --models FILE, or --yield-basis to calibrate against the plots' yields"
            )
        else:
            plots = science.read_plots(store)
            calibration = science.calibrate_biomass_models(
                plots,
                ndvi,
                yield_basis=basis_arg,
                form=form,  # type: ignore[arg-type]
                description=(
                    "GENERATED demo geobotanical yields against seasonal peak NDVI"
                    if store.get_meta("demo")
                    else ""
                ),
            )
            models = calibration
        rows = science.compute_capacity(
            store,
            year=year,
            models=models,
            utilisation=utilisation,
            yield_basis=basis_arg,
            ndvi=ndvi,
        )
    year_done = int(rows["year"].iat[0]) if len(rows) else year
    if calibration is not None:
        _print_calibration(calibration)
    groups = aggregate_capacity(
        rows.assign(union_id=rows["union_id"].fillna(science.PUBLIC_GROUP)), by="union_id"
    )
    table = Table(
        "union",
        "season",
        "days",
        "plots",
        "area ha",
        "forage t DM (low / central / high)",
        "capacity SU (low / central / high)",
        "SU/ha",
        title=f"Carrying capacity {year_done} per union (sheep units by intake, utilisation "
        f"{utilisation:g})",
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
    default=UNUSED_THRESHOLD,
    show_default=True,
    help="below this share of capacity or norm a pasture is unused (Law 65-VIII, 2024)",
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
    capacity, unused) and against the maximum permissible load of Order 3-3/332 (over
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
    table = Table(
        level,
        "season",
        "sheep units",
        "demand t DM",
        "forage t DM",
        "ratio (low–high)",
        "status",
        "norm status",
        title=f"Load {int(rows['year'].iat[0])} per {level}"
        + (" (plots with herds)" if level == "plot" else ""),
    )
    for row in shown.itertuples(index=False):
        ratio = (
            f"{_num(row.stocking_ratio_central, '.2f')} "
            f"({_num(row.stocking_ratio_low, '.2f')}–{_num(row.stocking_ratio_high, '.2f')})"
        )
        style = {"overloaded": "red", "unused": "yellow"}.get(str(row.status), "")
        table.add_row(
            str(row.group_id),
            str(row.season),
            _num(row.sheep_units),
            _num(row.demand_kg / 1000),
            _num(row.forage_central_kg / 1000),
            ratio,
            f"[{style}]{row.status}[/]" if style else str(row.status),
            str(row.norm_status),
        )
    out.print(table)
    counts = rows[rows["level"] == level]["status"].value_counts().to_dict()
    out.print(", ".join(f"{n:,} {s}" for s, n in sorted(counts.items())))
    out.print(
        "Union and okrug levels count each household's latest census; the plot level counts "
        "the herds on each plot. Public pasture and okrugs without a union: livestock unknown."
    )
    _print_norm_notes(rows[rows["level"] == level], norms)


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
