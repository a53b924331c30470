"""Green-up dates (pasture.science.greenup) on the demo store."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .helpers import Science


def test_greenup_has_a_row_per_plot_and_year(science: Science) -> None:
    g = science.greenup
    assert len(g) == len(science.plots) * 8 == science.summary.greenup_rows
    found = g["greenup_date"].dropna()
    assert len(found) / len(g) > 0.95
    # a plot the stack degrades towards bare ground (peak NDVI ~0.1) has no real green-up
    greening = found[~g.loc[found.index, "plot_id"].isin(list(science.generated))]
    assert greening.dt.month.between(1, 7).all()


def test_greenup_follows_the_terrain_the_plots_pasture_types_come_from(science: Science) -> None:
    # the generated NDVI is drawn on the demo's one elevation model (SRTM in the west),
    # the one that gives each plot its elevation_m and so its seasons and pasture type.
    # West of 78 E, where SRTM and the generated profile differ (sd ~320 m), a plot's
    # green-up departs from what the profile predicts as its SRTM height departs from
    # the profile, and not the other way round. Above 3,000 m green-up is capped.
    from pasture.demo import demo_elevation

    plots = science.plots.set_index("id")
    centre = plots.geometry.representative_point()
    west = plots.index[(centre.x < 77.9) & ~plots.index.isin(list(science.generated))]
    g = science.greenup.dropna(subset=["greenup_date"])
    doy = g.assign(doy=g["greenup_date"].dt.day_of_year).groupby("plot_id")["doy"].median()
    frame = pd.DataFrame(
        {
            "doy": doy.reindex(west),
            "srtm": plots.loc[west, "elevation_m"],
            "profile": demo_elevation(centre[west].x.to_numpy(), centre[west].y.to_numpy()),
        }
    ).dropna()
    frame = frame[(frame["srtm"] < 3000) & (frame["profile"] < 3000)]
    assert len(frame) > 500

    def beyond(height: str, other: str) -> float:
        """How the green-up left unexplained by ``other`` follows ``height`` − ``other``."""
        fit = np.polyval(np.polyfit(frame[other], frame["doy"], 2), frame[other])
        return float(np.corrcoef(frame["doy"] - fit, frame[height] - frame[other])[0, 1])

    assert beyond("srtm", "profile") > 0.6
    assert abs(beyond("profile", "srtm")) < 0.2
