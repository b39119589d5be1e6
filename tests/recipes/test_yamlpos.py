"""YAML with the line of every field, field paths as ``find.ruff.select[1]``; nesting and
non-finite numbers refused where they are written."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.recipes.yamlpos import MAX_DEPTH, format_path, parse_yaml


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


def error(text: str) -> UserError:
    with pytest.raises(UserError) as caught:
        parse_yaml(text, "f.yml")
    return caught.value


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        pytest.param("a: " + "[" * 600 + "]" * 600, 1, "a", id="flow-lists"),
        pytest.param("a:\n  b: " + "{x: " * 600 + "1" + "}" * 600, 2, "a.b.x", id="flow-maps"),
        pytest.param(
            "a:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(200)) + "  " * 201 + "x",
            MAX_DEPTH + 1,
            "a.k0.k1",
            id="block-maps",
        ),
        pytest.param("- " + "[" * 600 + "]" * 600, 1, None, id="top-level-list"),
        pytest.param("? " + "[" * 600 + "]" * 600 + "\n: x", 1, None, id="complex-key"),
    ],
)
def test_deep_nesting_is_an_error_at_its_line(text, line, field):
    found = error(text)
    assert "nested more than 64 levels deep" in found.message
    assert (found.file, found.line, found.field) == ("f.yml", line, field)


def test_aliases_that_nest_deeper_than_the_text_are_refused():
    text = "x0: &a0 " + "[" * 40 + "1" + "]" * 40 + "\n"
    text += "".join(
        f"x{i}: &a{i} " + "[" * 40 + f"*a{i - 1}" + "]" * 40 + "\n" for i in range(1, 30)
    )
    found = error(text)
    assert "nested more than 64 levels deep" in found.message
    assert found.field == "x1"


def test_nesting_up_to_the_limit_is_fine():
    depth = MAX_DEPTH - 1  # the top-level mapping is one level
    assert parse_yaml("a: " + "[" * depth + "]" * depth, "f.yml").data["a"] is not None


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "+.INF", "1.0e+999"])
def test_non_finite_numbers_are_refused(value):
    found = error(f"limits:\n  test_timeout: {value}\n")
    assert (found.line, found.field) == (2, "limits.test_timeout")
    assert found.message == f"must be a finite number, got {value}"


def test_finite_numbers_and_strings_named_nan_are_kept():
    doc = parse_yaml("a: 1.5\nb: 'nan'\nc: [-2.0e+3]\n", "f.yml")
    assert doc.data == {"a": 1.5, "b": "nan", "c": [-2000.0]}
