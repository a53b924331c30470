"""Vector maps in the plan's PDF: reportlab cannot draw a PDF page, so the document is
built with an empty box of the map's size where each map goes, and the map's own PDF page
(from matplotlib) is laid into that box afterwards with pypdf.

Why: the maps as PNG made the district's document about 25 MB (156 maps of 160 KB each,
ASCII85 on top of Flate) and printed at only about 120 dpi; as vectors they are sharp at
any scale and a few tens of kilobytes each, most of it the subset of the embedded font.

Every map of one document is a page of one matplotlib PDF (:class:`MapBook`), so the maps
share one embedded subset of each font: a PDF per map embedded its own (470 subsets, 3.2
of the district's 6.5 MB).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.generic import NameObject, StreamObject
from reportlab.platypus import Flowable

from .maps import DPI, pdf_fonts

__all__ = ["MapBook", "MapPage", "VectorMap", "lay_maps"]

#: Decimals of the maps' drawing operands, in points (1/72 inch): matplotlib writes six,
#: a millionth of a point; 0.01 pt (0.0035 mm, less once the map is scaled to its box)
#: is far below what a printer draws, and the content streams shrink by about a fifth.
PRINT_DECIMALS = 2
# a number with more decimals than that; never inside a text string: matplotlib writes
# the labels as UTF-16, a NUL or a letter's high byte between any two ASCII bytes
_LONG_NUMBER = re.compile(rb"(?<![\w.])(-?\d+\.\d{%d,})" % (PRINT_DECIMALS + 1))

#: Where each map goes: (page index, x, y, map).
Placement = tuple[int, float, float, "VectorMap"]


class MapBook:
    """The vector maps of one document, each a page of one PDF (fonts embedded once)."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._pdf = PdfPages(self._buffer)
        self._count = 0
        self._reader: PdfReader | None = None

    def add(self, figure: Figure) -> MapPage:
        """The figure as the book's next page."""
        if self._reader is not None:
            raise RuntimeError("the map book is closed: its pages are being laid out")
        with pdf_fonts():
            self._pdf.savefig(figure, dpi=DPI, bbox_inches="tight")
        self._count += 1
        return MapPage(self, self._count - 1)

    def page(self, index: int) -> PageObject:
        """A page of the book; the first call closes it (the fonts are written at the end)."""
        if self._reader is None:
            with pdf_fonts():
                self._pdf.close()
            self._reader = PdfReader(io.BytesIO(self._buffer.getvalue()))
            for page in self._reader.pages:
                _round_operands(page)
        return self._reader.pages[index]


def _round_operands(page: PageObject) -> None:
    """The page's numbers to :data:`PRINT_DECIMALS` (matplotlib writes one content stream)."""
    stream = page[NameObject("/Contents")].get_object()
    assert isinstance(stream, StreamObject), "matplotlib writes a page's content as one stream"
    stream.set_data(_LONG_NUMBER.sub(_rounded, stream.get_data()))


def _rounded(match: re.Match[bytes]) -> bytes:
    text = b"%.*f" % (PRINT_DECIMALS, float(match.group(1)))
    text = text.rstrip(b"0").rstrip(b".")
    return b"0" if text in (b"-0", b"") else text


@dataclass(frozen=True)
class MapPage:
    """One map of a :class:`MapBook`."""

    book: MapBook
    index: int

    def page(self) -> PageObject:
        return self.book.page(self.index)


class VectorMap(Flowable):
    """An empty box of a map's size that notes where on which page it was put."""

    def __init__(
        self, source: MapPage | bytes, width: float, height: float, placed: list[Placement]
    ) -> None:
        super().__init__()
        self.page: PageObject = (
            source.page() if isinstance(source, MapPage) else PdfReader(io.BytesIO(source)).pages[0]
        )
        w, h = float(self.page.mediabox.width), float(self.page.mediabox.height)
        # fit the frame both ways: a tall okrug must not overflow the page
        self.scale = min(width / w, height * 0.8 / h)
        self.width, self.height = w * self.scale, h * self.scale
        self.hAlign = "CENTER"
        self._placed = placed

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802, N803
        x = self._hAlignAdjust(x, _sW)
        self._placed.append((canvas.getPageNumber() - 1, x, y, self))

    def draw(self) -> None:
        """Nothing: the map is laid in after the build (:func:`lay_maps`)."""


def lay_maps(pdf: bytes, placed: list[Placement]) -> bytes:
    """The built document with every map's PDF page laid into its box."""
    if not placed:
        return pdf
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    changed = set()
    for index, x, y, vector in placed:
        page = writer.pages[index]
        box = vector.page.mediabox
        move = Transformation().translate(-float(box.left), -float(box.bottom))
        # under the page's own content: its box is empty, and the map's text comes first,
        # so text extraction reads an annex's heading and tables without a map in between
        page.merge_transformed_page(
            vector.page, move.scale(vector.scale).translate(x, y), over=False
        )
        changed.add(index)
    for index in changed:
        writer.pages[index].compress_content_streams()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
