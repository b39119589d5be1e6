"""Adapter: re-format the lines a fix brought over the repository's limit, with its formatter.

Only the changed hunks that bring such lines go to the formatter (ruff format ``--range``,
black ``--line-ranges``), and only when the repository uses it: ruff format when its ruff
config has a ``format`` table or a pre-commit hook runs it (ruff is Nightcrew's own
dependency); black when it is configured and installed in the project's environment (never
installed for it). Each reads the file on stdin under the repository's own config and
answers on stdout: Nightcrew alone writes the fix's file, and no other. Nothing of the
repository's code runs, so the fix's patch is still taken before any does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from ruff.__main__ import find_ruff_bin

from bot.fix.guard import FileChange
from bot.report.results import Step
from bot.sandbox.environment import scrub_env
from bot.verify.style import Hunk, Style, long_hunks, read_style, ruff_config_of

FORMATTERS = {"ruff": "ruff format", "black": "black"}


def reformat_long_lines(
    tree: Path, changes: list[FileChange], *, python: str = sys.executable, timeout: float = 60
) -> Step | None:
    """Re-format what went over the limit in each changed file; what was done, or None."""
    details, ok = [], True
    for change in changes:
        if change.old_text is None or change.new_text is None:
            continue
        if not change.path.endswith((".py", ".pyi")):
            continue
        style = read_style(tree, change.path)
        if style.limit is None or style.formatter is None:
            continue  # no limit, or nothing to re-format with: the line-length check judges
        hunks = long_hunks(change.old_text, change.new_text, style.limit.length)
        if not hunks:
            continue
        done, detail = _reformat_file(tree, change, hunks, style, python, timeout)
        ok &= done
        details.append(detail)
    if not details:
        return None
    return Step("format", ok, "; ".join(details))


def _reformat_file(
    tree: Path,
    change: FileChange,
    hunks: list[Hunk],
    style: Style,
    python: str,
    timeout: float,
) -> tuple[bool, str]:
    assert style.limit is not None and style.formatter is not None
    tool = FORMATTERS[style.formatter]
    spans = [f"{h.first}-{h.last}" if h.last > h.first else str(h.first) for h in hunks]
    lines = f"line {spans[0]}" if spans == [str(hunks[0].first)] else f"lines {', '.join(spans)}"
    what = f"{change.path} {lines} with {tool} ({style.formatter_source})"
    if style.formatter == "black" and not black_available(python):
        where = style.formatter_source
        return False, f"not re-formatted: black ({where}) is not installed where the tests run"
    file = tree / change.path
    data = file.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False, f"not re-formatted: {change.path} is not UTF-8"
    for hunk in reversed(hunks):  # bottom up, so the lines above keep their numbers
        argv = (
            _ruff_argv(tree, change.path, hunk)
            if style.formatter == "ruff"
            else _black_argv(python, change.path, hunk)
        )
        try:
            proc = subprocess.run(
                argv,
                cwd=tree,
                input=data,
                capture_output=True,
                timeout=timeout,
                check=False,
                env=None if style.formatter == "ruff" else _black_env(),
            )
        except subprocess.TimeoutExpired:
            return False, f"{what}: timed out after {timeout:.0f}s"
        except OSError as exc:
            return False, f"{what}: could not start: {exc}"
        if proc.returncode != 0:
            tail = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()[-3:]
            return False, f"{what}: exited {proc.returncode}: {' '.join(tail)}"
        data = proc.stdout
    file.write_bytes(data)
    still = long_hunks(change.old_text, data.decode("utf-8", "replace"), style.limit.length)
    limit = f"the limit of {style.limit.length} ({style.limit.source})"
    if still:
        first = still[0].long[0]
        return False, f"re-formatted {what}; line {first.line} is still over {limit}"
    return True, f"re-formatted {what}, to stay within {limit}"


def _ruff_argv(tree: Path, path: str, hunk: Hunk) -> list[str]:
    return [
        find_ruff_bin(),
        "format",
        "--no-cache",
        "--force-exclude",  # an excluded file comes back as it went in
        *(["--isolated"] if ruff_config_of(tree, path) is None else []),  # never a user config
        "--range",
        f"{hunk.first}-{hunk.last + 1}",  # the end is exclusive: the start of the next line
        "--stdin-filename",
        path,
        "-",
    ]


def _black_argv(python: str, path: str, hunk: Hunk) -> list[str]:
    # -P: the worktree (the current folder) is not put first on the import path.
    return [
        *(python, "-P", "-m", "black", "--quiet", "--stdin-filename", path),
        *("--line-ranges", f"{hunk.first}-{hunk.last}", "-"),
    ]


def _black_env() -> dict[str, str]:
    env = scrub_env(os.environ)
    env.pop("PYTHONPATH", None)
    return env


@lru_cache(maxsize=4)
def black_available(python: str) -> bool:
    """Whether ``python`` (the interpreter tests run with) can run black."""
    try:
        proc = subprocess.run(
            [python, "-P", "-m", "black", "--version"],
            capture_output=True,
            timeout=60,
            check=False,
            env=_black_env(),
            cwd=os.path.dirname(python) or None,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0
