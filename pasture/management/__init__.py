"""The pasture management and use plan of Law "On Pastures" Art. 13, per okrug and term.

- :mod:`.cycle`: states (draft → discussion → submitted → approved → amended → expired),
  the steps between them and who may take each;
- :mod:`.content`: the plan's figures for one okrug read from the store, annexes 1-8 and
  7-1, each table with its source; :mod:`.water` (annex 4), :mod:`.allocation` and
  :mod:`.annexes` (annexes 5, 6, 7-1);
- :mod:`.service`: plans, versions (frozen content), comments and answers, steps and
  amendments in the store, every action in the plan's history; :mod:`.diff` between
  versions;
- :mod:`.document`, :mod:`.maps`, :mod:`.labels`, :mod:`.render`: the document in
  Kazakh and Russian, as PDF and DOCX, and the maslikhat's draft decision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .cycle import COMMENT_STATES, ROLES, SECTIONS, STATES, STEPS
from .diff import diff_content, diff_lines
from .service import (
    DEFAULT_TERM_YEARS,
    add_comment,
    amend_plan,
    answer_comment,
    comments,
    create_plan,
    events,
    get_plan,
    list_plans,
    plan_in_force,
    seasonal_plans,
    step_plan,
    version_content,
    versions,
)

if TYPE_CHECKING:
    from .render import map_credit, render_district, render_plan, render_report

# The renderer (matplotlib, the document libraries: ~1.7 s to import) is loaded when a
# document is asked for, not by every reader of the plan's allocation (the planner's input
# read imports .allocation, and with it this package).
_RENDER = ("map_credit", "render_district", "render_plan", "render_report")


def __getattr__(name: str) -> Any:
    if name in _RENDER:
        from . import render

        return getattr(render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "COMMENT_STATES",
    "DEFAULT_TERM_YEARS",
    "ROLES",
    "SECTIONS",
    "STATES",
    "STEPS",
    "add_comment",
    "amend_plan",
    "answer_comment",
    "comments",
    "create_plan",
    "diff_content",
    "diff_lines",
    "events",
    "get_plan",
    "list_plans",
    "map_credit",
    "plan_in_force",
    "render_district",
    "render_plan",
    "render_report",
    "seasonal_plans",
    "step_plan",
    "version_content",
    "versions",
]
