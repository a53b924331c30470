"""The district overview and a union's map as ``folium.Map`` objects.

Every builder takes plain frames (the layers as GeoDataFrames in EPSG:4326,
result tables as DataFrames with the columns of :mod:`pasture.model`) and
keyword options, and returns a map; nothing here reads a store. Every text
the map shows goes through :mod:`pasture.i18n`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from ..errors import NotFound
from ..i18n import Translator, translator
from .display import (
    feature_collection,
)
from .layers import (
    DEGRADING_OUTLINE,
    ShadeBy,
    add_context,
    add_infrastructure,
    display_plots,
    frame_bounds,
    names_by_id,
    ndvi_ramp,
    new_map,
    plot_facts,
    shading,
    withheld_note,
)
from .page import Assets, FeatureLayer, Legend, PastureMap, RemoteFeatureLayer, esc
from .plot_layer import plots_in_season
from .style import (
    BASEMAP_ATTRIBUTION,
    DEFAULT_BASEMAP,
    NDVI_OPACITY,
    outline_style,
)
from .union_plots import add_used_plots

__all__ = ["ShadeBy", "overview_map", "union_map"]


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
    plots_url: str | None = None,
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
        capacity / underused / unknown; a plot with several seasons shows the
        first of :data:`~pasture.maps.style.LOAD_PRECEDENCE`) or ``trend``.
    year, season
        Which capacity and load rows to show; default the latest year, all seasons.
        With a season, only the plots usable in it are drawn, shaded by its rows.
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
    plots_url
        Where the page fetches the plots for its view (``/layers/plots?...``,
        :class:`~pasture.maps.plot_layer.PlotLayer`): the page then carries no
        plot geometry. None: plots are written into the page.
    """
    t = translator(lang)
    bounds = frame_bounds(plots, okrugs, unions)
    plots = plots_in_season(plots, season)
    m = new_map(
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
    line_entries = add_context(m, t, okrugs=okrugs, unions=unions)
    shown = (
        plots if plots_url else display_plots(plots, bounds, simplify=simplify, tolerance=tolerance)
    )
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
        plots_url=plots_url,
    )
    if trends is not None and len(trends):
        if plots_url:
            RemoteFeatureLayer(
                plots_url + "&degrading=1",
                name=t("Degrading plots"),
                role="degrading",
                styles={"": _degrading_style()},
            ).add_to(m)
        else:
            _add_degrading(m, t, shown, trends)
        line_entries.append((DEGRADING_OUTLINE, t("Degrading plots"), "outline"))
    line_entries += add_infrastructure(m, t, water=water, routes=routes)
    sections: list[tuple[str, list[tuple[str, str, str]] | str]] = [fill_section]
    if line_entries:
        sections.append((t("Legend"), line_entries))
    if ndvi_tiles:
        sections.append((t("NDVI (vegetation index)"), ndvi_ramp(lang)))
    sections += withheld_note(load, t)
    Legend(sections, title=t("Legend")).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def _add_degrading(
    m: PastureMap, t: Translator, shown: gpd.GeoDataFrame, trends: pd.DataFrame
) -> None:
    """The "Degrading plots" overlay: outlines of the plots whose trend is degrading."""
    degrading = set(trends.loc[trends["status"] == "degrading", "plot_id"].astype(str))
    subset = shown[shown["id"].astype(str).isin(degrading)]
    FeatureLayer(
        feature_collection(
            subset, lambda r: {"t": esc(f"{r['id']} — {t.pgettext('trend', 'degrading')}")}
        ),
        name=t("Degrading plots"),
        role="degrading",
        styles={"": _degrading_style()},
    ).add_to(m)


def _degrading_style() -> dict[str, Any]:
    return outline_style(DEGRADING_OUTLINE, weight=2.5, class_name="pasture-degrading")


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
    plots_url: str | None = None,
    extent: tuple[float, float, float, float] | None = None,
) -> tuple[str, list[tuple[str, str, str]]]:
    labels, values, load_status, trend_status = plot_facts(
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
    keys, styles, section = shading(shade_by, plots, t, load_status, trend_status)
    if plots_url:
        RemoteFeatureLayer(
            plots_url,
            name=t("Plots"),
            role="plots",
            styles=styles,
            popup_labels=labels,
            note=t("Only the largest plots are drawn at this zoom: zoom in to see every plot."),
            # a union's page asks for its whole extent and draws SVG paths
            extent=extent,
            canvas=extent is None,
        ).add_to(m)
        return section

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
    used_plots: gpd.GeoDataFrame | None = None,
    paths: gpd.GeoDataFrame | None = None,
    plots_url: str | None = None,
    used_url: str | None = None,
) -> folium.Map:
    """One union's allocated plots, its boundary and the water points and routes on its land.

    Only plots with ``union_id == union_id`` are drawn as its own (a union page
    must not show other unions' plots), and ``used_plots``: the plots beyond its
    own that its herds use in a plan (public pasture), with ``paths``, each
    herd's line through its plots (:func:`pasture.maps.union_plots.herd_paths`).
    The map is framed on all of them. Water points and routes are kept where
    they touch the union's boundary, its plots' extent or the used plots.

    With ``plots_url`` (``/layers/plots?union=…``) and ``used_url``
    (``/layers/plots?union=…&used_in=<plan>``) the page fetches its own and the used
    plots for the map's extent instead of carrying their geometry.

    Raises
    ------
    NotFound
        When ``unions`` is given and has no such union, or when no plot is
        allocated to it and there is no boundary to show.
    """
    t = translator(lang)
    own, boundary, area = _union_land(plots, unions, union_id)
    used = used_plots if used_plots is not None and len(used_plots) else None
    if used is not None:
        area = area.union(used.to_crs(4326).geometry.union_all().envelope)
    bounds = frame_bounds(own if len(own) else None, boundary, used)
    name = names_by_id(unions, "name").get(union_id, union_id)
    m = new_map(
        bounds,
        lang=lang,
        title=title or f"{t('Plots of the union')}: {name}",
        basemap=basemap,
        basemap_attribution=basemap_attribution,
        assets=assets or Assets.cdn(),
    )
    line_entries = add_context(m, t, okrugs=None, unions=boundary)
    pad = 0.01  # degrees: the extent a fetched layer asks for holds every plot's edge
    extent = (bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad)
    shown = own if plots_url else display_plots(own, bounds, simplify=simplify, tolerance=tolerance)
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
                plots_url=plots_url,
                extent=extent if plots_url else None,
            )
        )
    if used is not None or (paths is not None and len(paths)):
        empty = gpd.GeoDataFrame({"id": []}, geometry=[], crs=4326)
        line_entries += add_used_plots(
            m,
            t,
            empty
            if used is None
            else used
            if used_url
            else display_plots(used, bounds, simplify=simplify, tolerance=tolerance),
            paths if paths is not None else empty,
            used_url=used_url,
            extent=extent,
        )
    near_water = water[water.intersects(area)] if water is not None else None
    near_routes = routes[routes.intersects(area)] if routes is not None else None
    line_entries += add_infrastructure(m, t, water=near_water, routes=near_routes)
    count = t.ngettext("{n} plot", "{n} plots", len(own)).format(n=len(own))
    if line_entries:
        sections.append((t("Legend"), line_entries))
    sections.insert(0, (f"{name} — {count}", []))
    sections += withheld_note(load, t)
    Legend(sections, title=t("Legend")).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def _union_land(
    plots: gpd.GeoDataFrame, unions: gpd.GeoDataFrame | None, union_id: str
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None, Any]:
    """A union's own plots, its boundary (None without ``unions``) and the area they
    cover; NotFound for an unknown union or one with neither plots nor a boundary."""
    own = plots[plots["union_id"].astype(object).eq(union_id)]
    boundary = None
    if unions is not None:
        boundary = unions[unions["id"] == union_id]
        if boundary.empty:
            raise NotFound(f"union {union_id!r} does not exist")
    if own.empty and (boundary is None or boundary.empty):
        raise NotFound(f"no plot is allocated to union {union_id!r}")
    if boundary is not None and len(boundary):
        return own, boundary, boundary.geometry.union_all()
    return own, boundary, own.geometry.union_all().envelope
