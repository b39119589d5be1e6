"""What reviewers told Nightcrew to leave alone: findings, recipes, paths. Pure.

The rules live in the dashboard issue (``bot.review.dashboard``); the night asks
``IgnoreRules.ignores(recipe, path, fingerprint)`` before trying a finding. A finding rule
may name a fingerprint's first 8 or more hex digits (what PRs show), so people can write
rules by hand. Entries keep whatever other fields people add to them (``extra``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.globs import matches, pattern_problem

_HEX = re.compile(r"[0-9a-f]{8,64}")


@dataclass(frozen=True)
class Rule:
    """One ignore rule: ``kind`` is finding, recipe or path; ``value`` its fingerprint/id/glob."""

    kind: str
    value: str
    recipe: str = ""  # finding: its recipe (for people); path: only this recipe ("" = all)
    path: str = ""  # finding: the file it was in (for people)
    pr: int | None = None  # the PR it was set on
    by: str = ""  # who set it (a login, shown without "@")
    reason: str = ""  # "closed without merging", "/nightcrew ignore", ...
    at: str = ""  # when (ISO 8601, UTC)
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.value.lower() if self.kind == "finding" else self.value)

    def problem(self) -> str | None:
        """Why the rule cannot match anything, or None."""
        if self.kind == "finding" and not _HEX.fullmatch(self.value.lower()):
            return f"fingerprint {self.value!r} is not 8 to 64 hex digits"
        if self.kind == "recipe" and not self.value.strip():
            return "empty recipe id"
        if self.kind == "path":
            return pattern_problem(self.value)
        return None

    def describe(self) -> str:
        """``finding 0123abcd``, ``recipe unused-imports``, ``path tests/**``."""
        value = self.value[:8] if self.kind == "finding" else self.value
        return f"{self.kind} {value}"


@dataclass(frozen=True)
class IgnoreRules:
    """The repository's ignore rules, in the order they were added."""

    rules: tuple[Rule, ...] = ()

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def of_kind(self, kind: str) -> list[Rule]:
        return [r for r in self.rules if r.kind == kind]

    def find(self, kind: str, value: str) -> Rule | None:
        key = Rule(kind, value).key
        return next((r for r in self.rules if r.key == key), None)

    def ignores(self, recipe_id: str, path: str, fingerprint: str) -> str | None:
        """Why this finding must not be proposed, or None."""
        for rule in self.rules:
            if rule.problem():
                continue
            if rule.kind == "finding" and fingerprint.lower().startswith(rule.value.lower()):
                return f"ignored: {_origin(rule, 'finding')}"
            if rule.kind == "recipe" and rule.value == recipe_id:
                return f"ignored: {_origin(rule, f'recipe {recipe_id}')}"
            if (
                rule.kind == "path"
                and (not rule.recipe or rule.recipe == recipe_id)
                and matches(path, [rule.value])
            ):
                return f"ignored: {_origin(rule, f'path {rule.value}')}"
        return None

    def add(self, rule: Rule) -> IgnoreRules:
        """These rules plus ``rule`` (an existing rule with the same key is kept as it is)."""
        if self.find(rule.kind, rule.value) is not None:
            return self
        return IgnoreRules((*self.rules, rule))

    def remove(self, kind: str, value: str) -> IgnoreRules:
        """These rules without the one of ``kind`` and ``value`` (for findings, any prefix)."""
        if kind == "finding":
            wanted = value.lower()
            kept = tuple(
                r
                for r in self.rules
                if not (r.kind == "finding" and wanted.startswith(r.value.lower()))
            )
        else:
            key = Rule(kind, value).key
            kept = tuple(r for r in self.rules if r.key != key)
        return IgnoreRules(kept)

    def merge(self, others: Iterable[Rule]) -> IgnoreRules:
        """Union, first occurrence wins: how duplicates in hand-edited rules are read."""
        merged = self
        for rule in others:
            merged = merged.add(rule)
        return merged

    def problems(self) -> list[str]:
        return [f"{r.describe()}: {p}" for r in self.rules if (p := r.problem())]


def _origin(rule: Rule, what: str) -> str:
    parts = [what]
    if rule.reason:
        parts.append(f"({rule.reason})")
    if rule.pr is not None:
        parts.append(f"on #{rule.pr}")
    if rule.by:
        parts.append(f"by {rule.by}")
    return " ".join(parts)
