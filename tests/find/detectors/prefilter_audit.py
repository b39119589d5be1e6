"""Scores the ``copy-candidates`` prefilter against the hand audit of six sdists (not a test).

    python -m tests.find.detectors.prefilter_audit [AUDIT_JSON] [SDISTS_DIR] [--list]

``AUDIT_JSON`` is bench/recall/audit.json (true and needed copies, path and line);
``SDISTS_DIR`` holds the unpacked sdists as ``<name>-<version>/``. Per package it prints:

- flagged: the prefilter's candidates in the library files (test code left out);
- on true / on needed / unaudited: candidates pointing at an audited true copy, at an
  audited needed copy, at no audited copy;
- precision: on true / (on true + on needed): among candidates the audit judges;
- left: true copies that no deterministic detector (the other registered detectors, and
  ruff with the rules of the ``unnecessary-copies`` recipe) points at;
- recall: share of those the prefilter still flags.

A candidate points at an audited copy when the path is the same and the copy's line is
within the candidate's lines, give or take one (as bench/bench_recall.py counts).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.find.detectors import REGISTRY
from bot.globs import matches
from bot.recipes.model import TEST_PATHS

PREFILTER = "copy-candidates"
RUFF_RULES = "C405,C409,C410,C411,C414,C418,C419,PERF101,FURB129"
RUFF = Path(sys.executable).with_name("ruff")

Span = tuple[str, int, int]  # path, first line, last line


@dataclass
class PackageScore:
    name: str
    flagged: int = 0
    on_true: int = 0
    on_needed: int = 0
    unaudited: list[Span] = field(default_factory=list)
    left: int = 0  # true copies no deterministic detector finds
    left_flagged: int = 0
    missed: list[dict[str, Any]] = field(default_factory=list)  # left, not flagged
    needed_flagged: list[dict[str, Any]] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        judged = self.on_true + self.on_needed
        return self.on_true / judged if judged else None

    @property
    def recall(self) -> float | None:
        return self.left_flagged / self.left if self.left else None


def points_at(span: Span, entry: dict[str, Any], slack: int = 1) -> bool:
    path, start, end = span
    return path == entry["path"] and start - slack <= entry["line"] <= end + slack


def score(
    name: str,
    audit: dict[str, Any],
    candidates: Sequence[Span],
    deterministic: Sequence[Span],
) -> PackageScore:
    """Pure: one package's prefilter score from its candidates and deterministic findings."""
    true, needed = audit["true"], audit["needed"]
    result = PackageScore(name, flagged=len(candidates))
    for span in candidates:
        if any(points_at(span, e) for e in true):
            result.on_true += 1
        elif any(points_at(span, e) for e in needed):
            result.on_needed += 1
        else:
            result.unaudited.append(span)
    for entry in true:
        if any(points_at(s, entry) for s in deterministic):
            continue
        result.left += 1
        if any(points_at(s, entry) for s in candidates):
            result.left_flagged += 1
        else:
            result.missed.append(entry)
    result.needed_flagged = [e for e in needed if any(points_at(s, e) for s in candidates)]
    return result


def library_files(root: Path, library: Sequence[str]) -> list[str]:
    paths = []
    for folder in library:
        for file in sorted((root / folder).rglob("*.py")):
            path = file.relative_to(root).as_posix()
            if not matches(path, TEST_PATHS):
                paths.append(path)
    return paths


def detector_spans(root: Path, paths: Sequence[str], names: Sequence[str]) -> list[Span]:
    spans: list[Span] = []
    for path in paths:
        source = (root / path).read_text(encoding="utf-8")
        for detector_name in names:
            spans.extend(
                (path, m.start_line, m.end_line)
                for m in REGISTRY[detector_name].detect(source, path)
            )
    return spans


def ruff_spans(root: Path, paths: Sequence[str]) -> list[Span]:
    if not paths:
        return []
    command = [str(RUFF), "check", "--isolated", "--preview", "--select", RUFF_RULES]
    command += ["--output-format", "json", "--exit-zero", *paths]
    out = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True).stdout
    return [
        (
            Path(d["filename"]).resolve().relative_to(root.resolve()).as_posix(),
            d["location"]["row"],
            d["end_location"]["row"],
        )
        for d in json.loads(out)
    ]


def run(audit_path: Path, sdists: Path) -> list[PackageScore]:
    audit = json.loads(audit_path.read_text(encoding="utf-8"))
    others = [n for n in REGISTRY if n != PREFILTER]
    results = []
    for name, package in audit["packages"].items():
        root = sdists / f"{name}-{package['version']}"
        paths = library_files(root, package["library"])
        candidates = detector_spans(root, paths, [PREFILTER])
        deterministic = detector_spans(root, paths, others) + ruff_spans(root, paths)
        results.append(score(name, package, candidates, deterministic))
    return results


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def report(results: Sequence[PackageScore], listing: bool = False) -> str:
    header = f"{'package':10} flagged on-true on-needed unaudited precision  left recall"
    lines = [header]
    lines += [
        f"{r.name:10} {r.flagged:7} {r.on_true:7} {r.on_needed:10} {len(r.unaudited):9} "
        f"{_pct(r.precision):>9} {r.left:5} {r.left_flagged:2}/{r.left:<2} {_pct(r.recall)}"
        for r in [*results, _total(results)]
    ]
    if listing:
        for r in results:
            lines += [f"missed  {e['path']}:{e['line']}  {e['copy']}" for e in r.missed]
            lines += [f"needed  {e['path']}:{e['line']}  {e['copy']}" for e in r.needed_flagged]
            lines += [f"unaudit {path}:{start}" for path, start, _ in r.unaudited]
    return "\n".join(lines)


def _total(results: Sequence[PackageScore]) -> PackageScore:
    total = PackageScore("total")
    for r in results:
        total.flagged += r.flagged
        total.on_true += r.on_true
        total.on_needed += r.on_needed
        total.unaudited += r.unaudited
        total.left += r.left
        total.left_flagged += r.left_flagged
    return total


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    audit_file = Path(args[0] if args else "/work/wt-C/bench/recall/audit.json")
    sdists_dir = Path(args[1] if len(args) > 1 else "/work/sdists")
    print(report(run(audit_file, sdists_dir), listing="--list" in sys.argv))
