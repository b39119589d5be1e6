"""What happened to each finding: values, never exceptions escaping a stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.model import Finding


class Reason(StrEnum):
    """Why a finding ended as it did, as a value: nothing downstream reads the sentence back."""

    PUBLISHED = "published"  # verified, and the publisher made its branch or PR
    NO_FIX = "no-fix"  # no automatic fix, or only an unsafe one the recipe does not allow
    ALREADY_PROPOSED = "already-proposed"  # its branch or PR exists
    IGNORED = "ignored"  # a reviewer closed its PR unmerged, or a dashboard rule
    REJECTED_EARLIER = "rejected-earlier"  # the tests rejected its fix on an earlier night
    NIGHT_LIMIT = "night-limit"  # the night's verified-fix limit was reached
    RECIPE_LIMIT = "recipe-limit"  # the recipe's per-night limit was reached
    OPEN_LIMIT = "open-limit"  # no free slot under the open-PR limit
    PUBLISHING_STOPPED = "publishing-stopped"  # an earlier fix stopped tonight's publishing
    RATE_LIMITED = "rate-limited"  # GitHub's rate limit stopped publishing
    PERMISSION_DENIED = "permission-denied"  # GitHub refused the token a write
    PUSH_REFUSED = "push-refused"  # git push was refused (token scope, branch protection)
    # Verified, but next to a fix already in a PR: published together they would conflict.
    NEIGHBOUR_PROPOSED = "neighbour-proposed"
    PUBLISH_FAILED = "publish-failed"  # one publication failed; the next night tries again
    HUMAN_PUSHED = "human-pushed"  # a person pushed to the fix's branch; it is left alone
    FIX_FAILED = "fix-failed"  # the fixer could not make its edit
    AGENT_GAVE_UP = "agent-gave-up"  # an agent found nothing safe to change
    BUDGET = "budget"  # an agent budget was spent before this finding
    GUARD = "guard"  # the diff guard refused the change
    COMPILE = "compile"  # the fixed code does not compile
    LINT = "lint"  # the fix brings new ruff violations
    LINE_LENGTH = "line-length"  # a changed line is over the repository's line-length limit
    NO_TESTS = "no-tests"  # nothing can verify it, and the recipe wants tests
    IMPORT_ORIGIN = "import-origin"  # tests would import an installed copy, not the fix
    TESTS_FAILED = "tests-failed"  # the tests fail with the fix and pass without it
    UNTESTED = "untested"  # the tests pass, but no test executes the changed lines
    REFUTED = "refuted"  # a test the refuter wrote passes on the base and fails with the fix
    ERROR = "error"  # Nightcrew itself failed on this finding

    @property
    def waits(self) -> bool:
        """Left for a later night by a limit or a stop, not judged."""
        return self in _WAITING


_WAITING = frozenset(
    {
        Reason.NIGHT_LIMIT,
        Reason.RECIPE_LIMIT,
        Reason.OPEN_LIMIT,
        Reason.PUBLISHING_STOPPED,
        Reason.RATE_LIMITED,
        Reason.NEIGHBOUR_PROPOSED,
    }
)


class NoteKind(StrEnum):
    """What a line in the report's notes is about."""

    INFO = "info"
    SHARD = "shard"
    SANDBOX = "sandbox"  # tests run unsandboxed, and why
    DIRTY_WORKTREE = "dirty-worktree"
    SEARCH_FAILED = "search-failed"  # a recipe's finder crashed; the others ran
    RECIPE_REPLACED = "recipe-replaced"  # a repository recipe replaces a built-in
    BASELINE_FAILING = "baseline-failing"  # tests already failing on the base commit
    FLAKY = "flaky"
    PUBLISHING_STOPPED = "publishing-stopped"
    PERMISSION_DENIED = "permission-denied"  # publishing stopped: the token may not write
    TIDY = "tidy"  # the publisher's end-of-night work (stale PRs, abandoned branches)
    DASHBOARD = "dashboard"
    REJECTED_EARLIER = "rejected-earlier"  # findings skipped, or tried again, by the memory


@dataclass(frozen=True)
class Note:
    kind: NoteKind
    text: str

    def __str__(self) -> str:
        return self.text

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind.value, "text": self.text}


def note_text(note: Any) -> str:
    """A report's note as text, whether JSON ``{kind, text}`` or a plain string (old reports)."""
    if isinstance(note, dict):
        return str(note.get("text", ""))
    return str(note)


def note_kind(note: Any) -> str:
    """A report's note's kind; ``info`` for plain strings (old reports)."""
    if isinstance(note, dict):
        return str(note.get("kind") or NoteKind.INFO.value)
    return NoteKind.INFO.value


class Status(StrEnum):
    VERIFIED = "verified"  # passed guard and verification; a branch was made
    REJECTED = "rejected"  # the fix was tried and failed a check
    SKIPPED = "skipped"  # not tried: already published, no fix offered, limits reached
    ERRORED = "errored"  # Nightcrew itself failed on this finding; the night went on


UNTESTED_TEXT = "no test executes the changed lines"
UNTESTED_LABEL = "untested"  # the label of a PR published with require_coverage: false
SHOWN_TESTS = 5  # tests named in a report, a PR body


@dataclass(frozen=True)
class CoveredBy:
    """Which tests executed at least one of a fix's changed lines; ``tests`` None: unknown."""

    tests: tuple[str, ...] | None
    why: str = ""  # why it is unknown

    @property
    def count(self) -> int | None:
        return None if self.tests is None else len(self.tests)

    @property
    def untested(self) -> bool:
        """Known, and no test executed the change."""
        return self.tests == ()

    @property
    def trailer(self) -> str:
        """The value of the ``Nightcrew-Covered-By`` trailer: a number, or ``unknown``."""
        return "unknown" if self.tests is None else str(len(self.tests))

    def describe(self) -> str:
        """One line for evidence: how many tests executed the change, and which."""
        if self.tests is None:
            return f"which tests executed the changed lines is unknown: {self.why}"
        if not self.tests:
            return f"{UNTESTED_TEXT}: the tests pass, but none of them runs this change"
        shown = ", ".join(self.tests[:SHOWN_TESTS])
        more = len(self.tests) - SHOWN_TESTS
        word = "test executes" if len(self.tests) == 1 else "tests execute"
        return f"{len(self.tests)} {word} the changed lines: {shown}" + (
            f" and {more} more" if more > 0 else ""
        )

    def to_json(self) -> dict[str, Any]:
        shown = list((self.tests or ())[:SHOWN_TESTS])
        data: dict[str, Any] = {"count": self.count, "tests": shown}
        if self.tests is None:
            data["why"] = self.why
        return data


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
    kind: Reason | None = None  # the reason as a value; None only while the fix is judged
    covered_by: CoveredBy | None = None  # None: no test run judged it
    refutation: dict[str, Any] | None = None  # an agent fix's refuter (bot.agents.refute)

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
            "reason_kind": self.kind.value if self.kind else None,
            "branch": self.branch,
            "url": self.url,
            "commit": self.commit,
            "patch": self.patch,
            "diff_lines": self.diff_lines,
            "duration": round(self.duration, 3),
            "costs": self.costs,
            "summary": self.summary,
            "covered_by": self.covered_by.to_json() if self.covered_by is not None else None,
            "refutation": self.refutation,
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
