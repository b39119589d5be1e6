"""What the GitHub publisher did tonight, one ``Action`` each, and the line that tells it (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# How the summary names each kind of action, in the order it lists them ("skipped" is counted).
_WORDS = {
    "opened": "opened",
    "repaired": "opened after an interrupted run",
    "rebuilt": "rebuilt on the new base",
    "kept": "left alone (applies cleanly on the new base)",
    "closed": "closed (finding gone)",
    "deleted": "deleted abandoned branch",
    "left": "left alone (a person pushed)",
    "stopped": "stopped",
    "failed": "failed",
}
_PUBLISHED = ("opened", "repaired", "rebuilt")


@dataclass(frozen=True)
class Action:
    """One thing the publisher did (or chose not to do), for the job summary."""

    # opened | repaired | rebuilt | kept | closed | deleted | skipped | left | stopped | failed
    kind: str
    branch: str
    number: int | None = None
    url: str | None = None
    reason: str = ""
    short: str = ""  # why, in a few words, for the summary ("conflicted", "verified 20 days ago")


def summary(actions: Sequence[Action]) -> str:
    """One line: what the publisher did tonight, or "" when it did nothing."""
    parts = []
    for kind, label in _WORDS.items():
        done = [a for a in actions if a.kind == kind]
        if not done:
            continue
        names = ", ".join(_name(a) for a in done)
        parts.append(f"{label}: {names}")
    skipped = sum(1 for a in actions if a.kind == "skipped")
    if skipped:
        parts.append(f"skipped: {skipped} (already open, ignored or over a limit)")
    return "GitHub: " + "; ".join(parts) if parts else ""


def _name(action: Action) -> str:
    name = f"#{action.number}" if action.number else (action.branch or action.reason)
    return f"{name} ({action.short})" if action.short else name


def published_urls(actions: Sequence[Action]) -> list[str]:
    """The PRs opened or rebuilt tonight."""
    return [a.url for a in actions if a.kind in _PUBLISHED and a.url]
