"""`nightcrew recipes list | validate | schema` through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.recipes import loader, validation

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
    assert capsys.readouterr().out.splitlines() == [
        "ID     VERSION  SCHEDULE   SOURCE                            TITLE",
        "alpha  1        @weekly    built-in                          Alpha built-in",
        "beta   1        @weekly    repo/.nightcrew/recipes/beta.yml  Beta tuned",
        "gamma  1        0 3 * * 1  repo/more/gamma.yml               Gamma",
    ]


def test_list_with_a_bad_repo_recipe_exits_2(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(cwd / ".nightcrew/recipes/x.yml", "id: [\n")
    assert main(["recipes", "list"]) == 2
    assert capsys.readouterr().err.startswith(
        "nightcrew: error: .nightcrew/recipes/x.yml:2: invalid YAML"
    )


def test_list_missing_repo(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recipes", "list", "--repo", "nowhere"]) == 2
    assert capsys.readouterr().err == "nightcrew: error: nowhere: no such folder (check --repo)\n"


def test_schema_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recipes", "schema"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == validation.recipe_schema()
    committed = Path(validation.__file__).with_name("schema.json").read_text(encoding="utf-8")
    assert out == committed
