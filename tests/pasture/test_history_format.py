"""How the history is kept: an insert's geometry as WKB beside its document, read back whole.

``Store.history()`` gives every insert's ``after`` document with its ``geometry_wkb`` (hex
WKB), as it did when the whole document was kept in ``after``; entries kept that way (stores
from before the change) read as they did and are copied losslessly
(``pasture/store/history.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import shapely

import pasture
from pasture.model import LAYERS
from pasture.store import Store
from pasture.store.history import NEW_COLUMNS
from pasture.store.values import record_json
from tests.pasture import factories

#: the migration that added ``history.after_geometry``, per backend
_MIGRATION = {"geopackage": 13, "postgis": 15}


def _stored(store: Store, record_id: str) -> tuple[Any, Any]:
    """The raw ``after`` and ``after_geometry`` of a record's first history entry."""
    with store._snapshot() as cur:
        cur.execute(
            store._sql(
                "SELECT after, after_geometry FROM history WHERE record_id = ? ORDER BY seq"
            ),
            [record_id],
        )
        return cur.fetchone()


def _expected_documents(store: Store) -> dict[str, dict[str, Any]]:
    """Each stored record's document as record_json makes it, by id (every layer)."""
    docs = {}
    for spec in LAYERS.values():
        for _, row in store.read(spec.name).iterrows():
            rec = store.get(spec.name, row["id"])
            docs[rec.id] = record_json(rec.properties, rec.geometry)
    return docs


def test_an_insert_keeps_its_geometry_as_wkb_and_history_gives_the_whole_document(
    store: Store,
) -> None:
    factories.fill(store)
    expected = _expected_documents(store)
    inserts = store.history().query("action == 'insert'")
    assert len(inserts) == len(expected)
    for entry in inserts.itertuples():
        assert entry.after == expected[entry.record_id], entry.record_id
        assert entry.before is None
    # kept apart: the geometry as binary WKB, the document without it
    after, wkb = _stored(store, "p1")
    doc = store._json_value(after) if isinstance(after, str) else after
    assert "geometry_wkb" not in doc
    assert shapely.from_wkb(bytes(wkb)).equals_exact(store.get("plots", "p1").geometry, 0.0)
    # an attribute layer has no geometry to keep apart
    household = store.read("households")["id"].iat[0]
    assert _stored(store, household)[1] is None
    assert "geometry_wkb" not in expected[household]


def test_documents_read_back_in_the_backends_own_key_order(store: Store) -> None:
    """An insert's document (put back together) lists its keys as an update's (kept whole)."""
    factories.fill(store)
    store.update("plots", "p1", {"name": "Renamed"}, expected_version=1, user="akimat")
    history = store.history(layer="plots", record_id="p1")
    insert, update = history.iloc[0], history.iloc[-1]
    assert (insert.action, update.action) == ("insert", "update")
    assert list(insert.after) == list(update.before) == list(update.after)


def _old_entry(store: Store, record_id: str, doc: dict[str, Any]) -> tuple[Any, ...]:
    """A history row as stores before the change kept it: the whole document in ``after``."""
    at = store._time_param(datetime(2024, 5, 1, 6, 30, tzinfo=UTC))
    return ("plots", record_id, "insert", 1, "old", at, None, store._json_param(doc))


def test_a_store_from_before_reads_and_copies_its_history_as_before(
    store_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A store written before the column existed: migrated on opening, its entries read
    whole, and copied to the other backend with nothing lost (the geometry kept apart there,
    except a hex text that would not read back as it is)."""
    box_hex = shapely.to_wkb(shapely.box(0, 0, 1, 1), hex=True, byte_order=1, flavor="iso")
    props = {"area_ha": 1.5, "name": "Old", "seasons": None}
    docs = [{"geometry_wkb": text, "properties": props} for text in (box_hex, box_hex.lower())]
    with pasture.open_store(store_url) as store, store._transaction() as cur:
        # the schema as it was: no after_geometry column, its migration not applied
        cur.execute("ALTER TABLE history DROP COLUMN after_geometry")
        cur.execute(
            store._sql("DELETE FROM schema_migrations WHERE version = ?"),
            [_MIGRATION[store.backend]],
        )
        rows = [_old_entry(store, f"old-{i}", doc) for i, doc in enumerate(docs)]
        store._bulk_insert(cur, "history", NEW_COLUMNS[:-1], rows)
    with pasture.open_store(store_url) as store:  # migrated on opening
        assert store.history()["after"].tolist() == docs
        factories.fill(store)  # and written on in the new form
        history = store.history()
        assert history["after"].tolist()[:2] == docs
        other = (
            request.getfixturevalue("postgis_url")
            if store.backend == "geopackage"
            else str(tmp_path / "copy.gpkg")
        )
        with pasture.open_store(other) as copy:
            copy.load_copy(store)
            pd.testing.assert_frame_equal(copy.history(), history, check_exact=True)
            # the copy keeps an old insert's geometry apart; lower-case hex stays whole
            assert bytes(_stored(copy, "old-0")[1]).hex().upper() == box_hex
            assert _stored(copy, "old-1")[1] is None
            assert bytes(_stored(copy, "p1")[1]) == bytes(_stored(store, "p1")[1])
