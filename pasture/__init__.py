"""Pasture geodata layer: model, stores (GeoPackage, PostGIS), import/export, NDVI, maps."""

from .errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    PastureError,
    StoreError,
    StoreUnavailable,
    VersionConflict,
)
from .model import LAYERS, SEASONS, SPECIES
from .store import Record, Store, open_store

__all__ = [
    "LAYERS",
    "SEASONS",
    "SPECIES",
    "AlreadyExists",
    "InvalidInput",
    "NotFound",
    "PastureError",
    "Record",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "VersionConflict",
    "open_store",
]
