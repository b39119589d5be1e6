from __future__ import annotations

import argparse
import tempfile
import textwrap

import pytest

from bot.errors import UserError
from bot.find.detectors import REGISTRY
from bot.find.detectors.core import Match
from bot.model import TextEdit
from bot.recipes.fixtures import MAX_ROUNDS, CaseResult, cmd_test, format_results, run_fixture
from bot.recipes.model import FixtureCase, Recipe

SORTED_OF_LIST = "def f(y):\n    return sorted(list(y))\n"
SORTED = "def f(y):\n    return sorted(y)\n"


def recipe(**fields) -> Recipe:
    fields.setdefault("ruff_select", ("C414",))
    fields.setdefault("fix_unsafe", True)
    return Recipe(id="r", title="t", description="d", **fields)


@pytest.mark.parametrize(
    ("fixture", "status", "detail"),
    [
        pytest.param(FixtureCase("c", SORTED_OF_LIST, SORTED), "pass", "", id="fixed"),
        pytest.param(
            FixtureCase("c", SORTED, SORTED_OF_LIST), "missing", "no finding", id="missing"
        ),
        pytest.param(
            FixtureCase("c", SORTED_OF_LIST, "def f(y):\n    return y\n"),
            "wrong",
            "+    return sorted(y)",
            id="wrong-shows-diff",
        ),
        pytest.param(FixtureCase("c", SORTED, None), "pass", "", id="decoy-untouched"),
        pytest.param(FixtureCase("c", SORTED_OF_LIST, None), "noisy", "ruff:C414", id="noisy"),
        pytest.param(
            FixtureCase("c", SORTED_OF_LIST, SORTED, path="/etc/x.py"),
            "error",
            "relative",
            id="absolute-path",
        ),
        pytest.param(
            FixtureCase("c", SORTED_OF_LIST, SORTED, path="../x.py"),
            "error",
            "relative",
            id="path-leaves-the-folder",
        ),
        pytest.param(
            FixtureCase("c", SORTED_OF_LIST, SORTED, path="docs/x.py"),
            "error",
            "scope",
            id="path-outside-scope",
        ),
        pytest.param(
            FixtureCase("c", SORTED_OF_LIST, SORTED, path="pkg/sub/mod.py"),
            "pass",
            "",
            id="nested-path",
        ),
    ],
)
def test_run_fixture(fixture, status, detail):
    result = run_fixture(recipe(exclude=("docs/**",)), fixture)
    assert result == CaseResult("r", "c", status, result.detail)
    assert detail in result.detail


def test_unsafe_fix_not_allowed_is_missing_with_a_reason():
    result = run_fixture(recipe(fix_unsafe=False), FixtureCase("c", SORTED_OF_LIST, SORTED))
    assert result.status == "missing"
    assert "no fix" in result.detail and "unsafe" in result.detail


def test_findings_fixed_one_at_a_time_until_none_is_left():
    before = textwrap.dedent(
        """\
        def f(xs):
            out = []
            for x in xs:
                out = out + [x]
                out = out + [x, x]
            return sorted(list(out))
        """
    )
    after = textwrap.dedent(
        """\
        def f(xs):
            out = []
            for x in xs:
                out.append(x)
                out += [x, x]
            return sorted(out)
        """
    )
    r = recipe(detectors=("list-concat-in-loop",))
    assert run_fixture(r, FixtureCase("c", before, after)).status == "pass"


def test_ruff_config_of_the_caller_does_not_leak_in(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[tool.ruff.lint]\nignore = ['C414']\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    (tmp_path / "ruff.toml").write_text("[lint.per-file-ignores]\n'*.py' = ['C414']\n")
    assert run_fixture(recipe(), FixtureCase("c", SORTED_OF_LIST, SORTED)).status == "pass"


class _NeverDone:
    """A detector whose fix re-creates the finding: the fixture loop must stop."""

    name = "never-done"
    summary = "test only"

    def detect(self, source: str, path: str) -> list[Match]:
        return [Match(1, 1, 1, 1, "again", (TextEdit(1, 1, 1, 1, "#"),), "prepend")]


def test_fix_loop_is_bounded(monkeypatch):
    monkeypatch.setitem(REGISTRY, "never-done", _NeverDone())
    r = recipe(ruff_select=(), detectors=("never-done",))
    result = run_fixture(r, FixtureCase("c", "x = 1\n", "x = 1\n#"))
    assert result.status == "error"
    assert str(MAX_ROUNDS) in result.detail


def test_format_results_table_and_summary():
    text = format_results(
        [
            CaseResult("copies", "one", "pass"),
            CaseResult("copies", "two-long-name", "wrong", "differs:\n--- expected\n+++ got"),
        ]
    )
    lines = text.splitlines()
    assert lines[0].split() == ["RECIPE", "CASE", "RESULT", "DETAIL"]
    assert lines[1].split() == ["copies", "one", "pass"]
    assert lines[2].split()[:3] == ["copies", "two-long-name", "wrong"]
    assert lines[0].index("RESULT") == lines[2].index("wrong")
    assert "  +++ got" in lines
    assert lines[-1] == "1 passed, 1 failed"


RECIPE_YAML = """\
schema_version: 1
id: sample
title: Sample
description: A sample recipe.
find:
  ruff:
    select: [C414]
fix:
  unsafe: true
tests:
  - id: fixed
    before: |
      def f(y):
          return sorted(list(y))
    after: |
      def f(y):
          return {after}
"""


@pytest.mark.parametrize(
    ("after", "code", "summary"),
    [("sorted(y)", 0, "1 passed, 0 failed"), ("y", 1, "0 passed, 1 failed")],
)
def test_cmd_test_exit_status(tmp_path, capsys, after, code, summary):
    path = tmp_path / "sample.yml"
    path.write_text(RECIPE_YAML.format(after=after))
    assert cmd_test(argparse.Namespace(paths=[str(path)])) == code
    out = capsys.readouterr().out
    assert "sample" in out and out.rstrip().endswith(summary)


def test_cmd_test_bad_recipe_is_a_user_error(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("schema_version: 1\nid: Bad Id\n")
    with pytest.raises(UserError):
        cmd_test(argparse.Namespace(paths=[str(path)]))
