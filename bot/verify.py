"""Adapter: run the baseline and each fix's checks (compile, ruff, tests) and judge them.

Everything that starts a process lives here. A test command runs in its own session
(process group) with secrets scrubbed and the worktree first on the import path; on a
timeout the whole group is killed, and nothing it started outlives the run.
"""

from __future__ import annotations

import contextlib
import json
import keyword
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ruff.__main__ import find_ruff_bin

from bot.environment import redact_env, source_roots, test_env
from bot.errors import UserError
from bot.junit import JUnitError, JUnitResult, parse_junit
from bot.sandbox import NONE as NO_SANDBOX
from bot.sandbox import TMP_PREFIX, Sandbox

TAIL_LINES = 60
_TAIL_BYTES = 64 * 1024
KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
MIN_TIMEOUT = 60.0
DEFAULT_TEST_COMMAND = "python -m pytest -q"
CONFIG_HINT = "set `test_command` in .github/nightcrew.yml"

# pytest's exit codes that mean the run did not really happen.
PYTEST_BROKEN = {
    2: "was interrupted (often a collection error)",
    3: "hit an internal error",
    4: "was called wrongly (usage error)",
}


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    duration: float
    timed_out: bool
    output_tail: str
    not_found: bool = False
    log_path: Path | None = None


@contextlib.contextmanager
def _open_log(log_path: Path | None) -> Iterator[IO[bytes]]:
    if log_path is None:
        with tempfile.TemporaryFile() as log:
            yield log
    else:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("w+b") as log:
            yield log


def _tail(log: IO[bytes], lines: int = TAIL_LINES) -> str:
    log.flush()
    size = log.seek(0, os.SEEK_END)
    start = max(0, size - _TAIL_BYTES)
    log.seek(start)
    text = log.read().decode("utf-8", errors="replace").splitlines()
    if start:
        text = text[1:]  # the first line was cut in the middle
    return "\n".join(text[-lines:])


def _signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to the group; False once no process is left in it."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:  # macOS: a group of only zombies
        return False
    return True


def _kill_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the process group, wait up to ``grace`` seconds for it to go, then SIGKILL."""
    pgid = proc.pid
    if not _signal_group(pgid, signal.SIGTERM):
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        proc.poll()  # reap the leader: a zombie still counts as a group member
        if not _signal_group(pgid, 0):
            return
        time.sleep(0.05)
    _signal_group(pgid, signal.SIGKILL)


def run_command(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    log_path: Path | None = None,
    *,
    grace: float = KILL_GRACE,
    sandbox: Sandbox = NO_SANDBOX,
    writable: Sequence[Path] = (),
) -> CommandResult:
    """Run ``argv`` in its own process group, output to ``log_path``; never raises on failure.

    A missing executable gives ``not_found=True`` (exit 127). After the command ends, or
    when ``timeout`` passes, every process left in its group is terminated (unsandboxed, a
    process that made a session of its own escapes that; sandboxed, nothing does: the
    sandbox's PID namespace ends with the command).

    With an active ``sandbox`` the command runs inside it, able to write only to ``cwd``,
    ``writable`` and a private temporary folder (its ``TMPDIR``), removed afterwards.
    """
    argv = tuple(argv)
    if not argv:
        raise ValueError("empty command")
    if not cwd.is_dir():
        raise NotADirectoryError(f"working directory {cwd} does not exist")
    with contextlib.ExitStack() as stack:
        launch, env = list(argv), dict(env)
        if sandbox.active:
            if _which(argv[0], cwd, env) is None:
                message = f"{argv[0]}: No such file or directory"
                return CommandResult(argv, 127, 0.0, False, message, True, log_path)
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=TMP_PREFIX)))
            env.update(TMPDIR=str(tmp), TMP=str(tmp), TEMP=str(tmp))
            launch = sandbox.wrap(argv, cwd, [cwd, tmp, *writable])
        return _run_logged(argv, launch, cwd, env, timeout, log_path, grace)


def _which(program: str, cwd: Path, env: Mapping[str, str]) -> str | None:
    """Where ``program`` is, looked up as the exec would (PATH, or relative to ``cwd``)."""
    if os.sep in program:
        path = cwd / program
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(program, path=env.get("PATH", os.defpath))


def _run_logged(
    argv: tuple[str, ...],
    launch: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    log_path: Path | None,
    grace: float,
) -> CommandResult:
    with _open_log(log_path) as log:
        start = time.monotonic()
        try:
            proc = subprocess.Popen(
                launch,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except (FileNotFoundError, PermissionError) as exc:
            message = f"{argv[0]}: {exc.strerror or exc}"
            log.write(message.encode())
            return CommandResult(
                argv, 127, time.monotonic() - start, False, message, True, log_path
            )
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:  # also on KeyboardInterrupt: leave nothing running
            duration = time.monotonic() - start
            _kill_group(proc, grace if timed_out or proc.returncode is None else 0.0)
            returncode = proc.wait()
        tail = redact_env(_tail(log))
        return CommandResult(argv, returncode, duration, timed_out, tail, False, log_path)


# --------------------------------------------------------------------------- test commands


def parse_test_command(command: str) -> list[str]:
    """Split a configured test command like a POSIX shell would (no shell runs it)."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise UserError(f"cannot parse {command!r}: {exc}", field="test_command") from exc
    if not argv:
        raise UserError("the test command is empty", field="test_command")
    return argv


_PYTHON = re.compile(r"(?:python|pypy)(?:\d+(?:\.\d+)?)?(?:\.exe)?")
_RUNNERS = frozenset({"uv", "poetry", "pdm", "pipenv", "hatch"})  # `<runner> run <cmd>`
_PYTEST_NAMES = ("pytest", "py.test")
_OPTIONS_WITH_ARG = frozenset({"-X", "-W"})


def _after_m_option(argv: Sequence[str], start: int) -> int | None:
    """Index of ``pytest`` in ``... [options] -m pytest``, scanning from ``start``."""
    i = start
    while i < len(argv):
        token = argv[i]
        if token == "-m":
            return i + 1 if i + 1 < len(argv) and argv[i + 1] in _PYTEST_NAMES else None
        if token.startswith("-m"):
            return i if token[2:] in _PYTEST_NAMES else None
        if token in _OPTIONS_WITH_ARG:
            i += 2
        elif token.startswith("-") and token not in ("-", "-c"):
            i += 1
        else:
            return None  # a script, `-c code` or stdin: not pytest
    return None


def _pytest_index(argv: Sequence[str], start: int = 0) -> int | None:
    """Where pytest's own arguments begin minus one, or None if this does not run pytest."""
    if start >= len(argv):
        return None
    exe = os.path.basename(argv[start])
    if exe in _PYTEST_NAMES:
        return start
    has_run = start + 1 < len(argv) and argv[start + 1] == "run"
    if exe in _RUNNERS and has_run:
        return _pytest_index(argv, start + 2)
    if exe == "coverage" and has_run:
        return _after_m_option(argv, start + 2)
    if _PYTHON.fullmatch(exe) or argv[start] == sys.executable:
        return _after_m_option(argv, start + 1)
    return None


def is_pytest(argv: Sequence[str]) -> bool:
    """``pytest ...``, ``python -m pytest ...``, ``uv run pytest ...`` and the like."""
    return _pytest_index(argv) is not None


def with_junit(argv: Sequence[str], xml_path: Path) -> list[str]:
    """Add a JUnit report and no cache dir to a pytest command.

    Appended so they win over the user's own ``--junitxml``, but before a ``--``.
    """
    index = _pytest_index(argv)
    if index is None:
        raise ValueError(f"not a pytest command: {shlex.join(argv)}")
    extra = [f"--junitxml={xml_path}", "-o", "junit_family=xunit2", "-p", "no:cacheprovider"]
    argv = list(argv)
    end = argv.index("--", index) if "--" in argv[index:] else len(argv)
    return argv[:end] + extra + argv[end:]


def resolve_python(argv: Sequence[str], python: str) -> list[str]:
    """A bare ``python``/``python3`` means the interpreter Nightcrew runs with.

    PATH from :func:`~bot.environment.test_env` says the same, but not every interpreter's
    directory has a ``python`` beside it (``/usr/bin/python3.11`` alone).
    """
    argv = list(argv)
    if argv and argv[0] in ("python", "python3"):
        argv[0] = python
    return argv


_SKIP_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "venv", "build", "dist"})
_TEST_FILE = re.compile(r"(?:test_.*|.*_test)\.py")


def _has_pytest_config(tree: Path) -> bool:
    if (tree / "pytest.ini").is_file():
        return True
    pyproject = tree / "pyproject.toml"
    if pyproject.is_file():
        try:
            tool = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            tool = {}
        if isinstance(tool, dict) and "pytest" in tool:
            return True
    for name, section in (("setup.cfg", "[tool:pytest]"), ("tox.ini", "[pytest]")):
        cfg = tree / name
        if cfg.is_file():
            text = cfg.read_text(encoding="utf-8", errors="replace")
            if any(line.strip() == section for line in text.splitlines()):
                return True
    return False


def has_tests(tree: Path) -> bool:
    """A ``tests/`` or ``test/`` dir, a ``test_*.py``/``*_test.py`` file, or pytest config."""
    if (tree / "tests").is_dir() or (tree / "test").is_dir() or _has_pytest_config(tree):
        return True
    for _dirpath, dirnames, filenames in os.walk(tree):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS]
        if any(_TEST_FILE.fullmatch(name) for name in filenames):
            return True
    return False


def default_test_command(tree: Path) -> str | None:
    """``python -m pytest -q`` when the tree has tests, else None (lint-only territory)."""
    return DEFAULT_TEST_COMMAND if has_tests(tree) else None


# --------------------------------------------------------------------------- test runs


@dataclass(frozen=True)
class TestRun:
    """One run of the test command; ``junit`` is None unless pytest wrote a readable report."""

    __test__ = False  # not a pytest test class, despite the name

    command: str
    returncode: int
    duration: float
    timeout: float
    timed_out: bool
    not_found: bool
    pytest: bool
    junit: JUnitResult | None
    output_tail: str
    log_path: Path | None
    junit_problem: str | None = None  # why there is no report when pytest should have written one

    @property
    def failed(self) -> frozenset[str] | None:
        return self.junit.failed if self.junit is not None else None

    @property
    def tests(self) -> int | None:
        return self.junit.tests if self.junit is not None else None


def _read_junit(xml_path: Path) -> tuple[JUnitResult | None, str | None]:
    if not xml_path.is_file():
        return None, "pytest wrote no JUnit report"
    try:
        xml_text = redact_env(xml_path.read_text(encoding="utf-8", errors="replace"))
        return parse_junit(xml_text), None
    except JUnitError as exc:
        return None, str(exc)


def run_tests(
    command: str,
    worktree: Path,
    env_base: Mapping[str, str],
    timeout: float,
    log_dir: Path,
    label: str = "tests",
    *,
    python: str = sys.executable,
    extra_args: Sequence[str] = (),
    sandbox: Sandbox = NO_SANDBOX,
) -> TestRun:
    """Run the test command in ``worktree``; its log and JUnit report go to ``log_dir``.

    ``extra_args`` are appended to the command (e.g. the test files to run first).
    """
    argv = [*resolve_python(parse_test_command(command), python), *extra_args]
    log_dir.mkdir(parents=True, exist_ok=True)
    # Unique per run, so parallel worktrees and repeated commands never share a log.
    prefix = re.sub(r"[^\w.-]", "_", label) + "-"
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".log", dir=log_dir)
    os.close(fd)
    log_path = Path(name)
    xml_path = log_path.with_suffix(".xml")
    pytest = is_pytest(argv)
    if pytest:
        argv = with_junit(argv, xml_path)
    env = test_env(env_base, worktree, python)
    result = run_command(
        argv, worktree, env, timeout, log_path, sandbox=sandbox, writable=[log_dir]
    )
    junit, problem = _read_junit(xml_path) if pytest and not result.timed_out else (None, None)
    return TestRun(
        command=command,
        returncode=result.returncode,
        duration=result.duration,
        timeout=timeout,
        timed_out=result.timed_out,
        not_found=result.not_found,
        pytest=pytest,
        junit=junit,
        output_tail=result.output_tail,
        log_path=log_path,
        junit_problem=problem,
    )


@dataclass(frozen=True)
class Baseline:
    """The test command on the base commit: what already fails, how long it takes."""

    run: TestRun
    failing: frozenset[str]
    duration: float

    @property
    def problem(self) -> str | None:
        return baseline_problem(self.run)


def baseline(
    command: str,
    base_tree: Path,
    env_base: Mapping[str, str],
    timeout: float,
    log_dir: Path,
    *,
    python: str = sys.executable,
    sandbox: Sandbox = NO_SANDBOX,
) -> Baseline:
    run = run_tests(
        command, base_tree, env_base, timeout, log_dir, "baseline", python=python, sandbox=sandbox
    )
    return Baseline(run=run, failing=run.failed or frozenset(), duration=run.duration)


def derive_timeout(baseline_duration: float, ceiling: float) -> float:
    """``min(ceiling, max(60, 3 * baseline + 30))`` seconds.

    Three times the baseline absorbs a busy runner and parallel worktrees; 30 s covers
    start-up; 60 s is the floor so a fast suite is not killed by a hiccup; the ceiling is
    the configured limit.
    """
    return min(ceiling, max(MIN_TIMEOUT, 3 * baseline_duration + 30))


@dataclass(frozen=True)
class Comparison:
    ok: bool
    reason: str
    new_failures: tuple[str, ...] = ()


def _listed(ids: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _not_found(run: TestRun) -> str:
    return (
        f"the test command `{run.command}` was not found; {CONFIG_HINT} "
        "to the command that runs your tests"
    )


def baseline_problem(run: TestRun) -> str | None:
    """Why this baseline run cannot verify anything, or None if it can."""
    if run.not_found:
        return _not_found(run)
    if run.timed_out:
        return (
            f"the baseline run timed out after {run.timeout:.0f}s, so nothing could be "
            f"verified; raise the timeout or {CONFIG_HINT} to a faster command"
        )
    if run.junit is not None:
        if run.returncode in PYTEST_BROKEN:
            return (
                f"on the base commit pytest {PYTEST_BROKEN[run.returncode]} "
                f"(exit {run.returncode}), so nothing could be verified"
            )
        if run.junit.tests == 0:
            return f"on the base commit `{run.command}` ran no tests; {CONFIG_HINT}"
        return None
    if run.returncode != 0:
        return (
            f"`{run.command}` already fails on the base commit (exit {run.returncode}), "
            "so it cannot verify this fix"
        )
    return None


def _compare_junit(base: TestRun, base_junit: JUnitResult, run: TestRun) -> Comparison:
    junit = run.junit
    if junit is None:
        detail = f": {run.junit_problem}" if run.junit_problem else ""
        return Comparison(
            False, f"pytest exited {run.returncode} without a readable report{detail}"
        )
    new = tuple(sorted(junit.failed - base_junit.failed))
    if run.returncode in PYTEST_BROKEN:
        extra = f"; new failures: {_listed(new)}" if new else ""
        return Comparison(
            False, f"pytest {PYTEST_BROKEN[run.returncode]} (exit {run.returncode}){extra}", new
        )
    if junit.tests == 0:
        return Comparison(False, f"no tests ran (the baseline ran {base_junit.tests})")
    if new:
        return Comparison(False, f"{len(new)} new failing test(s): {_listed(new)}", new)
    vanished = sorted(base_junit.ids - junit.ids)
    if vanished:
        return Comparison(
            False, f"{len(vanished)} test(s) from the baseline did not run: {_listed(vanished)}"
        )
    newly_skipped = sorted((junit.skipped_ids - base_junit.skipped_ids) - base_junit.failed)
    if newly_skipped:
        return Comparison(
            False, f"{len(newly_skipped)} test(s) now skipped: {_listed(newly_skipped)}"
        )
    if run.returncode != 0 and base.returncode == 0:
        return Comparison(
            False,
            f"pytest exited {run.returncode} though no test failed "
            "(a coverage threshold or a session-level error?)",
        )
    already = len(base_junit.failed)
    note = f"; {already} already failing on the base commit" if already else ""
    return Comparison(
        True, f"no new failures: {junit.tests} tests ran in {run.duration:.0f}s{note}"
    )


def compare(baseline: TestRun, run: TestRun) -> Comparison:
    """Accept a fix's test run only if it fails nothing the baseline did not.

    With pytest reports on both sides that means: not timed out, pytest really ran (exit
    not 2/3/4, some tests), no failing test that passed in the baseline, and no baseline
    test that vanished or became skipped. Other commands are judged by exit status.
    """
    if run.not_found:
        return Comparison(False, _not_found(run))
    problem = baseline_problem(baseline)
    if problem:
        return Comparison(False, problem)
    if run.timed_out:
        return Comparison(
            False,
            f"tests timed out after {run.timeout:.0f}s (baseline took {baseline.duration:.0f}s)",
        )
    if baseline.junit is not None:
        return _compare_junit(baseline, baseline.junit, run)
    if run.returncode != 0:
        return Comparison(False, f"`{run.command}` failed (exit {run.returncode})")
    return Comparison(True, f"`{run.command}` passed in {run.duration:.0f}s")


# --------------------------------------------------------------------------- static checks


def compile_check(worktree: Path, paths: Sequence[str]) -> str | None:
    """Syntax errors in the changed Python files, one per line, or None; writes nothing."""
    errors = []
    for path in paths:
        file = worktree / path
        if not path.endswith((".py", ".pyi")) or not file.is_file():
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarning is ruff's business, not ours
                compile(file.read_bytes(), path, "exec", dont_inherit=True)
        except SyntaxError as exc:
            errors.append(f"{path}:{exc.lineno}: {exc.msg}")
        except ValueError as exc:  # e.g. null bytes
            errors.append(f"{path}: {exc}")
    return "\n".join(errors) or None


@dataclass(frozen=True)
class RuffReport:
    """Ruff's diagnostics on some files, counted per (path, code)."""

    counts: Mapping[tuple[str, str], int] = field(default_factory=dict)
    examples: Mapping[tuple[str, str], str] = field(default_factory=dict)
    error: str | None = None  # ruff itself failed (exit 2: config error)


def ruff_check(tree: Path, paths: Sequence[str], *, timeout: float = 300) -> RuffReport:
    """Real ruff on ``paths`` under the tree's own config; never fixes, never caches."""
    existing = [p for p in paths if (tree / p).is_file()]
    if not existing:
        return RuffReport()
    argv = [
        find_ruff_bin(),
        "check",
        "--no-fix",  # repos may say `fix = true`
        "--no-cache",
        "--force-exclude",  # the repo's excludes apply to named files too
        "--output-format",
        "json",
        "--",
        *existing,
    ]
    try:
        proc = subprocess.run(
            argv, cwd=tree, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return RuffReport(error=f"ruff timed out after {timeout:.0f}s")
    if proc.returncode not in (0, 1):
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        return RuffReport(error=f"ruff exited {proc.returncode}: {tail}")
    try:
        diagnostics = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError as exc:
        return RuffReport(error=f"ruff's JSON output is unreadable: {exc}")
    root = tree.resolve()
    counts: dict[tuple[str, str], int] = {}
    examples: dict[tuple[str, str], str] = {}
    for diag in diagnostics:
        filename = Path(diag.get("filename", ""))
        with contextlib.suppress(ValueError):
            filename = filename.resolve().relative_to(root)
        key = (filename.as_posix(), diag.get("code") or "invalid-syntax")
        counts[key] = counts.get(key, 0) + 1
        row = (diag.get("location") or {}).get("row", "?")
        examples.setdefault(key, f"line {row}: {diag.get('message', '')}")
    return RuffReport(counts=counts, examples=examples)


def compare_ruff(base: RuffReport, fix: RuffReport) -> list[str]:
    """One line for every (path, code) with more diagnostics after the fix than before."""
    if base.error and fix.error:
        return []  # ruff cannot run on this repo at all; the caller notes base.error
    if fix.error:
        return [f"ruff could not check the fix: {fix.error}"]
    lines = []
    for key in sorted(fix.counts):
        before, after = base.counts.get(key, 0), fix.counts[key]
        if after > before:
            path, code = key
            lines.append(f"{path}: {code} {before} -> {after} ({fix.examples.get(key, '')})")
    return lines


def ruff_regressions(base_tree: Path, fix_tree: Path, paths: Sequence[str]) -> list[str]:
    """New ruff diagnostics the fix brings to ``paths``; [] when ruff fails in both trees."""
    return compare_ruff(ruff_check(base_tree, paths), ruff_check(fix_tree, paths))


# --------------------------------------------------------------------------- provenance


_ORIGIN_MARKER = "nightcrew-origin:"
_ORIGIN_SCRIPT = f"""\
import importlib.util, sys
try:
    spec = importlib.util.find_spec(sys.argv[1])
except Exception:
    spec = None
print()
print({_ORIGIN_MARKER!r} + ((spec.origin or "") if spec else ""))
"""


def module_name(worktree: Path, path: str) -> str | None:
    """The dotted module a changed file is imported as (``src/pkg/mod.py`` -> ``pkg.mod``)."""
    if not path.endswith(".py"):
        return None
    file = worktree.absolute() / path
    for root in source_roots(worktree):
        try:
            parts = list(file.with_suffix("").relative_to(root).parts)
        except ValueError:
            continue
        if parts and parts[-1] == "__init__":
            parts.pop()
        if parts and all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
            return ".".join(parts)
    return None


def module_origin(
    worktree: Path,
    path: str,
    env: Mapping[str, str],
    python: str = sys.executable,
    *,
    timeout: float = 60,
    sandbox: Sandbox = NO_SANDBOX,
) -> str | None:
    """Where ``python`` in ``env`` imports a changed module from, run as the tests would.

    Run from the worktree with the test environment, so the caller can show that the code
    under test was the worktree's and not an installed copy. None if it cannot be told.
    """
    name = module_name(worktree, path)
    if name is None:
        return None
    argv = [python, "-c", _ORIGIN_SCRIPT, name]
    result = run_command(argv, worktree, env, timeout, sandbox=sandbox)
    for line in reversed(result.output_tail.splitlines()):
        if line.startswith(_ORIGIN_MARKER):
            return line[len(_ORIGIN_MARKER) :] or None
    return None
