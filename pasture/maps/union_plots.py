"""Where a union's herds go: the plots they use (own and public), their paths, a locator map,
and each plot's centre and nearest water point for the printed page."""

from __future__ import annotations

from collections.abc import Mapping

import folium
import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString

from ..i18n import Translator
from .display import feature_collection
from .page import FeatureLayer, RemoteFeatureLayer, esc

__all__ = ["USED_COLOUR", "add_used_plots", "herd_paths", "locator_svg", "plot_table"]

#: Outline of plots a union's herds use that are not its own (public pasture).
USED_COLOUR = "#e66101"
PATH_COLOUR = "#5e3c99"
#: Width of the locator map, px (its height follows the district's shape).
LOCATOR_PX = 220


def herd_paths(
    runs: pd.DataFrame, plots: gpd.GeoDataFrame, labels: Mapping[str, str]
) -> gpd.GeoDataFrame:
    """One line per herd through the centres of the plots it uses, in the order it uses them.

    ``runs`` are :func:`pasture.maps.gantt.calendar_runs` rows; plots it does not
    name (unplaced weeks) are skipped.
    """
    centres = plots.to_crs(4326).set_index(plots["id"].astype(str)).geometry.representative_point()
    rows = []
    for herd, part in runs.sort_values("start").groupby("herd_id", sort=True):
        points = [centres[p] for p in part["plot_id"] if p and p in centres.index]
        if len(points) >= 2:
            rows.append(
                {
                    "herd_id": str(herd),
                    "name": labels.get(str(herd), str(herd)),
                    "geometry": LineString(points),
                }
            )
    return (
        gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
        if rows
        else gpd.GeoDataFrame({"herd_id": [], "name": []}, geometry=[], crs=4326)
    )


def add_used_plots(
    m: folium.Map,
    t: Translator,
    used: gpd.GeoDataFrame,
    paths: gpd.GeoDataFrame,
    *,
    used_url: str | None = None,
    extent: tuple[float, float, float, float] | None = None,
) -> list[tuple[str, str, str]]:
    """The plots the union's herds use beyond its own, and the herds' paths; legend entries.

    With ``used_url`` the page fetches the used plots (``/layers/plots?union=…&used_in=…``)
    for ``extent`` instead of carrying them.
    """
    entries = []
    name = t("Other plots its herds use")
    style = {
        "": {
            "color": USED_COLOUR,
            "weight": 2.5,
            "fillColor": USED_COLOUR,
            "fillOpacity": 0.25,
            "className": "pasture-used-plot",
        }
    }
    if len(used) and used_url:
        RemoteFeatureLayer(
            used_url, name=name, role="used_plots", styles=style, extent=extent, canvas=False
        ).add_to(m)
    elif len(used):
        FeatureLayer(
            feature_collection(
                used, lambda r: {"t": esc(f"{r['id']} {r.get('name') or ''}".strip())}
            ),
            name=name,
            role="used_plots",
            styles=style,
        ).add_to(m)
    if len(used):
        entries.append((USED_COLOUR, name, "outline"))
    if len(paths):
        FeatureLayer(
            feature_collection(paths, lambda r: {"t": esc(str(r["name"]))}),
            name=t("Herd paths"),
            role="herd_paths",
            styles={"": {"color": PATH_COLOUR, "weight": 2, "className": "pasture-herd-path"}},
        ).add_to(m)
        entries.append((PATH_COLOUR, t("Herd paths"), "line"))
    return entries


def plot_table(plots: gpd.GeoDataFrame, water: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Each plot's centre and its nearest water point, for a herder's printout.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name``, ``lat``, ``lon`` (a point inside the plot), and
        ``water_name``, ``water_lat``, ``water_lon``, ``water_km`` (the nearest
        water point, measured in the plots' UTM zone; empty without water points).
    """
    plots = plots.to_crs(4326)
    centres = gpd.GeoDataFrame(
        {"id": plots["id"].astype(str), "name": plots["name"]},
        geometry=plots.geometry.representative_point(),
        crs=4326,
    ).reset_index(drop=True)
    out = pd.DataFrame(
        {
            "id": centres["id"],
            "name": centres["name"],
            "lat": centres.geometry.y.round(5),
            "lon": centres.geometry.x.round(5),
        }
    )
    if water is None or water.empty or centres.empty:
        return out.assign(water_name=None, water_lat=None, water_lon=None, water_km=None)
    metric = centres.estimate_utm_crs()
    wells = water.to_crs(4326).reset_index(drop=True)
    near = gpd.sjoin_nearest(
        centres.to_crs(metric), wells[["name", "geometry"]].to_crs(metric), distance_col="_m"
    )
    near = near[~near.index.duplicated()].sort_index()
    chosen = wells.geometry.iloc[near["index_right"].to_numpy()]
    return out.assign(
        water_name=near["name_right"].to_numpy(),
        water_lat=chosen.y.round(5).to_numpy(),
        water_lon=chosen.x.round(5).to_numpy(),
        water_km=(near["_m"] / 1000).round(1).to_numpy(),
    )


def locator_svg(
    okrugs: gpd.GeoDataFrame, focus: tuple[float, float, float, float], *, title: str
) -> str:
    """A small SVG of the district's okrugs with the union's area framed in red (prints offline)."""
    shapes = okrugs.to_crs(4326)
    minx, miny, maxx, maxy = shapes.total_bounds
    width = LOCATOR_PX
    scale = width / max(maxx - minx, 1e-9)
    height = max(
        int((maxy - miny) * scale * 1.4), 40
    )  # ~1/cos(45°): degrees of longitude are shorter

    def xy(x: float, y: float) -> str:
        return f"{(x - minx) * scale:.1f},{(maxy - y) * scale * 1.4:.1f}"

    paths = []
    for geom in shapes.geometry:
        polys = getattr(geom, "geoms", [geom])
        for poly in polys:
            ring = " ".join(xy(x, y) for x, y in poly.exterior.coords)
            paths.append(
                f'<polygon points="{ring}" fill="#f2f2f2" stroke="#666" stroke-width="0.6"/>'
            )
    fx0, fy0, fx1, fy1 = focus
    x0, y0 = (float(v) for v in xy(fx0, fy1).split(","))
    x1, y1 = (float(v) for v in xy(fx1, fy0).split(","))
    frame = (
        f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{max(x1 - x0, 3):.1f}" height="{max(y1 - y0, 3):.1f}" '
        'fill="none" stroke="#d7191c" stroke-width="2"/>'
    )
    return (
        f'<svg class="pasture-locator" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"<title>{esc(title)}</title>{''.join(paths)}{frame}</svg>"
    )
