"""A night judges fixes by the repository's own style: its ruff config and its line length.

Real repositories in tmp_path, the built-in `unnecessary-copies` recipe (ruff's C414 fix
joins a wrapped call into one line; the list-concat codemod makes a loop that PERF401
flags), real ruff, real pytest.
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.night import NightOptions, run_night
from bot.report import progress
from bot.report.results import FixResult, Reason, Status
from bot.verify.lint import ruff_check
from tests.conftest import git, init_repo

RANK = """\
def ranked(scores_by_player_name, sort_key_function):
    return sorted(list(
        scores_by_player_name.values()), key=sort_key_function, reverse=True)
"""
JOINED = "    return sorted(scores_by_player_name.values(), key=sort_key_function, reverse=True)"
FORMATTED = """\
def ranked(scores_by_player_name, sort_key_function):
    return sorted(
        scores_by_player_name.values(), key=sort_key_function, reverse=True
    )
"""
RANK_TESTS = """\
from pkg.rank import ranked


def test_ranked():
    assert ranked({"a": 1, "b": 3}, None) == [3, 1]
"""
EVENS = """\
def evens(numbers):
    found = []
    for number in numbers:
        if number % 2 == 0:
            found = found + [number]
    return found
"""
EVENS_TESTS = """\
from pkg.evens import evens


def test_evens():
    assert evens([1, 2, 3, 4]) == [2, 4]
"""
# `fix = true` would make any ruff run rewrite files; pkg/other.py has what it would fix.
OTHER = "import sys, os\n"


def repository(tmp_path: Path, config: dict[str, str]) -> Path:
    return init_repo(
        tmp_path / "repo",
        {
            "pkg/__init__.py": "",
            "pkg/rank.py": RANK,
            "pkg/evens.py": EVENS,
            "pkg/other.py": OTHER,
            "tests/test_rank.py": RANK_TESTS,
            "tests/test_evens.py": EVENS_TESTS,
            **config,
        },
    )


def night(repo: Path, tmp_path: Path) -> dict[str, FixResult]:
    report = run_night(
        NightOptions(
            repo,
            recipe_ids=("unnecessary-copies",),
            out=tmp_path / "out",
            env=dict(os.environ),
            jobs=1,
        ),
        progress.silent,
    )
    return {f.finding.path: f for f in report.fixes}


def untouched(repo: Path) -> None:
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert (repo / "pkg" / "other.py").read_text() == OTHER


def test_a_fix_over_the_limit_in_setup_cfg_is_rejected_naming_it(tmp_path):
    assert len(JOINED) == 86
    repo = repository(tmp_path, {"setup.cfg": "[flake8]\nmax-line-length = 79\n"})
    fixes = night(repo, tmp_path)
    rank = fixes["pkg/rank.py"]
    assert (rank.status, rank.kind) == (Status.REJECTED, Reason.LINE_LENGTH), rank.reason
    assert rank.reason == (
        "pkg/rank.py line 2 is 86 characters, over the repository's limit of 79 "
        "(setup.cfg [flake8] max-line-length)"
    )
    assert [(s.name, s.ok) for s in rank.steps][-1] == ("line-length", False)
    assert rank.branch is None
    # The other fix keeps its lines short, and the check says what it held it to.
    evens = fixes["pkg/evens.py"]
    assert evens.status is Status.VERIFIED, evens.reason
    length = next(s for s in evens.steps if s.name == "line-length")
    assert (length.ok, length.detail) == (
        True,
        "within the repository's limit of 79 (setup.cfg [flake8] max-line-length)",
    )
    assert git(repo, "branch", "--list", "nightcrew/*").count("nightcrew/") == 1
    untouched(repo)


RUFF_FORMAT = """\
[tool.ruff]
line-length = 79
fix = true

[tool.ruff.lint]
select = ["E", "F", "I"]

[tool.ruff.format]
"""


def test_with_ruff_format_configured_the_fix_is_re_formatted_and_verified(tmp_path):
    repo = repository(tmp_path, {"pyproject.toml": RUFF_FORMAT})
    rank = night(repo, tmp_path)["pkg/rank.py"]
    assert (rank.status, rank.kind) == (Status.VERIFIED, Reason.PUBLISHED), rank.reason
    assert rank.branch is not None
    assert git(repo, "show", f"{rank.branch}:pkg/rank.py") == FORMATTED
    assert git(repo, "diff", "--name-only", "main", rank.branch).split() == ["pkg/rank.py"]
    message = git(repo, "log", "-1", "--format=%B", rank.branch)
    assert "re-formatted pkg/rank.py line 2 with ruff format (pyproject.toml " in message
    assert "line length: within the repository's limit of 79 (pyproject.toml " in message
    names = [s.name for s in rank.steps]
    assert names.index("format") < names.index("guard") < names.index("line-length")
    assert rank.patch is not None
    assert "+        scores_by_player_name.values()" in Path(rank.patch).read_text()
    untouched(repo)


PERF = """\
[tool.ruff]
fix = true

[tool.ruff.lint]
select = ["F", "PERF"]
"""


def test_new_violations_are_counted_by_the_repositorys_own_selection(tmp_path):
    repo = repository(tmp_path, {"pyproject.toml": PERF})
    evens = night(repo, tmp_path)["pkg/evens.py"]
    # `found.append(number)` in a loop is what PERF401 flags; ruff's defaults do not select it.
    assert (evens.status, evens.kind) == (Status.REJECTED, Reason.LINT), evens.reason
    assert evens.reason.startswith("new ruff violations: pkg/evens.py: PERF401 0 -> 1 (line 5: ")
    assert [s.name for s in evens.steps if s.name == "line-length"] == []  # no limit set
    untouched(repo)


def test_a_users_own_ruff_config_never_judges_a_repository_without_one(tmp_path, monkeypatch):
    user = tmp_path / "user-config"
    (user / "ruff").mkdir(parents=True)
    (user / "ruff" / "ruff.toml").write_text('[lint]\nselect = ["PERF"]\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(user))
    fixed = tmp_path / "tree"
    (fixed / "pkg").mkdir(parents=True)
    (fixed / "pkg" / "evens.py").write_text(
        EVENS.replace("found = found + [number]", "found.append(number)")
    )
    assert ruff_check(fixed, ["pkg/evens.py"]).counts == {}
    (fixed / "ruff.toml").write_text('[lint]\nselect = ["PERF"]\n')  # the repository's own
    assert ruff_check(fixed, ["pkg/evens.py"]).counts == {("pkg/evens.py", "PERF401"): 1}
