"""Green-up dates (pasture.science.greenup) on the demo store."""

from __future__ import annotations

from .helpers import Science


def test_greenup_has_a_row_per_plot_and_year(science: Science) -> None:
    g = science.greenup
    assert len(g) == 2741 * 8 == science.summary.greenup_rows
    found = g["greenup_date"].dropna()
    assert len(found) / len(g) > 0.95
    assert found.dt.month.between(1, 7).all()
