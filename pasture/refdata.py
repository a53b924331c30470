"""Where the reference files of ``data/`` are: the source checkout's folder, or the copy
an installed wheel carries under ``<prefix>/share/jailym/data`` (pyproject.toml
``data-files``: the same files, with their README and provenance)."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["data_dir"]

#: A file every copy of the folder holds, to tell a real one from an unrelated ``data/``.
_MARKER = "enbekshikazakh-district-osm.geojson"


def data_dir() -> Path:
    """The folder of the real reference files (district boundary, NDVI anchor, norms).

    Raises
    ------
    FileNotFoundError
        When neither the checkout nor the installed package has them.
    """
    candidates = [
        Path(__file__).resolve().parents[1] / "data",  # a source checkout
        Path(sys.prefix) / "share" / "jailym" / "data",  # an installed wheel
    ]
    for folder in candidates:
        if (folder / _MARKER).exists():
            return folder
    raise FileNotFoundError(
        f"the reference data folder is missing (looked in {', '.join(map(str, candidates))}); "
        "reinstall the jailym package or run from a source checkout"
    )
