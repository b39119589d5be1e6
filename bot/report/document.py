"""The night's report, as JSON (for scripts) and Markdown (for people); writing and reading it.

Pure, but for the output folder's files: `clear_previous` (a night starts by removing the
last night's report and patches, so none is taken for tonight's), `write_report` (written
whole or not at all: a temporary file renamed into place), and `read_json`, the one place a
report.json is read back (by `merge-reports`, the benchmarks, the tests): a missing or
malformed file is a UserError naming it, never a traceback.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import __version__
from bot.errors import UserError
from bot.model import Finding
from bot.report.results import FixResult, Note, NoteKind, Reason, Status


@dataclass(frozen=True)
class TestRunRecord:
    """One run of a test command, for the report's `test_runs` list."""

    purpose: str  # "baseline" or the short fingerprint of the fix it verified
    command: str
    returncode: int | None
    duration: float
    tests: int | None
    failed: tuple[str, ...]
    timed_out: bool
    log: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "command": self.command,
            "returncode": self.returncode,
            "duration": round(self.duration, 3),
            "tests": self.tests,
            "failed": list(self.failed),
            "timed_out": self.timed_out,
            "log": self.log,
        }


def finding_json(f: Finding) -> dict[str, Any]:
    """One finding as the report (and `nightcrew find --json`) writes it."""
    return {
        "fingerprint": f.fingerprint,
        "recipe": f.recipe,
        "rule": f.rule,
        "path": f.path,
        "line": f.start_line,
        "column": f.start_col,
        "end_line": f.end_line,
        "end_column": f.end_col,
        "message": f.message,
        "snippet": f.snippet,
        "fix_available": bool(f.edits),
        "url": f.url,
    }


@dataclass
class NightReport:
    repo: str
    base: str
    started_at: str
    dirty_worktree: bool = False
    test_command: str | None = None
    recipes: list[str] = field(default_factory=list)
    recipes_skipped: list[tuple[str, str]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    fixes: list[FixResult] = field(default_factory=list)
    test_runs: list[TestRunRecord] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    out_dir: str | None = None
    suite_runs: int = 0  # full test-suite runs made to verify fixes (baselines not counted)
    partial_runs: int = 0  # runs of only some tests (the failing ones) made to verify fixes
    baseline_runs: tuple[int, int] = (0, 0)  # the base commit's (full, partial) runs
    shard: tuple[int, int] | None = None  # (I, N) when this night ran one shard of N
    recipes_searched: list[str] = field(default_factory=list)  # finders completed tonight
    agents: dict[str, Any] | None = None  # the agent session's totals, when agents ran
    sandbox: str | None = None  # where code under test ran (bot.sandbox.Sandbox.describe)
    # Which Python ran the tests and why (bot.verify.interpreter.Interpreter.to_json).
    python: dict[str, Any] | None = None
    # Rejections remembered across nights (bot.publish.memory), as their JSON: those that
    # made tonight skip a finding, those learnt tonight, the fingerprints forgotten.
    rejected_earlier: list[dict[str, Any]] = field(default_factory=list)
    rejections_remembered: list[dict[str, Any]] = field(default_factory=list)
    rejections_forgotten: list[str] = field(default_factory=list)
    # Each recipe's new PRs tonight and why (bot.publish.quota.Quota.to_json); [] locally.
    quotas: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        by_status = Counter(r.status for r in self.fixes)
        counts = {"found": len(self.findings)} | {s.value: by_status.get(s, 0) for s in Status}
        untested = sum(1 for r in self.fixes if r.kind is Reason.UNTESTED)
        return counts | ({Reason.UNTESTED.value: untested} if untested else {})

    def to_json(self) -> dict[str, Any]:
        return {
            "nightcrew": __version__,
            "repo": self.repo,
            "base": self.base,
            "started_at": self.started_at,
            "dirty_worktree": self.dirty_worktree,
            "test_command": self.test_command,
            "recipes": self.recipes,
            "recipes_skipped": [{"id": i, "reason": r} for i, r in self.recipes_skipped],
            "summary": self.counts(),
            "findings": [finding_json(f) for f in self.findings],
            "fixes": [r.to_json() for r in self.fixes],
            "branches": [r.branch for r in self.fixes if r.status is Status.VERIFIED and r.branch],
            "prs": [r.url for r in self.fixes if r.url],
            "test_runs": [t.to_json() for t in self.test_runs],
            "suite_runs": self.suite_runs,
            "partial_runs": self.partial_runs,
            "baseline_runs": {"full": self.baseline_runs[0], "partial": self.baseline_runs[1]},
            "shard": list(self.shard) if self.shard else None,
            "recipes_searched": self.recipes_searched,
            "agents": self.agents,
            "sandbox": self.sandbox,
            "python": self.python,
            "rejected_earlier": self.rejected_earlier,
            "rejections_remembered": self.rejections_remembered,
            "rejections_forgotten": self.rejections_forgotten,
            "quotas": self.quotas,
            "notes": [n.to_json() for n in self.notes],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "out_dir": self.out_dir,
        }

    def note(self, kind: NoteKind, text: str) -> Note:
        """Add a line to the report's notes; returns it (to show it as progress too)."""
        added = Note(kind, text)
        self.notes.append(added)
        return added

    def to_markdown(self) -> str:
        c = self.counts()
        lines = [
            f"# Nightcrew report: `{self.repo}` at `{self.base[:10]}`",
            "",
            f"Started {self.started_at}; took {self.timings.get('total', 0.0):.1f}s. "
            f"Recipes: {', '.join(self.recipes) or 'none'}. "
            f"Tests: `{self.test_command or 'none'}` ({len(self.test_runs)} runs"
            + (f"; Python: {_python(self.python)}" if self.python else "")
            + (f"; sandbox: {self.sandbox}" if self.sandbox else "")
            + ").",
            "",
            "| found | verified | rejected | skipped | errored |",
            "|---:|---:|---:|---:|---:|",
            f"| {c['found']} | {c['verified']} | {c['rejected']} | {c['skipped']} "
            f"| {c['errored']} |",
            "",
        ]
        if self.fixes:
            lines += [
                "## Fixes",
                "",
                "| status | recipe | where | what | branch or reason | tests that executed it |",
                "|---|---|---|---|---|---|",
            ]
            for r in self.fixes:
                f = r.finding
                outcome = f"`{r.branch}`" if r.status is Status.VERIFIED else _cell(r.reason)
                status = r.status.value
                if r.kind is Reason.UNTESTED or (r.covered_by and r.covered_by.untested):
                    status += " (untested)"
                lines.append(
                    f"| {status} | {f.recipe} | `{f.path}:{f.start_line}` "
                    f"| {_cell(f.message)} ({f.rule}) | {outcome} | {_covered(r)} |"
                )
            lines.append("")
            lines += _refuted(self.fixes)
        if self.agents:
            a = self.agents
            tokens = a.get("tokens", {})
            lines += [
                "## Agents",
                "",
                f"{a.get('agents', 0)} agents, {a.get('requests', 0)} requests; tokens: "
                f"{tokens.get('input', 0)} input, {tokens.get('cache_read', 0)} cache read, "
                f"{tokens.get('cache_write', 0)} cache write, {tokens.get('output', 0)} output; "
                f"about ${a.get('dollars', 0):.4f} (an estimate).",
                "",
            ]
            lines += [f"- skipped: {_cell(str(s))}" for s in a.get("skipped", [])]
            lines.append("")
        if self.rejected_earlier:
            lines += ["## Rejected earlier", ""]
            lines += [
                f"- `{r.get('path')}:{r.get('line')}` {r.get('rule')}: rejected on "
                f"{str(r.get('at', ''))[:10]} (base `{str(r.get('base', ''))[:10]}`): "
                f"{_cell(str(r.get('reason', '')))}"
                for r in self.rejected_earlier
            ]
            lines.append("")
        lowered = lowered_quotas(self.quotas)
        if lowered:
            lines += ["## Fewer PRs tonight", ""] + [f"- {_cell(q)}" for q in lowered] + [""]
        if self.recipes_skipped:
            lines += ["## Recipes not run", ""]
            lines += [f"- `{i}`: {r}" for i, r in self.recipes_skipped]
            lines.append("")
        if self.notes:
            lines += ["## Notes", ""] + [f"- {n}" for n in self.notes] + [""]
        return "\n".join(lines)


def _python(python: dict[str, Any]) -> str:
    version = f", {python['version']}" if python.get("version") else ""
    return f"`{python.get('path')}` ({python.get('why')}{version})"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _covered(r: FixResult) -> str:
    """How many tests executed the fix's changed lines, naming up to five."""
    c = r.covered_by
    if c is None or c.tests is None:
        return "" if c is None else f"unknown ({_cell(c.why)})"
    if not c.tests:
        return "none"
    shown = ", ".join(f"`{_cell(t)}`" for t in c.tests[:5])
    return f"{len(c.tests)}: {shown}" + (" …" if len(c.tests) > 5 else "")


def lowered_quotas(quotas: Any) -> list[str]:
    """A line for each recipe whose quota tonight is below its maximum: "`r`: 2 of 5: …".

    ``quotas`` is a report's ``quotas`` (``bot.publish.quota.Quota.to_json``), read leniently.
    """
    lowered: dict[str, str] = {}  # one line per recipe (merged shards' reports repeat them)
    for q in quotas if isinstance(quotas, list) else ():
        if not isinstance(q, dict) or str(q.get("recipe")) in lowered:
            continue
        limit, top = q.get("limit"), q.get("max_per_night")
        if isinstance(limit, int) and isinstance(top, int) and limit < top:
            text = q.get("text") or f"{limit} of {top}"
            lowered[str(q.get("recipe"))] = f"`{q.get('recipe')}`: {text}"
    return list(lowered.values())


REPORT_TEST_CHARS = 4000  # of a refuting test shown in report.md (report.json keeps more)


def _refuted(fixes: list[FixResult]) -> list[str]:
    """Each refuted fix with the test that refuted it: untrusted model text, fenced and capped."""
    # Imported here: pr_text's Proposal imports this module.
    from bot.publish.pr_text import cap, clean, fence

    shown = [r for r in fixes if r.kind is Reason.REFUTED and r.refutation]
    if not shown:
        return []
    lines = ["## Refuted fixes", ""]
    for r in shown:
        f, refutation = r.finding, r.refutation or {}
        test = cap(clean(str(refutation.get("test") or "")), REPORT_TEST_CHARS, "# ... (cut)")
        lines += [
            f"### `{f.path}:{f.start_line}` {f.rule}",
            "",
            _cell(clean(r.reason)),
            "",
            f"The refuter's test, `{refutation.get('test_path')}` (not in any branch):",
            "",
            fence(test, "python"),
            "",
        ]
    return lines


# --- the output folder --------------------------------------------------------------------------

REPORT_FILES = ("report.json", "report.md")
PATCHES_DIR = "patches"  # bot.publish.local writes one <branch>.patch per verified fix here


def clear_previous(out: Path) -> list[Path]:
    """Remove the previous night's report and patches from ``out``; return what was removed.

    Only what Nightcrew writes there: report.json, report.md and patches/*.patch (the
    branches stay: ``git format-patch -1 <branch>`` makes a patch again). Logs stay.
    """
    found = [out / name for name in REPORT_FILES]
    found += sorted((out / PATCHES_DIR).glob("*.patch"))
    removed = []
    for path in found:
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(path)
    return removed


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: a reader never sees half a file."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fd, 0o644)  # as a plain write would leave it, not mkstemp's 0600
            fh.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_report(report: NightReport) -> dict[str, Any]:
    """Write report.json and report.md into the report's output folder; return the JSON."""
    out = Path(report.out_dir or ".")
    data = report.to_json()
    write_atomic(out / "report.md", report.to_markdown())
    write_atomic(out / "report.json", json.dumps(data, indent=2) + "\n")  # last: it is current
    return data


# --- reading a report back ----------------------------------------------------------------------

# Keys whose values the report's readers iterate (bot.report.summary, bot.report.merge).
_LISTS_OF_OBJECTS = ("fixes", "recipes_skipped", "rejected_earlier", "rejections_remembered")
_LISTS = ("findings", "recipes", "notes", "prs", "branches", "test_runs", "rejections_forgotten")


def read_json(path: Path) -> dict[str, Any]:
    """The JSON report at ``path`` (``NightReport.to_json()``, or shards' reports merged).

    UserError ``path: what is wrong`` when it is missing, unreadable, not JSON, or not shaped
    like a Nightcrew report.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read the report: {exc.strerror}", str(path)) from None
    except UnicodeDecodeError as exc:
        raise UserError(f"not a JSON report: {exc}", str(path)) from None
    return parse_json(text, str(path))


def parse_json(text: str, source: str) -> dict[str, Any]:
    """A JSON report from ``text`` (``nightcrew run --json``'s output, say); ``source`` names it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"not a JSON report: {exc}", source) from None
    problem = _shape_problem(data)
    if problem is not None:
        raise UserError(f"not a Nightcrew report ({problem})", source)
    return data


def _shape_problem(data: Any) -> str | None:
    """What keeps ``data`` from being read as a report, or None: the types its readers rely on."""
    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__}, not an object"
    if "fixes" not in data:
        return "no `fixes`"
    for key in _LISTS_OF_OBJECTS:
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            return f"`{key}` is not a list of objects"
    for key in _LISTS:
        if not isinstance(data.get(key) or [], list):
            return f"`{key}` is not a list"
    summary = data.get("summary") or {}
    if not isinstance(summary, dict) or not all(_is_count(v) for v in summary.values()):
        return "`summary` is not an object of numbers"
    if not isinstance(data.get("started_at") or "", str):
        return "`started_at` is not a string"
    return None


def _is_count(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
