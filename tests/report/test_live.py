"""`nightcrew run`'s progress as a person sees it: live on a terminal, plain lines elsewhere.

Each test runs the real command in a subprocess on a small real repository with two fixes,
its stderr on a pseudo-terminal or a pipe (issue 13, item 6).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shlex
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from bot.report.live import in_ci, on_terminal
from tests.conftest import ROOT, git
from tests.test_night_cli import FILES

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
STAMPED = re.compile(r"^\d\d:\d\d:\d\d nightcrew: ")


def environment(**changes: str) -> dict[str, str]:
    """This process's environment without what decides on colour or CI, plus ``changes``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS", "LINES")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env | changes


def argv(repo: Path, *extra: str) -> list[str]:
    out = repo.parent / "out"
    return [sys.executable, "-m", "bot.cli", "run", "--repo", str(repo), "--out", str(out),
            "--recipe", "unnecessary-copies", *extra]  # fmt: skip


def on_pty(args: list[str], env: dict[str, str], timeout: float = 240) -> tuple[int, str]:
    """Run ``args`` with stderr on a 120x40 pseudo-terminal; its exit status and what it drew."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=follower, env=env
    )
    os.close(follower)
    seen = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        else:
            process.kill()
            pytest.fail("the night did not end in time")
        return process.wait(timeout=30), seen.decode("utf-8", errors="replace")
    finally:
        os.close(leader)


def plain(text: str) -> str:
    """What was drawn, without escapes; a redraw (a carriage return) starts a new line."""
    return ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


def test_on_a_terminal_a_live_display_shows_phase_counts_runs_and_time(make_repo):
    repo = make_repo(files=FILES)
    code, drawn = on_pty(argv(repo, "--json"), environment(TERM="xterm-256color"))
    assert code == 0, drawn[-3000:]
    assert ANSI.search(drawn), "no colour and no redrawing: not the live display"
    text = plain(drawn)
    # The status block, redrawn as the night goes: phase, a bar of findings, counts, time.
    for phase in ("setup", "fix"):
        assert re.search(rf"^. {phase} .*elapsed \d+:\d\d:\d\d", text, re.MULTILINE), phase
    assert re.search(r"0/2 findings", text)
    assert re.search(r"~\d+:\d\d:\d\d to go", text), "no estimate of the time left"
    assert re.search(
        r"0 verified · 0 rejected · 0 skipped · 2 left │ \d test runs?, 1 running", text
    )
    # Its last state stays on the screen.
    assert re.search(r"✔ done .*2/2 findings\s+elapsed", text)
    # Fixes first: the group's one run passed, so the base commit ran nothing.
    assert re.search(r"2 verified · 0 rejected · 0 skipped · 0 left │ 1 test run$", text, re.M)
    # The night's lines scroll above it, with the time.
    assert re.search(r"\d\d:\d\d:\d\d test run 1 \(group\): `python -m pytest -q` — 2 fixes:", text)
    assert "(baseline)" not in text
    assert re.search(r"\d\d:\d\d:\d\d verified pkg/core.py:9 ruff:C414 -> nightcrew/", text)
    # With --json the report is on stdout; what to do next comes after the display.
    assert text.index("Next steps:") > text.rindex("✔ done")


def test_off_a_terminal_plain_timestamped_lines_one_per_test_run(make_repo, tmp_path):
    repo = make_repo(files=FILES)
    done = subprocess.run(
        argv(repo), env=environment(TERM="xterm-256color"), capture_output=True, text=True,
        timeout=240, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stderr + done.stdout
    lines = done.stderr.splitlines()
    assert lines and all(STAMPED.match(line) for line in lines), lines
    data = json.loads((repo.parent / "out" / "report.json").read_text(encoding="utf-8"))
    runs = [line for line in lines if re.search(r"nightcrew: test run \d+ ", line)]
    assert len(runs) == len(data["test_runs"]) == 1  # fixes first: no baseline was needed
    assert runs[0].endswith(
        "test run 1 (group): `python -m pytest -q` — 2 fixes: "
        "pkg/core.py:4 nightcrew:list-concat-in-loop, pkg/core.py:9 ruff:C414"
    )
    # The group run is announced before it starts: no silent gap while it runs.
    planned = next(i for i, line in enumerate(lines) if "verifying 2 fix(es) in 1 test run" in line)
    assert (
        planned
        < lines.index(runs[0])
        < min(i for i, line in enumerate(lines) if "nightcrew: verified " in line)
    )
    # The summary and the next steps, on stdout after the report, name tonight's own work.
    steps = done.stdout[done.stdout.index("Tonight: 2 verified") :]
    branch, patch = data["branches"][0], data["fixes"][0]["patch"]
    assert Path(patch).is_file() and patch in steps and branch in steps
    assert "docs/github.md" in steps and str(repo.parent / "out" / "report.md") in steps
    # ... and they work as printed.
    look = next(line for line in steps.splitlines() if "Look at a fix:" in line)
    shown = subprocess.run(
        shlex.split(look.split(":", 1)[1]), capture_output=True, text=True, check=True
    )
    assert "+        out.append(item * 2)" in shown.stdout
    apply = next(line for line in steps.splitlines() if "Apply its patch:" in line)
    git(repo, "apply", "--check", shlex.split(apply.split(":", 1)[1])[-1])


def test_in_ci_a_terminal_gets_plain_lines(make_repo):
    repo = make_repo(files=FILES)
    code, drawn = on_pty(argv(repo, "--json"), environment(TERM="xterm-256color", CI="true"))
    assert code == 0, drawn[-3000:]
    assert "\x1b" not in drawn
    lines = [line for line in drawn.replace("\r", "").splitlines() if line]
    progress = lines[: lines.index(next(line for line in lines if line.startswith("Tonight:")))]
    assert progress and all(STAMPED.match(line) for line in progress), progress
    assert sum(" nightcrew: test run " in line for line in progress) == 1  # no baseline needed


def test_quiet_says_nothing_on_a_terminal(make_repo):
    repo = make_repo(files=FILES)
    code, drawn = on_pty(argv(repo, "--json", "--quiet"), environment(TERM="xterm-256color"))
    assert code == 0
    assert drawn == ""
    assert len(git(repo, "branch", "--list", "nightcrew/*").split()) == 2


@pytest.mark.parametrize(
    ("value", "ci"),
    [("", False), ("true", True), ("1", True), ("yes", True), ("false", False), ("0", False)],
)
def test_ci_is_the_ci_variable_set(value, ci):
    assert in_ci({"CI": value}) is ci
    assert in_ci({}) is False


def test_a_terminal_is_a_tty_that_can_draw():
    leader, follower = os.openpty()
    with open(follower, "w") as tty, open(os.devnull, "w") as null:
        assert on_terminal(tty, {"TERM": "xterm"})
        assert not on_terminal(tty, {"TERM": "dumb"})
        assert not on_terminal(tty, {"TERM": "xterm", "CI": "true"})
        assert not on_terminal(null, {"TERM": "xterm"})
    os.close(leader)
