"""The two shapes of progress callbacks that long work reports through.

The command line draws them (a bar, a status line); notebooks and the API pass None.
"""

from __future__ import annotations

from collections.abc import Callable

#: Called with (done, total) as a bulk job goes through its rows, files or dates.
Progress = Callable[[int, int], None]
#: Called with a short message as a job of several steps starts each one.
StepProgress = Callable[[str], None]

__all__ = ["Progress", "Step", "StepProgress"]


class Step(str):
    """A step's message in English that keeps its template and values.

    It is the English text, so whatever prints a message prints it as before; the
    template is a msgid of the catalogues (:mod:`pasture.i18n`), so a page can show
    the step in its own language: ``t(step.template).format(**values)``.
    """

    template: str
    values: dict[str, object]

    def __new__(cls, template: str, **values: object) -> Step:
        step = super().__new__(cls, template.format(**values))
        step.template = template
        step.values = values
        return step
