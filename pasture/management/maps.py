"""Print maps of a plan's annexes, drawn from a version's frozen geometry with matplotlib.

Each map is framed on the okrug, in its UTM zone (metres, so the scale bar is true), with
a legend, a scale bar, a north arrow (grid north; the convergence in the district is under
1.5°), the okrug's name and the settlements' names, and "generated" across it when the
data are generated. Returned as PNG bytes at :data:`DPI` (for the DOCX) or as a
one-page vector PDF (for the PDF document, :mod:`.vector`).
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

import geopandas as gpd
import shapely
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .labels import TEXT, word

__all__ = ["DOCX_WIDTH_CM", "DPI", "MAP_KINDS", "map_figure", "pdf_fonts", "render_map"]

#: Print resolution of the maps (dots per inch): at least this at their printed size.
DPI = 200
#: Width of a map in the DOCX (A4 less its margins), centimetres.
DOCX_WIDTH_CM = 16.0
#: White margin kept around a map cropped to its drawing (``bbox_inches="tight"``).
_PAD_INCHES = 0.1


def pdf_fonts() -> AbstractContextManager[None]:
    """TrueType subsets (type 42) keep the labels' text extractable, Kazakh letters included."""
    return rc_context({"pdf.fonttype": 42})


MAP_KINDS: tuple[str, ...] = ("tenure", "seasons", "boundaries", "water", "routes", "needed")
_SEASON_COLOURS = {
    "winter": "#8da0cb",
    "spring": "#a6d854",
    "summer": "#66c2a5",
    "autumn": "#e5c494",
}
_PALETTE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")


def _frames(geo: Mapping[str, Any]) -> dict[str, gpd.GeoDataFrame]:
    okrug = gpd.GeoDataFrame(geometry=[shapely.from_wkt(geo["okrug"])], crs=4326)
    crs = okrug.estimate_utm_crs()
    plots = gpd.GeoDataFrame(
        [{k: v for k, v in p.items() if k != "wkt"} for p in geo["plots"]],
        geometry=[shapely.from_wkt(p["wkt"]) for p in geo["plots"]],
        crs=4326,
    )

    def points(items: list[dict[str, Any]]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            items, geometry=[shapely.Point(i["x"], i["y"]) for i in items], crs=4326
        )

    routes = gpd.GeoDataFrame(
        geo["routes"], geometry=[shapely.from_wkt(r["wkt"]) for r in geo["routes"]], crs=4326
    )
    return {
        "okrug": okrug.to_crs(crs),
        "plots": plots.to_crs(crs) if len(plots) else plots,
        "water": points(geo["water"]).to_crs(crs),
        "routes": routes.to_crs(crs) if len(routes) else routes,
        "settlements": points(geo["settlements"]).to_crs(crs),
    }


def _scale_bar(ax: Any, lang: str) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) / 5
    length = max(n for n in (500, 1000, 2000, 5000, 10000, 20000, 50000) if n <= max(target, 500))
    x, y = x0 + (x1 - x0) * 0.05, y0 + (y1 - y0) * 0.05
    ax.plot([x, x + length], [y, y], color="black", lw=3, solid_capstyle="butt")
    ax.text(
        x + length / 2,
        y + (y1 - y0) * 0.015,
        f"{length / 1000:g} {TEXT['scale'][lang]}",
        ha="center",
        va="bottom",
        fontsize=8,
    )


def _north_arrow(ax: Any, lang: str) -> None:
    ax.annotate(
        TEXT["north"][lang],
        xy=(0.95, 0.95),
        xytext=(0.95, 0.84),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=11,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 4, "headwidth": 12},
    )


def _draw_plots(
    ax: Any, plots: gpd.GeoDataFrame, kind: str, geo: Mapping[str, Any], lang: str
) -> list[Patch]:
    if plots.empty:
        return []
    if kind in ("tenure", "seasons"):
        # ``user``: the land user key, named in each language by ``geo["land_users"]``;
        # a version frozen before it has only the land user as recorded
        column = "seasons" if kind == "seasons" else "user" if "user" in plots else "land_user"
        values = sorted(plots[column].fillna("—").astype(str).unique())
        colours = {
            v: _SEASON_COLOURS.get(v.split(",")[0], _PALETTE[i % len(_PALETTE)])
            if kind == "seasons"
            else _PALETTE[i % len(_PALETTE)]
            for i, v in enumerate(values)
        }
        plots.plot(
            ax=ax,
            color=plots[column].fillna("—").astype(str).map(colours),
            edgecolor="#333333",
            linewidth=0.2,
        )
        users = geo.get("land_users", {})
        label = (
            (lambda v: ", ".join(word(s, lang) for s in v.split(",")))
            if kind == "seasons"
            else (lambda v: users.get(v, {}).get(lang, v))
        )
        return [Patch(facecolor=c, edgecolor="#333333", label=label(v)) for v, c in colours.items()]
    needed = set(geo.get("needed_plots", []))
    base = plots.plot(ax=ax, color="#e8f0d8", edgecolor="#777777", linewidth=0.2)
    handles = [Patch(facecolor="#e8f0d8", edgecolor="#777777", label=word("plots", lang))]
    unreached = set(geo.get("unreached_plots", []))
    if kind == "water" and unreached:
        plots[plots["id"].isin(unreached)].plot(
            ax=base, facecolor="none", edgecolor="#b2182b", hatch="////", linewidth=0.4
        )
        handles.append(
            Patch(
                facecolor="none", edgecolor="#b2182b", hatch="////", label=word("unreached", lang)
            )
        )
    if kind == "needed" and needed:
        plots[plots["id"].isin(needed)].plot(
            ax=base, color="#d95f02", edgecolor="#333333", linewidth=0.3
        )
        handles.append(Patch(facecolor="#d95f02", label=word("needed", lang)))
    return handles


def render_map(
    geo: Mapping[str, Any],
    kind: str,
    *,
    lang: str,
    title: str,
    generated: bool,
    fmt: str = "png",
    credit: str = "",
) -> bytes:
    """One annex map as PNG or vector PDF bytes (the module docstring says what it shows)."""
    fig = map_figure(geo, kind, lang=lang, title=title, generated=generated, credit=credit)
    return _png(fig) if fmt == "png" else _saved(fig, fmt, DPI)


def _saved(fig: Figure, fmt: str, dpi: int) -> bytes:
    buffer = io.BytesIO()
    with pdf_fonts():
        fig.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight", pad_inches=_PAD_INCHES)
    return buffer.getvalue()


def _png(fig: Figure) -> bytes:
    """The map as a PNG with :data:`DPI` at its printed width in the DOCX, :data:`DOCX_WIDTH_CM`.

    Cropped to its drawing the figure is narrower than that (about 5.5 of 6.7 inches), so
    at :data:`DPI` it would print at about 184 dpi. The crop differs by a few per cent from
    one resolution to the next (5.39 to 5.56 inches from 100 to 400 dpi: the text is laid
    out again), so the width is measured and the resolution raised until it is enough."""
    needed = DPI * DOCX_WIDTH_CM / 2.54
    dpi = DPI
    for _ in range(5):
        png = _saved(fig, "png", dpi)
        width = int.from_bytes(png[16:20], "big")  # the PNG's IHDR: width, then height
        if width >= needed:
            return png
        dpi = math.ceil(dpi * needed * 1.03 / width)  # 3 %: the crop's wobble
    raise RuntimeError(f"the map is {width} px wide at {dpi} dpi; {needed:.0f} px are needed")


def map_figure(
    geo: Mapping[str, Any],
    kind: str,
    *,
    lang: str,
    title: str,
    generated: bool,
    credit: str = "",
) -> Figure:
    """One annex map as a matplotlib Figure (saved by :func:`render_map` or a map book).

    ``credit``: where the data come from, printed under the map (issue 19: real data carry
    their attribution on paper as on the web maps); :func:`pasture.management.render.map_credit`.
    """
    f = _frames(geo)
    # a Figure of its own, not pyplot: the server renders in several threads at once
    fig = Figure(figsize=(6.7, 6.0), dpi=DPI)
    ax = fig.subplots()
    handles = _draw_plots(ax, f["plots"], kind, geo, lang)
    f["okrug"].boundary.plot(ax=ax, color="black", linewidth=1.2)
    handles.append(Patch(facecolor="none", edgecolor="black", label=word("okrug", lang)))
    if kind in ("boundaries", "routes", "needed") and len(f["routes"]):
        f["routes"].plot(ax=ax, color="#b2182b", linewidth=1.0, linestyle="--")
        handles.append(Patch(facecolor="#b2182b", label=word("routes", lang)))
    if kind in ("boundaries", "water") and len(f["water"]):
        f["water"].plot(ax=ax, color="#2166ac", markersize=8, marker="o")
        handles.append(Patch(facecolor="#2166ac", label=word("water_points", lang)))
    for s in f["settlements"].itertuples():
        ax.plot(s.geometry.x, s.geometry.y, marker="s", color="black", markersize=3)
        ax.annotate(
            getattr(s, f"name_{lang}", s.id),
            (s.geometry.x, s.geometry.y),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=6,
        )
    minx, miny, maxx, maxy = f["okrug"].total_bounds
    pad = max(maxx - minx, maxy - miny) * 0.05
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(title, fontsize=9)
    _scale_bar(ax, lang)
    _north_arrow(ax, lang)
    ax.legend(handles=handles, loc="lower right", fontsize=6, framealpha=0.9)
    if credit:
        ax.annotate(
            textwrap.fill(credit, 150),
            xy=(0, 0),
            xycoords="axes fraction",
            xytext=(0, -4),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=4.5,
            color="#333333",
        )
    if generated:
        ax.text(
            0.5,
            0.5,
            TEXT["generated"][lang],
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=10,
            color="red",
            alpha=0.3,
            rotation=30,
            clip_on=True,
        )
    return fig
