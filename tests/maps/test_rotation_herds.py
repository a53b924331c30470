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


def test_a_fetched_layer_carries_one_character_a_week_that_reads_back(demo_layers) -> None:
    import json
    import re

    from pasture.maps.rotation import (
        HERD_CODES,
        compact_weeks,
        plot_properties,
        rotation_plot_layer,
        week_states,
    )

    plots = demo_layers["plots"].head(40)
    ids = list(plots["id"])
    starts = pd.date_range("2025-07-07", periods=4, freq="7D")
    periods = pd.DataFrame(
        {"period": [0, 1, 2, 3], "start": starts, "end": starts + pd.Timedelta(days=6)}
    )
    # herd h2 grazes plot 0 in weeks 0 and 3, herd h1 in week 1 (week 2 it rests); h1
    # and h3 graze plot 1 together in week 2
    rows = [("h2", 0, ids[0]), ("h1", 1, ids[0]), ("h2", 3, ids[0])]
    rows += [("h1", 2, ids[1]), ("h3", 2, ids[1]), ("h3", 0, ids[5])]
    assignments = pd.DataFrame(
        {
            "herd_id": [h for h, _, _ in rows],
            "union_id": "u1",
            "period": [p for _, p, _ in rows],
            "plot_id": [p for _, _, p in rows],
        }
    )
    t = translator("en")
    herd_ids = ["h1", "h2", "h3"]
    full = plot_properties(plots, assignments, periods, herd_ids, season=None, load=None, t=t)
    assert full[ids[0]]["w"] == [1, 0, -1, 1]
    compact = compact_weeks(full[ids[0]])
    assert compact["w"] == "ab.a" and compact["h"] == [1, 0]
    layer = rotation_plot_layer(plots, assignments, periods, lang="en")
    answer = json.loads(layer.features(tuple(plots.total_bounds), 12, limit=100).text)
    for f in answer["features"]:
        p = f["properties"]
        assert isinstance(p["w"], str) and len(p["w"]) == 4
        assert week_states(p) == full[f["id"]]["w"]
    shared = next(f["properties"] for f in answer["features"] if f["id"] == ids[1])
    assert shared["m"] == {"2": [0, 2]}  # both herds of the shared week, as before
    # more herds on one plot than letters: the plot keeps its list of numbers
    many = {"t": "x", "w": list(range(len(HERD_CODES) + 1))}
    assert compact_weeks(many) is many and week_states(many) == many["w"]
    # the page asks by view and opens on the start week's grazed plots (0 and 5)
    m = rotation_map(
        plots,
        assignments,
        periods,
        lang="en",
        basemap=None,
        plots_url="/layers/plots?plan=p",
    )
    html = m.get_root().render()
    assert "var extent = null;" in html
    data = json.loads(re.search(r'\}\)\(\w+, \w+, (\{"weeks".*?\})\);\n', html, re.S).group(1))
    assert data["framed"] is True and data["codes"]["herds"] == HERD_CODES
    first = plots[plots["id"].isin([ids[0], ids[5]])].total_bounds
    fit = json.loads(re.search(r"fitBounds\(\s*(\[\[.*?\]\])", html, re.S).group(1))
    (south, west), (north, east) = fit
    assert west <= first[0] and south <= first[1] and east >= first[2] and north >= first[3]
    every = plots[plots["id"].isin([ids[0], ids[1], ids[5]])].total_bounds
    assert data["extent"][0] <= every[0] and data["extent"][2] >= every[2]
