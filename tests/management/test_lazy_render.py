"""The planner's input read imports the plan's allocation, not the document renderer."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys
import pasture.management.allocation
import pasture.planning.inputs
print(" ".join(sorted(m for m in ("matplotlib", "pasture.management.render") if m in sys.modules)))
from pasture.management import render_plan
print(render_plan.__module__)
"""


def test_the_allocation_loads_no_renderer_until_a_document_is_asked_for() -> None:
    # a fresh interpreter: this session has long imported the renderer
    run = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=False, timeout=300
    )
    assert run.returncode == 0, run.stderr
    loaded, module = run.stdout.splitlines()[-2:]
    assert loaded == "", f"the planner's inputs load {loaded}"
    assert module == "pasture.management.render"  # still reachable from the package
