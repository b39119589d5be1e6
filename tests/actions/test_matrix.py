"""Beyond one runner: `nightcrew plan`, `nightcrew run --shard`, `nightcrew merge-reports`."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.actions.matrix import plan_matrix
from bot.cli import main
from bot.errors import UserError
from bot.recipes.loader import discover
from bot.recipes.schedule import is_due
from bot.report.merge import merge_reports
from tests.conftest import ROOT
from tests.report.test_merge import shard_report

SUNDAY = datetime(2025, 6, 1, 3, 0, tzinfo=UTC)  # @daily and @weekly recipes are due
MONDAY = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)  # only @daily ones

CORE = """\
def names(xs):
    return sorted(list(xs))


def keys(d):
    return sorted(list(d))


def tags(t):
    return tuple(list(t))
"""
TESTS = """\
from pkg.core import keys, names, tags


def test_all():
    assert names(["b", "a"]) == ["a", "b"]
    assert keys({"b": 1, "a": 2}) == ["a", "b"]
    assert tags([1]) == (1,)
"""
FILES = {
    "pkg/__init__.py": "",
    "pkg/core.py": CORE,
    "pkg/more.py": CORE.replace("names", "more_names"),
    "pkg/extra.py": CORE.replace("names", "extra_names"),
    "tests/test_core.py": TESTS,
}


@pytest.fixture
def repo(make_repo) -> Path:
    return make_repo("planned", FILES)


def recipes_of(matrix: dict) -> list[str]:
    return list(dict.fromkeys(entry["recipe"] for entry in matrix["include"]))


# --- plan ---------------------------------------------------------------------------------------


def due_on(repo: Path, when: datetime) -> list[str]:
    return [r.id for r in discover(repo) if is_due(r.schedule, when)]


def test_plan_lists_due_recipes_times_shards(repo):
    matrix = plan_matrix(repo, shards=3, now=SUNDAY)
    due = due_on(repo, SUNDAY)
    assert {"modern-syntax", "unnecessary-copies", "unused-imports"} <= set(due)
    assert recipes_of(matrix) == due
    assert matrix["include"][:3] == [
        {"recipe": "modern-syntax", "shard": "1/3"},
        {"recipe": "modern-syntax", "shard": "2/3"},
        {"recipe": "modern-syntax", "shard": "3/3"},
    ]
    assert len(matrix["include"]) == 3 * len(due)


def test_plan_follows_schedules(repo):
    recipes = recipes_of(plan_matrix(repo, now=MONDAY))
    assert recipes == due_on(repo, MONDAY)
    assert "unnecessary-copies" in recipes  # @daily
    assert "unused-imports" not in recipes and "modern-syntax" not in recipes  # @weekly


def test_plan_follows_the_repo_config(repo):
    (repo / ".github").mkdir()
    (repo / ".github" / "nightcrew.yml").write_text(
        "version: 1\nrecipes: [unused-imports]\n", encoding="utf-8"
    )
    assert recipes_of(plan_matrix(repo, now=SUNDAY)) == ["unused-imports"]
    assert plan_matrix(repo, now=MONDAY) == {"include": []}


def test_plan_recipe_option_ignores_schedules(repo):
    matrix = plan_matrix(repo, shards=2, recipe_ids=["unused-imports"], now=MONDAY)
    assert matrix == {
        "include": [
            {"recipe": "unused-imports", "shard": "1/2"},
            {"recipe": "unused-imports", "shard": "2/2"},
        ]
    }


def test_plan_cli_prints_one_compact_line(repo, capsys):
    code = main(["plan", "--repo", str(repo), "--shards", "2", "--recipe", "unnecessary-copies"])
    out = capsys.readouterr().out
    assert code == 0
    assert out == (
        '{"include":[{"recipe":"unnecessary-copies","shard":"1/2"},'
        '{"recipe":"unnecessary-copies","shard":"2/2"}]}\n'
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shards", "0"], "--shards: expected 1 or more, got 0"),
        (["--shards", "x"], "invalid int value"),
        (["--recipe", "nope"], "--recipe: unknown recipe 'nope'"),
    ],
)
def test_plan_cli_bad_input(repo, capsys, args, message):
    assert main(["plan", "--repo", str(repo), *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_plan_outside_a_repository(tmp_path, capsys):
    assert main(["plan", "--repo", str(tmp_path)]) == 2
    assert "git" in capsys.readouterr().err


def test_plan_rejects_zero_shards_directly(repo):
    with pytest.raises(UserError, match="--shards"):
        plan_matrix(repo, shards=0)


# --- run --shard --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0/2", "3/2", "2", "one/two", "1/0", ""])
def test_run_shard_is_validated(repo, capsys, value):
    assert main(["run", "--repo", str(repo), "--shard", value]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"nightcrew: error: --shard: expected I/N with 1 ≤ I ≤ N, got {value!r}"


def run_json(repo: Path, out: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> dict:
    code = main(
        ["run", "--repo", str(repo), "--out", str(out), "--json", "--quiet", "--max-fixes", "0",
         "--recipe", "unnecessary-copies", *args]
    )  # fmt: skip
    assert code == 0
    return json.loads(capsys.readouterr().out)


def test_shards_split_the_findings(repo, tmp_path, capsys):
    whole = run_json(repo, tmp_path / "all", capsys=capsys)
    parts = [run_json(repo, tmp_path / f"s{i}", "--shard", f"{i}/2", capsys=capsys) for i in (1, 2)]
    fingerprints = [{f["fingerprint"] for f in r["findings"]} for r in parts]
    assert len(whole["findings"]) == 9
    assert fingerprints[0].isdisjoint(fingerprints[1])
    assert fingerprints[0] | fingerprints[1] == {f["fingerprint"] for f in whole["findings"]}
    assert {"kind": "shard", "text": "shard 1 of 2"} in parts[0]["notes"]
    assert {"kind": "shard", "text": "shard 2 of 2"} in parts[1]["notes"]
    merged = merge_reports(parts)
    assert merged["summary"]["found"] == whole["summary"]["found"]
    assert {f["fingerprint"] for f in merged["findings"]} == fingerprints[0] | fingerprints[1]


# --- merge-reports ------------------------------------------------------------------------------


def test_merge_reports_cli(tmp_path, capsys):
    paths = []
    for n in (1, 2):
        path = tmp_path / f"r{n}" / "report.json"
        path.parent.mkdir()
        path.write_text(json.dumps(shard_report(n)), encoding="utf-8")
        paths.append(str(path))
    out = tmp_path / "merged" / "report.json"
    assert main(["merge-reports", str(out), *paths]) == 0
    summary = capsys.readouterr().out
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["found"] == 3
    assert "## Nightcrew: 2 shard report(s) merged" in summary
    assert "| 3 | 2 | 1 | 2 | 0 | 0 |" in summary
    assert "[#1](https://x/pull/1)" in summary and "[#2](https://x/pull/2)" in summary


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the report: No such file or directory"),
        ("{", "not a JSON report: Expecting property name"),
        ("[]", "not a Nightcrew report (a JSON list, not an object)"),
        ('{"summary": {}}', "not a Nightcrew report (no `fixes`)"),
        ('{"fixes": 3}', "not a Nightcrew report (`fixes` is not a list of objects)"),
        ('{"fixes": ["x"]}', "not a Nightcrew report (`fixes` is not a list of objects)"),
        ('{"fixes": [], "notes": "n"}', "not a Nightcrew report (`notes` is not a list)"),
        (
            '{"fixes": [], "summary": {"found": "3"}}',
            "not a Nightcrew report (`summary` is not an object of numbers)",
        ),
        ('{"fixes": [], "started_at": 3}', "not a Nightcrew report (`started_at` is not a string)"),
    ],
    ids=[
        "missing",
        "not-json",
        "a-list",
        "no-fixes",
        "fixes-a-number",
        "fixes-of-strings",
        "notes-a-string",
        "summary-of-text",
        "started-at-a-number",
    ],
)
def test_merge_reports_bad_input(tmp_path, capsys, content, message):
    """A malformed report is bad input naming its file, whichever of the reports it is."""
    good = tmp_path / "good.json"
    good.write_text(json.dumps(shard_report(1)), encoding="utf-8")
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["merge-reports", str(tmp_path / "out.json"), str(good), str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"nightcrew: error: {path}: {message}")
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "out.json").exists()


def test_merge_reports_malformed_exits_2_without_a_traceback(tmp_path):
    """The command as a workflow step runs it: exit status 2 and one line, ``file: what``."""
    path = tmp_path / "report.json"
    path.write_text('{"fixes": {"not": "a list"}}', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "merge-reports", str(tmp_path / "out.json"), str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"nightcrew: error: {path}: not a Nightcrew report (`fixes` is not a list of objects)\n"
    )
    assert done.stdout == ""


def test_merge_reports_needs_a_report(tmp_path, capsys):
    assert main(["merge-reports", str(tmp_path / "out.json")]) == 2
    assert "REPORT.json" in capsys.readouterr().err
