"""Annexes 5, 6 and 7-1: households' livestock placed near its settlement, the rest on distant
pasture (Law "On Pastures" Art. 15; Land Code Art. 97 п.4; docs/domain.md).

Per settlement, its households' livestock (latest census of each household) goes first on
the public and household pasture that serves the settlement (``plots.tenure`` ``public`` or
``household`` with ``plots.settlement_id``), nearest plot first, never above the load norm
of Order 3-3/332: putting a share ``f`` of the livestock on a plot uses
``f × Σ_species head × ha_per_head`` of its hectares, at most its area. Every household of a
settlement gets the same share placed near it (proportional, so no household is served
before another); what does not fit goes to distant pasture (other plots open in
:attr:`AllocationParams.distant_season`, nearest first, with room left under the norm);
what fits nowhere is reported as unplaced.

The census does not tell breeding stock from young animals: every head counts as breeding
stock (said in the document).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from grazing_models.norms import NormRow
from grazing_models.vocabulary import SPECIES, parse_seasons

__all__ = ["Allocation", "AllocationParams", "allocate", "size_class"]

#: Household size classes of the fairness report, in sheep units (upper bounds; assumption:
#: no official classes were found).
SIZE_CLASSES: tuple[tuple[str, float], ...] = (
    ("1-10", 10.0),
    ("11-50", 50.0),
    ("51-100", 100.0),
    (">100", float("inf")),
)


@dataclass(frozen=True)
class AllocationParams:
    """Defaults of the allocation (docs/domain.md, "Allocation of households' livestock").

    ``near_tenures``: plots that serve a settlement's households (Land Code Art. 97 п.4).
    ``distant_season``: the season of distant pasture (summer jailau; assumption).
    ``distant_tenures``: plots that may receive livestock from afar (state pasture not
    reserved for a settlement).
    """

    near_tenures: tuple[str, ...] = ("public", "household")
    distant_tenures: tuple[str, ...] = ("state",)
    distant_season: str = "summer"


@dataclass(frozen=True)
class Allocation:
    """The placements, per settlement and household, and the fairness report."""

    placements: pd.DataFrame
    settlements: pd.DataFrame
    households: pd.DataFrame
    fairness: pd.DataFrame
    plots: pd.DataFrame


def size_class(sheep_units: float) -> str:
    """The fairness report's size class of a household of ``sheep_units``."""
    for name, upper in SIZE_CLASSES:
        if sheep_units <= upper:
            return name
    return SIZE_CLASSES[-1][0]


def _need_ha(heads: Mapping[str, float], row: NormRow | None) -> float:
    """Hectares the norm row asks for ``heads`` over its grazing period (NaN: no norm)."""
    if row is None:
        return float("nan")
    return float(sum(float(heads.get(s, 0) or 0) * row.ha_per_head(s) for s in SPECIES))


def allocate(
    settlements: gpd.GeoDataFrame,
    households: pd.DataFrame,
    plots: gpd.GeoDataFrame,
    rows: Sequence[NormRow | None],
    sheep_units: Mapping[str, float],
    *,
    params: AllocationParams | None = None,
) -> Allocation:
    """Place each settlement's households' livestock near it, then on distant pasture.

    Parameters
    ----------
    settlements
        ``id``, ``name_ru``, ``okrug_id``, point geometry (EPSG:4326).
    households
        ``id``, ``settlement_id`` and a head count per species (latest census).
    plots
        ``id``, ``okrug_id``, ``tenure``, ``settlement_id``, ``seasons``, ``area_ha``,
        geometry; ``rows`` holds each plot's norm row (None: no legal norm, not used).
    sheep_units
        Sheep units per head by species (the fairness report's household sizes).
    params
        Which plots count as near and distant; the defaults when None.

    Returns
    -------
    Allocation
        ``placements``: settlement, plot, kind (near or distant), share of the
        settlement's livestock and hectares used; ``settlements`` and ``households``:
        head, sheep units and the shares placed near, distant and unplaced;
        ``fairness``: the same per settlement and household size class; ``plots``:
        each used plot's area and hectares used (never above its area).
    """
    params = params or AllocationParams()
    crs = settlements.estimate_utm_crs() if len(settlements) else plots.estimate_utm_crs()
    ground = _Ground(plots, rows, crs, params)
    homes = np.asarray(settlements.geometry.to_crs(crs), dtype=object)
    members_of = households.groupby("settlement_id", sort=False).indices
    placements: list[dict[str, Any]] = []
    by_settlement: list[dict[str, Any]] = []
    for k, s in enumerate(settlements.itertuples()):
        members = households.iloc[members_of.get(s.id, np.empty(0, dtype=np.intp))]
        heads = {sp: float(members[sp].fillna(0).sum()) for sp in SPECIES}
        near = ground.near_of.get(s.id, np.empty(0, dtype=np.intp))
        nearest = ground.by_distance(homes[k], near)
        left, near_share = _fill(1.0, nearest, ground, heads, s.id, "near", placements)
        farther = ground.distant_by_distance(homes[k], near)
        left, distant_share = _fill(left, farther, ground, heads, s.id, "distant", placements)
        by_settlement.append(
            {
                "settlement_id": s.id,
                "name": getattr(s, "name_ru", s.id),
                "okrug_id": getattr(s, "okrug_id", None),
                "households": len(members),
                **{sp: int(heads[sp]) for sp in SPECIES},
                "sheep_units": round(sum(heads[sp] * sheep_units[sp] for sp in SPECIES), 1),
                "near_share": round(near_share, 4),
                "distant_share": round(distant_share, 4),
                "unplaced_share": round(max(left, 0.0), 4),
            }
        )
    return _result(placements, by_settlement, households, plots, ground.free, sheep_units)


#: First radius (m) the distant pasture is looked for within around a settlement, doubled
#: until the livestock is placed or no distant plot is left: a settlement's search is then
#: over the plots near it, not every plot of a national store (the order is the same as
#: sorting every plot by distance; see `_Ground.distant_by_distance`).
SEARCH_RADIUS_M = 20_000.0
#: Beyond any distance on Earth (m): the search stops there.
MAX_RADIUS_M = 1e8


class _Ground:
    """The plots the allocation places livestock on, in a metric frame: hectares left under
    the norm on each (``free``), which serve each settlement (``near_of``), which take
    livestock from afar (``distant``), and a spatial index to find them nearest first."""

    def __init__(
        self,
        plots: gpd.GeoDataFrame,
        rows: Sequence[NormRow | None],
        crs: Any,
        params: AllocationParams,
    ) -> None:
        self.geoms = np.asarray(plots.geometry.to_crs(crs), dtype=object)
        self.ids = plots["id"].to_numpy()
        self.rows = list(rows)
        self.free = plots["area_ha"].astype(float).to_numpy().copy()
        tenure = plots["tenure"].astype(object)
        self.distant = tenure.isin(params.distant_tenures).to_numpy() & plots["seasons"].map(
            lambda s: params.distant_season in parse_seasons(s)
        ).to_numpy(dtype=bool)
        near = tenure.isin(params.near_tenures).to_numpy()
        served = pd.Series(plots["settlement_id"].to_numpy()[near])
        self.near_of = {
            key: np.flatnonzero(near)[idx] for key, idx in served.groupby(served).indices.items()
        }
        located = ~(shapely.is_missing(self.geoms) | shapely.is_empty(self.geoms))
        self.distant &= located  # at no distance from anything: never reached
        self.n_distant = int(self.distant.sum())
        self.tree = shapely.STRtree(self.geoms)

    def by_distance(self, home: Any, which: np.ndarray) -> list[tuple[int, float]]:
        """Plots ``which`` (ascending indices) and their distance to ``home`` (km), nearest
        first (ties: index); plots at no distance (no geometry) left out."""
        return _nearest_first(which, shapely.distance(self.geoms[which], home) / 1000.0)

    def distant_by_distance(self, home: Any, near: np.ndarray) -> Iterator[tuple[int, float]]:
        """Distant plots (not among ``near``) and their distance to ``home`` (km), nearest
        first (ties: index), found ring by ring: those within a radius, then those beyond
        it within twice it, and so on; lazily, as the caller stops once its livestock is
        placed. The order is sorting every distant plot by its distance."""
        total = self.n_distant - int(self.distant[near].sum())
        radius, reached, seen = SEARCH_RADIUS_M, -np.inf, 0
        if home is None or shapely.is_empty(home):
            return
        while seen < total and radius < MAX_RADIUS_M:
            # the plots whose box meets the square around the ring (a plot within the
            # radius has one), a hair wider: the ring is cut at the kilometres, rounded
            reach = radius * (1 + 1e-9)
            square = shapely.box(home.x - reach, home.y - reach, home.x + reach, home.y + reach)
            hits = self.tree.query(square)
            hits = np.sort(hits[self.distant[hits]])
            hits = hits[~np.isin(hits, near)]
            km = shapely.distance(self.geoms[hits], home) / 1000.0
            ring = (km > reached) & (km <= radius / 1000.0)
            yield from _nearest_first(hits[ring], km[ring])
            seen += int(ring.sum())
            reached, radius = radius / 1000.0, radius * 2


def _nearest_first(which: np.ndarray, km: np.ndarray) -> list[tuple[int, float]]:
    """``which`` with its distances, nearest first, ties in the order given; NaN left out."""
    keep = np.isfinite(km)
    which, km = which[keep], km[keep]
    order = np.argsort(km, kind="stable")
    return [(int(which[j]), float(km[j])) for j in order]


def _fill(
    share: float,
    order: Iterable[tuple[int, float]],
    ground: _Ground,
    heads: Mapping[str, float],
    settlement: str,
    kind: str,
    out: list[dict[str, Any]],
) -> tuple[float, float]:
    """Place ``share`` of a settlement's livestock on the plots of ``order`` (index and
    distance, km), in that order.

    Returns the share left and the share placed; ``ground.free`` (hectares left under the
    norm on each plot) goes down by what is used.
    """
    placed = 0.0
    need_of: dict[int, float] = {}  # per norm row: the rows are few, the plots many
    for i, distance in order:
        if share <= 1e-9:
            break
        row = ground.rows[i]
        if id(row) not in need_of:
            need_of[id(row)] = _need_ha(heads, row)
        need = need_of[id(row)]
        if not need > 0 or ground.free[i] <= 0:
            continue
        take = min(share, ground.free[i] / need)
        ground.free[i] -= take * need
        share -= take
        placed += take
        out.append(
            {
                "settlement_id": settlement,
                "plot_id": ground.ids[i],
                "kind": kind,
                "share": round(take, 4),
                "hectares": round(take * need, 2),
                "distance_km": round(distance, 2),
            }
        )
    return share, placed


def _result(
    placements: list[dict[str, Any]],
    by_settlement: list[dict[str, Any]],
    households: pd.DataFrame,
    plots: pd.DataFrame,
    free: np.ndarray,
    sheep_units: Mapping[str, float],
) -> Allocation:
    settlements = pd.DataFrame(by_settlement)
    shares = settlements.set_index("settlement_id") if len(settlements) else None
    hh = households[["id", "settlement_id", *SPECIES]].copy()
    hh["sheep_units"] = sum(hh[sp].fillna(0).astype(float) * sheep_units[sp] for sp in SPECIES)
    for col in ("near_share", "distant_share", "unplaced_share"):
        hh[col] = (
            hh["settlement_id"].map(shares[col]).astype(float) if shares is not None else np.nan
        )
    hh["size_class"] = hh["sheep_units"].map(size_class)
    fairness = _fairness(hh)
    area = plots["area_ha"].astype(float).to_numpy()
    used = pd.DataFrame(
        {"plot_id": plots["id"], "area_ha": area.round(2), "used_ha": (area - free).round(2)}
    )
    return Allocation(
        pd.DataFrame(placements), settlements, hh, fairness, used[used["used_ha"] > 0]
    )


def _fairness(hh: pd.DataFrame) -> pd.DataFrame:
    """Per settlement and size class: households, sheep units and what share of them is placed."""
    if hh.empty:
        return pd.DataFrame()
    rows = []
    for (settlement, size), group in hh.groupby(["settlement_id", "size_class"], sort=True):
        su = group["sheep_units"].sum()
        weights = group["sheep_units"] if su > 0 else None
        rows.append(
            {
                "settlement_id": settlement,
                "size_class": size,
                "households": len(group),
                "sheep_units": round(float(su), 1),
                **{
                    col: round(float(np.average(group[col], weights=weights)), 4)
                    for col in ("near_share", "distant_share", "unplaced_share")
                },
            }
        )
    return pd.DataFrame(rows)
