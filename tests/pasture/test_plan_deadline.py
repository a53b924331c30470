"""`create_plan` keeps its time limit end to end: the read, the planner, the check and the
write draw on one deadline (issue 23). The deadline's clock is injected: the tests move it
on themselves, and no test asserts on the wall clock."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import pasture
from grazing_models.rotation import RotationParams
from pasture import cli as pasture_cli
from pasture.planning import PlanningParams, create_plan, list_plans, rotation_inputs
from pasture.planning.budget import (
    FINISH_FIXED_S,
    FINISH_S_PER_ROW,
    TimeLimitTooShort,
    finish_reserve,
)
from pasture.planning.weekly import interp_rows
from pasture.progress import Step
from pasture.store import Store

SEASON = 2024
#: A reduced instance: one union's herds in spring, within 5 km of home.
SMALL = PlanningParams(unions=("upu-akshi",), seasons=("spring",))
SMALL_PARAMS = RotationParams(max_home_km=5.0)


@pytest.fixture(scope="module")
def store_path(demo_ndvi_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("deadline") / "demo.gpkg"
    shutil.copy(demo_ndvi_gpkg, target)
    return target


@pytest.fixture(scope="module")
def store(store_path: Path) -> Iterator[Store]:
    with pasture.open_store(store_path) as s:
        yield s


class ReadClock:
    """A clock that stands still while the inputs are read, except for the ``read_s`` it
    jumps when the read starts, then runs on at the machine's pace once planning starts
    (the planner waits on threads and HiGHS in real seconds)."""

    def __init__(self, read_s: float) -> None:
        self.read_s = read_s
        self.now = 0.0
        self.real_from: float | None = None

    def __call__(self) -> float:
        if self.real_from is None:
            return self.now
        return self.now + time.perf_counter() - self.real_from

    def progress(self, msg: object) -> None:
        if msg == "reading plots, herds and NDVI":
            self.now += self.read_s
        elif isinstance(msg, Step) and self.real_from is None:
            self.real_from = time.perf_counter()


def _plan(store: Store, clock: ReadClock, time_limit: float) -> str:
    return create_plan(
        store,
        season_year=SEASON,
        user="analyst",
        solver="heuristic",
        params=SMALL_PARAMS,
        planning=SMALL,
        time_limit=time_limit,
        lower_bound=False,
        progress=clock.progress,
        clock=clock,
    )


def test_the_solver_gets_what_the_read_left(store: Store) -> None:
    reserve = finish_reserve(rotation_inputs(store, season_year=SEASON, planning=SMALL))
    clock = ReadClock(read_s=25.0)
    # 25 s of reading, the finish's reserve, and 2.5 s for the planner
    plan_id = _plan(store, clock, time_limit=25.0 + reserve + 2.5)
    row = list_plans(store).set_index("id").loc[plan_id]
    assert row["state"] == "draft"
    shares = row["summary"]["time"]
    assert shares["read_s"] == pytest.approx(25.0)
    assert shares["finish_reserve_s"] == pytest.approx(reserve, abs=1e-3)
    assert shares["solver_limit_s"] == pytest.approx(2.5, abs=1e-3)
    # the same plan without the slow read gets that much more time to plan
    quick = ReadClock(read_s=0.0)
    plan_id = _plan(store, quick, time_limit=25.0 + reserve + 2.5)
    solver_s = list_plans(store).set_index("id").loc[plan_id, "summary"]["time"]
    assert solver_s["solver_limit_s"] == pytest.approx(27.5, abs=1e-3)


def test_a_read_longer_than_the_limit_is_a_clear_error_and_stores_nothing(store: Store) -> None:
    plans = list_plans(store)
    assignments = store.read_rows("assignments")
    clock = ReadClock(read_s=80.0)
    with pytest.raises(TimeLimitTooShort) as info:
        _plan(store, clock, time_limit=60.0)
    message = str(info.value)
    assert "took 80.0 s of the 60 s time limit" in message
    assert f"at least {info.value.ask_s:g} s" in message
    assert info.value.ask_s > 80.0 and info.value.ask_s % 5 == 0
    pd.testing.assert_frame_equal(list_plans(store), plans)
    pd.testing.assert_frame_equal(store.read_rows("assignments"), assignments)


def test_a_read_that_leaves_less_than_the_finish_needs_is_refused(store: Store) -> None:
    reserve = finish_reserve(rotation_inputs(store, season_year=SEASON, planning=SMALL))
    before = len(list_plans(store))
    with pytest.raises(TimeLimitTooShort, match="no time is left to plan"):
        _plan(store, ReadClock(read_s=10.0), time_limit=10.0 + reserve)
    assert len(list_plans(store)) == before


def test_the_cli_exits_with_the_invalid_input_code_and_says_what_to_ask_for(
    store_path: Path,
) -> None:
    # the whole demo's finish reserve alone (its herds x weeks) is above a second
    args = ["plan", "create", "--store", str(store_path), "--season", str(SEASON)]
    result = CliRunner().invoke(pasture_cli.main, [*args, "--time-limit", "1"])
    assert result.exit_code == 3, result.output
    assert "ask for a time limit of at least" in result.output


def test_the_finish_reserve_grows_with_the_herd_weeks(store: Store) -> None:
    small = rotation_inputs(store, season_year=SEASON, planning=SMALL)
    rows = small.n_herds * small.n_periods
    assert finish_reserve(small) == pytest.approx(FINISH_FIXED_S + FINISH_S_PER_ROW * rows)
    whole = rotation_inputs(store, season_year=SEASON)
    assert finish_reserve(whole) > finish_reserve(small)


def test_weekly_ndvi_interpolates_each_plot_as_np_interp_does() -> None:
    rng = np.random.default_rng(3)
    x = np.sort(rng.choice(np.arange(0.0, 300.0), size=25, replace=False))
    v = rng.random((40, x.size))
    v[rng.random(v.shape) < 0.4] = np.nan
    v[0] = np.nan  # a plot without any valid composite
    x_mid = np.concatenate([[-20.0], np.sort(rng.uniform(-10, 320, size=30)), [x[3]]])
    for gap in (np.inf, 20.0):
        got = interp_rows(v, x, x_mid, gap)
        for i in range(v.shape[0]):
            ok = np.isfinite(v[i])
            if not ok.any():
                assert np.isnan(got[i]).all()
                continue
            want = np.interp(x_mid, x[ok], v[i, ok])
            dist = np.abs(x_mid[:, None] - x[ok][None, :]).min(axis=1)
            want[dist > gap] = np.nan
            np.testing.assert_allclose(got[i], want, rtol=1e-12, equal_nan=True)


def test_the_herds_read_follows_the_store_version(store: Store) -> None:
    before = rotation_inputs(store, season_year=SEASON, planning=SMALL)
    herds = store.read("herds", where={"union_id": "upu-akshi"})
    more = herds.iloc[[0]].copy()
    more["sheep"] = int(more["sheep"].iat[0]) + 500
    store.write("herds", more.drop(columns=["version"]), user="test", mode="upsert")
    after = rotation_inputs(store, season_year=SEASON, planning=SMALL)
    # the union's census heads are split anew: the herd that holds more gets more
    assert [h.sheep_units for h in after.herds] != [h.sheep_units for h in before.herds]
