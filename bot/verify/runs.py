"""Adapter: run a command or the test command in its own process group, logged and killed on time.

A test command runs in its own session (process group) with secrets scrubbed and the
worktree first on the import path; on a timeout the whole group is killed, and nothing
it started outlives the run. Ctrl-C reaches only the main thread: `parallel_map` passes it
on to the runs in other threads, ending them at once and starting no more.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from bot import gitops
from bot.sandbox.bwrap import NONE as NO_SANDBOX
from bot.sandbox.bwrap import TMP_PREFIX, Sandbox
from bot.sandbox.environment import redact_env, test_env
from bot.verify import coverage, selection
from bot.verify.evidence import RunCoverage
from bot.verify.junit import JUnitError, JUnitResult, parse_junit
from bot.verify.suite import is_pytest, parse_test_command, resolve_python, with_junit

TAIL_LINES = 60
_TAIL_BYTES = 64 * 1024
KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
MIN_TIMEOUT = 60.0
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


# A log is created once, never through a link nor over an existing file, and used by its fd
# from then on: code under test that swaps a name for a symlink reaches nothing through it.
_CREATE = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
MAX_REPORT_BYTES = 64 * 1024 * 1024  # a JUnit report larger than this is not read


@contextlib.contextmanager
def _open_log(log_path: Path | None) -> Iterator[IO[bytes]]:
    if log_path is None:
        with tempfile.TemporaryFile() as log:
            yield log
    else:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(log_path, _CREATE, 0o600), "w+b") as log:
            yield log


def read_private(path: Path, limit: int = MAX_REPORT_BYTES) -> bytes | None:
    """A regular file's bytes, read without following a link (None for anything else)."""
    try:
        fd = os.open(path, _READ)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode) or os.fstat(fd).st_size > limit:
            return None
        return fh.read(limit)


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


# Interrupting: the process groups of the commands running now, and whether the night is
# being interrupted (then no command starts, and a finished one raises KeyboardInterrupt).
_RUNNING: set[int] = set()
_RUNNING_LOCK = threading.Lock()
_STOPPING = threading.Event()

T = TypeVar("T")
R = TypeVar("R")


def stop_all() -> None:
    """End every running command's process group (SIGTERM) and start no new command."""
    _STOPPING.set()
    with _RUNNING_LOCK:
        groups = list(_RUNNING)
    for pgid in groups:
        _signal_group(pgid, signal.SIGTERM)


def parallel_map(fn: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """``[fn(x) for x in items]`` on ``workers`` threads, in order.

    On Ctrl-C (KeyboardInterrupt in the calling thread) every command the threads run is
    ended, none starts, the threads are waited for, and the interrupt goes on.
    """
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        return list(pool.map(fn, items))
    except KeyboardInterrupt:
        first = not _STOPPING.is_set()  # not a nested map's worker stopped by it
        stop_all()
        pool.shutdown(wait=True, cancel_futures=True)
        if first and threading.current_thread() is threading.main_thread():
            _STOPPING.clear()  # all stopped: a later night in this process may run again
        raise
    finally:
        pool.shutdown(wait=True)


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
    ``writable`` and a private temporary folder (its ``TMPDIR``), removed afterwards; the
    git metadata of a Nightcrew worktree among them stays read-only.
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
            trees = [cwd, *writable]
            metadata = [d for d in map(gitops.worktree_git_dir, trees) if d is not None]
            launch = sandbox.wrap(argv, cwd, [*trees, tmp], readonly=metadata)
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
            with _RUNNING_LOCK:  # so stop_all either sees this process or stops its start
                if _STOPPING.is_set():
                    raise KeyboardInterrupt("the night is being interrupted")
                proc = subprocess.Popen(
                    launch,
                    cwd=cwd,
                    env=dict(env),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                _RUNNING.add(proc.pid)
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
            with _RUNNING_LOCK:
                _RUNNING.discard(proc.pid)
        if _STOPPING.is_set():  # ended by stop_all: not a result to judge a fix by
            raise KeyboardInterrupt("the night is being interrupted")
        tail = redact_env(_tail(log))
        return CommandResult(argv, returncode, duration, timed_out, tail, False, log_path)


# --------------------------------------------------------------------------- test commands


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
    coverage: RunCoverage | None = None  # what coverage saw of the measured files; None: not asked

    @property
    def executed(self) -> Mapping[str, Mapping[str, frozenset[int]]]:
        """Test id -> measured file -> the lines that test ran (empty when not measured)."""
        return self.coverage.executed if self.coverage is not None else {}

    @property
    def failed(self) -> frozenset[str] | None:
        return self.junit.failed if self.junit is not None else None

    @property
    def tests(self) -> int | None:
        return self.junit.tests if self.junit is not None else None


def _read_junit(xml_path: Path) -> tuple[JUnitResult | None, str | None]:
    data = read_private(xml_path)
    if data is None:
        return None, "pytest wrote no JUnit report"
    try:
        xml_text = redact_env(data.decode("utf-8", errors="replace"))
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
    measure: Sequence[str] | None = None,
    select: Sequence[str] | None = None,
) -> TestRun:
    """Run the test command in ``worktree``; its log and JUnit report go to ``log_dir``.

    ``extra_args`` are appended to the command (e.g. the test files to run first).
    ``measure``: repo-relative files to run the tests under coverage for (``bot.verify.coverage``;
    None: no coverage); what it saw is the run's ``coverage``.
    ``select``: JUnit ids of the only tests to run (``bot.verify.selection``; pytest only).
    Each run gets a folder of its own in ``log_dir`` (``<label>-XXXX/``, for the JUnit
    report), the only part of ``log_dir`` it may write; its log (``<label>-XXXX.log``)
    sits beside it, written by Nightcrew alone.
    """
    argv = [*parse_test_command(command), *extra_args]
    log_dir.mkdir(parents=True, exist_ok=True)
    # Unique per run, so parallel worktrees and repeated commands never share a log.
    prefix = re.sub(r"[^\w.-]", "_", label) + "-"
    run_dir = Path(tempfile.mkdtemp(prefix=prefix, dir=log_dir))
    log_path = run_dir.with_name(run_dir.name + ".log")
    xml_path = run_dir / "junit.xml"
    pytest = is_pytest(argv)  # judged as written: the interpreter may have any name
    if pytest:
        argv = with_junit(argv, xml_path)
    argv = resolve_python(argv, python)
    env = test_env(env_base, worktree, python)
    plan: coverage.Plan | str | None = None
    if measure is not None:
        plan = f"`{argv[0]}` is not pytest: coverage cannot see into it"
        if pytest:
            plan = coverage.plan(
                argv, env, worktree, run_dir, measure, python,
                lambda cmd: _ask(cmd, worktree, env, sandbox), sandbox.active,
            )  # fmt: skip
        if isinstance(plan, coverage.Plan):
            argv, env = plan.argv, plan.env
    if select is not None and pytest:
        measured = isinstance(plan, coverage.Plan)
        argv, env = selection.select(argv, env, run_dir, select, plugin_loaded=measured)
    result = run_command(
        argv, worktree, env, timeout, log_path, sandbox=sandbox, writable=[run_dir]
    )
    junit, problem = _read_junit(xml_path) if pytest and not result.timed_out else (None, None)
    seen = None if plan is None else _seen(plan, result)
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
        coverage=seen,
    )


def _ask(argv: list[str], worktree: Path, env: Mapping[str, str], sandbox: Sandbox) -> str | None:
    """What a short command prints, run as the tests are (coverage's interpreter probe)."""
    result = run_command(argv, worktree, env, MIN_TIMEOUT, sandbox=sandbox)
    return result.output_tail if result.returncode == 0 else None


def _seen(plan: coverage.Plan | str, result: CommandResult) -> RunCoverage:
    if isinstance(plan, str):
        return RunCoverage.unknown(plan)
    try:
        if result.timed_out:
            return RunCoverage.unknown("the run timed out")
        return coverage.collect(plan, read_private)
    finally:
        coverage.clean(plan)
