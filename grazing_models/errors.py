"""The errors pure code raises; ``pasture.errors`` adds the store's errors to the same base."""

from __future__ import annotations

from dataclasses import dataclass


class PastureError(Exception):
    """Base class of every error the domain raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one feature or row of an input."""

    message: str
    feature: str | None = None
    field: str | None = None
    location: tuple[float, float] | None = None

    def __str__(self) -> str:
        parts = []
        if self.feature is not None:
            parts.append(f"feature {self.feature}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        where = f" at {self.location[0]:.6f} {self.location[1]:.6f}" if self.location else ""
        prefix = ", ".join(parts)
        return f"{prefix}: {self.message}{where}" if prefix else f"{self.message}{where}"


class InvalidInput(PastureError):
    """Input that cannot be stored: says which file, which features and what to fix."""

    max_listed = 20

    def __init__(self, source: str, problems: list[Problem] | list[str]) -> None:
        self.source = source
        self.problems = [p if isinstance(p, Problem) else Problem(p) for p in problems]
        listed = "\n".join(f"  - {p}" for p in self.problems[: self.max_listed])
        more = len(self.problems) - self.max_listed
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(
            f"{source}: {len(self.problems)} problem(s), nothing was written\n{listed}{tail}"
        )
