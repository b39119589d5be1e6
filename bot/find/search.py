"""Recipe + tree -> findings: the ruff adapter and Nightcrew's own detectors, fingerprinted.

Ruff runs as ``ruff check --no-fix --no-cache --output-format json --select <recipe rules>``.
``--no-fix`` because a repository's ruff config may say ``fix = true`` (finding must never
rewrite files), ``--no-cache`` so no ``.ruff_cache`` lands in the tree.

The repository's own ruff config applies (no ``--isolated``): its target-version decides
which modernisations are valid, and its excludes, per-file-ignores, ``unfixable`` and
``# noqa`` comments are the maintainers' word. The recipe's ``--select`` replaces the
config's rule selection, so the recipe decides *which* rules run. If the config is broken
(ruff exits 2), ruff is run again with ``--isolated`` and a warning is logged; if that fails
too, ``CommandError``. ``find(..., isolated=True)`` ignores every config from the start
(recipe fixtures use it).

Every diagnostic becomes a finding; its ruff fix becomes the finding's edits only when the
fix's applicability is ``safe``, or ``unsafe`` and the recipe has ``fix.unsafe``. Otherwise
the finding has no edits and ``applicability`` says why (``display-only`` when ruff offered
no fix at all).

Files that are symlinks (or lie under a linked folder) are not searched: a link's target is
not the repository's code (``pkg/ext.py -> /somewhere/outside.py``), or is found under its
own path already, and Nightcrew never writes through a link (``bot.fix.fixers``).
"""

from __future__ import annotations

import ast
import json
import logging
import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ruff.__main__ import find_ruff_bin

from bot import pysource
from bot.errors import CommandError, UserError
from bot.find.detectors import REGISTRY, Detector
from bot.fix.fixers import linked_part
from bot.model import Finding, SpanSet, TextEdit, assign_fingerprints
from bot.recipes.model import Recipe

log = logging.getLogger(__name__)

# Paths per ruff invocation: stays far below the OS limit on command-line length.
_BATCH = 500
_RULE_CODE = re.compile(r"^[A-Z]+[0-9]+$")  # syntax errors come as code "invalid-syntax"


def find(
    recipe: Recipe, root: Path, files: Sequence[str], *, isolated: bool = False
) -> list[Finding]:
    """All findings of ``recipe`` in ``files`` (repo-relative POSIX paths under ``root``).

    ``isolated`` makes ruff ignore every configuration file (used for recipe fixtures).
    Raises CommandError when ruff crashes, UserError for an unknown detector.
    """
    files = [p for p in files if linked_part(root, p) is None]
    findings: list[Finding] = []
    if recipe.ruff_select and files:
        findings += ruff_findings(recipe, root, files, isolated=isolated)
    sources: dict[str, str] = {}
    if recipe.detectors:
        detectors = [_detector(recipe, name) for name in recipe.detectors]
        for path in files:
            text = _read(root, path)
            if text is None:
                continue
            sources[path] = text
            for detector in detectors:
                findings += _detect(recipe, detector, text, path)
    for path in {f.path for f in findings} - sources.keys():
        sources[path] = _read(root, path) or ""
    findings = withhold_probe_removals(findings, sources)
    return assign_fingerprints(drop_overlaps(findings), sources)


# Handlers that make `try: import x` a check for whether x is available.
_PROBE_HANDLERS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
PROBE_REASON = (
    "the import sits in a try/except that checks whether the module is available "
    "(removing it would change what that check says); mark it `# noqa: F401` or use "
    "importlib.util.find_spec"
)


def _probe_lines(text: str) -> frozenset[int]:
    """Lines of import statements inside `try:` bodies whose handlers catch ImportError."""
    try:
        tree = pysource.parse(text)
    except (SyntaxError, ValueError):
        return frozenset()
    lines: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try | ast.TryStar):
            continue
        names = set()
        for handler in node.handlers:
            kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            names |= {
                k.id if isinstance(k, ast.Name) else "BaseException" if k is None else ""
                for k in kinds
            }
        if not names & _PROBE_HANDLERS:
            continue
        for stmt in node.body:
            for inner in ast.walk(stmt):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    end = inner.end_lineno or inner.lineno
                    lines.update(range(inner.lineno, end + 1))
    return frozenset(lines)


def withhold_probe_removals(findings: list[Finding], sources: dict[str, str]) -> list[Finding]:
    """Keep unused-import findings on availability probes, but without their edit."""
    probes: dict[str, frozenset[int]] = {}
    result = []
    for f in findings:
        if f.rule == "ruff:F401" and f.edits:
            if f.path not in probes:
                probes[f.path] = _probe_lines(sources.get(f.path, ""))
            if f.start_line in probes[f.path]:
                f = replace(f, edits=(), no_fix_reason=PROBE_REASON)
        result.append(f)
    return result


def _detect(recipe: Recipe, detector: Detector, text: str, path: str) -> list[Finding]:
    try:
        matches = detector.detect(text, path)
    except Exception:  # a detector's bug costs one file's findings, never the night
        log.exception("detector %s failed on %s; skipping that file", detector.name, path)
        return []
    return [
        Finding(
            recipe=recipe.id,
            rule=f"nightcrew:{detector.name}",
            path=path,
            start_line=m.start_line,
            start_col=m.start_col,
            end_line=m.end_line,
            end_col=m.end_col,
            message=m.message,
            edits=m.edits,
            fix_title=m.fix_title,
        )
        for m in matches
    ]


def _detector(recipe: Recipe, name: str) -> Detector:
    if name not in REGISTRY:
        raise UserError(
            f"unknown detector {name!r}; known detectors: {', '.join(sorted(REGISTRY))}",
            file=str(recipe.source) if recipe.source else None,
            field="find.detectors",
        )
    return REGISTRY[name]


def _read(root: Path, path: str) -> str | None:
    """The file's text as ruff sees it: no newline translation, no byte order mark.

    None if the file is unreadable or not UTF-8.
    """
    try:
        return (root / path).read_bytes().decode("utf-8").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError):
        return None


def ruff_command(recipe: Recipe, files: Sequence[str], *, isolated: bool) -> list[str]:
    cmd = [find_ruff_bin(), "check", "--no-fix", "--no-cache", "--output-format", "json"]
    cmd += ["--select", ",".join(recipe.ruff_select)]
    if recipe.ruff_preview:
        cmd.append("--preview")
    if isolated:
        cmd.append("--isolated")
    return [*cmd, "--force-exclude", "--", *files]


def ruff_findings(
    recipe: Recipe, root: Path, files: Sequence[str], *, isolated: bool = False
) -> list[Finding]:
    """Run ruff on ``files`` in batches; one finding per diagnostic."""
    findings: list[Finding] = []
    for start in range(0, len(files), _BATCH):
        batch = files[start : start + _BATCH]
        diagnostics = _run_ruff(recipe, root, batch, isolated=isolated)
        findings += (
            f for d in diagnostics if (f := diagnostic_to_finding(d, recipe, root)) is not None
        )
    return findings


def _run_ruff(
    recipe: Recipe, root: Path, files: Sequence[str], *, isolated: bool
) -> list[dict[str, Any]]:
    cmd = ruff_command(recipe, files, isolated=isolated)
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
    if proc.returncode == 2 and not isolated:
        retry = subprocess.run(
            ruff_command(recipe, files, isolated=True),
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        if retry.returncode in (0, 1):
            log.warning(
                "ruff could not use the repository's configuration, so it ran without it "
                "(--isolated): %s",
                " ".join(proc.stderr.split()[-40:]) or "no details",
            )
            proc = retry
    if proc.returncode not in (0, 1):
        raise CommandError(tuple(cmd), proc.returncode, proc.stderr + proc.stdout)
    try:
        diagnostics = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise CommandError(
            tuple(cmd), proc.returncode, f"unreadable JSON ({exc}):\n{proc.stdout[:2000]}"
        ) from exc
    if not isinstance(diagnostics, list):
        raise CommandError(tuple(cmd), proc.returncode, f"expected a JSON list:\n{proc.stdout}")
    return diagnostics


def diagnostic_to_finding(diagnostic: dict[str, Any], recipe: Recipe, root: Path) -> Finding | None:
    """One of ruff's JSON diagnostics as a Finding; None for syntax errors."""
    code = diagnostic.get("code")
    if not isinstance(code, str) or not _RULE_CODE.match(code):
        return None
    fix = diagnostic.get("fix") or None
    applicability = fix["applicability"] if fix else "display-only"
    edits: tuple[TextEdit, ...] = ()
    if fix and (applicability == "safe" or (applicability == "unsafe" and recipe.fix_unsafe)):
        edits = tuple(
            TextEdit(
                e["location"]["row"],
                e["location"]["column"],
                e["end_location"]["row"],
                e["end_location"]["column"],
                e["content"],
            )
            for e in fix["edits"]
        )
    start, end = diagnostic["location"], diagnostic["end_location"]
    return Finding(
        recipe=recipe.id,
        rule=f"ruff:{code}",
        path=_relative(diagnostic["filename"], root),
        start_line=start["row"],
        start_col=start["column"],
        end_line=end["row"],
        end_col=end["column"],
        message=diagnostic.get("message", ""),
        edits=edits,
        fix_title=(fix or {}).get("message") or "",
        applicability=applicability,
        url=diagnostic.get("url"),
    )


def _relative(filename: str, root: Path) -> str:
    path = Path(filename)
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(os.path.relpath(path, root)).as_posix()


Span = tuple[tuple[int, int], tuple[int, int]]


def _footprint(finding: Finding) -> Span:
    """The code a finding covers: its span together with everything its edits touch."""
    points = [(finding.start_line, finding.start_col), (finding.end_line, finding.end_col)]
    for e in finding.edits:
        points += [(e.start_line, e.start_col), (e.end_line, e.end_col)]
    return min(points), max(points)


def drop_overlaps(findings: Iterable[Finding]) -> list[Finding]:
    """Keep, of findings from different rules that overlap in one file, only the first.

    Order is (path, line, column, rule); overlap compares footprints (span plus edits), so
    one piece of code never gets two pull requests. Findings of the same rule are all kept.
    """
    kept: list[Finding] = []
    # path -> rule -> the kept spans: one lookup per other rule, not one per kept finding.
    by_path: dict[str, dict[str, SpanSet]] = {}
    for finding in sorted(findings, key=lambda f: (f.path, f.start_line, f.start_col, f.rule)):
        span = _footprint(finding)
        taken = by_path.setdefault(finding.path, {})
        if any(rule != finding.rule and spans.overlaps(*span) for rule, spans in taken.items()):
            continue
        taken.setdefault(finding.rule, SpanSet()).add(*span)
        kept.append(finding)
    return kept
