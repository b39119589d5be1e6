"""The dashboard issue on GitHub: find it (never two), read its rules, rewrite it.

Also what the night needs from it: ``load`` (or ``load_rules``) before publishing,
``IgnoringPublisher`` to skip what the rules ignore, ``record_night`` to write the night's
summary and what it learnt about rejected fixes (``bot.publish.memory``).

One dashboard per repository: the oldest open-or-closed issue labelled ``nightcrew`` whose
body has the dashboard marker (or, if the label was removed, any open one with it). Should
two exist (two runs created one at once), the rules of both are merged into the oldest and
the other is closed as a duplicate, its marker removed so it is never read again.

The shards of one sharded night (one workflow run) each record their numbers: each adds
them to the run's summary (``last_night.add_night``), then reads the dashboard back to check
it is still counted (see ``record_night`` on what a race can still lose).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.dashboard import last_night, page, reading
from bot.dashboard.last_night import NightSummary
from bot.dashboard.page import Dashboard, OpenPull
from bot.dashboard.rules import IgnoreRules
from bot.dashboard.state import to_pull_state
from bot.errors import NightcrewError
from bot.github.api import IssueInfo, PullInfo
from bot.model import Finding
from bot.publish import rejections as rejected
from bot.publish.proposal import NotPublished, Proposal, Published, Publisher
from bot.publish.quota import Quota
from bot.publish.rejections import Rejection
from bot.recipes.model import Recipe
from bot.report.document import NightReport
from bot.report.results import NoteKind, Reason


class IssuesApi(Protocol):
    """The part of ``bot.github.client.GitHubRepo`` the dashboard uses."""

    full_name: str

    def list_pulls(self, state: str = "all", head: str | None = None) -> list[PullInfo]: ...
    def list_issues(self, state: str = "open", labels: Sequence[str] = ()) -> list[IssueInfo]: ...
    def create_issue(self, title: str, body: str, labels: Sequence[str] = ()) -> IssueInfo: ...
    def edit_issue(
        self, number: int, *, body: str | None = None, state: str | None = None
    ) -> IssueInfo: ...
    def collaborator_permission(self, login: str) -> str: ...


@dataclass
class DashboardBroken(NightcrewError):
    """The rules block cannot be read as JSON: rewriting it could lose rules."""

    number: int
    problems: tuple[str, ...]

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"the rules block of the dashboard #{self.number} cannot be read "
            f"({'; '.join(self.problems)}): fix it by hand, then try again"
        )


@dataclass
class ShardNotRecorded(NightcrewError):
    """Other shards' writes replaced this shard's numbers on the dashboard each time."""

    number: int | None
    shard: str
    run_id: str
    attempts: int

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"dashboard #{self.number}" if self.number is not None else "dashboard"
        return (
            f"other shards of workflow run {self.run_id} wrote the {where} at the same time "
            f"{self.attempts} times; its last night may miss shard {self.shard}'s numbers "
            "(this job's summary has them)"
        )


WRITERS = frozenset({"admin", "maintain", "write"})
# Writes of a shard's summary, each checked by reading the dashboard back (record_night).
RECORD_ATTEMPTS = 3
# Rejected fixes the dashboard remembers, newest first: the rules block must fit in the body.
MAX_REJECTIONS = 50


def trusted(api: IssuesApi, issue: IssueInfo) -> bool:
    """A dashboard counts only if Nightcrew (a bot account) or a maintainer opened it.

    Anyone may open an issue that carries the dashboard's marker; its rules must not
    switch Nightcrew off.
    """
    if issue.author_is_bot:
        return True
    return issue.author is not None and api.collaborator_permission(issue.author) in WRITERS


def find_dashboards(api: IssuesApi) -> list[IssueInfo]:
    """Every trusted dashboard issue, oldest first."""
    found = [
        i
        for i in api.list_issues("all", [page.LABEL])
        if not i.is_pull and page.is_dashboard(i.body) and trusted(api, i)
    ]
    if not found:  # the label was removed by hand
        found = [
            i
            for i in api.list_issues("open")
            if not i.is_pull and page.is_dashboard(i.body) and trusted(api, i)
        ]
    return sorted(found, key=lambda i: i.number)


def read(issues: Sequence[IssueInfo]) -> Dashboard:
    """The dashboards' contents, merged (the oldest one's night)."""
    boards = [reading.parse(i.body) for i in issues]
    if not boards:
        return Dashboard()
    first = boards[0]
    rules = first.rules
    for other in boards[1:]:
        rules = rules.merge(other.rules)
    return Dashboard(
        rules,
        first.night,
        tuple(p for b in boards for p in b.problems),
        any(b.broken for b in boards),
        tuple(rejected.apply_changes([r for b in boards for r in b.rejections], (), ())),
    )


def load(api: IssuesApi) -> Dashboard:
    """What the dashboard holds for the night (empty when there is no dashboard yet)."""
    return read(find_dashboards(api))


def load_rules(api: IssuesApi) -> IgnoreRules:
    """The ignore rules the night must honour (none when there is no dashboard yet)."""
    return load(api).rules


def open_pulls(api: IssuesApi) -> list[OpenPull]:
    pulls = []
    for info in api.list_pulls("open"):
        pull = to_pull_state(info, api.full_name)
        if pull is not None:
            pulls.append(OpenPull(pull.number, pull.url, pull.recipe, pull.fingerprint, info.title))
    return pulls


def update(
    api: IssuesApi,
    change: Callable[[IgnoreRules], IgnoreRules] | None = None,
    *,
    create: bool = True,
    record: Callable[[NightSummary | None], NightSummary] | None = None,
    remember: Callable[[Sequence[Rejection]], Sequence[Rejection]] | None = None,
) -> tuple[IssueInfo | None, Dashboard]:
    """Apply ``change`` to the rules (and ``record`` to the last night), rewrite the dashboard.

    ``record`` gives the new last night from the one the dashboard holds (read just before
    the write), e.g. a shard's numbers added to its run's; ``remember`` likewise the
    rejected fixes (at most ``MAX_REJECTIONS`` are kept). Creates the
    dashboard when there is none (unless ``create`` is false). Raises ``DashboardBroken``
    instead of rewriting rules it could not read.
    """
    issues = find_dashboards(api)
    current = read(issues)
    if issues and current.broken:
        raise DashboardBroken(issues[0].number, current.problems)
    rules = change(current.rules) if change else current.rules
    last = record(current.night) if record else current.night
    kept = remember(current.rejections) if remember else current.rejections
    board = Dashboard(rules, last, tuple(rules.problems()), rejections=tuple(kept))
    if not issues and not create:
        return None, board
    body = page.render(board, open_pulls(api))
    if not issues:
        created = api.create_issue(page.TITLE, body, [page.LABEL])
        issues = find_dashboards(api)
        if not issues or issues[0].number == created.number:
            return created, board
        # Another run made one first: use the oldest (``record`` adds to its night).
        return update(api, change, record=record, remember=remember)
    primary = issues[0]
    if body != primary.body:
        primary = api.edit_issue(primary.number, body=body)
    for duplicate in issues[1:]:
        note = f"Duplicate of #{primary.number}, Nightcrew's dashboard; its rules are there now."
        api.edit_issue(duplicate.number, body=note, state="closed")
    return primary, board


def record_night(
    api: IssuesApi, report: Mapping[str, Any], *, run_id: str = "", run_attempt: int = 0
) -> IssueInfo | None:
    """Write a night's summary (``NightReport.to_json()``) into the dashboard.

    ``run_id``/``run_attempt`` (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT) name the workflow run. A
    shard's report adds to the summary of the other shards of the same run already there
    (``last_night.add_night``); anything else replaces the summary. The rules are kept as
    they are (read again before each write). The rejected fixes the night learnt
    (``rejections_remembered``) and those it forgot (``rejections_forgotten``) are applied to
    the ones the dashboard holds, so shards add theirs up too.

    GitHub has no compare-and-swap for issue bodies: two shards finishing at once may both
    read the dashboard, then both write it, the second write dropping the first one's
    numbers. So after writing, a shard reads the dashboard back and, if its shard is no
    longer counted (another shard's write won), adds its numbers again and writes again, at
    most ``RECORD_ATTEMPTS`` times, then raises ``ShardNotRecorded``. This narrows the race;
    it cannot close it: a shard whose read-back saw its numbers can still lose them to a
    write that another shard based on an older read and lands after that read-back. In that
    worst case the dashboard misses that shard's numbers until the next night (each job's
    own summary and report still have them).
    """
    mine = last_night.night_summary(report, run_id=run_id, run_attempt=run_attempt)

    def add(current: NightSummary | None) -> NightSummary:
        return last_night.add_night(current, mine)

    learnt = [r for r in map(rejected.from_json, report.get("rejections_remembered") or ()) if r]
    forgotten = [str(f) for f in report.get("rejections_forgotten") or ()]

    def remember(current: Sequence[Rejection]) -> list[Rejection]:
        return rejected.apply_changes(current, learnt, forgotten, MAX_REJECTIONS)

    issue: IssueInfo | None = None
    for _ in range(RECORD_ATTEMPTS):
        issue, _board = update(api, record=add, remember=remember)
        if not (mine.shards and mine.run_id):
            return issue  # nothing adds up with it: it simply replaced the summary
        now = read(find_dashboards(api)).night
        if now is not None and now.covers(mine):
            return issue
    raise ShardNotRecorded(
        issue.number if issue else None, mine.shards[0], mine.run_id, RECORD_ATTEMPTS
    )


class IgnoringPublisher:
    """A Publisher that first asks the dashboard's rules, then the publisher it wraps."""

    def __init__(self, inner: Publisher, rules: IgnoreRules) -> None:
        self.inner = inner
        self.rules = rules
        self.name = inner.name
        self.ignored: list[tuple[str, str]] = []  # (fingerprint, reason)

    def prior(self, recipe: Recipe, finding: Finding, branch: str) -> NotPublished | None:
        reason = self.rules.ignores(recipe.id, finding.path, finding.fingerprint)
        if reason is not None:
            self.ignored.append((finding.fingerprint, reason))
            return NotPublished(reason, kind=Reason.IGNORED)
        return self.inner.prior(recipe, finding, branch)

    def publish(self, proposal: Proposal) -> Published | NotPublished:
        for fix in proposal.fixes or (proposal,):  # a group: any of its fixes
            f = fix.finding
            reason = self.rules.ignores(proposal.recipe.id, f.path, f.fingerprint)
            if reason is not None:
                return NotPublished(reason, kind=Reason.IGNORED)
        return self.inner.publish(proposal)

    def quota(self, recipe: Recipe) -> Quota | None:
        return self.inner.quota(recipe)

    def finish(self, report: NightReport) -> None:
        if self.ignored:
            report.note(
                NoteKind.DASHBOARD,
                f"dashboard: {len(self.ignored)} finding(s) skipped by the ignore rules",
            )
        self.inner.finish(report)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # published_urls(), actions, ... of the wrapped one
