"""The git adapter (GitPython): worktrees, commits, branches, patches.

Nothing here touches the user's checkout: the night reads committed trees, works in
detached worktrees created in the system's temp folder, and only adds refs.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import git

from bot.errors import UserError
from bot.fix.guard import FileChange

WORKTREE_PREFIX = "nightcrew-wt-"
# `git worktree add/remove` update shared metadata under .git/worktrees: one at a time.
_WORKTREES = threading.Lock()
ZERO_SHA = "0" * 40


def open_repo(path: Path) -> git.Repo:
    """Open the repository at ``path`` (its top level), or explain why not."""
    if not path.exists():
        raise UserError(f"{path} does not exist: pass --repo with a git repository")
    try:
        repo = git.Repo(path, search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        try:
            top = git.Repo(path, search_parent_directories=True).working_tree_dir
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            top = None
        if top:
            raise UserError(f"{path} is inside the git checkout {top}: pass --repo {top}") from None
        raise UserError(
            f"{path} is not a git repository: pass --repo with the top folder of a git checkout"
        ) from None
    if repo.bare:
        raise UserError(f"{path} is a bare repository: pass a checkout with a working tree")
    try:
        repo.head.commit  # noqa: B018 - raises ValueError on an empty repository
    except ValueError:
        raise UserError(f"{path} has no commits yet: commit something first") from None
    return repo


def resolve_base(repo: git.Repo, base: str | None) -> str:
    """The commit the night works from: ``base`` if given, else HEAD."""
    rev = base or "HEAD"
    try:
        return repo.commit(rev).hexsha
    except (git.BadName, ValueError, git.GitCommandError):
        raise UserError(
            f"base '{rev}' is not a commit in {repo.working_tree_dir}", field="base"
        ) from None


def git_dir(repo: git.Repo) -> Path:
    """The repository's common git folder (shared by all its worktrees)."""
    return Path(repo.git.rev_parse("--path-format=absolute", "--git-common-dir"))


def is_dirty(repo: git.Repo) -> bool:
    return repo.is_dirty(untracked_files=True)


def tracked_files(repo: git.Repo, sha: str) -> list[str]:
    """Every file in the commit's tree, as POSIX paths."""
    out = repo.git.ls_tree("-r", "--name-only", "-z", sha)
    return [p for p in out.split("\0") if p]


@contextmanager
def night_lock(repo: git.Repo) -> Iterator[None]:
    """One night at a time per repository (the kernel drops the lock of a killed run)."""
    path = git_dir(repo) / "nightcrew" / "run.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(
                f"another Nightcrew run is working on {repo.working_tree_dir} "
                f"(it holds {path}): let it finish, then run again"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def cleanup_stale_worktrees(repo: git.Repo) -> list[str]:
    """Remove worktrees a killed run left behind; return their paths.

    Call it only while holding night_lock: then no live run owns a Nightcrew worktree.
    """
    removed = []
    for block in repo.git.worktree("list", "--porcelain").split("\n\n"):
        line = block.splitlines()[0] if block.strip() else ""
        if not line.startswith("worktree "):
            continue
        path = line.removeprefix("worktree ")
        if Path(path).name.startswith(WORKTREE_PREFIX):
            repo.git.worktree("remove", "--force", path, with_exceptions=False)
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    repo.git.worktree("prune")
    return removed


def add_worktree(repo: git.Repo, sha: str, name: str) -> Path:
    """A detached worktree at ``sha`` in the system temp folder; remove it with remove_worktree."""
    # The folder name carries the prefix so cleanup_stale_worktrees can find it after a kill.
    path = Path(tempfile.mkdtemp(prefix=f"{WORKTREE_PREFIX}{name}-"))
    path.rmdir()  # `git worktree add` wants to create it
    with _WORKTREES:
        repo.git.worktree("add", "--detach", "--quiet", str(path), sha)
    return path


def remove_worktree(repo: git.Repo, path: Path) -> None:
    with _WORKTREES:
        repo.git.worktree("remove", "--force", str(path), with_exceptions=False)
    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def worktree(repo: git.Repo, sha: str, name: str) -> Iterator[Path]:
    """A detached worktree at ``sha``, removed afterwards whatever happens."""
    path = add_worktree(repo, sha, name)
    try:
        yield path
    finally:
        remove_worktree(repo, path)


def _show(repo: git.Repo, sha: str, path: str) -> str | None:
    try:
        return repo.git.show(f"{sha}:{path}", strip_newline_in_stdout=False)
    except git.GitCommandError:
        return None


def changed_files(tree: Path, base_sha: str) -> list[FileChange]:
    """What the worktree changed against ``base_sha``, untracked files included."""
    wt = git.Repo(tree)
    wt.git.add("--all")
    changes = []
    for line in wt.git.diff("--cached", "--name-status", "--no-renames", base_sha).splitlines():
        status, _, path = line.partition("\t")
        numstat = wt.git.diff("--cached", "--numstat", base_sha, "--", path)
        binary = numstat.startswith("-\t-\t")
        new_path = tree / path
        changes.append(
            FileChange(
                path=path,
                status=status[0],
                old_text=None if status[0] == "A" else _show(wt, base_sha, path),
                new_text=(
                    new_path.read_text(encoding="utf-8", errors="replace")
                    if new_path.is_file() and not binary
                    else None
                ),
                binary=binary,
            )
        )
    # `--summary` lines read "mode change 100644 => 100755 path".
    mode_changed = {
        line.split(" ", 5)[-1]
        for line in wt.git.diff("--cached", "--summary", base_sha).splitlines()
        if line.strip().startswith("mode change ")
    }
    changes = [replace(c, status="T") if c.path in mode_changed else c for c in changes]
    return changes


def commit_all(tree: Path, message: str, author_name: str, author_email: str) -> str:
    """Commit everything staged in the worktree as Nightcrew; return the commit sha.

    Hooks are skipped (`--no-verify`): the user's hooks may rewrite files, and the fix
    has already passed Nightcrew's own guard and verification.
    """
    identity = {
        "GIT_AUTHOR_NAME": author_name,
        "GIT_AUTHOR_EMAIL": author_email,
        "GIT_COMMITTER_NAME": author_name,
        "GIT_COMMITTER_EMAIL": author_email,
    }
    wt = git.Repo(tree)
    wt.git.add("--all")
    wt.git.execute(
        ["git", "-c", "commit.gpgsign=false", "commit", "--no-verify", "--quiet", "-m", message],
        env={**os.environ, **identity},
    )
    return wt.head.commit.hexsha


def staged_patch(tree: Path, base_sha: str) -> str:
    """Everything the worktree changed against ``base_sha``, as a binary-safe patch."""
    wt = git.Repo(tree)
    wt.git.add("--all")
    return wt.git.diff("--cached", "--binary", base_sha, strip_newline_in_stdout=False)


def apply_patch(tree: Path, patch: str) -> str | None:
    """Apply a patch to the worktree's files; the error text if it does not apply."""
    with tempfile.NamedTemporaryFile("w", suffix=".patch", delete=False) as fh:
        fh.write(patch)
    try:
        git.Repo(tree).git.apply("--whitespace=nowarn", fh.name)
    except git.GitCommandError as exc:
        return (exc.stderr or str(exc)).strip()
    finally:
        os.unlink(fh.name)
    return None


def commit_patch(
    repo: git.Repo, base_sha: str, patch: str, message: str, author_name: str, author_email: str
) -> str:
    """A commit of ``patch`` on ``base_sha``, made without a worktree (a private index)."""
    identity = {
        "GIT_AUTHOR_NAME": author_name,
        "GIT_AUTHOR_EMAIL": author_email,
        "GIT_COMMITTER_NAME": author_name,
        "GIT_COMMITTER_EMAIL": author_email,
    }
    with tempfile.TemporaryDirectory(prefix="nightcrew-index-") as tmp:
        index, patch_file = Path(tmp) / "index", Path(tmp) / "fix.patch"
        patch_file.write_text(patch, encoding="utf-8")
        env = {**os.environ, **identity, "GIT_INDEX_FILE": str(index)}
        repo.git.read_tree(base_sha, env=env)
        repo.git.apply("--cached", "--whitespace=nowarn", str(patch_file), env=env)
        tree = repo.git.write_tree(env=env)
        return repo.git.commit_tree(tree, "-p", base_sha, "-m", message, env=env)


def branch_exists(repo: git.Repo, name: str) -> bool:
    return bool(
        repo.git.rev_parse("--verify", "--quiet", f"refs/heads/{name}", with_exceptions=False)
    )


def create_branch(repo: git.Repo, name: str, sha: str) -> None:
    """Point a new branch at ``sha``; refuse to move an existing one."""
    repo.git.update_ref(f"refs/heads/{name}", sha, ZERO_SHA)


def format_patch(repo: git.Repo, sha: str) -> str:
    return repo.git.format_patch("-1", "--stdout", sha, strip_newline_in_stdout=False)


def diff_text(tree: Path, base_sha: str) -> str:
    return git.Repo(tree).git.diff("--cached", base_sha, strip_newline_in_stdout=False)
