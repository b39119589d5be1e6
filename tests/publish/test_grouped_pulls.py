"""Grouped PRs on GitHub: the loopback fake GitHub, a real bare origin, real pytest runs.

One PR per group, one commit per fix in order, a title that names the group and a body
that lists every fix with its evidence; the marker carries every fingerprint, so a second
night opens nothing, and closing the PR unmerged ignores all of its findings.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import git as gitpython
import pytest

from bot.dashboard import board, markers
from bot.github.client import connect
from bot.github.pacing import Pacer
from bot.night import NightOptions, run_night
from bot.publish.pulls import GitHubPublisher
from bot.publish.trailers import Trailer
from bot.recipes import explanations
from bot.report import progress
from bot.report.document import NightReport
from bot.report.results import Reason, Status
from tests.conftest import git, init_repo
from tests.fakes.github import FakeGitHub
from tests.publish.test_grouping import CORE, TESTS

OWNER, NAME = "octo-org", "demo"
TOKEN = "ghs_GroupedPullsS3cretTokenForTests0000"
PULLS = rf"/repos/{OWNER}/{NAME}/pulls"


@pytest.fixture
def site(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Path, FakeGitHub]]:
    config = getattr(request, "param", "")
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": CORE,
        "tests/__init__.py": "",
        "tests/test_core.py": TESTS,
        ".github/nightcrew.yml": "version: 1\ntest_command: python -m pytest -q\n" + config,
    }
    workspace = init_repo(tmp_path / NAME, files)
    with FakeGitHub(tmp_path / f"{NAME}-origin.git", OWNER, NAME, TOKEN) as gh:
        git(workspace, "remote", "set-url", "origin", gh.clone_url)
        yield workspace, gh
        assert not gh.crashes, gh.crashes[0]


def night(workspace: Path, gh: FakeGitHub) -> NightReport:
    """A night as `nightcrew action` runs it: the dashboard's rules, then GitHub."""
    connection = connect(TOKEN, gh.api_url, backoff=0.0, pacer=Pacer(0.0))
    publisher: Any = GitHubPublisher(
        connection, f"{OWNER}/{NAME}", gitpython.Repo(workspace), "main",
        token=TOKEN, push_backoff=0.0,
    )  # fmt: skip
    publisher = board.IgnoringPublisher(publisher, board.load_rules(publisher.repo))
    options = NightOptions(
        repo=workspace, recipe_ids=("unnecessary-copies",), out=workspace.parent / "out",
        env=dict(os.environ),
    )  # fmt: skip
    return run_night(options, progress.silent, publisher=publisher)


def commit_lines(gh: FakeGitHub, number: int) -> list[int]:
    """The finding line each of the PR's commits fixes, in order."""
    connection = connect(TOKEN, gh.api_url, backoff=0.0, pacer=Pacer(0.0))
    commits = connection.repo(f"{OWNER}/{NAME}").pull_commits(number)
    assert all(Trailer.FINGERPRINT.read(c.message) for c in commits)
    return [int(c.message.split("at pkg/core.py:", 1)[1].split(".", 1)[0]) for c in commits]


def by_line(report: NightReport) -> dict[int, Any]:
    return {r.finding.start_line: r for r in report.fixes}


@pytest.mark.parametrize("site", ["pr:\n  grouping: file\n"], indirect=True)
def test_grouped_by_file_one_pr_one_commit_per_fix(site: tuple[Path, FakeGitHub]) -> None:
    workspace, gh = site
    report = night(workspace, gh)
    results = by_line(report)
    assert results[19].status is Status.REJECTED  # its tests fail: it leaves the group
    (pull,) = gh.open_pulls()
    assert commit_lines(gh, pull["number"]) == [5, 13, 14]
    assert pull["title"] == "Remove unnecessary data copies: 3 fixes in pkg/core.py"
    assert {results[n].url for n in (5, 13, 14)} == {f"{gh.html_repo}/pull/{pull['number']}"}
    body = pull["body"]
    assert "**3 fixes** in `pkg/core.py`, one commit each" in body
    for n in (5, 13, 14):
        fix = results[n]
        assert f"line {n}." in body and fix.commit[:10] in body
        assert fix.finding.short_fingerprint in body
    assert body.count("tests alone") + body.count("tests in a group") >= 3
    marker = markers.parse_pull(body)
    assert marker is not None
    assert marker.members == tuple(results[n].finding.fingerprint for n in (5, 13, 14))
    assert gh.branch_sha(pull["head"]) == results[14].commit

    # A second night: every fix is in the open PR; nothing new is pushed or opened.
    writes = len(gh.writes("POST", PULLS))
    again = by_line(night(workspace, gh))
    assert [again[n].kind for n in (5, 13, 14)] == [Reason.ALREADY_PROPOSED] * 3
    assert again[5].reason == f"already open as #{pull['number']}"
    assert len(gh.writes("POST", PULLS)) == writes
    assert len(gh.pulls()) == 1

    # Closed without merging: all of its findings are ignored from then on.
    gh.close_pull(pull["number"])
    ignored = by_line(night(workspace, gh))
    assert [ignored[n].kind for n in (5, 13, 14)] == [Reason.IGNORED] * 3
    assert len(gh.pulls()) == 1


@pytest.mark.parametrize("site", ["pr:\n  grouping: function\n"], indirect=True)
def test_grouped_by_function(site: tuple[Path, FakeGitHub]) -> None:
    workspace, gh = site
    results = by_line(night(workspace, gh))
    pulls = {p["head"]: p for p in gh.open_pulls()}
    assert len(pulls) == 2
    group = pulls[results[13].branch]
    assert group["title"] == "Remove unnecessary data copies: 2 fixes in `second` (pkg/core.py)"
    assert commit_lines(gh, group["number"]) == [13, 14]
    assert "**2 fixes** in `second`, in `pkg/core.py`" in group["body"]
    alone = pulls[results[5].branch]
    assert commit_lines(gh, alone["number"]) == [5]
    assert alone["title"] == "Remove an unnecessary copy in `first` (pkg/core.py)"  # one fix


def test_neighbours_never_become_two_conflicting_prs(site: tuple[Path, FakeGitHub]) -> None:
    """The default grouping, one PR per fix: but lines 13 and 14 share one."""
    workspace, gh = site
    results = by_line(night(workspace, gh))
    pulls = sorted(gh.open_pulls(), key=lambda p: p["number"])
    assert sorted(commit_lines(gh, p["number"]) for p in pulls) == [[5], [13, 14]]
    assert results[13].url == results[14].url
    # Titles name the function; both fixes are C414, so the body explains C414 once.
    assert sorted(p["title"] for p in pulls) == [
        "Remove an unnecessary copy in `first` (pkg/core.py)",
        "Remove unnecessary data copies: 2 fixes in `second` (pkg/core.py)",
    ]
    for pull in pulls:
        assert pull["body"].count(explanations.RUFF["C414"]) == 1
    assert "they change neighbouring lines" in next(
        p["body"] for p in pulls if f"{gh.html_repo}/pull/{p['number']}" == results[13].url
    )
    for pull in pulls:  # each merges cleanly after the other
        gh.merge_pull(pull["number"])
    origin = workspace.parent / f"{NAME}-origin.git"  # the bare repository GitHub serves
    merged = git(origin, "show", "main:pkg/core.py")
    assert merged.count("sorted(list(xs))") == 1  # only the fix whose tests failed
