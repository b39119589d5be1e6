"""YAML with the line of every field, and field paths as ``find.ruff.select[1]``."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.recipes.yamlpos import format_path, parse_yaml


def test_yamlpos_records_the_line_of_every_field() -> None:
    doc = parse_yaml("a: 1\nb:\n  - x\n  -\n    c: true\n# gap\nd: [p, q]\n", "f.yml")
    assert doc.data == {"a": 1, "b": ["x", {"c": True}], "d": ["p", "q"]}
    assert doc.lines == {
        (): 1,
        ("a",): 1,
        ("b",): 2,
        ("b", 0): 3,
        ("b", 1): 5,
        ("b", 1, "c"): 5,
        ("d",): 7,
        ("d", 0): 7,
        ("d", 1): 7,
    }
    assert doc.line(("b", 1, "missing", 3)) == 5


def test_yamlpos_keys_stay_text_and_aliases_resolve() -> None:
    doc = parse_yaml("on: &x [1]\nyes: *x\n", "f.yml")
    assert doc.data == {"on": [1], "yes": [1]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: &x [*x]\n", "f.yml:1: an alias refers to itself"),
        (
            "a: !!python/name:os.system x\n",
            "f.yml:1: invalid YAML: could not determine a constructor",
        ),
        ("base: &b {x: 1}\nc:\n  <<: *b\n", "f.yml:3: c: YAML merge keys (<<) are not supported"),
        ("? [a]\n: 1\n", "f.yml:1: a key must be plain text"),
        ("a: \x00\n", "f.yml: invalid YAML: unacceptable character #x0000"),
    ],
)
def test_yamlpos_refuses_what_a_recipe_never_needs(text: str, expected: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_yaml(text, "f.yml")
    assert str(caught.value).startswith(expected), str(caught.value)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("find", "ruff", "select", 1), "find.ruff.select[1]"),
        (("tests", 0, "id"), "tests[0].id"),
    ],
)
def test_format_path(path: tuple[str | int, ...], text: str) -> None:
    assert format_path(path) == text
