"""A plan refused for its time limit tells the client polling it what to ask for."""

from __future__ import annotations

from pasture.planning.budget import TimeLimitTooShort
from pasture_api.plans import _time_advice


def test_a_plan_refused_for_its_time_limit_says_the_read_and_the_limit_to_ask_for() -> None:
    exc = TimeLimitTooShort(limit=10.0, read_s=12.34, finish_s=1.0)
    assert _time_advice(exc) == {"read_s": 12.3, "time_limit_needed_s": exc.ask_s}
    assert exc.ask_s >= 12.34 + 1.0 and f"at least {exc.ask_s:g} s" in str(exc)
    assert _time_advice(ValueError("other")) == {}
