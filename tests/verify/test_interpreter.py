"""Which Python runs the tests: the order, real virtualenvs, and named ones that cannot run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from bot.config import RepoConfig
from bot.errors import UserError
from bot.verify.interpreter import Interpreter, Source, choose_interpreter
from tests.conftest import make_venv

OWN = sys.executable


@pytest.fixture
def venvs(tmp_path: Path) -> dict[str, Path]:
    """A repository root with both .venv/ and venv/, plus an active and a named venv."""
    top = tmp_path / "repo"
    top.mkdir()
    made = {
        name: make_venv(where, sites=())
        for name, where in {
            "flag": tmp_path / "flag",
            "config": tmp_path / "config",
            "active": tmp_path / "active",
            ".venv": top / ".venv",
            "venv": top / "venv",
        }.items()
    }
    return {"top": top, **made}


def choose(
    venvs: dict[str, Path],
    *,
    flag: str | None = None,
    config: str | None = None,
    active: bool = False,
) -> Interpreter:
    env = {"PATH": os.defpath}
    if active:
        env["VIRTUAL_ENV"] = str(venvs["active"].parent.parent)
    return choose_interpreter(flag, RepoConfig(python=config), env, venvs["top"], own=OWN)


def test_the_order_flag_config_active_dot_venv_venv_own(venvs):
    everything = {"flag": str(venvs["flag"]), "config": str(venvs["config"]), "active": True}
    assert choose(venvs, **everything).source is Source.FLAG
    del everything["flag"]
    assert choose(venvs, **everything).path == str(venvs["config"])
    del everything["config"]
    chosen = choose(venvs, **everything)
    assert (chosen.path, chosen.why) == (str(venvs["active"]), "the activated virtualenv")
    chosen = choose(venvs)
    assert (chosen.path, chosen.why) == (str(venvs[".venv"]), "the repository's .venv")
    (venvs["top"] / ".venv" / "bin" / "python").unlink()
    assert choose(venvs).why == "the repository's venv"
    (venvs["top"] / "venv" / "bin" / "python").unlink()
    own = choose(venvs)
    assert (own.path, own.source, own.prefix) == (OWN, Source.NIGHTCREW, sys.prefix)


def test_what_a_venv_is_made_of(venvs):
    chosen = choose(venvs, active=True)
    venv = str(venvs["active"].parent.parent)
    assert chosen.venv == venv
    assert chosen.version == ".".join(map(str, sys.version_info[:3]))
    assert chosen.base_prefix == sys.base_prefix
    assert chosen.describe() == f"{venvs['active']} (the activated virtualenv)"
    assert Path(venv) in chosen.sandbox_keep() and Path(sys.base_prefix) in chosen.sandbox_keep()
    assert chosen.to_json()["source"] == "virtual-env"
    # The tests see the chosen venv as the active one, whatever was active before.
    assert chosen.environment({"VIRTUAL_ENV": "/elsewhere", "A": "1"}) == {
        "VIRTUAL_ENV": venv,
        "A": "1",
    }
    plain = Interpreter("/usr/bin/python3", Source.FLAG, "--python", "3.11.2", "/usr", "/usr")
    assert plain.venv is None
    assert plain.environment({"VIRTUAL_ENV": "/elsewhere"}) == {}


def test_an_active_venv_without_a_python_is_passed_over(venvs, tmp_path):
    env = {"PATH": os.defpath, "VIRTUAL_ENV": str(tmp_path / "gone")}
    chosen = choose_interpreter(None, RepoConfig(), env, venvs["top"], own=OWN)
    assert chosen.source is Source.REPO_VENV


def test_a_venv_folder_a_relative_path_and_a_program_on_path(venvs, tmp_path):
    folder = str(venvs["flag"].parent.parent)
    assert choose(venvs, flag=folder).path == str(venvs["flag"])
    # python: is relative to the repository root
    assert choose(venvs, config="venv/bin/python").path == str(venvs["venv"])
    assert choose(venvs, config="venv").path == str(venvs["venv"])
    env = {"PATH": str(venvs["config"].parent)}
    found = choose_interpreter("python", RepoConfig(), env, venvs["top"], own=OWN)
    assert found.path == str(venvs["config"])
    home = {"PATH": os.defpath, "HOME": str(tmp_path)}
    via_home = choose_interpreter("~/flag/bin/python", RepoConfig(), home, venvs["top"])
    assert via_home.path == str(venvs["flag"])


def _script(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("missing/bin/python", "'missing/bin/python' does not exist"),
        ("no-such-python-xyz", "'no-such-python-xyz' is not a program on PATH"),
        ("plain.txt", "'plain.txt' is not an executable file"),
        ("empty-folder", "'empty-folder' is a folder without bin/python"),
        ("fails.sh", "is not a working Python interpreter (exit 3: no such module)"),
        ("true.sh", "is not a working Python interpreter (exit 0)"),
    ],
)
def test_a_named_python_that_cannot_run_is_bad_input(tmp_path, monkeypatch, given, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plain.txt").write_text("x")
    (tmp_path / "empty-folder").mkdir()
    _script(tmp_path / "fails.sh", "#!/bin/sh\necho 'no such module' >&2\nexit 3\n")
    _script(tmp_path / "true.sh", "#!/bin/sh\nexit 0\n")
    env = {"PATH": os.defpath}
    with pytest.raises(UserError) as flag:
        choose_interpreter(given, RepoConfig(), env, tmp_path)
    assert flag.value.field == "--python"
    assert message in flag.value.message
    config = RepoConfig(python=given, python_line=4, source=tmp_path / ".github" / "nightcrew.yml")
    with pytest.raises(UserError) as field:
        choose_interpreter(None, config, env, tmp_path)
    assert (field.value.file, field.value.line, field.value.field) == (
        ".github/nightcrew.yml",
        4,
        "python",
    )
    assert message in field.value.message


def test_a_found_venv_whose_python_cannot_run_stops_the_night(tmp_path):
    top = tmp_path / "repo"
    (top / ".venv" / "bin").mkdir(parents=True)
    _script(top / ".venv" / "bin" / "python", "#!/bin/sh\nexit 1\n")
    with pytest.raises(UserError) as caught:
        choose_interpreter(None, RepoConfig(), {"PATH": os.defpath}, top)
    text = str(caught.value)
    assert "(the repository's .venv) is not a working Python interpreter" in text
    assert "recreate that virtualenv, or pass --python" in text
