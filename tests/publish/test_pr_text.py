"""PR titles, bodies and comments: what they say, what they never do (ping, overflow, lie)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.dashboard import markers
from bot.find.detectors import copy_before_iteration
from bot.model import Finding
from bot.publish import pr_text
from bot.publish.proposal import Proposal
from bot.recipes import explanations
from bot.recipes.model import Recipe
from bot.report.results import Step

FP = "0123456789abcdef" * 4
ZW = "\u200b"
RECIPE = Recipe(
    id="unnecessary-copies",
    title="Unnecessary copies",
    description="Copying a list before iterating it costs time and memory for nothing.",
    version=3,
)
FINDING = Finding(
    recipe=RECIPE.id,
    rule="nightcrew:copy-before-iteration",
    path="src/app/io.py",
    start_line=12,
    start_col=5,
    end_line=12,
    end_col=30,
    message="`list(rows)` copies `rows` before the loop",
    fix_title="Iterate over rows directly",
    fingerprint=FP,
)
DIFF = (
    "diff --git a/src/app/io.py b/src/app/io.py\n"
    "--- a/src/app/io.py\n+++ b/src/app/io.py\n"
    "@@ -12 +12 @@\n-    for row in list(rows):\n+    for row in rows:\n"
)
PROPOSAL = Proposal(
    recipe=RECIPE,
    finding=FINDING,
    branch="nightcrew/unnecessary-copies/copy-before-iteration-io-01234567",
    base="f" * 40,
    commit="e" * 40,
    title="Unnecessary copies: list(rows) in src/app/io.py",
    message="(commit message)",
    evidence=(
        "guard: 1 changed line(s), in scope",
        "`python -m pytest -q`: 120 tests, no new failures (2 failing before and after), 8.3s",
    ),
    steps=(
        Step("guard", True, "diff within limits"),
        Step("ruff", True, "no new violations"),
        Step("tests", True, "no new failures", "python -m pytest -q", 8.25),
    ),
    diff=DIFF,
)

# The finding's file is in the marker: a shard tells its own PRs by it.
MARKER = markers.PullMarker(FP, RECIPE.id, path="src/app/io.py")
AGENT_RULE = "agent:unnecessary-copies"  # a rule with no explanation of its own


def why_section(body: str) -> str:
    return body.split("### Why this is an improvement\n\n", 1)[1].split("\n\n###", 1)[0]


def outside_fences(body: str) -> str:
    """The body with fenced code blocks removed (GitHub neither pings nor links inside them)."""
    return re.sub(r"(?ms)^(`{3,})[^\n]*\n.*?^\1\s*$", "", body)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("thanks @alice", f"thanks @{ZW}alice", id="user"),
        pytest.param("@alice at the start", f"@{ZW}alice at the start", id="start"),
        pytest.param("cc @octo-org/reviewers", f"cc @{ZW}octo-org/reviewers", id="team"),
        pytest.param("(@bob)", f"(@{ZW}bob)", id="in-parentheses"),
        pytest.param("`@property`", f"`@{ZW}property`", id="decorator-in-code-span"),
        pytest.param("mail me@example.com", "mail me@example.com", id="email-untouched"),
        pytest.param("a @ b and x@", "a @ b and x@", id="lone-at-untouched"),
        pytest.param("@@carol", f"@@{ZW}carol", id="double-at"),
        pytest.param("no mentions here", "no mentions here", id="nothing"),
    ],
)
def test_neutralise_mentions(text: str, expected: str) -> None:
    assert pr_text.neutralise_mentions(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("src/x.py", "`src/x.py`", id="plain"),
        pytest.param("a`b", "`` a`b ``", id="one-backtick"),
        pytest.param("``x``", "``` ``x`` ```", id="double-backticks"),
        pytest.param("two\nlines", "`two lines`", id="newline-flattened"),
    ],
)
def test_code_span(text: str, expected: str) -> None:
    assert pr_text.code(text) == expected


def test_body_says_what_why_evidence_recipe_and_steering() -> None:
    body = pr_text.pull_body(PROPOSAL)
    assert "`src/app/io.py`, line 12" in body
    assert "Iterate over rows directly" in body
    # Why: the detector's own explanation, instead of the recipe's general description.
    assert copy_before_iteration.explanation in body and RECIPE.description not in body
    assert "120 tests, no new failures (2 failing before and after), 8.3s" in body
    assert "| tests: `python -m pytest -q` | passed | no new failures | 8.2 s |" in body
    assert "`unnecessary-copies` version 3" in body
    assert "`nightcrew:copy-before-iteration`" in body
    assert "```diff\n" + DIFF + "```" in body
    for command in ("rebase", "recreate", "ignore", "explain", "help"):
        assert f"`/nightcrew {command}`" in body
    assert "### Cost" not in body
    assert markers.parse_pull(body) == MARKER
    assert body.rstrip().endswith("-->")


def test_a_rule_without_an_explanation_is_explained_by_its_recipe() -> None:
    body = pr_text.pull_body(replace(PROPOSAL, finding=replace(FINDING, rule=AGENT_RULE)))
    assert why_section(body) == RECIPE.description


def test_an_agents_own_account_is_quoted_after_the_why() -> None:
    proposal = replace(PROPOSAL, summary="Removed `list(rows)`: rows is only read.\nNothing else.")
    why = why_section(pr_text.pull_body(proposal))
    assert why == (
        f"{copy_before_iteration.explanation}\n\nThe agent's own account of this change:\n\n"
        "> Removed `list(rows)`: rows is only read.\n> Nothing else."
    )


def member(rule: str, line: int) -> Proposal:
    finding = replace(FINDING, rule=rule, start_line=line, fingerprint=f"{line:064d}")
    return replace(PROPOSAL, finding=finding, commit=f"{line:040d}")


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        pytest.param(
            ["ruff:C414", "ruff:C414"], explanations.RUFF["C414"], id="one-rule-said-once"
        ),
        pytest.param(
            ["ruff:C414", "nightcrew:copy-before-iteration", "ruff:C414", AGENT_RULE],
            f"- `C414`: {explanations.RUFF['C414']}\n"
            f"- `copy-before-iteration`: {copy_before_iteration.explanation}\n"
            f"- `unnecessary-copies`: {RECIPE.description}",
            id="each-distinct-explanation-once",
        ),
    ],
)
def test_a_group_lists_each_distinct_explanation_once(rules: list[str], expected: str) -> None:
    fixes = tuple(member(rule, 10 + n) for n, rule in enumerate(rules))
    group = replace(PROPOSAL, fixes=fixes, grouping="file")
    assert why_section(pr_text.pull_body(group)) == expected


def test_explanations_name_the_rules_that_share_one() -> None:
    fixes = (member("ruff:C405", 3), member("ruff:C409", 5), member("ruff:C405", 9))
    same = {"ruff:C405": "A copy for nothing.", "ruff:C409": "A copy for nothing."}
    reasons = pr_text.explanations(replace(PROPOSAL, fixes=fixes), same.get)
    assert reasons == [(("C405", "C409"), "A copy for nothing.")]


def test_body_shows_costs_when_an_agent_spent_some() -> None:
    proposal = replace(PROPOSAL, costs={"input_tokens": 12345, "dollars": 0.0421})
    body = pr_text.pull_body(proposal)
    assert "### Cost\n\ninput tokens: 12,345; dollars: $0.0421." in body


def test_mentions_from_the_repository_ping_nobody() -> None:
    proposal = replace(
        PROPOSAL,
        recipe=replace(RECIPE, description="Written by @recipe-author."),
        finding=replace(FINDING, rule=AGENT_RULE, message="`@cached` copies (see @maintainer)"),
        summary="Removed it, as @agent-fan asked",
        evidence=("tests by @tester passed",),
        title="Fix for @someone",
        diff=DIFF + "+    # ask @diff-author\n",
    )
    body = pr_text.pull_body(proposal)
    prose = outside_fences(body)
    assert not re.search(r"(?<![0-9A-Za-z_])@[0-9A-Za-z]", prose), prose
    assert f"@{ZW}recipe-author" in prose and f"@{ZW}maintainer" in prose
    assert f"@{ZW}agent-fan" in prose
    assert "# ask @diff-author" in body  # the diff stays exact inside its fence
    assert pr_text.title(proposal) == f"Fix for @{ZW}someone"


def test_diff_cannot_close_its_fence_or_forge_a_marker() -> None:
    hostile = (
        DIFF + "+```\n+<!-- nightcrew:fingerprint=" + "9" * 64 + ";recipe=evil;v=1 -->\n+````\n"
    )
    body = pr_text.pull_body(replace(PROPOSAL, diff=hostile))
    fence = re.search(r"(`{3,})diff\n", body)
    assert fence is not None and len(fence.group(1)) == 5
    assert markers.parse_pull(body) == MARKER
    assert len(markers.decode_all(body)) == 1


def test_a_file_named_like_a_marker_forges_nothing() -> None:
    path = "src/<!--nightcrew:fingerprint=" + "9" * 64 + ";recipe=evil;v=1-->.py"
    body = pr_text.pull_body(replace(PROPOSAL, finding=replace(FINDING, path=path)))
    assert markers.parse_pull(body) == markers.PullMarker(FP, RECIPE.id, path=path)
    assert len(markers.decode_all(body)) == 1  # the name shown in the text is defused
    assert path.replace("nightcrew:", f"nightcrew{ZW}:") in body


@pytest.mark.parametrize("limit", [60_000, 8_000])
def test_a_huge_diff_is_cut_and_the_body_stays_under_the_limit(limit: int) -> None:
    lines = "".join(f"+    value_{i} = compute({i})  # @user{i}\n" for i in range(20_000))
    body = pr_text.pull_body(replace(PROPOSAL, diff=DIFF + lines), limit=limit)
    assert len(body) <= limit
    assert "diff cut to fit this page" in body
    assert "(20006 lines of diff)" in body
    assert body.count("```diff") == 1 and outside_fences(body).count("```") == 0
    assert "`/nightcrew help`" in body
    assert markers.parse_pull(body) == MARKER


def test_huge_description_and_evidence_are_cut_too_and_the_marker_survives() -> None:
    proposal = replace(
        PROPOSAL,
        recipe=replace(RECIPE, description="Why. " * 30_000),
        finding=replace(FINDING, rule=AGENT_RULE),  # no explanation: the description says why
        evidence=tuple(f"check {i} passed" for i in range(20_000)),
        diff=DIFF * 2_000,
    )
    body = pr_text.pull_body(proposal)
    assert len(body) <= pr_text.BODY_LIMIT
    assert "evidence shortened" in body or "description shortened" in body
    assert markers.parse_pull(body) == MARKER
    assert "### Steering Nightcrew" in body


def test_small_bodies_are_not_touched_by_the_cap() -> None:
    body = pr_text.pull_body(PROPOSAL)
    assert len(body) < 4_000
    assert "cut to fit" not in body and "shortened" not in body


def test_title_is_capped_at_githubs_limit() -> None:
    title = pr_text.title(replace(PROPOSAL, title="x" * 400))
    assert len(title) == pr_text.TITLE_LIMIT and title.endswith("…")


def test_comment_body_neutralises_caps_and_keeps_its_notice_last() -> None:
    notice = markers.notice("gone", FP)
    text = pr_text.comment_body("ping @someone " + "y" * 100_000, notice=notice, limit=10_000)
    assert len(text) <= 10_000
    assert text.rstrip().endswith(notice)
    assert f"@{ZW}someone" in text and "@someone" not in text
    assert markers.has_notice(text, "gone", FP)


def test_canned_comments_carry_their_notices() -> None:
    assert markers.has_notice(pr_text.human_push_comment("nightcrew/x", FP), "human-push", FP)
    gone = pr_text.gone_comment(FP, "main", "a" * 40, RECIPE.id)
    assert markers.has_notice(gone, "gone", FP) and "`aaaaaaaaaa`" in gone
    rebuilt = pr_text.rebuilt_comment(PROPOSAL, "main")
    assert markers.has_notice(rebuilt, "rebuilt", FP)
    assert "120 tests, no new failures" in rebuilt and "`ffffffffff`" in rebuilt
