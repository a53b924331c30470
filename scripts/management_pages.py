"""Pictures of a demo plan's pages for the README: `python scripts/management_pages.py STORE`.

Renders one okrug's plan (kk and ru) from a demo store built by `make demo`, writes the
pages that show its title, an annex map and the water scheme as PNG, and the Russian
DOCX, into docs/management/. Needs pypdfium2 (the dev extra).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pypdfium2

import pasture
from pasture import management as mp
from pasture.management.labels import TEXT

OUT = Path(__file__).resolve().parents[1] / "docs" / "management"


def main(store_url: str, okrug: str = "okrug-akshi") -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with pasture.open_store(store_url) as store:
        plan = next(p for p in mp.list_plans(store, okrug_id=okrug))
        for lang in ("kk", "ru"):
            pdf = pypdfium2.PdfDocument(io.BytesIO(mp.render_plan(store, plan["id"], lang=lang)))
            wanted = {"1": None, "4": None}
            for i in range(len(pdf)):
                text = " ".join(pdf[i].get_textpage().get_text_range().split())
                for n in wanted:
                    if wanted[n] is None and TEXT["annex"][lang].format(n=n) + "." in text:
                        wanted[n] = i
            for name, index in (("title", 0), ("annex-1", wanted["1"]), ("annex-4", wanted["4"])):
                if index is None:
                    continue
                image = pdf[index].render(scale=0.9).to_pil()
                image.save(OUT / f"{okrug}-{lang}-{name}.png", optimize=True)
        docx = mp.render_plan(store, plan["id"], lang="ru", fmt="docx")
        (OUT / f"{okrug}-ru.docx").write_bytes(docx)


if __name__ == "__main__":
    main(*sys.argv[1:])
