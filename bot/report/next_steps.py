"""The end of ``nightcrew run``: the night in one line, then what to do next (pure).

The commands name the night's own branches, patches and files, so they can be copied as
they are: look at a fix's branch, apply its patch, read the report, publish on GitHub.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from bot.report.document import NightReport
from bot.report.results import Status

GITHUB_DOCS = "docs/github.md"


def night_line(report: NightReport) -> str:
    """``Tonight: 2 verified, 1 rejected, ... of 3 found; 4 test runs in 12s.``"""
    c = report.counts()
    counts = ", ".join(f"{c[s.value]} {s.value}" for s in Status)
    runs = len(report.test_runs)
    took = report.timings.get("total", 0.0)
    return (
        f"Tonight: {counts} of {c['found']} found; "
        f"{runs} test run{'s' if runs != 1 else ''} in {took:.0f}s."
    )


def next_steps(report: NightReport, cwd: Path) -> str:
    """The summary line and the next steps; ``cwd`` (resolved) decides on ``git -C``."""
    out = Path(report.out_dir or ".")
    git = "git" if Path(report.repo) == cwd else f"git -C {shlex.quote(report.repo)}"
    verified = [r for r in report.fixes if r.status is Status.VERIFIED and r.branch]
    steps: list[tuple[str, str]] = []
    if verified:
        first = verified[0]
        branch = shlex.quote(first.branch or "")
        steps.append(("Look at a fix", f"{git} log -p {report.base[:10]}..{branch}"))
        steps.append(("Check it out", f"{git} switch {branch}"))
        if first.patch:
            steps.append(("Apply its patch", f"git apply {shlex.quote(first.patch)}"))
        if len(verified) > 1:
            steps.append((f"All {len(verified)} branches", f"{git} branch --list 'nightcrew/*'"))
        steps.append(("The report", f"{out / 'report.md'} (why each finding ended as it did)"))
        if not first.url:
            steps.append(("On GitHub", f"one pull request per fix each night: see {GITHUB_DOCS}"))
    elif report.findings:
        steps.append(("No fix was verified", f"why, finding by finding: {out / 'report.md'}"))
        if report.test_runs:
            steps.append(("Test logs", str(out / "logs")))
    else:
        ran = ", ".join(report.recipes) or "no recipe"
        steps.append(("Nothing was found", f"tonight's recipes: {ran}"))
        steps.append(("Every recipe", "`nightcrew recipes list`; run one with --recipe ID"))
    width = max(len(label) for label, _ in steps) + 1
    lines = [night_line(report), "", "Next steps:"]
    lines += [f"  {label + ':':<{width}} {text}" for label, text in steps]
    return "\n".join(lines)
