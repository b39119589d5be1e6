"""``/nightcrew <command>`` lines in a comment -> commands. Pure and strict.

A command is a line of its own that starts with ``/nightcrew`` (up to three spaces of
indentation, as Markdown allows): lines in fenced code blocks, quotes (``>``), list items
and HTML comments are never commands, and neither is text hidden from a reader (the
comment is cleaned with ``clean_untrusted`` first). Each line is one command; a comment
may hold at most ``MAX_COMMANDS``. Anything that is not exactly one of ``USAGE`` comes back
as a ``BadCommand`` saying why, and the bot answers it with the help text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.agents.untrusted import clean_untrusted
from bot.globs import pattern_problem

PREFIX = "/nightcrew"
MAX_COMMANDS = 5
MAX_REVISE_CHARS = 2000

# (usage, what it does): the help text and docs/bot.md list these, in this order.
USAGE: tuple[tuple[str, str], ...] = (
    ("rebase", "rebuild this fix on the latest base branch, verify it again and push it"),
    ("recreate", "the same, discarding every other commit on this PR's branch"),
    ("ignore", "close this PR and never propose this finding again"),
    ("ignore recipe", "never propose anything from this PR's recipe again"),
    ("ignore path <glob>", "never propose changes to files matching the glob, e.g. `tests/**`"),
    ("unignore", "undo `ignore` (a closed PR is reopened)"),
    ("unignore recipe", "undo `ignore recipe`"),
    ("unignore path <glob>", "undo `ignore path <glob>`"),
    ("explain", "why this change is safe and worthwhile"),
    ("revise <what to change>", "an agent changes the fix as you ask; it is verified again"),
    ("help", "this list"),
)
NAMES = frozenset(
    {
        "help",
        "rebase",
        "recreate",
        "ignore",
        "ignore-recipe",
        "ignore-path",
        "unignore",
        "unignore-recipe",
        "unignore-path",
        "explain",
        "revise",
    }
)

_LINE = re.compile(r" {0,3}/nightcrew(?=\s|$)(.*)", re.IGNORECASE)
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_QUOTES = (("`", "`"), ("'", "'"), ('"', '"'))


@dataclass(frozen=True)
class Command:
    """One accepted command: ``name`` is one of ``NAMES``; ``argument`` a glob or revise text."""

    name: str
    argument: str = ""
    line: str = ""  # the line as written (cleaned), for replies and for recognising repeats


@dataclass(frozen=True)
class BadCommand:
    """A ``/nightcrew`` line that is not a command, and why."""

    line: str
    problem: str


Parsed = Command | BadCommand


def command_lines(body: str) -> list[str]:
    """The ``/nightcrew`` lines of a comment, outside code blocks, as a reader sees them."""
    lines: list[str] = []
    fence: str | None = None
    # clean_untrusted trims the text; a leading line keeps a first line's indentation,
    # which decides whether it is code.
    text = clean_untrusted(".\n" + (body or ""))[2:]
    for line in text.split("\n"):
        opened = _FENCE.fullmatch(line)
        if fence is not None:
            if opened and _closes(opened, fence):
                fence = None
            continue
        if opened and not (opened.group(1)[0] == "`" and "`" in opened.group(2)):
            fence = opened.group(1)
            continue
        if _LINE.fullmatch(line):
            lines.append(line.strip())
    return lines


def _closes(line: re.Match[str], fence: str) -> bool:
    """Whether a fence line closes the block ``fence`` opened: same character, long enough."""
    marks, info = line.group(1), line.group(2)
    return marks[0] == fence[0] and len(marks) >= len(fence) and not info.strip()


def parse_commands(body: str) -> list[Parsed]:
    """Every command of a comment, in order; at most ``MAX_COMMANDS`` are taken."""
    lines = command_lines(body)
    parsed = [parse_line(line) for line in lines[:MAX_COMMANDS]]
    parsed += [
        BadCommand(line, f"not run: a comment may hold at most {MAX_COMMANDS} commands")
        for line in lines[MAX_COMMANDS:]
    ]
    return parsed


def parse_line(line: str) -> Parsed:
    """One ``/nightcrew ...`` line -> its command, or why it is not one."""
    match = _LINE.fullmatch(line)
    if match is None:
        return BadCommand(line, f"a command starts with `{PREFIX}`")
    rest = match.group(1).strip()
    word, _, tail = rest.partition(" ")
    word, tail = word.lower(), tail.strip()
    if not word:
        return BadCommand(line, "no command given")
    if word == "revise":
        return _revise(line, tail)
    if word in ("ignore", "unignore"):
        return _ignore(line, word, tail)
    if word in NAMES and "-" not in word:
        if tail:
            return BadCommand(line, f"`{word}` takes nothing after it")
        return Command(word, line=line)
    return BadCommand(line, f"unknown command `{word[:40]}`")


def _revise(line: str, text: str) -> Parsed:
    if not text:
        return BadCommand(line, "say what to change: `/nightcrew revise <what to change>`")
    if len(text) > MAX_REVISE_CHARS:
        return BadCommand(line, f"the request is longer than {MAX_REVISE_CHARS} characters")
    return Command("revise", text, line)


def _ignore(line: str, word: str, tail: str) -> Parsed:
    what, _, rest = tail.partition(" ")
    what, rest = what.lower(), rest.strip()
    if not what:
        return Command(word, line=line)
    if what == "recipe":
        if rest:
            return BadCommand(line, f"`{word} recipe` takes nothing after it (it means this PR's)")
        return Command(f"{word}-recipe", line=line)
    if what == "path":
        glob, problem = _glob(rest)
        if problem:
            return BadCommand(line, problem)
        return Command(f"{word}-path", glob, line)
    return BadCommand(
        line, f"`{word}` takes nothing after it, or `recipe`, or `path <glob>`; got `{what[:40]}`"
    )


def _glob(text: str) -> tuple[str, str | None]:
    """The glob of ``ignore path``, unquoted, or why it is not a usable one."""
    if not text:
        return "", "say which files: `/nightcrew ignore path <glob>`, e.g. `tests/**`"
    for left, right in _QUOTES:
        if len(text) >= 2 and text.startswith(left) and text.endswith(right):
            text = text[len(left) : -len(right)]
            break
    else:
        if any(c.isspace() for c in text):
            return "", "give one glob (quote it in backticks if it contains spaces)"
    return text, pattern_problem(text)


def help_text() -> str:
    """The commands and what they do, as Markdown."""
    lines = ["Comment one of these on a Nightcrew PR, each on a line of its own:", ""]
    lines += [f"- `{PREFIX} {usage}`: {what}" for usage, what in USAGE]
    lines += [
        "",
        "Only people with write access to the repository (write, maintain or admin) can "
        "steer Nightcrew. See docs/bot.md for the details.",
    ]
    return "\n".join(lines)
