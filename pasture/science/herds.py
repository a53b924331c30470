"""Census → herds, one path: the herds the planner rotates and the load counts.

Everything the planner moves and the ``load`` table counts comes from each household's
latest census (issue 16 item 7, issue 18 item 2):

* **union herds** are the stored ``herds`` with their heads reconciled to the union
  members' latest census, species by species (:func:`reconcile_union_herds`): the stored
  herds say how a union splits its animals into flocks and herds and where they start;
  the census says how many animals there are. A census edit therefore changes the next
  plan and the load without touching ``herds``;
* **village herds** carry the livestock of households in no union that the Article 13
  allocation (`pasture.management.allocation`) cannot keep on the pasture near their
  settlement under the load norm: its distant share and what it leaves unplaced
  (:func:`village_herds`). Per settlement it is split by species, then into flocks of at
  most ``PlanningParams.flock_heads`` head each ("<settlement> village — sheep flock 2 of
  5 (distant pasture)"), as villages send several flocks: one herd of thousands of sheep
  units could graze one plot a week. The rest (its near share) stays near the village as
  village load (`pasture.science.plan_livestock.village_heads`). Unplaced livestock goes
  with the distant flocks so that where forage runs out the plan's deficit shows it,
  instead of the animals vanishing from the plan.

A village flock's ``union_id`` is ``village:<settlement id>`` (:data:`VILLAGE_PREFIX`): in
the planner it is a land user with no plots of its own, so it grazes plots without a
union (public and state pasture) and its deficit rows are its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from grazing_models.livestock import default_species_table
from grazing_models.load import census_heads, latest_census
from grazing_models.norms import NormTable

from ..demo_names import local_names, store_places
from ..i18n import Translator, translator
from ..model import PLAN_HERDS, SPECIES
from ..store.base import Store

__all__ = [
    "FLOCK_NAMES",
    "FLOCK_PARTS",
    "VILLAGE_PREFIX",
    "census_summary",
    "herds_of_plan",
    "plan_herd_names",
    "plan_herds",
    "planning_herds",
    "reconcile_union_herds",
    "village_allocation",
    "village_flock_name",
    "village_herds",
]

#: ``union_id`` prefix of a village herd (the settlement id follows).
VILLAGE_PREFIX = "village:"

#: A village flock's name parts besides its settlement: species, flock k of n.
FLOCK_PARTS = ("species", "flock", "flocks")


def planning_herds(
    store: Store,
    *,
    unions: Sequence[str] | None = None,
    flock_heads: Mapping[str, int] | None = None,
) -> gpd.GeoDataFrame:
    """Union herds reconciled with the census, plus the village flocks (``unions`` None).

    Parameters
    ----------
    store
        Store with herds, census, households, settlements and plots.
    unions
        Only these unions' herds (and no village herds); every herd when None.
    flock_heads
        Most head of a species in one village flock; the planning default
        (``PlanningParams.flock_heads``) when None.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id, name, union_id``, the species, ``source``, ``kind`` (union or village),
        ``settlement_id`` (village herds) and the home point (EPSG:4326).
    """
    herds = store.read("herds")
    census = store.read("census")
    union = reconcile_union_herds(herds, census).assign(kind="union", settlement_id=None)
    if unions is not None:
        return union[union["union_id"].isin(list(unions))].reset_index(drop=True)
    village = village_herds(store, census, flock_heads=flock_heads)
    if village.empty:
        return union.reset_index(drop=True)
    both = pd.concat([union, village.to_crs(union.crs or 4326)], ignore_index=True)
    return gpd.GeoDataFrame(both, geometry="geometry", crs=union.crs or 4326)


def reconcile_union_herds(herds: gpd.GeoDataFrame, census: pd.DataFrame) -> gpd.GeoDataFrame:
    """Each union's herds carry its members' latest census heads, species by species.

    A union's census total of a species is split over its herds in proportion to the heads
    the stored herds hold (largest remainder, so the total is exact); where its herds hold
    none of a species the census has, the heads are split evenly. A union without census
    keeps its stored herds.
    """
    out = herds.copy()
    if census.empty or out.empty:
        return out
    totals = census_heads(census, by="union_id")
    for union, index in out.groupby("union_id").groups.items():
        if union not in totals.index:
            continue
        for sp in SPECIES:
            stored = out.loc[index, sp].astype(float).fillna(0.0).to_numpy()
            weights = stored if stored.sum() > 0 else np.ones(len(stored))
            out.loc[index, sp] = _split(round(float(totals.at[union, sp])), weights)
    for sp in SPECIES:
        out[sp] = out[sp].astype(int)
    return out


def census_summary(census: pd.DataFrame) -> dict[str, object]:
    """What a plan's herds were reconciled with: each union's latest census date."""
    members = census[census["union_id"].notna()] if len(census) else census
    dates = (
        pd.to_datetime(members["date"]).groupby(members["union_id"]).max()
        if len(members)
        else pd.Series(dtype="datetime64[ns]")
    )
    return {
        "source": "each union's latest census, split over its herds; households in no "
        "union by the Article 13 allocation (village herds)",
        "census_date": {str(u): d.date().isoformat() for u, d in dates.items()},
    }


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` in whole numbers by ``weights`` (largest remainder)."""
    raw = total * weights / weights.sum()
    whole = np.floor(raw).astype(int)
    order = np.argsort(-(raw - whole), kind="stable")
    whole[order[: total - int(whole.sum())]] += 1
    return whole


def village_allocation(store: Store, census: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per settlement: its non-union households' latest census heads and allocation shares.

    The Article 13 allocation of the households in no union
    (`pasture.management.allocation.allocate`): ``settlement_id``, ``name``,
    ``okrug_id``, the species and ``near_share``, ``distant_share``,
    ``unplaced_share``. Empty without settlements, households or plot tenure.
    """
    from ..management.allocation import allocate
    from .load import norm_rows_of

    census = store.read("census") if census is None else census
    households = store.read("households")
    settlements = store.read("settlements")
    if census.empty or settlements.empty or "settlement_id" not in households:
        return pd.DataFrame()
    free = households[households["union_id"].isna() & households["settlement_id"].notna()]
    latest = latest_census(census)
    heads = latest[latest["household_id"].isin(set(free["id"]))]
    if heads.empty:
        return pd.DataFrame()
    livestock = free[["id", "settlement_id"]].merge(
        heads[["household_id", *SPECIES]], left_on="id", right_on="household_id", how="inner"
    )
    plots = store.read("plots")
    if "tenure" not in plots or plots.empty:
        return pd.DataFrame()
    rows = NormTable.annex().resolve(
        plots["pasture_type"].astype(str).tolist(), norm_rows_of(store)
    )
    sheep_units = default_species_table().sheep_units.to_dict()
    home = settlements[settlements["id"].isin(set(livestock["settlement_id"]))]
    result = allocate(home, livestock, plots, rows, sheep_units)
    return result.settlements


def herds_of_plan(store: Store, params: Mapping[str, Any] | None) -> gpd.GeoDataFrame:
    """The herds as a stored plan made them: its ``params`` give the village flock sizes."""
    planning = (params or {}).get("planning") or {}
    return planning_herds(store, flock_heads=planning.get("flock_heads"))


def plan_herds(
    store: Store, plan_id: str, t: Translator, *, union_id: str | None = None
) -> pd.DataFrame:
    """The herds of a stored plan as its maps, calendar and exports name them: ``id``,
    ``name``, ``union_id``, ``kind`` and the species' heads, of one land user when
    ``union_id`` is given.

    A union herd keeps the name the plan stored (a generated one read in ``t``'s language,
    :func:`pasture.demo_names.local_name`); a village flock is named in ``t``'s
    language from its stored parts (:func:`village_flock_name`). A plan stored before
    ``plan_herds`` existed has no rows there: its herds are then the ``herds`` layer's, as
    its pages showed them (a village flock by its id). The stored ``top_shares`` (personal
    data) are not among the columns; ``contributors`` is.
    """
    where: dict[str, Any] = {"plan_id": plan_id}
    if union_id is not None:
        where["union_id"] = union_id
    # the largest households' shares are for the disclosure rules only (herd_privacy)
    rows = store.read_rows("plan_herds", where=where).drop(
        columns=sorted(PLAN_HERDS.personal_names)
    )
    # a generated union herd's name in t's language, as every demo name on the pages
    places = store_places(store.read("okrugs"), t.lang) if t.lang != "en" else {}
    if rows.empty:
        herds = store.read("herds", where={"union_id": union_id} if union_id else None)
        return local_names(herds, t, places)
    rows = local_names(rows.rename(columns={"herd_id": "id"}), t, places)
    village = rows["kind"] == "village"
    if village.any():
        ids = sorted({str(s) for s in rows.loc[village, "settlement_id"].dropna()})
        labels = _settlement_labels(store.read("settlements").set_index("id"), ids, t.lang)
        rows.loc[village, "name"] = [
            village_flock_name(t, labels[str(r.settlement_id)], r.species, r.flock, r.flocks)
            if r.settlement_id is not None and r.species in FLOCK_NAMES
            else r.name
            for r in rows[village].itertuples()
        ]
    return rows


def plan_herd_names(
    store: Store, plan_id: str, t: Translator, *, union_id: str | None = None
) -> dict[str, str]:
    """Herd id → its name in a stored plan (:func:`plan_herds`), the id where it has none."""
    herds = plan_herds(store, plan_id, t, union_id=union_id)
    return {str(i): str(n or i) for i, n in zip(herds["id"], herds["name"], strict=True)}


#: How a village flock of each species is named: catalogue msgids (kk, ru, en), one
#: whole phrase per species as the words of a flock and a herd differ in each language.
FLOCK_NAMES = {
    "sheep": "{village} village — sheep flock {flock} of {flocks} (distant pasture)",
    "goats": "{village} village — goat flock {flock} of {flocks} (distant pasture)",
    "cattle": "{village} village — cattle herd {flock} of {flocks} (distant pasture)",
    "horses": "{village} village — horse herd {flock} of {flocks} (distant pasture)",
    "camels": "{village} village — camel herd {flock} of {flocks} (distant pasture)",
}


def village_flock_name(t: Translator, village: str, species: str, flock: int, flocks: int) -> str:
    """A village flock's name in ``t``'s language from its parts: the settlement's name,
    its species and its number among that species' flocks ("Esik village — sheep flock
    1 of 44 (distant pasture)"). The store keeps the parts (``plan_herds``)."""
    return t(FLOCK_NAMES[species]).format(village=village, flock=flock, flocks=flocks)


def village_herds(
    store: Store,
    census: pd.DataFrame | None = None,
    *,
    flock_heads: Mapping[str, int] | None = None,
) -> gpd.GeoDataFrame:
    """Each settlement's livestock the allocation places on distant pasture or leaves
    unplaced, in flocks of one species of at most ``flock_heads`` head (see the module
    docstring); the planning default (``PlanningParams.flock_heads``) when None."""
    if flock_heads is None:
        from ..planning.params import PlanningParams  # planning reads this module

        flock_heads = PlanningParams().flock_heads
    shares = village_allocation(store, census)
    columns = [
        "id",
        "name",
        "union_id",
        *SPECIES,
        "source",
        "kind",
        "settlement_id",
        *FLOCK_PARTS,
    ]
    if shares.empty:
        return gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry", crs=4326)
    settlements = store.read("settlements").set_index("id")
    away = shares["distant_share"].astype(float) + shares["unplaced_share"].astype(float)
    labels = _settlement_labels(settlements, [str(i) for i in shares["settlement_id"]])
    rows, points = [], []
    for k, s in enumerate(shares.itertuples()):
        heads = {sp: round(float(getattr(s, sp)) * float(away.iat[k])) for sp in SPECIES}
        place = settlements.loc[s.settlement_id]
        label = labels[str(s.settlement_id)]
        for flock in _flocks(str(s.settlement_id), label, heads, flock_heads):
            rows.append(flock)
            points.append(place.geometry)
    return gpd.GeoDataFrame(rows, columns=columns, geometry=points, crs=settlements.crs or 4326)


def _settlement_labels(
    settlements: pd.DataFrame, ids: Sequence[str], lang: str = "en"
) -> dict[str, str]:
    """Each settlement's name (in ``lang``, else English, else Russian, else its id); a name
    two settlements share is followed by the id, so that every flock's name is unique."""
    names = {}
    for sid in ids:
        place = settlements.loc[sid] if sid in settlements.index else pd.Series(dtype=object)
        own = place.get(f"name_{lang}") or place.get("name_en") or place.get("name_ru")
        names[sid] = str(own or sid)
    seen = pd.Series(list(names.values())).value_counts()
    return {sid: f"{n} ({sid})" if seen[n] > 1 else n for sid, n in names.items()}


def _flocks(
    settlement: str, label: str, heads: Mapping[str, int], flock_heads: Mapping[str, int]
) -> list[dict[str, Any]]:
    """A settlement's heads by species, each species in the fewest flocks of at most
    ``flock_heads`` head, as even as whole heads allow (their sum is the species' heads);
    each flock's name in English and the parts it is built from."""
    english = translator("en")
    out = []
    for sp in SPECIES:
        total = int(heads.get(sp, 0))
        if total <= 0:
            continue
        n = -(-total // int(flock_heads[sp]))  # ceiling
        for i, size in enumerate(_split(total, np.ones(n)), start=1):
            out.append(
                {
                    "id": f"village-{settlement}-{sp}-{i:02d}",
                    "name": village_flock_name(english, label, sp, i, n),
                    "union_id": f"{VILLAGE_PREFIX}{settlement}",
                    **{x: (int(size) if x == sp else 0) for x in SPECIES},
                    "source": "census of households in no union; Article 13 allocation; "
                    "split into flocks (PlanningParams.flock_heads)",
                    "kind": "village",
                    "settlement_id": settlement,
                    "species": sp,
                    "flock": i,
                    "flocks": n,
                }
            )
    return out
