"""Import and export: layer files (GeoJSON, GeoPackage, zipped Shapefile, KML) and census CSV."""

from . import geobotany, mapping, register
from .layers import (
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    ImportReport,
    export_layer,
    import_census,
    import_layer,
    read_census_csv,
    read_layer_file,
    write_layer_file,
)

__all__ = [
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "ImportReport",
    "export_layer",
    "geobotany",
    "import_census",
    "import_layer",
    "mapping",
    "read_census_csv",
    "read_layer_file",
    "register",
    "write_layer_file",
]
