"""The trailers that end Nightcrew's commit messages: one set of names to write and read (pure).

Fix commits carry them so that later nights and the bot can tell a commit is Nightcrew's
and for which finding (``FINGERPRINT``), made by which recipe (``RECIPE``, ``id@version``)
for which rule, and, so that a shard can tell its own branches, in which file (``PATH``);
and how many tests executed the changed lines (``COVERED_BY``: a number, or ``unknown``).
"""

from __future__ import annotations

import re
from enum import StrEnum


class Trailer(StrEnum):
    RECIPE = "Nightcrew-Recipe"
    RULE = "Nightcrew-Rule"
    PATH = "Nightcrew-Path"
    FINGERPRINT = "Nightcrew-Fingerprint"
    COVERED_BY = "Nightcrew-Covered-By"  # how many tests executed the changed lines, or unknown

    def line(self, value: str) -> str:
        """The ``key: value`` line for a commit message (``fits(value)`` says if it reads back)."""
        return f"{self.value}: {value}"

    def read(self, message: str) -> str | None:
        """The value of the last such trailer line of a commit message, or None."""
        # [ \t]*, not \s*: an empty trailer must not borrow the next line's text.
        pattern = rf"^{re.escape(self.value)}:[ \t]*(\S.*?)[ \t]*$"
        values = re.findall(pattern, message, re.MULTILINE | re.IGNORECASE)
        return values[-1] if values else None


def fits(value: str) -> bool:
    """The value can go on a trailer line and ``Trailer.read`` gives it back as it was."""
    return value.isprintable() and value.strip() == value


def recipe_id(message: str) -> str | None:
    """The recipe's id from the ``RECIPE`` trailer, without its ``@version``."""
    value = Trailer.RECIPE.read(message)
    return value.split("@", 1)[0] if value is not None else None
