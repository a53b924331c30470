"""Districts with village-like flocks: herds that share a home point."""

from __future__ import annotations

from dataclasses import replace

from grazing_models.rotation import RotationInputs


def split_first_herd(inputs: RotationInputs, n: int) -> RotationInputs:
    """``inputs`` with its first herd split into ``n`` flocks at its home point."""
    first = inputs.herds[0]
    flocks = [replace(first, id=f"{first.id}-flock-{k}") for k in range(n)]
    return RotationInputs(
        inputs.plots,
        (*flocks, *inputs.herds[1:]),
        inputs.periods,
        inputs.available_kg,
        inputs.regrowth_kg,
    )
