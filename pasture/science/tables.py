"""The result tables the science writes (``capacity``, ``load``, ``trends``, ``greenup``)."""

from __future__ import annotations

import pandas as pd

from ..model import TABLES

__all__ = ["table_frame"]


def table_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Only the columns of a result table, in its order."""
    columns = [c for c in TABLES[name].column_names if c in frame]
    return frame[columns]
