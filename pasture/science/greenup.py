"""Green-up dates of every plot and year (the ``greenup`` table)."""

from __future__ import annotations

import pandas as pd

from grazing_models.seasons import DEFAULT_GREENUP_FRACTION, greenup_dates

from ..store.base import Store
from .inputs import DEFAULT_MIN_VALID_FRACTION, read_ndvi
from .tables import table_frame

__all__ = ["compute_greenup"]


def compute_greenup(
    store: Store,
    *,
    fraction: float = DEFAULT_GREENUP_FRACTION,
    min_valid_fraction: float = DEFAULT_MIN_VALID_FRACTION,
    ndvi: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Green-up date of every plot and year; replaces the ``greenup`` table.

    Green-up is when NDVI rises past ``fraction`` (default 25 %) of its seasonal
    amplitude (docs/domain.md, "Satellite NDVI", 2024; `grazing_models.seasons.greenup_dates`).
    """
    ndvi = read_ndvi(store) if ndvi is None else ndvi
    frame = greenup_dates(ndvi, fraction=fraction, min_valid_fraction=min_valid_fraction)
    store.replace_rows("greenup", table_frame("greenup", frame))
    return frame
