"""KML for Google Earth that round-trips: labels, styles, time spans and every attribute.

Writing: each record is a Placemark whose ``<name>`` is its label (the record's
name, or its id when it has none), with one shared ``<Style>`` per value of a
grouping column (a union, a status, a herd), an optional ``<TimeSpan>`` (the
calendar in Google Earth's time slider) and every attribute, the id included, in
typed ``<ExtendedData>`` (a ``<Schema>`` of ``SimpleField``). Coordinates are
written with every digit of the double, so nothing moves on the way back.

Reading is GDAL's (LIBKML driver); :func:`restore_kml_columns` then takes the
attributes back from the ExtendedData and converts them to the layer's types.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as Xml

import geopandas as gpd
import pandas as pd
import shapely

from ..model import FieldType, Layer

__all__ = ["kml_bytes", "label_column", "restore_kml_columns", "write_kml"]

_NS = "http://www.opengis.net/kml/2.2"
# Colours of the styles (KML order: alpha, blue, green, red), given to the values of
# the grouping column in sorted order; a colour-blind-safe qualitative palette (Okabe–Ito).
_PALETTE = (
    "ff0072b2",  # blue
    "ff009ee6",  # orange
    "ff73b456",  # bluish green
    "ff00a5d5",  # vermillion-ish yellow
    "ffa779cc",  # reddish purple
    "ffe9b456",  # sky blue
    "ff4ee4f0",  # yellow
    "ff000000",  # black
)
# Columns GDAL's LIBKML driver makes from the Placemark itself; an ExtendedData field
# of the same name (case-insensitive) is read back with "2" appended ("name2", "id2").
_LIBKML_COLUMNS = (
    "id",
    "name",
    "description",
    "timestamp",
    "begin",
    "end",
    "altitudemode",
    "tessellate",
    "extrude",
    "visibility",
    "draworder",
    "icon",
)
_SCHEMA_TYPES = {FieldType.INTEGER: "int", FieldType.REAL: "double"}


def label_column(frame: pd.DataFrame, lang: str = "en") -> str | None:
    """The column that labels a placemark: ``name``, else ``name_<lang>``; None when neither."""
    for column in ("name", f"name_{lang}", "name_en"):
        if column in frame.columns:
            return column
    return None


def write_kml(
    frame: gpd.GeoDataFrame,
    path: str | Path,
    *,
    layer: str,
    spec: Layer | None = None,
    label: str | None = None,
    style_by: str | None = None,
    time_span: tuple[str, str] | None = None,
) -> Path:
    """Write features to a KML file; see :func:`kml_bytes` for the parameters."""
    path = Path(path)
    path.write_bytes(
        kml_bytes(
            frame, layer=layer, spec=spec, label=label, style_by=style_by, time_span=time_span
        )
    )
    return path


def kml_bytes(
    frame: gpd.GeoDataFrame,
    *,
    layer: str,
    spec: Layer | None = None,
    label: str | None = None,
    style_by: str | None = None,
    time_span: tuple[str, str] | None = None,
) -> bytes:
    """A KML document of ``frame`` (EPSG:4326): one Placemark per row.

    Parameters
    ----------
    frame
        Features in EPSG:4326; rows without a geometry are left out.
    layer
        Name of the document and of its Schema.
    spec
        The layer definition, whose field types type the ExtendedData; without it
        the types come from the frame's dtypes.
    label
        Column shown as each placemark's label; its id (or the row number) when empty.
    style_by
        Column whose values each get one shared Style (a colour of the palette).
    time_span
        Columns of the begin and end dates: the placemark's TimeSpan.

    Returns
    -------
    bytes
        The UTF-8 KML document.
    """
    columns = [c for c in frame.columns if c != frame.geometry.name]
    types = {c: _schema_type(frame, c, spec) for c in columns}
    doc = Xml.Element("kml", xmlns=_NS)
    document = Xml.SubElement(doc, "Document", id=_xml_id(layer))
    Xml.SubElement(document, "name").text = layer
    schema = Xml.SubElement(document, "Schema", name=layer, id=_xml_id(layer))
    for column in columns:
        Xml.SubElement(schema, "SimpleField", name=column, type=types[column])
    styles = _add_styles(document, frame[style_by] if style_by else [])
    records = frame.drop(columns=frame.geometry.name).to_dict("records")
    for n, (row, geom) in enumerate(zip(records, frame.geometry, strict=True)):
        if geom is None or geom.is_empty:
            continue
        mark = Xml.SubElement(document, "Placemark")
        Xml.SubElement(mark, "name").text = _text(row.get(label) if label else None) or _text(
            row.get("id", n + 1)
        )
        if time_span is not None:
            _add_time_span(mark, row.get(time_span[0]), row.get(time_span[1]))
        if style_by:
            Xml.SubElement(mark, "styleUrl").text = "#" + styles[_text(row.get(style_by))]
        data = Xml.SubElement(
            Xml.SubElement(mark, "ExtendedData"), "SchemaData", schemaUrl="#" + _xml_id(layer)
        )
        for column in columns:
            value = _text(row.get(column))
            if value is not None:
                Xml.SubElement(data, "SimpleData", name=column).text = value
        mark.append(_geometry(geom))
    Xml.indent(doc, space=" ")
    return Xml.tostring(doc, encoding="utf-8", xml_declaration=True) + b"\n"


def _xml_id(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text) or "layer"


def _schema_type(frame: pd.DataFrame, column: str, spec: Layer | None) -> str:
    if spec is not None and column in spec.field_names:
        return _SCHEMA_TYPES.get(spec.field(column).type, "string")
    if column == "version" or pd.api.types.is_integer_dtype(frame[column]):
        return "int"
    if pd.api.types.is_float_dtype(frame[column]):
        return "double"
    return "string"


def _add_styles(document: Xml.Element, values: Iterable[Any]) -> dict[str | None, str]:
    """One Style per distinct value; returns value → style id."""
    ids: dict[str | None, str] = {}
    keys = sorted({_text(v) for v in values}, key=lambda v: (v is None, v or ""))
    for n, key in enumerate(keys):
        style_id = f"style-{n + 1}"
        ids[key] = style_id
        colour = _PALETTE[n % len(_PALETTE)]
        style = Xml.SubElement(document, "Style", id=style_id)
        Xml.SubElement(Xml.SubElement(style, "IconStyle"), "color").text = colour
        line = Xml.SubElement(style, "LineStyle")
        Xml.SubElement(line, "color").text = colour
        Xml.SubElement(line, "width").text = "2"
        # the fill: the same colour, half transparent, so the imagery shows through
        Xml.SubElement(Xml.SubElement(style, "PolyStyle"), "color").text = "80" + colour[2:]
    return ids


def _add_time_span(mark: Xml.Element, begin: Any, end: Any) -> None:
    span = Xml.SubElement(mark, "TimeSpan")
    for tag, value in (("begin", begin), ("end", end)):
        text = _text(value)
        if text is not None:
            Xml.SubElement(span, tag).text = text


def _text(value: Any) -> str | None:
    """A value as KML text: None for missing, dates as ISO days, floats with every digit."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else repr(value)
    if isinstance(value, pd.Timestamp | datetime):
        return value.date().isoformat() if _is_midnight(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _text(value.item())
    return str(value)


def _is_midnight(value: datetime) -> bool:
    return (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)


def _coordinates(coords: Any) -> str:
    return " ".join(",".join(repr(float(v)) for v in xy) for xy in coords)


def _geometry(geom: Any) -> Xml.Element:
    kind = geom.geom_type
    if kind.startswith("Multi") or kind == "GeometryCollection":
        multi = Xml.Element("MultiGeometry")
        for part in geom.geoms:
            multi.append(_geometry(part))
        return multi
    if kind == "Polygon":
        poly = Xml.Element("Polygon")
        rings = [("outerBoundaryIs", geom.exterior)] + [
            ("innerBoundaryIs", r) for r in geom.interiors
        ]
        for tag, ring in rings:
            linear = Xml.SubElement(Xml.SubElement(poly, tag), "LinearRing")
            Xml.SubElement(linear, "coordinates").text = _coordinates(ring.coords)
        return poly
    element = Xml.Element("Point" if kind == "Point" else "LineString")
    Xml.SubElement(element, "coordinates").text = _coordinates(shapely.get_coordinates(geom))
    return element


# ----------------------------------------------------------------------------- reading
def restore_kml_columns(frame: gpd.GeoDataFrame, spec: Layer) -> gpd.GeoDataFrame:
    """Columns of a KML read by GDAL back as the layer's fields, with their types.

    An ``id`` in the ExtendedData (as :func:`kml_bytes` writes it) is the record's
    id and the placemark's ``<name>`` only its label; without one (a file drawn by
    hand in Google Earth) the ``<name>`` is the id. GDAL's own placemark columns
    (description, visibility, ...) that are no field of the layer are dropped.
    """
    lower = {c.lower(): c for c in frame.columns}
    out = frame.copy()
    data_id = lower.get("id2")
    label = lower.get("name")
    if data_id is not None:
        out["id"] = out[data_id]
    elif label is not None:
        out["id"] = out[label].where(out[label].astype(str).str.strip() != "", None)
    drop = [c for c in frame.columns if c.lower() in _LIBKML_COLUMNS and c != "id"]
    drop += [c for c in (data_id,) if c is not None]
    out = out.drop(columns=drop)
    for reserved in _LIBKML_COLUMNS:  # an attribute named like a placemark column
        renamed = lower.get(reserved + "2")
        if renamed is not None and reserved in spec.field_names:
            out[reserved] = frame[renamed]
            out = out.drop(columns=renamed)
    return _typed(out, spec)


def _typed(frame: gpd.GeoDataFrame, spec: Layer) -> gpd.GeoDataFrame:
    """Text read back as the field's type: numbers as numbers, empty text as missing."""
    for f in spec.fields:
        if f.name not in frame.columns:
            continue
        column = frame[f.name]
        if f.type is FieldType.INTEGER:
            numbers = pd.to_numeric(column, errors="coerce")
            # a value that is not a whole number is kept, so that the store names it
            whole = column.isna() | (numbers == numbers.round())
            frame[f.name] = numbers.astype("Int64") if whole.all() else column
        elif f.type is FieldType.REAL:
            numbers = pd.to_numeric(column, errors="coerce")
            frame[f.name] = numbers if (numbers.notna() | column.isna()).all() else column
        else:
            frame[f.name] = column.astype(object).where(
                column.notna() & (column.astype(str) != ""), None
            )
    return frame
