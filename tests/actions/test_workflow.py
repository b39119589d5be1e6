"""bot.ghactions: settings from the environment, workflow commands, outputs, the job summary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.actions import workflow
from bot.errors import UserError

TOKEN = "ghs_unitTestToken0000"


def env(**values: str) -> dict[str, str]:
    return {"GITHUB_EVENT_NAME": "schedule", **values}


# --- settings -----------------------------------------------------------------------------------


def test_defaults_outside_actions():
    s = workflow.settings_from_env({})
    assert s.api_url == "https://api.github.com"
    assert s.workspace == Path(".")
    assert (s.dry_run, s.max_prs, s.recipes, s.shard, s.config) == (False, None, (), None, None)
    assert s.in_actions is False
    assert s.step_summary is None and s.output is None


def test_reads_github_variables(tmp_path):
    s = workflow.settings_from_env(
        env(
            GITHUB_EVENT_PATH=str(tmp_path / "event.json"),
            GITHUB_REPOSITORY="octo-org/octo-repo",
            GITHUB_API_URL="https://ghe.example.com/api/v3/",
            GITHUB_WORKSPACE=str(tmp_path),
            GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
            GITHUB_OUTPUT=str(tmp_path / "output"),
            GITHUB_REF="refs/heads/develop",
            GITHUB_ACTIONS="true",
            RUNNER_TEMP=str(tmp_path / "tmp"),
            INPUT_CONFIG=".github/night.yml",
        )
    )
    assert s.event_name == "schedule" and s.handled
    assert s.event_path == tmp_path / "event.json"
    assert s.repository == "octo-org/octo-repo"
    assert s.api_url == "https://ghe.example.com/api/v3"  # GHES: trailing slash dropped
    assert s.step_summary == tmp_path / "summary.md"
    assert s.output == tmp_path / "output"
    assert s.branch == "develop"
    assert s.in_actions is True
    assert s.runner_temp == tmp_path / "tmp"
    assert s.config == tmp_path / ".github/night.yml"  # relative to the workspace


@pytest.mark.parametrize(
    ("ref", "branch"),
    [
        ("refs/heads/main", "main"),
        ("refs/heads/feature/x", "feature/x"),
        ("refs/tags/v1", None),
        ("refs/pull/1/merge", None),
        ("", None),
    ],
)
def test_branch_from_ref(ref, branch):
    assert workflow.settings_from_env(env(GITHUB_REF=ref)).branch == branch


@pytest.mark.parametrize(
    ("event", "handled"),
    [("schedule", True), ("workflow_dispatch", True), ("push", False), ("issue_comment", False)],
)
def test_handled_events(event, handled):
    assert workflow.settings_from_env(env(GITHUB_EVENT_NAME=event)).handled is handled


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ()),
        ("unused-imports", ("unused-imports",)),
        ("a,b", ("a", "b")),
        ("a, b", ("a", "b")),
        ("a b\nc", ("a", "b", "c")),
        (" a,,b , a ", ("a", "b")),
    ],
    ids=["empty", "one", "comma", "comma-space", "space-newline", "repeats"],
)
def test_recipes_input(text, expected):
    assert workflow.settings_from_env(env(INPUT_RECIPES=text)).recipes == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", False), ("true", True), ("True", True), ("TRUE", True), ("false", False),
     ("False", False), (" true ", True)],
)  # fmt: skip
def test_dry_run_input(text, expected):
    assert workflow.settings_from_env(env(INPUT_DRY_RUN=text)).dry_run is expected


@pytest.mark.parametrize("text", ["yes", "1", "tru", "on"])
def test_dry_run_rejects_other_spellings(text):
    with pytest.raises(UserError, match=r"input dry-run \(INPUT_DRY_RUN\): expected true or false"):
        workflow.settings_from_env(env(INPUT_DRY_RUN=text))


@pytest.mark.parametrize(("text", "expected"), [("", None), ("0", 0), ("5", 5), (" 12 ", 12)])
def test_max_prs_input(text, expected):
    assert workflow.settings_from_env(env(INPUT_MAX_PRS=text)).max_prs == expected


@pytest.mark.parametrize("text", ["-1", "many", "2.5"])
def test_max_prs_rejects_non_numbers(text):
    with pytest.raises(UserError, match=r"input max-prs \(INPUT_MAX_PRS\): expected a whole"):
        workflow.settings_from_env(env(INPUT_MAX_PRS=text))


def test_shard_input():
    assert workflow.settings_from_env(env(INPUT_SHARD="2/4")).shard == (2, 4)
    with pytest.raises(UserError, match=r"input shard \(INPUT_SHARD\): expected I/N"):
        workflow.settings_from_env(env(INPUT_SHARD="5/4"))


@pytest.mark.parametrize(
    ("variables", "run"),
    [
        ({"GITHUB_RUN_ID": "9876543210", "GITHUB_RUN_ATTEMPT": "2"}, ("9876543210", 2)),
        ({"GITHUB_RUN_ID": " 17 "}, ("17", 0)),
        ({"GITHUB_RUN_ID": "17", "GITHUB_RUN_ATTEMPT": "second"}, ("17", 0)),
        ({"GITHUB_RUN_ATTEMPT": "1"}, ("", 0)),  # an attempt of no known run
        ({}, ("", 0)),
    ],
)
def test_the_workflow_run(variables, run):
    s = workflow.settings_from_env(env(**variables))
    assert (s.run_id, s.run_attempt) == run


def test_bad_repository():
    with pytest.raises(UserError, match="GITHUB_REPOSITORY: expected owner/name"):
        workflow.settings_from_env(env(GITHUB_REPOSITORY="just-a-name"))


def test_token_is_read_but_never_shown():
    s = workflow.settings_from_env(
        env(INPUT_GITHUB_TOKEN=TOKEN, INPUT_ANTHROPIC_API_KEY="sk-ant-unit0000")
    )
    assert s.github_token == TOKEN
    assert s.secrets() == (TOKEN, "sk-ant-unit0000")
    assert TOKEN not in repr(s) and "sk-ant-unit0000" not in repr(s)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1/1", (1, 1)), ("2/4", (2, 4)), ("4/4", (4, 4)), (" 1 / 3 ", (1, 3))],
)
def test_parse_shard(text, expected):
    assert workflow.parse_shard(text) == expected


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "0/0", "1", "a/b", "-1/2", "1/2/3", ""])
def test_parse_shard_rejects(text):
    with pytest.raises(UserError) as info:
        workflow.parse_shard(text)
    assert str(info.value).startswith("--shard: expected I/N with 1 ≤ I ≤ N")


# --- workflow commands --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("100%", "100%25", "100%25"),
        ("a\nb", "a%0Ab", "a%0Ab"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("a:b,c", "a:b,c", "a%3Ab%2Cc"),
        ("%0A", "%250A", "%250A"),  # a literal escape sequence survives the round trip
    ],
    ids=["plain", "percent", "newline", "crlf", "colon-comma", "literal-escape"],
)
def test_escaping(text, data, prop):
    assert workflow.escape_data(text) == data
    assert workflow.escape_property(text) == prop


def test_warning_with_file_and_line():
    line = workflow.warning(
        "sorted(list(x)): rejected: 1 test failed", file="pkg/a,b.py", line=3, title="N: C414"
    )
    assert line == (
        "::warning file=pkg/a%2Cb.py,line=3,title=N%3A C414::"
        "sorted(list(x)): rejected: 1 test failed"
    )


def test_commands_leave_out_empty_properties():
    assert workflow.warning("w") == "::warning::w"
    assert workflow.command("warning", "w", file=None, line=None, title="") == "::warning::w"


def test_group_and_mask():
    assert workflow.group("Find: x") == "::group::Find: x"
    assert workflow.endgroup() == "::endgroup::"
    assert workflow.add_mask(TOKEN) == f"::add-mask::{TOKEN}"


@pytest.mark.parametrize(
    ("message", "phase"),
    [
        ("baseline: `pytest` on abc", "Baseline: the tests on the base commit"),
        ("verified a.py:1 ruff:C414 -> nightcrew/x", "Fix and verify, one finding at a time"),
        ("rejected a.py:1 ruff:C419: 1 test failed", "Fix and verify, one finding at a time"),
        ("group of 5 failed; suspecting 1", "Fix and verify, one finding at a time"),
        ("unnecessary-copies: 3 finding(s) in 4 file(s)", None),
    ],
)
def test_phase_of(message, phase):
    assert workflow.phase_of(message) == phase


# --- outputs ------------------------------------------------------------------------------------


def parse_outputs(text: str) -> dict[str, str]:
    """Read a $GITHUB_OUTPUT file the way the runner does (both forms)."""
    out, lines = {}, iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            for body in lines:
                if body == delimiter:
                    break
                value.append(body)
            else:
                raise AssertionError(f"no closing delimiter for {name}")
            out[name] = "\n".join(value)
        else:
            name, value = line.split("=", 1)
            out[name] = value
    return out


@pytest.mark.parametrize(
    "value",
    ["", "3", '["https://x/pull/1"]', "line 1\nline 2", "EOF\nEOF", "a=b<<c", "trailing\n"],
    ids=["empty", "number", "json", "multiline", "eof-lines", "lookalike", "trailing-newline"],
)
def test_outputs_round_trip(value):
    text = workflow.format_outputs({"prs": value, "found": "1"})
    assert parse_outputs(text) == {"prs": value, "found": "1"}


def test_output_delimiter_is_random_and_checked():
    first = workflow.format_output("x", "v")
    assert first != workflow.format_output("x", "v")
    assert re.fullmatch(r"x<<ghadelimiter_[0-9a-f-]{36}\nv\nghadelimiter_[0-9a-f-]{36}\n", first)
    with pytest.raises(ValueError, match="contains its delimiter"):
        workflow.format_output("x", "a\nEND\nb", delimiter="END")
    with pytest.raises(ValueError, match="not a valid output name"):
        workflow.format_output("bad name\n", "v")


def test_redact():
    assert workflow.redact(f"token {TOKEN} and {TOKEN}x", [TOKEN, ""]) == "token *** and ***x"


# --- the report, for people ---------------------------------------------------------------------


def fix(status: str, **extra: object) -> dict:
    return {
        "fingerprint": "f" * 40,
        "recipe": "unnecessary-copies",
        "rule": "ruff:C414",
        "path": "inventory/stock.py",
        "line": 7,
        "message": "Unnecessary `list()` call within `sorted()`",
        "status": status,
        "reason": "",
        "branch": None,
        "url": None,
    } | extra


REPORT = {
    "summary": {"found": 5, "verified": 2, "rejected": 1, "skipped": 2, "errored": 0},
    "findings": [{}] * 5,
    "fixes": [
        fix("verified", url="https://github.com/o/r/pull/12", branch="nightcrew/a"),
        fix(
            "verified",
            reason="evidence; not published: secondary rate limit (retry after 60s)",
            line=9,
        ),
        fix("rejected", reason="1 new failure: tests/test_a.py::test_x | y", line=3),
        fix("skipped", reason="no automatic fix is available for this finding", line=4),
        fix(
            "skipped",
            reason="already proposed: https://github.com/o/r/pull/3",
            line=5,
            branch="nightcrew/b",
        ),
    ],
    "recipes_skipped": [{"id": "modern-syntax", "reason": "not due today"}],
    "notes": ["publishing stopped: secondary rate limit (retry after 60s)"],
}


def test_counts_add_published():
    assert workflow.counts(REPORT) == {
        "found": 5, "verified": 2, "rejected": 1, "published": 1, "skipped": 2, "errored": 0,
    }  # fmt: skip


def test_pr_urls():
    assert workflow.pr_urls(REPORT) == ["https://github.com/o/r/pull/12"]


def test_stopped_notes():
    assert workflow.stopped_notes(REPORT) == [
        "publishing stopped: secondary rate limit (retry after 60s)"
    ]
    assert workflow.stopped_notes({"notes": ["shard 1 of 2"]}) == []


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        ({"fixes": []}, None),
        ({"fixes": [], "agents": {"dollars": 0.25, "tokens": 10}}, 0.25),
        ({"fixes": [{"costs": {"dollars": 0.5}}, {"costs": {"dollars": 0.25}}, {}]}, 0.75),
        ({"fixes": [], "agents": None}, None),
    ],
    ids=["none", "night-total", "per-fix", "agents-null"],
)
def test_cost(report, expected):
    assert workflow.cost(report) == expected


def test_job_summary():
    text = workflow.job_summary(REPORT)
    assert "| found | verified | rejected | published | skipped | errored |" in text
    assert "| 5 | 2 | 1 | 1 | 2 | 0 |" in text
    assert "cost" not in text  # no agents ran
    assert "[#12](https://github.com/o/r/pull/12)" in text
    assert "### Verified, not published" in text
    assert "| `inventory/stock.py:9` | ruff:C414 | secondary rate limit (retry after 60s) |" in text
    assert "### Rejected, and why" in text
    assert "tests/test_a.py::test_x \\| y" in text  # a `|` in a reason does not break the table
    assert "no automatic fix is available" in text
    assert "already proposed: https://github.com/o/r/pull/3" in text
    assert "- `modern-syntax`: not due today" in text
    assert "dry run" not in text


def test_job_summary_dry_run_and_cost():
    report = {
        "summary": {"found": 1, "verified": 1},
        "fixes": [fix("verified", branch="nightcrew/unnecessary-copies/x")],
        "agents": {"dollars": 1.5},
    }
    text = workflow.job_summary(report, dry_run=True)
    assert "dry run: branches and patches only, no pushes, no PRs" in text
    assert "| found | verified | rejected | published | skipped | errored | cost |" in text
    assert "| 1 | 1 | 0 | 0 | 0 | 0 | $1.50 |" in text
    assert "`nightcrew/unnecessary-copies/x`" in text


def test_job_summary_caps_long_tables():
    report = {"fixes": [fix("rejected", reason="r", line=i) for i in range(80)]}
    text = workflow.job_summary(report)
    assert text.count("| ruff:C414 | r |") == workflow.MAX_SUMMARY_ROWS
    assert "… and 30 more (see report.json)" in text


def test_annotations_for_unfixed_findings_only():
    lines = workflow.annotations(REPORT)
    assert lines == [
        "::warning file=inventory/stock.py,line=3,title=Nightcrew unnecessary-copies ruff%3AC414::"
        "Unnecessary `list()` call within `sorted()`: rejected: "
        "1 new failure: tests/test_a.py::test_x | y",
        "::warning file=inventory/stock.py,line=4,title=Nightcrew unnecessary-copies ruff%3AC414::"
        "Unnecessary `list()` call within `sorted()`: skipped: "
        "no automatic fix is available for this finding",
    ]  # the finding with an open PR (a branch) is not annotated


def test_annotations_are_capped_rejected_first():
    report = {
        "fixes": [fix("skipped", reason="s", line=i) for i in range(20)]
        + [fix("rejected", reason="r", line=100)]
    }
    lines = workflow.annotations(report)
    assert len(lines) == workflow.MAX_ANNOTATIONS
    assert "line=100," in lines[0]
