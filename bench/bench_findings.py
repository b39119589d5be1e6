"""Benchmark how the night's per-finding stages scale with the number of findings in one file.

Builds, for each N, a repository with one module holding N copies of a line the built-in
``unnecessary-copies`` recipe flags (``sorted(list(names))``, ruff's C414), and times, in
one run: ``find`` (ruff, detectors, overlaps and fingerprints), ``fingerprints`` alone
(``assign_fingerprints`` over the found findings), ``apply`` (each finding's edit applied
to the file), ``guard`` (``changed_line_count`` and ``check`` on each fix's change) and
``footprint`` (each fix's footprint for grouped verification). Prints seconds per stage and
the ratio to the previous N (about 2 for each doubling means linear cost), then the
microseconds per finding. Each fix still copies and compares its file once at C speed
(tens of nanoseconds a line), the floor for a stage handed whole texts.

    python bench/bench_findings.py [--sizes 1000,2000,4000,8000] [--limit SECONDS]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.find.search import find  # noqa: E402
from bot.fix import guard  # noqa: E402
from bot.model import Finding, apply_edits, assign_fingerprints  # noqa: E402
from bot.recipes.loader import builtin_recipes_dir, load_recipe  # noqa: E402
from bot.verify.footprint import footprint  # noqa: E402

STAGES = ("find", "fingerprints", "apply", "guard", "footprint")
LINE = "ordered_{n} = sorted(list(names))\n"


def module(count: int) -> str:
    return "names = ['b', 'a']\n" + "".join(LINE.format(n=n) for n in range(count))


def make_repo(root: Path, count: int) -> Path:
    repo = root / f"n{count}"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "__init__.py").write_text("")
    (repo / "pkg" / "many.py").write_text(module(count))
    subprocess.run(["git", "init", "--quiet"], cwd=repo, check=True)
    return repo


def _copy(text: str) -> str:
    """An equal string that is a different object, as each fix's worktree reads its own."""
    return text[:1] + text[1:]


def measure(repo: Path, limit: float) -> dict[str, float]:
    """Seconds per stage on ``repo``; the per-fix stages stop once one fix takes ``limit``."""
    recipe = load_recipe(builtin_recipes_dir() / "unnecessary-copies.yml", builtin=True)
    path = "pkg/many.py"
    text = (repo / path).read_text()
    seconds: dict[str, float] = {}

    def timed(stage: str, work: Callable[[], object]) -> object:
        started = time.perf_counter()
        result = work()
        seconds[stage] = time.perf_counter() - started
        return result

    findings: list[Finding] = timed("find", lambda: find(recipe, repo, [path]))  # type: ignore[assignment]
    timed("fingerprints", lambda: assign_fingerprints(findings, {path: _copy(text)}))
    policy = guard.GuardPolicy(include=recipe.include, exclude=recipe.exclude)
    # One fix at a time, as the night makes them: holding every fixed copy of the file at
    # once would measure the memory of N copies, not the stages.
    for stage in ("apply", "guard", "footprint"):
        seconds[stage] = 0.0
    for finding in findings:
        read, old_for_guard, old_for_footprint = _copy(text), _copy(text), _copy(text)
        started = time.perf_counter()
        new = apply_edits(read, finding.edits)
        applied = time.perf_counter()
        changes = [guard.FileChange(path, "M", old_for_guard, new)]
        guard.changed_line_count(changes)
        verdict = guard.check(changes, policy)
        checked = time.perf_counter()
        footprint({path: (old_for_footprint, new)})
        done = time.perf_counter()
        assert verdict.ok, verdict.reasons
        seconds["apply"] += applied - started
        seconds["guard"] += checked - applied
        seconds["footprint"] += done - checked
        if done - started > limit:
            break
    seconds["findings"] = len(findings)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,2000,4000,8000", help="findings per file")
    parser.add_argument(
        "--limit", type=float, default=60.0, help="stop the per-fix stages once a fix takes longer"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows: list[tuple[int, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="nightcrew-bench-findings-") as tmp:
        for count in sizes:
            rows.append((count, measure(make_repo(Path(tmp), count), args.limit)))
            print(f"measured N={count}", file=sys.stderr, flush=True)
    header = f"{'N':>6} {'found':>6} " + " ".join(f"{s:>14}" for s in STAGES)
    print(header)
    previous: dict[str, float] | None = None
    for count, seconds in rows:
        cells = []
        for stage in STAGES:
            value = seconds[stage]
            before = previous.get(stage) if previous else None
            ratio = f" x{value / before:4.1f}" if before else "      "
            cells.append(f"{value:7.2f}s{ratio}")
        print(f"{count:>6} {int(seconds['findings'] or 0):>6} " + " ".join(cells))
        previous = seconds
    print("(xR: seconds relative to the previous N; x2.0 per doubling is linear)")
    print()
    print(f"{'N':>6} " + " ".join(f"{s + ' us/fix':>18}" for s in STAGES))
    for count, seconds in rows:
        found = max(int(seconds["findings"]), 1)
        print(f"{count:>6} " + " ".join(f"{seconds[s] / found * 1e6:18.0f}" for s in STAGES))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
