"""The two shapes of progress callbacks that long work reports through.

The command line draws them (a bar, a status line); notebooks and the API pass None.
"""

from __future__ import annotations

from collections.abc import Callable

#: Called with (done, total) as a bulk job goes through its rows, files or dates.
Progress = Callable[[int, int], None]
#: Called with a short message as a job of several steps starts each one.
StepProgress = Callable[[str], None]

__all__ = ["Progress", "StepProgress"]
