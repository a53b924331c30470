"""The GeoPackage store is a real GeoPackage, and its writes are atomic."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import pytest
import shapely

import pasture
from pasture.errors import StoreError
from pasture.model import LAYERS, TABLES
from tests.pasture import factories

REPO = Path(__file__).resolve().parents[2]

# A writer that stops inside its transaction, after its rows are inserted but
# before COMMIT, and waits there until the test kills it.
WRITER = """
import pathlib, sys, time
import pasture
from tests.pasture import factories
store = pasture.open_store(sys.argv[1])
marker = pathlib.Path(sys.argv[2])
def stop_inside(done, total):
    marker.write_text(f"{done}/{total}")
    while True:
        time.sleep(0.05)
store.write("plots", factories.plots(6), user="killed-writer", progress=stop_inside)
"""


def _wait_for(
    path: Path, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 120.0
) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"writer exited early: {log.read_text()}")
        if time.monotonic() > deadline:
            raise AssertionError("writer never reached its transaction")
        time.sleep(0.02)


def _gdal_copy(demo_gpkg: Path, tmp_path: Path) -> Path:
    """GDAL reads a copy: in one process, GDAL's SQLite must not touch a file our stores hold open."""
    copy = tmp_path / "for-gdal.gpkg"
    shutil.copy(demo_gpkg, copy)
    return copy


def test_gdal_opens_every_layer_with_its_crs(demo_gpkg: Path, tmp_path: Path) -> None:
    demo_gpkg = _gdal_copy(demo_gpkg, tmp_path)
    listed = dict(pyogrio.list_layers(demo_gpkg).tolist())
    for spec in LAYERS.values():
        assert spec.name in listed
        info = pyogrio.read_info(demo_gpkg, layer=spec.name)
        if spec.geometry_type is None:
            assert listed[spec.name] is None
            continue
        assert info["crs"] == "EPSG:4326"
        assert info["geometry_type"].upper() == spec.geometry_type
        assert info["capabilities"]["fast_spatial_filter"], "the R-tree index is not recognised"
        frame = pyogrio.read_dataframe(demo_gpkg, layer=spec.name)
        assert frame.crs.to_epsg() == 4326
        assert frame.geometry.is_valid.all() and not frame.geometry.is_empty.any()
        assert len(frame) == info["features"] > 0


def test_gdal_spatial_filter_uses_the_index_we_maintain(demo_gpkg: Path, tmp_path: Path) -> None:
    bbox = (77.9, 43.3, 78.1, 43.5)
    with pasture.open_store(demo_gpkg) as store:
        ours = store.read("plots", bbox=bbox)
    gdal = pyogrio.read_dataframe(_gdal_copy(demo_gpkg, tmp_path), layer="plots", bbox=bbox)
    # GDAL filters on envelopes, we on geometry: ours is a subset of GDAL's, and close to it
    assert set(ours["id"]) <= set(gdal["id"])
    assert len(ours) >= 0.8 * len(gdal) > 0


def test_file_is_a_geopackage_by_its_header(demo_gpkg: Path) -> None:
    with sqlite3.connect(demo_gpkg) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10400
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
    assert fk == []


def test_killed_write_leaves_the_file_as_it_was_and_readers_keep_reading(tmp_path: Path) -> None:
    path = tmp_path / "store.gpkg"
    with pasture.open_store(path) as store:
        factories.fill(store, n_plots=0)
        history_before = len(store.history())
    marker = tmp_path / "inside-transaction"
    log = tmp_path / "writer.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(marker)],
            cwd=REPO,
            stdout=sink,
            stderr=sink,
        )
    try:
        _wait_for(marker, proc, log)
        assert marker.read_text() == "6/6"  # all rows inserted, not committed
        # a reader is not blocked by the writer and sees the last committed state
        with pasture.open_store(path) as reader:
            assert reader.count("plots") == 0
            assert len(reader.read("okrugs")) == 2
    finally:
        proc.kill()
        proc.wait()
    with pasture.open_store(path) as store:
        assert store.count("plots") == 0
        assert len(store.history()) == history_before
        store.write("plots", factories.plots(2), user="after")  # the lock died with the writer
        assert store.count("plots") == 2


def test_failed_write_rolls_back(tmp_path: Path) -> None:
    with pasture.open_store(tmp_path / "s.gpkg") as store:
        factories.fill(store, n_plots=0)

        def fail(done: int, total: int) -> None:
            raise RuntimeError("disk full")

        with pytest.raises(RuntimeError, match="disk full"):
            store.write("plots", factories.plots(3), user="t", progress=fail)
        assert store.count("plots") == 0
        store.write("plots", factories.plots(3), user="t")
        assert store.count("plots") == 3


def test_refuses_files_that_are_not_pasture_stores(tmp_path: Path) -> None:
    text = tmp_path / "notes.gpkg"
    text.write_text("not a database at all, just text" * 100)
    with pytest.raises(StoreError, match="not a GeoPackage"):
        pasture.open_store(text)
    other = tmp_path / "other.gpkg"
    pyogrio.write_dataframe(factories.okrugs(), other, layer="okrugs")
    with pytest.raises(StoreError, match="not a pasture store"):
        pasture.open_store(other)
    with pytest.raises(StoreError, match="cannot tell the store type"):
        pasture.open_store(tmp_path / "store.sqlite")


def test_columns_match_the_model(tmp_path: Path) -> None:
    pasture.open_store(tmp_path / "s.gpkg").close()
    with sqlite3.connect(tmp_path / "s.gpkg") as conn:
        for spec in LAYERS.values():
            names = {r[1] for r in conn.execute(f"PRAGMA table_info({spec.name})")}
            expected = {"fid", "id", *spec.field_names, "version"} | (
                {"geom"} if spec.geometry_type else set()
            )
            assert names == expected, spec.name
        for table in TABLES.values():
            names = {r[1] for r in conn.execute(f"PRAGMA table_info({table.name})")}
            assert names == {"fid", *table.column_names}, table.name


def test_a_write_after_whole_layer_reads_survives_a_second_connection(
    demo_gpkg: Path, tmp_path: Path
) -> None:
    """Regression: whole-layer reads went through GDAL, whose own SQLite, closing, dropped the
    WAL our connection writes to. The store now never hands its file to GDAL in-process."""
    path = tmp_path / "store.gpkg"
    shutil.copy(demo_gpkg, path)
    rows = pd.DataFrame(
        {
            "plan_id": "p",
            "herd_id": [f"h{i}" for i in range(3000)],
            "union_id": "u",
            "period": 0,
            "start": "2024-04-16",
            "end": "2024-04-22",
        }
    )
    with pasture.open_store(path) as first:
        first.read("plots")
        first.read("water_points", bbox=(77.0, 43.0, 79.5, 44.0))
        first.replace_rows("assignments", rows, where={"plan_id": "p"})
        with pasture.open_store(path) as second:
            assert len(second.read_rows("assignments")) == 3000


def _store_at_version_3(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store as version 3 of the schema made it, with a union, households and census."""
    import pasture.store.base as base
    import pasture.store.gpkg as gpkg
    from pasture.store.values import record_json_texts

    def whole_documents(spec: Any, inserts: pd.DataFrame, user: str, at: Any) -> list[Any]:
        # the history as version 3 wrote it: the geometry inside the document
        docs = record_json_texts(spec.field_names, inserts, geometry=True)
        return [
            (spec.name, i, "insert", 1, user, at, None, d)
            for i, d in zip(inserts["id"], docs, strict=True)
        ]

    old_migrations = [m for m in gpkg.read_migrations("gpkg") if m[0] <= 3]
    old_layers = {k: v for k, v in LAYERS.items() if k != "settlements"}
    with monkeypatch.context() as patch:
        patch.setattr(gpkg, "read_migrations", lambda _dialect: old_migrations)
        patch.setattr(gpkg, "LAYERS", old_layers)
        patch.setattr(base, "insert_rows", whole_documents)
        patch.setattr(base, "NEW_COLUMNS", base.NEW_COLUMNS[:-1])
        store = gpkg.GeoPackageStore(path)
        store.write_many(
            [("okrugs", factories.okrugs(), "append"), ("unions", factories.unions(), "append")],
            user="v3",
        )
        conn = store._connect()
        conn.executemany(
            "INSERT INTO households (id, name, union_id, source, version) VALUES (?, ?, ?, ?, ?)",
            [
                ("hh1", "Household One", "u-a", "v3 file", 2),
                ("hh2", "Household Two", "u-a", None, 1),
            ],
        )
        conn.execute(
            "INSERT INTO census (id, household_id, union_id, date, sheep, goats, cattle, horses, "
            "camels, source, version) VALUES ('hh1/2025-01-01', 'hh1', 'u-a', '2025-01-01', "
            "40, 5, 3, 1, 0, 'v3 file', 3)"
        )
        store.close()


def test_a_version_3_store_upgrades_with_its_data_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.gpkg"
    _store_at_version_3(path, monkeypatch)
    with sqlite3.connect(path) as conn:
        assert "settlements" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    with pasture.open_store(path) as store:
        households = store.read("households")
        assert list(households["id"]) == ["hh1", "hh2"]
        assert list(households["version"]) == [2, 1]
        assert households["settlement_id"].isna().all()
        census = store.get("census", "hh1/2025-01-01")
        assert (census.version, census.properties["sheep"], census.properties["union_id"]) == (
            3,
            40,
            "u-a",
        )
        # the upgraded schema takes what version 3 refused: a household in no union
        store.write("settlements", factories.settlements(), user="t")
        store.write(
            "households",
            pd.DataFrame({"id": ["hh3"], "name": ["Three"], "settlement_id": ["s-a"]}),
            user="t",
        )
        assert store.get("households", "hh3").properties["union_id"] is None
        # the history version 3 wrote reads as it did: the geometry inside the document
        okrug = store.history(layer="okrugs").iloc[0]
        wkb = bytes.fromhex(okrug.after["geometry_wkb"])
        assert shapely.from_wkb(wkb).equals_exact(store.get("okrugs", "ok-a").geometry, 0.0)
        assert store._connect().execute("PRAGMA foreign_keys").fetchone()[0] == 1  # type: ignore[attr-defined]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        contents = dict(conn.execute("SELECT table_name, data_type FROM gpkg_contents"))
        assert contents["settlements"] == "features"
        assert contents["households"] == contents["census"] == "attributes"
        indexes = {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
        assert {"households_union_idx", "census_union_idx", "households_settlement_idx"} <= indexes
        assert conn.execute("SELECT count(*) FROM rtree_settlements_geom").fetchone()[0] == 2
        # the rebuilt tables refuse what they refused before
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(
                "INSERT INTO census (id, household_id, date, sheep, goats, cattle, horses, camels) "
                "VALUES ('x', 'hh-none', '2025-01-01', 1, 1, 1, 1, 1)"
            )
