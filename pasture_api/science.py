"""The district's science over HTTP: the forage basis, its calibration, capacity and load.

``GET /science/forage-basis`` shows the one NDVI→biomass calibration every forage
figure comes from (model, coefficients, R², RMSE, n, prediction interval, GENERATED
or survey); ``POST /science/calibration`` (akimat only) calibrates it anew from the
plots' geobotanical yields; ``GET /science/capacity`` and ``GET /science/load`` serve
the stored tables, load with both statuses side by side and why they disagree.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from pasture.disclosure import (
    DisclosureRules,
    stored_contributors,
    withheld_by,
    withheld_from,
    withhold,
)
from pasture.errors import NotFound
from pasture.model import LOAD
from pasture.store import Store

from . import web
from .auth import CurrentUser, Principal
from .deps import StoreDep
from .scope import PERSONAL_DATA_ROLES, disclosure_rules, require_role, union_scope
from .users import Role

__all__ = [
    "LIVESTOCK_FIELDS",
    "CalibrationRequest",
    "load_privacy",
    "load_rows",
    "protected_load",
    "science_router",
]

StoreArg = Annotated[Store, StoreDep]
YearArg = Annotated[int | None, Query(ge=2000, le=2100, description="season year")]
LevelArg = Annotated[
    Literal["plot", "union", "okrug"] | None, Query(description="plot, union or okrug")
]


class CalibrationRequest(BaseModel):
    """How to calibrate the forage basis from the plots' geobotanical yields."""

    yield_basis: Literal["fresh", "air_dry", "dry"] = Field(
        description="what the survey weighed: fresh (green) mass, air-dry mass or dry matter"
    )
    form: Literal["linear", "exponential", "power", "quadratic"] = "linear"
    level: float = Field(0.9, gt=0.0, lt=1.0, description="level of the prediction interval")


def forage_basis(store: StoreArg, user: CurrentUser) -> Response:
    """The store's forage basis: the one NDVI→biomass calibration (without its samples)."""
    from pasture.science import read_forage_basis

    return web.json_response(read_forage_basis(store).summary())


def calibrate_basis(store: StoreArg, user: CurrentUser, body: CalibrationRequest) -> Response:
    """Calibrate the forage basis from the plots' yields and NDVI, and store it (akimat)."""
    require_role(user, Role.AKIMAT)
    from pasture.science import DEMO_CALIBRATION_NOTE, calibrate_forage_basis

    demo = bool(store.get_meta("demo"))
    basis = calibrate_forage_basis(
        store,
        yield_basis=body.yield_basis,
        user=user.username,
        form=body.form,
        level=body.level,
        generated=demo,
        description=DEMO_CALIBRATION_NOTE if demo else "",
    )
    return web.json_response(basis.summary(), status_code=201)


def _year_rows(store: Store, table: str, year: int | None) -> Any:
    rows = store.read_rows(table, where=None if year is None else {"year": int(year)})
    if rows.empty:
        what = "any year" if year is None else str(year)
        command = "pasture capacity" if table == "capacity" else "pasture load"
        raise NotFound(f"no {table} rows for {what}; compute them with `{command}`")
    if year is None:
        rows = rows[rows["year"] == rows["year"].max()]
    return rows


def _own_plots(store: Store, user: Principal) -> set[str] | None:
    """The plot ids a union account sees in science tables (None: all)."""
    scope = union_scope(user)
    if scope is None:
        return None
    plots = store.read("plots")
    return set(plots.loc[plots["union_id"] == scope, "id"].astype(str))


def capacity(store: StoreArg, user: CurrentUser, year: YearArg = None) -> Response:
    """Forage (removal allowance, low/central/high) and forage-equivalent sheep per plot and season."""
    rows = _year_rows(store, "capacity", year)
    own = _own_plots(store, user)
    if own is not None:
        rows = rows[rows["plot_id"].isin(own)]
    return web.json_response({"capacity": web.records_of(rows)})


#: What a land-user row says about its households' livestock: withheld together (the
#: statuses stay: a band, not an amount).
LIVESTOCK_FIELDS = (
    "demand_kg",
    "stocking_ratio_low",
    "stocking_ratio_central",
    "stocking_ratio_high",
    "norm_load",
    "disagreement",
)


def load(
    request: Request,
    store: StoreArg,
    user: CurrentUser,
    year: YearArg = None,
    level: LevelArg = None,
) -> Response:
    """Both loads and both statuses per plot, union or okrug: against forage capacity and
    against the legal norm, why they disagree, and where the livestock came from.

    For roles without personal data, a row (plot, land user or okrug) whose households
    fail the census disclosure rules (fewer than ``census_min_group``, or one household's
    livestock dominating) has its livestock figures null, named in ``suppressed_by``.
    """
    rows = load_rows(request, store, user, year=year, level=level)
    return web.json_response({"load": web.records_of(rows)})


def load_rows(
    request: Request,
    store: Store,
    user: Principal,
    *,
    year: int | None = None,
    level: str | None = None,
) -> Any:
    """The stored load rows of a year as ``user`` may see them: under the disclosure rules,
    a union's account only its own plots and its own land-user row (the API and the load
    page read this one function)."""
    privacy = load_privacy(user, request.app.state.settings)
    rows = protected_load(store, _year_rows(store, "load", year), privacy, request)
    if level is not None:
        rows = rows[rows["level"] == level]
    own = _own_plots(store, user)
    if own is not None:
        scope = union_scope(user)
        mine = ((rows["level"] == "plot") & rows["group_id"].isin(own)) | (
            (rows["level"] == "union") & (rows["group_id"] == scope)
        )
        rows = rows[mine]
    return rows


def load_privacy(user: Principal, settings: Any) -> DisclosureRules | None:
    """The disclosure rules the caller's load figures pass (None: a role with personal
    data, which sees them all). Part of every cache key of what shows load figures."""
    return None if user.role in PERSONAL_DATA_ROLES else disclosure_rules(settings)


def protected_load(
    store: Store,
    rows: pd.DataFrame,
    rules: DisclosureRules | None,
    request: Request | None = None,
) -> Any:
    """Load rows (any level) under the census disclosure rules (pasture.disclosure).

    Each row is decided from the contributors stored with it (`pasture.science.load.
    compute_load`: the households whose livestock is in its figures when they were
    computed), so the decision always matches the figures shown, whatever the plan and
    census are today; a row that would reveal a household has its
    :data:`LIVESTOCK_FIELDS` null, named in ``suppressed_by``. A row stored without them
    (null ``contributors``: computed before gpkg 0011 / postgis 0013) is decided from
    today's plan and census (`pasture.science.load.load_contributions`, once per store
    version in the app with the ``request``) until `pasture load` runs again. With
    ``rules`` None (:func:`load_privacy` of a role with personal data) every row is
    shown. The largest contributors' shares (``top_shares``) are never published.
    """
    stored = stored_contributors(rows)
    rows = rows.drop(columns=sorted(LOAD.personal_names), errors="ignore")
    if rules is None or rows.empty:
        return rows.assign(suppressed=False, suppressed_by=[{} for _ in range(len(rows))])
    rule = [None if c is None else withheld_from(c, rules) for c in stored]
    old = [i for i, c in enumerate(stored) if c is None]
    if old:
        from pasture.science.load import load_group

        years = sorted({int(y) for y in rows["year"].iloc[old]})
        today = _contributions(request, store, years)
        for i in old:
            row = rows.iloc[i]
            key = load_group(row["level"], row["group_id"], row["season"])
            rule[i] = withheld_by(today.get(key, pd.Series(dtype="float64")), rules)
    return withhold(rows, rule, LIVESTOCK_FIELDS)


def _contributions(request: Request | None, store: Store, years: list[int]) -> Any:
    """`load_contributions` of ``years``, kept per store version in the app (every map
    build and /science/load call of analysts needs them; computing them reads the plan,
    herds and census: seconds on the demo district)."""
    from pasture.science.load import load_contributions

    if request is None:
        return load_contributions(store, years)
    from .layers import VersionCache

    state = request.app.state
    if getattr(state, "contributions_cache", None) is None:
        state.contributions_cache = VersionCache(max_entries=4)
    cache: VersionCache = state.contributions_cache
    key = (store.version(), tuple(years))
    return cache.get(key, lambda: load_contributions(store, years))


def science_router(*, responses: dict[Any, Any]) -> APIRouter:
    """Routes of the science: the forage basis (POST: akimat), capacity and load."""
    router = APIRouter(tags=["science"])
    errs = {k: v for k, v in responses.items() if k in (400, 401, 403, 404, 406, 503)}
    router.add_api_route(
        "/science/forage-basis", forage_basis, responses=errs, summary="The forage basis"
    )
    router.add_api_route(
        "/science/calibration",
        calibrate_basis,
        methods=["POST"],
        status_code=201,
        responses={**errs, **{k: v for k, v in responses.items() if k in (413, 422)}},
        summary="Calibrate the forage basis",
    )
    router.add_api_route("/science/capacity", capacity, responses=errs, summary="Capacity")
    router.add_api_route("/science/load", load, responses=errs, summary="Load")
    return router
