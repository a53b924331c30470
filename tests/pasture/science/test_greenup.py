"""Green-up dates (pasture.science.greenup) on the demo store."""

from __future__ import annotations

from .helpers import Science


def test_greenup_has_a_row_per_plot_and_year(science: Science) -> None:
    g = science.greenup
    assert len(g) == len(science.plots) * 8 == science.summary.greenup_rows
    found = g["greenup_date"].dropna()
    assert len(found) / len(g) > 0.95
    # a plot the stack degrades towards bare ground (peak NDVI ~0.1) has no real green-up
    greening = found[~g.loc[found.index, "plot_id"].isin(list(science.generated))]
    assert greening.dt.month.between(1, 7).all()
