"""The demo district: Enbekshikazakh, its real boundary, settlements and okrugs, generated contents.

Real: the district boundary (OpenStreetMap relation 5518093, ODbL, "©
OpenStreetMap contributors"), its 66 settlements (OSM, joined to the KATO classifier),
the 26 okrugs of the KATO classifier (their boundaries drawn from the settlements,
labelled so), the SRTM elevation of its west (:mod:`pasture.demo_real`) and the
livestock densities of Almaty Region (news reports citing the statistics bureau,
``data/almaty_region_livestock_news_figures.csv``). Generated (seeded, deterministic,
labelled ``generated`` in every record's ``source``): the elevation east of 78° E,
unions, plots, public pasture reservations, water points, routes, households, census
and herds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from grazing_models.norms import DEMO_TYPE_ROWS

from . import refdata
from .demo_names import PLOT_NAME, ROUTE_NAME, UNION_NAME, WATER_NAME, union_place
from .demo_real import (
    DEM_SOURCE,
    OKRUG_SOURCE,
    RealElevation,
    okrug_polygons,
    real_okrugs,
    real_settlements,
    unplaced_settlements,
)
from .geometry import geodesic_area_ha
from .model import SPECIES
from .store.base import Store

__all__ = [
    "DEMO_SOURCE",
    "PILOT_OKRUGS",
    "DemoSummary",
    "DemoTenure",
    "ElevationZones",
    "LivestockDensity",
    "build_demo",
    "data_dir",
    "demo_elevation",
    "district_boundary",
    "elevation_model",
]

DEMO_SOURCE = "generated: jailym demo district"
OSM_SOURCE = "© OpenStreetMap contributors (ODbL 1.0), relation 5518093"

# Pilot okrugs of the JAILYM project (docs/domain.md) by their KATO code: each has a
# union of pasture users in the demo (the unions' names and members are generated).
PILOT_OKRUGS = {
    "akshi": "194035000",
    "asy": "194037000",
    "karazhota": "194053000",
    "kyrbaltabay": "194063000",
    "sogety": "194069000",
}

# A local equal-area frame for generating geometry (metres).
_LAEA = "+proj=laea +lat_0=43.5 +lon_0=78.1 +datum=WGS84 +units=m"


def data_dir() -> Path:
    """The ``data/`` folder with the real reference files (checkout or installed copy)."""
    return refdata.data_dir()


def district_boundary(path: Path | None = None) -> BaseGeometry:
    """The real OSM boundary of Enbekshikazakh District (EPSG:4326)."""
    frame = gpd.read_file(path or data_dir() / "enbekshikazakh-district-osm.geojson")
    return frame.to_crs(4326).geometry.union_all()


# Elevation profile across the district, south (ridge of the Trans-Ili Alatau)
# to north (Ili valley). Generated: shaped after the landscape (plains ~500-700 m,
# foothill towns ~900-1100 m, summer jailau 2000-3000 m, ridge above 3500 m).
_PROFILE_LAT = np.array([43.10, 43.16, 43.22, 43.28, 43.34, 43.42, 43.55, 43.70, 43.90])
_PROFILE_M = np.array([4000.0, 3400.0, 2600.0, 1900.0, 1250.0, 950.0, 720.0, 580.0, 480.0])


def elevation_model() -> RealElevation:
    """The demo's elevation: SRTM in the district's west, :func:`demo_elevation` east of it."""
    return RealElevation(demo_elevation)


def demo_elevation(lon: np.ndarray | float, lat: np.ndarray | float) -> np.ndarray:
    """Generated elevation in metres at lon/lat: rises from the Ili valley to the southern ridge."""
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    base = np.interp(lat_a, _PROFILE_LAT, _PROFILE_M)
    # smooth ridges and valleys so that neighbouring plots differ
    relief = (
        1.0
        + 0.12 * np.sin(lon_a * 23.0) * np.cos(lat_a * 31.0)
        + 0.06 * np.sin(lon_a * 61.0 + lat_a * 47.0)
    )
    return np.asarray(base * relief)


@dataclass(frozen=True)
class LivestockDensity:
    """Head per km² of Almaty Region, from ``data/almaty_region_livestock_news_figures.csv``.

    The 1 June figures for Almaty oblast in its pre-2022 borders (cattle
    1,235,800; horses 373,900; sheep and goats 4,894,900; camels 7,928),
    divided by that oblast's area, about 224,000 km² (today's Almaty Region
    plus Zhetysu). The split of small ruminants into sheep and goats (85 / 15)
    is an assumption.
    """

    cattle: float = 1_235_800 / 224_000
    horses: float = 373_900 / 224_000
    sheep: float = 4_894_900 * 0.85 / 224_000
    goats: float = 4_894_900 * 0.15 / 224_000
    camels: float = 7_928 / 224_000
    #: share of a pilot okrug's livestock-keeping households in its union (assumption)
    union_share: float = 0.6
    #: mean livestock of a livestock-keeping household, sheep units (assumption)
    su_per_household: float = 40.0


@dataclass(frozen=True)
class DemoTenure:
    """How the demo divides pasture between villages, unions and the state (generated).

    ``public_radius_km``: plots within this distance of a settlement become its public
    pasture (Land Code Art. 97 п.4), an *assumption* of a day's walk out and back for
    village herds; ``term_years``: their reservation's term, the longest Art. 49-2 allows;
    ``union_plot_share``: the share of a pilot okrug's other plots allocated to its union
    (assumption). docs/domain.md, "Settlements and households".
    """

    public_radius_km: float = 5.0
    term_years: int = 20
    union_plot_share: float = 0.85
    basis: str = "Land Code Art. 97 п.4 (generated demo reservation)"


@dataclass(frozen=True)
class ElevationZones:
    """Upper bounds (m) of the demo's elevation zones, each an Order 3-3/332 Almaty row.

    Plains (semi-desert, winter and spring) below ``plains``, foothills (spring and
    autumn) below ``foothills``, mid-mountain meadow steppe (summer and autumn) below
    ``mid_mountain``, alpine meadows (summer) above; docs/domain.md, "Elevation zones of
    the demo" says why. ``grazing_models.norms.DEMO_TYPE_ROWS`` names the rows.
    """

    plains: float = 750.0
    foothills: float = 1500.0
    mid_mountain: float = 2000.0


@dataclass(frozen=True)
class DemoSummary:
    okrugs: int
    unions: int
    plots: int
    pasture_km2: float
    district_km2: float
    water_points: int
    routes: int
    households: int
    herds: int
    head: dict[str, int]
    settlements: int = 0


def _seasons_for(elev: float, zones: ElevationZones) -> tuple[str, str]:
    """Seasons and pasture type from elevation (docs/domain.md, Seasons of south-east Kazakhstan)."""
    if elev < zones.plains:
        return "winter,spring", "semi_desert"
    if elev < zones.foothills:
        return "spring,autumn", "foothill_steppe"
    if elev < zones.mid_mountain:
        return "summer,autumn", "mountain_meadow_steppe"
    return "summer", "alpine_meadow"


# Generated geobotanical yields, air-dry c/ha by pasture type and season;
# magnitudes after docs/domain.md (high-mountain summer 4-5 c/ha; semi-desert peak
# ~13.7 c/ha DM). Demo values, not survey data.
_YIELDS = {
    "semi_desert": {"winter": 2.5, "spring": 5.0},
    "foothill_steppe": {"spring": 7.0, "autumn": 4.5},
    "mountain_meadow_steppe": {"summer": 9.0, "autumn": 5.5},
    "alpine_meadow": {"summer": 4.5},
}


class _Builder:
    def __init__(self, seed: int, n_cells: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.n_cells = n_cells
        self.to_local = Transformer.from_crs(4326, _LAEA, always_xy=True)
        self.to_geo = Transformer.from_crs(_LAEA, 4326, always_xy=True)
        self.district = district_boundary()
        self.local = self.local_of(self.district)
        self.elevation = elevation_model()

    def geo(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(
            geom, lambda xy: np.column_stack(self.to_geo.transform(xy[:, 0], xy[:, 1]))
        )

    def local_of(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(
            geom, lambda xy: np.column_stack(self.to_local.transform(xy[:, 0], xy[:, 1]))
        )

    def points_inside(self, n: int, area: BaseGeometry) -> np.ndarray:
        minx, miny, maxx, maxy = area.bounds
        out: list[np.ndarray] = []
        while sum(len(o) for o in out) < n:
            xy = self.rng.uniform([minx, miny], [maxx, maxy], size=(n, 2))
            out.append(xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])])
        return np.concatenate(out)[:n]

    def voronoi_geo(self, seeds: np.ndarray) -> np.ndarray:
        """Voronoi cells of local seed points, densified and returned in lon/lat."""
        cells = shapely.voronoi_polygons(
            shapely.multipoints(seeds), extend_to=self.local.envelope.buffer(50_000)
        )
        # densify so that edges follow the projection; all clipping then happens in lon/lat
        parts = shapely.get_parts(cells)
        return np.asarray([self.geo(shapely.segmentize(c, 1_000.0)) for c in parts], dtype=object)

    def settlements_and_okrugs(self) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """The real settlements and okrugs; okrug boundaries drawn from the settlements."""
        names = real_okrugs()
        osm = real_settlements(names)
        placed = unplaced_settlements(names, osm, self.district, settled_north_of=_SETTLED_NORTH_OF)
        settlements = gpd.GeoDataFrame(
            pd.concat([osm, placed], ignore_index=True), geometry="geometry", crs=4326
        )
        cells = okrug_polygons(settlements, self.district, self.local_of, self.geo)
        okrugs = gpd.GeoDataFrame(
            names.assign(source=OKRUG_SOURCE),
            geometry=[_to_multi(cells[o]) for o in names["id"]],
            crs=4326,
        )
        return settlements, okrugs

    def cells(self) -> np.ndarray:
        return self.voronoi_geo(self.points_inside(self.n_cells, self.local))

    def land_cover(self, elev: float, okrug_village: bool) -> bool:
        """Whether a cell is pasture: cropland and villages in the foothills, forest and rock above."""
        r = self.rng.random()
        if elev > 3500:
            return r < 0.15  # rock and glaciers
        if 1600 < elev < 2400:
            return r < 0.55  # spruce belt
        if 700 < elev < 1300:
            return r < (0.25 if okrug_village else 0.35)  # irrigated cropland and villages
        return r < 0.5


#: Okrugs whose KATO settlements have no public coordinates get a generated position in
#: the settled belt north of this latitude (the foothills and plains; an assumption).
_SETTLED_NORTH_OF = 43.35


def _to_multi(geom: BaseGeometry) -> BaseGeometry:
    polys = [
        g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon" and not g.is_empty
    ]
    return shapely.MultiPolygon(polys)


def build_demo(
    store: Store,
    *,
    seed: int = 42,
    cells: int = 6000,
    density: LivestockDensity | None = None,
    tenure: DemoTenure | None = None,
    zones: ElevationZones | None = None,
    census_date: str = "2025-01-01",
    user: str = "demo",
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Fill an empty store with the demo district (deterministic for a seed).

    Parameters
    ----------
    store
        An empty store.
    seed
        Seed of everything generated.
    cells
        Voronoi cells the district is cut into before land cover picks the pastures.
    density, tenure, zones
        Livestock density, division of pasture and elevation zones (their defaults are
        documented in docs/domain.md).
    census_date
        Date of the generated census; public pasture reservations start that year.
    user
        Name recorded in the history.
    progress
        Called with a short message at each step.

    Returns
    -------
    DemoSummary
        Counts of what was written.
    """
    from .demo_livestock import livestock

    say = progress or (lambda _msg: None)
    density = density or LivestockDensity()
    tenure = tenure or DemoTenure()
    b = _Builder(seed, cells)
    source = f"{DEMO_SOURCE} (seed {seed})"

    say("settlements and okrugs")
    settlements, okrugs = b.settlements_and_okrugs()

    say("unions")
    unions = _unions(okrugs, source)

    say("plots")
    plots = _plots(b, okrugs, settlements, tenure, zones or ElevationZones(), source)
    _reserve(plots, tenure, census_date)

    say("water points and routes")
    water = _water_points(b, plots, source)
    routes = _routes(b, plots, source)

    say("households, census and herds")
    households, census, herds = livestock(
        b.rng, b.district, settlements, unions, plots, density, census_date, source
    )

    store.set_region(b.district.buffer(0.25).simplify(0.01))
    store.set_meta("demo", json.dumps({"seed": seed, "generated": True, "label": DEMO_SOURCE}))
    store.set_meta("district_boundary_wkt", shapely.to_wkt(b.district, rounding_precision=7))
    store.set_meta("district_boundary_source", OSM_SOURCE)
    store.set_meta("elevation_source", DEM_SOURCE)
    # the demo's pasture types to Almaty-oblast rows of Order 3-3/332 by elevation zone
    store.set_meta("load_norm_rows", json.dumps(DEMO_TYPE_ROWS, ensure_ascii=False))
    batches: list[tuple[str, pd.DataFrame, Any]] = [
        ("okrugs", okrugs, "append"),
        ("settlements", settlements, "append"),
        ("unions", unions, "append"),
        ("plots", plots, "append"),
        ("water_points", water, "append"),
        ("routes", routes, "append"),
        ("households", households, "append"),
        ("census", census, "append"),
        ("herds", herds, "append"),
    ]
    say("writing the store")
    store.write_many(batches, user=user, source="pasture demo")
    head = {s: int(census[s].sum()) for s in SPECIES}
    return DemoSummary(
        okrugs=len(okrugs),
        unions=len(unions),
        plots=len(plots),
        pasture_km2=float(geodesic_area_ha(plots.geometry.tolist()).sum() / 100),
        district_km2=float(geodesic_area_ha([b.district])[0] / 100),
        water_points=len(water),
        routes=len(routes),
        households=len(households),
        herds=len(herds),
        head=head,
        settlements=len(settlements),
    )


def _unions(okrugs: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """One union of pasture users per pilot okrug, its boundary the okrug's (generated)."""
    by_kato = okrugs.set_index("kato")
    rows = []
    for slug, kato in PILOT_OKRUGS.items():
        okrug = by_kato.loc[kato]
        en = union_place(okrug["name_en"])
        rows.append(
            {
                "id": f"upu-{slug}",
                "name": UNION_NAME.format(place=en),
                "okrug_id": okrug["id"],
                "contact": f"{en} okrug akimat office (generated)",
                "source": source,
                "geometry": okrug["geometry"],
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def _plots(
    b: _Builder,
    okrugs: gpd.GeoDataFrame,
    settlements: gpd.GeoDataFrame,
    tenure: DemoTenure,
    zones: ElevationZones,
    source: str,
) -> gpd.GeoDataFrame:
    """Pasture plots: Voronoi cells cut by okrugs, kept by land cover, away from village land."""
    cells = b.cells()
    # a cell holding a settlement is its built-up land and gardens, not pasture
    village = shapely.STRtree(cells).query(np.asarray(settlements.geometry), predicate="within")[1]
    cells = np.delete(cells, np.unique(village))
    okrug_geoms = np.asarray(okrugs.geometry.tolist(), dtype=object)
    cell_idx, okrug_idx = shapely.STRtree(okrug_geoms).query(cells, predicate="intersects")
    pieces = [_to_multi(p) for p in shapely.intersection(cells[cell_idx], okrug_geoms[okrug_idx])]
    area_ha = geodesic_area_ha(pieces)
    keep = [
        k
        for k, (p, ha) in enumerate(zip(pieces, area_ha, strict=True))
        if not p.is_empty and ha >= 5.0
    ]
    centres = shapely.point_on_surface(np.asarray([pieces[k] for k in keep], dtype=object))
    elevations = b.elevation(shapely.get_x(centres), shapely.get_y(centres))
    near, gaps = _nearest_settlement(b, centres, settlements)
    pilot_ids = set(okrugs.loc[okrugs["kato"].isin(PILOT_OKRUGS.values()), "id"])
    union_of = {
        o: f"upu-{s}"
        for s, kato in PILOT_OKRUGS.items()
        for o in okrugs.loc[okrugs["kato"] == kato, "id"]
    }
    rows = []
    for j, k in enumerate(keep):
        elev = float(elevations[j])
        okrug_id = okrugs["id"].iat[okrug_idx[k]]
        if not b.land_cover(elev, okrug_id in pilot_ids):
            continue
        seasons, ptype = _seasons_for(elev, zones)
        public = gaps[j] <= tenure.public_radius_km * 1000
        union = None
        if not public and okrug_id in pilot_ids and b.rng.random() < tenure.union_plot_share:
            union = union_of[okrug_id]
        rows.append(
            {
                "okrug_id": okrug_id,
                "union_id": union,
                "seasons": seasons,
                "pasture_type": ptype,
                "land_category": "agricultural land" if elev < zones.foothills else "reserve land",
                "land_user": _land_user(union, public, settlements["name_en"].iat[near[j]]),
                "elevation_m": round(elev, 0),
                **_yields(b, ptype),
                "source": source,
                "tenure": "union" if union else ("public" if public else "state"),
                "settlement_id": settlements["id"].iat[near[j]] if public else None,
                "geometry": pieces[k],
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    # ids in a stable geographic order: north first, then west to east
    centre = frame.geometry.representative_point()
    frame = frame.iloc[np.lexsort((centre.x.round(2), -centre.y.round(2)))].reset_index(drop=True)
    frame.insert(0, "id", [f"P{i + 1:04d}" for i in range(len(frame))])
    frame.insert(1, "name", [PLOT_NAME.format(n=i + 1) for i in range(len(frame))])
    return frame


def _land_user(union: str | None, public: bool, village: str) -> str:
    if union:
        return f"union {union}"
    return f"akimat: public pasture of {village}" if public else "akimat: state pasture"


def _yields(b: _Builder, ptype: str) -> dict[str, float | None]:
    yields: dict[str, float | None] = {
        f"yield_{s}_cha": None for s in ("winter", "spring", "summer", "autumn")
    }
    for season, cha in _YIELDS[ptype].items():
        yields[f"yield_{season}_cha"] = round(cha * b.rng.uniform(0.7, 1.3), 1)
    return yields


def _nearest_settlement(
    b: _Builder, points: np.ndarray, settlements: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Index of each point's nearest settlement and the distance to it in metres."""
    local_points = np.asarray([b.local_of(p) for p in points], dtype=object)
    local_towns = np.asarray([b.local_of(p) for p in settlements.geometry], dtype=object)
    (_, nearest), distance = shapely.STRtree(local_towns).query_nearest(
        local_points, return_distance=True, all_matches=False
    )
    return nearest, distance


def _reserve(plots: gpd.GeoDataFrame, tenure: DemoTenure, census_date: str) -> None:
    """Reservation of each public pasture: its basis and term (Land Code Art. 49-2)."""
    public = plots["tenure"] == "public"
    until = f"{int(census_date[:4]) + tenure.term_years}-12-31"
    plots["reserved_basis"] = [tenure.basis if p else None for p in public]
    plots["reserved_until"] = [until if p else None for p in public]


def _water_points(b: _Builder, plots: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    n = max(len(plots) // 8, 10)
    chosen = np.sort(b.rng.choice(len(plots), size=n, replace=False))
    rows = []
    for i, k in enumerate(chosen):
        elev = plots["elevation_m"].iat[k]
        kind = "well" if elev < 750 else ("spring" if b.rng.random() < 0.6 else "river access")
        capacity = round(float(b.rng.uniform(5, 60)), 1) if kind == "well" else None
        rows.append(
            {
                "id": f"W{i + 1:03d}",
                "name": WATER_NAME.format(kind=kind.capitalize(), n=i + 1),
                "kind": kind,
                "capacity_m3_day": capacity,
                "source": source,
                "geometry": plots.geometry.iat[k].representative_point(),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def _routes(b: _Builder, plots: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Transhumance routes: from the winter/spring plains up to summer pastures."""
    low = plots[plots["seasons"].str.contains("winter")]
    high = plots[plots["seasons"] == "summer"]
    rows = []
    for i in range(min(10, len(low), len(high))):
        start = low.geometry.iat[int(b.rng.integers(len(low)))].representative_point()
        # the nearest summer pasture to the south of the start
        south = high[high.geometry.representative_point().y < start.y]
        if south.empty:
            continue
        centres = south.geometry.representative_point()
        ends = np.asarray(shapely.points(np.column_stack([centres.x, centres.y])))
        end = ends[int(np.argmin(shapely.distance(ends, start)))]
        xs = np.linspace(start.x, end.x, 6)
        ys = np.linspace(start.y, end.y, 6)
        xs[1:-1] += b.rng.normal(0, 0.01, 4)
        line = shapely.LineString(np.column_stack([xs, ys])).intersection(b.district)
        if line.is_empty:
            continue
        parts = [g for g in getattr(line, "geoms", [line]) if g.geom_type == "LineString"]
        rows.append(
            {
                "id": f"R{i + 1:02d}",
                "name": ROUTE_NAME.format(n=i + 1),
                "seasons": "spring,autumn",
                "source": source,
                "geometry": shapely.MultiLineString(parts),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def choose_degraded_plots(
    plots: gpd.GeoDataFrame, *, n: int = 12, seed: int = 42
) -> gpd.GeoDataFrame:
    """Plots near villages (winter/spring and foothill pasture) that the demo NDVI makes degrade.

    docs/domain.md: pastures near villages are the most degraded. Slopes are
    -0.010 to -0.020 NDVI per year of peak-season greenness (generated).
    """
    rng = np.random.default_rng(seed + 1)
    candidates = plots[
        plots["seasons"].isin(["winter,spring", "spring,autumn"]) & (plots["area_ha"] > 150)
    ]
    chosen = candidates.iloc[
        np.sort(rng.choice(len(candidates), size=min(n, len(candidates)), replace=False))
    ]
    return gpd.GeoDataFrame(
        {
            "id": chosen["id"].to_numpy(),
            "slope_per_year": rng.uniform(-0.020, -0.010, len(chosen)).round(4),
        },
        geometry=chosen.geometry.to_numpy(),
        crs=4326,
    )


def build_demo_ndvi(
    store: Store,
    out_dir: Path,
    *,
    seed: int = 42,
    years: int = 8,
    start_year: int = 2017,
    user: str = "demo",
    progress: Callable[[str], None] | None = None,
) -> Any:
    """Generate the demo NDVI stack beside the store, register it and compute per-plot NDVI.

    The stack (pasture.ndvi.demo_stack) is 16-day composites at 250 m, anchored to
    the real Copernicus June NDVI and drawn on the demo's terrain (:func:`elevation_model`,
    SRTM in the west: the elevation the plots' pasture types come from, so green-up and
    summer drying follow the same zones); a few plots get a real downward trend, and
    the store records which (setting ``demo_degraded_plots``) so that trend
    detection can be checked against them.
    """
    from .ndvi import compute_ndvi_stats, generate_ndvi_stack, register_scenes

    say = progress or (lambda _msg: None)
    plots = store.read("plots")
    degraded = choose_degraded_plots(plots, seed=seed)
    say(f"generating {years} years of NDVI composites")
    # one terrain for the plots' pasture types and the NDVI drawn on them: the plots'
    # elevation_m comes from the same model (DemoBuilder.elevation)
    manifest = generate_ndvi_stack(
        district_boundary(),
        out_dir,
        elevation=elevation_model(),
        terrain=DEM_SOURCE,
        years=years,
        start_year=start_year,
        degraded=degraded,
        seed=seed,
    )
    # what the scene catalogue's page says of the generated scenes
    store.set_meta("demo_ndvi_label", manifest.label)
    store.set_meta(
        "demo_degraded_plots",
        json.dumps({d.id: d.slope_per_year for d in manifest.degraded}, sort_keys=True),
    )
    say("registering NDVI scenes")
    register_scenes(store, list(manifest.files), user=user)
    say("zonal NDVI statistics per plot and date")
    compute_ndvi_stats(store)
    say("geobotanical survey (generated from NDVI)")
    survey_yields_from_ndvi(store, seed=seed, user=user)
    from .science.forage_basis import calibrate_demo_basis

    # the district's one forage basis, labelled GENERATED: capacity and the planner read it
    say("forage basis (calibrated on the generated survey)")
    calibrate_demo_basis(store)
    return manifest


@dataclass(frozen=True)
class SurveyRelation:
    """The known NDVI → biomass relation behind the demo's generated geobotanical survey.

    Dry matter kg/ha = ``slope`` × seasonal peak NDVI + ``intercept``, times a
    lognormal scatter of ``scatter`` (so calibration finds R² near the 0.5-0.9
    that local calibrations report, docs/domain.md); yields are given air-dry in
    c/ha with ``air_dry_dm`` dry matter. All generated: magnitudes after
    docs/domain.md (high-mountain summer pasture 400-500 kg/ha at NDVI ~0.4).
    """

    slope: float = 1_400.0
    intercept: float = -120.0
    minimum: float = 80.0
    scatter: float = 0.2
    air_dry_dm: float = 0.875


def survey_yields_from_ndvi(
    store: Store, *, seed: int = 42, user: str = "demo", relation: SurveyRelation | None = None
) -> int:
    """Replace the demo plots' spring/summer/autumn yields by a survey generated from their NDVI.

    Winter yields (standing dry forage) stay as generated. Returns the number of plots changed.
    """
    from grazing_models.capacity import seasonal_ndvi

    relation = relation or SurveyRelation()
    rng = np.random.default_rng(seed + 2)
    stats = store.read_rows("ndvi_stats")
    peaks = seasonal_ndvi(stats, seasons=["spring", "summer", "autumn"], statistic="max")
    mean_peak = peaks.groupby(["plot_id", "season"])["ndvi"].mean()
    plots = store.read("plots")
    for season in ("spring", "summer", "autumn"):
        column = f"yield_{season}_cha"
        allowed = plots["seasons"].str.contains(season)
        ndvi = np.array([mean_peak.get((pid, season), np.nan) for pid in plots["id"]])
        dm = np.maximum(relation.slope * ndvi + relation.intercept, relation.minimum)
        dm *= rng.lognormal(0.0, relation.scatter, len(plots))
        cha = np.round(dm / relation.air_dry_dm / 100.0, 2)
        plots[column] = np.where(allowed & np.isfinite(cha), cha, np.nan)
    result = store.write(
        "plots", plots, user=user, mode="upsert", source="generated geobotanical survey"
    )
    store.set_meta("demo_survey_relation", json.dumps(relation.__dict__))
    return result.updated
