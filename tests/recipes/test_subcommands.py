"""`nightcrew recipes list | validate | schema` through the real command line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.recipes import loader, validation
from tests.conftest import ROOT, init_repo

GOOD = """\
schema_version: 1
id: {id}
title: {title}
description: Why.
schedule: "@weekly"
find:
  ruff:
    select: [C414]
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    builtin = tmp_path / "builtin"
    write(builtin / "alpha.yml", GOOD.format(id="alpha", title="Alpha built-in"))
    write(builtin / "beta.yml", GOOD.format(id="beta", title="Beta built-in"))
    monkeypatch.setattr(loader, "builtin_recipes_dir", lambda: builtin)
    return tmp_path


def test_validate_good_and_bad_files(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(cwd / "r/good.yml", GOOD.format(id="good", title="Good"))
    write(cwd / "r/bad.yaml", GOOD.format(id="bad", title="Bad").replace("C414", "C4199"))
    assert main(["recipes", "validate", "r"]) == 2
    out, err = capsys.readouterr()
    assert out == "ok  r/good.yml\n"
    assert err == "r/bad.yaml:8: find.ruff.select[0]: unknown rule 'C4199' (did you mean C419?)\n"


def test_validate_all_good_exits_zero(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(cwd / "one.yml", GOOD.format(id="one", title="One"))
    assert main(["recipes", "validate", "one.yml"]) == 0
    assert capsys.readouterr() == ("ok  one.yml\n", "")


def test_validate_reports_every_error_of_a_file(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.format(id="Bad", title="x").replace("schedule:", "titel: y\nschedule:")
    write(cwd / "bad.yml", text)
    assert main(["recipes", "validate", "bad.yml"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "bad.yml:2: id: 'Bad' is not a valid id: use lowercase letters, digits and dashes, "
        "starting with a letter or digit (e.g. unnecessary-copies)",
        "bad.yml:5: unknown key 'titel' (did you mean 'title'?)",
    ]


def test_validate_missing_path_goes_on_with_the_rest(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(cwd / "one.yml", GOOD.format(id="one", title="One"))
    assert main(["recipes", "validate", "missing.yml", "one.yml"]) == 2
    assert capsys.readouterr() == ("ok  one.yml\n", "missing.yml: no such file or folder\n")


def test_validate_defaults_to_builtins_and_repo_recipes(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(cwd / ".nightcrew/recipes/mine.yml", GOOD.format(id="mine", title="Mine"))
    assert main(["recipes", "validate"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "ok  builtin/alpha.yml",
        "ok  builtin/beta.yml",
        "ok  .nightcrew/recipes/mine.yml",
    ]


def test_validate_duplicate_ids_in_a_folder(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(cwd / "r/a.yml", GOOD.format(id="same", title="A"))
    write(cwd / "r/b.yml", GOOD.format(id="same", title="B"))
    assert main(["recipes", "validate", "r"]) == 2
    out, err = capsys.readouterr()
    assert out == "ok  r/a.yml\n"
    assert err == (
        "r/b.yml:2: id: duplicate recipe id 'same': r/a.yml has it too; rename one of them\n"
    )


def due(weekday: int) -> str:
    """What `recipes list` says of a recipe due on ``weekday`` (Monday 0), from today (UTC)."""
    today = datetime.now(UTC).date()
    days = (weekday - today.weekday()) % 7
    return "today" if days == 0 else f"{today + timedelta(days):%a %Y-%m-%d}"


def test_list_shows_builtins_and_repo_overrides(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = cwd / "repo"
    write(repo / ".nightcrew/recipes/beta.yml", GOOD.format(id="beta", title="Beta tuned"))
    write(
        repo / "more/gamma.yml",
        GOOD.format(id="gamma", title="Gamma").replace("@weekly", "0 3 * * 1"),
    )
    write(repo / ".github/nightcrew.yml", "version: 1\nrecipe_dirs: [.nightcrew/recipes, more]\n")
    assert main(["recipes", "list", "--repo", "repo"]) == 0
    sunday, monday = due(6), due(0)
    out = capsys.readouterr().out.splitlines()
    assert [re.split(r"  +", line) for line in out] == [
        ["ID", "VERSION", "SCHEDULE", "DUE", "SOURCE", "TITLE"],
        ["alpha", "1", "@weekly", sunday, "built-in", "Alpha built-in"],
        ["beta", "1", "@weekly", sunday, "repo/.nightcrew/recipes/beta.yml (replaces the built-in)",
         "Beta tuned"],
        ["gamma", "1", "0 3 * * 1", monday, "repo/more/gamma.yml", "Gamma"],
    ]  # fmt: skip
    starts = {out[1].index("Alpha"), out[0].index("TITLE"), out[2].index("Beta tuned")}
    assert len(starts) == 1  # the columns line up


def test_list_json_says_what_is_due_and_what_replaces_a_builtin(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = cwd / "repo"
    write(repo / ".nightcrew/recipes/beta.yml", GOOD.format(id="beta", title="Beta tuned"))
    write(
        repo / ".nightcrew/recipes/daily.yml",
        GOOD.format(id="daily", title="D").replace("@weekly", "@daily"),
    )
    write(repo / ".github/nightcrew.yml", "version: 1\nrecipes: [beta, daily]\n")
    assert main(["recipes", "list", "--repo", "repo", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    today = datetime.now(UTC).date()
    sunday = today + timedelta((6 - today.weekday()) % 7)
    assert data == {
        "recipes": [
            {
                "id": "alpha",
                "version": 1,
                "title": "Alpha built-in",
                "schedule": "@weekly",
                "enabled": False,
                "due_today": sunday == today,
                "next_due": sunday.isoformat(),
                "builtin": True,
                "source": "builtin/alpha.yml",
                "replaces": None,
            },
            {
                "id": "beta",
                "version": 1,
                "title": "Beta tuned",
                "schedule": "@weekly",
                "enabled": True,
                "due_today": sunday == today,
                "next_due": sunday.isoformat(),
                "builtin": False,
                "source": "repo/.nightcrew/recipes/beta.yml",
                "replaces": "builtin/beta.yml",
            },
            {
                "id": "daily",
                "version": 1,
                "title": "D",
                "schedule": "@daily",
                "enabled": True,
                "due_today": True,
                "next_due": today.isoformat(),
                "builtin": False,
                "source": "repo/.nightcrew/recipes/daily.yml",
                "replaces": None,
            },
        ],
        "errors": [],
    }


def test_list_goes_on_past_a_bad_repo_recipe_and_exits_2(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(cwd / ".nightcrew/recipes/x.yml", "id: [\n")
    write(cwd / ".nightcrew/recipes/y.yml", GOOD.format(id="y", title="Y").replace("C414", "C4199"))
    write(cwd / ".nightcrew/recipes/mine.yml", GOOD.format(id="mine", title="Mine"))
    assert main(["recipes", "list"]) == 2
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()] == ["ID", "alpha", "beta", "mine"]
    assert err.splitlines() == [
        "nightcrew: error: .nightcrew/recipes/x.yml:2: invalid YAML: "
        + err.split("YAML: ")[1].splitlines()[0],
        "nightcrew: error: .nightcrew/recipes/y.yml:8: find.ruff.select[0]: unknown rule 'C4199'"
        " (did you mean C419?)",
    ]
    assert main(["recipes", "list", "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in data["recipes"]] == ["alpha", "beta", "mine"]
    assert [(e["file"], e["line"], e["field"]) for e in data["errors"]] == [
        (".nightcrew/recipes/x.yml", 2, None),
        (".nightcrew/recipes/y.yml", 8, "find.ruff.select[0]"),
    ]


def test_list_with_a_bad_config_lists_the_builtins_and_exits_2(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(cwd / ".github/nightcrew.yml", "version: 1\nrecipes: [alpha, nope]\n")
    assert main(["recipes", "list"]) == 2
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()] == ["ID", "alpha", "beta"]
    assert err.startswith("nightcrew: error: .github/nightcrew.yml:2: recipes[1]: unknown recipe")


def test_list_from_a_subfolder_finds_the_checkouts_recipes(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(
        cwd / "repo", {".nightcrew/recipes/mine.yml": GOOD.format(id="mine", title="M")}
    )
    (repo / "src/deep").mkdir(parents=True)
    assert main(["recipes", "list", "--repo", "repo/src/deep"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == [
        "ID", "alpha", "beta", "mine"
    ]  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "recipes", "list", "--json"],
        cwd=repo / "src/deep",
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    mine = [r for r in json.loads(proc.stdout)["recipes"] if not r["builtin"]]
    assert [(r["id"], r["source"]) for r in mine] == [
        ("mine", str(repo / ".nightcrew/recipes/mine.yml"))
    ]


def test_list_missing_repo(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recipes", "list", "--repo", "nowhere"]) == 2
    assert capsys.readouterr().err == "nightcrew: error: nowhere: no such folder (check --repo)\n"


def test_schema_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recipes", "schema"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == validation.recipe_schema()
    committed = Path(validation.__file__).with_name("schema.json").read_text(encoding="utf-8")
    assert out == committed
