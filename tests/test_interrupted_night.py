"""Ctrl-C and the output folder: an interrupted night exits 130 and leaves nothing running,
no worktree and no stale report; each night's folder holds only that night's report and
patches."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import EXIT_INTERRUPTED, main
from tests.conftest import ROOT, git
from tests.test_night_cli import FILES

# Each run of the suite leaves a `started-*` file in MARKS (a folder the config lets code
# under test write, sandboxed or not). With SLOW_SUITE=always every run sleeps a minute
# while it writes the time into its file: a file that stops changing is a suite that stopped.
SLOW_SUITE = """\
import os
import tempfile
import threading
import time
from pathlib import Path

MARKS = Path({marks!r})


def beat(path):
    while True:
        path.write_text(str(time.time()))
        time.sleep(0.1)


def test_slow():
    fd, name = tempfile.mkstemp(dir=MARKS, prefix="started-")
    os.close(fd)
    slow = os.environ.get("SLOW_SUITE", "")
    if slow == "always":
        threading.Thread(target=beat, args=(Path(name),), daemon=True).start()
        time.sleep(60)
"""
# Two C414 findings, verified one test run each, so that two runs go at once with --jobs 2.
EACH = """\
schema_version: 1
id: each-c414
version: 1
title: One test run per fix
description: sorted(list(x)), verified one fix at a time.
scope:
  include: ["pkg/**/*.py"]
find:
  ruff:
    select: [C414]
fix:
  unsafe: true
verify:
  mode: each
pr:
  title: "Drop a list() in {path}"
"""
MORE = "def ordered(xs):\n    return sorted(list(xs))\n"
MORE_TEST = (
    "from pkg.more import ordered\n\n\n"
    "def test_ordered():\n    assert ordered('ba') == ['a', 'b']\n"
)
INTERRUPT_WITHIN = 30  # seconds; each slow run would take 60


@pytest.fixture
def slow_repo(make_repo, tmp_path: Path) -> Path:
    marks = tmp_path / "marks"
    marks.mkdir()
    config = f"version: 1\nsandbox:\n  writable: [{str(marks)!r}]\n"
    return make_repo(
        files={
            **FILES,
            "pkg/more.py": MORE,
            "tests/test_more.py": MORE_TEST,  # a test executes the fix, as verification asks
            "tests/test_slow.py": SLOW_SUITE.format(marks=str(marks)),
            ".github/nightcrew.yml": config,
            ".nightcrew/recipes/each-c414.yml": EACH,
        }
    )


def marks_of(repo: Path) -> list[Path]:
    return sorted((repo.parent / "marks").glob("started-*"))


def start(repo: Path, out: Path, *args: str, slow: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SLOW_SUITE": slow}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--repo", str(repo), "--out", str(out), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def interrupt_after(night: subprocess.Popen[str], repo: Path, runs: int) -> tuple[str, float]:
    """SIGINT (what Ctrl-C sends) once ``runs`` suite runs have started; stderr, seconds."""
    deadline = time.monotonic() + 120
    while len(marks_of(repo)) < runs:
        assert night.poll() is None, night.communicate()[1]
        assert time.monotonic() < deadline, "the suite never started"
        time.sleep(0.05)
    time.sleep(0.5)  # well inside the suite's minute
    sent = time.monotonic()
    night.send_signal(signal.SIGINT)
    _out, err = night.communicate(timeout=120)
    return err, time.monotonic() - sent


def assert_nothing_runs(repo: Path) -> None:
    beats = {m: m.read_text() for m in marks_of(repo)}
    time.sleep(0.6)
    assert {m: m.read_text() for m in marks_of(repo)} == beats, "a suite still runs"


def branches(repo: Path) -> list[str]:
    return git(repo, "branch", "--list", "nightcrew/*").split()


def worktrees(repo: Path) -> int:
    return len(git(repo, "worktree", "list").splitlines())


@pytest.mark.slow
def test_ctrl_c_during_the_first_test_run_exits_130_and_the_next_night_works(
    slow_repo, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "out"
    monkeypatch.delenv("SLOW_SUITE", raising=False)
    assert main(["run", "--repo", str(slow_repo), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert (out / "report.json").is_file() and list((out / "patches").glob("*.patch"))
    git(slow_repo, "branch", "-D", *branches(slow_repo))
    shutil.rmtree(tmp_path / "marks")
    (tmp_path / "marks").mkdir()

    night = start(slow_repo, out, "--recipe", "unnecessary-copies", slow="always")
    err, took = interrupt_after(night, slow_repo, 1)

    assert night.returncode == EXIT_INTERRUPTED == 130, err
    assert took < INTERRUPT_WITHIN, f"Ctrl-C took {took:.0f}s"
    last = err.strip().splitlines()[-1]
    assert last.startswith("nightcrew: interrupted: "), err
    assert "no report was written" in last and "Traceback" not in err
    assert_nothing_runs(slow_repo)
    # Nothing claims to be tonight's: last night's report and patches went when it started.
    assert not (out / "report.json").exists() and not (out / "report.md").exists()
    assert list((out / "patches").glob("*.patch")) == []
    assert worktrees(slow_repo) == 1 and branches(slow_repo) == []
    assert git(slow_repo, "status", "--porcelain") == ""

    again = start(slow_repo, out, "--recipe", "unnecessary-copies", "--json", slow="")
    stdout, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    data = json.loads(stdout)
    assert [f["status"] for f in data["fixes"]] == ["verified"] * 3
    assert json.loads((out / "report.json").read_text(encoding="utf-8")) == data
    assert worktrees(slow_repo) == 1


@pytest.mark.slow
def test_ctrl_c_ends_test_runs_going_on_in_parallel(slow_repo, tmp_path):
    out = tmp_path / "out"
    night = start(slow_repo, out, "--recipe", "each-c414", "--jobs", "2", slow="always")
    err, took = interrupt_after(night, slow_repo, 2)  # the two fixes' runs, at once

    assert night.returncode == EXIT_INTERRUPTED, err
    assert took < INTERRUPT_WITHIN, f"Ctrl-C waited {took:.0f}s for the running suites"
    assert "nightcrew: interrupted" in err and "Traceback" not in err
    assert_nothing_runs(slow_repo)
    assert branches(slow_repo) == [], "an interrupted test run passed for a verified fix"
    assert worktrees(slow_repo) == 1
    assert not (out / "report.json").exists()


def patches(out: Path) -> list[str]:
    return sorted(p.name for p in (out / "patches").iterdir())


def test_each_night_keeps_only_its_own_patches_and_report(make_repo, tmp_path, capsys):
    repo = make_repo(files=FILES)
    out = tmp_path / "out"
    argv = ["run", "--repo", str(repo), "--out", str(out), "--json", "--quiet"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert len(patches(out)) == 2
    (out / "patches" / "my-notes.txt").write_text("mine", encoding="utf-8")
    (out / "mine.json").write_text("{}", encoding="utf-8")
    kept, dropped = sorted(first["branches"])
    git(repo, "branch", "-D", dropped)  # so the second night verifies that one fix again

    assert main(argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["branches"] == [dropped]
    tonight = [f["patch"] for f in second["fixes"] if f.get("patch")]
    assert [Path(p).name for p in tonight] == [f"{dropped.replace('/', '__')}.patch"]
    assert patches(out) == sorted([Path(tonight[0]).name, "my-notes.txt"])
    assert (out / "mine.json").read_text(encoding="utf-8") == "{}"  # not Nightcrew's
    assert json.loads((out / "report.json").read_text(encoding="utf-8")) == second
    assert kept in branches_of(repo)  # branches are the lasting record


def branches_of(repo: Path) -> list[str]:
    return git(repo, "branch", "--list", "nightcrew/*").split()


def test_a_night_stopped_by_bad_input_leaves_no_earlier_report(make_repo, tmp_path, capsys):
    repo = make_repo(files=FILES)
    out = tmp_path / "out"
    argv = ["run", "--repo", str(repo), "--out", str(out), "--quiet"]
    assert main(argv) == 0
    assert (out / "report.json").is_file() and (out / "report.md").is_file()
    git(repo, "branch", "-D", *branches_of(repo))
    config = repo / ".github" / "nightcrew.yml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("version: 1\ntest_command: no-such-test-runner\n", encoding="utf-8")
    capsys.readouterr()

    assert main(argv) == 2
    assert "no-such-test-runner` was not found" in capsys.readouterr().err
    assert not (out / "report.json").exists() and not (out / "report.md").exists()
    assert list((out / "patches").glob("*.patch")) == []


def test_a_night_refused_before_it_starts_leaves_the_last_report(make_repo, tmp_path, capsys):
    """Bad arguments stop the night before it touches the folder: the report stays."""
    repo = make_repo(files=FILES)
    out = tmp_path / "out"
    assert main(["run", "--repo", str(repo), "--out", str(out), "--quiet"]) == 0
    before = (out / "report.json").read_text(encoding="utf-8")
    assert main(["run", "--repo", str(repo), "--out", str(out), "--recipe", "nope"]) == 2
    assert (out / "report.json").read_text(encoding="utf-8") == before
