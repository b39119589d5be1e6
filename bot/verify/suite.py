"""The test command (pure): parse it, recognise pytest, add JUnit output, pick a default."""

from __future__ import annotations

import os
import re
import shlex
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import UserError
from bot.recipes.yamlpos import display_path

if TYPE_CHECKING:
    from bot.config import RepoConfig
    from bot.recipes.model import Recipe

DEFAULT_TEST_COMMAND = "python -m pytest -q"
CONFIG_HINT = "set `test_command` in .github/nightcrew.yml"

# pytest's exit codes that mean the run did not really happen.
PYTEST_BROKEN = {
    2: "was interrupted (often a collection error)",
    3: "hit an internal error",
    4: "was called wrongly or could not load a conftest (usage error)",
}


# Linux refuses to exec a program given one argument of 128 KiB or more (MAX_ARG_STRLEN,
# counting its NUL) or, together with the environment, more than ARG_MAX (usually 2 MiB);
# the environment and the sandbox's own arguments need their share of the latter.
MAX_ARGUMENT_BYTES = 128 * 1024 - 1
MAX_COMMAND_BYTES = 1024 * 1024


def command_problem(argv: Sequence[str]) -> str | None:
    """Why the system could not start ``argv`` (E2BIG), or None if it can."""
    sizes = [len(arg.encode("utf-8", "surrogateescape")) for arg in argv]
    for i, size in enumerate(sizes):
        if size > MAX_ARGUMENT_BYTES:
            return (
                f"argument {i + 1} is {size:,} bytes, and the system starts no program with "
                f"an argument over {MAX_ARGUMENT_BYTES:,} bytes: move it into a file the "
                "test runner reads (a pytest config, a list of test ids)"
            )
    total = sum(sizes) + len(sizes)
    if total > MAX_COMMAND_BYTES:
        return (
            f"the command is {total:,} bytes, more than the {MAX_COMMAND_BYTES:,} bytes "
            "Nightcrew allows (the system's limit also covers the environment): move its "
            "arguments into a file the test runner reads"
        )
    return None


def split_test_command(command: str) -> tuple[list[str], str | None]:
    """The command split like a POSIX shell would, and why it cannot run (None if it can)."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        shown = command if len(command) <= 200 else command[:200] + "..."
        return [], f"cannot parse {shown!r}: {exc}"
    if not argv:
        return [], "the test command is empty"
    return argv, command_problem(argv)


def parse_test_command(command: str) -> list[str]:
    """Split a configured test command like a POSIX shell would (no shell runs it)."""
    argv, problem = split_test_command(command)
    if problem:
        raise UserError(problem, field="test_command")
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


def pytest_index(argv: Sequence[str]) -> int | None:
    """Where ``pytest`` (or ``-mpytest``) stands in a pytest command; None if it is not one."""
    return _pytest_index(argv)


def is_python(program: str) -> bool:
    """``python``, ``python3.12``, ``pypy3``, a path to one, or Nightcrew's own interpreter."""
    return bool(_PYTHON.fullmatch(os.path.basename(program))) or program == sys.executable


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
    """A bare ``python``/``python3`` means the tests' interpreter (bot.verify.interpreter).

    PATH from :func:`~bot.sandbox.environment.test_env` says the same, but not every
    interpreter's directory has a ``python`` beside it (``/usr/bin/python3.11`` alone).
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


def test_commands(recipe: Recipe, config: RepoConfig, tree: Path) -> list[str]:
    """The commands that verify this recipe's fixes: the recipe's own, else the repo's."""
    if recipe.verify_commands:
        for i, command in enumerate(recipe.verify_commands):
            _argv, problem = split_test_command(command)
            if problem:  # before any test runs, not as an error from exec in the middle
                shown = display_path(recipe.source) if recipe.source else None
                raise UserError(problem, shown, None, f"verify.commands[{i}]")
        return list(recipe.verify_commands)
    command = config.test_command or default_test_command(tree)
    return [command] if command else []
