"""What a store backend supplies: connections, transactions and the SQL pieces that differ.

SQLite/GeoPackage and PostGIS differ in geometry encoding, the bbox filter, bulk loads, JSON
and time values; everything else is written once on top of these hooks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from importlib import resources
from typing import Any

import numpy as np
from shapely.geometry.base import BaseGeometry

from ..errors import StoreError
from .values import BBox


class StoreBackend(ABC):
    """The hooks a backend implements, and the SQL placeholder translation."""

    #: SQL placeholder of the driver; base SQL is written with "?"
    _placeholder = "?"

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Any]:
        """A cursor inside a write transaction: committed on success, rolled back on error."""

    @abstractmethod
    def _snapshot(self) -> AbstractContextManager[Any]:
        """A cursor that sees one consistent state of the store."""

    @abstractmethod
    def _encode_geoms(self, geoms: Sequence[BaseGeometry | None]) -> list[Any]:
        """Geometry values as the driver binds them."""

    @abstractmethod
    def _decode_geoms(self, values: Sequence[Any]) -> np.ndarray:
        """Shapely geometries from the selected geometry column."""

    @abstractmethod
    def _bulk_insert(
        self, cur: Any, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """Insert many rows; the last column is the geometry when the table has one."""

    @abstractmethod
    def _bbox_filter(self, table: str, bbox: BBox) -> tuple[str, list[Any], bool]:
        """SQL condition and params for a bbox, and whether rows need exact refinement."""

    @abstractmethod
    def _extent(self, cur: Any, table: str) -> BBox | None:
        """Extent of a geometry table, or None when it is empty."""

    @abstractmethod
    def _lock_for_write(self, cur: Any, table: str) -> None:
        """Serialise writers of one table (readers are never blocked)."""

    @abstractmethod
    def _json_param(self, doc: dict[str, Any] | None) -> Any:
        """A JSON document as the driver binds it."""

    @abstractmethod
    def _json_value(self, value: Any) -> dict[str, Any] | None:
        """A JSON document from the driver."""

    @abstractmethod
    def _time_param(self, value: datetime) -> Any:
        """A UTC timestamp as the driver binds it."""

    @abstractmethod
    def _time_value(self, value: Any) -> datetime:
        """A UTC timestamp from the driver."""

    @abstractmethod
    def close(self) -> None:
        """Release connections and files."""

    _geom_select = "geom"
    _geom_insert = "?"
    _order_by_id = "id"

    def _sql(self, text: str) -> str:
        return text if self._placeholder == "?" else text.replace("?", self._placeholder)


def read_migrations(dialect: str) -> list[tuple[int, str, str]]:
    """(version, name, sql) of the packaged migrations of one dialect, in order."""
    folder = resources.files("pasture.store") / "migrations" / dialect
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            out.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return out


def refuse_unknown_migrations(dialect: str, applied: Iterable[int], where: str) -> None:
    """StoreError when the store's schema has migrations this code does not know.

    A newer version of pasture wrote them: this one would read and write that schema
    wrongly, so it refuses the store (the server before any worker starts, every command)
    instead of guessing.
    """
    known = {version for version, _, _ in read_migrations(dialect)}
    unknown = sorted(set(applied) - known)
    if unknown:
        raise StoreError(
            f"{where}: its schema has migration(s) {', '.join(map(str, unknown))}, which "
            f"this version of pasture does not know (its newest is {max(known)}): a newer "
            "pasture upgraded the store; install that version (pip install --upgrade jailym) "
            "to open it"
        )
