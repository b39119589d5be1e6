"""How a finding's fix is made in its worktree: a Fixer, and the one way fixes write files.

Deterministic findings carry their edits (ruff's, or a detector's codemod); applying them
is all the EditFixer does. Agent fixers (recipes with ``fix.agent``) edit the worktree
through their confined tools instead. Either way, what the fixer leaves in the worktree
then goes through the same guard and verification.

Every write goes through :func:`replace_file`, which never follows a symlink: a committed
link (``pkg/ext.py -> /somewhere/outside.py``, or into the user's own checkout) or one
that code under test planted would otherwise have the fix written to its target.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bot.model import EditError, Finding, apply_edits
from bot.recipes.model import Recipe


@dataclass(frozen=True)
class FixOutcome:
    ok: bool
    reason: str = ""  # why not, when not ok
    summary: str = ""  # what the fixer says it did (agents), for the commit and PR
    costs: dict[str, float] = field(default_factory=dict)  # tokens, dollars, turns


class Fixer(Protocol):
    def apply(self, recipe: Recipe, finding: Finding, tree: Path) -> FixOutcome: ...


class LinkRefused(Exception):
    """A path to write (or a folder on the way to it) is a symlink."""

    def __init__(self, path: str, link: str) -> None:
        where = f"{path} is a symlink" if link == path else f"{path} is inside {link}, a symlink"
        super().__init__(f"{where}: Nightcrew does not write through links")
        self.path, self.link = path, link


def linked_part(tree: Path, rel: str) -> str | None:
    """The first of ``rel``'s parts (``a``, ``a/b``, ...) that is a symlink in ``tree``, or None."""
    parts = [p for p in rel.split("/") if p]
    for end in range(1, len(parts) + 1):
        part = "/".join(parts[:end])
        try:
            if (tree / part).is_symlink():
                return part
        except OSError:
            return None  # a name too long, a file in the way: not a link, the write fails
    return None


def replace_file(tree: Path, rel: str, data: bytes) -> None:
    """Write ``data`` as ``tree/rel`` (a relative POSIX path) without following any symlink.

    Each folder is opened with ``O_NOFOLLOW`` from the tree's root down, so a link swapped
    in at any depth, even between a check and the write, fails the write instead of
    redirecting it. The new content goes to a fresh file (``O_EXCL | O_NOFOLLOW``) that then
    replaces the path (``os.replace``), which swaps the name and never opens the old file.
    The old file's permission bits are kept. Raises LinkRefused, or OSError.
    """
    parts = [p for p in rel.split("/") if p]
    linked = linked_part(tree, rel)
    if linked is not None:
        raise LinkRefused(rel, linked)
    folder = os.open(tree, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for index, name in enumerate(parts[:-1]):
            try:
                inner = os.open(
                    name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder
                )
            except OSError:
                if os.path.islink(tree.joinpath(*parts[: index + 1])):
                    raise LinkRefused(rel, "/".join(parts[: index + 1])) from None
                raise
            os.close(folder)
            folder = inner
        _replace_in(folder, parts[-1], data, rel)
    finally:
        os.close(folder)


def _replace_in(folder: int, name: str, data: bytes, rel: str) -> None:
    try:
        old = os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        old = None
    if old is not None and stat.S_ISLNK(old.st_mode):
        raise LinkRefused(rel, rel)
    mode = stat.S_IMODE(old.st_mode) if old is not None else 0o644
    temp = f".nightcrew-{secrets.token_hex(8)}.tmp"  # short: the real name may be 255 long
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temp, flags, 0o600, dir_fd=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            os.fchmod(out.fileno(), mode)
        os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=folder)
        raise


def apply_to_bytes(raw: bytes, finding: Finding) -> bytes:
    """Apply the finding's edits to a file's bytes, keeping its newlines and its BOM.

    Ruff's columns (and so every finding's) do not count a byte order mark.
    """
    text = raw.decode("utf-8")
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    return (bom + apply_edits(text.removeprefix(bom), finding.edits)).encode("utf-8")


class EditFixer:
    """Apply the edits the finder attached to the finding."""

    def apply(self, recipe: Recipe, finding: Finding, tree: Path) -> FixOutcome:
        del recipe
        if not finding.edits:
            return FixOutcome(False, "no automatic fix is available for this finding")
        linked = linked_part(tree, finding.path)
        if linked is not None:  # before reading too: the target is not the repository's
            return FixOutcome(False, str(LinkRefused(finding.path, linked)))
        try:
            new = apply_to_bytes((tree / finding.path).read_bytes(), finding)
            replace_file(tree, finding.path, new)
        except LinkRefused as exc:
            return FixOutcome(False, str(exc))
        except (EditError, UnicodeDecodeError, OSError) as exc:
            return FixOutcome(False, f"the fix does not apply to {finding.path}: {exc}")
        return FixOutcome(True)
