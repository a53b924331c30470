"""From a vegetation index (NDVI, EVI) or a geobotanical yield to biomass, kg DM/ha.

No published NDVI→biomass equation for Kazakh mountain pastures was found
(docs/domain.md, "NDVI to biomass", 2024): the model form and its coefficients are
configuration, per pasture type. A model is a small validated pydantic object
(STYLE.md pattern 2) that can be printed, compared and stored beside the result
(``model.model_dump()``), and called on an array::

    model = Quadratic(a=17089, b=-3825.5, c=1001.8, index_min=0.11)
    model(np.array([0.2, 0.3]))        # kg DM/ha, clipped to [0, max_kg_ha]

`calibrate` fits a form to (index, biomass) samples and reports R², RMSE, n,
the parameter covariance and prediction intervals, which carry on into the
capacity figures (low, central, high).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Protocol, TypeAlias, runtime_checkable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator
from scipy import optimize, stats

__all__ = [
    "AIR_DRY_DM_FRACTION",
    "CENTNER_KG",
    "DEFAULT_INTERVAL_LEVEL",
    "FRESH_DM_FRACTION",
    "XINJIANG_EVI_MODEL",
    "BiomassModel",
    "BiomassModels",
    "BiomassPredictor",
    "Calibration",
    "Exponential",
    "Form",
    "Linear",
    "Power",
    "Quadratic",
    "calibrate",
    "parse_biomass_model",
    "yield_cha_to_kg_dm_ha",
]

#: 1 centner per hectare = 100 kg/ha (docs/domain.md, Order 189 geobotanical maps, 2022).
CENTNER_KG: float = 100.0
#: Dry-matter fraction of fresh (green) forage, 25 %: the value that makes the
#: Kazakh horse norm and the capacity formula agree (docs/domain.md, "Livestock units
#: and intake", check, 2024). An *assumption* for any particular pasture.
FRESH_DM_FRACTION: float = 0.25
#: Dry-matter fraction of air-dry forage, midpoint of ~0.85–0.90. An *assumption*
#: (usual hay moisture), not from a Kazakh source.
AIR_DRY_DM_FRACTION: float = 0.875
#: Default two-sided level of prediction intervals (90 %).
DEFAULT_INTERVAL_LEVEL: float = 0.9

Form: TypeAlias = Literal["linear", "exponential", "power", "quadratic"]
Array: TypeAlias = Any  # numpy array, pandas Series or a scalar


class _Base(BaseModel):
    """Shared fields: validity range of the index, clipping, provenance."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Upper clip of the result, kg DM/ha; None leaves it open. docs/domain.md gives no
    #: general maximum (reference: Dzhanybek semi-desert peak 1,370 kg DM/ha).
    max_kg_ha: float | None = Field(default=None, gt=0)
    #: Index values below this are raised to it before evaluation (the model is
    #: not extrapolated), e.g. 0.11 for the Xinjiang EVI quadratic (docs/domain.md).
    index_min: float | None = None
    #: Index values above this are lowered to it before evaluation.
    index_max: float | None = None
    #: RMSE of the model on independent data, kg DM/ha, if known: gives
    #: prediction intervals of ± z·RMSE. None: no uncertainty known (zero width).
    rmse_kg_ha: float | None = Field(default=None, ge=0)
    #: Where the coefficients come from.
    source: str = ""

    @model_validator(mode="after")
    def _check_range(self) -> _Base:
        lo, hi = self.index_min, self.index_max
        if lo is not None and hi is not None and lo >= hi:
            raise ValueError(f"index_min ({lo}) must be below index_max ({hi})")
        return self

    def _raw(self, v: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, index: Array) -> Array:
        """Biomass in kg DM/ha for index values; NaN stays NaN; pandas in, pandas out."""
        v = np.asarray(index, dtype=float)
        lo = -np.inf if self.index_min is None else self.index_min
        hi = np.inf if self.index_max is None else self.index_max
        with np.errstate(invalid="ignore", over="ignore"):
            out = self._clip(self._raw(np.clip(v, lo, hi)))
        return _like(index, out)

    def _clip(self, b: np.ndarray) -> np.ndarray:
        return np.clip(b, 0.0, np.inf if self.max_kg_ha is None else self.max_kg_ha)

    def predict_interval(
        self, index: Array, *, level: float = DEFAULT_INTERVAL_LEVEL
    ) -> tuple[Array, Array, Array]:
        """(low, central, high) kg DM/ha; central ± z·``rmse_kg_ha`` (zero width if unknown)."""
        central = np.asarray(self(index), dtype=float)
        half = 0.0 if self.rmse_kg_ha is None else _z(level) * self.rmse_kg_ha
        low, high = self._clip(central - half), self._clip(central + half)
        return _like(index, low), _like(index, central), _like(index, high)

    @property
    def params(self) -> tuple[float, ...]:
        """The coefficients in formula order."""
        raise NotImplementedError


class Linear(_Base):
    """``a·v + b``."""

    form: Literal["linear"] = "linear"
    a: float
    b: float

    def _raw(self, v: np.ndarray) -> np.ndarray:
        return self.a * v + self.b

    @property
    def params(self) -> tuple[float, ...]:
        return (self.a, self.b)


class Exponential(_Base):
    """``a·exp(b·v)``."""

    form: Literal["exponential"] = "exponential"
    a: float
    b: float

    def _raw(self, v: np.ndarray) -> np.ndarray:
        return self.a * np.exp(self.b * v)

    @property
    def params(self) -> tuple[float, ...]:
        return (self.a, self.b)


class Power(_Base):
    """``a·v^b``; an index ≤ 0 gives 0 biomass."""

    form: Literal["power"] = "power"
    a: float
    b: float

    def _raw(self, v: np.ndarray) -> np.ndarray:
        positive = v > 0
        out = np.where(np.isnan(v), np.nan, 0.0)
        out[positive] = self.a * np.power(v[positive], self.b)
        return out

    @property
    def params(self) -> tuple[float, ...]:
        return (self.a, self.b)


class Quadratic(_Base):
    """``a·v² + b·v + c``."""

    form: Literal["quadratic"] = "quadratic"
    a: float
    b: float
    c: float

    def _raw(self, v: np.ndarray) -> np.ndarray:
        return (self.a * v + self.b) * v + self.c

    @property
    def params(self) -> tuple[float, ...]:
        return (self.a, self.b, self.c)


#: Any biomass model; pydantic picks the class from the ``form`` field.
BiomassModel: TypeAlias = Annotated[
    Linear | Exponential | Power | Quadratic, Field(discriminator="form")
]
_ADAPTER: TypeAdapter[Linear | Exponential | Power | Quadratic] = TypeAdapter(BiomassModel)


def parse_biomass_model(data: Mapping[str, Any]) -> Linear | Exponential | Power | Quadratic:
    """Build a model from stored parameters, e.g. ``{"form": "linear", "a": 2000, "b": -100}``."""
    return _ADAPTER.validate_python(dict(data))


#: Northern Xinjiang MODIS EVI example (next to the Almaty region), R² 0.73:
#: 17089·EVI² − 3825.5·EVI + 1001.8 kg/ha, bottoming out near 790 kg/ha, so the
#: index is clipped below EVI 0.11 (docs/domain.md, "NDVI to biomass", 2024). An EVI
#: model: do not feed it NDVI.
XINJIANG_EVI_MODEL = Quadratic(
    a=17089.0,
    b=-3825.5,
    c=1001.8,
    index_min=0.11,
    source="northern Xinjiang MODIS EVI regression, R² 0.73 (docs/domain.md, NDVI to biomass, 2024)",
)


@runtime_checkable
class BiomassPredictor(Protocol):
    """What capacity needs: a biomass model or a `Calibration`."""

    def __call__(self, index: Array) -> Array: ...

    def predict_interval(
        self, index: Array, *, level: float = DEFAULT_INTERVAL_LEVEL
    ) -> tuple[Array, Array, Array]: ...


@dataclass(frozen=True)
class BiomassModels:
    """Biomass models per pasture type, with a default for the other types."""

    models: Mapping[str, BiomassPredictor] = field(default_factory=dict)
    default: BiomassPredictor | None = None

    def for_type(self, pasture_type: str) -> BiomassPredictor:
        """The model of a pasture type, else the default."""
        model = self.models.get(pasture_type, self.default)
        if model is None:
            known = ", ".join(sorted(self.models)) or "none"
            raise KeyError(
                f"no biomass model for pasture type {pasture_type!r} and no default; "
                f"models exist for: {known}"
            )
        return model

    def predict_interval(
        self,
        index: Array,
        pasture_type: Array,
        *,
        level: float = DEFAULT_INTERVAL_LEVEL,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(low, central, high) kg DM/ha for index values and their pasture types."""
        v = np.asarray(index, dtype=float).ravel()
        types = np.asarray(pasture_type, dtype=object).ravel()
        if types.size == 1 and v.size != 1:
            types = np.repeat(types, v.size)
        if types.shape != v.shape:
            raise ValueError(f"{v.size} index values but {types.size} pasture types")
        out = np.full((3, v.size), np.nan)
        for kind in pd.unique(types):
            mask = types == kind
            low, central, high = self.for_type(str(kind)).predict_interval(v[mask], level=level)
            out[0, mask], out[1, mask], out[2, mask] = low, central, high
        return out[0], out[1], out[2]

    def __call__(self, index: Array, pasture_type: Array) -> np.ndarray:
        """Central biomass in kg DM/ha for index values and their pasture types."""
        return self.predict_interval(index, pasture_type)[1]


# --------------------------------------------------------------------- calibration


_FORMS: dict[str, tuple[type[_Base], Callable[..., np.ndarray]]] = {
    "linear": (Linear, lambda v, a, b: a * v + b),
    "exponential": (Exponential, lambda v, a, b: a * np.exp(b * v)),
    "power": (Power, lambda v, a, b: a * np.power(v, b)),
    "quadratic": (Quadratic, lambda v, a, b, c: (a * v + b) * v + c),
}


def _jacobian(form: str, v: np.ndarray, p: np.ndarray) -> np.ndarray:
    """d f / d params, shape (len(v), n_params)."""
    if form == "linear":
        return np.column_stack([v, np.ones_like(v)])
    if form == "quadratic":
        return np.column_stack([v * v, v, np.ones_like(v)])
    if form == "exponential":
        e = np.exp(p[1] * v)
        return np.column_stack([e, p[0] * v * e])
    # power; v ≤ 0 has no derivative and no prediction
    with np.errstate(invalid="ignore", divide="ignore"):
        pw = np.where(v > 0, np.power(np.where(v > 0, v, 1.0), p[1]), np.nan)
        return np.column_stack([pw, p[0] * pw * np.log(np.where(v > 0, v, np.nan))])


@dataclass(frozen=True, eq=False)
class Calibration:
    """A fitted biomass model with its fit statistics and uncertainty.

    Attributes
    ----------
    model
        The fitted model (a `BiomassModel`); call the calibration or the model.
    r2, rmse, n
        Coefficient of determination and root-mean-square error (kg DM/ha) on the
        calibration samples, and their number. docs/domain.md (2024): local calibrations
        report R² 0.5–0.9, falling to 0.3–0.5 on independent data.
    covariance
        Covariance matrix of the parameters, formula order.
    sigma
        Residual standard deviation, sqrt(SSE / (n − p)).
    """

    model: Linear | Exponential | Power | Quadratic
    r2: float
    rmse: float
    n: int
    covariance: np.ndarray
    sigma: float

    @property
    def form(self) -> str:
        return self.model.form

    @property
    def params(self) -> tuple[float, ...]:
        return self.model.params

    @property
    def dof(self) -> int:
        """Residual degrees of freedom, n − number of parameters."""
        return self.n - len(self.params)

    def __call__(self, index: Array) -> Array:
        """Central biomass, kg DM/ha."""
        return self.model(index)

    def predict_interval(
        self, index: Array, *, level: float = DEFAULT_INTERVAL_LEVEL
    ) -> tuple[Array, Array, Array]:
        """Prediction interval for a new observation at each index value.

        ``central ± t(level, n − p) · sqrt(J Σ Jᵀ + σ²)``, where J is the gradient of
        the model in its parameters (exact for linear and quadratic forms, the
        delta method for exponential and power), Σ the parameter covariance and
        σ the residual standard deviation. Bounds are clipped like the model.
        """
        if not 0 < level < 1:
            raise ValueError(f"level must lie in (0, 1), got {level}")
        v = np.asarray(index, dtype=float)
        m = self.model
        lo = -np.inf if m.index_min is None else m.index_min
        hi = np.inf if m.index_max is None else m.index_max
        vc = np.clip(v, lo, hi).ravel()
        jac = _jacobian(m.form, vc, np.asarray(self.params))
        var = np.einsum("ij,jk,ik->i", jac, self.covariance, jac) + self.sigma**2
        half = stats.t.ppf(0.5 + level / 2, self.dof) * np.sqrt(var)
        with np.errstate(invalid="ignore", over="ignore"):
            raw = m._raw(vc)
            low = m._clip(raw - half).reshape(v.shape)
            high = m._clip(raw + half).reshape(v.shape)
            central = m._clip(raw).reshape(v.shape)
        return _like(index, low), _like(index, central), _like(index, high)

    def summary(self) -> dict[str, Any]:
        """Parameters and fit statistics as plain values, to store beside results."""
        return {
            **self.model.model_dump(),
            "r2": self.r2,
            "rmse": self.rmse,
            "n": self.n,
            "sigma": self.sigma,
            "covariance": self.covariance.tolist(),
        }

    @classmethod
    def from_summary(cls, doc: Mapping[str, Any]) -> Calibration:
        """The calibration back from its `summary` (e.g. a stored forage basis).

        Keys that are not the model's or the fit's (notes stored beside them) are ignored.
        """
        fit = ("r2", "rmse", "n", "sigma", "covariance")
        missing = [k for k in (*fit, "form") if k not in doc]
        if missing:
            raise ValueError(f"a stored calibration lacks {', '.join(missing)}")
        form = str(doc["form"])
        if form not in _FORMS:
            raise ValueError(f"unknown form {form!r}; use one of {', '.join(_FORMS)}")
        model_fields = set(_FORMS[form][0].model_fields)
        model = parse_biomass_model({k: v for k, v in doc.items() if k in model_fields})
        return cls(
            model=model,
            r2=float(doc["r2"]),
            rmse=float(doc["rmse"]),
            n=int(doc["n"]),
            covariance=np.asarray(doc["covariance"], dtype=float),
            sigma=float(doc["sigma"]),
        )


def calibrate(
    samples: pd.DataFrame | tuple[Array, Array],
    form: Form,
    *,
    index: str = "ndvi",
    biomass: str = "biomass",
    max_kg_ha: float | None = None,
    index_min: float | None = None,
    index_max: float | None = None,
    source: str = "",
) -> Calibration:
    """Fit a biomass model to (index, biomass kg DM/ha) samples.

    Linear and quadratic forms are fitted by linear least squares; exponential
    and power forms by `scipy.optimize.curve_fit` (additive errors) started from
    a log-log or log-linear fit. Rows with a missing value are dropped.

    Parameters
    ----------
    samples
        Frame with columns ``index`` and ``biomass``, or a tuple (index values, biomass).
    form
        ``"linear"``, ``"exponential"``, ``"power"`` or ``"quadratic"``.
    index, biomass
        Column names in a frame.
    max_kg_ha, index_min, index_max, source
        Passed to the fitted model (clipping and provenance).

    Returns
    -------
    Calibration
        The model with R², RMSE, n, parameter covariance and prediction intervals.
    """
    if form not in _FORMS:
        raise ValueError(f"unknown form {form!r}; use one of {', '.join(_FORMS)}")
    if isinstance(samples, pd.DataFrame):
        v = samples[index].to_numpy(dtype=float)
        y = samples[biomass].to_numpy(dtype=float)
    else:
        v = np.asarray(samples[0], dtype=float).ravel()
        y = np.asarray(samples[1], dtype=float).ravel()
    keep = np.isfinite(v) & np.isfinite(y)
    v, y = v[keep], y[keep]
    cls, func = _FORMS[form]
    n_params = 3 if form == "quadratic" else 2
    if v.size < n_params + 2:
        raise ValueError(
            f"{v.size} complete sample(s) for a {form} model; at least {n_params + 2} are needed"
        )
    if form == "power" and (v <= 0).any():
        raise ValueError("a power model needs index values > 0; drop or shift the others")

    if form in ("linear", "quadratic"):
        design = _jacobian(form, v, np.zeros(n_params))
        p, *_ = np.linalg.lstsq(design, y, rcond=None)
        resid = y - design @ p
        sigma2 = float(resid @ resid) / (v.size - n_params)
        cov = sigma2 * np.linalg.pinv(design.T @ design)
    else:
        p0 = _start(form, v, y)
        p, cov = optimize.curve_fit(func, v, y, p0=p0, maxfev=20000)
        resid = y - func(v, *p)
        sigma2 = float(resid @ resid) / (v.size - n_params)
    names = ("a", "b", "c")[:n_params]
    model = cls(
        **dict(zip(names, (float(x) for x in p), strict=True)),
        max_kg_ha=max_kg_ha,
        index_min=index_min,
        index_max=index_max,
        source=source or f"calibrated on {v.size} samples",
    )
    sse = float(resid @ resid)
    sst = float(((y - y.mean()) ** 2).sum())
    return Calibration(
        model=model,  # type: ignore[arg-type]
        r2=1.0 - sse / sst if sst > 0 else float("nan"),
        rmse=float(np.sqrt(sse / v.size)),
        n=int(v.size),
        covariance=np.asarray(cov, dtype=float),
        sigma=float(np.sqrt(sigma2)),
    )


def _start(form: str, v: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Starting values from a linear fit of log(y) (on v, or on log v for power)."""
    pos = y > 0
    if pos.sum() < 2:
        return np.array([max(float(np.mean(y)), 1.0), 0.0])
    x = v[pos] if form == "exponential" else np.log(v[pos])
    slope, intercept = np.polyfit(x, np.log(y[pos]), 1)
    return np.array([float(np.exp(intercept)), float(slope)])


# ------------------------------------------------------------------ geobotanical yields


def yield_cha_to_kg_dm_ha(
    yield_cha: Array,
    *,
    basis: Literal["fresh", "air_dry", "dry"],
    dm_fraction: float | None = None,
) -> Array:
    """Convert a geobotanical yield in centners per hectare to kg dry matter per hectare.

    ``kg DM/ha = yield_cha × 100 × dm_fraction`` (1 c/ha = 100 kg/ha, docs/domain.md,
    Order 189, 2022).

    Parameters
    ----------
    yield_cha
        Yield in c/ha (scalar, array or Series).
    basis
        What the survey weighed: ``"fresh"`` (green mass), ``"air_dry"`` or ``"dry"``
        (already dry matter). Surveys differ, so there is no default.
    dm_fraction
        Dry-matter fraction; default `FRESH_DM_FRACTION` (0.25, docs/domain.md horse-norm
        check, an assumption), `AIR_DRY_DM_FRACTION` (0.875, assumption) or 1.0.
    """
    defaults = {"fresh": FRESH_DM_FRACTION, "air_dry": AIR_DRY_DM_FRACTION, "dry": 1.0}
    if basis not in defaults:
        raise ValueError(f"unknown basis {basis!r}; use fresh, air_dry or dry")
    fraction = defaults[basis] if dm_fraction is None else dm_fraction
    if not 0 < fraction <= 1:
        raise ValueError(f"dm_fraction must lie in (0, 1], got {fraction}")
    return yield_cha * CENTNER_KG * fraction


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    return float(stats.norm.ppf(0.5 + level / 2))


def _like(template: Array, values: np.ndarray) -> Array:
    """Return values shaped like the input: Series keep their index, scalars stay scalars."""
    if isinstance(template, pd.Series):
        return pd.Series(values, index=template.index, name=template.name)
    if np.ndim(template) == 0:
        return float(values)
    return values
