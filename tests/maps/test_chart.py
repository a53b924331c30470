"""The grazing calendar as SVG, PNG and HTML."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from pasture.maps import grazing_chart


def test_svg_png_and_html(plan) -> None:
    assignments, _ = plan
    svg = grazing_chart(assignments, fmt="svg", lang="ru")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    png = grazing_chart(assignments, fmt="png", lang="en")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size[0] > 200
    html = grazing_chart(
        assignments, fmt="html", lang="kk", herd_names={"upu-asy-herd-01": "<b>Отар 1</b>"}
    )
    plots = assignments["plot_id"].dropna().nunique()
    assert html.split("<tbody>")[1].count("<tr>") == plots
    assert "&lt;b&gt;Отар 1" in html and "<b>Отар" not in html
    assert "Жайылу күнтізбесі" in html


def test_unknown_format(plan) -> None:
    with pytest.raises(ValueError, match="fmt"):
        grazing_chart(plan[0], fmt="pdf")  # type: ignore[call-overload]
