"""Map builders: layers, feature counts, legend, layer control, popups, language, union scope."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
import pytest

from pasture.errors import NotFound
from pasture.maps import LEAFLET_VERSION, Assets, overview_map, rotation_map, union_map

from .helpers import layers


def _overview(demo_layers: dict[str, gpd.GeoDataFrame], **kwargs: object) -> str:
    m = overview_map(
        demo_layers["plots"],
        okrugs=demo_layers["okrugs"],
        unions=demo_layers["unions"],
        water=demo_layers["water_points"],
        routes=demo_layers["routes"],
        basemap=None,
        **kwargs,  # type: ignore[arg-type]
    )
    return str(m.get_root().render())


def test_overview_holds_every_layer_legend_control_and_popups(demo_layers, results) -> None:
    html = _overview(demo_layers, lang="en", **results)
    found = layers(html)
    assert len(found["plots"]["features"]) == len(demo_layers["plots"])
    assert len(found["okrugs"]["features"]) == len(demo_layers["okrugs"])
    assert len(found["unions"]["features"]) == len(demo_layers["unions"])
    assert len(found["water"]["features"]) == len(demo_layers["water_points"])
    assert len(found["routes"]["features"]) == len(demo_layers["routes"])
    degrading = (results["trends"]["status"] == "degrading").sum()
    assert len(found["degrading"]["features"]) == degrading
    assert "L.control.layers(" in html
    assert "pasture-legend" in html and "Season of use" in html
    assert "bindPopup" in html
    first = found["plots"]["features"][0]
    pid = first["id"]
    plot = demo_layers["plots"].set_index("id").loc[pid]
    assert first["properties"]["p"][0].startswith(pid)
    # facts: area, seasons, union, capacity, load, trend
    for label in ("Area", "Seasons", "Union", "Capacity", "Load", "Trend"):
        assert label in html
    popup = first["properties"]["p"]
    assert popup[1].endswith(" ha")
    assert popup[2] == plot["seasons"].replace(",", ", ")
    # forage and capacity as central (low–high) of the forage basis's band, then the load
    assert "summer:" in popup[7] and "t DM" in popup[7] and "–" in popup[7]
    assert "summer:" in popup[8] and "forage-equivalent sheep" in popup[8] and "–" in popup[8]
    assert "%" in popup[9]
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html


def test_overview_shades_by_load_and_colours_each_status(demo_layers, results) -> None:
    html = _overview(demo_layers, lang="en", shade_by="load", **results)
    keys = {f["properties"]["k"] for f in layers(html)["plots"]["features"]}
    assert keys == {"overloaded", "within capacity", "underused"}
    assert "Load against capacity" in html


@pytest.mark.parametrize(
    ("lang", "withheld"),
    [("en", "withheld (privacy)"), ("ru", "скрыто (конфиденциальность)"), ("kk", "жасырылған")],
)
def test_a_withheld_load_is_said_so_in_popup_and_legend(
    demo_layers, results, lang, withheld
) -> None:
    """A load row the disclosure rules suppressed (`pasture_api.science.protected_load`):
    its popup says so instead of a share, the legend explains it; the others keep theirs."""
    load = results["load"]
    plot_rows = load[load["level"] == "plot"]
    hidden = str(plot_rows["group_id"].iloc[0])
    protected = load.assign(suppressed=(load["level"] == "plot") & (load["group_id"] == hidden))
    protected.loc[protected["suppressed"], "stocking_ratio_central"] = float("nan")
    html = _overview(demo_layers, lang=lang, **{**results, "load": protected})
    popups = {f["id"]: f["properties"]["p"] for f in layers(html)["plots"]["features"]}
    assert withheld in popups[hidden][9] and "%" not in popups[hidden][9]
    shown = next(p for p in popups if p != hidden and "%" in (popups[p][9] or ""))
    assert withheld not in popups[shown][9]
    assert html.count(withheld) >= 2  # the popup and the legend's note
    plain = _overview(demo_layers, lang=lang, **results)
    assert withheld not in plain  # nothing withheld: no note


def test_overview_ndvi_layer_and_legend(demo_layers) -> None:
    html = _overview(demo_layers, lang="en", ndvi_tiles="/tiles/ndvi/2025-06-10/{z}/{x}/{y}.png")
    assert "/tiles/ndvi/2025-06-10/{z}/{x}/{y}.png" in html
    assert "pasture-ndvi-ramp" in html and "NDVI (vegetation index)" in html


@pytest.mark.parametrize(
    ("lang", "plots", "summer"), [("kk", "Учаскелер", "жаз"), ("ru", "Участки", "лето")]
)
def test_language_switch_changes_labels_and_lang(demo_layers, results, lang, plots, summer) -> None:
    html = _overview(demo_layers, lang=lang, **results)
    assert f'<html lang="{lang}">' in html
    # the layer switcher (folium writes \u escapes) and the legend (UTF-8)
    assert json.dumps(plots) in html
    assert summer in html
    assert "Season of use" not in html and '"Plots"' not in html
    popup = layers(html)["plots"]["features"][0]["properties"]["p"]
    assert popup[1].endswith(" га")


def test_user_text_is_escaped(demo_layers) -> None:
    plots = demo_layers["plots"].head(20).copy()
    plots.loc[plots.index[0], "name"] = '<img src=x onerror="alert(1)">'
    html = str(overview_map(plots, basemap=None, lang="en").get_root().render())
    assert "<img src=x" not in html
    assert "&lt;img src=x" in layers(html)["plots"]["features"][0]["properties"]["t"]


def test_union_map_holds_only_that_unions_plots(demo_layers) -> None:
    plots = demo_layers["plots"]
    m = union_map(
        plots,
        "upu-asy",
        unions=demo_layers["unions"],
        water=demo_layers["water_points"],
        routes=demo_layers["routes"],
        basemap=None,
        lang="ru",
    )
    html = str(m.get_root().render())
    ids = {f["id"] for f in layers(html)["plots"]["features"]}
    assert ids == set(plots.loc[plots["union_id"] == "upu-asy", "id"])
    assert len(layers(html)["unions"]["features"]) == 1
    assert "участков" in html or "участка" in html or "участок" in html


def test_union_map_of_unknown_union_is_not_found(demo_layers) -> None:
    with pytest.raises(NotFound):
        union_map(demo_layers["plots"], "upu-nowhere", unions=demo_layers["unions"], basemap=None)


def test_rotation_map_states_per_week(demo_layers, plan) -> None:
    assignments, periods = plan
    plots = demo_layers["plots"]
    own = plots[plots["union_id"] == "upu-asy"]
    m = rotation_map(own, assignments, periods, lang="en", basemap=None)
    html = str(m.get_root().render())
    features = {f["id"]: f["properties"]["w"] for f in layers(html)["plots"]["features"]}
    assert len(features) == len(own)
    assert all(len(w) == len(periods) for w in features.values())
    first = assignments[assignments["period"] == 1].sort_values("herd_id")
    for herd_index, plot_id in enumerate(first["plot_id"]):
        assert features[plot_id][0] == herd_index
    # a winter-only plot is out of season in summer; a summer plot no herd grazes in any
    # week is 'not used' (-3); one grazed in other weeks rests (-1) when idle
    seasons = own.set_index("id")["seasons"]
    grazed = set(assignments["plot_id"].dropna())
    for pid, w in features.items():
        if "summer" not in seasons[pid]:
            assert set(w) == {-2}
        elif pid not in grazed:
            assert set(w) == {-3}
        else:
            assert -3 not in w and -2 not in w
    assert "Week 1: 2 Jun – 8 Jun" in html
    assert "pastureShowWeek" in html and "pasture-week-select" in html


def test_rotation_map_without_periods_takes_them_from_assignments(demo_layers, plan) -> None:
    assignments, _ = plan
    m = rotation_map(
        demo_layers["plots"].head(50), assignments, season="summer", basemap=None, lang="kk"
    )
    html = str(m.get_root().render())
    assert "1-апта" in html and "тынығуда" in html


def test_inline_assets_need_no_network(demo_layers) -> None:
    m = overview_map(demo_layers["plots"].head(10), basemap=None, assets=Assets.inline())
    html = str(m.get_root().render())
    # no external script, stylesheet or image: the page renders from file:// offline
    assert not re.search(r"<(script|link|img)\b[^>]*\b(src|href)=", html)
    assert "cdn.jsdelivr" not in html
    assert f'"{LEAFLET_VERSION}"' in html  # Leaflet itself is in the page


def test_served_assets_link_to_the_base_url(demo_layers) -> None:
    m = overview_map(
        demo_layers["plots"].head(10), basemap=None, assets=Assets.served("/static/leaflet")
    )
    html = str(m.get_root().render())
    assert 'src="/static/leaflet/leaflet.js"' in html
    assert 'href="/static/leaflet/leaflet.css"' in html
    assert "jquery" not in html.lower()


def test_empty_input_is_not_found() -> None:
    empty = gpd.GeoDataFrame({"id": pd.Series([], dtype=object)}, geometry=[], crs=4326)
    with pytest.raises(NotFound):
        overview_map(empty, basemap=None)
