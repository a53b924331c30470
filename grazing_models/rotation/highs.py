"""Access to HiGHS' Python bindings, shared by the MILP, the forage LP and the Lagrangian master."""

from __future__ import annotations

from typing import Any

# HiGHS' Python bindings: ``highspy`` if installed, else the copy inside SciPy. SciPy >= 1.15
# ships the same pybind11 bindings as ``scipy.optimize._highspy._core`` (a private module).
try:
    import highspy

    _api: Any = highspy
except ImportError:
    try:
        from scipy.optimize._highspy import _core

        _api = _core
    except ImportError:  # pragma: no cover - older SciPy
        _api = None


def highs_api() -> Any | None:
    """The HiGHS Python bindings: ``highspy`` if installed, else the copy inside SciPy.

    Either one lets us pass the heuristic plan as a starting solution, which
    :func:`scipy.optimize.milp` cannot. ``None``: neither is available and the MILP runs
    through :func:`scipy.optimize.milp` without a start.
    """
    return _api


def new_highs(api: Any) -> Any:
    """A silent HiGHS instance (the bare bindings: ``highspy.Highs()`` prints a banner)."""
    highs = (getattr(api, "_Highs", None) or api.Highs)()
    highs.setOptionValue("output_flag", False)
    return highs
