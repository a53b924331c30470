"""Geobotanical contours joined to plots: area-weighted yields per season and the main pasture type.

A geobotanical survey maps contours (polygons) with a yield in c/ha per season and a
pasture type. Each plot takes, per season, the mean of the yields of the contours
it overlaps, weighted by the overlapping area (contours without a yield for that
season do not count), and the pasture type of the contour covering most of it.
Plots no contour touches keep what they have. The columns of the survey are
mapped like any register (``--map yield_summer_cha=ЛетУрож,...``).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..model import SEASONS
from ..store import Store
from .layers import ImportReport, read_layer_file

__all__ = ["YIELD_FIELDS", "import_geobotany", "plot_yields"]

YIELD_FIELDS: tuple[str, ...] = tuple(f"yield_{s}_cha" for s in SEASONS)


def plot_yields(plots: gpd.GeoDataFrame, contours: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per plot id: area-weighted yields per season and the pasture type covering most of it.

    Areas are compared in a Lambert azimuthal equal-area projection centred on the
    plots, which keeps the ratio of areas within a district exact enough for weights.
    """
    centre = plots.to_crs(4326).union_all().centroid
    equal_area = f"+proj=laea +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m"
    columns = [c for c in (*YIELD_FIELDS, "pasture_type") if c in contours.columns]
    pieces = gpd.overlay(
        plots[["id", "geometry"]].to_crs(equal_area),
        contours[[*columns, "geometry"]].to_crs(equal_area),
        how="intersection",
        keep_geom_type=True,
    )
    pieces["weight"] = pieces.geometry.area
    out = pd.DataFrame(index=pd.Index(sorted(set(pieces["id"])), name="id"))
    for field in (c for c in YIELD_FIELDS if c in columns):
        value = pd.to_numeric(pieces[field], errors="coerce")
        known = pieces.assign(v=value * pieces["weight"], w=pieces["weight"].where(value.notna()))
        sums = known.groupby("id")[["v", "w"]].sum(min_count=1)
        out[field] = sums["v"] / sums["w"]
    if "pasture_type" in columns:
        by_type = pieces.groupby(["id", "pasture_type"])["weight"].sum().reset_index()
        main = by_type.sort_values("weight").groupby("id").tail(1).set_index("id")
        out["pasture_type"] = main["pasture_type"]
    return out.reset_index()


def import_geobotany(
    store: Store, path: str | Path, *, user: str, mapping: dict[str, str] | None = None
) -> ImportReport:
    """Join a geobotanical survey to the stored plots and write the plots it changes."""
    contours = read_layer_file(path, "plots", mapping=mapping)
    plots = store.read("plots")
    joined = plot_yields(plots, contours).set_index("id")
    changed = plots[plots["id"].isin(joined.index)].set_index("id")
    for column in joined.columns:
        found = joined[column].reindex(changed.index)
        changed[column] = found.where(found.notna(), changed[column])
    report = ImportReport("plots", str(path))
    report.result = store.write(
        "plots", changed.reset_index(), user=user, mode="upsert", source=str(path)
    )
    return report
