"""Benchmark what the sandbox costs: the same commands with and without bubblewrap.

Runs, alternately so that machine noise hits both alike, (1) a bare `python -c pass` and
(2) a small generated pytest suite, through `bot.verify.run_command` with the night's
sandbox and without it, and prints the median of each and their ratio from this one run.

    python bench/bench_sandbox.py [--repeat 15] [--tests 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.sandbox import bwrap
from bot.sandbox.environment import test_env
from bot.verify.runs import run_command


def make_suite(root: Path, tests: int) -> None:
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("def double(x):\n    return 2 * x\n")
    (root / "tests").mkdir()
    body = "from pkg import double\n\n" + "".join(
        f"def test_{i}(tmp_path):\n    (tmp_path / 'f').write_text('x')\n"
        f"    assert double({i}) == {2 * i}\n\n"
        for i in range(tests)
    )
    (root / "tests" / "test_many.py").write_text(body)
    subprocess.run(["git", "init", "-q", str(root)], check=True)


def timed(argv: list[str], tree: Path, box: bwrap.Sandbox) -> float:
    env = test_env(os.environ, tree)
    start = time.perf_counter()
    result = run_command(argv, tree, env, 300, sandbox=box)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {result.output_tail}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--tests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nightcrew-bench-sbx-") as tmp:
        tree, scratch = Path(tmp) / "repo", Path(tmp) / "scratch"
        tree.mkdir()
        scratch.mkdir()
        make_suite(tree, args.tests)
        box = bwrap.prepare("required", repo=tree, scratch=scratch)
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            f"pytest, {args.tests} tests": [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
            ],
        }
        print(f"sandbox: {box.describe()}; {len(box.hidden)} paths hidden; median of {args.repeat}")
        print(f"{'command':<24} {'plain':>9} {'sandboxed':>10} {'ratio':>7} {'added':>9}")
        for name, argv in cases.items():
            plain, boxed = [], []
            for _ in range(args.repeat):
                plain.append(timed(argv, tree, bwrap.NONE))
                boxed.append(timed(argv, tree, box))
            p, b = statistics.median(plain), statistics.median(boxed)
            print(f"{name:<24} {p * 1000:>7.0f}ms {b * 1000:>8.0f}ms {b / p:>6.2f}x "
                  f"{(b - p) * 1000:>7.0f}ms")  # fmt: skip


if __name__ == "__main__":
    main()
