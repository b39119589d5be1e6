"""Helpers shared by the recipe tests: a minimal valid recipe, and writing files."""

from __future__ import annotations

from pathlib import Path

MINIMAL = """\
schema_version: 1
id: minimal
title: Minimal
description: Why.
find:
  ruff:
    select: [C414]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
