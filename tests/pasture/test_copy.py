"""`pasture copy`: GeoPackage → PostGIS → GeoPackage loses nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import pasture
from pasture.errors import StoreError
from pasture.model import LAYERS, TABLES
from pasture.store import Store


def _assert_same_store(a: Store, b: Store) -> None:
    for spec in LAYERS.values():
        left, right = a.read(spec.name), b.read(spec.name)
        assert len(left) == len(right) > 0, spec.name
        if spec.geometry_type:
            same = [
                g1.equals_exact(g2, 0.0)
                for g1, g2 in zip(left.geometry, right.geometry, strict=True)
            ]
            assert all(same), f"{spec.name}: {same.count(False)} geometries differ"
            left, right = (
                pd.DataFrame(left.drop(columns="geometry")),
                pd.DataFrame(right.drop(columns="geometry")),
            )
        pd.testing.assert_frame_equal(left, right, check_exact=True)
    for spec_t in TABLES.values():
        pd.testing.assert_frame_equal(
            a.read_rows(spec_t.name), b.read_rows(spec_t.name), check_exact=True
        )
    pd.testing.assert_frame_equal(a.history(), b.history(), check_exact=True)
    assert a.meta() == b.meta()


def _ndvi_rows(plot_ids: list[str]) -> pd.DataFrame:
    # a result table with a DATE key: the reader gives Timestamps, the bulk insert ISO text
    times = pd.to_datetime(["2024-05-01", "2024-05-17"])
    return pd.DataFrame(
        {
            "plot_id": [p for p in plot_ids for _ in times],
            "time": list(times) * len(plot_ids),
            "scene_id": None,
            "mean": 0.25,
            "std": 0.01,
            "count": 9.0,
            "valid_fraction": 1.0,
        }
    )


def test_copy_gpkg_to_postgis_and_back(demo_gpkg: Path, postgis_url: str, tmp_path: Path) -> None:
    source = pasture.open_store(demo_gpkg)
    # make versions and history more than inserts
    plot = source.read("plots", limit=1)
    copy_of_demo = tmp_path / "edited.gpkg"
    with pasture.open_store(copy_of_demo) as edited:
        edited.load_copy(source)
        edited.update(
            "plots", plot["id"].iat[0], {"name": "edited"}, expected_version=1, user="akimat"
        )
        edited.replace_rows("ndvi_stats", _ndvi_rows(list(source.read("plots", limit=3)["id"])))
        with pasture.open_store(postgis_url) as pg:
            pg.load_copy(edited)
            _assert_same_store(edited, pg)
            back_path = tmp_path / "back.gpkg"
            with pasture.open_store(back_path) as back:
                back.load_copy(pg)
                _assert_same_store(edited, back)
                assert back.get("plots", plot["id"].iat[0]).version == 2
            # the copied history sequence continues after the copied rows
            pg.update(
                "plots", plot["id"].iat[0], {"name": "again"}, expected_version=2, user="akimat"
            )
            assert pg.history()["seq"].is_unique


def test_copy_refuses_a_destination_with_data(demo_gpkg: Path, tmp_path: Path) -> None:
    with pasture.open_store(tmp_path / "a.gpkg") as dest:
        dest.load_copy(pasture.open_store(demo_gpkg))
        with pytest.raises(StoreError, match="is not empty"):
            dest.load_copy(pasture.open_store(demo_gpkg))
