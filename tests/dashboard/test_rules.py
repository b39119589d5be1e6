"""IgnoreRules: what each kind of rule ignores, and adding and removing them."""

from __future__ import annotations

import pytest

from bot.dashboard.rules import IgnoreRules, Rule
from tests.dashboard.samples import FP, FP2

IGNORES = [
    ("finding", FP, ("r", "a.py", FP), "ignored: finding"),
    ("finding", FP[:8], ("r", "a.py", FP), "ignored: finding"),
    ("finding", FP.upper(), ("r", "a.py", FP), "ignored: finding"),
    ("finding", FP, ("r", "a.py", FP2), None),
    ("finding", "0123", ("r", "a.py", FP), None),  # too short to be a rule
    ("recipe", "r", ("r", "a.py", FP), "ignored: recipe r"),
    ("recipe", "r", ("s", "a.py", FP), None),
    ("path", "tests/**", ("r", "tests/x/test_a.py", FP), "ignored: path tests/**"),
    ("path", "tests/**", ("r", "src/tests.py", FP), None),
    ("path", "*.py", ("r", "pkg/a.py", FP), None),  # whole-path globs, like scopes
    ("path", "/abs/**", ("r", "/abs/a.py", FP), None),  # a broken rule never matches
]


@pytest.mark.parametrize(("kind", "value", "finding", "reason"), IGNORES)
def test_ignores(kind, value, finding, reason):
    result = IgnoreRules((Rule(kind, value),)).ignores(*finding)
    if reason is None:
        assert result is None
    else:
        assert result is not None and result.startswith(reason)


def test_a_path_rule_for_one_recipe():
    rules = IgnoreRules((Rule("path", "docs/**", recipe="unused-imports"),))
    assert rules.ignores("unused-imports", "docs/a.py", FP)
    assert rules.ignores("modern-syntax", "docs/a.py", FP) is None


def test_the_reason_says_where_and_who():
    rules = IgnoreRules((Rule("finding", FP, pr=3, by="octocat", reason="closed without merging"),))
    assert rules.ignores("r", "a.py", FP) == (
        "ignored: finding (closed without merging) on #3 by octocat"
    )


def test_add_and_remove():
    rules = IgnoreRules().add(Rule("recipe", "a")).add(Rule("recipe", "a", by="again"))
    assert [r.by for r in rules] == [""]
    rules = rules.add(Rule("finding", FP[:8])).add(Rule("finding", FP2))
    assert len(rules.remove("finding", FP)) == 2  # the short rule matching FP goes too
    assert rules.remove("recipe", "b") == rules
    assert rules.remove("recipe", "a").of_kind("recipe") == []
