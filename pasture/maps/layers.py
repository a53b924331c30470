"""What the map builders share: the page, plot facts and shading, context and infrastructure layers.

Everything here takes plain frames and a translator; nothing reads a store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from grazing_models.capacity import BANDS

from ..errors import NotFound
from ..i18n import Translator
from ..model import SEASONS, parse_seasons
from .display import (
    display_tolerance,
    feature_collection,
    fit_zoom,
    simplify_for_display,
)
from .page import Assets, FeatureLayer, PastureMap, esc
from .style import (
    DISPLAY_ZOOM_HEADROOM,
    LOAD_PRECEDENCE,
    LOAD_STATUS_COLOURS,
    OTHER_SEASONS_COLOUR,
    SEASON_SET_COLOURS,
    TREND_STATUS_COLOURS,
    fill_style,
    outline_style,
)

#: What the plot fill shows: season set, load status or degradation trend.
ShadeBy = Literal["season", "load", "trend"]

#: CSS class of plot paths (the browser test counts ``path.pasture-plot``).
PLOT_CLASS = "pasture-plot"

OKRUG_COLOUR = "#444444"
UNION_COLOUR = "#7b3294"
ROUTE_COLOUR = "#8c510a"
WATER_COLOUR = "#0571b0"
DEGRADING_OUTLINE = "#b2182b"


# ----------------------------------------------------------------------------- page


def new_map(
    bounds: tuple[float, float, float, float],
    *,
    lang: str,
    title: str,
    basemap: str | None,
    basemap_attribution: str,
    assets: Assets,
) -> PastureMap:
    minx, miny, maxx, maxy = bounds
    m = PastureMap(
        assets=assets,
        lang=lang,
        title=title,
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=fit_zoom(bounds),
        tiles=None,
        control_scale=True,
    )
    if basemap:
        folium.TileLayer(
            tiles=basemap, attr=basemap_attribution, name="basemap", control=False
        ).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def frame_bounds(*frames: gpd.GeoDataFrame | None) -> tuple[float, float, float, float]:
    boxes = [f.to_crs(4326).total_bounds for f in frames if f is not None and len(f)]
    if not boxes:
        raise NotFound("nothing to draw: every layer given to the map is empty")
    arr = np.vstack(boxes)
    return (
        float(arr[:, 0].min()),
        float(arr[:, 1].min()),
        float(arr[:, 2].max()),
        float(arr[:, 3].max()),
    )


def display_plots(
    plots: gpd.GeoDataFrame,
    bounds: tuple[float, float, float, float],
    *,
    simplify: bool,
    tolerance: float | None,
) -> gpd.GeoDataFrame:
    plots = plots.to_crs(4326) if plots.crs is not None and plots.crs.to_epsg() != 4326 else plots
    if not simplify or len(plots) == 0:
        return plots
    if tolerance is None:
        zoom = fit_zoom(bounds) + DISPLAY_ZOOM_HEADROOM
        tolerance = display_tolerance(zoom, latitude=(bounds[1] + bounds[3]) / 2)
    return simplify_for_display(plots, tolerance=tolerance)


# ----------------------------------------------------------------------------- facts


def season_rows(frame: pd.DataFrame, year: int | None, season: str | None) -> pd.DataFrame:
    """:func:`latest_rows` of ``year``, only ``season``'s where one is given."""
    rows = latest_rows(frame, year)
    return rows if season is None else rows[rows["season"] == season]


def latest_rows(frame: pd.DataFrame, year: int | None) -> pd.DataFrame:
    if frame.empty or "year" not in frame:
        return frame
    wanted = int(frame["year"].max()) if year is None else year
    return frame[frame["year"] == wanted]


def by_season(rows: pd.DataFrame, key: str, fmt: Any, t: Translator) -> dict[str, str]:
    """``{plot_id: "summer: ...; autumn: ..."}`` in season order."""
    order = {s: i for i, s in enumerate(SEASONS)}
    rows = rows.assign(_o=rows["season"].map(order).fillna(len(order))).sort_values([key, "_o"])
    out: dict[str, list[str]] = {}
    for rec in rows.to_dict("records"):
        out.setdefault(str(rec[key]), []).append(f"{t.season(str(rec['season']))}: {fmt(rec)}")
    return {k: esc("; ".join(v)) for k, v in out.items()}


def band_text(row: Mapping[str, Any], column: str, show: Callable[[Any], str]) -> str:
    """``central (low–high)`` of a row's three band columns (``column`` with ``{}`` for the
    band: the forage basis's prediction interval, docs/domain.md); the central value alone
    where the band is one value (forage from yields) or missing."""
    low, central, high = (row.get(column.format(b)) for b in BANDS)
    known = [v for v in (low, high) if v is not None and v == v]
    if len(known) < 2 or low == high:
        return show(central)
    return f"{show(central)} ({show(low)}–{show(high)})"


def capacity_facts(
    capacity: pd.DataFrame, t: Translator, *, year: int | None, season: str | None
) -> tuple[dict[str, str], dict[str, str]]:
    """Per plot id: its forage (t DM) and capacity by season, each ``central (low–high)``."""
    rows = season_rows(capacity, year, season)
    forage = by_season(
        rows,
        "plot_id",
        lambda r: (
            band_text(r, "forage_{}_kg", lambda v: t.number(_tonnes(v), digits=1)) + " " + t("t DM")
        ),
        t,
    )
    sheep = by_season(
        rows,
        "plot_id",
        lambda r: band_text(r, "capacity_su_{}", t.number) + " " + t("forage-equivalent sheep"),
        t,
    )
    return forage, sheep


def _tonnes(kg: Any) -> Any:
    return None if kg is None or kg != kg else kg / 1000


def load_share(row: Mapping[str, Any], t: Translator) -> str:
    """A plot's load as a share of its capacity (``central (low–high)``), or that it is
    withheld: a load row the disclosure rules suppressed (``suppressed``,
    `pasture.disclosure`) would reveal one household's livestock (its status, a band, is
    still shown beside it)."""
    if bool(row.get("suppressed", False)):
        return t("withheld (privacy)")
    return band_text(row, "stocking_ratio_{}", t.percent)


def withheld_note(load: pd.DataFrame | None, t: Translator) -> list[tuple[str, str]]:
    """The legend's note that some plots' load is withheld (none when no row is)."""
    if load is None or "suppressed" not in load or not load["suppressed"].astype(bool).any():
        return []
    note = t("The load of a plot grazed by too few households, or mostly by one, is withheld.")
    return [(t("withheld (privacy)"), f"<div>{esc(note)}</div>")]


def plot_facts(
    plots: gpd.GeoDataFrame,
    t: Translator,
    *,
    unions: gpd.GeoDataFrame | None,
    okrugs: gpd.GeoDataFrame | None,
    capacity: pd.DataFrame | None,
    load: pd.DataFrame | None,
    trends: pd.DataFrame | None,
    year: int | None,
    season: str | None,
) -> tuple[list[str], dict[str, list[str | None]], dict[str, str], dict[str, str]]:
    """Popup labels, popup values per plot id, load status and trend status per plot id."""
    union_names = names_by_id(unions, "name")
    okrug_names = names_by_id(okrugs, f"name_{t.lang}", fallback="name_en")
    labels = [
        t("Plot"),
        t("Area"),
        t("Seasons"),
        t("Pasture type"),
        t("Union"),
        t("Rural district"),
        t("Elevation"),
    ]
    forage_text: dict[str, str] = {}
    capacity_text: dict[str, str] = {}
    load_text: dict[str, str] = {}
    load_status: dict[str, str] = {}
    trend_text: dict[str, str] = {}
    trend_status: dict[str, str] = {}
    if capacity is not None:
        labels += [t("Forage"), t("Capacity")]
        forage_text, capacity_text = capacity_facts(capacity, t, year=year, season=season)
    if load is not None:
        labels.append(t("Load"))
        rows = season_rows(load[load["level"] == "plot"] if "level" in load else load, year, season)
        load_text = by_season(
            rows,
            "group_id",
            lambda r: f"{load_share(r, t)} ({t.pgettext('load', str(r['status']))})",
            t,
        )
        rank = {s: i for i, s in enumerate(LOAD_PRECEDENCE)}
        for gid, statuses in rows.groupby("group_id")["status"]:
            load_status[str(gid)] = min(statuses, key=lambda s: rank.get(s, len(rank)))
    if trends is not None:
        labels.append(t("Trend"))
        for rec in trends.to_dict("records"):
            pid = str(rec["plot_id"])
            status = str(rec.get("status") or "unknown")
            trend_status[pid] = status
            slope = rec.get("slope")
            text = t.pgettext("trend", status)
            if slope is not None and slope == slope:
                text += f" ({t.number(slope, digits=4)} {t('NDVI per year')})"
            trend_text[pid] = esc(text)
    values: dict[str, list[str | None]] = {}
    for rec in plots.drop(columns=plots.geometry.name).to_dict("records"):
        pid = str(rec["id"])
        name = rec.get("name")
        union_id = rec.get("union_id")
        row: list[str | None] = [
            esc(f"{pid} — {name}" if name else pid),
            esc(t.quantity(rec.get("area_ha"), "ha", digits=1)),
            esc(t.seasons(rec.get("seasons"))),
            esc(t.pgettext("pasture", str(rec["pasture_type"])))
            if rec.get("pasture_type")
            else None,
            esc(union_names.get(str(union_id), union_id) if union_id else t("public pasture")),
            esc(okrug_names.get(str(rec.get("okrug_id")), rec.get("okrug_id"))),
            esc(t.quantity(rec.get("elevation_m"), "m"))
            if rec.get("elevation_m") == rec.get("elevation_m")
            and rec.get("elevation_m") is not None
            else None,
        ]
        if capacity is not None:
            row.append(forage_text.get(pid, esc(t("no data"))))
            row.append(capacity_text.get(pid, esc(t("no data"))))
        if load is not None:
            row.append(load_text.get(pid, esc(t("no data"))))
        if trends is not None:
            row.append(trend_text.get(pid, esc(t("no data"))))
        values[pid] = row
    return labels, values, load_status, trend_status


def names_by_id(
    frame: pd.DataFrame | None, column: str, *, fallback: str | None = None
) -> dict[str, str]:
    if frame is None or len(frame) == 0:
        return {}
    col = column if column in frame else fallback
    if col is None or col not in frame:
        return {}
    return {str(k): str(v) for k, v in zip(frame["id"], frame[col], strict=True) if v is not None}


def season_key(seasons: Any) -> str:
    text = ",".join(parse_seasons(seasons)) if isinstance(seasons, str) else ""
    return text if text in SEASON_SET_COLOURS else "other"


def shading(
    shade_by: ShadeBy,
    plots: gpd.GeoDataFrame,
    t: Translator,
    load_status: Mapping[str, str],
    trend_status: Mapping[str, str],
) -> tuple[dict[str, str], dict[str, dict[str, Any]], tuple[str, list[tuple[str, str, str]]]]:
    """Style key per plot id, the style table and the legend section of the fill."""
    ids = [str(i) for i in plots["id"]]
    if shade_by == "season":
        keys = {pid: season_key(s) for pid, s in zip(ids, plots["seasons"], strict=True)}
        present = [k for k in SEASON_SET_COLOURS if k in set(keys.values())]
        colours = {k: SEASON_SET_COLOURS[k] for k in present} | {"other": OTHER_SEASONS_COLOUR}
        entries = [(SEASON_SET_COLOURS[k], t.seasons(k), "fill") for k in present]
        if "other" in keys.values():
            entries.append((OTHER_SEASONS_COLOUR, t("other combinations"), "fill"))
        title = t("Season of use")
    elif shade_by == "load":
        keys = {pid: load_status.get(pid, "unknown") for pid in ids}
        colours = dict(LOAD_STATUS_COLOURS)
        entries = [(c, t.pgettext("load", s), "fill") for s, c in LOAD_STATUS_COLOURS.items()]
        title = t("Load against capacity")
    elif shade_by == "trend":
        keys = {pid: trend_status.get(pid, "unknown") for pid in ids}
        colours = dict(TREND_STATUS_COLOURS)
        entries = [(c, t.pgettext("trend", s), "fill") for s, c in TREND_STATUS_COLOURS.items()]
        title = t("Degradation trend")
    else:
        raise ValueError(f"shade_by must be 'season', 'load' or 'trend', got {shade_by!r}")
    styles = {k: fill_style(c, class_name=PLOT_CLASS) for k, c in colours.items()}
    styles[""] = fill_style(OTHER_SEASONS_COLOUR, class_name=PLOT_CLASS)
    return keys, styles, (title, entries)


# ----------------------------------------------------------------------------- context layers


def add_context(
    m: PastureMap,
    t: Translator,
    *,
    okrugs: gpd.GeoDataFrame | None,
    unions: gpd.GeoDataFrame | None,
) -> list[tuple[str, str, str]]:
    """Okrug and union outlines (below the plots); their legend entries."""
    entries = []
    if okrugs is not None and len(okrugs):
        name_col = f"name_{t.lang}" if f"name_{t.lang}" in okrugs else "name_en"
        data = feature_collection(okrugs, lambda r: {"t": esc(r.get(name_col) or r["id"])})
        FeatureLayer(
            data,
            name=t("Rural districts"),
            role="okrugs",
            styles={"": outline_style(OKRUG_COLOUR, weight=1.5, class_name="pasture-okrug")},
        ).add_to(m)
        entries.append((OKRUG_COLOUR, t("Rural districts"), "line"))
    if unions is not None and len(unions):
        data = feature_collection(unions, lambda r: {"t": esc(r.get("name") or r["id"])})
        FeatureLayer(
            data,
            name=t("Unions of pasture users"),
            role="unions",
            styles={
                "": outline_style(UNION_COLOUR, weight=2.5, dash="6 4", class_name="pasture-union")
            },
        ).add_to(m)
        entries.append((UNION_COLOUR, t("Unions of pasture users"), "line"))
    return entries


def add_infrastructure(
    m: PastureMap,
    t: Translator,
    *,
    water: gpd.GeoDataFrame | None,
    routes: gpd.GeoDataFrame | None,
) -> list[tuple[str, str, str]]:
    """Routes and water points (above the plots); their legend entries."""
    entries = []
    if routes is not None and len(routes):
        data = feature_collection(
            routes,
            lambda r: {
                "t": esc(" — ".join(x for x in (r.get("name"), t.seasons(r.get("seasons"))) if x))
            },
        )
        FeatureLayer(
            data,
            name=t("Livestock routes"),
            role="routes",
            styles={
                "": {
                    "color": ROUTE_COLOUR,
                    "weight": 3,
                    "dashArray": "8 4",
                    "className": "pasture-route",
                }
            },
        ).add_to(m)
        entries.append((ROUTE_COLOUR, t("Livestock routes"), "line"))
    if water is not None and len(water):

        def props(r: Mapping[str, Any]) -> dict[str, Any]:
            kind = t.pgettext("water", str(r["kind"])) if r.get("kind") else ""
            cap = r.get("capacity_m3_day")
            return {
                "t": esc(" — ".join(x for x in (r.get("name") or r["id"], kind) if x)),
                "p": [
                    esc(r.get("name") or r["id"]),
                    esc(kind),
                    esc(t.quantity(cap, "m³/day", digits=1))
                    if cap is not None and cap == cap
                    else None,
                ],
            }

        FeatureLayer(
            feature_collection(water, props),
            name=t("Water points"),
            role="water",
            styles={
                "": {
                    "color": "#ffffff",
                    "weight": 1,
                    "fillColor": WATER_COLOUR,
                    "fillOpacity": 0.9,
                    "className": "pasture-water",
                }
            },
            popup_labels=[t("Water point"), t("Kind"), t("Capacity")],
            point_radius=4,
        ).add_to(m)
        entries.append((WATER_COLOUR, t("Water points"), "point"))
    return entries


def ndvi_ramp(lang: str) -> str:
    from ..ndvi import NDVI_STOPS, ndvi_legend

    stops = ndvi_legend(NDVI_STOPS, lang=lang)
    gradient = ", ".join(c for _, c, _ in stops)
    return (
        f'<div class="pasture-ndvi-ramp" style="width:180px;height:10px;border:1px solid #555;'
        f'background:linear-gradient(to right, {gradient})"></div>'
        f'<div style="display:flex;justify-content:space-between;width:182px">'
        f"<span>{esc(stops[0][2])}</span><span>{esc(stops[len(stops) // 2][2])}</span>"
        f"<span>{esc(stops[-1][2])}</span></div>"
    )
