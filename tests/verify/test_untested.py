"""No test, no "verified": nights on real repositories, with real pytest and real coverage.

One repository holds four findings: a copy in a function two tests call, the same in a
function no test calls, an unused import in a module two tests import (module-level code,
run at import), and nothing else the tests reach.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import RepoConfig
from bot.dashboard import last_night, page
from bot.night import NightOptions, run_night
from bot.publish.commit import requires_coverage
from bot.publish.trailers import Trailer
from bot.recipes.model import Recipe
from bot.report import summary
from bot.report.progress import silent
from tests.conftest import git, init_repo
from tests.fakes.fixtures import NAME, OWNER, TOKEN, Hub
from tests.fakes.github import FakeGitHub

CALC = """\
def double_all(xs):
    return sorted(list(xs))


# Far enough from double_all that the two fixes are not neighbours (which share one PR).


def never_called(xs):
    return sorted(list(xs))
"""
TOOLS = """\
import os


def helper():
    return 1
"""
FILES = {
    "pkg/__init__.py": "",
    "pkg/calc.py": CALC,
    "pkg/tools.py": TOOLS,
    "tests/__init__.py": "",
    "tests/test_calc.py": (
        "from pkg.calc import double_all\n\n\n"
        "def test_a():\n    assert double_all('ba') == ['a', 'b']\n\n\n"
        "def test_b():\n    assert double_all([3, 1]) == [1, 3]\n\n\n"
        "def test_c():\n    assert True\n"
    ),
    "tests/test_tools.py": (
        "import pkg.tools\n\n\ndef test_x():\n    assert pkg.tools\n\n\n"
        "def test_y():\n    assert True\n"
    ),
}
RECIPES = ("--recipe", "unnecessary-copies", "--recipe", "unused-imports")
CALLED = ["tests.test_calc::test_a", "tests.test_calc::test_b"]
IMPORTERS = ["tests.test_tools::test_x", "tests.test_tools::test_y"]


def make(tmp_path: Path, config: str = "") -> Path:
    files = dict(FILES)
    if config:
        files[".github/nightcrew.yml"] = "version: 1\n" + config
    return init_repo(tmp_path / "repo", files)


def night(repo: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    code = main(["run", "--repo", str(repo), "--out", str(repo.parent / "out"), "--json", *RECIPES])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def by_where(report: dict) -> dict[str, dict]:
    """Each fix by ``path:line``."""
    return {f"{f['path']}:{f['line']}": f for f in report["fixes"]}


def message(repo: Path, branch: str) -> str:
    return git(repo, "log", "-1", "--format=%B", branch)


@pytest.fixture(scope="module")
def default_night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict]]:
    repo = make(tmp_path_factory.mktemp("untested"))
    code = main(["run", "--repo", str(repo), "--out", str(repo.parent / "out"), *RECIPES])
    assert code == 0
    yield repo, json.loads((repo.parent / "out" / "report.json").read_text())


def test_a_fix_no_test_executes_is_not_published(default_night):
    repo, report = default_night
    fix = by_where(report)["pkg/calc.py:9"]
    assert fix["status"] == "rejected" and fix["reason_kind"] == "untested"
    assert fix["reason"].startswith("no test executes the changed lines: the tests pass")
    assert fix["covered_by"] == {"count": 0, "tests": []}
    assert fix["branch"] is None
    assert git(repo, "branch", "--list", "nightcrew/*never*") == ""
    assert report["summary"]["untested"] == 1


def test_a_fix_two_tests_execute_says_two_and_names_them(default_night):
    repo, report = default_night
    fix = by_where(report)["pkg/calc.py:2"]
    assert fix["status"] == "verified", fix["reason"]
    assert fix["covered_by"] == {"count": 2, "tests": CALLED}
    text = message(repo, fix["branch"])
    assert Trailer.COVERED_BY.read(text) == "2"
    assert f"2 tests execute the changed lines: {', '.join(CALLED)}" in text


def test_a_module_level_change_is_covered_by_the_tests_importing_the_module(default_night):
    repo, report = default_night
    fix = by_where(report)["pkg/tools.py:1"]
    assert fix["status"] == "verified", fix["reason"]
    # Imported while pytest collected: outside any test, so its importers count, and only them.
    assert fix["covered_by"] == {"count": 2, "tests": IMPORTERS}
    assert Trailer.COVERED_BY.read(message(repo, fix["branch"])) == "2"


def test_the_report_summary_and_dashboard_say_untested(default_night):
    repo, report = default_night
    markdown = (repo.parent / "out" / "report.md").read_text()
    assert "| rejected (untested) |" in markdown
    assert f"| 2: `{CALLED[0]}`, `{CALLED[1]}` |" in markdown
    text = summary.job_summary(report)
    section = text.split("### Not published: no test executes the changed lines", 1)[1]
    assert "`pkg/calc.py:9`" in section.split("###", 1)[0]
    assert "Rejected, and why" not in text  # nothing else was rejected
    board = page.render(page.Dashboard(night=last_night.night_summary(report)))
    assert "1 rejected (1 untested: no test executes the changed lines)" in board


def test_require_coverage_false_makes_the_branch_and_says_untested(tmp_path, capsys):
    repo = make(tmp_path, "verify:\n  require_coverage: false\n")
    report = night(repo, capsys)
    fix = by_where(report)["pkg/calc.py:9"]
    assert fix["status"] == "verified" and fix["covered_by"] == {"count": 0, "tests": []}
    assert git(repo, "branch", "--list", fix["branch"]).strip()
    text = message(repo, fix["branch"])
    assert Trailer.COVERED_BY.read(text) == "0"
    assert "- no test executes the changed lines" in text
    assert "| verified (untested) |" in (repo.parent / "out" / "report.md").read_text()


def test_a_command_coverage_cannot_see_into_says_unknown_and_publishes(tmp_path, capsys):
    repo = make(tmp_path, "test_command: sh -c 'python -m pytest -q'\n")
    report = night(repo, capsys)
    fixes = by_where(report)
    for where in ("pkg/calc.py:2", "pkg/calc.py:9", "pkg/tools.py:1"):
        assert fixes[where]["status"] == "verified", fixes[where]["reason"]
        assert fixes[where]["covered_by"]["count"] is None
        assert "is not pytest" in fixes[where]["covered_by"]["why"]
        assert Trailer.COVERED_BY.read(message(repo, fixes[where]["branch"])) == "unknown"


@pytest.mark.parametrize(
    ("recipe", "config", "expected"),
    [(None, True, True), (None, False, False), (True, False, True), (False, True, False)],
)
def test_the_recipe_wins_over_the_config(recipe, config, expected):
    r = Recipe(id="r", title="t", description="d", verify_require_coverage=recipe)
    assert requires_coverage(r, RepoConfig(require_coverage=config)) is expected


def test_on_github_an_untested_fix_is_a_draft_labelled_untested(tmp_path):
    repo = make(tmp_path, "verify:\n  require_coverage: false\n")
    with FakeGitHub(tmp_path / "repo-origin.git", OWNER, NAME, TOKEN) as gh:
        git(repo, "remote", "set-url", "origin", gh.clone_url)
        publisher = Hub(repo, tmp_path / "repo-origin.git", gh).publisher()
        opts = NightOptions(repo=repo, recipe_ids=RECIPES[1::2], out=tmp_path / "out")
        report = run_night(opts, silent, publisher).to_json()
        pulls = {p["head"]: p for p in gh.open_pulls()}
        assert gh.crashes == []
    fixes = by_where(report)
    untested = pulls[fixes["pkg/calc.py:9"]["branch"]]
    assert untested["draft"] is True and "untested" in untested["labels"]
    assert untested["body"].startswith(
        "> [!WARNING]\n> **Untested: no test executes the changed lines.**"
    )
    covered = pulls[fixes["pkg/calc.py:2"]["branch"]]
    assert covered["draft"] is False and "untested" not in covered["labels"]
    assert f"2 tests execute the changed lines: {', '.join(CALLED)}" in covered["body"]
    assert "Untested" not in covered["body"]
