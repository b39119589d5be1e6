"""Adapter: which file a changed module is imported from when the tests run."""

from __future__ import annotations

import keyword
import sys
from collections.abc import Mapping
from pathlib import Path

from bot.sandbox.bwrap import NONE as NO_SANDBOX
from bot.sandbox.bwrap import Sandbox
from bot.sandbox.environment import source_roots
from bot.verify.runs import run_command

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
