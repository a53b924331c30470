"""The entry point: :func:`plan_rotation` picks the exact model or the heuristic; the
heuristic plans in the caller's thread while a worker thread computes its lower bounds."""

from __future__ import annotations

import functools
import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from grazing_models.rotation import forage_lp
from grazing_models.rotation.deadline import Clock, Deadline
from grazing_models.rotation.forage_lp import ForageBound, forage_lower_bound, supply_bound
from grazing_models.rotation.herd_paths import herd_lower_bound
from grazing_models.rotation.heuristic import heuristic_best
from grazing_models.rotation.lagrangian import lagrangian_herd_bound
from grazing_models.rotation.milp import solve_milp
from grazing_models.rotation.model import Plan, RotationInputs, RotationParams
from grazing_models.rotation.objective import build_plan, fill_eaten
from grazing_models.rotation.pairs import Candidates, Pairs, planning_pairs
from grazing_models.rotation.transport import transport_bound

__all__ = [
    "AUTO_MILP_MAX_PAIRS",
    "DISTRICT_LP_COLUMNS_PER_CPU_S",
    "DISTRICT_LP_WEEKLY_COLUMNS",
    "FINISH_PER_PAIRS_TIME",
    "FINISH_SHARE",
    "FINISH_SHARE_MAX",
    "FULL_PAIRS_MAX",
    "HERD_BOUND_MAX_WORK",
    "MIN_CPU_SHARE",
    "MIN_PLOTS_PER_HERD",
    "POOLED_PAIRS_MAX",
    "TRANSPORT_BOUND_MAX_PAIRS",
    "TRIVIAL_BOUND",
    "Incumbent",
    "SolverName",
    "cpu_share",
    "district_group",
    "finish_reserve",
    "plan_rotation",
    "usable_cores",
]

SolverName = Literal["auto", "milp", "heuristic"]

#: ``solver="auto"`` builds the MILP when the pruned model has at most this
#: many herd x plot x period pairs (binary variables); above it the heuristic
#: runs. Measured on this project's benchmark (benchmarks/planner.py).
AUTO_MILP_MAX_PAIRS = 5_000  # the MILP reaches a 1% gap in seconds only below a few thousand pairs (benchmarks/planner.py)

#: The heuristic's bound solves the per-period transport LP only up to this many candidate
#: pairs: on the demo district (3.2 M pairs) it takes 10 s and gives 15 against the forage
#: LP's 3,399; on synthetic districts of 2,000 plots (150,000 pairs) 0.6 s, 1.9e7 against
#: 5.7e8 (benchmarks/planner.py). It can be the larger bound only where a herd's own
#: candidate plots matter more than forage over the season.
TRANSPORT_BOUND_MAX_PAIRS = 500_000

#: The heuristic's bound plans each herd alone only while the sum over herds of their
#: candidate plots per week, squared, stays below this (the demo district: 1e8, a
#: second; ten times larger without ``max_home_km``: 3e10, hours).
HERD_BOUND_MAX_WORK = 2e9

#: The planner keeps every herd's every candidate pair only up to this many (the demo
#: district has 3.2 M, ten times the demo 58 M, 3.9 GB with what is built on them); above
#: it each herd plans on its ``MAX_PLOTS_PER_HERD`` candidate plots nearest home, and the
#: bound is the forage LP on each union's candidates pooled (the bounds that plan each herd
#: alone need all of its candidates). Memory then grows with herds, not herds x plots.
FULL_PAIRS_MAX = 8_000_000

#: The unions' pooled candidates (the forage LP's columns and the supply bound's) are
#: listed only up to this many; above it the supply bound pools every herd as one union
#: and the LP is skipped. Two copies of the demo store's district have 6.2 M: the supply
#: bound took 37 s of a 60 s limit on them (loaded machine), and the LP's first solve on
#: the demo's own 1.6 M did not finish in 38 s (benchmarks/planner.py --sizes --store).
POOLED_PAIRS_MAX = 2_000_000

#: The unions' forage LP runs after the district's only up to this many columns (each
#: union's pooled candidates; above it the LP generates its columns). On the demo store
#: (69 unions, 1.6 M columns) it had proven 4.5e9 after 240 s (39 s of CPU, not finished),
#: where the district LP's 29,234 columns proved 1.18e10 in 23 s (5.5 s of CPU, finished;
#: load average 10): above this the unions' LP only takes a core from the passes.
UNIONS_LP_MAX_COLUMNS = 200_000

#: The district forage LP's columns (plots x weeks) its cutting-plane rounds get through
#: per second of a core, all of them, beside the heuristic's passes: ten copies of the
#: demo store's district over fortnights, 163,690 columns, complete in 12.6 s of CPU alone
#: but two rounds in 43.6 s beside the passes (load 5, the pairs at 0.47 of a core); four
#: copies weekly, 117,000, complete in 8.1 s alone (benchmarks/planner.py). Where the
#: weekly LP has more columns than this many times the seconds left (times the share of a
#: core the pairs got), or more than the LP holds from the start, it is first solved over
#: groups of weeks (:func:`district_group`).
DISTRICT_LP_COLUMNS_PER_CPU_S = 5_000

#: ...and up to this many columns the weekly LP runs whatever the time left (the demo
#: store's 29,234 complete in 1.1 s of CPU): a small district keeps its weekly bound.
DISTRICT_LP_WEEKLY_COLUMNS = 10_000

#: Pruned, a herd keeps at least this many of its candidate plots nearest home (a season
#: of 2-week stays and 3-7 weeks of rest needs a dozen or so).
MIN_PLOTS_PER_HERD = 100

#: Share of the time limit kept for the last step, the plan from its placements (eaten kg,
#: assignments, deficits), and for the steps that cannot stop mid-way (one herd's
#: re-planning, a HiGHS solve returning): the passes and bounds stop that much before the
#: limit. 0.05 left the 2x district at 1.07 of its limit on a loaded machine.
FINISH_SHARE = 0.10

#: And at least this many times what the candidate pairs took: both grow with the
#: instance and slow down alike on a loaded machine (synthetic districts, loaded machine:
#: 1x demo 0.18 s to build the plan after 0.72 s of pairs, 10x 2.9 s after 9.3 s; ten
#: copies of the demo store, load 14: 9.8 s after 8.8 s), so a large district on a short
#: limit keeps the time its plan takes to build, and its cut greedy pass to be scored.
#: (0.5 while the pairs took a dense distance matrix, 20 times longer at 10x.)
FINISH_PER_PAIRS_TIME = 1.0

#: The two reserves above were measured at full speed; a process that gets a third of a
#: core builds its plan three times slower (national benchmark, 10 s limits, load 11-16:
#: the slowest district took 1.93 x its limit). So :data:`FINISH_SHARE` is divided by the
#: share of a core the planning thread got while it built the pairs (its
#: ``time.thread_time()`` over ``time.perf_counter()``), counted down to this at least...
MIN_CPU_SHARE = 0.25

#: ...and the reserve is at most this share of the limit: the passes keep the rest.
FINISH_SHARE_MAX = 0.4

#: Pairs built faster than this tell too little of the share of a core (a tick of the
#: scheduler is 4-10 ms): the process counts as running at full speed.
CPU_SHARE_MIN_WALL = 0.05

#: The objective's terms are all >= 0: no plan costs less than 0, a bound that is always
#: proven; a bound cut short by the time limit may prove less and is not reported.
TRIVIAL_BOUND = 0.0


@dataclass
class _Bounds:
    """The heuristic's lower bounds; ``value`` is the best of them."""

    supply: float | None = None
    coarse: ForageBound | None = None
    coarse_group: int = 0
    district: ForageBound | None = None
    forage: ForageBound | None = None
    herds: float | None = None
    herds_priced: bool = False
    herds_rounds: int = 0
    herds_converged: bool = False
    transport: float | None = None

    @property
    def value(self) -> float:
        """The best bound found, never below :data:`TRIVIAL_BOUND`."""
        found = [
            b
            for b in (
                self.supply,
                self.coarse.value if self.coarse else None,
                self.district.value if self.district else None,
                self.forage.value if self.forage else None,
                self.herds,
                self.transport,
            )
            if b is not None and np.isfinite(b)
        ]
        return max([TRIVIAL_BOUND, *found])

    @property
    def priced(self) -> ForageBound | None:
        """The forage LP whose window rows and duals price forage: the unions' where it
        proves more than the district's (a relaxation of it, see
        :class:`~grazing_models.rotation.forage_lp.ForageLp`), else the district's, or the
        district's over groups of weeks where it proves more still (its rows are rows of
        the weekly LP: :mod:`~grazing_models.rotation.forage_data`)."""
        found = (self.forage, self.district, self.coarse)
        lps = [b for b in found if b is not None and b.rows.lam.size]
        return max(lps, key=lambda b: b.value, default=None)

    def stats(self) -> dict[str, float]:
        out: dict[str, float] = {}
        if self.supply is not None:
            out["bound_supply"] = self.supply
        if self.coarse is not None:
            out["bound_coarse_weeks"] = float(self.coarse_group)
        for name, lp in (
            ("coarse", self.coarse),
            ("district", self.district),
            ("forage", self.forage),
        ):
            if lp is not None:
                out |= {
                    f"bound_{name}": lp.value,
                    f"bound_{name}_rounds": float(lp.rounds),
                    f"bound_{name}_windows": float(lp.windows),
                    f"bound_{name}_complete": float(lp.complete),
                }
        if self.herds is not None:
            out["bound_herds"] = self.herds
            out["bound_herds_priced"] = float(self.herds_priced)
            out["bound_herds_rounds"] = float(self.herds_rounds)
            out["bound_herds_converged"] = float(self.herds_converged)
        if self.transport is not None:
            out["bound_transport"] = self.transport
        return out


def _other_bounds(
    inputs: RotationInputs,
    params: RotationParams,
    pairs: Pairs | None,
    bounds: _Bounds,
    incumbent: Incumbent,
    deadline: float,
) -> None:
    """Add the bounds that see what the forage LP does not: the per-period transport LP
    (each herd's own candidate plots and demand), and each herd planned alone (its moves
    and walking, per herd) paying prices of forage: the LP's, then better ones while time
    is left (:mod:`grazing_models.rotation.lagrangian`); each only where it is cheap enough
    and every herd's candidates were kept (``pairs`` not ``None``)."""
    if pairs is None:
        return
    if pairs.h.size <= TRANSPORT_BOUND_MAX_PAIRS:
        bounds.transport = transport_bound(inputs, params, pairs, deadline=deadline)
    # the herds' programmes cost about (candidate plots)² per herd: skip them when huge
    per_herd = np.bincount(pairs.h, minlength=inputs.n_herds) / max(inputs.n_periods, 1)
    if float(np.sum(per_herd**2)) > HERD_BOUND_MAX_WORK:
        return
    priced = bounds.priced
    if priced is None or priced.price_value <= 0.0:
        alone = herd_lower_bound(inputs, params, pairs, deadline=deadline)
        bounds.herds = alone.total if alone.complete else None
        return

    def plans(wait: bool) -> list[tuple[np.ndarray, np.ndarray]]:
        found = incumbent.take(deadline if wait else None)
        return [(plot_of, fill_eaten(plot_of, inputs, params)) for plot_of in found]

    found = lagrangian_herd_bound(
        inputs, params, pairs, priced, plans, deadline=deadline, workers=incumbent.workers
    )
    bounds.herds = found.value if np.isfinite(found.value) else None
    bounds.herds_priced = True
    bounds.herds_rounds, bounds.herds_converged = found.rounds, found.converged


class Incumbent:
    """The heuristic's plans, shared with the bound's thread (each herd's season in a plan
    is a column of the bound's master), and whether the heuristic is done (then the bound
    may use every core)."""

    def __init__(self) -> None:
        self._plans: list[np.ndarray] = []
        self._taken = 0
        self._lock = threading.Lock()
        self._found = threading.Event()
        self.done = threading.Event()

    def offer(self, plot_of: np.ndarray) -> None:
        """A plan the heuristic made."""
        with self._lock:
            self._plans.append(plot_of)
        self._found.set()

    def finish(self) -> None:
        """The heuristic is done (or failed: nothing more to wait for)."""
        self.done.set()
        self._found.set()

    def take(self, wait_until: float | None = None) -> list[np.ndarray]:
        """The plans not taken yet; with ``wait_until`` (``time.perf_counter()``), waiting
        for the first until then at most (or until the heuristic is done)."""
        if wait_until is not None:
            self._found.wait(max(0.0, wait_until - time.perf_counter()))
        with self._lock:
            new, self._taken = self._plans[self._taken :], len(self._plans)
        return new

    def workers(self) -> int:
        """Threads the bound may use now: the cores the heuristic does not."""
        return max(1, usable_cores() - (0 if self.done.is_set() else 1))


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and
    ``taskset`` narrow; ``os.cpu_count()`` counts the machine's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


class _BoundWorker:
    """The heuristic's lower bounds, computed in a thread alongside its passes: HiGHS and
    the path kernel release the GIL, so on two cores the bound costs little wall time
    (demo district: the forage LP's 8 s overlap the herd-by-herd passes). In order: the
    district forage LP (its prices go to the passes as soon as it is done), the unions'
    forage LP up to :data:`UNIONS_LP_MAX_COLUMNS`, then :func:`_other_bounds`."""

    def __init__(
        self,
        inputs: RotationInputs,
        params: RotationParams,
        cands: Candidates,
        bounds: _Bounds,
        deadline: Deadline,
        timings: dict[str, float],
    ) -> None:
        self._inputs, self._params, self._cands = inputs, params, cands
        self.bounds, self._deadline, self._timings = bounds, deadline, timings
        self.incumbent = Incumbent()
        self._priced = threading.Event()
        self._error: BaseException | None = None
        # not a daemon: a bound may still be inside HiGHS for a second or more after the
        # plan is returned (it stops at its own deadline), and a process that exits then
        # would tear HiGHS down under a running thread and abort ("terminate called
        # without an active exception", status 134); Python waits for it at exit instead
        self._thread = threading.Thread(target=self._run, name="rotation-bound", daemon=False)
        self._thread.start()

    def _run(self) -> None:
        try:
            # first every herd as one union's: at most plots x periods columns, a bound and
            # prices in seconds where the unions' LP may not finish within the limit (the
            # demo store's 69 unions each have its 2,232 public plots: 1.6 M columns)
            self._district()
            self._priced.set()
            t1 = time.perf_counter()
            # every herd's candidates where they were kept: the LP's windows then match
            # the herds bounds' rows; else each union's, pooled
            pooled = self._cands.full if self._cands.full is not None else self._cands.union
            union = self._cands.union
            small = union is not None and union.h.size <= UNIONS_LP_MAX_COLUMNS
            if pooled is not None and small and not self._deadline.passed():
                self.bounds.forage = forage_lower_bound(
                    self._inputs,
                    self._params,
                    pooled,
                    time_limit=self._deadline.left(),
                    on_round=self._unions_round,
                )
            self._timings["bound_forage_s"] = time.perf_counter() - t1
            t1 = time.perf_counter()
            _other_bounds(
                self._inputs,
                self._params,
                self._cands.full,
                self.bounds,
                self.incumbent,
                self._deadline.perf_at(),
            )
            self._timings["bound_s"] = time.perf_counter() - t1
        except BaseException as exc:  # re-raised in the caller's thread by join()
            self._error = exc
        finally:
            self._priced.set()

    def _district(self) -> None:
        """The district forage LP: over groups of weeks first where the weekly one is too
        large for the time left (:func:`district_group`), then over shorter groups while
        the time left lets one through, weekly last; the prices are there after the
        first."""
        group, last = self._group(), 0
        while last == 0 or (group < last and not self._deadline.passed()):
            t1 = time.perf_counter()
            if group == 1:
                self.bounds.district = forage_lower_bound(
                    self._inputs,
                    self._params,
                    self._cands.anywhere,
                    time_limit=self._deadline.left(),
                    one_union=True,
                    on_round=self._district_round,
                )
                self._timings["bound_district_s"] = time.perf_counter() - t1
                return
            coarse = forage_lower_bound(
                self._inputs,
                self._params,
                self._cands.anywhere,
                time_limit=self._deadline.left(),
                one_union=True,
                group=group,
                on_round=functools.partial(self._coarse_round, group=group),
            )
            self._coarse_round(coarse, group)
            spent = time.perf_counter() - t1
            self._timings["bound_coarse_s"] = self._timings.get("bound_coarse_s", 0.0) + spent
            self._priced.set()
            last, group = group, self._group()

    def _group(self) -> int:
        timings = self._timings
        share = cpu_share(timings.get("prune_s", 0.0), timings.get("prune_cpu_s", 0.0))
        n = int(self._cands.anywhere.h.size)
        return district_group(n, self._inputs.n_periods, self._deadline.left(), share)

    def _coarse_round(self, found: ForageBound, group: int) -> None:
        # the best over every grouping tried (each is a relaxation of the weekly LP)
        best = self.bounds.coarse
        if best is None or found.value >= best.value:
            self.bounds.coarse, self.bounds.coarse_group = found, group

    # each LP's bound after every round: the plan is built at the LPs' own deadline, and
    # takes the bounds of the rounds done by then (at 4x the demo store the district LP's
    # rounds take 10-30 s each under load; its last one is cut by the deadline)
    def _district_round(self, found: ForageBound) -> None:
        self.bounds.district = found

    def _unions_round(self, found: ForageBound) -> None:
        self.bounds.forage = found

    def price(self, wait: float) -> np.ndarray | None:
        """The forage LP's prices of forage, waiting for them ``wait`` seconds, and until
        the deadline, at most (``None`` if the LP failed or is not done by then: the
        heuristic plans without)."""
        self._priced.wait(max(0.0, min(wait, self._deadline.left())))
        priced = self.bounds.priced if self._priced.is_set() else None
        return None if priced is None else priced.price

    def join(self, until: Deadline) -> bool:
        """Wait for every bound until ``until`` at most; raise what the thread raised.
        Whether it finished (if not, the bounds found so far stand: each bound stops at its
        deadline soon after)."""
        self._thread.join(until.left())
        if self._error is not None:
            raise self._error
        return not self._thread.is_alive()


def plan_rotation(
    inputs: RotationInputs,
    params: RotationParams | None = None,
    *,
    solver: SolverName = "auto",
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-4,
    auto_max_pairs: int = AUTO_MILP_MAX_PAIRS,
    seed: int = 0,
    bound: bool = True,
    warm_start: bool = True,
    clock: Clock = time.perf_counter,
) -> Plan:
    """Plan a season's grazing rotation: each herd to a plot, period by period.

    Parameters
    ----------
    inputs
        Plots, herds, periods and forage.
    params
        Planning parameters; defaults from docs/domain.md when ``None``.
    solver
        ``"milp"`` (exact, HiGHS), ``"heuristic"`` (greedy and herd-by-herd
        passes) or ``"auto"``: the MILP when the pruned model has at most
        ``auto_max_pairs`` herd x plot x period pairs, else the heuristic.
    time_limit
        Seconds for the MILP solve. For the heuristic, a contract: seconds for everything
        this call does (candidate pairs, passes, bounds and building the plan). The passes,
        the first greedy one too, and the bounds stop at the limit, less
        :data:`FINISH_SHARE` of it kept for building the plan (more when the process runs
        on less than a core, see :func:`finish_reserve`): a short limit gives fewer
        passes (or a first pass cut short, its herds unplaced where it did not reach) and a
        weaker bound (the supply bound at least), not a late plan. A limit already past
        when the passes start (``pasture demo``'s 0.1 s) still gets one whole greedy pass,
        the plan's floor. The bound's search for
        better prices goes on to the limit unless it converges first: a longer limit proves
        a smaller gap (demo district: 35.1% in 20 s, 23.5% in 60 s).
    mip_rel_gap
        Relative gap at which HiGHS stops.
    auto_max_pairs
        Size limit for ``solver="auto"``.
    seed
        Seed of the heuristic's randomised restarts (plans are reproducible when the
        time limit lets the same restarts run).
    bound
        Whether the heuristic computes its lower bound (see :mod:`grazing_models.rotation`); its
        forage LP also prices forage for the heuristic, which plans without prices when
        ``False``.
    warm_start
        Start the MILP from the heuristic's plan (needs the HiGHS Python
        bindings: ``highspy``, or the copy bundled with SciPy >= 1.15).
    clock
        The heuristic's clock (seconds, monotonic): every phase asks one
        :class:`~grazing_models.rotation.deadline.Deadline` on it how long is left. Tests
        pass a clock they move on themselves.

    Returns
    -------
    Plan
        Assignments, deficits per union and period, solver status, objective,
        bound, gap, parameters and timings.

    Raises
    ------
    ValueError
        On an unknown solver name.
    """
    params = params or RotationParams()
    if solver not in ("auto", "milp", "heuristic"):
        raise ValueError(f"unknown solver {solver!r}; use 'auto', 'milp' or 'heuristic'")
    timings: dict[str, float] = {}
    t0, c0 = time.perf_counter(), time.thread_time()
    deadline = Deadline(time_limit, clock)
    cands = planning_pairs(
        inputs,
        params,
        max_pairs=FULL_PAIRS_MAX,
        min_plots=MIN_PLOTS_PER_HERD,
        max_pooled=POOLED_PAIRS_MAX,
    )
    timings["prune_s"] = time.perf_counter() - t0
    timings["prune_cpu_s"] = time.thread_time() - c0
    chosen = solver
    if solver == "auto":
        small = cands.full is not None and cands.full.h.size <= auto_max_pairs
        chosen = "milp" if small else "heuristic"
    if chosen == "milp":
        if cands.full is None:
            raise ValueError(
                f"the exact MILP would have {cands.n_full:,} candidate pairs, more than "
                f"{FULL_PAIRS_MAX:,} the planner holds; use solver='heuristic'"
            )
        plan = solve_milp(
            inputs,
            params,
            cands.full,
            time_limit=time_limit,
            mip_rel_gap=mip_rel_gap,
            warm_start=warm_start,
            seed=seed,
            timings=timings,
        )
    else:
        plan = _plan_heuristic(
            inputs, params, cands, deadline=deadline, seed=seed, bound=bound, timings=timings
        )
    timings["total_s"] = time.perf_counter() - t0
    return plan


def district_group(n_columns: int, n_periods: int, seconds: float, share: float) -> int:
    """Weeks per period of the district forage LP that ``seconds`` left at ``share`` of a
    core let finish: 1 (weekly) where its ``n_columns`` are at most
    :data:`DISTRICT_LP_COLUMNS_PER_CPU_S` times ``seconds * share`` (or at most
    :data:`DISTRICT_LP_WEEKLY_COLUMNS`) and at most what the LP holds from the start
    (``forage_lp.ALL_COLUMNS_MAX``: above it, it generates them and its first rounds prove
    little), else the fewest weeks per period that bring them within both, at most
    ``n_periods`` (the whole season as one period)."""
    by_time = max(DISTRICT_LP_WEEKLY_COLUMNS, DISTRICT_LP_COLUMNS_PER_CPU_S * seconds * share)
    fit = min(float(forage_lp.ALL_COLUMNS_MAX), by_time)
    if n_columns <= fit:
        return 1
    return max(1, min(n_periods, math.ceil(n_columns / max(fit, 1.0))))


def cpu_share(wall_s: float, cpu_s: float) -> float:
    """The share of a core a thread got: ``cpu_s`` of CPU time in ``wall_s`` seconds
    (1.0 when ``wall_s`` is below :data:`CPU_SHARE_MIN_WALL`: too short to tell)."""
    if wall_s < CPU_SHARE_MIN_WALL:
        return 1.0
    return min(1.0, max(cpu_s, 0.0) / wall_s)


def finish_reserve(deadline: Deadline, pairs_s: float, pairs_cpu_s: float) -> Deadline:
    """Where the passes and bounds stop: :data:`FINISH_SHARE` of the time left before
    ``deadline``, divided by the share of a core the pairs got (:func:`cpu_share`, at least
    :data:`MIN_CPU_SHARE`; at most :data:`FINISH_SHARE_MAX` of the time left), and at least
    :data:`FINISH_PER_PAIRS_TIME` times the ``pairs_s`` seconds the pairs took."""
    share = max(cpu_share(pairs_s, pairs_cpu_s), MIN_CPU_SHARE)
    reserve = min(FINISH_SHARE / share, FINISH_SHARE_MAX)
    return deadline.before(reserve, at_least=FINISH_PER_PAIRS_TIME * pairs_s)


def _plan_heuristic(
    inputs: RotationInputs,
    params: RotationParams,
    cands: Candidates,
    *,
    deadline: Deadline,
    seed: int,
    bound: bool,
    timings: dict[str, float],
) -> Plan:
    """The heuristic's plan by ``deadline``, with its bounds when ``bound``: first the
    supply bound (one sort of the candidates: a plan always has a proven bound), then the
    LP's and the herds' alongside the passes. Passes and bounds stop at
    :func:`finish_reserve`, to leave the time to build the plan; the bounds' thread is waited
    for until the deadline at most."""
    bounds = _Bounds()
    worker = None
    if bound:
        t1 = time.perf_counter()
        if cands.union is not None:
            bounds.supply = supply_bound(inputs, params, cands.union)
        else:  # too many unions' candidates to list: every herd's pooled as one union's
            bounds.supply = supply_bound(inputs, params, cands.anywhere, one_union=True)
        timings["bound_supply_s"] = time.perf_counter() - t1
    work = finish_reserve(deadline, timings["prune_s"], timings["prune_cpu_s"])
    if bound and not work.passed():  # past it, only the greedy pass and the supply bound
        worker = _BoundWorker(inputs, params, cands, bounds, work, timings)
    t1 = time.perf_counter()
    try:
        plot_of = heuristic_best(
            inputs,
            params,
            cands.plan,
            time_budget=work.left(),
            seed=seed,
            price=worker.price if worker is not None else None,
            on_plan=worker.incumbent.offer if worker is not None else lambda plot_of: None,
        )
    finally:
        if worker is not None:
            worker.incumbent.finish()
    timings["heuristic_s"] = time.perf_counter() - t1
    finished = worker.join(work) if worker is not None else True
    t2 = time.perf_counter()
    stats = {
        "n_pairs": float(cands.plan.h.size),
        "n_candidates": float(cands.n_full),
        "pairs_pruned": float(cands.full is None),
        "bound_finished": float(finished),
        "cpu_share": cpu_share(timings["prune_s"], timings["prune_cpu_s"]),
        **bounds.stats(),
    }
    plan = build_plan(
        plot_of,
        inputs,
        params,
        solver="heuristic",
        status="feasible",
        bound=bounds.value if bound else None,
        timings=timings,
        stats=stats,
    )
    timings["finish_s"] = time.perf_counter() - t2
    if worker is not None and not finished:
        # the bounds stop at ``work``: give their thread until the deadline to be gone, so
        # that no thread of this call runs on past its time limit (the plan's bound is
        # fixed already; what they find now is not used)
        stats["bound_thread_left"] = float(not worker.join(deadline))
    return plan
