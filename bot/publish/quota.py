"""How many new PRs a recipe gets tonight: its ``pr.max_per_night``, scaled by its record. Pure.

A recipe's record is its last ``WINDOW`` decided PRs on this repository, latest decision
first: merged, or closed without merging. PRs Nightcrew closed itself (the finding was
gone) and PRs a reviewer re-allowed with ``/nightcrew unignore`` are nobody's verdict on
the recipe, and open PRs are not decided yet: none of them counts. ``allowed`` is the rule;
``Quota`` carries it with the numbers behind it, for the night, the report and the dashboard.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.dashboard.state import PullState

WINDOW = 10  # decided PRs a recipe's record looks back on


def allowed(max_per_night: int, merged: int, closed: int) -> int:
    """New PRs a recipe may open tonight, given its last decided PRs (merged, closed unmerged).

    ``max_per_night`` times the share of them that was merged, rounded up, never below 1
    nor above ``max_per_night``; with no decided PR yet, ``max_per_night``. So a recipe
    whose PRs are all merged keeps its whole quota, a 50/50 record gets about half, and one
    whose PRs are all closed gets 1 a night: enough for a merge to lift it again.
    """
    decided = merged + closed
    if decided <= 0:
        return max_per_night
    scaled = -(-max_per_night * merged // decided)  # rounded up, in whole numbers
    return min(max_per_night, max(1, scaled))


@dataclass(frozen=True)
class Quota:
    """A recipe's quota tonight and the record it comes from."""

    recipe: str
    max_per_night: int
    merged: int = 0
    closed: int = 0  # closed without merging, by a person

    @property
    def limit(self) -> int:
        return allowed(self.max_per_night, self.merged, self.closed)

    @property
    def reduced(self) -> bool:
        return self.limit < self.max_per_night

    @property
    def record(self) -> str:
        """``2 of its last 6 PRs closed unmerged, 4 merged``."""
        decided = self.merged + self.closed
        if decided == 0:
            return "none of its PRs merged or closed yet"
        if decided == 1:
            return "its last PR " + ("merged" if self.merged else "closed unmerged")
        if self.closed == 0:
            return f"all of its last {decided} PRs merged"
        if self.merged == 0:
            return f"all of its last {decided} PRs closed unmerged"
        return f"{self.closed} of its last {decided} PRs closed unmerged, {self.merged} merged"

    def describe(self) -> str:
        """``3 of 5: 2 of its last 6 PRs closed unmerged, 4 merged``."""
        return f"{self.limit} of {self.max_per_night}: {self.record}"

    def reached(self) -> str:
        """Why a finding of this recipe waits for a later night once its quota is used."""
        if not self.reduced:
            return f"recipe limit reached ({self.max_per_night} per night)"
        return (
            f"recipe quota reached ({self.limit} of its {self.max_per_night} per night: "
            f"{self.record})"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "recipe": self.recipe,
            "limit": self.limit,
            "max_per_night": self.max_per_night,
            "merged": self.merged,
            "closed": self.closed,
            "text": self.describe(),
        }


def from_json(data: Any) -> Quota | None:
    """A quota from its JSON (``Quota.to_json``), however it was edited; None if not one."""
    if not isinstance(data, Mapping) or not isinstance(data.get("recipe"), str):
        return None
    numbers = [data.get(k) for k in ("max_per_night", "merged", "closed")]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers):
        return None
    top, merged, closed = numbers
    return Quota(data["recipe"], top, merged, closed)


def of_recipe(recipe: str, max_per_night: int, pulls: Iterable[PullState]) -> Quota:
    """The recipe's quota from Nightcrew's PRs on GitHub (``RepoState.pulls``)."""
    decided = [
        p for p in pulls if p.recipe == recipe and (p.status == "merged" or p.ignores_finding)
    ]
    decided.sort(key=lambda p: (p.closed_at or "", p.number), reverse=True)
    latest = decided[:WINDOW]
    merged = sum(1 for p in latest if p.status == "merged")
    return Quota(recipe, max_per_night, merged, len(latest) - merged)
