"""Benchmark one night of the built-in recipes on pinned real packages.

Downloads the pinned source distributions with pip (cached in bench/.cache/, never
committed), makes each a git repository, runs `nightcrew run` on it with every built-in
recipe, and prints: findings, fixes verified / rejected by reason, test-suite runs, wall
time, and the night's wall time as a ratio of one `ruff check` on the same tree.

    python bench/bench_engine.py [--keep] [--max-fixes N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ruff.__main__ import find_ruff_bin

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.report.document import parse_json

PACKAGES = (("boltons", "26.2.0"), ("toolz", "1.2.0"))
RECIPES = ("unnecessary-copies", "unused-imports", "modern-syntax")
CACHE = Path(__file__).resolve().parent / ".cache"


def sdist(name: str, version: str) -> Path:
    """The cached sdist, downloaded once through pip (so the machine's index config applies)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob(f"{name}-{version}.tar.gz"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--no-binary", ":all:", "--dest", str(CACHE), f"{name}=={version}"],
            check=True,
        )  # fmt: skip
        found = sorted(CACHE.glob(f"{name}-{version}.tar.gz"))
    if not found:
        raise SystemExit(f"pip did not produce {name}-{version}.tar.gz in {CACHE}")
    return found[0]


def make_repo(archive: Path, into: Path) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    (repo,) = [p for p in into.iterdir() if p.is_dir()]

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "--quiet", "--initial-branch=main")
    git("add", "--all")
    git("-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
        "commit", "--quiet", "-m", f"import {repo.name}")  # fmt: skip
    return repo


def ruff_seconds(repo: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [find_ruff_bin(), "check", "--no-fix", "--no-cache", "--exit-zero", "--quiet", "."],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - started


def night(
    repo: Path,
    out: Path,
    max_fixes: int,
    recipes: Sequence[str] = RECIPES,
    jobs: int | None = None,
) -> tuple[dict, float]:
    """One `nightcrew run` as a user would start it; the report and the wall time."""
    argv = [sys.executable, "-m", "bot.cli", "run", "--repo", str(repo), "--out", str(out),
            "--json", "--quiet", "--max-fixes", str(max_fixes)]  # fmt: skip
    if jobs:
        argv += ["--jobs", str(jobs)]
    for recipe in recipes:
        argv += ["--recipe", recipe]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"nightcrew exited {done.returncode} on {repo.name}:\n{done.stderr}")
    return parse_json(done.stdout, "nightcrew run --json"), wall


def reason_kind(reason: str) -> str:
    if "checks whether the module is available" in reason:
        return "import is an availability check"
    for key in ("new failing test", "timed out", "does not compile", "ruff", "guard",
                "limit reached", "already proposed", "no automatic fix", "unsafe"):  # fmt: skip
        if key in reason:
            return key
    return reason.split(":")[0][:40]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--max-fixes", type=int, default=10, help="as limits.max_fixes")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nightcrew-bench-"))
    rows = []
    for name, version in PACKAGES:
        repo = make_repo(sdist(name, version), work / name)
        ruff_time = min(ruff_seconds(repo) for _ in range(3))
        data, wall = night(repo, work / f"{name}-out", args.max_fixes)
        statuses = Counter(f["status"] for f in data["fixes"])
        rejected = Counter(reason_kind(f["reason"]) for f in data["fixes"]
                           if f["status"] == "rejected")  # fmt: skip
        skipped = Counter(reason_kind(f["reason"]) for f in data["fixes"]
                          if f["status"] == "skipped")  # fmt: skip
        baseline = next((r for r in data["test_runs"] if r["purpose"] == "baseline"), None)
        rows.append((f"{name} {version}", data, wall, ruff_time, statuses, rejected, skipped,
                     baseline))  # fmt: skip
    for label, data, wall, ruff_time, statuses, rejected, skipped, baseline in rows:
        print(f"== {label}")
        print(
            f"  findings            {data['summary']['found']}"
            f"  (by rule: {dict(Counter(f['rule'] for f in data['findings']).most_common())})"
        )
        print(
            f"  fixes               verified {statuses['verified']}, rejected "
            f"{statuses['rejected']}, skipped {statuses['skipped']}, errored {statuses['errored']}"
        )
        print(f"  rejected by reason  {dict(rejected) or '-'}")
        print(f"  skipped by reason   {dict(skipped) or '-'}")
        print(
            f"  test-suite runs     {len(data['test_runs'])}"
            + (
                f" (baseline: {baseline['tests']} tests, {len(baseline['failed'])} failing,"
                f" {baseline['duration']:.1f}s)"
                if baseline
                else ""
            )
        )
        print(
            f"  wall time           {wall:.1f}s (find {data['timings'].get('find', 0):.1f}s,"
            f" baseline {data['timings'].get('baseline', 0):.1f}s,"
            f" fixes {data['timings'].get('fixes', 0):.1f}s)"
        )
        print(
            f"  vs one ruff check   night / ruff = {wall / ruff_time:.0f}x"
            f" (ruff check: {ruff_time * 1000:.0f} ms, best of 3)"
        )
        if baseline:
            suite = max(baseline["duration"], 1e-9)
            print(f"  vs one suite run    night / baseline suite = {wall / suite:.1f}x")
    if args.keep:
        print(f"work folder: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
