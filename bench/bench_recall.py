"""Recall benchmark: how many hand-audited unnecessary copies the built-in recipes fix.

Downloads six pinned sdists with pip (sha256 checked, cached in bench/.cache/, never
committed), makes each a git repository whose config names the package's own test command,
runs `nightcrew run --all` (every built-in recipe, local mode: a branch and a patch per
verified fix) night after night until a night verifies no new fix, and scores the result
against the hand audit in bench/recall/audit.json (true unnecessary copies, and needed
copies that must stay). Per package it prints:

- true:      audited true copies
- found:     true copies a finding of a copy recipe points at
- verified:  true copies a verified fix of a copy recipe points at
- wrong:     verified copy fixes on an audited *needed* copy
- unaudited: verified copy fixes on no audited copy (listed below the table, for review)
- regress:   fix branches (any recipe) whose suite, re-run on the branch (twice when it
  fails), fails a test that passes on the base commit; out of all fix branches
- prefilter: the `copy-candidates` detector over the library files: its candidates, their
  precision (share on a true copy), recall (share of true copies it flags) and recall of
  the true copies the night left unverified (what an agent would still need to be shown)

A finding or fix points at an audited copy when the path is the same and the copy's line is
within the finding's lines, give or take one, and no other audited copy is nearer (a fix on
line 910 fixes the copy on 910, not a needed one on 909). "Copy recipes" are the built-in
recipes whose id starts with `unnecessary-copies` (`--copy-recipes`); the other recipes'
fixes are counted under "other" and re-run for regressions too. No GitHub, no API key (agent recipes
report themselves skipped without one).

    python bench/bench_recall.py [--packages boltons,toolz] [--keep] [--max-nights 5]
                                 [--jobs N] [--copy-recipes PREFIXES]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_engine import make_repo, sdist
from bot.find.detectors import REGISTRY
from bot.globs import matches
from bot.recipes.model import TEST_PATHS
from bot.report.document import parse_json

AUDIT = Path(__file__).resolve().parent / "recall" / "audit.json"
COPY_RECIPES = "unnecessary-copies"  # --copy-recipes: id prefixes of the scored recipes
PREFILTER = "copy-candidates"


@dataclass(frozen=True)
class Pin:
    version: str
    sha256: str
    test_command: str  # run at the sdist's root; `python` is the benchmark's interpreter


PINS: dict[str, Pin] = {
    "boltons": Pin(
        "26.2.0",
        "d39cfd15c1a1c3bd4d705c82252fa9edb8e4f5e8cc039f8e39afac7b1b47e92c",
        "python -m pytest -q tests",
    ),
    "toolz": Pin(
        "1.2.0",
        "9667a038e9d6ecba37995e26cb2f59ec6420b6ad8dd9677de59db9b956b08490",
        "python -m pytest -q toolz/tests",
    ),
    "sqlparse": Pin(
        "0.6.1",
        "ca722573f848ff2d30e40ea30f53a104b7dea7635ea9285891263eb2c58fb6e7",
        "python -m pytest -q tests",
    ),
    "mistune": Pin(
        "3.4.0",
        "2eaf7952af928ca8d33b779762effc1da517b62c6ad85ec8ca957e3b07b9782a",
        "python -m pytest -q tests",
    ),
    "pycparser": Pin(
        "3.12",
        "f03387877eab82ce01bbdfd0ba7252ee55a90b1c708d5129e2ce915475cf1db6",
        "python -m pytest -q tests",
    ),
    # docutils' unittest suite also runs under pytest (its own runner is test/alltests.py).
    "docutils": Pin(
        "0.23",
        "746f5060322511280a1e50eb76846ed6bf2342984b2ac04dc42caa1a8d78799e",
        "python -m pytest -q test",
    ),
}


# --- scoring (pure) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """Where a finding, fix or prefilter candidate points: a path and its first/last line."""

    path: str
    start: int
    end: int
    label: str = ""  # for the review lists: rule, message, branch


def distance(span: Span, entry: dict[str, Any]) -> int | None:
    """Lines from the span to the audited copy's line (0 within it); None in another file."""
    if span.path != entry["path"]:
        return None
    return max(span.start - entry["line"], entry["line"] - span.end, 0)


def points_at(span: Span, entry: dict[str, Any], slack: int = 1) -> bool:
    """Same path, and the audited copy's line within the span's lines give or take ``slack``."""
    gap = distance(span, entry)
    return gap is not None and gap <= slack


def nearest(span: Span, entries: Sequence[dict[str, Any]], slack: int = 1) -> list[dict[str, Any]]:
    """The entries ``span`` points at that are nearest to it (several when tied).

    With one line of slack a fix on line 910 also points at a copy audited on line 909;
    the copy on its own line is the one it fixes.
    """
    gaps = [(g, e) for e in entries if (g := distance(span, e)) is not None and g <= slack]
    least = min((g for g, _ in gaps), default=None)
    return [e for g, e in gaps if g == least]


def _hit(
    entries: Sequence[dict[str, Any]], spans: Iterable[Span], audited: Sequence[dict[str, Any]]
) -> set[int]:
    """Indices of the ``entries`` that some span points at most nearly, among ``audited``."""
    hit = {id(e) for s in spans for e in nearest(s, audited)}
    return {i for i, e in enumerate(entries) if id(e) in hit}


@dataclass
class Score:
    true: int
    found: int
    verified: int
    wrong: list[Span] = field(default_factory=list)  # verified fixes on a needed copy
    unaudited: list[Span] = field(default_factory=list)  # verified fixes on no audited copy
    missed: list[dict[str, Any]] = field(default_factory=list)  # true copies not verified
    candidates: int = 0
    candidates_true: int = 0  # candidates on a true copy
    prefilter_recall: int = 0  # true copies some candidate flags
    left: int = 0  # true copies not verified
    left_flagged: int = 0  # ... of which some candidate flags


def score(
    audit: dict[str, Any],
    findings: Sequence[Span],
    fixes: Sequence[Span],
    candidates: Sequence[Span],
) -> Score:
    """Score one package: ``findings`` and ``fixes`` (verified) of copy recipes only."""
    true, needed = audit["true"], audit["needed"]
    audited = [*true, *needed]
    verified = _hit(true, fixes, audited)
    flagged = _hit(true, candidates, audited)
    on_needed = [[e for e in nearest(f, audited) if e in needed] for f in fixes]
    wrong = [f for f, hits in zip(fixes, on_needed, strict=True) if hits]
    unaudited = [f for f in fixes if not nearest(f, audited)]
    left = [i for i in range(len(true)) if i not in verified]
    return Score(
        true=len(true),
        found=len(_hit(true, findings, audited)),
        verified=len(verified),
        wrong=wrong,
        unaudited=unaudited,
        missed=[true[i] for i in left],
        candidates=len(candidates),
        candidates_true=sum(1 for c in candidates if any(e in true for e in nearest(c, audited))),
        prefilter_recall=len(flagged),
        left=len(left),
        left_flagged=len(flagged & set(left)),
    )


def ratio(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


# --- running ----------------------------------------------------------------------------


def verified_sdist(name: str, pin: Pin) -> Path:
    archive = sdist(name, pin.version)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != pin.sha256:
        raise SystemExit(f"{archive}: sha256 {digest}, expected {pin.sha256}; delete it")
    return archive


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout


def prepare(name: str, pin: Pin, work: Path) -> Path:
    """The sdist as a git repository, with a config naming its test command."""
    repo = make_repo(verified_sdist(name, pin), work / name)
    config = repo / ".github" / "nightcrew.yml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"version: 1\ntest_command: {pin.test_command}\n", encoding="utf-8")
    git(repo, "add", "--force", ".github/nightcrew.yml")  # a `.*` in .gitignore must not hide it
    git(repo, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
        "commit", "--quiet", "-m", "bench: test command")  # fmt: skip
    return repo


def night(repo: Path, out: Path, jobs: int | None) -> dict[str, Any]:
    """One `nightcrew run --all` as a user would start it; its report."""
    argv = [sys.executable, "-m", "bot.cli", "run", "--repo", str(repo), "--out", str(out),
            "--all", "--json", "--quiet", "--max-fixes", "100000",
            "--python", sys.executable]  # fmt: skip
    if jobs:
        argv += ["--jobs", str(jobs)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"nightcrew exited {done.returncode} on {repo.name}:\n{done.stderr}")
    return parse_json(done.stdout, "nightcrew run --json")


def finding_span(f: dict[str, Any]) -> Span:
    return Span(
        f["path"], f["line"], f.get("end_line") or f["line"], f"{f['rule']}: {f['message']}"
    )


def nights(repo: Path, work: Path, max_nights: int, jobs: int | None) -> tuple[dict, dict, int]:
    """Nights until one verifies nothing new: findings and verified fixes, by fingerprint.

    Several fixes can share one branch (grouped into one PR), and a fix can be verified
    without a branch of its own (its neighbour's PR comes first): fixes are counted by
    fingerprint, branches only for the regression check.
    """
    findings: dict[str, dict[str, Any]] = {}
    fixes: dict[str, dict[str, Any]] = {}
    done = 0
    for n in range(1, max_nights + 1):
        started = time.perf_counter()
        report = night(repo, work / f"{repo.name}-night{n}", jobs)
        done = n
        spans = {f["fingerprint"]: f for f in report["findings"]}
        findings.update(spans)
        new = 0
        for fix in report["fixes"]:
            if fix["status"] != "verified" or fix["fingerprint"] in fixes:
                continue
            finding = spans.get(fix["fingerprint"], fix)
            fixes[fix["fingerprint"]] = fix | {"end_line": finding.get("end_line") or fix["line"]}
            new += 1
        statuses = [f["status"] for f in report["fixes"]]
        print(
            f"  night {n}: {len(report['findings'])} findings, {new} new verified,"
            f" {statuses.count('rejected')} rejected, {statuses.count('skipped')} skipped"
            f" ({time.perf_counter() - started:.0f}s)",
            flush=True,
        )
        if not new:
            break
    return findings, fixes, done


def failed_tests(output: str) -> set[str]:
    """The test ids in pytest's short summary (``FAILED tests/x.py::t - ...``)."""
    return {
        line.split()[1]
        for line in output.splitlines()
        if line.startswith(("FAILED ", "ERROR ")) and len(line.split()) > 1
    }


def regressed(runs: Sequence[tuple[int, set[str]]], base: set[str]) -> set[str] | None:
    """A branch's new failures, if it has any: failing in every run and not on the base.

    ``runs`` are the branch's suite runs (exit status, failed ids); None when one passed.
    A failure that the short summary does not name counts as ``{"?"}``.
    """
    if any(code == 0 for code, _ in runs):
        return None
    named = [failed or {"?"} for _, failed in runs]
    new = set.intersection(*named) - base
    return new or None


def regressions(repo: Path, branches: Iterable[str], test_command: str) -> dict[str, set[str]]:
    """The branches whose suite, re-run on the branch, fails tests that pass on the base.

    A failing branch is run twice, and its failures must fail both times and not on the
    base commit (mistune has timing tests that fail under load now and then).
    """
    argv = shlex.split(test_command)
    if argv and argv[0] == "python":
        argv[0] = sys.executable

    def run(ref: str) -> tuple[int, set[str]]:
        with tempfile.TemporaryDirectory(prefix="nightcrew-recall-") as tmp:
            tree = Path(tmp) / "tree"
            git(repo, "worktree", "add", "--quiet", "--detach", str(tree), ref)
            try:
                done = subprocess.run([*argv, "-p", "no:cacheprovider"], cwd=tree,
                                      capture_output=True, text=True, check=False)  # fmt: skip
            finally:
                git(repo, "worktree", "remove", "--force", str(tree))
        return done.returncode, failed_tests(done.stdout)

    base: set[str] | None = None
    failing: dict[str, set[str]] = {}
    for branch in branches:
        first = run(branch)
        if first[0] == 0:
            continue
        if base is None:
            base = run("main")[1]
        new = regressed([first, run(branch)], base)
        if new:
            failing[branch] = new
    return failing


def library_files(repo: Path, library: Sequence[str]) -> list[str]:
    """The audited library files: Python files under ``library``, test code left out."""
    paths = []
    for folder in library:
        for file in sorted((repo / folder).rglob("*.py")):
            path = file.relative_to(repo).as_posix()
            if not matches(path, TEST_PATHS):
                paths.append(path)
    return paths


def prefilter(repo: Path, library: Sequence[str]) -> list[Span] | None:
    detector = REGISTRY.get(PREFILTER)
    if detector is None:
        return None
    spans: list[Span] = []
    for path in library_files(repo, library):
        source = (repo / path).read_text(encoding="utf-8")
        spans.extend(
            Span(path, m.start_line, m.end_line, m.message) for m in detector.detect(source, path)
        )
    return spans


@dataclass
class Result:
    name: str
    score: Score
    other: int  # verified fixes of the other recipes
    regress: dict[str, set[str]]  # branch -> its new failures
    branches: int  # fix branches made, all recipes (fixes grouped into one PR share one)
    nights: int
    wall: float
    prefilter_ran: bool


def run_package(name: str, audit: dict[str, Any], work: Path, args: argparse.Namespace) -> Result:
    pin = PINS[name]
    started = time.perf_counter()
    print(f"== {name} {pin.version}", flush=True)
    repo = prepare(name, pin, work)
    findings, fixes, n = nights(repo, work, args.max_nights, args.jobs)

    def copy_recipe(item: dict[str, Any]) -> bool:
        return str(item["recipe"]).startswith(tuple(args.copy_recipes.split(",")))

    copy_findings = [finding_span(f) for f in findings.values() if copy_recipe(f)]
    copy_fixes = [
        Span(f["path"], f["line"], f["end_line"], f"{f['rule']}: {f['message']} [{f['branch']}]")
        for f in fixes.values()
        if copy_recipe(f)
    ]
    candidates = prefilter(repo, audit["library"])
    result = score(audit, copy_findings, copy_fixes, candidates or [])
    branches = sorted({f["branch"] for f in fixes.values() if f.get("branch")})
    regress = regressions(repo, branches, pin.test_command)
    return Result(
        name=name,
        score=result,
        other=sum(1 for f in fixes.values() if not copy_recipe(f)),
        regress=regress,
        branches=len(branches),
        nights=n,
        wall=time.perf_counter() - started,
        prefilter_ran=candidates is not None,
    )


def print_table(results: Sequence[Result]) -> None:
    head = (
        f"{'package':<10} {'true':>4} {'found':>5} {'verified':>8} {'wrong':>5} {'unaudited':>9}"
        f" {'other':>5} {'regress':>9}   {'candidates':>10} {'precision':>9} {'recall':>6}"
        f" {'recall(left)':>12}"
    )
    print()
    print(head)
    print("-" * len(head))

    def line(label: str, rows: Sequence[Result]) -> str:
        s = [r.score for r in rows]
        true, verified = sum(x.true for x in s), sum(x.verified for x in s)
        cands, on_true = sum(x.candidates for x in s), sum(x.candidates_true for x in s)
        flagged, left = sum(x.prefilter_recall for x in s), sum(x.left for x in s)
        left_flagged = sum(x.left_flagged for x in s)
        pre = all(r.prefilter_ran for r in rows)
        return (
            f"{label:<10} {true:>4} {sum(x.found for x in s):>5} {verified:>8}"
            f" {sum(len(x.wrong) for x in s):>5} {sum(len(x.unaudited) for x in s):>9}"
            f" {sum(r.other for r in rows):>5}"
            f" {sum(len(r.regress) for r in rows):>4}/{sum(r.branches for r in rows):<4}"
            f"   {cands if pre else 'n/a':>10} {ratio(on_true, cands) if pre else '-':>9}"
            f" {ratio(flagged, true) if pre else '-':>6}"
            f" {(ratio(left_flagged, left) + f' of {left}') if pre else '-':>12}"
        )

    for r in results:
        print(line(r.name, [r]))
    if len(results) > 1:
        print("-" * len(head))
        print(line("total", results))
    true = sum(r.score.true for r in results)
    verified = sum(r.score.verified for r in results)
    print(f"\nverified / true copies: {verified}/{true} ({ratio(verified, true)})")


def print_review(results: Sequence[Result]) -> None:
    for r in results:
        s = r.score
        print(f"\n== {r.name}: {r.nights} night(s), {r.wall:.0f}s")
        for title, spans in (("wrong (on a needed copy)", s.wrong), ("unaudited", s.unaudited)):
            for span in spans:
                print(f"  {title}: {span.path}:{span.start}  {span.label}")
        for branch, tests in r.regress.items():
            print(f"  regression: {branch}: {', '.join(sorted(tests))}")
        for entry in s.missed:
            where = f"{entry['path']}:{entry['line']}"
            print(f"  not verified: {where} [{entry['kind']}] {entry['copy']}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", default=",".join(PINS),
                        help="comma-separated subset of: " + ", ".join(PINS))  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--max-nights", type=int, default=5, help="stop after this many nights")
    parser.add_argument("--jobs", type=int, default=None, help="as nightcrew run --jobs")
    parser.add_argument("--copy-recipes", default=COPY_RECIPES, metavar="PREFIXES",
                        help="comma-separated id prefixes of the recipes scored against the"
                        " audit (default: %(default)s)")  # fmt: skip
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.packages.split(",") if n.strip()]
    unknown = [n for n in names if n not in PINS]
    if unknown:
        parser.error(f"unknown package(s): {', '.join(unknown)}; known: {', '.join(PINS)}")
    audit = json.loads(AUDIT.read_text(encoding="utf-8"))["packages"]
    work = Path(tempfile.mkdtemp(prefix="nightcrew-recall-"))
    results = [run_package(name, audit[name], work, args) for name in names]
    print_table(results)
    print_review(results)
    if args.keep:
        print(f"\nwork folder: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
