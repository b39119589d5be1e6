"""git push with a lease, retried on transient failures, with the token kept out of sight."""

from __future__ import annotations

import base64
import logging
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.github.pacing import WaitBudget
from bot.github.push import (
    LeaseRejected,
    PushError,
    PushRefused,
    TransientPushError,
    _classify,
    auth_env,
    push,
    redact,
)
from tests.conftest import git, init_repo
from tests.fakes.github import FakeGitHub

TOKEN = "ghs_PushTestToken22222222222222222222"
BASIC = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "ws", {"a.py": "x = 1\n"})
    git(repo, "config", "user.name", "Nightcrew")
    git(repo, "config", "user.email", "nightcrew@users.noreply.github.com")
    return repo


def commit(repo: Path, text: str) -> str:
    """A commit on top of main, not on any branch (as the night makes them)."""
    git(repo, "checkout", "--quiet", "--detach", "main")
    (repo / "a.py").write_text(text, encoding="utf-8")
    git(repo, "commit", "--quiet", "-am", text)
    sha = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "--quiet", "main")
    return sha


def origin_sha(repo: Path, branch: str) -> str | None:
    origin = repo.parent / f"{repo.name}-origin.git"
    result = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
        cwd=origin,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or None


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        pytest.param(
            "https://github.com/octo-org/demo",
            {},
            {
                "GIT_CONFIG_COUNT": "2",
                "GIT_CONFIG_KEY_0": "http.https://github.com/.extraheader",
                "GIT_CONFIG_VALUE_0": "",
                "GIT_CONFIG_KEY_1": "http.https://github.com/.extraheader",
                "GIT_CONFIG_VALUE_1": f"AUTHORIZATION: basic {BASIC}",
            },
            id="github",
        ),
        pytest.param(
            "http://127.0.0.1:8080/octo-org/demo.git",
            {"GIT_CONFIG_COUNT": "1"},
            {
                "GIT_CONFIG_COUNT": "3",
                "GIT_CONFIG_KEY_1": "http.http://127.0.0.1:8080/.extraheader",
                "GIT_CONFIG_VALUE_1": "",
                "GIT_CONFIG_KEY_2": "http.http://127.0.0.1:8080/.extraheader",
                "GIT_CONFIG_VALUE_2": f"AUTHORIZATION: basic {BASIC}",
            },
            id="enterprise-port-after-existing-entries",
        ),
        pytest.param(
            "https://x-access-token:old@github.example.com/o/r.git",
            {},
            {
                "GIT_CONFIG_COUNT": "2",
                "GIT_CONFIG_KEY_0": "http.https://github.example.com/.extraheader",
                "GIT_CONFIG_VALUE_0": "",
                "GIT_CONFIG_KEY_1": "http.https://github.example.com/.extraheader",
                "GIT_CONFIG_VALUE_1": f"AUTHORIZATION: basic {BASIC}",
            },
            id="credentials-in-url-are-not-the-key",
        ),
        pytest.param("/tmp/origin.git", {}, {}, id="local-path-needs-nothing"),
        pytest.param("git@github.com:octo-org/demo.git", {}, {}, id="ssh-needs-nothing"),
    ],
)
def test_auth_env(url: str, base: dict[str, str], expected: dict[str, str]) -> None:
    assert auth_env(url, TOKEN, base) == expected


def test_auth_env_without_a_token_is_empty() -> None:
    assert auth_env("https://github.com/o/r", None) == {}
    assert auth_env("https://github.com/o/r", "") == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(f"token {TOKEN} here", "token *** here", id="token"),
        pytest.param(f"AUTHORIZATION: basic {BASIC}", "AUTHORIZATION: basic ***", id="basic"),
        pytest.param(
            "fatal: unable to access 'https://user:pw@github.com/o/r.git/'",
            "fatal: unable to access 'https://***@github.com/o/r.git/'",
            id="url-credentials",
        ),
        pytest.param("nothing secret", "nothing secret", id="clean"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text, TOKEN) == expected


@pytest.mark.parametrize(
    ("output", "kind"),
    [
        pytest.param(
            "!\tabc:refs/heads/x\t[rejected] (stale info)\nDone", LeaseRejected, id="stale-lease"
        ),
        pytest.param(
            "!\tabc:refs/heads/x\t[remote rejected] (failed to update ref)\n"
            "remote: error: cannot lock ref 'refs/heads/x': reference already exists",
            LeaseRejected,
            id="lost-a-concurrent-update",
        ),
        pytest.param(
            "!\tabc:refs/heads/x\t[remote rejected] (protected branch hook declined)",
            PushRefused,
            id="protected-branch",
        ),
        pytest.param(
            "remote: Permission to o/r.git denied to github-actions[bot].\n"
            "fatal: unable to access 'https://github.com/o/r/': The requested URL returned "
            "error: 403",
            PushRefused,
            id="no-permission",
        ),
        pytest.param(
            "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
            PushRefused,
            id="no-credentials",
        ),
        pytest.param(
            "error: RPC failed; HTTP 502 curl 22 The requested URL returned error: 502",
            TransientPushError,
            id="bad-gateway",
        ),
        pytest.param(
            "fatal: unable to access 'https://github.com/o/r/': Could not resolve host: github.com",
            TransientPushError,
            id="dns",
        ),
        pytest.param(
            "fatal: the remote end hung up unexpectedly", TransientPushError, id="hung-up"
        ),
        pytest.param(
            "!\tabc:refs/heads/x\t[remote rejected] (pre-receive hook declined)\n"
            "remote: error: the remote is busy, please try again",
            TransientPushError,
            id="asked-to-try-again",
        ),
        pytest.param(
            "remote: error: GH006: Protected branch update failed for refs/heads/x.\n"
            "remote: Please try again after review.\n"
            "!\tabc:refs/heads/x\t[remote rejected] (pre-receive hook declined)",
            PushRefused,
            id="a-rule-wins-over-try-again",
        ),
        pytest.param(
            "!\tabc:refs/heads/x\t[remote rejected] (pre-receive hook declined)",
            PushRefused,
            id="declined-for-no-said-reason",
        ),
        pytest.param("error: something new and strange", PushError, id="unknown"),
    ],
)
def test_classify(output: str, kind: type[PushError]) -> None:
    error = _classify("nightcrew/x", output)
    assert type(error) is kind


def test_new_branch_then_lease_on_its_head(workspace: Path) -> None:
    first, second = commit(workspace, "x = 2\n"), commit(workspace, "x = 3\n")
    push(workspace, first, "nightcrew/x", expect=None)
    assert origin_sha(workspace, "nightcrew/x") == first

    with pytest.raises(LeaseRejected):
        push(workspace, second, "nightcrew/x", expect=None)  # it exists now
    with pytest.raises(LeaseRejected):
        push(workspace, second, "nightcrew/x", expect="0" * 40)  # not where we think
    assert origin_sha(workspace, "nightcrew/x") == first

    push(workspace, second, "nightcrew/x", expect=first)  # a rebuild: not a fast-forward
    assert origin_sha(workspace, "nightcrew/x") == second


def test_users_pre_push_hooks_do_not_run(workspace: Path) -> None:
    hook = workspace / ".git" / "hooks" / "pre-push"
    hook.write_text("#!/bin/sh\necho 'hook says no' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    sha = commit(workspace, "x = 4\n")
    push(workspace, sha, "nightcrew/hooked", expect=None)
    assert origin_sha(workspace, "nightcrew/hooked") == sha


def flaky_remote(workspace: Path, failures: int) -> Path:
    """Make origin drop the connection the first ``failures`` times, like a bad network."""
    counter = workspace.parent / "attempts"
    script = workspace.parent / "flaky-receive-pack"
    script.write_text(
        "#!/bin/sh\n"
        f"n=$(cat '{counter}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{counter}'\n"
        f'if [ "$n" -le {failures} ]; then echo "connection dropped" >&2; exit 128; fi\n'
        'exec git-receive-pack "$@"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    git(workspace, "config", "remote.origin.receivepack", str(script))
    return counter


def test_transient_failures_are_retried_with_backoff(
    workspace: Path, caplog: pytest.LogCaptureFixture
) -> None:
    counter = flaky_remote(workspace, failures=2)
    sleeps: list[float] = []
    sha = commit(workspace, "x = 5\n")
    with caplog.at_level(logging.WARNING):
        push(workspace, sha, "nightcrew/flaky", expect=None, sleep=sleeps.append, backoff=1.0)
    assert origin_sha(workspace, "nightcrew/flaky") == sha
    assert counter.read_text().strip() == "3"
    assert sleeps == [1.0, 2.0]  # exponential
    assert "trying again (attempt 2 of 3)" in caplog.text


def test_transient_failures_give_up_after_a_few_attempts(workspace: Path) -> None:
    counter = flaky_remote(workspace, failures=10)
    sleeps: list[float] = []
    with pytest.raises(TransientPushError) as caught:
        push(
            workspace,
            commit(workspace, "x = 6\n"),
            "nightcrew/down",
            expect=None,
            sleep=sleeps.append,
        )
    assert counter.read_text().strip() == "3"
    assert len(sleeps) == 2
    assert "could not read from remote repository" in str(caught.value).lower()


def test_a_wait_beyond_the_budget_is_not_started(workspace: Path) -> None:
    counter = flaky_remote(workspace, failures=10)
    sleeps: list[float] = []
    budget = WaitBudget(3.0, sleep=sleeps.append)
    with pytest.raises(TransientPushError) as caught:
        push(workspace, commit(workspace, "x = 8\n"), "nightcrew/b", expect=None, budget=budget)
    assert sleeps == [2.0]  # the next wait, 4s, is more than the 1s left
    assert counter.read_text().strip() == "2"
    assert caught.value.budget_left == 1.0


def test_lease_rejections_are_not_retried(workspace: Path) -> None:
    first, second = commit(workspace, "x = 7\n"), commit(workspace, "x = 70\n")
    push(workspace, first, "nightcrew/once", expect=None)
    sleeps: list[float] = []
    with pytest.raises(LeaseRejected):
        push(workspace, second, "nightcrew/once", expect=None, sleep=sleeps.append)
    assert sleeps == []


class Spy:
    """Runs the real subprocess, remembering what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict[str, str]]] = []

    def __call__(self, cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append((list(cmd), dict(kwargs["env"])))
        return subprocess.run(cmd, **kwargs)


def test_token_goes_to_git_by_environment_only(
    workspace: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    origin = workspace.parent / "ws-origin.git"
    with FakeGitHub(origin, "octo-org", "demo", TOKEN) as gh:
        git(workspace, "remote", "set-url", "origin", gh.clone_url)
        # actions/checkout persists its own header; ours must replace it, not add a second.
        stale = base64.b64encode(b"x-access-token:ghs_checkoutToken").decode()
        git(workspace, "config", f"http.{gh.url}/.extraheader", f"AUTHORIZATION: basic {stale}")
        spy = Spy()
        sha = commit(workspace, "x = 8\n")
        push(workspace, sha, "nightcrew/http", expect=None, token=TOKEN, run=spy)
        assert gh.branch_sha("nightcrew/http") == sha

        ((cmd, env),) = spy.calls
        assert not any(TOKEN in part or BASIC in part for part in cmd)
        assert env["GIT_CONFIG_VALUE_1"] == f"AUTHORIZATION: basic {BASIC}"
        assert env["GIT_TERMINAL_PROMPT"] == "0"
        assert all(r.status != 401 for r in gh.requests)

        out, err = capfd.readouterr()
        for text in (caplog.text, out, err):
            assert TOKEN not in text and BASIC not in text
        assert "git push --porcelain" in caplog.text  # the command is logged, without secrets


def test_a_wrong_token_is_refused_at_once_and_not_leaked(workspace: Path) -> None:
    origin = workspace.parent / "ws-origin.git"
    with FakeGitHub(origin, "octo-org", "demo", TOKEN) as gh:
        git(workspace, "remote", "set-url", "origin", gh.clone_url)
        wrong = "ghs_wrongPushToken3333333333333333333"
        sleeps: list[float] = []
        with pytest.raises(PushRefused) as caught:
            push(workspace, commit(workspace, "x = 9\n"), "nightcrew/denied", expect=None,
                 token=wrong, sleep=sleeps.append)  # fmt: skip
        assert sleeps == []
        assert wrong not in str(caught.value) and wrong not in caught.value.output
        assert gh.branch_sha("nightcrew/denied") is None
