"""A plan's summary on its page: labelled sections and tables in the page's language.

The summary (:func:`pasture.planning.results.plan_summary`) is a JSON document of
the plan's inputs, figures and totals; the API returns it as stored. The page shows
it by label: the plan in figures, what it assumes of forage, whose livestock it
plans, and the deficit per rural district with what would close it. Each shown key
has a label here; :data:`NOT_SHOWN` names the keys left to the API on purpose
(solver internals), so a key added to the summary fails a test until it is labelled
or listed there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pasture.demo_names import local_name, store_local_names, store_places
from pasture.i18n import Translator
from pasture.io.tables import COLUMN_TITLES
from pasture.model import SEASONS
from pasture.science.herds import VILLAGE_PREFIX
from pasture.store import Store

__all__ = [
    "NOT_SHOWN",
    "SHOWN",
    "Section",
    "land_user_names",
    "land_users_frame",
    "local_herd_names",
    "local_layer",
    "local_unions",
    "okrug_names",
    "summary_sections",
    "union_title",
]

#: Summary keys the page does not show: solver internals (the API returns them: ``time``
#: is how `create_plan` shared its time limit), the projection the planner measured in,
#: and what the tables below are built from.
NOT_SHOWN = frozenset(
    {"timings", "time", "stats", "local_crs", "okrug_of_land_user", "deficit_by_union", "error"}
)


@dataclass(frozen=True)
class Section:
    """A titled table: ``head`` (column titles, or empty for label–value rows) and rows."""

    title: str
    rows: list[list[str]]
    head: list[str] = field(default_factory=list)
    css: str = ""


def okrug_names(store: Store, lang: str) -> dict[str, str]:
    """Rural district id → its name in ``lang``."""
    okrugs = store.read("okrugs")
    column = f"name_{lang}" if f"name_{lang}" in okrugs else "name_en"
    if okrugs.empty or column not in okrugs:
        return {}
    return {str(i): str(n or i) for i, n in zip(okrugs["id"], okrugs[column], strict=True)}


def land_user_names(store: Store, t: Translator) -> dict[str, str]:
    """Land user id → name: a union's name, or ``village:<settlement>`` as its settlement's
    name in the page's language (the households in no union there); a settlement whose
    name another shares is told apart by its rural district. A generated union's name is
    read in the page's language (:func:`pasture.demo_names.local_name`)."""
    unions = local_unions(store, t)
    names = {str(i): str(n or i) for i, n in zip(unions["id"], unions["name"], strict=True)}
    settlements = store.read("settlements")
    column = f"name_{t.lang}" if f"name_{t.lang}" in settlements else "name_en"
    if settlements.empty or column not in settlements:
        return names
    okrugs = okrug_names(store, t.lang)
    own = settlements[column].fillna(settlements["id"]).astype(str)
    shared = set(own[own.duplicated(keep=False)])
    for sid, name, okrug in zip(settlements["id"], own, settlements["okrug_id"], strict=True):
        if name in shared:
            name = f"{name} ({okrugs.get(str(okrug), okrug)})"
        names[f"{VILLAGE_PREFIX}{sid}"] = t("{settlement}: households in no union").format(
            settlement=name
        )
    return names


def local_unions(store: Store, t: Translator) -> pd.DataFrame:
    """The ``unions`` layer with its generated names in the page's language."""
    return local_layer(store, "unions", t)


def local_layer(store: Store, layer: str, t: Translator, **read: Any) -> pd.DataFrame:
    """``layer`` (unions, plots, water points, routes, herds) as the pages show it: each
    generated name in the page's language, a real name as recorded; ``read``: what
    :meth:`Store.read` takes (``where``, ``ids``)."""
    return store_local_names(store, store.read(layer, **read), t)


def union_title(store: Store, t: Translator, union: Mapping[str, Any]) -> str:
    """A union's name as its page's title: a generated one in the page's language."""
    name = union.get("name") or union.get("id")
    if t.lang == "en" or not isinstance(name, str):
        return str(name)
    return local_name(name, t, store_places(store.read("okrugs"), t.lang))


def local_herd_names(store: Store, t: Translator, union_id: str | None) -> dict[str, str]:
    """Herd id → its name in the page's language (the id when unnamed), of one union or all."""
    where = {"union_id": union_id} if union_id else None
    herds = local_layer(store, "herds", t, where=where)
    return {str(i): str(n or i) for i, n in zip(herds["id"], herds["name"], strict=True)}


def land_users_frame(store: Store, t: Translator) -> pd.DataFrame:
    """:func:`land_user_names` as a frame of ``id`` and ``name``, the form the maps take
    for their ``unions`` (a legend groups village flocks under their settlement's name)."""
    names = land_user_names(store, t)
    return pd.DataFrame({"id": list(names), "name": list(names.values())})


def _figures(t: Translator) -> list[tuple[str, str, Callable[[Any], str]]]:
    """The plan's figures: key, label, how its value reads."""
    whole = t.number
    return [
        ("season_year", t("Season"), str),
        ("ndvi_year", t("NDVI year"), str),
        ("n_herds", t("Herds"), whole),
        ("n_plots", t("Plots"), whole),
        ("plots_used", t("Plots used"), whole),
        ("n_periods", t("Weeks"), whole),
        ("sheep_units", t(COLUMN_TITLES["sheep_units"]), whole),
        ("demand_kg", t(COLUMN_TITLES["demand_kg"]), whole),
        ("eaten_kg", t(COLUMN_TITLES["eaten_kg"]), whole),
        ("deficit_kg", t(COLUMN_TITLES["deficit_kg"]), whole),
        # an estimate on the plan's own weeks, not a re-plan (pasture.planning.results)
        (
            "deficit_low_kg",
            t(
                "Deficit at the prediction interval's low end, kg (this plan's weeks, not re-planned)"
            ),
            whole,
        ),
        (
            "deficit_high_kg",
            t(
                "Deficit at the prediction interval's high end, kg (this plan's weeks, not re-planned)"
            ),
            whole,
        ),
        ("feed_kg_dm", t(COLUMN_TITLES["feed_kg_dm"]), whole),
        ("deficit_periods", t("Weeks with a deficit"), whole),
        ("unplaced_demand_kg", t("Demand of herds without a plot, kg"), whole),
        ("unplaced_herd_periods", t("Herd-weeks without a plot"), whole),
        ("ungrazed_forage_peak_kg", t("Forage standing at its peak, kg"), whole),
        ("plots_without_ndvi", t("Plots without NDVI"), whole),
        ("plot_weeks_without_ndvi", t("Plot-weeks without NDVI"), whole),
        ("trends_rows", t("Plots with a degradation trend"), whole),
        ("load_rows", t("Load rows read"), whole),
        ("load_year", t("Year of the load against capacity"), str),
        ("solver", t("Solver"), lambda v: t.pgettext("solver", str(v))),
        ("status", t("Solution"), lambda v: t.pgettext("solver", str(v))),
        ("withdrawn_by", t("Approval withdrawn by"), str),
        ("withdrawn_at", t("Approval withdrawn on"), lambda v: t.date(v)),
    ]


#: Keys :func:`summary_sections` shows (besides those of :func:`_figures`).
SHOWN = frozenset(
    {
        "first_start",
        "last_end",
        "weeks_per_season",
        "spring_start",
        "herds_skipped_no_livestock",
        "objective_terms",
        "forage",
        "livestock",
        "deficit_by_okrug",
    }
)


def figure_keys() -> set[str]:
    """The keys the figures table labels (for tests: every summary key is shown or listed)."""
    from pasture.i18n import translator

    return {k for k, _, _ in _figures(translator("en"))}


def _plan_figures(t: Translator, s: Mapping[str, Any]) -> Section:
    rows = [[label, show(s[k])] for k, label, show in _figures(t) if s.get(k) is not None]
    if s.get("first_start") and s.get("last_end"):
        rows.insert(
            2, [t("Planned weeks"), f"{t.date(s['first_start'])} – {t.date(s['last_end'])}"]
        )
    weeks = s.get("weeks_per_season") or {}
    if weeks:
        ordered = sorted(weeks, key=lambda k: SEASONS.index(k) if k in SEASONS else len(SEASONS))
        text = ", ".join(f"{t.season(k)}: {t.number(weeks[k])}" for k in ordered)
        rows.append([t("Weeks per season"), text])
    spring = s.get("spring_start") or {}
    if spring:
        rows.append(
            [t("Spring plots from the green-up date"), t.number(spring.get("plots_from_greenup"))]
        )
        rows.append(
            [t("Spring plots from the calendar"), t.number(spring.get("plots_from_calendar"))]
        )
    skipped = s.get("herds_skipped_no_livestock")
    if skipped is not None:
        rows.append([t("Herds with no animals (not planned)"), ", ".join(skipped) or t("none")])
    terms = s.get("objective_terms") or {}
    labels = {
        "unfed_kg": t("Unfed demand, kg"),
        "pressure_kg": t("Forage eaten, weighted by the plots' degradation and load, kg"),
        "walk_km": t("Walks to water and back, herd-km"),
        "moves": t("Moves"),
        "total": t("Objective"),
    }
    rows += [[labels[k], t.number(v)] for k, v in terms.items() if k in labels]
    return Section(t("The plan in figures"), rows)


def _forage(t: Translator, forage: Mapping[str, Any], planning: Mapping[str, Any]) -> Section:
    """What the plan assumes of forage (the summary's ``forage``)."""
    # the basis by its id (its one-line English label is the API's and the command line's)
    basis = str(forage.get("basis") or "")
    if forage.get("generated"):
        basis = f"{basis} ({t('Generated demo data')})"
    regrowth = planning.get("regrowth_per_week") or 0
    rows = [
        [t("Forage basis"), basis],
        [t("Forage band"), t(str(forage.get("band") or ""))],
        [t("Prediction interval"), t.percent(forage.get("interval_level"))],
        [t("Harvest efficiency"), t.number(forage.get("harvest_efficiency"), digits=2)],
        [t("Eaten"), t("utilisation × harvest efficiency of each plot's standing crop")],
        [
            t("Regrowth"),
            t("{share} of the stand per week (an assumption, unsourced)").format(
                share=t.number(regrowth, digits=3)
            )
            if regrowth > 0
            else t("off: no sourced regrowth model (docs/domain.md, Seasons)"),
        ],
    ]
    return Section(t("Forage"), rows)


def _livestock(t: Translator, livestock: Mapping[str, Any], names: Mapping[str, str]) -> Section:
    dates = livestock.get("census_date") or {}
    rows = [[names.get(u, u), t.date(d)] for u, d in sorted(dates.items())]
    return Section(
        t("Livestock: each union's latest census; households in no union by the allocation"),
        rows,
        head=[t("Union"), t("Census date")],
    )


def _okrugs(
    t: Translator, by_okrug: Mapping[str, Mapping[str, float]], names: Mapping[str, str]
) -> Section:
    """Deficit per rural district (its unions and village herds), largest first."""
    rows = [
        [
            names.get(k, t("no rural district") if k == "none" else k),
            t.number(r["deficit_kg"]),
            t.number(r["feed_kg_dm"]),
            t.number(r["max_sheep_units_to_move"]),
        ]
        for k, r in sorted(by_okrug.items(), key=lambda kv: -kv[1]["deficit_kg"])
    ]
    return Section(
        t("Forage deficit by rural district"),
        rows,
        head=[
            t("Rural district"),
            t(COLUMN_TITLES["deficit_kg"]),
            t(COLUMN_TITLES["feed_kg_dm"]),
            t("Forage-equivalent sheep to move (most in one week)"),
        ],
        css="jailym-okrug-deficits",
    )


def summary_sections(
    t: Translator,
    summary: Mapping[str, Any],
    params: Mapping[str, Any],
    *,
    okrugs: Mapping[str, str],
    land_users: Mapping[str, str],
) -> list[Section]:
    """The summary's sections; none for an empty summary (a union's view)."""
    if not summary:
        return []
    sections = []
    if summary.get("deficit_by_okrug"):
        sections.append(_okrugs(t, summary["deficit_by_okrug"], okrugs))
    sections.append(_plan_figures(t, summary))
    if summary.get("forage"):
        sections.append(_forage(t, summary["forage"], params.get("planning") or {}))
    if summary.get("livestock"):
        sections.append(_livestock(t, summary["livestock"], land_users))
    return sections
