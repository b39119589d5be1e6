"""Reading stock files."""

from __future__ import annotations

from pathlib import Path


def read_skus(path: Path) -> list[str]:
    skus = []
    with open(path, encoding="utf-8") as fh:
        for line in fh.readlines():
            if line.strip():
                skus.append(line.strip())
    return skus
