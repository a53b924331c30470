"""Two plans of a season side by side: what moved, the moves and the deficits per union."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pasture.store import Store

__all__ = ["compare_plans", "herd_moves"]

#: At most this many herds are listed by name under the comparison table.
MAX_LISTED_HERDS = 50


def herd_moves(assignments: pd.DataFrame) -> pd.Series:
    """Per herd, how often its plot changes from one week to the next."""
    placed = assignments[assignments["plot_id"].fillna("") != ""].sort_values(["herd_id", "period"])
    changed = placed.groupby("herd_id")["plot_id"].transform(lambda s: s.ne(s.shift()).cumsum())
    return changed.groupby(placed["herd_id"]).max().fillna(1).astype(int) - 1


def _read(store: Store, plan_id: str, union: str | None) -> pd.DataFrame:
    where: dict[str, Any] = {"plan_id": plan_id}
    if union:
        where["union_id"] = union
    frame = store.read_rows("assignments", where=where)
    frame["plot_id"] = frame["plot_id"].fillna("")
    return frame


def _deficits(store: Store, plan_id: str, union: str | None) -> pd.Series:
    where: dict[str, Any] = {"plan_id": plan_id}
    if union:
        where["union_id"] = union
    rows = store.read_rows("deficits", where=where)
    return rows.groupby("union_id")["deficit_kg"].sum()


def compare_plans(
    store: Store, a: str, b: str, union: str | None, union_names: dict[str, str]
) -> tuple[list[list[Any]], list[list[str]]]:
    """Rows per union and the herds that moved.

    Returns
    -------
    table
        ``[union, herd-weeks, herd-weeks on another plot, moves in a, moves in b,
        deficit kg in a, deficit kg in b]`` per union, then the totals.
    moved
        ``[herd, weeks on another plot, plots in a, plots in b]`` of the herds whose
        plots differ most (at most :data:`MAX_LISTED_HERDS`).
    """
    fa, fb = _read(store, a, union), _read(store, b, union)
    both = fa.merge(fb, on=["herd_id", "union_id", "period"], how="outer", suffixes=("_a", "_b"))
    both[["plot_id_a", "plot_id_b"]] = both[["plot_id_a", "plot_id_b"]].fillna("")
    both["differs"] = both["plot_id_a"] != both["plot_id_b"]
    moves_a, moves_b = herd_moves(fa), herd_moves(fb)
    herd_union = both.drop_duplicates("herd_id").set_index("herd_id")["union_id"]
    def_a, def_b = _deficits(store, a, union), _deficits(store, b, union)
    table: list[list[Any]] = []
    for u, group in both.groupby("union_id"):
        herds = herd_union[herd_union == u].index
        table.append(
            [
                union_names.get(str(u), str(u)),
                len(group),
                int(group["differs"].sum()),
                int(moves_a.reindex(herds).fillna(0).sum()),
                int(moves_b.reindex(herds).fillna(0).sum()),
                float(def_a.get(u, 0.0)),
                float(def_b.get(u, 0.0)),
            ]
        )
    total = ["Σ", *(sum(r[i] for r in table) for i in range(1, 7))]
    return [*table, total], _moved_herds(both)


def _moved_herds(both: pd.DataFrame) -> list[list[str]]:
    differing = both[both["differs"]]
    counts = differing.groupby("herd_id").size().sort_values(ascending=False)
    rows = []
    for herd, n in counts.head(MAX_LISTED_HERDS).items():
        mine = differing[differing["herd_id"] == herd]
        rows.append(
            [
                str(herd),
                str(int(n)),
                ", ".join(sorted({p for p in mine["plot_id_a"] if p})),
                ", ".join(sorted({p for p in mine["plot_id_b"] if p})),
            ]
        )
    return rows
