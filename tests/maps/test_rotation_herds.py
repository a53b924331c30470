"""Herds on the rotation map: colours by union, unique labels, the four plot states, the legend."""

from __future__ import annotations

import colorsys

import geopandas as gpd
import pandas as pd

from pasture.i18n import translator
from pasture.maps import rotation_map
from pasture.maps.herds import herd_labels
from pasture.maps.style import herd_colours, union_hues

from .helpers import layers


def _hls(colour: str) -> tuple[float, float, float]:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return colorsys.rgb_to_hls(r, g, b)


def test_herds_of_a_union_share_its_hue_and_never_a_colour() -> None:
    # 13 unions of 1-20 herds: more herds than any fixed palette
    herds = [(f"u{u:02d}-h{h:02d}", f"u{u:02d}") for u in range(13) for h in range(1 + u + u // 2)]
    colours = herd_colours(herds)
    assert len(colours) == len(herds)
    hues = union_hues([u for _, u in herds])
    assert len(set(hues.values())) == len(hues)  # no two unions share a hue
    for union in hues:
        mine = [colours[h] for h, u in herds if u == union]
        assert len(set(mine)) == len(mine)  # no two herds of a union share a colour
        for c in mine:  # each is a shade of the union's hue (rounding to 8 bits aside)
            hue = _hls(c)[0] * 360
            assert min(abs(hue - hues[union]), 360 - abs(hue - hues[union])) < 2.0


def test_herd_labels_name_the_union_and_are_unique() -> None:
    herds = pd.DataFrame(
        {
            "id": ["a1", "a2", "b1", "b2", "b3"],
            "name": ["Flock 1", "Flock 2", "Flock 1", None, "Flock 1"],
            "union_id": ["ua", "ua", "ub", "ub", "ub"],
            "sheep": [10, 10, 10, 0, 10],
            "goats": [0, 0, 0, 0, 0],
            "cattle": [0, 0, 0, 0, 0],
            "horses": [0, 0, 0, 12, 0],
            "camels": [0, 0, 0, 0, 0],
        }
    )
    unions = pd.DataFrame({"id": ["ua", "ub"], "name": ["Akshi", "Asy"]})
    ids = list(herds["id"])
    labels = herd_labels(
        herds,
        unions,
        translator("en"),
        ids=ids,
        herd_unions=dict(zip(ids, herds["union_id"], strict=True)),
    )
    assert labels["a1"] == "Akshi: Flock 1" and labels["b2"] == "Asy: Horses b2"
    assert len(set(labels.values())) == len(ids)
    assert labels["b1"] == "Asy: Flock 1 (b1)"  # a name twice in one union gets its id


def test_winter_plots_are_out_of_season_in_july_and_idle_plots_not_used(demo_layers) -> None:
    plots = demo_layers["plots"]
    winter = plots[
        plots["seasons"].str.contains("winter") & ~plots["seasons"].str.contains("summer")
    ]
    summer = plots[plots["seasons"].str.contains("summer")]
    chosen = gpd.GeoDataFrame(pd.concat([winter.head(5), summer.head(5)]), crs=plots.crs)
    starts = pd.date_range("2025-07-07", periods=3, freq="7D")
    periods = pd.DataFrame(
        {
            "period": [0, 1, 2],
            "start": starts,
            "end": starts + pd.Timedelta(days=6),
            "season": "summer",
        }
    )
    grazed = summer["id"].iloc[0]
    assignments = pd.DataFrame(
        {
            "herd_id": ["h1", "h1", "h1"],
            "union_id": ["u1", "u1", "u1"],
            "period": [0, 1, 2],
            "start": starts,
            "end": starts + pd.Timedelta(days=6),
            "plot_id": [grazed, None, grazed],
        }
    )
    m = rotation_map(chosen, assignments, periods, lang="en", basemap=None)
    html = m.get_root().render()
    weeks = {f["id"]: f["properties"]["w"] for f in layers(html)["plots"]["features"]}
    for pid in winter.head(5)["id"]:
        assert weeks[pid] == [-2, -2, -2]  # out of season
    assert weeks[grazed] == [0, -1, 0]  # grazed, resting, grazed
    for pid in summer.head(5)["id"].iloc[1:]:
        assert weeks[pid] == [-3, -3, -3]  # in season, never grazed: not used
    assert "Week 1: 7 Jul – 13 Jul" in html and "pasture-week-range" in html
