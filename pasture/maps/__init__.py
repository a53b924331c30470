"""Map builders shared by the API pages and the notebooks (folium / Leaflet).

Builders take plain frames and keyword options and return a ``folium.Map``;
``m.get_root().render()`` gives the page HTML, ``m.save(path)`` writes it, and
a notebook shows it inline. See :mod:`pasture.maps.page` for how Leaflet is
loaded (CDN, inline for offline files, or served locally).

folium is imported here, not in :mod:`pasture`: ``import pasture`` stays light
and only code that draws maps needs folium (STYLE.md, pattern 10).
"""

from __future__ import annotations

try:
    import folium  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("pasture.maps needs folium: pip install 'folium>=0.20'") from exc

from .chart import ChartFormat, grazing_chart
from .display import display_tolerance, feature_collection, fit_zoom, simplify_for_display
from .layers import ShadeBy
from .overview import overview_map, union_map
from .page import LEAFLET_VERSION, Assets, leaflet_asset_dir
from .rotation import rotation_map

__all__ = [
    "LEAFLET_VERSION",
    "Assets",
    "ChartFormat",
    "ShadeBy",
    "display_tolerance",
    "feature_collection",
    "fit_zoom",
    "grazing_chart",
    "leaflet_asset_dir",
    "overview_map",
    "rotation_map",
    "simplify_for_display",
    "union_map",
]
