"""The first night on a real repository: the project's Python runs its tests, a broken suite
stops the night before any fix is tried. Real repositories, real virtualenvs, real nights."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ruff import find_ruff_bin

from bot.cli import main
from tests.conftest import ROOT, SHARED_SITE, git, make_venv, needs_bwrap, venv_site

CORE = """\
def collect(items):
    out = []
    for item in items:
        out = out + [item * 2]
    return out
"""
# `projdep` is in the project's virtualenv only: Nightcrew's own Python cannot run this suite.
TESTS = """\
import projdep
from pkg.core import collect


def test_collect():
    assert collect([1, 2]) == [2, 4]


def test_the_projects_dependency():
    assert projdep.MARK == "project"
"""
FILES = {
    "pkg/__init__.py": "",
    "pkg/core.py": CORE,
    "tests/test_core.py": TESTS,
    ".gitignore": ".venv/\nvenv/\n",
}
PROJDEP = {"projdep.py": 'MARK = "project"\n'}


@pytest.fixture(autouse=True)
def no_active_venv(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever venv runs these tests, the nights below start with none active."""
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)


def run(repo: Path, *args: str) -> int:
    out = repo.parent / "out"
    recipe = ("--recipe", "unnecessary-copies")
    return main(["run", "--repo", str(repo), "--out", str(out), "--json", *recipe, *args])


def untimed(err: str) -> list[str]:
    """Progress lines without the time each begins with."""
    return [re.sub(r"^\d\d:\d\d:\d\d ", "", line) for line in err.splitlines()]


def night(capsys: pytest.CaptureFixture[str]) -> tuple[dict, list[str]]:
    captured = capsys.readouterr()
    return json.loads(captured.out), untimed(captured.err)


def branches(repo: Path) -> list[str]:
    return git(repo, "branch", "--list", "nightcrew/*").split()


def assert_verified_with(repo: Path, data: dict, err: list[str], python: Path, why: str) -> None:
    """One verified fix, tested by ``python``: the report, the first progress line, the commit."""
    assert [f["status"] for f in data["fixes"]] == ["verified"], data["fixes"]
    said = f"{python} ({why})"
    assert err[0] == f"nightcrew: tests run with {said}"
    assert data["python"]["path"] == str(python)
    assert data["python"]["why"] == why
    markdown = (Path(data["out_dir"]) / "report.md").read_text(encoding="utf-8")
    assert f"Python: `{python}` ({why}" in markdown
    message = git(repo, "log", "-1", "--format=%B", data["branches"][0])
    assert f"tests ran with {said}" in message


# --------------------------------------------------------------------------- which Python


@pytest.mark.parametrize("name", [".venv", "venv"])
def test_a_venv_at_the_root_not_activated_runs_the_tests(make_repo, capsys, name):
    repo = make_repo(files=FILES)
    python = make_venv(repo / name, modules=PROJDEP)
    assert run(repo) == 0
    data, err = night(capsys)
    assert_verified_with(repo, data, err, python, f"the repository's {name}")
    assert data["python"]["source"] == "repo-venv"
    assert data["python"]["venv"] == str(repo / name)


def test_an_activated_venv_runs_the_tests(make_repo, tmp_path, capsys, monkeypatch):
    repo = make_repo(files=FILES)
    python = make_venv(tmp_path / "elsewhere", modules=PROJDEP)
    make_venv(repo / ".venv")  # the activated one wins over it
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "elsewhere"))
    assert run(repo) == 0
    data, err = night(capsys)
    assert_verified_with(repo, data, err, python, "the activated virtualenv")


@pytest.mark.parametrize("how", ["flag", "flag-folder", "config", "flag-over-config"])
def test_python_flag_and_config_win(make_repo, tmp_path, capsys, monkeypatch, how):
    chosen = make_venv(tmp_path / "chosen", modules=PROJDEP)
    other = make_venv(tmp_path / "other")  # pytest, but not projdep
    config = {
        "config": f"version: 1\npython: {chosen}\n",
        "flag-over-config": f"version: 1\npython: {other}\n",
    }.get(how)
    repo = make_repo(files={**FILES, **({".github/nightcrew.yml": config} if config else {})})
    make_venv(repo / ".venv")  # pytest, but not projdep
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "other"))
    monkeypatch.chdir(repo)  # the config is named as seen from here
    args = {
        "flag": ["--python", str(chosen)],
        "flag-folder": ["--python", str(tmp_path / "chosen")],
        "flag-over-config": ["--python", str(chosen)],
    }.get(how, [])
    assert run(repo, *args) == 0
    data, err = night(capsys)
    why = "`python:` in .github/nightcrew.yml" if how == "config" else "--python"
    assert_verified_with(repo, data, err, chosen, why)
    assert data["python"]["source"] == ("config" if how == "config" else "flag")


def test_a_relative_python_flag_is_taken_from_the_current_directory(
    make_repo, tmp_path, capsys, monkeypatch
):
    repo = make_repo(files=FILES)
    chosen = make_venv(tmp_path / "chosen", modules=PROJDEP)
    monkeypatch.chdir(tmp_path)
    assert run(repo, "--python", "chosen/bin/python") == 0
    data, _err = night(capsys)
    assert data["python"]["path"] == str(chosen)


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (("--python", "/nonexistent/bin/python"), None, "--python: '/nonexistent/bin/python' does"),
        (("--python", "/bin/true"), None, "--python: /bin/true is not a working Python"),
        ((), "version: 1\npython: nope/bin/python\n", ".github/nightcrew.yml:2: python: 'nope/bin"),
        ((), "version: 1\npython: ''\n", ".github/nightcrew.yml:2: python:"),
    ],
    ids=["flag-missing", "flag-not-python", "config-missing", "config-empty"],
)
def test_a_python_that_cannot_run_is_bad_input(
    make_repo, capsys, monkeypatch, args, config, message
):
    files = {**FILES, **({".github/nightcrew.yml": config} if config else {})}
    repo = make_repo(files=files)
    monkeypatch.chdir(repo)
    assert run(repo, *args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert branches(repo) == []
    assert not (repo.parent / "out" / "logs").exists()  # before any test ran


# ------------------------------------------------------- Nightcrew's own Python has no pytest


@pytest.fixture(scope="module")
def nightcrew_without_pytest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Nightcrew as pipx installs it: a venv with its dependencies and none of pytest."""
    root = tmp_path_factory.mktemp("pipx")
    deps = root / "deps"
    deps.mkdir()
    for entry in SHARED_SITE.iterdir():
        name = entry.name.lower()
        if name.startswith(("pytest", "_pytest", "py.py", "bot", "nightcrew", "_editable")) or (
            name.endswith(".pth")
        ):
            continue
        (deps / entry.name).symlink_to(entry)
    python = make_venv(root / "venv", sites=(deps,))
    (root / "venv" / "bin" / "ruff").symlink_to(find_ruff_bin())
    return python


def nightcrew(python: Path, repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    out = repo.parent / "out"
    command = ["run", "--repo", str(repo), "--out", str(out), "--json"]
    return subprocess.run(
        [str(python), "-m", "bot.cli", *command, "--recipe", "unnecessary-copies"],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=600,
        check=False,
    )


def test_nightcrew_without_pytest_tests_with_the_activated_project_venv(
    nightcrew_without_pytest, make_repo, tmp_path
):
    python = nightcrew_without_pytest
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    probe = "import bot.cli, git, ruff, yaml\nimport pytest"
    missing = subprocess.run(
        [str(python), "-c", probe], env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True
    )
    assert b"No module named 'pytest'" in missing.stderr, "the venv must lack only pytest"
    assert venv_site(python.parent.parent) != SHARED_SITE

    # Not activated: tonight Nightcrew's own interpreter would run the tests; it cannot.
    repo = make_repo(files=FILES)
    alone = nightcrew(python, repo, env)
    assert alone.returncode == 2, alone.stderr
    assert f"{python}: No module named pytest" in alone.stderr
    assert "(Nightcrew's own interpreter)" in alone.stderr
    assert branches(repo) == []

    # The project's venv activated, as `source .venv/bin/activate` does.
    project = tmp_path / "project-venv"
    project_python = make_venv(project, modules=PROJDEP)
    active = {**env, "VIRTUAL_ENV": str(project), "PATH": f"{project / 'bin'}:{env['PATH']}"}
    done = nightcrew(python, repo, active)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [f["status"] for f in data["fixes"]] == ["verified"]
    assert data["python"]["path"] == str(project_python)
    first = untimed(done.stderr)[0]
    assert first == f"nightcrew: tests run with {project_python} (the activated virtualenv)"
    assert len(branches(repo)) == 1


@needs_bwrap
def test_a_venv_under_a_hidden_folder_is_seen_read_only_in_the_sandbox(
    make_repo, tmp_path, capsys, monkeypatch
):
    read_only = (
        "import sys\nfrom pathlib import Path\n\n\ndef test_the_venv_is_read_only():\n"
        "    try:\n        (Path(sys.prefix) / 'planted.py').write_text('x')\n"
        "    except OSError:\n        return\n"
        "    raise AssertionError('code under test wrote into the venv')\n"
    )
    repo = make_repo(
        files={
            **FILES,
            "tests/test_venv.py": read_only,
            ".github/nightcrew.yml": "version: 1\nsandbox: {mode: required}\n",
        }
    )
    runner_temp = tmp_path / "runner-temp"  # hidden from code under test, as on Actions
    python = make_venv(runner_temp / "venv", modules=PROJDEP)
    monkeypatch.setenv("RUNNER_TEMP", str(runner_temp))
    monkeypatch.setenv("VIRTUAL_ENV", str(runner_temp / "venv"))
    assert run(repo) == 0
    data, err = night(capsys)
    assert data["sandbox"].startswith("bubblewrap")
    assert_verified_with(repo, data, err, python, "the activated virtualenv")
    assert not (runner_temp / "venv" / "planted.py").exists()


# --------------------------------------------------------------------------- broken suites

BROKEN = {
    "missing-dependency": (
        {"tests/test_core.py": "import whatever_missing_xyz\n\n\ndef test_a():\n    pass\n"},
        "First error: ModuleNotFoundError: No module named 'whatever_missing_xyz'.",
    ),
    "conftest-import": (
        {"tests/conftest.py": "import whatever_missing_xyz\n"},
        "First error: ModuleNotFoundError: No module named 'whatever_missing_xyz'.",
    ),
    "collects-nothing": (
        {"tests/test_core.py": "def helper():\n    return 1\n"},
        "`python -m pytest -q` ran no tests",
    ),
    "every-test-fails": (
        {"tests/test_core.py": "def test_a():\n    assert 1 == 2\n\n\ndef test_b():\n    x\n"},
        "no test of `python -m pytest -q` passes (2 failing, 0 skipped)",
    ),
    "other-command-fails": (
        {".github/nightcrew.yml": "version: 1\ntest_command: python -c 'raise SystemExit(3)'\n"},
        "already fails on the base commit (exit 3)",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_suite_stops_the_night_before_any_fix_is_published(make_repo, capsys, case):
    files, said = BROKEN[case]
    repo = make_repo(files={**FILES, "tests/test_core.py": "def test_ok():\n    pass\n", **files})
    assert run(repo) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    message = err.splitlines()[-1]
    assert message.startswith("nightcrew: error: the test suite cannot verify any fix: ")
    assert said in message
    assert f"ran with {sys.executable} (Nightcrew's own interpreter)" in message
    assert "No fix was published: " in message
    next_step = "set `test_command`" if case == "collects-nothing" else "or pass --python"
    assert next_step in message.split("No fix was published: ")[1]
    # Fixes first: the group's run could not be judged, so the full baseline ran, and
    # stopped the night.
    logs = sorted((repo.parent / "out" / "logs").glob("*.log"))
    (baseline,) = [p for p in logs if p.name.startswith("baseline-")]
    assert len(logs) == 2
    assert f"its log: {baseline}" in message
    assert branches(repo) == []
    assert len(git(repo, "worktree", "list").splitlines()) == 1


def test_a_missing_dependency_says_to_install_it_into_the_interpreter(make_repo, capsys):
    repo = make_repo(files={**FILES, "tests/test_core.py": "import whatever_missing_xyz\n"})
    assert run(repo) == 2
    message = capsys.readouterr().err.splitlines()[-1]
    assert f"install the test dependencies into it (`{sys.executable} -m pip install" in message


def test_a_suite_with_only_some_tests_failing_goes_on(make_repo, tmp_path, capsys):
    broken = "def test_already_broken():\n    assert 1 == 2\n"
    repo = make_repo(files={**FILES, "tests/test_broken.py": broken})
    make_venv(repo / ".venv", modules=PROJDEP)
    assert run(repo) == 0
    data, _err = night(capsys)
    assert [f["status"] for f in data["fixes"]] == ["verified"]
    assert data["test_runs"][0]["failed"] == ["tests.test_broken::test_already_broken"]
