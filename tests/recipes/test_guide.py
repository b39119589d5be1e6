"""docs/recipes.md's "Writing your own recipe" is real: its files and commands, run in order.

Every ```yaml block of the guide is written to the file the text before it names, then
validated and tested; every ```console block's `$ nightcrew ...` commands are run through
the real command line in a repository like the guide's, and must print what the guide
shows. A change to the recipe format, to `recipes validate` or `recipes test` that makes
the guide wrong fails here.
"""

from __future__ import annotations

import re
import shlex

import pytest

from bot.cli import main
from tests.conftest import ROOT

GUIDE_HEADING = "## Writing your own recipe"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
NAMED_FILE = re.compile(r"`(\.nightcrew/recipes/[\w.-]+\.ya?ml)`")
# The guide's repository: tests in tests/ that still call a removed alias.
REPO_FILES = {
    "point/__init__.py": "ORIGIN = (0, 0)\n",
    "tests/test_point.py": (
        "import unittest\n\n\nclass PointTest(unittest.TestCase):\n"
        "    def test_origin(self):\n        self.assertEquals((0, 0), (0, 0))\n"
    ),
}


def guide() -> str:
    text = (ROOT / "docs" / "recipes.md").read_text(encoding="utf-8")
    start = text.index(GUIDE_HEADING)
    end = text.find("\n## ", start + len(GUIDE_HEADING))
    return text[start : end if end != -1 else len(text)]


def steps() -> list[tuple[str, str, str]]:
    """The guide in order: ("yaml", file, text) and ("console", "", text) blocks."""
    text, out, last = guide(), [], 0
    for block in BLOCK.finditer(text):
        kind, body = block.group(1), block.group(2)
        if kind == "yaml":
            named = NAMED_FILE.findall(text[last : block.start()])
            assert named, f"no file named before the YAML block at {body[:40]!r}"
            out.append(("yaml", named[-1], body))
        elif kind == "console":
            out.append(("console", "", body))
        last = block.end()
    return out


def commands(body: str) -> list[tuple[str, str]]:
    """``$ command`` lines and the output the guide shows below each."""
    found: list[tuple[str, str]] = []
    for line in body.splitlines(keepends=True):
        if line.startswith("$ "):
            found.append((line[2:].strip(), ""))
        else:
            assert found, f"output before any command: {line!r}"
            found[-1] = (found[-1][0], found[-1][1] + line)
    return found


def test_the_guide_has_its_anchor_and_the_readme_links_it():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/recipes.md#writing-your-own-recipe" in readme
    assert f"\n{GUIDE_HEADING}\n" in (ROOT / "docs" / "recipes.md").read_text(encoding="utf-8")


def test_the_guides_worked_example_runs_as_written(
    make_repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo("guide", REPO_FILES)
    monkeypatch.chdir(repo)
    ran: list[str] = []
    recipes = [s for s in steps() if s[0] == "yaml"]
    assert len(recipes) >= 2, "the guide builds its recipe in steps"
    for kind, name, body in steps():
        if kind == "yaml":
            target = repo / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
            # Each step's file is a whole recipe that validates and whose tests pass.
            assert main(["recipes", "validate", name]) == 0, capsys.readouterr()
            assert main(["recipes", "test", name]) == 0, capsys.readouterr()
            capsys.readouterr()
            continue
        for command, expected in commands(body):
            argv = shlex.split(command)
            assert argv[:2] == ["nightcrew", "recipes"], command
            status = main(argv[1:])
            out, err = capsys.readouterr()
            assert (out, err) == (expected, ""), command
            assert status == 0, command
            ran.append(argv[2])
    assert ran[-1] == "test" and "validate" in ran
