"""One night: plan, find, fix, guard, verify, publish, report.

Every finding is fixed alone in its own worktree off the base commit, and checked there
(guard, compile, ruff, import origin). What survives is kept as a patch; patches are then
verified by the tests (in groups where the recipe allows, see bot/verifier.py), committed
without a worktree, and handed to the publisher. A finding's failure of any kind is
recorded on that finding and the night goes on; only bad input (exit 2) stops a night,
and it does so before any branch, patch or PR is made.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import git

from bot import gitops
from bot.config import RepoConfig, check_enabled, load_config
from bot.errors import CommandError, UserError
from bot.find.search import find
from bot.fix import guard
from bot.fix.fixers import EditFixer, Fixer
from bot.globs import in_scope, matches
from bot.model import Finding, in_shard
from bot.publish import messages
from bot.publish.local import LocalPublisher
from bot.publish.proposal import NotPublished, Proposal, Publisher
from bot.recipes.loader import discover
from bot.recipes.model import Recipe
from bot.recipes.schedule import is_due
from bot.recipes.yamlpos import display_path
from bot.report.document import NightReport, TestRunRecord
from bot.report.results import FixResult, Status, Step
from bot.sandbox import bwrap
from bot.sandbox.bwrap import NONE as NO_SANDBOX
from bot.sandbox.bwrap import Sandbox
from bot.sandbox.environment import test_env
from bot.verify.command import default_test_command
from bot.verify.compare import derive_timeout
from bot.verify.footprint import footprint
from bot.verify.grouped import Candidate, Outcome, Verifier
from bot.verify.impact import ImportGraph
from bot.verify.lint import RuffReport, compare_ruff, compile_check, ruff_check
from bot.verify.origin import module_origin
from bot.verify.runs import TestRun, run_tests

if TYPE_CHECKING:
    from bot.agents.session import AgentSession

Progress = Callable[[str], None]


def _stderr_progress(message: str) -> None:
    print(f"nightcrew: {message}", file=sys.stderr, flush=True)


def _silent(message: str) -> None:
    del message


@dataclass(frozen=True)
class NightOptions:
    repo: Path
    recipe_ids: tuple[str, ...] = ()
    config_path: Path | None = None
    max_fixes: int | None = None
    out: Path | None = None
    shard: tuple[int, int] | None = None  # (I, N): this run takes shard I of N (1-based)
    jobs: int | None = None  # parallel test runs; None: the machine's core count
    fail_fast: bool = False  # run the tests related to a change before the full suite
    # Only these findings (the bot's `rebase`/`recreate` rebuild one PR's fix); None: all.
    only_fingerprints: frozenset[str] | None = None
    # The bot's `revise`: this fixer makes every finding's fix; None: the recipe's own.
    fixer: Fixer | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class _Night:
    """The state one night carries between its stages."""

    repo: git.Repo
    config: RepoConfig
    base_sha: str
    out: Path
    report: NightReport
    progress: Progress
    publisher: Publisher
    agents: AgentSession | None = None
    sandbox: Sandbox = NO_SANDBOX  # where code under test runs
    fixer: Fixer | None = None
    baselines: dict[str, TestRun] = field(default_factory=dict)
    stopped: str = ""  # why publishing stopped early, when it did
    base_lint: RuffReport | None = None  # ruff on the base, for the files fixes touch
    linted: frozenset[str] = frozenset()
    origins: dict[str, tuple[bool, str]] = field(default_factory=dict)  # path -> inside, where


def select_recipes(
    recipes: Sequence[Recipe], config: RepoConfig, ids: Sequence[str], now: datetime
) -> tuple[list[Recipe], list[tuple[str, str]]]:
    """Recipes to run tonight, and the ones left out with why."""
    by_id = {r.id: r for r in recipes}
    if ids:
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise UserError(
                f"unknown recipe {', '.join(repr(i) for i in unknown)}; "
                f"known: {', '.join(sorted(by_id))} (see `nightcrew recipes list`)",
                field="--recipe",
            )
        return [by_id[i] for i in dict.fromkeys(ids)], []
    enabled = [by_id[i] for i in config.recipes] if config.recipes is not None else list(recipes)
    chosen, skipped = [], []
    for recipe in enabled:
        if is_due(recipe.schedule, now):
            chosen.append(recipe)
        else:
            skipped.append((recipe.id, f"not due today (schedule {recipe.schedule!r})"))
    return chosen, skipped


def test_commands(recipe: Recipe, config: RepoConfig, tree: Path) -> list[str]:
    """The commands that verify this recipe's fixes: the recipe's own, else the repo's."""
    if recipe.verify_commands:
        return list(recipe.verify_commands)
    command = config.test_command or default_test_command(tree)
    return [command] if command else []


def _uses_agents(recipe: Recipe) -> bool:
    return recipe.agent_find is not None or recipe.agent_fix is not None


def run_night(
    opts: NightOptions,
    progress: Progress = _stderr_progress,
    publisher: Publisher | None = None,
) -> NightReport:
    started = time.monotonic()
    repo_path = opts.repo.resolve()
    repo = gitops.open_repo(repo_path)
    top = Path(repo.working_tree_dir or repo_path)
    config = load_config(top, opts.config_path)
    recipes = discover(top, tuple(config.recipe_dirs))
    check_enabled(config, recipes)
    chosen, skipped = select_recipes(recipes, config, opts.recipe_ids, opts.now)
    max_fixes = config.max_fixes if opts.max_fixes is None else opts.max_fixes
    if max_fixes < 0:
        raise UserError("must be 0 or more", field="--max-fixes")
    if opts.jobs is not None and opts.jobs < 1:
        raise UserError("must be 1 or more", field="--jobs")
    base_sha = gitops.resolve_base(repo, config.base)
    out = (opts.out or gitops.git_dir(repo) / "nightcrew").resolve()
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} is a file: pass a folder (it is created if missing)", field="--out")

    report = NightReport(
        repo=str(top),
        base=base_sha,
        started_at=opts.now.isoformat(timespec="seconds"),
        recipes=[r.id for r in chosen],
        recipes_skipped=skipped,
        out_dir=str(out),
    )
    if opts.shard:
        report.shard = opts.shard
        report.notes.append(f"shard {opts.shard[0]} of {opts.shard[1]}")
    night = _Night(
        repo, config, base_sha, out, report, progress, publisher or LocalPublisher(repo, out)
    )
    night.fixer = opts.fixer
    night.sandbox = _prepare_sandbox(config, top, out)
    report.sandbox = night.sandbox.describe()
    note = _sandbox_note(night.sandbox, any(_uses_agents(r) for r in chosen))
    if note:
        report.notes.append(note)
        progress(note)
    if any(_uses_agents(r) for r in chosen) and night.sandbox.agents_allowed:
        from bot.agents.session import AgentSession

        night.agents = AgentSession.from_env(os.environ, config, progress, night.sandbox)
    if gitops.is_dirty(repo):
        report.dirty_worktree = True
        note = (
            f"the working tree has uncommitted changes: the night works from the committed "
            f"{'base' if config.base else 'HEAD'} {base_sha[:10]} and leaves them untouched"
        )
        report.notes.append(note)
        progress(note)
    with gitops.night_lock(repo):
        stale = gitops.cleanup_stale_worktrees(repo)
        if stale:
            progress(f"removed {len(stale)} worktree(s) left by an interrupted run")
        bwrap.cleanup_stale_tmp()
        (out / "logs").mkdir(parents=True, exist_ok=True)

        with gitops.worktree(repo, base_sha, "base") as base_tree:
            work = _find_all(night, chosen, base_tree, opts.shard)
            if opts.only_fingerprints is not None:
                work = [(r, f) for r, f in work if f.fingerprint in opts.only_fingerprints]
            _run_baselines(night, work, base_tree)
            report.timings["baseline"] = sum(
                t.duration for t in report.test_runs if t.purpose == "baseline"
            )
            fix_started = time.monotonic()
            jobs = opts.jobs or os.cpu_count() or 1
            _fix_all(night, work, base_tree, max_fixes, jobs, opts.fail_fast)
            report.timings["fixes"] = time.monotonic() - fix_started
        night.publisher.finish(report)
    if night.agents is not None:
        report.agents = night.agents.summary()
    report.timings["total"] = time.monotonic() - started
    return report


def _prepare_sandbox(config: RepoConfig, top: Path, out: Path) -> Sandbox:
    """The night's sandbox; a required one that cannot run stops the night before any work."""
    scratch = out / "sandbox"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        found = bwrap.prepare(
            config.sandbox_mode,
            repo=top,
            scratch=scratch,
            extra_hidden=config.sandbox_hide,
            bwrap=os.environ.get("NIGHTCREW_BWRAP") or None,
            network=config.sandbox_network,
            writable=config.sandbox_writable,
        )
    except bwrap.SandboxUnavailable as exc:
        source = display_path(config.source) if config.source else None
        raise UserError(str(exc), source, config.sandbox_line, "sandbox.mode") from None
    return found


def _sandbox_note(found: Sandbox, agents_wanted: bool) -> str | None:
    """One line for the report when tests run unsandboxed; None when they are sandboxed."""
    if found.active:
        return None
    note = f"tests run unsandboxed: {found.problem}"
    if agents_wanted and not found.agents_allowed:
        note += "; so agent recipes are skipped"
    if found.mode == "auto":
        note += f". To sandbox them, {bwrap.INSTALL_HINT}"
    return note


_AGENTS_NEED_SANDBOX = (
    "needs a sandbox for the code its agents write (see the note on the sandbox); "
    "install bubblewrap, or set `sandbox: {mode: disabled}` to accept the risk"
)


def _find_all(
    night: _Night, recipes: Sequence[Recipe], tree: Path, shard: tuple[int, int] | None
) -> list[tuple[Recipe, Finding]]:
    """Run every recipe's finders on the base tree; one recipe's crash skips only that recipe."""
    started = time.monotonic()
    files = [p for p in gitops.tracked_files(night.repo, night.base_sha) if in_shard(p, shard)]
    protected = guard.DEFAULT_PROTECTED + tuple(night.config.protected)
    work: list[tuple[Recipe, Finding]] = []
    for recipe in recipes:
        if _uses_agents(recipe) and not night.sandbox.agents_allowed:
            night.report.recipes_skipped.append((recipe.id, _AGENTS_NEED_SANDBOX))
            continue
        if _uses_agents(recipe) and night.agents is None:
            night.report.recipes_skipped.append(
                (recipe.id, "needs Claude agents: set ANTHROPIC_API_KEY to run it")
            )
            continue
        scoped = [
            p
            for p in files
            if in_scope(p, recipe.include, recipe.exclude) and not matches(p, protected)
        ]
        try:
            findings = find(recipe, tree, scoped)
            if recipe.agent_find is not None and night.agents is not None:
                findings += night.agents.find(recipe, tree, scoped)
        except UserError:
            raise
        except Exception as exc:  # one recipe's finder failing never stops the night
            reason = f"{type(exc).__name__}: {exc}" if not isinstance(exc, CommandError) else exc
            night.report.notes.append(f"recipe {recipe.id} could not search: {reason}")
            night.progress(f"recipe {recipe.id} could not search: {reason}")
            continue
        if recipe.agent_find is None:
            # Agents' findings vary from night to night: a missing one proves nothing gone.
            night.report.recipes_searched.append(recipe.id)
        night.progress(f"{recipe.id}: {len(findings)} finding(s) in {len(scoped)} file(s)")
        night.report.findings.extend(findings)
        work.extend((recipe, f) for f in findings)
    night.report.timings["find"] = time.monotonic() - started
    return work


def _fixable(night: _Night, recipe: Recipe, finding: Finding) -> bool:
    return (
        night.fixer is not None
        or bool(finding.edits)
        or (recipe.agent_fix is not None and night.agents is not None)
    )


def _run_baselines(night: _Night, work: list[tuple[Recipe, Finding]], tree: Path) -> None:
    """Run each needed test command once on the base commit, before any fix is tried.

    A command that does not exist or hangs on the base commit is bad input: the night
    stops here, before any branch, patch or PR is made.
    """
    needed = dict.fromkeys(
        cmd
        for recipe, finding in work
        if _fixable(night, recipe, finding)
        for cmd in test_commands(recipe, night.config, tree)
    )
    if not needed:
        return
    night.report.test_command = " && ".join(needed)
    env = test_env(os.environ, tree)
    for command in needed:
        night.progress(f"baseline: `{command}` on {night.base_sha[:10]}")
        run = run_tests(
            command,
            tree,
            env,
            night.config.test_timeout,
            night.out / "logs",
            "baseline",
            sandbox=night.sandbox,
        )
        if run.not_found:
            raise UserError(
                f"test command `{command}` was not found: set `test_command` in "
                ".github/nightcrew.yml (or the recipe's verify.commands) to one that runs here",
                field="test_command",
            )
        if run.timed_out:
            raise UserError(
                f"test command `{command}` did not finish within {night.config.test_timeout:.0f}s "
                "on the base commit: fix the hang or raise `limits.test_timeout`",
                field="test_command",
            )
        night.baselines[command] = run
        night.report.test_runs.append(_record("baseline", run))
        failing = len(run.failed or ())
        night.progress(
            f"baseline: {run.tests if run.tests is not None else '?'} tests, "
            f"{failing} already failing, {run.duration:.1f}s"
        )
        if failing:
            night.report.notes.append(
                f"`{command}` already fails {failing} test(s) on the base commit; "
                "fixes are judged on new failures only"
            )


def _record(purpose: str, run: TestRun) -> TestRunRecord:
    return TestRunRecord(
        purpose=purpose,
        command=run.command,
        returncode=run.returncode,
        duration=run.duration,
        tests=run.tests,
        failed=tuple(sorted(run.failed or ())),
        timed_out=run.timed_out,
        log=str(run.log_path) if run.log_path else None,
    )


# ---------------------------------------------------------------------------- fixing


def _fix_all(
    night: _Night,
    work: list[tuple[Recipe, Finding]],
    base_tree: Path,
    max_fixes: int,
    jobs: int,
    fail_fast: bool,
) -> None:
    """Prepare, verify and publish in batches that fill the night's remaining slots."""
    results: dict[int, FixResult] = {}
    sources = {
        p: (base_tree / p).read_text(encoding="utf-8", errors="replace")
        for p in gitops.tracked_files(night.repo, night.base_sha)
        if p.endswith(".py") and (base_tree / p).is_file()
    }
    verifier = Verifier(
        night.repo,
        night.base_sha,
        night.baselines,
        os.environ,
        lambda c, cmd: (
            c.recipe.verify_timeout
            or derive_timeout(night.baselines[cmd].duration, night.config.test_timeout)
        ),
        night.out / "logs",
        jobs=jobs,
        graph=ImportGraph(sources),
        fail_fast=fail_fast,
        record=lambda purpose, run: night.report.test_runs.append(_record(purpose, run)),
        progress=night.progress,
        sandbox=night.sandbox,
    )
    published: Counter[str] = Counter()
    pending = list(enumerate(work))
    while pending:
        room = max_fixes - sum(published.values())
        planned = Counter(published)
        batch: list[Candidate] = []
        later: list[tuple[int, tuple[Recipe, Finding]]] = []
        chosen: list[tuple[int, Recipe, Finding]] = []
        for key, (recipe, finding) in pending:
            if (
                night.stopped
                or len(chosen) >= room
                or planned[recipe.id] >= recipe.pr.max_per_night
            ):
                later.append((key, (recipe, finding)))
                continue
            skip = _precheck(night, recipe, finding)
            if skip is not None:
                results[key] = skip
                night.progress(_describe(skip))
                continue
            chosen.append((key, recipe, finding))
            planned[recipe.id] += 1
        _lint_base(night, base_tree, [f for _key, _recipe, f in chosen])
        prepared = _parallel_map(lambda item: _prepare(night, *item, base_tree), chosen, jobs)
        for (key, _recipe, _finding), outcome in zip(chosen, prepared, strict=True):
            if isinstance(outcome, FixResult):
                results[key] = outcome
                night.progress(_describe(outcome))
            else:
                batch.append(outcome)
        if not chosen:
            for key, (recipe, finding) in later:
                reason = night.stopped or _limit_reason(recipe, published, max_fixes)
                results[key] = FixResult(finding, Status.SKIPPED, reason)
            break
        started = time.monotonic()
        outcomes = verifier.verify([c for c in batch if c.commands])
        share = (time.monotonic() - started) / max(len(batch), 1)
        for c in batch:
            result = _conclude(night, c, outcomes.get(c.key))
            result.duration += share
            results[c.key] = result
            night.progress(_describe(result))
            if result.status is Status.VERIFIED and result.branch:
                published[c.recipe.id] += 1
        pending = later
    night.report.fixes.extend(results[k] for k in sorted(results))
    night.report.suite_runs = verifier.suite_runs


def _limit_reason(recipe: Recipe, published: Counter[str], max_fixes: int) -> str:
    if sum(published.values()) >= max_fixes:
        return f"night limit reached ({max_fixes} verified fixes); a later night will try it"
    return f"recipe limit reached ({recipe.pr.max_per_night} per night); a later night will try it"


def _describe(result: FixResult) -> str:
    f = result.finding
    where = f"{f.path}:{f.start_line} {f.rule}"
    if result.status is Status.VERIFIED:
        return f"verified {where} -> {result.url or result.branch}"
    return f"{result.status.value} {where}: {result.reason}"


def _fixer(night: _Night, recipe: Recipe, finding: Finding) -> Fixer:
    """The bot's override; else a finding's own edits when it has them; else the agent."""
    if night.fixer is not None:
        return night.fixer
    if not finding.edits and recipe.agent_fix is not None and night.agents is not None:
        return night.agents.fixer()
    return EditFixer()


# How an agent's ending maps onto the night's statuses (bot.agents.session.AgentOutcome.status).
_AGENT_STATUS = {"gave_up": Status.SKIPPED, "skipped": Status.SKIPPED, "errored": Status.ERRORED}


def _no_fix_reason(recipe: Recipe, finding: Finding) -> str:
    if finding.no_fix_reason:
        return finding.no_fix_reason
    if finding.applicability == "unsafe" and not recipe.fix_unsafe:
        return "ruff marks this fix unsafe and the recipe does not allow unsafe fixes"
    return "no automatic fix is available for this finding"


T = TypeVar("T")
R = TypeVar("R")


def _parallel_map(fn: Callable[[T], R], items: Sequence[T], jobs: int) -> list[R]:
    """``[fn(x) for x in items]``, ``jobs`` at a time, in order."""
    if jobs <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=min(jobs, len(items))) as pool:
        return list(pool.map(fn, items))


def _precheck(night: _Night, recipe: Recipe, finding: Finding) -> FixResult | None:
    """Why not to try this finding tonight (no fix, already proposed...), or None."""
    if not _fixable(night, recipe, finding):
        return FixResult(finding, Status.SKIPPED, _no_fix_reason(recipe, finding))
    branch = messages.branch_name(recipe, finding)
    prior = night.publisher.prior(recipe, finding, branch)
    if prior:
        return FixResult(finding, Status.SKIPPED, prior, branch)
    return None


def _lint_base(night: _Night, base_tree: Path, findings: Sequence[Finding]) -> None:
    """Ruff on the base once for every file these findings may change (reused per fix)."""
    paths = sorted({f.path for f in findings} - night.linted)
    if paths:
        report = ruff_check(base_tree, paths)
        old = night.base_lint or RuffReport()
        night.base_lint = RuffReport(
            {**old.counts, **report.counts},
            {**old.examples, **report.examples},
            report.error or old.error,
        )
        night.linted |= set(paths)


def _prepare(
    night: _Night, key: int, recipe: Recipe, finding: Finding, base_tree: Path
) -> Candidate | FixResult:
    """Fix the finding in its own worktree and run every check short of the tests."""
    started = time.monotonic()
    branch = messages.branch_name(recipe, finding)
    try:
        with gitops.worktree(night.repo, night.base_sha, finding.short_fingerprint) as tree:
            prepared = _check_in(night, key, recipe, finding, tree, base_tree, branch)
    except (git.GitCommandError, OSError) as exc:
        prepared = FixResult(finding, Status.ERRORED, f"{type(exc).__name__}: {exc}".strip())
    if isinstance(prepared, FixResult):
        prepared.duration = time.monotonic() - started
    return prepared


def _check_in(
    night: _Night,
    key: int,
    recipe: Recipe,
    finding: Finding,
    tree: Path,
    base_tree: Path,
    branch: str,
) -> Candidate | FixResult:
    rejected = FixResult(finding, Status.REJECTED)
    steps = rejected.steps
    outcome = _fixer(night, recipe, finding).apply(recipe, finding, tree)
    rejected.costs = dict(outcome.costs)
    if not outcome.ok:
        rejected.status = _AGENT_STATUS.get(getattr(outcome, "status", ""), Status.REJECTED)
        rejected.reason = outcome.reason
        if outcome.costs:
            steps.append(Step("fix", False, outcome.reason))
        return rejected

    changes = gitops.changed_files(tree, night.base_sha)
    rejected.diff_lines = guard.changed_line_count(changes)
    policy = guard.GuardPolicy(
        include=recipe.include,
        exclude=recipe.exclude,
        protected=tuple(night.config.protected),
        max_changed_lines=night.config.max_changed_lines,
    )
    verdict = guard.check(changes, policy)
    steps.append(Step("guard", verdict.ok, "; ".join(verdict.reasons) or "diff within limits"))
    if not verdict.ok:
        rejected.reason = "; ".join(verdict.reasons)
        return rejected

    paths = [c.path for c in changes]
    compile_error = compile_check(tree, paths)
    steps.append(Step("compile", compile_error is None, compile_error or "compiles"))
    if compile_error:
        rejected.reason = f"the fixed code does not compile: {compile_error}"
        return rejected

    base_lint = (
        night.base_lint
        if night.base_lint is not None and night.linted.issuperset(paths)
        else ruff_check(base_tree, paths)
    )
    fix_lint = ruff_check(tree, paths)
    regressions = compare_ruff(base_lint, fix_lint)
    lint_detail = "no new violations"
    if base_lint.error and fix_lint.error:
        lint_detail = (
            f"not checked: ruff cannot run with this repository's config ({base_lint.error})"
        )
    steps.append(Step("ruff", not regressions, "; ".join(regressions) or lint_detail))
    if regressions:
        rejected.reason = f"new ruff violations: {'; '.join(regressions)}"
        return rejected

    commands = test_commands(recipe, night.config, base_tree)
    if not commands and not recipe.allow_lint_only:
        rejected.reason = (
            "the repository has no tests to verify this fix, and the recipe does not "
            "allow lint-only verification (verify.allow_lint_only)"
        )
        return rejected
    origin_problem = _origin_problem(night, tree, paths, steps)
    if origin_problem:
        rejected.reason = origin_problem
        return rejected

    texts = {
        c.path: (c.old_text or "", c.new_text or "") for c in changes if c.old_text is not None
    }
    evidence = [
        f"guard: {rejected.diff_lines} changed line(s), in scope",
        "compiles",
        f"ruff: {lint_detail}",
    ]
    return Candidate(
        key=key,
        recipe=recipe,
        finding=finding,
        branch=branch,
        patch=gitops.staged_patch(tree, night.base_sha),
        changes=texts,
        footprint=footprint(texts),
        commands=tuple(commands),
        diff_lines=rejected.diff_lines,
        steps=list(steps),
        evidence=evidence,
        costs=dict(outcome.costs),
        summary=outcome.summary,
    )


def _conclude(night: _Night, c: Candidate, outcome: Outcome | None) -> FixResult:
    """Record the verification; commit and publish a verified fix."""
    steps = [*c.steps, *(outcome.steps if outcome else ())]
    diff_lines = c.diff_lines
    if outcome is not None and not outcome.ok:
        return FixResult(c.finding, Status.REJECTED, outcome.reason, diff_lines=diff_lines,
                         steps=steps, costs=c.costs)  # fmt: skip
    evidence = list(c.evidence)
    if outcome is None:
        evidence.append("no tests in the repository: verified by compile and ruff only")
    else:
        evidence.append(f"tests {outcome.how}: " + "; ".join(
            s.detail.split(": ", 1)[-1] for s in outcome.steps if s.name == "tests" and s.ok
        ))  # fmt: skip
        evidence.append(f"tests ran in a sandbox: {night.sandbox.describe()}"
                        if night.sandbox.active else
                        f"tests ran unsandboxed: {night.sandbox.problem}")  # fmt: skip
        if outcome.flaky:
            names = ", ".join(outcome.flaky)
            evidence.append(
                f"{names} failed once and passed on a rerun (a flaky test, or a failure only "
                "together with another fix)"
            )
            night.report.notes.append(f"flaky test(s) seen verifying {c.finding.path}: {names}")
    message = messages.commit_message(c.recipe, c.finding, evidence)
    sha = gitops.commit_patch(
        night.repo, night.base_sha, c.patch, message, night.config.author_name,
        night.config.author_email,
    )  # fmt: skip
    proposal = Proposal(
        recipe=c.recipe,
        finding=c.finding,
        branch=c.branch,
        base=night.base_sha,
        commit=sha,
        title=messages.title(c.recipe, c.finding),
        message=message,
        evidence=tuple(evidence),
        steps=tuple(steps),
        diff=c.patch,
        costs=c.costs,
        summary=c.summary,
    )
    result = FixResult(c.finding, Status.VERIFIED, "; ".join(evidence), commit=sha,
                       diff_lines=diff_lines, steps=steps, costs=c.costs,
                       summary=c.summary)  # fmt: skip
    if night.stopped:
        result.reason += f"; not published: {night.stopped}"
        return result
    published = night.publisher.publish(proposal)
    if isinstance(published, NotPublished):
        result.reason += f"; not published: {published.reason}"
        if published.stop:
            night.stopped = f"publishing stopped: {published.reason}"
            night.report.notes.append(night.stopped)
        return result
    result.branch, result.url, result.patch = published.branch, published.url, published.patch
    return result


def _origin_problem(
    night: _Night, tree: Path, paths: Sequence[str], steps: list[Step]
) -> str | None:
    """Prove the tests will import the worktree's code, not an installed copy.

    Every worktree has the same layout and import path, so the answer is cached per file.
    """
    for path in paths:
        if not path.endswith(".py"):
            continue
        if path not in night.origins:
            env = test_env(os.environ, tree)
            origin = module_origin(tree, path, env, sys.executable, sandbox=night.sandbox)
            if origin is None:
                night.origins[path] = (True, "")
            elif Path(origin).resolve().is_relative_to(tree.resolve()):
                night.origins[path] = (
                    True,
                    Path(origin).resolve().relative_to(tree.resolve()).as_posix(),
                )
            else:
                night.origins[path] = (False, origin)
        inside, origin = night.origins[path]
        if not origin:
            continue
        where = f"the worktree's {origin}" if inside else origin
        steps.append(Step("origin", inside, f"{path} imports from {where}"))
        if not inside:
            return (
                f"tests would import {origin}, not the fixed {path}: install the package "
                "in editable mode (pip install -e .) or put its source root on the path"
            )
    return None


def write_report(report: NightReport) -> dict[str, Any]:
    """Write report.json and report.md into the report's output folder; return the JSON."""
    out = Path(report.out_dir or ".")
    data = report.to_json()
    (out / "report.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(report.to_markdown(), encoding="utf-8")
    return data


def cmd_run(args: argparse.Namespace) -> int:
    """`nightcrew run`: exit 0 when the night completed, whatever its fixes' fate."""
    opts = NightOptions(
        repo=Path(args.repo),
        recipe_ids=tuple(args.recipe),
        config_path=Path(args.config) if args.config else None,
        max_fixes=args.max_fixes,
        out=Path(args.out) if args.out else None,
        shard=getattr(args, "shard", None),
        jobs=getattr(args, "jobs", None),
        fail_fast=getattr(args, "fail_fast", False),
    )
    report = run_night(opts, _silent if args.quiet else _stderr_progress)
    data = write_report(report)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        out = Path(report.out_dir or ".")
        print(report.to_markdown())
        print(f"Report: {out / 'report.md'} (JSON: {out / 'report.json'})")
    return 0
