"""bot.fix.reformat: what a fix brought over the limit is re-formatted by the repo's formatter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot import gitops
from bot.fix.apply import Fixed, apply_fix
from bot.fix.fixers import EditFixer
from bot.fix.guard import GuardPolicy, changed_lines
from bot.fix.reformat import black_available, reformat_long_lines
from bot.model import Finding, TextEdit
from bot.recipes.model import Recipe
from bot.report.results import FixResult, Reason, Status
from tests.conftest import git, init_repo

RECIPE = Recipe(id="r", title="t", description="d", include=("**/*.py",))
RUFF_FORMAT = """\
[tool.ruff]
line-length = 79
fix = true

[tool.ruff.lint]
select = ["F", "I"]

[tool.ruff.format]
quote-style = "double"
"""
# Line 2 is not formatted the way ruff format would, and line 1 is an unused, unsorted
# import that `fix = true` would remove: neither may change. Lines 6-7 are the fix's.
BASE = """\
import sys, os
x = {  'a':1 }


def ranked(scores_by_player_name, sort_key_function):
    return sorted(list(
        scores_by_player_name.values()), key=sort_key_function, reverse=True)
"""
JOINED = "    return sorted(scores_by_player_name.values(), key=sort_key_function, reverse=True)\n"
FIXED = BASE.replace(BASE.splitlines(keepends=True)[5] + BASE.splitlines(keepends=True)[6], JOINED)
FORMATTED = BASE.replace(
    BASE.splitlines(keepends=True)[5] + BASE.splitlines(keepends=True)[6],
    "    return sorted(\n"
    "        scores_by_player_name.values(), key=sort_key_function, reverse=True\n"
    "    )\n",
)


def join_fix() -> Finding:
    """The C414 fix as ruff makes it: the wrapped call joined into one line of 86."""
    edit = TextEdit(6, 1, 8, 1, JOINED)
    return Finding(
        "r", "ruff:C414", "pkg/rank.py", 6, 12, 7, 76, "m", (edit,), fingerprint="f" * 64
    )


def fix_in_worktree(tmp_path: Path, config: dict[str, str], policy: GuardPolicy | None = None):
    repo_path = init_repo(
        tmp_path / "repo", {"pkg/rank.py": BASE, "pkg/other.py": "import os\n", **config}
    )
    repo = gitops.open_repo(repo_path)
    base = gitops.resolve_base(repo, None)
    with gitops.worktree(repo, base, "fix") as tree:
        result = apply_fix(
            EditFixer(), RECIPE, join_fix(), tree, base, policy or GuardPolicy(("**/*.py",))
        )
        files = {p: (tree / p).read_text() for p in ("pkg/rank.py", "pkg/other.py")}
    return repo_path, result, files


def test_a_line_over_the_limit_is_re_formatted_in_its_range_only(tmp_path):
    assert len(JOINED.rstrip()) == 86
    repo, fixed, files = fix_in_worktree(tmp_path, {"pyproject.toml": RUFF_FORMAT})
    assert isinstance(fixed, Fixed)
    assert files == {"pkg/rank.py": FORMATTED, "pkg/other.py": "import os\n"}
    assert fixed.texts == {"pkg/rank.py": (BASE, FORMATTED)}
    assert "+        scores_by_player_name.values(), key=sort_key_function, reverse=True" in (
        fixed.patch
    )
    assert "x = {  'a':1 }" in FORMATTED  # line 2 was left as the repository has it
    format_step, guard_step = fixed.steps
    assert (format_step.name, format_step.ok, guard_step.name) == ("format", True, "guard")
    assert format_step.detail == (
        "re-formatted pkg/rank.py line 6 with ruff format (pyproject.toml [tool.ruff.format]), "
        "to stay within the limit of 79 (pyproject.toml [tool.ruff] line-length)"
    )
    assert fixed.diff_lines == changed_lines(BASE, FORMATTED) == 5
    # `fix = true` rewrote nothing, in the checkout or the worktree.
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_the_guard_bounds_the_re_formatted_fix(tmp_path):
    assert changed_lines(BASE, FIXED) == 3  # the fix as made is within the limit
    policy = GuardPolicy(("**/*.py",), max_changed_lines=4)
    _repo, result, _files = fix_in_worktree(tmp_path, {"pyproject.toml": RUFF_FORMAT}, policy)
    assert isinstance(result, FixResult)
    assert (result.status, result.kind) == (Status.REJECTED, Reason.GUARD)
    assert [s.name for s in result.steps] == ["format", "guard"]
    assert result.reason == "the fix changes 5 lines, more than the limit of 4: pkg/rank.py (5)"


def test_without_a_formatter_nothing_is_re_formatted(tmp_path):
    _repo, fixed, files = fix_in_worktree(
        tmp_path, {"setup.cfg": "[flake8]\nmax-line-length = 79\n"}
    )
    assert isinstance(fixed, Fixed)
    assert files["pkg/rank.py"] == FIXED  # the line-length check judges it later
    assert [s.name for s in fixed.steps] == ["guard"]


def test_within_the_limit_nothing_is_re_formatted(tmp_path):
    config = RUFF_FORMAT.replace("line-length = 79", "line-length = 100")
    _repo, fixed, files = fix_in_worktree(tmp_path, {"pyproject.toml": config})
    assert isinstance(fixed, Fixed)
    assert files["pkg/rank.py"] == FIXED
    assert [s.name for s in fixed.steps] == ["guard"]


def test_a_pre_commit_ruff_format_hook_is_the_formatter_too(tmp_path):
    hook = "repos:\n  - repo: local\n    hooks:\n      - id: ruff-format\n"
    config = {"ruff.toml": "line-length = 79\n", ".pre-commit-config.yaml": hook}
    _repo, fixed, files = fix_in_worktree(tmp_path, config)
    assert isinstance(fixed, Fixed)
    assert files["pkg/rank.py"] == FORMATTED
    assert "ruff format (.pre-commit-config.yaml ruff-format hook)" in fixed.steps[0].detail


def write_change(tmp_path: Path, files: dict[str, str], old: str, new: str):
    """A repository holding ``old`` at a.py and a worktree where it says ``new``."""
    repo_path = init_repo(tmp_path / "repo", {"a.py": old, **files})
    repo = gitops.open_repo(repo_path)
    base = gitops.resolve_base(repo, None)
    return repo, base


def test_a_line_the_formatter_cannot_shorten_stays_over_and_says_so(tmp_path):
    old = "x = [\n    'a',\n]\n"
    new = "x = ['" + "a" * 90 + "']\n"
    repo, base = write_change(tmp_path, {"pyproject.toml": RUFF_FORMAT}, old, new)
    with gitops.worktree(repo, base, "fix") as tree:
        (tree / "a.py").write_text(new)
        step = reformat_long_lines(tree, gitops.changed_files(tree, base))
    assert step is not None
    assert not step.ok
    # ruff format wrapped the list, but the string alone is still too long.
    assert step.detail == (
        "re-formatted a.py line 1 with ruff format (pyproject.toml [tool.ruff.format]); "
        "line 2 is still over the limit of 79 (pyproject.toml [tool.ruff] line-length)"
    )


def test_an_excluded_file_comes_back_as_it_was(tmp_path):
    config = RUFF_FORMAT.replace("fix = true", 'fix = true\nextend-exclude = ["a.py"]')
    old = "x = f(\n    a)\n"
    new = "x = f(" + "a" * 80 + ")\n"
    repo, base = write_change(tmp_path, {"pyproject.toml": config}, old, new)
    with gitops.worktree(repo, base, "fix") as tree:
        (tree / "a.py").write_text(new)
        step = reformat_long_lines(tree, gitops.changed_files(tree, base))
        assert (tree / "a.py").read_text() == new
    assert step is not None and not step.ok


def python_without_black(tmp_path: Path) -> str:
    """A real interpreter of a fresh environment, where black is not installed."""
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    return str(venv / "bin" / "python")


def test_black_that_is_not_installed_is_said_and_never_installed(tmp_path):
    python = python_without_black(tmp_path)
    assert not black_available(python)
    old = "x = f(\n    a)\n"
    new = "x = f(" + "a" * 80 + ")\n"
    repo, base = write_change(
        tmp_path, {"pyproject.toml": "[tool.black]\nline-length = 79\n"}, old, new
    )
    with gitops.worktree(repo, base, "fix") as tree:
        (tree / "a.py").write_text(new)
        step = reformat_long_lines(tree, gitops.changed_files(tree, base), python=python)
        assert (tree / "a.py").read_text() == new
    assert step is not None
    assert (step.ok, step.detail) == (
        False,
        "not re-formatted: black (pyproject.toml [tool.black]) is not installed where the "
        "tests run",
    )
    assert not black_available(python)  # still: nothing installed it
