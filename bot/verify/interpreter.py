"""Adapter: which Python runs the tests, and why; checked once, before any work, that it runs.

In order: ``nightcrew run --python``, ``python:`` in the config, the activated virtualenv
(``VIRTUAL_ENV`` in the night's environment), a ``.venv/`` or ``venv/`` at the repository
root, then the interpreter Nightcrew itself runs with. A bare ``python`` in the test command
means the chosen one (:func:`bot.verify.suite.resolve_python`), and its folder comes first
on ``PATH`` (:func:`bot.sandbox.environment.test_env`), so ``pytest`` is its own too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.config import RepoConfig
from bot.errors import UserError
from bot.recipes.yamlpos import display_path
from bot.sandbox.environment import scrub_env

REPO_VENVS = (".venv", "venv")
PROBE_TIMEOUT = 60.0
# Run with -I: no PYTHON* variables, no user site; only what the interpreter itself is.
_PROBE = (
    "import json, sys; print(json.dumps({'prefix': sys.prefix, 'base_prefix': sys.base_prefix, "
    "'version': '%d.%d.%d' % sys.version_info[:3]}))"
)


class Source(StrEnum):
    """Why this interpreter runs the tests (the report's ``python.source``)."""

    FLAG = "flag"  # nightcrew run --python
    CONFIG = "config"  # python: in .github/nightcrew.yml
    VIRTUAL_ENV = "virtual-env"  # the activated virtualenv
    REPO_VENV = "repo-venv"  # .venv/ or venv/ at the repository root
    NIGHTCREW = "nightcrew"  # the interpreter Nightcrew runs with


@dataclass(frozen=True)
class Interpreter:
    """The tests' Python. ``path`` is as found, not resolved: a venv's ``bin/python`` is a
    link to the base interpreter, and the venv's ``bin`` folder is the point."""

    path: str
    source: Source
    why: str  # "the repository's .venv", "--python", ...
    version: str = ""
    prefix: str = ""  # its sys.prefix (the venv, for a venv)
    base_prefix: str = ""  # its sys.base_prefix (the Python the venv was made from)

    def describe(self) -> str:
        return f"{self.path} ({self.why})"

    @property
    def venv(self) -> str | None:
        """The virtualenv it belongs to, or None for a plain interpreter."""
        return self.prefix if self.prefix and self.prefix != self.base_prefix else None

    def sandbox_keep(self) -> tuple[Path, ...]:
        """What the sandbox must never hide: the interpreter, its venv and its base Python."""
        return tuple(Path(p) for p in (self.path, self.prefix, self.base_prefix) if p)

    def environment(self, env: Mapping[str, str]) -> dict[str, str]:
        """``env`` as the tests see it: ``VIRTUAL_ENV`` names this interpreter's venv or is gone."""
        out = {k: v for k, v in env.items() if k != "VIRTUAL_ENV"}
        if self.venv:
            out["VIRTUAL_ENV"] = self.venv
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "source": self.source.value,
            "why": self.why,
            "version": self.version,
            "venv": self.venv,
        }


@dataclass(frozen=True)
class _Named:
    """Where an interpreter was named, for the error when it cannot run, and what to do."""

    file: str | None = None
    line: int | None = None
    field: str | None = None
    hint: str = "give the path of a working Python interpreter"

    def error(self, message: str) -> UserError:
        return UserError(message, self.file, self.line, self.field)


def choose_interpreter(
    flag: str | None,
    config: RepoConfig,
    env: Mapping[str, str],
    top: Path,
    own: str = sys.executable,
) -> Interpreter:
    """The interpreter that runs tonight's tests; UserError when a named one cannot run.

    ``flag`` is ``--python`` (a relative path is taken from the current directory); a
    relative ``python:`` is relative to the repository root ``top``. Either may also name a
    virtualenv's folder or a program on the ``PATH`` of ``env``. A virtualenv found (active,
    or at the root) that has a ``bin/python`` but cannot run it stops the night too: falling
    back to another interpreter would run the tests without their dependencies.
    """
    if flag:
        named = _Named(field="--python")
        return _probe(_locate(flag, Path.cwd(), env, named), Source.FLAG, "--python", env, named)
    if config.python:
        shown = display_path(config.source) if config.source else ".github/nightcrew.yml"
        named = _Named(shown, config.python_line, "python")
        found = _locate(config.python, top, env, named)
        return _probe(found, Source.CONFIG, f"`python:` in {shown}", env, named)
    fix = "recreate that virtualenv, or pass --python / set `python:` in .github/nightcrew.yml"
    active = env.get("VIRTUAL_ENV", "").strip()
    if active and _runnable_file(Path(active) / "bin" / "python"):
        named = _Named(field="VIRTUAL_ENV", hint=f"deactivate or {fix}")
        found = str(Path(active) / "bin" / "python")
        return _probe(found, Source.VIRTUAL_ENV, "the activated virtualenv", env, named)
    for name in REPO_VENVS:
        candidate = top / name / "bin" / "python"
        if _runnable_file(candidate):
            named = _Named(hint=f"remove or {fix}")
            why = f"the repository's {name}"
            return _probe(str(candidate), Source.REPO_VENV, why, env, named)
    return Interpreter(
        own, Source.NIGHTCREW, "Nightcrew's own interpreter",
        ".".join(map(str, sys.version_info[:3])), sys.prefix, sys.base_prefix,
    )  # fmt: skip


def _runnable_file(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _expand_home(given: str, env: Mapping[str, str]) -> str:
    home = env.get("HOME")
    if home and (given == "~" or given.startswith("~/")):
        return home + given[1:]
    return given


def _locate(given: str, base: Path, env: Mapping[str, str], named: _Named) -> str:
    """The interpreter ``given`` names: a file, a venv folder, or a program on PATH."""
    text = _expand_home(given.strip(), env)
    if os.sep not in text and not (base / text).exists():
        found = shutil.which(text, path=env.get("PATH", os.defpath))
        if found is None:
            raise named.error(f"{given!r} is not a program on PATH: give a path to a Python")
        return found
    path = Path(text) if Path(text).is_absolute() else base / text
    if path.is_dir():
        if not (path / "bin" / "python").is_file():
            raise named.error(f"{given!r} is a folder without bin/python: name the interpreter")
        path = path / "bin" / "python"
    if not path.exists():
        raise named.error(f"{given!r} does not exist: give the path of a Python interpreter")
    if not _runnable_file(path):
        raise named.error(f"{given!r} is not an executable file: give a Python interpreter")
    return str(path.absolute())


def _probe(
    path: str, source: Source, why: str, env: Mapping[str, str], named: _Named
) -> Interpreter:
    """Run the interpreter once: it must start and say what it is."""
    what = path if source in (Source.FLAG, Source.CONFIG) else f"{path} ({why})"
    try:
        proc = subprocess.run(
            [path, "-I", "-c", _PROBE],
            capture_output=True,
            text=True,
            env=scrub_env(env),
            stdin=subprocess.DEVNULL,
            timeout=PROBE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        message = f"{what} did not answer within {PROBE_TIMEOUT:.0f}s; {named.hint}"
        raise named.error(message) from None
    except OSError as exc:
        raise named.error(f"{what} cannot run ({exc.strerror or exc}); {named.hint}") from None
    facts: Any = None
    if proc.returncode == 0:
        lines = proc.stdout.strip().splitlines()
        try:
            facts = json.loads(lines[-1]) if lines else None
        except ValueError:
            facts = None
    if not isinstance(facts, dict):
        said = (proc.stderr.strip().splitlines() or proc.stdout.strip().splitlines() or [""])[-1]
        detail = f"exit {proc.returncode}" + (f": {said}" if said else "")
        raise named.error(f"{what} is not a working Python interpreter ({detail}); {named.hint}")
    return Interpreter(
        path, source, why, str(facts.get("version", "")),
        str(facts.get("prefix", "")), str(facts.get("base_prefix", "")),
    )  # fmt: skip
