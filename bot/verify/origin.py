"""Adapter: which file a changed module is imported from when the tests run."""

from __future__ import annotations

import keyword
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.sandbox.bwrap import NONE as NO_SANDBOX
from bot.sandbox.bwrap import Sandbox
from bot.sandbox.environment import source_roots
from bot.verify.runs import TAIL_LINES, run_command

# --------------------------------------------------------------------------- provenance


_ORIGIN_MARKER = "nightcrew-origin:"
_ORIGIN_SCRIPT = f"""\
import importlib.util, sys
found = []
for name in sys.argv[1:]:
    try:
        spec = importlib.util.find_spec(name)
    except Exception:
        spec = None
    found.append((name, (spec.origin or "") if spec else ""))
print()
for name, origin in found:
    print({_ORIGIN_MARKER!r} + name + "\\t" + origin)
"""
# Names asked of one run: its answers (printed last, after anything imports print) must fit in
# the tail of its output that run_command keeps.
_NAMES_PER_RUN = TAIL_LINES - 10


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
    return module_origins(worktree, [path], env, python, timeout=timeout, sandbox=sandbox)[path]


def module_origins(
    worktree: Path,
    paths: Sequence[str],
    env: Mapping[str, str],
    python: str = sys.executable,
    *,
    timeout: float = 60,
    sandbox: Sandbox = NO_SANDBOX,
) -> dict[str, str | None]:
    """``module_origin`` of each of ``paths``, asked of one interpreter run."""
    names = {path: module_name(worktree, path) for path in paths}
    found: dict[str, str | None] = dict.fromkeys(paths)
    wanted = sorted({n for n in names.values() if n is not None})
    if not wanted:
        return found
    said: dict[str, str] = {}
    for start in range(0, len(wanted), _NAMES_PER_RUN):
        argv = [python, "-c", _ORIGIN_SCRIPT, *wanted[start : start + _NAMES_PER_RUN]]
        result = run_command(argv, worktree, env, timeout, sandbox=sandbox)
        for line in result.output_tail.splitlines():
            if line.startswith(_ORIGIN_MARKER):
                name, _tab, origin = line[len(_ORIGIN_MARKER) :].partition("\t")
                said[name] = origin
    for path, name in names.items():
        found[path] = (said.get(name) or None) if name is not None else None
    return found
