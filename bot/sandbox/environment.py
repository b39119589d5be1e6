"""What a test run may see: secrets scrubbed, the worktree's code first on the import path.

A repository's test suite is code we did not write, run with the runner's environment. It
must not see tokens (the Action's own ``GITHUB_TOKEN``, the Claude key, anything that looks
like a credential), and it must import the code under test from the worktree, not from a
copy installed in the environment (design.md, "Known traps").
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

# Any of these anywhere in the (upper-cased) name marks a secret.
SECRET_SUBSTRINGS: tuple[str, ...] = (
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "APIKEY",
    "API_KEY",
    "PRIVATE_KEY",
)

# These only as a whole ``_``-separated component: ``MY_KEY`` and ``GH_PAT`` go,
# ``KEYBOARD_LAYOUT`` and ``PATH`` stay. ``AUTH`` also drops ``SSH_AUTH_SOCK`` on purpose:
# the agent socket lets whoever holds it sign as the user (push, clone private repos).
# ``PWD`` catches ``MYSQL_PWD``-style passwords; the shell's own ``PWD`` is kept by name.
# ``DSN`` catches ``SENTRY_DSN``, which embeds the project's key.
SECRET_COMPONENTS: frozenset[str] = frozenset(
    {"KEY", "KEYS", "PAT", "AUTH", "PWD", "PASS", "DSN", "COOKIE"}
)

# Named explicitly so the list documents what we know is there, even where a pattern
# above already covers the name.
SECRET_NAMES: frozenset[str] = frozenset(
    {
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "ANTHROPIC_API_KEY",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        # git reads extra config (e.g. an ``http.extraheader`` with a token) from these.
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
    }
)

# Action inputs may carry tokens; git's numbered config pairs may carry headers.
SECRET_PREFIXES: tuple[str, ...] = ("INPUT_", "GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_")

# Harmless names a pattern above would otherwise catch.
KEPT_NAMES: frozenset[str] = frozenset({"PWD", "OLDPWD"})

# ``scheme://user:password@host``: credentials inside a URL (``HTTPS_PROXY``, ``DATABASE_URL``).
URL_CREDENTIALS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@")


def is_secret_name(name: str) -> bool:
    """Whether a variable's *name* says it holds a secret."""
    upper = name.upper()
    if upper in KEPT_NAMES:
        return False
    if upper in SECRET_NAMES or upper.startswith(SECRET_PREFIXES):
        return True
    if any(part in upper for part in SECRET_SUBSTRINGS):
        return True
    return any(component in SECRET_COMPONENTS for component in upper.split("_"))


def is_secret(name: str, value: str) -> bool:
    """Whether a variable must not reach a test run: a secret name or a URL with a password."""
    return is_secret_name(name) or URL_CREDENTIALS.search(value) is not None


def secret_names(env: Mapping[str, str]) -> list[str]:
    """The names (never the values) :func:`scrub_env` removes, sorted, for the report."""
    return sorted(name for name, value in env.items() if is_secret(name, value))


def scrub_env(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``env`` without anything that looks like a secret."""
    return {name: value for name, value in env.items() if not is_secret(name, value)}


# Shorter values are too common to redact without mangling output ("true", "main", a port).
MIN_REDACTED_LENGTH = 8


def secret_values(env: Mapping[str, str]) -> dict[str, str]:
    """Secret value -> the name of the variable that holds it, for :func:`redact`.

    Names are judged as :func:`is_secret_name` does, except that the ``INPUT_`` prefix
    alone does not make an Action input secret (``INPUT_DRAFT=true`` is not): the rest of
    its name must say so (``INPUT_GITHUB-TOKEN``). Short values are left out.
    """
    found: dict[str, str] = {}
    for name, value in env.items():
        value = value.strip()
        if len(value) < MIN_REDACTED_LENGTH:
            continue
        normal = name.upper().replace("-", "_")
        judged = normal.removeprefix("INPUT_") if normal.startswith("INPUT_") else normal
        if is_secret_name(judged) and judged not in KEPT_NAMES:
            found.setdefault(value, name)
    return found


def redact(text: str, secrets: Mapping[str, str]) -> str:
    """``text`` with every secret value replaced by ``[redacted NAME]``, longest first."""
    for value in sorted(secrets, key=len, reverse=True):
        if value in text:
            text = text.replace(value, f"[redacted {secrets[value]}]")
    return text


def redact_env(text: str, env: Mapping[str, str] | None = None) -> str:
    """:func:`redact` with the secrets of ``env`` (default: this process's environment).

    Defence in depth behind the sandbox: whatever a test run prints, the report, a PR body
    and an agent's tool results never carry a secret value verbatim.
    """
    return redact(text, secret_values(os.environ if env is None else env))


def source_roots(worktree: Path) -> list[Path]:
    """Where the worktree's importable code lives, most specific first.

    ``src/`` comes before the root so that in a src layout nothing at the top level (a
    stray ``pkg/`` build dir, a same-named script) can shadow the real package.
    """
    root = worktree.absolute()
    roots = [root]
    if (root / "src").is_dir():
        roots.insert(0, root / "src")
    return roots


def _prepend(first: list[str], existing: str | None) -> str:
    rest = [entry for entry in (existing or "").split(os.pathsep) if entry]
    seen = set(first)
    return os.pathsep.join(first + [entry for entry in rest if entry not in seen])


def test_env(
    base_env: Mapping[str, str], worktree: Path, python: str = sys.executable
) -> dict[str, str]:
    """The environment a test command runs in, for code in ``worktree``.

    Scrubbed of secrets; the worktree's source roots first on ``PYTHONPATH`` (inherited by
    any ``python -c "import pkg"`` the suite spawns); the directory of ``python`` (the tests'
    interpreter, bot.verify.interpreter) first on ``PATH`` so ``python`` and ``pytest`` are
    its own; no bytecode written into the tree.
    """
    env = scrub_env(base_env)
    env["PYTHONPATH"] = _prepend([str(p) for p in source_roots(worktree)], env.get("PYTHONPATH"))
    # Not resolved: a venv's bin/python is a symlink, and the venv's bin dir is the point.
    env["PATH"] = _prepend([str(Path(python).parent)], env.get("PATH"))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["NIGHTCREW"] = "1"
    return env


test_env.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, despite the name
