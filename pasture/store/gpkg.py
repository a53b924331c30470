"""The embedded default: one GeoPackage file that QGIS and GDAL open directly.

Written through SQLite in WAL mode: a write is one transaction (a failed or
killed write leaves the file as it was) and readers keep reading the last
committed state while a writer works.

Every access in this process goes through Python's SQLite library, never GDAL's: two SQLite
libraries in one process do not see each other's POSIX locks, so GDAL closing
its connection would checkpoint and delete the WAL our connection still
writes to (a lost write; tests/pasture/test_planning.py reproduces it). Large whole-layer
reads use GDAL in a process of its own (:mod:`pasture.store.reader`), where the locks
between processes hold. Geometry columns are registered in
``gpkg_contents`` / ``gpkg_geometry_columns`` with EPSG:4326 and indexed by
the GeoPackage R-tree extension, maintained by the spec's own triggers.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from ..errors import StoreError
from ..geometry import GPKG_WKB_SQL, decode_gpkg, encode_gpkg, encode_gpkg_envelopes, gpkg_envelope
from ..model import LAYERS, TABLES, FieldType, Layer, Table
from ..model import layer as layer_named
from ..progress import Progress
from .accounts import COLUMNS as ACCOUNT_COLUMNS
from .accounts import SqliteAccounts, new_token_version
from .backend import refuse_unknown_migrations
from .base import Store, read_migrations
from .gpkg_slice import SurveyedSlice, holds_every_row
from .reader import READER, empty_fields, lean_layer_sql, whole_layer_sql
from .rtree import fill_empty_rtree
from .sqlite import immediate_transaction
from .sqlite_rows import insert_columns, insert_rows
from .tables import PendingSlice
from .validation import CensusLimits
from .values import BATCH, BBox, quoted

__all__ = ["GeoPackageStore", "default_accounts_path"]

# GeoPackage 1.4: application_id "GPKG" and user_version 10400 (clause 1.1.1.1.1).
_APPLICATION_ID = 0x47504B47
_USER_VERSION = 10400

_WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)

# The core tables every GeoPackage has (GeoPackage 1.4, clauses 1.1.2, 1.1.3, 2.1.5, 2.3).
_CORE = f"""
CREATE TABLE gpkg_spatial_ref_sys (
    srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
    organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
INSERT INTO gpkg_spatial_ref_sys VALUES
    ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
    ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
    ('WGS 84 geodetic', 4326, 'EPSG', 4326, '{_WGS84_WKT}', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
CREATE TABLE gpkg_contents (
    table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
    description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
    CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
    table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
    srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
    CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
    CONSTRAINT uk_gc_table_name UNIQUE (table_name),
    CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
    CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (
    table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
    scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
"""

# GeoPackage 1.4 annex F.3: the R-tree spatial index and the triggers that keep it current.
_RTREE_INSERT = """CREATE TRIGGER rtree_{t}_geom_insert AFTER INSERT ON {t}
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_{t}_geom VALUES (
    NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
"""
_RTREE = (
    """
CREATE VIRTUAL TABLE rtree_{t}_geom USING rtree(id, minx, maxx, miny, maxy);
"""
    + _RTREE_INSERT
    + """CREATE TRIGGER rtree_{t}_geom_update1 AFTER UPDATE OF geom ON {t}
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_{t}_geom VALUES (
    NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_{t}_geom_update2 AFTER UPDATE OF geom ON {t}
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_{t}_geom WHERE id = OLD.fid;
END;
CREATE TRIGGER rtree_{t}_geom_update3 AFTER UPDATE ON {t}
WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_{t}_geom WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_{t}_geom VALUES (
    NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_{t}_geom_update4 AFTER UPDATE ON {t}
WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_{t}_geom WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER rtree_{t}_geom_delete AFTER DELETE ON {t}
WHEN old.geom NOT NULL
BEGIN
  DELETE FROM rtree_{t}_geom WHERE id = OLD.fid;
END;
INSERT INTO gpkg_extensions VALUES (
  '{t}', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
"""
)

#: Page cache per connection, KiB: a 20,000-plot import writes ~40 MB of pages.
_CACHE_KIB = 65_536

#: From this many rows on, a layer insert fills the R-tree itself (see _insert_indexed).
_BULK_RTREE_ROWS = 100

#: From this many rows on, an insert puts many rows in each statement (sqlite_rows).
_MULTI_ROW_ROWS = 100

# Attribute tables QGIS should list beside the feature layers.
_ATTRIBUTE_TABLES = ("households", "census", "history", "meta", *TABLES)


def _envelope_part(index: int) -> Any:
    def part(blob: bytes | None) -> float | None:
        env = gpkg_envelope(blob)
        return None if env is None else env[index]

    return part


def _is_empty(blob: bytes | None) -> int | None:
    return None if blob is None else int(gpkg_envelope(blob) is None)


def _register_functions(conn: sqlite3.Connection) -> None:
    # The R-tree triggers of the GeoPackage spec call these SQL functions; GDAL
    # defines them in its own connections, so we define them in ours.
    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(name, 1, _envelope_part(i), deterministic=True)
    conn.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)


class GeoPackageStore(Store):
    """A pasture store in one GeoPackage file (created when missing)."""

    backend = "geopackage"
    # SQLite takes the header off in C: a whole-layer read slices no blob in Python
    _geom_select = GPKG_WKB_SQL.format(c="geom")

    def __init__(
        self,
        path: str | Path,
        *,
        census_limits: CensusLimits | None = None,
        busy_timeout_s: float = 30.0,
        accounts: str | Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.accounts = SqliteAccounts(accounts or default_accounts_path(self.path))
        super().__init__(str(self.path), census_limits=census_limits)
        self._timeout = busy_timeout_s
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        #: per layer, the fields the last read through the reader found empty everywhere
        self._empty_fields: dict[str, frozenset[str]] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and self.path.stat().st_size > 0:
            self._check_is_pasture_store()
        try:
            self._migrate()
        except BaseException:
            self.close()  # a refused store leaves no connection open
            raise
        self._move_accounts_out()

    # ----------------------------------------------------------------- connections
    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(
                    self.path, isolation_level=None, timeout=self._timeout, check_same_thread=False
                )
                conn.execute("PRAGMA journal_mode = WAL")
                # a bulk import's pages stay in memory until commit instead of spilling
                # to the WAL mid-transaction (pages are allocated only as used)
                conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path} cannot be opened as a GeoPackage: {exc}") from None
            conn.execute("PRAGMA foreign_keys = ON")
            _register_functions(conn)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def close(self) -> None:
        # the reader process first: the store's connections are then the file's last
        READER.release(str(self.path.resolve()))
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        with immediate_transaction(
            self._connect(), source="database", refused="a database constraint refused the change"
        ) as cur:
            yield cur
            self._bump_version(cur)

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Cursor]:
        conn = self._connect()
        if conn.in_transaction:  # a read inside our own write sees the write
            yield conn.cursor()
            return
        conn.execute("BEGIN")
        cur = conn.cursor()
        try:
            yield cur
        finally:
            cur.close()
            conn.execute("COMMIT")

    # ----------------------------------------------------------------- schema
    def _check_is_pasture_store(self) -> None:
        try:
            conn = sqlite3.connect(self.path)
            try:
                names = {
                    r[0]
                    for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                }
            finally:
                conn.close()
        except sqlite3.DatabaseError:
            raise StoreError(f"{self.path} is not a GeoPackage (not an SQLite database)") from None
        if "schema_migrations" not in names:
            raise StoreError(
                f"{self.path} is a GeoPackage but not a pasture store; "
                "create a new store and load its layers with `pasture import`"
            )

    def _pending_migrations(self, conn: sqlite3.Connection) -> bool:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "schema_migrations" not in tables:
            return True
        done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
        refuse_unknown_migrations("gpkg", done, str(self.path))
        return any(version not in done for version, _, _ in read_migrations("gpkg"))

    def _migrate(self) -> None:
        conn = self._connect()
        # a plain read first: opening an up-to-date store must not wait for a writer
        if not self._pending_migrations(conn):
            return
        # SQLite's table rebuild (create, copy, drop, rename: 0004) needs foreign keys off,
        # which only takes effect outside a transaction; they are checked before commit
        conn.execute("PRAGMA foreign_keys = OFF")
        try:
            self._migrate_in(conn)
        finally:
            conn.execute("PRAGMA foreign_keys = ON")
        # GDAL reads the header (application_id, user_version) from the file
        # itself: move it out of the WAL now
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _migrate_in(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if "schema_migrations" not in tables:
                conn.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {_USER_VERSION}")
                _run_script(conn, _CORE)
            done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            for version, name, sql in read_migrations("gpkg"):
                if version in done:
                    continue
                _run_script(conn, sql)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    (version, name, datetime.now(UTC).isoformat()),
                )
            self._register_tables(conn)
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise StoreError(
                    f"{self.path}: upgrading the schema would break {len(broken)} reference(s), "
                    f"e.g. in table {broken[0][0]!r}; nothing was changed"
                )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _move_accounts_out(self) -> None:
        """Move a ``users`` table of an older store into the accounts file, then drop it.

        Two transactions, one per file: the accounts file commits first, the drop
        second. Interrupted between the two, the GeoPackage keeps its table and the
        next open moves it again, skipping names the accounts file already holds.
        The dropped pages are zeroed (secure_delete) and the WAL emptied, so the
        hashes do not linger in the file's free pages.
        """
        conn = self._connect()
        if not _has_table(conn, "users"):  # a plain read: the usual case writes nothing
            return
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("BEGIN IMMEDIATE")
        try:
            if _has_table(conn, "users"):
                # the old table has no token_version: every account gets a new one
                names = ", ".join(c for c in ACCOUNT_COLUMNS if c != "token_version")
                rows = [
                    {
                        **dict(zip(ACCOUNT_COLUMNS, r, strict=False)),
                        "token_version": new_token_version(),
                    }
                    for r in conn.execute(f"SELECT {names} FROM users")
                ]
                self.accounts.load(rows, keep_existing=True)
                conn.execute("DROP TABLE users")
                conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'users'")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA secure_delete = OFF")

    def _register_tables(self, conn: sqlite3.Connection) -> None:
        registered = {r[0] for r in conn.execute("SELECT table_name FROM gpkg_contents")}
        for spec in LAYERS.values():
            if spec.name in registered or not spec.geometry_type:
                continue
            conn.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
                "VALUES (?, 'features', ?, ?, 4326)",
                (spec.name, spec.name, spec.title),
            )
            conn.execute(
                "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, 4326, 0, 0)",
                (spec.name, spec.geometry_type),
            )
            _run_script(conn, _RTREE.format(t=spec.name))
        for name in _ATTRIBUTE_TABLES:
            if name not in registered:
                conn.execute(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
                    "VALUES (?, 'attributes', ?, ?)",
                    (name, name, _title(name)),
                )

    # ----------------------------------------------------------------- reading
    #: From this many records on, a whole-layer read goes through the reader process
    #: (:mod:`pasture.store.reader`); below it, the request costs more than it saves.
    reader_rows = 5_000

    def read(
        self,
        layer: str,
        *,
        bbox: BBox | None = None,
        where: Mapping[str, Any] | None = None,
        ids: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> pd.DataFrame:
        spec = layer_named(layer)
        whole = bbox is None and not where and ids is None and limit is None and not offset
        frame = self._read_through_reader(spec) if whole and spec.geometry_type else None
        if frame is not None:
            return frame
        return super().read(layer, bbox=bbox, where=where, ids=ids, limit=limit, offset=offset)

    read.__doc__ = Store.read.__doc__

    def _read_through_reader(self, spec: Layer) -> pd.DataFrame | None:
        """A large layer, whole, read by GDAL in the reader process; None: read it here."""
        conn = self._connect()
        if conn.in_transaction:  # a read inside our own write must see the write
            return None
        (count,) = conn.execute(f"SELECT count(*) FROM {spec.name}").fetchone()
        if count < self.reader_rows:
            return None
        # the reader keeps the file open between reads: a new schema makes it open it anew
        (schema,) = conn.execute("PRAGMA schema_version").fetchone()
        order, skip = self._order_by_id, self._empty_fields.get(spec.name)
        answer = READER.read(
            str(self.path.resolve()),
            whole_layer_sql(spec, order),
            schema=schema,
            lean=lean_layer_sql(spec, order, skip) if skip else None,
            layer=spec,
        )
        if answer is None or answer.frame is None:
            return None
        self._empty_fields[spec.name] = empty_fields(spec, answer.table)  # the next read's guess
        return answer.frame

    # ----------------------------------------------------------------- dialect
    def _encode_geoms(self, geoms: Sequence[BaseGeometry | None]) -> list[Any]:
        return encode_gpkg(geoms)

    def _decode_geoms(self, values: Sequence[Any]) -> np.ndarray:
        return decode_gpkg(values)

    def _insert_rows(
        self,
        cur: Any,
        spec: Layer,
        frame: pd.DataFrame,
        *,
        progress: Progress | None = None,
        keep_version: bool = False,
    ) -> None:
        if spec.geometry_type is None or len(frame) < _BULK_RTREE_ROWS:
            super()._insert_rows(cur, spec, frame, progress=progress, keep_version=keep_version)
            return
        columns, values = self._insert_values(spec, frame, keep_version=keep_version)
        blobs, envelopes = encode_gpkg_envelopes(frame["geometry"])
        _insert_indexed(cur, spec.name, [*columns, "geom"], [*values, blobs], envelopes, progress)
        _touch(cur, spec.name)

    def _bulk_insert(
        self, cur: Any, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        if len(rows) >= _MULTI_ROW_ROWS:
            insert_rows(cur, table, columns, rows)
        elif rows:
            marks = ", ".join("?" * len(columns))
            cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        if table in LAYERS:
            _touch(cur, table)

    def _insert_columns(self, cur: Any, spec: Table, values: list[list[Any]]) -> None:
        # Many rows per INSERT, and text a block of rows shares (a plot's id, a date and
        # its scene) bound once per statement: see pasture.store.sqlite_rows.
        insert_columns(
            cur,
            spec.name,
            [quoted(c) for c in spec.column_names],
            values,
            shareable=[c.type in (FieldType.TEXT, FieldType.DATE) for c in spec.columns],
        )

    def _delete_slice(self, cur: Any, table: str, conds: list[str], params: list[Any]) -> None:
        self._delete_known_slice(
            cur, table, conds, params, whole=holds_every_row(cur, table, conds, params)
        )

    def _delete_known_slice(
        self, cur: Any, table: str, conds: list[str], params: list[Any], *, whole: bool
    ) -> None:
        # A slice that holds every row (a computation run again over all its dates) is
        # deleted without a WHERE: SQLite then drops the table's pages at once instead of
        # deleting row by row from the table and its unique index.
        if whole:
            cur.execute(f"DELETE FROM {table}")
        else:
            super()._delete_slice(cur, table, conds, params)

    @contextmanager
    def replacing(
        self, table: str, *, where: Mapping[str, Any] | None = None
    ) -> Iterator[PendingSlice]:
        # whether the slice holds every row is asked while the caller computes the rows
        slice_ = SurveyedSlice(self, table, where)
        try:
            yield slice_
        finally:
            slice_.close()

    replacing.__doc__ = Store.replacing.__doc__

    def _bbox_filter(self, table: str, bbox: BBox) -> tuple[str, list[Any], bool]:
        minx, miny, maxx, maxy = bbox
        cond = f"fid IN (SELECT id FROM rtree_{table}_geom WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)"
        # the R-tree holds envelopes: the exact intersection test follows in Python
        return cond, [maxx, minx, maxy, miny], True

    def _extent(self, cur: Any, table: str) -> BBox | None:
        # exact, from each blob's header envelope; the R-tree rounds to float32
        cur.execute(
            f"SELECT min(ST_MinX(geom)), min(ST_MinY(geom)), max(ST_MaxX(geom)), max(ST_MaxY(geom)) FROM {table}"
        )
        row = cur.fetchone()
        return None if row[0] is None else (row[0], row[1], row[2], row[3])

    def _lock_for_write(self, cur: Any, table: str) -> None:
        """BEGIN IMMEDIATE already holds the database's single write lock."""

    def _json_param(self, doc: dict[str, Any] | None) -> Any:
        return None if doc is None else json.dumps(doc, ensure_ascii=False, sort_keys=True)

    def _json_value(self, value: Any) -> dict[str, Any] | None:
        return None if value is None else json.loads(value)

    def _time_param(self, value: datetime) -> Any:
        value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"

    def _time_value(self, value: Any) -> datetime:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)

    def update_extents(self) -> None:
        """Write each layer's extent into gpkg_contents (GIS clients zoom to it)."""
        with self._transaction() as cur:
            for spec in LAYERS.values():
                if spec.geometry_type:
                    extent = self._extent(cur, spec.name)
                    if extent is not None:
                        cur.execute(
                            "UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?",
                            (*extent, spec.name),
                        )


def _touch(cur: sqlite3.Cursor, table: str) -> None:
    """Note a change of a layer in ``gpkg_contents`` (GeoPackage 1.4, 1.1.3.1.2)."""
    cur.execute(
        "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?",
        (table,),
    )


def _insert_indexed(
    cur: sqlite3.Cursor,
    table: str,
    columns: Sequence[str],
    values: list[list[Any]],
    envelopes: np.ndarray,
    progress: Progress | None,
) -> None:
    """Insert layer rows (columns of parameters, the geometry blobs last) and index them.

    The spec's insert trigger calls five Python SQL functions per row, which cost
    six times the insert itself on a bulk import; inside this transaction the
    trigger is dropped, the rows get their fids here and go in many per INSERT
    (:mod:`.sqlite_rows`), the trigger is created again and the R-tree filled from
    ``envelopes`` (minx, maxx, miny, maxy per row, NaN for an empty geometry: what the
    blobs' headers hold), built whole when it was empty. Other connections never see
    the schema without the trigger (one transaction), and a failure rolls all of it back.
    """
    cur.execute(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), "
        f"coalesce((SELECT max(fid) FROM {table}), 0))",
        (table,),
    )
    first = int(cur.fetchone()[0]) + 1
    total = len(envelopes)
    fids = list(range(first, first + total))
    cur.execute(f"DROP TRIGGER rtree_{table}_geom_insert")
    for start in range(0, total, BATCH):
        stop = min(start + BATCH, total)
        batch = [fids[start:stop], *(column[start:stop] for column in values)]
        insert_columns(cur, table, ["fid", *columns], batch)
        if progress is not None:
            progress(stop, total)
    cur.execute(_RTREE_INSERT.format(t=table))
    present = ~np.isnan(envelopes[:, 0])
    _fill_rtree(
        cur, table, np.arange(first, first + total, dtype=np.int64)[present], envelopes[present]
    )


def _fill_rtree(cur: sqlite3.Cursor, table: str, fids: np.ndarray, boxes: np.ndarray) -> None:
    """Add (fids, envelopes) to the layer's R-tree: built whole when it is empty."""
    if not fill_empty_rtree(cur, f"rtree_{table}_geom", fids, boxes):
        cur.executemany(
            f"INSERT OR REPLACE INTO rtree_{table}_geom VALUES (?, ?, ?, ?, ?)",
            [(i, *box) for i, box in zip(fids.tolist(), boxes.tolist(), strict=True)],
        )


def default_accounts_path(store: Path) -> Path:
    """``district.gpkg`` keeps its accounts in ``district.accounts.sqlite`` beside it."""
    return store.with_name(f"{store.stem}.accounts.sqlite")


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return found is not None


def _title(name: str) -> str:
    if name in LAYERS:
        return LAYERS[name].title
    return TABLES[name].title if name in TABLES else name


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT our open transaction first; run statement by statement.
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            conn.execute(buffer)
            buffer = ""
    if buffer.strip():
        raise StoreError(f"incomplete SQL statement in a migration: {buffer[:80]!r}")
