"""bot.actions.workflow: workflow commands, their escaping, step outputs, redaction."""

from __future__ import annotations

import re

import pytest

from bot.actions import workflow

TOKEN = "ghs_unitTestToken0000"


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


def test_grouped_progress_opens_one_group_per_phase_in_order(capsys):
    from bot.actions.main import GROUP_TITLES, GroupedProgress
    from bot.report.progress import Phase

    progress = GroupedProgress([TOKEN])
    progress(Phase.SETUP, "start")
    progress(Phase.FIND, "found 3")  # the same group as setup
    progress(Phase.PUBLISH, f"pushed with {TOKEN}")
    progress(Phase.FIX, "verified a.py:1")
    progress(Phase.FIX, "rejected b.py:2")
    progress.close()
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"::group::{GROUP_TITLES[Phase.SETUP]}",
        "nightcrew: start",
        "nightcrew: found 3",
        "::endgroup::",
        f"::group::{GROUP_TITLES[Phase.PUBLISH]}",
        "nightcrew: pushed with ***",
        "::endgroup::",
        f"::group::{GROUP_TITLES[Phase.FIX]}",
        "nightcrew: verified a.py:1",
        "nightcrew: rejected b.py:2",
        "::endgroup::",
    ]
    assert set(GROUP_TITLES) == set(Phase)


def test_grouped_progress_numbers_the_test_runs_it_is_told_of(capsys):
    from bot.actions.main import GroupedProgress
    from bot.report.progress import Phase, RunFinished, RunKind, RunStarted, tell

    progress = GroupedProgress([TOKEN], first=Phase.FIX)
    tell(progress, Phase.FIX, RunStarted(RunKind.ALONE, f"one fix: a.py:1 {TOKEN}", "pytest"))
    tell(progress, Phase.FIX, RunFinished(RunKind.ALONE, 1.0))
    tell(progress, Phase.FIX, RunStarted(RunKind.BASELINE, "the base commit 0123", "pytest"))
    progress.close()
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "nightcrew: test run 1 (alone): `pytest` — one fix: a.py:1 ***"
    assert lines[2] == "nightcrew: test run 2 (baseline): `pytest` — the base commit 0123"
