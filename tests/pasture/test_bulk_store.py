"""Bulk paths of the stores give what the record-by-record paths give.

A bulk import fills the GeoPackage R-tree itself (the spec's trigger is set aside inside
the transaction); a whole-layer read leaves out the fields no record fills and decodes
the geometries beside the attribute fetch, and a large GeoPackage layer is read whole by
GDAL in the reader process. Both stores, real files and databases.
"""

from __future__ import annotations

import gc
import math
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from pasture import open_store
from pasture.errors import AlreadyExists, InvalidInput
from pasture.model import layer
from pasture.store import Store
from pasture.store.gpkg import GeoPackageStore
from pasture.store.reader import READER
from pasture.store.validation import PARALLEL_CHECK_ROWS
from tests.pasture import factories
from tests.pasture.factories import X0, Y0

SIDE = 12  # 144 plots: above the row count from which the R-tree is filled in bulk


def grid(side: int = SIDE, prefix: str = "g", row0: int = 0) -> gpd.GeoDataFrame:
    """side × side touching plots in okrug A; every second one has an elevation."""
    step = 0.2 / 16
    cells = [(i, j) for j in range(row0, row0 + side) for i in range(side)]
    return gpd.GeoDataFrame(
        {
            "id": [f"{prefix}{i:02d}-{j:02d}" for i, j in cells],
            "okrug_id": "ok-a",
            "seasons": "summer",
            "pasture_type": "semi_desert",
            "elevation_m": [600.0 + i if (i + j) % 2 else None for i, j in cells],
        },
        geometry=[
            box(X0 + step * i, Y0 + step * j, X0 + step * (i + 1), Y0 + step * (j + 1))
            for i, j in cells
        ],
        crs=4326,
    )


def with_okrugs(store: Store) -> None:
    store.write("okrugs", factories.okrugs(), user="tester")


def test_whole_layer_read_equals_paged_reads(store: Store) -> None:
    with_okrugs(store)
    store.write("plots", grid(), user="tester")
    whole = store.read("plots")
    pages = pd.concat(
        [store.read("plots", limit=50, offset=start) for start in range(0, SIDE * SIDE, 50)],
        ignore_index=True,
    )
    # the whole read skipped the empty fields (name, union, tenure...); the pages did not
    assert whole["name"].isna().all() and whole["elevation_m"].notna().any()
    pd.testing.assert_frame_equal(
        pd.DataFrame(whole.drop(columns="geometry")), pd.DataFrame(pages.drop(columns="geometry"))
    )
    assert all(a.equals_exact(b, 0.0) for a, b in zip(whole.geometry, pages.geometry, strict=True))
    box_read = store.read("plots", bbox=(X0, Y0, X0 + 0.03, Y0 + 0.03))
    assert set(box_read["id"]) == set(
        whole.loc[whole.intersects(box(X0, Y0, X0 + 0.03, Y0 + 0.03)), "id"]
    )


def test_a_failed_bulk_write_leaves_nothing_and_the_index_whole(store: Store) -> None:
    with_okrugs(store)
    with pytest.raises(AlreadyExists):
        # the first batch is inserted in bulk, the second clashes: all of it rolls back
        store.write_many(
            [("plots", grid(), "append"), ("plots", grid().iloc[:3], "append")], user="tester"
        )
    assert store.count("plots") == 0
    assert store.history(layer="plots").empty
    store.write("plots", grid(), user="tester")
    small = grid(side=3, prefix="s", row0=SIDE)  # a few rows: through the spec's trigger
    store.write("plots", small, user="tester")
    found = store.read("plots", bbox=(X0, Y0 + 0.151, X0 + 0.2, Y0 + 0.2))
    assert sorted(found["id"]) == sorted(small["id"])
    assert store.count("plots") == SIDE * SIDE + 9


def _rtree(path: Path) -> tuple[list[tuple[object, ...]], object, tuple[int, int]]:
    conn = sqlite3.connect(path)
    try:
        trigger = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'rtree_plots_geom_insert'"
        ).fetchone()
        index = conn.execute(
            "SELECT p.id, r.minx, r.maxx, r.miny, r.maxy FROM rtree_plots_geom r "
            "JOIN plots p ON p.fid = r.id ORDER BY p.id"
        ).fetchall()
        fids = conn.execute("SELECT count(DISTINCT fid), max(fid) FROM plots").fetchone()
    finally:
        conn.close()
    return index, trigger, fids


def test_bulk_rtree_equals_the_spec_trigger(tmp_path: Path) -> None:
    """The GeoPackage's R-tree (PostGIS indexes its own rows) filled in bulk holds what
    the spec's trigger puts there row by row, and the trigger is back afterwards."""
    plots = grid()
    bulk, by_row = tmp_path / "bulk.gpkg", tmp_path / "by_row.gpkg"
    with open_store(str(bulk)) as store:
        with_okrugs(store)
        store.write("plots", plots, user="tester")
    with open_store(str(by_row)) as store:
        with_okrugs(store)
        half = len(plots) // 2  # below the bulk row count: the trigger fills the index
        store.write("plots", plots.iloc[:half], user="tester")
        store.write("plots", plots.iloc[half:], user="tester")
    index, trigger, fids = _rtree(bulk)
    expected_index, expected_trigger, _ = _rtree(by_row)
    assert len(index) == len(plots)
    assert index == expected_index
    assert trigger == expected_trigger
    assert fids == (len(plots), len(plots))


def _reader_and_local_reads(
    path: Path, layer: str = "plots"
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """A whole-layer read through the reader process, the same in this process, and the
    reader's CPU seconds spent on the first."""
    with open_store(str(path)) as store:
        assert isinstance(store, GeoPackageStore)
        store.reader_rows = 1  # the layer is small: through the reader all the same
        before = READER.cpu_seconds
        through_reader = store.read(layer)
        spent = READER.cpu_seconds - before
        store.reader_rows = 10**9
        local = store.read(layer)
    return through_reader, local, spent


def test_reader_process_read_equals_the_in_process_read(tmp_path: Path) -> None:
    path = tmp_path / "store.gpkg"
    plots = grid()
    plots["name"] = [f"Жайлау {i}" if i % 3 else None for i in range(len(plots))]
    plots["reserved_until"] = [None if i % 2 else "2031-05-01" for i in range(len(plots))]
    with open_store(str(path)) as store:
        with_okrugs(store)
        store.write("plots", plots, user="tester")
    through_reader, local, spent = _reader_and_local_reads(path)
    assert spent > 0  # the reader answered (a refusal would have read here)
    assert len(local) == SIDE * SIDE and local["reserved_until"].notna().any()
    pd.testing.assert_frame_equal(
        pd.DataFrame(through_reader.drop(columns="geometry")),
        pd.DataFrame(local.drop(columns="geometry")),
    )
    assert through_reader.crs == local.crs
    assert all(
        a.equals_exact(b, 0.0) for a, b in zip(through_reader.geometry, local.geometry, strict=True)
    )


@pytest.mark.parametrize("layer", ["okrugs", "settlements", "unions", "plots", "herds"])
def test_reader_process_reads_every_field_type(tmp_path: Path, layer: str) -> None:
    """Optional integers (settlement population, some empty), required ones (herds)."""
    path = tmp_path / "store.gpkg"
    with open_store(str(path)) as store:
        factories.fill(store)
    through_reader, local, spent = _reader_and_local_reads(path, layer)
    assert spent > 0 and len(local) > 0
    pd.testing.assert_frame_equal(
        pd.DataFrame(through_reader.drop(columns="geometry")),
        pd.DataFrame(local.drop(columns="geometry")),
    )
    assert all(
        a.equals_exact(b, 0.0) for a, b in zip(through_reader.geometry, local.geometry, strict=True)
    )


def test_a_killed_reader_process_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "store.gpkg"
    with open_store(str(path)) as store:
        with_okrugs(store)
        store.write("plots", grid(), user="tester")
    _reader_and_local_reads(path)
    pid = READER.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    # the dead reader is found ended (a new one starts) or fails the request (read here)
    first, local, _ = _reader_and_local_reads(path)
    again, _, spent = _reader_and_local_reads(path)
    assert READER.pid not in (None, pid) and spent > 0
    pd.testing.assert_frame_equal(pd.DataFrame(first), pd.DataFrame(local))
    pd.testing.assert_frame_equal(pd.DataFrame(again), pd.DataFrame(local))


def test_a_read_inside_a_write_sees_the_write(tmp_path: Path) -> None:
    """The reader process sees committed rows only: inside a write the read stays here."""
    with open_store(str(tmp_path / "store.gpkg")) as store:
        assert isinstance(store, GeoPackageStore)
        store.reader_rows = 1
        with_okrugs(store)
        store.write("plots", grid(), user="tester")
        with pytest.raises(RuntimeError), store._transaction() as cur:
            cur.execute("DELETE FROM plots WHERE id = ?", ["g00-00"])
            assert len(store.read("plots")) == SIDE * SIDE - 1
            raise RuntimeError("roll the delete back")
        assert len(store.read("plots")) == SIDE * SIDE


def test_the_reader_reads_the_committed_state_beside_a_writer(tmp_path: Path) -> None:
    """Another connection's open write is neither seen nor disturbed by the reader."""
    path = tmp_path / "store.gpkg"
    with open_store(str(path)) as store:
        assert isinstance(store, GeoPackageStore)
        store.reader_rows = 1
        with_okrugs(store)
        store.write("plots", grid(), user="tester")
        writer = sqlite3.connect(path, isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("DELETE FROM plots WHERE id = 'g00-00'")
            before = READER.cpu_seconds
            assert len(store.read("plots")) == SIDE * SIDE
            assert READER.cpu_seconds > before  # the reader answered
            writer.execute("COMMIT")
            assert writer.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            writer.close()
        assert len(store.read("plots")) == SIDE * SIDE - 1


def _checked_beside_the_write() -> gpd.GeoDataFrame:
    """Enough plots that the store writes them while a worker thread checks them."""
    return grid(side=math.isqrt(PARALLEL_CHECK_ROWS) + 1)


def test_an_overlap_found_beside_a_bulk_write_rolls_it_back(store: Store) -> None:
    """The rows are written before the overlap check ends: its finding undoes them."""
    with_okrugs(store)
    plots = _checked_beside_the_write()
    first = plots.geometry.iloc[0]
    extra = plots.iloc[[0]].assign(id="over")
    # half over the first plot, half over its neighbour
    extra.geometry = [
        box(first.centroid.x, first.bounds[1], first.bounds[2] + 0.005, first.bounds[3])
    ]
    with pytest.raises(InvalidInput, match="overlaps plot"):
        store.write("plots", pd.concat([plots, extra], ignore_index=True), user="tester")
    assert store.count("plots") == 0
    assert store.history(layer="plots").empty


def test_a_write_failing_on_bad_records_reports_the_checks_findings(store: Store) -> None:
    """A repeated id breaks the insert itself (the unique constraint) while the checks
    run: the user is told what the checks say, as when they ran first."""
    with_okrugs(store)
    plots = _checked_beside_the_write()
    plots.loc[len(plots) - 1, "id"] = plots["id"].iloc[0]
    with pytest.raises(InvalidInput, match="is used by 2 records") as raised:
        store.write("plots", plots, user="tester", source="plots.gpkg")
    assert raised.value.source == "plots.gpkg"
    assert store.count("plots") == 0
    assert store.history(layer="plots").empty


def test_a_bulk_write_runs_without_the_cyclic_collector_and_turns_it_back_on(
    store: Store,
) -> None:
    """The collector is off while the rows go in (progress is reported from the insert)
    and on again afterwards, after a refused write too."""
    with_okrugs(store)
    assert gc.isenabled()
    seen: list[bool] = []
    store.write("plots", grid(), user="tester", progress=lambda *_: seen.append(gc.isenabled()))
    assert seen and not any(seen)
    assert gc.isenabled()
    with pytest.raises(AlreadyExists):
        store.write("plots", grid(), user="tester")
    assert gc.isenabled()


def test_a_lean_read_leaves_out_the_empty_fields_and_is_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second read through the reader leaves out the fields the first found empty;
    once one of them is filled in one record, the reader reads every field again. Each
    frame equals the in-process read."""
    answers: list[tuple[bool, set[str]]] = []
    read = READER.read

    def recorded(*args: Any, **kwargs: Any) -> Any:
        answer = read(*args, **kwargs)
        assert answer is not None
        answers.append((kwargs.get("lean") is not None, set(answer[1].column_names)))
        return answer

    monkeypatch.setattr(READER, "read", recorded)
    path = tmp_path / "store.gpkg"
    with open_store(str(path)) as store:
        assert isinstance(store, GeoPackageStore)
        with_okrugs(store)
        store.write("plots", grid(), user="tester")
        store.reader_rows = 1
        frames = [store.read("plots"), store.read("plots")]
        filled = grid().iloc[[5]].assign(cadastral_number="03-047-123")
        store.write("plots", filled, user="tester", mode="upsert")
        frames.append(store.read("plots"))
        frames.append(store.read("plots"))
        store.reader_rows = 10**9
        local = store.read("plots")
        store.write("plots", grid().iloc[[5]], user="tester", mode="upsert")  # empty again
        store.reader_rows = 1
        emptied = store.read("plots")
    every = {"id", "version", "geom", *layer("plots").field_names}
    assert [lean for lean, _ in answers] == [False, True, True, True, True]
    assert answers[0][1] == every
    assert "cadastral_number" not in answers[1][1] and "elevation_m" in answers[1][1]
    assert answers[2][1] == every  # the lean statement missed a record: all fields again
    assert "cadastral_number" in answers[3][1] and "union_id" not in answers[3][1]
    assert emptied["cadastral_number"].isna().all()
    assert local["cadastral_number"].notna().sum() == 1
    for frame in frames[:2]:
        pd.testing.assert_frame_equal(frame, frames[0])
    for frame in frames[2:]:
        pd.testing.assert_frame_equal(frame, local)
    pd.testing.assert_frame_equal(emptied, frames[0].assign(version=emptied["version"]))


def test_closing_the_store_leaves_no_wal_after_reads_through_the_reader(tmp_path: Path) -> None:
    """The reader process keeps the file it read open; closing the store has it let go
    first, so the store's connection is the last, SQLite checkpoints the WAL into the
    file, and a copy of the ``.gpkg`` alone holds the last commit."""
    path = tmp_path / "store.gpkg"
    with open_store(str(path)) as store:
        assert isinstance(store, GeoPackageStore)
        with_okrugs(store)
        store.write("plots", grid(), user="tester")
        store.reader_rows = 1
        before = READER.cpu_seconds
        store.read("plots")
        assert READER.cpu_seconds > before  # the reader answered, and keeps the file
        store.set_meta("after_read", "kept")
    assert not Path(f"{path}-wal").exists()
    copy = tmp_path / "copy.gpkg"
    copy.write_bytes(path.read_bytes())
    with sqlite3.connect(copy) as conn:
        (value,) = conn.execute("SELECT value FROM meta WHERE key = 'after_read'").fetchone()
    assert value == "kept"
