"""``/nightcrew <command>`` lines in a comment -> commands, and the one table of them. Pure.

``VERBS`` is every command: how it is written (its usage, with sub-forms such as
``ignore path <glob>``), what it does, whether it is slow, what argument it takes, and the
handler that runs it (``bot.review.verbs`` binds each with ``@VERBS.handles``). Parsing,
the help text, PR bodies (``USAGE``), the acknowledgement and the dispatch all read it.

A command is a line of its own that starts with ``/nightcrew`` (up to three spaces of
indentation, as Markdown allows): lines in fenced code blocks, quotes (``>``), list items,
HTML comments and HTML ``<pre>``, ``<code>`` or ``<blockquote>`` elements are never
commands, and neither is text hidden from a reader (the comment is cleaned with
``clean_untrusted`` first). Each line is one command; a comment may hold at most
``MAX_COMMANDS``, parsed strictly: anything that is not exactly one of ``VERBS`` comes
back as a ``BadCommand`` saying why, and the bot answers it with the help text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from bot.agents.untrusted import clean_untrusted
from bot.globs import pattern_problem

PREFIX = "/nightcrew"
MAX_COMMANDS = 5
MAX_REVISE_CHARS = 2000


_LINE = re.compile(r" {0,3}/nightcrew(?=\s|$)(.*)", re.IGNORECASE)
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
# HTML elements a reader sees as code or a quote, opened or closed anywhere in a line, in
# any case and with any attributes (``<PRE class=x>``, a tag split over lines too).
_ELEMENT = re.compile(r"<(/?)(?:pre|code|blockquote)(?=[\s/>]|$)", re.IGNORECASE)
# An inline code span: `<pre>` in backticks is text, not an element.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)")
_QUOTES = (("`", "`"), ("'", "'"), ('"', '"'))
_THIS_PRS = " (it means this PR's)"


@dataclass(frozen=True)
class Command:
    """One accepted command: ``name`` is a ``Verb.name``; ``argument`` a glob or revise text."""

    name: str
    argument: str = ""
    line: str = ""  # the line as written (cleaned), for replies and for recognising repeats


@dataclass(frozen=True)
class BadCommand:
    """A ``/nightcrew`` line that is not a command, and why."""

    line: str
    problem: str


Parsed = Command | BadCommand
# What follows a command's words -> (its value, or why it is not a usable one).
Argument = Callable[[str], tuple[str, str | None]]
# (context, command) -> outcome; bound by ``bot.review.verbs``, which knows both types.
Handler = Callable[[Any, Command], Any]


@dataclass(frozen=True)
class Verb:
    """One command: how it is written, what it does, and how it is run."""

    usage: str  # as the help writes it: words, then a ``<placeholder>`` for an argument
    what: str
    slow: bool = False  # rebuilds and pushes: a review gets an "on it" comment at once
    argument: Argument | None = None  # reads the text after the words; None: nothing may follow
    changes_pull: bool = False  # may close or reopen the PR: read it again afterwards
    hint: str = ""  # added to "takes nothing after it"
    handler: Handler | None = field(default=None, compare=False)

    @property
    def words(self) -> tuple[str, ...]:
        """``ignore path <glob>`` -> ``("ignore", "path")``."""
        return tuple(self.usage.partition("<")[0].split())

    @property
    def name(self) -> str:
        """The command's name, as ``Command.name`` carries it: ``ignore-path``."""
        return "-".join(self.words)


class Registry:
    """Every command, in the order the help lists them; a handler binds to its command.

    Handlers bind late, from ``bot.review.verbs``, because they need the dashboard, the PR
    text and the night, and those import this table (PR bodies list ``USAGE``): declared
    here, the table stays pure and cheap to import.
    """

    def __init__(self, *verbs: Verb) -> None:
        self._verbs = {verb.name: verb for verb in verbs}
        if len(self._verbs) != len(verbs):
            raise ValueError("two commands have one name")

    def __iter__(self) -> Iterator[Verb]:
        return iter(self._verbs.values())

    def __getitem__(self, name: str) -> Verb:
        return self._verbs[name]

    def forms(self, word: str) -> dict[tuple[str, ...], Verb]:
        """The commands that start with ``word``, by the words after it (``()``: bare)."""
        return {v.words[1:]: v for v in self if v.words[0] == word}

    def handles(self, *names: str) -> Callable[[Handler], Handler]:
        """Decorator: the function runs these commands (each declared here, bound once)."""

        def bind(handler: Handler) -> Handler:
            for name in names:
                verb = self._verbs.get(name)
                if verb is None:
                    raise ValueError(f"{handler.__name__} handles `{name}`, which is no command")
                if verb.handler is not None:
                    raise ValueError(f"`{name}` is handled twice")
                self._verbs[name] = replace(verb, handler=handler)
            return handler

        return bind

    def handler(self, name: str) -> Handler:
        """The function that runs command ``name``."""
        handler = self._verbs[name].handler
        if handler is None:
            raise LookupError(f"no handler for `{name}` (bot.review.verbs binds them)")
        return handler


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


def _request(text: str) -> tuple[str, str | None]:
    """What ``revise`` is asked to change, or why it cannot be asked."""
    if not text:
        return "", "say what to change: `/nightcrew revise <what to change>`"
    if len(text) > MAX_REVISE_CHARS:
        return "", f"the request is longer than {MAX_REVISE_CHARS} characters"
    return text, None


# The help text, PR bodies and docs/bot.md list the commands in this order.
VERBS = Registry(
    Verb(
        "rebase",
        "rebuild this fix on the latest base branch, verify it again and push it",
        slow=True,
    ),
    Verb("recreate", "the same, discarding every other commit on this PR's branch", slow=True),
    Verb("ignore", "close this PR and never propose this finding again", changes_pull=True),
    Verb("ignore recipe", "never propose anything from this PR's recipe again", hint=_THIS_PRS),
    Verb(
        "ignore path <glob>",
        "never propose changes to files matching the glob, e.g. `tests/**`",
        argument=_glob,
    ),
    Verb("unignore", "undo `ignore` (a closed PR is reopened)", changes_pull=True),
    Verb("unignore recipe", "undo `ignore recipe`", hint=_THIS_PRS),
    Verb("unignore path <glob>", "undo `ignore path <glob>`", argument=_glob),
    Verb("explain", "why this change is safe and worthwhile"),
    Verb(
        "revise <what to change>",
        "an agent changes the fix as you ask; it is verified again",
        slow=True,
        argument=_request,
    ),
    Verb("help", "this list"),
)
# (usage, what it does), for the help text and PR bodies.
USAGE: tuple[tuple[str, str], ...] = tuple((verb.usage, verb.what) for verb in VERBS)


def command_lines(body: str) -> list[str]:
    """The ``/nightcrew`` lines of a comment, outside code blocks, as a reader sees them."""
    lines: list[str] = []
    fence: str | None = None
    inside = 0  # how many <pre>, <code> or <blockquote> elements are open
    # clean_untrusted trims the text; a leading line keeps a first line's indentation,
    # which decides whether it is code.
    text = clean_untrusted(".\n" + (body or ""))[2:]
    for line in text.split("\n"):
        if inside:  # raw HTML: a fence here is text, and nothing is a command
            inside = _elements(line, inside)
            continue
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
        inside = _elements(line, inside)
    return lines


def _elements(line: str, inside: int) -> int:
    """How many code or quote elements are open after ``line``, ``inside`` before it.

    Counted over the rendered HTML, not Markdown's HTML blocks: a ``<pre>`` in the middle of
    a sentence, or one that a blank line would end as a block, still shows what follows as
    code until its ``</pre>``; an unclosed one hides the rest. Erring this way only keeps a
    command from running. A close without an open changes nothing.
    """
    for tag in _ELEMENT.finditer(_CODE_SPAN.sub("", line)):
        inside = max(0, inside - 1) if tag.group(1) else inside + 1
    return inside


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
    word, tail = _first_word(match.group(1).strip())
    if not word:
        return BadCommand(line, "no command given")
    forms = VERBS.forms(word)
    if not forms:
        return BadCommand(line, f"unknown command `{word[:40]}`")
    sub, sub_tail = _first_word(tail)
    if sub and (sub,) in forms:
        return _take(forms[(sub,)], line, sub_tail)
    bare = forms.get(())
    if bare is not None and (bare.argument is not None or not tail):
        return _take(bare, line, tail)
    others = ", or ".join(f"`{' '.join(v.usage.split()[1:])}`" for key, v in forms.items() if key)
    if not others:
        return BadCommand(line, f"`{word}` takes nothing after it")
    takes = f"nothing after it, or {others}" if bare is not None else others
    return BadCommand(line, f"`{word}` takes {takes}; got `{sub[:40]}`")


def _first_word(text: str) -> tuple[str, str]:
    """``"Ignore path x"`` -> ``("ignore", "path x")``: the word lowercased, the rest trimmed."""
    word, _, rest = text.partition(" ")
    return word.lower(), rest.strip()


def _take(verb: Verb, line: str, text: str) -> Parsed:
    """``verb`` with ``text`` after its words: the command, or why ``text`` does not fit it."""
    if verb.argument is None:
        if text:
            return BadCommand(line, f"`{' '.join(verb.words)}` takes nothing after it{verb.hint}")
        return Command(verb.name, line=line)
    value, problem = verb.argument(text)
    if problem:
        return BadCommand(line, problem)
    return Command(verb.name, value, line)


def help_text() -> str:
    """The commands and what they do, as Markdown."""
    lines = ["Comment one of these on a Nightcrew PR, each on a line of its own:", ""]
    lines += [f"- `{PREFIX} {verb.usage}`: {verb.what}" for verb in VERBS]
    lines += [
        "",
        "Only people with write access to the repository (write, maintain or admin) can "
        "steer Nightcrew. See docs/bot.md for the details.",
    ]
    return "\n".join(lines)
