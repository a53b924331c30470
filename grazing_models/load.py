"""Livestock load against forage capacity.

docs/domain.md (2024)::

    demand_kg      = Σ_species head_s × intake_s × days            (eaten)
    stocking_ratio = demand_kg / (allowance_kg × harvest_efficiency) # > 1: overstocked

The allowance limits removal (utilisation); only the harvest-efficiency share of it
is eaten (`grazing_models.capacity.DEFAULT_HARVEST_EFFICIENCY`), so demand, which is
intake, is set against the eaten share.

Status against forage capacity: ``"overloaded"`` when the ratio exceeds 1,
``"underused"`` when it is below `UNDERUSED_SHARE` (most of the eaten share of the
forage left standing), ``"within capacity"`` otherwise, ``"unknown"`` without a figure.

"Underused" is not the law's "unused": Land Code Art. 92 п.4 пп.3 counts a pasture as
unused against the *legal norm* (Order 3-3/332's maximum permissible load), not against
forage. That status, with the law's wording and threshold, is `grazing_models.norms`
(`norm_status`, `UNUSED_SHARE`); the two are kept apart on purpose.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from grazing_models.capacity import BANDS, DEFAULT_HARVEST_EFFICIENCY
from grazing_models.livestock import SpeciesTable, daily_demand_kg, head_counts
from grazing_models.vocabulary import SPECIES

__all__ = [
    "STATUSES",
    "UNDERUSED_SHARE",
    "census_heads",
    "herd_heads",
    "latest_census",
    "stocking_load",
    "stocking_status",
    "union_okrug",
]

#: Below this share of the forage it could eat (stocking ratio), a plot's forage counts as
#: underused. Assumption of this project, no source: half, mirroring "take half, leave
#: half" (docs/domain.md, the two statuses); it is not the law's unused-pasture rule.
UNDERUSED_SHARE: float = 0.5
#: Possible status values against forage capacity.
STATUSES: tuple[str, ...] = ("overloaded", "within capacity", "underused", "unknown")


def stocking_status(ratio: Any, *, underused_share: float = UNDERUSED_SHARE) -> Any:
    """Status of each load ratio: overloaded (> 1), underused (< share), within capacity.

    Parameters
    ----------
    ratio
        Demand as a fraction of the eaten share of forage (scalar, array, Series).
    underused_share
        Below this the forage counts as underused; default `UNDERUSED_SHARE`.

    Returns
    -------
    str, numpy array of str or Series
        One of `STATUSES` per value; NaN gives ``"unknown"``.
    """
    if not 0 <= underused_share <= 1:
        raise ValueError(f"underused_share must lie in [0, 1], got {underused_share}")
    r = np.asarray(ratio, dtype=float)
    out = np.select(
        [np.isnan(r), r > 1.0, r < underused_share],
        ["unknown", "overloaded", "underused"],
        default="within capacity",
    ).astype(object)
    if isinstance(ratio, pd.Series):
        return pd.Series(out, index=ratio.index, name="status")
    if np.ndim(ratio) == 0:
        return str(out)
    return out


def latest_census(census: pd.DataFrame) -> pd.DataFrame:
    """The latest census row of each household (``household_id``, ``date``)."""
    missing = [c for c in ("household_id", "date") if c not in census]
    if missing:
        raise ValueError(f"census frame lacks column(s) {missing}")
    dated = census.assign(_date=pd.to_datetime(census["date"]))
    idx = dated.groupby("household_id", sort=False)["_date"].idxmax()
    return census.loc[idx.to_numpy()].reset_index(drop=True)


def _sum_heads(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    counts = head_counts(frame)
    counts[by] = frame[by].to_numpy()
    return counts.groupby(by, dropna=False, sort=True)[list(SPECIES)].sum()


def census_heads(census: pd.DataFrame, *, by: str = "union_id") -> pd.DataFrame:
    """Head counts per group from each household's latest census (index ``by``)."""
    return _sum_heads(latest_census(census), by)


def herd_heads(
    herds: pd.DataFrame, *, by: str = "union_id", plots: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Head counts of herds per group (index ``by``).

    With ``by="plot_id"`` each herd counts on the plot that contains its point
    (``plots`` and ``herds`` GeoDataFrames in the same CRS); a herd on no plot is
    left out.
    """
    if by != "plot_id":
        return _sum_heads(herds, by)
    if plots is None:
        raise ValueError("herd_heads(by='plot_id') needs plots=<plots GeoDataFrame>")
    import geopandas as gpd  # pure spatial join, no I/O

    if not isinstance(herds, gpd.GeoDataFrame) or not isinstance(plots, gpd.GeoDataFrame):
        raise ValueError("herds and plots must be GeoDataFrames to place herds on plots")
    joined = gpd.sjoin(
        herds[[*[s for s in SPECIES if s in herds], "geometry"]],
        plots[["id", "geometry"]].rename(columns={"id": "plot_id"}),
        how="inner",
        predicate="within",
    )
    joined = joined[~joined.index.duplicated(keep="first")]  # overlapping plots: count once
    return _sum_heads(pd.DataFrame(joined.drop(columns="geometry")), "plot_id")


def union_okrug(plots: pd.DataFrame) -> pd.Series:
    """The okrug of each union: the okrug holding most of its plot area."""
    allocated = plots[plots["union_id"].notna()]
    area = allocated.groupby(["union_id", "okrug_id"])["area_ha"].sum().reset_index()
    best = area.sort_values("area_ha", ascending=False).drop_duplicates("union_id")
    return best.set_index("union_id")["okrug_id"].sort_index()


def stocking_load(
    capacity: pd.DataFrame,
    heads: pd.DataFrame,
    *,
    by: str = "union_id",
    table: SpeciesTable | None = None,
    underused_share: float = UNDERUSED_SHARE,
) -> pd.DataFrame:
    """Demand of livestock against grazeable forage, per group and season.

    Parameters
    ----------
    capacity
        `grazing_models.capacity.plot_capacity` rows (``by="plot_id"``) or
        `aggregate_capacity` rows grouped by ``by``: needs ``by, season, days,
        forage_{low,central,high}_kg``.
    heads
        Head counts indexed by the values of ``by`` (`census_heads`, `herd_heads`).
    by
        The grouping column shared by both.
    table
        Species table for the seasonal intake; default `default_species_table`.
    underused_share
        Below this stocking ratio the status is underused (`UNDERUSED_SHARE`).

    The eaten share of the allowance is the capacity rows' ``harvest_efficiency``
    (the value capacity was computed with), else `DEFAULT_HARVEST_EFFICIENCY`.

    Returns
    -------
    pandas.DataFrame
        The capacity rows with ``sheep..camels`` heads, ``demand_kg`` (Σ heads ×
        intake(season) × days, docs/domain.md 2024), ``stocking_ratio_{low,central,high}``
        (demand over the eaten share of high, central and low forage) and ``status`` from the central
        ratio. A group without livestock has demand 0 (status underused).
    """
    need = [by, "season", "days", *(f"forage_{b}_kg" for b in BANDS)]
    missing = [c for c in need if c not in capacity]
    if missing:
        raise ValueError(f"capacity frame lacks column(s) {missing}")
    counts = head_counts(heads)
    out = capacity.reset_index(drop=True).copy()
    aligned = counts.reindex(out[by].to_numpy()).fillna(0.0)
    aligned.index = out.index
    out[list(SPECIES)] = aligned
    demand = np.full(len(out), np.nan)
    for season, idx in out.groupby("season").groups.items():
        daily = daily_demand_kg(out.loc[idx, list(SPECIES)], table=table, season=str(season))
        demand[out.index.get_indexer(idx)] = np.asarray(daily) * out.loc[idx, "days"].to_numpy()
    out["demand_kg"] = demand
    efficiency = (
        out["harvest_efficiency"].to_numpy(dtype=float)
        if "harvest_efficiency" in out
        else np.full(len(out), DEFAULT_HARVEST_EFFICIENCY)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        for band, forage_band in zip(BANDS, ("high", "central", "low"), strict=True):
            forage = out[f"forage_{forage_band}_kg"].to_numpy(dtype=float) * efficiency
            ratio = np.where(forage > 0, demand / np.where(forage > 0, forage, 1.0), np.nan)
            ratio = np.where((forage == 0) & (demand > 0), np.inf, ratio)
            out[f"stocking_ratio_{band}"] = ratio
    out["status"] = stocking_status(
        out["stocking_ratio_central"], underused_share=underused_share
    ).to_numpy()
    unmatched = sorted(set(counts.index.dropna()) - set(out[by]), key=str)
    out.attrs["livestock_without_capacity"] = unmatched
    return out
