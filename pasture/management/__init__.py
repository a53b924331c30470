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

from .cycle import COMMENT_STATES, ROLES, SECTIONS, STATES, STEPS
from .diff import diff_content, diff_lines
from .render import map_credit, render_district, render_plan, render_report
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
