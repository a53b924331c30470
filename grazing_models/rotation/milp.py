"""The exact model: the rotation problem as a MILP, built row by row per rule and solved
by HiGHS, warm-started from the heuristic's plan.

Columns per candidate pair (herd, plot, period): ``x`` (placed) and ``e`` (kg eaten); per
herd-period: ``u`` (unfed kg), ``y`` (placed anywhere), ``m`` (moves to the next period);
per used plot and period: ``g`` (grazed), ``w`` (a spell ends) and ``D`` (depletion).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from grazing_models.rotation.greedy import greedy_best
from grazing_models.rotation.heuristic import heuristic_best
from grazing_models.rotation.highs import highs_api, new_highs
from grazing_models.rotation.model import (
    Plan,
    RotationInputs,
    RotationParams,
    max_stay_from,
    move_limit_km,
    pressure_index,
    rest_periods_after,
)
from grazing_models.rotation.objective import build_plan
from grazing_models.rotation.pairs import Pairs

__all__ = ["MilpModel", "build_milp", "solve_milp"]


class _Rows:
    """Accumulates sparse constraint rows in COO form."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.n = 0

    def add(
        self,
        row_local: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray | float,
        n_rows: int,
        lb: np.ndarray | float,
        ub: np.ndarray | float,
    ) -> None:
        """Add ``n_rows`` rows; ``row_local`` numbers each entry's row from 0."""
        self.r.append(np.asarray(row_local, dtype=np.int64) + self.n)
        self.c.append(np.asarray(cols, dtype=np.int64))
        self.v.append(np.broadcast_to(np.asarray(vals, dtype=float), np.shape(cols)).copy())
        self.lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (n_rows,)).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (n_rows,)).copy())
        self.n += n_rows

    def matrix(self, n_cols: int) -> tuple[sparse.csr_array, np.ndarray, np.ndarray]:
        """The rows as a CSR matrix of ``n_cols`` columns, with their lower and upper bounds."""
        a = sparse.coo_array(
            (np.concatenate(self.v), (np.concatenate(self.r), np.concatenate(self.c))),
            shape=(self.n, n_cols),
        ).tocsr()
        return a, np.concatenate(self.lb), np.concatenate(self.ub)


@dataclass
class MilpModel:
    """The MILP as HiGHS takes it: costs, column bounds and integrality, rows and their
    bounds; the first ``n_x`` columns are the candidate pairs' placements."""

    c: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integrality: np.ndarray
    a: sparse.csr_array
    row_lb: np.ndarray
    row_ub: np.ndarray
    pairs: Pairs
    n_x: int


@dataclass(frozen=True)
class _Layout:
    """Where each kind of column starts, and which herd-period and plot-period each
    candidate pair belongs to."""

    n_t: int
    n_x: int
    n_ht: int  # herd-periods: every period of each herd's season, even with no candidate
    n_u: int  # plots with a candidate pair
    n_pt: int  # used plots x periods
    ht_h: np.ndarray  # herd of each herd-period
    ht_key: dict[tuple[int, int], int]  # (herd, period) -> herd-period
    ht_of_pair: np.ndarray
    used: np.ndarray  # plot index of each used plot
    pt_of_pair: np.ndarray
    demand_h: np.ndarray  # kg DM per period, per herd

    @property
    def ox(self) -> int:
        """First x column (placed, per pair)."""
        return 0

    @property
    def oe(self) -> int:
        """First e column (kg eaten, per pair)."""
        return self.ox + self.n_x

    @property
    def ou(self) -> int:
        """First u column (unfed kg, per herd-period)."""
        return self.oe + self.n_x

    @property
    def oy(self) -> int:
        """First y column (placed, per herd-period)."""
        return self.ou + self.n_ht

    @property
    def om(self) -> int:
        """First m column (a move from t to t + 1, per herd-period)."""
        return self.oy + self.n_ht

    @property
    def og(self) -> int:
        """First g column (grazed, per plot-period)."""
        return self.om + self.n_ht

    @property
    def ow(self) -> int:
        """First w column (a spell ends, per plot-period)."""
        return self.og + self.n_pt

    @property
    def od(self) -> int:
        """First D column (depletion, per plot-period)."""
        return self.ow + self.n_pt

    @property
    def n_col(self) -> int:
        """Number of columns."""
        return self.od + self.n_pt


def _layout(inputs: RotationInputs, params: RotationParams, pairs: Pairs) -> _Layout:
    """The column layout of the model of ``pairs``."""
    n_t = inputs.n_periods
    ht_h: list[int] = []
    ht_t: list[int] = []
    for h in range(inputs.n_herds):
        for t in inputs.herd_periods(h):
            ht_h.append(h)
            ht_t.append(t)
    ht_key = {(h, t): i for i, (h, t) in enumerate(zip(ht_h, ht_t, strict=True))}
    ht_of_pair = np.array(
        [ht_key[(int(h), int(t))] for h, t in zip(pairs.h, pairs.t, strict=True)], dtype=np.int64
    )
    used, p_local = np.unique(pairs.p, return_inverse=True)
    demand_h = np.array([h.demand_kg_day * params.period_days for h in inputs.herds], dtype=float)
    return _Layout(
        n_t=n_t,
        n_x=pairs.h.size,
        n_ht=len(ht_h),
        n_u=used.size,
        n_pt=used.size * n_t,
        ht_h=np.array(ht_h, dtype=np.int64),
        ht_key=ht_key,
        ht_of_pair=ht_of_pair,
        used=used,
        pt_of_pair=p_local * n_t + pairs.t,
        demand_h=demand_h,
    )


def _columns(
    inputs: RotationInputs, params: RotationParams, pairs: Pairs, lay: _Layout
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Costs, lower and upper bounds and integrality of the columns."""
    days = params.period_days
    water = np.array([p.water_km for p in inputs.plots], dtype=float)
    pressure = pressure_index(inputs)
    ox, oe, ou, om, og, od = lay.ox, lay.oe, lay.ou, lay.om, lay.og, lay.od
    n_x, n_ht, n_pt = lay.n_x, lay.n_ht, lay.n_pt
    c = np.zeros(lay.n_col)
    c[ox : ox + n_x] = params.weight_walk_km * 2.0 * water[pairs.p] * days
    c[oe : oe + n_x] = params.weight_pressure * pressure[pairs.p]
    c[ou : ou + n_ht] = params.weight_unfed
    c[om : om + n_ht] = params.weight_move
    lb = np.zeros(lay.n_col)
    ub = np.ones(lay.n_col)
    ub[oe : oe + n_x] = lay.demand_h[pairs.h]
    ub[ou : ou + n_ht] = lay.demand_h[lay.ht_h] if n_ht else 0.0
    ub[od : od + n_pt] = np.inf
    ub[od : od + n_pt : lay.n_t] = 0.0  # no depletion at the start
    has_pair = np.zeros(n_pt, dtype=bool)
    has_pair[lay.pt_of_pair] = True
    ub[og : og + n_pt][~has_pair] = 0.0
    integrality = np.zeros(lay.n_col, dtype=np.int8)
    integrality[ox : ox + n_x] = 1
    return c, lb, ub, integrality


def _demand_rows(rows: _Rows, lay: _Layout) -> None:
    """Per herd-period: ``sum_p x - y = 0`` and ``sum_p e + u = demand``."""
    ar_x, ar_ht = np.arange(lay.n_x), np.arange(lay.n_ht)
    rows.add(
        np.concatenate([lay.ht_of_pair, ar_ht]),
        np.concatenate([lay.ox + ar_x, lay.oy + ar_ht]),
        np.concatenate([np.ones(lay.n_x), -np.ones(lay.n_ht)]),
        lay.n_ht,
        0.0,
        0.0,
    )
    dem_ht = lay.demand_h[lay.ht_h] if lay.n_ht else np.zeros(0)
    rows.add(
        np.concatenate([lay.ht_of_pair, ar_ht]),
        np.concatenate([lay.oe + ar_x, lay.ou + ar_ht]),
        1.0,
        lay.n_ht,
        dem_ht,
        dem_ht,
    )


def _placement_rows(
    rows: _Rows, inputs: RotationInputs, params: RotationParams, pairs: Pairs, lay: _Layout
) -> None:
    """Eating needs a placement, a placement grazes the plot, a grazed plot has a herd."""
    n_x, ar_x = lay.n_x, np.arange(lay.n_x)
    # e - min(d, uA) x <= 0 (uA caps a lone herd too: tighter LP) ; x - g <= 0
    cap_x = np.minimum(
        lay.demand_h[pairs.h], params.utilisation * inputs.available_kg[pairs.p, pairs.t]
    )
    rows.add(
        np.repeat(ar_x, 2),
        np.stack([lay.oe + ar_x, lay.ox + ar_x], axis=1).ravel(),
        np.stack([np.ones(n_x), -cap_x], axis=1).ravel(),
        n_x,
        -np.inf,
        0.0,
    )
    rows.add(
        np.repeat(ar_x, 2),
        np.stack([lay.ox + ar_x, lay.og + lay.pt_of_pair], axis=1).ravel(),
        np.tile([1.0, -1.0], n_x),
        n_x,
        -np.inf,
        0.0,
    )
    # g - sum_h x <= 0 (the plot is grazed only if a herd is on it)
    ar_pt = np.arange(lay.n_pt)
    rows.add(
        np.concatenate([ar_pt, lay.pt_of_pair]),
        np.concatenate([lay.og + ar_pt, lay.ox + ar_x]),
        np.concatenate([np.ones(lay.n_pt), -np.ones(n_x)]),
        lay.n_pt,
        -np.inf,
        0.0,
    )


def _forage_rows(rows: _Rows, inputs: RotationInputs, params: RotationParams, lay: _Layout) -> None:
    """Forage: ``sum_h e + D + M g <= uA + M``, ``M = max(0, max_{s<t} uA_s - uA_t)``."""
    n_u, ar_pt = lay.n_u, np.arange(lay.n_pt)
    ua = params.utilisation * inputs.available_kg[lay.used]  # (n_u, n_t)
    prev_max = np.maximum.accumulate(np.concatenate([np.zeros((n_u, 1)), ua[:, :-1]], axis=1), 1)
    big_m = np.maximum(0.0, prev_max - ua).ravel()
    rows.add(
        np.concatenate([lay.pt_of_pair, ar_pt, ar_pt]),
        np.concatenate([lay.oe + np.arange(lay.n_x), lay.od + ar_pt, lay.og + ar_pt]),
        np.concatenate([np.ones(lay.n_x), np.ones(lay.n_pt), big_m]),
        lay.n_pt,
        -np.inf,
        ua.ravel() + big_m,
    )


def _depletion_and_spell_rows(rows: _Rows, inputs: RotationInputs, lay: _Layout) -> None:
    """Depletion ``D[t+1] - D[t] - sum_h e[t] >= -r[t]`` and spell ends
    ``w[t] - g[t] + g[t+1] >= 0``."""
    n_t, ar_pt, ar_x = lay.n_t, np.arange(lay.n_pt), np.arange(lay.n_x)
    regrow = inputs.regrowth_kg[lay.used]
    not_last = (ar_pt % n_t) < n_t - 1
    src = ar_pt[not_last]
    row_of_pt = np.full(lay.n_pt, -1, dtype=np.int64)
    row_of_pt[src] = np.arange(src.size)
    pair_rows = row_of_pt[lay.pt_of_pair]
    keep = pair_rows >= 0
    rows.add(
        np.concatenate([np.arange(src.size), np.arange(src.size), pair_rows[keep]]),
        np.concatenate([lay.od + src + 1, lay.od + src, lay.oe + ar_x[keep]]),
        np.concatenate([np.ones(src.size), -np.ones(src.size), -np.ones(int(keep.sum()))]),
        src.size,
        -regrow.ravel()[src],
        np.inf,
    )
    rows.add(
        np.repeat(np.arange(src.size), 3),
        np.stack([lay.ow + src, lay.og + src, lay.og + src + 1], axis=1).ravel(),
        np.tile([1.0, -1.0, 1.0], src.size),
        src.size,
        0.0,
        np.inf,
    )


def _rest_rows(rows: _Rows, inputs: RotationInputs, params: RotationParams, lay: _Layout) -> None:
    """Rest: ``g[t'] + sum_{s in S(t')} w[s] <= 1`` where a spell ending at ``s`` forbids
    ``t'``."""
    n_t, n_u = lay.n_t, lay.n_u
    rest_after = rest_periods_after(inputs, params)
    rr: list[np.ndarray] = []
    cc: list[np.ndarray] = []
    n_rest_rows = 0
    p_base = np.arange(n_u) * n_t
    for tp in range(1, n_t):
        ss = [s for s in range(tp) if tp - s <= rest_after[s]]
        if not ss:
            continue
        k = len(ss) + 1
        cols = np.concatenate(
            [(lay.og + p_base + tp)[:, None], lay.ow + p_base[:, None] + np.array(ss)[None, :]],
            axis=1,
        )
        rr.append(np.repeat(np.arange(n_u) + n_rest_rows, k))
        cc.append(cols.ravel())
        n_rest_rows += n_u
    if n_rest_rows:
        rows.add(np.concatenate(rr), np.concatenate(cc), 1.0, n_rest_rows, -np.inf, 1.0)


def _stay_rows(rows: _Rows, inputs: RotationInputs, params: RotationParams, lay: _Layout) -> None:
    """Longest spell: ``sum_{k=0..L} g[s+k] - g[s-1] <= L`` with ``L`` the longest spell
    starting in ``s``: a spell that starts in ``s`` (``g[s-1] = 0``) ends within ``L``
    periods; a spell already under way (``g[s-1] = 1``) is not limited by this row."""
    n_t, n_u = lay.n_t, lay.n_u
    stay_cap = max_stay_from(inputs, params)
    p_base = np.arange(n_u) * n_t
    rr: list[np.ndarray] = []
    cc: list[np.ndarray] = []
    vv: list[np.ndarray] = []
    ub: list[np.ndarray] = []
    n_stay_rows = 0
    for s in range(n_t):
        cap = int(stay_cap[s])
        if s + cap > n_t - 1:
            continue
        window = np.arange(s, s + cap + 1)
        prev = [s - 1] if s > 0 else []
        k = window.size + len(prev)
        cols = lay.og + p_base[:, None] + np.concatenate([window, prev])[None, :]
        vals = np.concatenate([np.ones(window.size), -np.ones(len(prev))])
        rr.append(np.repeat(np.arange(n_u) + n_stay_rows, k))
        cc.append(cols.ravel())
        vv.append(np.tile(vals, n_u))
        ub.append(np.full(n_u, float(cap)))
        n_stay_rows += n_u
    if n_stay_rows:
        rows.add(
            np.concatenate(rr),
            np.concatenate(cc),
            np.concatenate(vv),
            n_stay_rows,
            -np.inf,
            np.concatenate(ub),
        )


def _period_blocks(pairs: Pairs) -> dict[tuple[int, int], tuple[int, int]]:
    """Per herd and period, the slice of its candidate pairs (they are sorted by herd,
    period, plot)."""
    n_x, h_arr, t_arr = pairs.h.size, pairs.h, pairs.t
    if n_x:
        starts = np.flatnonzero(np.r_[True, (np.diff(h_arr) != 0) | (np.diff(t_arr) != 0)])
    else:
        starts = np.zeros(0, dtype=np.int64)
    ends = np.r_[starts[1:], n_x] if n_x else starts
    return {
        (int(h_arr[s]), int(t_arr[s])): (int(s), int(e)) for s, e in zip(starts, ends, strict=True)
    }


def _move_rows(
    rows: _Rows, inputs: RotationInputs, params: RotationParams, pairs: Pairs, lay: _Layout
) -> None:
    """Moves between consecutive periods of a herd stay within the move limit: per pair,
    ``x[p, t] + sum over far p' of x[p', t+1] <= 1``, or the same with the near plots
    (``x[p, t] + y[t+1] - sum over near p' of x[p', t+1] <= 1``) where they are fewer."""
    xy, p_arr = inputs.plot_xy, pairs.p
    blocks = _period_blocks(pairs)
    mr: list[np.ndarray] = []
    mc: list[np.ndarray] = []
    mv: list[np.ndarray] = []
    n_move_rows = 0
    for (h, t), (s0, e0) in blocks.items():
        nxt = blocks.get((h, t + 1))
        if nxt is None:
            continue
        lim = move_limit_km(inputs, params, t + 1) + 1e-9
        s1, e1 = nxt
        pa = p_arr[s0:e0]
        pb = p_arr[s1:e1]
        dist = np.hypot(
            xy[pa, 0][:, None] - xy[pb, 0][None, :], xy[pa, 1][:, None] - xy[pb, 1][None, :]
        )
        far = dist > lim
        y_next = lay.oy + lay.ht_key[(h, t + 1)]
        for i in range(pa.size):
            far_i = np.flatnonzero(far[i])
            if far_i.size == 0:
                continue
            near_i = np.flatnonzero(~far[i])
            if far_i.size <= near_i.size + 1:
                cols = np.r_[lay.ox + s0 + i, lay.ox + s1 + far_i]
                vals = np.ones(cols.size)
            else:
                cols = np.r_[lay.ox + s0 + i, y_next, lay.ox + s1 + near_i]
                vals = np.r_[1.0, 1.0, -np.ones(near_i.size)]
            mr.append(np.full(cols.size, n_move_rows))
            mc.append(cols)
            mv.append(vals)
            n_move_rows += 1
    if n_move_rows:
        rows.add(
            np.concatenate(mr), np.concatenate(mc), np.concatenate(mv), n_move_rows, -np.inf, 1.0
        )


def _move_count_rows(rows: _Rows, pairs: Pairs, lay: _Layout) -> None:
    """Moves counted: ``m[h,t] - x[p,t] - y[t+1] + x[p,t+1] >= -1`` for every pair."""
    p_arr = pairs.p
    blocks = _period_blocks(pairs)
    cr: list[np.ndarray] = []
    ccnt: list[np.ndarray] = []
    cv: list[np.ndarray] = []
    n_cnt_rows = 0
    for (h, t), (s0, e0) in blocks.items():
        nxt = blocks.get((h, t + 1))
        if nxt is None:
            continue
        s1, e1 = nxt
        pa = p_arr[s0:e0]
        pb = p_arr[s1:e1]
        y_next = lay.oy + lay.ht_key[(h, t + 1)]
        pos_next = {int(p): s1 + j for j, p in enumerate(pb)}
        m_col = lay.om + lay.ht_key[(h, t)]
        for i, p in enumerate(pa):
            j = pos_next.get(int(p))
            if j is None:
                cols = np.array([m_col, lay.ox + s0 + i, y_next])
                vals = np.array([1.0, -1.0, -1.0])
            else:
                cols = np.array([m_col, lay.ox + s0 + i, y_next, lay.ox + j])
                vals = np.array([1.0, -1.0, -1.0, 1.0])
            cr.append(np.full(cols.size, n_cnt_rows))
            ccnt.append(cols)
            cv.append(vals)
            n_cnt_rows += 1
    if n_cnt_rows:
        rows.add(
            np.concatenate(cr), np.concatenate(ccnt), np.concatenate(cv), n_cnt_rows, -1.0, np.inf
        )


def build_milp(inputs: RotationInputs, params: RotationParams, pairs: Pairs) -> MilpModel:
    """The MILP of the rotation problem on the candidate ``pairs``, one block of rows per rule."""
    lay = _layout(inputs, params, pairs)
    c, lb, ub, integrality = _columns(inputs, params, pairs, lay)
    rows = _Rows()
    _demand_rows(rows, lay)
    _placement_rows(rows, inputs, params, pairs, lay)
    _forage_rows(rows, inputs, params, lay)
    _depletion_and_spell_rows(rows, inputs, lay)
    _rest_rows(rows, inputs, params, lay)
    _stay_rows(rows, inputs, params, lay)
    _move_rows(rows, inputs, params, pairs, lay)
    _move_count_rows(rows, pairs, lay)
    a, row_lb, row_ub = rows.matrix(lay.n_col)
    return MilpModel(c, lb, ub, integrality, a, row_lb, row_ub, pairs, lay.n_x)


@dataclass
class _MilpResult:
    """What HiGHS returned: status, solution, objective, dual bound, nodes and which
    bindings ran."""

    status: str
    x: np.ndarray | None
    fun: float | None
    dual_bound: float | None
    node_count: float
    backend: str


def _run_highs(
    model: MilpModel, *, time_limit: float, mip_rel_gap: float, start: np.ndarray | None
) -> _MilpResult:
    """Solve the model with HiGHS, warm-started from ``start`` (values of the x columns)."""
    api = highs_api()
    if api is None:
        res = milp(
            model.c,
            integrality=model.integrality,
            bounds=Bounds(model.lb, model.ub),
            constraints=LinearConstraint(model.a, model.row_lb, model.row_ub),
            options={"time_limit": float(time_limit), "mip_rel_gap": float(mip_rel_gap)},
        )
        status = {0: "optimal", 1: "time_limit", 2: "infeasible"}.get(int(res.status), "error")
        dual = getattr(res, "mip_dual_bound", None)
        return _MilpResult(
            status,
            None if res.x is None else np.asarray(res.x),
            None if res.x is None else float(res.fun),
            None if dual is None or not np.isfinite(dual) else float(dual),
            float(getattr(res, "mip_node_count", 0) or 0),
            "scipy.optimize.milp",
        )
    a = model.a.tocsc()
    n_col, n_row = model.c.size, a.shape[0]
    lp = api.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_row
    lp.a_matrix_.format_ = api.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    lp.col_cost_ = model.c
    lp.col_lower_ = model.lb
    lp.col_upper_ = model.ub
    lp.row_lower_ = model.row_lb
    lp.row_upper_ = model.row_ub
    lp.integrality_ = [api.HighsVarType(int(i)) for i in model.integrality]
    highs = new_highs(api)
    highs.setOptionValue("time_limit", float(time_limit))
    highs.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    highs.passModel(lp)
    if start is not None:
        idx = np.arange(model.n_x, dtype=np.int32)
        highs.setSolution(int(model.n_x), idx, np.asarray(start, dtype=float))
    highs.run()
    ms = highs.getModelStatus()
    info = highs.getInfo()
    names = api.HighsModelStatus
    if ms == names.kOptimal:
        status = "optimal"
    elif ms in (names.kTimeLimit, names.kIterationLimit, names.kSolutionLimit):
        status = "time_limit"
    elif ms == names.kInfeasible:
        status = "infeasible"
    else:
        status = "error"
    has_x = info.objective_function_value != api.kHighsInf and status != "infeasible"
    x = np.array(highs.getSolution().col_value) if has_x else None
    dual = float(info.mip_dual_bound)
    return _MilpResult(
        status,
        x,
        float(info.objective_function_value) if has_x else None,
        dual if np.isfinite(dual) else None,
        float(info.mip_node_count),
        "highspy" if getattr(api, "Highs", None) is not None else "scipy-bundled HiGHS",
    )


def solve_milp(
    inputs: RotationInputs,
    params: RotationParams,
    pairs: Pairs,
    *,
    time_limit: float,
    mip_rel_gap: float,
    warm_start: bool,
    seed: int,
    timings: dict[str, float],
) -> Plan:
    """The exact plan: the MILP solved within ``time_limit`` seconds (with ``warm_start``,
    from the heuristic's plan); the heuristic's plan when HiGHS finds none in time."""
    t0 = time.perf_counter()
    start_plot: np.ndarray | None = None
    start_x: np.ndarray | None = None
    if warm_start:
        # a few seconds of restarts buy a much better incumbent than HiGHS finds alone
        budget = min(5.0, 0.1 * time_limit)
        start_plot = heuristic_best(inputs, params, pairs, time_budget=budget, seed=seed)
        start_x = (start_plot[pairs.h, pairs.t] == pairs.p).astype(float)
        timings["warm_start_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    model = build_milp(inputs, params, pairs)
    timings["build_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    remaining = max(0.1, time_limit - (t2 - t0))
    res = _run_highs(model, time_limit=remaining, mip_rel_gap=mip_rel_gap, start=start_x)
    timings["solve_s"] = time.perf_counter() - t2
    stats: dict[str, Any] = {
        "n_pairs": float(model.n_x),
        "n_cols": float(model.c.size),
        "n_rows": float(model.a.shape[0]),
        "n_nonzeros": float(model.a.nnz),
        "mip_node_count": res.node_count,
        "backend": res.backend,
    }
    if res.x is None:
        # no incumbent (time limit before a first solution): keep the heuristic's plan
        if start_plot is None:
            start_plot, _ = greedy_best(inputs, params, pairs, time_budget=0.0, seed=seed)
        plot_of = start_plot
        stats["fallback_heuristic"] = 1.0
    else:
        x = np.round(res.x[: model.n_x]).astype(bool)
        plot_of = np.full((inputs.n_herds, inputs.n_periods), -1, dtype=np.int64)
        plot_of[pairs.h[x], pairs.t[x]] = pairs.p[x]
        stats["solver_objective"] = float(res.fun) if res.fun is not None else math.nan
    return build_plan(
        plot_of,
        inputs,
        params,
        solver="milp",
        status=res.status,
        bound=res.dual_bound,
        timings=timings,
        stats=stats,
    )
