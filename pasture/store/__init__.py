"""Stores: one interface, a GeoPackage (embedded default) and a PostGIS backend."""

from __future__ import annotations

from pathlib import Path

from ..errors import NotFound, StoreError
from ..progress import Progress
from .accounts import Accounts
from .base import Store
from .validation import CensusLimits
from .values import BBox, LayerInfo, Record, StoreInfo, WriteMode, WriteResult

__all__ = [
    "Accounts",
    "BBox",
    "CensusLimits",
    "LayerInfo",
    "Progress",
    "Record",
    "Store",
    "StoreInfo",
    "WriteMode",
    "WriteResult",
    "open_store",
]


def open_store(
    url: str | Path,
    *,
    create: bool = True,
    census_limits: CensusLimits | None = None,
    pool_size: int = 8,
    accounts: str | Path | None = None,
    connect_timeout_s: float | None = None,
    statement_timeout_s: float | None = None,
) -> Store:
    """Open (or create) a store from a URL.

    A path ending in ``.gpkg`` opens a GeoPackage, or creates it unless ``create`` is
    False (then a missing file is :class:`~pasture.errors.NotFound`: the command line
    does not turn a typo into an empty store); a ``postgresql://`` URL opens a PostGIS
    database, which must exist, and brings its schema up to date with the packaged
    migrations.

    A GeoPackage keeps its accounts in a separate SQLite file (never inside the
    ``.gpkg``, which people share): ``accounts``, else ``<name>.accounts.sqlite``
    beside the store (the server and the command line pass PASTURE_ACCOUNTS here).
    PostGIS keeps them in its database. ``connect_timeout_s`` and
    ``statement_timeout_s`` bound a PostGIS store's waits (None: the backend's defaults).
    """
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        from .postgis import PostgisStore

        timeouts = {
            "connect_timeout_s": connect_timeout_s,
            "statement_timeout_s": statement_timeout_s,
        }
        return PostgisStore(
            text,
            census_limits=census_limits,
            pool_size=pool_size,
            **{k: v for k, v in timeouts.items() if v is not None},
        )
    if text.lower().endswith(".gpkg"):
        from .gpkg import GeoPackageStore

        if not create and not Path(text).exists():
            raise NotFound(
                f"{text}: no such GeoPackage; `pasture init {text}` creates an empty store"
            )
        return GeoPackageStore(text, census_limits=census_limits, accounts=accounts)
    raise StoreError(
        f"cannot tell the store type of {text!r}: give a path ending in .gpkg "
        "or a postgresql://user@host:port/database URL"
    )
