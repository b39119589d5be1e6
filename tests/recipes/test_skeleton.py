"""`nightcrew recipes new`: the skeleton validates and tests green, where the night finds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.globs import in_scope
from bot.recipes.loader import discover, load_recipe
from bot.recipes.skeleton import skeleton
from tests.recipes import write


def test_new_writes_a_recipe_the_night_finds_and_that_passes(
    make_repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo("proj", {"pkg/mod.py": "X = 1\n"})
    monkeypatch.chdir(repo / "pkg")  # from a subfolder: written at the checkout's top
    assert main(["recipes", "new", "no-negated-tests"]) == 0
    target = repo / ".nightcrew/recipes/no-negated-tests.yml"
    assert target.is_file()
    assert capsys.readouterr().out.startswith(f"wrote {target}\n")
    monkeypatch.chdir(repo)
    assert main(["recipes", "validate", str(target)]) == 0
    out, err = capsys.readouterr()
    assert out == f"ok  {Path('.nightcrew/recipes/no-negated-tests.yml')}\n"
    assert err == ""  # its scope takes pkg/mod.py: no warning
    assert main(["recipes", "test", str(target)]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("3 passed, 0 failed"), out
    assert "no-negated-tests" in {r.id for r in discover(repo)}


def test_the_skeletons_fixtures_lie_in_its_scope(tmp_path: Path) -> None:
    recipe = load_recipe(write(tmp_path, "x.yml", skeleton("x", "x.yml")))
    assert recipe.tests and all(
        in_scope(case.path, recipe.include, recipe.exclude) for case in recipe.tests
    )
    assert {case.path for case in recipe.tests} == {"example.py"}


def test_new_follows_the_configs_recipe_dirs(make_repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(
        "proj", {".github/nightcrew.yml": "version: 1\nrecipe_dirs: [tools/recipes]\n"}
    )
    assert main(["recipes", "new", "mine", "--repo", str(repo)]) == 0
    assert (repo / "tools/recipes/mine.yml").is_file()
    assert not (repo / ".nightcrew").exists()


def test_new_with_out_writes_that_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "elsewhere" / "mine.yml"
    assert main(["recipes", "new", "mine", "--out", str(out)]) == 0
    assert load_recipe(out).id == "mine"


def test_new_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = write(tmp_path, "mine.yml", "# my work\n")
    assert main(["recipes", "new", "mine", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "# my work\n"


def test_new_refuses_an_id_another_file_of_the_folder_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / ".nightcrew/recipes"
    assert main(["recipes", "new", "mine", "--out", str(folder / "mine.yml")]) == 0
    assert main(["recipes", "new", "mine", "--out", str(folder / "other.yml")]) == 2
    assert "already has the id 'mine'" in capsys.readouterr().err
    assert not (folder / "other.yml").exists()


@pytest.mark.parametrize("bad", ["My-Recipe", "dots.in.id", "with space", "under_score", "a" * 65])
def test_new_refuses_an_invalid_id_with_the_rule(
    bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["recipes", "new", bad, "--repo", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"ID: {bad!r} is not a valid id: use lowercase letters, digits and dashes" in err
    assert not (tmp_path / ".nightcrew").exists()
