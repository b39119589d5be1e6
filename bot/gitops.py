"""The git adapter (GitPython, and plain hardened git in worktrees): worktrees, commits, patches.

Nothing here touches the user's checkout: the night reads committed trees, works in
detached worktrees created in the system's temp folder, and only adds refs. Nothing in a
worktree (where code under test writes) is ever read by git as config, hook or metadata.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import git

from bot.errors import UserError
from bot.fix.guard import FileChange

WORKTREE_PREFIX = "nightcrew-wt-"
# `git worktree add/remove` update shared metadata under .git/worktrees: one at a time.
_WORKTREES = threading.Lock()
ZERO_SHA = "0" * 40


def top_level(path: Path) -> Path | None:
    """The top folder of the git checkout ``path`` lies in, found upward as git does; or None."""
    try:
        top = git.Repo(path, search_parent_directories=True).working_tree_dir
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    return Path(top) if top else None


def open_repo(path: Path) -> git.Repo:
    """The repository of the checkout ``path`` lies in (any folder of it), or explain why not."""
    if not path.is_dir():
        why = "does not exist" if not path.exists() else "is not a folder"
        raise UserError(f"{path} {why}: pass --repo with a folder of a git checkout")
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise UserError(
            f"{path} is not a git repository, nor in one: pass --repo with a folder of a checkout"
        ) from None
    if repo.bare or repo.working_tree_dir is None:
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
    """A detached worktree at ``sha`` in the system temp folder; remove it with remove_worktree.

    Its git folder is recorded here, before anything runs in the tree: every later git
    call on the tree names that folder and never reads the tree's own ``.git`` file.
    """
    # The folder name carries the prefix so cleanup_stale_worktrees can find it after a kill.
    path = Path(tempfile.mkdtemp(prefix=f"{WORKTREE_PREFIX}{name}-")).absolute()
    path.rmdir()  # `git worktree add` wants to create it
    common = git_dir(repo)
    with _WORKTREES:
        # No hooks: a post-checkout hook would run with the night's secrets.
        repo.git.execute(
            ["git", *_NO_HOOKS, "worktree", "add", "--detach", "--quiet", str(path), sha]
        )
        try:
            _RECORDED[path] = _record(common, path)
        except UserError:
            repo.git.worktree("remove", "--force", str(path), with_exceptions=False)
            raise
    return path


def remove_worktree(repo: git.Repo, path: Path) -> None:
    path = Path(path).absolute()
    with _WORKTREES:
        recorded = _RECORDED.pop(path, None)
        repo.git.worktree("remove", "--force", str(path), with_exceptions=False)
        shutil.rmtree(path, ignore_errors=True)
        if recorded is not None and recorded.git_dir.exists():
            # `remove` refused (code under test rewrote the tree's .git): drop the metadata.
            repo.git.worktree("prune", with_exceptions=False)


@contextmanager
def worktree(repo: git.Repo, sha: str, name: str) -> Iterator[Path]:
    """A detached worktree at ``sha``, removed afterwards whatever happens."""
    path = add_worktree(repo, sha, name)
    try:
        yield path
    finally:
        remove_worktree(repo, path)


@contextmanager
def exported_tree(repo: git.Repo, sha: str) -> Iterator[Path]:
    """The files of commit ``sha`` in a temporary folder, removed afterwards.

    No worktree, no ref: a private index is filled from the commit and checked out under a
    prefix, so the repository's own index, branches and working tree are never touched.
    """
    with tempfile.TemporaryDirectory(prefix="nightcrew-export-") as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        tree = Path(tmp) / "tree"
        repo.git.read_tree(sha, env=env)
        repo.git.checkout_index("--all", f"--prefix={tree}/", env=env)
        tree.mkdir(exist_ok=True)  # a commit with no files
        yield tree


# ------------------------------------------------------------------ git in a worktree
#
# Code under test writes to its worktree, and that can include `<tree>/.git` (pointing it
# at a git folder of its own, with `core.fsmonitor`, `diff.external`, hooks or alternates
# that run or feed whatever it likes). So Nightcrew's git never discovers anything from
# the tree: it names the git folder recorded at creation, the shared folder and the work
# tree, reads no global or system config, and turns off everything in git that runs a
# program (repository config is the user's own and stays, minus those).

_NO_HOOKS = ("-c", "core.hooksPath=/dev/null")
HARDENED = (
    *_NO_HOOKS,
    "-c", "core.fsmonitor=false",
    "-c", "diff.external=",
    "-c", "core.attributesFile=/dev/null",
    "-c", "gc.auto=0",
    "-c", "maintenance.auto=false",
    "-c", "commit.gpgsign=false",
    "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicPrefix=false",
    "-c", "diff.relative=false",
    "-c", "submodule.recurse=false",
)  # fmt: skip
# Variables that would point git at other folders, objects or programs than ours.
REDIRECTS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_EXTERNAL_DIFF",
    "GIT_CONFIG",
    "GIT_CONFIG_SYSTEM",
    "GIT_CONFIG_GLOBAL",
    "GIT_NAMESPACE",
    "GIT_SHALLOW_FILE",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
)


@dataclass(frozen=True)
class _Recorded:
    git_dir: Path  # <common>/worktrees/<name>
    common: Path
    alternates: tuple[bytes | None, bytes | None]  # as they were when the tree was made


_RECORDED: dict[Path, _Recorded] = {}


def _alternates(git_dir: Path, common: Path) -> tuple[bytes | None, bytes | None]:
    def read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except OSError:
            return None

    return read(git_dir / "objects/info/alternates"), read(common / "objects/info/alternates")


def _record(common: Path, tree: Path) -> _Recorded:
    """The git folder `git worktree add` made for ``tree``, found from the shared side."""
    dot_git = str(tree / ".git")
    candidates = [common / "worktrees" / tree.name]
    candidates += sorted((common / "worktrees").glob(f"{tree.name}*"))
    for candidate in candidates:
        try:
            points_at = (candidate / "gitdir").read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if points_at == dot_git:
            return _Recorded(candidate, common, _alternates(candidate, common))
    raise UserError(f"git made the worktree {tree} but its metadata is not in {common}")


def worktree_git_dir(tree: Path) -> Path | None:
    """The git folder recorded for a worktree Nightcrew made (None for any other folder)."""
    found = _RECORDED.get(Path(tree).absolute())
    return found.git_dir if found is not None else None


def _recorded(tree: Path) -> _Recorded:
    found = _RECORDED.get(Path(tree).absolute())
    if found is None:
        raise ValueError(f"{tree} is not a worktree made by gitops.add_worktree")
    if _alternates(found.git_dir, found.common) != found.alternates:
        raise git.GitCommandError(
            ["git", "--git-dir", str(found.git_dir)],
            128,
            "refused: the repository's objects/info/alternates changed while Nightcrew worked",
        )
    return found


def _git(tree: Path, *args: str, env: Mapping[str, str] | None = None) -> bytes:
    """Run git on a Nightcrew worktree, hardened; its stdout as bytes."""
    found = _recorded(tree)
    argv = [
        "git",
        f"--git-dir={found.git_dir}",
        f"--work-tree={Path(tree).absolute()}",
        *HARDENED,
        *args,
    ]
    clean = {k: v for k, v in os.environ.items() if k not in REDIRECTS}
    clean.update(
        GIT_COMMON_DIR=str(found.common),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        **(env or {}),
    )
    proc = subprocess.run(
        argv, cwd=tree, env=clean, capture_output=True, stdin=subprocess.DEVNULL, check=False
    )
    if proc.returncode != 0:
        raise git.GitCommandError(argv, proc.returncode, proc.stderr, proc.stdout)
    return proc.stdout


def _decode(data: bytes) -> str:
    """Text as the guard reads it: UTF-8, line endings exactly as they are."""
    return data.decode("utf-8", errors="replace")


def _split_z(data: bytes) -> list[str]:
    return [os.fsdecode(p) for p in data.split(b"\0")[:-1]]


def changed_files(tree: Path, base_sha: str) -> list[FileChange]:
    """What the worktree changed against ``base_sha``, untracked files included.

    Both sides are read from git's blobs (the base's and the staged ones) as bytes and
    decoded alike, so a CRLF file or one ``.gitattributes`` normalises compares line
    for line; names come NUL-separated, so git never quotes them.
    """
    _git(tree, "add", "--all")
    diff = ("diff", "--cached", "--no-renames", "--no-ext-diff", "--no-textconv", "-z")
    # `--raw -z`: ":old_mode new_mode old_blob new_blob status" NUL path NUL, per file.
    raw = _split_z(_git(tree, *diff, "--raw", "--no-abbrev", base_sha))
    # `--numstat -z`: "added TAB deleted TAB path" NUL; "-" counts for binary files.
    binary = set()
    for entry in _split_z(_git(tree, *diff, "--numstat", base_sha)):
        added, deleted, path = entry.split("\t", 2)
        if (added, deleted) == ("-", "-"):
            binary.add(path)
    changes = []
    for meta, path in zip(raw[::2], raw[1::2], strict=True):
        old_mode, new_mode, old_blob, new_blob, status = meta.lstrip(":").split(" ")
        kind = status[0]
        if kind == "M" and old_mode != new_mode:
            kind = "T"  # a mode change (as `--summary` reports it)
        is_binary = path in binary

        def blob(sha: str, *, is_binary: bool = is_binary) -> str | None:
            if is_binary or set(sha) == {"0"}:
                return None
            return _decode(_git(tree, "cat-file", "blob", sha))

        changes.append(
            FileChange(
                path=path,
                status=kind,
                old_text=None if kind == "A" else blob(old_blob),
                new_text=None if kind == "D" else blob(new_blob),
                binary=is_binary,
            )
        )
    return changes


_IDENTITY = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL")


def commit_all(tree: Path, message: str, author_name: str, author_email: str) -> str:
    """Commit everything in the worktree as Nightcrew; return the commit sha.

    Hooks are skipped (`--no-verify`, and no hooks path): the user's hooks may rewrite
    files, and the fix has already passed Nightcrew's own guard and verification.
    """
    identity = dict(zip(_IDENTITY, (author_name, author_email) * 2, strict=True))
    _git(tree, "add", "--all")
    _git(tree, "commit", "--no-verify", "--quiet", "-m", message, env=identity)
    return _git(tree, "rev-parse", "HEAD").decode().strip()


def staged_patch(tree: Path, base_sha: str) -> str:
    """Everything the worktree changed against ``base_sha``, as a binary-safe patch."""
    _git(tree, "add", "--all")
    patch = _git(
        tree, "diff", "--cached", "--binary", "--no-ext-diff", "--no-textconv", "--no-color",
        base_sha,
    )  # fmt: skip
    return patch.decode("utf-8", errors="surrogateescape")


def apply_patch(tree: Path, patch: str) -> str | None:
    """Apply a patch to the worktree's files; the error text if it does not apply."""
    with tempfile.NamedTemporaryFile("wb", suffix=".patch", delete=False) as fh:
        fh.write(patch.encode("utf-8", errors="surrogateescape"))
    try:
        _git(tree, "apply", "--whitespace=nowarn", fh.name)
    except git.GitCommandError as exc:
        stderr = exc.stderr if isinstance(exc.stderr, str) else str(exc)
        return stderr.strip()
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
        patch_file.write_bytes(patch.encode("utf-8", errors="surrogateescape"))
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


def format_patch(repo: git.Repo, sha: str, since: str | None = None) -> str:
    """``sha``'s commit as a patch; with ``since``, every commit after it up to ``sha``."""
    span = ("-1", sha) if since is None else (f"{since}..{sha}",)
    return repo.git.format_patch("--stdout", *span, strip_newline_in_stdout=False)


def diff_text(tree: Path, base_sha: str) -> str:
    """The staged change against ``base_sha``, as a reader sees it."""
    diff = _git(tree, "diff", "--cached", "--no-ext-diff", "--no-textconv", "--no-color", base_sha)
    return diff.decode("utf-8", errors="replace")
