"""What the installed ruff knows, and whether a recipe's ``find.ruff.select`` names it; an adapter.

Ruff is asked once per process (``ruff rule --all``, ``ruff linter``): the answers depend on
the installed version, which pyproject pins to a minor on purpose.
"""

from __future__ import annotations

import difflib
import json
import subprocess
from dataclasses import dataclass
from functools import cache
from typing import Any

from ruff import find_ruff_bin

from bot.errors import CommandError


@dataclass(frozen=True)
class RuffRule:
    """One rule as the installed ruff describes it."""

    code: str
    name: str
    preview: bool
    removed: bool
    fixable: bool  # ruff can fix it at least sometimes


def _run_ruff(*args: str) -> Any:
    cmd = (str(find_ruff_bin()), *args)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CommandError(cmd, done.returncode, done.stdout + done.stderr)
    return json.loads(done.stdout)


@cache
def ruff_rules() -> dict[str, RuffRule]:
    """Every rule code the installed ruff knows (asked once per process)."""
    rules = {}
    for entry in _run_ruff("rule", "--all", "--output-format", "json"):
        if not entry.get("code"):
            continue  # a few preview rules have a name but no code yet
        status = entry.get("status") or {}
        rules[entry["code"]] = RuffRule(
            code=entry["code"],
            name=entry.get("name", ""),
            preview=bool(entry.get("preview")),
            removed="Removed" in status,
            fixable=entry.get("fix_availability", entry.get("fix"))
            not in (
                "None",
                "Fix is not available.",
            ),
        )
    return rules


@cache
def ruff_linter_prefixes() -> frozenset[str]:
    """Prefixes ruff accepts as the start of a selector: C4, PERF, E, PLC, ..."""
    prefixes = set()
    for linter in _run_ruff("linter", "--output-format", "json"):
        prefix = linter.get("prefix", "")
        if prefix:
            prefixes.add(prefix)
        prefixes.update(prefix + cat["prefix"] for cat in linter.get("categories") or ())
    return frozenset(prefixes)


def ruff_select_problem(selector: str, preview: bool, has_agent: bool) -> str | None:
    """Why ``selector`` cannot be used by a recipe (unknown, removed, preview, unfixable), or None.

    ``has_agent``: an agent finds or fixes, so a rule without an automatic fix is still useful.
    """
    rules = ruff_rules()
    rule = rules.get(selector)
    if rule is not None:
        label = f"rule {selector!r} ({rule.name})"
        if rule.removed:
            return f"{label} was removed from ruff: drop it"
        if rule.preview and not preview:
            return f"{label} is a preview rule: set find.ruff.preview: true to use it"
        if not rule.fixable and not has_agent:
            return f"{label} has no automatic fix, so Nightcrew could never fix what it finds"
        return None
    matching = [r for code, r in rules.items() if code.startswith(selector) and not r.removed]
    if matching and any(selector.startswith(p) for p in ruff_linter_prefixes()):
        if not preview and all(r.preview for r in matching):
            return (
                f"every rule matching {selector!r} is a preview rule: "
                "set find.ruff.preview: true to use them"
            )
        return None
    close = difflib.get_close_matches(selector, [*rules, *ruff_linter_prefixes()], n=1)
    hint = f" (did you mean {close[0]}?)" if close else ": see `ruff rule --all` for the codes"
    return f"unknown rule {selector!r}{hint}"
