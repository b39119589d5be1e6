"""`nightcrew run` on small real repositories: bad input, odd repositories, faults."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.publish.trailers import Trailer
from bot.report.document import NightReport
from tests.conftest import git

CORE = """\
def collect(items):
    out = []
    for item in items:
        out = out + [item * 2]
    return out


def names(xs):
    return sorted(list(xs))
"""
TESTS = """\
from pkg.core import collect, names


def test_collect():
    assert collect([1, 2]) == [2, 4]


def test_names():
    assert names(["b", "a"]) == ["a", "b"]
"""
FILES = {"pkg/__init__.py": "", "pkg/core.py": CORE, "tests/test_core.py": TESTS}


def run(repo: Path, *args: str, out: Path | None = None) -> int:
    out = out or repo.parent / "out"
    return main(["run", "--repo", str(repo), "--out", str(out), "--json", *args])


def report(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def branches(repo: Path) -> list[str]:
    return git(repo, "branch", "--list", "nightcrew/*").split()


def test_planted_copies_are_fixed_on_a_small_repo(make_repo, capsys):
    repo = make_repo(files=FILES)
    assert run(repo, "--recipe", "unnecessary-copies") == 0
    data = report(capsys)
    assert {f["rule"]: f["status"] for f in data["fixes"]} == {
        "nightcrew:list-concat-in-loop": "verified",
        "ruff:C414": "verified",
    }
    assert len(branches(repo)) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("--recipe", "no-such-recipe"), "unknown recipe 'no-such-recipe'", id="recipe"
        ),
        pytest.param(("--max-fixes", "-1"), "--max-fixes: must be 0 or more", id="max-fixes"),
        pytest.param(("--max-fixes", "two"), "invalid int value", id="max-fixes-type"),
        pytest.param(("--config", "nope.yml"), "config file not found", id="config-missing"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(make_repo, capsys, args, message):
    repo = make_repo(files=FILES)
    assert run(repo, *args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert branches(repo) == []


def test_not_a_git_repository(tmp_path, capsys):
    (tmp_path / "plain").mkdir()
    assert run(tmp_path / "plain") == 2
    assert "is not a git repository" in capsys.readouterr().err


def test_broken_config_names_file_and_line(make_repo, capsys):
    repo = make_repo(
        files={**FILES, ".github/nightcrew.yml": "version: 1\nlimits:\n  max_fixs: 3\n"}
    )
    assert run(repo) == 2
    err = capsys.readouterr().err
    assert (
        ".github/nightcrew.yml:3: limits: unknown key 'max_fixs' (did you mean 'max_fixes'?)" in err
    )


def test_recipe_file_that_is_not_utf8(make_repo, capsys):
    repo = make_repo(files=FILES)
    (repo / ".nightcrew" / "recipes").mkdir(parents=True)
    (repo / ".nightcrew" / "recipes" / "bad.yml").write_bytes(b"id: caf\xe9\n")
    assert run(repo) == 2
    err = capsys.readouterr().err
    assert "bad.yml" in err and "UTF-8" in err


def test_test_command_that_does_not_exist(make_repo, capsys):
    config = "version: 1\ntest_command: no-such-test-runner --all\n"
    repo = make_repo(files={**FILES, ".github/nightcrew.yml": config})
    assert run(repo, "--recipe", "unnecessary-copies") == 2
    err = capsys.readouterr().err
    assert "test command `no-such-test-runner --all` was not found" in err
    assert branches(repo) == []
    assert len(git(repo, "worktree", "list").splitlines()) == 1


def test_test_command_that_hangs(make_repo, capsys):
    hang = "import time\n\n\ndef test_hang():\n    time.sleep(60)\n"
    config = "version: 1\nlimits:\n  test_timeout: 2\n"
    repo = make_repo(files={**FILES, "tests/test_hang.py": hang, ".github/nightcrew.yml": config})
    started = time.monotonic()
    assert run(repo, "--recipe", "unnecessary-copies") == 2
    assert time.monotonic() - started < 30
    err = capsys.readouterr().err
    assert "did not finish within 2s on the base commit" in err
    assert "limits.test_timeout" in err


def test_repo_without_tests_publishes_nothing_unless_lint_only_is_allowed(make_repo, capsys):
    lint_only = """\
schema_version: 1
id: concat-lint-only
title: Append instead of concatenating
description: Lint-only on purpose.
find:
  detectors: [list-concat-in-loop]
verify:
  allow_lint_only: true
"""
    files = {"pkg/__init__.py": "", "pkg/core.py": CORE}
    repo = make_repo(files={**files, ".nightcrew/recipes/concat.yml": lint_only})
    assert run(repo, "--recipe", "unnecessary-copies", "--recipe", "concat-lint-only") == 0
    data = report(capsys)
    status = {(f["recipe"], f["rule"]): (f["status"], f["reason"]) for f in data["fixes"]}
    copies = status[("unnecessary-copies", "ruff:C414")]
    assert copies[0] == "rejected"
    assert "no tests" in copies[1] and "allow_lint_only" in copies[1]
    lint = status[("concat-lint-only", "nightcrew:list-concat-in-loop")]
    assert lint[0] == "verified"
    assert "verified by compile and ruff only" in lint[1]
    assert data["test_runs"] == []
    (published,) = [f for f in data["fixes"] if f["status"] == "verified"]
    assert published["covered_by"] is None  # no test run judged it
    message = git(repo, "log", "-1", "--format=%B", published["branch"])
    assert Trailer.COVERED_BY.read(message) == "0"


def test_a_baseline_that_already_fails_still_verifies_fixes(make_repo, capsys):
    broken = "def test_already_broken():\n    assert 1 == 2\n"
    repo = make_repo(files={**FILES, "tests/test_broken.py": broken})
    assert run(repo, "--recipe", "unnecessary-copies") == 0
    data = report(capsys)
    # Fixes first: the group's run fails that test, so the base commit runs it alone.
    group, base = data["test_runs"]
    assert group["failed"] == ["tests.test_broken::test_already_broken"]
    assert base["purpose"] == "baseline of 1 test(s)"
    assert base["failed"] == ["tests.test_broken::test_already_broken"] and base["tests"] == 1
    assert [f["status"] for f in data["fixes"]] == ["verified", "verified"]
    assert all("the 1 failing fail on the base commit too" in f["reason"] for f in data["fixes"])
    assert any(
        n["kind"] == "baseline-failing" and "fail on the base commit too" in n["text"]
        for n in data["notes"]
    )


def test_non_pytest_command_is_judged_by_exit_status(make_repo, capsys):
    check = (
        "import pkg.core as c\nassert c.collect([1]) == [2]\nassert c.names('ba') == ['a', 'b']\n"
    )
    config = "version: 1\ntest_command: python check.py\n"
    repo = make_repo(files={**FILES, "check.py": check, ".github/nightcrew.yml": config})
    assert run(repo, "--recipe", "unnecessary-copies") == 0
    data = report(capsys)
    assert [f["status"] for f in data["fixes"]] == ["verified", "verified"]
    assert all(r["tests"] is None for r in data["test_runs"])


def test_max_fixes_leaves_the_rest_for_a_later_night(make_repo, capsys):
    repo = make_repo(files=FILES)
    assert run(repo, "--recipe", "unnecessary-copies", "--max-fixes", "1") == 0
    data = report(capsys)
    assert [f["status"] for f in data["fixes"]] == ["verified", "skipped"]
    assert "night limit reached" in data["fixes"][1]["reason"]
    assert run(repo, "--recipe", "unnecessary-copies", "--max-fixes", "1") == 0
    again = report(capsys)
    assert [f["status"] for f in again["fixes"]] == ["skipped", "verified"]
    assert len(branches(repo)) == 2


def test_shallow_clone_with_no_git_identity(make_repo, tmp_path):
    source = make_repo(files=FILES)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{source}", str(clone))
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_AUTHOR", "GIT_COMMITTER"))}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", XDG_CONFIG_HOME=str(home))
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--repo", str(clone), "--quiet", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [f["status"] for f in data["fixes"] if f["recipe"] == "unnecessary-copies"] == [
        "verified",
        "verified",
    ]
    author = git(clone, "log", "-1", "--format=%an <%ae>", data["branches"][0])
    assert author.strip() == "Nightcrew <nightcrew@users.noreply.github.com>"


def test_a_killed_run_is_recovered_by_the_next(make_repo, tmp_path):
    slow = "import time\n\n\ndef test_slow():\n    time.sleep(1.5)\n"
    repo = make_repo(files={**FILES, "tests/test_slow.py": slow})
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "bot.cli", "run", "--repo", str(repo), "--out", str(out)]
    victim = subprocess.Popen(
        [*argv, "--recipe", "unnecessary-copies"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    # Wait until a fix's test run has started, i.e. a fix worktree exists, then kill it all.
    while time.monotonic() < deadline:
        if any(not p.name.startswith("baseline") for p in (out / "logs").glob("*.log")):
            break
        time.sleep(0.1)
    else:
        pytest.fail("the night never reached a fix")
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    assert len(git(repo, "worktree", "list").splitlines()) > 1  # the kill left worktrees

    done = subprocess.run(
        [*argv, "--recipe", "unnecessary-copies", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "left by an interrupted run" in done.stderr
    assert len(git(repo, "worktree", "list").splitlines()) == 1
    data = json.loads(done.stdout)
    assert sorted(f["status"] for f in data["fixes"]) == ["verified", "verified"]
    assert git(repo, "status", "--porcelain") == ""


def test_a_night_can_be_limited_to_one_finding(make_repo, tmp_path):
    from bot.night import NightOptions, run_night

    repo = make_repo(files=FILES)
    everything = run_night(
        NightOptions(repo, ("unnecessary-copies",), out=tmp_path / "a", env=dict(os.environ))
    )
    target = everything.findings[1].fingerprint
    git(repo, "branch", "-D", *branches(repo))
    only = run_night(
        NightOptions(
            repo,
            ("unnecessary-copies",),
            out=tmp_path / "b",
            only_fingerprints=frozenset({target}),
            env=dict(os.environ),
        )
    )
    assert [r.finding.fingerprint for r in only.fixes] == [target]
    assert [r.status.value for r in only.fixes] == ["verified"]
    assert len(branches(repo)) == 1


def test_without_a_claude_key_agent_recipes_are_skipped_and_the_rest_runs(
    make_repo, capsys, monkeypatch
):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    repo = make_repo(files=FILES)
    assert run(repo, "--recipe", "unnecessary-copies", "--recipe", "unnecessary-copies-deep") == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert [f["status"] for f in data["fixes"]] == ["verified", "verified"]
    assert {f["recipe"] for f in data["fixes"]} == {"unnecessary-copies"}
    skipped = {s["id"]: s["reason"] for s in data["recipes_skipped"]}
    assert "ANTHROPIC_API_KEY" in skipped["unnecessary-copies-deep"]
    assert sum("ANTHROPIC_API_KEY" in line for line in captured.err.splitlines()) == 1
    assert data["recipes_searched"] == ["unnecessary-copies"]
    assert data["agents"] is None


def test_the_markdown_report_shows_agent_costs():

    report = NightReport("r", "0" * 40, "now")
    report.agents = {
        "agents": 2,
        "requests": 5,
        "tokens": {"input": 100, "cache_read": 900, "cache_write": 50, "output": 40},
        "dollars": 0.0123,
        "skipped": ["pkg/a.py:3: the night's dollar budget is spent"],
    }
    text = report.to_markdown()
    assert "2 agents, 5 requests" in text
    assert "900 cache read" in text and "$0.0123" in text
    assert "- skipped: pkg/a.py:3: the night's dollar budget is spent" in text


def test_out_that_is_a_file_is_bad_input(make_repo, tmp_path, capsys):
    repo = make_repo(files=FILES)
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    assert run(repo, out=tmp_path / "taken") == 2
    err = capsys.readouterr().err
    assert "--out: " in err and "is a file" in err and "Traceback" not in err


def test_a_second_run_on_the_same_repository_waits_its_turn(make_repo, tmp_path):
    slow = "import time\n\n\ndef test_slow():\n    time.sleep(2)\n"
    repo = make_repo(files={**FILES, "tests/test_slow.py": slow})
    argv = [sys.executable, "-m", "bot.cli", "run", "--repo", str(repo), "--json", "--quiet"]
    first = subprocess.Popen(
        [*argv, "--out", str(tmp_path / "a"), "--recipe", "unnecessary-copies"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list((tmp_path / "a" / "logs").glob("*.log")):
        assert time.monotonic() < deadline, "the first night never started a test run"
        time.sleep(0.05)
    second = subprocess.run(
        [*argv, "--out", str(tmp_path / "b")], capture_output=True, text=True, check=False
    )
    assert second.returncode == 2
    assert "another Nightcrew run is working on" in second.stderr
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    data = json.loads(out)
    assert [f["status"] for f in data["fixes"]] == ["verified", "verified"]
    assert len(git(repo, "worktree", "list").splitlines()) == 1


# --- odd input: one line, exit 2, never a traceback (issue 11, item 9) ---------------------

RECIPE = """\
schema_version: 1
id: odd-recipe
title: Odd recipe
description: Why.
scope:
  include: {include}
  exclude: {exclude}
find:
  ruff:
    select: [C414]
{verify}"""


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m bot.cli ...` as a user runs it: a real process, so a traceback would show."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    errors = [line for line in done.stderr.splitlines() if line.startswith("nightcrew: error:")]
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert len(errors) == 1, done.stderr[-2000:]
    for part in expected:
        assert part in errors[0], errors[0][:500]


def odd_recipe(include: str = '["**/*.py"]', exclude: str = "[]", verify: str = "") -> str:
    return RECIPE.format(include=include, exclude=exclude, verify=verify)


DEEP = "[" * 600 + "]" * 600


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        pytest.param(
            f"version: 1\nrecipes: {DEEP}\n",
            (".github/nightcrew.yml:2: recipes: YAML nested more than 64 levels deep",),
            id="nested-600-deep",
        ),
        pytest.param(
            "version: 1\nlimits:\n  test_timeout: .nan\n",
            (".github/nightcrew.yml:3: limits.test_timeout: must be a finite number, got .nan",),
            id="timeout-nan",
        ),
        pytest.param(
            "version: 1\nlimits:\n  test_timeout: .inf\n",
            (".github/nightcrew.yml:3: limits.test_timeout: must be a finite number, got .inf",),
            id="timeout-inf",
        ),
        pytest.param(
            "version: 1\nlimits:\n  test_timeout: -5\n",
            (".github/nightcrew.yml:3: limits.test_timeout: must be more than 0, got -5",),
            id="timeout-negative",
        ),
        pytest.param(
            "version: 1\nlimits:\n  test_timeout: 1.0e+300\n",
            (".github/nightcrew.yml:3: limits.test_timeout:", "greater than the maximum"),
            id="timeout-too-big-to-wait-for",
        ),
        pytest.param(
            "version: 1\ntest_command: python -m pytest -q -k " + "x" * 140_000 + "\n",
            (".github/nightcrew.yml:2: test_command: argument 6 is 140,000 bytes",),
            id="test-command-argument-over-128k",
        ),
        pytest.param(
            "version: 1\ntest_command: python -m pytest " + " ".join(["-k x"] * 300_000) + "\n",
            (".github/nightcrew.yml:2: test_command: the command is 1,500,0",),
            id="test-command-over-1m",
        ),
        pytest.param(
            'version: 1\nprotected: ["migrations/**", "src/["]\n',
            (".github/nightcrew.yml:2: protected[1]: pattern 'src/[' opens a '['",),
            id="protected-unclosed-bracket",
        ),
    ],
)
def test_odd_config_is_one_line_exit_2(make_repo, tmp_path, config, expected):
    repo = make_repo(files={**FILES, ".github/nightcrew.yml": config})
    done = cli("run", "--repo", str(repo), "--out", str(tmp_path / "out"), cwd=repo)
    assert_one_line_error(done, *expected)
    assert branches(repo) == []


@pytest.mark.parametrize(
    ("recipe", "expected"),
    [
        pytest.param(
            odd_recipe(include=DEEP),
            ("odd.yml:6: scope.include: YAML nested more than 64 levels deep",),
            id="nested-600-deep",
        ),
        pytest.param(
            odd_recipe(include='["src/["]'),
            ("odd.yml:6: scope.include[0]: pattern 'src/[' opens a '['",),
            id="include-unclosed-bracket",
        ),
        pytest.param(
            odd_recipe(exclude='["tests/**", "gen/[!a-z"]'),
            ("odd.yml:7: scope.exclude[1]: pattern 'gen/[!a-z' opens a '['",),
            id="exclude-unclosed-bracket",
        ),
        pytest.param(
            odd_recipe(verify="verify:\n  timeout: .nan\n"),
            ("odd.yml:12: verify.timeout: must be a finite number, got .nan",),
            id="verify-timeout-nan",
        ),
    ],
)
def test_odd_recipe_fails_validation_with_one_line(tmp_path, recipe, expected):
    (tmp_path / "odd.yml").write_text(recipe, encoding="utf-8")
    done = cli("recipes", "validate", "odd.yml", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert expected[0] in (done.stdout + done.stderr).splitlines()[0]


def test_recipe_with_an_unclosed_bracket_stops_the_night(make_repo, tmp_path):
    repo = make_repo(files={**FILES, ".nightcrew/recipes/odd.yml": odd_recipe('["pkg/["]')})
    done = cli("run", "--repo", str(repo), "--out", str(tmp_path / "out"), cwd=repo)
    assert_one_line_error(done, ".nightcrew/recipes/odd.yml:6: scope.include[0]:", "'pkg/['")


def test_recipe_verify_command_over_128k_stops_the_night_before_any_test(make_repo, tmp_path):
    huge = (
        "fix:\n  unsafe: true\nverify:\n  commands: ['python -m pytest -k " + "y" * 140_000 + "']\n"
    )
    repo = make_repo(files={**FILES, ".nightcrew/recipes/odd.yml": odd_recipe(verify=huge)})
    done = cli(
        "run", "--repo", str(repo), "--out", str(tmp_path / "out"), "--recipe", "odd-recipe",
        cwd=repo,
    )  # fmt: skip
    assert_one_line_error(
        done, ".nightcrew/recipes/odd.yml: verify.commands[0]: argument 5 is 140,000 bytes"
    )
    assert not list((tmp_path / "out" / "logs").glob("*")), "no test may have run"
    assert branches(repo) == []


@pytest.mark.parametrize("under", ["file", "etc-passwd"])
def test_out_that_cannot_be_created_is_one_line_exit_2(make_repo, tmp_path, under):
    repo = make_repo(files=FILES)
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    blocker = tmp_path / "taken" if under == "file" else Path("/etc/passwd")
    if not blocker.is_file():
        pytest.skip(f"{blocker} is not a file here")
    done = cli("run", "--repo", str(repo), "--out", str(blocker / "sub"), cwd=repo)
    assert_one_line_error(done, f"--out: cannot create {blocker / 'sub'}: {blocker} is a file")
