"""Real webhook payloads (tests/fixtures/webhooks, from octokit/webhooks, MIT), adapted.

Each builder starts from the recorded payload GitHub sent and changes only what a case
needs (repository, numbers, ids, bodies, users), so every other field stays as GitHub
shapes it.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "webhooks"


@cache
def _recorded(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.payload.json").read_text(encoding="utf-8"))


def recorded(name: str) -> dict[str, Any]:
    """A fresh copy of ``<name>.payload.json``, e.g. ``issue_comment.created``."""
    return copy.deepcopy(_recorded(name))


def _user(template: dict[str, Any], login: str, kind: str | None = None) -> dict[str, Any]:
    user = dict(template)
    user["login"] = login
    user["type"] = kind or ("Bot" if login.endswith("[bot]") else "User")
    user["url"] = f"https://api.github.com/users/{login}"
    user["html_url"] = f"https://github.com/{login}"
    return user


def _retarget(payload: dict[str, Any], repository: str) -> dict[str, Any]:
    owner, name = repository.split("/")
    repo = payload["repository"]
    repo["full_name"], repo["name"] = repository, name
    repo["owner"] = _user(repo["owner"], owner, "Organization")
    repo["default_branch"] = "main"
    return payload


def comment(
    body: str,
    *,
    number: int,
    comment_id: int,
    login: str = "octocat",
    kind: str | None = None,
    repository: str = "octo-org/demo",
    action: str = "created",
    on_pull: bool = True,
    previous: str | None = None,
    sender: str | None = None,
) -> dict[str, Any]:
    """``issue_comment.created`` (or ``.edited``, by ``sender``) on #number, by ``login``."""
    payload = recorded(f"issue_comment.{'edited' if action == 'edited' else 'created'}")
    payload["action"] = action
    _retarget(payload, repository)
    issue = payload["issue"]
    issue["number"] = number
    if on_pull:
        base = f"https://api.github.com/repos/{repository}"
        issue["pull_request"] = {
            "url": f"{base}/pulls/{number}",
            "html_url": f"https://github.com/{repository}/pull/{number}",
            "diff_url": f"https://github.com/{repository}/pull/{number}.diff",
            "patch_url": f"https://github.com/{repository}/pull/{number}.patch",
            "merged_at": None,
        }
    else:
        issue.pop("pull_request", None)
    c = payload["comment"]
    c["id"], c["body"] = comment_id, body
    c["user"] = _user(c["user"], login, kind)
    payload["sender"] = _user(payload["sender"], sender or login, None if sender else kind)
    if action == "edited":
        payload["changes"] = {"body": {"from": previous if previous is not None else ""}}
    return payload


def review(
    body: str | None,
    *,
    number: int,
    review_id: int = 700,
    login: str = "octocat",
    state: str = "commented",
    repository: str = "octo-org/demo",
    action: str = "submitted",
) -> dict[str, Any]:
    """``pull_request_review.submitted`` on #number."""
    payload = _retarget(recorded("pull_request_review.submitted"), repository)
    payload["action"] = action
    r = payload["review"]
    r["id"], r["body"], r["state"] = review_id, body, state
    r["user"] = _user(r["user"], login)
    payload["pull_request"]["number"] = number
    payload["sender"] = _user(payload["sender"], login)
    return payload


def pull(
    action: str,
    *,
    number: int,
    body: str,
    head_ref: str,
    merged: bool = False,
    head_repository: str | None = None,
    sender: str = "octocat",
    repository: str = "octo-org/demo",
) -> dict[str, Any]:
    """``pull_request.closed`` (or ``reopened``...) for #number with this body and head."""
    payload = _retarget(recorded("pull_request.closed"), repository)
    payload["action"] = action
    payload["number"] = number
    p = payload["pull_request"]
    p["number"], p["body"], p["merged"] = number, body, merged
    p["merged_at"] = "2026-01-02T03:04:05Z" if merged else None
    p["state"] = "closed" if action == "closed" else "open"
    p["head"]["ref"] = head_ref
    p["head"]["repo"] = copy.deepcopy(payload["repository"])
    if head_repository is not None:
        p["head"]["repo"]["full_name"] = head_repository
    payload["sender"] = _user(payload["sender"], sender)
    return payload


def write(tmp: Path, payload: dict[str, Any], name: str = "event.json") -> Path:
    """The payload as the file ``$GITHUB_EVENT_PATH`` points to."""
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / name
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path
