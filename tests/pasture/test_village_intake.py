"""The village's near-village intake spread over its season's weeks (`pasture.planning.inputs`)."""

from __future__ import annotations

import numpy as np
import pytest

from grazing_models.rotation import RotationParams
from pasture.planning.inputs import village_left
from pasture.planning.periods import grazing_weeks

UTILISATION = RotationParams().utilisation


def _growing(rng: np.random.Generator, n_plots: int, labels: list[str]) -> np.ndarray:
    """Standing forage that greens up within each season (a running maximum), as the planner's."""
    out = np.zeros((n_plots, len(labels)))
    names = np.asarray(labels)
    for season in dict.fromkeys(labels):
        cols = np.flatnonzero(names == season)
        steps = rng.uniform(0.0, 2_000.0, size=(n_plots, len(cols)))
        out[:, cols] = np.cumsum(steps, axis=1)
    return out


def _season_cols(labels: list[str]) -> dict[str, np.ndarray]:
    names = np.asarray(labels)
    return {s: np.flatnonzero(names == s) for s in dict.fromkeys(labels)}


def test_the_village_eats_in_step_with_the_seasons_days() -> None:
    """On forage that stands still, the village's intake to date comes off each week:
    a 1/n share of the season's in its first week, the whole of it by its last."""
    periods = grazing_weeks(2024)
    labels = [p.season for p in periods]
    available = np.full((1, len(periods)), 10_000.0)
    near = np.full((1, len(periods)), 1_000.0)
    left = village_left(available, near, periods, utilisation=UTILISATION)
    # forage standing still: the season's end (the whole season reserved) binds
    assert left == pytest.approx(np.full_like(left, 10_000.0 - 1_000.0 / UTILISATION))
    # growing forage: the first week loses only its own share of the season's intake
    rising = np.linspace(1_000.0, 10_000.0, len(periods))[None, :]
    left = village_left(rising, near, periods, utilisation=UTILISATION)
    for season, cols in _season_cols(labels).items():
        held = sum(1 for p in periods if season in p.seasons)
        first = cols[0]
        assert left[0, first] == pytest.approx(
            max(rising[0, first] - 1_000.0 / held / UTILISATION, 0.0)
        )


def test_spread_intake_leaves_at_least_the_whole_season_cut() -> None:
    """Never less than taking the whole season's intake off from its first week, and more
    where the forage is still growing."""
    periods = grazing_weeks(2024)
    labels = [p.season for p in periods]
    rng = np.random.default_rng(7)
    available = _growing(rng, 40, labels)
    near = np.repeat(rng.uniform(0.0, 8_000.0, size=(40, 1)), len(periods), axis=1)
    left = village_left(available, near, periods, utilisation=UTILISATION)
    whole = np.maximum(available - near / UTILISATION, 0.0)
    assert (left >= whole - 1e-9).all()
    assert left.sum() > whole.sum()


@pytest.mark.parametrize("seed", range(5))
def test_village_and_plan_stay_within_the_seasons_allowance(seed: int) -> None:
    """Herds eating all the planner lets them, in any weeks of a season, plus the village's
    whole season never exceed utilisation × the season's standing forage."""
    periods = grazing_weeks(2024)
    labels = [p.season for p in periods]
    rng = np.random.default_rng(seed)
    n = 30
    available = _growing(rng, n, labels)
    near = np.repeat(rng.uniform(0.0, 10_000.0, size=(n, 1)), len(periods), axis=1)
    left = village_left(available, near, periods, utilisation=UTILISATION)
    for cols in _season_cols(labels).values():
        allowance = UTILISATION * available[:, cols].max(axis=1)
        grazed = rng.random((n, len(cols))) < 0.4
        eaten = np.zeros(n)
        for k, t in enumerate(cols):
            room = np.maximum(UTILISATION * left[:, t] - eaten, 0.0)
            eaten += np.where(grazed[:, k], room, 0.0)
        fits = near[:, 0] <= allowance
        assert (eaten[fits] + near[fits, 0] <= allowance[fits] + 1e-6).all()
        assert (eaten[~fits] == 0).all()
