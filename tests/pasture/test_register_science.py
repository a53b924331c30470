"""Registers in, capacity and load out: issue 19's outcome through the `pasture` command.

A cadastre-like zipped Shapefile with Russian column names (through a mapping file), a
geobotanical survey and an XLSX animal register are imported into a filled store of
each backend with ``pasture import``; ``pasture capacity`` and ``pasture load`` run
before and after. Every expected change is computed from the imported files' own
numbers (yields, heads) and the species table, not from figures measured on a run.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely.geometry import Polygon, box

from grazing_models.biomass import yield_cha_to_kg_dm_ha
from grazing_models.capacity import DEFAULT_UTILISATION
from grazing_models.livestock import default_species_table
from pasture import science as pasture_science
from pasture.cli import main
from pasture.model import SPECIES
from pasture.science.forage_basis import ForageBasis
from pasture.store import Store
from tests.pasture import factories
from tests.pasture.factories import X0, Y0
from tests.pasture.science.test_calibration import _synthetic
from tests.pasture.test_register_import import CADASTRE_MAPPING, _cadastre_zip

YEAR = 2024
BASIS = "air_dry"
#: The survey's yields (c/ha, air-dry): p0 gets a new spring and a first winter yield,
#: the cadastre's summer plot its first summer yield.
P0_SPRING, P0_WINTER, NEW_SUMMER = 8.0, 3.0, 6.0
NEW_PLOT = "03-044-123-001"
#: The register: rows per animal or per household and species (Kazakh and Russian names).
REGISTER = pd.DataFrame(
    {
        "Шаруашылық": ["hh1", "hh1", "hh1", "hh1", "hh-new"],
        "Бірлестік": ["u-a", "u-a", "u-a", "u-a", "u-a"],
        "Күні": ["2025-06-01"] * 5,
        "Түлік": ["қой", "Қой", "жылқы", "Овцы", "түйе"],
        "Басы": [1, 1, 1, 40, 3],
    }
)
REGISTER_SPECIES = {"қой": "sheep", "овцы": "sheep", "жылқы": "horses", "түйе": "camels"}


@pytest.fixture
def district(store: Store) -> Store:
    """The factory store with a forage basis and one plot's (p1, summer) NDVI of the year."""
    factories.fill(store)
    plots, ndvi = _synthetic()
    calibration = pasture_science.calibrate_biomass_models(plots, ndvi, yield_basis=BASIS)
    pasture_science.save_forage_basis(
        store, ForageBasis(calibration=calibration, yield_basis=BASIS, calibrated_by="t")
    )
    times = pd.date_range(f"{YEAR}-03-01", f"{YEAR}-11-30", freq="16D")
    store.replace_rows(
        "ndvi_stats",
        pd.DataFrame({"plot_id": "p1", "time": times.date, "mean": 0.5, "valid_fraction": 1.0}),
    )
    return store


def _run(store: Store, *args: str) -> None:
    result = CliRunner().invoke(main, [*args, "--store", store.url], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def _science(store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``pasture capacity`` and ``pasture load`` as a user runs them; the stored rows."""
    _run(store, "capacity", "--year", str(YEAR))
    _run(store, "load", "--year", str(YEAR), "--level", "plot")
    capacity = store.read_rows("capacity", where={"year": YEAR})
    load = store.read_rows("load", where={"year": YEAR})
    return capacity.set_index(["plot_id", "season"]), load


def _imports(store: Store, tmp_path: Path) -> None:
    (tmp_path / "cadastre.yaml").write_text(CADASTRE_MAPPING, encoding="utf-8")
    _run(
        store,
        "import",
        "plots",
        str(_cadastre_zip(tmp_path)),
        "--map-file",
        str(tmp_path / "cadastre.yaml"),
    )
    survey = gpd.GeoDataFrame(
        {
            "ВеснУр": [P0_SPRING, None],
            "ЗимУр": [P0_WINTER, None],
            "ЛетУр": [None, NEW_SUMMER],
        },
        # each contour inside its plot: the area-weighted yield is the contour's
        geometry=[
            box(X0 + 0.005, Y0 + 0.005, X0 + 0.035, Y0 + 0.035),
            _inset(store, NEW_PLOT),
        ],
        crs=4326,
    )
    pyogrio.write_dataframe(survey, tmp_path / "survey.gpkg", layer="contours")
    _run(
        store,
        "import",
        "plots",
        str(tmp_path / "survey.gpkg"),
        "--geobotany",
        "--map",
        "yield_spring_cha=ВеснУр,yield_winter_cha=ЗимУр,yield_summer_cha=ЛетУр",
    )
    REGISTER.to_excel(tmp_path / "мал тізілімі.xlsx", index=False)
    _run(
        store,
        "import",
        "census",
        str(tmp_path / "мал тізілімі.xlsx"),
        "--register",
        "--map",
        "household_id=Шаруашылық,union_id=Бірлестік,date=Күні,species=Түлік,head=Басы",
    )


def _inset(store: Store, plot_id: str) -> Polygon:
    x0, y0, x1, y1 = store.get("plots", plot_id).geometry.bounds
    return box(x0 + 0.001, y0 + 0.001, x1 - 0.001, y1 - 0.001)


def _forage_kg(yield_cha: float, area_ha: float) -> float:
    """docs/domain.md: forage = yield (kg DM/ha on the basis) × area × utilisation."""
    kg_ha = float(yield_cha_to_kg_dm_ha(yield_cha, basis=BASIS))
    return kg_ha * area_ha * DEFAULT_UTILISATION


def _union_heads_change() -> pd.Series:
    """Heads the register adds to union u-a: its households' new latest census less hh1's old."""
    rows = REGISTER.assign(species=REGISTER["Түлік"].str.lower().map(REGISTER_SPECIES))
    added = rows.groupby("species")["Басы"].sum().reindex(list(SPECIES), fill_value=0)
    _, old = factories.census()
    replaced = old.loc[old["household_id"] == "hh1", list(SPECIES)].iloc[0]
    return (added - replaced).astype(float)


def test_imported_registers_change_capacity_and_load_by_what_they_hold(
    district: Store, tmp_path: Path
) -> None:
    capacity_before, load_before = _science(district)
    _imports(district, tmp_path)
    capacity, load = _science(district)

    # capacity: p0's spring forage scales with its new yield, its winter and the new
    # plot's summer forage appear where no yield was before
    area_p0 = capacity.at[("p0", "spring"), "area_ha"]
    old_spring = capacity_before.at[("p0", "spring"), "forage_central_kg"]
    assert old_spring == pytest.approx(_forage_kg(5.5, area_p0), rel=1e-9)
    assert capacity.at[("p0", "spring"), "forage_central_kg"] == pytest.approx(
        old_spring * P0_SPRING / 5.5, rel=1e-9
    )
    assert pd.isna(capacity_before.at[("p0", "winter"), "forage_central_kg"])
    assert capacity.at[("p0", "winter"), "forage_central_kg"] == pytest.approx(
        _forage_kg(P0_WINTER, area_p0), rel=1e-9
    )
    assert NEW_PLOT not in capacity_before.index.get_level_values("plot_id")
    new = capacity.loc[(NEW_PLOT, "summer")]
    assert new["source"] == "yield"
    assert new["forage_central_kg"] == pytest.approx(
        _forage_kg(NEW_SUMMER, new["area_ha"]), rel=1e-9
    )
    # p1 (NDVI) is untouched by the survey
    assert capacity.at[("p1", "summer"), "forage_central_kg"] == pytest.approx(
        capacity_before.at[("p1", "summer"), "forage_central_kg"], rel=1e-12
    )

    # load: without a plan the union's census grazes its plots of the season; in spring
    # that is p0 alone, so p0 carries the register's extra heads × spring intake × days
    intake = default_species_table().intake("spring").reindex(list(SPECIES))
    days = capacity.at[("p0", "spring"), "days"]
    extra_kg = float((_union_heads_change() * intake).sum() * days)
    assert extra_kg != 0  # the register does change the union's livestock
    before = _row(load_before, "plot", "p0", "spring")
    after = _row(load, "plot", "p0", "spring")
    assert after["demand_kg"] - before["demand_kg"] == pytest.approx(extra_kg, rel=1e-9)
    union_before = _row(load_before, "union", "u-a", "spring")
    union_after = _row(load, "union", "u-a", "spring")
    assert union_after["demand_kg"] - union_before["demand_kg"] == pytest.approx(extra_kg, rel=1e-9)
    # the ratio moves by the demand's change over the forage's change
    expected = (
        before["stocking_ratio_central"]
        * (after["demand_kg"] / before["demand_kg"])
        / (P0_SPRING / 5.5)
    )
    assert after["stocking_ratio_central"] == pytest.approx(expected, rel=1e-9)


def _row(load: pd.DataFrame, level: str, group: str, season: str) -> pd.Series:
    rows = load[(load["level"] == level) & (load["group_id"] == group) & (load["season"] == season)]
    assert len(rows) == 1, rows
    return rows.iloc[0]
