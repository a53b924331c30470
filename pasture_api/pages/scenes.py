"""The NDVI scene catalogue as a page: ``GET /pages/ndvi-scenes``.

The same rows as ``GET /ndvi/scenes`` (:mod:`pasture_api.scenes`), for the same accounts
(anyone signed in: scenes hold nothing personal), with each scene's provenance: where it
comes from (a STAC catalogue and collection, a file of a known sensor, or generated), the
period composited, the items used and the share of observations masked as cloud, shadow
or snow. A generated scene says so in its row, and the page says what the generated
stack is (the store's ``demo_ndvi_label``: synthetic NDVI on the demo's terrain).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from pasture.i18n import Translator

from .layout import render_page
from .session import Ctx

__all__ = ["router"]

#: The sensor :func:`pasture.ndvi.metadata.sensor_guess` gives a file tagged ``GENERATED``.
GENERATED = "generated"

router = APIRouter(include_in_schema=False)


@router.get("/pages/ndvi-scenes", response_class=HTMLResponse)
def scenes_page(ctx: Ctx) -> HTMLResponse:
    """Every scene of the catalogue by date, with its provenance; generated ones say so."""
    from pasture.ndvi import list_scenes

    rows = list_scenes(ctx.store)
    scenes = [_row(r, ctx.t) for r in rows.to_dict("records")]
    generated = int((rows["sensor"] == GENERATED).sum()) if len(rows) else 0
    return render_page(
        ctx,
        "scenes.html",
        title=ctx.t("NDVI scenes"),
        scenes=scenes,
        generated=generated,
        generated_label=ctx.store.get_meta("demo_ndvi_label") if generated else None,
        api_url="/ndvi/scenes",
    )


def _row(r: dict[str, Any], t: Translator) -> dict[str, Any]:
    items = list(r["items"]) if isinstance(r["items"], list | tuple) else []
    start, end = _day(r["period_start"]), _day(r["period_end"])
    return {
        "date": t.date(r["date"]),
        "generated": r["sensor"] == GENERATED,
        "source": _source(r, t),
        "period": f"{t.date(start)} – {t.date(end)}" if start and end else "",
        "n_items": len(items) if r["catalog"] else None,
        "item_ids": ", ".join(str(i) for i in items),
        "cloud_share": _percent(r["cloud_share"], t),
        "grid": f"{r['crs']}, {int(r['width'])} × {int(r['height'])}",
        "file": Path(str(r["path"])).name,
        "registered": f"{t.date(r['registered_at'])}, {r['registered_by']}",
    }


def _source(r: dict[str, Any], t: Translator) -> str:
    """Generated, the STAC catalogue's host and collection, or the sensor of the file."""
    if r["sensor"] == GENERATED:
        return t("generated (not satellite data)")
    if r["catalog"]:
        host = urlsplit(str(r["catalog"])).netloc or str(r["catalog"])
        return f"{r['collection'] or ''} ({t('STAC catalogue')} {host})".strip()
    return str(r["sensor"])


def _percent(share: Any, t: Translator) -> str | None:
    return None if _missing(share) else t.percent(share, digits=1)


def _day(value: Any) -> Any:
    return None if _missing(value) else value


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))
