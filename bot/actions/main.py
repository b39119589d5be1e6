"""`nightcrew action`: the GitHub Action's entry point (action.yml runs it).

Settings come from the environment only (``INPUT_*`` and ``GITHUB_*``), so the same command
runs outside Actions with the same variables. On ``schedule`` and ``workflow_dispatch`` it
runs one night on the workspace and publishes with the GitHub publisher (the local one on
``dry-run``); then it writes the job summary, the step's outputs and annotations. On the
review events (``issue_comment``, ``pull_request_review``, ``pull_request``) it hands over
to the review bot (``bot.review.handler``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import git

from bot import gitops
from bot.actions import workflow
from bot.actions.payload import load_event
from bot.actions.settings import NIGHT_EVENTS, ActionSettings, input_env_name, settings_from_env
from bot.config import RepoConfig, load_config
from bot.errors import UserError
from bot.night import NightOptions, run_night
from bot.publish.local import LocalPublisher
from bot.publish.proposal import Publisher
from bot.report import summary
from bot.report.document import write_report
from bot.report.progress import Event, Numbering, Phase
from bot.report.results import NoteKind, note_kind
from bot.review.events import EVENTS as REVIEW_EVENTS

SECRET_INPUTS = ("github-token", "anthropic-api-key")


class NightNotCompleted(Exception):
    """The night could not run to its end for a reason outside the user's input (exit 1)."""


def _say(line: str) -> None:
    print(line, flush=True)


def _log_to_the_job_log() -> None:
    """Nightcrew's own log lines (GitHub retries waited out, say) go to the job's log, on
    stdout beside the progress; stderr keeps only the line that ends a failed run."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("nightcrew: %(message)s"))
    logger = logging.getLogger("bot")
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


# The log group each phase of the night is shown in (the Action's view of bot.report.progress).
GROUP_TITLES = {
    Phase.SETUP: "Find: recipes, scope, findings",
    Phase.FIND: "Find: recipes, scope, findings",
    Phase.FIX: "Fix and verify, one finding at a time",
    Phase.PUBLISH: "Publish",
    Phase.REVIEW: "Review",
}


class GroupedProgress:
    """Progress lines on stdout, inside one ``::group::`` per phase of the night."""

    def __init__(self, secrets: Sequence[str], first: Phase = Phase.SETUP) -> None:
        self.secrets = tuple(secrets)
        self.current: str | None = None
        self.numbering = Numbering()
        self.open(GROUP_TITLES[first])

    def open(self, title: str) -> None:
        self.close()
        _say(workflow.group(title))
        self.current = title

    def close(self) -> None:
        if self.current is not None:
            _say(workflow.endgroup())
            self.current = None

    def __call__(self, phase: Phase, message: str, /) -> None:
        if GROUP_TITLES[phase] != self.current:
            self.open(GROUP_TITLES[phase])
        _say(f"nightcrew: {workflow.redact(message, self.secrets)}")

    def event(self, phase: Phase, event: Event, /) -> None:
        """Events as lines, like the CLI's off a terminal (the runner adds the times)."""
        if line := self.numbering.line(event):
            self(phase, line)


def base_branch(config_base: str | None, settings: ActionSettings, event: Mapping[str, Any]) -> str:
    """Where PRs go: the config's ``base``, else the branch the run is on, else the default."""
    if config_base:
        return config_base.removeprefix("refs/heads/").removeprefix("origin/")
    if settings.branch:
        return settings.branch
    repository = event.get("repository")
    default = repository.get("default_branch") if isinstance(repository, Mapping) else None
    if isinstance(default, str) and default:
        return default
    raise UserError(
        "cannot tell which branch to open PRs against: the run is not on a branch and the "
        "event has no repository.default_branch; set `base:` in .github/nightcrew.yml",
        field="GITHUB_REF",
    )


def cmd_action(args: argparse.Namespace) -> int:
    """Exit 0: the night completed (or the event is not ours); 2: bad input; 1: failure."""
    del args
    _log_to_the_job_log()
    env = os.environ
    event_name = env.get("GITHUB_EVENT_NAME", "").strip()
    if not event_name:
        raise UserError(
            "not set: `nightcrew action` runs in a GitHub Actions workflow (set it to "
            "`workflow_dispatch` to run it elsewhere)",
            field="GITHUB_EVENT_NAME",
        )
    if event_name not in NIGHT_EVENTS | REVIEW_EVENTS:
        _say(
            f"nightcrew: the `{event_name}` event is not handled; `nightcrew action` runs a "
            f"night on {' and '.join(sorted(NIGHT_EVENTS))} and answers reviewers "
            f"on {', '.join(sorted(REVIEW_EVENTS))}; nothing to do"
        )
        return 0
    if env.get("GITHUB_ACTIONS") == "true":
        # Before anything else is printed: the runner hides these values from every log line.
        for name in SECRET_INPUTS:
            secret = env.get(input_env_name(name), "").strip()
            if secret:
                _say(workflow.add_mask(secret))
    if event_name in REVIEW_EVENTS:
        from bot.review.handler import run_from_env

        return run_from_env(env)
    summary_path = Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None
    try:
        settings = settings_from_env(env)
        return _night(settings, env)
    except NightNotCompleted as exc:
        _report_failure(f"Nightcrew could not complete the night: {exc}", summary_path)
        print(f"nightcrew: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        # The summary says the night failed; cli.main maps the exception to the exit status.
        kind = "bad input" if isinstance(exc, UserError) else "internal error"
        _report_failure(f"Nightcrew stopped ({kind}): {exc}", summary_path)
        raise


def _report_failure(message: str, summary_path: Path | None) -> None:
    """An error annotation and a job summary saying why the night did not complete."""
    secrets = [os.environ.get(input_env_name(n), "") for n in SECRET_INPUTS]
    message = workflow.redact(message, secrets)
    _say(workflow.command("error", message))
    if summary_path is not None:
        with summary_path.open("a", encoding="utf-8") as fh:
            fh.write(f"## Nightcrew\n\n{message}\n")


def _night(settings: ActionSettings, env: Mapping[str, str]) -> int:
    event = load_event(settings.event_path)
    if not settings.dry_run:
        if not settings.github_token:
            raise UserError(
                "empty: a token is needed to open PRs (or set dry-run: true)",
                field="input github-token (INPUT_GITHUB_TOKEN)",
            )
        if not settings.repository:
            raise UserError("not set: which repository to open PRs on", field="GITHUB_REPOSITORY")
    workspace = settings.workspace.resolve()
    out = settings.runner_temp / "nightcrew" if settings.runner_temp else None
    progress = GroupedProgress(settings.secrets())
    shard = f", shard {settings.shard[0]}/{settings.shard[1]}" if settings.shard else ""
    progress(
        Phase.SETUP,
        f"{settings.event_name} on {settings.repository or workspace}{shard}; "
        f"Python {sys.version_info.major}.{sys.version_info.minor}",
    )
    try:
        repo = gitops.open_repo(workspace)
        top = Path(repo.working_tree_dir or workspace)
        out = out or gitops.git_dir(repo) / "nightcrew"
        # Loaded and resolved once, here: the publisher and the night share them.
        config = load_config(top, settings.config)
        base_sha = gitops.resolve_base(repo, config.base)
        publisher: Publisher
        if settings.dry_run:
            progress(
                Phase.SETUP,
                "dry run: verified fixes become local branches and patches; no pushes, no PRs",
            )
            publisher = LocalPublisher(repo, out)
        else:
            progress(
                Phase.SETUP,
                f"reading Nightcrew's PRs on {settings.repository} ({settings.api_url})",
            )
            publisher = _github_publisher(settings, repo, config, event, base_sha)
        opts = NightOptions(
            repo=workspace,
            recipe_ids=settings.recipes,
            config_path=settings.config,
            out=out,
            shard=settings.shard,
            env=env,
            api_key=settings.anthropic_api_key or "",
            config=config,
            base_sha=base_sha,
        )
        report = run_night(opts, progress, publisher=publisher)
    finally:
        progress.close()
    data = write_report(report)
    if not settings.dry_run:
        _record_on_dashboard(publisher, data, settings)
    return _finish(settings, data, report.to_markdown(), Path(report.out_dir or out))


def _record_on_dashboard(
    publisher: Publisher, data: Mapping[str, Any], settings: ActionSettings
) -> None:
    """Last night's summary into the dashboard issue; a failure there is only a warning.

    The workflow run's id goes with it: the shards of one run add up their numbers there.
    """
    from bot.dashboard import board
    from bot.github.api import ApiError

    try:
        board.record_night(
            publisher.repo,  # type: ignore[attr-defined]
            data,
            run_id=settings.run_id,
            run_attempt=settings.run_attempt,
        )
    except (ApiError, board.DashboardBroken) as exc:
        _say(workflow.warning(f"the dashboard issue was not updated: {exc}"))
    except board.ShardNotRecorded as exc:
        _say(workflow.warning(f"the dashboard issue was updated, but {exc}"))


def _github_publisher(
    settings: ActionSettings,
    repo: git.Repo,
    config: RepoConfig,
    event: Mapping[str, Any],
    base_sha: str,
) -> Publisher:
    """The GitHub publisher; its first API calls (reading Nightcrew's PRs) happen here."""
    from bot.dashboard import board
    from bot.dashboard.state import Identity
    from bot.github.api import ApiError
    from bot.github.client import connect
    from bot.github.pacing import WaitBudget
    from bot.publish import memory
    from bot.publish.pulls import GitHubPublisher, PublishLimits

    limits = PublishLimits(
        max_new_prs=config.max_new_prs if settings.max_prs is None else settings.max_prs,
        max_open_prs=config.max_open_prs,
        reverify_after_days=config.reverify_after_days,
    )
    try:
        publisher = GitHubPublisher(
            connect(settings.github_token, settings.api_url, budget=WaitBudget(config.wait_budget)),
            settings.repository,
            repo,
            base_branch(config.base, settings, event),
            token=settings.github_token,
            limits=limits,
            labels=config.pr_labels,
            reviewers=config.pr_reviewers,
            assignees=config.pr_assignees,
            draft=config.pr_draft,
            identity=Identity(config.author_name, config.author_email),
            base_sha=base_sha,
        )
        # The dashboard's ignore rules (from `/nightcrew ignore ...`) come before anything else,
        # then the fixes the tests rejected on earlier nights (its `rejections`).
        dashboard = board.load(publisher.repo)
        remembering = memory.remembering(
            publisher, repo, base_sha, config, dashboard.rejections, datetime.now(UTC),
            hint=memory.GITHUB_HINT,
        )  # fmt: skip
        return board.IgnoringPublisher(remembering, dashboard.rules)
    except ApiError as exc:
        if exc.status in (401, 404):
            raise UserError(
                f"{exc}: check that the github-token input is valid and may read "
                f"{settings.repository} (and GITHUB_API_URL, {settings.api_url})",
                field="GitHub",
            ) from None
        raise NightNotCompleted(f"{exc}; nothing was published") from None


def _finish(settings: ActionSettings, data: dict[str, Any], markdown: str, out: Path) -> int:
    """Show the report in the log; write annotations, the step's outputs and the job summary."""
    report_path = out / "report.json"
    _say(workflow.group("Report"))
    _say(workflow.redact(markdown, settings.secrets()))
    _say(f"Report: {report_path}")
    _say(workflow.endgroup())
    for line in summary.annotations(data):
        _say(workflow.redact(line, settings.secrets()))
    for note in summary.stopped_notes(data)[:1]:  # the night and the publisher both say it
        # A completed night all the same: what was left is published by the next one.
        _say(workflow.warning(f"Nightcrew: {note}; the next night picks up what was left"))
    counts = summary.counts(data)
    outputs = {
        "report": str(report_path),
        "prs": json.dumps(summary.pr_urls(data)),
        "found": str(counts["found"]),
        "published": str(counts["published"]),
    }
    if settings.output is not None:
        with settings.output.open("a", encoding="utf-8") as fh:
            fh.write(workflow.format_outputs(outputs))
    if settings.step_summary is not None:
        text = summary.job_summary(data, dry_run=settings.dry_run)
        with settings.step_summary.open("a", encoding="utf-8") as fh:
            fh.write(workflow.redact(text, settings.secrets()) + "\n")
    from bot.publish.pulls import PERMISSIONS_HINT

    if any(note_kind(n) == NoteKind.PERMISSION_DENIED for n in data.get("notes", ())):
        # Not a night that merely ran into a limit: no PR can be opened until this is fixed.
        message = f"GitHub refused to let the token open PRs: {PERMISSIONS_HINT}"
        _say(workflow.command("error", message))
        print(f"nightcrew: error: {message}", file=sys.stderr)
        return 2
    return 0
