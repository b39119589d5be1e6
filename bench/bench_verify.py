"""Benchmark verification: a night's wall time over one plain run of the same suite.

On generated repositories with K planted fixes of which f break tests (``bench/planted.py``)
and a suite that takes ``--suite-seconds``, it times, in one run: one plain
``python -m pytest -q`` of the repository (no Nightcrew, no coverage), then a whole
``nightcrew run`` (find, prepare, verify under coverage, branches and patches). It prints
the night over the plain run as a ratio, the full and partial test runs the night made (the
base commit's included: fixes run first, so a night that passes runs no baseline), and
checks that every good fix was verified and no bad one.

    python bench/bench_verify.py [--sizes 20] [--bad 0,3] [--suite-seconds 5,20] [--jobs N]
                                 [--each]

Targets (issue 14): at K = 20, at most 1.5x one plain suite run with f = 0, and 2.2x with
f = 3, coverage overhead included. ``--each`` adds the same nights with
``verify.mode: each`` (one full run per fix) for comparison.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_engine import night
from bench.planted import make_planted_repo

TARGETS = {0: 1.5, 3: 2.2}  # f -> the most a night may cost, in plain suite runs


def plain_run(repo: Path) -> float:
    """Seconds of one plain run of the repository's suite, as a developer would start it."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=repo,
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - started


def case(work: Path, k: int, bad: int, seconds: float, mode: str, jobs: int | None) -> dict:
    repo = make_planted_repo(work / f"k{k}-f{bad}-s{seconds:g}-{mode}", k, bad, seconds, mode)
    plain = plain_run(repo)
    data, wall = night(repo, work / f"{repo.name}-out", 1000, ("planted",), jobs)
    baseline = data.get("baseline_runs", {"full": 0, "partial": 0})
    verified = {f["path"] for f in data["fixes"] if f["status"] == "verified"}
    good = {f"pkg/mod_{i}.py" for i in range(k - bad)}
    return {
        "plain": plain,
        "wall": wall,
        "full": data["suite_runs"] + baseline["full"],
        "partial": data.get("partial_runs", 0) + baseline["partial"],
        "baseline": baseline["full"],
        "good": len(verified & good),
        "wrong": len(verified - good),
        "timings": data["timings"],
    }


def row(label: str, r: dict, k: int, bad: int) -> str:
    ratio = r["wall"] / r["plain"]
    target = TARGETS.get(bad)
    verdict = (
        ""
        if target is None
        else ("  meets" if ratio <= target else "  misses") + (f" <= {target}x")
    )
    t = r["timings"]
    return (
        f"{label:<22} {r['plain']:>6.1f} {r['wall']:>6.1f} {ratio:>6.2f}x "
        f"{r['full']:>4} {r['partial']:>4} {r['baseline']:>4}   {r['good']:>2}/{k - bad:<2}"
        f" {r['wrong']:>3}   {t.get('find', 0):>5.1f} {t.get('fixes', 0):>6.1f}{verdict}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20")
    parser.add_argument("--bad", default="0,3")
    parser.add_argument("--suite-seconds", default="5,20", help="one or more, comma-separated")
    parser.add_argument("--jobs", type=int, default=None, help="default: the core count")
    parser.add_argument("--each", action="store_true", help="also verify.mode: each")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nightcrew-bench-verify-"))
    print(f"jobs {args.jobs or 'default'}; work {work}")
    print(
        f"{'case':<22} {'plain':>6} {'night':>6} {'ratio':>7} {'full':>4} {'part':>4} "
        f"{'base':>4}   {'good':>5} {'bad':>3}   {'find':>5} {'fixes':>6}"
    )
    failed = False
    try:
        for seconds in (float(x) for x in args.suite_seconds.split(",")):
            for k in (int(x) for x in args.sizes.split(",")):
                for bad in (int(x) for x in args.bad.split(",")):
                    for mode in ("grouped", "each") if args.each else ("grouped",):
                        r = case(work, k, bad, seconds, mode, args.jobs)
                        label = f"K={k} f={bad} {seconds:g}s {mode}"
                        print(row(label, r, k, bad), flush=True)
                        failed |= r["good"] != k - bad or r["wrong"] > 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("plain: one `python -m pytest -q` of the repository; night: the whole `nightcrew run`")
    print("(seconds); ratio: night/plain; full, part: test runs of every test and of only the")
    print("failing ones (the base commit's included); base: full baselines; good: good fixes")
    print("verified; bad: bad fixes verified (must be 0); find, fixes: the report's timings.")
    if failed:
        print("FAILED: a good fix was not verified, or a bad one was")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
