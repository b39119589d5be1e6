"""The review bot: one webhook event in, at most one answer out.

``handle_event`` is what ``nightcrew action`` calls for ``issue_comment``,
``pull_request_review`` and ``pull_request`` events (``run_from_env`` reads them from an
Actions environment). The order of checks keeps it quiet and cheap: no ``/nightcrew``
line, a bot that is not allowlisted, a PR that is not Nightcrew's (no marker), or
commands already answered (a marker in a comment by the account Nightcrew posts as; in
anyone else's a marker means nothing) -> exit 0 with one line and nothing posted. Then
the author's permission (write, maintain or admin; allowlisted bots are trusted as
configured), a reaction to acknowledge at once (reviews cannot carry reactions: a short
comment instead, for the slow commands), the commands in order (each run by its handler
in ``verbs``, found through ``commands.VERBS``), and one reply with their outcomes and a
hidden marker that records them as answered (see ``replies``).

A PR closed without merging ignores its finding (a rule in the dashboard, and a comment
saying how to undo it); reopening it removes the rule.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from git import GitCommandError

from bot.config import RepoConfig, load_config
from bot.dashboard import board, markers
from bot.dashboard.rules import IgnoreRules
from bot.dashboard.state import to_pull_state
from bot.errors import NightcrewError, UserError
from bot.github.api import ApiError, IssueInfo, PullInfo
from bot.github.pacing import Pacer
from bot.review import replies
from bot.review.commands import VERBS, BadCommand, Command, help_text, parse_commands
from bot.review.events import CommandEvent, CommentEvent, NotForNightcrew, PullEvent, parse_event
from bot.review.replies import Outcome
from bot.review.verbs import (
    BotApi,
    BotSettings,
    Context,
    Progress,
    add_rules,
    finding_rules,
    remove_findings,
)

ACK = "eyes"


def handle_event(
    event_name: str,
    payload: Mapping[str, Any],
    settings: BotSettings,
    api: BotApi,
    workspace: Path,
    progress: Progress,
) -> int:
    """Act on one webhook event; 0 when it was handled or not Nightcrew's, 1 on failure."""
    event = parse_event(event_name, payload)
    if isinstance(event, NotForNightcrew):
        progress(f"not for Nightcrew: {event.reason}")
        return 0
    if settings.repository and event.repository.lower() != settings.repository.lower():
        progress(f"not for Nightcrew: the event is about {event.repository}")
        return 0
    try:
        if isinstance(event, PullEvent):
            return _on_pull(event, settings, api, progress)
        return _on_commands(event, settings, api, workspace, progress)
    except ApiError as exc:
        progress(f"GitHub: {exc}")
        return 1


# --- pull_request: closed, reopened ------------------------------------------------------------


def _on_pull(event: PullEvent, settings: BotSettings, api: BotApi, progress: Progress) -> int:
    info = PullInfo(
        number=event.number,
        url="",
        state="closed" if event.action == "closed" else "open",
        merged=event.merged,
        title="",
        body=event.body,
        head_ref=event.head_ref,
        head_sha="",
        head_repo=event.head_repo,
        base_ref="",
        base_sha="",
    )
    pull = to_pull_state(info, settings.repository or event.repository)
    if pull is None:
        progress(f"not for Nightcrew: #{event.number} is not a Nightcrew PR")
        return 0
    if event.merged:
        board.update(api, create=False)  # its line leaves the dashboard's open PRs
        progress(f"#{event.number} was merged; nothing to do")
        return 0
    marker = markers.parse_pull(event.body)
    if event.action == "closed" and marker is not None and marker.closed:
        progress(f"#{event.number} was closed by Nightcrew itself; nothing to do")
        return 0
    texts = _own_comments(api, event.number, progress)
    said = replies.latest_notice(texts, ("ignored", "unignored"), pull.fingerprint)
    if event.action == "closed":
        new = finding_rules(pull, event.sender.login, "closed without merging", settings, api)
        _change_rules(api, lambda rules: add_rules(rules, new), progress)
        if said != "ignored":
            api.create_comment(event.number, replies.notice_comment(
                *replies.closed_notice(pull.fingerprint, event.number)
            ))  # fmt: skip
        progress(f"#{event.number} closed without merging: its finding is ignored")
        return 0
    _change_rules(api, lambda rules: remove_findings(rules, pull), progress)
    if marker is not None and marker.closed:  # open again: a later close is a person's
        fresh = replace(marker, closed=None)  # the same finding, file and version, open
        api.edit_pull(event.number, body=markers.replace_pull_marker(event.body, fresh))
    if said == "ignored":
        api.create_comment(
            event.number, replies.notice_comment(*replies.reopened_notice(pull.fingerprint))
        )
    progress(f"#{event.number} reopened: its finding is no longer ignored")
    return 0


def _change_rules(
    api: BotApi, change: Callable[[IgnoreRules], IgnoreRules], progress: Progress
) -> IssueInfo | None:
    try:
        issue, _ = board.update(api, change)
    except board.DashboardBroken as exc:
        progress(f"dashboard: {exc}")
        return None
    return issue


# --- commands in comments and reviews -----------------------------------------------------------


def _on_commands(
    event: CommandEvent,
    settings: BotSettings,
    api: BotApi,
    workspace: Path,
    progress: Progress,
) -> int:
    parsed = parse_commands(event.body)
    if not parsed:
        progress(f"no /nightcrew command in {event.source}; nothing to do")
        return 0
    author = event.actor
    trusted_bot = author.is_bot and author.login in settings.allow_bots
    if author.is_bot and not trusted_bot:
        progress(f"{event.source} is by {author.login}, a bot not in bot.allow_bots; ignored")
        return 0
    try:
        info = api.get_pull(event.number)
    except ApiError as exc:
        if exc.status == 404:
            progress(f"not for Nightcrew: #{event.number} is not a pull request")
            return 0
        raise
    pull = to_pull_state(info, settings.repository or event.repository)
    if pull is None:
        progress(f"not for Nightcrew: #{event.number} is not a Nightcrew PR; nothing posted")
        return 0
    own_id = event.comment_id if isinstance(event, CommentEvent) else None
    answered = replies.handled_keys(_own_comments(api, event.number, progress, skip=own_id))
    todo = [(p, replies.command_key(event.source, p.line)) for p in parsed]
    todo = [(p, key) for p, key in todo if key not in answered]
    if not todo:
        progress(f"every command of {event.source} was answered already; nothing to do")
        return 0
    keys = [key for _, key in todo]
    if not trusted_bot:
        permission = _permission(api, author.login)
        if permission not in replies.WRITE_PERMISSIONS:
            repository = settings.repository or event.repository
            text = replies.unauthorised(author.login, permission, repository)
            api.create_comment(event.number, replies.reply([("", Outcome(text, ok=False))], keys))
            progress(f"{author.login} ({permission or 'no'} access) may not steer Nightcrew")
            return 0
    _acknowledge(event, api, [p for p, _ in todo])
    ctx = Context(event, settings, api, workspace, progress, info, pull)
    answers, failed = _run_all(ctx, [p for p, _ in todo])
    api.create_comment(event.number, replies.reply(answers, keys))
    return 1 if failed else 0


def _own_comments(
    api: BotApi, number: int, progress: Progress, skip: int | None = None
) -> list[str]:
    """The bodies of Nightcrew's own comments on ``number``: only they say what it did.

    Anyone can post a comment with a marker in it, another bot as easily as a person, so
    a marker counts only in a comment by the account Nightcrew posts as. When that
    account cannot be told, no comment counts: a command may be answered twice, but a
    command is never silenced by someone else's comment.
    """
    try:
        own = api.own_login().casefold()
    except ApiError as exc:
        progress(f"earlier answers are not trusted: {exc}")
        return []
    return [
        c.body
        for c in api.comments(number)
        if c.id != skip and c.user is not None and c.user.casefold() == own
    ]


def _permission(api: BotApi, login: str) -> str:
    try:
        return api.collaborator_permission(login)
    except ApiError as exc:
        if exc.status == 404:  # not a collaborator (or a bot GitHub does not know as one)
            return "none"
        raise


def _acknowledge(event: CommandEvent, api: BotApi, parsed: Sequence[Command | BadCommand]) -> None:
    if isinstance(event, CommentEvent):
        api.react(event.number, ACK, event.comment_id)
        return
    slow = [p.line for p in parsed if isinstance(p, Command) and VERBS[p.name].slow]
    if slow:  # GitHub has no reactions on reviews; a slow command gets a word at once
        names = ", ".join(f"`{line}`" for line in slow)
        text = f"On it: {names} from the review by {event.actor.login}. I will answer here."
        api.create_comment(event.number, replies.notice_comment(text, ""))


def _run_all(
    ctx: Context, parsed: Sequence[Command | BadCommand]
) -> tuple[list[tuple[str, Outcome]], bool]:
    answers: list[tuple[str, Outcome]] = []
    failed = False
    bad = [(p.line, p.problem) for p in parsed if isinstance(p, BadCommand)]
    if bad:
        answers.append(("", Outcome(replies.not_understood(bad, help_text()), ok=False)))
    for command in (p for p in parsed if isinstance(p, Command)):
        ctx.progress(f"#{ctx.pull.number}: {command.line} (from {ctx.login})")
        try:
            outcome = VERBS.handler(command.name)(ctx, command)
        except ApiError as exc:
            failed = True
            outcome = Outcome(f"GitHub refused a request, so this did not finish: {exc}", False)
        except (NightcrewError, GitCommandError, OSError) as exc:
            failed = True
            outcome = Outcome(f"Nightcrew failed while doing this: {exc}", ok=False)
        ctx.progress(f"#{ctx.pull.number}: {command.name}: {'done' if outcome.ok else 'not done'}")
        answers.append((command.line, outcome))
        if VERBS[command.name].changes_pull:  # the PR's state may have changed: read it again
            ctx.info = ctx.api.get_pull(ctx.pull.number)
            ctx.pull = to_pull_state(ctx.info, ctx.api.full_name) or ctx.pull
    return answers, failed


# --- from an Actions environment ----------------------------------------------------------------


def _print(line: str) -> None:
    print(f"nightcrew: {line}", flush=True)


def run_from_env(
    env: Mapping[str, str] = os.environ,
    progress: Progress | None = None,
    *,
    pacer: Pacer | None = None,
) -> int:
    """``nightcrew action`` for the review events: settings and payload from ``env``.

    ``pacer`` spaces the bot's writes (GitHub's default of a second between them unless
    given; tests pass a faster one).
    """
    from bot.actions import workflow
    from bot.actions.payload import load_event
    from bot.actions.settings import settings_from_env
    from bot.github.client import connect

    settings = settings_from_env(env)
    secrets = settings.secrets()

    def say(line: str) -> None:
        (progress or _print)(workflow.redact(line, secrets))

    payload = load_event(settings.event_path)
    event = parse_event(settings.event_name, payload)
    if isinstance(event, NotForNightcrew):
        say(f"not for Nightcrew: {event.reason}")
        return 0
    if not settings.github_token:
        raise UserError(
            "empty: a token is needed to answer on pull requests",
            field="input github-token (INPUT_GITHUB_TOKEN)",
        )
    repository = settings.repository or event.repository
    workspace = settings.workspace.resolve()
    if settings.anthropic_api_key:
        # As for a night: agent recipes read it through the SDK; tests never see it.
        os.environ["ANTHROPIC_API_KEY"] = settings.anthropic_api_key
    try:
        config = load_config(workspace, settings.config)
    except UserError as exc:
        say(f"the configuration cannot be read ({exc}); using defaults for the bot")
        config = RepoConfig()
    connection = connect(settings.github_token, settings.api_url, pacer=pacer)
    try:
        return handle_event(
            settings.event_name,
            payload,
            BotSettings(
                repository=repository,
                token=settings.github_token,
                anthropic_api_key=settings.anthropic_api_key,
                allow_bots=frozenset(config.bot_allow_bots),
                config_path=settings.config,
                out=settings.runner_temp / "nightcrew-bot" if settings.runner_temp else None,
            ),
            connection.repo(repository),
            workspace,
            say,
        )
    finally:
        connection.close()


if __name__ == "__main__":  # pragma: no cover - `python -m bot.review.handler` for debugging
    sys.exit(run_from_env())
