"""A recipe as the engine uses it, after its YAML has been validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
# ``pr.grouping``: which verified fixes share one PR (see bot.publish.grouping).
GROUPINGS = ("finding", "function", "file", "rule", "recipe")

DEFAULT_INCLUDE = ("**/*.py",)
# Test code is out of every recipe file's scope (built-in or the repository's) unless its
# scope says ``include_tests: true``: a cleanup PR in a test folder is rarely worth a
# reviewer's minute, and fixtures and conftest imports look unused. Added to the recipe's
# own ``exclude``, never replacing it.
TEST_PATHS = (
    "**/test/**",
    "**/tests/**",
    "**/testing/**",
    "**/test_*.py",
    "**/*_test.py",
    "**/conftest.py",
)


def scope_globs(scope: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A recipe file's ``scope`` block -> (include, exclude) as the engine applies them."""
    include = tuple(scope.get("include", DEFAULT_INCLUDE))
    declared = tuple(scope.get("exclude", ()))
    if scope.get("include_tests", False):
        return include, declared
    return include, TEST_PATHS + tuple(p for p in declared if p not in TEST_PATHS)


@dataclass(frozen=True)
class FixtureCase:
    """One recipe test: ``after is None`` means an ``unchanged`` decoy.

    A file that gives no ``path`` gets one its recipe's scope takes (the loader derives it
    with ``bot.globs.example_path``); ``example.py`` is only the fallback.
    """

    id: str
    before: str
    after: str | None
    path: str = "example.py"


@dataclass(frozen=True)
class Limits:
    """A budget: None means no limit of that kind at this level (another level may set one).

    ``turns`` counts model responses, ``tokens`` every token sent or received (cached or
    not), ``dollars`` the estimated price (bot.agents.budget.PRICES), ``seconds`` wall time.
    """

    turns: int | None = None
    tokens: int | None = None
    dollars: float | None = None
    seconds: float | None = None


# Per agent unless the recipe's ``budget.agent`` says otherwise: small on purpose, one
# agent handles one finding (or one slice of files).
DEFAULT_AGENT_LIMITS = Limits(tokens=300_000, dollars=1.0, seconds=600.0)


@dataclass(frozen=True)
class AgentFind:
    """The ``find.agent`` block: a model reads slices of the recipe's files and reports findings."""

    instructions: str
    files_per_agent: int = 5
    max_findings: int = 5
    model: str | None = None  # None: the config's agents.model
    max_turns: int = 10


@dataclass(frozen=True)
class AgentFix:
    """The ``fix.agent`` block: a model fixes one finding in its worktree, or gives up."""

    instructions: str
    model: str | None = None  # None: the config's agents.model
    max_turns: int = 12


@dataclass(frozen=True)
class PrSettings:
    title: str = "{recipe_title}: {message} in {path}"
    body: str = ""
    labels: tuple[str, ...] = ("nightcrew",)
    # One of GROUPINGS; None: the config's ``pr.grouping`` (whose default is "finding").
    grouping: str | None = None
    max_per_night: int = 5  # the ceiling of its quota (bot.publish.quota)
    draft: bool = False


@dataclass(frozen=True)
class Recipe:
    id: str
    title: str
    description: str
    version: int = 1  # the recipe's own version, shown in commits and PRs
    schedule: str = "@daily"
    include: tuple[str, ...] = DEFAULT_INCLUDE
    # What the engine skips: from a file, TEST_PATHS plus its own excludes (scope_globs).
    exclude: tuple[str, ...] = TEST_PATHS
    ruff_select: tuple[str, ...] = ()
    ruff_preview: bool = False
    detectors: tuple[str, ...] = ()
    agent_find: AgentFind | None = None
    agent_fix: AgentFix | None = None
    agent_budget: Limits = DEFAULT_AGENT_LIMITS  # each agent (its turns: max_turns)
    recipe_budget: Limits = Limits()  # all of this recipe's agents in one night
    # Which ruff fix applicabilities may be applied: unsafe ones are still gated by tests.
    fix_unsafe: bool = False
    verify_commands: tuple[str, ...] | None = None  # None: the repository's test command
    verify_timeout: float | None = None  # seconds; None: derived from the baseline run
    allow_lint_only: bool = False  # publish without tests when the repo has none
    verify_mode: str = "grouped"  # or "each": one test run per fix
    verify_require_coverage: bool | None = None  # None: the config's verify.require_coverage
    pr: PrSettings = field(default_factory=PrSettings)
    tests: tuple[FixtureCase, ...] = ()
    source: Path | None = None  # the YAML file it came from
    builtin: bool = False
    replaces: Path | None = None  # the built-in's file a repository recipe replaces

    @property
    def fix_agent(self) -> AgentFix | None:
        """Alias of ``agent_fix`` (the ``fix.agent`` block)."""
        return self.agent_fix
