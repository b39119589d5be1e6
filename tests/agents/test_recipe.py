"""The agent recipe's parts: code context, recipe, config (the prefilter: tests/find/detectors)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from bot.agents.context import code_context
from bot.config import DEFAULT_AGENT_MODEL, AgentSettings, RepoConfig, config_schema, load_config
from bot.errors import UserError
from bot.find.detectors import copy_candidates
from bot.find.search import find
from bot.recipes.fixtures import format_results, run_fixture
from bot.recipes.loader import builtin_recipes_dir, load_recipe
from bot.recipes.model import DEFAULT_AGENT_LIMITS, AgentFind, AgentFix, Limits, Recipe
from bot.recipes.validation import recipe_schema

# --- code context -------------------------------------------------------------------------------

MODULE = """\
import copy
from typing import Any

X = 1


class Store:
    @property
    def names(self):
        return self._names.copy()

    def other(self):
        return 1


def free(items):
    def inner():
        return list(items)

    return inner
"""


@pytest.mark.parametrize(
    ("line", "where", "first", "last"),
    [
        pytest.param(10, "method Store.names", 8, 10, id="method-with-decorator"),
        pytest.param(18, "function inner", 17, 18, id="innermost-function"),
        pytest.param(16, "function free", 16, 20, id="outer-function"),
        pytest.param(4, "lines 1-20", 1, 20, id="module-level-window"),
    ],
)
def test_code_context(line: int, where: str, first: int, last: int) -> None:
    ctx = code_context(MODULE, line)
    assert (ctx.where, ctx.first_line, ctx.last_line) == (where, first, last)
    assert ctx.code == "".join(MODULE.splitlines(keepends=True)[first - 1 : last])
    assert ctx.imports == "import copy\nfrom typing import Any\n"


def test_code_context_of_a_long_function_is_a_window() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(400))
    ctx = code_context(f"def big():\n{body}", 300)
    assert ctx.where == "function big (part)"
    assert ctx.first_line <= 300 <= ctx.last_line
    assert ctx.last_line - ctx.first_line <= 160


def test_code_context_of_unparsable_code_is_a_window() -> None:
    ctx = code_context("def f(:\n" * 100, 50)
    assert (ctx.first_line, ctx.last_line, ctx.where) == (25, 75, "lines 25-75")


# --- the built-in recipe ------------------------------------------------------------------------

DEEP = load_recipe(builtin_recipes_dir() / "unnecessary-copies-deep.yml", builtin=True)


def test_the_builtin_agent_recipe_loads() -> None:
    assert DEEP.detectors == ("copy-candidates",)
    assert DEEP.agent_fix is not None and DEEP.agent_fix.max_turns == 10
    assert DEEP.fix_agent is DEEP.agent_fix
    assert "give_up" in DEEP.agent_fix.instructions
    assert DEEP.agent_budget == Limits(tokens=150_000, dollars=0.5, seconds=300.0)
    assert DEEP.recipe_budget == Limits(dollars=3.0)
    assert any(c.after is None for c in DEEP.tests) and any(c.after for c in DEEP.tests)


@pytest.mark.parametrize("case", DEEP.tests, ids=lambda c: c.id)
def test_the_agent_sees_what_it_must_change(case: object) -> None:
    """Every fixture's copy is found, and the agent's first view contains the whole change."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / case.path).write_text(case.before, encoding="utf-8")
        found = find(DEEP, Path(tmp), [case.path], isolated=True)
    if case.after is None:
        # a needed copy: the prefilter drops it when it can prove it needed, else the agent
        # must give up on it
        assert found or copy_candidates.needed(case.before, case.path)
        return
    assert found, "the prefilter must hand this case to the agent"
    ctx = code_context(case.before, found[0].start_line)
    if case.after is not None:
        before = case.before.splitlines()
        after = set(case.after.splitlines())
        changed = [n for n, line in enumerate(before, 1) if line not in after and line.strip()]
        imports = {n for n, line in enumerate(before, 1) if line.startswith("import ")}
        assert all(ctx.first_line <= n <= ctx.last_line for n in set(changed) - imports)


def test_recipes_test_reports_agent_cases_as_needing_an_agent() -> None:
    results = [run_fixture(DEEP, case) for case in DEEP.tests]
    assert {r.status for r in results} == {"needs-agent"}
    assert all(r.passed for r in results)
    summary = format_results(results).splitlines()[-1]
    assert summary == f"0 passed, 0 failed, {len(results)} need an agent (not run)"


def test_recipes_test_still_fails_an_agent_case_the_prefilter_misses() -> None:
    from bot.recipes.model import FixtureCase

    case = FixtureCase("nothing-to-find", "def f():\n    return 1\n", "def f():\n    return 2\n")
    result = run_fixture(DEEP, case)
    assert (result.status, result.passed) == ("missing", False)


# --- recipe files: fix.agent, find.agent, budget -----------------------------------------------

BASE = """\
schema_version: 1
id: deep
title: Deep
description: Why.
find:
  detectors: [copy-candidates]
"""


def load(tmp_path: Path, text: str) -> Recipe:
    path = tmp_path / "r.yml"
    path.write_text(text, encoding="utf-8")
    return load_recipe(path)


def test_fix_agent_and_budget_blocks(tmp_path: Path) -> None:
    recipe = load(
        tmp_path,
        BASE + "fix:\n  agent:\n    instructions: Judge it.\n    model: claude-haiku-5-5\n"
        "    max_turns: 4\nbudget:\n  agent: {dollars: 0.2}\n  recipe: {turns: 30, seconds: 900}\n",
    )
    assert recipe.agent_fix == AgentFix("Judge it.", model="claude-haiku-5-5", max_turns=4)
    # A limit left out keeps its default: budgets fail closed.
    assert recipe.agent_budget == Limits(tokens=300_000, dollars=0.2, seconds=600.0)
    assert recipe.recipe_budget == Limits(turns=30, seconds=900.0)


def test_defaults_without_budget(tmp_path: Path) -> None:
    recipe = load(tmp_path, BASE + "fix:\n  agent:\n    instructions: Judge it.\n")
    assert recipe.agent_fix == AgentFix("Judge it.")
    assert (recipe.agent_budget, recipe.recipe_budget) == (DEFAULT_AGENT_LIMITS, Limits())


def test_find_agent_model_and_turns(tmp_path: Path) -> None:
    text = BASE.replace(
        "  detectors: [copy-candidates]\n",
        "  agent:\n    instructions: Look.\n    model: claude-opus-5\n    max_turns: 3\n",
    )
    assert load(tmp_path, text).agent_find == AgentFind("Look.", model="claude-opus-5", max_turns=3)


@pytest.mark.parametrize(
    ("extra", "where", "message"),
    [
        pytest.param(
            "",
            "r.yml:6: find.detectors[0]: ",
            "detector 'copy-candidates' only finds candidates for an agent to judge",
            id="candidate-detector-without-fix-agent",
        ),
        pytest.param(
            "fix:\n  agent:\n    model: x\n",
            "r.yml:8: fix.agent: ",
            "missing required key 'instructions'",
            id="fix-agent-without-instructions",
        ),
        pytest.param(
            "fix:\n  agent:\n    instructions: x\n    max_turns: 0\n",
            "r.yml:10: fix.agent.max_turns: ",
            "must be at least 1, got 0",
            id="zero-turns",
        ),
        pytest.param(
            "fix:\n  agent:\n    instructions: x\nbudget:\n  agent: {turns: 3}\n",
            "r.yml:11: budget.agent: ",
            "unknown key 'turns'",
            id="agent-turns-belong-to-max-turns",
        ),
        pytest.param(
            "fix:\n  agent:\n    instructions: x\nbudget:\n  recipe: {dollars: 0}\n",
            "r.yml:11: budget.recipe.dollars: ",
            "must be more than 0",
            id="zero-dollars",
        ),
        pytest.param(
            "fix:\n  agent:\n    instructions: x\nbudget:\n  recipe: {dolars: 1}\n",
            "r.yml:11: budget.recipe: ",
            "unknown key 'dolars' (did you mean 'dollars'?)",
            id="typo",
        ),
    ],
)
def test_bad_agent_blocks_name_file_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, where: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as caught:
        load(tmp_path, BASE + extra)
    assert str(caught.value).startswith(where), str(caught.value)
    assert message in str(caught.value)


def test_an_unfixable_ruff_rule_is_allowed_when_an_agent_fixes(tmp_path: Path) -> None:
    text = BASE.replace("  detectors: [copy-candidates]\n", "  ruff:\n    select: [E501]\n")
    recipe = load(tmp_path, text + "fix:\n  agent:\n    instructions: Shorten lines.\n")
    assert recipe.ruff_select == ("E501",)


def test_schema_defaults_match_the_models() -> None:
    props = recipe_schema()["properties"]
    agent = props["fix"]["properties"]["agent"]["properties"]
    assert agent["max_turns"]["default"] == AgentFix.max_turns
    find_agent = props["find"]["properties"]["agent"]["properties"]
    assert find_agent["max_turns"]["default"] == AgentFind.max_turns
    budget = props["budget"]["properties"]["agent"]["properties"]
    assert budget["tokens"]["default"] == DEFAULT_AGENT_LIMITS.tokens
    assert budget["dollars"]["default"] == DEFAULT_AGENT_LIMITS.dollars
    assert budget["seconds"]["default"] == DEFAULT_AGENT_LIMITS.seconds
    agents = config_schema()["properties"]["agents"]["properties"]
    defaults = AgentSettings()
    assert agents["model"]["default"] == defaults.model == DEFAULT_AGENT_MODEL
    assert agents["max_retries"]["default"] == defaults.max_retries
    assert agents["request_timeout"]["default"] == defaults.request_timeout
    night = agents["budget"]["properties"]
    assert night["tokens"]["default"] == defaults.budget.tokens
    assert night["dollars"]["default"] == defaults.budget.dollars
    assert night["seconds"]["default"] == defaults.budget.seconds
    assert "default" not in night["turns"] and defaults.budget.turns is None


# --- the config's agents block --------------------------------------------------------------------


def test_config_agents_block(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/nightcrew.yml").write_text(
        "version: 1\nagents:\n  model: claude-haiku-5-5\n  max_retries: 5\n"
        "  budget: {dollars: 2, turns: 100}\n"
    )
    config = load_config(tmp_path)
    assert config.agents == AgentSettings(
        model="claude-haiku-5-5",
        max_retries=5,
        budget=Limits(turns=100, tokens=3_000_000, dollars=2.0, seconds=3600.0),
    )
    assert RepoConfig().agents.budget.dollars == 5.0  # a night is never unbounded


def test_config_agents_block_is_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/nightcrew.yml").write_text(
        "version: 1\nagents:\n  budget:\n    dollars: -1\n"
    )
    with pytest.raises(UserError) as caught:
        load_config(tmp_path)
    assert str(caught.value).startswith(".github/nightcrew.yml:4: agents.budget.dollars: ")
