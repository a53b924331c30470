"""One time limit for the whole of `create_plan`: reading, planning, checking and storing.

`create_plan` starts one :class:`~grazing_models.rotation.deadline.Deadline` when it is
called; the store read draws on it first, then what checking and storing the plan will
take is set aside (:func:`finish_reserve`), and the planner gets the rest. A read that
leaves no time to plan is a :class:`TimeLimitTooShort`, never a plan that overran.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from grazing_models.rotation import RotationInputs
from grazing_models.rotation.deadline import Deadline

from ..errors import InvalidInput

__all__ = [
    "FINISH_FIXED_S",
    "FINISH_S_PER_ROW",
    "MIN_SOLVE_S",
    "Budget",
    "TimeLimitTooShort",
    "finish_reserve",
]

#: Seconds set aside to check and store a plan, whatever its size, and per assignment
#: row it may have (a herd in a week: ``n_herds × n_periods`` rows at most). Measured with
#: ``benchmarks/planner.py --end-to-end --time-limit 60`` on the demo district (2024
#: season, 986 herds with the village flocks, 29 weeks: 28,594 rows), the check
#: (``validate_plan``, the rows and summary built) and the write (one transaction) took
#: 2.0 + 1.3 s on GeoPackage and 4.2 + 3.7 s on PostGIS, at a load average of 15 on 2
#: cores: 0.12 and 0.28 ms a row. The reserve is PostGIS's rate with 40% to spare.
FINISH_FIXED_S = 0.5
FINISH_S_PER_ROW = 0.0004

#: Fewest seconds worth giving the planner: less, and its greedy pass (which always runs,
#: the plan's floor; ~0.5 s on the demo district) would overrun the limit.
MIN_SOLVE_S = 2.0

#: The limit to ask for after a read that left too little: this many times what the read
#: and the finish took (reads vary with the machine's load), plus :data:`MIN_SOLVE_S`.
ASK_MARGIN = 1.5


class TimeLimitTooShort(InvalidInput):
    """The time limit ends before a plan can be made: the read alone took (nearly) all of
    it. Nothing is stored; the message says how long the read took and what to ask for."""

    def __init__(self, *, limit: float, read_s: float, finish_s: float) -> None:
        self.limit, self.read_s, self.finish_s = limit, read_s, finish_s
        self.ask_s = 5.0 * math.ceil((ASK_MARGIN * (read_s + finish_s) + MIN_SOLVE_S) / 5.0)
        super().__init__(
            "time_limit",
            [
                f"reading the plots, herds and NDVI took {read_s:.1f} s of the {limit:g} s "
                f"time limit, and checking and storing the plan needs {finish_s:.1f} s "
                f"more: no time is left to plan; ask for a time limit of at least "
                f"{self.ask_s:g} s"
            ],
        )


def finish_reserve(inputs: RotationInputs) -> float:
    """Seconds to keep for checking and storing a plan of these inputs (constants above)."""
    rows = inputs.n_herds * inputs.n_periods
    return FINISH_FIXED_S + FINISH_S_PER_ROW * rows


@dataclass
class Budget:
    """How `create_plan` shares its one deadline among its phases."""

    deadline: Deadline
    limit: float
    read_s: float = 0.0
    finish_s: float = 0.0
    solve_s: float = 0.0

    def after_read(self, inputs: RotationInputs, solve_limit: float | None) -> float:
        """The planner's seconds once the inputs are read: what is left less the finish's
        reserve, at most ``solve_limit``; TimeLimitTooShort when that is too little."""
        self.read_s = self.deadline.elapsed()
        self.finish_s = finish_reserve(inputs)
        left = self.deadline.left() - self.finish_s
        if left < min(MIN_SOLVE_S, solve_limit or MIN_SOLVE_S):
            raise TimeLimitTooShort(limit=self.limit, read_s=self.read_s, finish_s=self.finish_s)
        self.solve_s = left if solve_limit is None else min(left, solve_limit)
        return self.solve_s

    def doc(self) -> dict[str, Any]:
        """What the plan's summary records of its time (seconds)."""
        return {
            "time_limit": self.limit,
            "read_s": round(self.read_s, 3),
            "solver_limit_s": round(self.solve_s, 3),
            "finish_reserve_s": round(self.finish_s, 3),
        }
