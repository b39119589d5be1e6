"""A recipe as the engine uses it, after its YAML has been validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SCHEMA_VERSION = 1
# ``pr.grouping``: which verified fixes share one PR (see bot.publish.grouping).
GROUPINGS = ("finding", "function", "file", "rule", "recipe")


@dataclass(frozen=True)
class FixtureCase:
    """One recipe test: ``after is None`` means an ``unchanged`` decoy."""

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
    agent_fix: AgentFix | None = None
    agent_budget: Limits = DEFAULT_AGENT_LIMITS  # each agent (its turns: max_turns)
    recipe_budget: Limits = Limits()  # all of this recipe's agents in one night
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
    replaces: Path | None = None  # the built-in's file a repository recipe replaces

    @property
    def fix_agent(self) -> AgentFix | None:
        """Alias of ``agent_fix`` (the ``fix.agent`` block)."""
        return self.agent_fix
