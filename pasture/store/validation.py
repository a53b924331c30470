"""Record validation shared by every write path: import, API and notebooks.

The store calls :func:`check_records` before it writes anything, so a bad
record is refused whatever way it came in. Problems are collected, not raised
one by one, so that a user fixes a file in one go.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ..errors import InvalidInput, Problem
from ..geometry import flat_promoted
from ..model import SPECIES, FieldType, Layer, Table, format_seasons
from .shared_edges import with_unshared_edges
from .values import iso_days

__all__ = [
    "CensusLimits",
    "ValidationContext",
    "check_records",
    "checked_records",
    "normalise",
]


@dataclass(frozen=True)
class CensusLimits:
    """Sanity bounds for census counts.

    ``max_head`` is an *assumption*, not a legal norm: the largest peasant farms
    of Almaty Region keep a few thousand head of one species, so 20,000 head in
    one household is taken as a typing error. Override per district.
    """

    max_head: int = 20_000


@dataclass
class ValidationContext:
    """What validation needs to know about the store: ids that records refer to."""

    okrug_ids: set[str] = field(default_factory=set)
    union_geoms: dict[str, BaseGeometry | None] = field(default_factory=dict)
    #: stored households and the union each belongs to (None: in no union)
    household_unions: dict[str, str | None] = field(default_factory=dict)
    settlement_ids: set[str] = field(default_factory=set)
    #: stored plots other than those being rewritten: id and geometry
    other_plots: pd.DataFrame | None = None
    #: features must lie inside this EPSG:4326 area (the district's region)
    region: BaseGeometry | None = None
    allow_overlap: bool = False
    allow_outside_union: bool = False
    census_limits: CensusLimits = field(default_factory=CensusLimits)


#: Dates a store keeps: wide enough for any pasture record, and inside what every reader
#: (pandas' nanosecond timestamps: 1677-2262) can hold, so a stored date never breaks a read.
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2199, 12, 31)

#: Slivers thinner than this (degrees, about 1 m) are not overlaps and do not
#: stick out of a union: GeoJSON writers round to 7 decimals (~1 cm) and
#: digitised neighbours never share edges to the last bit.
EDGE_TOLERANCE_DEG = 1e-5


def _thicker_than_tolerance(geom: BaseGeometry) -> bool:
    """Whether a region is more than a rounding sliver: it survives an inward buffer."""
    if geom.is_empty or geom.area == 0:
        return False
    return not shapely.buffer(geom, -EDGE_TOLERANCE_DEG / 2).is_empty


_REASON_AT = re.compile(r"\[\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\]")


def _location(reason: str) -> tuple[float, float] | None:
    m = _REASON_AT.search(reason)
    return (float(m.group(1)), float(m.group(2))) if m else None


def _feature(frame: pd.DataFrame, i: int) -> str:
    ident = frame["id"].iat[i] if "id" in frame.columns else None
    return f"#{i + 1} (id {ident!r})" if ident is not None and ident == ident else f"#{i + 1}"


def normalise(layer: Layer, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Coerce columns to the layer's types; return the clean frame and the problems found."""
    problems: list[Problem] = []
    out = pd.DataFrame(index=range(len(frame)))
    src = frame.reset_index(drop=True)
    if "id" not in src.columns:
        problems.append(Problem("no 'id' column; every record needs a unique id", field="id"))
        out["id"] = pd.Series([None] * len(src), dtype=object)
    else:
        texts = _coerce_column(FieldType.TEXT, src["id"])  # None: not all plain text
        out["id"] = (
            texts
            if texts is not None
            else [None if _missing(v) or not str(v).strip() else str(v).strip() for v in src["id"]]
        )
        problems += [
            Problem(_NUL_MESSAGE, feature=f"#{i + 1}", field="id")
            for i, v in enumerate(out["id"])
            if isinstance(v, str) and "\x00" in v
        ]
        problems += [
            Problem(
                "the record has no id; give every record a unique id",
                feature=f"#{i + 1}",
                field="id",
            )
            for i in np.flatnonzero(pd.isna(out["id"].to_numpy(dtype=object)))
        ]
    for f in layer.fields:
        if f.name not in src.columns:
            if f.required:
                problems.append(Problem(f"required column {f.name!r} is missing", field=f.name))
            out[f.name] = pd.Series([None] * len(src), dtype=object)
            continue
        values, bad = _coerce(f.type, src[f.name])
        out[f.name] = values
        for i, why in bad:
            problems.append(Problem(why, feature=_feature(src, i), field=f.name))
        if f.required:
            flagged = {b[0] for b in bad}
            for j in np.flatnonzero(pd.isna(values)):
                if int(j) not in flagged:
                    problems.append(
                        Problem("value is required", feature=_feature(src, int(j)), field=f.name)
                    )
    if layer.geometry_type is not None:
        geoms = src.geometry if "geometry" in src.columns else [None] * len(src)
        # layers are 2D lon/lat (their GeoPackage columns say so): Z and M are dropped
        out["geometry"] = flat_promoted(geoms, layer.geometry_type)
    if "version" in src.columns:
        out["version"] = src["version"].to_numpy()
    return out, problems


def normalise_table(table: Table, frame: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Coerce a result frame to a table's columns; raise InvalidInput on a bad value or missing column."""
    problems: list[Problem] = []
    unknown = sorted(set(frame.columns) - set(table.column_names))
    if unknown:
        problems.append(Problem(f"unknown column(s) {unknown} for table {table.name}"))
    out: dict[str, pd.Series] = {}
    src = frame.reset_index(drop=True)
    for c in table.columns:
        if c.name not in src.columns:
            if c.required:
                problems.append(Problem(f"required column {c.name!r} is missing", field=c.name))
            out[c.name] = pd.Series([None] * len(src), dtype=object)
            continue
        if c.type is FieldType.JSON:
            out[c.name] = pd.Series(list(src[c.name]), dtype=object)
            continue
        reals = _reals(src[c.name]) if c.type is FieldType.REAL else None
        values, bad = (reals, []) if reals is not None else _coerce(c.type, src[c.name])
        out[c.name] = values
        problems += [Problem(why, feature=f"row {i + 1}", field=c.name) for i, why in bad[:20]]
        missing = _count_missing(values) if c.required else 0
        if missing:
            problems.append(Problem(f"{missing} row(s) have no value", field=c.name))
    if problems:
        raise InvalidInput(source, problems)
    return pd.DataFrame(out, index=pd.RangeIndex(len(src)))


def _count_missing(values: pd.Series) -> int:
    """Missing values of a coerced column: NaN in a float column, None in an object one
    (what every coercion gives; counting None is 5x faster than ``isna`` on text)."""
    if values.dtype.kind == "f":
        return int(np.isnan(values.to_numpy()).sum())
    return values.tolist().count(None)


_NUL_MESSAGE = "text contains a NUL character (\\0), which no store keeps; remove it"


def _missing(value: object) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and np.isnan(value))
    )


def _coerce(kind: FieldType, col: pd.Series) -> tuple[pd.Series, list[tuple[int, str]]]:
    fast = _coerce_column(kind, col)
    if fast is not None:
        return fast, []
    return _coerce_values(kind, col)


def _coerce_values(kind: FieldType, col: pd.Series) -> tuple[pd.Series, list[tuple[int, str]]]:
    """Value by value: slower, and names every bad row."""
    bad: list[tuple[int, str]] = []
    values: list[object] = []
    for i, v in enumerate(col.tolist()):
        if _missing(v) or (isinstance(v, str) and not v.strip()):
            values.append(None)
            continue
        try:
            values.append(_coerce_one(kind, v))
        except (TypeError, ValueError) as exc:
            bad.append((i, str(exc)))
            values.append(None)
    return pd.Series(values, dtype=object), bad


def _coerce_column(kind: FieldType, col: pd.Series) -> pd.Series | None:
    """The whole column at once, when its dtype allows and every value is good; else None.

    Result tables arrive in bulk (half a million NDVI values per run): checked per value
    in Python, the checks cost more than the zonal engine. Any doubt falls back to the
    per-value path, which names each bad row; both give the same values.
    """
    if kind is FieldType.REAL and _is_numeric(col):
        return _numbers(col, whole=False)
    if kind is FieldType.INTEGER and _is_numeric(col):
        return _numbers(col, whole=True)
    if kind is FieldType.DATE and col.dtype.kind == "M" and getattr(col.dt, "tz", None) is None:
        return _dates(col)
    if kind is FieldType.TEXT and pd.api.types.infer_dtype(col, skipna=True) == "string":
        return _texts(col)
    if kind is FieldType.SEASONS and pd.api.types.infer_dtype(col, skipna=True) == "string":
        return _season_texts(col)
    return None


def _season_texts(col: pd.Series) -> pd.Series | None:
    # a district has a handful of distinct season lists: each is formatted once
    values = col.to_numpy(dtype=object, na_value=None)
    present = np.array([v is not None and bool(v.strip()) for v in values], dtype=bool)
    distinct = pd.unique(values[present])
    try:
        formatted = {v: format_seasons(v) for v in distinct}
    except ValueError:
        return None
    out = np.full(len(values), None, dtype=object)
    out[present] = [formatted[v] for v in values[present]]
    return pd.Series(out, dtype=object)


def _is_numeric(col: pd.Series) -> bool:
    return col.dtype.kind in "fiu" or (
        isinstance(col.dtype, pd.api.extensions.ExtensionDtype) and col.dtype.kind in "iuf"
    )


def _reals(col: pd.Series) -> pd.Series | None:
    """A numeric column of a result table as float64 with NaN for missing, if every value
    is finite; else None (the checks that name each bad row follow)."""
    if not _is_numeric(col):
        return None
    values = col.to_numpy(dtype="float64", na_value=np.nan)
    if np.isinf(values).any():
        return None
    return pd.Series(values, dtype="float64")


def _numbers(col: pd.Series, *, whole: bool) -> pd.Series | None:
    values = col.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(values)
    present = values[~missing]
    if not np.isfinite(present).all():
        return None
    if whole and ((present != np.trunc(present)).any() or (np.abs(present) >= 2.0**63).any()):
        return None
    typed = np.where(missing, 0.0, values).astype(np.int64) if whole else values
    out = typed.astype(object)  # Python ints and floats, as the per-value path gives
    out[missing] = None
    return pd.Series(out, dtype=object)


def _dates(col: pd.Series) -> pd.Series | None:
    times = col.to_numpy(dtype="datetime64[ns]")
    present = times[~np.isnat(times)].astype("datetime64[D]")
    first, last = np.datetime64(FIRST_DATE, "D"), np.datetime64(LAST_DATE, "D")
    if present.size and (present.min() < first or present.max() > last):
        return None
    return pd.Series(iso_days(times), dtype=object)


def _texts(col: pd.Series) -> pd.Series | None:
    # each distinct text checked once: result tables repeat a few thousand plot ids and a
    # few hundred scene ids over half a million rows
    codes, distinct = pd.factorize(col)  # Arrow's dictionary encoding for a str column
    stripped = [str(v).strip() for v in distinct.tolist()]
    if any("\x00" in v for v in stripped):
        return None
    kept = np.array([v or None for v in stripped] + [None], dtype=object)
    return pd.Series(kept[codes], dtype=object)  # code -1 (missing) takes the last: None


def _iso_date(v: Any) -> str:
    """A date from a date object or ISO text only: 'June' or '01.06.2025' are ambiguous."""
    if isinstance(v, datetime | pd.Timestamp):
        day = v.date()
    elif isinstance(v, date):
        day = v
    else:
        text = str(v).strip()
        try:
            day = date.fromisoformat(text[:10] if len(text) > 10 and text[10] in "T " else text)
        except ValueError:
            raise ValueError(f"{v!r} is not a date; write it as YYYY-MM-DD") from None
    _check_date_range(day)
    return day.isoformat()


def _check_date_range(day: date) -> None:
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ValueError(
            f"{day.isoformat()} is outside {FIRST_DATE.year}-{LAST_DATE.year}; "
            "check the year (typed 3025 for 2025?)"
        )


def _coerce_one(kind: FieldType, v: Any) -> object:
    if kind is FieldType.TEXT:
        text = str(v).strip()
        if "\x00" in text:
            raise ValueError(_NUL_MESSAGE)
        return text
    if kind is FieldType.REAL:
        x = float(v)
        if not np.isfinite(x):
            raise ValueError(f"{v!r} is not a finite number")
        return x
    if kind is FieldType.INTEGER:
        x = float(v)
        if not np.isfinite(x) or x != int(x):
            raise ValueError(f"{v!r} is not a whole number")
        return int(x)
    if kind is FieldType.DATE:
        return _iso_date(v)
    if kind is FieldType.DATETIME:
        stamp = pd.Timestamp(v)
        _check_date_range(stamp.date())
        return (
            stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        ).to_pydatetime()
    if kind is FieldType.SEASONS:
        return format_seasons(v)
    raise TypeError(f"unknown field type {kind}")


def _check_geometry(layer: Layer, frame: pd.DataFrame, ctx: ValidationContext) -> list[Problem]:
    """Geometry checks, vectorised: only features with a problem are looked at one by one."""
    geoms = np.asarray(frame["geometry"].tolist(), dtype=object)
    accepted = {layer.geometry_type, *layer.accepts}
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    kinds = np.array(
        [None if m else g.geom_type.upper() for g, m in zip(geoms, missing, strict=True)]
    )
    wrong_type = ~missing & ~np.isin(kinds, np.array(sorted(t for t in accepted if t)))
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    not_finite = np.zeros(len(geoms), dtype=bool)
    not_finite[owner[~np.isfinite(coords).all(axis=1)]] = True
    checkable = ~missing & ~wrong_type & ~not_finite
    invalid = np.zeros(len(geoms), dtype=bool)
    invalid[checkable] = ~shapely.is_valid(geoms[checkable])
    bad_lonlat = np.zeros(len(geoms), dtype=bool)
    bad_lonlat[owner[(np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)]] = True
    outside = np.zeros(len(geoms), dtype=bool)
    in_range = checkable & ~invalid & ~bad_lonlat
    if ctx.region is not None and in_range.any():
        shapely.prepare(ctx.region)
        outside[in_range] = ~shapely.covers(ctx.region, geoms[in_range])
    problems: list[Problem] = []
    want = " or ".join(sorted(t for t in accepted if t))
    for i in np.flatnonzero(missing | wrong_type | not_finite | invalid | bad_lonlat | outside):
        where = _feature(frame, int(i))
        geom = geoms[i]
        if missing[i]:
            problems.append(Problem("geometry is missing or empty", feature=where))
        elif wrong_type[i]:
            problems.append(
                Problem(f"geometry is a {geom.geom_type}; {layer.name} need {want}", where)
            )
        elif not_finite[i]:
            problems.append(Problem("geometry has NaN or infinite coordinates", where))
        elif invalid[i]:
            reason = shapely.is_valid_reason(geom)
            message = f"invalid geometry: {reason}; fix it in the source or import with repair"
            problems.append(Problem(message, where, location=_location(reason)))
        elif bad_lonlat[i]:
            first = coords[owner == i][0]
            message = "coordinates are not longitude/latitude (projected?); give the file its CRS"
            problems.append(Problem(message, where, location=(float(first[0]), float(first[1]))))
        else:
            own = coords[owner == i]
            away = own[~shapely.covers(ctx.region, shapely.points(own))]
            at = (float(away[0, 0]), float(away[0, 1])) if len(away) else None
            problems.append(Problem("lies outside the district's region", where, location=at))
    return problems


def _check_duplicates(frame: pd.DataFrame) -> list[Problem]:
    ids = frame["id"]
    dup = ids[ids.notna() & ids.duplicated(keep=False)]
    return [
        Problem(f"id {ident!r} is used by {len(rows)} records; ids must be unique", field="id")
        for ident, rows in dup.groupby(dup, sort=True)
    ]


def _check_references(layer: Layer, frame: pd.DataFrame, ctx: ValidationContext) -> list[Problem]:
    refs: list[tuple[str, set[str] | Mapping[str, object], str]] = []
    if "okrug_id" in layer.field_names:
        refs.append(("okrug_id", ctx.okrug_ids, "okrug"))
    if "union_id" in layer.field_names and layer.name != "unions":
        refs.append(("union_id", ctx.union_geoms, "union"))
    if "household_id" in layer.field_names:
        refs.append(("household_id", ctx.household_unions, "household"))
    if "settlement_id" in layer.field_names:
        refs.append(("settlement_id", ctx.settlement_ids, "settlement"))
    problems: list[Problem] = []
    for column, known, what in refs:
        for i, value in enumerate(frame[column]):
            if value is not None and value not in known:
                problems.append(
                    Problem(
                        f"unknown {what} {value!r}; import the {what}s first",
                        _feature(frame, i),
                        column,
                    )
                )
    if "household_id" in layer.field_names and "union_id" in layer.field_names:
        problems += _check_household_union(frame, ctx)
    return problems


def _check_household_union(frame: pd.DataFrame, ctx: ValidationContext) -> list[Problem]:
    """A record of a household (its census) belongs to the household's union, for every role.

    A household in no union has census records in no union (``union_id`` empty).
    """
    problems = []
    for i, (household, union) in enumerate(
        zip(frame["household_id"], frame["union_id"], strict=True)
    ):
        if household is None or household not in ctx.household_unions:
            continue  # a missing or unknown household is reported on its own
        home = ctx.household_unions[household]
        if union != home:
            belongs = "is in no union" if home is None else f"belongs to union {home!r}"
            given = "none" if union is None else repr(union)
            problems.append(
                Problem(
                    f"household {household!r} {belongs}, not {given}; "
                    "a census record's union is its household's (empty when it has none)",
                    _feature(frame, i),
                    "union_id",
                )
            )
    return problems


def _check_vocabulary(layer: Layer, frame: pd.DataFrame) -> list[Problem]:
    """Values outside a field's choices, and numbers below its minimum."""
    problems: list[Problem] = []
    for f in layer.fields:
        if f.choices:
            allowed = ", ".join(f.choices)
            problems += [
                Problem(f"{v!r} is not one of {allowed}", _feature(frame, i), f.name)
                for i, v in enumerate(frame[f.name])
                if v is not None and v not in f.choices
            ]
        if f.minimum is not None:
            problems += [
                Problem(f"{v} is below {f.minimum:g}", _feature(frame, i), f.name)
                for i, v in enumerate(frame[f.name])
                if v is not None and v < f.minimum
            ]
    return problems


def _check_tenure(frame: pd.DataFrame) -> list[Problem]:
    """A public pasture (Land Code Art. 97 п.4) is reserved for one settlement's households."""
    return [
        Problem(
            "a public pasture (tenure 'public') needs the settlement it serves: set settlement_id",
            _feature(frame, i),
            "settlement_id",
        )
        for i, (tenure, settlement) in enumerate(
            zip(frame["tenure"], frame["settlement_id"], strict=True)
        )
        if tenure == "public" and settlement is None
    ]


def _check_census(frame: pd.DataFrame, limits: CensusLimits) -> list[Problem]:
    problems: list[Problem] = []
    # a count is of a day that has come (a day's grace for time zones)
    latest = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    for i, day in enumerate(frame["date"] if "date" in frame.columns else []):
        if day is not None and day > latest:
            problems.append(
                Problem(
                    f"{day} is in the future; a census counts animals on a past day",
                    _feature(frame, i),
                    "date",
                )
            )
    for species in SPECIES:
        for i, n in enumerate(frame[species]):
            if n is None:
                continue
            if n < 0:
                problems.append(Problem(f"negative count {n}", _feature(frame, i), species))
            elif n > limits.max_head:
                problems.append(
                    Problem(
                        f"{n} head is beyond the plausible {limits.max_head} per record; check the figure",
                        _feature(frame, i),
                        species,
                    )
                )
    return problems


def _check_plot_topology(frame: pd.DataFrame, ctx: ValidationContext) -> list[Problem]:
    # run only when every record passed _check_geometry: present, finite and valid
    # (GEOS's validity is not asked twice; it was a tenth of the check)
    problems: list[Problem] = []
    geoms = np.asarray(frame["geometry"].tolist(), dtype=object)
    ok = np.ones(len(geoms), dtype=bool)
    if not ctx.allow_outside_union:
        unions = frame["union_id"].tolist()
        for i in np.flatnonzero(ok):
            union = unions[i]
            boundary = ctx.union_geoms.get(union) if union else None
            if boundary is None:
                continue
            if _thicker_than_tolerance(geoms[i].difference(boundary)):
                problems.append(
                    Problem(
                        f"lies partly outside the boundary of union {union!r}; "
                        "fix the plot or allow it explicitly",
                        _feature(frame, int(i)),
                    )
                )
    if ctx.allow_overlap:
        return problems
    ids = frame["id"].to_numpy(dtype=object)
    if ctx.other_plots is not None and len(ctx.other_plots):
        keep = ~ctx.other_plots["id"].isin(set(ids))
        ids = np.concatenate([ids, ctx.other_plots["id"].to_numpy(dtype=object)[keep]])
        geoms = np.concatenate(
            [geoms, np.asarray(ctx.other_plots["geometry"].tolist(), dtype=object)[keep]]
        )
        ok = np.concatenate([ok, np.ones(int(keep.sum()), dtype=bool)])
    left, right = _overlap_candidates(geoms, np.flatnonzero(ok), len(frame))
    # neighbours that only touch are the common case: skip them before intersecting
    interiors_meet = shapely.relate_pattern(geoms[left], geoms[right], "T********")
    for a, b in zip(left[interiors_meet], right[interiors_meet], strict=True):
        shared = geoms[a].intersection(geoms[b])
        if _thicker_than_tolerance(shared):
            c = shared.representative_point()
            problems.append(
                Problem(
                    f"overlaps plot {ids[b]!r}; fix the boundaries or allow overlaps explicitly",
                    _feature(frame, int(a)),
                    location=(c.x, c.y),
                )
            )
    return problems


def _overlap_candidates(
    geoms: np.ndarray, valid: np.ndarray, n_new: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (new plot, other plot) whose interiors may meet, each pair once.

    Plots that tile the district share their edges exactly; the plots with an edge that
    is not shared that way (an edge inside another plot, crossing it, a plot repeated, or
    on the district's border) are found in one pass over all edges
    (:mod:`.shared_edges`: every plot GEOS's coverage check finds, in half its time).
    Only pairs with such a plot can overlap, so only their envelopes are queried and
    related; a district of matching neighbours skips most pairs.
    """
    suspect = valid[with_unshared_edges(geoms[valid])]
    tree = shapely.STRtree(geoms[valid])
    probe, hit = tree.query(geoms[suspect], predicate="intersects")
    a, b = suspect[probe], valid[hit]
    left, right = np.minimum(a, b), np.maximum(a, b)
    keep = (left < right) & (left < n_new)
    pairs = np.unique(np.column_stack([left[keep], right[keep]]), axis=0)
    return pairs[:, 0], pairs[:, 1]


def check_records(
    layer: Layer, frame: pd.DataFrame, ctx: ValidationContext, *, source: str
) -> pd.DataFrame:
    """Normalise and check records of one layer; raise InvalidInput listing every problem."""
    clean, problems = normalise(layer, frame)
    problems = _problems(layer, clean, ctx, problems)
    if problems:
        raise InvalidInput(source, problems)
    return clean


#: From this many records on, :func:`checked_records` checks in a worker thread while the
#: caller writes; below it a thread costs more than the overlap saves.
PARALLEL_CHECK_ROWS = 1_000

# GEOS lets go of the GIL in its checks, and SQLite's and psycopg's C code in their
# inserts, so a bulk write and its checks share the two cores. Several workers: writers
# to PostGIS run side by side, and one's checks must not queue behind another's.
_CHECKER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pasture-check")


@contextmanager
def checked_records(
    layer: Layer, frame: pd.DataFrame, ctx: ValidationContext, *, source: str
) -> Iterator[pd.DataFrame]:
    """The normalised records, to be written inside the block while they are checked.

    What :func:`check_records` refuses is refused here too, and takes precedence: when
    the checks find problems, leaving the block raises InvalidInput listing them, whether
    the block finished or failed (bad records may well make the write itself fail), so a
    block inside a transaction leaves nothing written. A block that fails on records the
    checks accept raises its own error.
    """
    clean, problems = normalise(layer, frame)
    if problems or len(clean) < PARALLEL_CHECK_ROWS:
        problems = _problems(layer, clean, ctx, problems)
        if problems:
            raise InvalidInput(source, problems)
        yield clean
        return
    if "geometry" in clean.columns:
        # GEOS may compute a collection's envelope on first use: done here, before two
        # threads read the same geometries
        shapely.bounds(clean["geometry"].to_numpy(dtype=object))
    # the worker reads its own shallow copy: the block may add columns (a plot's area)
    checking = _CHECKER.submit(_problems, layer, clean.copy(deep=False), ctx, problems)
    try:
        yield clean
    except BaseException:
        if checking.result():
            raise InvalidInput(source, checking.result()) from None
        raise
    if checking.result():
        raise InvalidInput(source, checking.result())


def _problems(
    layer: Layer, clean: pd.DataFrame, ctx: ValidationContext, found: list[Problem]
) -> list[Problem]:
    """``found`` (normalising's problems) and those of every check of the normalised records."""
    problems = [*found, *_check_duplicates(clean)]
    if layer.geometry_type is not None:
        problems += _check_geometry(layer, clean, ctx)
    problems += _check_references(layer, clean, ctx)
    problems += _check_vocabulary(layer, clean)
    if layer.name == "plots":
        problems += _check_tenure(clean)
    if layer.name in ("census", "herds"):
        problems += _check_census(clean, ctx.census_limits)
    if layer.name == "plots" and not problems:
        problems += _check_plot_topology(clean, ctx)
    return problems
