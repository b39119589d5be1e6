"""Adapter: the static checks of a fix, compile and ruff, compared with the base."""

from __future__ import annotations

import contextlib
import json
import subprocess
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ruff.__main__ import find_ruff_bin

from bot.verify.style import ruff_config_of


def compile_check(worktree: Path, paths: Sequence[str]) -> str | None:
    """Syntax errors in the changed Python files, one per line, or None; writes nothing."""
    errors = []
    for path in paths:
        file = worktree / path
        if not path.endswith((".py", ".pyi")) or not file.is_file():
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarning is ruff's business, not ours
                compile(file.read_bytes(), path, "exec", dont_inherit=True)
        except SyntaxError as exc:
            errors.append(f"{path}:{exc.lineno}: {exc.msg}")
        except ValueError as exc:  # e.g. null bytes
            errors.append(f"{path}: {exc}")
    return "\n".join(errors) or None


@dataclass(frozen=True)
class RuffReport:
    """Ruff's diagnostics on some files, counted per (path, code)."""

    counts: Mapping[tuple[str, str], int] = field(default_factory=dict)
    examples: Mapping[tuple[str, str], str] = field(default_factory=dict)
    error: str | None = None  # ruff itself failed (exit 2: config error)


def ruff_check(tree: Path, paths: Sequence[str], *, timeout: float = 300) -> RuffReport:
    """Real ruff on ``paths`` under the tree's own config; never fixes, never caches.

    Ruff finds the config nearest each file itself. A file with none anywhere up to the
    tree's root is checked ``--isolated``: otherwise ruff would fall back to the user's own
    config (``~/.config/ruff``), which is not the repository's.
    """
    existing = [p for p in paths if (tree / p).is_file()]
    configured = [p for p in existing if ruff_config_of(tree, p) is not None]
    bare = [p for p in existing if p not in configured]
    reports = [
        _ruff_run(tree, group, isolated=isolated, timeout=timeout)
        for group, isolated in ((configured, False), (bare, True))
        if group
    ]
    counts: dict[tuple[str, str], int] = {}
    examples: dict[tuple[str, str], str] = {}
    for report in reports:
        if report.error:
            return report
        counts |= report.counts
        examples |= report.examples
    return RuffReport(counts=counts, examples=examples)


def _ruff_run(tree: Path, paths: list[str], *, isolated: bool, timeout: float) -> RuffReport:
    argv = [
        find_ruff_bin(),
        "check",
        "--no-fix",  # repos may say `fix = true`
        "--no-cache",
        "--force-exclude",  # the repo's excludes apply to named files too
        *(["--isolated"] if isolated else []),
        "--output-format",
        "json",
        "--",
        *paths,
    ]
    try:
        proc = subprocess.run(
            argv, cwd=tree, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return RuffReport(error=f"ruff timed out after {timeout:.0f}s")
    if proc.returncode not in (0, 1):
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        return RuffReport(error=f"ruff exited {proc.returncode}: {tail}")
    try:
        diagnostics = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError as exc:
        return RuffReport(error=f"ruff's JSON output is unreadable: {exc}")
    root = tree.resolve()
    counts: dict[tuple[str, str], int] = {}
    examples: dict[tuple[str, str], str] = {}
    for diag in diagnostics:
        filename = Path(diag.get("filename", ""))
        with contextlib.suppress(ValueError):
            filename = filename.resolve().relative_to(root)
        key = (filename.as_posix(), diag.get("code") or "invalid-syntax")
        counts[key] = counts.get(key, 0) + 1
        row = (diag.get("location") or {}).get("row", "?")
        examples.setdefault(key, f"line {row}: {diag.get('message', '')}")
    return RuffReport(counts=counts, examples=examples)


def compare_ruff(base: RuffReport, fix: RuffReport) -> list[str]:
    """One line for every (path, code) with more diagnostics after the fix than before."""
    if base.error and fix.error:
        return []  # ruff cannot run on this repo at all; the caller notes base.error
    if fix.error:
        return [f"ruff could not check the fix: {fix.error}"]
    lines = []
    for key in sorted(fix.counts):
        before, after = base.counts.get(key, 0), fix.counts[key]
        if after > before:
            path, code = key
            lines.append(f"{path}: {code} {before} -> {after} ({fix.examples.get(key, '')})")
    return lines
