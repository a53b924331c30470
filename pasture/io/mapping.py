"""Column mappings for registers whose columns are named otherwise (Kazakh, Russian, a cadastre's).

A mapping says which column of the file holds which field of the layer:
``--map "name=Атауы,cadastral_number=Кадастровый номер"`` on the command line, or
a JSON or YAML file of ``field: column`` pairs (``--map-file``). Columns the
mapping does not name keep their own names; a mapped field must be a field of the
layer (or ``id``, ``lon``, ``lat``) and its column must be in the file, and every
problem is named at once.

CSV and XLSX registers of point layers give their points in ``lon`` and ``lat``
columns (degrees, EPSG:4326); a ``geometry`` column of WKT (what an export to CSV or
XLSX writes) gives any layer its shapes.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from ..errors import InvalidInput, NotFound, Problem
from ..model import Layer

__all__ = ["apply_mapping", "parse_mapping", "read_mapping_file", "read_table_file", "table_points"]

#: Names a mapping may give besides the layer's fields: the id and the coordinates of a point.
_EXTRA_TARGETS = ("id", "lon", "lat", "geometry")


def parse_mapping(text: str) -> dict[str, str]:
    """``"field=column,field=column"`` as a dict; raise InvalidInput naming each bad pair."""
    mapping: dict[str, str] = {}
    problems = []
    for n, pair in enumerate(p for p in text.split(",") if p.strip()):
        target, sep, column = pair.partition("=")
        if not sep or not target.strip() or not column.strip():
            problems.append(
                Problem(f"pair {n + 1} {pair.strip()!r} is not field=column", field="--map")
            )
            continue
        mapping[target.strip()] = column.strip()
    if problems:
        raise InvalidInput("--map", problems)
    return mapping


def read_mapping_file(path: str | Path) -> dict[str, str]:
    """A mapping from a JSON or YAML file of ``field: column`` pairs."""
    import yaml

    path = Path(path)
    if not path.exists():
        raise NotFound(f"{path}: no such file")
    text = path.read_text(encoding="utf-8-sig")
    try:
        # YAML is a superset of JSON, so one parser reads both
        doc = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(str(path), [Problem(f"not valid JSON or YAML: {exc}")]) from None
    if not isinstance(doc, dict):
        raise InvalidInput(str(path), [Problem("the mapping must be pairs of field: column")])
    bad = [
        Problem(f"the column of {k!r} must be a column name, not {v!r}", field=str(k))
        for k, v in doc.items()
        if not isinstance(v, str | int) or isinstance(v, bool)
    ]
    if bad:
        raise InvalidInput(str(path), bad)
    return {str(k): str(v) for k, v in doc.items()}


def apply_mapping(
    frame: pd.DataFrame,
    mapping: dict[str, str],
    spec: Layer,
    source: str,
    *,
    extra: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Rename the mapped columns to their fields; raise InvalidInput listing every problem.

    ``extra`` names columns a reader takes besides the layer's fields (a census's
    ``household_name``).
    """
    known = (*spec.field_names, *_EXTRA_TARGETS, *extra)
    columns = [str(c) for c in frame.columns]
    problems = [
        Problem(
            f"{target!r} is not a field of {spec.name}; fields are {', '.join(known)}",
            field=target,
        )
        for target in mapping
        if target not in known
    ]
    problems += [
        Problem(
            f"column {column!r} (for {target!r}) is not in the file; its columns are "
            + ", ".join(repr(c) for c in columns if c != "geometry"),
            field=target,
        )
        for target, column in mapping.items()
        if column not in columns
    ]
    if problems:
        raise InvalidInput(source, problems)
    # a column already named like a mapped field gives way, so that no field is read twice;
    # one column may feed several fields (a cadastral number that is also the id)
    out = frame.drop(columns=[t for t, c in mapping.items() if t in columns and c != t])
    for target, column in mapping.items():
        out[target] = frame[column]
    return out.drop(columns=[c for c in set(mapping.values()) if c not in mapping])


def read_table_file(path: Path) -> pd.DataFrame:
    """A CSV (UTF-8, with or without a BOM) or XLSX register as text columns."""
    try:
        if path.suffix.lower() == ".xlsx":
            frame = pd.read_excel(path, dtype=object, sheet_name=0)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, OSError) as exc:
        raise InvalidInput(
            str(path), [Problem(f"not a readable CSV or XLSX file: {exc}")]
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    # an empty cell is a missing value, as in a spatial file, not empty text
    return frame.astype(object).where(frame.notna() & (frame.astype(str) != ""), None)


def table_points(frame: pd.DataFrame, spec: Layer, source: str) -> pd.DataFrame:
    """The records of a CSV or XLSX table, with their shapes; every bad cell named by row.

    Shapes come from a ``geometry`` column of WKT (what ``pasture export LAYER -o
    FILE.csv|.xlsx`` writes, so an export imports again), else, for point layers,
    from ``lon`` and ``lat`` (degrees). A layer without geometry (households) is
    returned as a plain table.
    """
    if spec.geometry_type is None:
        return frame
    if "geometry" in frame.columns:
        return _wkt_shapes(frame, source)
    if spec.geometry_type != "POINT":
        raise InvalidInput(
            source,
            [
                Problem(
                    f"{spec.name} need shapes; import them from GeoJSON, GeoPackage, "
                    "a zipped Shapefile or KML, or give a 'geometry' column of WKT "
                    "(a table's lon and lat give only points)"
                )
            ],
        )
    missing = [c for c in ("lon", "lat") if c not in frame.columns]
    if missing:
        raise InvalidInput(
            source,
            [
                Problem(
                    f"column {c!r} is missing: give the point in lon and lat (degrees), "
                    f"or map them with --map lon=...,lat=...",
                    field=c,
                )
                for c in missing
            ],
        )
    problems = []
    numbers = {}
    for c in ("lon", "lat"):
        raw = frame[c].astype(str).str.strip().str.replace(",", ".", regex=False)
        numbers[c] = pd.to_numeric(raw, errors="coerce")
        for row in numbers[c][numbers[c].isna()].index:
            # row numbers as a spreadsheet shows them: the header is row 1
            problems.append(
                Problem(
                    f"{frame[c].iat[row]!r} is not a number of degrees",
                    feature=f"row {row + 2}",
                    field=c,
                )
            )
    if problems:
        raise InvalidInput(source, problems)
    points = gpd.points_from_xy(numbers["lon"], numbers["lat"])
    return gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]), geometry=points, crs=4326)


def _wkt_shapes(frame: pd.DataFrame, source: str) -> gpd.GeoDataFrame:
    """Shapes from the ``geometry`` column's WKT (lon/lat degrees); every bad cell named."""
    shapes = []
    problems = []
    for row, text in enumerate(frame["geometry"]):
        try:
            shapes.append(shapely.from_wkt(str(text).strip()) if _present(text) else None)
        except shapely.errors.GEOSException:
            shapes.append(None)
            problems.append(
                Problem(
                    f"{str(text)[:40]!r} is not WKT (e.g. 'POINT (77.7 43.4)')",
                    feature=f"row {row + 2}",
                    field="geometry",
                )
            )
    if problems:
        raise InvalidInput(source, problems)
    return gpd.GeoDataFrame(frame.drop(columns=["geometry"]), geometry=shapes, crs=4326)


def _present(value: object) -> bool:
    return not (value is None or (isinstance(value, float) and pd.isna(value)) or value == "")
