"""Colours, line styles and thresholds of the maps: named constants, one place.

Colours are hex strings for Leaflet path options. Categorical palettes come
from ColorBrewer (Brewer, Harrower 2003; colorbrewer2.org), chosen to stay
distinguishable on a light basemap and without one.
"""

from __future__ import annotations

from typing import Any

from ..science.herds import VILLAGE_PREFIX

__all__ = [
    "BASEMAP_ATTRIBUTION",
    "COORD_DECIMALS",
    "DEFAULT_BASEMAP",
    "DISPLAY_TOLERANCE_PX",
    "DISPLAY_ZOOM_HEADROOM",
    "HERD_COLOURS",
    "HERD_LIGHTNESS",
    "HERD_SATURATION",
    "LOAD_PRECEDENCE",
    "LOAD_STATUS_COLOURS",
    "MAP_WIDTH_PX",
    "NDVI_OPACITY",
    "NOT_USED_COLOUR",
    "OTHER_SEASONS_COLOUR",
    "OUT_OF_SEASON_COLOUR",
    "RESTING_COLOUR",
    "SEASON_SET_COLOURS",
    "TREND_STATUS_COLOURS",
    "fill_style",
    "herd_colours",
    "outline_style",
    "union_hues",
]

#: OpenStreetMap's standard tiles: the default basemap of pages served online.
DEFAULT_BASEMAP = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

#: Attribution that OpenStreetMap's tile usage policy requires.
BASEMAP_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)

#: Fill colour of a plot by its set of seasons (``plots.seasons`` text). The four
#: sets of the district's seasonal belts (docs/domain.md, Seasons) and single seasons
#: get their own colour; any other combination gets :data:`OTHER_SEASONS_COLOUR`.
SEASON_SET_COLOURS: dict[str, str] = {
    "winter,spring": "#8da0cb",  # plains: blue-violet
    "spring,autumn": "#fc8d62",  # foothills: orange
    "summer,autumn": "#a6d854",  # mountain meadow steppe: yellow-green
    "summer": "#1b9e77",  # jailau, alpine meadows: green
    "winter": "#386cb0",
    "spring": "#ffd92f",
    "autumn": "#e5c494",
}

#: Fill colour of plots whose season set is not in :data:`SEASON_SET_COLOURS`.
OTHER_SEASONS_COLOUR = "#b3b3b3"

#: Fill colour by load status (``load.status``; grazing_models.load statuses).
LOAD_STATUS_COLOURS: dict[str, str] = {
    "overloaded": "#d7191c",
    "within capacity": "#1a9641",
    "underused": "#fdae61",
    "unknown": "#cccccc",
}

#: When a plot has a load status in several seasons, the one shown is the first
#: of these it has: overload is what an official must see first, then forage left
#: underused (against capacity; the law's "unused" is the norm status, not this).
LOAD_PRECEDENCE: tuple[str, ...] = ("overloaded", "underused", "within capacity", "unknown")

#: Fill colour by degradation trend status (``trends.status``).
TREND_STATUS_COLOURS: dict[str, str] = {
    "degrading": "#b2182b",
    "stable": "#f4f4f4",
    "improving": "#2166ac",
    "insufficient data": "#dddddd",
    "unknown": "#cccccc",
}

#: Herd colours on rotation maps and grazing charts (ColorBrewer Paired, 12 classes);
#: the 13th herd reuses the first colour.
HERD_COLOURS: tuple[str, ...] = (
    "#1f78b4",
    "#33a02c",
    "#e31a1c",
    "#ff7f00",
    "#6a3d9a",
    "#b15928",
    "#a6cee3",
    "#b2df8a",
    "#fb9a99",
    "#fdbf6f",
    "#cab2d6",
    "#ffff99",
)

#: A plot in its season, grazed in other weeks of the plan but not this one (rest).
RESTING_COLOUR = "#c7e9c0"

#: A plot outside its season this week.
OUT_OF_SEASON_COLOUR = "#9e9e9e"

#: Opacity of the NDVI tile layer over the basemap.
NDVI_OPACITY = 0.75

#: Simplification tolerance for display, in screen pixels at the zoom it is made for.
DISPLAY_TOLERANCE_PX = 0.5

#: Geometry is simplified for this many zoom levels deeper than the page opens at,
#: so that zooming in a little does not show the simplification.
DISPLAY_ZOOM_HEADROOM = 2

#: Width of the map the initial zoom is chosen for (a laptop screen).
MAP_WIDTH_PX = 1000

#: Decimal places of lon/lat on pages: 5 places ≈ 1.1 m at the equator.
COORD_DECIMALS = 5


def fill_style(colour: str, *, opacity: float = 0.7, class_name: str = "") -> dict[str, Any]:
    """Leaflet path options of a filled polygon with a thin grey outline."""
    style: dict[str, Any] = {
        "color": "#555555",
        "weight": 0.5,
        "fillColor": colour,
        "fillOpacity": opacity,
    }
    if class_name:
        style["className"] = class_name
    return style


def outline_style(
    colour: str, *, weight: float = 1.5, dash: str | None = None, class_name: str = ""
) -> dict[str, Any]:
    """Leaflet path options of an unfilled outline (clickable on its stroke only)."""
    style: dict[str, Any] = {"color": colour, "weight": weight, "fill": False}
    if dash:
        style["dashArray"] = dash
    if class_name:
        style["className"] = class_name
    return style


#: Lightness steps (HLS, 0-1) of a union's herds: darkest to lightest, all readable
#: on white and on the grey of out-of-season plots. A design choice, not domain data.
HERD_LIGHTNESS: tuple[float, float] = (0.28, 0.72)
#: Saturation levels the herds of a union alternate between.
HERD_SATURATION: tuple[float, ...] = (0.85, 0.55)


def union_hues(union_ids: list[str]) -> dict[str, float]:
    """Each union's hue in degrees, spread evenly round the colour circle (no two share one)."""
    ordered = sorted(set(union_ids))
    step = 360.0 / max(len(ordered), 1)
    # neighbours in id order are often neighbours on the map: interleave the circle
    order = list(range(0, len(ordered), 2)) + list(range(1, len(ordered), 2))
    return {ordered[i]: round(k * step, 3) for k, i in enumerate(order)}


def herd_colours(herds: list[tuple[str, str]]) -> dict[str, str]:
    """Herd id → colour: a union's herds in shades of the union's hue.

    Parameters
    ----------
    herds
        ``(herd_id, union_id)`` pairs.

    Returns
    -------
    dict
        Hex colours; within a union every herd has its own (lightness and
        saturation steps), and unions differ by hue (:func:`union_hues`).
    """
    import colorsys

    # village herds (land users ``village:<settlement>``, pasture.science.herds) share one
    # hue, so that unions keep hues apart however many villages send herds
    herds = [(h, VILLAGE_PREFIX if str(u).startswith(VILLAGE_PREFIX) else u) for h, u in herds]
    hues = union_hues([u for _, u in herds])
    by_union: dict[str, list[str]] = {}
    for herd, union in sorted(set(herds)):
        by_union.setdefault(union, []).append(herd)
    low, high = HERD_LIGHTNESS
    colours: dict[str, str] = {}
    for union, members in by_union.items():
        n = len(members)
        for k, herd in enumerate(members):
            light = low + (high - low) * (k / (n - 1) if n > 1 else 0.5)
            sat = HERD_SATURATION[k % len(HERD_SATURATION)]
            r, g, b = colorsys.hls_to_rgb(hues[union] / 360.0, light, sat)
            colours[herd] = f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
    return colours


#: A plot in its season that the plan never grazes (no herd in any week).
NOT_USED_COLOUR = "#ffffff"
