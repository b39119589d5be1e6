"""The bubblewrap sandbox, with real processes, real ``bwrap`` and real git.

Every isolation property is checked twice: in the sandbox, where the probe must find
nothing, and with :data:`bot.sandbox.NONE` (the control), where the same probe must find
the leak. A probe that cannot see the leak without the sandbox would prove nothing with it.
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from bot.sandbox.bwrap import (
    HIDDEN_SYSTEM,
    INSTALL_HINT,
    NONE,
    Sandbox,
    SandboxUnavailable,
    cleanup_stale_tmp,
    hidden_paths,
    prepare,
)
from bot.sandbox.environment import test_env as make_test_env
from bot.verify.runs import CommandResult, run_command
from tests.conftest import ROOT, git, needs_bwrap

PY = sys.executable


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def repo(make_repo) -> Path:
    return make_repo("repo", {"a.py": "x = 1\n", "tests/test_a.py": "def test_a(): pass\n"})


@pytest.fixture
def tree(repo: Path, tmp_path: Path) -> Path:
    """The tree under test: a worktree of ``repo``, as the night makes one per fix."""
    path = tmp_path / "tree"
    git(repo, "worktree", "add", "--quiet", "--detach", str(path), "HEAD")
    return path


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    path = tmp_path / "scratch"
    path.mkdir()
    return path


@pytest.fixture
def box(repo: Path, scratch: Path) -> Sandbox:
    found = prepare("required", repo=repo, scratch=scratch)
    assert found.active
    return found


def run_py(
    box: Sandbox, code: str, cwd: Path, *args: str, timeout: float = 30, **kwargs
) -> CommandResult:
    """``python -c code args`` in ``cwd`` with the scrubbed test environment."""
    env = make_test_env(os.environ, cwd)
    return run_command([PY, "-c", code, *args], cwd, env, timeout, sandbox=box, **kwargs)


def last_json(result: CommandResult) -> dict:
    assert result.returncode == 0, result.output_tail
    return json.loads(result.output_tail.splitlines()[-1])


# --------------------------------------------------------------------------- 1. /proc environ

# The needle comes reversed in argv: the probe's own cmdline (and bwrap's, which holds the
# whole command) must not contain it, or the probe would only find itself. It prints one
# line per kind of file: the pids whose environ / cmdline hold the token.
ENVIRON_PROBE = """\
import os, sys
needle = sys.argv[1][::-1].encode()
found = {"environ": [], "cmdline": []}
readable = 0
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    for name in found:
        try:
            with open(f"/proc/{pid}/{name}", "rb") as f:
                data = f.read()
        except OSError:
            continue
        readable += 1
        if needle in data:
            found[name].append(pid)
print("readable", readable)
for name, pids in found.items():
    print(name, " ".join(sorted(pids)))
print("FOUND" if any(found.values()) else "NOTFOUND")
"""

# Runs as its own process, so that its /proc/<pid>/environ really holds the token (the
# pytest process's does not reflect monkeypatched variables). The token is in its argv as
# well: a cmdline is readable by anyone who can see the pid, so it also shows whether the
# probe sees the process at all (as root, dropping capabilities alone already closes the
# environ of a process that holds more of them; the runner's user has none to drop).
ENVIRON_HELPER = """\
import os, sys
from pathlib import Path
from bot.sandbox import bwrap
from bot.sandbox.environment import test_env
from bot.verify.runs import run_command
mode, repo, scratch, tree, probe, needle, _token = sys.argv[1:]
if mode == "sandbox":
    box = bwrap.prepare("auto", repo=Path(repo), scratch=Path(scratch))
else:
    box = bwrap.NONE
print("active", box.active)
print("helper", os.getpid())
tree = Path(tree)
env = test_env(os.environ, tree)
result = run_command([sys.executable, "-c", probe, needle], tree, env, 30, sandbox=box)
print(result.output_tail)
"""


def _environ_probe(mode: str, repo: Path, scratch: Path, tree: Path) -> dict[str, str]:
    token = str(uuid.uuid4())
    env = {**os.environ, "NIGHTCREW_PROBE_TOKEN": token, "PYTHONPATH": str(ROOT)}
    argv = [PY, "-c", ENVIRON_HELPER, mode, str(repo), str(scratch), str(tree)]
    proc = subprocess.run(
        [*argv, ENVIRON_PROBE, token[::-1], token],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert token not in proc.stdout  # nothing printed the secret by itself
    return dict(line.partition(" ")[::2] for line in proc.stdout.splitlines())


@needs_bwrap
def test_sandbox_hides_ancestors_environment_and_cmdline(repo, scratch, tree):
    lines = _environ_probe("sandbox", repo, scratch, tree)
    assert lines["active"] == "True"
    assert int(lines["readable"]) > 0  # it did read /proc: its own entries at least
    assert lines["environ"] == ""
    assert lines["cmdline"] == ""
    assert "NOTFOUND" in lines


@needs_bwrap
def test_control_without_sandbox_finds_the_token_in_the_parents_environ(repo, scratch, tree):
    lines = _environ_probe("none", repo, scratch, tree)
    assert lines["active"] == "False"
    assert "FOUND" in lines
    # In the helper's environ and cmdline (not in the probe's own: test_env scrubbed it).
    assert lines["environ"].split() == [lines["helper"]]
    assert lines["cmdline"].split() == [lines["helper"]]


# --------------------------------------------------------------------------- 2. network

CONNECT_PROBE = """\
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5).close()
except OSError as exc:
    print("FAILED", exc.errno)
else:
    print("CONNECTED")
"""

LOOPBACK_PROBE = """\
import socket
server = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(server.getsockname(), timeout=5)
peer, _ = server.accept()
client.sendall(b"ping")
print("LOOPBACK", peer.recv(4).decode(), sorted(name for _, name in socket.if_nameindex()))
"""


@pytest.fixture
def listener() -> Iterator[tuple[int, list[object]]]:
    """A TCP server on the host's 127.0.0.1: its port, and the connections it accepted."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    accepted: list[object] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, address = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(address)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


@needs_bwrap
def test_sandbox_cannot_reach_the_hosts_network(box, tree, listener):
    port, accepted = listener
    result = run_py(box, CONNECT_PROBE, tree, str(port))
    assert result.returncode == 0, result.output_tail
    assert result.output_tail == f"FAILED {errno.ECONNREFUSED}"
    assert accepted == []


@needs_bwrap
def test_control_without_sandbox_connects_to_the_host(tree, listener):
    port, accepted = listener
    result = run_py(NONE, CONNECT_PROBE, tree, str(port))
    assert result.output_tail == "CONNECTED"
    deadline = time.monotonic() + 5
    while not accepted and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(accepted) == 1


@needs_bwrap
def test_sandbox_with_network_shared_reaches_the_host_but_still_hides_processes(
    repo, scratch, tree, listener
):
    port, _accepted = listener
    shared = prepare("auto", repo=repo, scratch=scratch, network=True)
    assert shared.describe().startswith("bubblewrap: network shared")
    result = run_py(shared, CONNECT_PROBE, tree, str(port))
    assert result.output_tail == "CONNECTED"
    script = "import os; print(sum(p.isdigit() for p in os.listdir('/proc')))"
    processes = run_py(shared, script, tree)
    assert int(processes.output_tail) <= 3, processes.output_tail  # still its own PID namespace


@needs_bwrap
def test_sandbox_has_a_working_loopback_of_its_own(box, tree):
    result = run_py(box, LOOPBACK_PROBE, tree)
    assert result.returncode == 0, result.output_tail
    assert result.output_tail == "LOOPBACK ping ['lo']"


# --------------------------------------------------------------------------- 3. read-only

WRITE_PROBE = """\
import os, sys
for path in sys.argv[1:]:
    path = os.path.expandvars(path)
    try:
        with open(path, "w") as f:
            f.write("planted")
    except OSError as exc:
        print("DENIED", path, exc.errno)
    else:
        print("WROTE", path)
"""


def _planting_targets(repo: Path) -> list[Path]:
    return [repo / ".git" / "hooks" / "pre-push", repo / "a.py", repo / "planted.py"]


@needs_bwrap
def test_sandbox_cannot_write_the_repository(box, repo, tree):
    targets = _planting_targets(repo)
    result = run_py(box, WRITE_PROBE, tree, *map(str, targets))
    assert result.output_tail.splitlines() == [f"DENIED {t} {errno.EROFS}" for t in targets]
    assert not (repo / ".git" / "hooks" / "pre-push").exists()
    assert not (repo / "planted.py").exists()
    assert (repo / "a.py").read_text() == "x = 1\n"
    assert git(repo, "status", "--porcelain") == ""


@needs_bwrap
def test_control_without_sandbox_plants_in_the_repository(repo, tree):
    targets = _planting_targets(repo)
    result = run_py(NONE, WRITE_PROBE, tree, *map(str, targets))
    assert result.output_tail.splitlines() == [f"WROTE {t}" for t in targets]
    assert all(t.read_text() == "planted" for t in targets)


@needs_bwrap
def test_sandbox_writes_the_tree_the_writable_dirs_and_a_private_tmpdir(box, tree, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    host_tmp = Path(tempfile.gettempdir()) / f"nightcrew-test-{uuid.uuid4()}"
    targets = [
        tree / "here.txt",
        "$TMPDIR/scratch.txt",
        logs / "extra.txt",
        elsewhere / "no.txt",
        host_tmp,
    ]
    result = run_py(box, WRITE_PROBE, tree, *map(str, targets), writable=[logs])
    lines = result.output_tail.splitlines()
    assert lines[0] == f"WROTE {tree / 'here.txt'}"
    assert lines[1].startswith("WROTE ") and lines[1].endswith("/scratch.txt")
    assert lines[2] == f"WROTE {logs / 'extra.txt'}"
    assert lines[3] == f"DENIED {elsewhere / 'no.txt'} {errno.EROFS}"
    assert lines[4] == f"DENIED {host_tmp} {errno.EROFS}"
    assert (tree / "here.txt").read_text() == "planted"  # the tree is the real one
    assert (logs / "extra.txt").read_text() == "planted"
    assert not host_tmp.exists()
    private = Path(lines[1].split(" ", 1)[1]).parent
    assert private.name.startswith("nightcrew-tmp-")
    assert not private.exists()  # removed after the run


TMPDIR_PROBE = """\
import os, tempfile
print(os.environ["TMPDIR"], os.environ["TMP"], os.environ["TEMP"], tempfile.gettempdir())
print(sorted(os.listdir(os.environ["TMPDIR"])))
"""


@needs_bwrap
def test_sandbox_tmpdir_is_fresh_for_every_run(box, tree):
    seen = []
    for _ in range(2):
        result = run_py(box, TMPDIR_PROBE, tree)
        first, listing = result.output_tail.splitlines()
        paths = set(first.split())
        assert len(paths) == 1  # TMPDIR, TMP, TEMP and tempfile agree
        seen.append(paths.pop())
        assert listing == "[]"
        assert not Path(seen[-1]).exists()
    assert seen[0] != seen[1]


# --------------------------------------------------------------------------- 4. hidden paths

READ_PROBE = """\
import json, os, sys
seen = {}
for path in sys.argv[1:]:
    try:
        if os.path.isdir(path):
            seen[path] = {"dir": sorted(os.listdir(path))}
        else:
            with open(path) as f:
                seen[path] = {"file": f.read()}
    except OSError as exc:
        seen[path] = {"error": exc.errno}
print(json.dumps(seen))
"""


# A hidden file is /dev/null bound over it; bwrap's --ro-bind mounts it nodev, so opening
# it fails with EACCES. An empty file would do as well.
HIDDEN_FILE = ({"file": ""}, {"error": errno.EACCES})


@pytest.fixture
def secrets(tmp_path: Path) -> dict[str, Path]:
    """A fake HOME and RUNNER_TEMP full of credentials, each file with its own marker."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".git-credentials").write_text("https://x:MARK-CREDS@github.com\n")
    (home / ".ssh" / "id_rsa").write_text("MARK-SSH\n")
    (home / "notes.txt").write_text("visible\n")
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    (runner_temp / "step.sh").write_text("MARK-RUNNER\n")
    extra = tmp_path / "extra-secret.env"
    extra.write_text("MARK-EXTRA\n")
    return {"home": home, "runner_temp": runner_temp, "extra": extra}


def _read_targets(secrets: dict[str, Path]) -> list[str]:
    home, runner_temp = secrets["home"], secrets["runner_temp"]
    paths = [
        home / ".git-credentials",
        home / ".ssh",
        home / ".ssh" / "id_rsa",
        runner_temp,
        runner_temp / "step.sh",
        secrets["extra"],
        home / "notes.txt",
    ]
    return [str(p) for p in paths]


def _secrets_box(secrets: dict[str, Path], repo: Path, scratch: Path) -> Sandbox:
    env = {
        "HOME": str(secrets["home"]),
        "RUNNER_TEMP": str(secrets["runner_temp"]),
        "PATH": os.environ["PATH"],
    }
    return prepare(
        "auto", repo=repo, scratch=scratch, env=env, extra_hidden=[str(secrets["extra"])]
    )


@needs_bwrap
def test_sandbox_hides_credential_stores(secrets, repo, scratch, tree):
    box = _secrets_box(secrets, repo, scratch)
    assert box.active
    home = secrets["home"]
    for path in (home / ".git-credentials", home / ".ssh", secrets["runner_temp"]):
        assert path in box.hidden
    seen = last_json(run_py(box, READ_PROBE, tree, *_read_targets(secrets)))
    assert "MARK" not in json.dumps(seen)
    creds, ssh, id_rsa, runner, step, extra, notes = _read_targets(secrets)
    assert seen[creds] in HIDDEN_FILE
    assert seen[ssh] == {"dir": []}
    assert seen[id_rsa] == {"error": errno.ENOENT}
    assert seen[runner] == {"dir": []}
    assert seen[step] == {"error": errno.ENOENT}
    assert seen[extra] in HIDDEN_FILE  # from extra_hidden
    assert seen[notes] == {"file": "visible\n"}  # the rest of HOME is still there
    # Hidden inside the sandbox only: the host's files are untouched.
    assert (home / ".ssh" / "id_rsa").read_text() == "MARK-SSH\n"


@needs_bwrap
def test_control_without_sandbox_reads_the_credentials(secrets, tree):
    seen = last_json(run_py(NONE, READ_PROBE, tree, *_read_targets(secrets)))
    creds, ssh, id_rsa, runner, step, extra, notes = _read_targets(secrets)
    assert "MARK-CREDS" in seen[creds]["file"]
    assert seen[ssh] == {"dir": ["id_rsa"]}
    assert seen[id_rsa] == {"file": "MARK-SSH\n"}
    assert seen[runner] == {"dir": ["step.sh"]}
    assert seen[step] == {"file": "MARK-RUNNER\n"}
    assert seen[extra] == {"file": "MARK-EXTRA\n"}
    assert seen[notes] == {"file": "visible\n"}


@needs_bwrap
def test_a_tree_inside_a_hidden_folder_stays_usable(secrets, repo, scratch):
    box = _secrets_box(secrets, repo, scratch)
    inner = secrets["runner_temp"] / "worktree"
    git(repo, "worktree", "add", "--quiet", "--detach", str(inner), "HEAD")
    probe = [str(inner / "a.py"), str(secrets["runner_temp"] / "step.sh")]
    seen = last_json(run_py(box, READ_PROBE, inner, *probe))
    assert seen[probe[0]] == {"file": "x = 1\n"}
    assert seen[probe[1]] == {"error": errno.ENOENT}


# --------------------------------------------------------------------------- 5. git credentials

SECRET_HEADER = "AUTHORIZATION: basic SECRETMARK"


@pytest.fixture
def credentialed_repo(repo: Path) -> Path:
    """``repo`` configured as actions/checkout leaves it with persisted credentials."""
    git(repo, "config", "http.https://github.com/.extraheader", SECRET_HEADER)
    git(repo, "config", "credential.helper", "store --file=/nowhere/SECRETMARK")
    return repo


def _git_probe(box: Sandbox, tree: Path, config: Path) -> tuple[str, str, str]:
    # Without the machine's /etc/gitconfig, whose own helpers would show up in both runs.
    env = {**make_test_env(os.environ, tree), "GIT_CONFIG_NOSYSTEM": "1"}
    regexp = run_command(
        ["git", "config", "--get-regexp", "extraheader|credential"], tree, env, 30, sandbox=box
    )
    name = run_command(["git", "config", "user.name"], tree, env, 30, sandbox=box)
    raw = run_command(["cat", str(config)], tree, env, 30, sandbox=box)
    assert name.returncode == 0, name.output_tail
    assert raw.returncode == 0, raw.output_tail
    return regexp.output_tail, name.output_tail, raw.output_tail


@needs_bwrap
def test_sandbox_masks_git_credentials_in_the_repository_config(credentialed_repo, scratch, tree):
    config = credentialed_repo / ".git" / "config"
    box = prepare("auto", repo=credentialed_repo, scratch=scratch)
    assert config in [target for _copy, target in box.masks]
    regexp, name, raw = _git_probe(box, tree, config)
    assert regexp == ""
    assert name == "Test Human"  # the rest of the config still applies
    assert "SECRETMARK" not in raw
    assert "[user]" in raw
    assert "SECRETMARK" in config.read_text()  # the host's config is left alone
    copy = box.masks[0][0]
    assert copy.parent == scratch
    assert "SECRETMARK" not in copy.read_text()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o444


@needs_bwrap
def test_control_without_sandbox_reads_git_credentials(credentialed_repo, tree):
    config = credentialed_repo / ".git" / "config"
    regexp, name, raw = _git_probe(NONE, tree, config)
    assert f"http.https://github.com/.extraheader {SECRET_HEADER}" in regexp.splitlines()
    assert name == "Test Human"
    assert "SECRETMARK" in raw


@needs_bwrap
def test_sandbox_masks_credentials_in_the_global_git_config(repo, scratch, tree, tmp_path):
    home = tmp_path / "git-home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[user]\n\temail = global@example.invalid\n"
        "[credential]\n\thelper = store --file=/nowhere/SECRETMARK\n"
        "[include]\n\tpath = /nowhere/SECRETMARK.inc\n"
    )
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "GIT_CONFIG_NOSYSTEM": "1"}
    box = prepare("auto", repo=repo, scratch=scratch, env=env)
    assert [target for _copy, target in box.masks] == [home / ".gitconfig"]
    run_env = {**make_test_env(os.environ, tree), "HOME": str(home)}
    argv = ["git", "config", "--global", "--list"]
    inside = run_command(argv, tree, run_env, 30, sandbox=box)
    control = run_command(argv, tree, run_env, 30, sandbox=NONE)
    assert inside.output_tail == "user.email=global@example.invalid"
    assert "SECRETMARK" in control.output_tail


@needs_bwrap
def test_a_config_without_credentials_is_not_masked(repo, scratch, tmp_path):
    home = tmp_path / "clean-home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = Someone\n")
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "GIT_CONFIG_NOSYSTEM": "1"}
    box = prepare("auto", repo=repo, scratch=scratch, env=env)
    assert box.active
    assert box.masks == ()
    assert [p.name for p in scratch.iterdir()] == ["empty"]  # no cleaned copy was needed


@needs_bwrap
def test_system_config_and_credentials_in_urls_are_masked(repo, scratch, tree, tmp_path):
    system = tmp_path / "gitconfig-system"
    system.write_text(
        "[core]\n\tautocrlf = false\n"
        '[remote "mirror"]\n\turl = https://x-access-token:SECRETMARK1@example.invalid/r.git\n'
        '[url "https://bot:SECRETMARK2@example.invalid/"]\n\tinsteadOf = https://example.invalid/\n'
        "[http]\n\tproxy = http://user:SECRETMARK3@proxy.invalid:3128\n"
    )
    env = {"HOME": str(tmp_path / "nohome"), "PATH": os.environ["PATH"]}
    box = prepare("auto", repo=repo, scratch=scratch, env={**env, "GIT_CONFIG_SYSTEM": str(system)})
    assert system in [target for _copy, target in box.masks]
    run_env = {**make_test_env(os.environ, tree), "GIT_CONFIG_SYSTEM": str(system)}
    argv = ["git", "config", "--system", "--list"]
    inside = run_command(argv, tree, run_env, 30, sandbox=box)
    control = run_command(argv, tree, run_env, 30, sandbox=NONE)
    assert inside.returncode == 0, inside.output_tail
    assert "SECRETMARK" not in inside.output_tail
    assert "core.autocrlf=false" in inside.output_tail  # the rest still applies
    assert all(f"SECRETMARK{i}" in control.output_tail for i in (1, 2, 3))


@needs_bwrap
def test_a_hidden_path_inside_a_writable_folder_stays_hidden(repo, scratch, tmp_path):
    work = tmp_path / "writable"
    (work / "private").mkdir(parents=True)
    (work / "private" / "key.txt").write_text("SECRETMARK")
    (work / "token.txt").write_text("SECRETMARK")
    box = prepare(
        "auto",
        repo=repo,
        scratch=scratch,
        env={"PATH": os.environ["PATH"]},
        extra_hidden=[str(work / "private"), str(work / "token.txt")],
    )
    script = (
        "import pathlib\n"
        "for p in ('private/key.txt', 'token.txt'):\n"
        "    f = pathlib.Path(p)\n"
        "    print(p, f.read_text() if f.exists() else 'absent')\n"
    )
    inside = run_command([PY, "-c", script], work, {}, 30, sandbox=box, writable=[work])
    assert inside.returncode == 0, inside.output_tail
    assert "SECRETMARK" not in inside.output_tail
    assert "private/key.txt absent" in inside.output_tail
    assert "token.txt " in inside.output_tail.splitlines()  # an empty file stands in


# --------------------------------------------------------------------------- 6. timeout

# Two grandchildren: one in the command's process group, one escaped into a session of its
# own (which a process-group kill cannot reach).
SPAWN_PROBE = """\
import os, subprocess, sys, time
subprocess.Popen(["sleep", sys.argv[1]])
subprocess.Popen(["sleep", sys.argv[2]], start_new_session=True)
print(os.environ.get("TMPDIR", "-"), flush=True)
time.sleep(120)
"""


def _with_marker(markers: Sequence[str]) -> dict[int, list[str]]:
    """Live processes whose command line holds one of ``markers``: pid -> argv."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().decode().split("\0")[:-1]
        except OSError:
            continue
        if any(marker in arg for arg in argv for marker in markers):
            found[int(entry)] = argv
    return found


def _markers() -> tuple[str, str]:
    base = f"377.{random.randrange(10**6):06d}"
    return base + "1", base + "2"


@needs_bwrap
def test_sandbox_timeout_leaves_nothing_running(box, tree):
    markers = _markers()
    started = time.monotonic()
    result = run_py(box, SPAWN_PROBE, tree, *markers, timeout=1, grace=1)
    elapsed = time.monotonic() - started
    survivors = _with_marker(markers)
    for pid in survivors:  # never leave them behind, even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert result.timed_out
    assert elapsed < 5
    assert survivors == {}
    tmpdir = Path(result.output_tail.splitlines()[0])
    assert tmpdir.name.startswith("nightcrew-tmp-")
    assert not tmpdir.exists()


@needs_bwrap
def test_control_without_sandbox_an_escaped_grandchild_survives(tree):
    markers = _markers()
    result = run_py(NONE, SPAWN_PROBE, tree, *markers, timeout=1, grace=1)
    survivors = _with_marker(markers)
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert result.timed_out
    # The scan does see a leftover: the one in its own session, out of the group's reach.
    assert list(survivors.values()) == [["sleep", markers[1]]]


# --------------------------------------------------------------------------- 7. not found


@needs_bwrap
def test_sandbox_missing_program_is_not_found(box, tree):
    env = make_test_env(os.environ, tree)
    for argv in (["nightcrew-no-such-program", "-x"], ["./nope.sh"]):
        result = run_command(argv, tree, env, 30, sandbox=box)
        assert result.not_found, argv
        assert result.returncode == 127
        assert argv[0] in result.output_tail
        control = run_command(argv, tree, env, 30, sandbox=NONE)
        assert (control.not_found, control.returncode) == (True, 127)


@needs_bwrap
def test_sandbox_runs_a_relative_script(box, tree):
    script = tree / "script.sh"
    script.write_text('#!/bin/sh\necho "ran $1 in $(pwd)"\n')
    script.chmod(0o755)
    env = make_test_env(os.environ, tree)
    result = run_command(["./script.sh", "arg"], tree, env, 30, sandbox=box)
    assert not result.not_found
    assert result.returncode == 0
    assert result.output_tail == f"ran arg in {tree}"
    script.chmod(0o644)  # not executable: not found, as the exec would say
    result = run_command(["./script.sh"], tree, env, 30, sandbox=box)
    assert (result.not_found, result.returncode) == (True, 127)


# --------------------------------------------------------------------------- 8. prepare


def test_prepare_disabled(repo, scratch):
    box = prepare("disabled", repo=repo, scratch=scratch)
    assert not box.active
    assert box.agents_allowed
    assert "disabled" in box.describe()
    assert box.wrap(["x", "y"], repo, ()) == ["x", "y"]


def test_prepare_auto_without_bwrap(repo, scratch):
    box = prepare("auto", repo=repo, scratch=scratch, env={"PATH": "/nonexistent"})
    assert not box.active
    assert not box.agents_allowed
    assert "not installed" in box.problem
    assert "not installed" in box.describe()


def test_prepare_required_without_bwrap_raises_with_the_hint(repo, scratch):
    with pytest.raises(SandboxUnavailable) as info:
        prepare("required", repo=repo, scratch=scratch, env={"PATH": "/nonexistent"})
    assert "not installed" in str(info.value)
    assert INSTALL_HINT in str(info.value)


def _fake_bwrap(tmp_path: Path) -> str:
    path = tmp_path / "fake-bin" / "bwrap"
    path.parent.mkdir(parents=True)
    path.write_text('#!/bin/sh\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n')
    path.chmod(0o755)
    return str(path)


def test_prepare_auto_with_a_refused_bwrap(repo, scratch, tmp_path):
    box = prepare("auto", repo=repo, scratch=scratch, bwrap=_fake_bwrap(tmp_path))
    assert not box.active
    assert not box.agents_allowed
    assert "setting up uid map: Permission denied" in box.problem
    with pytest.raises(SandboxUnavailable) as info:
        prepare("required", repo=repo, scratch=scratch, bwrap=_fake_bwrap(tmp_path / "again"))
    assert "setting up uid map" in str(info.value)
    assert INSTALL_HINT in str(info.value)


def test_prepare_with_a_bwrap_that_cannot_start(repo, scratch, tmp_path):
    path = tmp_path / "bwrap"
    path.write_text("not a program\n")  # not executable
    box = prepare("auto", repo=repo, scratch=scratch, bwrap=str(path))
    assert not box.active
    assert "could not start" in box.problem


def test_prepare_rejects_an_unknown_mode(repo, scratch):
    with pytest.raises(ValueError, match="off"):
        prepare("off", repo=repo, scratch=scratch)


@needs_bwrap
def test_prepare_auto_with_bwrap(repo, scratch):
    box = prepare("auto", repo=repo, scratch=scratch)
    assert box.active
    assert box.agents_allowed
    assert box.problem is None
    assert "bubblewrap" in box.describe()


def test_hidden_paths_lists_existing_paths_once(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".config" / "gh").mkdir(parents=True)
    (home / ".netrc").write_text("machine x\n")
    runner_temp = tmp_path / "runner"
    commands = runner_temp / "_runner_file_commands"
    commands.mkdir(parents=True)
    (commands / "set_env_1").write_text("")
    sock = tmp_path / "agent.sock"
    sock.write_text("")
    extra = tmp_path / "extra.txt"
    extra.write_text("")
    monkeypatch.setenv("HOME", str(tmp_path))  # for `~` in extra
    env = {
        "HOME": str(home),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_ENV": str(commands / "set_env_1"),
        "GITHUB_STATE": str(commands / "set_env_1"),  # the same file twice
        "GITHUB_OUTPUT": str(commands / "set_output_1"),  # does not exist
        "SSH_AUTH_SOCK": str(sock),
    }
    found = hidden_paths(env, [str(extra), "~/extra.txt", str(tmp_path / "nope")])
    assert len(found) == len(set(found))
    system = [Path(p) for p in HIDDEN_SYSTEM if os.path.lexists(p)]
    assert set(found) == {
        home / ".ssh",
        home / ".config" / "gh",
        home / ".netrc",
        runner_temp,
        commands / "set_env_1",
        sock,
        extra,
        *system,
    }
    assert all(os.path.lexists(p) for p in found)


def test_hidden_paths_keeps_a_folder_that_holds_the_repository(tmp_path):
    runner_temp = tmp_path / "runner"
    repo = runner_temp / "checkout" / "repo"
    repo.mkdir(parents=True)
    env = {"RUNNER_TEMP": str(runner_temp)}
    assert runner_temp in hidden_paths(env)
    assert runner_temp not in hidden_paths(env, keep=[repo])


# --------------------------------------------------------------------------- 9. results

RESULT_PROBE = """\
import os, sys
print("hello from", os.getcwd())
print("env", os.environ.get("ONLY_HERE"))
print("stdin", repr(sys.stdin.read()))
sys.exit(3)
"""


@needs_bwrap
@pytest.mark.parametrize("sandboxed", [True, False], ids=["sandbox", "control"])
def test_exit_status_and_output_come_back(box, tree, tmp_path, sandboxed):
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "run.log"
    env = {**make_test_env(os.environ, tree), "ONLY_HERE": "yes"}
    result = run_command(
        [PY, "-c", RESULT_PROBE],
        tree,
        env,
        30,
        log,
        sandbox=box if sandboxed else NONE,
        writable=[logs],
    )
    expected = f"hello from {tree}\nenv yes\nstdin ''"
    assert result.returncode == 3
    assert not result.timed_out
    assert not result.not_found
    assert result.output_tail == expected
    assert result.log_path == log
    assert log.read_text() == expected + "\n"
    assert result.argv == (PY, "-c", RESULT_PROBE)


@needs_bwrap
def test_configured_writable_folders_are_writable_and_nothing_else(repo, scratch, tree, tmp_path):
    shared, other = tmp_path / "shared-cache", tmp_path / "other"
    shared.mkdir()
    other.mkdir()
    box = prepare("auto", repo=repo, scratch=scratch, writable=[str(shared)])
    script = (
        "import pathlib, sys\n"
        "for d in sys.argv[1:]:\n"
        "    try:\n"
        "        (pathlib.Path(d) / 'x').write_text('1')\n"
        "        print('wrote', d)\n"
        "    except OSError as e:\n"
        "        print('refused', d, e.errno)\n"
    )
    result = run_py(box, script, tree, str(shared), str(other))
    assert result.output_tail.splitlines() == [f"wrote {shared}", f"refused {other} {errno.EROFS}"]
    assert (shared / "x").read_text() == "1"


def test_cleanup_removes_only_run_folders_older_than_a_day(tmp_path):
    old, young = tmp_path / "nightcrew-tmp-old", tmp_path / "nightcrew-tmp-young"
    other = tmp_path / "not-ours"
    for folder in (old, young, other):
        (folder / "sub").mkdir(parents=True)
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    os.utime(other, (day_ago, day_ago))
    assert cleanup_stale_tmp(tmp_path) == [old]
    assert not old.exists() and young.is_dir() and other.is_dir()


def _picky_bwrap(tmp_path: Path) -> str:
    """A bwrap that builds the bare sandbox but refuses one mount, as a real one may."""
    path = tmp_path / "picky-bin" / "bwrap"
    path.parent.mkdir(parents=True)
    path.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do case "$a" in */refused-here) '
        'echo "bwrap: Can\'t mount tmpfs on /newroot$a: Permission denied" >&2; exit 1;; '
        "esac; done\n"
        "exit 0\n"
    )
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize("mode", ["auto", "required"])
def test_a_sandbox_bwrap_cannot_build_whole_is_no_sandbox(repo, scratch, tmp_path, mode):
    refused = tmp_path / "refused-here"
    refused.mkdir()
    kwargs = {"repo": repo, "scratch": scratch, "extra_hidden": [str(refused)]}
    bwrap = _picky_bwrap(tmp_path)
    if mode == "required":
        with pytest.raises(SandboxUnavailable, match="cannot apply this sandbox"):
            prepare(mode, bwrap=bwrap, **kwargs)
        return
    box = prepare(mode, bwrap=bwrap, **kwargs)
    assert not box.active and not box.agents_allowed
    assert "Can't mount tmpfs" in box.problem and "refused-here" in box.problem
    # The same bwrap without that path makes a sandbox: the whole was what failed.
    assert prepare(mode, repo=repo, scratch=scratch, bwrap=bwrap).active
