"""The real parts of the demo district: settlements, okrugs, elevation.

Read from ``data/enbekshikazakh/`` (provenance in ``data/enbekshikazakh/PROVENANCE.md``,
attribution in ``data/README.md``):

- the 66 settlements of OpenStreetMap inside the district (names, ``place`` kind, OSM
  population) joined to the KATO classifier (code, rural okrug);
- the 26 okrugs of the KATO classifier. Their boundaries are not public: they are
  drawn from the settlements (Voronoi cells of each okrug's settlements, clipped to the
  district and dissolved per okrug) and say so;
- the SRTM elevation model of the district's west (77.14–78.00 E); the east, whose tile
  was not available, takes the generated south–north profile of :mod:`pasture.demo`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = [
    "DEM_SOURCE",
    "OKRUG_SOURCE",
    "SETTLEMENT_SOURCE",
    "RealElevation",
    "okrug_polygons",
    "real_dir",
    "real_okrugs",
    "real_settlements",
    "unplaced_settlements",
]

SETTLEMENT_SOURCE = "© OpenStreetMap contributors (ODbL); KATO classifier"
#: Settlements of the KATO classifier in okrugs without any OSM point: real name and code,
#: generated position.
PLACED_SOURCE = "KATO classifier (name, code); position generated: no public coordinates"
OKRUG_SOURCE = "KATO classifier (names, code); boundary generated from settlement points"
DEM_SOURCE = "NASA SRTM (SRTM3, public domain), west of 78.00 E; generated profile east of it"

_DEM_FILE = "enbekshikazakh_srtm3_dem_west_N43E077.tif"

_LATIN = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
        [
            *("a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n"),
            *("o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", ""),
            *("e", "yu", "ya", "a", "g", "k", "n", "o", "u", "u", "h", "i"),
        ],
        strict=True,
    )
)


def real_dir() -> Path:
    """The folder of the district's real reference files (``data/enbekshikazakh``)."""
    from .demo import data_dir

    return data_dir() / "enbekshikazakh"


def latin(name: str) -> str:
    """A plain Latin spelling of a Russian or Kazakh name, for settlements OSM names only in Cyrillic."""
    out = []
    for ch in name:
        low = ch.lower()
        if low in _LATIN:
            text = _LATIN[low]
            out.append(text.capitalize() if ch != low else text)
        else:
            out.append(ch)
    return "".join(out)


def real_okrugs(folder: Path | None = None) -> pd.DataFrame:
    """The 26 okrugs of the KATO gazetteer: ``id`` (okrug-<slug>), kk/ru/en names, ``kato``.

    Russian names are the classifier's; Kazakh and English names are written for the demo
    after them (``okrug_names.csv``).
    """
    folder = folder or real_dir()
    gazetteer = pd.read_csv(folder / "enbekshikazakh_kato_gazetteer.csv", dtype=str)
    okrugs = gazetteer[gazetteer["level"] == "okrug"][["kato", "name_ru_kato"]]
    names = pd.read_csv(folder / "okrug_names.csv", dtype=str)
    merged = okrugs.merge(names, on="kato", how="left", validate="one_to_one")
    if merged["slug"].isna().any():
        missing = ", ".join(merged.loc[merged["slug"].isna(), "kato"])
        raise ValueError(f"okrug_names.csv has no names for KATO {missing}")
    return pd.DataFrame(
        {
            "id": "okrug-" + merged["slug"],
            "name_kk": merged["name_kk"],
            "name_ru": merged["name_ru_kato"],
            "name_en": merged["name_en"],
            "kato": merged["kato"],
        }
    ).reset_index(drop=True)


def real_settlements(okrugs: pd.DataFrame, folder: Path | None = None) -> gpd.GeoDataFrame:
    """The 66 OSM settlements of the district with their KATO code and okrug id.

    ``okrug_id`` is empty for the two that KATO does not list (Береке, Батан).
    """
    folder = folder or real_dir()
    raw = gpd.read_file(folder / "enbekshikazakh_settlements.geojson").to_crs(4326)
    by_kato = dict(zip(okrugs["kato"], okrugs["id"], strict=True))
    name = raw["name"].astype(str)
    kk = raw["name_kk"].fillna(name)
    ru = raw["name_ru"].fillna(raw["kato_name_ru"].str.replace(r"^(с|г)\.", "", regex=True))
    ru = ru.fillna(name)
    en = raw["name_en"].fillna(ru.map(latin))
    ident = [
        f"S-{k}" if isinstance(k, str) and k else f"S-osm{o}"
        for k, o in zip(raw["kato"], raw["osm_id"], strict=True)
    ]
    population = pd.array(
        [None if pd.isna(p) else int(p) for p in raw["population_osm"]], dtype="Int64"
    )
    return gpd.GeoDataFrame(
        {
            "id": ident,
            "name_kk": kk,
            "name_ru": ru,
            "name_en": en,
            "kato": raw["kato"],
            "okrug_id": [by_kato.get(k) if isinstance(k, str) else None for k in raw["okrug_kato"]],
            "kind": raw["place"],
            "population": population,
            "source": SETTLEMENT_SOURCE,
        },
        geometry=raw.geometry.to_numpy(),
        crs=4326,
    )


def unplaced_settlements(
    okrugs: pd.DataFrame,
    settlements: gpd.GeoDataFrame,
    district: BaseGeometry,
    *,
    settled_north_of: float,
    folder: Path | None = None,
) -> gpd.GeoDataFrame:
    """KATO settlements of the okrugs that have no OSM point, at generated positions.

    Each such okrug gets one position: the point of the district's settled belt (north
    of ``settled_north_of`` degrees) farthest from every settlement placed so far, and its
    settlements sit around it, 0.02° apart, inside the district. The position is generated and says so.
    """
    folder = folder or real_dir()
    gazetteer = pd.read_csv(folder / "enbekshikazakh_kato_gazetteer.csv", dtype=str)
    placed_okrugs = set(settlements["okrug_id"].dropna())
    kato_of = dict(zip(okrugs["id"], okrugs["kato"], strict=True))
    empty = [o for o in okrugs["id"] if o not in placed_okrugs]
    minx, miny, maxx, maxy = district.bounds
    gx, gy = np.meshgrid(np.linspace(minx, maxx, 120), np.linspace(miny, maxy, 60))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    grid = grid[
        shapely.contains_xy(district, grid[:, 0], grid[:, 1]) & (grid[:, 1] > settled_north_of)
    ]
    taken = shapely.get_coordinates(np.asarray(settlements.geometry))
    rows = []
    for okrug in empty:
        gap = np.min(
            np.hypot(grid[:, None, 0] - taken[None, :, 0], grid[:, None, 1] - taken[None, :, 1]),
            axis=1,
        )
        centre = grid[int(np.argmax(gap))]
        members = gazetteer[
            (gazetteer["okrug_kato"] == kato_of[okrug]) & (gazetteer["level"] == "settlement")
        ]
        for k, (kato, ru_name) in enumerate(
            zip(members["kato"], members["name_ru_kato"], strict=True)
        ):
            ru = ru_name.removeprefix("с.").strip()
            at = _inside_near(district, centre, 0.02 * k)
            rows.append(
                {
                    "id": f"S-{kato}",
                    "name_kk": ru,
                    "name_ru": ru,
                    "name_en": latin(ru),
                    "kato": kato,
                    "okrug_id": okrug,
                    "kind": "village",
                    "population": None,
                    "source": PLACED_SOURCE,
                    "geometry": shapely.Point(at),
                }
            )
        taken = np.vstack([taken, centre])
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    frame["population"] = pd.array(frame["population"], dtype="Int64")
    return frame


def _inside_near(district: BaseGeometry, centre: np.ndarray, step: float) -> np.ndarray:
    """A point ``step`` degrees from ``centre`` (east, west, north or south) inside the district."""
    for direction in ((1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)):
        at = centre + step * np.asarray(direction)
        if district.contains(shapely.Point(at)):
            return at
    return centre


def okrug_polygons(
    settlements: gpd.GeoDataFrame,
    district: BaseGeometry,
    to_local: Callable[[BaseGeometry], BaseGeometry],
    to_geo: Callable[[BaseGeometry], BaseGeometry],
) -> dict[str, BaseGeometry]:
    """Each okrug's generated boundary: its settlements' Voronoi cells, clipped and dissolved.

    Cells are built in a local equal-area frame (``to_local``/``to_geo``), then clipped to
    the district in lon/lat; settlements without an okrug take no cell. The okrugs form a
    valid coverage (shared edges identical), and so do the plots cut from them.
    """
    own = settlements[settlements["okrug_id"].notna()]
    local = np.asarray([to_local(g) for g in own.geometry], dtype=object)
    coords = shapely.get_coordinates(local)
    local_district = to_local(district)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(
            shapely.multipoints(coords), extend_to=local_district.envelope.buffer(50_000)
        )
    )
    tree = shapely.STRtree(cells)
    out: dict[str, list[BaseGeometry]] = {}
    for point, okrug in zip(local, own["okrug_id"], strict=True):
        cell = cells[tree.query(point, predicate="within")[0]]
        # not densified: cells densified one by one no longer share their edges exactly
        geo = to_geo(cell).intersection(district)
        out.setdefault(str(okrug), []).append(geo)
    # a coverage union keeps the cells' shared edges as they are (no re-noding), so the
    # okrugs and the plots cut from them stay a valid coverage
    return {k: shapely.coverage_union_all(v) for k, v in out.items()}


@dataclass
class RealElevation:
    """Elevation in metres at lon/lat: SRTM where the DEM covers the district, else generated.

    The SRTM3 tile of the district's west (77–78 E) is real; east of it (the N43E078 tile
    was not available) ``fallback`` gives the generated south–north profile, labelled
    so in ``data/README.md`` and docs/domain.md.
    """

    fallback: Callable[[np.ndarray, np.ndarray], np.ndarray]
    path: Path | None = None

    def __call__(self, lon: np.ndarray | float, lat: np.ndarray | float) -> np.ndarray:
        lon_a = np.asarray(lon, dtype=float)
        lat_a = np.asarray(lat, dtype=float)
        values, nodata, origin, step = _dem(str(self.path or real_dir() / _DEM_FILE))
        col = np.floor((lon_a - origin[0]) / step[0]).astype(int)
        row = np.floor((lat_a - origin[1]) / step[1]).astype(int)
        inside = (row >= 0) & (row < values.shape[0]) & (col >= 0) & (col < values.shape[1])
        out = np.asarray(self.fallback(lon_a, lat_a), dtype=float).copy()
        sampled = values[row[inside], col[inside]]
        real = sampled != nodata
        idx = np.flatnonzero(inside.ravel())[real]
        out.ravel()[idx] = sampled[real]
        return out


@functools.lru_cache(maxsize=2)
def _dem(path: str) -> tuple[np.ndarray, float, tuple[float, float], tuple[float, float]]:
    """The DEM's values, nodata, origin (lon, lat of the top-left corner) and pixel step."""
    import rasterio

    with rasterio.open(path) as src:
        values = src.read(1)
        t = src.transform
        nodata = float(src.nodata) if src.nodata is not None else -32768.0
    return values, nodata, (t.c, t.f), (t.a, t.e)
