"""One night, read top to bottom: plan, find, baseline, fix and check, verify, publish, report.

Every finding is fixed alone in its own worktree off the base commit (``bot.fix``) and
checked there (``bot.verify.checks``). What survives is kept as a patch; patches are then
verified by the tests (in groups where the recipe allows, ``bot.verify.grouped``),
committed without a worktree and handed to the publisher (``bot.publish.commit``). A
finding's failure of any kind is recorded on that finding and the night goes on; only bad
input (exit 2) stops a night, and it does so before any branch, patch or PR is made.

The night is given everything from outside (config, environment, API key): it reads no
environment variable of its own.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import git

from bot import gitops
from bot.config import RepoConfig, check_enabled, load_config
from bot.errors import UserError
from bot.find.sweep import sweep, uses_agents
from bot.fix import guard
from bot.fix.apply import apply_fix
from bot.fix.fixers import EditFixer, Fixer
from bot.model import Finding, in_shard
from bot.publish import memory, messages
from bot.publish.commit import Publishing
from bot.publish.proposal import Publisher
from bot.recipes.loader import discover
from bot.recipes.model import Recipe
from bot.recipes.schedule import select_recipes
from bot.report.document import NightReport, clear_previous
from bot.report.progress import FindingsToTry, FixDone, Phase, Progress, tell, to_stderr
from bot.report.results import FixResult, NoteKind, Reason, Status
from bot.sandbox import bwrap
from bot.sandbox.bwrap import Sandbox
from bot.sandbox.setup import night_sandbox
from bot.verify.baseline import Baselines, record
from bot.verify.checks import Checks
from bot.verify.grouped import Candidate, Verifier
from bot.verify.impact import ImportGraph
from bot.verify.interpreter import choose_interpreter
from bot.verify.runs import parallel_map
from bot.verify.suite import test_commands

if TYPE_CHECKING:
    from bot.agents.session import AgentSession


@dataclass(frozen=True)
class NightOptions:
    repo: Path
    recipe_ids: tuple[str, ...] = ()
    every: bool = False  # `--all`: every enabled recipe, whatever its schedule
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
    retry_rejected: bool = False  # try fixes the tests rejected on earlier nights (local only)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    # From outside. The environment tests and agents start from (secrets are scrubbed from
    # it before any test sees it); the Claude key; the config when the caller loaded it.
    env: Mapping[str, str] = field(default_factory=dict)
    api_key: str = ""
    config: RepoConfig | None = None
    base_sha: str | None = None  # the base commit when the caller resolved it already
    python: str | None = None  # `--python`: the tests' interpreter (bot.verify.interpreter)


@dataclass
class _Night:
    """What one night's stages share."""

    repo: git.Repo
    config: RepoConfig
    base_sha: str
    out: Path
    env: Mapping[str, str]
    report: NightReport
    progress: Progress
    publishing: Publishing
    sandbox: Sandbox
    checks: Checks
    agents: AgentSession | None = None
    fixer: Fixer | None = None
    baselines: Baselines | None = None  # the base commit's runs, made when fixes need them


def run_night(
    opts: NightOptions, progress: Progress = to_stderr, publisher: Publisher | None = None
) -> NightReport:
    started = time.monotonic()
    repo = gitops.open_repo(opts.repo.resolve())
    top = Path(repo.working_tree_dir or opts.repo.resolve())
    config = opts.config or load_config(top, opts.config_path)
    recipes = discover(top, tuple(config.recipe_dirs))
    check_enabled(config, recipes)
    chosen, skipped = select_recipes(recipes, config, opts.recipe_ids, opts.now, every=opts.every)
    max_fixes = config.max_fixes if opts.max_fixes is None else opts.max_fixes
    if max_fixes < 0:
        raise UserError("must be 0 or more", field="--max-fixes")
    if opts.jobs is not None and opts.jobs < 1:
        raise UserError("must be 1 or more", field="--jobs")
    base_sha = opts.base_sha or gitops.resolve_base(repo, config.base)
    out = (opts.out or gitops.git_dir(repo) / "nightcrew").resolve()
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} is a file: pass a folder (it is created if missing)", field="--out")
    try:  # now, so a folder that cannot be made stops the night before any work
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        under = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
        why = f"{under} is a file, not a folder" if under else exc.strerror or str(exc)
        raise UserError(f"cannot create {out}: {why}; pass another folder", field="--out") from None
    interpreter = choose_interpreter(opts.python, config, opts.env, top)
    env = interpreter.environment(opts.env)

    report = NightReport(
        repo=str(top),
        base=base_sha,
        started_at=opts.now.isoformat(timespec="seconds"),
        recipes=[r.id for r in chosen],
        recipes_skipped=skipped,
        out_dir=str(out),
        python=interpreter.to_json(),
    )
    progress(Phase.SETUP, f"tests run with {interpreter.describe()}")
    if opts.shard:
        report.shard = opts.shard
        report.note(NoteKind.SHARD, f"shard {opts.shard[0]} of {opts.shard[1]}")
    bwrap_path = opts.env.get("NIGHTCREW_BWRAP") or None
    sandbox = night_sandbox(config, top, out, bwrap_path, interpreter.sandbox_keep())
    publisher = publisher or memory.local(repo, out, base_sha, config, opts.now,
                                          retry=opts.retry_rejected)  # fmt: skip
    publishing = Publishing(repo, base_sha, config, publisher, report, sandbox, chosen)
    night = _Night(
        repo, config, base_sha, out, env, report, progress, publishing, sandbox,
        Checks(env, sandbox, interpreter.path), fixer=opts.fixer,
    )  # fmt: skip
    report.sandbox = sandbox.describe()
    _say_where_tests_run(night, any(uses_agents(r) for r in chosen))
    if any(uses_agents(r) for r in chosen) and sandbox.agents_allowed:
        from bot.agents.refute import for_night
        from bot.agents.session import AgentSession

        night.agents = AgentSession.start(
            opts.api_key, env, config, progress, sandbox, python=interpreter.path
        )
        publishing.refuter = for_night(night.agents, publishing, opts.jobs, opts.fixer)
    if gitops.is_dirty(repo):
        report.dirty_worktree = True
        note = report.note(
            NoteKind.DIRTY_WORKTREE,
            f"the working tree has uncommitted changes: the night works from the committed "
            f"{'base' if config.base else 'HEAD'} {base_sha[:10]} and leaves them untouched",
        )
        progress(Phase.SETUP, note.text)
    with gitops.night_lock(repo):
        stale = gitops.cleanup_stale_worktrees(repo)
        if stale:
            progress(Phase.SETUP, f"removed {len(stale)} worktree(s) left by an interrupted run")
        bwrap.cleanup_stale_tmp()
        clear_previous(out)  # so no earlier night's report or patch passes for tonight's
        (out / "logs").mkdir(parents=True, exist_ok=True)

        with gitops.worktree(repo, base_sha, "base") as base_tree:
            files = [p for p in gitops.tracked_files(repo, base_sha) if in_shard(p, opts.shard)]
            work = sweep(
                chosen,
                base_tree,
                files,
                protected=guard.DEFAULT_PROTECTED + tuple(config.protected),
                agents=night.agents,
                agents_allowed=sandbox.agents_allowed,
                report=report,
                progress=progress,
            )
            if opts.only_fingerprints is not None:
                work = [(r, f) for r, f in work if f.fingerprint in opts.only_fingerprints]
            tell(progress, Phase.FIND, FindingsToTry(len(work)))
            commands = _needed_commands(night, work, base_tree)
            report.test_command = " && ".join(commands) or None
            night.baselines = Baselines(
                base_tree,
                env,
                base_sha=base_sha,
                timeout=config.test_timeout,
                log_dir=out / "logs",
                sandbox=sandbox,
                report=report,
                progress=progress,
                interpreter=interpreter,
            )
            fix_started = time.monotonic()
            jobs = opts.jobs or os.cpu_count() or 1
            _fix_all(night, work, base_tree, max_fixes, jobs, opts.fail_fast)
            report.timings["fixes"] = time.monotonic() - fix_started
            report.timings["baseline"] = sum(
                t.duration for t in report.test_runs if t.purpose.startswith("baseline")
            )
        publishing.publisher.finish(report)
    if night.agents is not None:
        report.agents = night.agents.summary()
    report.timings["total"] = time.monotonic() - started
    return report


# ---------------------------------------------------------------------------- setup


def _say_where_tests_run(night: _Night, agents_wanted: bool) -> None:
    """One line for the report when tests run unsandboxed; nothing when they are sandboxed."""
    found = night.sandbox
    if found.active:
        return
    text = f"tests run unsandboxed: {found.problem}"
    if agents_wanted and not found.agents_allowed:
        text += "; so agent recipes are skipped"
    if found.mode == "auto":
        text += f". To sandbox them, {bwrap.INSTALL_HINT}"
    night.progress(Phase.SETUP, night.report.note(NoteKind.SANDBOX, text).text)


def _fixable(night: _Night, recipe: Recipe, finding: Finding) -> bool:
    return (
        night.fixer is not None
        or bool(finding.edits)
        or (recipe.agent_fix is not None and night.agents is not None)
    )


def _needed_commands(
    night: _Night, work: Sequence[tuple[Recipe, Finding]], tree: Path
) -> list[str]:
    """The test commands of every finding that can be fixed, once each."""
    return list(
        dict.fromkeys(
            cmd
            for recipe, finding in work
            if _fixable(night, recipe, finding)
            for cmd in test_commands(recipe, night.config, tree)
        )
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
    baselines = night.baselines
    assert baselines is not None
    verifier = Verifier(
        night.repo,
        night.base_sha,
        baselines,
        night.env,
        lambda c, cmd: c.recipe.verify_timeout or baselines.timeout(cmd),
        night.out / "logs",
        jobs=jobs,
        graph=ImportGraph(sources),
        fail_fast=fail_fast,
        record=lambda purpose, run: night.report.test_runs.append(record(purpose, run)),
        progress=night.progress,
        sandbox=night.sandbox,
        python=night.checks.python,
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
                night.publishing.stopped
                or len(chosen) >= room
                or planned[recipe.id] >= night.publishing.quota(recipe).limit
            ):
                later.append((key, (recipe, finding)))
                continue
            skip = _precheck(night, recipe, finding)
            if skip is not None:
                results[key] = skip
                tell(night.progress, Phase.FIX, _done(skip))
                continue
            chosen.append((key, recipe, finding))
            planned[recipe.id] += 1
        night.checks.lint_base(base_tree, [f for _key, _recipe, f in chosen])
        night.checks.origins_base(base_tree, [f.path for _key, _recipe, f in chosen])
        prepared = _parallel_map(lambda item: _prepare(night, *item, base_tree), chosen, jobs)
        for (key, _recipe, _finding), outcome in zip(chosen, prepared, strict=True):
            if isinstance(outcome, FixResult):
                results[key] = outcome
                tell(night.progress, Phase.FIX, _done(outcome))
            else:
                batch.append(outcome)
        if not chosen:
            results |= {k: _left_for_later(night, *w, published, max_fixes) for k, w in later}
            if later:
                night.progress(Phase.FIX, f"{len(later)} finding(s) left for a later night")
            break
        started = time.monotonic()
        outcomes = verifier.verify([c for c in batch if c.commands])
        share = (time.monotonic() - started) / max(len(batch), 1)
        for c, result in zip(batch, night.publishing.conclude_all(batch, outcomes), strict=True):
            result.duration += share
            results[c.key] = result
            tell(night.progress, Phase.FIX, _done(result))
            if result.status is Status.VERIFIED and result.branch:
                published[c.recipe.id] += 1
        pending = later
    night.report.fixes.extend(results[k] for k in sorted(results))
    night.report.suite_runs = verifier.suite_runs
    night.report.partial_runs = verifier.partial_runs
    night.report.baseline_runs = (baselines.full_runs, baselines.partial_runs)
    if verifier.suite_runs and not baselines.ran_full:
        some = baselines.partial_runs
        night.report.note(
            NoteKind.INFO,
            "no baseline was needed: every test passed with the fixes"
            if not some
            else f"no full baseline was needed: the base commit ran only the tests that "
            f"failed with fixes ({some} run(s))",
        )


def _left_for_later(
    night: _Night, recipe: Recipe, finding: Finding, published: Counter[str], max_fixes: int
) -> FixResult:
    if night.publishing.stopped:
        reason, kind = night.publishing.stop_reason, Reason.PUBLISHING_STOPPED
    elif sum(published.values()) >= max_fixes:
        reason = f"night limit reached ({max_fixes} verified fixes); a later night will try it"
        kind = Reason.NIGHT_LIMIT
    else:
        reason = f"{night.publishing.quota(recipe).reached()}; a later night will try it"
        kind = Reason.RECIPE_LIMIT
    tell(night.progress, Phase.FIX, FixDone(Status.SKIPPED, ""))  # one line says it for all
    return FixResult(finding, Status.SKIPPED, reason, kind=kind)


def _done(r: FixResult) -> FixDone:
    then = f" -> {r.url or r.branch}" if r.status is Status.VERIFIED else f": {r.reason}"
    return FixDone(r.status, f"{r.status.value} {r.finding.path}:{r.finding.start_line} "
                   f"{r.finding.rule}{then}")  # fmt: skip


def _fixer(night: _Night, recipe: Recipe, finding: Finding) -> Fixer:
    """The bot's override; else a finding's own edits when it has them; else the agent."""
    if night.fixer is not None:
        return night.fixer
    if not finding.edits and recipe.agent_fix is not None and night.agents is not None:
        return night.agents.fixer()
    return EditFixer()


def _no_fix_reason(recipe: Recipe, finding: Finding) -> str:
    if finding.no_fix_reason:
        return finding.no_fix_reason
    if finding.applicability == "unsafe" and not recipe.fix_unsafe:
        return "ruff marks this fix unsafe and the recipe does not allow unsafe fixes"
    return "no automatic fix is available for this finding"


T = TypeVar("T")
R = TypeVar("R")


def _parallel_map(fn: Callable[[T], R], items: Sequence[T], jobs: int) -> list[R]:
    """``[fn(x) for x in items]``, ``jobs`` at a time, in order; Ctrl-C ends their runs."""
    if jobs <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    return parallel_map(fn, items, min(jobs, len(items)))


def _precheck(night: _Night, recipe: Recipe, finding: Finding) -> FixResult | None:
    """Why not to try this finding tonight (no fix, already proposed...), or None."""
    if not _fixable(night, recipe, finding):
        return FixResult(
            finding, Status.SKIPPED, _no_fix_reason(recipe, finding), kind=Reason.NO_FIX
        )
    branch = messages.branch_name(recipe, finding)
    prior = night.publishing.prior(recipe, finding, branch)
    if prior is not None:
        return FixResult(finding, Status.SKIPPED, prior.reason, branch, kind=prior.kind)
    return None


def _prepare(
    night: _Night, key: int, recipe: Recipe, finding: Finding, base_tree: Path
) -> Candidate | FixResult:
    """Fix the finding in its own worktree and run every check short of the tests."""
    started = time.monotonic()
    branch = messages.branch_name(recipe, finding)
    policy = guard.GuardPolicy(
        include=recipe.include,
        exclude=recipe.exclude,
        protected=tuple(night.config.protected),
        max_changed_lines=night.config.max_changed_lines,
    )
    prepared: Candidate | FixResult
    try:
        with gitops.worktree(night.repo, night.base_sha, finding.short_fingerprint) as tree:
            fixer = _fixer(night, recipe, finding)
            fixed = apply_fix(fixer, recipe, finding, tree, night.base_sha, policy)
            if isinstance(fixed, FixResult):
                prepared = fixed
            else:
                commands = test_commands(recipe, night.config, base_tree)
                prepared = night.checks.check(
                    key, recipe, finding, fixed, tree, base_tree, branch, commands
                )
    except (git.GitCommandError, OSError) as exc:
        prepared = FixResult(
            finding, Status.ERRORED, f"{type(exc).__name__}: {exc}".strip(), kind=Reason.ERROR
        )
    if isinstance(prepared, FixResult):
        prepared.duration = time.monotonic() - started
    return prepared
