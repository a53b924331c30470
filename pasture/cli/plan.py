"""The ``pasture plan`` commands: create, list, show, export and approve rotation plans.

A plain click group; the main command registers it with
``main.add_command(plan)``. Domain errors map to the exit codes of
:mod:`pasture.cli` (3 invalid input, 4 not found, 5 store error, 1 a bug)
whether the group runs on its own or under ``pasture``.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.table import Table
from rich.text import Text

from .. import errors
from .common import console, open_url, out, store_option, user_name

__all__ = ["plan"]


#: Colours of the unions in the grazing chart, in union order.
_UNION_COLOURS = ("cyan", "magenta", "yellow", "green", "blue", "red", "bright_cyan", "white")
#: Letters of the herds of one union in the grazing chart.
_HERD_LETTERS = string.ascii_uppercase + string.ascii_lowercase + string.digits


@click.group()
def plan() -> None:
    """Seasonal grazing rotation plans: create, inspect, export and approve."""


@plan.command("create")
@store_option
@click.option("--season", "season_year", type=int, required=True, help="year of the grazing season")
@click.option(
    "--solver",
    type=click.Choice(["auto", "milp", "heuristic"]),
    default="auto",
    show_default=True,
    help="auto: the exact MILP on small instances, the heuristic above",
)
@click.option(
    "--utilisation",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=0.5,
    show_default=True,
    help='share of the standing forage that may be eaten ("take half, leave half")',
)
@click.option(
    "--time-limit",
    type=click.FloatRange(0.0, min_open=True),
    default=60.0,
    show_default=True,
    help="seconds for the whole command: reading the store, planning (longer proves a smaller gap), checking and storing",
)
@click.option("--seed", type=int, default=0, show_default=True, help="seed of the heuristic")
@click.option(
    "--livestock-factor",
    type=click.FloatRange(0.0, min_open=True),
    default=1.0,
    show_default=True,
    help="scenario factor on every herd (0.8: 20% destocking)",
)
@click.option("--ndvi-year", type=int, help="plan from this year's NDVI (default: the season year)")
@click.option(
    "--no-bound",
    is_flag=True,
    help="skip the heuristic's lower bound (its passes then plan without forage prices)",
)
@click.option("--user", help="name recorded as the creator (default: PASTURE_USER or login)")
def create(
    store_url: str,
    season_year: int,
    solver: str,
    utilisation: float,
    time_limit: float,
    seed: int,
    livestock_factor: float,
    ndvi_year: int | None,
    no_bound: bool,
    user: str | None,
) -> None:
    """Plan a grazing season (spring to autumn, weekly) and store it as a draft."""
    from ..planning import PlanningParams, create_plan, plan_frames

    # a mapping, as the API sends: create_plan adds the same defaults to both
    # (the migration limit, docs/domain.md Seasons), which an object would skip
    params = {"utilisation": utilisation}
    planning = PlanningParams(livestock_factor=livestock_factor, ndvi_year=ndvi_year)
    with open_url(store_url) as store, console.status("planning") as status:
        plan_id = create_plan(
            store,
            season_year=season_year,
            user=user_name(user),
            solver=solver,  # type: ignore[arg-type]
            params=params,
            planning=planning,
            time_limit=time_limit,
            seed=seed,
            lower_bound=not no_bound,
            progress=lambda msg: status.update(f"plan: {msg}"),
        )
        frames = plan_frames(store, plan_id)
    out.print(f"[bold]{plan_id}[/] stored as a draft")
    _print_summary(frames.plan)


@plan.command("list")
@store_option
@click.option("--season", "season_year", type=int, help="only plans of this season year")
def list_(store_url: str, season_year: int | None) -> None:
    """List the stored plans, newest first."""
    from ..planning import list_plans

    with open_url(store_url) as store:
        rows = list_plans(store, season_year=season_year)
    table = Table(title=f"{len(rows)} plan(s)")
    table.add_column("id", no_wrap=True)
    for name in ("season", "state", "solver", "gap", "deficit t DM", "created", "approved"):
        table.add_column(name, justify="right" if name in ("gap", "deficit t DM") else "left")
    for r in rows.itertuples(index=False):
        summary = r.summary or {}
        solver = "" if r.solver is None else f"{r.solver} ({r.solver_status})"
        table.add_row(
            r.id,
            str(r.season_year),
            r.state,
            solver,
            "" if pd.isna(r.gap) else f"{100 * r.gap:.1f}%",
            f"{summary['deficit_kg'] / 1000:,.1f}" if "deficit_kg" in summary else "",
            f"{r.created_at:%Y-%m-%d} {r.created_by}",
            "" if r.approved_by is None else f"{r.approved_at:%Y-%m-%d} {r.approved_by}",
        )
    out.print(table)


@plan.command("show")
@click.argument("plan_id", metavar="ID")
@store_option
@click.option("--union", "union_id", help="chart only this union's herds")
@click.option(
    "--rows",
    "max_rows",
    type=click.IntRange(1),
    default=30,
    show_default=True,
    help="most plots in the grazing chart",
)
def show(plan_id: str, store_url: str, union_id: str | None, max_rows: int) -> None:
    """Show a plan: summary, deficits per union and a grazing chart (plots × weeks)."""
    from ..planning import plan_frames

    with open_url(store_url) as store:
        frames = plan_frames(store, plan_id)
    out.print(f"[bold]{plan_id}[/]")
    _print_summary(frames.plan)
    if frames.plan["state"] in ("solving", "failed"):
        return  # no assignments to show
    _print_deficits(frames.deficits)
    _print_okrug_deficits((frames.plan.get("summary") or {}).get("deficit_by_okrug") or {})
    _print_chart(frames.assignments, union_id=union_id, max_rows=max_rows)


@plan.command("export")
@click.argument("plan_id", metavar="ID")
@store_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "geojson", "kml"]),
    help="file format (default: from the file's suffix)",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="file to write"
)
@click.option(
    "--lang",
    type=click.Choice(["kk", "ru", "en"]),
    help="headers and sheet names of CSV and XLSX in this language (default: column names)",
)
def export(plan_id: str, store_url: str, fmt: str | None, output: Path, lang: str | None) -> None:
    """Export a plan: assignments as CSV, XLSX (with deficits), GeoJSON or KML (on plot shapes)."""
    from ..planning import export_plan

    with open_url(store_url) as store:
        path = export_plan(store, plan_id, output, format=fmt, lang=lang)  # type: ignore[arg-type]
    out.print(f"wrote {path}")


@plan.command("approve")
@click.argument("plan_id", metavar="ID")
@store_option
@click.option("--user", help="name recorded as the approver (default: PASTURE_USER or login)")
def approve(plan_id: str, store_url: str, user: str | None) -> None:
    """Approve a draft plan (records who approved it and when)."""
    from ..planning import approve_plan

    with open_url(store_url) as store:
        row = approve_plan(store, plan_id, user=user_name(user))
    out.print(
        f"{plan_id} approved by {row['approved_by']} at {row['approved_at']:%Y-%m-%d %H:%M} UTC"
    )


# --------------------------------------------------------------------------- printing


def _print_summary(row: dict[str, Any]) -> None:
    s = row.get("summary") or {}
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    gap = row.get("gap")
    bound = row.get("bound")
    lines = [
        (
            "season",
            f"{row['season_year']} ({s.get('first_start', '?')} to {s.get('last_end', '?')})",
        ),
        ("state", row["state"] + (f" by {row['approved_by']}" if row.get("approved_by") else "")),
        ("created", f"{row['created_at']:%Y-%m-%d %H:%M} UTC by {row['created_by']}"),
        ("solver", f"{row.get('solver') or '?'} ({row.get('solver_status') or '?'})"),
        (
            "objective",
            ("?" if row.get("objective") is None else f"{row['objective']:,.0f}")
            + ("" if bound is None else f"  bound {bound:,.0f}")
            + ("" if gap is None else f"  gap {100 * gap:.2f}%"),
        ),
        (
            "instance",
            f"{s.get('n_herds', '?')} herds ({s.get('sheep_units', 0):,.0f} sheep units), "
            f"{s.get('n_plots', '?')} plots, {s.get('n_periods', '?')} weeks; "
            f"{s.get('plots_used', '?')} plots used",
        ),
    ]
    if "demand_kg" in s:
        lines += [
            (
                "forage",
                f"demand {s['demand_kg'] / 1000:,.1f} t DM, eaten {s['eaten_kg'] / 1000:,.1f} t DM",
            ),
            (
                "deficit",
                f"{s['deficit_kg'] / 1000:,.1f} t DM in {s['deficit_periods']} week(s); "
                f"unplaced {s['unplaced_demand_kg'] / 1000:,.1f} t DM "
                f"({s['unplaced_herd_periods']} herd-weeks)",
            ),
        ]
    if "deficit_low_kg" in s:  # an estimate on the plan's own weeks (pasture.planning.results)
        lines.append(
            (
                "deficit band",
                f"{s['deficit_low_kg'] / 1000:,.1f} t DM at the low forage, "
                f"{s['deficit_high_kg'] / 1000:,.1f} t DM at the high "
                "(this plan's weeks, not re-planned)",
            )
        )
    forage = s.get("forage")
    if forage:  # what the plan assumes of forage (issue 16): printed with every plan
        lines += [
            ("basis", str(forage["basis_label"])),
            (
                "assumes",
                f"{forage['band']} forage band; {forage['eaten']} "
                f"(harvest efficiency {forage['harvest_efficiency']:g}); "
                f"regrowth {forage['regrowth']}",
            ),
        ]
    if "error" in s:
        lines.append(("error", str(s["error"]).splitlines()[0]))
    for k, v in lines:
        table.add_row(k, v)
    out.print(table)


def _print_okrug_deficits(by_okrug: dict[str, dict[str, float]]) -> None:
    """Deficit per okrug (unions and village herds together) and what would close it."""
    if not by_okrug:
        return
    table = Table(
        "okrug",
        "deficit t DM",
        "max forage-equivalent sheep to move or reduce (one week)",
        "or hay/feed t DM",
        title="Deficits per okrug",
    )
    for okrug, r in sorted(by_okrug.items(), key=lambda kv: -kv[1]["deficit_kg"]):
        table.add_row(
            okrug,
            f"{r['deficit_kg'] / 1000:,.1f}",
            f"{r['max_sheep_units_to_move']:,.0f}",
            f"{r['feed_kg_dm'] / 1000:,.1f}",
        )
    out.print(table)


def _print_deficits(deficits: pd.DataFrame) -> None:
    if deficits.empty:
        out.print("[green]no deficit: every herd is fed every week[/]")
        return
    grouped = deficits.groupby("union_id").agg(
        weeks=("period", "nunique"),
        deficit=("deficit_kg", "sum"),
        su=("sheep_units_to_move", "max"),
        feed=("feed_kg_dm", "sum"),
        first=("start", "min"),
    )
    table = Table(
        "union",
        "weeks",
        "deficit t DM",
        "max forage-equivalent sheep to move",
        "or feed t DM",
        "first week",
        title="Deficits per union",
    )
    for union, r in grouped.iterrows():
        table.add_row(
            str(union),
            str(r["weeks"]),
            f"{r['deficit'] / 1000:,.1f}",
            f"{r['su']:,.0f}",
            f"{r['feed'] / 1000:,.1f}",
            f"{pd.Timestamp(r['first']):%Y-%m-%d}",
        )
    out.print(table)


def _print_chart(assignments: pd.DataFrame, *, union_id: str | None, max_rows: int) -> None:
    """Plots × weeks; a cell shows the herd's letter in its union's colour (+: several herds)."""
    a = assignments
    if union_id is not None:
        a = a[a["union_id"] == union_id]
        if a.empty:
            raise errors.NotFound(f"the plan has no herds of union {union_id!r}")
    periods = sorted(int(p) for p in assignments["period"].unique())
    starts = assignments.drop_duplicates("period").set_index("period")["start"].sort_index()
    placed = a[a["plot_id"].notna()]
    unions = sorted(assignments["union_id"].unique())
    colour = {u: _UNION_COLOURS[i % len(_UNION_COLOURS)] for i, u in enumerate(unions)}
    letter: dict[str, str] = {}
    for _u, herds in assignments.groupby("union_id"):
        for k, h in enumerate(sorted(herds["herd_id"].unique())):
            letter[h] = _HERD_LETTERS[k] if k < len(_HERD_LETTERS) else "*"

    # widest terminal: label column + one character per week
    width = max(out.width, 40)
    label_w = max([len(str(p)) for p in placed["plot_id"].unique()] + [6])
    n_weeks = min(len(periods), max(4, width - label_w - 2))
    weeks = periods[:n_weeks]
    usage = placed.groupby("plot_id")["period"].agg(["min", "count"])
    order = usage.sort_values(["min", "count"], ascending=[True, False]).index.tolist()
    shown = order[:max_rows]

    title = f"Grazing chart{'' if union_id is None else f' of {union_id}'}: plots × weeks"
    out.print(f"\n[bold]{title}[/] ({len(order)} plots grazed, {len(weeks)} weeks)")
    months = Text(" " * (label_w + 1))
    prev = None
    for p in weeks:
        m = pd.Timestamp(starts.loc[p]).strftime("%b")
        months.append(m[0] if m != prev else " ")
        prev = m
    out.print(months)
    cells: dict[tuple[str, int], list[str]] = {}
    for r in placed.itertuples(index=False):
        cells.setdefault((r.plot_id, int(r.period)), []).append(r.herd_id)
    union_of = dict(zip(assignments["herd_id"], assignments["union_id"], strict=False))
    for plot_id in shown:
        line = Text(f"{plot_id:<{label_w}} ")
        for p in weeks:
            herds = cells.get((plot_id, p))
            if not herds:
                line.append("·", style="dim")
            elif len(herds) > 1:
                line.append("+", style=f"bold {colour[union_of[herds[0]]]}")
            else:
                line.append(letter[herds[0]], style=f"bold {colour[union_of[herds[0]]]}")
        out.print(line, soft_wrap=False, overflow="crop")
    unplaced = a[a["plot_id"].isna()]
    if len(unplaced):
        line = Text(f"{'unplaced':<{label_w}} ")
        counts = unplaced.groupby("period").size()
        for p in weeks:
            n = int(counts.get(p, 0))
            line.append("·" if n == 0 else (str(n) if n < 10 else "#"), style="bold red")
        out.print(line, soft_wrap=False, overflow="crop")
    notes = []
    if len(order) > len(shown):
        notes.append(f"{len(order) - len(shown)} more plots (use --rows or --union)")
    if len(periods) > len(weeks):
        notes.append(f"{len(periods) - len(weeks)} more weeks (widen the terminal)")
    legend = Text("unions: ")
    for u in unions if union_id is None else [union_id]:
        legend.append(f"{u} ", style=f"bold {colour[u]}")
    out.print(legend)
    out.print(
        "letters: herds of a union in id order (A = first); +: several herds; "
        "unplaced: herds off the plan that week" + ("" if not notes else "; " + "; ".join(notes)),
        highlight=False,
    )
