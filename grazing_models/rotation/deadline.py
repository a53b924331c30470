"""One deadline for a whole planning call: every phase asks it how long is left.

The clock is injectable so that tests can move time on without waiting (no sleeps, no
wall-clock assertions); the steps that wait on threads or hand HiGHS a time limit get the
same instant on :func:`time.perf_counter` (:meth:`Deadline.perf_at`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Clock", "Deadline"]

Clock = Callable[[], float]


class Deadline:
    """The instant ``seconds`` from now on ``clock`` (seconds, monotonic)."""

    def __init__(self, seconds: float, clock: Clock = time.perf_counter) -> None:
        self.clock = clock
        self.start = clock()
        self.at = self.start + max(0.0, seconds)

    def left(self) -> float:
        """Seconds left, never below 0."""
        return max(0.0, self.at - self.clock())

    def passed(self) -> bool:
        """Whether no time is left."""
        return self.left() <= 0.0

    def elapsed(self) -> float:
        """Seconds since the deadline was set."""
        return self.clock() - self.start

    def before(self, share: float, at_least: float = 0.0) -> Deadline:
        """A deadline ``share`` of the time left, and ``at_least`` seconds, earlier than
        this one (on the same clock): what a phase that must leave time for the next stops
        at."""
        cut = Deadline.__new__(Deadline)
        cut.clock, cut.start = self.clock, self.start
        cut.at = self.at - max(share * self.left(), at_least)
        return cut

    def perf_at(self) -> float:
        """The deadline on :func:`time.perf_counter`, for the code that waits on threads or
        solvers with it."""
        return time.perf_counter() + self.left()
