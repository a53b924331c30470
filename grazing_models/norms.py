"""The maximum permissible pasture load of Order 3-3/332, and livestock measured against it.

Order of the Minister of Agriculture No. 3-3/332 of 14 April 2015 (amended 2017 and
9 December 2024) sets, per oblast, natural zone, eco-geographic subzone and dominant
pasture type, the hectares of pasture one head of cattle, sheep and goats, horses and
camels needs over the grazing period of the row, on restored and on degraded land
(docs/domain.md, "The law the outputs must serve"). The packaged table is its annex as
transcribed in a public data file (``data/order_3_3_332_annex.PROVENANCE.md``): it has
not been checked against the official text, and every output built on it says so
(:data:`ANNEX_LABEL`). A district may replace it with its own copy
(:meth:`NormTable.from_csv`).

The norm is read as a budget of animal-days: a row allows ``area_ha / ha_per_head``
head for its grazing period of ``days`` days, i.e. ``area_ha × days / ha_per_head``
head-days. Livestock on a plot for ``d`` days of a season uses
``Σ_s head_s × d × ha_per_head_s`` hectare-days of the ``area_ha × days`` the norm
allows; the ratio of the two is the *norm load*. A herd grazing the whole period
gives ``Σ_s head_s × ha_per_head_s / area_ha``, the Order's own wording; a shorter
stay uses a proportional share (an interpretation: the Order states no per-season
figure, and applying the full-period figure to a six-week spring pasture makes the
norm 3–4 times stricter per day than the Order's own period).

Mixed herds are converted with the row's own species ratios (hectares per head of the
species over hectares per head of cattle); in about 94 % of rows these are the Kazakh
sheep-unit ratios (sheep and goats 0.2, horses 1.2, camels 1.4 of cattle).

Unused pasture (Land Code Art. 92 п.4 пп.3, 2024 wording): a plot "не используется"
when it carries no farm animals or "менее пятидесяти процентов от предельно
допустимой нормы нагрузки" — under half of this norm (:data:`UNUSED_WORDING`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from os import PathLike
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "ANNEX_LABEL",
    "CONDITIONS",
    "DEMO_TYPE_ROWS",
    "NORM_SPECIES",
    "UNUSED_SHARE",
    "UNUSED_SHARE_BEFORE_2024",
    "UNUSED_WORDING",
    "Condition",
    "GrazingDays",
    "NormRow",
    "NormTable",
    "norm_load",
    "norm_status",
    "permitted_heads",
]

#: How every output built on the packaged table names it (its provenance file).
ANNEX_LABEL = (
    "Order 3-3/332 annex, as transcribed in a public data file; "
    "verify against the official text before a legal decision"
)
#: Land Code Art. 92 п.4 пп.3 (2024 wording), quoted: the unused-pasture rule.
UNUSED_WORDING = (
    "Land Code Art. 92 п.4 пп.3: a pasture is not used when it carries no farm animals "
    "or «менее пятидесяти процентов от предельно допустимой нормы нагрузки» "
    "(under 50% of the maximum permissible load of Order 3-3/332)"
)
#: The share of the norm under which the law counts a pasture as unused (Law 65-VIII, 2024
#: amendments; docs/domain.md, Unused pasture).
UNUSED_SHARE = 0.5
#: The same share in the wording before the 2024 amendments (Law 47-VI, 2017).
UNUSED_SHARE_BEFORE_2024 = 0.2

Condition = Literal["restored", "degraded"]
CONDITIONS: tuple[Condition, ...] = ("restored", "degraded")
#: Which grazing-period figure of a row's range ("140-160") the norm load uses.
GrazingDays = Literal["min", "mid", "max"]

#: The Order's species columns for each species we count (sheep and goats share one).
NORM_SPECIES: Mapping[str, str] = {
    "sheep": "sheep_goat",
    "goats": "sheep_goat",
    "cattle": "cattle",
    "horses": "horse",
    "camels": "camel",
}

_KEY = ("oblast", "natural_zone", "subzone", "pasture_type")
_HA_COLUMNS = tuple(
    f"{s}_{c}" for s in ("cattle", "sheep_goat", "horse", "camel") for c in CONDITIONS
)

#: The demo district's pasture types (Almaty oblast) and the annex rows chosen for them
#: by elevation zone: plains semi-desert, foothills, mid-mountain meadow steppe, alpine
#: meadows. A choice made for the generated demo, not a survey's classification.
DEMO_TYPE_ROWS: Mapping[str, tuple[str, str, str, str]] = {
    "semi_desert": (
        "Алматинская",
        "Пустынная",
        "Остепненная пустыня (полупустыня)",
        "Полынно-солянково-эфемеровые",
    ),
    "foothill_steppe": (
        "Алматинская",
        "Горная",
        "Предгорья",
        "Полынно-солянковые с эфемерами и мелкими злаковыми",
    ),
    "mountain_meadow_steppe": (
        "Алматинская",
        "Горная",
        "Горы",
        "Мятлико-разнотравные и типчаково-разнотравные",
    ),
    "alpine_meadow": (
        "Алматинская",
        "Горная",
        "Горы",
        "Манжетно-кобрезиевые, местами типчаково-разнотравные с зарослями арчевого стланника",
    ),
}


@dataclass(frozen=True)
class NormRow:
    """One row of the annex: where it applies, its grazing period, hectares per head."""

    oblast: str
    natural_zone: str
    subzone: str
    pasture_type: str
    days_min: float
    days_max: float
    ha: Mapping[str, float]

    def ha_per_head(self, species: str, condition: Condition = "restored") -> float:
        """Hectares one head of ``species`` needs over the row's grazing period."""
        try:
            column = NORM_SPECIES[species]
        except KeyError:
            raise ValueError(
                f"no load norm for species {species!r}; species are {', '.join(NORM_SPECIES)}"
            ) from None
        return self.ha[f"{column}_{condition}"]

    def days(self, which: GrazingDays = "mid") -> float:
        """The grazing period in days: the range's lower or upper end, or its middle."""
        if which == "min":
            return self.days_min
        if which == "max":
            return self.days_max
        return (self.days_min + self.days_max) / 2

    def cattle_ratio(self, species: str, condition: Condition = "restored") -> float:
        """Hectares per head of ``species`` over hectares per head of cattle, in this row."""
        return self.ha_per_head(species, condition) / self.ha_per_head("cattle", condition)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.oblast, self.natural_zone, self.subzone, self.pasture_type)


def _days(text: str) -> tuple[float, float]:
    parts = [p.strip() for p in text.replace("–", "-").split("-") if p.strip()]
    if not parts:
        return (float("nan"), float("nan"))
    low, high = float(parts[0]), float(parts[-1])
    return (low, high)


class NormTable:
    """The annex of Order 3-3/332 (or a district's replacement with the same columns).

    Columns: ``oblast, natural_zone, subzone, pasture_type, grazing_days`` (a range
    such as ``140-160``) and hectares per head ``cattle_restored, cattle_degraded,
    sheep_goat_restored, ..., camel_degraded``.
    """

    def __init__(self, rows: Sequence[NormRow], *, source: str, label: str) -> None:
        self.rows = tuple(rows)
        self.source = source
        self.label = label
        self._by_key = {r.key: r for r in self.rows}

    @classmethod
    def annex(cls) -> NormTable:
        """The packaged annex, as transcribed (see :data:`ANNEX_LABEL`)."""
        text = resources.files("grazing_models").joinpath("data/order_3_3_332_annex.csv")
        return cls.from_text(
            text.read_text("utf-8"), source="order_3_3_332_annex.csv", label=ANNEX_LABEL
        )

    @classmethod
    def from_csv(cls, path: str | PathLike[str], *, label: str | None = None) -> NormTable:
        """A district's own norm table in the annex's columns."""
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return cls.from_text(text, source=str(path), label=label or f"load norms from {path}")

    @classmethod
    def from_text(cls, text: str, *, source: str, label: str) -> NormTable:
        """Parse CSV text; refuse a table with missing columns or a non-positive norm."""
        reader = csv.DictReader(io.StringIO(text))
        missing = [
            c for c in (*_KEY, "grazing_days", *_HA_COLUMNS) if c not in (reader.fieldnames or [])
        ]
        if missing:
            raise ValueError(f"{source}: the norm table lacks column(s) {', '.join(missing)}")
        rows = []
        for n, rec in enumerate(reader, start=2):
            try:
                ha = {c: float(rec[c]) for c in _HA_COLUMNS}
            except ValueError:
                raise ValueError(f"{source}, line {n}: hectares per head must be numbers") from None
            if min(ha.values()) <= 0:
                raise ValueError(f"{source}, line {n}: hectares per head must be positive")
            low, high = _days(rec["grazing_days"] or "")
            oblast, zone, subzone, kind = (rec[k].strip() for k in _KEY)
            rows.append(NormRow(oblast, zone, subzone, kind, low, high, ha))
        return cls(rows, source=source, label=label)

    def __len__(self) -> int:
        return len(self.rows)

    def oblasts(self) -> list[str]:
        return sorted({r.oblast for r in self.rows})

    def row(self, oblast: str, natural_zone: str, subzone: str, pasture_type: str) -> NormRow:
        """The row of one oblast, zone, subzone and pasture type; KeyError names the choices."""
        key = (oblast, natural_zone, subzone, pasture_type)
        try:
            return self._by_key[key]
        except KeyError:
            types = sorted(r.pasture_type for r in self.rows if r.oblast == oblast)
            hint = "; ".join(types) if types else f"oblasts are {', '.join(self.oblasts())}"
            raise KeyError(
                f"no load-norm row for {key}; the oblast's pasture types: {hint}"
            ) from None

    def resolve(
        self, pasture_types: Sequence[str], types: Mapping[str, tuple[str, str, str, str]]
    ) -> list[NormRow | None]:
        """Each plot's row from its pasture type through ``types`` (pasture type → row key).

        A pasture type that is not in ``types`` resolves to None: the plot has no legal
        norm until the district says which row applies to it.
        """
        out: list[NormRow | None] = []
        for t in pasture_types:
            key = types.get(str(t))
            out.append(self._by_key.get(key) if key is not None else None)
        return out


def permitted_heads(
    *,
    area_ha: Sequence[float] | np.ndarray,
    days_grazed: Sequence[float] | np.ndarray,
    rows: Sequence[NormRow | None],
    condition: Sequence[Condition] | Condition = "restored",
    grazing_days: GrazingDays = "mid",
) -> pd.DataFrame:
    """Head of each species alone that the norm allows on each area for ``days_grazed`` days.

    ``area_ha × days / (ha_per_head × days_grazed)``: the whole period's
    ``area_ha / ha_per_head`` head, more for a shorter stay (the animal-days reading of
    the module docstring). NaN where there is no row, no area or no days.
    """
    n = len(rows)
    conditions = [condition] * n if isinstance(condition, str) else list(condition)
    area = np.asarray(area_ha, dtype=float)
    stay = np.asarray(days_grazed, dtype=float)
    out = {s: np.full(n, np.nan) for s in NORM_SPECIES}
    for i, row in enumerate(rows):
        if row is None or not (area[i] > 0 and stay[i] > 0):
            continue
        budget = area[i] * row.days(grazing_days) / stay[i]
        for s in NORM_SPECIES:
            out[s][i] = budget / row.ha_per_head(s, conditions[i])
    return pd.DataFrame(out)


def norm_load(
    heads: pd.DataFrame,
    *,
    days_grazed: Sequence[float] | np.ndarray,
    area_ha: Sequence[float] | np.ndarray,
    rows: Sequence[NormRow | None],
    condition: Sequence[Condition] | Condition = "restored",
    grazing_days: GrazingDays = "mid",
) -> np.ndarray:
    """Livestock as a share of the permissible load, one value per row of ``heads``.

    ``heads`` holds head counts per species (columns of :data:`NORM_SPECIES`), one row
    per plot (or land user); ``days_grazed`` how many days that livestock stays;
    ``rows`` the norm row of each (None: NaN, no norm). The share is
    ``Σ_s head_s / permitted_s`` (:func:`permitted_heads`), i.e.
    ``Σ_s head_s × ha_s × days_grazed / (area_ha × days)``; no livestock is 0.
    """
    allowed = permitted_heads(
        area_ha=area_ha,
        days_grazed=np.maximum(np.asarray(days_grazed, dtype=float), 1e-9),
        rows=rows,
        condition=condition,
        grazing_days=grazing_days,
    )
    species = [s for s in NORM_SPECIES if s in heads]
    counts = heads[species].to_numpy(dtype=float)
    limit = allowed[species].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(counts > 0, counts / limit, 0.0)
    return np.where(np.isnan(limit).all(axis=1), np.nan, shares.sum(axis=1))


def norm_status(
    load: Sequence[float] | np.ndarray, *, unused_share: float = UNUSED_SHARE
) -> np.ndarray:
    """``over the norm`` (> 1), ``unused`` (< 50 %, :data:`UNUSED_WORDING`), ``within the norm``.

    NaN (no norm row, or no area) gives ``no norm``. ``unused_share`` is the law's 0.5
    (0.2 before 2024).
    """
    r = np.asarray(load, dtype=float)
    return np.select(
        [np.isnan(r), r > 1.0, r < unused_share],
        ["no norm", "over the norm", "unused"],
        default="within the norm",
    ).astype(object)
