"""What the science tests share: the demo science's results, read back from a reopened store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pasture.science import ScienceSummary

YEAR = 2024  # the latest full year of the demo stack (2017–2024)
ALPHA = 0.05
# Published ranges (docs/domain.md, "Carrying capacity", 2024)
AKMOLA_ANIMALS_HA = (0.10, 0.17)  # Qi et al. 2025, Remote Sens. 17(8):1477
MONGOLIA_SU_HA = (0.3, 2.8)


@dataclass(frozen=True)
class Science:
    path: Path
    summary: ScienceSummary
    plots: pd.DataFrame
    capacity: pd.DataFrame
    load: pd.DataFrame
    trends: pd.DataFrame
    greenup: pd.DataFrame
    census: pd.DataFrame
    herds: pd.DataFrame
    okrugs: pd.DataFrame
    generated: dict[str, float]
