"""Which recipes a night runs: `--all` whatever the schedules, a replaced built-in said out
loud, and `--repo` (or the working directory) anywhere inside the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.night import NightOptions, run_night
from bot.report import progress
from tests.conftest import ROOT, git

CODE = "def names(xs):\n    return sorted(xs)\n"
TESTS = "from pkg.core import names\n\n\ndef test_names():\n    assert names([2, 1]) == [1, 2]\n"
TUESDAY = datetime(2025, 6, 3, 2, 0, tzinfo=UTC)  # `@weekly` is due on Sundays


def later_recipe() -> str:
    """A recipe due tomorrow (UTC), so never today: it finds `x == None` (none here)."""
    tomorrow = (datetime.now(UTC).weekday() + 2) % 7  # cron counts from Sunday = 0
    return f"""\
schema_version: 1
id: later
title: Later
description: Why.
schedule: "0 3 * * {tomorrow}"
find:
  ruff:
    select: [E711]
"""


FILES = {
    "pkg/__init__.py": "",
    "pkg/core.py": CODE,
    "tests/test_core.py": TESTS,
    ".nightcrew/recipes/later.yml": later_recipe(),
    ".github/nightcrew.yml": "version: 1\nrecipes: [later]\n",
}


def run(repo: Path, out: Path, *args: str) -> int:
    return main(["run", "--repo", str(repo), "--out", str(out), "--json", "--quiet", *args])


def test_a_recipe_named_in_the_config_still_waits_for_its_schedule(make_repo, tmp_path, capsys):
    repo = make_repo(files=FILES)
    assert run(repo, tmp_path / "out") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["recipes"] == []
    assert [s["id"] for s in data["recipes_skipped"]] == ["later"]
    assert "not due today" in data["recipes_skipped"][0]["reason"]


def test_all_runs_a_recipe_that_is_not_due_today(make_repo, tmp_path, capsys):
    repo = make_repo(files=FILES)
    assert run(repo, tmp_path / "out", "--all") == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["recipes"], data["recipes_skipped"]) == (["later"], [])
    assert data["recipes_searched"] == ["later"]


def test_all_with_recipe_is_a_usage_error(make_repo, tmp_path, capsys):
    repo = make_repo(files=FILES)
    assert run(repo, tmp_path / "out", "--all", "--recipe", "later") == 2
    err = capsys.readouterr().err
    assert err.startswith("nightcrew: error: --all: ")
    assert git(repo, "branch", "--list", "nightcrew/*") == ""
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("every", "ran"), [(False, []), (True, ["unused-imports"])])
def test_every_on_a_tuesday_runs_the_weekly_recipe(make_repo, tmp_path, every, ran):
    repo = make_repo(
        files={**FILES, ".github/nightcrew.yml": "version: 1\nrecipes: [unused-imports]\n"}
    )
    report = run_night(
        NightOptions(repo, every=every, now=TUESDAY, out=tmp_path / "out", env=dict(os.environ)),
        progress.silent,
    )
    assert report.recipes == ran
    assert report.recipes_searched == ran
    assert [i for i, _why in report.recipes_skipped] == ([] if every else ["unused-imports"])


def test_a_repository_recipe_that_replaces_a_builtin_is_said(make_repo, tmp_path, capsys):
    builtin = (ROOT / "recipes/unused-imports.yml").read_text(encoding="utf-8")
    repo = make_repo(
        files={
            **FILES,
            ".nightcrew/recipes/unused-imports.yml": builtin.replace(
                "\nversion: 1\n", "\nversion: 7\n"
            ),
        }
    )
    assert main(["run", "--repo", str(repo), "--out", str(tmp_path / "o"), "--json",
                 "--recipe", "unused-imports"]) == 0  # fmt: skip
    out, err = capsys.readouterr()
    said = (
        "recipe unused-imports is the repository's .nightcrew/recipes/unused-imports.yml, "
        "which replaces the built-in"
    )
    assert {"kind": "recipe-replaced", "text": said} in json.loads(out)["notes"]
    assert said in err


def test_a_subfolder_works_as_repo_and_as_working_directory(make_repo, tmp_path, capsys):
    repo = make_repo(files=FILES)
    assert run(repo / "pkg", tmp_path / "a", "--all") == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["repo"], data["recipes"]) == (str(repo), ["later"])
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--all", "--json", "--quiet",
         "--out", str(tmp_path / "b")],
        cwd=repo / "pkg",
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    again = json.loads(done.stdout)
    assert (again["repo"], again["recipes"]) == (str(repo), ["later"])


def test_plan_takes_a_subfolder_too(make_repo, capsys):
    repo = make_repo(files={**FILES, ".github/nightcrew.yml": "version: 1\n"})
    assert main(["plan", "--repo", str(repo / "pkg"), "--recipe", "later"]) == 0
    assert json.loads(capsys.readouterr().out) == {"include": [{"recipe": "later", "shard": "1/1"}]}
