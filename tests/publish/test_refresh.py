"""Open PRs on a new base: left alone while they apply cleanly, rebuilt when they conflict or
their verification is too old. The fake GitHub, a real bare origin, real git throughout.

"Nothing was pushed" is checked twice: the branch's ref in the bare origin is unchanged, and
the fake recorded no ``git-receive-pack`` request (nor any API write) since the night began.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import git
import pytest

from bot.config import RepoConfig
from bot.github.api import CommitInfo
from bot.github.push import auth_env
from bot.publish.ledger import Action, summary
from bot.publish.proposal import NotPublished, Proposal, Published
from bot.publish.pulls import GitHubPublisher, PublishLimits
from bot.publish.refresh import Refresh, applies_cleanly
from bot.report.document import NightReport
from bot.report.results import Reason
from tests.conftest import ROOT
from tests.fakes.fixtures import NAME, OWNER, RECIPE, Hub, make_hub, run_git
from tests.fakes.github import Recorded

A_FIXED = "def a():\n    return [1, 2]\n"
CONFLICTING = "def a(scale=1):\n    return list([1, 2])\n"  # edits the line next to the fix


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    yield from make_hub(tmp_path)


def opened(hub: Hub, proposal: Proposal) -> None:
    """Last night: the PR #1 opened for ``proposal``."""
    publisher = hub.publisher()
    assert publisher.prior(proposal.recipe, proposal.finding, proposal.branch) is None
    assert isinstance(publisher.publish(proposal), Published)


def unrelated_commits(hub: Hub, count: int) -> str:
    """People commit ``count`` times to main without touching the fix's file."""
    for i in range(count):
        (hub.workspace / "README.md").write_text(f"demo, take {i}\n", encoding="utf-8")
        run_git(hub.workspace, "commit", "--quiet", "-am", f"docs {i}")
    run_git(hub.workspace, "push", "--quiet", str(hub.origin), "HEAD:refs/heads/main")
    return hub.base()


def since(hub: Hub, start: int) -> list[Recorded]:
    return hub.gh.requests[start:]


def pushes(requests: list[Recorded]) -> list[Recorded]:
    return [r for r in requests if r.kind == "git" and r.path.endswith("/git-receive-pack")]


def writes(requests: list[Recorded]) -> list[Recorded]:
    return [r for r in requests if r.kind == "api" and r.method != "GET"]


def asked_github_about(requests: list[Recorded], number: int) -> bool:
    """Did anyone read the PR itself (its mergeability), not only its commits?"""
    return any(r.method == "GET" and r.path.endswith(f"/pulls/{number}") for r in requests)


def report_for(hub: Hub, proposals: list[Proposal]) -> NightReport:
    return NightReport(
        repo=str(hub.workspace),
        base=hub.base(),
        started_at="2026-01-01T03:00:00+00:00",
        recipes=[RECIPE.id],
        recipes_searched=[RECIPE.id],
        findings=[p.finding for p in proposals],
    )


def made_days_ago(monkeypatch: pytest.MonkeyPatch, hub: Hub, days: float) -> Proposal:
    """A proposal whose commit (made as its verification passed) is ``days`` old."""
    when = datetime.now(UTC) - timedelta(days=days)
    monkeypatch.setenv("GIT_COMMITTER_DATE", when.strftime("%Y-%m-%dT%H:%M:%S+00:00"))
    try:
        return hub.proposal()
    finally:
        monkeypatch.delenv("GIT_COMMITTER_DATE")


# --- left alone -----------------------------------------------------------------------------


def test_a_base_moved_by_unrelated_commits_rebuilds_nothing(hub: Hub) -> None:
    proposal = hub.proposal()
    opened(hub, proposal)
    new_base = unrelated_commits(hub, 60)  # far behind, and still fine

    start = len(hub.gh.requests)
    publisher = hub.publisher()
    again = hub.proposal()  # tonight finds the same finding on the new base
    reason = publisher.prior(again.recipe, again.finding, again.branch)
    publisher.finish(report_for(hub, [again]))

    assert reason == NotPublished(
        f"already open as #1; left alone: it still applies cleanly on {new_base[:10]}",
        kind=Reason.ALREADY_PROPOSED,
    )
    assert hub.gh.branch_sha(proposal.branch) == proposal.commit  # the bare origin's ref
    assert hub.gh.pull(1)["head_sha"] == proposal.commit
    assert pushes(since(hub, start)) == [] and writes(since(hub, start)) == []
    assert not asked_github_about(since(hub, start), 1)  # git told, not GitHub
    assert publisher.summary() == "GitHub: left alone (applies cleanly on the new base): #1"


def test_a_pr_on_tonights_base_is_left_alone_whatever_its_age(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    proposal = made_days_ago(monkeypatch, hub, 40)
    opened(hub, proposal)
    publisher = hub.publisher()
    reason = publisher.prior(proposal.recipe, proposal.finding, proposal.branch)
    assert reason == NotPublished("already open as #1", kind=Reason.ALREADY_PROPOSED)
    assert [a.kind for a in publisher.actions] == ["skipped"]


# --- rebuilt --------------------------------------------------------------------------------


def test_a_conflicting_base_commit_rebuilds_the_pr_before_github_has_an_answer(
    hub: Hub,
) -> None:
    proposal = hub.proposal()
    opened(hub, proposal)
    new_base = hub.advance_base("pkg/a.py", CONFLICTING)
    hub.gh.mergeability_pending = True  # GitHub answers `mergeable: null` for a while

    publisher = hub.publisher()
    rebuilt = hub.proposal(new_text="def a(scale=1):\n    return [1, 2]\n")
    assert publisher.prior(rebuilt.recipe, rebuilt.finding, rebuilt.branch) is None
    result = publisher.publish(rebuilt)

    assert isinstance(result, Published), result
    assert result.note == f"rebuilt #1 on {new_base[:10]} (it conflicted with the base branch)"
    assert hub.gh.branch_sha(proposal.branch) == rebuilt.commit
    assert run_git(hub.origin, "rev-parse", f"{rebuilt.commit}^").strip() == new_base
    assert publisher.summary() == "GitHub: rebuilt on the new base: #1 (conflicted)"


def test_a_fix_that_no_longer_applies_at_all_is_closed_like_a_vanished_finding(
    hub: Hub,
) -> None:
    proposal = hub.proposal()
    opened(hub, proposal)
    base = hub.advance_base("pkg/a.py", "def a():\n    return (1, 2)\n", "rewritten by hand")
    assert not applies_cleanly(
        hub.workspace, base, proposal.base, proposal.commit, branch=proposal.branch, depth=2
    )

    publisher = hub.publisher()
    publisher.finish(report_for(hub, []))  # tonight's recipe no longer finds it

    assert hub.gh.pull(1)["state"] == "closed"
    assert hub.gh.branch_sha(proposal.branch) is None
    assert "no longer finds this" in hub.gh.comments_on(1)[0]
    assert [a.kind for a in publisher.actions] == ["closed"]


def test_a_pr_verified_longer_ago_than_the_age_is_rebuilt(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    proposal = made_days_ago(monkeypatch, hub, 20)
    opened(hub, proposal)
    new_base = unrelated_commits(hub, 1)
    again = hub.proposal()

    patient = hub.publisher(limits=PublishLimits(reverify_after_days=30))
    assert patient.prior(again.recipe, again.finding, again.branch) == NotPublished(
        f"already open as #1; left alone: it still applies cleanly on {new_base[:10]}",
        kind=Reason.ALREADY_PROPOSED,
    )

    publisher = hub.publisher()  # the default: 14 days
    assert publisher.prior(again.recipe, again.finding, again.branch) is None
    result = publisher.publish(again)
    assert isinstance(result, Published), result
    assert result.note == (
        f"rebuilt #1 on {new_base[:10]} "
        "(its verification was 20 days old, more than pr.reverify_after_days (14))"
    )
    assert hub.gh.branch_sha(proposal.branch) == again.commit
    assert publisher.summary() == "GitHub: rebuilt on the new base: #1 (verified 20 days ago)"

    # Verified again tonight: the next night leaves it alone.
    tomorrow = hub.publisher()
    assert tomorrow.prior(again.recipe, again.finding, again.branch) == NotPublished(
        "already open as #1", kind=Reason.ALREADY_PROPOSED
    )


# --- a shallow checkout, as actions/checkout makes ------------------------------------------


def shallow_checkout(hub: Hub, root: Path) -> Path:
    """``actions/checkout`` with its default depth of 1, over the fake's smart HTTP."""
    env = {**os.environ, **auth_env(hub.gh.clone_url, hub.token)}
    subprocess.run(
        [
            "git",
            "clone",
            "--quiet",
            "--depth",
            "1",
            "--branch",
            "main",
            hub.gh.clone_url,
            str(root),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    assert run_git(root, "rev-parse", "--is-shallow-repository").strip() == "true"
    return root


def checkout_state(tree: Path) -> tuple[str, ...]:
    return (
        run_git(tree, "for-each-ref"),
        (tree / ".git" / "shallow").read_text(encoding="utf-8"),
        run_git(tree, "status", "--porcelain", "--untracked-files=all"),
        run_git(tree, "rev-parse", "HEAD"),
    )


@pytest.mark.parametrize("conflicting", [False, True], ids=["clean", "conflicting"])
def test_a_shallow_checkout_is_judged_by_git_and_left_as_it_was(
    hub: Hub, tmp_path: Path, conflicting: bool
) -> None:
    proposal = hub.proposal()
    opened(hub, proposal)
    if conflicting:
        hub.advance_base("pkg/a.py", CONFLICTING)
    unrelated_commits(hub, 3)
    hub.gh.mergeability_pending = True  # so only git can have told
    checkout = shallow_checkout(hub, tmp_path / "runner")
    before = checkout_state(checkout)

    start = len(hub.gh.requests)
    publisher = GitHubPublisher(
        hub.connection(), f"{OWNER}/{NAME}", git.Repo(checkout), "main", token=hub.token
    )
    reason = publisher.prior(proposal.recipe, proposal.finding, proposal.branch)

    assert (reason is None) is conflicting
    fetches = [r for r in since(hub, start) if r.path.endswith("/git-upload-pack")]
    assert fetches, "the PR's commits were fetched"
    assert pushes(since(hub, start)) == []
    assert checkout_state(checkout) == before  # no ref, no shallow line, no file
    missing = subprocess.run(
        ["git", "cat-file", "-e", proposal.commit], cwd=checkout, capture_output=True
    )
    assert missing.returncode != 0  # fetched into the scratch repository only


# --- the parts ------------------------------------------------------------------------------


def commit(tree: Path, path: str, text: str, message: str) -> str:
    (tree / path).write_text(text, encoding="utf-8")
    run_git(tree, "commit", "--quiet", "-am", message)
    return run_git(tree, "rev-parse", "HEAD").strip()


@pytest.fixture
def history(make_repo: Callable[..., Path]) -> tuple[Path, dict[str, str]]:
    """A fix on the first commit, and three later bases: unrelated, conflicting, fixed alike."""
    tree = make_repo(files={"a.py": "def a():\n    return list([1, 2])\n", "README": "x\n"})
    base = run_git(tree, "rev-parse", "HEAD").strip()
    shas = {"base": base, "fix": commit(tree, "a.py", A_FIXED, "fix")}
    for name, path, text in (
        ("unrelated", "README", "y\n"),
        ("conflicting", "a.py", CONFLICTING),
        ("alike", "a.py", A_FIXED),
    ):
        run_git(tree, "checkout", "--quiet", base)
        shas[name] = commit(tree, path, text, name)
    return tree, shas


@pytest.mark.parametrize(
    ("onto", "expected"),
    [("unrelated", True), ("conflicting", False), ("alike", True), ("fix", True)],
)
def test_applies_cleanly_is_a_three_way_apply(
    history: tuple[Path, dict[str, str]], onto: str, expected: bool
) -> None:
    tree, shas = history
    args = (tree, shas[onto], shas["base"], shas["fix"])
    assert applies_cleanly(*args, branch="nightcrew/x", depth=2) is expected


def test_applies_cleanly_cannot_tell_without_the_commits(
    history: tuple[Path, dict[str, str]],
) -> None:
    tree, shas = history
    absent = "1" * 40
    assert applies_cleanly(tree, absent, shas["base"], shas["fix"], branch="b", depth=2) is None
    # Not in the checkout, and origin has no such branch to fetch.
    assert applies_cleanly(tree, shas["base"], shas["base"], absent, branch="b", depth=2) is None


def info(sha: str, parent: str, made: datetime) -> CommitInfo:
    who = ("Nightcrew", "nightcrew@users.noreply.github.com")
    return CommitInfo(sha, (parent,), *who, *who, "fix", committed_at=made)


def test_the_age_limit_is_more_than_the_days_given(history: tuple[Path, dict[str, str]]) -> None:
    tree, shas = history
    made = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)

    def verdict(after: timedelta, base: str = "unrelated") -> tuple[bool, str]:
        refresh = Refresh(Path(tree), reverify_after_days=14, now=lambda: made + after)
        commits = [info(shas["fix"], shas["base"], made)]
        got = refresh.verdict("nightcrew/x", commits, shas[base], lambda: None)
        return got.rebuild, got.short

    assert verdict(timedelta(days=14)) == (False, "")
    assert verdict(timedelta(days=14, minutes=1)) == (True, "verified 14 days ago")
    assert verdict(timedelta(days=3), "conflicting") == (True, "conflicted")


def test_github_decides_only_when_git_cannot(history: tuple[Path, dict[str, str]]) -> None:
    tree, shas = history
    made = datetime.now(UTC)
    commits = [info("2" * 40, shas["base"], made)]  # a head this checkout cannot have
    refresh = Refresh(Path(tree), reverify_after_days=14)
    for github, rebuild in ((True, True), (False, False), (None, False)):
        got = refresh.verdict("nightcrew/x", commits, shas["unrelated"], lambda g=github: g)
        assert got.rebuild is rebuild


def test_the_summary_names_each_open_pr_and_why() -> None:
    actions = [
        Action("rebuilt", "nightcrew/a", 1, "u1", short="conflicted"),
        Action("rebuilt", "nightcrew/b", 4, "u4", short="verified 20 days ago"),
        Action("kept", "nightcrew/c", 2, "u2"),
        Action("kept", "nightcrew/d", 3, "u3"),
    ]
    assert summary(actions) == (
        "GitHub: rebuilt on the new base: #1 (conflicted), #4 (verified 20 days ago); "
        "left alone (applies cleanly on the new base): #2, #3"
    )


def test_the_age_is_configured_and_documented_as_the_publisher_uses_it() -> None:
    assert PublishLimits().reverify_after_days == RepoConfig.reverify_after_days == 14
    docs = (ROOT / "docs" / "github.md").read_text(encoding="utf-8")
    assert "## When open PRs are rebuilt" in docs
    assert f"`pr.reverify_after_days` (default {RepoConfig.reverify_after_days})" in docs
