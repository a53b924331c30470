"""PostGIS backend for multi-user deployments.

psycopg 3 with a connection pool; the schema comes from the versioned SQL
migrations in ``migrations/postgis``; geometry columns are typed with SRID
4326 and validity is enforced by constraints; bulk loads use COPY.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout
from shapely.geometry.base import BaseGeometry

from ..errors import InvalidInput, StoreError, StoreUnavailable
from ..model import LAYERS, FieldType, Table
from .accounts import PostgisAccounts
from .backend import refuse_unknown_migrations
from .base import Store, read_migrations
from .validation import CensusLimits
from .values import BBox, quoted

__all__ = ["DEFAULT_CONNECT_TIMEOUT_S", "DEFAULT_STATEMENT_TIMEOUT_S", "PostgisStore"]

log = logging.getLogger("pasture.store")

# Any fixed number serialises concurrent migrations of one database.
_MIGRATION_LOCK = 7_210_947


#: Seconds to wait for a new connection, and for a pooled one (docs/deployment.md).
DEFAULT_CONNECT_TIMEOUT_S = 5.0
#: Longest statement before the server cancels it; 0 turns the limit off.
DEFAULT_STATEMENT_TIMEOUT_S = 60.0


def _connect_kwargs(connect_timeout_s: float, statement_timeout_s: float) -> dict[str, Any]:
    """libpq connection options: the connect timeout and the server-side statement timeout."""
    statement_ms = max(0, round(statement_timeout_s * 1000))
    return {
        "connect_timeout": max(1, round(connect_timeout_s)),
        "options": f"-c statement_timeout={statement_ms}",
    }


def _driver_error(exc: Exception) -> Exception:
    """The domain error a psycopg or pool error becomes: never a bare driver error.

    Bad data the checks let through (a constraint, a value PostgreSQL refuses) is
    InvalidInput; a cancelled statement, a lost connection or any other database
    failure is StoreUnavailable, which the API answers with 503 and Retry-After.
    """
    if isinstance(exc, psycopg.IntegrityError | psycopg.DataError):
        # validation runs first; a constraint is the last line of defence
        detail = getattr(exc.diag, "message_primary", None) or str(exc).strip().splitlines()[0]
        return InvalidInput("database", [detail or "a database constraint refused the change"])
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return StoreUnavailable(
            "the database cancelled a query that ran past the statement timeout; "
            "try a smaller request, or ask the operator to raise PASTURE_DB_STATEMENT_TIMEOUT_S"
        )
    if not isinstance(exc, psycopg.OperationalError | PoolTimeout):
        log.error("database error: %s", exc, exc_info=exc)
    return StoreUnavailable(
        "the PostGIS database cannot be reached; try again shortly or check the server"
    )


class PostgisStore(Store):
    """A pasture store in a PostgreSQL database with PostGIS."""

    backend = "postgis"
    #: concurrent commits spread over 16 counter rows instead of queueing on one
    #: (4 writers: 0.49× the writes/s of no counter with one row; benchmarks/README.md)
    version_shards = 16
    _placeholder = "%s"
    _geom_select = "ST_AsBinary(geom)"
    _geom_insert = "ST_GeomFromWKB(%s, 4326)"
    _order_by_id = 'id COLLATE "C"'
    _text_order = ' COLLATE "C"'
    _wkb_key_first = False

    def __init__(
        self,
        url: str,
        *,
        census_limits: CensusLimits | None = None,
        pool_size: int = 8,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        statement_timeout_s: float = DEFAULT_STATEMENT_TIMEOUT_S,
    ) -> None:
        super().__init__(url, census_limits=census_limits)
        self.accounts = PostgisAccounts(self)
        _probe(url, connect_timeout_s)
        self._pool_size = pool_size
        self._timeout_s = connect_timeout_s
        self._conn_kwargs = _connect_kwargs(connect_timeout_s, statement_timeout_s)
        self._pool_lock = threading.Lock()
        self.pool = self._new_pool()
        try:
            self.pool.open(wait=True, timeout=connect_timeout_s)
        except PoolTimeout:
            self.pool.close()
            raise StoreError(
                f"cannot connect to PostgreSQL at {_safe_url(url)}; is the server running and the database created?"
            ) from None
        try:
            self._migrate()
        except BaseException:
            self.pool.close()
            raise

    def close(self) -> None:
        self.pool.close()

    # ----------------------------------------------------------------- connections
    def _new_pool(self) -> ConnectionPool:
        # no check= callback: psycopg_pool sleeps 1 s, 2 s, 4 s... between failed checks,
        # so after a server restart a pool of 8 dead connections outlives the timeout;
        # _connection() checks on borrow and sweeps every idle connection at once instead
        return ConnectionPool(
            self.url,
            min_size=1,
            max_size=self._pool_size,
            timeout=self._timeout_s,
            open=False,
            kwargs=self._conn_kwargs,
        )

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection that answered a round trip just now (check on borrow).

        A dead connection (server restarted, pg_terminate_backend, a proxy's idle
        timeout) usually means every idle one is dead: the pool then checks them all at
        once and hands out a fresh connection, so the request that finds them pays one
        reconnect, not a back-off per dead connection.
        """
        pool, conn = self._borrow(self.pool)
        try:
            ConnectionPool.check_connection(conn)
        except psycopg.Error:
            pool.putconn(conn)  # broken: the pool discards and replaces it
            pool.check()
            pool, conn = self._borrow(pool)
        try:
            yield conn
        finally:
            pool.putconn(conn)

    def _borrow(self, pool: ConnectionPool) -> tuple[ConnectionPool, psycopg.Connection[Any]]:
        """A connection from ``pool``; after an outage, from a pool that is not backing off.

        While the server refused connections the pool's reconnect attempts backed off
        (1 s, 2 s, 4 s ... up to minutes), so once the server is back the pool could keep
        answering "timeout" long after a plain connect would succeed. When the pool times
        out and a direct connect works, the stuck pool is replaced by a fresh one.
        """
        try:
            return pool, pool.getconn()
        except PoolTimeout:
            fresh = self._replace_stuck_pool(pool)
            if fresh is None:
                raise
            return fresh, fresh.getconn()

    def _replace_stuck_pool(self, stuck: ConnectionPool) -> ConnectionPool | None:
        """A fresh pool if the server answers a direct connect; None while it does not."""
        with self._pool_lock:
            if self.pool is not stuck:  # another request replaced it already
                return self.pool
            try:
                with psycopg.connect(self.url, **self._conn_kwargs):
                    pass
            except psycopg.Error:
                return None
            log.warning("the database answers again; replacing the pool that was backing off")
            fresh = self._new_pool()
            fresh.open(wait=False)
            self.pool = fresh
        # connections still borrowed from the old pool are closed when they come back
        stuck.close(timeout=0)
        return fresh

    def ping(self) -> None:
        """One round trip to the database; StoreUnavailable when it does not answer."""
        with self._snapshot() as cur:
            cur.execute("SELECT 1")

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        try:
            with self._connection() as conn, conn.transaction(), conn.cursor() as cur:
                yield cur
                self._bump_version(cur)
        except (psycopg.Error, PoolTimeout) as exc:
            raise _driver_error(exc) from None

    @contextmanager
    def _snapshot(self) -> Iterator[psycopg.Cursor[Any]]:
        try:
            with self._connection() as conn:
                conn.read_only = True
                conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                try:
                    with conn.transaction(), conn.cursor() as cur:
                        yield cur
                finally:
                    conn.read_only = False
                    conn.isolation_level = None
        except (psycopg.Error, PoolTimeout) as exc:
            raise _driver_error(exc) from None

    def _migrate(self) -> None:
        with self._transaction() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_MIGRATION_LOCK])
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cur.execute("SELECT version FROM schema_migrations")
            done = {r[0] for r in cur.fetchall()}
            refuse_unknown_migrations("postgis", done, _safe_url(self.url))
            for version, name, sql in read_migrations("postgis"):
                if version not in done:
                    cur.execute(sql.encode())
                    cur.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        [version, name],
                    )

    # ----------------------------------------------------------------- dialect
    def _encode_geoms(self, geoms: Sequence[BaseGeometry | None]) -> list[Any]:
        return list(shapely.to_wkb(np.asarray(geoms, dtype=object), byte_order=1, flavor="iso"))

    def _decode_geoms(self, values: Sequence[Any]) -> np.ndarray:
        return shapely.from_wkb(np.asarray(values, dtype=object))

    def _bulk_insert(
        self, cur: Any, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        if table in LAYERS and LAYERS[table].geometry_type is not None:
            # COPY takes geometry as hex EWKB text carrying its SRID
            ewkb = _hex_ewkb([r[-1] for r in rows])
            rows = [(*row[:-1], g) for row, g in zip(rows, ewkb, strict=True)]
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _insert_table(self, cur: Any, spec: Table, frame: pd.DataFrame) -> None:
        # Numbers, text and dates go to COPY as one CSV written by Arrow a column at a time
        # (floats in their shortest exact form, NULL as an empty field): COPY's rows one
        # by one from Python cost twice the zonal engine for half a million NDVI rows.
        if any(c.type not in _CSV_TYPES for c in spec.columns):
            super()._insert_table(cur, spec, frame)
            return
        import pyarrow as pa
        import pyarrow.csv

        arrays = [_arrow_column(c.type, frame[c.name]) for c in spec.columns]
        csv = pa.BufferOutputStream()
        pyarrow.csv.write_csv(
            pa.table(arrays, names=spec.column_names),
            csv,
            pyarrow.csv.WriteOptions(include_header=False, quoting_style="needed"),
        )
        columns = ", ".join(quoted(c) for c in spec.column_names)
        with cur.copy(f"COPY {spec.name} ({columns}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(memoryview(csv.getvalue()))

    def _bbox_filter(self, table: str, bbox: BBox) -> tuple[str, list[Any], bool]:
        cond = "geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326) AND ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))"
        return cond, [*bbox, *bbox], False

    def _extent(self, cur: Any, table: str) -> BBox | None:
        cur.execute(
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM {table}) s"
        )
        row = cur.fetchone()
        return None if row[0] is None else (row[0], row[1], row[2], row[3])

    def _lock_for_write(self, cur: Any, table: str) -> None:
        # SHARE ROW EXCLUSIVE: one writer per table at a time, readers never wait
        cur.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")

    def _json_param(self, doc: dict[str, Any] | None) -> Any:
        return None if doc is None else Jsonb(doc)

    def _json_value(self, value: Any) -> dict[str, Any] | None:
        return value

    def _time_param(self, value: datetime) -> Any:
        return value.astimezone(UTC)

    def _time_value(self, value: Any) -> datetime:
        return value.astimezone(UTC)

    def _after_history_copy(self, cur: Any) -> None:
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('history', 'seq'), coalesce(max(seq), 0) + 1, false) FROM history"
        )


_EWKB_SRID_FLAG = 0x20000000

_CSV_TYPES = (FieldType.REAL, FieldType.INTEGER, FieldType.TEXT, FieldType.DATE)


def _arrow_column(kind: FieldType, values: pd.Series) -> Any:
    """A normalised column as an Arrow array for COPY's CSV: NaN and None become null."""
    import pyarrow as pa

    if kind is FieldType.REAL:
        numbers = pd.to_numeric(values).to_numpy(dtype="float64", na_value=np.nan)
        return pa.array(numbers, from_pandas=True)
    if kind is FieldType.INTEGER:
        return pa.array(values.to_numpy(dtype=object, na_value=None), type=pa.int64())
    return pa.array(values.to_numpy(dtype=object, na_value=None), type=pa.string())


_SRID_4326 = (4326).to_bytes(4, "little")


def _hex_ewkb(wkb: Sequence[bytes | None]) -> list[str | None]:
    """Hex EWKB with SRID 4326 of little-endian 2D ISO WKB, by splicing the SRID into
    the header (no decode and re-encode); anything else goes through shapely."""
    out: list[str | None] = []
    for blob in wkb:
        kind = (
            int.from_bytes(blob[1:5], "little") if blob is not None and blob[:1] == b"\x01" else -1
        )
        if 0 < kind < 1000:
            header = b"\x01" + (kind | _EWKB_SRID_FLAG).to_bytes(4, "little") + _SRID_4326
            out.append((header + blob[5:]).hex().upper())  # type: ignore[index]
        else:
            geom = None if blob is None else shapely.set_srid(shapely.from_wkb(blob), 4326)
            out.append(None if geom is None else shapely.to_wkb(geom, hex=True, include_srid=True))
    return out


def _probe(url: str, timeout_s: float) -> None:
    """Connect once before the pool: a wrong database or an unreachable server is one clear
    message at once, not the pool's retries logged over its whole timeout."""
    try:
        with psycopg.connect(url, connect_timeout=max(1, round(timeout_s))):
            pass
    except psycopg.OperationalError as exc:
        # libpq: 'connection to server at "h", port p failed: FATAL:  database "x" does
        # not exist' or '... failed: Connection refused' and a hint on the next line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        reason = first.rsplit("failed:", 1)[-1].replace("FATAL:", "").strip() or "no answer"
        raise StoreError(
            f"cannot connect to PostgreSQL at {_safe_url(url)}: {reason}; "
            "is the server running and the database created (createdb NAME)?"
        ) from None


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    host = info.get("host", "localhost")
    return f"{host}:{info.get('port', 5432)}/{info.get('dbname', '')}"
