"""Adapter: the night's memory of rejected fixes: consulted before each finding, updated after.

``Memory`` holds the rejections known when the night starts (``rejections.json`` in the
report folder locally, the dashboard's rules block on GitHub) and reads tonight's keys with
git (``bot.publish.rejections`` says what they are). ``RememberingPublisher`` asks it before
the publisher it wraps, so a finding whose fix the tests rejected is skipped as "rejected
earlier" whatever ``--recipe`` or ``--all`` chose. After the night ``learn`` writes into
the report what made tonight skip a finding, what to remember and what to forget; locally
the file is rewritten (atomically: its own file, apart from report.json and patches/, which
a night may clear), and on GitHub ``bot.dashboard.board.record_night`` applies the report's
changes to the dashboard. ``nightcrew run --retry-rejected`` (``retry``) tries them all again.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import git

from bot.config import RepoConfig
from bot.model import Finding
from bot.publish.local import LocalPublisher
from bot.publish.proposal import NotPublished, Proposal, Published, Publisher
from bot.publish.rejections import (
    Rejection,
    apply_changes,
    clip,
    read_list,
    rejected_by_tests,
    skip_reason,
    tests_key,
    touched_code,
    why_retry,
)
from bot.recipes.model import Recipe
from bot.report.document import NightReport
from bot.report.results import NoteKind, Reason, Status

REJECTIONS_FILE = "rejections.json"
VERSION = 1
GITHUB_HINT = (
    "to try one again sooner, remove its entry from `rejections` in the dashboard's rules block"
)


class Memory:
    """The rejections known tonight, and what the night adds to them and takes from them."""

    def __init__(
        self,
        repo: git.Repo,
        base_sha: str,
        known: Iterable[Rejection],
        *,
        forget_after_days: float,
        now: datetime,
        test_command: str | None = None,
        retry: bool = False,
        hint: str = "",
        problems: Sequence[str] = (),
    ) -> None:
        self.repo, self.base_sha = repo, base_sha
        self.known = {r.fingerprint: r for r in known}
        self.forget_after_days = forget_after_days
        self.now, self.test_command, self.retry = now, test_command, retry
        self.hint = hint  # how a maintainer tries them again, for the report's note
        self.problems = list(problems)  # reading the known rejections
        self.recalled: dict[str, Rejection] = {}  # fingerprint -> what skipped it tonight
        self.retried: Counter[str] = Counter()  # why_retry's answers
        self._texts: dict[str, str] = {}
        self._tests: str | None = None
        self._lock = threading.Lock()

    def recall(self, finding: Finding) -> Rejection | None:
        """The rejection that makes tonight skip ``finding``, or None to try it."""
        rejection = self.known.get(finding.fingerprint)
        if rejection is None or self.retry:
            return None
        with self._lock:
            code = self._code(finding)[1]
            why = why_retry(rejection, code, self._tests_key(), self.now, self.forget_after_days)
            if why is not None:
                self.retried[why] += 1
                return None
            self.recalled[finding.fingerprint] = rejection
        return rejection

    def learn(self, report: NightReport) -> list[Rejection]:
        """Put tonight's changes in ``report``; return the rejections to keep."""
        forgotten = {
            fp for fp, r in self.known.items() if r.age_days(self.now) >= self.forget_after_days
        }
        remembered: list[Rejection] = []
        with self._lock:
            for result in report.fixes:
                fingerprint = result.finding.fingerprint
                if result.status is not Status.SKIPPED and fingerprint in self.known:
                    forgotten.add(fingerprint)  # tried tonight: tonight's verdict counts
                if rejected_by_tests(result):
                    unit, code = self._code(result.finding)
                    f = result.finding
                    remembered.append(
                        Rejection(f.fingerprint, f.recipe, f.rule, f.path, f.start_line,
                                  clip(result.reason), self.base_sha, report.started_at, code,
                                  self._tests_key(), unit)
                    )  # fmt: skip
        renewed = {r.fingerprint for r in remembered}
        report.rejected_earlier = [r.to_json() for r in self.recalled.values()]
        report.rejections_remembered = [r.to_json() for r in remembered]
        report.rejections_forgotten = sorted(forgotten - renewed)
        self._say(report, len(remembered))
        return apply_changes(self.known.values(), remembered, forgotten)

    def _say(self, report: NightReport, learnt: int) -> None:
        for problem in self.problems:
            report.note(NoteKind.REJECTED_EARLIER, problem)
        days = f"{self.forget_after_days:g}"
        if self.recalled:
            report.note(
                NoteKind.REJECTED_EARLIER,
                f"{len(self.recalled)} finding(s) not tried: the tests rejected their fixes on "
                "an earlier night, and neither the code they touch nor the tests have changed "
                f"since (nor have {days} days passed); {self.hint}",
            )
        if self.retried:
            why = {
                "age": f"the rejection is {days} days old",
                "tests": "the tests changed",
                "code": "the code they touch changed",
            }
            parts = ", ".join(f"{n} as {why[k]}" for k, n in sorted(self.retried.items()))
            report.note(
                NoteKind.REJECTED_EARLIER,
                f"{self.retried.total()} finding(s) rejected earlier tried again: {parts}",
            )
        if learnt:
            report.note(
                NoteKind.REJECTED_EARLIER,
                f"{learnt} fix(es) rejected by the tests remembered: later nights skip them "
                f"until the code they touch or the tests change, or {days} days pass",
            )

    # The keys, read at tonight's base.

    def _code(self, finding: Finding) -> tuple[str, str]:
        return touched_code(self._text(finding.path), finding.start_line, finding.end_line)

    def _text(self, path: str) -> str:
        if path not in self._texts:
            try:
                blob = self.repo.commit(self.base_sha).tree / path
                self._texts[path] = blob.data_stream.read().decode("utf-8", errors="replace")
            except (KeyError, ValueError):
                self._texts[path] = ""
        return self._texts[path]

    def _tests_key(self) -> str:
        if self._tests is None:
            listing = self.repo.git.ls_tree("-r", "-z", "--full-tree", self.base_sha)
            blobs = []
            for entry in listing.split("\0"):
                meta, tab, path = entry.partition("\t")
                if tab:
                    blobs.append((path, meta.rsplit(" ", 1)[-1]))
            self._tests = tests_key(blobs, self.test_command)
        return self._tests


class RememberingPublisher:
    """A Publisher that skips what the tests rejected earlier, then asks the one it wraps."""

    def __init__(
        self,
        inner: Publisher,
        memory: Memory,
        save: Callable[[list[Rejection]], None] | None = None,
    ) -> None:
        self.inner, self.memory, self.save = inner, memory, save
        self.name = inner.name

    def prior(self, recipe: Recipe, finding: Finding, branch: str) -> NotPublished | None:
        rejection = self.memory.recall(finding)
        if rejection is not None:
            reason = skip_reason(rejection, self.memory.forget_after_days)
            return NotPublished(reason, kind=Reason.REJECTED_EARLIER)
        return self.inner.prior(recipe, finding, branch)

    def publish(self, proposal: Proposal) -> Published | NotPublished:
        return self.inner.publish(proposal)

    def finish(self, report: NightReport) -> None:
        kept = self.memory.learn(report)
        if self.save is not None:
            try:
                self.save(kept)
            except OSError as exc:
                report.note(
                    NoteKind.REJECTED_EARLIER, f"the rejected fixes could not be remembered: {exc}"
                )
        self.inner.finish(report)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # the wrapped publisher's repo, actions, ...


# --- locally: a file in the report folder -------------------------------------------------------


def remembering(
    inner: Publisher,
    repo: git.Repo,
    base_sha: str,
    config: RepoConfig,
    known: Iterable[Rejection],
    now: datetime,
    *,
    hint: str,
    retry: bool = False,
    problems: Sequence[str] = (),
    save: Callable[[list[Rejection]], None] | None = None,
) -> RememberingPublisher:
    """``inner``, skipping the ``known`` rejections that still hold tonight."""
    memory = Memory(
        repo,
        base_sha,
        known,
        forget_after_days=config.forget_rejections_after_days,
        now=now,
        test_command=config.test_command,
        retry=retry,
        hint=hint,
        problems=problems,
    )
    return RememberingPublisher(inner, memory, save)


def local(
    repo: git.Repo,
    out: Path,
    base_sha: str,
    config: RepoConfig,
    now: datetime,
    *,
    retry: bool = False,
) -> RememberingPublisher:
    """The local publisher, remembering rejections in ``out/rejections.json``."""
    path = out / REJECTIONS_FILE
    known, problems = load_file(path)
    hint = f"`nightcrew run --retry-rejected` tries them again (or delete {path})"
    return remembering(
        LocalPublisher(repo, out), repo, base_sha, config, known, now,
        hint=hint, retry=retry, problems=problems, save=lambda kept: save_file(path, kept),
    )  # fmt: skip


def load_file(path: Path) -> tuple[list[Rejection], list[str]]:
    """The rejections in ``path`` (none when it is missing), and what could not be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], []
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"{path} cannot be read ({exc}); rejected fixes are tried again"]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [f"{path} is not JSON ({exc}); rejected fixes are tried again"]
    if not isinstance(data, dict):
        return [], [f"{path} is not a JSON object; rejected fixes are tried again"]
    found, problems = read_list(data.get("rejections"))
    return found, [f"{path}: {p}" for p in problems]


def save_file(path: Path, rejections: Sequence[Rejection]) -> None:
    """Write the rejections to ``path`` atomically (a new file, renamed over the old one)."""
    if not rejections and not path.exists():
        return
    data = {"version": VERSION, "rejections": [r.to_json() for r in rejections]}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".rejections-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
