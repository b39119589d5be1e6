"""GitHub Actions, as pure functions: settings from the environment, workflow commands, outputs.

Nothing here prints or writes files; `bot.action` does. Workflow-command escaping follows
`@actions/core` (the runner undoes exactly these escapes), outputs use the multiline
``name<<DELIMITER`` form of `$GITHUB_OUTPUT` with a random delimiter.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import UserError

DEFAULT_API_URL = "https://api.github.com"

# The action's inputs (action.yml), each read from INPUT_<NAME> (upper case, `-` -> `_`).
# tests/test_action_yml.py fails if this, action.yml and settings_from_env disagree.
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

# GitHub shows at most 10 warning annotations per step; the rest are in the job summary.
MAX_ANNOTATIONS = 10
# Rows per table in the job summary (a step's summary may be at most 1 MiB).
MAX_SUMMARY_ROWS = 50

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


# --- workflow commands ------------------------------------------------------------------------


def escape_data(text: str) -> str:
    """Escape a workflow command's message (after the last ``::``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (``file=...,line=...``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str = "", **properties: str | int | None) -> str:
    """``::name k=v,k=v::message``, escaped; properties that are None are left out."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None and value != ""
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def add_mask(secret: str) -> str:
    return command("add-mask", secret)


def group(title: str) -> str:
    return command("group", title)


def endgroup() -> str:
    return command("endgroup")


def warning(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> str:
    return command("warning", message, file=file, line=line, title=title)


def format_output(name: str, value: str, delimiter: str | None = None) -> str:
    """One `$GITHUB_OUTPUT` entry in the multiline form, safe for any value."""
    delimiter = delimiter or f"ghadelimiter_{uuid.uuid4()}"
    if not re.fullmatch(r"[A-Za-z_][\w-]*", name):
        raise ValueError(f"not a valid output name: {name!r}")
    if delimiter in value:
        raise ValueError(f"output {name!r} contains its delimiter")
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def format_outputs(outputs: Mapping[str, str]) -> str:
    return "".join(format_output(name, value) for name, value in outputs.items())


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` (the runner's own spelling)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


# --- progress phases ----------------------------------------------------------------------------

_PHASES = (
    (re.compile(r"baseline\b"), "Baseline: the tests on the base commit"),
    (
        re.compile(r"(verified|rejected|skipped|errored|group of)\b"),
        "Fix and verify, one finding at a time",
    ),
    (re.compile(r"(publish|pushed|opened|pr\b|pull request)", re.IGNORECASE), "Publish"),
)


def phase_of(message: str) -> str | None:
    """The log group a progress line belongs in, or None to stay in the current one."""
    for pattern, title in _PHASES:
        if pattern.match(message):
            return title
    return None


# --- the night's report, for people ---------------------------------------------------------


def pr_urls(report: Mapping[str, Any]) -> list[str]:
    """The PR addresses of the night's published fixes, in the order they were made."""
    return [url for fix in report.get("fixes", ()) if (url := _url(fix))]


def counts(report: Mapping[str, Any]) -> dict[str, int]:
    """found, verified, rejected, published, skipped, errored, and any other count reported."""
    summary = dict(report.get("summary") or {})
    fixes = report.get("fixes", ())
    published = sum(1 for fix in fixes if _is_published(fix))
    ordered = {
        "found": int(summary.pop("found", len(report.get("findings", ())))),
        "verified": int(summary.pop("verified", 0)),
        "rejected": int(summary.pop("rejected", 0)),
        "published": int(summary.pop("published", published)),
        "skipped": int(summary.pop("skipped", 0)),
        "errored": int(summary.pop("errored", 0)),
    }
    return ordered | {k: int(v) for k, v in summary.items() if isinstance(v, int)}


def cost(report: Mapping[str, Any]) -> float | None:
    """Dollars spent on agents, when the report records any: the night's total, else per fix."""
    for total in (report.get("agents"), report.get("costs")):
        if isinstance(total, Mapping) and _is_number(total.get("dollars")):
            return float(total["dollars"])
    per_fix = [
        float(costs["dollars"])
        for fix in report.get("fixes", ())
        if isinstance(costs := fix.get("costs"), Mapping) and _is_number(costs.get("dollars"))
    ]
    return sum(per_fix) if per_fix else None


def stopped_notes(report: Mapping[str, Any]) -> list[str]:
    """Why publishing stopped early (a secondary rate limit, say), when it did."""
    return [str(n) for n in report.get("notes", ()) if "publishing stopped" in str(n)]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _url(fix: Mapping[str, Any]) -> str | None:
    url = fix.get("url")
    return url if isinstance(url, str) and url else None


def _is_published(fix: Mapping[str, Any]) -> bool:
    return fix.get("status") == "published" or _url(fix) is not None


def _not_fixed(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Findings that were not fixed and say why: rejected first, then errored, then skipped."""
    order = {"rejected": 0, "errored": 1, "skipped": 2}
    unfixed = [
        fix
        for fix in report.get("fixes", ())
        if fix.get("status") in order and fix.get("reason") and not _is_published(fix)
    ]
    return sorted(unfixed, key=lambda fix: order[fix["status"]])


def annotations(report: Mapping[str, Any], limit: int = MAX_ANNOTATIONS) -> list[str]:
    """``::warning file=…,line=…::`` for findings that were not fixed (the first ``limit``).

    A finding skipped because of its branch (an open PR, or one closed to ignore it) is
    someone's decision already, so it gets no annotation.
    """
    unfixed = [f for f in _not_fixed(report) if not (f["status"] == "skipped" and f.get("branch"))]
    return [
        warning(
            f"{fix.get('message', '')}: {fix['status']}: {fix['reason']}",
            file=fix.get("path"),
            line=fix.get("line"),
            title=f"Nightcrew {fix.get('recipe', '')} {fix.get('rule', '')}".strip(),
        )
        for fix in unfixed[:limit]
    ]


def job_summary(
    report: Mapping[str, Any], *, dry_run: bool = False, title: str = "Nightcrew"
) -> str:
    """The job summary: counts, published PRs, what was not fixed and why, notes."""
    c = counts(report)
    dollars = cost(report)
    heading = f"## {title}"
    if dry_run:
        heading += " (dry run: branches and patches only, no pushes, no PRs)"
    columns = list(c) + (["cost"] if dollars is not None else [])
    values = [str(v) for v in c.values()] + ([f"${dollars:.2f}"] if dollars is not None else [])
    lines = [
        heading,
        "",
        _row(columns),
        _row(["---:"] * len(columns)),
        _row(values),
        "",
    ]
    fixes = report.get("fixes", ())
    published = [fix for fix in fixes if _is_published(fix)]
    if published:
        lines += ["### Published", ""]
        lines += [
            f"- {_link(fix)} `{fix.get('path')}:{fix.get('line')}` "
            f"{_cell(str(fix.get('message', '')))} ({fix.get('rule')})"
            for fix in published[:MAX_SUMMARY_ROWS]
        ]
        lines += [*_more(len(published)), ""]
    unpublished = [f for f in fixes if f.get("status") == "verified" and not _is_published(f)]
    if unpublished:
        why = "dry run: not pushed" if dry_run else "not published"
        lines += [f"### Verified, {why}", "", _row(["where", "rule", "branch or why"])]
        lines += [_row(["---"] * 3)]
        lines += [
            _row(
                [
                    f"`{fix.get('path')}:{fix.get('line')}`",
                    _cell(str(fix.get("rule", ""))),
                    f"`{fix['branch']}`" if fix.get("branch") else _cell(_why_unpublished(fix)),
                ]
            )
            for fix in unpublished[:MAX_SUMMARY_ROWS]
        ]
        lines += [*_more(len(unpublished)), ""]
    for status, heading_text in (
        ("rejected", "Rejected, and why"),
        ("errored", "Errored (Nightcrew's own failures)"),
        ("skipped", "Skipped, and why"),
    ):
        rows = [fix for fix in _not_fixed(report) if fix["status"] == status]
        if not rows:
            continue
        lines += [f"### {heading_text}", "", _row(["where", "rule", "why"]), _row(["---"] * 3)]
        lines += [
            _row(
                [
                    f"`{fix.get('path')}:{fix.get('line')}`",
                    _cell(str(fix.get("rule", ""))),
                    _cell(str(fix["reason"])),
                ]
            )
            for fix in rows[:MAX_SUMMARY_ROWS]
        ]
        lines += [*_more(len(rows)), ""]
    skipped_recipes = report.get("recipes_skipped", ())
    if skipped_recipes:
        lines += ["### Recipes not run", ""]
        lines += [f"- `{r.get('id')}`: {r.get('reason')}" for r in skipped_recipes] + [""]
    notes = report.get("notes", ())
    if notes:
        lines += ["### Notes", ""] + [f"- {_cell(str(n))}" for n in notes] + [""]
    return "\n".join(lines)


def _why_unpublished(fix: Mapping[str, Any]) -> str:
    reason = str(fix.get("reason", ""))
    _, sep, why = reason.partition("not published: ")
    return why if sep else reason


def _link(fix: Mapping[str, Any]) -> str:
    url = _url(fix)
    if url is None:
        return f"`{fix.get('branch')}`"
    number = url.rstrip("/").rsplit("/", 1)[-1]
    return f"[#{number}]({url})" if number.isdigit() else f"<{url}>"


def _more(total: int) -> list[str]:
    if total <= MAX_SUMMARY_ROWS:
        return []
    return [f"- … and {total - MAX_SUMMARY_ROWS} more (see report.json)"]


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")
