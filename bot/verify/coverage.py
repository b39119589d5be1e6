"""Adapter: a pytest run under coverage.py, measuring only the files the fixes changed.

``wrap`` turns ``[python] -m pytest ARGS`` (or ``pytest ARGS``) into ``python -m coverage run
--rcfile=OURS -m pytest -p _nightcrew_contexts ARGS``: Nightcrew's own coverage config (the
project's is not read), only the changed files measured (cheap), and the plugin
(``pytest_plugin``) labelling each test's lines with its JUnit id. The interpreter that runs
the tests is asked once what it has (``probe``): its own coverage.py 6 or later is used;
without one, Nightcrew's own is lent to it on ``PYTHONPATH`` when both Pythons are the same
version (the pure-Python tracer takes over if the C one cannot load); otherwise coverage is
unknown. Other commands (tox, nox, make, a script, ``uv run ...``) give unknown too.

The core is ctrace: coverage.py cannot record dynamic contexts with sys.monitoring
(``COVERAGE_CORE=sysmon``), so it is asked for by name, and Python 3.14's sysmon default
cannot drop them either.

The data file is written inside the run's own folder, which the sandbox lets the run write,
so code under test controls it: ``collect`` reads it without following links, checks that
it is a plain SQLite database of tables before coverage opens a copy of it, and never
trusts it beyond "which lines ran" (a forged file gives forged, advisory evidence).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import coverage as coverage_py
from coverage.exceptions import CoverageException

from bot.verify.evidence import RunCoverage
from bot.verify.suite import is_python, pytest_index

PYTEST_NAMES = ("pytest", "py.test")
PLUGIN = "_nightcrew_contexts"
MIN_VERSION = (6, 0)
DATA_FILE = "coverage.db"
SUPPORT = "nightcrew-coverage"  # the run's folder for the plugin, the config, a lent coverage
_PROBE = (
    "import json, sys\n"
    "try:\n    import coverage\n    version = list(coverage.version_info[:2])\n"
    "except Exception:\n    version = None\n"
    "print(json.dumps({'python': list(sys.version_info[:2]),"
    " 'implementation': sys.implementation.name, 'coverage': version}))\n"
)


@dataclass(frozen=True)
class Interpreter:
    """What the tests' Python has: its version, implementation and coverage version."""

    python: str
    version: tuple[int, ...]
    implementation: str
    coverage: tuple[int, ...] | None


@dataclass(frozen=True)
class Plan:
    """A coverage run ready to start: its command and environment, where its data goes."""

    argv: list[str]
    env: dict[str, str]
    data: Path
    measured: Mapping[str, Path]  # repo-relative path -> the file coverage reports
    plugin: Path


Probe = Callable[[list[str]], str | None]  # runs a command as the tests run; its output
_probed: dict[tuple[str, bool], Interpreter | str] = {}
_lock = threading.Lock()


def interpreter(python: str, probe: Probe, sandboxed: bool) -> Interpreter | str:
    """What ``python`` has, asked once per interpreter (and sandbox) a night; or why not."""
    key = (python, sandboxed)
    with _lock:
        if key in _probed:
            return _probed[key]
    found = _ask(python, probe)
    with _lock:
        return _probed.setdefault(key, found)


def _ask(python: str, probe: Probe) -> Interpreter | str:
    said = probe([python, "-c", _PROBE])
    last = (said or "").strip().splitlines()[-1:] or [""]
    try:
        data = json.loads(last[0])
        version = tuple(int(n) for n in data["python"])
        cov = data["coverage"]
        return Interpreter(
            python,
            version,
            str(data["implementation"]),
            None if cov is None else tuple(int(n) for n in cov),
        )
    except (ValueError, KeyError, TypeError):
        return f"could not ask {python} which Python and coverage it has"


def _shebang(script: str) -> str | None:
    """The Python a console script (``pytest``) runs with, from its ``#!`` line."""
    try:
        with open(script, "rb") as fh:
            first = fh.readline(4096).decode("utf-8", "replace")
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    words = first[2:].split()
    if words and os.path.basename(words[0]) == "env" and len(words) > 1:
        return shutil.which(words[1])
    return words[0] if words and is_python(words[0]) else None


def split_pytest(
    argv: Sequence[str], path: str, python: str
) -> tuple[str, list[str], list[str]] | str:
    """(the interpreter, its options, pytest's arguments) of a pytest command, or why it
    is not one coverage can run (tox, a runner like ``uv run``, ``coverage run`` itself)."""
    index = pytest_index(argv)
    if index is None:
        return f"`{argv[0]}` is not pytest: coverage cannot see into it"
    if index == 0 and os.path.basename(argv[0]) in PYTEST_NAMES:
        script = shutil.which(argv[0], path=path)
        return (script and _shebang(script)) or python, [], list(argv[1:])
    if not is_python(argv[0]):
        return f"`{argv[0]}` runs pytest in a way coverage cannot see into"
    found = shutil.which(argv[0], path=path) or argv[0]
    if argv[index] in PYTEST_NAMES:  # `-m pytest`
        return found, list(argv[1 : index - 1]), list(argv[index + 1 :])
    return found, list(argv[1:index]), list(argv[index + 1 :])  # `-mpytest`


def _pattern(path: Path) -> str:
    """``path`` as one ``include`` glob: anything but plain characters matches as ``?``, so
    no glob, comma, ``$`` or space in a name can widen or break the config."""
    return re.sub(r"[^A-Za-z0-9_./-]", "?", str(path))


def _config(patterns: Sequence[str]) -> str:
    include = "".join(f"\n    {p}" for p in patterns)
    return (
        "# Nightcrew's coverage config for one test run (the project's own is not read).\n"
        "[run]\n"
        f"include ={include}\n"
        "core = ctrace\n"
        "branch = False\n"
        "parallel = False\n"
        "disable_warnings =\n    no-data-collected\n    module-not-measured\n"
        "    couldnt-parse\n    no-ctracer\n    no-sysmon\n"
    )


def plan(
    argv: Sequence[str],
    env: Mapping[str, str],
    worktree: Path,
    run_dir: Path,
    measure: Sequence[str],
    python: str,
    probe: Probe,
    sandboxed: bool,
) -> Plan | str:
    """The coverage run of the pytest command ``argv``, or why coverage cannot say."""
    split = split_pytest(argv, env.get("PATH", os.defpath), python)
    if isinstance(split, str):
        return split
    interp, options, args = split
    found = interpreter(interp, probe, sandboxed)
    if isinstance(found, str):
        return found
    lend = found.coverage is None or found.coverage < MIN_VERSION
    ours = (sys.version_info[:2], sys.implementation.name)
    if lend and (found.version[:2], found.implementation) != ours:
        return (
            f"{interp} (Python {'.'.join(map(str, found.version))}) has no coverage.py "
            f"{'.'.join(map(str, MIN_VERSION))} or later, and Nightcrew's (Python "
            f"{sys.version_info[0]}.{sys.version_info[1]}) cannot be lent to it: install "
            "coverage in the environment the tests run in"
        )
    support = run_dir / SUPPORT
    support.mkdir()
    plugin = support / f"{PLUGIN}.py"
    shutil.copyfile(Path(__file__).with_name("pytest_plugin.py"), plugin)
    if lend:
        (support / "coverage").symlink_to(Path(coverage_py.__file__).parent)
    measured = {p: Path(os.path.realpath(worktree / p)) for p in measure}
    rcfile = support / "coveragerc"
    patterns = [_pattern(p) for p in [*measured.values(), Path(os.path.realpath(plugin))]]
    rcfile.write_text(_config(patterns), encoding="utf-8")
    run_env = {k: v for k, v in env.items() if not k.startswith("COVERAGE_")}
    run_env["COVERAGE_FILE"] = str(run_dir / DATA_FILE)
    paths = [p for p in run_env.get("PYTHONPATH", "").split(os.pathsep) if p]
    roots = sum(1 for p in paths if Path(p).is_relative_to(worktree))  # the tree's come first
    run_env["PYTHONPATH"] = os.pathsep.join([*paths[:roots], str(support), *paths[roots:]])
    command = [interp, *options, "-m", "coverage", "run", f"--rcfile={rcfile}", "-m", "pytest"]
    return Plan([*command, "-p", PLUGIN, *args], run_env, run_dir / DATA_FILE, measured, plugin)


# --------------------------------------------------------------------------- reading the data

MAX_DATA_BYTES = 64 * 1024 * 1024


def collect(made: Plan, read: Callable[[Path, int], bytes | None]) -> RunCoverage:
    """What the run's data file says; ``read`` reads it without following links."""
    data = read(made.data, MAX_DATA_BYTES)
    if data is None:
        return RunCoverage.unknown("coverage wrote no readable data file")
    with tempfile.TemporaryDirectory(prefix="nightcrew-coverage-") as scratch:
        copy = Path(scratch) / DATA_FILE
        copy.write_bytes(data)
        problem = _not_plain(copy)
        if problem:
            return RunCoverage.unknown(problem)
        try:
            return _lines(made, copy)
        except (CoverageException, sqlite3.Error, ValueError, TypeError) as exc:
            return RunCoverage.unknown(f"coverage's data could not be read: {exc}")


def clean(made: Plan) -> None:
    """Remove what the run left for coverage: its data file, the plugin, the config."""
    for leftover in made.data.parent.glob(f"{DATA_FILE}*"):
        if leftover.is_symlink() or leftover.is_file():
            leftover.unlink(missing_ok=True)
    shutil.rmtree(made.data.parent / SUPPORT, ignore_errors=True)


def _not_plain(path: Path) -> str | None:
    """Why a data file is not a plain SQLite database of tables (views and triggers run
    code when read), or None when it is one."""
    try:
        with contextlib.closing(sqlite3.connect(path.as_uri() + "?mode=ro", uri=True)) as db:
            kinds = db.execute("select type, coalesce(sql, '') from sqlite_master").fetchall()
    except sqlite3.Error as exc:
        return f"coverage's data file is not a database: {exc}"
    for kind, sql in kinds:
        if kind not in ("table", "index") or "virtual" in str(sql).lower():
            return f"coverage's data file holds a {kind} Nightcrew does not read"
    return None


def _lines(made: Plan, copy: Path) -> RunCoverage:
    data = coverage_py.CoverageData(basename=str(copy))
    data.read()
    wanted = {str(path): rel for rel, path in made.measured.items()}
    plugin = os.path.realpath(made.plugin)
    executed: dict[str, dict[str, frozenset[int]]] = {}
    outside: dict[str, frozenset[int]] = {}
    tests: set[str] = set()
    for measured in data.measured_files():
        if measured == plugin:
            for contexts in data.contexts_by_lineno(measured).values():
                tests.update(c for c in contexts if c)
            continue
        rel = wanted.get(measured)
        if rel is None:
            continue
        by_context: dict[str, set[int]] = {}
        for line, contexts in data.contexts_by_lineno(measured).items():
            for context in contexts:
                by_context.setdefault(context, set()).add(int(line))
        outside[rel] = frozenset(by_context.pop("", ()))
        for context, lines in by_context.items():
            executed.setdefault(context, {})[rel] = frozenset(lines)
    if not tests:
        return RunCoverage.unknown(
            "coverage saw no test run (tests run in other processes, by pytest-xdist say, "
            "are not measured)"
        )
    return RunCoverage(executed, outside, frozenset(tests))
