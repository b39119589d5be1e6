"""The end of the night's pure parts: what is a shard, and the notes tidying leaves."""

from __future__ import annotations

import pytest

from bot.dashboard.state import PullState
from bot.publish.tidy import is_shard, stopped_note, unjudged_note
from bot.report.document import NightReport


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({}, False, id="whole-night"),
        pytest.param({"shard": (1, 3)}, True, id="attribute"),
        pytest.param({"shard": (1, 1)}, False, id="attribute-single"),
    ],
)
def test_is_shard(changes: dict[str, object], expected: bool) -> None:
    report = NightReport(repo=".", base="0" * 40, started_at="")
    for key, value in changes.items():
        setattr(report, key, value)
    assert is_shard(report) is expected


def pull(number: int) -> PullState:
    return PullState(
        number=number,
        url=f"https://github.com/o/r/pull/{number}",
        status="open",
        branch=f"nightcrew/r/x-{number}",
        head_sha="1" * 40,
        base_ref="main",
        base_sha="0" * 40,
        fingerprint=f"{number:064d}",
        recipe="r",
    )


@pytest.mark.parametrize(
    ("numbers", "branches", "expected"),
    [
        pytest.param([], 0, "", id="nothing-left"),
        pytest.param(
            [3, 1],
            0,
            "GitHub: a shard tidies only the PRs of its own files; 2 PR(s) opened before "
            "Nightcrew recorded the finding's file (#1, #3) wait for an unsharded night",
            id="pulls-sorted",
        ),
        pytest.param(
            [],
            2,
            "GitHub: a shard tidies only the PRs of its own files; 2 branch(es) without a PR "
            "wait for an unsharded night",
            id="branches",
        ),
        pytest.param(
            list(range(1, 13)),
            1,
            "GitHub: a shard tidies only the PRs of its own files; 12 PR(s) opened before "
            "Nightcrew recorded the finding's file (#1, #2, #3, #4, #5, #6, #7, #8, #9, #10 "
            "and 2 more) and 1 branch(es) without a PR wait for an unsharded night",
            id="many-and-branches",
        ),
    ],
)
def test_unjudged_note(numbers: list[int], branches: int, expected: str) -> None:
    assert unjudged_note([pull(n) for n in numbers], branches) == expected


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        pytest.param(
            0,
            "GitHub: publishing stopped early (a limit); stale PRs were left for the next night",
            id="none-left",
        ),
        pytest.param(
            2,
            "GitHub: publishing stopped early (a limit); 2 verified fix(es) and stale PRs were "
            "left for the next night",
            id="fixes-left",
        ),
    ],
)
def test_stopped_note(left: int, expected: str) -> None:
    assert stopped_note("a limit", left) == expected
