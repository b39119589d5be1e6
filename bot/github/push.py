"""git push of one commit to one branch of the workspace's ``origin``, with a lease.

``--force-with-lease=refs/heads/<branch>:<expected>`` makes every push conditional: a new
branch must not exist yet (empty expected value), a rebuilt one must still be at the head
Nightcrew saw. So a concurrent run or a person's push is never overwritten; the loser
gets ``LeaseRejected`` and re-reads GitHub instead.

The token reaches only the one git process, through ``GIT_CONFIG_COUNT``/``KEY``/``VALUE``
environment entries setting ``http.<server>/.extraheader`` (as actions/checkout does):
never on the command line, never in the remote URL, never in a log or an error. The first
entry resets any header a checkout persisted, so two Authorization headers are never sent.

Transient failures (network, 5xx, a remote hanging up, a remote asking to try again) are
retried by ``pacing.retrying``: a few attempts with exponential backoff, every wait drawn
from the night's ``WaitBudget`` when one is given. Nothing else retries a push.
"""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tenacity import RetryCallState

from bot.errors import NightcrewError
from bot.github.pacing import WaitBudget, retrying

log = logging.getLogger(__name__)

PUSH_TIMEOUT = 300.0
_TRANSIENT = (
    "could not resolve host",
    "connection timed out",
    "operation timed out",
    "connection reset",
    "connection refused",
    "failed to connect",
    "couldn't connect",
    "the remote end hung up unexpectedly",
    "could not read from remote repository",
    "early eof",
    "rpc failed",
    "http 500",
    "http 502",
    "http 503",
    "http 504",
    "error: 50",
    "gnutls",
    "ssl_read",
    "unexpected disconnect",
    # The remote (or a hook of it) asks for another try: busy, or a fault on its side.
    "try again",
    "internal server error",
    "service unavailable",
    "temporarily unavailable",
)
# Another push updated the ref between our lease check and our update (the remote's lock).
_LOST_RACE = (
    "cannot lock ref",
    "failed to update ref",
    "incorrect old value",
    "but expected",
    "reference already exists",
)
# Refused on purpose, even when the same answer also says "try again".
_REFUSED = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "terminal prompts disabled",
    "permission to",
    "permission denied",
    "http 401",
    "http 403",
    "error: 403",
    "error: 401",
    "protected branch",
    "gh006",  # GitHub: "Protected branch update failed"
    "gh013",  # GitHub: "Repository rule violations found"
)
# Refused for a reason git does not name (a hook declined): permanent, unless it is transient.
_DECLINED = "[remote rejected]"


@dataclass
class PushError(NightcrewError):
    """The push failed; ``output`` is git's answer with any secret removed."""

    branch: str
    output: str
    # Set when retrying stopped because the night's wait budget could not cover the next
    # wait: the seconds it had left (see ``pacing.retrying``).
    budget_left: float | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [line for line in self.output.strip().splitlines() if line.strip()][-4:]
        said = ("; ".join(lines)) if lines else "no output"
        return f"git push to {self.branch} failed: {said}"


class LeaseRejected(PushError):
    """The branch on origin is not where Nightcrew expected: someone else pushed first."""


class PushRefused(PushError):
    """The remote refused on purpose (credentials, permissions, branch protection, hooks)."""


class TransientPushError(PushError):
    """Network or server trouble: worth another try."""


Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def auth_env(url: str, token: str | None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment entries that give git an Authorization header for ``url``'s server only."""
    parts = urlsplit(url)
    if not token or parts.scheme not in ("http", "https") or not parts.hostname:
        return {}  # a local path or ssh remote: nothing to send
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    key = f"http.{parts.scheme}://{host}/.extraheader"
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
    start = int((base or {}).get("GIT_CONFIG_COUNT", "0") or 0)
    return {
        "GIT_CONFIG_COUNT": str(start + 2),
        f"GIT_CONFIG_KEY_{start}": key,
        f"GIT_CONFIG_VALUE_{start}": "",  # reset a header a checkout may have persisted
        f"GIT_CONFIG_KEY_{start + 1}": key,
        f"GIT_CONFIG_VALUE_{start + 1}": f"AUTHORIZATION: basic {basic}",
    }


def redact(text: str, token: str | None) -> str:
    """``text`` without the token, its basic-auth form, or credentials in URLs."""
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
        text = text.replace(basic, "***").replace(token, "***")
    return _strip_url_credentials(text)


def _strip_url_credentials(text: str) -> str:
    out = []
    for word in text.split(" "):
        scheme, sep, rest = word.partition("://")
        if sep and "@" in rest.split("/", 1)[0]:
            word = f"{scheme}://***@{rest.split('@', 1)[1]}"
        out.append(word)
    return " ".join(out)


def remote_url(workspace: Path, remote: str = "origin") -> str:
    result = subprocess.run(
        ["git", "remote", "get-url", remote],
        cwd=workspace,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip()


def push(
    workspace: Path,
    sha: str,
    branch: str,
    *,
    expect: str | None,
    token: str | None = None,
    remote: str = "origin",
    attempts: int = 3,
    backoff: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    budget: WaitBudget | None = None,
    run: Runner = subprocess.run,
) -> None:
    """Point ``refs/heads/<branch>`` on ``remote`` at ``sha`` if it is at ``expect``.

    ``expect=None`` means the branch must not exist yet. Raises ``LeaseRejected``,
    ``PushRefused``, ``TransientPushError`` (after the last attempt, or with
    ``budget_left`` set when ``budget`` could not cover the next wait) or ``PushError``.
    Without a ``budget``, waits are bounded by ``attempts`` only and slept with ``sleep``.
    """
    ref = f"refs/heads/{branch}"
    cmd = [
        "git",
        "push",
        "--porcelain",
        "--no-verify",  # the user's pre-push hooks are not Nightcrew's to run
        f"--force-with-lease={ref}:{expect or ''}",
        remote,
        f"{sha}:{ref}",
    ]
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",  # never wait for a password that will not come
        "GCM_INTERACTIVE": "never",
        **auth_env(remote_url(workspace, remote), token, os.environ),
    }

    def announce(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s; trying again (attempt %d of %d)", error, state.attempt_number + 1, attempts
        )

    def once() -> None:
        log.info("$ %s", " ".join(cmd))
        _push_once(cmd, workspace, env, branch, token, run)

    retry = retrying(
        budget or WaitBudget(float("inf"), sleep=sleep),
        lambda error: isinstance(error, TransientPushError),
        attempts=attempts,
        backoff=backoff,
        longest=30.0,
        before_sleep=announce,
    )
    retry(once)


def _push_once(
    cmd: list[str],
    workspace: Path,
    env: dict[str, str],
    branch: str,
    token: str | None,
    run: Runner,
) -> None:
    try:
        result = run(
            cmd,
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=PUSH_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TransientPushError(branch, f"no answer within {PUSH_TIMEOUT:.0f}s") from None
    if result.returncode == 0:
        return
    output = redact(f"{result.stdout}\n{result.stderr}", token)
    raise _classify(branch, output)


def _classify(branch: str, output: str) -> PushError:
    lower = output.lower()
    rejected = [line for line in lower.splitlines() if line.startswith("!")]
    if any("stale info" in line or "[rejected]" in line for line in rejected) or any(
        marker in lower for marker in _LOST_RACE
    ):
        return LeaseRejected(branch, output)
    if any(marker in lower for marker in _REFUSED):
        return PushRefused(branch, output)
    if any(marker in lower for marker in _TRANSIENT):
        return TransientPushError(branch, output)
    if _DECLINED in lower:
        return PushRefused(branch, output)
    return PushError(branch, output)
