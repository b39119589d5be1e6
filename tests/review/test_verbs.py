"""The table of commands: each has a usage and a handler, and help lists only those."""

from __future__ import annotations

import re

import pytest

from bot.publish import pr_text
from bot.review import verbs
from bot.review.commands import USAGE, VERBS, Command, Registry, Verb, help_text, parse_line

# A value for each placeholder a usage may hold; a new placeholder needs one here.
SAMPLES = {"<glob>": "tests/**", "<what to change>": "keep the list() call"}
_HELP_LINE = re.compile(r"- `/nightcrew ([^`]+)`: ")


def _written(usage: str) -> str:
    """A line that runs ``usage``, its placeholder filled in."""
    line = usage
    for placeholder, value in SAMPLES.items():
        line = line.replace(placeholder, value)
    assert "<" not in line, f"no sample for the placeholder in `{usage}`"
    return f"/nightcrew {line}"


@pytest.mark.parametrize("verb", list(VERBS), ids=lambda v: v.name)
def test_every_command_has_a_usage_a_description_and_a_handler(verb: Verb) -> None:
    assert verb.usage.strip() and verb.what.strip()
    handler = VERBS.handler(verb.name)
    assert callable(handler)
    assert handler.__module__ == verbs.__name__


@pytest.mark.parametrize("verb", list(VERBS), ids=lambda v: v.name)
def test_every_usage_parses_to_its_own_command(verb: Verb) -> None:
    parsed = parse_line(_written(verb.usage))
    assert isinstance(parsed, Command), parsed
    assert parsed.name == verb.name
    assert bool(parsed.argument) == (verb.argument is not None)


def test_the_help_lists_exactly_the_commands_and_each_runs() -> None:
    listed = _HELP_LINE.findall(help_text())
    assert listed == [verb.usage for verb in VERBS]
    for usage in listed:
        parsed = parse_line(_written(usage))
        assert isinstance(parsed, Command), usage
        assert callable(VERBS.handler(parsed.name))


def test_pr_bodies_list_the_same_commands() -> None:
    assert pr_text.COMMANDS == USAGE == tuple((v.usage, v.what) for v in VERBS)


# What each command is: slow ones are acknowledged at once on a review and rebuild the fix;
# the ones that may close or reopen the PR make the bot read it again.
KINDS = {
    "rebase": (True, False),
    "recreate": (True, False),
    "revise": (True, False),
    "ignore": (False, True),
    "unignore": (False, True),
    "ignore-recipe": (False, False),
    "unignore-recipe": (False, False),
    "ignore-path": (False, False),
    "unignore-path": (False, False),
    "explain": (False, False),
    "help": (False, False),
}


def test_which_commands_are_slow_and_which_change_the_pull() -> None:
    assert {v.name: (v.slow, v.changes_pull) for v in VERBS} == KINDS
    rebuilds = {v.name for v in VERBS if VERBS.handler(v.name) is VERBS.handler("rebase")}
    assert rebuilds == {v.name for v in VERBS if v.slow}


def test_a_handler_binds_only_to_a_declared_command_and_only_once() -> None:
    table = Registry(Verb("wave", "say hello"), Verb("nod", "agree"))

    @table.handles("wave")
    def wave(ctx: object, command: Command) -> str:
        return "hello"

    assert table.handler("wave") is wave
    with pytest.raises(LookupError, match="no handler for `nod`"):
        table.handler("nod")
    with pytest.raises(ValueError, match="which is no command"):
        table.handles("shrug")(wave)
    with pytest.raises(ValueError, match="handled twice"):
        table.handles("wave")(wave)
    with pytest.raises(ValueError, match="two commands have one name"):
        Registry(Verb("wave", "a"), Verb("wave", "b"))
