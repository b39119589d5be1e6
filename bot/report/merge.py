"""One report from the shards' JSON reports (`nightcrew merge-reports`). Pure.

Each matrix job of a sharded night writes its own report.json; the last job reads them back
(`bot.report.document.read_json`) and merges them here into one that reads like a single night's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot import __version__
from bot.report.results import Note, NoteKind

# Lists whose entries repeat across shards (every shard runs the same recipes).
_DEDUPED_LISTS = frozenset({"recipes", "recipes_skipped", "notes", "quotas"})


def merge_reports(reports: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One report from the shards' reports: counts summed, findings and fixes concatenated.

    Lists are concatenated (recipes, skipped recipes and notes without repeats), numeric
    mappings (``summary``, ``timings``, ``costs``) summed, flags or-ed, and other values
    taken from the first report that has one.
    """
    merged: dict[str, Any] = {}
    for report in reports:
        for key, value in report.items():
            if key not in merged or merged[key] is None:
                merged[key] = _copy(value)
            elif isinstance(value, list) and isinstance(merged[key], list):
                merged[key].extend(
                    v for v in value if key not in _DEDUPED_LISTS or v not in merged[key]
                )
            elif isinstance(value, Mapping) and isinstance(merged[key], dict):
                for k, v in value.items():
                    if _is_number(v) and _is_number(merged[key].get(k, 0)):
                        merged[key][k] = merged[key].get(k, 0) + v
                    else:
                        merged[key].setdefault(k, v)
            elif isinstance(value, bool) and isinstance(merged[key], bool):
                merged[key] = merged[key] or value
    for key in ("repo", "base"):
        values = sorted({str(r[key]) for r in reports if r.get(key)})
        if len(values) > 1:
            text = f"the reports disagree on {key}: {', '.join(values)}"
            merged.setdefault("notes", []).append(Note(NoteKind.INFO, text).to_json())
    started = [r["started_at"] for r in reports if r.get("started_at")]
    merged |= {
        "nightcrew": __version__,
        "started_at": min(started) if started else None,
        "out_dir": None,
        "shards": len(reports),
    }
    return merged


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
