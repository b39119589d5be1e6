"""One night on a local repository: plan, find, fix, guard, verify, publish, report.

Every finding is fixed alone in its own worktree off the base commit. A finding's failure
(of any kind) is recorded on that finding and the night goes on; only bad input (exit 2)
stops a night, and it does so before anything has been written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import git

from bot import gitops, guard, messages, verify
from bot.config import RepoConfig, check_enabled, load_config
from bot.environment import test_env
from bot.errors import CommandError, UserError
from bot.finders import find
from bot.globs import in_scope, matches
from bot.model import EditError, Finding, apply_edits
from bot.recipes.loader import discover
from bot.recipes.model import Recipe
from bot.report import NightReport, TestRunRecord
from bot.results import FixResult, Status, Step
from bot.schedule import is_due

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
    baselines: dict[str, verify.TestRun] = field(default_factory=dict)


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
    command = config.test_command or verify.default_test_command(tree)
    return [command] if command else []


def run_night(opts: NightOptions, progress: Progress = _stderr_progress) -> NightReport:
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
    base_sha = gitops.resolve_base(repo, config.base)
    out = (opts.out or gitops.git_dir(repo) / "nightcrew").resolve()

    report = NightReport(
        repo=str(top),
        base=base_sha,
        started_at=opts.now.isoformat(timespec="seconds"),
        recipes=[r.id for r in chosen],
        recipes_skipped=skipped,
        out_dir=str(out),
    )
    night = _Night(repo, config, base_sha, out, report, progress)
    if gitops.is_dirty(repo):
        report.dirty_worktree = True
        note = (
            f"the working tree has uncommitted changes: the night works from the committed "
            f"{'base' if config.base else 'HEAD'} {base_sha[:10]} and leaves them untouched"
        )
        report.notes.append(note)
        progress(note)
    stale = gitops.cleanup_stale_worktrees(repo)
    if stale:
        progress(f"removed {len(stale)} worktree(s) left by an interrupted run")
    (out / "logs").mkdir(parents=True, exist_ok=True)
    (out / "patches").mkdir(parents=True, exist_ok=True)

    with gitops.worktree(repo, base_sha, "base") as base_tree:
        work = _find_all(night, chosen, base_tree)
        _run_baselines(night, work, base_tree)
        report.timings["baseline"] = sum(
            t.duration for t in report.test_runs if t.purpose == "baseline"
        )
        fix_started = time.monotonic()
        verified = 0
        per_recipe: dict[str, int] = {}
        for recipe, finding in work:
            limit_reason = _limit_reason(recipe, per_recipe, verified, max_fixes)
            if limit_reason:
                result = FixResult(finding, Status.SKIPPED, limit_reason)
            else:
                result = _fix_one(night, recipe, finding, base_tree)
            report.fixes.append(result)
            progress(_describe(result))
            if result.status is Status.VERIFIED:
                verified += 1
                per_recipe[recipe.id] = per_recipe.get(recipe.id, 0) + 1
        report.timings["fixes"] = time.monotonic() - fix_started
    report.timings["total"] = time.monotonic() - started
    return report


def _limit_reason(
    recipe: Recipe, per_recipe: dict[str, int], verified: int, max_fixes: int
) -> str | None:
    if verified >= max_fixes:
        return f"night limit reached ({max_fixes} verified fixes); a later night will try it"
    if per_recipe.get(recipe.id, 0) >= recipe.pr.max_per_night:
        return (
            f"recipe limit reached ({recipe.pr.max_per_night} per night); a later night will try it"
        )
    return None


def _describe(result: FixResult) -> str:
    f = result.finding
    where = f"{f.path}:{f.start_line} {f.rule}"
    if result.status is Status.VERIFIED:
        return f"verified {where} -> {result.branch}"
    return f"{result.status.value} {where}: {result.reason}"


def _find_all(night: _Night, recipes: Sequence[Recipe], tree: Path) -> list[tuple[Recipe, Finding]]:
    """Run every recipe's finders on the base tree; one recipe's crash skips only that recipe."""
    started = time.monotonic()
    files = gitops.tracked_files(night.repo, night.base_sha)
    protected = guard.DEFAULT_PROTECTED + tuple(night.config.protected)
    work: list[tuple[Recipe, Finding]] = []
    for recipe in recipes:
        if recipe.agent_find is not None and not (recipe.ruff_select or recipe.detectors):
            night.report.recipes_skipped.append(
                (recipe.id, "agent finders are not available in this version")
            )
            continue
        scoped = [
            p
            for p in files
            if in_scope(p, recipe.include, recipe.exclude) and not matches(p, protected)
        ]
        try:
            findings = find(recipe, tree, scoped)
        except CommandError as exc:
            night.report.notes.append(f"recipe {recipe.id} could not search: {exc}")
            night.progress(f"recipe {recipe.id} could not search: {exc}")
            continue
        night.progress(f"{recipe.id}: {len(findings)} finding(s) in {len(scoped)} file(s)")
        night.report.findings.extend(findings)
        work.extend((recipe, f) for f in findings)
    night.report.timings["find"] = time.monotonic() - started
    return work


def _run_baselines(night: _Night, work: list[tuple[Recipe, Finding]], tree: Path) -> None:
    """Run each needed test command once on the base commit, before any fix is tried.

    A command that does not exist or hangs on the base commit is bad input: the night
    stops here, before anything has been written.
    """
    needed = dict.fromkeys(
        cmd
        for recipe, finding in work
        if finding.edits
        for cmd in test_commands(recipe, night.config, tree)
    )
    if not needed:
        return
    night.report.test_command = " && ".join(needed)
    env = test_env(os.environ, tree)
    for command in needed:
        night.progress(f"baseline: `{command}` on {night.base_sha[:10]}")
        run = verify.run_tests(
            command, tree, env, night.config.test_timeout, night.out / "logs", "baseline"
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


def _record(purpose: str, run: verify.TestRun) -> TestRunRecord:
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


def _fix_one(night: _Night, recipe: Recipe, finding: Finding, base_tree: Path) -> FixResult:
    started = time.monotonic()
    branch = messages.branch_name(recipe, finding)
    if not finding.edits:
        return FixResult(finding, Status.SKIPPED, _no_fix_reason(recipe, finding))
    if gitops.branch_exists(night.repo, branch):
        return FixResult(finding, Status.SKIPPED, f"already proposed on branch {branch}", branch)
    try:
        with gitops.worktree(night.repo, night.base_sha, finding.short_fingerprint) as tree:
            result = _fix_in(night, recipe, finding, tree, base_tree, branch)
    except (git.GitCommandError, OSError) as exc:
        result = FixResult(finding, Status.ERRORED, f"{type(exc).__name__}: {exc}".strip())
    result.duration = time.monotonic() - started
    return result


def _no_fix_reason(recipe: Recipe, finding: Finding) -> str:
    if finding.no_fix_reason:
        return finding.no_fix_reason
    if finding.applicability == "unsafe" and not recipe.fix_unsafe:
        return "ruff marks this fix unsafe and the recipe does not allow unsafe fixes"
    return "no automatic fix is available for this finding"


def _fix_in(
    night: _Night, recipe: Recipe, finding: Finding, tree: Path, base_tree: Path, branch: str
) -> FixResult:
    result = FixResult(finding, Status.REJECTED, branch=None)
    steps = result.steps
    target = tree / finding.path
    try:
        target.write_bytes(_apply_to_bytes(target.read_bytes(), finding))
    except (EditError, UnicodeDecodeError, OSError) as exc:
        result.reason = f"the fix does not apply to {finding.path}: {exc}"
        return result

    changes = gitops.changed_files(tree, night.base_sha)
    result.diff_lines = guard.changed_line_count(changes)
    policy = guard.GuardPolicy(
        include=recipe.include,
        exclude=recipe.exclude,
        protected=tuple(night.config.protected),
        max_changed_lines=night.config.max_changed_lines,
    )
    verdict = guard.check(changes, policy)
    steps.append(Step("guard", verdict.ok, "; ".join(verdict.reasons) or "diff within limits"))
    if not verdict.ok:
        result.reason = "; ".join(verdict.reasons)
        return result

    paths = [c.path for c in changes]
    compile_error = verify.compile_check(tree, paths)
    steps.append(Step("compile", compile_error is None, compile_error or "compiles"))
    if compile_error:
        result.reason = f"the fixed code does not compile: {compile_error}"
        return result

    base_lint, fix_lint = verify.ruff_check(base_tree, paths), verify.ruff_check(tree, paths)
    regressions = verify.compare_ruff(base_lint, fix_lint)
    lint_detail = "no new violations"
    if base_lint.error and fix_lint.error:
        lint_detail = (
            f"not checked: ruff cannot run with this repository's config ({base_lint.error})"
        )
    steps.append(Step("ruff", not regressions, "; ".join(regressions) or lint_detail))
    if regressions:
        result.reason = f"new ruff violations: {'; '.join(regressions)}"
        return result

    commands = test_commands(recipe, night.config, base_tree)
    evidence = [
        f"guard: {result.diff_lines} changed line(s), in scope",
        "compiles",
        f"ruff: {lint_detail}",
    ]
    if not commands:
        if not recipe.allow_lint_only:
            result.reason = (
                "the repository has no tests to verify this fix, and the recipe does not "
                "allow lint-only verification (verify.allow_lint_only)"
            )
            return result
        evidence.append("no tests in the repository: verified by compile and ruff only")
    env = test_env(os.environ, tree)
    origin_problem = _origin_problem(tree, paths, env, steps)
    if origin_problem:
        result.reason = origin_problem
        return result
    for command in commands:
        baseline = night.baselines[command]
        timeout = recipe.verify_timeout or verify.derive_timeout(
            baseline.duration, night.config.test_timeout
        )
        run = verify.run_tests(
            command, tree, env, timeout, night.out / "logs", finding.short_fingerprint
        )
        night.report.test_runs.append(_record(finding.short_fingerprint, run))
        comparison = verify.compare(baseline, run)
        steps.append(Step("tests", comparison.ok, comparison.reason, command, run.duration))
        if not comparison.ok:
            result.reason = comparison.reason
            return result
        evidence.append(
            f"`{command}`: {run.tests if run.tests is not None else 'all'} tests, no new failures "
            f"({len(baseline.failed or ())} failing before and after), {run.duration:.1f}s"
        )

    message = messages.commit_message(recipe, finding, evidence)
    sha = gitops.commit_all(tree, message, night.config.author_name, night.config.author_email)
    gitops.create_branch(night.repo, branch, sha)
    patch = night.out / "patches" / f"{branch.replace('/', '__')}.patch"
    patch.write_text(gitops.format_patch(night.repo, sha), encoding="utf-8")
    result.status = Status.VERIFIED
    result.reason = "; ".join(evidence)
    result.branch, result.commit, result.patch = branch, sha, str(patch)
    return result


def _apply_to_bytes(raw: bytes, finding: Finding) -> bytes:
    """Apply the finding's edits to a file's bytes, keeping its newlines and its BOM.

    Ruff's columns (and so every finding's) do not count a byte order mark.
    """
    text = raw.decode("utf-8")
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    return (bom + apply_edits(text.removeprefix(bom), finding.edits)).encode("utf-8")


def _origin_problem(
    tree: Path, paths: Sequence[str], env: dict[str, str], steps: list[Step]
) -> str | None:
    """Prove the tests will import the worktree's code, not an installed copy."""
    for path in paths:
        if not path.endswith(".py"):
            continue
        origin = verify.module_origin(tree, path, env, sys.executable)
        if origin is None:
            continue
        inside = Path(origin).resolve().is_relative_to(tree.resolve())
        steps.append(Step("origin", inside, f"{path} imports from {origin}"))
        if not inside:
            return (
                f"tests would import {origin}, not the fixed {path}: install the package "
                "in editable mode (pip install -e .) or put its source root on the path"
            )
    return None


def cmd_run(args: argparse.Namespace) -> int:
    """`nightcrew run`: exit 0 when the night completed, whatever its fixes' fate."""
    opts = NightOptions(
        repo=Path(args.repo),
        recipe_ids=tuple(args.recipe),
        config_path=Path(args.config) if args.config else None,
        max_fixes=args.max_fixes,
        out=Path(args.out) if args.out else None,
    )
    report = run_night(opts, _silent if args.quiet else _stderr_progress)
    out = Path(report.out_dir or ".")
    data = report.to_json()
    (out / "report.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(report.to_markdown(), encoding="utf-8")
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(report.to_markdown())
        print(f"Report: {out / 'report.md'} (JSON: {out / 'report.json'})")
    return 0
