"""A recipe as the engine uses it, after its YAML has been validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class FixtureCase:
    """One recipe test: ``after is None`` means an ``unchanged`` decoy."""

    id: str
    before: str
    after: str | None
    path: str = "example.py"


@dataclass(frozen=True)
class AgentFind:
    """The ``find.agent`` block. Parsed and validated; run by the agents feature (issue 5)."""

    instructions: str
    files_per_agent: int = 5
    max_findings: int = 5


@dataclass(frozen=True)
class PrSettings:
    title: str = "{recipe_title}: {message} in {path}"
    body: str = ""
    labels: tuple[str, ...] = ("nightcrew",)
    grouping: str = "finding"  # one PR per finding; the only mode today
    max_per_night: int = 5
    draft: bool = False


@dataclass(frozen=True)
class Recipe:
    id: str
    title: str
    description: str
    version: int = 1  # the recipe's own version, shown in commits and PRs
    schedule: str = "@daily"
    include: tuple[str, ...] = ("**/*.py",)
    exclude: tuple[str, ...] = ()
    ruff_select: tuple[str, ...] = ()
    ruff_preview: bool = False
    detectors: tuple[str, ...] = ()
    agent_find: AgentFind | None = None
    # Which ruff fix applicabilities may be applied: unsafe ones are still gated by tests.
    fix_unsafe: bool = False
    verify_commands: tuple[str, ...] | None = None  # None: the repository's test command
    verify_timeout: float | None = None  # seconds; None: derived from the baseline run
    allow_lint_only: bool = False  # publish without tests when the repo has none
    verify_mode: str = "grouped"  # or "each": one test run per fix
    pr: PrSettings = field(default_factory=PrSettings)
    tests: tuple[FixtureCase, ...] = ()
    source: Path | None = None  # the YAML file it came from
    builtin: bool = False
