"""The grazing calendar as a Gantt chart: herds × real dates, grouped by union, plot names in bars.

Drawn with matplotlib (Agg, no pyplot state) as SVG for pages, PNG and PDF,
on screen or sized for A4 or A3 landscape print.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from ..i18n import translator

__all__ = ["PAPER_INCHES", "GanttFormat", "Paper", "calendar_runs", "grazing_gantt"]

GanttFormat = Literal["svg", "png", "pdf"]
Paper = Literal["a4", "a3"]

#: Landscape paper sizes, inches (ISO 216: A4 297 × 210 mm, A3 420 × 297 mm).
PAPER_INCHES: dict[str, tuple[float, float]] = {"a4": (11.69, 8.27), "a3": (16.54, 11.69)}
#: On screen: width of the chart and height of one herd row, inches (at 100 dpi).
SCREEN_WIDTH_IN = 14.0
ROW_IN = 0.24
#: Mean width of a character in ems of the font (DejaVu Sans): to tell whether a
#: plot's name fits in its bar.
TEXT_EM = 0.6
DEFICIT_COLOUR = "#d7191c"
UNPLACED_COLOUR = "#ffffff"


@dataclass(frozen=True)
class _Rows:
    """Row order of the chart: herd ids top to bottom, with the union heading each group."""

    herds: list[str]
    groups: list[tuple[str, int, int]]  # union id, first row, last row


def calendar_runs(assignments: pd.DataFrame) -> pd.DataFrame:
    """Consecutive weeks of a herd on one plot as one run.

    Returns
    -------
    pandas.DataFrame
        ``herd_id``, ``union_id``, ``plot_id`` ("" when not placed), ``start``,
        ``end`` (the last day), ``weeks`` and ``deficit_weeks`` (weeks whose
        demand exceeds what was eaten); ``sheep_units`` (the run's largest) when the
        assignments have them.
    """
    cols = ["herd_id", "union_id", "plot_id", "start", "end", "weeks", "deficit_weeks"]
    if "sheep_units" in assignments.columns:
        cols.append("sheep_units")
    if assignments.empty:
        return pd.DataFrame(columns=cols)
    a = assignments.sort_values(["herd_id", "period"]).reset_index(drop=True)
    plot = a["plot_id"].astype(object).where(a["plot_id"].notna(), "").astype(str)
    herd = a["herd_id"].astype(str)
    period = a["period"].astype(int)
    short = (a["demand_kg"] - a["eaten_kg"]).fillna(0) > 1e-6 if "demand_kg" in a else period * 0
    new_run = (herd != herd.shift()) | (plot != plot.shift()) | (period != period.shift() + 1)
    a = a.assign(_plot=plot, _run=new_run.cumsum(), _short=short.astype(int))
    extra = {"sheep_units": ("sheep_units", "max")} if "sheep_units" in cols else {}
    out = a.groupby("_run", sort=True).agg(
        herd_id=("herd_id", "first"),
        union_id=("union_id", "first"),
        plot_id=("_plot", "first"),
        start=("start", "min"),
        end=("end", "max"),
        weeks=("period", "size"),
        deficit_weeks=("_short", "sum"),
        **extra,
    )
    return out.reset_index(drop=True)[cols]


def _rows(runs: pd.DataFrame, union_names: Mapping[str, str], labels: Mapping[str, str]) -> _Rows:
    order = runs.drop_duplicates("herd_id")[["herd_id", "union_id"]].astype(str)
    order = order.assign(
        _u=[union_names.get(u, u) for u in order["union_id"]],
        _h=[labels.get(h, h) for h in order["herd_id"]],
    ).sort_values(["_u", "_h"])
    herds = order["herd_id"].tolist()
    groups = []
    for union, part in order.groupby("union_id", sort=False):
        rows = [herds.index(h) for h in part["herd_id"]]
        groups.append((str(union), min(rows), max(rows)))
    return _Rows(herds, groups)


def _font_size(n_rows: int) -> float:
    """Points: 8 for a union's few herds, down to 4 for a district's on one sheet."""
    return max(4.0, min(8.0, 400 / max(n_rows, 1)))


def _figure_size(n_rows: int, paper: Paper | None) -> tuple[float, float]:
    if paper is not None:
        return PAPER_INCHES[paper]
    return SCREEN_WIDTH_IN, max(3.0, 1.6 + ROW_IN * n_rows)


def grazing_gantt(
    assignments: pd.DataFrame,
    *,
    fmt: GanttFormat = "svg",
    paper: Paper | None = None,
    lang: str = "kk",
    herd_labels: Mapping[str, str] | None = None,
    union_names: Mapping[str, str] | None = None,
    plot_names: Mapping[str, str] | None = None,
    colours: Mapping[str, str] | None = None,
    title: str | None = None,
) -> str | bytes:
    """A plan's grazing calendar: one row per herd, bars per plot over real dates.

    Parameters
    ----------
    assignments
        Rows of a plan's ``assignments`` (``herd_id``, ``union_id``, ``period``,
        ``start``, ``end``, ``plot_id``, and ``demand_kg``/``eaten_kg`` to mark
        deficits).
    fmt
        ``"svg"`` (text), ``"png"`` or ``"pdf"`` (bytes).
    paper
        ``"a4"`` or ``"a3"``: the figure is that sheet in landscape; ``None``:
        sized for the screen, one row per herd.
    herd_labels, union_names, plot_names
        Labels by id (the ids where missing). Rows are grouped by union, each
        group headed by its name; each bar carries its plot's name where it fits.
    colours
        Bar colour per herd id (:func:`pasture.maps.style.herd_colours`).
    title
        Heading; default 'Grazing calendar'.

    Notes
    -----
    Weeks whose demand exceeds what the herd ate are marked with a red frame
    and a ``!`` on the bar; weeks a herd could not be placed are white bars
    with a red frame, labelled 'not placed'.
    """
    if fmt not in ("svg", "png", "pdf"):
        raise ValueError(f"fmt must be 'svg', 'png' or 'pdf', got {fmt!r}")
    if paper is not None and paper not in PAPER_INCHES:
        raise ValueError(f"paper must be 'a4' or 'a3', got {paper!r}")
    import matplotlib
    from matplotlib.figure import Figure

    t = translator(lang)
    runs = calendar_runs(assignments)
    labels, unions, plots = dict(herd_labels or {}), dict(union_names or {}), dict(plot_names or {})
    rows = _rows(runs, unions, labels)
    size = _figure_size(len(rows.herds), paper)
    fig = Figure(figsize=size)
    ax = fig.add_subplot()
    # fixed margins from the longest label: a constrained layout draws the figure twice
    font = _font_size(len(rows.herds))
    longest = max((len(labels.get(h, h)) for h in rows.herds), default=8)
    width, height = size
    fig.subplots_adjust(
        left=min(0.4, 0.02 + longest * font * TEXT_EM / 72 / width),
        right=1 - 0.4 / width,
        top=1 - 0.45 / height,
        bottom=0.35 / height,
    )
    _draw(ax, runs, rows, labels, plots, dict(colours or {}), t)
    _group_labels(ax, rows, unions)
    ax.set_title(title or t("Grazing calendar"), loc="left", fontsize=11)
    buffer = io.BytesIO()
    # SVG text stays text (searchable, smaller); matplotlib escapes it
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buffer, format=fmt, dpi=150 if paper else 100)
    data = buffer.getvalue()
    return data.decode("utf-8") if fmt == "svg" else data


def _draw(
    ax: Any,
    runs: pd.DataFrame,
    rows: _Rows,
    labels: dict[str, str],
    plots: dict[str, str],
    colours: dict[str, str],
    t: Any,
) -> None:
    import matplotlib.dates as mdates

    row_of = {h: i for i, h in enumerate(rows.herds)}
    first = pd.Timestamp(runs["start"].min()) if len(runs) else pd.Timestamp("2000-01-01")
    last = pd.Timestamp(runs["end"].max()) + pd.Timedelta(days=1) if len(runs) else first
    season_days = max((last - first).days, 1)
    font = _font_size(len(rows.herds))
    box = ax.get_position()
    axes_inches = box.width * ax.figure.get_figwidth()
    for r in runs.itertuples():
        y = row_of[str(r.herd_id)]
        start = mdates.date2num(pd.Timestamp(r.start))
        width = (pd.Timestamp(r.end) + pd.Timedelta(days=1) - pd.Timestamp(r.start)).days
        placed = bool(r.plot_id)
        face = colours.get(str(r.herd_id), "#4c72b0") if placed else UNPLACED_COLOUR
        short = int(r.deficit_weeks) > 0 or not placed
        ax.barh(
            y,
            width,
            left=start,
            height=0.8,
            color=face,
            edgecolor=DEFICIT_COLOUR if short else "#333333",
            linewidth=1.2 if short else 0.3,
        )
        text = plots.get(str(r.plot_id), str(r.plot_id)) if placed else t("not placed")
        if short and placed:
            text = f"! {text}"
        text = _fitting(text, str(r.plot_id), width / season_days * axes_inches, font)
        if text:
            ax.text(
                start + width / 2,
                y,
                text,
                ha="center",
                va="center",
                fontsize=font,
                color=_ink(face),
                clip_on=True,
            )
    ax.set_yticks(range(len(rows.herds)))
    ax.set_yticklabels([labels.get(h, h) for h in rows.herds], fontsize=font)
    ax.set_ylim(len(rows.herds) - 0.5, -0.5)
    ax.set_xlim(mdates.date2num(first), mdates.date2num(last))
    ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_minor_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
    # month names in the page's language
    ax.xaxis.set_major_formatter(_date_formatter(lambda d: t.date(d, format="d MMM")))
    ax.grid(axis="x", which="major", color="#999999", linewidth=0.6)
    ax.grid(axis="x", which="minor", color="#dddddd", linewidth=0.4)
    ax.set_axisbelow(True)


def _fitting(text: str, short: str, inches: float, font: float) -> str:
    """``text`` if it fits in a bar ``inches`` wide, else ``short`` if that fits, else nothing."""
    for candidate in (text, short):
        if len(candidate) * font * TEXT_EM / 72 <= inches * 0.95:
            return candidate
    return ""


def _group_labels(ax: Any, rows: _Rows, unions: dict[str, str]) -> None:
    """A band and the union's name beside each group of rows (cut to the group's height)."""
    row_inches = ax.get_position().height * ax.figure.get_figheight() / max(len(rows.herds), 1)
    for k, (union, top, bottom) in enumerate(rows.groups):
        room = int((bottom - top + 1) * row_inches * 72 / (7 * TEXT_EM))
        name = unions.get(union, union)
        name = name if len(name) <= room else name[: max(room - 1, 1)] + "…"
        if k % 2:
            ax.axhspan(top - 0.5, bottom + 0.5, color="#f2f2f2", zorder=0)
        ax.axhline(top - 0.5, color="#666666", linewidth=0.8)
        ax.text(
            1.005,
            (top + bottom) / 2,
            name,
            transform=ax.get_yaxis_transform(),
            va="center",
            ha="left",
            rotation=270,
            fontsize=7,
            fontweight="bold",
        )


def _ink(colour: str) -> str:
    """Black or white text, whichever reads better on ``colour`` (relative luminance)."""
    if not colour.startswith("#") or len(colour) != 7:
        return "#000000"
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "#000000" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5 else "#ffffff"


def _date_formatter(format_date: Any) -> Any:
    """A matplotlib tick formatter that writes each tick's date with ``format_date``."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos: format_date(mdates.num2date(x).date()))
