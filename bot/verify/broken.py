"""A baseline that can verify nothing, said as bad input: its first error, and what to do (pure).

The night stops on such a baseline before any fix is tried (bot.verify.baseline): a suite
that cannot import its dependencies, collects nothing, or passes no test on the base commit
would otherwise cost one suite run per finding and reject every one of them.
"""

from __future__ import annotations

import re

from bot.errors import UserError

MAX_QUOTE = 300  # characters of the quoted error line

# pytest's "E   " lines hold the exception; the rest of a traceback's last line looks the same.
_E_LINE = re.compile(r"^E\s+(\S.*)$")
_EXCEPTION = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Za-z_]\w*(?:Error|Exception|Exit|Warning):")
# "/venv/bin/python: No module named pytest", "python -m pytest: error: unrecognized arguments",
# "bwrap: execvp /x/bin/python: No such file or directory" (the sandbox could not start it)
_PROGRAM_SAYS = re.compile(
    r"^(?:\S+: No module named \S.*|\S+: can't open file .+|[^:]{1,80}: error: \S.*"
    r"|bwrap: .+)$"
)
_ERROR_WORD = re.compile(r"^(?:ERROR|error)\b:?\s*(\S.*)$")
_NO_TESTS = re.compile(r"\bno tests ran\b")
# Lines that say an error happened but not which.
_BANNERS = re.compile(r"^(?:=+|_+|-+)|^Interrupted: |^ERROR: usage:|^!+")


def first_error_line(log: str) -> str | None:
    """The line of a test log that best says why the run failed, or None.

    In order: the first exception pytest shows (``E   ModuleNotFoundError: ...``); the first
    line shaped like an exception anywhere (a traceback's last line); a program's own
    complaint (``python: No module named pytest``, ``pytest: error: ...``); the first ``E``
    line (a failed assertion); an ``ERROR`` line; pytest's "no tests ran".
    """
    lines = [line.rstrip() for line in log.splitlines()]
    shown = [m.group(1) for m in map(_E_LINE.match, lines) if m]
    for text in shown:
        if _EXCEPTION.match(text):
            return _cut(text)
    for line in lines:
        if _EXCEPTION.match(line.strip()) or _PROGRAM_SAYS.match(line.strip()):
            return _cut(line.strip())
    if shown:
        return _cut(shown[0])
    for line in lines:
        if _BANNERS.match(line):
            continue
        found = _ERROR_WORD.match(line.strip())
        if found:
            return _cut(found.group(0))
    for line in lines:
        if _NO_TESTS.search(line):
            return _cut(line.strip(" =").strip())
    return None


def _cut(text: str) -> str:
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + "…"


_IMPORT_TROUBLE = re.compile(r"\b(?:ModuleNotFoundError|ImportError|No module named)\b")


def what_to_do(cause: str | None, python: str, no_tests: bool) -> str:
    """The next step for the person who reads the error."""
    choose = (
        "or pass --python / set `python:` in .github/nightcrew.yml to an interpreter that has them"
    )
    if cause and _IMPORT_TROUBLE.search(cause):
        return f"install the test dependencies into it (`{python} -m pip install ...`), {choose}"
    if no_tests:
        return (
            "set `test_command` in .github/nightcrew.yml to the command that runs your tests, "
            "or fix pytest's testpaths / python_files"
        )
    return (
        f"run the test command on a clean checkout with {python} and make it pass there "
        f"(install what it needs into that interpreter, {choose})"
    )


def broken_suite(
    command: str,
    broken: str,
    log_text: str,
    log_path: str | None,
    interpreter: str,
    python: str,
    *,
    no_tests: bool = False,
) -> UserError:
    """The night's one error for a baseline that can verify nothing.

    ``broken`` is :func:`bot.verify.compare.broken_baseline`'s verdict; ``interpreter`` says
    which Python ran the tests and why, ``python`` is its path.
    """
    cause = first_error_line(log_text)
    quoted = f" First error: {cause}." if cause else ""
    log = f"; its log: {log_path}" if log_path else ""
    return UserError(
        f"the test suite cannot verify any fix: {broken}.{quoted} "
        f"`{command}` ran with {interpreter}{log}. "
        f"No fix was published: {what_to_do(cause, python, no_tests)}."
    )
