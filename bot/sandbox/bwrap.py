"""Adapter: run code under test in a bubblewrap sandbox, so a fix can reach no secret.

Verification and an agent's ``run_checks`` *execute* the code a fix changed. For a fix an
agent wrote, that code came from a model that read untrusted text; it must not be able to
read Nightcrew's own environment (the Claude key, the GitHub token), reach the network, or
leave anything behind that Nightcrew or a later step would run with secrets.

Scrubbing the environment (:mod:`bot.environment`) is not enough on its own: any process
of the same user can read an ancestor's ``/proc/<pid>/environ``. So every test command of
the night runs under `bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``),
the sandbox Flatpak uses, with:

- new PID, network, IPC and UTS namespaces: only the sandbox's own processes are visible
  in ``/proc``; the network is loopback only (unless ``sandbox.network``); when the run
  ends or is killed, everything it started dies with it (``--die-with-parent``);
- the whole filesystem read-only, except the tree under test (but not its ``.git`` file
  or the git folder behind it), the run's own log folder, a private temporary folder
  (``TMPDIR``) and the config's ``sandbox.writable``; so no git hook or config, no
  installed package and no file of the checkout can be planted for later;
- credential stores hidden (:data:`HIDDEN_HOME`, :data:`HIDDEN_SYSTEM`, the Actions
  runner's temporary folder, where its step scripts, file commands and persisted
  credentials live), git config seen without credentials (a cleaned copy is mounted over
  any that has an ``http.*.extraheader``, a credential helper, an include or a URL with a
  password), plus the config's ``sandbox.hide``;
- no capabilities, and a new session (no terminal to inject keystrokes into).

The baseline runs in the same sandbox as the fixes, so a test that needs the network fails
in both and is ignored like any test already failing on the base.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.sandbox.environment import URL_CREDENTIALS

MODES = ("auto", "required", "disabled")
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; on Ubuntu 24.04 "
    "also allow it user namespaces: see docs/verification.md#the-sandbox)"
)

# Relative to $HOME: where tools keep credentials. Hidden when they exist.
HIDDEN_HOME: tuple[str, ...] = (
    ".ssh",
    ".gnupg",
    ".aws",
    ".azure",
    ".kube",
    ".docker",
    ".netrc",
    ".git-credentials",
    ".pypirc",
    ".npmrc",
    ".config/gh",
    ".config/gcloud",
    ".config/git/credentials",
    ".config/hub",
    ".cargo/credentials.toml",
    ".cargo/credentials",
    ".anthropic",
)

# Absolute: sockets that hand out root or the user's identity, per-user runtime folders
# (agent sockets), and container secrets.
HIDDEN_SYSTEM: tuple[str, ...] = (
    "/run/user",
    "/run/secrets",
    "/var/run/secrets",
    "/run/docker.sock",
    "/var/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/run/podman/podman.sock",
)

# The Actions runner's file-command paths: writing them sets env vars, outputs and PATH
# for later steps. Each file is hidden (on GitHub, RUNNER_TEMP, hidden too, holds them).
_RUNNER_FILE_VARS = (
    "GITHUB_ENV",
    "GITHUB_OUTPUT",
    "GITHUB_PATH",
    "GITHUB_STATE",
    "GITHUB_STEP_SUMMARY",
)

# Git config keys that carry credentials or pull in other files (which may).
_GIT_SECRET_KEYS = ("extraheader", "credential.", "include.", "includeif.")


class SandboxUnavailable(Exception):
    """The sandbox was required but cannot run here; the message says why and what to do."""


@dataclass(frozen=True)
class Sandbox:
    """How the night runs code under test: in bubblewrap, or (``bwrap is None``) as is.

    ``problem`` says why there is no sandbox when there is none (mode ``disabled``, or bwrap
    missing or refused by the kernel); it is shown in the report and decides whether agent
    recipes may run.
    """

    bwrap: str | None = None
    mode: str = "auto"
    problem: str | None = None
    hidden: tuple[Path, ...] = ()  # folders and files masked inside the sandbox
    masks: tuple[tuple[Path, Path], ...] = ()  # (replacement file, path it is bound over)
    empty: Path | None = None  # an empty read-only file that stands in for hidden files
    network: bool = False  # share the host's network (config sandbox.network)
    writable: tuple[Path, ...] = ()  # folders every run may write (config sandbox.writable)

    @property
    def active(self) -> bool:
        return self.bwrap is not None

    @property
    def agents_allowed(self) -> bool:
        """Agent-written code may run here: sandboxed, or the config disabled the sandbox."""
        return self.active or self.mode == "disabled"

    def describe(self) -> str:
        if self.active:
            net = "network shared" if self.network else "no network"
            return f"bubblewrap: {net}, read-only filesystem, credentials hidden"
        return f"none ({self.problem})"

    def wrap(
        self,
        argv: Sequence[str],
        cwd: Path,
        writable: Iterable[Path],
        readonly: Iterable[Path] = (),
    ) -> list[str]:
        """``argv`` run inside the sandbox, in ``cwd``, able to write only to ``writable``
        (but never to the ``.git`` in one, nor to anything in ``readonly``)."""
        if self.bwrap is None:
            return list(argv)
        return [self.bwrap, *_bwrap_args(self, cwd, writable, readonly), "--", *argv]


def _bwrap_args(
    sandbox: Sandbox, cwd: Path, writable: Iterable[Path], readonly: Iterable[Path] = ()
) -> list[str]:
    args = [
        "--die-with-parent",
        "--new-session",
        "--unshare-all",  # user (if it can), pid, net, ipc, uts, cgroup (if it can)
        *(["--share-net"] if sandbox.network else []),
        "--cap-drop",
        "ALL",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
    ]
    # An empty file rather than /dev/null: bwrap mounts that `nodev`, so it cannot be opened,
    # and a tool that copes with an empty ~/.netrc may not cope with an unreadable one.
    empty = str(sandbox.empty) if sandbox.empty is not None else "/dev/null"

    def hide(path: Path) -> list[str]:
        if path.is_dir():
            return ["--tmpfs", str(path)]
        return ["--ro-bind", empty, str(path)] if path.exists() else []

    for path in sandbox.hidden:
        args += hide(path)
    # Writable next: a tree inside a hidden folder (a worktree under RUNNER_TEMP) reappears...
    wanted = [*writable, *sandbox.writable]
    binds = [p for p in dict.fromkeys(Path(p).absolute() for p in wanted) if p.is_dir()]
    for path in binds:
        args += ["--bind", str(path), str(path)]
    # ...but a bind takes its source from the host, so what is hidden inside it is hidden
    # again, and the cleaned git configs go last of all.
    for path in sandbox.hidden:
        if any(path != b and path.is_relative_to(b) for b in binds):
            args += hide(path)
    # Git metadata stays read-only though its tree is writable: a worktree's `.git` file
    # (rewritten, it would point Nightcrew's own git at a config the tests planted) and the
    # git folder behind it, which the caller names in ``readonly``.
    metadata = [b / ".git" for b in binds if os.path.lexists(b / ".git")]
    for path in dict.fromkeys([*metadata, *(Path(p).absolute() for p in readonly)]):
        if path.exists() and not path.is_symlink():
            args += ["--ro-bind", str(path), str(path)]
    for replacement, target in sandbox.masks:
        args += ["--ro-bind", str(replacement), str(target)]
    args += ["--chdir", str(cwd.absolute())]
    return args


def hidden_paths(
    env: Mapping[str, str], extra: Iterable[str] = (), keep: Iterable[Path] = ()
) -> tuple[Path, ...]:
    """What the sandbox masks on this machine: only paths that exist, without repeats.

    A folder that holds one of ``keep`` (the repository, the Python that runs the tests)
    is never masked whole: that would hide what the tests need.
    """
    kept = [Path(os.path.realpath(p)) for p in keep]
    candidates: list[Path] = []
    home = env.get("HOME")
    if home:
        candidates += [Path(home) / rel for rel in HIDDEN_HOME]
    candidates += [Path(p) for p in HIDDEN_SYSTEM]
    if env.get("RUNNER_TEMP"):
        candidates.append(Path(env["RUNNER_TEMP"]))
    for name in _RUNNER_FILE_VARS:
        if env.get(name):
            candidates.append(Path(env[name]))
    if env.get("SSH_AUTH_SOCK"):
        candidates.append(Path(env["SSH_AUTH_SOCK"]))
    for given in extra:
        path = _expand(given, env)
        if path is not None:
            candidates.append(path)
    seen: dict[Path, None] = {}
    for path in candidates:
        if not path.exists():  # (through links: a dangling one hides nothing)
            continue
        # The real path: bwrap mounts over what a link points at, and two spellings of one
        # place (/var/run/docker.sock, /run/docker.sock) become one entry.
        path = Path(os.path.realpath(path))
        if path != Path("/") and not any(k.is_relative_to(path) for k in kept):
            seen.setdefault(path, None)
    return tuple(seen)


def _expand(given: str, env: Mapping[str, str]) -> Path | None:
    """``given`` with a leading ``~`` taken from ``env``'s HOME; None without a HOME."""
    if given == "~" or given.startswith("~/"):
        home = env.get("HOME")
        return Path(home + given[1:]) if home else None
    return Path(given)


def _git_secret_keys(config: Path) -> list[str]:
    """Keys that carry credentials: by name, or a URL with a password in the name or value
    (``remote.origin.url = https://x:token@...``, ``url.<with token>.insteadOf``)."""
    proc = subprocess.run(
        ["git", "config", "--file", str(config), "--null", "--list"],
        capture_output=True,
        text=True,
        check=False,
    )
    secret: dict[str, None] = {}
    for entry in proc.stdout.split("\0"):
        key, _, value = entry.partition("\n")
        if not key.strip():
            continue
        named = any(part in key.lower() for part in _GIT_SECRET_KEYS)
        if named or URL_CREDENTIALS.search(key) or URL_CREDENTIALS.search(value):
            secret.setdefault(key, None)
    return list(secret)


def clean_git_config(config: Path, scratch: Path) -> Path | None:
    """A copy of ``config`` without credentials, when it has any; None when it is clean."""
    if not config.is_file():
        return None
    secret = _git_secret_keys(config)
    if not secret:
        return None
    copy = scratch / f"gitconfig-{hashlib.sha256(str(config).encode()).hexdigest()[:16]}"
    copy.unlink(missing_ok=True)  # last night's copy is read-only
    shutil.copyfile(config, copy)
    for key in secret:
        subprocess.run(
            ["git", "config", "--file", str(copy), "--unset-all", key],
            capture_output=True,
            check=False,
        )
    if _git_secret_keys(copy):  # git could not remove one: hide the whole file instead
        copy.write_bytes(b"")
    copy.chmod(0o444)
    return copy


def git_configs(repo: Path, env: Mapping[str, str]) -> list[Path]:
    """The git config files a test run would read: the repository's (shared by every
    worktree) and the user's global ones."""
    found = []
    if env.get("GIT_CONFIG_NOSYSTEM", "").lower() not in ("1", "true", "yes", "on"):
        found.append(Path(env.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig"))
    home = env.get("HOME")
    if home:
        found.append(Path(home) / ".gitconfig")
    xdg = env.get("XDG_CONFIG_HOME") or (str(Path(home) / ".config") if home else "")
    if xdg:
        found.append(Path(xdg) / "git" / "config")
    if env.get("GIT_CONFIG_GLOBAL"):
        found.append(Path(env["GIT_CONFIG_GLOBAL"]))
    proc = subprocess.run(
        ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode == 0 and proc.stdout.strip():
        found.append(Path(proc.stdout.strip()) / "config")
    return [path for path in dict.fromkeys(found) if path.is_file()]


def problem_with(bwrap: str | None) -> str | None:
    """Why the bubblewrap at ``bwrap`` (None: none found) cannot sandbox here, or None."""
    return "bubblewrap (`bwrap`) is not installed" if bwrap is None else _probe(bwrap)


@cache
def _probe(bwrap: str) -> str | None:
    """None when bwrap can build the sandbox here, else what it said."""
    problem = _try(Sandbox(bwrap=bwrap), Path("/"))
    if problem is None or problem.startswith("could not start"):
        return None if problem is None else f"bubblewrap {problem}"
    return f"bubblewrap cannot create the sandbox here: {problem}"


def _try(sandbox: Sandbox, cwd: Path) -> str | None:
    """Run ``true`` in ``sandbox``: None when it works, else bwrap's last word."""
    true = shutil.which("true") or "/bin/true"
    try:
        proc = subprocess.run(
            sandbox.wrap([true], cwd, ()),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"could not start: {exc}"
    if proc.returncode != 0:
        said = proc.stderr.strip().splitlines()
        return said[-1] if said else f"exit {proc.returncode}"
    return None


def prepare(
    mode: str,
    *,
    repo: Path,
    scratch: Path,
    env: Mapping[str, str] | None = None,
    extra_hidden: Iterable[str] = (),
    bwrap: str | None = None,
    network: bool = False,
    writable: Iterable[str] = (),
    keep: Iterable[Path] = (),
) -> Sandbox:
    """The night's sandbox for ``mode`` (see :data:`MODES`).

    ``auto`` uses bubblewrap when it works and says why not otherwise; ``required`` raises
    :class:`SandboxUnavailable` instead; ``disabled`` never sandboxes. ``scratch`` is a folder
    that outlives the night's test runs (cleaned git configs are written there). ``keep``:
    what must stay visible (read-only) besides the repository and Nightcrew's own Python,
    such as the tests' interpreter, its virtualenv and its base Python.
    """
    if mode not in MODES:
        raise ValueError(f"unknown sandbox mode {mode!r}")
    env = os.environ if env is None else env
    if mode == "disabled":
        return Sandbox(mode=mode, problem="disabled by `sandbox.mode` in the config")
    found = bwrap or shutil.which("bwrap", path=env.get("PATH"))
    problem = problem_with(found)
    if problem is not None:
        if mode == "required":
            raise SandboxUnavailable(
                f"{problem}; {INSTALL_HINT}, or set `sandbox.mode` to auto to run tests "
                "unsandboxed where it cannot"
            )
        return Sandbox(mode=mode, problem=problem)
    assert found is not None
    masks = []
    for config in git_configs(repo, env):
        clean = clean_git_config(config, scratch)
        if clean is not None:
            masks.append((clean, config))
    made = Sandbox(
        bwrap=found,
        mode=mode,
        hidden=hidden_paths(
            env, extra_hidden, keep=[repo, Path(sys.prefix), Path(sys.executable), *keep]
        ),
        masks=tuple(masks),
        empty=_empty_file(scratch),
        network=network,
        writable=tuple(p for p in (_expand(w, env) for w in writable) if p is not None),
    )
    # The whole sandbox once, as every run will build it: a mask bwrap cannot apply here
    # must not turn every test run of the night into a failure.
    problem = _try(made, repo)
    if problem is not None:
        problem = f"bubblewrap cannot apply this sandbox ({problem})"
        if mode == "required":
            raise SandboxUnavailable(f"{problem}; fix or remove the path it names")
        return Sandbox(mode=mode, problem=problem)
    return made


def _empty_file(scratch: Path) -> Path:
    empty = scratch / "empty"
    if not empty.is_file() or empty.stat().st_size:
        empty.unlink(missing_ok=True)
        empty.touch()
    empty.chmod(0o444)
    return empty


NONE = Sandbox(mode="disabled", problem="not sandboxed")

TMP_PREFIX = "nightcrew-tmp-"  # each sandboxed run's private TMPDIR (bot.verify.run_command)
STALE_TMP_SECONDS = 24 * 3600


def cleanup_stale_tmp(root: Path | None = None, max_age: float = STALE_TMP_SECONDS) -> list[Path]:
    """Remove run folders a killed night left in the temp folder; return them.

    A run removes its own folder when it ends; only a SIGKILLed night leaves one. Folders of
    runs still going (on this repository or another) are younger than any test timeout,
    so only those older than ``max_age`` go.
    """
    root = Path(tempfile.gettempdir()) if root is None else root
    now, removed = time.time(), []
    for path in root.glob(f"{TMP_PREFIX}*"):
        try:
            old = now - path.lstat().st_mtime > max_age
        except OSError:
            continue
        if old and path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
