"""What each ``/nightcrew`` command does, bound to its entry in ``VERBS``. Adapter.

A handler gets the ``Context`` of the event (the PR as read, its commits and config read
once, on demand) and the ``Command``, and returns an ``Outcome`` for the bot's reply: it
changes the dashboard's rules, the PR, or rebuilds the fix through the night (``rebuild``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from bot.config import RepoConfig, load_config
from bot.dashboard import board, markers
from bot.dashboard.rules import IgnoreRules, Rule
from bot.dashboard.state import Identity, PullState, foreign_commits, is_nightcrew_commit
from bot.errors import UserError
from bot.github.api import ApiError, CommentInfo, CommitInfo, IssueInfo, PullInfo
from bot.publish.trailers import Trailer
from bot.recipes.loader import discover
from bot.recipes.model import Recipe
from bot.review import replies
from bot.review.commands import VERBS, Command, help_text
from bot.review.events import CommandEvent
from bot.review.rebuild import RebuildSettings, rebuild
from bot.review.replies import Outcome

Progress = Callable[[str], None]


class BotApi(board.IssuesApi, Protocol):
    """What the bot asks of the repository (``bot.github.client.GitHubRepo`` has it all)."""

    def get_pull(self, number: int) -> PullInfo: ...
    def pull_commits(self, number: int) -> list[CommitInfo]: ...
    def edit_pull(
        self, number: int, *, body: str | None = None, state: str | None = None
    ) -> None: ...
    def comments(self, number: int) -> list[CommentInfo]: ...
    def own_login(self) -> str: ...  # the account Nightcrew posts as
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


def finding_rules(
    pull: PullState, login: str, reason: str, settings: BotSettings, api: BotApi
) -> list[Rule]:
    """The rules that ignore ``pull``'s findings (every fix of a group PR), each with the
    file its fix changed, if known."""
    paths: dict[str, str] = {}
    try:
        commits = api.pull_commits(pull.number)
    except ApiError:
        commits = []
    for commit in commits:
        record = replies.read_commit(commit.message)
        if record.path:
            paths[Trailer.FINGERPRINT.read(commit.message) or pull.fingerprint] = record.path
    fallback = paths.get(pull.fingerprint) or next(iter(paths.values()), "")
    return [
        Rule(
            "finding",
            fingerprint,
            recipe=pull.recipe,
            path=paths.get(fingerprint, fallback if len(pull.members) == 1 else ""),
            pr=pull.number,
            by=login,
            reason=reason,
            at=settings.now().isoformat(timespec="seconds"),
        )
        for fingerprint in pull.members
    ]


def add_rules(rules: IgnoreRules, new: list[Rule]) -> IgnoreRules:
    for rule in new:
        rules = rules.add(rule)
    return rules


def remove_findings(rules: IgnoreRules, pull: PullState) -> IgnoreRules:
    """The rules without any that ignore one of ``pull``'s findings."""
    for fingerprint in pull.members:
        rules = rules.remove("finding", fingerprint)
    return rules


@dataclass
class Context:
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
        return Rule(
            kind,
            value,
            pr=self.pull.number,
            by=self.login,
            reason=reason,
            at=self.settings.now().isoformat(timespec="seconds"),
        )


@VERBS.handles("help")
def _help(ctx: Context, command: Command) -> Outcome:
    del ctx, command
    return Outcome(help_text())


@VERBS.handles("explain")
def _explain(ctx: Context, command: Command) -> Outcome:
    del command
    commits = ctx.commits()
    identity = ctx.identity()
    ours = [c for c in commits if is_nightcrew_commit(c, identity, ctx.pull.members)]
    record = replies.read_commit(ours[-1].message) if ours else replies.FixRecord()
    base = ours[-1].parents[0] if ours and ours[-1].parents else ctx.pull.base_sha
    foreign = [c.sha for c in foreign_commits(commits, identity, ctx.pull.members)]
    recipe = _recipe(ctx)
    return Outcome(replies.explain(recipe, ctx.pull.recipe, record, base, foreign))


def _recipe(ctx: Context) -> Recipe | None:
    try:
        recipes = discover(ctx.workspace, tuple(ctx.config().recipe_dirs))
    except UserError:
        return None
    return next((r for r in recipes if r.id == ctx.pull.recipe), None)


def _rules(ctx: Context, change: Callable[[IgnoreRules], IgnoreRules]) -> IssueInfo | str:
    """Change the dashboard's rules; the dashboard, or why the rules could not be changed."""
    try:
        issue, _ = board.update(ctx.api, change)
    except board.DashboardBroken as exc:
        return f"Nothing was changed: {exc}."
    assert issue is not None  # update creates the dashboard when there is none
    return issue


@VERBS.handles("ignore")
def _ignore(ctx: Context, command: Command) -> Outcome:
    del command
    pull = ctx.pull
    if pull.status == "merged":
        return Outcome("This PR is merged: its finding is fixed, there is nothing to ignore.")
    new = finding_rules(pull, ctx.login, "/nightcrew ignore", ctx.settings, ctx.api)
    issue = _rules(ctx, lambda rules: add_rules(rules, new))
    if isinstance(issue, str):
        return Outcome(issue, ok=False)
    closing = pull.status == "open"
    if closing:
        ctx.api.edit_pull(pull.number, state="closed")
    these = "this finding" if len(pull.members) == 1 else f"these {len(pull.members)} findings"
    text = (
        f"{'Closed. ' if closing else ''}Nightcrew will not propose {these} again "
        f"(recorded in #{issue.number}, the dashboard). To undo this, comment "
        "`/nightcrew unignore` here or reopen this PR."
    )
    return Outcome(text, notices=[markers.notice("ignored", pull.fingerprint)])


@VERBS.handles("unignore")
def _unignore(ctx: Context, command: Command) -> Outcome:
    del command
    pull = ctx.pull
    known = board.load_rules(ctx.api)
    was = any(known.find("finding", fingerprint) is not None for fingerprint in pull.members)
    issue = _rules(ctx, lambda rules: remove_findings(rules, pull))
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


@VERBS.handles("ignore-recipe")
def _ignore_recipe(ctx: Context, command: Command) -> Outcome:
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


@VERBS.handles("unignore-recipe")
def _unignore_recipe(ctx: Context, command: Command) -> Outcome:
    del command
    recipe = ctx.pull.recipe
    if board.load_rules(ctx.api).find("recipe", recipe) is None:
        return Outcome(f"Recipe `{recipe}` was not ignored; there is nothing to undo.")
    issue = _rules(ctx, lambda rules: rules.remove("recipe", recipe))
    if isinstance(issue, str):
        return Outcome(issue, ok=False)
    return Outcome(f"Recipe `{recipe}` is no longer ignored (dashboard #{issue.number}).")


@VERBS.handles("ignore-path")
def _ignore_path(ctx: Context, command: Command) -> Outcome:
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


@VERBS.handles("unignore-path")
def _unignore_path(ctx: Context, command: Command) -> Outcome:
    glob = command.argument
    if board.load_rules(ctx.api).find("path", glob) is None:
        return Outcome(f"`{glob}` was not an ignored path; there is nothing to undo.")
    issue = _rules(ctx, lambda rules: rules.remove("path", glob))
    if isinstance(issue, str):
        return Outcome(issue, ok=False)
    return Outcome(f"Files matching `{glob}` are no longer ignored (dashboard #{issue.number}).")


@VERBS.handles("rebase", "recreate", "revise")
def _rebuild(ctx: Context, command: Command) -> Outcome:
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
