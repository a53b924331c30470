"""The grazing calendar of a plan: plots × weeks, each cell coloured by the herd grazing it."""

from __future__ import annotations

import io
from typing import Literal, overload

import pandas as pd

from ..i18n import translator
from .page import esc
from .style import HERD_COLOURS, RESTING_COLOUR

__all__ = ["ChartFormat", "grazing_chart"]

ChartFormat = Literal["svg", "png", "html"]

#: Height of one plot row and width of one week column in the matplotlib chart, inches.
ROW_INCHES = 0.22
WEEK_INCHES = 0.35


def _grid(assignments: pd.DataFrame) -> tuple[list[str], list[int], list[str], pd.DataFrame]:
    placed = assignments[assignments["plot_id"].notna() & (assignments["plot_id"] != "")]
    plots = sorted(str(p) for p in placed["plot_id"].unique())
    periods = sorted(int(p) for p in assignments["period"].unique())
    herds = sorted(str(h) for h in assignments["herd_id"].dropna().unique())
    cells = (
        placed.assign(plot_id=placed["plot_id"].astype(str), herd_id=placed["herd_id"].astype(str))
        .sort_values("herd_id")
        .groupby(["plot_id", "period"])["herd_id"]
        .agg(list)
        .unstack("period")
        .reindex(index=plots, columns=periods)
    )
    return plots, periods, herds, cells


@overload
def grazing_chart(
    assignments: pd.DataFrame,
    *,
    fmt: Literal["png"],
    lang: str = ...,
    herd_names: dict[str, str] | None = ...,
    title: str | None = ...,
) -> bytes: ...
@overload
def grazing_chart(
    assignments: pd.DataFrame,
    *,
    fmt: Literal["svg", "html"] = ...,
    lang: str = ...,
    herd_names: dict[str, str] | None = ...,
    title: str | None = ...,
) -> str: ...
def grazing_chart(
    assignments: pd.DataFrame,
    *,
    fmt: ChartFormat = "svg",
    lang: str = "kk",
    herd_names: dict[str, str] | None = None,
    title: str | None = None,
) -> str | bytes:
    """Plots (rows) × periods (columns) of a plan, coloured by herd; empty cells rest.

    ``fmt="svg"`` returns SVG text and ``"png"`` PNG bytes, both drawn with
    matplotlib (Agg, no pyplot state); ``"html"`` returns a ``<table>`` that
    needs nothing but the page. Plots with no assignment in the plan are left
    out; where several herds share a plot and week the cell shows the first
    herd's colour and lists all in its title. ``herd_names`` maps herd ids to
    labels.
    """
    if fmt not in ("svg", "png", "html"):
        raise ValueError(f"fmt must be 'svg', 'png' or 'html', got {fmt!r}")
    t = translator(lang)
    names = herd_names or {}
    plots, periods, herds, cells = _grid(assignments)
    colour = {h: HERD_COLOURS[i % len(HERD_COLOURS)] for i, h in enumerate(herds)}
    heading = title or t("Grazing calendar")
    if fmt == "html":
        return _html(plots, periods, herds, cells, colour, names, heading, lang)
    return _matplotlib(plots, periods, herds, cells, colour, names, heading, fmt, lang)


def _html(
    plots: list[str],
    periods: list[int],
    herds: list[str],
    cells: pd.DataFrame,
    colour: dict[str, str],
    names: dict[str, str],
    heading: str,
    lang: str,
) -> str:
    t = translator(lang)
    head = "".join(f"<th>{p}</th>" for p in periods)
    rows = []
    for plot in plots:
        tds = []
        for period in periods:
            value = cells.at[plot, period]
            if isinstance(value, list) and value:
                label = ", ".join(str(names.get(h, h)) for h in value)
                tds.append(f'<td style="background:{colour[value[0]]}" title="{esc(label)}"></td>')
            else:
                tds.append(f'<td style="background:{RESTING_COLOUR}"></td>')
        rows.append(f"<tr><th>{esc(plot)}</th>{''.join(tds)}</tr>")
    legend = "".join(
        f'<li><i style="display:inline-block;width:12px;height:12px;background:{colour[h]}"></i> '
        f"{esc(names.get(h, h))}</li>"
        for h in herds
    )
    return (
        f'<figure class="pasture-grazing-chart" lang="{esc(lang)}"><figcaption>{esc(heading)}</figcaption>'
        f'<table style="border-collapse:collapse"><thead><tr><th>{esc(t("Plot"))} / {esc(t("Week"))}</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<ul class="pasture-herds" aria-label="{esc(t("Herds"))}">{legend}</ul></figure>'
    )


def _matplotlib(
    plots: list[str],
    periods: list[int],
    herds: list[str],
    cells: pd.DataFrame,
    colour: dict[str, str],
    names: dict[str, str],
    heading: str,
    fmt: str,
    lang: str,
) -> str | bytes:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch, Rectangle
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "grazing charts as SVG or PNG need matplotlib: pip install matplotlib"
        ) from exc

    t = translator(lang)
    width = max(4.0, 2.5 + WEEK_INCHES * len(periods))
    height = max(2.0, 1.2 + ROW_INCHES * len(plots))
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for r, plot in enumerate(plots):
        for c, period in enumerate(periods):
            value = cells.at[plot, period]
            if isinstance(value, list) and value:
                ax.add_patch(Rectangle((c, r), 1, 1, facecolor=colour[value[0]], edgecolor="white"))
    ax.set_xlim(0, len(periods))
    ax.set_ylim(len(plots), 0)
    ax.set_xticks([c + 0.5 for c in range(len(periods))], [str(p) for p in periods], fontsize=7)
    ax.set_yticks([r + 0.5 for r in range(len(plots))], plots, fontsize=7)
    ax.set_xlabel(t("Week"))
    ax.set_ylabel(t("Plot"))
    ax.set_title(heading)
    ax.set_facecolor(RESTING_COLOUR)
    if herds:
        fig.legend(
            handles=[Patch(facecolor=colour[h], label=names.get(h, h)) for h in herds],
            title=t("Herds"),
            loc="outside right upper",
            fontsize=7,
        )
    buf = io.BytesIO()
    # metadata without dates keeps the output reproducible
    if fmt == "svg":
        fig.savefig(buf, format="svg", metadata={"Date": None})
        return buf.getvalue().decode("utf-8")
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()
