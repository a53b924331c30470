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
from .display import feature_collection
from .herds import herd_styles, herds_legend
from .layers import PLOT_CLASS, by_season, display_plots, frame_bounds, load_share, new_map
from .page import Assets, FeatureLayer, Legend, RemoteFeatureLayer
from .plot_layer import PlotLayer
from .style import (
    BASEMAP_ATTRIBUTION,
    DEFAULT_BASEMAP,
    NOT_USED_COLOUR,
    OUT_OF_SEASON_COLOUR,
    RESTING_COLOUR,
    fill_style,
)
from .week_selector import LABEL_LIMIT, LABEL_ZOOM, NOT_USED, OUT_OF_SEASON, RESTING, WeekSelector

__all__ = [
    "HERD_CODES",
    "WeekSelector",
    "compact_weeks",
    "plot_properties",
    "rotation_map",
    "rotation_plot_layer",
    "week_states",
]


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
    unions: pd.DataFrame | None = None,
    load: pd.DataFrame | None = None,
    week: int | None = None,
    lang: str = "kk",
    basemap: str | None = DEFAULT_BASEMAP,
    basemap_attribution: str = BASEMAP_ATTRIBUTION,
    assets: Assets | None = None,
    simplify: bool = True,
    tolerance: float | None = None,
    title: str | None = None,
    plots_url: str | None = None,
) -> folium.Map:
    """A rotation plan week by week: which herd grazes which plot, which rest, which are out of season.

    Week switching happens in the page: all weeks' states travel with the
    plots (a byte per plot and week when fetched, :func:`compact_weeks`) and a small inline script restyles
    the layer (:class:`~pasture.maps.week_selector.WeekSelector`: a week slider
    with dates, a herd search, the week's moves as lines, herd labels from
    zoom :data:`~pasture.maps.week_selector.LABEL_ZOOM`, and on a click the
    plot's schedule over the season with its load). folium's
    ``TimestampedGeoJson`` was not used: it loads jQuery, jQuery UI and
    Leaflet.TimeDimension from CDNs and copies every geometry once per time step.

    Parameters
    ----------
    plots
        The plots to draw (all, or a union's); plots not in the plan rest, are
        out of season or are not used.
    assignments
        Rows of the ``assignments`` table of one plan (``plan_id``,
        ``herd_id``, ``union_id``, ``period``, ``start``, ``end``, ``plot_id``);
        rows without a plot (herds that could not be placed) are not drawn.
    periods
        ``period``, ``start``, ``end`` and ``season`` per period (see
        :func:`pasture.planning.periods.plan_periods`); default: taken from
        ``assignments``.
    season
        The plan's season, for periods without a ``season`` column. A plot is
        out of season in a period whose season is not in its ``seasons``; a plot
        in season that no herd grazes in any week is 'not used'; one grazed in
        other weeks is resting.
    herds, unions
        The ``herds`` and ``unions`` layers (or frames with ``id``, ``name``
        and for herds ``union_id``): herd labels are unique, ``union: herd``
        (:func:`~pasture.maps.herds.herd_labels`), and a union's herds are
        shades of the union's hue (:func:`~pasture.maps.style.herd_colours`).
    load
        Rows of the ``load`` table: each plot's load against capacity and
        the norm, shown when it is clicked.
    week
        Index of the period shown first; default the first.
    plots_url
        Where the page fetches the plots with their weeks (``/layers/plots?plan=…``, a
        :func:`rotation_plot_layer`): the page then carries no plot geometry, asks for
        the plots in view (as the overview does) and opens framed on the start week's
        grazed plots. None: the plots are written into the page.
    """
    t = translator(lang)
    table = _periods(assignments, periods)
    if table.empty:
        raise NotFound("the plan has no periods to show")
    start = 0 if week is None else min(max(int(week), 0), len(table) - 1)
    bounds = frame_bounds(plots)
    extent = None
    if plots_url:
        # fetched by view: the page opens on the week's grazed plots (what the week
        # selector frames), so its first request is the one it draws
        extent = _plan_extent(plots, assignments, None)
        bounds = _plan_extent(plots, assignments, int(table["period"].iloc[start])) or bounds
    m = new_map(
        bounds,
        lang=lang,
        title=title or t("Pasture rotation"),
        basemap=basemap,
        basemap_attribution=basemap_attribution,
        assets=assets or Assets.cdn(),
    )
    styles = herd_styles(assignments, herds, unions, t)
    herd_ids, herd_union, labels, colours = (
        styles.ids,
        styles.unions,
        styles.labels,
        styles.colours,
    )
    base = fill_style(RESTING_COLOUR, opacity=0.8, class_name=PLOT_CLASS)
    layer: FeatureLayer | RemoteFeatureLayer
    if plots_url:
        # asked by view (the plots in it, simplified for the zoom) with every week's state:
        # the week slider restyles them without a request
        layer = RemoteFeatureLayer(
            plots_url,
            name=t("Plots"),
            role="plots",
            styles={"": base},
            # thousands of plots restyled at every week: one canvas, not as many SVG nodes
            tooltips=False,
        )
    else:
        shown = display_plots(plots, bounds, simplify=simplify, tolerance=tolerance)
        props = plot_properties(plots, assignments, table, herd_ids, season=season, load=load, t=t)
        layer = FeatureLayer(
            feature_collection(shown, lambda r: props[str(r["id"])]),
            name=t("Plots"),
            role="plots",
            styles={"": base},
        )
    layer.add_to(m)
    herd_list = [_herd_item(labels[h], colours[h], styles.names[h]) for h in herd_ids]
    data = {
        "weeks": _week_labels(table, t),
        "starts": [t.date(d, format="d MMM") for d in table["start"]],
        "ends": [t.date(d, format="d MMM") for d in table["end"]],
        "herds": herd_list,
        "text": _week_texts(t),
        "colours": {
            "resting": RESTING_COLOUR,
            "out": OUT_OF_SEASON_COLOUR,
            "unused": NOT_USED_COLOUR,
        },
        "base": base,
        "start": start,
        "labelZoom": LABEL_ZOOM,
        "labelLimit": LABEL_LIMIT,
        "codes": {"idle": _IDLE_CODES, "herds": HERD_CODES},
        # fetched by view: the map opens framed; a herd search beyond the plots fetched
        # widens the view to the plan's plots (west, south, east, north)
        "framed": bool(plots_url),
        "extent": list(extent) if extent else None,
    }
    WeekSelector(layer, data).add_to(m)
    _legend(t, herd_ids, herd_union, labels, colours, unions).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def _herd_item(label: str, colour: str, short: str) -> dict[str, str]:
    """A herd in the page's data: its label, colour and, where shorter, its name within its
    union for the map's labels (a village flock's name is already its own)."""
    item = {"n": label, "c": colour}
    if short != label:
        item["s"] = short
    return item


def plot_properties(
    plots: gpd.GeoDataFrame,
    assignments: pd.DataFrame,
    periods: pd.DataFrame,
    herd_ids: list[str],
    *,
    season: str | None,
    load: pd.DataFrame | None,
    t: Translator,
) -> dict[str, dict[str, Any]]:
    """Each plot's properties on the rotation map, by plot id (see :class:`WeekSelector`):
    written into the page, or served by ``/layers/plots?plan=…`` (:func:`rotation_plot_layer`)."""
    herd_index = {h: i for i, h in enumerate(herd_ids)}
    period_index = {int(p): i for i, p in enumerate(periods["period"])}
    period_seasons = (
        [str(s) if s else season for s in periods["season"]]
        if "season" in periods
        else [season] * len(periods)
    )
    grazing = _grazing_by_plot(assignments, herd_index, period_index)
    centres = _centres(plots, set(grazing))
    load_text = _load_text(load, t)
    out = {}
    for r in plots.drop(columns="geometry").to_dict("records"):
        pid = str(r["id"])
        props = _plot_weeks(r, grazing.get(pid, {}), period_seasons)
        if pid in centres:
            props["c"] = centres[pid]
        if pid in load_text:
            props["l"] = load_text[pid]
        out[pid] = props
    return out


def rotation_plot_layer(
    plots: gpd.GeoDataFrame,
    assignments: pd.DataFrame,
    periods: pd.DataFrame | None = None,
    *,
    season: str | None = None,
    herds: pd.DataFrame | None = None,
    unions: pd.DataFrame | None = None,
    load: pd.DataFrame | None = None,
    lang: str = "kk",
) -> PlotLayer:
    """The rotation map's plots as a :class:`PlotLayer` (every week's state with each
    plot), for a page that fetches them: the same arguments as :func:`rotation_map`."""
    t = translator(lang)
    table = _periods(assignments, periods)
    herd_ids = herd_styles(assignments, herds, unions, t).ids
    props = plot_properties(plots, assignments, table, herd_ids, season=season, load=load, t=t)
    return PlotLayer(plots, [compact_weeks(props[str(i)]) for i in plots["id"]])


#: Characters of a plot's week states in a fetched layer (see :func:`compact_weeks`):
#: resting, out of season and not used, in the order of their codes -1, -2, -3.
_IDLE_CODES = ".:_"
#: The characters naming the 1st, 2nd, … herd that grazes a plot (its ``h`` list).
HERD_CODES = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_IDLE = dict(zip((RESTING, OUT_OF_SEASON, NOT_USED), _IDLE_CODES, strict=True))


def compact_weeks(props: dict[str, Any]) -> dict[str, Any]:
    """A plot's rotation properties with its week states ``w`` as one character a week.

    A week a herd grazes the plot is the herd's letter (``h``: the herds in order of
    their letters); resting, out of season and not used are ``.``, ``:`` and ``_``. Some
    30 bytes a plot for a season's weeks in place of a list of numbers (a plot no herd
    grazes is runs of ``:`` and ``_``, which compress to nearly nothing). A plot
    grazed by more herds than there are letters keeps its list.
    """
    states = props["w"]
    herds = list(dict.fromkeys(s for s in states if s >= 0))
    if len(herds) > len(HERD_CODES):
        return props
    letter = {h: HERD_CODES[k] for k, h in enumerate(herds)}
    out = dict(props, w="".join(letter[s] if s >= 0 else _IDLE[s] for s in states))
    if herds:
        out["h"] = herds
    return out


def week_states(props: dict[str, Any]) -> list[int]:
    """A plot's state in every week from its (compacted or not) properties: a herd's
    index, or :data:`RESTING`, :data:`OUT_OF_SEASON` or :data:`NOT_USED`."""
    w = props["w"]
    if not isinstance(w, str):
        return list(w)
    herds = props.get("h", [])
    codes = {c: state for state, c in _IDLE.items()}
    return [codes[c] if c in codes else herds[HERD_CODES.index(c)] for c in w]


def _plan_extent(
    plots: gpd.GeoDataFrame, assignments: pd.DataFrame, period: int | None
) -> tuple[float, float, float, float] | None:
    """The box of the plots grazed in ``period`` (every period: None), at least ~0.1°
    across (a single small plot is not framed at a street's zoom); None when none is."""
    rows = assignments if period is None else assignments[assignments["period"] == period]
    ids = set(rows["plot_id"].dropna().astype(str))
    chosen = plots[plots["id"].astype(str).isin(ids)]
    if chosen.empty:
        return None
    w, s, e, n = frame_bounds(chosen)
    pad_x, pad_y = max(0.0, 0.1 - (e - w)) / 2, max(0.0, 0.1 - (n - s)) / 2
    return (w - pad_x, s - pad_y, e + pad_x, n + pad_y)


def _centres(plots: gpd.GeoDataFrame, ids: set[str]) -> dict[str, list[float]]:
    """``[lat, lon]`` of a point inside each plot in ``ids`` (5 decimals, ~1 m)."""
    chosen = plots[plots["id"].astype(str).isin(ids)]
    if chosen.empty:
        return {}
    points = chosen.to_crs(4326).geometry.representative_point()
    return {
        str(pid): [round(p.y, 5), round(p.x, 5)]
        for pid, p in zip(chosen["id"], points, strict=True)
    }


def _load_text(load: pd.DataFrame | None, t: Translator) -> dict[str, str]:
    """Each plot's load of its latest year: share of capacity and status, and the norm's status."""
    if load is None or load.empty:
        return {}
    rows = load[load["level"] == "plot"] if "level" in load else load
    if "year" in rows and len(rows):
        rows = rows[rows["year"] == rows["year"].max()]

    def text(r: Mapping[str, Any]) -> str:
        out = t("{share} of capacity ({status})").format(
            share=load_share(r, t),
            status=t.pgettext("load", str(r.get("status") or "unknown")),
        )
        norm = r.get("norm_status")
        if isinstance(norm, str) and norm:
            out += "; " + t("norm: {status}").format(status=t.pgettext("load", norm))
        return out

    # by_season escapes: the page's script escapes again, so unescape the entities here
    import html

    return {k: html.unescape(v) for k, v in by_season(rows, "group_id", text, t).items()}


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
    """A plot's feature properties: its label and its state in every period.

    The texts are plain: the page's script escapes what it puts into HTML.
    """
    pid = str(r["id"])
    own = set(parse_seasons(r.get("seasons")))
    idle = RESTING if here else NOT_USED
    states = []
    for i, s in enumerate(period_seasons):
        if i in here:
            states.append(here[i][0])
        elif s is not None and s not in own:
            states.append(OUT_OF_SEASON)
        else:
            states.append(idle)
    out: dict[str, Any] = {"t": f"{pid} {r.get('name') or ''}".strip(), "w": states}
    many = {str(i): h for i, h in here.items() if len(h) > 1}
    if many:
        out["m"] = many
    return out


def _week_labels(table: pd.DataFrame, t: Translator) -> list[str]:
    """'Week 1: 16 Apr – 22 Apr', numbered from 1 as people count weeks."""
    return [
        t("Week {n}: {start} – {end}").format(
            n=i + 1,
            start=t.date(rec.get("start"), format="d MMM"),
            end=t.date(rec.get("end"), format="d MMM"),
        )
        for i, rec in enumerate(table.to_dict("records"))
    ]


def _week_texts(t: Translator) -> dict[str, str]:
    """The week selector's texts (plain: the script escapes them)."""
    return {
        "grazing": t("grazing: {herd}"),
        "resting": t.pgettext("rotation", "resting"),
        "out": t.pgettext("rotation", "out of season"),
        "unused": t.pgettext("rotation", "not used"),
        "previous": t("Previous week"),
        "next": t("Next week"),
        "week": t("Week"),
        "search": t("Find a herd"),
    }


def _legend(
    t: Translator,
    herd_ids: list[str],
    herd_union: dict[str, str],
    labels: dict[str, str],
    colours: dict[str, str],
    unions: pd.DataFrame | None,
) -> Legend:
    """Plot states, then the herds grouped by union (each union folds open)."""
    states = [
        (NOT_USED_COLOUR, t.pgettext("rotation", "not used"), "fill"),
        (RESTING_COLOUR, t.pgettext("rotation", "resting"), "fill"),
        (OUT_OF_SEASON_COLOUR, t.pgettext("rotation", "out of season"), "fill"),
    ]
    herds_html = herds_legend(herd_ids, herd_union, labels, colours, unions)
    return Legend([(t("Plot state"), states), (t("Herds by union"), herds_html)], title=t("Legend"))
