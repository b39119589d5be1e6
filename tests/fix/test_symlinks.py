"""Committed symlinks are never written through: not to a file outside, not into the checkout.

A repository may commit ``pkg/ext.py -> /somewhere/outside.py`` (absolute) or a link into
the user's own checkout. Each worktree checks the link out as a link, so a fixer writing
``pkg/ext.py`` would edit the target: a file outside every worktree, or the user's working
copy (``git status`` then shows `` M pkg/other.py``). Real nights, real git, real ruff.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.fix.fixers import EditFixer
from bot.model import Finding, TextEdit
from bot.recipes.model import Recipe
from tests.conftest import git, init_repo

CANARIES = {
    "GITHUB_TOKEN": "ghs_canarySymlinks0001",
    "ANTHROPIC_API_KEY": "sk-ant-canarySymlinks0002",
    "AWS_SECRET_ACCESS_KEY": "canarySymlinksAws0003",
}
UNUSED = "import os\n\n\ndef helper():\n    return 1\n"
OUTSIDE = "import sys\n\n\ndef elsewhere():\n    return 2\n"
TESTS = "from pkg.other import helper\n\n\ndef test_helper():\n    assert helper() == 1\n"


def linked_repo(tmp_path: Path, kind: str) -> tuple[Path, Path]:
    """A repository with ``pkg/ext.py`` committed as an absolute link; the link's target."""
    outside = tmp_path / "outside" / "outside.py"
    outside.parent.mkdir()
    outside.write_text(OUTSIDE)
    repo = tmp_path / "repo"
    target = outside if kind == "outside" else repo / "pkg" / "other.py"
    (repo / "pkg").mkdir(parents=True)
    os.symlink(target, repo / "pkg" / "ext.py")
    init_repo(
        repo,
        {
            "pkg/__init__.py": "",
            "pkg/other.py": UNUSED,
            "tests/test_other.py": TESTS,
            ".github/nightcrew.yml": "version: 1\ntest_command: python -m pytest -q\n",
        },
    )
    assert git(repo, "ls-files", "-s", "pkg/ext.py").startswith("120000")  # a committed link
    return repo, target


@pytest.mark.parametrize("kind", ["outside", "into-the-checkout"])
def test_a_night_never_writes_through_a_committed_link(tmp_path: Path, kind: str) -> None:
    repo, target = linked_repo(tmp_path, kind)
    before = target.read_bytes()
    done = subprocess.run(
        [
            *(sys.executable, "-m", "bot.cli", "run", "--repo", str(repo), "--json", "--quiet"),
            *("--recipe", "unused-imports", "--out", str(tmp_path / "out")),
        ],
        env={**os.environ, **CANARIES},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    assert target.read_bytes() == before
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert not [f for f in report["findings"] if f["path"] == "pkg/ext.py"]
    assert not [f for f in report["fixes"] if f["path"] == "pkg/ext.py"]
    # The real file's own finding is fixed as usual, on a branch that holds only that file.
    (fix,) = report["fixes"]
    assert (fix["path"], fix["status"]) == ("pkg/other.py", "verified"), fix
    for branch in git(repo, "branch", "--list", "--format=%(refname:short)", "nightcrew/*").split():
        assert git(repo, "diff", "--name-only", f"main...{branch}").split() == ["pkg/other.py"]
    for path in [*(tmp_path / "out").rglob("*"), target]:
        if path.is_file():
            for value in CANARIES.values():
                assert value.encode() not in path.read_bytes()


# --- the fixer itself refuses, whatever found the finding ------------------------------------


RECIPE = Recipe(id="r", title="t", description="d")


def unused_import(path: str) -> Finding:
    return Finding(
        "r", "ruff:F401", path, 1, 8, 1, 10, "`os` imported but unused",
        edits=(TextEdit(1, 1, 2, 1, ""),),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("pkg/ext.py", "pkg/ext.py is a symlink: Nightcrew does not write through links"),
        ("linked/mod.py", "linked/mod.py is inside linked, a symlink: Nightcrew does not"),
    ],
    ids=["the-file", "a-parent-folder"],
)
def test_edit_fixer_refuses_a_file_behind_a_link(tmp_path: Path, path: str, why: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "mod.py").write_text(UNUSED)
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    os.symlink(outside / "mod.py", tree / "pkg" / "ext.py")
    os.symlink(outside, tree / "linked")
    outcome = EditFixer().apply(RECIPE, unused_import(path), tree)
    assert not outcome.ok
    assert why in outcome.reason
    assert (outside / "mod.py").read_text() == UNUSED
    assert (tree / "pkg" / "ext.py").is_symlink()


def test_edit_fixer_replaces_a_real_file_keeping_its_mode(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    target = tmp_path / "pkg" / "tool.py"
    target.write_text(UNUSED)
    target.chmod(0o755)
    outcome = EditFixer().apply(RECIPE, unused_import("pkg/tool.py"), tmp_path)
    assert outcome.ok, outcome.reason
    assert target.read_text() == UNUSED.removeprefix("import os\n")
    assert target.stat().st_mode & 0o777 == 0o755
    assert sorted(p.name for p in (tmp_path / "pkg").iterdir()) == ["tool.py"]  # no temp left
