"""Registers whose columns are named otherwise, imported with a column mapping (pasture.io.mapping).

Each register is written for real (a zipped Shapefile with Russian column names, XLSX
and CSV with Kazakh ones) and imported into a filled store of each backend.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from pasture import io
from pasture.cli import EXIT_INVALID, main
from pasture.errors import InvalidInput
from pasture.store import Store
from tests.pasture import factories
from tests.pasture.test_io import D, X, Y, assert_unchanged, snapshot

# A cadastre's export: Russian column names, cut to the 10 bytes of a dBase field.
CADASTRE_MAPPING = """\
# field of the plots layer: column of the cadastre's Shapefile
id: КадН
name: Назв
cadastral_number: КадН
land_category: Кат
land_user: Польз
okrug_id: Окр
pasture_type: Тип
seasons: Сез
"""


@pytest.fixture
def filled(store: Store) -> Store:
    factories.fill(store)
    return store


def _cadastre_zip(tmp_path: Path) -> Path:
    frame = gpd.GeoDataFrame(
        {
            "КадН": ["03-044-123-001", "03-044-123-002"],
            "Назв": ["Ащысай", "Қызылжар"],
            "Кат": ["земли сельхозназначения", "земли запаса"],
            "Польз": ["КХ «Береке»", "акимат"],
            "Окр": ["ok-b", "ok-b"],
            "Тип": ["steppe", "steppe"],
            "Сез": ["summer", "spring,autumn"],
        },
        geometry=[box(X, Y, X + D, Y + D), box(X + D, Y, X + 2 * D, Y + D)],
        crs=4326,
    )
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "cadastre.shp", encoding="UTF-8")
    target = tmp_path / "cadastre.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, part.name)
    return target


def test_cadastre_shapefile_with_russian_columns_imports_through_a_mapping_file(
    filled: Store, tmp_path: Path
) -> None:
    mapping = io.mapping.read_mapping_file(_write(tmp_path / "cadastre.yaml", CADASTRE_MAPPING))
    report = io.import_layer(filled, "plots", _cadastre_zip(tmp_path), user="t", mapping=mapping)
    assert report.result is not None and report.result.inserted == 2
    plot = filled.get("plots", "03-044-123-001").properties
    assert plot["name"] == "Ащысай"
    assert plot["cadastral_number"] == "03-044-123-001"
    assert plot["land_category"] == "земли сельхозназначения"
    assert plot["land_user"] == "КХ «Береке»"
    assert filled.get("plots", "03-044-123-002").properties["seasons"] == "spring,autumn"


def test_water_points_from_xlsx_with_kazakh_columns_through_the_cli(
    filled: Store, tmp_path: Path
) -> None:
    register = tmp_path / "құдықтар.xlsx"
    pd.DataFrame(
        {
            "Нөмірі": ["w-10", "w-11"],
            "Атауы": ["Көкқұдық", "Сарыбұлақ"],
            "Түрі": ["well", "spring"],
            "Бойлық": [X + D / 2, X + D],
            "Ендік": [Y + D / 2, Y + D],
        }
    ).to_excel(register, index=False)
    result = CliRunner().invoke(
        main,
        [
            "import",
            "water-points",
            str(register),
            "--store",
            filled.url,
            "--map",
            "id=Нөмірі,name=Атауы,kind=Түрі,lon=Бойлық,lat=Ендік",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "2 inserted" in result.output
    well = filled.get("water_points", "w-10")
    assert well.properties["name"] == "Көкқұдық"
    assert well.geometry is not None and (well.geometry.x, well.geometry.y) == (
        X + D / 2,
        Y + D / 2,
    )


def test_a_bad_mapping_names_every_problem_and_writes_nothing(
    filled: Store, tmp_path: Path
) -> None:
    before = snapshot(filled)
    with pytest.raises(InvalidInput) as info:
        io.import_layer(
            filled,
            "plots",
            _cadastre_zip(tmp_path),
            user="t",
            mapping={"name": "Название", "colour": "Кат", "id": "КадН"},
        )
    message = str(info.value)
    assert "column 'Название' (for 'name') is not in the file" in message
    assert "'colour' is not a field of plots" in message
    assert "'КадН'" in message  # the file's columns are listed, so the fix is visible
    assert_unchanged(filled, before)


def test_bad_coordinates_are_named_by_row_and_nothing_is_written(
    filled: Store, tmp_path: Path
) -> None:
    register = _write(
        tmp_path / "wells.csv",
        "id,kind,lon,lat\nw-1,well,77.7,43.4\nw-2,well,шығыс,43.4\nw-3,well,77.7,\n",
    )
    before = snapshot(filled)
    with pytest.raises(InvalidInput) as info:
        io.import_layer(filled, "water_points", register, user="t")
    message = str(info.value)
    assert "feature row 3, field 'lon': 'шығыс' is not a number of degrees" in message
    assert "feature row 4, field 'lat'" in message
    assert_unchanged(filled, before)


def test_plots_from_a_table_are_refused_with_the_formats_that_hold_shapes(
    filled: Store, tmp_path: Path
) -> None:
    register = _write(tmp_path / "plots.csv", "id,lon,lat\np-1,77.7,43.4\n")
    with pytest.raises(InvalidInput, match="plots need shapes"):
        io.import_layer(filled, "plots", register, user="t")


def test_cli_reports_a_bad_map_pair(filled: Store, tmp_path: Path) -> None:
    register = _write(tmp_path / "wells.csv", "id,kind,lon,lat\nw-1,well,77.7,43.4\n")
    result = CliRunner().invoke(
        main, ["import", "water-points", str(register), "--store", filled.url, "--map", "name"]
    )
    assert result.exit_code == EXIT_INVALID
    assert "pair 1 'name' is not field=column" in result.output


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_xlsx_animal_register_with_kazakh_columns_is_summed_into_the_census(
    filled: Store, tmp_path: Path
) -> None:
    """One row per animal, and rows per household and species with a head count."""
    register = tmp_path / "мал тізілімі.xlsx"
    pd.DataFrame(
        {
            "Шаруашылық": ["hh1", "hh1", "hh1", "hh1", "hh-new"],
            "Бірлестік": ["u-a", "u-a", "u-a", "u-a", "u-a"],
            "Күні": ["2025-06-01"] * 5,
            "Түлік": ["қой", "Қой", "жылқы", "Овцы", "түйе"],
            "Басы": [1, 1, 1, 40, 3],
        }
    ).to_excel(register, index=False)
    mapping = {
        "household_id": "Шаруашылық",
        "union_id": "Бірлестік",
        "date": "Күні",
        "species": "Түлік",
        "head": "Басы",
    }
    report = io.register.import_animal_register(filled, register, user="t", mapping=mapping)
    assert report.result is not None and report.result.inserted == 2
    counts = filled.get("census", "hh1/2025-06-01").properties
    assert (counts["sheep"], counts["horses"], counts["camels"]) == (42, 1, 0)
    assert filled.get("census", "hh-new/2025-06-01").properties["camels"] == 3
    assert filled.get("households", "hh1").properties["name"] == "Household One"  # kept


def test_a_bad_animal_register_names_every_row_and_writes_nothing(
    filled: Store, tmp_path: Path
) -> None:
    register = _write(
        tmp_path / "register.csv",
        "household_id,union_id,date,species,head\n"
        "hh1,u-a,2025-06-01,sheep,2\n"
        "hh1,u-a,2025-06-01,yak,1\n"
        "hh1,u-a,2025-06-01,goats,1.5\n",
    )
    before = snapshot(filled)
    with pytest.raises(InvalidInput) as info:
        io.register.import_animal_register(filled, register, user="t")
    message = str(info.value)
    assert "feature row 3, field 'species': 'yak' is not a species we count" in message
    assert "feature row 4, field 'head': head 1.5 is not a whole number" in message
    assert_unchanged(filled, before)


def test_geobotanical_contours_give_plots_area_weighted_yields(
    filled: Store, tmp_path: Path
) -> None:
    """Plot p0 (0.04° square) half under a contour of 4 c/ha in summer, half under 2."""
    from tests.pasture.factories import X0, Y0

    contours = gpd.GeoDataFrame(
        {
            "ЛетУр": [4.0, 2.0],
            "Тип": ["semi_desert", "steppe"],
        },
        geometry=[
            box(X0 - 0.01, Y0, X0 + 0.02, Y0 + 0.04),
            box(X0 + 0.02, Y0, X0 + 0.03, Y0 + 0.04),
        ],
        crs=4326,
    )
    path = tmp_path / "geobotany.gpkg"
    pyogrio.write_dataframe(contours, path, layer="contours")
    before = filled.get("plots", "p1").properties
    report = io.geobotany.import_geobotany(
        filled, path, user="t", mapping={"yield_summer_cha": "ЛетУр", "pasture_type": "Тип"}
    )
    assert report.result is not None and report.result.updated == 1
    p0 = filled.get("plots", "p0").properties
    # areas of 0.02° and 0.01° of the same strip: (4 × 2 + 2 × 1) / 3
    assert p0["yield_summer_cha"] == pytest.approx(10 / 3, rel=1e-3)
    assert p0["pasture_type"] == "semi_desert"
    assert p0["yield_spring_cha"] == 5.5  # no contour gives a spring yield: kept
    assert filled.get("plots", "p1").properties == before  # no contour on it
