"""What the GitHub publisher did tonight, one ``Action`` each, and the line that tells it (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# How the summary names each kind of action, in the order it lists them ("skipped" is counted).
_WORDS = {
    "opened": "opened",
    "repaired": "opened after an interrupted run",
    "rebuilt": "rebuilt on the new base",
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

    kind: str  # opened | repaired | rebuilt | closed | deleted | skipped | left | stopped | failed
    branch: str
    number: int | None = None
    url: str | None = None
    reason: str = ""


def summary(actions: Sequence[Action]) -> str:
    """One line: what the publisher did tonight, or "" when it did nothing."""
    parts = []
    for kind, label in _WORDS.items():
        done = [a for a in actions if a.kind == kind]
        if not done:
            continue
        names = ", ".join(f"#{a.number}" if a.number else (a.branch or a.reason) for a in done)
        parts.append(f"{label}: {names}")
    skipped = sum(1 for a in actions if a.kind == "skipped")
    if skipped:
        parts.append(f"skipped: {skipped} (already open, ignored or over a limit)")
    return "GitHub: " + "; ".join(parts) if parts else ""


def published_urls(actions: Sequence[Action]) -> list[str]:
    """The PRs opened or rebuilt tonight."""
    return [a.url for a in actions if a.kind in _PUBLISHED and a.url]
