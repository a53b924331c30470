"""Read what a built page holds: the data of each pasture layer."""

from __future__ import annotations

import json
import re
from typing import Any

_LAYER = re.compile(r"/\* pasture-layer: (\w+) \*/\s*var \w+_data = (.*?);\n")


def layers(html: str) -> dict[str, dict[str, Any]]:
    """The GeoJSON FeatureCollection of each pasture layer on the page, by role."""
    return {role: json.loads(data) for role, data in _LAYER.findall(html)}
