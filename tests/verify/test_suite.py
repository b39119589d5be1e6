"""Test commands the system could never start are refused before anything runs."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.verify.suite import (
    MAX_ARGUMENT_BYTES,
    MAX_COMMAND_BYTES,
    command_problem,
    parse_test_command,
    split_test_command,
)


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        pytest.param(["pytest", "-k", "x" * MAX_ARGUMENT_BYTES], None, id="argument-at-limit"),
        pytest.param(
            ["pytest", "-k", "x" * (MAX_ARGUMENT_BYTES + 1)],
            "argument 3 is 131,072 bytes",
            id="argument-over-limit",
        ),
        pytest.param(
            ["pytest", "-k", "é" * 70_000], "argument 3 is 140,000 bytes", id="counted-in-bytes"
        ),
        pytest.param(
            ["pytest", *(["x" * 1023] * (MAX_COMMAND_BYTES // 1024 + 1))],
            "more than the 1,048,576 bytes",
            id="whole-command-over-limit",
        ),
    ],
)
def test_command_problem(argv, problem):
    found = command_problem(argv)
    assert found == problem if problem is None else problem in (found or "")


def test_parse_test_command_names_the_field():
    with pytest.raises(UserError) as caught:
        parse_test_command("pytest -k " + "x" * 200_000)
    assert caught.value.field == "test_command"
    assert "argument 3 is 200,000 bytes" in caught.value.message


def test_split_test_command():
    assert split_test_command("python -m pytest -q 'a b'") == (
        ["python", "-m", "pytest", "-q", "a b"],
        None,
    )
    assert split_test_command("  ") == ([], "the test command is empty")
    assert "cannot parse" in (split_test_command("pytest 'open")[1] or "")
