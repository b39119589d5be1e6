"""The night's agents: one AgentSession holds the API client and budgets; agents find and fix."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import git

from bot.agents import prompts
from bot.agents.budget import Meter, first_exhausted, remaining_seconds
from bot.agents.client import AnthropicClient, MessagesClient
from bot.agents.context import code_context
from bot.agents.loop import AgentRun, AgentSpec, run_agent
from bot.agents.tools import FIND_TOOLS, FIX_TOOLS, Checks, Reported, Toolbox, ToolError, Workspace
from bot.config import RepoConfig
from bot.fix import guard
from bot.fix.fixers import FixOutcome
from bot.model import Finding, assign_fingerprints, split_lines
from bot.recipes.model import Recipe
from bot.report.progress import Phase, Progress
from bot.sandbox.bwrap import NONE as NO_SANDBOX
from bot.sandbox.bwrap import Sandbox
from bot.verify.suite import test_commands

MAX_INLINE_CHARS = 60_000  # a finder's files are sent inline up to this size, else read
MAX_DIFF_CHARS = 12_000


@dataclass(frozen=True)
class AgentOutcome(FixOutcome):
    """A FixOutcome that also says how the agent ended.

    ``status``: finished (``ok``: now guard and verify it), gave_up (it judged the change
    unsafe or not worth it), stopped (a budget or turn limit; its edits were undone),
    errored (the Messages API failed after retries), skipped (not started: a budget was
    already spent, or the recipe has no ``fix.agent``).
    """

    status: str = "finished"


class AgentSession:
    """The night's agents: one API client, one night budget, one summary for the report."""

    def __init__(
        self,
        client: MessagesClient,
        config: RepoConfig,
        env: Mapping[str, str],
        progress: Progress,
        clock: Callable[[], float] = time.monotonic,
        sandbox: Sandbox = NO_SANDBOX,
        python: str = sys.executable,
    ) -> None:
        self.client = client
        self.sandbox = sandbox  # where run_checks runs the code the agent edited
        self.python = python  # and with which interpreter (bot.verify.interpreter)
        self.config = config
        self.env = dict(env)
        self.progress = progress
        self.clock = clock
        self.night = Meter("night", config.agents.budget)
        self.recipes: dict[str, Meter] = {}
        self.outcomes: Counter[str] = Counter()
        self.skipped: list[dict[str, str]] = []
        self.errored: list[dict[str, str]] = []
        self.rationales: dict[str, str] = {}  # fingerprint -> why a finder reported it
        self.refutations: Counter[str] = Counter()  # refuters' verdicts (bot.agents.refute)
        self._announced: set[str] = set()
        self._fixer = AgentFixer(self)

    @classmethod
    def start(
        cls,
        api_key: str,
        env: Mapping[str, str],
        config: RepoConfig,
        progress: Progress,
        sandbox: Sandbox = NO_SANDBOX,
        python: str = sys.executable,
    ) -> AgentSession | None:
        """None (after one clear progress line) when there is no API key.

        ``env`` is where ``ANTHROPIC_BASE_URL`` is read and what ``run_checks`` starts from
        (scrubbed of secrets first).
        """
        key = api_key.strip()
        if not key:
            progress(
                Phase.SETUP,
                "agents: ANTHROPIC_API_KEY is not set, so recipes that need Claude agents "
                "are skipped tonight; deterministic recipes still run",
            )
            return None
        agents = config.agents
        base_url = (env.get("ANTHROPIC_BASE_URL") or "").strip() or None
        client = AnthropicClient(key, base_url, agents.max_retries, agents.request_timeout)
        return cls(client, config, env, progress, sandbox=sandbox, python=python)

    # --- the interface the night uses -------------------------------------------------------

    def find(self, recipe: Recipe, tree: Path, files: Sequence[str]) -> list[Finding]:
        """Findings of the recipe's agent finders (``find.agent``) in ``files``; no edits."""
        spec = recipe.agent_find
        if spec is None:
            return []
        workspace = self._workspace(recipe, tree)
        allowed = [p for p in files if _reachable(workspace, p)]
        slices = [
            allowed[i : i + spec.files_per_agent]
            for i in range(0, len(allowed), spec.files_per_agent)
        ]
        found: list[Finding] = []
        sources: dict[str, str] = {}
        rationales: dict[tuple[str, int], str] = {}
        for index, chunk in enumerate(slices):
            left = spec.max_findings - len(found)
            stop = self.stop_reason(recipe)
            if left <= 0 or stop is not None:
                if stop is not None:
                    rest = sum(len(s) for s in slices[index:])
                    self._skip(recipe, f"agent search of {rest} file(s)", stop)
                break
            texts = {p: workspace.read_text(p) for p in chunk}
            inline = sum(len(t) for t in texts.values()) <= MAX_INLINE_CHARS
            toolbox = Toolbox(
                workspace, FIND_TOOLS, report_paths=frozenset(chunk), max_findings=left
            )
            run = self._run(
                recipe,
                AgentSpec(
                    model=spec.model or self.config.agents.model,
                    system=prompts.system_blocks(
                        prompts.SYSTEM_FIND, prompts.recipe_text(recipe, spec.instructions)
                    ),
                    task=prompts.find_task(
                        {p: (t if inline else None) for p, t in texts.items()}, left
                    ),
                    request_timeout=self.config.agents.request_timeout,
                ),
                toolbox,
                self._meters(recipe, spec.max_turns),
                f"search of {', '.join(chunk)}",
            )
            if run.status not in ("finished", "gave_up"):
                continue  # fail closed: a stopped or failed agent's reports are dropped
            for report in toolbox.reported:
                sources[report.path] = texts[report.path]
                found.append(_finding(recipe, report, texts[report.path]))
                rationales[(report.path, report.line)] = report.rationale
        findings = assign_fingerprints(found, sources)
        for f in findings:
            self.rationales[f.fingerprint] = rationales[(f.path, f.start_line)]
        return findings

    def fixer(self) -> AgentFixer:
        """An AgentFixer sharing this session's night budget (for recipes with fix.agent)."""
        return self._fixer

    def revise(
        self,
        recipe: Recipe,
        finding: Finding,
        tree: Path,
        instructions: str,
        diff: str | None = None,
    ) -> AgentOutcome:
        """Revise a published fix in ``tree`` as a reviewer asks (``/nightcrew revise``).

        ``instructions`` are cleaned and delivered as data; ``diff`` defaults to the last
        commit's diff in ``tree``. The result goes through guard and verification again.
        """
        if diff is None:
            diff = _last_commit_diff(tree)
        agent = recipe.agent_fix
        return self._fix(
            recipe,
            finding,
            tree,
            instructions=agent.instructions if agent else prompts.REVISE_DEFAULT_INSTRUCTIONS,
            model=(agent.model if agent else None) or self.config.agents.model,
            max_turns=agent.max_turns if agent else 12,
            task=prompts.revise_task(finding, instructions, diff[:MAX_DIFF_CHARS]),
        )

    def summary(self) -> dict[str, Any]:
        """Tokens, dollars, requests, outcomes, and what was skipped or errored, and why."""
        used, limits = self.night.used, self.night.limits
        return {
            "model": self.config.agents.model,
            "agents": sum(self.outcomes.values()),
            "outcomes": dict(sorted(self.outcomes.items())),
            "requests": used.requests,
            "turns": used.turns,
            "tokens": {
                "input": used.input_tokens,
                "cache_read": used.cache_read_input_tokens,
                "cache_write": used.cache_creation_input_tokens,
                "output": used.output_tokens,
            },
            "dollars": round(used.dollars, 4),
            "dollars_note": "an estimate from Nightcrew's price table, not a bill",
            "seconds": round(used.seconds, 1),
            "budget": {
                "turns": limits.turns,
                "tokens": limits.tokens,
                "dollars": limits.dollars,
                "seconds": limits.seconds,
            },
            "per_recipe": {rid: meter.used.costs() for rid, meter in sorted(self.recipes.items())},
            "skipped": list(self.skipped),
            "errored": list(self.errored),
            "refutations": dict(sorted(self.refutations.items())),
        }

    def meters(self, recipe: Recipe, own: Meter) -> list[Meter]:
        """An agent's meters: its own, its recipe's, the night's (what a refuter runs under)."""
        return [own, self._recipe_meter(recipe), self.night]

    def run(
        self, recipe: Recipe, spec: AgentSpec, toolbox: Toolbox, meters: list[Meter], what: str
    ) -> AgentRun:
        """Run one agent under ``meters``, counted in the night's summary."""
        return self._run(recipe, spec, toolbox, meters, what)

    def stop_reason(self, recipe: Recipe) -> str | None:
        """Why no further agent of ``recipe`` may start tonight, or None."""
        return first_exhausted([self._recipe_meter(recipe), self.night])

    # --- inside -------------------------------------------------------------------------

    def _fix(
        self,
        recipe: Recipe,
        finding: Finding,
        tree: Path,
        *,
        instructions: str,
        model: str,
        max_turns: int,
        task: str | None = None,
    ) -> AgentOutcome:
        where = f"{finding.path}:{finding.start_line}"
        stop = self.stop_reason(recipe)
        if stop is not None:
            self._skip(recipe, where, stop)
            return AgentOutcome(False, f"not tried: {stop}", status="skipped")
        workspace = self._workspace(recipe, tree)
        try:
            workspace.resolve(finding.path, write=True)
            source = workspace.read_text(finding.path)
        except ToolError as exc:
            self._skip(recipe, where, str(exc))
            return AgentOutcome(False, f"not tried: {exc}", status="skipped")
        if task is None:
            ctx = code_context(source.removeprefix("\ufeff"), finding.start_line)
            task = prompts.fix_task(
                finding,
                ctx.code,
                ctx.first_line,
                ctx.where,
                ctx.imports,
                self.rationales.get(finding.fingerprint, ""),
            )
        meters = self._meters(recipe, max_turns)
        checks = Checks(
            tuple(self._check_commands(recipe, tree)),
            self.env,
            lambda: remaining_seconds(meters, self.config.test_timeout),
            python=self.python,
            sandbox=self.sandbox,
        )
        toolbox = Toolbox(workspace, FIX_TOOLS, checks=checks)
        spec = AgentSpec(
            model=model,
            system=prompts.system_blocks(
                prompts.SYSTEM_FIX, prompts.recipe_text(recipe, instructions)
            ),
            task=task,
            request_timeout=self.config.agents.request_timeout,
        )
        run = self._run(recipe, spec, toolbox, meters, where)
        costs = run.usage.costs()
        if run.status == "finished" and toolbox.originals:
            return AgentOutcome(True, "", run.message, costs, status="finished")
        toolbox.revert()
        if run.status == "finished":
            reason = f"the agent finished without changing anything: {run.message}"
            return AgentOutcome(False, reason, run.message, costs, status="gave_up")
        words = {
            "gave_up": "the agent gave up: ",
            "stopped": "the agent was stopped and its changes undone: ",
            "errored": "",
        }
        return AgentOutcome(False, words[run.status] + run.message, "", costs, status=run.status)

    def _run(
        self, recipe: Recipe, spec: AgentSpec, toolbox: Toolbox, meters: list[Meter], what: str
    ) -> AgentRun:
        run = run_agent(self.client, spec, toolbox, meters, self.clock)
        self.outcomes[run.status] += 1
        if run.status == "errored":
            self.errored.append({"recipe": recipe.id, "what": what, "reason": run.message})
            phase = Phase.FIND if what.startswith("search of") else Phase.FIX
            self.progress(phase, f"agents: {recipe.id} {what}: {run.message}")
        return run

    def _meters(self, recipe: Recipe, max_turns: int) -> list[Meter]:
        agent = Meter("agent", replace(recipe.agent_budget, turns=max_turns))
        return [agent, self._recipe_meter(recipe), self.night]

    def _recipe_meter(self, recipe: Recipe) -> Meter:
        if recipe.id not in self.recipes:
            self.recipes[recipe.id] = Meter(f"recipe {recipe.id}", recipe.recipe_budget)
        return self.recipes[recipe.id]

    def _workspace(self, recipe: Recipe, tree: Path) -> Workspace:
        protected = guard.DEFAULT_PROTECTED + tuple(self.config.protected)
        return Workspace(tree, recipe.include, recipe.exclude, protected)

    def _check_commands(self, recipe: Recipe, tree: Path) -> list[str]:
        return test_commands(recipe, self.config, tree)

    def _skip(self, recipe: Recipe, what: str, reason: str) -> None:
        self.outcomes["skipped"] += 1
        self.skipped.append({"recipe": recipe.id, "what": what, "reason": reason})
        level = "night" if reason.startswith("night") else recipe.id
        if level not in self._announced:
            self._announced.add(level)
            phase = Phase.FIND if what.startswith("agent search") else Phase.FIX
            self.progress(phase, f"agents: {reason}: no more agents for {level} tonight")


class AgentFixer:
    """The Fixer for recipes with ``fix.agent``: one agent per finding, in its worktree."""

    def __init__(self, session: AgentSession) -> None:
        self.session = session

    def apply(self, recipe: Recipe, finding: Finding, tree: Path) -> AgentOutcome:
        agent = recipe.agent_fix
        if agent is None:
            return AgentOutcome(
                False, f"recipe {recipe.id} has no fix.agent block", status="skipped"
            )
        return self.session._fix(
            recipe,
            finding,
            tree,
            instructions=agent.instructions,
            model=agent.model or self.session.config.agents.model,
            max_turns=agent.max_turns,
        )


def _reachable(workspace: Workspace, path: str) -> bool:
    try:  # as for writing: a finder is given no link, as no finder searches one
        workspace.resolve(path, write=True)
        workspace.read_text(path)
    except ToolError:
        return False
    return True


def _finding(recipe: Recipe, report: Reported, text: str) -> Finding:
    line = split_lines(text.removeprefix("\ufeff"))[report.line - 1].rstrip("\r\n")
    indent = len(line) - len(line.lstrip())
    return Finding(
        recipe=recipe.id,
        rule=f"agent:{recipe.id}",
        path=report.path,
        start_line=report.line,
        start_col=indent + 1,
        end_line=report.line,
        end_col=len(line) + 1,
        message=report.summary,
        no_fix_reason="" if recipe.agent_fix else "found by an agent; the recipe has no fix.agent",
    )


def _last_commit_diff(tree: Path) -> str:
    try:
        return git.Repo(tree).git.diff("HEAD~1", "HEAD")
    except (git.GitCommandError, git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        return ""
