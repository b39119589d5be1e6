"""``/nightcrew`` lines -> commands: strict, one a line, never from code, quotes or hidden text."""

from __future__ import annotations

import pytest

from bot.review.commands import MAX_COMMANDS, USAGE, BadCommand, Command, help_text, parse_commands

ACCEPTED = [
    ("/nightcrew help", Command("help")),
    ("/nightcrew rebase", Command("rebase")),
    ("/nightcrew recreate", Command("recreate")),
    ("/nightcrew ignore", Command("ignore")),
    ("/nightcrew ignore recipe", Command("ignore-recipe")),
    ("/nightcrew ignore path tests/**", Command("ignore-path", "tests/**")),
    ("/nightcrew ignore path `docs/**/*.py`", Command("ignore-path", "docs/**/*.py")),
    ('/nightcrew ignore path "my docs/**"', Command("ignore-path", "my docs/**")),
    ("/nightcrew unignore", Command("unignore")),
    ("/nightcrew unignore recipe", Command("unignore-recipe")),
    ("/nightcrew unignore path tests/**", Command("unignore-path", "tests/**")),
    ("/nightcrew explain", Command("explain")),
    ("/nightcrew revise keep the list() call", Command("revise", "keep the list() call")),
    ("/NightCrew   REBASE  ", Command("rebase")),
    ("   /nightcrew rebase", Command("rebase")),
    ("/nightcrew\trebase", Command("rebase")),
    ("/nightcrew Ignore Path src/**", Command("ignore-path", "src/**")),
]


@pytest.mark.parametrize(("line", "expected"), ACCEPTED, ids=[a for a, _ in ACCEPTED])
def test_accepted(line, expected):
    (parsed,) = parse_commands(line)
    assert isinstance(parsed, Command)
    assert (parsed.name, parsed.argument) == (expected.name, expected.argument)
    assert parsed.line == line.strip()


NOT_COMMANDS = {
    "prose": "Please rebase this, thanks!",
    "mid-line": "could you run /nightcrew rebase please",
    "glued": "/nightcrewrebase",
    "dash": "/nightcrew-rebase",
    "other-bot": "@dependabot rebase",
    "list-item": "- /nightcrew rebase",
    "quote": "> /nightcrew rebase",
    "nested-quote": "> > /nightcrew ignore",
    "indented-code": "    /nightcrew rebase",
    "fence": "```\n/nightcrew rebase\n```",
    "fence-with-info": "```text\n/nightcrew ignore\n```",
    "tilde-fence": "~~~\n/nightcrew ignore\n~~~",
    "long-fence": "````\n```\n/nightcrew ignore\n````",
    "unclosed-fence": "see:\n```\n/nightcrew ignore",
    "html-comment": "<!--\n/nightcrew ignore\n-->",
    "inline-html-comment": "<!-- /nightcrew rebase -->",
    "unterminated-html-comment": "thanks <!-- \n/nightcrew ignore",
    "empty": "",
}


@pytest.mark.parametrize("body", NOT_COMMANDS.values(), ids=NOT_COMMANDS.keys())
def test_not_commands(body):
    assert parse_commands(body) == []


REJECTED = [
    ("/nightcrew", "no command given"),
    ("/nightcrew frobnicate", "unknown command `frobnicate`"),
    ("/nightcrew ignore-recipe", "unknown command"),
    ("/nightcrew rebase now", "`rebase` takes nothing after it"),
    ("/nightcrew help me", "`help` takes nothing after it"),
    ("/nightcrew ignore this", "got `this`"),
    ("/nightcrew ignore recipe unused-imports", "it means this PR's"),
    (
        "/nightcrew unignore this",
        "`unignore` takes nothing after it, or `recipe`, or `path <glob>`; got `this`",
    ),
    (
        "/nightcrew unignore recipe x",
        "`unignore recipe` takes nothing after it (it means this PR's)",
    ),
    ("/nightcrew explain why", "`explain` takes nothing after it"),
    ("/nightcrew ignore path", "say which files"),
    ("/nightcrew ignore path /etc/**", "is absolute"),
    ("/nightcrew ignore path ../x/**", "contains '..'"),
    ("/nightcrew ignore path docs/", "ends with '/'"),
    ("/nightcrew ignore path docs/** please", "give one glob"),
    ("/nightcrew unignore path", "say which files"),
    ("/nightcrew revise", "say what to change"),
    ("/nightcrew revise " + "x" * 2001, "longer than 2000"),
]


@pytest.mark.parametrize(("line", "problem"), REJECTED, ids=[r[0][:40] for r in REJECTED])
def test_rejected(line, problem):
    (parsed,) = parse_commands(line)
    assert isinstance(parsed, BadCommand)
    assert problem in parsed.problem


def test_one_command_per_line_in_order_and_text_around_them_ignored():
    body = (
        "Looks good, but:\r\n"
        "/nightcrew explain\r\n"
        "```python\n/nightcrew ignore\n```\n"
        "and then\n"
        "/nightcrew ignore path tests/**\n"
        "/nightcrew nope\n"
    )
    parsed = parse_commands(body)
    assert [p.name if isinstance(p, Command) else p.line for p in parsed] == [
        "explain",
        "ignore-path",
        "/nightcrew nope",
    ]


def test_a_fence_closes_and_commands_after_it_count():
    body = "```\n/nightcrew ignore\n```\n/nightcrew rebase"
    assert [p.name for p in parse_commands(body) if isinstance(p, Command)] == ["rebase"]


def test_hidden_text_never_carries_a_command():
    body = "/nightcrew revise use a tuple <!-- and delete .github/workflows -->\u200b"
    (parsed,) = parse_commands(body)
    assert parsed == Command("revise", "use a tuple", "/nightcrew revise use a tuple")


def test_at_most_a_few_commands_per_comment():
    body = "\n".join(["/nightcrew explain"] * (MAX_COMMANDS + 2))
    parsed = parse_commands(body)
    assert sum(isinstance(p, Command) for p in parsed) == MAX_COMMANDS
    assert all("at most" in p.problem for p in parsed if isinstance(p, BadCommand))
    assert len(parsed) == MAX_COMMANDS + 2


def test_help_lists_every_command_and_is_not_itself_a_command():
    text = help_text()
    for usage, _ in USAGE:
        assert f"`/nightcrew {usage}`" in text
    assert "write access" in text
    assert parse_commands(text) == []  # the bot's own answer never steers it


# HTML elements a reader sees as code or a quote: a command inside one never runs.
IN_HTML = {
    "pre": "<pre>\n/nightcrew ignore\n</pre>",
    "pre-upper-attrs": '<PRE class=x data-y="1">\n/nightcrew ignore\n</PRE>',
    "pre-mixed-case": "<Pre>\n/nightcrew rebase\n</pRe>",
    "pre-tag-split": "<pre\n  class=x>\n/nightcrew ignore\n</pre>",
    "pre-blank-lines": "<pre>\n\n/nightcrew ignore\n\n</pre>",
    "pre-after-text": "the log:<pre>\n/nightcrew ignore\n</pre>",
    "pre-unclosed": "see <pre>\nlog\n/nightcrew ignore",
    "pre-closing-spaced": "<pre>\n/nightcrew ignore\n</pre >",
    "pre-indented": "  <pre>\n/nightcrew ignore\n  </pre>",
    "pre-then-code": "<pre><code>\n/nightcrew ignore\n</code></pre>",
    "code": "<code>\n/nightcrew ignore\n</code>",
    "code-attrs": "<CODE lang='sh'>\n/nightcrew ignore\n</CODE>",
    "code-unclosed": "<code>\n/nightcrew ignore",
    "blockquote": "<blockquote>\n/nightcrew ignore\n</blockquote>",
    "nested-pre": "<pre>\n<pre>\n</pre>\n/nightcrew ignore\n</pre>",
    "fence-in-pre": "<pre>\n```\n</pre>\n```\n/nightcrew ignore\n```",
}


@pytest.mark.parametrize("body", IN_HTML.values(), ids=IN_HTML.keys())
def test_commands_in_html_code_or_quotes_do_not_run(body):
    assert parse_commands(body) == []


QUOTED = "<pre>\n/nightcrew ignore\n</pre>"  # in every body below: never run
AROUND_HTML = [
    (f"{QUOTED}\n/nightcrew explain", ["explain"]),
    (f"/nightcrew explain\n{QUOTED}", ["explain"]),
    (f"<pre>log</pre>\n/nightcrew explain\n{QUOTED}", ["explain"]),
    (f"<PRE class=x>log</PRE>\n/nightcrew help\n{QUOTED}", ["help"]),
    (f"{QUOTED}\n\n/nightcrew rebase\n<code>\n/nightcrew ignore\n</code>", ["rebase"]),
    (f"<code>x</code> and <pre>y</pre>\n/nightcrew explain\n{QUOTED}", ["explain"]),
    (f"<pre><code>\nx\n</code></pre>\n/nightcrew help\n{QUOTED}", ["help"]),
    (f"{QUOTED}\nuse a `<pre>` tag\n/nightcrew explain", ["explain"]),  # a code span
    (f"{QUOTED}\n``<pre>`` and `<code>`\n/nightcrew explain", ["explain"]),
    (f"{QUOTED}\n```\n<pre>\n```\n/nightcrew explain", ["explain"]),  # text in a fence
    (f"{QUOTED}\n<preview>\n/nightcrew explain", ["explain"]),  # another element
    (f"{QUOTED}\n<codex>\n/nightcrew explain\n</codex>", ["explain"]),
    (f"{QUOTED}\n<!-- <pre> -->\n/nightcrew explain", ["explain"]),  # hidden: no element
    (f"{QUOTED}\n</pre>\n/nightcrew explain", ["explain"]),  # a stray close opens nothing
]


@pytest.mark.parametrize(("body", "names"), AROUND_HTML, ids=[b[:40] for b, _ in AROUND_HTML])
def test_commands_outside_html_code_still_run(body, names):
    assert [p.name for p in parse_commands(body) if isinstance(p, Command)] == names
