"""Adapter: what a new PR gets besides its body — labels (made when missing), reviewers, assignees.

The PR stands without them, so a failure is a note on the PR's action, never an error; a
rate limit stops the rest and is handed back for the publisher to stop on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.github.api import ApiError, RepoApi

LABEL_COLOR = "5319e7"
LABEL_DESCRIPTION = "Proposed by Nightcrew"


class Decorations:
    def __init__(
        self,
        repo: RepoApi,
        labels: Sequence[str] = (),
        reviewers: Sequence[str] = (),
        assignees: Sequence[str] = (),
    ) -> None:
        self.repo = repo
        self.labels = tuple(labels)
        self.reviewers = tuple(reviewers)
        self.assignees = tuple(assignees)
        self._known_labels: set[str] | None = None

    def apply(self, number: int, recipe_labels: Sequence[str]) -> tuple[list[str], ApiError | None]:
        """What could not be set, and the rate limit that stopped the rest (or None)."""
        problems = []
        labels = list(dict.fromkeys([*self.labels, *recipe_labels]))
        steps: list[tuple[str, Sequence[str], Callable[[], None]]] = [
            ("labels", labels, lambda: self._add_labels(number, labels)),
            (
                "reviewers",
                self.reviewers,
                lambda: self.repo.request_reviewers(number, self.reviewers),
            ),
            ("assignees", self.assignees, lambda: self.repo.add_assignees(number, self.assignees)),
        ]
        for name, wanted, step in steps:
            if not wanted:
                continue
            try:
                step()
            except ApiError as exc:
                problems.append(f"{name} not set: {exc}")
                if exc.rate_limited:
                    return problems, exc
        return problems, None

    def _add_labels(self, number: int, labels: list[str]) -> None:
        if self._known_labels is None:
            self._known_labels = self.repo.label_names()
        for name in labels:
            if name in self._known_labels:
                continue
            try:
                self.repo.create_label(name, LABEL_COLOR, LABEL_DESCRIPTION)
            except ApiError as exc:
                if not exc.already_exists:
                    raise
            self._known_labels.add(name)
        self.repo.add_labels(number, labels)
