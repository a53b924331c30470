"""Map layers for the pages: ``GET /layers/plots`` by bbox and zoom, cached per store version.

The overview page carries no plot geometry: its script asks this endpoint for
the plots in view (``bbox=west,south,east,north&zoom=z``), simplified for the
zoom, with the overview's style keys and popups (see
:class:`pasture.maps.plot_layer.PlotLayer`). What is expensive (reading the
plots and result tables, the facts of every plot, simplification per zoom) is
built once per store version (:meth:`pasture.store.Store.version`) and kept in
a :class:`VersionCache` on the app, so concurrent clients share one build. The
answer carries an ``ETag`` of the version and the request; ``If-None-Match``
answers 304 without touching the layer. Each answer is gzipped once and kept
(:func:`answer_cache`, keyed as its ETag is): a client that takes gzip gets the kept
bytes, with no compression per request.

A plan's rotation map asks it too, with ``plan=<id>``: its plots carry every
week's state, one character a week (:func:`pasture.maps.rotation.rotation_plot_layer`),
and the page asks for its view as the overview does.

Access: the caller signs in as for the pages (session cookie) or the API
(bearer token). A union account sees the plots a union's page shows (its own
and those its herds use in the plan shown, :func:`pasture_api.scope.visible_plots`),
nothing of other unions.
"""

import gzip
import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import pandas as pd
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from pasture.disclosure import DisclosureRules
from pasture.errors import NotFound
from pasture.store import Store

from .auth import Principal
from .deps import StoreDep
from .errors import BadRequest, Unauthorized
from .science import load_privacy, protected_load
from .scope import require_union, union_scope, visible_plots

if TYPE_CHECKING:
    import geopandas as gpd

    from pasture.maps.plot_layer import PlotLayer

__all__ = [
    "ANSWER_GZIP_LEVEL",
    "VersionCache",
    "answer_cache",
    "layers_router",
    "map_cache",
    "plot_load",
    "scoped_plots",
]

T = TypeVar("T")

#: gzip level of the kept layer answers. Each answer is compressed once and then served
#: as kept; on the demo's answers level 6 is 1–3 % larger than level 9 for a quarter of
#: its CPU time (``benchmarks/README.md``, "Map pages in Chromium").
ANSWER_GZIP_LEVEL = 6
#: Layer answers kept per app (each tens to hundreds of kB compressed).
ANSWER_ENTRIES = 96

ShadeBy = Literal["season", "load", "trend"]
Season = Literal["winter", "spring", "summer", "autumn"]


class VersionCache:
    """A small LRU of values computed from the store, keyed by its version and the request.

    ``get(key, compute)`` computes a missing value once even when many threads
    ask at the same time (they wait for the first); a new store version makes
    new keys, and old ones fall out of the LRU.
    """

    def __init__(self, max_entries: int = 48) -> None:
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.builds = 0

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value of ``key``; ``compute()`` once when there is none."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            try:
                value = compute()
            except BaseException:
                # nothing kept (a 404 from the builder is not cached); the next caller retries
                with self._lock:
                    self._building.pop(key, None)
                raise
            with self._lock:
                self.builds += 1
                self._values[key] = value
                while len(self._values) > self.max_entries:
                    self._values.popitem(last=False)
                self._building.pop(key, None)
            return value


def map_cache(request: Request) -> VersionCache:
    """The app's cache of map parts (made on first use)."""
    state = request.app.state
    if getattr(state, "map_cache", None) is None:
        state.map_cache = VersionCache()
    cache: VersionCache = state.map_cache
    return cache


def answer_cache(request: Request) -> VersionCache:
    """The app's cache of compressed layer answers (made on first use): apart from
    :func:`map_cache`, so many small answers do not push the layers out of it."""
    state = request.app.state
    if getattr(state, "answer_cache", None) is None:
        state.answer_cache = VersionCache(max_entries=ANSWER_ENTRIES)
    cache: VersionCache = state.answer_cache
    return cache


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header takes gzip (not when it says ``gzip;q=0``)."""
    for part in (header or "").lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def layer_user(request: Request) -> Principal:
    """The caller from a bearer token or the page session; 401 problem+json otherwise."""
    from .pages.session import LoginRequired, page_user

    try:
        return page_user(request)
    except LoginRequired as exc:
        raise Unauthorized(str(exc)) from None


def scoped_plots(store: Store, user: Principal) -> "gpd.GeoDataFrame":
    """The plots the caller may see on a map: all, or a union's own and those its herds use."""
    from .pages.data import chosen_plan, scoped_assignments

    plots = store.read("plots")
    union = union_scope(user)
    if union is None:
        return plots
    plan = chosen_plan(store, None)
    if plan is None:
        return plots[plots["union_id"] == union]
    return visible_plots(user, plots, scoped_assignments(store, str(plan["id"]), union))


def local_layer(store: Store, frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame``'s generated demo names in the page's language (a real name as recorded):
    the map answers name plots and unions as the pages around them do."""
    from pasture.demo_names import store_local_names
    from pasture.i18n import translator

    return store_local_names(store, frame, translator(lang))


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``west,south,east,north`` in degrees; BadRequest saying what is wrong otherwise."""
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise BadRequest(
            f"bbox must be four numbers west,south,east,north in degrees, got {text!r}"
        )
    west, south, east, north = values
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise BadRequest(
            f"bbox {text!r} is not west < east within ±180 and south < north within ±90"
        )
    return west, south, east, north


def plot_load(
    request: Request, store: Store, privacy: DisclosureRules | None
) -> pd.DataFrame | None:
    """The load rows of single plots as the caller may see them (``privacy``: its
    `load_privacy`), or None without any: the one path of plot load to the maps."""
    load = store.read_rows("load")
    if load.empty:
        return None
    return protected_load(store, load[load["level"] == "plot"], privacy, request)


def plot_layer(
    request: Request,
    store: Store,
    user: Principal,
    *,
    version: str,
    shade: str,
    season: str | None,
    year: int | None,
    lang: str,
    union: str | None = None,
) -> "PlotLayer":
    """The caller's plot layer of the overview (or of one union's page: its own plots),
    built once per store version."""
    from pasture.i18n import translator
    from pasture.maps.plot_layer import build_plot_layer

    privacy = load_privacy(user, request.app.state.settings)

    def build() -> "PlotLayer":
        load = plot_load(request, store, privacy)
        capacity, trends = store.read_rows("capacity"), store.read_rows("trends")
        plots = local_layer(store, scoped_plots(store, user), lang)
        return build_plot_layer(
            plots if union is None else plots[plots["union_id"] == union],
            translator(lang),
            unions=local_layer(store, store.read("unions"), lang),
            okrugs=store.read("okrugs"),
            capacity=None if capacity.empty else capacity,
            load=load,
            trends=None if trends.empty else trends,
            shade_by=shade,  # type: ignore[arg-type]
            year=year,
            season=season,
        )

    key = ("plots", version, union_scope(user), privacy, union, shade, season, year, lang)
    return map_cache(request).get(key, build)


def used_plots_layer(
    request: Request, store: Store, *, version: str, union: str, plan_id: str, lang: str
) -> "PlotLayer":
    """The plots beyond a union's own that its herds use in a plan (its page's map)."""
    from pasture.maps.page import esc
    from pasture.maps.plot_layer import PlotLayer

    from .pages.data import chosen_plan, scoped_assignments

    def build() -> "PlotLayer":
        chosen_plan(store, plan_id)  # NotFound for an unknown plan
        used = scoped_assignments(store, plan_id, union)["plot_id"].dropna().astype(str)
        plots = local_layer(store, store.read("plots"), lang)
        plots = plots[plots["id"].astype(str).isin(set(used)) & (plots["union_id"] != union)]
        labels = [
            {"t": esc(f"{i} {n or ''}".strip())}
            for i, n in zip(plots["id"], plots["name"], strict=True)
        ]
        return PlotLayer(plots, labels)

    return map_cache(request).get(("used", version, union, plan_id, lang), build)


def rotation_layer(
    request: Request, store: Store, user: Principal, *, version: str, plan_id: str, lang: str
) -> "PlotLayer":
    """The plots of a plan's rotation map with every week's state, as the caller may see
    them (a union: its own plots and those its herds graze, its own herds only), built
    once per store version."""
    from pasture.i18n import translator
    from pasture.maps.rotation import rotation_plot_layer
    from pasture.planning.periods import plan_periods
    from pasture.science.herds import plan_herds

    from .pages.data import chosen_plan, scoped_assignments

    union = union_scope(user)
    privacy = load_privacy(user, request.app.state.settings)

    def build() -> "PlotLayer":
        plan = chosen_plan(store, plan_id)  # NotFound for an unknown plan
        assert plan is not None
        assignments = scoped_assignments(store, plan_id, union)
        if assignments.empty:
            raise NotFound(f"plan {plan_id!r} has no assignments to show")
        return rotation_plot_layer(
            visible_plots(user, local_layer(store, store.read("plots"), lang), assignments),
            assignments,
            plan_periods(plan, assignments),
            herds=plan_herds(store, plan_id, translator(lang), union_id=union),
            unions=local_layer(store, store.read("unions"), lang),
            load=plot_load(request, store, privacy),
            lang=lang,
        )

    key = ("rotation", version, union, privacy, plan_id, lang)
    return map_cache(request).get(key, build)


@dataclass(frozen=True)
class LayerQuery:
    """Which plot layer a request asks for: a plan's rotation, a union's used or own plots,
    or the overview's (shaded by ``shade``, ``season`` and ``year``)."""

    plan: str | None
    union: str | None
    used_in: str | None
    shade: str
    season: str | None
    year: int | None
    lang: str


def chosen_layer(
    request: Request, store: Store, user: Principal, *, version: str, query: LayerQuery
) -> "PlotLayer":
    """The plot layer a request asks for, as the caller may see it."""
    q = query
    if q.plan:
        return rotation_layer(request, store, user, version=version, plan_id=q.plan, lang=q.lang)
    if q.union and q.used_in:
        return used_plots_layer(
            request, store, version=version, union=q.union, plan_id=q.used_in, lang=q.lang
        )
    return plot_layer(
        request,
        store,
        user,
        version=version,
        shade=q.shade,
        season=q.season,
        year=q.year,
        lang=q.lang,
        union=q.union,
    )


def _refuse_unknown(store: Store, *, union: str | None, plans: tuple[str | None, ...]) -> None:
    """NotFound naming the union or plan a layer request asks for that the store lacks."""
    from .pages.data import chosen_plan

    if union is not None and store.read("unions", where={"id": union}).empty:
        raise NotFound(f"no union {union!r}")
    for plan_id in plans:
        if plan_id is not None:
            chosen_plan(store, plan_id)  # NotFound for an unknown plan


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def _kept_answer(
    request: Request, key: str, answer: Callable[[], str], headers: dict[str, str]
) -> Response:
    """The GeoJSON ``answer()`` as gzip bytes made once and kept under ``key`` (the ETag's:
    what the caller may see is part of it), sent as kept when the client takes gzip."""

    def compressed() -> bytes:
        return gzip.compress(answer().encode(), ANSWER_GZIP_LEVEL, mtime=0)

    body = answer_cache(request).get(key, compressed)
    if accepts_gzip(request.headers.get("accept-encoding")):
        # the GZip middleware passes an answer that is already encoded through
        return Response(
            body,
            media_type="application/geo+json",
            headers={**headers, "Content-Encoding": "gzip"},
        )
    return Response(gzip.decompress(body), media_type="application/geo+json", headers=headers)


def layers_router(*, store_dependency: Any = StoreDep) -> APIRouter:
    """The map layer routes."""
    router = APIRouter(tags=["layers"], include_in_schema=False)
    StoreArg = Annotated[Store, store_dependency]  # noqa: N806

    @router.get("/layers/plots")
    def plots(
        request: Request,
        store: StoreArg,
        user: Annotated[Principal, Depends(layer_user)],
        bbox: Annotated[str, Query(max_length=200, description="west,south,east,north")],
        zoom: Annotated[int, Query(ge=0, le=24, description="Web Mercator zoom of the view")],
        shade: Annotated[ShadeBy, Query()] = "season",
        season: Annotated[Season | None, Query()] = None,
        year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
        lang: Annotated[str, Query(pattern="^(kk|ru|en)$")] = "kk",
        degrading: Annotated[bool, Query(description="only degrading plots")] = False,
        limit: Annotated[int | None, Query(ge=1)] = None,
        plan: Annotated[
            str | None, Query(max_length=100, description="a plan's rotation map: every week")
        ] = None,
        union: Annotated[
            str | None, Query(max_length=100, description="a union's page: its own plots")
        ] = None,
        used_in: Annotated[
            str | None,
            Query(max_length=100, description="with union: the other plots its herds use"),
        ] = None,
    ) -> Response:
        """The plots in ``bbox`` drawn at ``zoom`` as GeoJSON, the largest first up to ``limit``.

        With ``plan``, the plots of its rotation map, each with its state in every week
        (``shade``, ``season`` and ``year`` do not apply). With ``union``, that union's
        own plots; with ``used_in`` too, the plots beyond its own its herds use in that
        plan. A union account asking for another union is answered 404, as its page is.
        """
        if union is not None:
            require_union(user, union)
        elif used_in is not None:
            raise BadRequest("used_in needs union: the plots of which union's herds?")
        # an unknown union or plan is a 404 naming it, not an empty map (before the ETag:
        # a bad link must not be answered 304)
        _refuse_unknown(store, union=union, plans=(plan, used_in))
        from pasture.maps.plot_layer import DEFAULT_LIMIT, MAX_LIMIT

        box = parse_bbox(bbox)
        wanted = min(limit or DEFAULT_LIMIT, MAX_LIMIT)
        version = store.version()
        privacy = load_privacy(user, request.app.state.settings)
        key = f"{version}|{union_scope(user)}|{privacy}|{plan}|{union}|{used_in}|{shade}|{season}|{year}|{lang}|{box}|{zoom}|{wanted}|{degrading}"
        etag = '"' + hashlib.sha256(key.encode()).hexdigest()[:24] + '"'
        # private: a union's answer is not another's; no-cache: revalidate (cheap 304)
        headers = {
            "ETag": etag,
            "Cache-Control": "private, no-cache",
            "Vary": "Cookie, Authorization, Accept-Encoding",
        }
        if _matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)

        def answer() -> str:
            query = LayerQuery(plan, union, used_in, shade, season, year, lang)
            layer = chosen_layer(request, store, user, version=version, query=query)
            return layer.features(box, zoom, limit=wanted, degrading=degrading).text

        return _kept_answer(request, key, answer, headers)

    @router.get("/layers/plots/{plot_id}")
    def plot_popup(
        request: Request,
        store: StoreArg,
        user: Annotated[Principal, Depends(layer_user)],
        plot_id: Annotated[str, Path(max_length=200)],
        shade: Annotated[ShadeBy, Query()] = "season",
        season: Annotated[Season | None, Query()] = None,
        year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
        lang: Annotated[str, Query(pattern="^(kk|ru|en)$")] = "kk",
    ) -> JSONResponse:
        """One plot's popup values (escaped HTML, in the order of the page's popup labels)."""
        layer = plot_layer(
            request,
            store,
            user,
            version=store.version(),
            shade=shade,
            season=season,
            year=year,
            lang=lang,
        )
        values = layer.popup(plot_id)
        if values is None:  # missing, out of season or out of the caller's scope: one answer
            raise NotFound(f"no plot {plot_id!r} on this map")
        return JSONResponse({"id": plot_id, "p": values}, headers={"Cache-Control": "private"})

    return router
