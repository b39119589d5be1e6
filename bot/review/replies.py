"""What the bot says: reply comments, their hidden markers, and the ``explain`` text. Pure.

Every reply carries a hidden marker listing the commands it answered (``handled``): a key
per command made of where it came from (comment or review id) and a digest of its line.
Before acting, the bot reads the PR's comments; a command whose key is already there has
been answered, so a redelivered or edited comment never runs the same command twice,
while a new command added by an edit still runs. All text goes through
``pr_text.comment_body``: mentions neutralised, marker look-alikes defused, size capped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.dashboard import markers
from bot.publish import pr_text
from bot.recipes.explanations import explanation
from bot.recipes.model import Recipe

WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})
_EVIDENCE_HEAD = "Verified by Nightcrew:"
_WHERE = re.compile(r"\((?P<rule>[^()\s]+)\) at (?P<path>.+):(?P<line>\d+)\.$", re.M)


@dataclass
class Outcome:
    """What one command did: the answer, whether it succeeded, markers to leave."""

    text: str
    ok: bool = True
    notices: list[str] = field(default_factory=list)


def command_key(source: str, line: str) -> str:
    """``c123:1a2b3c4d``: a command line of comment 123 (``r`` for a review)."""
    kind, _, number = source.partition(" ")
    digest = hashlib.sha256(" ".join(line.split()).lower().encode("utf-8")).hexdigest()[:8]
    return f"{kind[:1]}{number}:{digest}"


def handled_marker(keys: Iterable[str]) -> str:
    return markers.encode({"handled": " ".join(keys)})


def handled_keys(texts: Iterable[str]) -> set[str]:
    """Every command key recorded in these comment bodies."""
    keys: set[str] = set()
    for text in texts:
        for fields in markers.decode_all(text):
            keys.update(fields.get("handled", "").split())
    return keys


def latest_notice(texts: Sequence[str], kinds: Iterable[str], fingerprint: str) -> str | None:
    """The kind of the last notice among ``kinds`` about this finding, in comment order."""
    wanted = set(kinds)
    latest = None
    for text in texts:
        for fields in markers.decode_all(text):
            if fields.get("notice") in wanted and fields.get("fingerprint") == fingerprint:
                latest = fields["notice"]
    return latest


def reply(answers: Sequence[tuple[str, Outcome]], keys: Iterable[str]) -> str:
    """One comment answering every command of a comment or review, with its markers."""
    parts = []
    for line, outcome in answers:
        quoted = f"> {pr_text.code(line)}\n\n" if line else ""
        parts.append(quoted + outcome.text.strip())
    notices = [handled_marker(keys)] + [n for _, o in answers for n in o.notices]
    return pr_text.comment_body("\n\n---\n\n".join(parts), notice="\n".join(notices))


def unauthorised(login: str, permission: str, repository: str) -> str:
    have = f"has {permission} access" if permission not in ("", "none") else "has no access"
    return (
        f"Sorry, {login} {have} to {repository}: only people with write access "
        "(write, maintain or admin) can steer Nightcrew. Ask one of them to comment the "
        "command instead."
    )


def not_understood(problems: Sequence[tuple[str, str]], help_text: str) -> str:
    lines = [f"- {pr_text.code(line)}: {problem}" for line, problem in problems]
    return "I did not understand:\n\n" + "\n".join(lines) + "\n\n" + help_text


def closed_notice(fingerprint: str, number: int) -> tuple[str, str]:
    """The comment on a PR closed without merging, and its marker."""
    text = (
        "Closed without merging, so Nightcrew will not propose this finding again. "
        f"To undo this, reopen #{number} or comment `/nightcrew unignore` here."
    )
    return text, markers.notice("ignored", fingerprint)


def reopened_notice(fingerprint: str) -> tuple[str, str]:
    text = (
        "Reopened: this finding is no longer ignored, and Nightcrew keeps this PR up to date again."
    )
    return text, markers.notice("unignored", fingerprint)


def notice_comment(text: str, marker: str) -> str:
    return pr_text.comment_body(text, notice=marker)


@dataclass(frozen=True)
class FixRecord:
    """What a Nightcrew commit message says about its fix (see ``messages.commit_message``)."""

    summary: str = ""  # "<message> (<rule>) at <path>:<line>."
    change: str = ""  # "Change: ..."
    evidence: tuple[str, ...] = ()
    rule: str = ""
    path: str = ""
    line: int = 0


def read_commit(message: str) -> FixRecord:
    """The finding and the verification record of a Nightcrew commit message."""
    lines = message.splitlines()
    where = _WHERE.search(message)
    evidence: list[str] = []
    if _EVIDENCE_HEAD in lines:
        for line in lines[lines.index(_EVIDENCE_HEAD) + 1 :]:
            if not line.startswith("- "):
                break
            evidence.append(line[2:])
    summary = next((line for line in lines[1:] if _WHERE.search(line)), "")
    change = next((line for line in lines if line.startswith("Change: ")), "")
    return FixRecord(
        summary=summary,
        change=change.removeprefix("Change: "),
        evidence=tuple(evidence),
        rule=where.group("rule") if where else "",
        path=where.group("path") if where else "",
        line=int(where.group("line")) if where else 0,
    )


def explain(
    recipe: Recipe | None,
    recipe_id: str,
    record: FixRecord,
    base: str,
    foreign: Sequence[str] = (),
) -> str:
    """Why the change is worthwhile (its rule, its recipe) and why it is safe (the record)."""
    parts = []
    what = pr_text.clean(record.summary) if record.summary else "(the commit does not say)"
    if record.change:
        what += f" Change: {pr_text.clean(record.change)}"
    parts.append(f"**What changed.** {what}")
    reason = explanation(record.rule) if record.rule else None
    if recipe is not None:
        why = pr_text.clean(recipe.description.strip()) or pr_text.clean(recipe.title)
        lead = f"{pr_text.clean(reason)} " if reason else ""
        parts.append(
            f"**Why it is worthwhile.** {lead}From recipe {pr_text.code(recipe.id)} "
            f"(version {recipe.version}, {pr_text.clean(recipe.title)}):\n\n{why}"
        )
    else:
        parts.append(
            f"**Why it is worthwhile.** Recipe {pr_text.code(recipe_id)} is no longer in this "
            "repository's recipes, so its description cannot be shown."
            + (f" {pr_text.clean(reason)}" if reason else "")
        )
    safe = [
        f"**Why it is safe.** Nightcrew made this one change alone, on {pr_text.code(base[:10])}, "
        "and kept it only because every check passed: the diff guard (only files in the "
        "recipe's scope, no protected paths such as CI config, a small diff, no test "
        "deleted, skipped or loosened), the code compiles, ruff reports nothing new, and "
        "your tests show no new failures compared with the base commit."
    ]
    if record.evidence:
        safe.append("The verification record:\n\n" + "\n".join(
            f"- {pr_text.clean(line)}" for line in record.evidence
        ))  # fmt: skip
    if foreign:
        safe.append(
            "Commits by others are on this branch too ("
            + ", ".join(pr_text.code(s[:10]) for s in foreign)
            + "); Nightcrew did not verify them."
        )
    parts.append("\n\n".join(safe))
    parts.append(
        "Comment `/nightcrew ignore` to close this and never see it again, or "
        "`/nightcrew revise <what to change>` to have it changed."
    )
    return "\n\n".join(parts)
