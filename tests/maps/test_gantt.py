"""The grazing calendar as a Gantt chart: real dates, union groups, plot names, deficits, print sizes."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from PIL import Image

from pasture.maps.gantt import PAPER_INCHES, calendar_runs, grazing_gantt


def _assignments() -> pd.DataFrame:
    starts = pd.date_range("2025-05-05", periods=6, freq="7D")
    rows = []
    plan = {"h1": ["p1", "p1", "p1", "p2", "p2", "p2"], "h2": ["p3", "p3", None, "p4", "p4", "p4"]}
    for herd, plots in plan.items():
        for k, plot in enumerate(plots):
            rows.append(
                {
                    "herd_id": herd,
                    "union_id": "ua" if herd == "h1" else "ub",
                    "period": k,
                    "start": starts[k],
                    "end": starts[k] + pd.Timedelta(days=6),
                    "plot_id": plot,
                    "demand_kg": 100.0,
                    # h1 is short of forage in its fifth week
                    "eaten_kg": 60.0 if (herd, k) == ("h1", 4) else 100.0,
                }
            )
    return pd.DataFrame(rows)


def test_runs_merge_weeks_on_one_plot_and_count_deficit_weeks() -> None:
    runs = calendar_runs(_assignments())
    h1 = runs[runs["herd_id"] == "h1"]
    assert h1["plot_id"].tolist() == ["p1", "p2"] and h1["weeks"].tolist() == [3, 3]
    assert h1["deficit_weeks"].tolist() == [0, 1]
    h2 = runs[runs["herd_id"] == "h2"]
    assert h2["plot_id"].tolist() == ["p3", "", "p4"]  # the unplaced week is its own run
    assert h2["end"].iloc[-1] == pd.Timestamp("2025-06-15")


def test_svg_names_plots_unions_dates_and_marks_deficits() -> None:
    svg = grazing_gantt(
        _assignments(),
        fmt="svg",
        lang="ru",
        herd_labels={"h1": "Отара 1", "h2": "Табун 2"},
        union_names={"ua": "Акши", "ub": "Асы"},
        plot_names={"p1": "Ак-Булак", "p2": "Жайляу", "p3": "Сай", "p4": "Тау"},
        colours={"h1": "#aa0000", "h2": "#0000aa"},
    )
    assert isinstance(svg, str) and svg.lstrip().startswith("<?xml")
    for text in ("Ак-Булак", "Сай", "Тау", "Акши", "Асы", "Отара 1", "Табун 2", "1 июн."):
        assert text in svg, text
    assert "! Жайляу" in svg  # the deficit week's bar is marked
    assert "не размещено" in svg  # the week h2 could not be placed
    assert "#aa0000" in svg and "#0000aa" in svg


@pytest.mark.parametrize("paper", ["a4", "a3"])
def test_print_sizes_are_landscape_sheets(paper: str) -> None:
    width, height = PAPER_INCHES[paper]
    pdf = grazing_gantt(_assignments(), fmt="pdf", paper=paper)  # type: ignore[arg-type]
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert (
        box
        and abs(float(box.group(1)) - width * 72) < 1
        and abs(float(box.group(2)) - height * 72) < 1
    )
    png = grazing_gantt(_assignments(), fmt="png", paper=paper)  # type: ignore[arg-type]
    assert isinstance(png, bytes)
    pixels = Image.open(io.BytesIO(png)).size  # 150 dpi, to the pixel
    assert abs(pixels[0] - width * 150) <= 1 and abs(pixels[1] - height * 150) <= 1


def test_bad_format_or_paper_is_refused() -> None:
    with pytest.raises(ValueError, match="fmt must be"):
        grazing_gantt(_assignments(), fmt="gif")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="paper must be"):
        grazing_gantt(_assignments(), paper="letter")  # type: ignore[arg-type]
