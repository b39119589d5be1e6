"""The code an agent writes runs sandboxed: it cannot hand the Claude key back to the model.

This replays the leak an audit found: an agent (here the scripted "model", as a prompt
injection would steer it) edits the code to read every ``/proc/<pid>/environ`` it can and
fail loudly with what it found, then calls ``run_checks``, whose output goes back to the
model. ``nightcrew run`` runs as its own process with ``ANTHROPIC_API_KEY`` in its
environment, as on Actions. Sandboxed, the key never reaches the Messages API; with the
sandbox disabled, the same night does leak it (the control that shows the probe works).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import night
from bot.report import progress
from tests.conftest import git, init_repo, needs_bwrap
from tests.fakes.messages_api import FakeMessagesAPI, Request, reply, tool_use

KEY = "sk-ant-test-7f3a9c-the-night-key"
CALC = """\
def total(items):
    snapshot = list(items)
    return sum(snapshot)
"""
TESTS = """\
from pkg.calc import total


def test_total():
    assert total([1, 2, 3]) == 6
"""
# What the steered agent adds: read every process's environment, fail with any key found,
# reversed so that redacting known secret values from the output cannot catch it.
LEAK = """\
import glob as _glob

for _path in _glob.glob("/proc/*/environ"):
    try:
        with open(_path, "rb") as _file:
            _data = _file.read()
    except OSError:
        continue
    if b"sk-ant-" in _data:
        _at = _data.index(b"sk-ant-")
        raise RuntimeError("FOUND " + _data[_at : _at + 40].split(b"\\0")[0].decode()[::-1])


"""


def leaking_agent(request: Request) -> dict:
    if request.turn == 0:
        edit = {"path": "pkg/calc.py", "old_text": "def total(items):\n"}
        return reply(tool_use("edit_file", **edit, new_text=LEAK + "def total(items):\n"))
    if request.turn == 1:
        return reply(tool_use("run_checks"))
    return reply(tool_use("finish", summary="Removed the copy."))


def run_night(tmp_path: Path, sandbox_mode: str) -> tuple[FakeMessagesAPI, dict]:
    config = f"version: 1\nsandbox: {{mode: {sandbox_mode}}}\ntest_command: python -m pytest -q\n"
    repo = init_repo(
        tmp_path / "repo",
        {
            "pkg/__init__.py": "",
            "pkg/calc.py": CALC,
            "tests/test_calc.py": TESTS,
            ".github/nightcrew.yml": config,
        },
    )
    with FakeMessagesAPI(leaking_agent) as fake:
        env = {**os.environ, "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": fake.url}
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
    return fake, json.loads(done.stdout)


def sent(fake: FakeMessagesAPI) -> str:
    return "\n".join(json.dumps(r.body) for r in fake.requests)


@needs_bwrap
def test_sandboxed_checks_cannot_read_the_key_from_an_ancestor(tmp_path: Path) -> None:
    fake, report = run_night(tmp_path, "auto")
    assert report["sandbox"].startswith("bubblewrap")
    fixer = [r for r in fake.requests if "write_test" not in r.tool_names]  # not the refuter's
    assert len(fixer) == 3  # edit, run_checks, finish: the agent really ran its checks
    checks = fake.requests[2].tool_results[0]["content"]
    assert "passed" in checks  # nothing found to raise with
    assert KEY not in sent(fake) and KEY[::-1] not in sent(fake)
    assert not any("FOUND" in r["content"] for q in fake.requests for r in q.tool_results)
    # The engine's own verification ran the same code in the sandbox too, and says so.
    assert KEY not in json.dumps(report)
    (fix,) = report["fixes"]
    assert fix["status"] == "verified", fix
    assert "tests ran in a sandbox: bubblewrap: no network" in fix["reason"]


def test_without_the_sandbox_the_same_night_leaks_the_key(tmp_path: Path) -> None:
    """The control: the probe works, so the test above would fail without the sandbox."""
    fake, report = run_night(tmp_path, "disabled")
    assert report["sandbox"].startswith("none")
    assert any(
        n["kind"] == "sandbox" and "tests run unsandboxed" in n["text"] for n in report["notes"]
    )
    assert len(fake.requests) == 3
    assert f"FOUND {KEY[::-1]}" in fake.requests[2].tool_results[0]["content"]
    (fix,) = report["fixes"]  # the engine's verification caught the leak raising, at least
    assert fix["status"] == "rejected"


# --- where the sandbox cannot run ---------------------------------------------------------------


def small_repo(tmp_path: Path, config: str) -> Path:
    return init_repo(
        tmp_path / "repo",
        {
            "pkg/__init__.py": "",
            "pkg/calc.py": CALC,
            "tests/test_calc.py": TESTS,
            ".github/nightcrew.yml": config,
        },
    )


def test_without_a_sandbox_agent_recipes_are_skipped_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = small_repo(tmp_path, "version: 1\n")
    with FakeMessagesAPI(leaking_agent) as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        monkeypatch.setenv("NIGHTCREW_BWRAP", str(tmp_path / "no-such-bwrap"))
        lines: list[str] = []
        report = night.run_night(
            night.NightOptions(
                repo,
                recipe_ids=("unnecessary-copies-deep", "unused-imports"),
                out=tmp_path / "o",
                env=dict(os.environ),
                api_key=KEY,
            ),
            lambda phase, line: lines.append(line),
        )
    assert fake.requests == []
    skipped = dict(report.recipes_skipped)
    assert "needs a sandbox for the code its agents write" in skipped["unnecessary-copies-deep"]
    assert report.recipes_searched == ["unused-imports"]  # deterministic recipes still run
    assert report.sandbox is not None and report.sandbox.startswith("none (bubblewrap could not")
    assert any(n.startswith("tests run unsandboxed") and "agent recipes are skipped" in n
               for n in map(str, report.notes))  # fmt: skip
    assert any("tests run unsandboxed" in line for line in lines)


def test_a_required_sandbox_that_cannot_run_stops_the_night_with_exit_2(tmp_path: Path) -> None:
    repo = small_repo(tmp_path, "version: 1\nsandbox:\n  mode: required\n")
    env = {**os.environ, "NIGHTCREW_BWRAP": str(tmp_path / "no-such-bwrap")}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--repo", str(repo), "--out", str(tmp_path / "o")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert ".github/nightcrew.yml:3: sandbox.mode:" in done.stderr
    assert "install bubblewrap" in done.stderr
    assert "Traceback" not in done.stderr
    assert not list((tmp_path / "o").glob("patches/*"))
    assert git(repo, "branch", "--list", "nightcrew/*") == ""


def test_disabled_sandbox_is_said_in_the_report(tmp_path: Path) -> None:
    repo = small_repo(tmp_path, "version: 1\nsandbox: {mode: disabled}\n")
    report = night.run_night(
        night.NightOptions(
            repo, recipe_ids=("unused-imports",), out=tmp_path / "o", env=dict(os.environ)
        ),
        progress.silent,
    )
    assert report.sandbox == "none (disabled by `sandbox.mode` in the config)"
    assert "sandbox: none (disabled" in report.to_markdown()


@needs_bwrap
def test_sandbox_network_setting_reaches_the_nights_sandbox(tmp_path: Path) -> None:
    repo = small_repo(tmp_path, "version: 1\nsandbox: {network: true}\n")
    report = night.run_night(
        night.NightOptions(
            repo, recipe_ids=("unused-imports",), out=tmp_path / "o", env=dict(os.environ)
        ),
        progress.silent,
    )
    assert report.sandbox == "bubblewrap: network shared, read-only filesystem, credentials hidden"
