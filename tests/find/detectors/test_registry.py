"""The detector registry: every entry is complete and survives code that does not parse."""

from __future__ import annotations

import pytest

from bot.find.detectors import REGISTRY


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_registry_entries_are_complete(name):
    detector = REGISTRY[name]
    assert detector.name == name
    assert detector.summary
    assert detector.detect("def f(:\n", "m.py") == []
