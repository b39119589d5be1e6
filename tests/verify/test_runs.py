from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bot.errors import UserError
from bot.sandbox.environment import test_env as make_test_env
from bot.verify.compare import baseline_problem, compare, derive_timeout
from bot.verify.junit import JUnitResult
from bot.verify.lint import RuffReport, compare_ruff, compile_check, ruff_check
from bot.verify.origin import module_name, module_origin, module_origins
from bot.verify.runs import TAIL_LINES, TestRun, run_command, run_tests
from bot.verify.suite import (
    default_test_command,
    is_pytest,
    parse_test_command,
    resolve_python,
    with_junit,
)

PY = sys.executable


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def alive(pid: int) -> bool:
    """Running (not a zombie waiting for a parent that may never reap it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_dead(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


# --------------------------------------------------------------------------- run_command


def test_run_command_output_and_exit_status(tmp_path):
    log = tmp_path / "logs" / "one.log"
    result = run_command(
        [PY, "-c", "import sys; print('hello'); sys.exit(3)"], tmp_path, os.environ, 30, log
    )
    assert result.returncode == 3
    assert not result.timed_out
    assert not result.not_found
    assert result.output_tail == "hello"
    assert log.read_text() == "hello\n"
    assert result.argv[0] == PY


def test_run_command_keeps_the_last_lines(tmp_path):
    result = run_command(
        [PY, "-c", "for i in range(200): print(f'line {i}')"], tmp_path, os.environ, 30
    )
    lines = result.output_tail.splitlines()
    assert len(lines) == TAIL_LINES
    assert lines[0] == "line 140"
    assert lines[-1] == "line 199"


def test_run_command_passes_exactly_the_given_env(tmp_path):
    env = {"PATH": os.environ["PATH"], "ONLY_THIS": "yes"}
    code = "import os; print(sorted(k for k in os.environ if k not in ('LC_CTYPE',)))"
    result = run_command([PY, "-c", code], tmp_path, env, 30)
    assert result.output_tail == "['ONLY_THIS', 'PATH']"


def test_run_command_gives_no_stdin(tmp_path):
    result = run_command([PY, "-c", "input()"], tmp_path, os.environ, 30)
    assert result.returncode == 1
    assert "EOFError" in result.output_tail


def test_run_command_redacts_secret_values_of_this_process(tmp_path, monkeypatch):
    """Whatever a command prints, a secret of Nightcrew's environment never comes back."""
    secret = "ghp_redactme0123456789"
    script = f"print('token is {secret}')"
    shown = run_command([sys.executable, "-c", script], tmp_path, {}, timeout=30)
    assert secret in shown.output_tail  # the control: not a secret of this process yet
    monkeypatch.setenv("DEPLOY_TOKEN", secret)
    result = run_command([sys.executable, "-c", script], tmp_path, {}, timeout=30)
    assert secret not in result.output_tail
    assert "token is [redacted DEPLOY_TOKEN]" in result.output_tail


def test_missing_executable_is_not_found(tmp_path):
    result = run_command(["nightcrew-no-such-command", "--x"], tmp_path, os.environ, 30)
    assert result.not_found
    assert result.returncode == 127
    assert "nightcrew-no-such-command" in result.output_tail


def test_missing_cwd_is_an_error(tmp_path):
    with pytest.raises(NotADirectoryError):
        run_command([PY, "-c", "pass"], tmp_path / "nope", os.environ, 30)


SPAWNER = """\
import signal, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[2]])
open(sys.argv[1], "w").write(str(child.pid))
if sys.argv[3] == "wait":
    time.sleep(60)
"""
SLEEPER = "import time; time.sleep(60)"
STUBBORN = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"


def _child_pid(pidfile: Path) -> int:
    deadline = time.monotonic() + 10
    while not pidfile.exists() or not pidfile.read_text():
        assert time.monotonic() < deadline, "the child never wrote its pid"
        time.sleep(0.05)
    return int(pidfile.read_text())


@pytest.mark.slow
def test_timeout_kills_the_whole_process_group(tmp_path):
    pidfile = tmp_path / "child.pid"
    started = time.monotonic()
    result = run_command(
        [PY, "-c", SPAWNER, str(pidfile), SLEEPER, "wait"], tmp_path, os.environ, 1.5
    )
    assert result.timed_out
    assert result.returncode != 0
    assert time.monotonic() - started < 10
    assert wait_dead(_child_pid(pidfile))


@pytest.mark.slow
def test_timeout_kills_a_child_that_ignores_sigterm(tmp_path):
    pidfile = tmp_path / "child.pid"
    started = time.monotonic()
    result = run_command(
        [PY, "-c", SPAWNER, str(pidfile), STUBBORN, "wait"], tmp_path, os.environ, 1.5, grace=0.5
    )
    assert result.timed_out
    assert time.monotonic() - started < 10
    assert wait_dead(_child_pid(pidfile))


def test_nothing_outlives_a_finished_command(tmp_path):
    pidfile = tmp_path / "child.pid"
    result = run_command(
        [PY, "-c", SPAWNER, str(pidfile), SLEEPER, "exit"], tmp_path, os.environ, 30
    )
    assert result.returncode == 0
    assert not result.timed_out
    assert wait_dead(_child_pid(pidfile))


# --------------------------------------------------------------------------- test commands


def test_parse_test_command():
    assert parse_test_command("pytest -q 'tests/a b.py'") == ["pytest", "-q", "tests/a b.py"]


@pytest.mark.parametrize("command", ["", "   ", "pytest 'unclosed"])
def test_parse_test_command_rejects_bad_commands(command):
    with pytest.raises(UserError) as info:
        parse_test_command(command)
    assert info.value.field == "test_command"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("pytest", True),
        ("pytest -q tests", True),
        ("py.test", True),
        ("/opt/venv/bin/pytest -x", True),
        ("python -m pytest", True),
        ("python3 -m pytest -q", True),
        ("python3.11 -m pytest", True),
        ("pypy3 -m pytest", True),
        ("python -X dev -W error -m pytest", True),
        ("python -mpytest", True),
        ("uv run pytest", True),
        ("poetry run python -m pytest", True),
        ("coverage run -m pytest", True),
        ("make test", False),
        ("tox -e py311", False),
        ("python -m unittest", False),
        ("python runtests.py", False),
        ("python -c 'import pytest'", False),
        ("uv run tox", False),
        ("pytest-watch", False),
        ("python", False),
    ],
)
def test_is_pytest(command, expected):
    assert is_pytest(parse_test_command(command)) is expected


def test_is_pytest_knows_the_running_interpreter():
    assert is_pytest([PY, "-m", "pytest"])


JUNIT_ARGS = ["--junitxml=/l/r.xml", "-o", "junit_family=xunit2", "-p", "no:cacheprovider"]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("pytest", ["pytest", *JUNIT_ARGS]),
        ("python -m pytest -q", ["python", "-m", "pytest", "-q", *JUNIT_ARGS]),
        (
            "pytest --junitxml=mine.xml -- tests",
            ["pytest", "--junitxml=mine.xml", *JUNIT_ARGS, "--", "tests"],
        ),
    ],
)
def test_with_junit(command, expected):
    assert with_junit(parse_test_command(command), Path("/l/r.xml")) == expected


def test_with_junit_refuses_other_commands():
    with pytest.raises(ValueError, match="not a pytest command"):
        with_junit(["make", "test"], Path("r.xml"))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["python", "-m", "pytest"], ["/v/bin/python3.12", "-m", "pytest"]),
        (["python3", "x.py"], ["/v/bin/python3.12", "x.py"]),
        (["python3.10", "x.py"], ["python3.10", "x.py"]),
        (["pytest"], ["pytest"]),
    ],
)
def test_resolve_python(argv, expected):
    assert resolve_python(argv, "/v/bin/python3.12") == expected


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"tests/__init__.py": ""}, True, id="tests-dir"),
        pytest.param({"test/x.txt": ""}, True, id="test-dir"),
        pytest.param({"pkg/sub/test_mod.py": ""}, True, id="test-prefix-file"),
        pytest.param({"pkg/mod_test.py": ""}, True, id="test-suffix-file"),
        pytest.param(
            {"pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-q'\n"},
            True,
            id="pyproject-ini-options",
        ),
        pytest.param({"pyproject.toml": "[tool.pytest]\n"}, True, id="pyproject-native"),
        pytest.param({"setup.cfg": "[metadata]\n[tool:pytest]\n"}, True, id="setup-cfg"),
        pytest.param({"tox.ini": "[tox]\n[pytest]\n"}, True, id="tox-ini"),
        pytest.param({"pytest.ini": ""}, True, id="pytest-ini"),
        pytest.param({"pkg/mod.py": "x = 1\n"}, False, id="no-tests"),
        pytest.param({"pyproject.toml": "[tool.ruff]\n"}, False, id="pyproject-without-pytest"),
        pytest.param({"pyproject.toml": "not = [toml\n"}, False, id="broken-pyproject"),
        pytest.param({"tox.ini": "[tox]\n"}, False, id="tox-without-pytest"),
        pytest.param({".venv/lib/test_x.py": ""}, False, id="test-files-in-venv-ignored"),
        pytest.param({"node_modules/a/test_x.py": ""}, False, id="node-modules-ignored"),
        pytest.param({"pkg/testing.py": ""}, False, id="testing-module-is-not-a-test"),
    ],
)
def test_default_test_command(tmp_path, files, expected):
    write(tmp_path, files)
    assert default_test_command(tmp_path) == ("python -m pytest -q" if expected else None)


@pytest.mark.parametrize(
    ("duration", "ceiling", "expected"),
    [
        (0.0, 1800.0, 60.0),
        (10.0, 1800.0, 60.0),
        (20.0, 1800.0, 90.0),
        (100.0, 1800.0, 330.0),
        (1000.0, 1800.0, 1800.0),
        (5.0, 30.0, 30.0),
    ],
)
def test_derive_timeout(duration, ceiling, expected):
    assert derive_timeout(duration, ceiling) == expected


# --------------------------------------------------------------------------- compare


def junit(ids=(), failed=(), skipped=()) -> JUnitResult:
    return JUnitResult(
        ids=frozenset(ids) | frozenset(failed) | frozenset(skipped),
        failed=frozenset(failed),
        errors=frozenset(),
        skipped_ids=frozenset(skipped),
    )


def run(
    *,
    returncode=0,
    report: JUnitResult | None = None,
    pytest_command=True,
    timed_out=False,
    not_found=False,
    duration=10.0,
    timeout=60.0,
    command="python -m pytest -q",
) -> TestRun:
    return TestRun(
        command=command,
        returncode=returncode,
        duration=duration,
        timeout=timeout,
        timed_out=timed_out,
        not_found=not_found,
        pytest=pytest_command,
        junit=report,
        output_tail="",
        log_path=None,
    )


ABC = ("t::a", "t::b", "t::c")
BASE_OK = run(report=junit(ABC))
BASE_ONE_FAILING = run(returncode=1, report=junit(("t::a", "t::b"), failed=("t::c",)))
MANY = tuple(f"t::n{i}" for i in range(7))


@pytest.mark.parametrize(
    ("baseline", "fix", "ok", "reason", "new"),
    [
        pytest.param(
            BASE_OK, run(report=junit(ABC)), True, "no new failures: 3 tests", (), id="all-pass"
        ),
        pytest.param(
            BASE_ONE_FAILING,
            run(returncode=1, report=junit(("t::a", "t::b"), failed=("t::c",))),
            True,
            "1 already failing on the base commit",
            (),
            id="same-failure-as-baseline",
        ),
        pytest.param(
            BASE_OK,
            run(returncode=1, report=junit(("t::a",), failed=("t::b", "t::c"))),
            False,
            "2 new failing test(s): t::b, t::c",
            ("t::b", "t::c"),
            id="new-failures",
        ),
        pytest.param(
            run(report=junit(ABC + MANY)),
            run(returncode=1, report=junit(ABC, failed=MANY)),
            False,
            "7 new failing test(s): t::n0, t::n1, t::n2, t::n3, t::n4 and 2 more",
            MANY,
            id="new-failures-truncated",
        ),
        pytest.param(
            BASE_OK,
            run(timed_out=True, timeout=90, returncode=-15),
            False,
            "tests timed out after 90s (baseline took 10s)",
            (),
            id="timed-out",
        ),
        pytest.param(
            BASE_OK,
            run(not_found=True, returncode=127),
            False,
            "was not found; set `test_command` in .github/nightcrew.yml",
            (),
            id="not-found",
        ),
        pytest.param(
            run(not_found=True, returncode=127),
            run(not_found=True, returncode=127),
            False,
            "`python -m pytest -q` was not found",
            (),
            id="baseline-not-found",
        ),
        pytest.param(
            run(timed_out=True, timeout=1800),
            run(report=junit(ABC)),
            False,
            "the baseline run timed out after 1800s",
            (),
            id="baseline-timed-out",
        ),
        pytest.param(
            run(returncode=2, report=junit(failed=("tests.test_x",))),
            run(returncode=2, report=junit(failed=("tests.test_x",))),
            False,
            "on the base commit pytest was interrupted",
            (),
            id="baseline-collection-error",
        ),
        pytest.param(
            run(returncode=5, report=junit()),
            run(returncode=5, report=junit()),
            False,
            "ran no tests",
            (),
            id="baseline-ran-no-tests",
        ),
        pytest.param(
            BASE_OK,
            run(returncode=2, report=junit(failed=("tests.test_x",))),
            False,
            "pytest was interrupted (often a collection error) (exit 2); "
            "new failures: tests.test_x",
            ("tests.test_x",),
            id="collection-error",
        ),
        pytest.param(
            BASE_OK,
            run(returncode=3, report=junit(ABC)),
            False,
            "pytest hit an internal error (exit 3)",
            (),
            id="internal-error",
        ),
        pytest.param(
            BASE_OK,
            run(returncode=4, report=junit(ABC)),
            False,
            "usage error",
            (),
            id="usage-error",
        ),
        pytest.param(
            BASE_OK,
            run(returncode=5, report=junit()),
            False,
            "no tests ran (the baseline ran 3)",
            (),
            id="collapsed-to-zero",
        ),
        pytest.param(
            BASE_OK,
            run(report=junit(("t::a", "t::b"))),
            False,
            "1 test(s) from the baseline did not run: t::c",
            (),
            id="vanished-test",
        ),
        pytest.param(
            BASE_OK,
            run(report=junit(("t::a", "t::b"), skipped=("t::c",))),
            False,
            "1 test(s) now skipped: t::c",
            (),
            id="newly-skipped",
        ),
        pytest.param(
            run(report=junit(("t::a",), skipped=("t::s",))),
            run(report=junit(("t::a",), skipped=("t::s",))),
            True,
            "no new failures",
            (),
            id="skipped-before-and-after",
        ),
        pytest.param(
            BASE_OK,
            run(returncode=1, report=junit(ABC)),
            False,
            "pytest exited 1 though no test failed",
            (),
            id="exit-1-without-failures",
        ),
        pytest.param(
            BASE_OK,
            run(returncode=1, report=None),
            False,
            "pytest exited 1 without a readable report",
            (),
            id="no-report",
        ),
        pytest.param(
            run(pytest_command=False, command="make test"),
            run(pytest_command=False, command="make test"),
            True,
            "`make test` passed",
            (),
            id="other-command-passes",
        ),
        pytest.param(
            run(pytest_command=False, command="make test"),
            run(pytest_command=False, command="make test", returncode=2),
            False,
            "`make test` failed (exit 2)",
            (),
            id="other-command-fails",
        ),
        pytest.param(
            run(pytest_command=False, command="make test", returncode=1),
            run(pytest_command=False, command="make test"),
            False,
            "`make test` already fails on the base commit (exit 1), so it cannot verify",
            (),
            id="other-command-baseline-fails",
        ),
    ],
)
def test_compare(baseline, fix, ok, reason, new):
    result = compare(baseline, fix)
    assert result.ok is ok
    assert reason in result.reason
    assert result.new_failures == new


# --------------------------------------------------------------------------- real pytest runs


def suite(root: Path, files: dict[str, str]) -> Path:
    """A tiny repository with a pytest.ini, so pytest's rootdir is the repository."""
    return write(root, {"pytest.ini": "[pytest]\n", **files})


PASSING = {"test_a.py": "def test_one():\n    assert 1 + 1 == 2\n\ndef test_two():\n    pass\n"}
FAILING = {"test_a.py": "def test_one():\n    assert 1 + 1 == 2\n\ndef test_bad():\n    assert 0\n"}


def test_run_tests_passing_suite(tmp_path, monkeypatch):
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)  # Nightcrew must set it
    tree = suite(tmp_path / "repo", PASSING)
    result = run_tests("python -m pytest -q", tree, os.environ, 60, tmp_path / "logs")
    assert result.returncode == 0
    assert result.pytest
    assert result.failed == frozenset()
    assert result.tests == 2
    assert result.log_path is not None
    assert result.log_path.parent == tmp_path / "logs"
    assert "2 passed" in result.log_path.read_text()
    assert "2 passed" in result.output_tail
    # nothing written into the tree: no cache dir, no bytecode
    assert sorted(p.name for p in tree.rglob("*")) == ["pytest.ini", "test_a.py"]


@pytest.mark.slow
def test_run_tests_failing_suite_against_its_baseline(tmp_path):
    tree = suite(tmp_path / "repo", FAILING)
    base = run_tests("pytest -q", tree, os.environ, 60, tmp_path / "logs", "baseline")
    assert base.failed == {"test_a::test_bad"}
    assert baseline_problem(base) is None
    again = run_tests("pytest -q", tree, os.environ, 60, tmp_path / "logs")
    assert again.log_path != base.log_path  # every run keeps its own log
    assert compare(base, again).ok

    write(tree, {"test_a.py": FAILING["test_a.py"].replace("1 + 1 == 2", "1 + 1 == 3")})
    broken = run_tests("pytest -q", tree, os.environ, 60, tmp_path / "logs")
    comparison = compare(base, broken)
    assert not comparison.ok
    assert comparison.new_failures == ("test_a::test_one",)
    assert comparison.reason == "1 new failing test(s): test_a::test_one"


def test_run_tests_collection_error(tmp_path):
    tree = suite(tmp_path / "repo", {**PASSING, "test_b.py": "import nope_not_here\n"})
    result = run_tests("python -m pytest", tree, os.environ, 60, tmp_path / "logs")
    assert result.returncode == 2
    assert result.failed == {"test_b"}


def test_run_tests_usage_error_has_no_report(tmp_path):
    tree = suite(tmp_path / "repo", PASSING)
    result = run_tests("pytest --no-such-option", tree, os.environ, 60, tmp_path / "logs")
    assert result.returncode == 4
    assert result.junit is None
    assert result.junit_problem == "pytest wrote no JUnit report"


def test_run_tests_command_not_found(tmp_path):
    tree = suite(tmp_path / "repo", PASSING)
    result = run_tests("nightcrew-no-such-tool -q", tree, os.environ, 60, tmp_path / "logs")
    assert result.not_found
    assert "`test_command` in .github/nightcrew.yml" in compare(result, result).reason


def test_run_tests_other_command(tmp_path):
    tree = suite(tmp_path / "repo", PASSING)
    result = run_tests("python -c 'raise SystemExit(7)'", tree, os.environ, 60, tmp_path / "l")
    assert not result.pytest
    assert result.returncode == 7
    assert result.failed is None


def test_bare_python_is_the_interpreter_given(tmp_path):
    tree = suite(tmp_path / "repo", PASSING)
    command = "python -c 'import sys; print(sys.executable)'"
    result = run_tests(command, tree, os.environ, 60, tmp_path / "logs", python=PY)
    assert result.output_tail == PY


@pytest.mark.slow
def test_run_tests_hanging_suite_times_out(tmp_path):
    tree = suite(
        tmp_path / "repo", {"test_h.py": "import time\n\ndef test_h():\n    time.sleep(60)\n"}
    )
    started = time.monotonic()
    result = run_tests("python -m pytest -q", tree, os.environ, 2, tmp_path / "logs")
    assert time.monotonic() - started < 15
    assert result.timed_out
    assert result.junit is None
    comparison = compare(run(report=junit(("test_h::test_h",)), duration=0.5), result)
    assert comparison.reason == "tests timed out after 2s (baseline took 0s)"


ENV_PRINTER = {
    "test_env.py": """\
        import os

        def test_print_environment():
            for name, value in sorted(os.environ.items()):
                print(f"{name}={value}")
            assert os.environ["NIGHTCREW"] == "1"
            assert "GITHUB_TOKEN" not in os.environ
        """
}


def test_secrets_never_reach_the_tests(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_testsecret123")
    monkeypatch.setenv("MY_API_KEY", "sk-test-api-key-456")
    monkeypatch.setenv("INPUT_TOKEN", "input-secret-789")
    monkeypatch.setenv("HTTPS_PROXY", "http://user:proxy-pass-000@proxy:3128")
    monkeypatch.setenv("NIGHTCREW_HARMLESS", "visible-value")
    tree = suite(tmp_path / "repo", ENV_PRINTER)
    result = run_tests("python -m pytest -q -s", tree, os.environ, 60, tmp_path / "logs")
    assert result.failed == frozenset()
    assert result.log_path is not None
    log = result.log_path.read_text()
    assert "NIGHTCREW_HARMLESS=visible-value" in log  # the environment really was printed
    for secret in (
        "ghs_testsecret123",
        "sk-test-api-key-456",
        "input-secret-789",
        "proxy-pass-000",
    ):
        assert secret not in log
        assert secret not in result.output_tail


def _src_package(root: Path, marker: str) -> Path:
    return write(root, {"pkg/__init__.py": f"WHERE = {marker!r}\n", "pkg/mod.py": "X = 1\n"})


WORKTREE_WINS = {
    "tests/test_where.py": """\
        import subprocess
        import sys
        import tempfile

        import pkg

        def test_imported_here():
            assert pkg.WHERE == "worktree"

        def test_subprocess_imports_here_too():
            out = subprocess.run(
                [sys.executable, "-c", "import pkg; print(pkg.WHERE)"],
                cwd=tempfile.gettempdir(), capture_output=True, text=True, check=True,
            ).stdout
            assert out.strip() == "worktree"
        """
}


def test_worktree_code_wins_over_an_installed_copy(tmp_path):
    installed = _src_package(tmp_path / "site", "installed")
    tree = suite(tmp_path / "repo", WORKTREE_WINS)
    _src_package(tree / "src", "worktree")
    env = {**os.environ, "PYTHONPATH": str(installed)}
    result = run_tests("python -m pytest -q", tree, env, 60, tmp_path / "logs")
    assert result.tests == 2
    assert result.failed == frozenset(), result.output_tail


# --------------------------------------------------------------------------- compile_check


def test_compile_check(tmp_path):
    write(
        tmp_path,
        {
            "good.py": "x = '\\d'\n",  # an invalid escape warns but compiles
            "bad.py": "x = 1\ndef f(:\n",
            "latin.py": "# -*- coding: latin-1 -*-\n",
            "notes.txt": "def (:\n",
        },
    )
    (tmp_path / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\nname = '\xe9'\n")
    error = compile_check(tmp_path, ["good.py", "bad.py", "latin.py", "notes.txt", "gone.py"])
    assert error is not None
    assert error.startswith("bad.py:2: ")
    assert len(error.splitlines()) == 1
    assert compile_check(tmp_path, ["good.py", "latin.py"]) is None
    assert not list(tmp_path.rglob("__pycache__"))


def test_compile_check_null_bytes(tmp_path):
    (tmp_path / "nul.py").write_bytes(b"x = 1\0\n")
    error = compile_check(tmp_path, ["nul.py"])
    assert error is not None
    assert error.startswith("nul.py")


# --------------------------------------------------------------------------- ruff

RUFF_CONFIG = """\
[tool.ruff]
fix = true
extend-exclude = ["gen"]

[tool.ruff.lint]
select = ["F"]
"""


def ruff_trees(tmp_path: Path, base: dict[str, str], fix: dict[str, str]) -> tuple[Path, Path]:
    return (
        write(tmp_path / "base", {"pyproject.toml": RUFF_CONFIG, **base}),
        write(tmp_path / "fix", {"pyproject.toml": RUFF_CONFIG, **fix}),
    )


def ruff_regressions(base_tree, fix_tree, paths):
    return compare_ruff(ruff_check(base_tree, paths), ruff_check(fix_tree, paths))


def test_ruff_regressions_reports_new_diagnostics(tmp_path):
    base, fix = ruff_trees(
        tmp_path, {"a.py": "x = 1\n"}, {"a.py": "import os\nimport sys\nx = 1\n"}
    )
    lines = ruff_regressions(base, fix, ["a.py"])
    assert len(lines) == 1
    assert lines[0].startswith("a.py: F401 0 -> 2 (line 1: ")
    assert (fix / "a.py").read_text() == "import os\nimport sys\nx = 1\n"  # `fix = true` ignored


def test_ruff_regressions_same_count_is_fine(tmp_path):
    base, fix = ruff_trees(tmp_path, {"a.py": "import os\nx = 1\n"}, {"a.py": "import os\nx = 2\n"})
    assert ruff_regressions(base, fix, ["a.py"]) == []


def test_ruff_regressions_respects_the_repos_excludes(tmp_path):
    base, fix = ruff_trees(tmp_path, {"gen/g.py": "x = 1\n"}, {"gen/g.py": "import os\n"})
    assert ruff_regressions(base, fix, ["gen/g.py"]) == []


def test_ruff_regressions_new_syntax_error(tmp_path):
    base, fix = ruff_trees(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = (\n"})
    lines = ruff_regressions(base, fix, ["a.py"])
    assert lines
    assert lines[0].startswith("a.py: invalid-syntax 0 -> ")


def test_ruff_config_error_in_both_trees(tmp_path):
    broken = "[tool.ruff]\nnot-a-ruff-option = 1\n"
    base = write(tmp_path / "base", {"pyproject.toml": broken, "a.py": "x = 1\n"})
    fix = write(tmp_path / "fix", {"pyproject.toml": broken, "a.py": "import os\n"})
    report = ruff_check(fix, ["a.py"])
    assert report.error is not None
    assert report.error.startswith("ruff exited 2")
    assert ruff_regressions(base, fix, ["a.py"]) == []


def test_ruff_check_skips_missing_files(tmp_path):
    assert ruff_check(tmp_path, ["gone.py"]) == RuffReport()


@pytest.mark.parametrize(
    ("base", "fix", "expected"),
    [
        pytest.param(
            RuffReport(error="bad config"), RuffReport(error="bad config"), [], id="both-fail"
        ),
        pytest.param(
            RuffReport(),
            RuffReport(error="boom"),
            ["ruff could not check the fix: boom"],
            id="fix-fails",
        ),
        pytest.param(
            RuffReport(counts={("a.py", "F401"): 2}),
            RuffReport(counts={("a.py", "F401"): 1}),
            [],
            id="fewer",
        ),
        pytest.param(
            RuffReport(counts={("a.py", "F401"): 1}),
            RuffReport(
                counts={("a.py", "F401"): 1, ("b.py", "F841"): 1},
                examples={("b.py", "F841"): "line 3: unused"},
            ),
            ["b.py: F841 0 -> 1 (line 3: unused)"],
            id="new-code",
        ),
    ],
)
def test_compare_ruff(base, fix, expected):
    assert compare_ruff(base, fix) == expected


# --------------------------------------------------------------------------- module origin


@pytest.mark.parametrize(
    ("files", "path", "expected"),
    [
        pytest.param({"src/pkg/mod.py": ""}, "src/pkg/mod.py", "pkg.mod", id="src-layout"),
        pytest.param({"pkg/mod.py": ""}, "pkg/mod.py", "pkg.mod", id="flat-layout"),
        pytest.param({"pkg/__init__.py": ""}, "pkg/__init__.py", "pkg", id="package-init"),
        pytest.param({"tests/test_x.py": ""}, "tests/test_x.py", "tests.test_x", id="tests"),
        pytest.param({"src/pkg/m.py": ""}, "tools/x.py", "tools.x", id="outside-src"),
        pytest.param({}, "scripts/my-tool.py", None, id="not-an-identifier"),
        pytest.param({}, "class/x.py", None, id="keyword"),
        pytest.param({}, "README.md", None, id="not-python"),
    ],
)
def test_module_name(tmp_path, files, path, expected):
    write(tmp_path, files)
    assert module_name(tmp_path, path) == expected


def test_module_origin_flat_package(tmp_path):
    write(tmp_path, {"pkg/__init__.py": "", "pkg/mod.py": "X = 1\n"})
    env = make_test_env(os.environ, tmp_path)
    origin = module_origin(tmp_path, "pkg/mod.py", env, PY)
    assert origin == str(tmp_path / "pkg" / "mod.py")


def test_module_origin_prefers_the_worktree_over_an_installed_copy(tmp_path):
    installed = _src_package(tmp_path / "site", "installed")
    tree = tmp_path / "repo"
    _src_package(tree / "src", "worktree")
    base_env = {**os.environ, "PYTHONPATH": str(installed)}

    # Without Nightcrew's environment the installed copy wins: the trap is real.
    assert module_origin(tree, "src/pkg/mod.py", base_env, PY) == str(installed / "pkg/mod.py")
    origin = module_origin(tree, "src/pkg/mod.py", make_test_env(base_env, tree), PY)
    assert origin == str(tree / "src" / "pkg" / "mod.py")


def test_module_origins_answers_many_files_in_one_go_even_when_imports_print(tmp_path):
    noisy = "for i in range(100):\n    print('import-time noise', i)\n"
    files = {"pkg/__init__.py": noisy}
    files |= {f"pkg/m{i}.py": "X = 1\n" for i in range(120)}  # more than one run's worth
    write(tmp_path, files)
    env = make_test_env(os.environ, tmp_path)
    paths = [f"pkg/m{i}.py" for i in range(120)] + ["nothere/mod.py", "scripts/my-tool.py"]
    found = module_origins(tmp_path, paths, env, PY)
    assert found == {
        **{f"pkg/m{i}.py": str(tmp_path / "pkg" / f"m{i}.py") for i in range(120)},
        "nothere/mod.py": None,
        "scripts/my-tool.py": None,
    }


def test_module_origin_unknown(tmp_path):
    write(tmp_path, {"pkg/mod.py": "raise ImportError('no')\n", "pkg/__init__.py": ""})
    env = make_test_env(os.environ, tmp_path)
    assert module_origin(tmp_path, "nothere/mod.py", env, PY) is None
    assert module_origin(tmp_path, "scripts/my-tool.py", env, PY) is None


# --------------------------------------------------------------------------- Ctrl-C

BEATING = """\
import pathlib, sys, time
while True:
    pathlib.Path(sys.argv[1]).write_text(str(time.time()))
    time.sleep(0.1)
"""


def test_ctrl_c_ends_the_commands_of_other_threads_and_starts_none(tmp_path):
    """SIGINT reaches only the main thread; the runs in parallel_map's threads end with it."""
    import signal
    import threading

    from bot.verify.runs import parallel_map

    beats = [tmp_path / f"beat-{i}" for i in range(4)]
    started: list[Path] = []

    def run(beat: Path) -> int:
        started.append(beat)
        return run_command([PY, "-c", BEATING, str(beat)], tmp_path, os.environ, 60).returncode

    def interrupt_once_both_beat() -> None:
        deadline = time.monotonic() + 30
        while not all(b.exists() for b in beats[:2]) and time.monotonic() < deadline:
            time.sleep(0.05)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    threading.Thread(target=interrupt_once_both_beat, daemon=True).start()
    began = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        parallel_map(run, beats, 2)  # two at once: the last two wait for a free thread
    assert time.monotonic() - began < 20, "the interrupt waited for the commands to end"
    assert len(started) == 2 and not beats[2].exists() and not beats[3].exists()
    last = {b: b.read_text() for b in beats[:2]}
    time.sleep(0.5)
    assert {b: b.read_text() for b in beats[:2]} == last, "a command still runs"
    # Everything stopped: the process may run commands again (the next in-process night).
    assert run_command([PY, "-c", "print('again')"], tmp_path, os.environ, 30).returncode == 0
