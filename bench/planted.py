"""Generate a repository with K planted fixes, f of which break its tests.

Good fixes are `sorted(list(xs))` -> `sorted(xs)` (ruff C414). Bad ones are
`any([check(x) for x in xs])` whose comprehension has side effects: ruff's C419 fix makes it
lazy and the module's test, which checks every item was seen, fails. Each module has its
own test file; `tests/test_slow.py` makes the suite take ``suite_seconds``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

GOOD = """\
def names_{i}(xs):
    return sorted(list(xs))
"""
GOOD_TEST = """\
from pkg.mod_{i} import names_{i}


def test_names_{i}():
    assert names_{i}(["b", "a"]) == ["a", "b"]
"""
BAD = """\
SEEN_{i} = []


def check_{i}(x):
    SEEN_{i}.append(x)
    return x < 0


def audit_{i}(xs):
    return any([check_{i}(x) for x in xs])
"""
BAD_TEST = """\
from pkg.mod_{i} import SEEN_{i}, audit_{i}


def test_audit_{i}():
    SEEN_{i}.clear()
    assert audit_{i}([1, -1, 2]) is True
    assert SEEN_{i} == [1, -1, 2]
"""
SLOW_TEST = """\
import time


def test_slow():
    time.sleep({seconds})
"""
RECIPE = """\
schema_version: 1
id: planted
title: Remove planted copies
description: The benchmark's and the tests' recipe.
find:
  ruff:
    select: [C414, C419]
fix:
  unsafe: true
verify:
  mode: {mode}
pr:
  max_per_night: 1000
"""


def planted_files(k: int, bad: int, suite_seconds: float = 0.0, mode: str = "grouped") -> dict:
    """Files of a repository with ``k`` planted fixes; the last ``bad`` of them break tests."""
    files = {
        "pkg/__init__.py": "",
        "tests/__init__.py": "",
        "tests/test_slow.py": SLOW_TEST.format(seconds=suite_seconds),
        ".nightcrew/recipes/planted.yml": RECIPE.format(mode=mode),
        ".github/nightcrew.yml": "version: 1\nrecipes: [planted]\nlimits:\n  max_fixes: 1000\n",
    }
    for i in range(k):
        is_bad = i >= k - bad
        files[f"pkg/mod_{i}.py"] = (BAD if is_bad else GOOD).format(i=i)
        files[f"tests/test_mod_{i}.py"] = (BAD_TEST if is_bad else GOOD_TEST).format(i=i)
    return files


def make_planted_repo(path: Path, k: int, bad: int, suite_seconds: float = 0.0,
                      mode: str = "grouped") -> Path:  # fmt: skip
    """Write the files and commit them as a fresh git repository at ``path``."""
    for name, text in planted_files(k, bad, suite_seconds, mode).items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for args in (
        ["init", "--quiet", "--initial-branch=main"],
        ["add", "--all"],
        ["-c", "user.name=planted", "-c", "user.email=planted@example.invalid",
         "commit", "--quiet", "-m", "planted"],
    ):  # fmt: skip
        subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)
    return path
