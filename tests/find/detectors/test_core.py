"""What every detector shares (``core``): parsing, and ``ast`` positions as character columns."""

from __future__ import annotations

import pytest

from bot.find.detectors import REGISTRY
from bot.find.detectors.core import Positions, parse
from bot.model import apply_edits
from tests.find.detectors import fix_all


def test_match_columns_are_characters_not_bytes():
    source = 'def f():\n    xs = ["é"]\n    for x in xs.copy(): print("ü", x)\n'
    (match,) = REGISTRY["copy-before-iteration"].detect(source, "m.py")
    line = source.splitlines()[2]
    assert (match.start_line, match.start_col) == (3, line.index("xs.copy()") + 1)
    assert match.end_col == line.index("xs.copy()") + len("xs.copy()") + 1
    assert match.edits[0].content == "xs"
    assert "xs" in match.message and match.fix_title


def test_byte_offsets_become_character_columns():
    positions = Positions('s = "€€"; t = 1\n')
    assert positions.column(1, len('s = "€€"; '.encode())) == len('s = "€€"; ') + 1


def test_byte_order_mark_is_not_counted_like_in_ruff():
    source = "\ufeffdef f():\n    xs = [1]\n    for x in xs.copy():\n        pass\n"
    (match,) = REGISTRY["copy-before-iteration"].detect(source, "m.py")
    assert apply_edits(source.removeprefix("\ufeff"), match.edits).endswith(
        "for x in xs:\n        pass\n"
    )
    assert Positions("\ufeffx = 1\n").column(1, 4) == 5


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_line_endings_are_kept(newline):
    lines = ["def f(xs):", "    out = []", "    for x in xs:", "        out = out + [x]", ""]
    source = newline.join(lines)
    expected = newline.join([*lines[:3], "        out.append(x)", ""])
    assert fix_all(REGISTRY["list-concat-in-loop"], source) == expected


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("def f(:\n", id="syntax-error"),
        pytest.param("x = 1\0\n", id="null-byte"),
        pytest.param("x = 1\x0c\n", id="form-feed"),
        pytest.param("(" * 1000 + ")" * 1000 + "\n", id="deeply-nested"),
    ],
)
def test_unparsable_source_gives_no_tree(source):
    assert parse(source) is None
