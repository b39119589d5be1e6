"""What happened to each finding: values, never exceptions escaping a stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.model import Finding


class Status(StrEnum):
    VERIFIED = "verified"  # passed guard and verification; a branch was made
    REJECTED = "rejected"  # the fix was tried and failed a check
    SKIPPED = "skipped"  # not tried: already published, no fix offered, limits reached
    ERRORED = "errored"  # Nightcrew itself failed on this finding; the night went on


@dataclass(frozen=True)
class Step:
    """One check in a fix's verification record."""

    name: str  # guard | compile | ruff | tests | origin
    ok: bool
    detail: str = ""
    command: str | None = None
    duration: float | None = None


@dataclass
class FixResult:
    finding: Finding
    status: Status
    reason: str = ""
    branch: str | None = None
    url: str | None = None  # the PR, when a publisher opened one
    commit: str | None = None
    patch: str | None = None  # path of the patch file
    diff_lines: int = 0
    steps: list[Step] = field(default_factory=list)
    duration: float = 0.0
    costs: dict[str, float] = field(default_factory=dict)  # agents: tokens, dollars, turns
    summary: str = ""  # what an agent said it did (untrusted model text)

    def to_json(self) -> dict[str, Any]:
        f = self.finding
        return {
            "fingerprint": f.fingerprint,
            "recipe": f.recipe,
            "rule": f.rule,
            "path": f.path,
            "line": f.start_line,
            "message": f.message,
            "status": self.status.value,
            "reason": self.reason,
            "branch": self.branch,
            "url": self.url,
            "commit": self.commit,
            "patch": self.patch,
            "diff_lines": self.diff_lines,
            "duration": round(self.duration, 3),
            "costs": self.costs,
            "summary": self.summary,
            "verification": [
                {
                    "step": s.name,
                    "ok": s.ok,
                    "detail": s.detail,
                    "command": s.command,
                    "duration": None if s.duration is None else round(s.duration, 3),
                }
                for s in self.steps
            ],
        }
