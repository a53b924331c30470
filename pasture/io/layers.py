"""Reading and writing layer files: GeoJSON, GeoPackage, zipped Shapefile, KML; CSV for the census.

Reading a file only parses it and checks what belongs to the file (format,
CRS, ring closure, geometry type); the store then checks the records
themselves, so nothing is written unless every feature is fine.
"""

from __future__ import annotations

import json
import math
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeXml
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from defusedxml import DefusedXmlException
from pyproj import CRS
from shapely.geometry import shape

from ..errors import InvalidInput, NotFound, Problem
from ..model import SPECIES, FieldType, Layer
from ..model import layer as layer_named
from ..store import Progress, Store, WriteMode, WriteResult
from .geojson_polygons import polygon_geometries
from .kml import label_column, restore_kml_columns, write_kml
from .mapping import apply_mapping, read_table_file, table_points
from .tables import Sheet, table_bytes

__all__ = [
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "ImportReport",
    "export_layer",
    "import_census",
    "import_layer",
    "read_census_csv",
    "read_layer_file",
    "write_layer_file",
]

IMPORT_FORMATS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".zip": "zipped Shapefile",
    ".kml": "KML",
}
EXPORT_FORMATS = {**IMPORT_FORMATS, ".csv": "CSV", ".xlsx": "XLSX"}

# Shapefile (dBase) field names hold 10 characters; these are ours, both ways.
_SHAPEFILE_NAMES = {
    "yield_winter_cha": "yld_winter",
    "yield_spring_cha": "yld_spring",
    "yield_summer_cha": "yld_summer",
    "yield_autumn_cha": "yld_autumn",
    "land_category": "land_cat",
    "pasture_type": "pasture_t",
    "elevation_m": "elev_m",
    "capacity_m3_day": "cap_m3day",
    "household_id": "household",
    "cadastral_number": "cadastral",
    "settlement_id": "settlement",
    "reserved_basis": "res_basis",
    "reserved_until": "res_until",
}


@dataclass
class ImportReport:
    """What an import did: records written and geometries repaired on request."""

    layer: str
    path: str
    result: WriteResult | None = None
    repaired: list[str] = field(default_factory=list)


def _bad(path: Path, message: str) -> InvalidInput:
    return InvalidInput(str(path), [Problem(message)])


# ----------------------------------------------------------------------------- reading
def read_layer_file(
    path: str | Path,
    layer: str,
    *,
    source_layer: str | None = None,
    mapping: dict[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read features for ``layer`` from a file into EPSG:4326; raise InvalidInput on a bad file.

    ``mapping`` (field → column, :mod:`pasture.io.mapping`) names the columns of a
    register named otherwise; a CSV or XLSX register of points gives ``lon`` and ``lat``.
    """
    path = Path(path)
    spec = layer_named(layer)
    if not path.exists():
        raise NotFound(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".xlsx"):
        table = apply_mapping(read_table_file(path), mapping or {}, spec, str(path))
        return table_points(table, spec, str(path))
    frame = _read_spatial(path, spec, suffix, source_layer)
    return apply_mapping(frame, mapping, spec, str(path)) if mapping else frame


def _read_spatial(
    path: Path, spec: Layer, suffix: str, source_layer: str | None
) -> gpd.GeoDataFrame:
    if suffix not in IMPORT_FORMATS:
        known = ", ".join(f"{k} ({v})" for k, v in IMPORT_FORMATS.items())
        raise _bad(path, f"unknown file type {suffix!r}; use one of {known}")
    if spec.geometry_type is None:
        raise _bad(path, f"{spec.name} have no geometry; import them from CSV")
    if suffix in (".geojson", ".json"):
        frame = _read_geojson(path)
    elif suffix == ".zip":
        frame = _read_zipped_shapefile(path)
    elif suffix == ".kml":
        _check_xml_is_safe(path)
        frame = restore_kml_columns(_read_ogr(path, path, None), spec)
    else:
        frame = _read_ogr(path, path, source_layer)
    return _rename_columns(frame)


def _read_ogr(path: Path, target: str | Path, source_layer: str | None) -> gpd.GeoDataFrame:
    try:
        # GDAL's Arrow stream: the columns whole instead of a feature at a time
        frame = pyogrio.read_dataframe(target, layer=source_layer, use_arrow=True)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise _bad(
            path, f"cannot read it as a spatial file (truncated or not this format?): {exc}"
        ) from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise _bad(path, "the file has no geometry column; it is not a spatial layer")
    if frame.crs is None:
        raise _bad(
            path, "the file has no coordinate reference system; add one (for a Shapefile, the .prj)"
        )
    if _is_lon_lat(CRS(frame.crs)):
        return frame.set_crs(4326, allow_override=True)
    return frame.to_crs(4326)


def _is_lon_lat(crs: CRS) -> bool:
    # OGC:CRS84 (what GDAL names in a GeoJSON file) is EPSG:4326 in lon/lat order; the
    # frames are lon/lat either way, so the transform would be an identity over every vertex
    return bool(crs.equals(CRS(4326), ignore_axis_order=True))


def _read_zipped_shapefile(path: Path) -> gpd.GeoDataFrame:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        raise _bad(path, "not a valid ZIP archive (truncated?)") from None
    shps = [n for n in names if n.lower().endswith(".shp")]
    if len(shps) != 1:
        raise _bad(path, f"the archive must hold exactly one .shp file, it holds {len(shps)}")
    stem = shps[0][:-4]
    missing = [
        ext for ext in (".shx", ".dbf") if not any(n.lower() == (stem + ext).lower() for n in names)
    ]
    if missing:
        raise _bad(path, f"the Shapefile lacks {', '.join(missing)}; zip all of its files together")
    if not any(n.lower() == (stem + ".prj").lower() for n in names):
        raise _bad(
            path,
            "the Shapefile has no .prj, so its coordinate system is unknown; add the .prj file",
        )
    return _read_ogr(path, f"/vsizip/{path}/{shps[0]}", None)


def _check_xml_is_safe(path: Path) -> None:
    # GDAL's parser would expand entities; refuse DTDs and entities before it sees the file.
    try:
        SafeXml.parse(path, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise _bad(
            path, "the XML declares a DTD or entities, which are refused for safety; remove them"
        ) from None
    except SafeXml.ParseError as exc:
        raise _bad(path, f"not well-formed XML (truncated?): {exc}") from None


def _read_geojson(path: Path) -> gpd.GeoDataFrame:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise _bad(path, "not a text file; GeoJSON must be UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise _bad(
            path, f"not valid JSON (truncated?) at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature"):
        raise _bad(path, "not GeoJSON: the top level must be a FeatureCollection or a Feature")
    features = doc.get("features", []) if doc["type"] == "FeatureCollection" else [doc]
    crs = _geojson_crs(path, doc)
    rows: list[dict[str, Any]] = []
    for feature in features:
        props = dict(feature.get("properties") or {})
        if "id" not in props and feature.get("id") is not None:
            props["id"] = feature["id"]
        rows.append(props)
    docs = [feature.get("geometry") for feature in features]
    # a clean file of polygons is built in one pass; any other is read feature by feature
    fast = polygon_geometries(docs)
    geoms = fast if fast is not None else _feature_geometries(path, rows, docs)
    frame = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=crs)
    if crs is not None and not _is_lon_lat(crs):
        frame = frame.to_crs(4326)
    return frame.set_crs(4326, allow_override=True)


def _feature_geometries(path: Path, rows: list[dict[str, Any]], docs: list[Any]) -> list[Any]:
    """Each feature's geometry, or InvalidInput naming every feature that has none readable."""
    problems: list[Problem] = []
    geoms: list[Any] = []
    for i, (props, geom_doc) in enumerate(zip(rows, docs, strict=True)):
        where = f"#{i + 1} (id {props.get('id')!r})"
        geom = None
        if geom_doc:
            ring_problem = _unclosed_ring(geom_doc)
            if _has_nan(geom_doc.get("coordinates")):
                problems.append(Problem("geometry has NaN or infinite coordinates", where))
            elif ring_problem:
                problems.append(Problem(ring_problem, where))
            else:
                try:
                    geom = shape(geom_doc)
                except (
                    ValueError,
                    TypeError,
                    AttributeError,
                    KeyError,
                    shapely.errors.GEOSException,
                ) as exc:
                    problems.append(Problem(f"unreadable geometry: {exc}", where))
        geoms.append(geom)
    if problems:
        raise InvalidInput(str(path), problems)
    return geoms


def _has_nan(coords: Any) -> bool:
    if isinstance(coords, list):
        return any(_has_nan(c) for c in coords)
    return isinstance(coords, float) and not math.isfinite(coords)


def _geojson_crs(path: Path, doc: dict[str, Any]) -> CRS:
    # RFC 7946 GeoJSON is lon/lat; older files may name another CRS, which we honour.
    named = ((doc.get("crs") or {}).get("properties") or {}).get("name")
    if not named:
        return CRS(4326)
    try:
        return CRS.from_user_input(named)
    except Exception:  # pyproj raises its own CRSError
        raise _bad(
            path, f"unknown CRS {named!r} in the 'crs' member; use lon/lat (EPSG:4326)"
        ) from None


def _rings(geom_doc: dict[str, Any]) -> list[list[Any]]:
    kind = geom_doc.get("type")
    coords = geom_doc.get("coordinates") or []
    if kind == "Polygon":
        return list(coords)
    if kind == "MultiPolygon":
        return [ring for poly in coords for ring in poly]
    if kind == "GeometryCollection":
        return [r for g in geom_doc.get("geometries", []) for r in _rings(g)]
    return []


def _unclosed_ring(geom_doc: dict[str, Any]) -> str | None:
    for n, ring in enumerate(_rings(geom_doc), start=1):
        if len(ring) < 4:
            return f"ring {n} has {len(ring)} points; a ring needs at least 4 with the last equal to the first"
        first, last = ring[0], ring[-1]
        if any(isinstance(v, float) and math.isnan(v) for v in (*first, *last)):
            continue  # NaN coordinates are reported by the record checks
        if list(first[:2]) != list(last[:2]):
            return f"ring {n} is not closed: it starts at {first[0]} {first[1]} and ends at {last[0]} {last[1]}"
    return None


def _rename_columns(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    back = {short: long for long, short in _SHAPEFILE_NAMES.items()}
    renamed = frame.rename(columns={c: back.get(c, c) for c in frame.columns})
    if "id" not in renamed.columns and "Name" in renamed.columns:  # KML placemarks
        renamed = renamed.rename(columns={"Name": "id"})
    return renamed


def repair_geometries(frame: gpd.GeoDataFrame, layer: Layer) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Make invalid geometries valid (GEOS make_valid, keeping the layer's dimension); list what changed."""
    out = frame.copy()
    repaired = []
    want = (
        2
        if "POLYGON" in (layer.geometry_type or "")
        else 1
        if "LINE" in (layer.geometry_type or "")
        else 0
    )
    for i, geom in enumerate(out.geometry):
        if geom is None or geom.is_empty or geom.is_valid:
            continue
        if not np.isfinite(shapely.get_coordinates(geom)).all():
            continue  # nothing to repair: the record checks report the NaN coordinates
        fixed = shapely.make_valid(geom)
        parts = [p for p in getattr(fixed, "geoms", [fixed]) if shapely.get_dimensions(p) == want]
        out.iloc[i, out.columns.get_loc(out.geometry.name)] = (
            shapely.union_all(parts) if parts else None
        )
        ident = out["id"].iat[i] if "id" in out.columns else None
        repaired.append(f"#{i + 1} (id {ident!r}): {shapely.is_valid_reason(geom)}")
    return out, repaired


def import_layer(
    store: Store,
    layer: str,
    path: str | Path,
    *,
    user: str,
    mode: WriteMode = "append",
    repair: bool = False,
    allow_overlap: bool = False,
    allow_outside_union: bool = False,
    source_layer: str | None = None,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Read a file and write its features into ``layer`` of the store, all or nothing."""
    spec = layer_named(layer)
    if spec.name == "census":
        return import_census(store, path, user=user, mode=mode, mapping=mapping)
    frame = read_layer_file(path, spec.name, source_layer=source_layer, mapping=mapping)
    report = ImportReport(spec.name, str(path))
    if repair:
        frame, report.repaired = repair_geometries(frame, spec)
    if isinstance(frame, gpd.GeoDataFrame):  # households come from a table without shapes
        frame = keep_stored_geometries(store, spec, frame)
    report.result = store.write(
        spec.name,
        frame,
        user=user,
        mode=mode,
        allow_overlap=allow_overlap,
        allow_outside_union=allow_outside_union,
        source=str(path),
        progress=progress,
    )
    return report


def keep_stored_geometries(store: Store, spec: Layer, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give a feature whose shape equals its stored record's the stored geometry itself.

    GeoJSON (RFC 7946) turns outer rings counter-clockwise and a Shapefile clockwise,
    and a Shapefile has no multi-part type for one part; the points are the same, but
    the store compares geometries exactly (``store.values.is_unchanged``), so without
    this a file exported and imported again would make a new version of every plot.
    """
    if "id" not in frame.columns or frame.empty or not store.count(spec.name):
        return frame  # nothing stored (a first import): no ids to look up
    ids = [str(i) for i in frame["id"].dropna().unique()]
    stored = store.read(spec.name, ids=ids)
    if stored.empty:
        return frame
    known = dict(zip(stored["id"].astype(str), stored.geometry, strict=True))
    out = frame.copy()
    column = out.columns.get_loc(out.geometry.name)
    for i, (ident, geom) in enumerate(zip(out["id"], out.geometry, strict=True)):
        old = known.get(str(ident))
        if old is not None and geom is not None and _same_shape(old, geom):
            out.iloc[i, column] = old
    return out


def _same_shape(old: Any, new: Any) -> bool:
    """The same points in the same rings, whatever the orientation, start or multi-part wrapping."""
    if old.geom_type == "Multi" + new.geom_type:
        new = type(old)([new])
    if old.geom_type != new.geom_type:
        return False
    return bool(shapely.normalize(old).equals_exact(shapely.normalize(new), 0.0))


# ----------------------------------------------------------------------------- census CSV
_CENSUS_KEYS = ("household_id", "union_id", "date")
# "version" is accepted (a census exported by `pasture export` has it) and ignored:
# versions belong to the store.
_CENSUS_OPTIONAL = ("household_name", "settlement_id", "id", "source", "version")


def read_census_csv(
    path: str | Path, mapping: dict[str, str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a census CSV into (households, census) frames; raise InvalidInput on a bad file.

    Columns: ``household_id, household_name, union_id, date`` and one count
    column per species (``sheep, goats, cattle, horses, camels``); a missing
    species column counts as zero head. ``union_id`` is empty for a household in no
    union; an optional ``settlement_id`` says where the household lives (without the
    column, a stored household keeps its settlement).
    """
    path = Path(path)
    if not path.exists():
        raise NotFound(f"{path}: no such file")
    if path.suffix.lower() == ".xlsx":
        raw = read_table_file(path).fillna("").astype(str)
    else:
        try:
            # utf-8-sig: the byte-order mark our CSV exports carry for Excel is not a column name
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise _bad(path, f"not a readable UTF-8 CSV file: {exc}") from None
    if mapping:
        raw = apply_mapping(raw, mapping, layer_named("census"), str(path), extra=_CENSUS_OPTIONAL)
    return census_frames(raw, path)


def census_frames(raw: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Text columns of a census (one row per household and date) as (households, census)."""
    raw.columns = [c.strip().lower() for c in raw.columns]
    problems = [
        Problem(f"required column {c!r} is missing", field=c)
        for c in _CENSUS_KEYS
        if c not in raw.columns
    ]
    unknown = [c for c in raw.columns if c not in (*_CENSUS_KEYS, *_CENSUS_OPTIONAL, *SPECIES)]
    problems += [
        Problem(
            f"unknown column {c!r}: not a species we count; species are {', '.join(SPECIES)}",
            field=c,
        )
        for c in unknown
    ]
    if problems:
        raise InvalidInput(str(path), problems)
    counts = {s: raw[s] if s in raw.columns else pd.Series(["0"] * len(raw)) for s in SPECIES}
    census = pd.DataFrame(
        {
            "id": raw["id"]
            if "id" in raw.columns
            else raw["household_id"].str.strip() + "/" + raw["date"].str.strip(),
            "household_id": raw["household_id"],
            "union_id": raw["union_id"],
            "date": raw["date"],
            **{s: counts[s].replace("", np.nan) for s in SPECIES},
            "source": raw["source"] if "source" in raw.columns else str(path.name),
        }
    )
    names = (
        raw["household_name"]
        if "household_name" in raw.columns
        else pd.Series([None] * len(raw), dtype=object)
    )
    columns = {"id": raw["household_id"], "name": names, "union_id": raw["union_id"]}
    if "settlement_id" in raw.columns:
        columns["settlement_id"] = raw["settlement_id"]
    households = pd.DataFrame(columns).drop_duplicates("id", keep="last").reset_index(drop=True)
    households["source"] = str(path.name)
    return households, census


def import_census(
    store: Store,
    path: str | Path,
    *,
    user: str,
    mode: WriteMode = "upsert",
    mapping: dict[str, str] | None = None,
) -> ImportReport:
    """Import a census CSV or XLSX: its households and counts, in one transaction."""
    households, census = read_census_csv(path, mapping)
    return write_census(store, households, census, user=user, source=str(path), mode=mode)


def write_census(
    store: Store,
    households: pd.DataFrame,
    census: pd.DataFrame,
    *,
    user: str,
    source: str,
    mode: WriteMode = "upsert",
) -> ImportReport:
    """Write households and their census rows in one transaction (stored names kept)."""
    households = _keep_stored_households(store, households)
    results = store.write_many(
        [("households", households, "upsert"), ("census", census, mode)],
        user=user,
        source=source,
    )
    return ImportReport("census", source, results[-1])


def _keep_stored_households(store: Store, households: pd.DataFrame) -> pd.DataFrame:
    """Households already stored keep their name and source unless the file gives a new name.

    A census CSV without names only updates counts; a new household without a
    name is named by its id. Without a ``settlement_id`` column a stored household
    keeps its settlement.
    """
    stored = store.read("households", ids=list(households["id"].dropna().astype(str)))
    known = stored.set_index("id")
    out = households.copy()
    if "settlement_id" not in out.columns:
        out["settlement_id"] = [
            known.at[h, "settlement_id"] if h in known.index else None for h in out["id"]
        ]
    for i, row in out.iterrows():
        if row["id"] in known.index:
            old = known.loc[row["id"]]
            if pd.isna(row["name"]) or row["name"] == old["name"]:
                out.at[i, "name"] = old["name"]
                out.at[i, "source"] = old["source"]
        elif pd.isna(row["name"]):
            out.at[i, "name"] = row["id"]
    return out


# ----------------------------------------------------------------------------- export
def write_layer_file(
    frame: pd.DataFrame, path: str | Path, *, layer: str, lang: str | None = None
) -> Path:
    """Write a layer's records to a file whose suffix picks the format.

    CSV and XLSX go through :mod:`pasture.io.tables` (geometry as WKT, values as
    stored); ``lang`` titles their headers, which a later import would not know.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        known = ", ".join(f"{k} ({v})" for k, v in EXPORT_FORMATS.items())
        raise InvalidInput(str(path), [f"unknown export type {suffix!r}; use one of {known}"])
    path.parent.mkdir(parents=True, exist_ok=True)
    out = _for_export(frame, layer_named(layer))
    if suffix in (".csv", ".xlsx"):
        table = pd.DataFrame(out)
        if isinstance(out, gpd.GeoDataFrame):
            table["geometry"] = shapely.to_wkt(np.asarray(out.geometry), rounding_precision=-1)
        sheet = Sheet(layer, table, layer_named(layer).fields)
        path.write_bytes(table_bytes([sheet], suffix[1:], lang))  # type: ignore[arg-type]
    elif not isinstance(out, gpd.GeoDataFrame):
        raise InvalidInput(str(path), [f"{layer} have no geometry; export them as .csv"])
    elif suffix in (".geojson", ".json"):
        _write_geojson(out, path, layer)
    elif suffix == ".gpkg":
        pyogrio.write_dataframe(out, path, driver="GPKG", layer=layer)
    elif suffix == ".kml":
        spec = layer_named(layer)
        style_by = spec.union_field if spec.union_field in out.columns else None
        write_kml(out, path, layer=layer, spec=spec, label=label_column(out), style_by=style_by)
    else:
        _write_zipped_shapefile(out.rename(columns=_SHAPEFILE_NAMES), path, layer)
    return path


def _write_geojson(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    """RFC 7946 GeoJSON with every digit of each coordinate (Python's shortest exact repr).

    GDAL's writer keeps 15 significant digits at most, so 43.349999999999994 came back
    as 43.35 and an export imported again changed every geometry a little.
    """
    records = frame.drop(columns=frame.geometry.name).to_dict("records")
    features = []
    for row, geom in zip(records, frame.geometry, strict=True):
        if geom is not None:
            # RFC 7946 §3.1.6: outer rings counter-clockwise, holes clockwise
            geom = shapely.orient_polygons(geom, exterior_cw=False)
        features.append(
            {
                "type": "Feature",
                "properties": {k: _json_value(v) for k, v in row.items()},
                "geometry": None if geom is None else shapely.geometry.mapping(geom),
            }
        )
    doc = {"type": "FeatureCollection", "name": layer, "features": features}
    path.write_text(json.dumps(doc, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value


def _for_export(frame: pd.DataFrame, spec: Layer) -> pd.DataFrame:
    out = frame.copy()
    for f in spec.fields:
        if f.type is FieldType.DATE and f.name in out.columns:
            out[f.name] = pd.to_datetime(out[f.name]).dt.strftime("%Y-%m-%d")
    return out


def _write_zipped_shapefile(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shp = Path(tmp) / f"{layer}.shp"
        pyogrio.write_dataframe(frame, shp, driver="ESRI Shapefile", encoding="UTF-8")
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(Path(tmp).iterdir()):
                archive.write(part, part.name)


def export_layer(store: Store, layer: str, path: str | Path, *, lang: str | None = None) -> Path:
    """Export one layer of the store to a file (format from the suffix; ``lang``: table headers)."""
    spec = layer_named(layer)
    return write_layer_file(store.read(spec.name), path, layer=spec.name, lang=lang)
