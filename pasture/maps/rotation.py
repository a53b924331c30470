"""The rotation map: a season plan week by week, which herd grazes which plot."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from ..errors import NotFound
from ..i18n import Translator, translator
from ..model import parse_seasons
from .display import (
    feature_collection,
)
from .layers import PLOT_CLASS, display_plots, frame_bounds, names_by_id, new_map
from .page import Assets, FeatureLayer, Legend, esc, script_json
from .style import (
    BASEMAP_ATTRIBUTION,
    DEFAULT_BASEMAP,
    HERD_COLOURS,
    OUT_OF_SEASON_COLOUR,
    RESTING_COLOUR,
    fill_style,
)

__all__ = ["WeekSelector", "rotation_map"]


#: Week state codes in the rotation page's data (herd indices are >= 0).
RESTING, OUT_OF_SEASON = -1, -2


class WeekSelector(folium.MacroElement):
    """A ◀ / week list / ▶ control that restyles a plot layer per week of a rotation plan.

    Each plot feature carries ``w``, its state per period: a herd index
    (>= 0), ``-1`` resting or ``-2`` out of season, and optionally ``m``,
    ``{period index: [herd indices]}`` where several herds share a plot.
    ``window.pastureShowWeek(i)`` switches weeks from outside (tests, links).
    """

    _template = folium.template.Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var layer = {{ this.layer.get_name() }}, map = {{ this._parent.get_name() }};
    var weeks = {{ this.weeks_json }}, herds = {{ this.herds_json }}, text = {{ this.text_json }};
    var base = {{ this.base_json }}, current = {{ this.start }};
    function colour(s) {
        return s >= 0 ? herds[s].c : (s === {{ this.resting }} ? text.restingColour : text.outColour);
    }
    function style(f) {
        var s = Object.assign({}, base);
        s.fillColor = colour(f.properties.w[current]);
        return s;
    }
    function label(f) {
        var s = f.properties.w[current], state;
        if (s >= 0) {
            var many = (f.properties.m && f.properties.m[current]) || [s];
            state = text.grazing.replace("{herd}", many.map(function (h) { return herds[h].n; }).join(", "));
        } else {
            state = s === {{ this.resting }} ? text.resting : text.out;
        }
        return f.properties.t + "<br>" + state;
    }
    layer.eachLayer(function (l) {
        l.bindTooltip(function () { return label(l.feature); }, {sticky: true});
    });
    var select;
    function show(i) {
        current = Math.max(0, Math.min(weeks.length - 1, i));
        select.value = String(current);
        layer.setStyle(style);
    }
    var control = L.control({position: "topright"});
    control.onAdd = function () {
        var div = L.DomUtil.create("div", "pasture-weeks leaflet-bar");
        div.style.background = "#fff";
        div.style.padding = "4px";
        var prev = L.DomUtil.create("button", "pasture-week-prev", div);
        prev.textContent = "\\u25C0";
        prev.title = text.previous;
        select = L.DomUtil.create("select", "pasture-week-select", div);
        select.setAttribute("aria-label", text.week);
        weeks.forEach(function (w, i) {
            var o = document.createElement("option");
            o.value = String(i);
            o.textContent = w;
            select.appendChild(o);
        });
        var next = L.DomUtil.create("button", "pasture-week-next", div);
        next.textContent = "\\u25B6";
        next.title = text.next;
        L.DomEvent.on(prev, "click", function () { show(current - 1); });
        L.DomEvent.on(next, "click", function () { show(current + 1); });
        L.DomEvent.on(select, "change", function () { show(parseInt(select.value, 10)); });
        L.DomEvent.disableClickPropagation(div);
        return div;
    };
    control.addTo(map);
    show(current);
    window.pastureShowWeek = show;
})();
{% endmacro %}
"""
    )

    def __init__(
        self,
        layer: FeatureLayer,
        *,
        weeks: list[str],
        herds: list[dict[str, str]],
        text: dict[str, str],
        base_style: dict[str, Any],
        start: int = 0,
    ) -> None:
        super().__init__()
        self._name = "WeekSelector"
        self.layer = layer
        self.weeks_json = script_json(weeks)
        self.herds_json = script_json(herds)
        self.text_json = script_json(text)
        self.base_json = script_json(base_style)
        self.start = int(start)
        self.resting = RESTING


def _periods(assignments: pd.DataFrame, periods: pd.DataFrame | None) -> pd.DataFrame:
    if periods is None:
        cols = [c for c in ("period", "start", "end", "season") if c in assignments]
        periods = assignments[cols].drop_duplicates("period")
    return periods.sort_values("period").reset_index(drop=True)


def rotation_map(
    plots: gpd.GeoDataFrame,
    assignments: pd.DataFrame,
    periods: pd.DataFrame | None = None,
    *,
    season: str | None = None,
    herds: pd.DataFrame | None = None,
    week: int | None = None,
    lang: str = "kk",
    basemap: str | None = DEFAULT_BASEMAP,
    basemap_attribution: str = BASEMAP_ATTRIBUTION,
    assets: Assets | None = None,
    simplify: bool = True,
    tolerance: float | None = None,
    title: str | None = None,
) -> folium.Map:
    """A rotation plan week by week: which herd grazes which plot, which rest, which are out of season.

    Week switching happens in the page: all weeks' states travel with the
    plots (a few bytes per plot and week) and a small inline script restyles
    the layer (:class:`WeekSelector`). folium's ``TimestampedGeoJson`` was not
    used: it loads jQuery, jQuery UI and Leaflet.TimeDimension from CDNs and
    copies every geometry once per time step.

    Parameters
    ----------
    plots
        The plots to draw (all, or a union's); plots not in the plan rest or
        are out of season.
    assignments
        Rows of the ``assignments`` table of one plan (``plan_id``,
        ``herd_id``, ``period``, ``start``, ``end``, ``plot_id``); rows without
        a plot (herds that could not be placed) are not drawn.
    periods
        ``period``, ``start``, ``end`` and optionally ``season`` per period;
        default: taken from ``assignments``.
    season
        The plan's season, for periods without a ``season`` column. A plot is
        out of season in a period whose season is not in its ``seasons``; with
        neither, every ungrazed plot counts as resting.
    herds
        The ``herds`` layer or any frame with ``id`` and ``name``: herd labels.
    week
        Index of the period shown first; default the first.
    """
    t = translator(lang)
    table = _periods(assignments, periods)
    if table.empty:
        raise NotFound("the plan has no periods to show")
    bounds = frame_bounds(plots)
    m = new_map(
        bounds,
        lang=lang,
        title=title or t("Pasture rotation"),
        basemap=basemap,
        basemap_attribution=basemap_attribution,
        assets=assets or Assets.cdn(),
    )
    shown = display_plots(plots, bounds, simplify=simplify, tolerance=tolerance)
    herd_ids = sorted(str(h) for h in assignments["herd_id"].dropna().unique())
    herd_index = {h: i for i, h in enumerate(herd_ids)}
    herd_names = names_by_id(herds, "name")
    period_index = {int(p): i for i, p in enumerate(table["period"])}
    period_seasons = (
        [str(s) if s else season for s in table["season"]]
        if "season" in table
        else [season] * len(table)
    )
    grazing = _grazing_by_plot(assignments, herd_index, period_index)

    def props(r: Mapping[str, Any]) -> dict[str, Any]:
        return _plot_weeks(r, grazing.get(str(r["id"]), {}), period_seasons)

    base = fill_style(RESTING_COLOUR, opacity=0.8, class_name=PLOT_CLASS)
    layer = FeatureLayer(
        feature_collection(shown, props),
        name=t("Plots"),
        role="plots",
        styles={"": base},
    )
    layer.add_to(m)
    herd_list = [
        {"n": esc(herd_names.get(h, h)), "c": HERD_COLOURS[i % len(HERD_COLOURS)]}
        for i, h in enumerate(herd_ids)
    ]
    weeks = _week_labels(table, t)
    text = _week_texts(t)
    start = 0 if week is None else min(max(int(week), 0), len(weeks) - 1)
    WeekSelector(
        layer, weeks=weeks, herds=herd_list, text=text, base_style=base, start=start
    ).add_to(m)
    _legend(t, herd_list, herd_ids, herd_names).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def _grazing_by_plot(
    assignments: pd.DataFrame, herd_index: dict[str, int], period_index: dict[int, int]
) -> dict[str, dict[int, list[int]]]:
    """Per plot, per period index: the indices of the herds grazing it."""
    placed = assignments[assignments["plot_id"].notna() & (assignments["plot_id"] != "")]
    grazing: dict[str, dict[int, list[int]]] = {}
    for rec in placed.sort_values("herd_id").to_dict("records"):
        i = period_index.get(int(rec["period"]))
        if i is None:
            continue
        grazing.setdefault(str(rec["plot_id"]), {}).setdefault(i, []).append(
            herd_index[str(rec["herd_id"])]
        )
    return grazing


def _plot_weeks(
    r: Mapping[str, Any], here: dict[int, list[int]], period_seasons: list[str | None]
) -> dict[str, Any]:
    """A plot's feature properties: its label and its state in every period."""
    pid = str(r["id"])
    own = set(parse_seasons(r.get("seasons")))
    states = []
    for i, s in enumerate(period_seasons):
        if i in here:
            states.append(here[i][0])
        elif s is not None and s not in own:
            states.append(OUT_OF_SEASON)
        else:
            states.append(RESTING)
    out: dict[str, Any] = {"t": esc(f"{pid} {r.get('name') or ''}".strip()), "w": states}
    many = {str(i): h for i, h in here.items() if len(h) > 1}
    if many:
        out["m"] = many
    return out


def _week_labels(table: pd.DataFrame, t: Translator) -> list[str]:
    return [
        t("Week {n}: {start} – {end}").format(
            n=int(rec["period"]),
            start=t.date(rec.get("start"), format="d MMM"),
            end=t.date(rec.get("end"), format="d MMM"),
        )
        for rec in table.to_dict("records")
    ]


def _week_texts(t: Translator) -> dict[str, str]:
    """The week selector's texts and state colours."""
    return {
        "grazing": esc(t("grazing: {herd}")).replace("{herd}", "{herd}"),
        "resting": esc(t.pgettext("rotation", "resting")),
        "out": esc(t.pgettext("rotation", "out of season")),
        "previous": t("Previous week"),
        "next": t("Next week"),
        "week": t("Week"),
        "restingColour": RESTING_COLOUR,
        "outColour": OUT_OF_SEASON_COLOUR,
    }


def _legend(
    t: Translator, herd_list: list[dict[str, str]], herd_ids: list[str], herd_names: dict[str, str]
) -> Legend:
    entries = [
        (h["c"], herd_names.get(hid, hid), "fill")
        for h, hid in zip(herd_list, herd_ids, strict=True)
    ]
    entries += [
        (RESTING_COLOUR, t.pgettext("rotation", "resting"), "fill"),
        (OUT_OF_SEASON_COLOUR, t.pgettext("rotation", "out of season"), "fill"),
    ]
    return Legend([(t("Plot state"), entries)], title=t("Legend"))
