"""Helpers for the detector tests: before/after and no-op cases, and fixing like the night."""

from __future__ import annotations

import ast
import textwrap
import warnings

import pytest

from bot.find.detectors import Detector
from bot.model import apply_edits


def fix_all(detector: Detector, source: str) -> str:
    """Apply the first match's edits, detect again, until nothing matches (like the night)."""
    for _ in range(20):
        matches = detector.detect(source, "m.py")
        if not matches:
            return source
        source = apply_edits(source, matches[0].edits)
    raise AssertionError("detector did not converge")


def change(id_: str, before: str, after: str) -> pytest.ParameterSet:
    """A before/after case (both dedented): the detector's fixes turn ``before`` into ``after``."""
    return pytest.param(textwrap.dedent(before), textwrap.dedent(after), id=id_)


def noop(id_: str, source: str, *, parses: bool = True) -> pytest.ParameterSet:
    """A no-op case (dedented): code the detector must not match at all.

    It must parse (unless ``parses=False`` says it is broken on purpose): a decoy with a
    syntax error would pass only because the detector skips files that do not parse.
    """
    code = textwrap.dedent(source)
    if parses:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings of the decoy's own escapes
            ast.parse(code)
    return pytest.param(code, id=id_)
