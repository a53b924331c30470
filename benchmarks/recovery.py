"""Recovery benchmark: the first request after pg_terminate_backend of every connection.

    .venv/bin/python benchmarks/recovery.py [--rounds 12] [--pool 8] [--pg postgresql://...]

Each round fills the pool with ``--pool`` open connections (as after that many concurrent
requests), terminates every connection to the database, and times the next read. The
peer is psycopg_pool's own check on borrow (``check=ConnectionPool.check_connection``,
what the store used before): it sleeps 1 s, 2 s, 4 s... between dead connections, so a
full pool outlives its timeout. Both run on the same throwaway database in the same run;
the printed ratio is peer / ours (over 1: ours recovers faster).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pasture
from pasture.store.postgis import PostgisStore

TIMEOUT_S = 10.0


def terminate_all(admin: str, dbname: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [dbname],
        )


def fill(pool: ConnectionPool, n: int) -> None:
    held = [pool.getconn() for _ in range(n)]
    for conn in held:
        pool.putconn(conn)


def rounds(
    name: str, pool: ConnectionPool, read: Callable[[], None], args: argparse.Namespace, db: str
) -> list[float]:
    """Seconds to the first answer after each round's termination (inf: it failed)."""
    times = []
    for _ in range(args.rounds):
        fill(pool, args.pool)
        terminate_all(args.pg, db)
        started = time.perf_counter()
        try:
            read()
            times.append(time.perf_counter() - started)
        except (PoolTimeout, pasture.errors.StoreError, psycopg.Error):
            times.append(float("inf"))
    failed = sum(t == float("inf") for t in times)
    ok = [t for t in times if t != float("inf")]
    median = statistics.median(ok) if ok else float("nan")
    print(
        f"{name:>34}: {args.rounds - failed}/{args.rounds} rounds answered, "
        f"median {median:.3f} s, max {max(ok, default=float('nan')):.3f} s"
    )
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--pool", type=int, default=8, help="open connections when terminated")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)  # one line per dead connection
    db = f"pasture_recovery_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.pg, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
    url = psycopg.conninfo.make_conninfo(args.pg, dbname=db)
    try:
        store = PostgisStore(url, pool_size=args.pool, connect_timeout_s=TIMEOUT_S)
        peer = ConnectionPool(
            url,
            min_size=1,
            max_size=args.pool,
            timeout=TIMEOUT_S,
            check=ConnectionPool.check_connection,
        )
        peer.wait()

        def peer_read() -> None:
            with peer.connection() as conn:
                conn.execute("SELECT count(*) FROM okrugs").fetchone()

        print(f"pool of {args.pool}, timeout {TIMEOUT_S:.0f} s, {args.rounds} rounds")
        ours = rounds("ours (check + sweep)", store.pool, lambda: store.count("okrugs"), args, db)
        theirs = rounds("peer (psycopg_pool check=)", peer, peer_read, args, db)
        store.close()
        peer.close()
    finally:
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db))
            )
    peer_median, our_median = statistics.median(theirs), statistics.median(ours)
    if peer_median == float("inf"):
        print(
            f"median time to recover, peer / ours: over {TIMEOUT_S / our_median:.0f}x "
            f"(the peer gave no answer within its {TIMEOUT_S:.0f} s timeout)"
        )
    else:
        print(f"median time to recover, peer / ours: {peer_median / our_median:.1f}x")


if __name__ == "__main__":
    main()
