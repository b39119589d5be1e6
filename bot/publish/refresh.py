"""Which open PRs a night rebuilds, and why; the rest are left alone (adapter: git).

An open PR that only Nightcrew has pushed to is rebuilt on tonight's base (verified again,
then force-pushed, which runs its CI again) only when

- its verification is older than ``pr.reverify_after_days``: the age of its head commit,
  which Nightcrew makes the moment the fix's verification passes (the commit is checked to
  be Nightcrew's, by author, committer and trailer, before anything here is asked); or
- its change no longer applies cleanly on tonight's base, as git itself tells: a three-way
  apply of the PR's diff (its first commit's parent to its head) onto tonight's base, in a
  private index.

Anything else is left alone, untouched: no push, so no CI run. A PR already built on
tonight's base is left alone whatever its age (nothing it was verified against changed).
When git cannot tell (the PR's commits could not be fetched), GitHub's own mergeability
decides, and a PR GitHub is still computing is left alone. ``/nightcrew rebase`` rebuilds
a PR whenever a reviewer asks (``bot.review.rebuild``), whatever this module would say.

The check never touches the user's checkout (its refs, index, working tree, shallow list):
it runs in a scratch bare repository that borrows the checkout's objects
(``objects/info/alternates``) and its shallow list, and fetches the PR's commits and their
parent into it (``--depth``) only when the checkout lacks them, as a shallow
actions/checkout does. The scratch repository is deleted afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import gitops
from bot.github.api import CommitInfo
from bot.github.push import auth_env, remote_url

GIT_TIMEOUT = 300.0


@dataclass(frozen=True)
class Verdict:
    """What tonight does with one open PR: ``why`` in a sentence, ``short`` for the summary."""

    rebuild: bool
    why: str = ""
    short: str = ""


ON_TONIGHTS_BASE = Verdict(False)  # built on tonight's base: nothing to say


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Refresh:
    """Judges the night's open PRs against one base: rebuild, or leave alone."""

    def __init__(
        self,
        workspace: Path,
        *,
        reverify_after_days: int,
        token: str | None = None,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.workspace = workspace
        self.reverify_after_days = reverify_after_days
        self._token = token
        self._now = now

    def verdict(
        self,
        branch: str,
        commits: Sequence[CommitInfo],
        base_sha: str,
        github_conflicts: Callable[[], bool | None],
    ) -> Verdict:
        """Rebuild the PR on ``branch`` (its ``commits``, oldest first) on ``base_sha``?

        ``github_conflicts`` asks GitHub, only when git cannot tell: True when GitHub says
        the PR conflicts, False or None (still computing) otherwise.
        """
        parent = commits[0].parents[0] if commits and commits[0].parents else None
        if parent == base_sha:
            return ON_TONIGHTS_BASE
        age = self.age(commits)
        if age is not None and age > timedelta(days=self.reverify_after_days):
            days = age // timedelta(days=1)
            return Verdict(
                True,
                f"its verification was {days} days old, more than pr.reverify_after_days "
                f"({self.reverify_after_days})",
                f"verified {days} days ago",
            )
        clean = None
        if parent is not None:
            clean = applies_cleanly(
                self.workspace,
                base_sha,
                parent,
                commits[-1].sha,
                branch=branch,
                depth=len(commits) + 1,
                token=self._token,
            )
        if clean is None:
            clean = not github_conflicts()
        if not clean:
            return Verdict(True, "it conflicted with the base branch", "conflicted")
        return Verdict(False, f"it still applies cleanly on {base_sha[:10]}")

    def age(self, commits: Sequence[CommitInfo]) -> timedelta | None:
        """How long ago the PR's head commit was made (its verification passed), or None."""
        made = commits[-1].committed_at if commits else None
        if made is None:
            return None
        if made.tzinfo is None:  # git dates always carry their zone; be safe all the same
            made = made.replace(tzinfo=UTC)
        return self._now() - made


def applies_cleanly(
    workspace: Path,
    onto: str,
    parent: str,
    head: str,
    *,
    branch: str,
    depth: int,
    token: str | None = None,
    remote: str = "origin",
) -> bool | None:
    """Does the change from ``parent`` to ``head`` apply on ``onto`` without a conflict?

    None when git cannot tell: ``onto`` is not in the checkout, or the PR's commits are
    neither there nor fetchable from ``remote``'s ``branch``.
    """
    common = _common_dir(workspace)
    if common is None:
        return None
    with tempfile.TemporaryDirectory(prefix="nightcrew-refresh-") as tmp:
        scratch = Path(tmp) / "scratch.git"
        if _out(Path(tmp), "init", "--quiet", "--bare", str(scratch)) is None:
            return None
        (scratch / "objects" / "info" / "alternates").write_text(
            f"{common / 'objects'}\n", encoding="utf-8"
        )
        if (common / "shallow").is_file():  # a shallow checkout: so is the scratch repository
            shutil.copyfile(common / "shallow", scratch / "shallow")

        def git(*args: str, env: dict[str, str] | None = None) -> bytes | None:
            return _out(scratch, f"--git-dir={scratch}", *args, env=env)

        def has(sha: str) -> bool:
            return git("cat-file", "-e", f"{sha}^{{commit}}") is not None

        if not has(onto):
            return None
        if not (has(head) and has(parent)):
            url = remote_url(workspace, remote)
            if not url:
                return None
            # Only the PR's commits and their parent, into the scratch repository's own ref.
            fetch = ("fetch", "--quiet", "--no-tags", f"--depth={depth}", url)
            auth = auth_env(url, token, os.environ)
            git(*fetch, f"+refs/heads/{branch}:refs/pr", env=auth)
            if not (has(head) and has(parent)):
                return None  # not fetched, or the branch moved on GitHub meanwhile
        diff = git(
            "diff", "--binary", "--full-index", "--no-ext-diff", "--no-textconv", "--no-color",
            parent, head,
        )  # fmt: skip
        if diff is None:
            return None
        if not diff.strip():
            return True  # an empty change cannot conflict
        index = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if git("read-tree", onto, env=index) is None:
            return None
        applied = _git(
            scratch, f"--git-dir={scratch}", "apply", "--cached", "--3way", env=index, stdin=diff
        )
        return applied is not None and applied.returncode == 0


def _common_dir(workspace: Path) -> Path | None:
    out = _out(workspace, "rev-parse", "--path-format=absolute", "--git-common-dir")
    return Path(os.fsdecode(out.strip())) if out else None


def _out(cwd: Path, *args: str, env: dict[str, str] | None = None) -> bytes | None:
    """git's output, or None when it failed."""
    done = _git(cwd, *args, env=env)
    return done.stdout if done is not None and done.returncode == 0 else None


def _git(
    cwd: Path, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes] | None:
    clean = {k: v for k, v in os.environ.items() if k not in gitops.REDIRECTS}
    clean.update(GIT_TERMINAL_PROMPT="0", GCM_INTERACTIVE="never", **(env or {}))
    try:
        return subprocess.run(
            ["git", *gitops.HARDENED, *args],
            cwd=cwd,
            env=clean,
            input=stdin,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
