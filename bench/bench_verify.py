"""Benchmark grouped verification against one test run per fix.

On generated repositories with K planted fixes of which f break tests and a deliberately
slow suite, and on the pinned PyPI packages (boltons, toolz), run the same night with
`verify.mode: grouped` and `verify.mode: each` and print suite runs and wall time of
each, and grouped/each as ratios from the same run.

    python bench/bench_verify.py [--sizes 5,20,50] [--bad 0,1,3] [--suite-seconds 2]
                                 [--jobs N] [--no-packages]

Targets (issue 6): at K = 20, f = 0, grouped wall time <= 3x one suite run; at f = 3,
grouped suite runs <= 40% of K + 1.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_engine import PACKAGES, RECIPES, make_repo, night, sdist
from bench.planted import make_planted_repo
from bot.recipes.loader import builtin_recipes_dir


def summary(data: dict, wall: float) -> dict:
    baseline = next(r["duration"] for r in data["test_runs"] if r["purpose"] == "baseline")
    status = [f["status"] for f in data["fixes"]]
    return {
        "runs": data["suite_runs"],
        "wall": wall,
        "suite": baseline,
        "verified": status.count("verified"),
        "rejected": status.count("rejected"),
    }


def planted(work: Path, k: int, bad: int, seconds: float, jobs: int | None) -> dict[str, dict]:
    results = {}
    for mode in ("grouped", "each"):
        repo = make_planted_repo(work / f"k{k}-f{bad}-{mode}", k, bad, seconds, mode)
        out = work / f"k{k}-f{bad}-{mode}-out"
        results[mode] = summary(*night(repo, out, 1000, ("planted",), jobs))
    return results


def package(work: Path, name: str, version: str, jobs: int | None) -> dict[str, dict]:
    results = {}
    for mode in ("grouped", "each"):
        repo = make_repo(sdist(name, version), work / f"{name}-{mode}")
        # The repository's own copies of the built-in recipes, with the mode under test.
        recipes = repo / ".nightcrew" / "recipes"
        recipes.mkdir(parents=True)
        for recipe in RECIPES:
            text = (builtin_recipes_dir() / f"{recipe}.yml").read_text(encoding="utf-8")
            text = text.replace("mode: grouped", f"mode: {mode}")
            text = text.replace("max_per_night: 5", "max_per_night: 1000")
            (recipes / f"{recipe}.yml").write_text(text, encoding="utf-8")
        subprocess.run(["git", "add", "--all"], cwd=repo, check=True)
        subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@example.invalid",
                        "commit", "--quiet", "-m", mode], cwd=repo, check=True)  # fmt: skip
        results[mode] = summary(*night(repo, work / f"{name}-{mode}-out", 1000, RECIPES, jobs))
    return results


def row(label: str, r: dict[str, dict], k: int | None = None) -> str:
    g, e = r["grouped"], r["each"]
    target = ""
    if k is not None:
        target = f"  runs/(K+1) {g['runs'] / (k + 1):.0%}"
    return (
        f"{label:<18} {g['verified']:>3}/{g['rejected']:<3} "
        f"{g['runs']:>4} {e['runs']:>4}  {g['runs'] / max(e['runs'], 1):>5.2f}   "
        f"{g['wall']:>6.1f} {e['wall']:>6.1f}  {g['wall'] / e['wall']:>5.2f}   "
        f"{g['wall'] / g['suite']:>5.1f}x{target}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,20,50")
    parser.add_argument("--bad", default="0,1,3")
    # Fixed costs (finding, preparing each fix in its own worktree, ruff) are about a
    # second for 20 fixes here: a suite shorter than a few seconds measures those instead.
    parser.add_argument("--suite-seconds", type=float, default=5.0)
    parser.add_argument("--jobs", type=int, default=None, help="default: the core count")
    parser.add_argument("--no-packages", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nightcrew-bench-verify-"))
    print(f"suite sleeps {args.suite_seconds}s; jobs {args.jobs or 'default'}; work {work}")
    header = (
        f"{'case':<18} {'ok/bad':>7} {'runs':>4} {'each':>4}  {'ratio':>5}   "
        f"{'wall':>6} {'each':>6}  {'ratio':>5}   {'wall/suite':>10}"
    )
    print(header)
    try:
        for k in (int(x) for x in args.sizes.split(",")):
            for bad in (int(x) for x in args.bad.split(",")):
                result = planted(work, k, bad, args.suite_seconds, args.jobs)
                print(row(f"K={k} f={bad}", result, k), flush=True)
        if not args.no_packages:
            for name, version in PACKAGES:
                print(row(f"{name} {version}", package(work, name, version, args.jobs)),
                      flush=True)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("runs: full-suite runs to verify fixes (baseline excluded); wall: whole night in s;")
    print("ratio: grouped/each; wall/suite: grouped night / one baseline suite run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
