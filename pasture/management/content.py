"""The content of a plan for one okrug, read from the store into one JSON document.

A version of a plan freezes this document: the figures of every annex (Law "On
Pastures" Art. 13, items 1-8 and 7-1; docs/domain.md), each table with the store table
or the source it comes from, and the geometry the maps are drawn from (simplified to
about 30 m), so that an approved version renders the same years later.

Tables are ``{"columns": [...], "rows": [[...]], "source": "..."}``; the document
(:mod:`pasture.management.document`) gives the columns their kk and ru headings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from grazing_models.norms import ANNEX_LABEL, UNUSED_WORDING, NormRow, NormTable
from grazing_models.vocabulary import SEASONS, SPECIES, parse_seasons

from ..errors import NotFound
from ..geometry import geodesic_area_ha
from ..model import LAYERS
from ..planning.params import PlanningParams
from ..science.load import norm_rows_of
from ..store.base import Store
from .allocation import AllocationParams
from .water import WateringNorms, water_scheme

__all__ = [
    "CONTENT_FORMAT",
    "ROUTE_OBJECT",
    "build_content",
    "is_generated",
    "land_user_key",
    "land_user_names",
    "okrug_livestock",
    "plot_norm_rows",
]

#: Version of the content document's layout (a renderer refuses another).
CONTENT_FORMAT = 1
#: Simplification of the frozen map geometry, degrees (~30 m; enough for a 1:100 000 map).
SIMPLIFY_DEG = 0.0003
#: An infrastructure row's object when it is a route: this, then the route's name.
ROUTE_OBJECT = "route: "
_PLOT_SOURCE = "store: plots (area_ha: geodesic area on the WGS 84 ellipsoid)"
_USER_SOURCE = (
    "the union (store: unions.name), the akimat for a public pasture's settlement "
    "(store: settlements) or state pasture, else plots.land_user as recorded"
)


def _table(columns: list[str], rows: list[list[Any]], source: str) -> dict[str, Any]:
    return {"columns": columns, "rows": [[_plain(v) for v in r] for r in rows], "source": source}


def _plain(value: Any) -> Any:
    """A JSON value: NaN and NA become None, numpy numbers Python ones."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def is_generated(store: Store, frames: Mapping[str, pd.DataFrame]) -> bool:
    """Whether the content rests on generated (demo) data: a demo store or a generated record."""
    if store.get_meta("demo") is not None:
        return True
    for frame in frames.values():
        if "source" in frame and frame["source"].astype(str).str.startswith("generated").any():
            return True
    return False


def _latest_census(store: Store, household_ids: list[str]) -> pd.DataFrame:
    """The latest census row of each household: ``household_id`` and a count per species."""
    census = store.read("census")
    census = census[census["household_id"].isin(household_ids)]
    if census.empty:
        return pd.DataFrame(columns=["household_id", *SPECIES])
    census = census.sort_values(["household_id", "date"]).drop_duplicates(
        "household_id", keep="last"
    )
    return census[["household_id", *SPECIES]].reset_index(drop=True)


def _households_of(store: Store, okrug_id: str, settlements: pd.DataFrame) -> pd.DataFrame:
    """The okrug's households: those of its settlements, and those of its unions."""
    households = store.read("households")
    unions = store.read("unions")
    in_unions = set(unions.loc[unions["okrug_id"] == okrug_id, "id"])
    mask = households["union_id"].isin(in_unions)
    if "settlement_id" in households:
        mask |= households["settlement_id"].isin(set(settlements["id"]))
    else:
        households = households.assign(settlement_id=None)
    return households[mask].reset_index(drop=True)


def okrug_livestock(store: Store, households: pd.DataFrame) -> pd.DataFrame:
    """Households with their latest census counts (0 where a household has no census)."""
    counts = _latest_census(store, households["id"].tolist())
    merged = households[["id", "settlement_id"]].merge(
        counts, left_on="id", right_on="household_id", how="left"
    )
    for sp in SPECIES:
        merged[sp] = merged[sp].fillna(0).astype(int)
    return merged.drop(columns=["household_id"])


def _read_okrug(store: Store, okrug_id: str) -> dict[str, pd.DataFrame]:
    okrugs = store.read("okrugs", ids=[okrug_id])
    if okrugs.empty:
        known = ", ".join(store.read("okrugs")["id"].tolist()[:30])
        raise NotFound(f"no okrug {okrug_id!r}; okrugs are: {known or 'none stored'}")
    boundary = okrugs.geometry.iloc[0]
    frames: dict[str, pd.DataFrame] = {"okrug": okrugs}
    frames["plots"] = store.read("plots", where={"okrug_id": okrug_id})
    frames["water"] = store.read("water_points", bbox=boundary.bounds)
    frames["routes"] = store.read("routes", bbox=boundary.bounds)
    frames["settlements"] = (
        store.read("settlements", where={"okrug_id": okrug_id})
        if "settlements" in LAYERS
        else gpd.GeoDataFrame({"id": []}, geometry=[], crs=4326)
    )
    # every settlement and union of the district: a public pasture may serve a settlement
    # of the next okrug, and the document names each land user (:func:`land_user_names`)
    frames["all_settlements"] = (
        store.read("settlements") if "settlements" in LAYERS else frames["settlements"]
    )
    frames["unions"] = store.read("unions")
    # a generated union is named after its okrug: the document says it in kk and ru
    frames["all_okrugs"] = store.read("okrugs")
    frames["households"] = _households_of(store, okrug_id, frames["settlements"])
    frames["livestock"] = okrug_livestock(store, frames["households"])
    return frames


def plot_norm_rows(store: Store, plots: pd.DataFrame) -> tuple[list[NormRow | None], NormTable]:
    """Each plot's load norm (Order 3-3/332 annex, the store's rows first) and the table."""
    table = NormTable.annex()
    return table.resolve(plots["pasture_type"].astype(str).tolist(), norm_rows_of(store)), table


def build_content(
    store: Store,
    okrug_id: str,
    first_year: int,
    last_year: int,
    *,
    norms: WateringNorms | None = None,
    allocation: AllocationParams | None = None,
    planning: PlanningParams | None = None,
) -> dict[str, Any]:
    """The plan's content for one okrug, as read from the store now.

    Parameters
    ----------
    store
        An open store.
    okrug_id
        The okrug the plan is for.
    first_year, last_year
        The plan's term.
    norms, allocation, planning
        Watering norms, allocation and season windows; the documented defaults when None.

    Returns
    -------
    dict
        JSON-ready: ``okrug``, ``term``, ``generated``, ``read_at``, ``sections`` (one per
        annex: ``1``…``8`` and ``7-1``), ``geo`` (the maps' geometry) and ``sources``.

    Raises
    ------
    NotFound
        When the okrug is not stored.
    """
    frames = _read_okrug(store, okrug_id)
    okrug = frames["okrug"].iloc[0]
    plots = frames["plots"]
    rows, norm_table = plot_norm_rows(store, plots)
    heads = {sp: int(frames["livestock"][sp].sum()) for sp in SPECIES}
    alloc = _allocation(store, frames, rows, allocation)
    water = water_scheme(plots, frames["water"], heads, norms=norms)
    planning = planning or PlanningParams()
    sections = {
        "1": _section_tenure(plots, frames),
        "2": _section_rotation(plots, rows),
        "3": _section_areas(okrug, plots, frames),
        "4": _section_water(water, norms or WateringNorms(), heads),
        "5": alloc["5"],
        "6": alloc["6"],
        "7": _section_calendar(plots, frames["routes"], planning),
        "7-1": alloc["7-1"],
        "8": _section_other(),
    }
    return {
        "format": CONTENT_FORMAT,
        "okrug": {
            "id": okrug_id,
            "name_kk": okrug["name_kk"],
            "name_ru": okrug["name_ru"],
            "name_en": okrug["name_en"],
            "kato": _plain(okrug.get("kato")),
            "area_ha": round(float(geodesic_area_ha([okrug.geometry])[0]), 1),
        },
        "term": [first_year, last_year],
        "generated": is_generated(store, frames),
        "read_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "livestock": {**heads, "households": len(frames["households"])},
        "sections": sections,
        "geo": _geo(okrug, frames, alloc, sections["4"]["tables"]["unreached"]["rows"]),
        "sources": {"norms": norm_table.label, "watering": (norms or WateringNorms()).source},
    }


def land_user_key(plot: Any) -> str:
    """Who uses a plot, as a key the document names in each language (``names``).

    A union's plot is the union's (``union:ID``), a public pasture the akimat's for its
    settlement (``public:ID``), state pasture the akimat's (``state``); any other is the
    land user as recorded in the title documents (a name, printed as it is).
    """
    tenure = _plain(getattr(plot, "tenure", None))
    union = _plain(getattr(plot, "union_id", None))
    settlement = _plain(getattr(plot, "settlement_id", None))
    if tenure == "union" and union:
        return f"union:{union}"
    if tenure == "public" and settlement:
        return f"public:{settlement}"
    if tenure == "state":
        return "state"
    return str(_plain(getattr(plot, "land_user", None)) or "—")


def land_user_names(keys: set[str], frames: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Each land user key's words in kk, ru and en, with the union's and settlement's names
    from the store (labels: ``TEXT['land_user_*']``)."""
    from ..demo_names import local_name, union_places
    from ..i18n import translator
    from .labels import TEXT

    unions = dict(zip(frames["unions"]["id"], frames["unions"]["name"], strict=True))
    places = frames["all_settlements"].set_index("id")
    okrugs = frames["all_okrugs"].to_dict("records") if "all_okrugs" in frames else []
    out = {}
    for key in sorted(keys):
        kind, _, ref = key.partition(":")
        if kind == "union" and ref:
            out[key] = {
                lang: TEXT["land_user_union"][lang].format(
                    name=local_name(
                        unions.get(ref, ref), translator(lang), union_places(okrugs, lang)
                    )
                )
                for lang in ("kk", "ru", "en")
            }
        elif kind == "public" and ref:
            out[key] = {
                lang: TEXT["land_user_public"][lang].format(
                    place=places[f"name_{lang}"].get(ref, ref) if len(places) else ref
                )
                for lang in ("kk", "ru", "en")
            }
        elif key == "state":
            out[key] = dict(TEXT["land_user_state"])
        else:
            out[key] = {lang: key for lang in ("kk", "ru", "en")}
    return out


def _section_tenure(plots: pd.DataFrame, frames: Mapping[str, Any]) -> dict[str, Any]:
    """Annex 1: pastures by land category, owner and land user."""
    frame = plots.assign(
        land_category=plots["land_category"].fillna("—"),
        land_user=[land_user_key(p) for p in plots.itertuples()],
        tenure=plots["tenure"].fillna("—") if "tenure" in plots else "—",
        cadastral_number=plots.get("cadastral_number"),
    )
    groups = (
        frame.groupby(["land_category", "tenure", "land_user"], sort=True)["area_ha"]
        .agg(["count", "sum"])
        .reset_index()
    )
    summary = [
        [r.land_category, r.tenure, r.land_user, int(r["count"]), round(float(r["sum"]), 1)]
        for _, r in groups.iterrows()
    ]
    listing = [
        [r.id, r.name, r.cadastral_number, r.land_category, r.land_user, round(r.area_ha, 1)]
        for r in frame.sort_values("id").itertuples()
    ]
    source = _PLOT_SOURCE + "; land_category, tenure as recorded; land_user: " + _USER_SOURCE
    return {
        "tables": {
            "by_user": _table(
                ["land_category", "tenure", "land_user", "plots", "area_ha"], summary, source
            ),
            "plots": _table(
                ["plot_id", "name", "cadastral_number", "land_category", "land_user", "area_ha"],
                listing,
                source,
            ),
        },
        # the land user keys' words in each language (the document prints these)
        "names": land_user_names(set(frame["land_user"]), frames),
        "figures": {"plots": len(frame), "area_ha": round(float(frame["area_ha"].sum()), 1)},
        "map": "tenure",
    }


def _section_rotation(plots: pd.DataFrame, rows: list[NormRow | None]) -> dict[str, Any]:
    """Annex 2: the rotation scheme by pasture type and seasons, with the load norm."""
    frame = plots.assign(norm=rows)
    out = []
    for (ptype, seasons), group in frame.groupby(["pasture_type", "seasons"], sort=True):
        row: NormRow | None = group["norm"].iloc[0]
        out.append(
            [
                ptype,
                seasons,
                len(group),
                round(float(group["area_ha"].sum()), 1),
                None if row is None else row.ha_per_head("sheep"),
                None if row is None else row.ha_per_head("cattle"),
                None if row is None else row.ha_per_head("horses"),
                None if row is None else f"{row.days_min:g}-{row.days_max:g}",
            ]
        )
    return {
        "tables": {
            "scheme": _table(
                [
                    "pasture_type",
                    "seasons",
                    "plots",
                    "area_ha",
                    "ha_per_sheep",
                    "ha_per_cattle",
                    "ha_per_horse",
                    "grazing_days",
                ],
                out,
                f"{_PLOT_SOURCE}; norms: {ANNEX_LABEL}",
            )
        },
        "figures": {"rest_days": "20-60"},
        "map": "seasons",
    }


def _section_areas(okrug: pd.Series, plots: pd.DataFrame, frames: Mapping[str, Any]) -> dict:
    """Annex 3: external and internal boundaries, areas by season, infrastructure."""
    by_season = []
    for season in SEASONS:
        open_ = plots["seasons"].map(lambda s, season=season: season in parse_seasons(s))
        by_season.append(
            [season, int(open_.sum()), round(float(plots.loc[open_, "area_ha"].sum()), 1)]
        )
    boundary = okrug.geometry
    water = frames["water"]
    water = water[water.intersects(boundary)]
    routes = frames["routes"]
    routes = routes[routes.intersects(boundary)]
    inside = routes.geometry.intersection(boundary)
    lengths = inside.to_crs(plots.estimate_utm_crs() if len(plots) else 32643).length / 1000
    infra: list[list[Any]] = [
        ["water_points", len(water), None],
        *[
            [f"{ROUTE_OBJECT}{r.name}", 1, round(float(km), 1)]
            for r, km in zip(routes.itertuples(), lengths, strict=True)
        ],
    ]
    return {
        "tables": {
            "seasons": _table(["season", "plots", "area_ha"], by_season, _PLOT_SOURCE),
            "infrastructure": _table(
                ["object", "count", "length_km"],
                infra,
                "store: water_points, routes (inside the okrug)",
            ),
        },
        "figures": {
            "okrug_area_ha": round(float(geodesic_area_ha([boundary])[0]), 1),
            "pasture_area_ha": round(float(plots["area_ha"].sum()), 1),
        },
        "map": "boundaries",
    }


def _section_water(scheme: Any, norms: WateringNorms, heads: Mapping[str, int]) -> dict:
    """Annex 4: the watering norm, each point's demand against its yield, plots out of reach."""
    norm_rows = [[sp, *[norms.litres[s][sp] for s in SEASONS]] for sp in SPECIES]
    points = scheme.points
    unreached = scheme.unreached
    totals = scheme.totals
    return {
        "tables": {
            "norms": _table(["species", *SEASONS], norm_rows, norms.source),
            "totals": _table(
                list(totals.columns),
                totals.to_numpy().tolist(),
                "store: census, plots, water_points",
            ),
            "points": _table(
                list(points.columns),
                points.to_numpy().tolist(),
                "store: water_points.capacity_m3_day",
            ),
            "unreached": _table(
                list(unreached.columns),
                unreached.to_numpy().tolist(),
                f"store: plots, water_points; reach {dict(norms.reach_km)} km (assumption)",
            ),
        },
        "figures": {
            "heads": dict(heads),
            "points_short": int((points["status"] == "short").sum()) if len(points) else 0,
            "plots_unreached": int(unreached["plot_id"].nunique()) if len(unreached) else 0,
        },
        "map": "water",
    }


def _section_calendar(
    plots: pd.DataFrame, routes: pd.DataFrame, planning: PlanningParams
) -> dict[str, Any]:
    """Annex 7: when each season's pastures are grazed and by which droving routes."""
    rows = []
    for season, ((m1, d1), (m2, d2)) in planning.windows.items():
        open_ = plots["seasons"].map(lambda s, season=season: season in parse_seasons(s))
        used_routes = [r.name for r in routes.itertuples() if season in parse_seasons(r.seasons)]
        rows.append(
            [
                season,
                f"{d1:02d}.{m1:02d}",
                f"{d2:02d}.{m2:02d}",
                int(open_.sum()),
                round(float(plots.loc[open_, "area_ha"].sum()), 1),
                "; ".join(sorted(str(r) for r in used_routes)) or None,
            ]
        )
    return {
        "tables": {
            "calendar": _table(
                ["season", "start", "end", "plots", "area_ha", "routes"],
                rows,
                "season windows: pasture.planning.PlanningParams (docs/domain.md, Seasons); "
                "store: plots, routes",
            )
        },
        "map": "routes",
    }


def _section_other() -> dict[str, Any]:
    """Annex 8: the rules every pasture user keeps (the text is in the document's labels)."""
    return {
        "rules": ["norm", "unused", "order145", "public", "routes"],
        "sources": [ANNEX_LABEL, UNUSED_WORDING],
    }


def _allocation(
    store: Store,
    frames: Mapping[str, Any],
    rows: list[NormRow | None],
    params: AllocationParams | None,
) -> dict[str, dict[str, Any]]:
    """Annexes 5, 6 and 7-1 from :func:`pasture.management.allocation.allocate`."""
    from .annexes import allocation_sections

    return allocation_sections(store, frames, rows, params)


def _geo(
    okrug: pd.Series,
    frames: Mapping[str, Any],
    alloc: Mapping[str, Any],
    unreached_rows: list[list[Any]],
) -> dict:
    """The maps' geometry, simplified, as WKT (frozen with the version)."""
    plots = frames["plots"]
    simple = shapely.simplify(np.asarray(plots.geometry), SIMPLIFY_DEG, preserve_topology=True)
    keep = ["id", "name", "seasons", "land_category", "land_user", "union_id", "pasture_type"]
    keep += [c for c in ("tenure", "settlement_id", "cadastral_number") if c in plots]
    boundary = okrug.geometry
    water = frames["water"]
    routes = frames["routes"]
    return {
        "okrug": shapely.to_wkt(shapely.simplify(boundary, SIMPLIFY_DEG), rounding_precision=5),
        "plots": [
            {
                **{k: _plain(getattr(r, k)) for k in keep},
                "user": land_user_key(r),
                "area_ha": round(float(r.area_ha), 1),
                "wkt": shapely.to_wkt(g, rounding_precision=5),
            }
            for r, g in zip(plots.itertuples(), simple, strict=True)
        ],
        "water": [
            {"id": r.id, "kind": r.kind, "x": round(r.geometry.x, 5), "y": round(r.geometry.y, 5)}
            for r in water.itertuples()
        ],
        "routes": [
            {
                "id": r.id,
                "name": r.name,
                "seasons": r.seasons,
                "wkt": shapely.to_wkt(
                    shapely.simplify(r.geometry, SIMPLIFY_DEG), rounding_precision=5
                ),
            }
            for r in routes.itertuples()
        ],
        "settlements": [
            {
                "id": r.id,
                "name_kk": getattr(r, "name_kk", r.id),
                "name_ru": getattr(r, "name_ru", r.id),
                "x": round(r.geometry.x, 5),
                "y": round(r.geometry.y, 5),
            }
            for r in frames["settlements"].itertuples()
        ],
        "land_users": land_user_names({land_user_key(p) for p in plots.itertuples()}, frames),
        "needed_plots": alloc["7-1"].get("plot_ids", []),
        "unreached_plots": sorted({r[1] for r in unreached_rows}),
    }
