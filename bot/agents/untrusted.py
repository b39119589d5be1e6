"""Untrusted text on its way to a model: cleaned, made visible, and fenced off as data. Pure.

Two kinds of text reach an agent from outside Nightcrew: *comments* (a reviewer's
``/nightcrew revise ...``, PR text) and *repository content* (files, test output).
Comments are cleaned with :func:`clean_untrusted`: what a human reviewer cannot see
(zero-width and bidi control characters, tag characters, HTML comments) cannot carry
instructions either. Repository content is never altered silently, because an agent
edits it by exact match; :func:`reveal_invisible` instead shows hidden characters as
``<U+XXXX>`` so a Trojan-source line reads as what it is. Both go to the model inside
:func:`data_block` fences, which the system prompt declares to be data, never instructions.
"""

from __future__ import annotations

import re
import unicodedata

DATA_TAG = "untrusted-data"

# Not in Unicode's "Cf" (format) category, yet invisible or blank when rendered: variation
# selectors, the combining grapheme joiner, Hangul fillers, the Mongolian vowel separator.
_INVISIBLE_EXTRA = frozenset(
    [chr(c) for c in range(0xFE00, 0xFE10)]
    + [chr(c) for c in range(0xE0100, 0xE01F0)]
    + ["\u034f", "\u115f", "\u1160", "\u3164", "\uffa0", "\u180e", "\u2800"]
)
_LINE_SEPARATORS = str.maketrans({"\u2028": "\n", "\u2029": "\n", "\x85": "\n"})
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)


def is_invisible(char: str) -> bool:
    """Format/control characters and blank look-alikes a reader cannot see (not tab/newline)."""
    if char in "\t\n":
        return False
    category = unicodedata.category(char)
    return category in ("Cf", "Cc", "Co", "Cs", "Cn") or char in _INVISIBLE_EXTRA


def _strip_invisible(text: str) -> str:
    return "".join(c for c in text if not is_invisible(c))


def clean_untrusted(text: str) -> str:
    """A comment as a human reader sees it: no hidden characters, no HTML comments.

    Newlines are normalised to ``\\n``; hidden characters go first, so they cannot break
    up an ``<!--`` and smuggle a comment through; an unterminated ``<!--`` hides the rest
    of the text, as it would when rendered. Surrounding blank space is trimmed.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_LINE_SEPARATORS)
    text = _strip_invisible(text)
    previous = None
    while previous != text:  # "<!<!---->-- x -->" must not leave a comment behind
        previous, text = text, _HTML_COMMENT.sub("", text)
    return text.strip()


def reveal_invisible(text: str) -> str:
    """Repository text with every hidden character shown as ``<U+XXXX>`` (nothing removed)."""
    if all(c.isascii() and (c.isprintable() or c in "\t\n\r") for c in text):
        return text
    return "".join(f"<U+{ord(c):04X}>" if is_invisible(c) and c != "\r" else c for c in text)


def hidden_characters(text: str) -> list[str]:
    """The hidden characters in ``text``, as ``U+XXXX`` names, in order of first appearance."""
    seen = dict.fromkeys(f"U+{ord(c):04X}" for c in text if is_invisible(c) and c != "\r")
    return list(seen)


def data_block(source: str, text: str) -> str:
    """``text`` fenced as untrusted data; a fence inside it cannot close the block early."""
    body = text.replace(DATA_TAG, DATA_TAG.replace("-", "_"))
    label = source.replace('"', "'").replace(DATA_TAG, DATA_TAG.replace("-", "_"))
    return f'<{DATA_TAG} source="{label}">\n{body}\n</{DATA_TAG}>'


def numbered(text: str, first_line: int = 1) -> str:
    """Lines prefixed with their numbers (``  12| code``), hidden characters revealed."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    width = len(str(first_line + max(len(lines) - 1, 0)))
    return "\n".join(
        f"{n:>{width}}| {reveal_invisible(line.rstrip(chr(13)))}"
        for n, line in enumerate(lines, first_line)
    )
