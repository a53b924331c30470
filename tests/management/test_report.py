"""The annual implementation report: load by the norm, degradation, water and changes since adoption."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
from pypdf import PdfReader

from pasture import management as mp
from pasture.management.labels import word
from pasture.management.report import okrug_report
from pasture.store import Store
from tests.pasture import factories


def _load_row(plot: str, status: str) -> dict[str, object]:
    return {
        "level": "plot",
        "group_id": plot,
        "year": 2026,
        "season": "spring",
        "status": "within capacity",
        "norm_status": status,
    }


def test_report_counts_what_the_store_says(store: Store) -> None:
    factories.fill(store)
    pid = mp.create_plan(store, "ok-a", 2026, user="akim")["id"]
    mp.step_plan(store, pid, "submit", user="akim")
    mp.step_plan(
        store,
        pid,
        "adopt",
        user="sec",
        role="maslikhat",
        decision_number="3-1",
        decision_date=date(2026, 2, 1),
    )
    store.replace_rows(
        "load",
        pd.DataFrame(
            [
                _load_row("p0", "over the norm"),
                _load_row("p1", "unused (< 50 %)"),
                _load_row("p2", "within the norm"),
            ]
        ),
    )
    store.replace_rows(
        "trends",
        pd.DataFrame(
            [
                {
                    "plot_id": "p1",
                    "n_years": 8,
                    "alpha": 0.05,
                    "status": "degrading",
                }
            ]
        ),
    )
    store.update("plots", "p3", {"name": "Changed"}, expected_version=1, user="akim")
    r = okrug_report(store, pid, 2026)
    assert (r["overloaded"], r["unused"], r["degrading"]) == (["p0"], ["p1"], ["p1"])
    assert r["adopted"] and r["decision"] == "3-1" and r["changes"]["plots_changed"] == 1
    pdf = mp.render_report(store, 2026, lang="ru", plan_id=pid)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert (
        f"{word('over the norm', 'ru')} 1" in text and f"{word('over the norm', 'ru')}: p0" in text
    )
    assert f"{word('degrading', 'ru')} 1" in text
