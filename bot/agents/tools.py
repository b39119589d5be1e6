"""The agent's whole power: a few tools, confined to the recipe's scope inside one worktree.

Every path goes through :meth:`Workspace.resolve`: relative, no ``..``, not under ``.git``,
inside the recipe's scope, not protected (``bot.guard.DEFAULT_PROTECTED`` plus the config's
``protected``), and, once symlinks are resolved, still inside the worktree and still all
of the above. Edits never follow a symlink: a file is written by replacing it
(``bot.fix.fixers.replace_file``), never through a link, and so is every undo. There is no
shell, no network and no environment: ``run_checks`` runs the recipe's own verify commands
with secrets scrubbed, sandboxed, in a scratch copy of the worktree, so nothing that code
writes (files planted at import, a tracked file changed, a file swapped for a link) is
ever in the agent's worktree and so never in the fix: the fix holds the agent's own edits
only. Every refusal, and every failure of the filesystem on a path the model gave (a name
too long, say), is a tool error that says why; every input is validated against the
tool's schema first, so malformed input is an error for the model, never a crash.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from bot.agents import prompts
from bot.agents.untrusted import (
    clean_untrusted,
    data_block,
    hidden_characters,
    numbered,
    reveal_invisible,
)
from bot.errors import UserError
from bot.fix.fixers import LinkRefused, replace_file
from bot.globs import in_scope, matches
from bot.model import split_lines
from bot.sandbox.bwrap import NONE as NO_SANDBOX
from bot.sandbox.bwrap import Sandbox
from bot.sandbox.environment import test_env
from bot.verify.runs import run_command
from bot.verify.suite import is_pytest, parse_test_command, resolve_python, with_junit

MAX_READ_LINES = 400
MAX_SEARCH_HITS = 60
MAX_SEARCH_FILE_BYTES = 1_000_000
MAX_PATTERN_LENGTH = 300
MAX_CHECK_RUNS = 3
CHECK_OUTPUT_LINES = 40
CHECK_OUTPUT_CHARS = 4000
MAX_FINAL_TEXT = 2000

FIX_TOOLS = ("read_file", "search", "edit_file", "run_checks", "finish", "give_up")
FIND_TOOLS = ("read_file", "search", "report_finding", "finish", "give_up")


class ToolError(Exception):
    """A refused or failed tool call; its message goes back to the model."""


@dataclass(frozen=True)
class ToolResult:
    text: str
    is_error: bool = False
    final: str | None = None  # "finished" or "gave_up": the agent is done


class Workspace:
    """One worktree as an agent may see it: the recipe's scope minus protected paths."""

    def __init__(
        self,
        tree: Path,
        include: Sequence[str],
        exclude: Sequence[str],
        protected: Sequence[str],
    ) -> None:
        self.tree = tree
        self.root = tree.resolve()
        self.include, self.exclude, self.protected = tuple(include), tuple(exclude), protected

    def _allowed(self, rel: str) -> None:
        if rel == ".git" or rel.startswith(".git/"):
            raise ToolError(f"{rel}: git's own files are not part of the repository's code")
        if matches(rel, self.protected):
            raise ToolError(
                f"{rel} is a protected path (CI, dependencies, configuration or Nightcrew's "
                "own files): no agent may read or change it"
            )
        if not in_scope(rel, self.include, self.exclude):
            raise ToolError(
                f"{rel} is outside this recipe's scope (include: {', '.join(self.include)}; "
                f"exclude: {', '.join(self.exclude) or 'nothing'})"
            )

    def resolve(self, raw: object, *, write: bool = False) -> str:
        """The repo-relative path of an existing, allowed, regular file, or ToolError."""
        rel = relative_path(raw)
        self._allowed(rel)
        try:
            return self._resolved(rel, write)
        except OSError as exc:  # a name too long, a loop of links...: the model's to fix
            raise ToolError(f"{rel}: {exc.strerror or exc}") from None

    def _resolved(self, rel: str, write: bool) -> str:
        real = Path(os.path.realpath(self.tree / rel))
        if not real.is_relative_to(self.root):
            raise ToolError(f"{rel} is a symlink that leads outside the repository: refused")
        real_rel = real.relative_to(self.root).as_posix()
        if real_rel != rel:
            self._allowed(real_rel)
            if write:
                raise ToolError(f"{rel} is a symlink (to {real_rel}); agents edit only real files")
        if not real.is_file():
            raise ToolError(f"{rel}: no such file")
        return rel

    def files(self) -> list[str]:
        """Every allowed regular file, sorted (symlinks and .git skipped)."""
        found = []
        for dirpath, dirnames, filenames in os.walk(self.tree):
            dirnames[:] = sorted(d for d in dirnames if d != ".git")
            base = Path(dirpath)
            for name in filenames:
                full = base / name
                rel = full.relative_to(self.tree).as_posix()
                if full.is_symlink() or not full.is_file():
                    continue
                if in_scope(rel, self.include, self.exclude) and not matches(rel, self.protected):
                    found.append(rel)
        return sorted(found)

    def read_text(self, rel: str) -> str:
        try:
            return (self.tree / rel).read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise ToolError(f"{rel} is not UTF-8 text") from None
        except OSError as exc:
            raise ToolError(f"{rel}: cannot read it ({exc.strerror})") from None


def relative_path(raw: object) -> str:
    """A model's path as a plain relative POSIX path (no ``..``, not absolute), or ToolError."""
    if not isinstance(raw, str) or not raw.strip():
        raise ToolError("path must be a non-empty string, relative to the repository root")
    path = raw.strip()
    if "\x00" in path or "\\" in path:
        raise ToolError(f"{path!r}: use a plain relative path with '/' separators")
    if path.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", path):
        raise ToolError(
            f"{path}: absolute paths are refused; give a path relative to the repository root"
        )
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ToolError(f"{path}: '..' is refused; paths stay inside the repository")
    if not parts:
        raise ToolError(f"{path!r} names no file")
    return "/".join(parts)


@dataclass(frozen=True)
class Checks:
    """What ``run_checks`` runs: the recipe's verify commands in the agent's worktree."""

    commands: tuple[str, ...]
    env: Mapping[str, str]
    timeout: Callable[[], float]  # seconds this run may take (the agent's remaining time)
    python: str = sys.executable
    sandbox: Sandbox = NO_SANDBOX  # where the edited code runs


@dataclass(frozen=True)
class Reported:
    """What a finder agent reported."""

    path: str
    line: int
    summary: str
    rationale: str


@dataclass
class Toolbox:
    """The tools of one agent; it records what the agent changed or reported."""

    workspace: Workspace
    names: tuple[str, ...]
    checks: Checks | None = None
    report_paths: frozenset[str] = frozenset()  # where a finder may report
    max_findings: int = 0
    originals: dict[str, bytes] = field(default_factory=dict)  # edited path -> bytes before
    reported: list[Reported] = field(default_factory=list)
    check_runs: int = 0

    def schemas(self) -> list[dict[str, Any]]:
        """Tool definitions for the Messages API, in a fixed order (a stable cache prefix)."""
        return [
            {"name": n, "description": prompts.TOOLS[n][0], "input_schema": prompts.TOOLS[n][1]}
            for n in self.names
        ]

    def call(self, name: str, raw_input: object) -> ToolResult:
        """Run one tool call; every problem is a ToolResult with ``is_error``."""
        if name not in self.names:
            return ToolResult(
                f"unknown tool {name!r}; the tools are: {', '.join(self.names)}", True
            )
        if not isinstance(raw_input, dict):
            return ToolResult(f"invalid input for {name}: expected a JSON object", True)
        errors = sorted(
            Draft202012Validator(prompts.TOOLS[name][1]).iter_errors(raw_input), key=str
        )
        if errors:
            where = ".".join(str(p) for p in errors[0].absolute_path)
            return ToolResult(
                f"invalid input for {name}: {where + ': ' if where else ''}{errors[0].message}",
                True,
            )
        try:
            return getattr(self, f"_{name}")(**raw_input)
        except ToolError as exc:
            return ToolResult(str(exc), True)
        except OSError as exc:  # never the worktree's absolute path: only what went wrong
            return ToolResult(f"{name} failed: {exc.strerror or type(exc).__name__}", True)

    def revert(self) -> list[str]:
        """Put every edited file back as it was (an unaccepted agent leaves nothing behind).

        Each file is replaced, never written through: a path that became a link (or lies
        under one) is left as it is, and returned; its worktree is discarded anyway.
        """
        left = []
        for rel, raw in self.originals.items():
            try:
                replace_file(self.workspace.tree, rel, raw)
            except (LinkRefused, OSError):
                left.append(rel)
        self.originals.clear()
        return left

    # --- the tools ------------------------------------------------------------------------

    def _read_file(self, path: str, start_line: int = 1, end_line: int | None = None) -> ToolResult:
        rel = self.workspace.resolve(path)
        lines = self.workspace.read_text(rel).removeprefix("\ufeff").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        total = len(lines)
        if total == 0:
            return ToolResult(data_block(f"{rel} (an empty file)", ""))
        last = min(total, end_line or total, start_line + MAX_READ_LINES - 1)
        if start_line > max(total, 1) or last < start_line:
            raise ToolError(f"{rel} has {total} lines: lines {start_line}-{end_line} are not there")
        shown = numbered("\n".join(lines[start_line - 1 : last]), start_line)
        note = f" (more: up to line {total})" if last < total else ""
        return ToolResult(data_block(f"{rel} lines {start_line}-{last} of {total}{note}", shown))

    def _search(self, pattern: str, glob: str = "**") -> ToolResult:
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise ToolError(f"pattern is longer than {MAX_PATTERN_LENGTH} characters")
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise ToolError(f"invalid regular expression: {exc}") from None
        hits: list[str] = []
        for rel in self.workspace.files():
            if not matches(rel, [glob]):
                continue
            full = self.workspace.tree / rel
            try:
                if full.stat().st_size > MAX_SEARCH_FILE_BYTES:
                    continue
                text = full.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if regex.search(line):
                    hits.append(f"{rel}:{number}: {line.strip()[:200]}")
                    if len(hits) > MAX_SEARCH_HITS:
                        break
            if len(hits) > MAX_SEARCH_HITS:
                break
        more = f"\n(stopped after {MAX_SEARCH_HITS} matches)" if len(hits) > MAX_SEARCH_HITS else ""
        found = "\n".join(hits[:MAX_SEARCH_HITS]) or "no matches in scope"
        return ToolResult(
            data_block(f"search {pattern!r} in {glob}", reveal_invisible(found) + more)
        )

    def _edit_file(self, path: str, old_text: str, new_text: str) -> ToolResult:
        rel = self.workspace.resolve(path, write=True)
        if not old_text:
            raise ToolError("old_text is empty: give the exact text to replace")
        if old_text == new_text:
            raise ToolError("old_text and new_text are the same: nothing would change")
        added = set(hidden_characters(new_text)) - set(hidden_characters(old_text))
        if added:
            raise ToolError(
                f"new_text contains hidden or control characters ({', '.join(sorted(added))}): "
                "refused"
            )
        raw = (self.workspace.tree / rel).read_bytes()
        text = self.workspace.read_text(rel)
        if "\r\n" in text and "\r\n" not in old_text and old_text.replace("\n", "\r\n") in text:
            old_text, new_text = old_text.replace("\n", "\r\n"), new_text.replace("\n", "\r\n")
        count = text.count(old_text)
        if count == 0:
            raise ToolError(
                f"old_text was not found in {rel}; read the file again and copy the text "
                "exactly (whitespace included, without the line-number prefixes)"
            )
        if count > 1:
            raise ToolError(
                f"old_text occurs {count} times in {rel}; include more surrounding lines so "
                "it matches exactly once"
            )
        start = text[: text.index(old_text)].count("\n") + 1
        try:
            replace_file(self.workspace.tree, rel, text.replace(old_text, new_text).encode())
        except LinkRefused as exc:
            raise ToolError(f"{exc}; agents edit only real files") from None
        self.originals.setdefault(rel, raw)
        removed, added_lines = old_text.count("\n") + 1, new_text.count("\n") + 1
        return ToolResult(
            f"edited {rel}: {removed} line(s) from line {start} replaced by {added_lines}"
        )

    def _run_checks(self) -> ToolResult:
        if self.checks is None or not self.checks.commands:
            raise ToolError("this recipe has no checks to run; the engine verifies after finish")
        if self.check_runs >= MAX_CHECK_RUNS:
            raise ToolError(
                f"run_checks may run {MAX_CHECK_RUNS} times per agent; the engine verifies "
                "your change after finish"
            )
        self.check_runs += 1
        # The code runs in a copy: what it writes, at import or later, is thrown away with
        # it, and the agent's worktree (from which the fix is taken) only ever holds what
        # the tools wrote. Sandboxed, the worktree itself is read-only to that code.
        with tempfile.TemporaryDirectory(
            prefix="nightcrew-checks-", ignore_cleanup_errors=True
        ) as scratch:
            copy = Path(scratch) / "tree"
            try:
                shutil.copytree(self.workspace.tree, copy, symlinks=True, ignore=_git_folder)
            except (shutil.Error, OSError) as exc:
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "copy failed"
                raise ToolError(f"cannot copy the worktree to run the checks in: {why}") from None
            reports = [
                self._run_one(command, copy, Path(scratch)) for command in self.checks.commands
            ]
        return ToolResult("\n\n".join(reports) + "\n\n" + prompts.CHECKS_ARE_ADVICE)

    def _run_one(self, command: str, copy: Path, scratch: Path) -> str:
        checks = self.checks
        assert checks is not None
        try:
            argv = parse_test_command(command)
        except UserError as exc:
            return f"`{command}`: cannot run it: {exc.message}"
        timeout = max(1.0, checks.timeout())
        if is_pytest(argv):  # the report goes beside the copy, not into it
            argv = with_junit(argv, scratch / f"junit-{secrets.token_hex(4)}.xml")
        argv = resolve_python(argv, checks.python)
        env = test_env(checks.env, copy, checks.python)
        result = run_command(argv, copy, env, timeout, sandbox=checks.sandbox, writable=[scratch])
        if result.not_found:
            verdict = "not found"
        elif result.timed_out:
            verdict = f"timed out after {timeout:.0f}s"
        else:
            verdict = "passed" if result.returncode == 0 else f"failed (exit {result.returncode})"
        # Paths in the output name the worktree the agent edits, not the copy.
        output = result.output_tail.replace(str(copy), str(self.workspace.tree))
        tail = "\n".join(output.splitlines()[-CHECK_OUTPUT_LINES:])
        tail = tail[-CHECK_OUTPUT_CHARS:]
        return f"`{command}`: {verdict} in {result.duration:.1f}s\n" + data_block(
            f"output of `{command}` (last lines)", reveal_invisible(tail)
        )

    def _report_finding(self, path: str, line: int, summary: str, rationale: str) -> ToolResult:
        rel = self.workspace.resolve(path)
        if rel not in self.report_paths:
            raise ToolError(
                f"{rel} is not one of the files given to you; report only in: "
                f"{', '.join(sorted(self.report_paths))}"
            )
        total = len(split_lines(self.workspace.read_text(rel)))
        if not 1 <= line <= total:
            raise ToolError(f"{rel} has {total} lines: line {line} is not there")
        if any(r.path == rel and r.line == line for r in self.reported):
            raise ToolError(f"{rel}:{line} is already reported")
        if len(self.reported) >= self.max_findings:
            raise ToolError(
                f"the limit of {self.max_findings} finding(s) is reached: call finish now"
            )
        summary = clean_untrusted(summary)[:200]
        self.reported.append(Reported(rel, line, summary, clean_untrusted(rationale)[:1000]))
        return ToolResult(f"reported {rel}:{line} ({len(self.reported)}/{self.max_findings})")

    def _finish(self, summary: str) -> ToolResult:
        return ToolResult(clean_untrusted(summary)[:MAX_FINAL_TEXT], final="finished")

    def _give_up(self, reason: str) -> ToolResult:
        return ToolResult(clean_untrusted(reason)[:MAX_FINAL_TEXT], final="gave_up")


def _git_folder(folder: str, names: list[str]) -> list[str]:
    """A worktree's ``.git`` is a file naming its git folder (copied); a whole one is not."""
    return [n for n in names if n == ".git" and os.path.isdir(os.path.join(folder, n))]
