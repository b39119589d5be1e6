"""The refuter: a second agent tries to prove an agent's verified fix wrong with one test.

After an agent's fix has passed its checks and the tests, a fresh agent is given only the
finding and the fix's diff, read-only tools on the base tree (``read_file``, ``search``,
confined as every agent's are) and ``write_test``, which writes one new pytest file at
one path Nightcrew chose (``tests/nightcrew_refute_<fingerprint>.py``) and nowhere else.
It is asked for a test that passes on the base commit and fails with the fix. Nightcrew
then runs that test itself, sandboxed, in fresh worktrees of the base and of the base
with the fix, twice each; only when it passes on the base and fails with the fix every
time is the fix refuted. A test that fails on the base, passes with the fix, errors, or
a refuter that gives up, errs or runs out of budget refutes nothing: the fix stands and
its record says why. The test is written in scratch worktrees only, never in the fix's
patch or branch. Ruff and codemod fixes (findings with edits of their own) get no refuter.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import git

from bot import gitops
from bot.agents import prompts
from bot.agents.budget import Meter, Usage, first_exhausted
from bot.agents.loop import AgentSpec
from bot.agents.tools import Toolbox, ToolError, ToolResult, Workspace, relative_path
from bot.agents.untrusted import hidden_characters
from bot.fix import guard
from bot.fix.fixers import LinkRefused, replace_file
from bot.globs import matches
from bot.verify.baseline import record
from bot.verify.runs import TestRun, parallel_map, run_tests

if TYPE_CHECKING:
    from bot.agents.session import AgentSession
    from bot.fix.fixers import Fixer
    from bot.publish.commit import Publishing
    from bot.verify.grouped import Candidate

REFUTE_TOOLS = ("read_file", "search", "write_test", "finish", "give_up")
TEST_DIR = "tests"
MAX_TEST_CHARS = 20_000
REPORT_TEST_CHARS = 8_000  # of the test's text kept in report.json
TEST_COMMAND = "python -m pytest -q -p no:cacheprovider"
MAX_TEST_SECONDS = 300.0  # each run of the refuter's test
MAX_DIFF_CHARS = 12_000
RUNS_EACH = 2  # the test must pass on the base and fail with the fix this many times each
# A change of text is no counterexample: the plain ways a test reads code, not runs it.
_READS_CODE = re.compile(
    r"\b(inspect|getsource|linecache|tokenize|dis|__code__|co_code|__file__|_getframe)\b"
)


def test_path(c: Candidate) -> str:
    """Where the refuter of ``c`` may write its test (a new file; nowhere else)."""
    return f"{TEST_DIR}/nightcrew_refute_{c.finding.short_fingerprint or 'fix'}.py"


def agent_made(c: Candidate) -> bool:
    """A fix an agent made: the finding had no edits of its own and the recipe fixes by agent."""
    return not c.finding.edits and c.recipe.agent_fix is not None


@dataclass(frozen=True)
class Refutation:
    """What the refuter of one fix came to.

    ``verdict``: refuted (the fix is rejected) | no-counterexample | out-of-budget |
    errored (the Messages API) | not-run (a budget was already spent).
    """

    verdict: str
    detail: str  # the fix's record says this: "refuter: no counterexample (3 turns)"
    turns: int = 0
    test_path: str = ""
    test_text: str = ""
    runs: tuple[str, ...] = ()  # what Nightcrew's runs of the test showed
    failing: tuple[str, ...] = ()  # the tests that failed with the fix (refuted only)
    costs: dict[str, float] = field(default_factory=dict)

    @property
    def refuted(self) -> bool:
        return self.verdict == "refuted"

    @property
    def reason(self) -> str:
        return (
            f"a test written to refute it passes on the base and fails with the fix "
            f"({RUNS_EACH} runs each, sandboxed): {', '.join(self.failing)}"
        )

    def to_json(self) -> dict[str, Any]:
        text = self.test_text
        if len(text) > REPORT_TEST_CHARS:
            text = text[:REPORT_TEST_CHARS] + "\n# ... (cut: the test is longer)\n"
        return {
            "verdict": self.verdict,
            "detail": self.detail,
            "turns": self.turns,
            "test_path": self.test_path or None,
            "test": text or None,
            "runs": list(self.runs),
            "failing": list(self.failing),
            "costs": self.costs,
        }


@dataclass
class RefuteToolbox(Toolbox):
    """The refuter's tools: the read-only ones, and ``write_test`` for one path only."""

    test_path: str = ""
    changed: tuple[str, ...] = ()  # the fix's files: a test that names one reads code
    test_text: str | None = None

    def schemas(self) -> list[dict[str, Any]]:
        return [
            {**s, "description": prompts.REFUTE_DESCRIPTIONS.get(s["name"], s["description"])}
            for s in super().schemas()
        ]

    def _write_test(self, path: str, text: str) -> ToolResult:
        rel = relative_path(path)
        if rel != self.test_path:
            raise ToolError(f"{rel}: refused; the one file you may write is {self.test_path}")
        if rel.split("/")[0] == ".git" or matches(rel, self.workspace.protected):
            raise ToolError(f"{rel} is a protected path: no agent may write it")
        if len(text) > MAX_TEST_CHARS:
            raise ToolError(f"the test is {len(text)} characters; at most {MAX_TEST_CHARS}")
        hidden = hidden_characters(text)
        if hidden:
            raise ToolError(f"the test contains hidden or control characters ({', '.join(hidden)})")
        reads = sorted(set(_READS_CODE.findall(text)))
        reads += [p for p in self.changed if p.rsplit("/", 1)[-1] in text]
        if reads:
            raise ToolError(
                f"refused: the test reads code instead of running it ({', '.join(reads)}); "
                "a counterexample is a behaviour a caller observes"
            )
        try:
            compile(text, rel, "exec")
        except SyntaxError as exc:
            raise ToolError(f"the test does not compile: line {exc.lineno}: {exc.msg}") from None
        tree = self.workspace.tree
        if self.test_text is None and os.path.lexists(tree / rel):
            raise ToolError(f"{rel} already exists: the test must be a new file")
        _write(tree, rel, text)
        self.test_text = text
        lines = text.count("\n") + 1
        return ToolResult(
            f"wrote {rel} ({lines} lines); after finish, Nightcrew runs it on the base and "
            "with the change"
        )


def _write(tree: Path, rel: str, text: str) -> None:
    """Write the test in a scratch tree, never through a link (a missing folder is made)."""
    folder = tree / rel.rsplit("/", 1)[0]
    if not os.path.lexists(folder):
        folder.mkdir(parents=True)
    try:
        replace_file(tree, rel, text.encode("utf-8"))
    except LinkRefused as exc:
        raise ToolError(f"{exc}; the test is not written through a link") from None


class Refuter:
    """The night's refuters: one per agent fix that verified, ``jobs`` at a time."""

    def __init__(self, session: AgentSession, publishing: Publishing, jobs: int) -> None:
        self.session, self.jobs = session, max(1, jobs)
        self.repo, self.base_sha = publishing.repo, publishing.base_sha
        self.report = publishing.report
        self.log_dir = Path(self.report.out_dir or ".") / "logs"

    def refute_all(self, candidates: Sequence[Candidate]) -> dict[int, Refutation]:
        """A Refutation for every agent-made candidate (others are not tried)."""
        wanted = [c for c in candidates if agent_made(c)]
        if len(wanted) <= 1 or self.jobs <= 1:
            done = [self._refute(c) for c in wanted]
        else:
            done = parallel_map(self._refute, wanted, min(self.jobs, len(wanted)))
        for r in done:
            self.session.refutations[r.verdict] += 1
        return {c.key: r for c, r in zip(wanted, done, strict=True)}

    def _refute(self, c: Candidate) -> Refutation:
        try:
            return self.refute(c)
        except (git.GitCommandError, OSError) as exc:  # a worktree, a log: the fix stands
            why = f"{type(exc).__name__}: {exc}".strip()
            return Refutation("errored", f"refuter: failed ({why}); the fix stands unrefuted")

    def refute(self, c: Candidate) -> Refutation:
        """Run the refuter of one fix, then its test; what came of it."""
        session, config = self.session, self.session.config
        where = f"refuter of {c.finding.path}:{c.finding.start_line}"
        own = Meter("refuter", config.agents.refute_budget)
        meters = session.meters(c.recipe, own)
        stop = first_exhausted(meters[1:])
        if stop is not None:
            session.skipped.append({"recipe": c.recipe.id, "what": where, "reason": stop})
            return Refutation("not-run", f"refuter: not run ({stop}); the fix stands unrefuted")
        path, short = test_path(c), c.finding.short_fingerprint
        with gitops.worktree(self.repo, self.base_sha, f"refute-{short}") as tree:
            protected = guard.DEFAULT_PROTECTED + tuple(config.protected)
            toolbox = RefuteToolbox(
                Workspace(tree, c.recipe.include, c.recipe.exclude, protected),
                REFUTE_TOOLS,
                test_path=path,
                changed=tuple(c.changes),
            )
            spec = AgentSpec(
                model=(c.recipe.agent_fix.model if c.recipe.agent_fix else None)
                or config.agents.model,
                system=prompts.system_blocks(
                    prompts.SYSTEM_REFUTE, prompts.refute_scope(c.recipe, path)
                ),
                task=prompts.refute_task(c.finding, c.patch[:MAX_DIFF_CHARS], path),
                request_timeout=config.agents.request_timeout,
            )
            run = session.run(c.recipe, spec, toolbox, meters, where)
        turns, costs = run.usage.turns, run.usage.costs()
        said = f"{turns} turn{'s' if turns != 1 else ''}"
        if run.status == "stopped":
            return Refutation(
                "out-of-budget",
                f"refuter: ran out of budget after {said} ({run.message}); it rejects "
                "nothing, so the fix stands unrefuted",
                turns, costs=costs,
            )  # fmt: skip
        if run.status == "errored":
            return Refutation(
                "errored", f"refuter: failed ({run.message}); the fix stands unrefuted",
                turns, costs=costs,
            )  # fmt: skip
        text = toolbox.test_text
        if run.status != "finished" or text is None:
            return Refutation("no-counterexample", f"refuter: no counterexample ({said})",
                              turns, costs=costs)  # fmt: skip
        started = time.monotonic()
        failing, runs = self._judge(c, path, text)
        for meter in meters:  # the test runs are the refuter's time too
            meter.charge(Usage(seconds=time.monotonic() - started))
        if failing:
            detail = f"refuter: refuted by {path} ({said})"
            return Refutation("refuted", detail, turns, path, text, runs, failing, costs)
        detail = f"refuter: no counterexample ({said}; its test {runs[-1]})"
        return Refutation("no-counterexample", detail, turns, path, text, runs, costs=costs)

    # ------------------------------------------------------------------ running its test

    def _judge(self, c: Candidate, path: str, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The tests that pass on the base and fail with the fix, each time (none: it does not
        refute the fix); and what each run showed."""
        runs: list[str] = []
        failing: list[str] = []
        for attempt in range(RUNS_EACH):
            again = " again" if attempt else ""
            base = self._run(c, path, text, with_fix=False)
            if base is None or not _passed(base):
                runs.append(f"does not pass on the base{again} ({_describe(base)})")
                return (), tuple(runs)
            runs.append(f"passes on the base{again} ({_describe(base)})")
            fixed = self._run(c, path, text, with_fix=True)
            failing = [t for t in _failing(base, fixed) if t in failing or not attempt]
            if not failing:
                runs.append(f"does not fail with the fix{again} ({_describe(fixed)})")
                return (), tuple(runs)
            runs.append(f"fails with the fix{again}: {', '.join(failing[:3])}")
        return tuple(failing), tuple(runs)

    def _run(self, c: Candidate, path: str, text: str, *, with_fix: bool) -> TestRun | None:
        """One run of the test in a fresh worktree (of the base, or of the base and the fix)."""
        short = c.finding.short_fingerprint
        label = f"refute-{short}-{'fix' if with_fix else 'base'}"
        with gitops.worktree(self.repo, self.base_sha, label) as tree:
            if with_fix and gitops.apply_patch(tree, c.patch) is not None:
                return None
            try:
                _write(tree, path, text)
            except (ToolError, OSError):
                return None
            timeout = min(self.session.config.test_timeout, MAX_TEST_SECONDS)
            run = run_tests(
                TEST_COMMAND, tree, self.session.env, timeout, self.log_dir, label,
                python=self.session.python, extra_args=[path], sandbox=self.session.sandbox,
            )  # fmt: skip
        self.report.test_runs.append(record(label, run))
        return run


def _passed(run: TestRun) -> bool:
    junit = run.junit
    return (
        run.returncode == 0
        and not run.timed_out
        and junit is not None
        and junit.tests > junit.skipped
        and not junit.failed
    )


def _failing(base: TestRun, fixed: TestRun | None) -> list[str]:
    """Tests that passed on the base and fail with the fix (errors and collection don't count)."""
    if fixed is None or fixed.timed_out or fixed.junit is None or base.junit is None:
        return []
    passed = base.junit.ids - base.junit.skipped_ids
    return sorted((fixed.junit.failed - fixed.junit.errors) & passed)


def _describe(run: TestRun | None) -> str:
    if run is None:
        return "it could not be set up"
    if run.timed_out:
        return f"timed out after {run.timeout:.0f}s"
    if run.junit is None:
        return f"exit {run.returncode}, no test report: {run.junit_problem or 'pytest did not run'}"
    failed, errors = len(run.junit.failed - run.junit.errors), len(run.junit.errors)
    return f"{run.junit.tests} test(s), {failed} failed, {errors} errored"


def for_night(
    session: AgentSession | None, publishing: Publishing, jobs: int | None, fixer: Fixer | None
) -> Refuter | None:
    """The night's refuter: when agents run, ``agents.refute`` is on, and no fixer overrides
    the recipes' own (the bot's ``revise`` follows a reviewer, who may want a change)."""
    if session is None or not session.config.agents.refute or fixer is not None:
        return None
    return Refuter(session, publishing, jobs or os.cpu_count() or 1)
