"""The annual report on a plan's implementation (Land Code Art. 17 пп.8-2, Art. 19 пп.4-5).

For the maslikhat (every okrug's plan) and, shorter, for one okrug's community meeting:
planned against actual load by the norm (the ``load`` table of the year, from
``pasture load``), unused and overloaded plots, degrading plots (``trends``), water points
short of their demand, and what changed on the land since the version in force was
adopted (its frozen content against the store now).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import NotFound
from ..i18n import translator
from ..store.base import Store
from .content import build_content
from .diff import diff_content
from .document import Block, fmt
from .labels import TEXT, word
from .service import get_plan, list_plans, version_content

__all__ = ["okrug_report", "report_blocks", "report_frame"]

_REPORT_TITLE = {
    "ru": "Отчёт о реализации плана по управлению пастбищами и их использованию за {year} год",
    "kk": "Жайылымдарды басқару және оларды пайдалану жөніндегі жоспардың {year} жылғы "
    "орындалуы туралы есеп",
    "en": "Report on the implementation of the pasture management plan, {year}",
}
_NO_LOAD = {
    "ru": "Нагрузка за год не рассчитана (pasture load): фактическая нагрузка неизвестна.",
    "kk": "Жылдық жүктеме есептелмеген (pasture load): нақты жүктеме белгісіз.",
    "en": "The year's load is not computed (pasture load): actual load unknown.",
}


def okrug_report(store: Store, plan_id: str, year: int) -> dict[str, Any]:
    """One okrug's figures for ``year``: load by the norm, degradation, water, changes.

    The version compared is the one in force, or the newest when none is adopted yet
    (``adopted`` says which).
    """
    plan = get_plan(store, plan_id)
    version = plan["in_force"] or plan["version"]
    frozen = version_content(store, plan_id, version)
    plots = store.read("plots", where={"okrug_id": plan["okrug_id"]})
    load = store.read_rows("load", where={"level": "plot", "year": year})
    load = load[load["group_id"].isin(set(plots["id"]))]
    statuses = load["norm_status"].fillna("no norm").value_counts().to_dict() if len(load) else {}
    trends = store.read_rows("trends")
    degrading = trends[
        (trends["plot_id"].isin(set(plots["id"]))) & (trends["status"] == "degrading")
    ]
    now = build_content(store, plan["okrug_id"], plan["first_year"], plan["last_year"])
    changes = diff_content(frozen, now)
    return {
        "plan_id": plan_id,
        "okrug": frozen["okrug"],
        "year": year,
        "version": version,
        "adopted": plan["in_force"] is not None,
        "decision": plan.get("decision_number"),
        "generated": bool(now["generated"]),
        "load_rows": len(load),
        "norm_status": {str(k): int(v) for k, v in statuses.items()},
        "overloaded": sorted(load.loc[load["norm_status"] == "over the norm", "group_id"].unique()),
        "unused": sorted(
            load.loc[load["norm_status"].astype(str).str.startswith("unused"), "group_id"].unique()
        ),
        "degrading": sorted(degrading["plot_id"]),
        "water_short": now["sections"]["4"]["figures"]["points_short"],
        "water_unreached": now["sections"]["4"]["figures"]["plots_unreached"],
        "planned_area_ha": frozen["sections"]["3"]["figures"]["pasture_area_ha"],
        "actual_area_ha": now["sections"]["3"]["figures"]["pasture_area_ha"],
        "changes": changes["counts"],
    }


def _okrug_blocks(r: dict[str, Any], lang: str) -> list[Block]:
    name = r["okrug"][f"name_{lang}"]
    rows = [
        ("planned_area_ha", fmt(r["planned_area_ha"], lang)),
        ("pasture_area_ha", fmt(r["actual_area_ha"], lang)),
        ("over the norm", fmt(len(r["overloaded"]), lang)),
        ("unused", fmt(len(r["unused"]), lang)),
        ("degrading", fmt(len(r["degrading"]), lang)),
        ("water_short", fmt(r["water_short"], lang)),
        ("plots_unreached", fmt(r["water_unreached"], lang)),
        ("plots_changed", fmt(sum(r["changes"].values()), lang)),
    ]
    out = [Block("h2", f"{word('okrug', lang)}: {name} ({TEXT['version'][lang]} {r['version']})")]
    if not r["load_rows"]:
        out.append(Block("p", _NO_LOAD[lang]))
    out.append(
        Block(
            "table", columns=("", str(r["year"])), rows=tuple((word(k, lang), v) for k, v in rows)
        )
    )
    listed = ", ".join(r["overloaded"][:30]) or "—"
    out.append(Block("small", f"{word('over the norm', lang)}: {listed}"))
    out.append(
        Block(
            "small",
            f"{TEXT['source'][lang]}: "
            + translator(lang)
            .pgettext(
                "source",
                "store: load ({year}), trends, plots, water_points; version {version} of {plan}",
            )
            .format(year=r["year"], version=r["version"], plan=r["plan_id"]),
        )
    )
    return out


def report_blocks(
    store: Store, year: int, lang: str, *, plan_id: str | None = None
) -> tuple[list[Block], bool]:
    """The report's blocks (the district's, or one okrug's) and whether the data are generated."""
    ids = [plan_id] if plan_id else [p["id"] for p in list_plans(store) if p["state"] != "expired"]
    if not ids:
        raise NotFound("no management plans to report on; create them first")
    reports = [okrug_report(store, i, year) for i in ids]
    out = [Block("h1", _REPORT_TITLE[lang].format(year=year)), Block("p", TEXT["basis"][lang])]
    for r in reports:
        out.extend(_okrug_blocks(r, lang))
    return out, any(r["generated"] for r in reports)


def report_frame(reports: list[dict[str, Any]]) -> pd.DataFrame:
    """The reports as one row per okrug (for notebooks)."""
    return pd.DataFrame(
        [{k: v for k, v in r.items() if not isinstance(v, dict | list)} for r in reports]
    )
