"""The demo's households, census and herds: every okrug's, scaled to the region's density.

Generated (labelled in every record's ``source``): the district's livestock is the
head per km² of Almaty oblast (:class:`pasture.demo.LivestockDensity`) times the
district's area, shared among settlements by their population (OSM; a settlement
without one counts as the median of its kind), and kept by households of about
``su_per_household`` sheep units each. In the five pilot okrugs ``union_share`` of the
households are members of the okrug's union; the rest of the district's households are
in no union. Herds group the union members' animals into flocks and herds the planner
moves. docs/domain.md, "Livestock of the demo".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from grazing_models.livestock import default_species_table

from .demo_names import HERD_KINDS, HERD_NAMES
from .geometry import geodesic_area_ha
from .model import SPECIES
from .planning.params import DEFAULT_FLOCK_HEADS

if TYPE_CHECKING:
    from .demo import LivestockDensity

__all__ = ["HERD_SIZES", "livestock", "settlement_weights"]

#: Most head per herd moved together: the planning default (one number for the demo's
#: union herds and the village flocks the planner splits); flocks of sheep and goats,
#: cattle herds, horse herds (camels go with the horses).
HERD_SIZES = DEFAULT_FLOCK_HEADS


def settlement_weights(settlements: pd.DataFrame) -> np.ndarray:
    """Each settlement's share of the district's people: OSM population, else its kind's median."""
    population = settlements["population"].astype("Float64")
    medians = population.groupby(settlements["kind"]).transform("median")
    filled = population.fillna(medians).fillna(population.median()).to_numpy(dtype=float)
    return filled / filled.sum()


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` split by ``weights`` in whole numbers (largest remainder), at least one each."""
    raw = weights * max(total - len(weights), 0)
    whole = np.floor(raw).astype(int)
    order = np.argsort(-(raw - whole), kind="stable")
    whole[order[: max(total - len(weights), 0) - int(whole.sum())]] += 1
    return whole + 1


def livestock(
    rng: np.random.Generator,
    district: BaseGeometry,
    settlements: gpd.GeoDataFrame,
    unions: gpd.GeoDataFrame,
    plots: gpd.GeoDataFrame,
    density: LivestockDensity,
    census_date: str,
    source: str,
) -> tuple[pd.DataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    """Households in every settlement with an okrug, their census and the unions' herds.

    Returns
    -------
    households, census, herds
        Frames ready for the store, in that order.
    """
    homes = settlements[settlements["okrug_id"].notna()].reset_index(drop=True)
    km2 = float(geodesic_area_ha([district])[0] / 100)
    totals = np.array([getattr(density, s) * km2 for s in SPECIES])
    units = default_species_table().sheep_units
    su = float(sum(totals[i] * units[s] for i, s in enumerate(SPECIES)))
    per_home = _allocate(int(su / density.su_per_household), settlement_weights(homes))
    weights = rng.lognormal(0.0, 0.8, size=(int(per_home.sum()), len(SPECIES)))
    counts = np.rint(weights / weights.sum(axis=0) * totals).astype(int)
    union_of = dict(zip(unions["okrug_id"], unions["id"], strict=True))
    households, census = _households(
        rng, homes, per_home, counts, union_of, density, census_date, source
    )
    herds: list[dict[str, Any]] = []
    for union in unions["id"]:
        members = census[census["union_id"] == union]
        herds += _herds_of(
            rng, unions, union, members[list(SPECIES)].sum().to_numpy(), plots, source
        )
    return households, census, gpd.GeoDataFrame(herds, geometry="geometry", crs=4326)


def _households(
    rng: np.random.Generator,
    homes: pd.DataFrame,
    per_home: np.ndarray,
    counts: np.ndarray,
    union_of: dict[str, str],
    density: LivestockDensity,
    census_date: str,
    source: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Households numbered per okrug, union members first, with one census record each."""
    okrug_of = np.repeat(homes["okrug_id"].to_numpy(), per_home)
    home_of = np.repeat(np.arange(len(homes)), per_home)
    rows, records = [], []
    for okrug in pd.unique(okrug_of):
        mine = np.flatnonzero(okrug_of == okrug)
        union = union_of.get(str(okrug))
        n_members = round(density.union_share * len(mine)) if union else 0
        members = set(rng.choice(mine, size=n_members, replace=False).tolist())
        ordered = [k for k in mine if k in members] + [k for k in mine if k not in members]
        slug = str(okrug).removeprefix("okrug-")
        for n, k in enumerate(ordered, start=1):
            hid = f"H-{slug}-{n:04d}"
            in_union = union if k in members else None
            village = homes.iloc[home_of[k]]
            rows.append(
                {
                    "id": hid,
                    "name": f"Household {n} of {village['name_en']} (generated)",
                    "union_id": in_union,
                    "settlement_id": village["id"],
                    "source": source,
                }
            )
            records.append(
                {
                    "id": f"{hid}/{census_date}",
                    "household_id": hid,
                    "union_id": in_union,
                    "date": census_date,
                    **dict(zip(SPECIES, counts[k].tolist(), strict=True)),
                    "source": source,
                }
            )
    return pd.DataFrame(rows), pd.DataFrame(records)


def _herds_of(
    rng: np.random.Generator,
    unions: gpd.GeoDataFrame,
    union: str,
    totals: np.ndarray,
    plots: gpd.GeoDataFrame,
    source: str,
) -> list[dict[str, Any]]:
    """A union's livestock in herds moved together, named by union, kind and number."""
    own = plots[plots["union_id"] == union]
    home_candidates = own[own["seasons"].str.contains("winter|spring")] if len(own) else plots
    if home_candidates.empty:
        home_candidates = own if len(own) else plots
    label = str(unions.loc[unions["id"] == union, "name"].iat[0]).split(" Union of")[0]
    herds: list[dict[str, Any]] = []
    for kind, species in HERD_KINDS:
        heads = {s: int(totals[SPECIES.index(s)]) for s in species}
        count = max(1, int(np.ceil(max(heads[s] / HERD_SIZES[s] for s in species))))
        for k in range(count):
            share = {s: heads[s] // count + (1 if k < heads[s] % count else 0) for s in species}
            home = home_candidates.geometry.iat[
                int(rng.integers(len(home_candidates)))
            ].representative_point()
            herds.append(
                {
                    "id": f"{union}-herd-{len(herds) + 1:02d}",
                    "name": HERD_NAMES[kind].format(place=label, n=k + 1),
                    "union_id": union,
                    **{s: share.get(s, 0) for s in SPECIES},
                    "source": source,
                    "geometry": home,
                }
            )
    return herds
