"""The action's settings, read from its environment and validated. Pure.

Inputs arrive as ``INPUT_<NAME>`` variables and GitHub's own as ``GITHUB_*``; a bad value is a
UserError naming the input, so `nightcrew action` exits 2 with no traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import UserError

DEFAULT_API_URL = "https://api.github.com"

# The action's inputs (action.yml), each read from INPUT_<NAME> (upper case, `-` -> `_`).
# tests/actions/test_action_yml.py fails if this, action.yml and settings_from_env disagree.
INPUTS = (
    "github-token",
    "anthropic-api-key",
    "config",
    "recipes",
    "max-prs",
    "dry-run",
    "python-version",
    "shard",
    "sandbox-setup",
)
# The action's outputs (action.yml), written to $GITHUB_OUTPUT by `nightcrew action`.
OUTPUTS = ("report", "prs", "found", "published")

# Events `nightcrew action` runs a night for (the review bot's are bot.review.events.EVENTS).
NIGHT_EVENTS = frozenset({"schedule", "workflow_dispatch"})


_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")
_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def input_env_name(name: str) -> str:
    """The environment variable an input arrives in: ``max-prs`` -> ``INPUT_MAX_PRS``."""
    return "INPUT_" + name.upper().replace("-", "_").replace(" ", "_")


@dataclass(frozen=True)
class ActionSettings:
    """Everything `nightcrew action` takes from its environment, validated."""

    event_name: str
    event_path: Path | None
    repository: str  # owner/name; "" outside Actions
    api_url: str
    workspace: Path
    ref: str  # GITHUB_REF, e.g. refs/heads/main; "" when unknown
    step_summary: Path | None
    output: Path | None
    runner_temp: Path | None
    in_actions: bool  # GITHUB_ACTIONS=true: workflow commands are read by a runner
    github_token: str = field(repr=False)
    anthropic_api_key: str = field(repr=False)
    config: Path | None = None
    recipes: tuple[str, ...] = ()
    max_prs: int | None = None
    dry_run: bool = False
    python_version: str = ""
    shard: tuple[int, int] | None = None
    sandbox_setup: bool = True  # the action's own step uses it; validated here all the same
    # The workflow run (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT): the shards of one run share it,
    # so their numbers add up on the dashboard. "" and 0 when unknown.
    run_id: str = ""
    run_attempt: int = 0

    @property
    def handled(self) -> bool:
        return self.event_name in NIGHT_EVENTS

    @property
    def branch(self) -> str | None:
        """The branch the workflow runs on, when it runs on one (not a tag or a PR merge ref)."""
        return self.ref.removeprefix("refs/heads/") if self.ref.startswith("refs/heads/") else None

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.github_token, self.anthropic_api_key) if s)


def settings_from_env(env: Mapping[str, str]) -> ActionSettings:
    """Read the inputs and GitHub's variables; bad values raise UserError naming the input."""

    def inp(name: str) -> str:
        return env.get(input_env_name(name), "").strip()

    def path(name: str) -> Path | None:
        value = env.get(name, "")
        return Path(value) if value else None

    workspace = Path(env.get("GITHUB_WORKSPACE") or ".")
    config = inp("config")
    run_id = env.get("GITHUB_RUN_ID", "").strip()  # set by the runner; only the dashboard uses it
    attempt = env.get("GITHUB_RUN_ATTEMPT", "").strip()
    return ActionSettings(
        event_name=env.get("GITHUB_EVENT_NAME", "").strip(),
        event_path=path("GITHUB_EVENT_PATH"),
        repository=_repository(env.get("GITHUB_REPOSITORY", "").strip()),
        api_url=(env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
        workspace=workspace,
        ref=env.get("GITHUB_REF", ""),
        step_summary=path("GITHUB_STEP_SUMMARY"),
        output=path("GITHUB_OUTPUT"),
        runner_temp=path("RUNNER_TEMP"),
        in_actions=env.get("GITHUB_ACTIONS") == "true",
        github_token=inp("github-token"),
        anthropic_api_key=inp("anthropic-api-key"),
        config=workspace / config if config else None,
        recipes=split_list(inp("recipes")),
        max_prs=_whole_number("max-prs", inp("max-prs")),
        dry_run=parse_bool("dry-run", inp("dry-run")),
        python_version=inp("python-version"),
        shard=parse_shard(inp("shard"), "shard") if inp("shard") else None,
        sandbox_setup=parse_bool("sandbox-setup", inp("sandbox-setup") or "true"),
        run_id=run_id,
        run_attempt=int(attempt) if run_id and attempt.isdigit() else 0,
    )


def _repository(value: str) -> str:
    if value and not re.fullmatch(r"[\w.-]+/[\w.-]+", value):
        raise UserError(f"expected owner/name, got {value!r}", field="GITHUB_REPOSITORY")
    return value


def split_list(text: str) -> tuple[str, ...]:
    """Recipe ids given as ``a, b`` or ``a b`` or one per line; order kept, duplicates dropped."""
    return tuple(dict.fromkeys(part for part in re.split(r"[\s,]+", text) if part))


def parse_bool(name: str, text: str, default: bool = False) -> bool:
    """A boolean input the way `@actions/core` reads one (YAML 1.2 core schema spellings)."""
    if not text:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UserError(f"expected true or false, got {text!r}", field=_input_field(name))


def _whole_number(name: str, text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise UserError(
            f"expected a whole number 0 or more, got {text!r}", field=_input_field(name)
        )
    return int(text)


def parse_shard(text: str, name: str = "--shard") -> tuple[int, int]:
    """``"2/4"`` -> ``(2, 4)``; anything else is bad input."""
    match = _SHARD.fullmatch(text)
    if match:
        index, total = int(match[1]), int(match[2])
        if 1 <= index <= total:
            return index, total
    field_name = name if name.startswith("-") else _input_field(name)
    raise UserError(f"expected I/N with 1 ≤ I ≤ N, got {text!r}", field=field_name)


def _input_field(name: str) -> str:
    return f"input {name} ({input_env_name(name)})"
