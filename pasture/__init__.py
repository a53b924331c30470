"""Pasture geodata layer: model, stores (GeoPackage, PostGIS), import/export, NDVI, maps."""
