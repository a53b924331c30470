"""Season windows and green-up dates (docs/domain.md, Seasons; Satellite NDVI)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from grazing_models.seasons import SEASON_WINDOWS, SeasonWindow, greenup_dates, season_days

COMPOSITE_DAYS = 16  # MODIS MOD13Q1


def test_default_windows_follow_domain_table():
    # whole weeks of the grazing year's calendar (16 Apr – 4 Nov) in which each pasture is
    # open; winter has a calendar of its own (23 whole weeks, 6 Nov – 15 Apr)
    assert season_days() == {"winter": 161, "spring": 49, "summer": 119, "autumn": 63}
    winter = SEASON_WINDOWS["winter"]
    assert winter.crosses_year
    assert winter.bounds(2023) == (pd.Timestamp("2023-11-06"), pd.Timestamp("2024-04-15"))
    assert winter.days(2023) == 162  # includes 29 Feb 2024
    dates = pd.DatetimeIndex(["2024-01-15", "2024-04-15", "2024-04-16", "2024-12-01"])
    assert winter.contains(dates).tolist() == [True, True, False, True]
    assert winter.window_year(dates).tolist() == [2023, 2023, 2024, 2024]
    assert SEASON_WINDOWS["spring"].contains(dates).tolist() == [False, False, True, False]
    with pytest.raises(ValueError, match="unknown season"):
        SeasonWindow("monsoon", (6, 1), (9, 1))
    with pytest.raises(ValueError, match="invalid"):
        SeasonWindow("summer", (6, 31), (9, 1))


def _double_logistic(doy, onset, *, base=0.12, amp=0.45, k=0.1, offset=280, k2=0.08):
    rise = 1 / (1 + np.exp(-k * (doy - onset)))
    fall = 1 / (1 + np.exp(-k2 * (doy - offset)))
    return base + amp * (rise - fall)


def _true_greenup(onset, fraction=0.25, **kw):
    """Day of year at which the (densely sampled) curve passes the fraction of its amplitude."""
    doy = np.arange(1, 366, 0.01)
    v = _double_logistic(doy, onset, **kw)
    peak = np.argmax(v)
    base = v[: peak + 1].min()
    threshold = base + fraction * (v[peak] - base)
    return doy[np.argmax((v >= threshold) & (np.arange(v.size) <= peak))]


def _series(onsets, *, years=(2021, 2022), seed=0, gap_rate=0.0):
    rng = np.random.default_rng(seed)
    rows = []
    for year in years:
        times = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq=f"{COMPOSITE_DAYS}D")
        for pid, onset in onsets.items():
            v = _double_logistic(times.day_of_year.to_numpy(), onset)
            v = v + rng.normal(0, 0.005, v.size)
            v[rng.random(v.size) < gap_rate] = np.nan
            rows.append(pd.DataFrame({"plot_id": pid, "time": times, "mean": v, "count": 10}))
    return pd.concat(rows, ignore_index=True)


ONSETS = {"low-plain": 95.0, "foothill": 118.0, "jailau": 152.0}


@pytest.mark.parametrize("gap_rate", [0.0, 0.3])
def test_greenup_of_a_double_logistic_is_recovered_within_one_composite(gap_rate):
    out = greenup_dates(_series(ONSETS, seed=1, gap_rate=gap_rate))
    assert len(out) == 2 * len(ONSETS)
    for row in out.itertuples():
        truth = pd.Timestamp(row.year, 1, 1) + pd.Timedelta(
            days=_true_greenup(ONSETS[row.plot_id]) - 1
        )
        assert abs((row.greenup_date - truth).days) <= COMPOSITE_DAYS, (row, truth)


def test_greenup_survives_a_cloud_gap_at_the_crossing():
    ndvi = _series({"p": 120.0}, years=(2022,))
    truth_doy = _true_greenup(120.0)
    # blank the two composites on either side of the true crossing
    near = (ndvi["time"].dt.day_of_year - truth_doy).abs().nsmallest(2).index
    ndvi.loc[near, "mean"] = np.nan
    out = greenup_dates(ndvi)
    truth = pd.Timestamp("2022-01-01") + pd.Timedelta(days=truth_doy - 1)
    assert abs((out["greenup_date"].item() - truth).days) <= 2 * COMPOSITE_DAYS


def test_greenup_fraction_orders_the_dates_and_flat_series_give_nat():
    ndvi = _series({"p": 120.0}, years=(2022,))
    early = greenup_dates(ndvi, fraction=0.1)["greenup_date"].item()
    late = greenup_dates(ndvi, fraction=0.5)["greenup_date"].item()
    assert early < late
    flat = ndvi.assign(mean=0.1)
    assert pd.isna(greenup_dates(flat)["greenup_date"].item())
    sparse = ndvi.iloc[[5, 10]]
    assert pd.isna(greenup_dates(sparse)["greenup_date"].item())
    low_quality = ndvi.assign(valid_fraction=0.1)
    assert pd.isna(greenup_dates(low_quality, min_valid_fraction=0.5)["greenup_date"].item())
    with pytest.raises(ValueError, match="fraction"):
        greenup_dates(ndvi, fraction=1.5)
