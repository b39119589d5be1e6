"""The review bot: one webhook event in, at most one answer out.

``handle_event`` is what ``nightcrew action`` calls for ``issue_comment``,
``pull_request_review`` and ``pull_request`` events (``run_from_env`` reads them from an
Actions environment). The order of checks keeps it quiet and cheap: no ``/nightcrew``
line, a bot that is not allowlisted, a PR that is not Nightcrew's (no marker), or
commands already answered -> exit 0 with one line and nothing posted. Then the author's
permission (write, maintain or admin; allowlisted bots are trusted as configured), a
reaction to acknowledge at once (reviews cannot carry reactions: a short comment instead,
for the slow commands), the commands in order, and one reply with their outcomes and a
hidden marker that records them as answered (see ``replies``).

A PR closed without merging ignores its finding (a rule in the dashboard, and a comment
saying how to undo it); reopening it removes the rule.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from git import GitCommandError

from bot.config import RepoConfig, load_config
from bot.dashboard import board, markers
from bot.dashboard.rules import IgnoreRules, Rule
from bot.dashboard.state import (
    Identity,
    PullState,
    foreign_commits,
    is_nightcrew_commit,
    to_pull_state,
)
from bot.errors import NightcrewError, UserError
from bot.github.api import ApiError, CommentInfo, CommitInfo, IssueInfo, PullInfo
from bot.github.pacing import Pacer
from bot.recipes.loader import discover
from bot.recipes.model import Recipe
from bot.review import replies
from bot.review.commands import BadCommand, Command, help_text, parse_commands
from bot.review.events import CommandEvent, CommentEvent, NotForNightcrew, PullEvent, parse_event
from bot.review.rebuild import RebuildSettings, rebuild
from bot.review.replies import Outcome

Progress = Callable[[str], None]
SLOW = frozenset({"rebase", "recreate", "revise"})
ACK = "eyes"


class BotApi(board.IssuesApi, Protocol):
    """What the bot asks of the repository (``bot.github.client.GitHubRepo`` has it all)."""

    def get_pull(self, number: int) -> PullInfo: ...
    def pull_commits(self, number: int) -> list[CommitInfo]: ...
    def edit_pull(
        self, number: int, *, body: str | None = None, state: str | None = None
    ) -> None: ...
    def comments(self, number: int) -> list[CommentInfo]: ...
    def create_comment(self, number: int, body: str) -> CommentInfo: ...
    def collaborator_permission(self, login: str) -> str: ...
    def react(self, number: int, content: str, comment_id: int | None = None) -> None: ...


@dataclass(frozen=True)
class BotSettings:
    """The bot's settings: the repository, credentials, and who may steer it."""

    repository: str
    token: str = field(default="", repr=False)
    anthropic_api_key: str = field(default="", repr=False)
    allow_bots: frozenset[str] = frozenset()  # bot logins trusted to steer (config bot.allow_bots)
    config_path: Path | None = None
    out: Path | None = None
    push_attempts: int = 3
    push_backoff: float = 2.0
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), compare=False)


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
    # Only Nightcrew's own (bot) comments say what it already did; anyone can paste a marker.
    texts = [c.body for c in api.comments(event.number) if c.user_is_bot]
    said = replies.latest_notice(texts, ("ignored", "unignored"), pull.fingerprint)
    if event.action == "closed":
        rule = _finding_rule(pull, event.sender.login, "closed without merging", settings, api)
        _change_rules(api, lambda rules: rules.add(rule), progress)
        if said != "ignored":
            api.create_comment(event.number, replies.notice_comment(
                *replies.closed_notice(pull.fingerprint, event.number)
            ))  # fmt: skip
        progress(f"#{event.number} closed without merging: its finding is ignored")
        return 0
    _change_rules(api, lambda rules: rules.remove("finding", pull.fingerprint), progress)
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


def _finding_rule(
    pull: PullState, login: str, reason: str, settings: BotSettings, api: BotApi
) -> Rule:
    path = ""
    try:
        commits = api.pull_commits(pull.number)
    except ApiError:
        commits = []
    for commit in commits:
        record = replies.read_commit(commit.message)
        if record.path:
            path = record.path
    return Rule(
        "finding",
        pull.fingerprint,
        recipe=pull.recipe,
        path=path,
        pr=pull.number,
        by=login,
        reason=reason,
        at=settings.now().isoformat(timespec="seconds"),
    )


# --- commands in comments and reviews -----------------------------------------------------------


@dataclass
class _Context:
    """One command event being handled, with what has been read about its PR."""

    event: CommandEvent
    settings: BotSettings
    api: BotApi
    workspace: Path
    progress: Progress
    info: PullInfo
    pull: PullState
    _commits: list[CommitInfo] | None = None
    _config: RepoConfig | None = None

    @property
    def login(self) -> str:
        return self.event.actor.login

    def commits(self) -> list[CommitInfo]:
        if self._commits is None:
            self._commits = self.api.pull_commits(self.pull.number)
        return self._commits

    def config(self) -> RepoConfig:
        if self._config is None:
            try:
                self._config = load_config(self.workspace, self.settings.config_path)
            except UserError:
                self._config = RepoConfig()
        return self._config

    def identity(self) -> Identity:
        return Identity(self.config().author_name, self.config().author_email)

    def rule(self, kind: str, value: str, reason: str) -> Rule:
        if kind == "finding":
            return _finding_rule(self.pull, self.login, reason, self.settings, self.api)
        return Rule(
            kind,
            value,
            pr=self.pull.number,
            by=self.login,
            reason=reason,
            at=self.settings.now().isoformat(timespec="seconds"),
        )


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
    answered = replies.handled_keys(
        c.body for c in api.comments(event.number) if c.id != own_id and c.user_is_bot
    )
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
    ctx = _Context(event, settings, api, workspace, progress, info, pull)
    answers, failed = _run_all(ctx, [p for p, _ in todo])
    api.create_comment(event.number, replies.reply(answers, keys))
    return 1 if failed else 0


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
    slow = [p.line for p in parsed if isinstance(p, Command) and p.name in SLOW]
    if slow:  # GitHub has no reactions on reviews; a slow command gets a word at once
        names = ", ".join(f"`{line}`" for line in slow)
        text = f"On it: {names} from the review by {event.actor.login}. I will answer here."
        api.create_comment(event.number, replies.notice_comment(text, ""))


def _run_all(
    ctx: _Context, parsed: Sequence[Command | BadCommand]
) -> tuple[list[tuple[str, Outcome]], bool]:
    answers: list[tuple[str, Outcome]] = []
    failed = False
    bad = [(p.line, p.problem) for p in parsed if isinstance(p, BadCommand)]
    if bad:
        answers.append(("", Outcome(replies.not_understood(bad, help_text()), ok=False)))
    for command in (p for p in parsed if isinstance(p, Command)):
        ctx.progress(f"#{ctx.pull.number}: {command.line} (from {ctx.login})")
        try:
            outcome = _run(ctx, command)
        except ApiError as exc:
            failed = True
            outcome = Outcome(f"GitHub refused a request, so this did not finish: {exc}", False)
        except (NightcrewError, GitCommandError, OSError) as exc:
            failed = True
            outcome = Outcome(f"Nightcrew failed while doing this: {exc}", ok=False)
        ctx.progress(f"#{ctx.pull.number}: {command.name}: {'done' if outcome.ok else 'not done'}")
        answers.append((command.line, outcome))
        if command.name in ("ignore", "unignore"):  # the PR's state changed: read it again
            ctx.info = ctx.api.get_pull(ctx.pull.number)
            ctx.pull = to_pull_state(ctx.info, ctx.api.full_name) or ctx.pull
    return answers, failed


def _run(ctx: _Context, command: Command) -> Outcome:
    handlers: dict[str, Callable[[_Context, Command], Outcome]] = {
        "help": lambda ctx, command: Outcome(help_text()),
        "explain": _explain,
        "ignore": _ignore,
        "unignore": _unignore,
        "ignore-recipe": _ignore_recipe,
        "unignore-recipe": _unignore_recipe,
        "ignore-path": _ignore_path,
        "unignore-path": _unignore_path,
        "rebase": _rebuild,
        "recreate": _rebuild,
        "revise": _rebuild,
    }
    return handlers[command.name](ctx, command)


def _explain(ctx: _Context, command: Command) -> Outcome:
    del command
    commits = ctx.commits()
    identity = ctx.identity()
    ours = [c for c in commits if is_nightcrew_commit(c, identity, ctx.pull.fingerprint)]
    record = replies.read_commit(ours[-1].message) if ours else replies.FixRecord()
    base = ours[-1].parents[0] if ours and ours[-1].parents else ctx.pull.base_sha
    foreign = [c.sha for c in foreign_commits(commits, identity, ctx.pull.fingerprint)]
    recipe = _recipe(ctx)
    return Outcome(replies.explain(recipe, ctx.pull.recipe, record, base, foreign))


def _recipe(ctx: _Context) -> Recipe | None:
    try:
        recipes = discover(ctx.workspace, tuple(ctx.config().recipe_dirs))
    except UserError:
        return None
    return next((r for r in recipes if r.id == ctx.pull.recipe), None)


def _rules(ctx: _Context, change: Callable[[IgnoreRules], IgnoreRules]) -> IssueInfo | str:
    """Change the dashboard's rules; the dashboard, or why the rules could not be changed."""
    try:
        issue, _ = board.update(ctx.api, change)
    except board.DashboardBroken as exc:
        return f"Nothing was changed: {exc}."
    assert issue is not None  # update creates the dashboard when there is none
    return issue


def _ignore(ctx: _Context, command: Command) -> Outcome:
    del command
    pull = ctx.pull
    if pull.status == "merged":
        return Outcome("This PR is merged: its finding is fixed, there is nothing to ignore.")
    rule = ctx.rule("finding", pull.fingerprint, "/nightcrew ignore")
    issue = _rules(ctx, lambda rules: rules.add(rule))
    if isinstance(issue, str):
        return Outcome(issue, ok=False)
    closing = pull.status == "open"
    if closing:
        ctx.api.edit_pull(pull.number, state="closed")
    text = (
        f"{'Closed. ' if closing else ''}Nightcrew will not propose this finding again "
        f"(recorded in #{issue.number}, the dashboard). To undo this, comment "
        "`/nightcrew unignore` here or reopen this PR."
    )
    return Outcome(text, notices=[markers.notice("ignored", pull.fingerprint)])


def _unignore(ctx: _Context, command: Command) -> Outcome:
    del command
    pull = ctx.pull
    was = board.load_rules(ctx.api).find("finding", pull.fingerprint) is not None
    issue = _rules(ctx, lambda rules: rules.remove("finding", pull.fingerprint))
    if isinstance(issue, str):
        return Outcome(issue, ok=False)
    notices = [markers.notice("unignored", pull.fingerprint)]
    if pull.status == "closed" and not pull.closed_by_nightcrew:
        try:
            ctx.api.edit_pull(pull.number, state="open")
        except ApiError as exc:
            body = markers.replace_pull_marker(
                ctx.info.body,
                markers.PullMarker(
                    pull.fingerprint, pull.recipe, closed="unignored", path=pull.path
                ),
            )
            ctx.api.edit_pull(pull.number, body=body)
            text = (
                f"This finding is no longer ignored. This PR could not be reopened ({exc}), "
                "so the next night that finds it proposes it again in a new PR."
            )
            return Outcome(text, notices=notices)
        return Outcome("Reopened: this finding is no longer ignored.", notices=notices)
    if not was:
        return Outcome("This finding was not ignored; there is nothing to undo.")
    text = f"This finding is no longer ignored (dashboard #{issue.number})."
    return Outcome(text, notices=notices)


def _ignore_recipe(ctx: _Context, command: Command) -> Outcome:
    del command
    recipe = ctx.pull.recipe
    issue = _rules(
        ctx, lambda rules: rules.add(ctx.rule("recipe", recipe, "/nightcrew ignore recipe"))
    )
    if isinstance(issue, str):
        return Outcome(issue, ok=False)
    return Outcome(
        f"Nightcrew will not propose anything from recipe `{recipe}` again (dashboard "
        f"#{issue.number}). This PR stays as it is: merge it, close it, or comment "
        "`/nightcrew ignore`. To undo: `/nightcrew unignore recipe`."
    )


def _unignore_recipe(ctx: _Context, command: Command) -> Outcome:
    del command
    recipe = ctx.pull.recipe
    if board.load_rules(ctx.api).find("recipe", recipe) is None:
        return Outcome(f"Recipe `{recipe}` was not ignored; there is nothing to undo.")
    issue = _rules(ctx, lambda rules: rules.remove("recipe", recipe))
    if isinstance(issue, str):
        return Outcome(issue, ok=False)
    return Outcome(f"Recipe `{recipe}` is no longer ignored (dashboard #{issue.number}).")


def _ignore_path(ctx: _Context, command: Command) -> Outcome:
    glob = command.argument
    issue = _rules(ctx, lambda rules: rules.add(ctx.rule("path", glob, "/nightcrew ignore path")))
    if isinstance(issue, str):
        return Outcome(issue, ok=False)
    path = next((r.path for c in ctx.commits() if (r := replies.read_commit(c.message)).path), "")
    here = ""
    if path:
        matched = IgnoreRules((Rule("path", glob),)).ignores(ctx.pull.recipe, path, "") is not None
        here = f" This PR's file `{path}` {'matches' if matched else 'does not match'} it."
    return Outcome(
        f"Nightcrew will not propose changes to files matching `{glob}` again (dashboard "
        f"#{issue.number}).{here} To undo: `/nightcrew unignore path {glob}`."
    )


def _unignore_path(ctx: _Context, command: Command) -> Outcome:
    glob = command.argument
    if board.load_rules(ctx.api).find("path", glob) is None:
        return Outcome(f"`{glob}` was not an ignored path; there is nothing to undo.")
    issue = _rules(ctx, lambda rules: rules.remove("path", glob))
    if isinstance(issue, str):
        return Outcome(issue, ok=False)
    return Outcome(f"Files matching `{glob}` are no longer ignored (dashboard #{issue.number}).")


def _rebuild(ctx: _Context, command: Command) -> Outcome:
    settings = RebuildSettings(
        workspace=ctx.workspace,
        token=ctx.settings.token or None,
        anthropic_api_key=ctx.settings.anthropic_api_key,
        config_path=ctx.settings.config_path,
        out=ctx.settings.out,
        push_attempts=ctx.settings.push_attempts,
        push_backoff=ctx.settings.push_backoff,
    )
    return rebuild(
        ctx.api,
        ctx.pull,
        ctx.info.head_sha,
        ctx.commits(),
        settings,
        ctx.progress,
        command.name,
        command.argument,
    )


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
    from bot.actions.event import load_event
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
