"""Where the data of a map come from: the one credit line of the web maps and printed maps.

The web pages put it in the map's attribution corner (``pasture.maps.page.DataAttribution``,
filled by ``pasture_api.pages.data``); the printed plan draws it under each map
(:mod:`pasture.management.maps`), said in the document's language.
"""

from __future__ import annotations

from .store.base import Store

__all__ = ["data_attribution"]


def data_attribution(store: Store, generated_note: str) -> str:
    """The maps' credit line: the real sources the store records, and ``generated_note`` when
    the store is the generated demo.

    The district boundary's and the elevation's sources (settings ``district_boundary_source``,
    ``elevation_source``) and each okrug's and settlement's ``source`` that is not generated
    (OSM, the KATO classifier): the attribution their licences ask for (data/README.md).
    """
    parts = [store.get_meta(k) for k in ("district_boundary_source", "elevation_source")]
    for layer in ("okrugs", "settlements"):
        sources = store.read(layer)["source"].dropna().astype(str)
        parts += sorted({s for s in sources if s and not s.startswith("generated")})
    if store.get_meta("demo"):
        parts.append(generated_note)
    return "; ".join(dict.fromkeys(p for p in parts if p))
