"""Load as a page: ``GET /pages/load`` — the two statuses side by side (issue 16).

The rows are ``GET /science/load``'s (:func:`pasture_api.science.load_rows`: the same
disclosure rules and union scope), per okrug, land user or plot and season of a year:
livestock against forage capacity from NDVI (overloaded, within capacity, underused) and
against the maximum permissible load of Order 3-3/332 (over the norm, within it, unused
under 50 % of it), and why the two disagree where they do.

"Unused" is the law's word (Land Code Art. 92 п.4 пп.3, quoted on the page): the page
counts the rows the rule names, and splits them into those that carry no livestock at
all and those that carry some but under half of the norm. It decides nothing: whether a
pasture is withdrawn as unused is for the akimat, after checking on the ground.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from grazing_models.load import STATUSES
from grazing_models.norms import ANNEX_LABEL, UNUSED_SHARE, UNUSED_WORDING
from pasture.i18n import Translator
from pasture.science.load import FEEDS, NO_FORAGE, PUBLIC_GROUP, disagreement_reason

from .layout import render_page
from .plan_summary import land_user_names, okrug_names
from .session import Ctx

__all__ = ["NORM_STATUSES", "router", "unused_split"]

router = APIRouter(include_in_schema=False)

#: Levels of the load table, in the order the page offers them.
LEVELS = ("okrug", "union", "plot")
#: Values of ``norm_status`` (grazing_models.norms.norm_status, and "unknown").
NORM_STATUSES = ("over the norm", "within the norm", "unused", "no norm", "unknown")
#: Plot rows shown on the page at most (all are in ``GET /science/load?level=plot``).
MAX_PLOT_ROWS = 400


@router.get("/pages/load", response_class=HTMLResponse)
def load_page(
    ctx: Ctx,
    year: int | None = Query(None, ge=2000, le=2100),
    level: str = Query("union", pattern="^(okrug|union|plot)$"),
    season: str | None = Query(None, max_length=20),
) -> HTMLResponse:
    """Both statuses per okrug, land user or plot and season, with the law's rule shown."""
    from pasture_api.science import load_rows

    every = load_rows(ctx.request, ctx.store, ctx.user, year=year)
    plans = _plans_of(every)
    rows = every[every["level"] == level]
    year = int(rows["year"].iat[0]) if len(rows) else year
    seasons = _seasons(rows)
    if season:
        rows = rows[rows["season"] == season]
    t = ctx.t
    names = _names(ctx, level)
    shown = _shown(rows, level)
    return render_page(
        ctx,
        "load.html",
        title=t("Load against the norm and against forage"),
        year=year,
        level=level,
        levels=[(lv, _level_label(t, lv)) for lv in LEVELS],
        level_label=_level_label(t, level),
        season=season,
        seasons=[(s, t.season(s)) for s in seasons],
        capacity_counts=_counts(rows["status"], STATUSES, t),
        norm_counts=_counts(rows["norm_status"], NORM_STATUSES, t),
        unused=unused_split(rows),
        wording=t(UNUSED_WORDING),
        share=t.percent(UNUSED_SHARE),
        annex=t(ANNEX_LABEL),
        plans=plans,
        rows=[_row(r, t, names) for r in shown.to_dict("records")],
        n_rows=len(rows),
        n_shown=len(shown),
        api_url=f"/science/load?level={level}" + (f"&year={year}" if year else ""),
    )


def unused_split(rows: pd.DataFrame) -> dict[str, int]:
    """Rows the law's rule calls unused: all of them, those carrying no livestock at all,
    and those carrying some but under the unused share of the norm."""
    unused = rows[rows["norm_status"] == "unused"]
    withheld = unused.get("suppressed", pd.Series(False, index=unused.index)).astype(bool)
    demand = pd.to_numeric(unused["demand_kg"], errors="coerce").fillna(0)
    empty = int(((demand <= 0) & ~withheld).sum())
    return {
        "all": len(unused),
        "empty": empty,
        "some": len(unused) - empty - int(withheld.sum()),
        "withheld": int(withheld.sum()),
    }


def _plans_of(rows: pd.DataFrame) -> list[str]:
    """The plans the stored rows took their livestock from (their ``plan_id``; none on
    rows stored before gpkg 0011 / postgis 0013 or computed without a plan)."""
    return sorted(set(rows.get("plan_id", pd.Series(dtype=object)).dropna().astype(str)))


def _seasons(rows: pd.DataFrame) -> list[str]:
    order = ("spring", "summer", "autumn", "winter")
    present = set(rows["season"].astype(str))
    return [s for s in order if s in present] + sorted(present - set(order))


def _level_label(t: Translator, level: str) -> str:
    return {"okrug": t("Rural districts"), "union": t("Land users"), "plot": t("Plots")}[level]


def _names(ctx: Ctx, level: str) -> dict[str, str]:
    t = ctx.t
    if level == "okrug":
        return okrug_names(ctx.store, t.lang)
    if level == "union":
        return {**land_user_names(ctx.store, t), PUBLIC_GROUP: t("public pasture")}
    plots = ctx.store.read("plots")
    if "name" not in plots:
        return {}
    return {str(i): str(n or i) for i, n in zip(plots["id"], plots["name"], strict=True)}


def _shown(rows: pd.DataFrame, level: str) -> pd.DataFrame:
    """Every row, but at plot level the plots carrying livestock first, most loaded against
    the norm first, at most :data:`MAX_PLOT_ROWS`."""
    if level != "plot":
        return rows.sort_values(["group_id", "season"])
    demand = pd.to_numeric(rows["demand_kg"], errors="coerce").fillna(0)
    order = rows.assign(_carries=demand > 0).sort_values(
        ["_carries", "norm_load"], ascending=[False, False], na_position="last"
    )
    return order.head(MAX_PLOT_ROWS).drop(columns="_carries")


def _counts(values: pd.Series, order: tuple[str, ...], t: Translator) -> list[tuple[str, str, int]]:
    """(value, its words, count) of each status present, in the given order."""
    counts = values.astype(str).value_counts()
    return [(s, t.pgettext("load", s), int(counts[s])) for s in order if s in counts]


def _row(r: dict[str, Any], t: Translator, names: dict[str, str]) -> dict[str, Any]:
    suppressed = bool(r.get("suppressed"))
    return {
        "name": names.get(str(r["group_id"]), str(r["group_id"])),
        "id": str(r["group_id"]),
        "season": t.season(str(r["season"])),
        "demand_t": _tonnes(r.get("demand_kg"), t),
        "forage_t": _band(r, "forage_{}_kg", t, tonnes=True),
        "ratio": _band(r, "stocking_ratio_{}", t),
        "status": str(r["status"]),
        "status_words": t.pgettext("load", str(r["status"])),
        "norm_load": None if _missing(r.get("norm_load")) else t.percent(r["norm_load"]),
        "norm_status": str(r.get("norm_status") or "unknown"),
        "norm_words": t.pgettext("load", str(r.get("norm_status") or "unknown")),
        "why": None if suppressed else _why(r, t),
        "withheld": suppressed,
    }


def _why(r: dict[str, Any], t: Translator) -> str | None:
    reason = disagreement_reason(
        r["status"], r.get("norm_status"), r.get("norm_load"), r.get("stocking_ratio_central")
    )
    if reason is None:
        return None
    why, k = reason
    feeds = t(FEEDS).format(k=t.number(k, digits=1)) if np.isfinite(k) else t(NO_FORAGE)
    return f"{t(why)} ({feeds})"


def _band(r: dict[str, Any], pattern: str, t: Translator, *, tonnes: bool = False) -> str | None:
    low, central, high = (r.get(pattern.format(b)) for b in ("low", "central", "high"))
    if _missing(central):
        return None
    if tonnes:
        return f"{_tonnes(central, t)} ({_tonnes(low, t)}–{_tonnes(high, t)})"
    return f"{t.number(central, digits=2)} ({t.number(low, digits=2)}–{t.number(high, digits=2)})"


def _tonnes(kg: Any, t: Translator) -> str | None:
    return None if _missing(kg) else t.number(float(kg) / 1000.0)


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value)) or value in (np.inf, -np.inf)
