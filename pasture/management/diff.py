"""What changed between two versions of a plan: plots, allocations, calendar, maps, figures.

The diff compares two frozen contents (:func:`pasture.management.content.build_content`):
plots added, removed or changed (any attribute or the map geometry), and for every table
of every annex the rows that are only in the old or only in the new version.
"""

from __future__ import annotations

from typing import Any

__all__ = ["diff_content", "diff_lines"]


def _plots(content: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in content.get("geo", {}).get("plots", [])}


def _plot_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    before, after = _plots(old), _plots(new)
    changed = []
    for pid in sorted(set(before) & set(after)):
        fields = sorted(
            k for k in set(before[pid]) | set(after[pid]) if before[pid].get(k) != after[pid].get(k)
        )
        if fields:
            changed.append(
                {
                    "plot_id": pid,
                    "fields": ["map" if f == "wkt" else f for f in fields],
                    "before": {f: before[pid].get(f) for f in fields if f != "wkt"},
                    "after": {f: after[pid].get(f) for f in fields if f != "wkt"},
                }
            )
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": changed,
    }


def _rows(table: dict[str, Any] | None) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in (table or {}).get("rows", [])]


def _table_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    sections = sorted(set(old.get("sections", {})) | set(new.get("sections", {})))
    for section in sections:
        a = old.get("sections", {}).get(section, {}).get("tables", {})
        b = new.get("sections", {}).get(section, {}).get("tables", {})
        for name in sorted(set(a) | set(b)):
            rows_a, rows_b = _rows(a.get(name)), _rows(b.get(name))
            gone = [list(r) for r in rows_a if r not in set(rows_b)]
            came = [list(r) for r in rows_b if r not in set(rows_a)]
            if gone or came:
                columns = (b.get(name) or a.get(name) or {}).get("columns", [])
                out.append(
                    {
                        "section": section,
                        "table": name,
                        "columns": columns,
                        "removed": gone,
                        "added": came,
                    }
                )
    return out


def diff_content(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The changes from ``old`` to ``new`` content, with counts.

    Returns
    -------
    dict
        ``plots`` (added, removed, changed with fields before and after), ``tables``
        (per section and table: rows removed and added) and ``counts``.
    """
    plots = _plot_changes(old, new)
    tables = _table_changes(old, new)
    counts = {
        "plots_added": len(plots["added"]),
        "plots_removed": len(plots["removed"]),
        "plots_changed": len(plots["changed"]),
        "tables_changed": len(tables),
    }
    return {"plots": plots, "tables": tables, "counts": counts}


def diff_lines(diff: dict[str, Any]) -> list[str]:
    """The diff as plain lines a person reads (English; the pages translate the headings)."""
    lines = []
    p = diff["plots"]
    for pid in p["added"]:
        lines.append(f"+ plot {pid}")
    for pid in p["removed"]:
        lines.append(f"- plot {pid}")
    for c in p["changed"]:
        parts = [
            f"{f}: {c['before'].get(f)!r} -> {c['after'].get(f)!r}"
            if f != "map"
            else "map boundary"
            for f in c["fields"]
        ]
        lines.append(f"~ plot {c['plot_id']}: " + "; ".join(parts))
    for t in diff["tables"]:
        lines.append(f"annex {t['section']}, table {t['table']} ({', '.join(t['columns'])}):")
        lines.extend(f"  - {r}" for r in t["removed"])
        lines.extend(f"  + {r}" for r in t["added"])
    return lines or ["no changes"]
