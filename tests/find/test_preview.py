"""`nightcrew find` on real repositories: the night's findings, no test run, nothing changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import gitops
from bot.cli import main
from bot.config import load_config
from bot.find.preview import AGENT_FIND_NOT_RUN, AGENT_JUDGES, preview
from bot.find.sweep import sweep
from bot.fix import guard
from bot.report import progress
from bot.report.document import NightReport, finding_json
from tests.conftest import ROOT, git
from tests.test_night_cli import CORE

TESTS = """\
from pkg.core import collect


def test_collect():
    assert collect([1]) == [2]
"""
# The suite leaves a marker wherever NIGHTCREW_TEST_MARKER points, whenever it runs.
CONFTEST = """\
import os
from pathlib import Path

Path(os.environ["NIGHTCREW_TEST_MARKER"]).write_text("the tests ran", encoding="utf-8")
"""
FILES = {
    "pkg/__init__.py": "",
    "pkg/core.py": CORE,
    "pkg/migrations/old.py": "def f(xs):\n    return sorted(list(xs))\n",
    "tests/conftest.py": CONFTEST,
    "tests/test_core.py": TESTS,
    ".github/nightcrew.yml": 'version: 1\nprotected: ["pkg/migrations/**"]\n',
}


def state(repo: Path) -> tuple[str, ...]:
    """Everything `find` must leave as it was: status, index, refs, worktrees, stash."""
    return (
        git(repo, "status", "--porcelain=v2", "--branch", "--untracked-files=all"),
        git(repo, "ls-files", "--stage"),
        git(repo, "for-each-ref"),
        git(repo, "worktree", "list", "--porcelain"),
        git(repo, "stash", "list"),
    )


@pytest.fixture
def repo(make_repo, tmp_path, monkeypatch) -> Path:
    marker = tmp_path / "marker"
    monkeypatch.setenv("NIGHTCREW_TEST_MARKER", str(marker))
    path = make_repo(files=FILES)
    # Uncommitted work: a change to a searched file, and an untracked one with a finding.
    (path / "pkg/core.py").write_text(CORE + "\n\ndef more(xs):\n    return sorted(list(xs))\n")
    (path / "pkg/new.py").write_text("def g(xs):\n    return sorted(list(xs))\n")
    (path / "pkg/__init__.py").write_text("# staged\n")
    git(path, "add", "pkg/__init__.py")
    return path


def test_the_suite_leaves_its_marker_when_it_runs(repo, tmp_path):
    """The marker works: without this, 'no marker' below would prove nothing."""
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q"], cwd=repo, check=True, capture_output=True
    )
    assert (tmp_path / "marker").read_text() == "the tests ran"


def test_find_lists_the_nights_findings_without_running_a_test(repo, tmp_path, capsys):
    before = state(repo)
    assert main(["find", "--repo", str(repo)]) == 0
    out = capsys.readouterr().out
    assert not (tmp_path / "marker").exists()
    assert state(repo) == before
    rows = [" ".join(line.split()) for line in out.splitlines()]
    assert rows[:3] == [
        "RECIPE RULE WHERE MESSAGE",
        "unnecessary-copies nightcrew:list-concat-in-loop pkg/core.py:4 "
        "`out = out + [...]` in a loop copies `out` on every pass",
        "unnecessary-copies ruff:C414 pkg/core.py:9 Unnecessary `list()` call within `sorted()`",
    ]
    # Committed files only: not the uncommitted function, the untracked file, protected code.
    assert "pkg/core.py:13" not in out and "pkg/new.py" not in out and "migrations" not in out
    assert "unnecessary-copies 2 finding(s) in 2 file(s)" in rows
    assert "unused-imports 0 finding(s) in 1 file(s)" in rows
    assert f"on {git(repo, 'rev-parse', 'HEAD')[:10]}; no test was run" in out
    assert rows[-1] == "Uncommitted changes were not searched: the night works from commits too."


def test_find_json_parses_and_recipe_filters(repo, tmp_path, capsys):
    before = state(repo)
    assert main(["find", "--repo", str(repo), "--json", "--recipe", "unnecessary-copies"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["base"], data["dirty_worktree"]) == (git(repo, "rev-parse", "HEAD").strip(), True)
    assert [r["id"] for r in data["recipes"]] == ["unnecessary-copies"]
    found = data["recipes"][0]
    assert (found["count"], found["files"], found["error"]) == (2, 2, None)
    assert [(f["rule"], f["path"], f["line"], f["fix_available"]) for f in found["findings"]] == [
        ("nightcrew:list-concat-in-loop", "pkg/core.py", 4, True),
        ("ruff:C414", "pkg/core.py", 9, True),
    ]
    assert not (tmp_path / "marker").exists()
    assert state(repo) == before


def test_find_unknown_recipe_is_exit_2(repo, capsys):
    assert main(["find", "--repo", str(repo), "--recipe", "no-such-recipe"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nightcrew: error: --recipe: unknown recipe 'no-such-recipe'")


def test_find_sees_what_the_nights_sweep_sees(demo_repo):
    """Same finders, same scope: the night's sweep over a base worktree finds the same."""
    seen = preview(demo_repo)
    config = load_config(demo_repo)
    repo = gitops.open_repo(demo_repo)
    report = NightReport(repo=str(demo_repo), base=seen.base, started_at="")
    with gitops.worktree(repo, seen.base, "base") as tree:
        work = sweep(
            [r.recipe for r in seen.recipes if r.recipe.agent_find is None],
            tree,
            gitops.tracked_files(repo, seen.base),
            protected=guard.DEFAULT_PROTECTED + tuple(config.protected),
            agents=None,
            agents_allowed=True,
            report=report,
            progress=progress.silent,
        )
    night = [finding_json(f) for _r, f in work]
    mine = [finding_json(f) for r in seen.recipes if not r.recipe.agent_fix for f in r.findings]
    assert mine == night and len(night) >= 5
    deep = next(r for r in seen.recipes if r.recipe.id == "unnecessary-copies-deep")
    assert deep.notes == [AGENT_JUDGES] and deep.findings  # the prefilter's candidates


AGENT_FINDER = """\
schema_version: 1
id: agent-finder
title: Agent finder
description: Why.
find:
  agent:
    instructions: Find things.
"""


def test_an_agent_finder_is_not_run_and_says_so(make_repo, capsys, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-never-used")
    repo = make_repo(
        files={
            "a.py": "x = sorted(list(y))\n",
            ".nightcrew/recipes/agent-finder.yml": AGENT_FINDER,
            ".github/nightcrew.yml": "version: 1\nrecipes: [agent-finder, unnecessary-copies]\n",
        }
    )
    assert main(["find", "--repo", str(repo), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["count"], r["notes"]) for r in data["recipes"]] == [
        ("agent-finder", 0, [AGENT_FIND_NOT_RUN]),
        ("unnecessary-copies", 1, []),
    ]


def test_find_from_a_subfolder_as_repo_and_as_working_directory(repo, capsys):
    assert main(["find", "--repo", str(repo / "pkg"), "--json"]) == 0
    from_repo = json.loads(capsys.readouterr().out)
    assert from_repo["repo"] == str(repo)
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "find", "--json"],
        cwd=repo / "pkg",
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == from_repo
    # The config at the top was found from the subfolder: its protected path held.
    assert all("migrations" not in f["path"] for r in from_repo["recipes"] for f in r["findings"])


def test_a_bad_recipe_is_exit_2_before_any_search(repo, capsys):
    (repo / ".nightcrew/recipes").mkdir(parents=True)
    (repo / ".nightcrew/recipes/bad.yml").write_text("id: [\n")
    assert main(["find", "--repo", str(repo)]) == 2
    assert ".nightcrew/recipes/bad.yml:2: invalid YAML" in capsys.readouterr().err
