"""grazing_models is pure: importing any of its modules loads no store, web or GIS code."""

from __future__ import annotations

import subprocess
import sys
import textwrap

#: Top-level packages that must stay out of a process that only imports grazing_models.
FORBIDDEN = ("pasture", "pasture_api", "geopandas", "rasterio", "fastapi")

_PROBE = textwrap.dedent(
    """
    import importlib
    import pkgutil
    import sys

    import grazing_models

    names = [m.name for m in pkgutil.walk_packages(grazing_models.__path__, "grazing_models.")]
    for name in names:
        importlib.import_module(name)
    forbidden = {forbidden!r}
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in forbidden)
    print(len(names))
    print(" ".join(loaded))
    """
)


def test_grazing_models_imports_no_store_web_or_gis_code():
    # a fresh interpreter: this test session has long loaded pasture and the rest
    probe = _PROBE.format(forbidden=FORBIDDEN)
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=300
    )
    assert run.returncode == 0, run.stderr
    n_modules, loaded = run.stdout.splitlines()[-2:]
    assert int(n_modules) > 10  # the walk found the package's modules
    assert loaded == "", f"grazing_models loads {loaded}"
