"""``rebase``, ``recreate`` and ``revise``: rebuild one PR's fix with the night's machinery.

The night runs as usual, limited to the PR's recipe and finding
(``NightOptions.only_fingerprints``): find on the checked-out base, fix in a worktree,
guard, compile, ruff, the tests on the new base (the base commit asked about what fails),
one commit. ``PullRebuilder`` is the night's publisher for it: it force-pushes that
commit to the PR's branch with a lease on the head the bot saw (so a push that lands
meanwhile is never overwritten) and rewrites the PR body. ``rebase`` and ``revise``
refuse to run when someone other than Nightcrew has pushed to the branch; ``recreate``
discards those commits, as asked, and names them in its answer so they can be recovered.

For ``revise``, ``ReviseFixer`` starts from the PR's current change (fetched from origin;
the recipe's own fix when it no longer applies) and hands it to ``AgentSession.revise``
with the reviewer's words, cleaned of hidden text; what the agent makes is then checked
exactly like any other fix.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot import gitops
from bot.agents.untrusted import clean_untrusted
from bot.config import RepoConfig, load_config
from bot.dashboard.state import Identity, PullState, foreign_commits
from bot.errors import UserError
from bot.fix.fixers import EditFixer, FixOutcome
from bot.github.api import ApiError, CommitInfo
from bot.github.push import LeaseRejected, PushError, auth_env, push, remote_url
from bot.model import Finding
from bot.night import NightOptions, run_night
from bot.publish import pr_text
from bot.publish.proposal import NotPublished, Proposal, Published
from bot.publish.quota import Quota
from bot.recipes.model import Recipe
from bot.report.document import NightReport
from bot.report.results import Reason, Status
from bot.review.replies import Outcome

if TYPE_CHECKING:
    from bot.agents.session import AgentSession

Progress = Callable[[str], None]
MODES = ("rebase", "recreate", "revise")


class PullApi(Protocol):
    def edit_pull(
        self, number: int, *, body: str | None = None, state: str | None = None
    ) -> None: ...


@dataclass(frozen=True)
class RebuildSettings:
    """What a rebuild needs besides the PR: where, with which token and key, and how."""

    workspace: Path
    token: str | None = None
    anthropic_api_key: str = ""
    config_path: Path | None = None
    out: Path | None = None
    push_attempts: int = 3
    push_backoff: float = 2.0


class PullRebuilder:
    """The night's publisher for one PR: force-push with a lease, then update the body.

    A group PR's fixes are rebuilt into one PR again, whatever their grouping (``one_pr``).
    """

    name = "github-bot"
    one_pr = True

    def __init__(
        self, api: PullApi, pull: PullState, expect: str, settings: RebuildSettings
    ) -> None:
        self.api = api
        self.pull = pull
        self.expect = expect  # the branch head the bot checked; the push is leased on it
        self.settings = settings
        self.proposal: Proposal | None = None
        self.note = ""

    def prior(self, recipe: Recipe, finding: Finding, branch: str) -> NotPublished | None:
        del recipe, branch
        if finding.fingerprint not in self.pull.members:
            # Only this PR's finding is rebuilt; any other is another PR's business.
            return NotPublished(
                f"not the finding of #{self.pull.number}", kind=Reason.ALREADY_PROPOSED
            )
        return None

    def publish(self, proposal: Proposal) -> Published | NotPublished:
        try:
            push(
                self.settings.workspace,
                proposal.commit,
                self.pull.branch,
                expect=self.expect,
                token=self.settings.token,
                attempts=self.settings.push_attempts,
                backoff=self.settings.push_backoff,
            )
        except LeaseRejected:
            return NotPublished(
                f"{pr_text.code(self.pull.branch)} changed on GitHub while Nightcrew worked, "
                "so nothing was pushed; comment the command again to rebuild on top of it",
                kind=Reason.HUMAN_PUSHED,
            )
        except PushError as exc:
            return NotPublished(str(exc))
        self.proposal = proposal
        try:
            self.api.edit_pull(self.pull.number, body=pr_text.pull_body(proposal))
        except ApiError as exc:
            self.note = f"The PR description could not be updated: {exc}."
        return Published(self.pull.branch, url=self.pull.url)

    def quota(self, recipe: Recipe) -> Quota | None:
        """Rebuilding one PR is no new PR: no quota beyond the recipe's own."""
        del recipe
        return None

    def finish(self, report: NightReport) -> None:
        """Nothing to tidy: the bot touches only its one PR."""
        del report


class ReviseFixer:
    """A Fixer for ``revise``: the PR's change, revised by an agent as the reviewer asks."""

    def __init__(self, session: AgentSession, instructions: str, patch: str) -> None:
        self.session = session
        self.instructions = clean_untrusted(instructions)
        self.patch = patch
        self.summary = ""  # what the agent said it did

    def apply(self, recipe: Recipe, finding: Finding, tree: Path) -> FixOutcome:
        if not self.patch or gitops.apply_patch(tree, self.patch) is not None:
            start = EditFixer().apply(recipe, finding, tree)  # the PR's change, made again
            if not start.ok:
                return start
        diff = _git(tree, "diff", "HEAD")
        outcome = self.session.revise(recipe, finding, tree, self.instructions, diff=diff)
        self.summary = outcome.summary
        return outcome


def rebuild(
    api: PullApi,
    pull: PullState,
    head: str,
    commits: list[CommitInfo],
    settings: RebuildSettings,
    progress: Progress,
    mode: str,
    instructions: str = "",
    env: Mapping[str, str] | None = None,
) -> Outcome:
    """Rebuild ``pull``'s fix on the checked-out base (``mode``: rebase, recreate, revise)."""
    if pull.status != "open":
        state = "merged" if pull.status == "merged" else "closed"
        undo = "" if state == "merged" else " Reopen it (or `/nightcrew unignore`) first."
        return Outcome(f"This PR is {state}; there is nothing to {mode}.{undo}", ok=False)
    try:
        config = load_config(settings.workspace, settings.config_path)
    except UserError as exc:
        return Outcome(f"Nightcrew cannot read its configuration: {exc}", ok=False)
    identity = Identity(config.author_name, config.author_email)
    foreign = foreign_commits(commits, identity, pull.members)
    if foreign and mode != "recreate":
        return Outcome(_human_pushed(pull, foreign, mode), ok=False)
    repo = gitops.open_repo(settings.workspace)
    base = gitops.resolve_base(repo, config.base)
    ours = [c for c in commits if c not in foreign]
    if mode == "revise" and len(pull.members) > 1:
        return Outcome(
            f"`revise` works on a PR of one fix; this one holds {len(pull.members)}. Comment "
            "`/nightcrew recreate` to make them again, or push your change to this branch "
            "yourself (Nightcrew then leaves the PR to you).",
            ok=False,
        )
    if mode == "rebase" and len(commits) == len(pull.members) and commits[0].parents[:1] == (base,):
        return Outcome(
            f"This PR is already built on the latest base ({pr_text.code(base[:10])}); "
            "nothing to rebase. Comment `/nightcrew recreate` to make the fix again anyway."
        )
    fixer = None
    if mode == "revise":
        made = _revise_fixer(config, pull, ours, settings, progress, instructions, env)
        if isinstance(made, Outcome):
            return made
        fixer = made
    publisher = PullRebuilder(api, pull, head, settings)
    options = NightOptions(
        repo=settings.workspace,
        recipe_ids=(pull.recipe,),
        config_path=settings.config_path,
        max_fixes=len(pull.members),
        out=settings.out,
        only_fingerprints=frozenset(pull.members),
        fixer=fixer,
        env=dict(env if env is not None else os.environ),
        api_key=settings.anthropic_api_key,
        config=config,
        base_sha=base,
    )
    try:
        report = run_night(options, lambda phase, line: progress(line), publisher=publisher)
    except UserError as exc:
        return Outcome(f"Nightcrew could not rebuild this fix: {exc}", ok=False)
    summary = fixer.summary if fixer is not None else ""
    return _outcome(report, publisher, pull, mode, foreign, summary)


def _revise_fixer(
    config: RepoConfig,
    pull: PullState,
    ours: list[CommitInfo],
    settings: RebuildSettings,
    progress: Progress,
    instructions: str,
    env: Mapping[str, str] | None,
) -> ReviseFixer | Outcome:
    key = settings.anthropic_api_key.strip()
    if not key:
        return Outcome(
            "`revise` needs Claude, and this workflow gives Nightcrew no Anthropic API key: "
            "pass `anthropic-api-key: ${{ secrets.ANTHROPIC_API_KEY }}` to the action (see "
            "docs/bot.md). Nothing was changed; you can also push your change to this "
            "branch yourself (Nightcrew then leaves the PR to you).",
            ok=False,
        )
    from bot.agents.session import AgentSession

    session = AgentSession.start(
        key, env if env is not None else os.environ, config, lambda phase, line: progress(line)
    )
    if session is None:  # pragma: no cover - the key was checked above
        return Outcome("Claude is not available to this run; nothing was changed.", ok=False)
    patch = _pr_patch(settings, pull, ours)
    return ReviseFixer(session, instructions, patch)


def _pr_patch(settings: RebuildSettings, pull: PullState, ours: list[CommitInfo]) -> str:
    """The PR's change as a patch (fetched from origin), or "" when it cannot be had."""
    if not ours or not ours[-1].parents:
        return ""
    head, parent = ours[-1].sha, ours[-1].parents[0]
    workspace = settings.workspace
    ref = f"refs/nightcrew-bot/pr-{pull.number}"
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        **auth_env(remote_url(workspace), settings.token, os.environ),
    }
    fetched = subprocess.run(
        ["git", "fetch", "--quiet", "--no-tags", "origin", f"+refs/heads/{pull.branch}:{ref}"],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if fetched.returncode != 0:
        return ""
    try:
        return _git(workspace, "diff", "--binary", parent, head)
    except subprocess.CalledProcessError:
        return ""


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def _human_pushed(pull: PullState, foreign: list[CommitInfo], mode: str) -> str:
    who = ", ".join(
        f"{pr_text.code(c.sha[:10])} by {pr_text.clean(c.author_name)}" for c in foreign
    )
    return (
        f"Someone other than Nightcrew has pushed to {pr_text.code(pull.branch)} ({who}). "
        f"To {mode} it Nightcrew would have to throw that work away, so it left the branch "
        "as it is. Comment `/nightcrew recreate` to discard those commits and make the fix "
        "again from scratch, or update the branch yourself."
    )


def _outcome(
    report: NightReport,
    publisher: PullRebuilder,
    pull: PullState,
    mode: str,
    foreign: list[CommitInfo],
    summary: str = "",
) -> Outcome:
    base = pr_text.code(report.base[:10])
    if pull.recipe in {r for r, _ in report.recipes_skipped}:
        why = dict(report.recipes_skipped)[pull.recipe]
        return Outcome(f"Recipe {pr_text.code(pull.recipe)} could not run: {why}.", ok=False)
    mine = [r for r in report.fixes if r.finding.fingerprint in pull.members]
    result = next((r for r in mine if r.status is Status.VERIFIED), mine[0] if mine else None)
    if result is None:
        return Outcome(
            f"Recipe {pr_text.code(pull.recipe)} no longer finds this on {base}: the code "
            "changed (fixed another way, or removed). There is nothing to rebuild; the next "
            "night closes this PR.",
            ok=False,
        )
    proposal = publisher.proposal
    if result.status is not Status.VERIFIED or proposal is None:
        reason = pr_text.clean(result.reason or result.status.value)
        return Outcome(
            f"The {_noun(mode)} did not pass on {base}, so nothing was pushed and this PR is "
            f"unchanged:\n\n> {reason}",
            ok=False,
        )
    done = {
        "rebase": f"Rebuilt on {base} and verified again",
        "recreate": f"Made again from scratch on {base} and verified",
        "revise": f"Revised as asked, on {base}, and verified again",
    }[mode]
    lines = [f"{done}; pushed to {pr_text.code(pull.branch)}:", ""]
    lines += [f"- {pr_text.clean(e)}" for e in proposal.evidence]
    if summary:
        lines += ["", f"What the agent did: {pr_text.clean(summary)}"]
    if foreign:
        gone = ", ".join(
            f"{pr_text.code(c.sha[:10])} by {pr_text.clean(c.author_name)}" for c in foreign
        )
        lines += ["", f"Discarded as asked: {gone}. They are still in your clones and reflogs."]
    if publisher.note:
        lines += ["", publisher.note]
    return Outcome("\n".join(lines))


def _noun(mode: str) -> str:
    return {"rebase": "rebuilt fix", "recreate": "recreated fix", "revise": "revised fix"}[mode]
