"""Map builders: overview, union and rotation maps as ``folium.Map`` objects.

Every builder takes plain frames (the layers as GeoDataFrames in EPSG:4326,
result tables as DataFrames with the columns of :mod:`pasture.model`) and
keyword options, and returns a map; nothing here reads a store. Every text
the map shows goes through :mod:`pasture.i18n`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import NotFound
from ..i18n import Translator, translator
from ..model import SEASONS, parse_seasons
from .display import (
    display_tolerance,
    feature_collection,
    fit_zoom,
    simplify_for_display,
)
from .page import Assets, FeatureLayer, Legend, PastureMap, esc, script_json
from .style import (
    BASEMAP_ATTRIBUTION,
    DEFAULT_BASEMAP,
    DISPLAY_ZOOM_HEADROOM,
    HERD_COLOURS,
    LOAD_PRECEDENCE,
    LOAD_STATUS_COLOURS,
    NDVI_OPACITY,
    OTHER_SEASONS_COLOUR,
    OUT_OF_SEASON_COLOUR,
    RESTING_COLOUR,
    SEASON_SET_COLOURS,
    TREND_STATUS_COLOURS,
    fill_style,
    outline_style,
)

__all__ = ["ShadeBy", "overview_map", "rotation_map", "union_map"]

#: What the plot fill shows: season set, load status or degradation trend.
ShadeBy = Literal["season", "load", "trend"]

#: CSS class of plot paths (the browser test counts ``path.pasture-plot``).
PLOT_CLASS = "pasture-plot"

_OKRUG_COLOUR = "#444444"
_UNION_COLOUR = "#7b3294"
_ROUTE_COLOUR = "#8c510a"
_WATER_COLOUR = "#0571b0"
_DEGRADING_OUTLINE = "#b2182b"


# ----------------------------------------------------------------------------- page


def _new_map(
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


def _bounds(*frames: gpd.GeoDataFrame | None) -> tuple[float, float, float, float]:
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


def _display_plots(
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


def _latest(frame: pd.DataFrame, year: int | None) -> pd.DataFrame:
    if frame.empty or "year" not in frame:
        return frame
    wanted = int(frame["year"].max()) if year is None else year
    return frame[frame["year"] == wanted]


def _by_season(rows: pd.DataFrame, key: str, fmt: Any, t: Translator) -> dict[str, str]:
    """``{plot_id: "summer: ...; autumn: ..."}`` in season order."""
    order = {s: i for i, s in enumerate(SEASONS)}
    rows = rows.assign(_o=rows["season"].map(order).fillna(len(order))).sort_values([key, "_o"])
    out: dict[str, list[str]] = {}
    for rec in rows.to_dict("records"):
        out.setdefault(str(rec[key]), []).append(f"{t.season(str(rec['season']))}: {fmt(rec)}")
    return {k: esc("; ".join(v)) for k, v in out.items()}


def _plot_facts(
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
    union_names = _names(unions, "name")
    okrug_names = _names(okrugs, f"name_{t.lang}", fallback="name_en")
    labels = [
        t("Plot"),
        t("Area"),
        t("Seasons"),
        t("Pasture type"),
        t("Union"),
        t("Rural district"),
        t("Elevation"),
    ]
    capacity_text: dict[str, str] = {}
    load_text: dict[str, str] = {}
    load_status: dict[str, str] = {}
    trend_text: dict[str, str] = {}
    trend_status: dict[str, str] = {}
    if capacity is not None:
        labels.append(t("Capacity"))
        rows = _latest(capacity, year)
        if season is not None:
            rows = rows[rows["season"] == season]
        capacity_text = _by_season(
            rows,
            "plot_id",
            lambda r: t.quantity(r.get("capacity_su_central"), "sheep units"),
            t,
        )
    if load is not None:
        labels.append(t("Load"))
        rows = load[load["level"] == "plot"] if "level" in load else load
        rows = _latest(rows, year)
        if season is not None:
            rows = rows[rows["season"] == season]
        load_text = _by_season(
            rows,
            "group_id",
            lambda r: (
                f"{t.percent(r.get('stocking_ratio_central'))} ({t.pgettext('load', str(r['status']))})"
            ),
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
            row.append(capacity_text.get(pid, esc(t("no data"))))
        if load is not None:
            row.append(load_text.get(pid, esc(t("no data"))))
        if trends is not None:
            row.append(trend_text.get(pid, esc(t("no data"))))
        values[pid] = row
    return labels, values, load_status, trend_status


def _names(
    frame: pd.DataFrame | None, column: str, *, fallback: str | None = None
) -> dict[str, str]:
    if frame is None or len(frame) == 0:
        return {}
    col = column if column in frame else fallback
    if col is None or col not in frame:
        return {}
    return {str(k): str(v) for k, v in zip(frame["id"], frame[col], strict=True) if v is not None}


def _season_key(seasons: Any) -> str:
    text = ",".join(parse_seasons(seasons)) if isinstance(seasons, str) else ""
    return text if text in SEASON_SET_COLOURS else "other"


def _shading(
    shade_by: ShadeBy,
    plots: gpd.GeoDataFrame,
    t: Translator,
    load_status: Mapping[str, str],
    trend_status: Mapping[str, str],
) -> tuple[dict[str, str], dict[str, dict[str, Any]], tuple[str, list[tuple[str, str, str]]]]:
    """Style key per plot id, the style table and the legend section of the fill."""
    ids = [str(i) for i in plots["id"]]
    if shade_by == "season":
        keys = {pid: _season_key(s) for pid, s in zip(ids, plots["seasons"], strict=True)}
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


def _add_context(
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
            styles={"": outline_style(_OKRUG_COLOUR, weight=1.5, class_name="pasture-okrug")},
        ).add_to(m)
        entries.append((_OKRUG_COLOUR, t("Rural districts"), "line"))
    if unions is not None and len(unions):
        data = feature_collection(unions, lambda r: {"t": esc(r.get("name") or r["id"])})
        FeatureLayer(
            data,
            name=t("Unions of pasture users"),
            role="unions",
            styles={
                "": outline_style(_UNION_COLOUR, weight=2.5, dash="6 4", class_name="pasture-union")
            },
        ).add_to(m)
        entries.append((_UNION_COLOUR, t("Unions of pasture users"), "line"))
    return entries


def _add_infrastructure(
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
                    "color": _ROUTE_COLOUR,
                    "weight": 3,
                    "dashArray": "8 4",
                    "className": "pasture-route",
                }
            },
        ).add_to(m)
        entries.append((_ROUTE_COLOUR, t("Livestock routes"), "line"))
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
                    "fillColor": _WATER_COLOUR,
                    "fillOpacity": 0.9,
                    "className": "pasture-water",
                }
            },
            popup_labels=[t("Water point"), t("Kind"), t("Capacity")],
            point_radius=4,
        ).add_to(m)
        entries.append((_WATER_COLOUR, t("Water points"), "point"))
    return entries


def _ndvi_ramp(lang: str) -> str:
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


# ----------------------------------------------------------------------------- builders


def overview_map(
    plots: gpd.GeoDataFrame,
    *,
    okrugs: gpd.GeoDataFrame | None = None,
    unions: gpd.GeoDataFrame | None = None,
    water: gpd.GeoDataFrame | None = None,
    routes: gpd.GeoDataFrame | None = None,
    capacity: pd.DataFrame | None = None,
    load: pd.DataFrame | None = None,
    trends: pd.DataFrame | None = None,
    shade_by: ShadeBy = "season",
    year: int | None = None,
    season: str | None = None,
    ndvi_tiles: str | None = None,
    ndvi_attribution: str = "NDVI",
    lang: str = "kk",
    basemap: str | None = DEFAULT_BASEMAP,
    basemap_attribution: str = BASEMAP_ATTRIBUTION,
    assets: Assets | None = None,
    simplify: bool = True,
    tolerance: float | None = None,
    title: str | None = None,
) -> folium.Map:
    """The district overview: okrugs, unions, plots, degradation, water points, routes, NDVI.

    Parameters
    ----------
    plots, okrugs, unions, water, routes
        Layers as read from the store (``Store.read``), EPSG:4326.
    capacity, load, trends
        Result tables (``Store.read_rows``); each adds a line to the plot
        popups. ``load`` rows of ``level == "plot"`` give the load status.
        ``trends`` also adds the "Degrading plots" overlay.
    shade_by
        Plot fill: ``season`` (season set), ``load`` (overloaded / within
        capacity / unused / unknown; a plot with several seasons shows the
        first of :data:`~pasture.maps.style.LOAD_PRECEDENCE`) or ``trend``.
    year, season
        Which capacity and load rows to show; default the latest year, all seasons.
    ndvi_tiles
        XYZ URL template of NDVI tiles (``.../{z}/{x}/{y}.png``), added as an
        overlay with the NDVI colour legend; None: no NDVI layer.
    lang
        ``kk``, ``ru`` or ``en``: every label, the ``<html lang>`` and number formats.
    basemap
        XYZ URL template of the background, or None for none (offline pages).
    assets
        Where Leaflet comes from (:class:`~pasture.maps.page.Assets`); default CDN.
    simplify, tolerance
        Plots are simplified as a coverage for display; ``tolerance`` in
        degrees, default half a pixel two zoom levels below the opening zoom.
    """
    t = translator(lang)
    bounds = _bounds(plots, okrugs, unions)
    m = _new_map(
        bounds,
        lang=lang,
        title=title or t("Pasture overview"),
        basemap=basemap,
        basemap_attribution=basemap_attribution,
        assets=assets or Assets.cdn(),
    )
    if ndvi_tiles:
        folium.TileLayer(
            tiles=ndvi_tiles,
            attr=ndvi_attribution,
            name=t("NDVI (vegetation index)"),
            overlay=True,
            control=True,
            opacity=NDVI_OPACITY,
            show=False,
        ).add_to(m)
    line_entries = _add_context(m, t, okrugs=okrugs, unions=unions)
    shown = _display_plots(plots, bounds, simplify=simplify, tolerance=tolerance)
    fill_section = _add_plots(
        m,
        t,
        shown,
        unions=unions,
        okrugs=okrugs,
        capacity=capacity,
        load=load,
        trends=trends,
        shade_by=shade_by,
        year=year,
        season=season,
    )
    if trends is not None and len(trends):
        degrading = set(trends.loc[trends["status"] == "degrading", "plot_id"].astype(str))
        subset = shown[shown["id"].astype(str).isin(degrading)]
        FeatureLayer(
            feature_collection(
                subset, lambda r: {"t": esc(f"{r['id']} — {t.pgettext('trend', 'degrading')}")}
            ),
            name=t("Degrading plots"),
            role="degrading",
            styles={
                "": outline_style(_DEGRADING_OUTLINE, weight=2.5, class_name="pasture-degrading")
            },
        ).add_to(m)
        line_entries.append((_DEGRADING_OUTLINE, t("Degrading plots"), "outline"))
    line_entries += _add_infrastructure(m, t, water=water, routes=routes)
    sections: list[tuple[str, list[tuple[str, str, str]] | str]] = [fill_section]
    if line_entries:
        sections.append((t("Legend"), line_entries))
    if ndvi_tiles:
        sections.append((t("NDVI (vegetation index)"), _ndvi_ramp(lang)))
    Legend(sections, title=t("Legend")).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def _add_plots(
    m: PastureMap,
    t: Translator,
    plots: gpd.GeoDataFrame,
    *,
    unions: gpd.GeoDataFrame | None,
    okrugs: gpd.GeoDataFrame | None,
    capacity: pd.DataFrame | None,
    load: pd.DataFrame | None,
    trends: pd.DataFrame | None,
    shade_by: ShadeBy,
    year: int | None,
    season: str | None,
) -> tuple[str, list[tuple[str, str, str]]]:
    labels, values, load_status, trend_status = _plot_facts(
        plots,
        t,
        unions=unions,
        okrugs=okrugs,
        capacity=capacity,
        load=load,
        trends=trends,
        year=year,
        season=season,
    )
    keys, styles, section = _shading(shade_by, plots, t, load_status, trend_status)

    def props(r: Mapping[str, Any]) -> dict[str, Any]:
        pid = str(r["id"])
        return {"k": keys[pid], "t": esc(f"{pid} {r.get('name') or ''}".strip()), "p": values[pid]}

    FeatureLayer(
        feature_collection(plots, props),
        name=t("Plots"),
        role="plots",
        styles=styles,
        popup_labels=labels,
    ).add_to(m)
    return section


def union_map(
    plots: gpd.GeoDataFrame,
    union_id: str,
    *,
    unions: gpd.GeoDataFrame | None = None,
    okrugs: gpd.GeoDataFrame | None = None,
    water: gpd.GeoDataFrame | None = None,
    routes: gpd.GeoDataFrame | None = None,
    capacity: pd.DataFrame | None = None,
    load: pd.DataFrame | None = None,
    trends: pd.DataFrame | None = None,
    shade_by: ShadeBy = "season",
    year: int | None = None,
    season: str | None = None,
    lang: str = "kk",
    basemap: str | None = DEFAULT_BASEMAP,
    basemap_attribution: str = BASEMAP_ATTRIBUTION,
    assets: Assets | None = None,
    simplify: bool = True,
    tolerance: float | None = None,
    title: str | None = None,
) -> folium.Map:
    """One union's allocated plots, its boundary and the water points and routes on its land.

    Only plots with ``union_id == union_id`` are drawn (a union page must not
    show other unions' plots). Water points and routes are kept where they
    touch the union's boundary (or its plots' extent without ``unions``).

    Raises
    ------
    NotFound
        When ``unions`` is given and has no such union, or when no plot is
        allocated to it and there is no boundary to show.
    """
    t = translator(lang)
    own = plots[plots["union_id"].astype(object).eq(union_id)]
    boundary = None
    if unions is not None:
        boundary = unions[unions["id"] == union_id]
        if boundary.empty:
            raise NotFound(f"union {union_id!r} does not exist")
    if own.empty and (boundary is None or boundary.empty):
        raise NotFound(f"no plot is allocated to union {union_id!r}")
    area = (
        boundary.geometry.union_all()
        if boundary is not None and len(boundary)
        else own.geometry.union_all().envelope
    )
    bounds = _bounds(own if len(own) else None, boundary)
    name = _names(unions, "name").get(union_id, union_id)
    m = _new_map(
        bounds,
        lang=lang,
        title=title or f"{t('Plots of the union')}: {name}",
        basemap=basemap,
        basemap_attribution=basemap_attribution,
        assets=assets or Assets.cdn(),
    )
    line_entries = _add_context(m, t, okrugs=None, unions=boundary)
    shown = _display_plots(own, bounds, simplify=simplify, tolerance=tolerance)
    sections: list[tuple[str, list[tuple[str, str, str]] | str]] = []
    if len(shown):
        sections.append(
            _add_plots(
                m,
                t,
                shown,
                unions=unions,
                okrugs=okrugs,
                capacity=capacity,
                load=load,
                trends=trends,
                shade_by=shade_by,
                year=year,
                season=season,
            )
        )
    near_water = water[water.intersects(area)] if water is not None else None
    near_routes = routes[routes.intersects(area)] if routes is not None else None
    line_entries += _add_infrastructure(m, t, water=near_water, routes=near_routes)
    count = t.ngettext("{n} plot", "{n} plots", len(own)).format(n=len(own))
    if line_entries:
        sections.append((t("Legend"), line_entries))
    sections.insert(0, (f"{name} — {count}", []))
    Legend(sections, title=t("Legend")).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


# ----------------------------------------------------------------------------- rotation

#: Week state codes in the rotation page's data (herd indices are >= 0).
RESTING, OUT_OF_SEASON = -1, -2


class WeekSelector(folium.MacroElement):
    """A ◀ / week list / ▶ control that restyles a plot layer per week of a rotation plan.

    Each plot feature carries ``w``, its state per period: a herd index
    (>= 0), ``-1`` resting or ``-2`` out of season, and optionally ``m``,
    ``{period index: [herd indices]}`` where several herds share a plot.
    ``window.pastureShowWeek(i)`` switches weeks from outside (tests, links).
    """

    _template = folium.template.Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var layer = {{ this.layer.get_name() }}, map = {{ this._parent.get_name() }};
    var weeks = {{ this.weeks_json }}, herds = {{ this.herds_json }}, text = {{ this.text_json }};
    var base = {{ this.base_json }}, current = {{ this.start }};
    function colour(s) {
        return s >= 0 ? herds[s].c : (s === {{ this.resting }} ? text.restingColour : text.outColour);
    }
    function style(f) {
        var s = Object.assign({}, base);
        s.fillColor = colour(f.properties.w[current]);
        return s;
    }
    function label(f) {
        var s = f.properties.w[current], state;
        if (s >= 0) {
            var many = (f.properties.m && f.properties.m[current]) || [s];
            state = text.grazing.replace("{herd}", many.map(function (h) { return herds[h].n; }).join(", "));
        } else {
            state = s === {{ this.resting }} ? text.resting : text.out;
        }
        return f.properties.t + "<br>" + state;
    }
    layer.eachLayer(function (l) {
        l.bindTooltip(function () { return label(l.feature); }, {sticky: true});
    });
    var select;
    function show(i) {
        current = Math.max(0, Math.min(weeks.length - 1, i));
        select.value = String(current);
        layer.setStyle(style);
    }
    var control = L.control({position: "topright"});
    control.onAdd = function () {
        var div = L.DomUtil.create("div", "pasture-weeks leaflet-bar");
        div.style.background = "#fff";
        div.style.padding = "4px";
        var prev = L.DomUtil.create("button", "pasture-week-prev", div);
        prev.textContent = "\\u25C0";
        prev.title = text.previous;
        select = L.DomUtil.create("select", "pasture-week-select", div);
        select.setAttribute("aria-label", text.week);
        weeks.forEach(function (w, i) {
            var o = document.createElement("option");
            o.value = String(i);
            o.textContent = w;
            select.appendChild(o);
        });
        var next = L.DomUtil.create("button", "pasture-week-next", div);
        next.textContent = "\\u25B6";
        next.title = text.next;
        L.DomEvent.on(prev, "click", function () { show(current - 1); });
        L.DomEvent.on(next, "click", function () { show(current + 1); });
        L.DomEvent.on(select, "change", function () { show(parseInt(select.value, 10)); });
        L.DomEvent.disableClickPropagation(div);
        return div;
    };
    control.addTo(map);
    show(current);
    window.pastureShowWeek = show;
})();
{% endmacro %}
"""
    )

    def __init__(
        self,
        layer: FeatureLayer,
        *,
        weeks: list[str],
        herds: list[dict[str, str]],
        text: dict[str, str],
        base_style: dict[str, Any],
        start: int = 0,
    ) -> None:
        super().__init__()
        self._name = "WeekSelector"
        self.layer = layer
        self.weeks_json = script_json(weeks)
        self.herds_json = script_json(herds)
        self.text_json = script_json(text)
        self.base_json = script_json(base_style)
        self.start = int(start)
        self.resting = RESTING


def _periods(assignments: pd.DataFrame, periods: pd.DataFrame | None) -> pd.DataFrame:
    if periods is None:
        cols = [c for c in ("period", "start", "end", "season") if c in assignments]
        periods = assignments[cols].drop_duplicates("period")
    return periods.sort_values("period").reset_index(drop=True)


def rotation_map(
    plots: gpd.GeoDataFrame,
    assignments: pd.DataFrame,
    periods: pd.DataFrame | None = None,
    *,
    season: str | None = None,
    herds: pd.DataFrame | None = None,
    week: int | None = None,
    lang: str = "kk",
    basemap: str | None = DEFAULT_BASEMAP,
    basemap_attribution: str = BASEMAP_ATTRIBUTION,
    assets: Assets | None = None,
    simplify: bool = True,
    tolerance: float | None = None,
    title: str | None = None,
) -> folium.Map:
    """A rotation plan week by week: which herd grazes which plot, which rest, which are out of season.

    Week switching happens in the page: all weeks' states travel with the
    plots (a few bytes per plot and week) and a small inline script restyles
    the layer (:class:`WeekSelector`). folium's ``TimestampedGeoJson`` was not
    used: it loads jQuery, jQuery UI and Leaflet.TimeDimension from CDNs and
    copies every geometry once per time step.

    Parameters
    ----------
    plots
        The plots to draw (all, or a union's); plots not in the plan rest or
        are out of season.
    assignments
        Rows of the ``assignments`` table of one plan (``plan_id``,
        ``herd_id``, ``period``, ``start``, ``end``, ``plot_id``); rows without
        a plot (herds that could not be placed) are not drawn.
    periods
        ``period``, ``start``, ``end`` and optionally ``season`` per period;
        default: taken from ``assignments``.
    season
        The plan's season, for periods without a ``season`` column. A plot is
        out of season in a period whose season is not in its ``seasons``; with
        neither, every ungrazed plot counts as resting.
    herds
        The ``herds`` layer or any frame with ``id`` and ``name``: herd labels.
    week
        Index of the period shown first; default the first.
    """
    t = translator(lang)
    table = _periods(assignments, periods)
    if table.empty:
        raise NotFound("the plan has no periods to show")
    bounds = _bounds(plots)
    m = _new_map(
        bounds,
        lang=lang,
        title=title or t("Pasture rotation"),
        basemap=basemap,
        basemap_attribution=basemap_attribution,
        assets=assets or Assets.cdn(),
    )
    shown = _display_plots(plots, bounds, simplify=simplify, tolerance=tolerance)
    herd_ids = sorted(str(h) for h in assignments["herd_id"].dropna().unique())
    herd_index = {h: i for i, h in enumerate(herd_ids)}
    herd_names = _names(herds, "name")
    period_index = {int(p): i for i, p in enumerate(table["period"])}
    period_seasons = (
        [str(s) if s else season for s in table["season"]]
        if "season" in table
        else [season] * len(table)
    )
    placed = assignments[assignments["plot_id"].notna() & (assignments["plot_id"] != "")]
    grazing: dict[str, dict[int, list[int]]] = {}
    for rec in placed.sort_values("herd_id").to_dict("records"):
        i = period_index.get(int(rec["period"]))
        if i is None:
            continue
        grazing.setdefault(str(rec["plot_id"]), {}).setdefault(i, []).append(
            herd_index[str(rec["herd_id"])]
        )

    def props(r: Mapping[str, Any]) -> dict[str, Any]:
        pid = str(r["id"])
        own = set(parse_seasons(r.get("seasons")))
        here = grazing.get(pid, {})
        states = []
        for i, s in enumerate(period_seasons):
            if i in here:
                states.append(here[i][0])
            elif s is not None and s not in own:
                states.append(OUT_OF_SEASON)
            else:
                states.append(RESTING)
        out: dict[str, Any] = {"t": esc(f"{pid} {r.get('name') or ''}".strip()), "w": states}
        many = {str(i): h for i, h in here.items() if len(h) > 1}
        if many:
            out["m"] = many
        return out

    base = fill_style(RESTING_COLOUR, opacity=0.8, class_name=PLOT_CLASS)
    layer = FeatureLayer(
        feature_collection(shown, props),
        name=t("Plots"),
        role="plots",
        styles={"": base},
    )
    layer.add_to(m)
    herd_list = [
        {"n": esc(herd_names.get(h, h)), "c": HERD_COLOURS[i % len(HERD_COLOURS)]}
        for i, h in enumerate(herd_ids)
    ]
    weeks = [
        t("Week {n}: {start} – {end}").format(
            n=int(rec["period"]),
            start=t.date(rec.get("start"), format="d MMM"),
            end=t.date(rec.get("end"), format="d MMM"),
        )
        for rec in table.to_dict("records")
    ]
    text = {
        "grazing": esc(t("grazing: {herd}")).replace("{herd}", "{herd}"),
        "resting": esc(t.pgettext("rotation", "resting")),
        "out": esc(t.pgettext("rotation", "out of season")),
        "previous": t("Previous week"),
        "next": t("Next week"),
        "week": t("Week"),
        "restingColour": RESTING_COLOUR,
        "outColour": OUT_OF_SEASON_COLOUR,
    }
    start = 0 if week is None else min(max(int(week), 0), len(weeks) - 1)
    WeekSelector(
        layer, weeks=weeks, herds=herd_list, text=text, base_style=base, start=start
    ).add_to(m)
    entries = [
        (h["c"], herd_names.get(hid, hid), "fill")
        for h, hid in zip(herd_list, herd_ids, strict=True)
    ]
    entries += [
        (RESTING_COLOUR, t.pgettext("rotation", "resting"), "fill"),
        (OUT_OF_SEASON_COLOUR, t.pgettext("rotation", "out of season"), "fill"),
    ]
    Legend([(t("Plot state"), entries)], title=t("Legend")).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m
