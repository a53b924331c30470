"""The page routes: the start page, the district overview, a plan's map and chart, a union's page."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import quote, urlencode, urlsplit

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pasture.disclosure import DisclosureRules, protected_totals
from pasture.errors import NotFound
from pasture.i18n import Translator
from pasture.model import SEASONS, SPECIES
from pasture.model import layer as layer_named
from pasture.store import Store

from ..layers import map_cache, plot_load, scoped_plots
from ..science import load_privacy
from ..scope import (
    disclosure_rules,
    sees_all_unions,
    sees_households,
    union_scope,
    visible_plots,
)
from ..tiles import scene_for_day
from .data import (
    chosen_plan,
    data_attribution,
    day,
    merge_calendar,
    scoped_assignments,
    union_row,
)
from .layout import MapParts, PageContext, render_page
from .plan_summary import local_herd_names, local_layer, union_title
from .session import Ctx

if TYPE_CHECKING:
    import folium

__all__ = ["STATIC_LEAFLET", "router"]

#: Where the app serves Leaflet from (:func:`pasture.maps.leaflet_asset_dir`).
STATIC_LEAFLET = "/static/leaflet/"

ShadeBy = Literal["season", "load", "trend"]
Season = Literal["winter", "spring", "summer", "autumn"]
assert set(SEASONS) == {"winter", "spring", "summer", "autumn"}

router = APIRouter(include_in_schema=False)


@router.get("/me")
def me(ctx: Ctx) -> RedirectResponse:
    """A union's own page; the district overview for akimat and analysts."""
    if ctx.user.union_id:
        return RedirectResponse(ctx.url(f"/unions/{quote(ctx.user.union_id)}"), 303)
    return RedirectResponse(ctx.url("/maps/overview"), 303)


@router.get("/maps/overview", response_class=HTMLResponse)
def overview(
    ctx: Ctx,
    shade: Annotated[ShadeBy, Query(description="plot fill")] = "season",
    ndvi: Annotated[
        date | None, Query(description="NDVI date (nearest scene on or before)")
    ] = None,
    season: Annotated[Season | None, Query()] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> HTMLResponse:
    """The district: okrugs, unions, plots (by season, load or trend), water, routes, NDVI.

    The plots are fetched by the page from ``/layers/plots`` for its view; the
    rest of the map is built once per store version and kept (:mod:`pasture_api.layers`).
    """
    store, t = ctx.store, ctx.t
    scene_day = _scene_on_or_before(store, ndvi) if ndvi is not None else None
    version = store.version()
    privacy = load_privacy(ctx.user, ctx.request.app.state.settings)
    key = (
        "overview",
        version,
        union_scope(ctx.user),
        privacy,
        ctx.lang,
        shade,
        season,
        year,
        scene_day,
    )
    parts, scene_days, unions = map_cache(ctx.request).get(
        key, lambda: _overview_parts(ctx, shade, season, year, scene_day)
    )
    return render_page(
        ctx,
        "overview.html",
        title=t("Pasture overview"),
        map=parts,
        shade=shade,
        seasons=SEASONS,
        season=season,
        scene_days=scene_days,
        scene_day=scene_day,
        union_links=_union_links(ctx, unions) if sees_all_unions(ctx.user) else None,
    )


def _overview_parts(
    ctx: PageContext,
    shade: ShadeBy,
    season: Season | None,
    year: int | None,
    scene_day: date | None,
) -> tuple[MapParts, list[date], Any]:
    """The overview's map without plot geometry, its NDVI days and the unions' names."""
    from pasture.maps import overview_map

    store, t = ctx.store, ctx.t
    layers = {
        n: local_layer(store, n, ctx.t) for n in ("okrugs", "unions", "water_points", "routes")
    }
    tiles = f"/tiles/ndvi/{scene_day.isoformat()}/{{z}}/{{x}}/{{y}}.png" if scene_day else None
    m = overview_map(
        scoped_plots(store, ctx.user),
        okrugs=layers["okrugs"],
        unions=layers["unions"],
        water=layers["water_points"],
        routes=layers["routes"],
        capacity=_or_none(store.read_rows("capacity")),
        load=plot_load(ctx.request, store, load_privacy(ctx.user, ctx.request.app.state.settings)),
        trends=_or_none(store.read_rows("trends")),
        shade_by=shade,
        year=year,
        season=season,
        ndvi_tiles=tiles,
        ndvi_attribution=_ndvi_credit(store, t, scene_day),
        lang=ctx.lang,
        title=t("Pasture overview"),
        plots_url=ctx.url("/layers/plots", shade=shade, season=season, year=year),
        **_map_options(ctx.request),
    )
    _credit(m, ctx)
    if tiles:
        _show_overlay(m, t("NDVI (vegetation index)"))
    unions = layers["unions"].drop(columns="geometry")
    return MapParts.of(m), _scene_days(store), unions


@router.get("/plans/{plan_id}/map", response_class=HTMLResponse)
def plan_map(
    ctx: Ctx,
    plan_id: str,
    week: Annotated[int | None, Query(ge=0, description="index of the week shown first")] = None,
) -> HTMLResponse:
    """A rotation plan week by week (a union sees only its own herds and plots); the page
    fetches the plots with their weeks from ``/layers/plots?plan=…``. The map is built
    once per store version, caller's scope, language and week (:mod:`pasture_api.layers`)."""
    chosen_plan(ctx.store, plan_id)  # 404 for an unknown plan, before anything is cached
    title = f"{ctx.t('Pasture rotation')}: {plan_id}"
    key = (
        "rotation-page",
        ctx.store.version(),
        union_scope(ctx.user),
        plan_id,
        week,
        ctx.lang,
        _settings_key(ctx.request),
    )
    parts = map_cache(ctx.request).get(key, lambda: _plan_map_parts(ctx, plan_id, week, title))
    chart_url = ctx.url(f"/plans/{quote(plan_id)}/chart")
    return render_page(ctx, "plan_map.html", title=title, map=parts, chart_url=chart_url)


def _plan_map_parts(ctx: PageContext, plan_id: str, week: int | None, title: str) -> MapParts:
    """The rotation map without plot geometry, as the caller may see it."""
    from pasture.maps import rotation_map
    from pasture.maps.plot_layer import MAX_LIMIT
    from pasture.planning.periods import plan_periods
    from pasture.science.herds import plan_herds

    from .plan_summary import land_users_frame

    plan = chosen_plan(ctx.store, plan_id)
    assert plan is not None
    union = union_scope(ctx.user)
    assignments = scoped_assignments(ctx.store, plan_id, union)
    plots = visible_plots(ctx.user, ctx.store.read("plots"), assignments)
    if assignments.empty:
        raise NotFound(f"plan {plan_id!r} has no assignments to show")
    m = rotation_map(
        plots,
        assignments,
        plan_periods(plan, assignments),
        herds=plan_herds(ctx.store, plan_id, ctx.t, union_id=union),
        # unions and villages by name: the legend groups village flocks by settlement
        unions=land_users_frame(ctx.store, ctx.t),
        week=week,
        lang=ctx.lang,
        title=title,
        # the plots and their weeks come from the layer endpoint, as the caller may see them
        plots_url=ctx.url("/layers/plots", plan=plan_id, limit=MAX_LIMIT),
        **_map_options(ctx.request),
    )
    _credit(m, ctx)
    return MapParts.of(m)


@router.get("/plans/{plan_id}/chart")
def plan_chart(
    ctx: Ctx,
    plan_id: str,
    f: Annotated[
        Literal["html", "png", "svg", "pdf"], Query(description="html, png, svg or pdf")
    ] = "html",
    paper: Annotated[
        Literal["a4", "a3"] | None, Query(description="landscape print size; none: screen")
    ] = None,
) -> Response:
    """The grazing calendar of a plan: herds × dates by union, plot names in bars (Gantt)."""
    chosen_plan(ctx.store, plan_id)  # 404 for an unknown plan
    union = union_scope(ctx.user)
    assignments = scoped_assignments(ctx.store, plan_id, union)
    title = f"{ctx.t('Grazing calendar')}: {plan_id}"
    if f != "html":
        data = calendar_chart(ctx, plan_id, assignments, fmt=f, paper=paper, title=title)
        return _chart_file(data, f, f"{plan_id}-calendar{'-' + paper if paper else ''}.{f}")
    path = f"/plans/{quote(plan_id)}"
    chart = calendar_chart(ctx, plan_id, assignments, fmt="svg", paper=None, title=title)
    return render_page(
        ctx,
        "plan_chart.html",
        title=title,
        chart=_svg_body(str(chart)),
        map_url=ctx.url(f"{path}/map"),
        files=[
            (label, ctx.url(f"{path}/chart", f=fmt, paper=size))
            for label, fmt, size in _CHART_FILES
        ],
    )


def _chart_file(data: str | bytes, fmt: str, name: str) -> Response:
    """A calendar chart as a file the browser shows (``inline``) under ``name``."""
    media = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}[fmt]
    return Response(
        data,
        media_type=media,
        # private: the chart shows what the caller may see, as its page does
        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private"},
    )


#: The calendar's files: label, format, paper.
_CHART_FILES: tuple[tuple[str, str, str | None], ...] = (
    ("PNG", "png", None),
    ("SVG", "svg", None),
    ("PDF A4", "pdf", "a4"),
    ("PDF A3", "pdf", "a3"),
    ("PNG A4", "png", "a4"),
    ("PNG A3", "png", "a3"),
)


def calendar_chart(
    ctx: PageContext,
    plan_id: str,
    assignments: pd.DataFrame,
    *,
    fmt: Literal["png", "svg", "pdf"],
    paper: Literal["a4", "a3"] | None,
    title: str,
) -> str | bytes:
    """The Gantt chart of ``assignments`` with the herds' labels and colours of the rotation map."""
    from pasture.maps.gantt import grazing_gantt
    from pasture.maps.herds import herd_styles, union_names
    from pasture.science.herds import plan_herds

    store = ctx.store
    unions = local_layer(store, "unions", ctx.t)
    styles = herd_styles(assignments, plan_herds(store, plan_id, ctx.t), unions, ctx.t)
    used = sorted({str(p) for p in assignments["plot_id"].dropna() if p})
    plots = local_layer(store, "plots", ctx.t, ids=used) if used else None
    plot_names = (
        {}
        if plots is None
        else {
            str(i): f"{n} ({i})" if n else str(i)
            for i, n in zip(plots["id"], plots["name"], strict=True)
        }
    )
    return grazing_gantt(
        assignments,
        fmt=fmt,
        paper=paper,
        lang=ctx.lang,
        herd_labels=styles.names,
        union_names=union_names(unions),
        plot_names=plot_names,
        colours=styles.colours,
        title=title,
    )


def _svg_body(svg: str) -> str:
    """The ``<svg>`` element of matplotlib's SVG document, to place inline in a page."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


@router.get("/unions/{union_id}", response_class=HTMLResponse)
def union_page(
    ctx: Ctx, union_id: str, plan: Annotated[str | None, Query(max_length=100)] = None
) -> HTMLResponse:
    """A union's plots and every plot its herds use, its calendar (Gantt and list), herds,
    census and deficits; prints on A4 with each plot's centre and nearest water point.

    The map, the chart and the tables are built once per store version, union, plan,
    language, settings and load privacy (:func:`pasture_api.science.load_privacy`: plot
    loads withheld for roles without personal data) in
    :class:`pasture_api.layers.VersionCache`; :func:`union_row` checks on each request
    that the caller may open the page; what else depends on the caller's role (the
    census form's link) is added here.
    """
    union = union_row(ctx.store, ctx.user, union_id)
    title = union_title(ctx.store, ctx.t, union)
    privacy = load_privacy(ctx.user, ctx.request.app.state.settings)
    key = (
        "union",
        ctx.store.version(),
        union_id,
        plan,
        ctx.lang,
        privacy,
        _settings_key(ctx.request),
    )
    parts, cached = map_cache(ctx.request).get(
        key, lambda: _union_parts(ctx, union_id, title, plan)
    )
    content = dict(cached)  # the cached dict is shared: the caller's links go on a copy
    # the census form and its history show households' own counts: not for analysts
    own_counts = sees_households(ctx.user, layer_named("census"))
    content["census_url"] = ctx.url(f"/unions/{quote(union_id)}/census") if own_counts else None
    content["history_url"] = ctx.url("/pages/history", layer="census")
    return render_page(ctx, "union.html", title=title, map=parts, **content)


def _union_parts(
    ctx: PageContext, union_id: str, title: str, plan: str | None
) -> tuple[MapParts, dict[str, Any]]:
    """A union page's map and content, the same for every caller who may see the union."""
    from pasture.maps import union_map
    from pasture.maps.gantt import calendar_runs
    from pasture.maps.herds import herd_styles
    from pasture.maps.union_plots import herd_paths, locator_svg, plot_table
    from pasture.science.herds import plan_herds

    store = ctx.store
    # every name in the page's language (a generated one read through local_name)
    plots, unions = local_layer(store, "plots", ctx.t), local_layer(store, "unions", ctx.t)
    chosen = chosen_plan(store, plan)
    assignments = (
        scoped_assignments(store, str(chosen["id"]), union_id) if chosen is not None else None
    )
    used_ids = (
        set() if assignments is None else {str(p) for p in assignments["plot_id"].dropna() if p}
    )
    own = plots[plots["union_id"] == union_id]
    used = plots[plots["id"].astype(str).isin(used_ids) & (plots["union_id"] != union_id)]
    paths = None
    if assignments is not None and len(assignments):
        herds = plan_herds(store, str(chosen["id"]), ctx.t, union_id=union_id)  # type: ignore[index]
        styles = herd_styles(assignments, herds, unions, ctx.t)
        paths = herd_paths(
            calendar_runs(assignments), plots[plots["id"].isin(used_ids)], styles.names
        )
    water = local_layer(store, "water_points", ctx.t)
    m = union_map(
        plots,
        union_id,
        unions=unions,
        okrugs=store.read("okrugs"),
        water=water,
        routes=local_layer(store, "routes", ctx.t),
        capacity=_or_none(store.read_rows("capacity")),
        load=plot_load(ctx.request, store, load_privacy(ctx.user, ctx.request.app.state.settings)),
        trends=_or_none(store.read_rows("trends")),
        lang=ctx.lang,
        title=title,
        used_plots=used,
        paths=paths,
        # the plots come from the layer endpoint (a union may ask only for its own)
        plots_url=ctx.url("/layers/plots", union=union_id),
        used_url=(
            ctx.url("/layers/plots", union=union_id, used_in=str(chosen["id"]))
            if chosen is not None
            else None
        ),
        **_map_options(ctx.request),
    )
    _credit(m, ctx)
    content = _union_content(ctx, union_id, own, plan)
    shown = plots[plots["id"].astype(str).isin(used_ids) | (plots["union_id"] == union_id)]
    content["plot_table"] = _plot_table_rows(ctx, plot_table(shown, water), union_id, plots)
    bounds = tuple(float(v) for v in shown.to_crs(4326).total_bounds) if len(shown) else None
    content["locator"] = (
        locator_svg(store.read("okrugs"), bounds, title=ctx.t("Where the plots lie"))  # type: ignore[arg-type]
        if bounds
        else ""
    )
    # the Gantt chart is its own file (GET /unions/{id}/chart), loaded by the page when
    # scrolled to: inline, its SVG was most of the page (about 300 KB)
    content["gantt"] = (
        _union_chart_links(ctx, union_id, str(chosen["id"]))
        if chosen is not None and assignments is not None and len(assignments)
        else None
    )
    return MapParts.of(m), content


def _union_chart_links(ctx: PageContext, union_id: str, plan_id: str) -> dict[str, Any]:
    """The union page's Gantt chart: the SVG it shows and the print files (A4, A3)."""
    path = f"/unions/{quote(union_id)}/chart"
    return {
        "src": ctx.url(path, plan=plan_id, f="svg"),
        "files": [
            (label, ctx.url(path, plan=plan_id, f=fmt, paper=size))
            for label, fmt, size in _CHART_FILES
        ],
    }


@router.get("/unions/{union_id}/chart")
def union_chart(
    ctx: Ctx,
    union_id: str,
    plan: Annotated[str | None, Query(max_length=100)] = None,
    f: Annotated[Literal["png", "svg", "pdf"], Query(description="png, svg or pdf")] = "svg",
    paper: Annotated[
        Literal["a4", "a3"] | None, Query(description="landscape print size; none: screen")
    ] = None,
) -> Response:
    """A union's grazing calendar (Gantt) as a file, for whoever may open its page; the
    page shows the SVG. Built once per store version, union, plan, language and size."""
    union = union_row(ctx.store, ctx.user, union_id)  # the page's 404s
    chosen = chosen_plan(ctx.store, plan)
    if chosen is None:
        raise NotFound("there is no grazing plan yet")
    plan_id = str(chosen["id"])
    assignments = scoped_assignments(ctx.store, plan_id, union_id)
    if assignments.empty:
        raise NotFound(f"no herd of union {union_id!r} is in plan {plan_id!r}")
    title = union_title(ctx.store, ctx.t, union)
    key = ("union-chart", ctx.store.version(), union_id, plan_id, ctx.lang, f, paper)
    data = map_cache(ctx.request).get(
        key, lambda: calendar_chart(ctx, plan_id, assignments, fmt=f, paper=paper, title=title)
    )
    size = f"-{paper}" if paper else ""
    return _chart_file(data, f, f"{union_id}-{plan_id}-calendar{size}.{f}")


def _plot_table_rows(
    ctx: PageContext, table: pd.DataFrame, union_id: str, plots: Any
) -> list[list[Any]]:
    """The printout's plot list: id and name, own or public, centre, nearest water point."""
    owner = dict(zip(plots["id"].astype(str), plots["union_id"], strict=True))
    t = ctx.t
    rows = []
    for r in table.sort_values("id").itertuples():
        water = (
            f"{r.water_name or ''} {r.water_lat:.5f}, {r.water_lon:.5f} ({t.quantity(r.water_km, 'km', digits=1)})"
            if r.water_lat is not None and r.water_lat == r.water_lat
            else ""
        )
        rows.append(
            [
                f"{r.id} {r.name or ''}".strip(),
                t("own") if owner.get(str(r.id)) == union_id else t("public or other"),
                f"{r.lat:.5f}, {r.lon:.5f}",
                water,
            ]
        )
    return rows


# ----------------------------------------------------------------------------- map parts


def _map_options(request: Request) -> dict[str, Any]:
    """Leaflet from this server; the basemap from the settings (empty: none, fully offline)."""
    from pasture.maps import Assets
    from pasture.maps.style import BASEMAP_ATTRIBUTION, DEFAULT_BASEMAP

    settings = request.app.state.settings
    url = getattr(settings, "basemap_url", DEFAULT_BASEMAP) or None
    attribution = (
        BASEMAP_ATTRIBUTION
        if url and "openstreetmap" in url
        else (urlsplit(url).netloc if url else "")
    )
    base = (settings.public_base_url or "").rstrip("/")
    return {
        "assets": Assets.served(base + STATIC_LEAFLET),
        "basemap": url,
        "basemap_attribution": attribution or "basemap",
    }


def _settings_key(request: Request) -> tuple[Any, ...]:
    """The settings a cached page depends on: the disclosure rules and the map's sources."""
    settings = request.app.state.settings
    return (
        disclosure_rules(settings),
        getattr(settings, "basemap_url", None),
        settings.public_base_url,
    )


def _credit(m: folium.Map, ctx: PageContext) -> None:
    """The data's sources in the map's attribution line (OSM, KATO, SRTM; generated demo)."""
    from pasture.maps.page import DataAttribution

    DataAttribution(data_attribution(ctx.store, ctx.t("other layers generated (demo)"))).add_to(m)


def _ndvi_credit(store: Store, t: Translator, scene_day: date | None) -> str:
    """The NDVI layer's credit: says so when the day's scenes are generated, not satellite data."""
    if scene_day is None:
        return t("NDVI (vegetation index)")
    scenes = store.read_rows("scenes")
    sensors = set(scenes.loc[scenes["date"].dt.date == scene_day, "sensor"])
    if "generated" in sensors:
        return f"{t('NDVI (vegetation index)')}: {t('generated (not satellite data)')}"
    return t("NDVI (vegetation index)")


def _or_none(frame: pd.DataFrame) -> pd.DataFrame | None:
    return None if frame.empty else frame


def _scene_days(store: Store) -> list[date]:
    scenes = store.read_rows("scenes")
    return sorted({d for d in (day(v) for v in scenes["date"]) if d is not None})


def _scene_on_or_before(store: Store, wanted: date) -> date:
    found = day(scene_for_day(store, wanted, on_or_before=True)["date"])
    assert found is not None
    return found


def _show_overlay(m: folium.Map, name: str) -> None:
    """Switch on an overlay the builder adds hidden (the NDVI layer when a date was asked for)."""
    import folium
    from branca.element import Element

    for child in m._children.values():
        if isinstance(child, folium.TileLayer) and child.layer_name == name:
            script = (
                'document.addEventListener("DOMContentLoaded", function () {'
                f"{child.get_name()}.addTo({m.get_name()}); }});"
            )
            m.get_root().script.add_child(Element(script), name="jailym_show_ndvi")  # type: ignore[attr-defined]


def _union_links(ctx: PageContext, unions: Any) -> list[tuple[str, Any]]:
    """Every union's page, for the overview's list (akimat and analysts)."""
    return [
        (ctx.url(f"/unions/{quote(str(u))}"), name)
        for u, name in zip(unions["id"], unions["name"], strict=True)
    ]


# ----------------------------------------------------------------------------- a union's page


def _union_content(
    ctx: PageContext, union_id: str, plots: Any, plan_id: str | None
) -> dict[str, Any]:
    """What ``union.html`` shows below the map: calendar, deficits, herds, census, downloads."""
    from pasture.science.herd_privacy import withheld_herds
    from pasture.science.herds import plan_herds

    store, t = ctx.store, ctx.t
    area = float(plots["area_ha"].fillna(0).sum()) if len(plots) else 0.0
    chosen = chosen_plan(store, plan_id)
    names = local_herd_names(store, t, union_id)
    # herd figures withheld where they would reveal a household (analysts, the maslikhat)
    rules = load_privacy(ctx.user, ctx.request.app.state.settings)
    content: dict[str, Any] = {
        "plot_count": t.ngettext("{n} plot", "{n} plots", len(plots)).format(n=len(plots)),
        "area": t.quantity(area, "ha"),
        "plan": None,
        "calendar": [],
        "deficits": [],
        "species": _species_labels(t),
        "herds": _herd_rows(store, t, union_id, names, rules),
        "census": _census_rows(
            store, t, union_id, disclosure_rules(ctx.request.app.state.settings)
        ),
    }
    if chosen is not None:
        pid = str(chosen["id"])
        content["plan"] = {
            "id": pid,
            "url": ctx.url(f"/plans/{quote(pid)}/map"),
            "approved": chosen["state"] == "approved",
        }
        calendar = merge_calendar(scoped_assignments(store, pid, union_id))
        planned = plan_herds(store, pid, t, union_id=union_id)
        withheld = set(withheld_herds(store, planned, rules, plan_id=pid))
        if rules is not None:  # a herd the plan does not name has no contributors
            withheld |= set(calendar["herd_id"].astype(str)) - set(planned["id"].astype(str))
        content["calendar"] = _calendar_rows(calendar, t, names, withheld)
        content["deficits"] = _deficit_rows(store, t, pid, union_id)
    has_calendar = bool(content["calendar"])
    content["downloads"] = _downloads(t, union_id, chosen if has_calendar else None)
    return content


def _species_labels(t: Translator) -> list[str]:
    """Column heads of the species, in the order of :data:`pasture.model.SPECIES`."""
    labels = {
        "sheep": t("Sheep"),
        "goats": t("Goats"),
        "cattle": t("Cattle"),
        "horses": t("Horses"),
        "camels": t("Camels"),
    }
    return [labels[s] for s in SPECIES]


def _calendar_rows(
    calendar: pd.DataFrame, t: Translator, names: dict[str, str], withheld: set[str]
) -> list[list[Any]]:
    """The calendar's runs; a withheld herd's sheep units say so (:func:`_union_content`)."""
    return [
        [
            names.get(str(r.herd_id), str(r.herd_id)),
            r.plot_id or t("not placed"),
            t.date(r.start),
            t.date(r.end),
            t.number(r.weeks),
            t("withheld (privacy)") if str(r.herd_id) in withheld else t.number(r.sheep_units),
        ]
        for r in calendar.itertuples()
    ]


def _deficit_rows(store: Store, t: Translator, plan_id: str, union_id: str) -> list[list[Any]]:
    deficits = store.read_rows("deficits", where={"plan_id": plan_id, "union_id": union_id})
    deficits = deficits[deficits["deficit_kg"] > 0].sort_values("period")
    return [
        [
            t.number(r.period),
            t.date(r.start),
            t.number(r.deficit_kg),
            t.number(r.sheep_units_to_move),
            t.number(r.feed_kg_dm),
        ]
        for r in deficits.itertuples()
    ]


def _herd_rows(
    store: Store,
    t: Translator,
    union_id: str,
    names: dict[str, str],
    rules: DisclosureRules | None,
) -> list[list[Any]]:
    """One row per herd and a total row (no rows when the union has no herd); a herd's
    heads that would reveal a household withheld, and then the total too."""
    from pasture.science.herd_privacy import withheld_herds

    herds = store.read("herds", where={"union_id": union_id})
    withheld = withheld_herds(store, herds, rules)
    hidden = [t("withheld (privacy)")] * len(SPECIES)
    rows = [
        [
            names.get(str(h["id"]), str(h["id"])),
            *(hidden if str(h["id"]) in withheld else (t.number(h[s]) for s in SPECIES)),
        ]
        for h in herds.to_dict("records")
    ]
    if rows:
        total = hidden if withheld else [t.number(herds[s].sum()) for s in SPECIES]
        rows.append([t("Total"), *total])
    return rows


def _census_rows(
    store: Store, t: Translator, union_id: str, rules: DisclosureRules
) -> list[list[Any]]:
    """The union's totals of its latest census under the disclosure rules of
    /census/totals (a withheld count shows as a dash, as no household's counts may)."""
    census = store.read("census", where={"union_id": union_id})
    if census.empty:
        return []
    latest = census[census["date"] == census["date"].max()]
    (total,) = protected_totals(latest, rules)
    return [
        [
            t.date(latest["date"].iloc[0]),
            t.number(total["households"]),
            *("—" if total[s] is None else t.number(total[s]) for s in SPECIES),
        ]
    ]


def _downloads(t: Translator, union_id: str, plan: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Links to the union's files; the calendar's only when ``plan`` has rows for the union."""
    base = f"/unions/{quote(union_id)}"
    links = [
        (f"{base}/plots.kml", t("Plots") + " — KML (Google Earth)"),
        (f"{base}/plots.geojson", t("Plots") + " — GeoJSON"),
        (f"{base}/plots.csv", t("Plots") + " — CSV"),
        (f"{base}/plots.xlsx", t("Plots") + " — XLSX"),
    ]
    if plan is not None:
        q = f"?{urlencode({'plan': str(plan['id'])})}"
        links += [
            (f"{base}/calendar.csv{q}", t("Grazing calendar") + " — CSV"),
            (f"{base}/calendar.xlsx{q}", t("Grazing calendar") + " — XLSX"),
            (f"{base}/calendar.kml{q}", t("Grazing calendar") + " — KML"),
            (f"{base}/calendar.geojson{q}", t("Grazing calendar") + " — GeoJSON"),
        ]
    return links
