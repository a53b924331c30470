"""The Order 3-3/332 annex as packaged, and livestock measured against it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from grazing_models.livestock import default_species_table
from grazing_models.norms import (
    ANNEX_LABEL,
    DEMO_TYPE_ROWS,
    NORM_SPECIES,
    UNUSED_WORDING,
    NormTable,
    norm_load,
    norm_status,
)


@pytest.fixture(scope="module")
def annex() -> NormTable:
    return NormTable.annex()


def test_annex_is_the_whole_table(annex: NormTable) -> None:
    assert len(annex) == 253
    assert len(annex.oblasts()) == 17
    almaty = [r for r in annex.rows if r.oblast == "Алматинская"]
    assert len(almaty) == 18
    # Almaty oblast: mountains 140-160 days, intermontane 190-200, foothills 200-210,
    # desert 210-230 (docs/domain.md)
    periods = {(r.subzone, r.days_min, r.days_max) for r in almaty}
    assert ("Горы", 140, 160) in periods
    assert ("Межгорные впадины", 190, 200) in periods
    assert ("Предгорья", 200, 210) in periods
    assert all(r.days_min >= 140 and r.days_max <= 230 for r in almaty)
    assert "verify against the official text" in annex.label == ANNEX_LABEL


def test_degraded_land_needs_more_hectares(annex: NormTable) -> None:
    for r in annex.rows:
        for s in NORM_SPECIES:
            assert r.ha_per_head(s, "degraded") >= r.ha_per_head(s, "restored"), r.key


def test_species_ratios_are_the_kazakh_sheep_units(annex: NormTable) -> None:
    """In most rows sheep : cattle : horse : camel = 1 : 5 : 6 : 7, the sheep units we count."""
    units = default_species_table().sheep_units
    agree = 0
    for r in annex.rows:
        ratios = {s: r.cattle_ratio(s) * units["cattle"] for s in NORM_SPECIES}
        if all(abs(ratios[s] - units[s]) < 0.06 for s in NORM_SPECIES):
            agree += 1
    assert agree / len(annex) > 0.85


def test_demo_pasture_types_resolve(annex: NormTable) -> None:
    rows = annex.resolve([*DEMO_TYPE_ROWS, "unknown type"], DEMO_TYPE_ROWS)
    assert all(r is not None for r in rows[:-1])
    assert rows[-1] is None
    alpine = annex.resolve(["alpine_meadow"], DEMO_TYPE_ROWS)[0]
    assert alpine is not None and alpine.subzone == "Горы"
    assert alpine.ha_per_head("cattle") == 4.0


def test_norm_load_over_the_whole_period_is_the_orders_wording(annex: NormTable) -> None:
    row = annex.row(*DEMO_TYPE_ROWS["mountain_meadow_steppe"])  # cattle 6.5 ha/head
    heads = pd.DataFrame({"cattle": [10, 10, 0, 0], "sheep": [0, 0, 50, 0]})
    load = norm_load(
        heads,
        days_grazed=[row.days(), row.days() / 2, row.days(), 30],
        area_ha=[65.0, 65.0, 65.0, 65.0],
        rows=[row] * 4,
    )
    # 10 cattle x 6.5 ha on 65 ha for the whole period: exactly the norm
    assert load[0] == pytest.approx(1.0)
    # the same herd for half the period uses half the norm
    assert load[1] == pytest.approx(0.5)
    # 50 sheep x 1.3 ha = 65 ha: the same as 10 cattle (the row's own ratio 0.2)
    assert load[2] == pytest.approx(1.0)
    assert load[3] == 0.0


def test_norm_load_degraded_and_missing(annex: NormTable) -> None:
    row = annex.row(*DEMO_TYPE_ROWS["semi_desert"])
    heads = pd.DataFrame({"cattle": [1.0, 1.0, 1.0]})
    load = norm_load(
        heads,
        days_grazed=[row.days()] * 3,
        area_ha=[100.0, 100.0, 0.0],
        rows=[row, row, row],
        condition=["restored", "degraded", "restored"],
    )
    assert load[0] == pytest.approx(row.ha_per_head("cattle", "restored") / 100)
    assert load[1] == pytest.approx(row.ha_per_head("cattle", "degraded") / 100)
    assert np.isnan(load[2])
    assert np.isnan(norm_load(heads.iloc[:1], days_grazed=[10], area_ha=[5], rows=[None])[0])


def test_norm_status_follows_the_law() -> None:
    status = norm_status([0.0, 0.49, 0.5, 1.0, 1.01, float("nan")])
    assert list(status) == [
        "unused",
        "unused",
        "within the norm",
        "within the norm",
        "over the norm",
        "no norm",
    ]
    assert "менее пятидесяти процентов" in UNUSED_WORDING


def test_a_district_table_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "norms.csv"
    path.write_text("oblast,natural_zone,subzone,pasture_type\nA,B,C,D\n", encoding="utf-8")
    with pytest.raises(ValueError, match="lacks column"):
        NormTable.from_csv(path)
    header = (
        (Path(__file__).parents[2] / "grazing_models/data/order_3_3_332_annex.csv")
        .read_text(encoding="utf-8")
        .splitlines()[0]
    )
    path.write_text(header + "\nA,B,C,D,140-160,0,1,1,1,1,1,1,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="positive"):
        NormTable.from_csv(path)
    path.write_text(header + "\nA,B,C,D,140-160,5,7,1,1.4,6,8.4,7,9.8\n", encoding="utf-8")
    table = NormTable.from_csv(path, label="district norms 2026")
    assert table.row("A", "B", "C", "D").days() == 150
    assert table.label == "district norms 2026"
    with pytest.raises(KeyError, match="pasture types: D"):
        table.row("A", "B", "C", "E")
