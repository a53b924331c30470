"""Herds on maps and charts: unique, meaningful labels and the legend grouped by union."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from ..i18n import Translator
from ..model import SPECIES
from ..science.herds import VILLAGE_PREFIX
from .page import esc

__all__ = ["HerdStyles", "herd_labels", "herd_styles", "herds_legend", "union_names"]


def union_names(unions: pd.DataFrame | None) -> dict[str, str]:
    """Union id → name (the id when unnamed)."""
    if unions is None or len(unions) == 0:
        return {}
    names = unions["name"] if "name" in unions else unions["id"]
    return {str(i): str(n or i) for i, n in zip(unions["id"], names, strict=True)}


def _species_word(row: dict[str, object], t: Translator) -> str:
    """The herd's main species by head count, as a word (herds without a name get it)."""
    words = {
        "sheep": t("Sheep"),
        "goats": t("Goats"),
        "cattle": t("Cattle"),
        "horses": t("Horses"),
        "camels": t("Camels"),
    }
    counts = {s: float(str(row.get(s) or 0)) for s in SPECIES}
    best = max(counts, key=lambda s: counts[s])
    return words[best] if counts[best] > 0 else ""


def herd_labels(
    herds: pd.DataFrame | None,
    unions: pd.DataFrame | None,
    t: Translator,
    *,
    ids: Iterable[str],
    herd_unions: dict[str, str],
    with_union: bool = True,
) -> dict[str, str]:
    """Herd id → a label unique in the district: ``union: herd name``.

    A herd without a name is named by its main species and id; where two herds
    would still read the same, their ids are added. The labels are plain text.

    Parameters
    ----------
    herds
        The ``herds`` layer (``id``, ``name``, ``union_id``, species counts) or None.
    unions
        The ``unions`` layer (``id``, ``name``) or None: union ids are shown then.
    t
        Translator for the species words.
    ids
        The herds to label.
    herd_unions
        Herd id → union id (from the plan where the layer does not say).
    with_union
        Whether the union's name leads the label (False: for rows already
        grouped under their union's name).
    """
    rows = {}
    if herds is not None and len(herds):
        plain = herds.drop(columns=[c for c in ("geometry",) if c in herds])
        rows = {str(r["id"]): r for r in plain.to_dict("records")}
    names = union_names(unions)
    labels: dict[str, str] = {}
    for hid in ids:
        row = rows.get(hid, {})
        union = herd_unions.get(hid) or str(row.get("union_id") or "")
        own = row.get("name")
        if not isinstance(own, str) or not own.strip():
            own = f"{_species_word(row, t)} {hid}".strip()
        elif union.startswith(VILLAGE_PREFIX):
            # a village flock's name says its village ("Esik village — sheep flock 1 of 44")
            labels[hid] = own
            continue
        labels[hid] = f"{names.get(union, union)}: {own}" if union and with_union else own
    seen = Counter(labels.values())
    return {h: (f"{lab} ({h})" if seen[lab] > 1 else lab) for h, lab in labels.items()}


def herds_legend(
    herd_ids: list[str],
    herd_union: dict[str, str],
    labels: dict[str, str],
    colours: dict[str, str],
    unions: pd.DataFrame | None,
) -> str:
    """HTML of the herds grouped by union: one folded ``<details>`` per union (escaped)."""
    names = union_names(unions)
    groups: dict[str, list[str]] = {}
    for h in herd_ids:
        groups.setdefault(herd_union.get(h, ""), []).append(h)
    parts = []
    for union, members in sorted(groups.items(), key=lambda kv: names.get(kv[0], kv[0])):
        # the union's middle shade stands for the union
        swatches = f'<i style="background:{colours[members[len(members) // 2]]}"></i>'
        if union.startswith(VILLAGE_PREFIX):
            # a village's flocks are shades of one hue, up to a hundred or more of them:
            # one line for the village (the herd search finds a flock by name)
            parts.append(f"<div>{swatches}{esc(names.get(union, union))} ({len(members)})</div>")
            continue
        rows = "".join(
            f'<div><i style="background:{colours[h]}"></i>{esc(labels[h])}</div>' for h in members
        )
        parts.append(
            f'<details class="pasture-union-herds" data-union="{esc(union)}"><summary>{swatches}'
            f"{esc(names.get(union, union))} ({len(members)})</summary>{rows}</details>"
        )
    return "".join(parts)


@dataclass(frozen=True)
class HerdStyles:
    """How a plan's herds are shown: order, union, label and colour of each."""

    ids: list[str]
    unions: dict[str, str]
    #: unique in the district: ``union: herd``
    labels: dict[str, str]
    colours: dict[str, str]
    #: unique within the herd's union: for rows and legends grouped by union
    names: dict[str, str]


def herd_styles(
    assignments: pd.DataFrame,
    herds: pd.DataFrame | None,
    unions: pd.DataFrame | None,
    t: Translator,
) -> HerdStyles:
    """The herds of a plan grouped by union, with unique labels and shades of the union's hue.

    The rotation map, the grazing calendar and the union's page all take their
    herd labels and colours from here, so a herd looks the same on each.
    """
    from .style import herd_colours

    by_herd: dict[str, str] = {}
    if herds is not None and len(herds) and "union_id" in herds:
        by_herd.update(
            {str(h): str(u) for h, u in zip(herds["id"], herds["union_id"], strict=True)}
        )
    rows = assignments.dropna(subset=["herd_id"])
    plan_unions = rows["union_id"] if "union_id" in rows else pd.Series([None] * len(rows))
    for h, u in zip(rows["herd_id"], plan_unions, strict=True):
        if u is not None:
            by_herd[str(h)] = str(u)
    in_plan = {str(x) for x in rows["herd_id"]}
    herd_union = {h: by_herd.get(h, "") for h in in_plan}
    ids = sorted(herd_union, key=lambda h: (herd_union[h], h))
    labels = herd_labels(herds, unions, t, ids=ids, herd_unions=herd_union)
    colours = herd_colours([(h, herd_union[h]) for h in ids])
    own = herd_labels(herds, unions, t, ids=ids, herd_unions=herd_union, with_union=False)
    return HerdStyles(ids, herd_union, labels, colours, _unique_within(own, herd_union))


def _unique_within(names: dict[str, str], herd_union: dict[str, str]) -> dict[str, str]:
    """``names`` with the id added where two herds of one union would read the same."""
    seen = Counter((herd_union[h], n) for h, n in names.items())
    return {h: (f"{n} ({h})" if seen[(herd_union[h], n)] > 1 else n) for h, n in names.items()}
