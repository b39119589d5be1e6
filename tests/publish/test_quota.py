"""The quota rule, as tables: a recipe's new PRs tonight from its merged and closed PRs."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import git as gitpython
import pytest

from bot.dashboard import board, page, reading
from bot.dashboard.rules import IgnoreRules, Rule
from bot.dashboard.state import PullState
from bot.github.client import connect
from bot.github.pacing import Pacer
from bot.night import NightOptions, run_night
from bot.publish import quota
from bot.publish.pulls import GitHubPublisher, PublishLimits
from bot.publish.quota import Quota
from bot.report import progress, summary
from bot.report.document import NightReport
from bot.report.results import FixResult, Reason, Status
from tests.conftest import git, init_repo
from tests.fakes.fixtures import RECIPE as HUB_RECIPE
from tests.fakes.fixtures import Hub, make_hub
from tests.fakes.github import FakeGitHub

OWNER, NAME = "octo-org", "demo"
TOKEN = "ghs_QuotaTestS3cretTokenForTests00000000"


@pytest.mark.parametrize(
    ("max_per_night", "merged", "closed", "expected"),
    [
        pytest.param(5, 0, 0, 5, id="no-record-yet-the-whole-quota"),
        pytest.param(5, 6, 0, 5, id="all-merged-the-whole-quota"),
        pytest.param(5, 0, 1, 1, id="its-one-pr-closed-one"),
        pytest.param(5, 0, 10, 1, id="all-closed-never-below-one"),
        pytest.param(5, 5, 5, 3, id="half-merged-about-half"),
        pytest.param(5, 1, 1, 3, id="one-of-each-about-half"),
        pytest.param(5, 4, 2, 4, id="two-of-six-closed"),
        pytest.param(5, 2, 4, 2, id="four-of-six-closed"),
        pytest.param(5, 9, 1, 5, id="one-close-in-ten-is-rounded-away"),
        pytest.param(5, 8, 2, 4, id="two-closes-in-ten-cost-one"),
        pytest.param(5, 1, 9, 1, id="one-merge-in-ten"),
        pytest.param(10, 3, 7, 3, id="scales-with-the-maximum"),
        pytest.param(1, 0, 4, 1, id="a-maximum-of-one-stays-one"),
        pytest.param(3, 7, 3, 3, id="merged-over-closed-rounds-up"),
    ],
)
def test_allowed(max_per_night, merged, closed, expected):
    assert quota.allowed(max_per_night, merged, closed) == expected


@pytest.mark.parametrize("top", [1, 2, 3, 5, 8, 20])
def test_never_above_the_maximum_nor_below_one_and_merges_never_lower_it(top):
    for closed in range(quota.WINDOW + 1):
        previous = 0
        for merged in range(quota.WINDOW + 1 - closed):
            now = quota.allowed(top, merged, closed)
            assert 1 <= now <= top
            assert now >= previous  # one more merge never lowers it
            previous = now
            if merged:  # one more close never raises it
                assert quota.allowed(top, merged, closed + 1) <= now


@pytest.mark.parametrize(
    ("q", "text", "reached"),
    [
        pytest.param(
            Quota("r", 5),
            "5 of 5: none of its PRs merged or closed yet",
            "recipe limit reached (5 per night)",
            id="no-record",
        ),
        pytest.param(
            Quota("r", 5, merged=4, closed=2),
            "4 of 5: 2 of its last 6 PRs closed unmerged, 4 merged",
            "recipe quota reached (4 of its 5 per night: 2 of its last 6 PRs closed unmerged, "
            "4 merged)",
            id="mixed",
        ),
        pytest.param(
            Quota("r", 5, closed=1),
            "1 of 5: its last PR closed unmerged",
            "recipe quota reached (1 of its 5 per night: its last PR closed unmerged)",
            id="one-closed",
        ),
        pytest.param(
            Quota("r", 5, merged=1),
            "5 of 5: its last PR merged",
            "recipe limit reached (5 per night)",
            id="one-merged",
        ),
        pytest.param(
            Quota("r", 3, merged=3),
            "3 of 3: all of its last 3 PRs merged",
            "recipe limit reached (3 per night)",
            id="all-merged",
        ),
        pytest.param(
            Quota("r", 5, closed=4),
            "1 of 5: all of its last 4 PRs closed unmerged",
            "recipe quota reached (1 of its 5 per night: all of its last 4 PRs closed unmerged)",
            id="all-closed",
        ),
    ],
)
def test_what_a_quota_says(q, text, reached):
    assert q.describe() == text
    assert q.reached() == reached
    assert q.reduced is reached.startswith("recipe quota")


def pull(number: int, status: str, closed_at: str | None, **changes: object) -> PullState:
    fields: dict = {
        "number": number,
        "url": f"https://github.com/o/r/pull/{number}",
        "status": status,
        "branch": f"nightcrew/r/{number:08x}",
        "head_sha": "b" * 40,
        "base_ref": "main",
        "base_sha": "a" * 40,
        "fingerprint": f"{number:064x}",
        "recipe": "r",
        "closed_at": closed_at,
    }
    fields.update(changes)
    return PullState(**fields)


def at(day: int) -> str:
    return f"2026-01-{day:02d}T03:00:00+00:00"


def test_the_record_counts_merged_and_closed_prs_of_the_recipe_only():
    pulls = [
        pull(1, "merged", at(2)),
        pull(2, "closed", at(3)),
        pull(3, "closed", at(4)),
        pull(4, "open", None),  # not decided yet
        pull(5, "closed", at(5), closed_by_nightcrew=True),  # finding gone: nobody's verdict
        pull(6, "closed", at(6), recipe="other"),
    ]
    assert quota.of_recipe("r", 5, pulls) == Quota("r", 5, merged=1, closed=2)
    assert quota.of_recipe("other", 5, pulls) == Quota("other", 5, merged=0, closed=1)
    assert quota.of_recipe("new", 4, pulls) == Quota("new", 4)


def test_the_record_is_the_last_ten_decisions_by_when_they_were_made():
    # Ten old closes, then merges decided later: only the latest ten decisions count.
    old_closes = [pull(n, "closed", at(n)) for n in range(1, 11)]
    merges = [pull(10 + n, "merged", at(10 + n)) for n in range(1, 8)]
    q = quota.of_recipe("r", 5, [*old_closes, *merges])
    assert (q.merged, q.closed, q.limit) == (7, 3, 4)
    # A PR opened long ago and merged today is among the latest decisions; one opened
    # recently but closed long ago is not.
    late_merge = pull(1, "merged", at(28))
    early_close = pull(99, "closed", at(1))
    rest = [pull(n, "closed", at(10 + n)) for n in range(2, 11)]
    q = quota.of_recipe("r", 5, [early_close, late_merge, *rest])
    assert (q.merged, q.closed) == (1, 9)


def test_a_quota_goes_through_json_and_odd_entries_are_dropped():
    q = Quota("r", 5, merged=4, closed=2)
    data = q.to_json()
    assert data == {
        "recipe": "r",
        "limit": 4,
        "max_per_night": 5,
        "merged": 4,
        "closed": 2,
        "text": "4 of 5: 2 of its last 6 PRs closed unmerged, 4 merged",
    }
    assert quota.from_json(data) == q
    for odd in (None, [], {"recipe": 3}, {**data, "merged": "4"}, {**data, "closed": -1},
                {**data, "max_per_night": True}):  # fmt: skip
        assert quota.from_json(odd) is None


# --- in a night, against the fake GitHub ---------------------------------------------------------

RECIPE = "unused-imports"  # pr.max_per_night: 5
MODULE = "import os\n\n\ndef value():\n    return 1\n"


def files(count: int) -> dict[str, str]:
    """``count`` modules with one unused import each, and a test that imports them all."""
    names = [f"m{i:02d}" for i in range(count)]
    tests = f"from pkg import {', '.join(names)}\n\n\ndef test_values():\n"
    tests += "".join(f"    assert {n}.value() == 1\n" for n in names)
    return {
        "pkg/__init__.py": "",
        **{f"pkg/{n}.py": MODULE for n in names},
        "tests/test_values.py": tests,
    }


@dataclass
class Site:
    workspace: Path
    origin: Path
    gh: FakeGitHub
    nights: int = 0

    def night(self, rules: IgnoreRules | None = None) -> tuple[NightReport, GitHubPublisher]:
        """A night of the unused-imports recipe, published as `nightcrew action` does."""
        self.nights += 1
        connection = connect(TOKEN, self.gh.api_url, backoff=0.0, pacer=Pacer(0.0))
        publisher = GitHubPublisher(
            connection,
            f"{OWNER}/{NAME}",
            gitpython.Repo(self.workspace),
            "main",
            token=TOKEN,
            push_backoff=0.0,
            limits=PublishLimits(max_new_prs=50, max_open_prs=50),
        )
        wrapped = board.IgnoringPublisher(publisher, rules or board.load_rules(publisher.repo))
        options = NightOptions(
            repo=self.workspace,
            recipe_ids=(RECIPE,),
            out=self.workspace.parent / f"out-{self.nights}",
            env=dict(os.environ),
            max_fixes=50,
        )
        return run_night(options, progress.silent, publisher=wrapped), publisher

    def decide(self, merge: Sequence[int] = (), close: Sequence[int] = ()) -> None:
        """Reviewers merge and close PRs; the checkout follows main, as the next run's would."""
        for number in close:
            self.gh.close_pull(number)
        for number in merge:
            self.gh.merge_pull(number)
        git(self.workspace, "fetch", "--quiet", str(self.origin), "main")
        git(self.workspace, "reset", "--quiet", "--hard", "FETCH_HEAD")


def make_site(root: Path, count: int) -> Iterator[Site]:
    workspace = init_repo(root / NAME, files(count))
    origin = root / f"{NAME}-origin.git"
    with FakeGitHub(origin, OWNER, NAME, TOKEN) as gh:
        git(workspace, "remote", "set-url", "origin", gh.clone_url)
        yield Site(workspace, origin, gh)
        assert not gh.crashes, gh.crashes[0]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    yield from make_site(tmp_path, 12)


@pytest.fixture
def small_site(tmp_path: Path) -> Iterator[Site]:
    yield from make_site(tmp_path, 7)


def opened(report: NightReport) -> list[FixResult]:
    return [f for f in report.fixes if f.status is Status.VERIFIED and f.url]


def waiting(report: NightReport) -> list[FixResult]:
    return [f for f in report.fixes if f.kind is Reason.RECIPE_LIMIT]


def numbers(report: NightReport) -> list[int]:
    return sorted(int(str(f.url).rsplit("/", 1)[-1]) for f in opened(report))


@pytest.mark.slow
def test_closed_prs_lower_a_recipes_quota_and_merges_raise_it_again(site: Site) -> None:
    first, _ = site.night()  # no record yet: the recipe's whole pr.max_per_night
    assert len(opened(first)) == 5 and len(waiting(first)) == 7
    assert {f.reason for f in waiting(first)} == {
        "recipe limit reached (5 per night); a later night will try it"
    }
    assert first.quotas == [Quota(RECIPE, 5).to_json()]

    site.decide(close=[1, 2, 3], merge=[4, 5])  # 2 of 5 merged: 5 x 2/5 = 2 tonight
    second, publisher = site.night()
    assert len(opened(second)) == 2  # of 7 fixable findings (3 more are ignored: closed PRs)
    assert len([f for f in second.fixes if f.kind is Reason.IGNORED]) == 3
    assert len(waiting(second)) == 5
    why = (
        "recipe quota reached (2 of its 5 per night: 3 of its last 5 PRs closed unmerged, "
        "2 merged); a later night will try it"
    )
    assert {f.reason for f in waiting(second)} == {why}
    assert second.quotas == [Quota(RECIPE, 5, merged=2, closed=3).to_json()]
    # The report, the job summary and the dashboard say so.
    lowered = "`unused-imports`: 2 of 5: 3 of its last 5 PRs closed unmerged, 2 merged"
    assert f"## Fewer PRs tonight\n\n- {lowered}" in second.to_markdown()
    assert f"### Fewer PRs tonight\n\n- {lowered}" in summary.job_summary(second.to_json())
    board.record_night(publisher.repo, second.to_json())
    (issue,) = board.find_dashboards(publisher.repo)
    assert f"## New PRs per recipe\n\n{page.QUOTA_RULE}\n\n- {lowered}\n" in issue.body
    assert reading.parse(issue.body).night.quotas == (Quota(RECIPE, 5, merged=2, closed=3),)
    assert f"{why}" in issue.body  # under "Waiting for a free slot"

    site.decide(merge=numbers(second))  # 4 of 7 merged: 5 x 4/7, rounded up, = 3
    third, _ = site.night()
    assert len(opened(third)) == 3 and len(waiting(third)) == 2
    assert {f.reason for f in waiting(third)} == {
        "recipe quota reached (3 of its 5 per night: 3 of its last 7 PRs closed unmerged, "
        "4 merged); a later night will try it"
    }

    site.decide(merge=numbers(third))  # 7 of 10 merged: 4 (and the last 2 findings fit)
    fourth, _ = site.night()
    assert fourth.quotas[0]["limit"] == 4
    assert len(opened(fourth)) == 2 and waiting(fourth) == []
    assert len(site.gh.pulls()) == 12  # every finding had exactly one PR


@pytest.mark.slow
def test_all_prs_closed_still_leave_one_unless_the_recipe_is_ignored(small_site: Site) -> None:
    first, _ = small_site.night()
    assert len(opened(first)) == 5
    small_site.decide(close=[1, 2, 3, 4, 5])
    second, _ = small_site.night()
    assert len(opened(second)) == 1 and len(waiting(second)) == 1
    assert waiting(second)[0].reason == (
        "recipe quota reached (1 of its 5 per night: all of its last 5 PRs closed unmerged); "
        "a later night will try it"
    )
    # A maintainer ignores the recipe: its findings are skipped as ignored, none left waiting.
    rules = IgnoreRules((Rule("recipe", RECIPE, pr=1, by="octocat", reason="/nightcrew ignore"),))
    third, _ = small_site.night(rules)
    assert opened(third) == [] and waiting(third) == []
    assert [f.kind for f in third.fixes] == [Reason.IGNORED] * 7


@pytest.mark.slow
def test_locally_every_recipe_gets_its_maximum(tmp_path: Path) -> None:
    workspace = init_repo(tmp_path / NAME, files(7))
    options = NightOptions(
        repo=workspace, recipe_ids=(RECIPE,), out=tmp_path / "out", env=dict(os.environ)
    )
    report = run_night(options, progress.silent)
    assert len([f for f in report.fixes if f.branch and f.status is Status.VERIFIED]) == 5
    assert len(waiting(report)) == 2 and report.quotas == []
    assert waiting(report)[0].reason.startswith("recipe limit reached (5 per night)")


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    yield from make_hub(tmp_path)


def test_the_publisher_reads_each_decision_and_when_it_was_made(hub: Hub) -> None:
    publisher = hub.publisher()
    for path in ("pkg/a.py", "pkg/b.py", "pkg/c.py", "pkg/d.py"):
        publisher.publish(hub.proposal(path))
    hub.gh.close_pull(1)
    hub.gh.merge_pull(2)
    hub.gh.close_pull(3)
    hub.gh.pull(3)["closed_at"] = "2025-12-24T18:00:00Z"
    later = hub.publisher()
    closed_at = {p.number: p.closed_at for p in later.state.pulls}
    assert closed_at[3] == "2025-12-24T18:00:00+00:00" and closed_at[4] is None
    assert closed_at[1] and closed_at[2]
    expected = Quota(HUB_RECIPE.id, 5, merged=1, closed=2)
    assert later.quota(HUB_RECIPE) == expected
    assert board.IgnoringPublisher(later, IgnoreRules()).quota(HUB_RECIPE) == expected
