"""Grouped PRs, locally: real git, real ruff, real pytest on a small repository.

``pr.grouping`` puts a night's verified fixes into one branch per group, one commit per
fix; a fix that fails its tests leaves the group; fixes on neighbouring lines share a
branch even under the default ``finding``; a second night proposes none of them again.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.night import NightOptions, run_night
from bot.publish import grouping
from bot.publish.trailers import Trailer
from bot.report import progress
from bot.report.document import NightReport
from bot.report.results import Reason, Status
from tests.conftest import git, init_repo

CORE = '''\
import inspect


def first(xs):
    return sorted(list(xs))


def second(xs):
    """Both orders, twice.

    Far enough from ``first`` that the two are not neighbours.
    """
    a = sorted(list(xs))
    b = sorted(list(xs))
    return a + b


def kept(xs):
    return sorted(list(xs))
'''
TESTS = """\
import inspect

from pkg import core


def test_values():
    assert core.first([2, 1]) == [1, 2]
    assert core.second([2, 1]) == [1, 2, 1, 2]


def test_kept_is_written_with_its_copy():
    assert "sorted(list(xs))" in inspect.getsource(core.kept)
"""
LINES = {"first": 5, "second-a": 13, "second-b": 14, "kept": 19}


def make(tmp: Path, config: str) -> Path:
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": CORE,
        "tests/__init__.py": "",
        "tests/test_core.py": TESTS,
        ".github/nightcrew.yml": "version: 1\ntest_command: python -m pytest -q\n" + config,
    }
    return init_repo(tmp / "repo", files)


def night(repo: Path) -> NightReport:
    options = NightOptions(
        repo=repo, recipe_ids=("unnecessary-copies",), out=repo.parent / "out",
        env=dict(os.environ),
    )  # fmt: skip
    return run_night(options, progress.silent)


def by_line(report: NightReport) -> dict[int, object]:
    return {r.finding.start_line: r for r in report.fixes}


def branches(repo: Path) -> list[str]:
    return git(repo, "branch", "--list", "--format=%(refname:short)", "nightcrew/*").split()


def fix_lines(repo: Path, branch: str) -> list[int]:
    """The finding line of each commit on ``branch`` since main, oldest first."""
    log = git(repo, "log", "--reverse", "--format=%B%x00", f"main..{branch}")
    lines = []
    for message in filter(str.strip, log.split("\0")):
        assert Trailer.FINGERPRINT.read(message)
        lines.append(int(re.search(r"at pkg/core\.py:(\d+)\.", message).group(1)))
    return lines


@pytest.mark.parametrize(
    ("config", "groups"),
    [
        pytest.param("pr:\n  grouping: file\n", [[5, 13, 14]], id="file"),
        pytest.param("pr:\n  grouping: function\n", [[5], [13, 14]], id="function"),
        # The default: one PR per fix, but the two neighbouring lines share one.
        pytest.param("", [[5], [13, 14]], id="finding-neighbours"),
    ],
)
def test_groups_one_commit_per_fix_and_the_failing_fix_left_out(
    tmp_path: Path, config: str, groups: list[list[int]]
) -> None:
    repo = make(tmp_path, config)
    report = night(repo)
    results = by_line(report)
    assert results[LINES["kept"]].status is Status.REJECTED
    assert results[LINES["kept"]].kind is Reason.TESTS_FAILED
    verified = [results[n] for n in (5, 13, 14)]
    assert all(r.status is Status.VERIFIED and r.kind is Reason.PUBLISHED for r in verified)
    made = sorted((fix_lines(repo, b) for b in branches(repo)), key=lambda lines: lines[0])
    assert made == groups
    for group in groups:
        (branch,) = {results[n].branch for n in group}
        assert fix_lines(repo, branch) == group
        # Each fix's own commit, stacked: the group's last commit is the branch.
        assert [results[n].commit for n in group] == git(
            repo, "log", "--reverse", "--format=%H", f"main..{branch}"
        ).split()
        patch = Path(results[group[0]].patch).read_text(encoding="utf-8")
        assert patch.count("\nSubject: [PATCH") == len(group) or len(group) == 1
        assert patch.count("Nightcrew-Fingerprint: ") == len(group)
    # The whole group's change is there, the failing fix's is not.
    last = results[14].branch
    text = git(repo, "show", f"{last}:pkg/core.py")
    assert text.count("sorted(list(xs))") == (1 if groups == [[5, 13, 14]] else 2)
    assert "a = sorted(xs)\n    b = sorted(xs)" in text


def test_group_branch_is_named_after_its_group(tmp_path: Path) -> None:
    repo = make(tmp_path, "pr:\n  grouping: function\n")
    report = night(repo)
    branch = by_line(report)[13].branch
    assert re.fullmatch(r"nightcrew/unnecessary-copies/core-second-2-fixes-[0-9a-f]{8}", branch)
    # A group of one is an ordinary fix's branch, named as before.
    assert by_line(report)[5].branch.startswith("nightcrew/unnecessary-copies/c414-core-")


def test_a_second_night_proposes_nothing_again(tmp_path: Path) -> None:
    repo = make(tmp_path, "pr:\n  grouping: file\n")
    first = night(repo)
    before = {b: git(repo, "rev-parse", b) for b in branches(repo)}
    second = night(repo)
    assert {b: git(repo, "rev-parse", b) for b in branches(repo)} == before
    again = by_line(second)
    (branch,) = before
    for line in (5, 13, 14):
        assert again[line].status is Status.SKIPPED
        assert again[line].kind is Reason.ALREADY_PROPOSED
        assert again[line].reason == f"already proposed on branch {branch}"
    assert by_line(first)[5].branch == branch


def test_a_neighbour_of_a_proposed_fix_waits(tmp_path: Path) -> None:
    """A fix next to one already on a branch would conflict with it: it waits."""
    repo = make(tmp_path, "")
    first = night(repo)
    assert by_line(first)[13].branch == by_line(first)[14].branch
    # The group's branch is replaced by one holding only the first fix: its neighbour on
    # the next line must not get a branch of its own, which would conflict with it.
    git(repo, "branch", "-D", by_line(first)[13].branch)
    git(repo, "branch", "nightcrew/unnecessary-copies/only-first", by_line(first)[13].commit)
    second = night(repo)
    results = by_line(second)
    assert results[13].kind is Reason.ALREADY_PROPOSED
    assert results[14].status is Status.VERIFIED
    assert results[14].kind is Reason.NEIGHBOUR_PROPOSED
    assert results[14].branch is None
    assert (
        "it changes lines next to a fix already proposed on branch "
        "nightcrew/unnecessary-copies/only-first, and the two PRs would conflict"
    ) in results[14].reason
    assert set(branches(repo)) == {"nightcrew/unnecessary-copies/only-first", results[5].branch}


# --- the pure parts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ((10, 10), (10, 10), True),
        ((10, 10), (11, 11), True),
        ((10, 10), (14, 14), True),  # 3 unchanged lines between them: a patch's context
        ((10, 10), (15, 15), False),
        ((20, 25), (12, 16), True),
        ((20, 25), (12, 15), False),
    ],
)
def test_neighbours_are_within_a_patchs_context(
    a: tuple[int, int], b: tuple[int, int], near: bool
) -> None:
    assert grouping.neighbours({"x.py": a}, {"x.py": b}) is near
    assert grouping.neighbours({"x.py": b}, {"x.py": a}) is near
    assert grouping.neighbours({"x.py": a}, {"y.py": b}) is False


BASE = "a\nb\nc\nd\n"


@pytest.mark.parametrize(
    ("ours", "theirs", "merged"),
    [
        ("a\nB\nc\nd\n", "a\nb\nC\nd\n", "a\nB\nC\nd\n"),  # adjacent lines: both
        ("a\nB\nc\nd\n", "a\nX\nc\nd\n", None),  # the same line
        ("a\nnew\nb\nc\nd\n", "a\nb\nC\nd\n", "a\nnew\nb\nC\nd\n"),
        ("a\nnew\nb\nc\nd\n", "a\nother\nb\nc\nd\n", None),  # two insertions, one place
        ("a\nd\n", "a\nb\nC\nd\n", None),  # a change inside what the other deleted
    ],
)
def test_merge_texts(ours: str, theirs: str, merged: str | None) -> None:
    assert grouping.merge_texts(BASE, ours, theirs) == merged
