"""The repository's own settings, ``.github/nightcrew.yml`` -> RepoConfig (validated like recipes).

```yaml
version: 1
recipes: [unnecessary-copies]       # default: every discovered recipe
recipe_dirs: [.nightcrew/recipes]
test_command: python -m pytest -q   # default: detected
python: .venv/bin/python            # default: VIRTUAL_ENV, .venv/ or venv/, else Nightcrew's
base: main                          # default: HEAD
limits: {max_fixes: 10, max_changed_lines: 80, test_timeout: 1800}
pr: {grouping: file}                # default finding: one PR per fix (a recipe's own wins)
protected: ["migrations/**"]
git: {author_name: Nightcrew, author_email: nightcrew@users.noreply.github.com}
github: {wait_budget: 600}          # seconds a night may wait out GitHub's faults
verify:
  require_coverage: true            # false: fixes no test executes become draft PRs
  forget_rejections_after_days: 30  # a fix the tests rejected waits this long at most
sandbox: {mode: auto, hide: ["~/.config/private"]}   # where code under test runs
agents:                             # Claude agents (recipes with find.agent / fix.agent)
  model: claude-sonnet-5-5
  budget: {dollars: 5, tokens: 3000000, seconds: 3600}   # the whole night's agents
  refute: true                      # a second agent tries to refute each agent fix
```
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from bot.errors import UserError
from bot.github.pacing import DEFAULT_WAIT_BUDGET
from bot.globs import pattern_problem
from bot.recipes.model import Limits, Recipe
from bot.recipes.validation import schema_errors
from bot.recipes.yamlpos import Document, display_path, load_yaml
from bot.verify.suite import split_test_command

CONFIG_PATHS = (".github/nightcrew.yml", ".github/nightcrew.yaml")


DEFAULT_AGENT_MODEL = "claude-sonnet-5-5"
# The night's agents together; finite by default, so a night can never spend without bound.
DEFAULT_NIGHT_LIMITS = Limits(tokens=3_000_000, dollars=5.0, seconds=3600.0)
# Each refuter (bot.agents.refute); the recipe's and the night's budgets apply as well.
DEFAULT_REFUTE_LIMITS = Limits(turns=10, tokens=200_000, dollars=0.5, seconds=600.0)


@dataclass(frozen=True)
class AgentSettings:
    """The ``agents:`` block: which model, the SDK's retries, and the night's agent budget."""

    model: str = DEFAULT_AGENT_MODEL
    max_retries: int = 3  # the anthropic SDK's own retries (429, 5xx, 529); no second layer
    request_timeout: float = 300.0  # seconds for one Messages API request
    budget: Limits = DEFAULT_NIGHT_LIMITS
    refute: bool = True  # a second agent tries to refute each agent fix with a test
    refute_budget: Limits = DEFAULT_REFUTE_LIMITS  # each refuter


@dataclass(frozen=True)
class RepoConfig:
    recipes: tuple[str, ...] | None = None  # enabled recipe ids; None: every discovered one
    recipe_dirs: tuple[str, ...] = (".nightcrew/recipes",)
    test_command: str | None = None  # None: detected from the repository
    python: str | None = None  # the tests' interpreter; None: bot.verify.interpreter decides
    python_line: int | None = field(default=None, compare=False, repr=False)
    base: str | None = None  # None: the checked-out HEAD
    max_fixes: int = 10  # verified fixes per night, across recipes
    max_changed_lines: int = 80
    test_timeout: float = 1800.0  # ceiling for any single test run, in seconds
    protected: tuple[str, ...] = ()  # on top of guard.DEFAULT_PROTECTED
    bot_allow_bots: tuple[str, ...] = ()  # bot logins whose commands the review bot obeys
    pr_labels: tuple[str, ...] = ()
    pr_reviewers: tuple[str, ...] = ()
    pr_assignees: tuple[str, ...] = ()
    pr_draft: bool = False
    pr_grouping: str = "finding"  # recipes.model.GROUPINGS; a recipe's own pr.grouping wins
    max_new_prs: int = 5  # per night
    max_open_prs: int = 20  # at once
    wait_budget: float = DEFAULT_WAIT_BUDGET  # github.wait_budget: seconds of waiting a night
    reverify_after_days: int = 14  # an open PR verified longer ago is rebuilt on a moved base
    # verify.forget_rejections_after_days: a fix the tests rejected is tried again after this
    # long even if neither the code it touches nor the tests changed (0: every night).
    forget_rejections_after_days: float = 30.0
    author_name: str = "Nightcrew"
    author_email: str = "nightcrew@users.noreply.github.com"
    agents: AgentSettings = AgentSettings()
    sandbox_mode: str = "auto"  # bot.sandbox.MODES: where code under test runs
    sandbox_hide: tuple[str, ...] = ()  # more paths the sandbox masks
    sandbox_network: bool = False  # let code under test reach the network
    sandbox_writable: tuple[str, ...] = ()  # folders code under test may write
    sandbox_line: int | None = field(default=None, compare=False, repr=False)  # of its mode
    require_coverage: bool = True  # verify.require_coverage: no test executes it, no PR
    source: Path | None = None  # the file it came from; None: defaults
    # Line of each entry of ``recipes``, for check_enabled's errors.
    recipe_lines: tuple[int, ...] = field(default=(), compare=False, repr=False)


@cache
def config_schema() -> dict[str, Any]:
    """The committed JSON Schema of the repository config file."""
    text = resources.files("bot").joinpath("config.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def load_config(repo: Path, path: Path | None = None) -> RepoConfig:
    """Read ``path``, or ``<repo>/.github/nightcrew.yml`` when there is one, else defaults."""
    if path is None:
        found = [repo / name for name in CONFIG_PATHS if (repo / name).is_file()]
        if not found:
            return RepoConfig()
        path = found[0]
    elif not path.is_file():
        raise UserError("config file not found (check --config)", display_path(path))
    doc = load_yaml(path)
    if doc.data is None:
        raise UserError("the file is empty: write at least `version: 1`", doc.file, 1)
    errors = schema_errors(doc, config_schema()) or _semantic_errors(doc)
    if errors:
        raise errors[0]
    return _build(doc, path.resolve())


def _semantic_errors(doc: Document) -> list[UserError]:
    errors = []
    for i, pattern in enumerate(doc.data.get("protected", ())):
        problem = pattern_problem(pattern)
        if problem:
            errors.append(doc.error(("protected", i), problem))
    if "test_command" in doc.data:
        _argv, problem = split_test_command(doc.data["test_command"])
        if problem:
            errors.append(doc.error(("test_command",), problem))
    for i, folder in enumerate(doc.data.get("recipe_dirs", ())):
        if folder.startswith("/") or ".." in folder.split("/"):
            message = f"{folder!r} must be a folder inside the repository, relative to its root"
            errors.append(doc.error(("recipe_dirs", i), message))
    return errors


def _build(doc: Document, source: Path) -> RepoConfig:
    data: dict[str, Any] = doc.data
    fields: dict[str, Any] = {k: data[k] for k in ("test_command", "base") if k in data}
    if "python" in data:
        fields["python"] = data["python"]
        fields["python_line"] = doc.line(("python",))
    if "recipes" in data:
        fields["recipes"] = tuple(data["recipes"])
        fields["recipe_lines"] = tuple(
            doc.line(("recipes", i)) for i in range(len(data["recipes"]))
        )
    for key in ("recipe_dirs", "protected"):
        if key in data:
            fields[key] = tuple(data[key])
    fields |= data.get("limits", {})
    if "test_timeout" in fields:
        fields["test_timeout"] = float(fields["test_timeout"])
    fields |= data.get("git", {})
    if "allow_bots" in data.get("bot", {}):
        fields["bot_allow_bots"] = tuple(data["bot"]["allow_bots"])
    pr = data.get("pr", {})
    for key in ("labels", "reviewers", "assignees"):
        if key in pr:
            fields[f"pr_{key}"] = tuple(pr[key])
    if "draft" in pr:
        fields["pr_draft"] = pr["draft"]
    if "grouping" in pr:
        fields["pr_grouping"] = pr["grouping"]
    if "max_new" in pr:
        fields["max_new_prs"] = pr["max_new"]
    if "max_open" in pr:
        fields["max_open_prs"] = pr["max_open"]
    if "wait_budget" in data.get("github", {}):
        fields["wait_budget"] = float(data["github"]["wait_budget"])
    if "reverify_after_days" in pr:
        fields["reverify_after_days"] = pr["reverify_after_days"]
    if "forget_rejections_after_days" in data.get("verify", {}):
        days = data["verify"]["forget_rejections_after_days"]
        fields["forget_rejections_after_days"] = float(days)
    if "agents" in data:
        fields["agents"] = _agent_settings(data["agents"])
    sandbox = data.get("sandbox", {})
    if "mode" in sandbox:
        fields["sandbox_mode"] = sandbox["mode"]
        fields["sandbox_line"] = doc.line(("sandbox", "mode"))
    if "hide" in sandbox:
        fields["sandbox_hide"] = tuple(sandbox["hide"])
    if "network" in sandbox:
        fields["sandbox_network"] = sandbox["network"]
    if "writable" in sandbox:
        fields["sandbox_writable"] = tuple(sandbox["writable"])
    if "require_coverage" in data.get("verify", {}):
        fields["require_coverage"] = data["verify"]["require_coverage"]
    return RepoConfig(source=source, **fields)


def _agent_settings(data: dict[str, Any]) -> AgentSettings:
    defaults = AgentSettings()
    return AgentSettings(
        model=data.get("model", defaults.model),
        max_retries=data.get("max_retries", defaults.max_retries),
        request_timeout=float(data.get("request_timeout", defaults.request_timeout)),
        budget=_limits(data.get("budget", {}), defaults.budget),
        refute=data.get("refute", defaults.refute),
        refute_budget=_limits(data.get("refute_budget", {}), defaults.refute_budget),
    )


def _limits(given: dict[str, Any], budget: Limits) -> Limits:
    """A budget block; a key left out keeps its default."""
    dollars, seconds = given.get("dollars", budget.dollars), given.get("seconds", budget.seconds)
    return Limits(
        turns=given.get("turns", budget.turns),
        tokens=given.get("tokens", budget.tokens),
        dollars=None if dollars is None else float(dollars),
        seconds=None if seconds is None else float(seconds),
    )


def check_enabled(config: RepoConfig, recipes: Sequence[Recipe]) -> None:
    """Raise a UserError at the config line of the first enabled id no recipe has."""
    known = sorted(recipe.id for recipe in recipes)
    for i, recipe_id in enumerate(config.recipes or ()):
        if recipe_id in known:
            continue
        close = difflib.get_close_matches(recipe_id, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        listing = ", ".join(known) if known else "none"
        line = config.recipe_lines[i] if i < len(config.recipe_lines) else None
        raise UserError(
            f"unknown recipe {recipe_id!r}{hint}; known recipes: {listing}",
            display_path(config.source) if config.source else None,
            line,
            f"recipes[{i}]",
        )
