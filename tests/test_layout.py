"""The package's shape (issue 10): folders are the stages, and docs/architecture.md names them."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

BOT = ROOT / "bot"
MAX_TOP_LEVEL_MODULES = 10
MAX_MODULE_LINES = 450


def modules() -> list[Path]:
    return sorted(p for p in BOT.rglob("*.py") if "__pycache__" not in p.parts)


def packages() -> list[Path]:
    return sorted(p.parent for p in BOT.rglob("__init__.py") if p.parent != BOT)


def names() -> set[str]:
    found = {p.stem for p in modules() if p.stem != "__init__"}
    return found | {p.name for p in packages()}


def differ_only_by_suffix(a: str, b: str) -> bool:
    """``verify``/``verifier``, ``publish``/``publisher``, ``command``/``commands``."""
    short = min(a, b, key=len)
    common = len(os.path.commonprefix([a, b]))  # noqa: RUF071 - names, not paths
    return common >= 4 and common >= len(short) - 1


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("verify", "verifier", True),
        ("publish", "publisher", True),
        ("command", "commands", True),
        ("board", "budget", False),
        ("commit", "command", False),
        ("rules", "ruff_rules", False),
    ],
)
def test_differ_only_by_suffix(a, b, expected):
    assert differ_only_by_suffix(a, b) is expected


def test_at_most_ten_modules_stay_directly_in_bot():
    top = [p.name for p in BOT.glob("*.py")]
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def test_no_module_is_longer_than_the_limit():
    long = {
        str(p.relative_to(ROOT)): n
        for p in modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_two_names_differ_only_by_a_suffix():
    clashes = [
        (a, b) for a, b in itertools.combinations(sorted(names()), 2) if differ_only_by_suffix(a, b)
    ]
    assert clashes == []


def test_every_module_says_what_it_owns():
    silent = [
        str(p.relative_to(ROOT))
        for p in modules()
        if p.stat().st_size and not p.read_text(encoding="utf-8").lstrip().startswith('"""')
    ]
    assert silent == []


def test_architecture_names_every_package_and_top_level_module():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    # Each package as its path under bot/ ("verify/", "find/detectors/"), each module left
    # directly in bot/ by its file name, at the start of a line of the tree.
    named = set(re.findall(r"^\s*([\w/]+/|\w+\.py)\s", text, re.M))
    wanted = {f"{p.relative_to(BOT).as_posix()}/" for p in packages()}
    wanted |= {p.name for p in BOT.glob("*.py") if p.name != "__init__.py"}
    assert sorted(wanted - named) == [], "docs/architecture.md does not name these"
