"""A fake GitHub: a stateful loopback HTTP server for the REST subset Nightcrew uses.

Shaped by the real traffic recorded in ``../shared/github/rest`` (octokit/fixtures and
PyGithub's recordings): the fields PyGithub reads, ``url``/``html_url`` and ``Link``
headers pointing at the fake itself, GitHub's exact error bodies. Branches are the real
refs of a bare ``origin`` repository on disk: a ``git push`` made by real git (over the
fake's smart-HTTP endpoint, served by ``git http-backend``, or straight to the path) is
what the API then reports. The API lives under ``/api/v3`` like GitHub Enterprise Server,
so ``GITHUB_API_URL`` handling is exercised too.

Faults can be injected per route (5xx before or after the request took effect, 403/429
rate limits with ``retry-after``, slow answers), and every request is recorded without
its ``Authorization`` header so tests can assert on what was sent.

    with FakeGitHub(origin_path, "octo-org", "demo", token) as gh:
        gh.fail("POST", r"/repos/octo-org/demo/pulls", 502, times=2)
        ...
        assert len(gh.open_pulls()) == 1
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

API_PREFIX = "/api/v3"
DOCS = "https://docs.github.com/rest"
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")
REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    304: "Not Modified",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# Bodies GitHub sends with these statuses (a 502 comes from its load balancer).
FAULT_BODIES: dict[int, Any] = {
    500: {"message": "Server Error"},
    502: {"message": "Server Error"},
    503: {"message": "Service Unavailable"},
    504: {"message": "We couldn't respond to your request in time. Sorry about that."},
}
SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
    "again. If you reach out to GitHub Support for help, please include the request ID "
    "0000:00000:0000000:0000000:00000000."
)


class ApiFailure(Exception):
    """Raised by a handler to answer with a GitHub error."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


def not_found(doc: str = DOCS) -> ApiFailure:
    return ApiFailure(404, {"message": "Not Found", "documentation_url": doc, "status": "404"})


def validation_failed(doc: str, *errors: dict[str, Any]) -> ApiFailure:
    return ApiFailure(
        422,
        {
            "message": "Validation Failed",
            "errors": list(errors),
            "documentation_url": doc,
            "status": "422",
        },
    )


def unprocessable(message: str, doc: str) -> ApiFailure:
    return ApiFailure(422, {"message": message, "documentation_url": doc, "status": "422"})


@dataclass
class Recorded:
    """One request the fake received (the ``Authorization`` header left out)."""

    method: str
    path: str  # without the API prefix and the query
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: str
    status: int = 0
    kind: str = "api"  # "api" | "git"

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Fault:
    method: str  # "*" for any
    pattern: str  # regex, full match on the API path (without /api/v3 and the query)
    status: int | None = None  # None: only a delay
    times: int = 1
    skip: int = 0  # let this many matching requests through first
    delay: float = 0.0
    after: bool = False  # perform the request, then answer with the fault (lost response)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and re.fullmatch(self.pattern, path) is not None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeGitHub:
    """The fake server and its state. Use as a context manager (starts/stops the thread)."""

    def __init__(
        self,
        origin: Path,
        owner: str = "octo-org",
        repo: str = "demo",
        token: str = "ghs_fakeToken0000000000000000000000000",
        *,
        login: str = "nightcrew[bot]",
        default_branch: str = "main",
        collaborators: dict[str, str] | None = None,
    ) -> None:
        self.origin = Path(origin)
        self.owner = owner
        self.name = repo
        self.full_name = f"{owner}/{repo}"
        self.default_branch = default_branch
        self.tokens: dict[str, str] = {token: login}
        self.token = token
        self.login = login
        self.collaborators: dict[str, str] = {"octocat": "admin", "hubot": "write"}
        self.collaborators.update(collaborators or {})
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.crashes: list[str] = []
        self.items: dict[int, dict[str, Any]] = {}  # issues and pulls share numbers
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.labels: dict[str, dict[str, Any]] = {}
        self.rate_remaining = 5000
        # GitHub answers `mergeable: null` until it has computed a PR's mergeability.
        self.mergeability_pending = False
        self._next_number = 1
        self._next_id = 1000
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        for name, color, description in (
            ("bug", "d73a4a", "Something isn't working"),
            ("enhancement", "a2eeef", "New feature or request"),
        ):
            self._add_label(name, color, description, default=True)

    # Lifecycle.

    def __enter__(self) -> FakeGitHub:
        fake = self

        class Handler(_Handler):
            github = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def api_url(self) -> str:
        return self.url + API_PREFIX

    @property
    def clone_url(self) -> str:
        return f"{self.url}/{self.owner}/{self.name}.git"

    @property
    def html_repo(self) -> str:
        return f"{self.url}/{self.owner}/{self.name}"

    @property
    def api_repo(self) -> str:
        return f"{self.api_url}/repos/{self.owner}/{self.name}"

    # Fault injection.

    def fail(
        self,
        method: str,
        pattern: str,
        status: int = 502,
        *,
        times: int = 1,
        skip: int = 0,
        after: bool = False,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """Answer ``status`` to the next ``times`` matching requests (after ``skip``)."""
        fault = Fault(
            method,
            pattern,
            status,
            times,
            skip,
            after=after,
            body=body if body is not None else FAULT_BODIES.get(status, {"message": "Error"}),
            headers=headers or {},
        )
        with self._lock:
            self.faults.append(fault)
        return fault

    def secondary_rate_limit(
        self,
        method: str,
        pattern: str,
        *,
        retry_after: int = 60,
        status: int = 403,
        times: int = 1,
        skip: int = 0,
    ) -> Fault:
        body = {
            "message": SECONDARY_LIMIT_MESSAGE,
            "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/"
            "rate-limits-for-the-rest-api#about-secondary-rate-limits",
        }
        return self.fail(
            method,
            pattern,
            status,
            times=times,
            skip=skip,
            body=body,
            headers={"Retry-After": str(retry_after)},
        )

    def primary_rate_limit(
        self, method: str, pattern: str, *, reset_in: int = 1800, times: int = 1, skip: int = 0
    ) -> Fault:
        body = {
            "message": "API rate limit exceeded for installation ID 1000.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        }
        headers = {
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(time.time()) + reset_in),
        }
        return self.fail(method, pattern, 403, times=times, skip=skip, body=body, headers=headers)

    def slow(
        self, method: str, pattern: str, seconds: float, *, times: int = 1, skip: int = 0
    ) -> Fault:
        fault = Fault(method, pattern, None, times, skip, delay=seconds)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if not fault.matches(method, path) or fault.hits >= fault.skip + fault.times:
                    continue
                fault.hits += 1
                if fault.hits > fault.skip:
                    return fault
                return None
        return None

    # What tests read.

    def pulls(self, state: str = "all") -> list[dict[str, Any]]:
        with self._lock:
            pulls = [i for i in self.items.values() if i["kind"] == "pull"]
            for pull in pulls:
                self._refresh(pull)
            return [p for p in pulls if state == "all" or p["state"] == state]

    def open_pulls(self) -> list[dict[str, Any]]:
        return self.pulls("open")

    def pull(self, number: int) -> dict[str, Any]:
        with self._lock:
            item = self.items[number]
            self._refresh(item)
            return item

    def comments_on(self, number: int) -> list[str]:
        with self._lock:
            return [c["body"] for c in self.comments.get(number, [])]

    def writes(self, method: str | None = None, pattern: str | None = None) -> list[Recorded]:
        """Recorded requests that change something (not GET, no GraphQL query), filtered."""
        return [
            r
            for r in self.requests
            if r.method != "GET"
            and r.kind == "api"
            and not (r.path.endswith("/graphql") and "mutation" not in r.body)  # a read
            and (method is None or r.method == method)
            and (pattern is None or re.fullmatch(pattern, r.path))
        ]

    def branch_sha(self, branch: str) -> str | None:
        return self._ref_sha(f"refs/heads/{branch}")

    def branches(self) -> dict[str, str]:
        out = self._git("for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/")
        return {
            ref.removeprefix("refs/heads/"): sha
            for ref, sha in (line.split() for line in out.splitlines() if line)
        }

    # Acting as a person on GitHub.

    def add_token(self, token: str, login: str) -> None:
        self.tokens[token] = login

    def close_pull(self, number: int) -> None:
        with self._lock:
            pull = self.pull(number)
            self._close(pull)

    def merge_pull(self, number: int) -> str:
        """Merge with a merge commit, as the green button does; returns the merge commit."""
        with self._lock:
            pull = self.pull(number)
            base_ref = f"refs/heads/{pull['base']}"
            base, head = self._ref_sha(base_ref), self._live_head(pull)
            tree = self._git("merge-tree", "--write-tree", base or "", head).split()[0]
            env = {
                "GIT_AUTHOR_NAME": "Octo Cat",
                "GIT_AUTHOR_EMAIL": "octocat@example.invalid",
                "GIT_COMMITTER_NAME": "GitHub",
                "GIT_COMMITTER_EMAIL": "noreply@github.com",
            }
            message = f"Merge pull request #{number} from {self.owner}/{pull['head']}"
            sha = self._git(
                "commit-tree", tree, "-p", base or "", "-p", head, "-m", message, env=env
            )
            self._git("update-ref", base_ref, sha.strip(), base or "")
            pull["merged"] = True
            pull["merged_at"] = _now()
            pull["merge_commit_sha"] = sha.strip()
            self._close(pull)
            return sha.strip()

    # Git on the bare origin.

    def _git(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
        result = subprocess.run(
            ["git", *args],
            cwd=self.origin,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout.strip()

    def _ref_sha(self, ref: str) -> str | None:
        out = self._git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return out or None

    def _resolve(self, rev: str) -> str | None:
        rev = rev.split(":", 1)[-1]  # "owner:branch"
        if re.fullmatch(r"[0-9a-f]{7,40}", rev):
            found = self._ref_sha(rev)
            if found:
                return found
        return self._ref_sha(f"refs/heads/{rev}")

    def _rev_list(self, exclude: str, include: str) -> list[str]:
        out = self._git("rev-list", "--reverse", "--topo-order", include, f"^{exclude}")
        return out.split()

    def _commit(self, sha: str) -> dict[str, Any]:
        fields = self._git(
            "show",
            "-s",
            "--format=%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%T%x00%B",
            sha,
        ).split("\0")
        sha, parents, an, ae, ad, cn, ce, cd, tree, message = fields
        api = self.api_repo
        return {
            "sha": sha,
            "node_id": _node_id("Commit", sha),
            "commit": {
                "author": {"name": an, "email": ae, "date": ad},
                "committer": {"name": cn, "email": ce, "date": cd},
                "message": message.rstrip("\n"),
                "tree": {"sha": tree, "url": f"{api}/git/trees/{tree}"},
                "url": f"{api}/git/commits/{sha}",
                "comment_count": 0,
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                },
            },
            "url": f"{api}/commits/{sha}",
            "html_url": f"{self.html_repo}/commit/{sha}",
            "comments_url": f"{api}/commits/{sha}/comments",
            "author": self._user(self.login) if ae.startswith("nightcrew") else None,
            "committer": self._user(self.login) if ce.startswith("nightcrew") else None,
            "parents": [
                {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{self.html_repo}/commit/{p}"}
                for p in parents.split()
            ],
        }

    # JSON shapes.

    def _user(self, login: str) -> dict[str, Any]:
        api = f"{self.api_url}/users/{quote(login)}"
        return {
            "login": login,
            "id": 10_000 + sum(map(ord, login)),
            "node_id": _node_id("User", login),
            "avatar_url": f"{self.url}/avatars/{quote(login)}",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{self.url}/{quote(login)}",
            "followers_url": f"{api}/followers",
            "repos_url": f"{api}/repos",
            "type": "Bot" if login.endswith("[bot]") else "User",
            "site_admin": False,
        }

    def _repo_json(self) -> dict[str, Any]:
        api = self.api_repo
        return {
            "id": 4242,
            "node_id": _node_id("Repository", self.full_name),
            "name": self.name,
            "full_name": self.full_name,
            "private": False,
            "owner": {**self._user(self.owner), "type": "Organization"},
            "html_url": self.html_repo,
            "description": "A repository on the fake GitHub",
            "fork": False,
            "url": api,
            "pulls_url": f"{api}/pulls{{/number}}",
            "issues_url": f"{api}/issues{{/number}}",
            "labels_url": f"{api}/labels{{/name}}",
            "git_refs_url": f"{api}/git/refs{{/sha}}",
            "compare_url": f"{api}/compare/{{base}}...{{head}}",
            "collaborators_url": f"{api}/collaborators{{/collaborator}}",
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": _now(),
            "pushed_at": _now(),
            "clone_url": self.clone_url,
            "git_url": self.clone_url.replace("http://", "git://"),
            "ssh_url": f"git@127.0.0.1:{self.full_name}.git",
            "homepage": None,
            "size": 1,
            "language": "Python",
            "has_issues": True,
            "archived": False,
            "disabled": False,
            "visibility": "public",
            "default_branch": self.default_branch,
            "open_issues_count": sum(1 for i in self.items.values() if i["state"] == "open"),
            "permissions": {
                "admin": False,
                "maintain": False,
                "push": True,
                "triage": True,
                "pull": True,
            },
        }

    def _label_json(self, label: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": label["id"],
            "node_id": _node_id("Label", label["name"]),
            "url": f"{self.api_repo}/labels/{quote(label['name'])}",
            "name": label["name"],
            "color": label["color"],
            "default": label["default"],
            "description": label["description"],
        }

    def _pull_json(self, pull: dict[str, Any], *, full: bool) -> dict[str, Any]:
        self._refresh(pull)
        n = pull["number"]
        api = self.api_repo
        head_sha = self._live_head(pull)
        base_sha = self._ref_sha(f"refs/heads/{pull['base']}") or ""
        data: dict[str, Any] = {
            "url": f"{api}/pulls/{n}",
            "id": pull["id"],
            "node_id": _node_id("PullRequest", str(n)),
            "html_url": f"{self.html_repo}/pull/{n}",
            "diff_url": f"{self.html_repo}/pull/{n}.diff",
            "patch_url": f"{self.html_repo}/pull/{n}.patch",
            "issue_url": f"{api}/issues/{n}",
            "number": n,
            "state": pull["state"],
            "locked": False,
            "title": pull["title"],
            "user": self._user(pull["user"]),
            "body": pull["body"],
            "created_at": pull["created_at"],
            "updated_at": pull["updated_at"],
            "closed_at": pull["closed_at"],
            "merged_at": pull["merged_at"],
            "merge_commit_sha": pull["merge_commit_sha"],
            "assignee": self._user(pull["assignees"][0]) if pull["assignees"] else None,
            "assignees": [self._user(a) for a in pull["assignees"]],
            "requested_reviewers": [self._user(r) for r in pull["reviewers"]],
            "requested_teams": [],
            "labels": [self._label_json(self.labels[name.lower()]) for name in pull["labels"]],
            "milestone": None,
            "draft": pull["draft"],
            "commits_url": f"{api}/pulls/{n}/commits",
            "review_comments_url": f"{api}/pulls/{n}/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}",
            "comments_url": f"{api}/issues/{n}/comments",
            "statuses_url": f"{api}/statuses/{head_sha}",
            "head": self._part(pull["head"], head_sha),
            "base": self._part(pull["base"], base_sha),
            "_links": {
                "self": {"href": f"{api}/pulls/{n}"},
                "html": {"href": f"{self.html_repo}/pull/{n}"},
                "issue": {"href": f"{api}/issues/{n}"},
                "comments": {"href": f"{api}/issues/{n}/comments"},
                "review_comments": {"href": f"{api}/pulls/{n}/comments"},
                "review_comment": {"href": f"{api}/pulls/comments{{/number}}"},
                "commits": {"href": f"{api}/pulls/{n}/commits"},
                "statuses": {"href": f"{api}/statuses/{head_sha}"},
            },
            "author_association": "CONTRIBUTOR",
            "auto_merge": None,
            "active_lock_reason": None,
        }
        if full:
            mergeable = None
            if pull["state"] == "open" and not self.mergeability_pending:
                mergeable = self._mergeable(pull)
            state = "unknown"
            if mergeable is False:
                state = "dirty"
            elif mergeable:
                state = "draft" if pull["draft"] else "clean"
            commits = self._rev_list(base_sha, head_sha) if base_sha and head_sha else []
            data.update(
                {
                    "merged": pull["merged"],
                    "mergeable": mergeable,
                    "rebaseable": mergeable,
                    "mergeable_state": state,
                    "merged_by": self._user("octocat") if pull["merged"] else None,
                    "comments": len(self.comments.get(n, [])),
                    "review_comments": 0,
                    "maintainer_can_modify": pull["maintainer_can_modify"],
                    "commits": len(commits),
                    "additions": 0,
                    "deletions": 0,
                    "changed_files": 0,
                }
            )
        return data

    def _part(self, ref: str, sha: str) -> dict[str, Any]:
        return {
            "label": f"{self.owner}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": {**self._user(self.owner), "type": "Organization"},
            "repo": self._repo_json(),
        }

    def _issue_json(self, item: dict[str, Any]) -> dict[str, Any]:
        n = item["number"]
        api = self.api_repo
        kind = "pull" if item["kind"] == "pull" else "issues"
        data: dict[str, Any] = {
            "url": f"{api}/issues/{n}",
            "repository_url": api,
            "labels_url": f"{api}/issues/{n}/labels{{/name}}",
            "comments_url": f"{api}/issues/{n}/comments",
            "events_url": f"{api}/issues/{n}/events",
            "html_url": f"{self.html_repo}/{kind}/{n}",
            "id": item["id"],
            "node_id": _node_id("Issue", str(n)),
            "number": n,
            "title": item["title"],
            "user": self._user(item["user"]),
            "labels": [self._label_json(self.labels[name.lower()]) for name in item["labels"]],
            "state": item["state"],
            "locked": False,
            "assignee": self._user(item["assignees"][0]) if item["assignees"] else None,
            "assignees": [self._user(a) for a in item["assignees"]],
            "milestone": None,
            "comments": len(self.comments.get(n, [])),
            "created_at": item["created_at"],
            "updated_at": item["updated_at"],
            "closed_at": item["closed_at"],
            "author_association": "CONTRIBUTOR",
            "active_lock_reason": None,
            "body": item["body"],
            "reactions": _reaction_summary(f"{api}/issues/{n}/reactions", item["reactions"]),
            "timeline_url": f"{api}/issues/{n}/timeline",
            "performed_via_github_app": None,
            "state_reason": item.get("state_reason"),
        }
        if item["kind"] == "pull":
            data["pull_request"] = {
                "url": f"{api}/pulls/{n}",
                "html_url": f"{self.html_repo}/pull/{n}",
                "diff_url": f"{self.html_repo}/pull/{n}.diff",
                "patch_url": f"{self.html_repo}/pull/{n}.patch",
                "merged_at": item["merged_at"],
            }
        return data

    def _comment_json(self, number: int, comment: dict[str, Any]) -> dict[str, Any]:
        api = self.api_repo
        kind = "pull" if self.items[number]["kind"] == "pull" else "issues"
        return {
            "url": f"{api}/issues/comments/{comment['id']}",
            "html_url": f"{self.html_repo}/{kind}/{number}#issuecomment-{comment['id']}",
            "issue_url": f"{api}/issues/{number}",
            "id": comment["id"],
            "node_id": _node_id("IssueComment", str(comment["id"])),
            "user": self._user(comment["user"]),
            "created_at": comment["created_at"],
            "updated_at": comment["updated_at"],
            "author_association": "CONTRIBUTOR",
            "body": comment["body"],
            "reactions": _reaction_summary(
                f"{api}/issues/comments/{comment['id']}/reactions", comment["reactions"]
            ),
            "performed_via_github_app": None,
        }

    def _ref_json(self, ref: str, sha: str) -> dict[str, Any]:
        return {
            "ref": ref,
            "node_id": _node_id("Ref", ref),
            "url": f"{self.api_repo}/git/{quote(ref)}",
            "object": {"sha": sha, "type": "commit", "url": f"{self.api_repo}/git/commits/{sha}"},
        }

    # State helpers.

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _add_label(
        self, name: str, color: str, description: str | None, default: bool = False
    ) -> dict[str, Any]:
        label = {
            "id": self._new_id(),
            "name": name,
            "color": color,
            "description": description,
            "default": default,
        }
        self.labels[name.lower()] = label
        return label

    def _new_item(self, kind: str, title: str, body: str | None, user: str) -> dict[str, Any]:
        number = self._next_number
        self._next_number += 1
        item = {
            "kind": kind,
            "number": number,
            "id": self._new_id(),
            "title": title,
            "body": body,
            "user": user,
            "state": "open",
            "labels": [],
            "assignees": [],
            "reviewers": [],
            "reactions": [],
            "created_at": _now(),
            "updated_at": _now(),
            "closed_at": None,
            "merged_at": None,
            "merged": False,
            "merge_commit_sha": None,
        }
        self.items[number] = item
        return item

    def _live_head(self, pull: dict[str, Any]) -> str:
        if pull["state"] == "open":
            sha = self._ref_sha(f"refs/heads/{pull['head']}")
            if sha:
                pull["head_sha"] = sha
        return pull["head_sha"]

    def _refresh(self, pull: dict[str, Any]) -> None:
        """GitHub closes a PR whose head branch was deleted."""
        open_pull = pull["kind"] == "pull" and pull["state"] == "open"
        if open_pull and self._ref_sha(f"refs/heads/{pull['head']}") is None:
            self._close(pull)

    def _close(self, item: dict[str, Any]) -> None:
        if item["state"] == "open":
            if item["kind"] == "pull":
                self._live_head(item)
            item["state"] = "closed"
            item["closed_at"] = _now()
            item["updated_at"] = _now()

    def _mergeable(self, pull: dict[str, Any]) -> bool | None:
        base = self._ref_sha(f"refs/heads/{pull['base']}")
        head = self._live_head(pull)
        if not base or not head:
            return None
        result = subprocess.run(
            ["git", "merge-tree", "--write-tree", base, head],
            cwd=self.origin,
            capture_output=True,
            text=True,
            check=False,
        )
        return result.returncode == 0

    def _paginate(
        self, items: list[Any], path: str, query: dict[str, list[str]]
    ) -> tuple[list[Any], dict[str, str]]:
        per_page = min(int(query.get("per_page", ["30"])[0]), 100)
        page = max(int(query.get("page", ["1"])[0]), 1)
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]

        def link(p: int) -> str:
            params = {k: v[0] for k, v in query.items()} | {
                "per_page": str(per_page),
                "page": str(p),
            }
            return f"{self.api_url}{path}?{urlencode(params)}"

        rels = []
        if page > 1:
            rels += [f'<{link(page - 1)}>; rel="prev"']
        if page < last:
            rels += [f'<{link(page + 1)}>; rel="next"', f'<{link(last)}>; rel="last"']
        if page > 1:
            rels += [f'<{link(1)}>; rel="first"']
        return chunk, ({"Link": ", ".join(rels)} if rels else {})

    # Routing.

    def routes(self) -> list[tuple[str, str, Callable[..., Any]]]:
        r = rf"/repos/{re.escape(self.owner)}/{re.escape(self.name)}"
        return [
            ("GET", r"/rate_limit", self.get_rate_limit),
            ("GET", r"/user", self.get_authenticated_user),
            ("POST", r"(?:/api)?/graphql", self.graphql),
            ("GET", r, self.get_repo),
            ("GET", rf"{r}/pulls", self.list_pulls),
            ("POST", rf"{r}/pulls", self.create_pull),
            ("GET", rf"{r}/pulls/(\d+)", self.get_pull),
            ("PATCH", rf"{r}/pulls/(\d+)", self.edit_pull),
            ("GET", rf"{r}/pulls/(\d+)/commits", self.pull_commits),
            ("POST", rf"{r}/pulls/(\d+)/requested_reviewers", self.request_reviewers),
            ("GET", rf"{r}/compare/(.+?)\.\.\.(.+)", self.compare),
            ("GET", rf"{r}/issues", self.list_issues),
            ("POST", rf"{r}/issues", self.create_issue),
            ("GET", rf"{r}/issues/(\d+)", self.get_issue),
            ("PATCH", rf"{r}/issues/(\d+)", self.edit_issue),
            ("GET", rf"{r}/issues/(\d+)/comments", self.list_comments),
            ("POST", rf"{r}/issues/(\d+)/comments", self.create_comment),
            ("GET", rf"{r}/issues/comments/(\d+)", self.get_comment),
            ("PATCH", rf"{r}/issues/comments/(\d+)", self.edit_comment),
            ("POST", rf"{r}/issues/comments/(\d+)/reactions", self.react_to_comment),
            ("POST", rf"{r}/issues/(\d+)/reactions", self.react_to_issue),
            ("GET", rf"{r}/issues/(\d+)/labels", self.issue_labels),
            ("POST", rf"{r}/issues/(\d+)/labels", self.add_labels),
            ("POST", rf"{r}/issues/(\d+)/assignees", self.add_assignees),
            ("GET", rf"{r}/labels", self.list_labels),
            ("POST", rf"{r}/labels", self.create_label),
            ("GET", rf"{r}/labels/([^/]+)", self.get_label),
            ("GET", rf"{r}/git/refs", self.list_refs),
            ("GET", rf"{r}/git/refs?/(heads/.+)", self.get_ref),
            ("GET", rf"{r}/git/matching-refs/(.*)", self.matching_refs),
            ("POST", rf"{r}/git/refs", self.create_ref),
            ("PATCH", rf"{r}/git/refs?/(heads/.+)", self.update_ref),
            ("DELETE", rf"{r}/git/refs?/(heads/.+)", self.delete_ref),
            ("GET", rf"{r}/collaborators/([^/]+)/permission", self.permission),
        ]

    def dispatch(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, login: str
    ) -> tuple[int, Any, dict[str, str]]:
        for verb, pattern, handler in self.routes():
            match = re.fullmatch(pattern, path, re.IGNORECASE)
            if verb == method and match:
                groups = [unquote(g) for g in match.groups()]
                with self._lock:
                    return handler(*groups, query=query, body=body, login=login, path=path)
        raise not_found()

    # Handlers: each returns (status, payload, extra headers).

    def get_rate_limit(self, **_: Any) -> tuple[int, Any, dict[str, str]]:
        reset = int(time.time()) + 3600
        core = {
            "limit": 5000,
            "used": 5000 - self.rate_remaining,
            "remaining": self.rate_remaining,
            "reset": reset,
        }
        resources = {
            "core": core,
            "search": {"limit": 30, "used": 0, "remaining": 30, "reset": reset},
            "graphql": {"limit": 5000, "used": 0, "remaining": 5000, "reset": reset},
        }
        return 200, {"resources": resources, "rate": core}, {}

    def get_authenticated_user(self, *, login: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        if login.endswith("[bot]"):  # an App's installation token (GITHUB_TOKEN too)
            doc = "https://docs.github.com/rest/users/users#get-the-authenticated-user"
            body = {"message": "Resource not accessible by integration", "status": "403"}
            return 403, body | {"documentation_url": doc}, {}
        return 200, self._user(login) | {"name": login, "email": None}, {}

    def graphql(self, *, body: Any, login: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        """Only ``{ viewer { login } }``: for an installation token, ``<app-slug>[bot]``."""
        query = str((body or {}).get("query", ""))
        if re.fullmatch(r"\s*(?:query\s*)?\{\s*viewer\s*\{\s*login\s*\}\s*\}\s*", query):
            return 200, {"data": {"viewer": {"login": login}}}, {}
        error = {"message": "the fake answers only { viewer { login } }", "type": "FAKE"}
        return 200, {"errors": [error]}, {}

    def get_repo(self, **_: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, self._repo_json(), {}

    def list_pulls(
        self, *, query: dict[str, list[str]], path: str, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        state = query.get("state", ["open"])[0]
        head = query.get("head", [None])[0]
        base = query.get("base", [None])[0]
        pulls = self.pulls(state)
        if head:
            owner, _, ref = head.partition(":")
            pulls = [
                p for p in pulls if ref and owner.lower() == self.owner.lower() and p["head"] == ref
            ]
        if base:
            pulls = [p for p in pulls if p["base"] == base]
        direction = query.get("direction", ["desc"])[0]
        pulls.sort(key=lambda p: p["number"], reverse=direction == "desc")
        chunk, headers = self._paginate(pulls, path, query)
        return 200, [self._pull_json(p, full=False) for p in chunk], headers

    def create_pull(self, *, body: Any, login: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        doc = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"
        body = body or {}
        if not body.get("title"):
            raise validation_failed(
                doc, {"resource": "PullRequest", "code": "missing_field", "field": "title"}
            )
        head_spec = str(body.get("head", ""))
        owner, _, ref = head_spec.rpartition(":")
        base = str(body.get("base", ""))
        if owner and owner.lower() != self.owner.lower():
            raise validation_failed(
                doc, {"resource": "PullRequest", "field": "head", "code": "invalid"}
            )
        base_sha = self._ref_sha(f"refs/heads/{base}")
        if base_sha is None:
            raise validation_failed(
                doc, {"resource": "PullRequest", "field": "base", "code": "invalid"}
            )
        head_sha = self._ref_sha(f"refs/heads/{ref}")
        if head_sha is None:
            raise validation_failed(
                doc, {"resource": "PullRequest", "field": "head", "code": "invalid"}
            )
        for other in self.pulls("open"):
            if other["head"] == ref and other["base"] == base:
                message = f"A pull request already exists for {self.owner}:{ref}."
                raise validation_failed(
                    doc, {"resource": "PullRequest", "code": "custom", "message": message}
                )
        if not self._rev_list(base_sha, head_sha):
            message = f"No commits between {base} and {ref}"
            raise validation_failed(
                doc, {"resource": "PullRequest", "code": "custom", "message": message}
            )
        pull = self._new_item("pull", str(body["title"]), body.get("body"), login)
        pull.update(
            head=ref,
            base=base,
            head_sha=head_sha,
            draft=bool(body.get("draft", False)),
            maintainer_can_modify=bool(body.get("maintainer_can_modify", False)),
        )
        return (
            201,
            self._pull_json(pull, full=True),
            {"Location": f"{self.api_repo}/pulls/{pull['number']}"},
        )

    def _get_pull(self, number: str) -> dict[str, Any]:
        item = self.items.get(int(number))
        if item is None or item["kind"] != "pull":
            raise not_found("https://docs.github.com/rest/pulls/pulls#get-a-pull-request")
        return item

    def get_pull(self, number: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, self._pull_json(self._get_pull(number), full=True), {}

    def edit_pull(self, number: str, *, body: Any, **_: Any) -> tuple[int, Any, dict[str, str]]:
        pull = self._get_pull(number)
        body = body or {}
        for key in ("title", "body"):
            if key in body:
                pull[key] = body[key]
        if body.get("state") == "closed":
            self._close(pull)
        elif body.get("state") == "open" and pull["state"] == "closed" and not pull["merged"]:
            if self._ref_sha(f"refs/heads/{pull['head']}") is None:
                raise unprocessable(
                    "The head branch was deleted",
                    "https://docs.github.com/rest/pulls/pulls#update-a-pull-request",
                )
            pull["state"], pull["closed_at"] = "open", None
        if "base" in body:
            pull["base"] = body["base"]
        pull["updated_at"] = _now()
        return 200, self._pull_json(pull, full=True), {}

    def pull_commits(
        self, number: str, *, query: dict[str, list[str]], path: str, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        pull = self._get_pull(number)
        base = self._ref_sha(f"refs/heads/{pull['base']}") or ""
        shas = self._rev_list(base, self._live_head(pull)) if base else []
        chunk, headers = self._paginate(shas, path, query)
        return 200, [self._commit(s) for s in chunk], headers

    def request_reviewers(
        self, number: str, *, body: Any, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        pull = self._get_pull(number)
        doc = "https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request"
        reviewers = list((body or {}).get("reviewers") or [])
        if any(r == pull["user"] for r in reviewers):
            raise unprocessable("Review cannot be requested from pull request author.", doc)
        if any(r not in self.collaborators for r in reviewers):
            raise unprocessable(
                "Reviews may only be requested from collaborators. One or more of the users or "
                f"teams you specified is not a collaborator of the {self.full_name} repository.",
                doc,
            )
        pull["reviewers"] = list(dict.fromkeys([*pull["reviewers"], *reviewers]))
        return 201, self._pull_json(pull, full=False), {}

    def compare(self, base: str, head: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        doc = "https://docs.github.com/rest/commits/commits#compare-two-commits"
        base_sha, head_sha = self._resolve(base), self._resolve(head)
        if base_sha is None or head_sha is None:
            raise not_found(doc)
        merge_base = self._git("merge-base", base_sha, head_sha, check=False)
        ahead = self._rev_list(base_sha, head_sha)
        behind = self._rev_list(head_sha, base_sha)
        status = "identical"
        if ahead and behind:
            status = "diverged"
        elif ahead:
            status = "ahead"
        elif behind:
            status = "behind"
        return (
            200,
            {
                "url": f"{self.api_repo}/compare/{base}...{head}",
                "html_url": f"{self.html_repo}/compare/{base}...{head}",
                "permalink_url": f"{self.html_repo}/compare/{base_sha}...{head_sha}",
                "diff_url": f"{self.html_repo}/compare/{base}...{head}.diff",
                "patch_url": f"{self.html_repo}/compare/{base}...{head}.patch",
                "base_commit": self._commit(base_sha),
                "merge_base_commit": self._commit(merge_base) if merge_base else None,
                "status": status,
                "ahead_by": len(ahead),
                "behind_by": len(behind),
                "total_commits": len(ahead),
                "commits": [self._commit(s) for s in ahead],
                "files": [],
            },
            {},
        )

    def list_issues(
        self, *, query: dict[str, list[str]], path: str, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        state = query.get("state", ["open"])[0]
        wanted = [x.lower() for x in query.get("labels", [""])[0].split(",") if x]
        self.pulls()  # refresh PR states
        items = [
            i
            for i in sorted(self.items.values(), key=lambda i: i["number"], reverse=True)
            if (state == "all" or i["state"] == state)
            and all(w in [n.lower() for n in i["labels"]] for w in wanted)
        ]
        chunk, headers = self._paginate(items, path, query)
        return 200, [self._issue_json(i) for i in chunk], headers

    def create_issue(self, *, body: Any, login: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        body = body or {}
        if not body.get("title"):
            raise validation_failed(
                "https://docs.github.com/rest/issues/issues#create-an-issue",
                {"resource": "Issue", "code": "missing_field", "field": "title"},
            )
        item = self._new_item("issue", str(body["title"]), body.get("body"), login)
        self._label(item, body.get("labels") or [])
        item["assignees"] = [a for a in body.get("assignees") or [] if a in self.collaborators]
        return 201, self._issue_json(item), {"Location": f"{self.api_repo}/issues/{item['number']}"}

    def _get_item(self, number: str) -> dict[str, Any]:
        item = self.items.get(int(number))
        if item is None:
            raise not_found("https://docs.github.com/rest/issues/issues#get-an-issue")
        return item

    def get_issue(self, number: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, self._issue_json(self._get_item(number)), {}

    def edit_issue(self, number: str, *, body: Any, **_: Any) -> tuple[int, Any, dict[str, str]]:
        item = self._get_item(number)
        body = body or {}
        for key in ("title", "body"):
            if key in body:
                item[key] = body[key]
        if "labels" in body:
            item["labels"] = []
            self._label(item, body["labels"] or [])
        if body.get("state") == "closed":
            self._close(item)
            item["state_reason"] = body.get("state_reason", "completed")
        elif body.get("state") == "open":
            item["state"], item["closed_at"] = "open", None
        item["updated_at"] = _now()
        return 200, self._issue_json(item), {}

    def list_comments(
        self, number: str, *, query: dict[str, list[str]], path: str, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        n = int(self._get_item(number)["number"])
        chunk, headers = self._paginate(self.comments.get(n, []), path, query)
        return 200, [self._comment_json(n, c) for c in chunk], headers

    def create_comment(
        self, number: str, *, body: Any, login: str, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        item = self._get_item(number)
        text = (body or {}).get("body")
        if not text:
            raise validation_failed(
                "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
                {"resource": "IssueComment", "code": "missing_field", "field": "body"},
            )
        if len(text) > 65536:
            raise validation_failed(
                "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
                {
                    "resource": "IssueComment",
                    "code": "custom",
                    "field": "body",
                    "message": "body is too long (maximum is 65536 characters)",
                },
            )
        comment = {
            "id": self._new_id(),
            "body": text,
            "user": login,
            "created_at": _now(),
            "updated_at": _now(),
            "reactions": [],
        }
        self.comments.setdefault(item["number"], []).append(comment)
        location = f"{self.api_repo}/issues/comments/{comment['id']}"
        return 201, self._comment_json(item["number"], comment), {"Location": location}

    def _find_comment(self, comment_id: str) -> tuple[int, dict[str, Any]]:
        for number, comments in self.comments.items():
            for comment in comments:
                if comment["id"] == int(comment_id):
                    return number, comment
        raise not_found("https://docs.github.com/rest/issues/comments#get-an-issue-comment")

    def get_comment(self, comment_id: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        number, comment = self._find_comment(comment_id)
        return 200, self._comment_json(number, comment), {}

    def edit_comment(
        self, comment_id: str, *, body: Any, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        number, comment = self._find_comment(comment_id)
        comment["body"] = (body or {}).get("body", comment["body"])
        comment["updated_at"] = _now()
        return 200, self._comment_json(number, comment), {}

    def _reaction(
        self, target: list[dict[str, Any]], body: Any, login: str
    ) -> tuple[int, Any, dict[str, str]]:
        content = (body or {}).get("content")
        if content not in REACTIONS:
            raise validation_failed(
                "https://docs.github.com/rest/reactions/reactions",
                {"resource": "Reaction", "code": "invalid", "field": "content"},
            )
        for reaction in target:
            if reaction["content"] == content and reaction["user"] == login:
                return 200, self._reaction_json(reaction), {}
        reaction = {"id": self._new_id(), "content": content, "user": login, "created_at": _now()}
        target.append(reaction)
        return 201, self._reaction_json(reaction), {}

    def _reaction_json(self, reaction: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": reaction["id"],
            "node_id": _node_id("Reaction", str(reaction["id"])),
            "user": self._user(reaction["user"]),
            "content": reaction["content"],
            "created_at": reaction["created_at"],
        }

    def react_to_comment(
        self, comment_id: str, *, body: Any, login: str, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        _, comment = self._find_comment(comment_id)
        return self._reaction(comment["reactions"], body, login)

    def react_to_issue(
        self, number: str, *, body: Any, login: str, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        return self._reaction(self._get_item(number)["reactions"], body, login)

    def _label(self, item: dict[str, Any], names: list[Any]) -> None:
        for raw in names:
            name = raw["name"] if isinstance(raw, dict) else str(raw)
            label = self.labels.get(name.lower()) or self._add_label(name, "ededed", None)
            if label["name"] not in item["labels"]:
                item["labels"].append(label["name"])

    def issue_labels(self, number: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        item = self._get_item(number)
        return 200, [self._label_json(self.labels[n.lower()]) for n in item["labels"]], {}

    def add_labels(self, number: str, *, body: Any, **_: Any) -> tuple[int, Any, dict[str, str]]:
        item = self._get_item(number)
        names = body.get("labels", []) if isinstance(body, dict) else (body or [])
        self._label(item, list(names))
        item["updated_at"] = _now()
        return 200, [self._label_json(self.labels[n.lower()]) for n in item["labels"]], {}

    def add_assignees(self, number: str, *, body: Any, **_: Any) -> tuple[int, Any, dict[str, str]]:
        item = self._get_item(number)
        wanted = (body or {}).get("assignees") or []
        # GitHub silently leaves out people who cannot be assigned.
        item["assignees"] = list(
            dict.fromkeys([*item["assignees"], *(a for a in wanted if a in self.collaborators)])
        )
        return 201, self._issue_json(item), {}

    def list_labels(
        self, *, query: dict[str, list[str]], path: str, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        chunk, headers = self._paginate(list(self.labels.values()), path, query)
        return 200, [self._label_json(label) for label in chunk], headers

    def create_label(self, *, body: Any, **_: Any) -> tuple[int, Any, dict[str, str]]:
        doc = "https://docs.github.com/rest/issues/labels#create-a-label"
        body = body or {}
        name, color = str(body.get("name", "")), str(body.get("color", ""))
        if not name:
            raise validation_failed(
                doc, {"resource": "Label", "code": "missing_field", "field": "name"}
            )
        if not re.fullmatch(r"[0-9a-fA-F]{6}", color):
            raise validation_failed(doc, {"resource": "Label", "code": "invalid", "field": "color"})
        if name.lower() in self.labels:
            raise validation_failed(
                doc, {"resource": "Label", "code": "already_exists", "field": "name"}
            )
        label = self._add_label(name, color.lower(), body.get("description"))
        return 201, self._label_json(label), {"Location": f"{self.api_repo}/labels/{quote(name)}"}

    def get_label(self, name: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        label = self.labels.get(name.lower())
        if label is None:
            raise not_found("https://docs.github.com/rest/issues/labels#get-a-label")
        return 200, self._label_json(label), {}

    def list_refs(self, **_: Any) -> tuple[int, Any, dict[str, str]]:
        return (
            200,
            [self._ref_json(f"refs/heads/{b}", s) for b, s in sorted(self.branches().items())],
            {},
        )

    def get_ref(self, ref: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        sha = self._ref_sha(f"refs/{ref}")
        if sha is None:
            raise not_found("https://docs.github.com/rest/git/refs#get-a-reference")
        return 200, self._ref_json(f"refs/{ref}", sha), {}

    def matching_refs(self, prefix: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        refs = [
            self._ref_json(f"refs/heads/{b}", s)
            for b, s in sorted(self.branches().items())
            if f"heads/{b}".startswith(prefix)
        ]
        return 200, refs, {}

    def create_ref(self, *, body: Any, **_: Any) -> tuple[int, Any, dict[str, str]]:
        doc = "https://docs.github.com/rest/git/refs#create-a-reference"
        ref, sha = str((body or {}).get("ref", "")), str((body or {}).get("sha", ""))
        if not ref.startswith("refs/") or ref.count("/") < 2:
            raise unprocessable(
                "Reference name must start with 'refs/' and have at least two slashes.", doc
            )
        if self._ref_sha(sha) is None:
            raise unprocessable("Object does not exist", doc)
        if self._ref_sha(ref) is not None:
            raise unprocessable("Reference already exists", doc)
        self._git("update-ref", ref, sha, "")
        return 201, self._ref_json(ref, sha), {"Location": f"{self.api_repo}/git/{ref}"}

    def update_ref(self, ref: str, *, body: Any, **_: Any) -> tuple[int, Any, dict[str, str]]:
        doc = "https://docs.github.com/rest/git/refs#update-a-reference"
        full = f"refs/{ref}"
        old = self._ref_sha(full)
        sha = str((body or {}).get("sha", ""))
        if old is None:
            raise unprocessable("Reference does not exist", doc)
        if self._ref_sha(sha) is None:
            raise unprocessable("Object does not exist", doc)
        forward = (
            subprocess.run(
                ["git", "merge-base", "--is-ancestor", old, sha], cwd=self.origin, check=False
            ).returncode
            == 0
        )
        if not forward and not (body or {}).get("force"):
            raise unprocessable("Update is not a fast forward", doc)
        self._git("update-ref", full, sha, old)
        return 200, self._ref_json(full, sha), {}

    def delete_ref(self, ref: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        full = f"refs/{ref}"
        old = self._ref_sha(full)
        if old is None:
            raise unprocessable(
                "Reference does not exist",
                "https://docs.github.com/rest/git/refs#delete-a-reference",
            )
        self._git("update-ref", "-d", full, old)
        for pull in self.pulls("open"):
            self._refresh(pull)
        return 204, None, {}

    def permission(self, user: str, **_: Any) -> tuple[int, Any, dict[str, str]]:
        permission = self.collaborators.get(user, "none")
        role = {
            "admin": "admin",
            "maintain": "maintain",
            "write": "write",
            "triage": "triage",
            "read": "read",
        }
        return (
            200,
            {
                "permission": "write" if permission == "maintain" else permission,
                "role_name": role.get(permission, "none"),
                "user": self._user(user),
            },
            {},
        )

    # Git smart HTTP.

    def git_http(self, handler: _Handler, method: str, rest: str, query: str, body: bytes) -> None:
        """Serve ``/{owner}/{repo}.git/...`` with ``git http-backend`` on the bare origin."""
        env = {
            **os.environ,
            "GIT_PROJECT_ROOT": str(self.origin.parent),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": f"/{self.origin.name}{rest}",
            "REQUEST_METHOD": method,
            "QUERY_STRING": query,
            "CONTENT_TYPE": handler.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": "x-access-token",
            "REMOTE_ADDR": "127.0.0.1",
        }
        if handler.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = handler.headers["Content-Encoding"]
        if handler.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = handler.headers["Git-Protocol"]
        with self._lock:
            result = subprocess.run(
                ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
            )
        raw = result.stdout
        head, sep, payload = raw.partition(b"\r\n\r\n")
        if not sep:
            head, _, payload = raw.partition(b"\n\n")
        status, headers = 200, {}
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers[key.strip()] = value.strip()
        handler.send(status, payload, headers)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    github: FakeGitHub

    def log_message(self, format: str, *args: Any) -> None:
        del format, args  # quiet: tests read the recorded requests instead

    def do_GET(self) -> None:
        self.handle_any("GET")

    def do_POST(self) -> None:
        self.handle_any("POST")

    def do_PATCH(self) -> None:
        self.handle_any("PATCH")

    def do_PUT(self) -> None:
        self.handle_any("PUT")

    def do_DELETE(self) -> None:
        self.handle_any("DELETE")

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
        try:
            self.send_response(status, REASONS.get(status))
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); the request still took effect

    def login(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        scheme, _, credential = auth.partition(" ")
        if scheme.lower() in ("token", "bearer"):
            return self.github.tokens.get(credential.strip())
        if scheme.lower() == "basic":
            try:
                _, _, secret = base64.b64decode(credential).decode().partition(":")
            except ValueError:
                return None
            return self.github.tokens.get(secret)
        return None

    def handle_any(self, method: str) -> None:
        gh = self.github
        parts = urlsplit(self.path)
        raw = self.read_body()
        headers = {k: v for k, v in self.headers.items() if k.lower() != "authorization"}
        query = parse_qs(parts.query)
        git_prefix = f"/{gh.owner}/{gh.name}.git"
        if parts.path.startswith(git_prefix):
            record = Recorded(method, parts.path, query, headers, "", kind="git")
            gh.requests.append(record)
            if self.login() is None:
                record.status = 401
                body = b"Invalid username or token. Password authentication is not supported.\n"
                self.send(
                    401,
                    body,
                    {"WWW-Authenticate": 'Basic realm="GitHub"', "Content-Type": "text/plain"},
                )
                return
            gh.git_http(self, method, parts.path.removeprefix(git_prefix), parts.query, raw)
            record.status = 200
            return
        path = (
            parts.path.removeprefix(API_PREFIX) if parts.path.startswith(API_PREFIX) else parts.path
        )
        text = raw.decode("utf-8", errors="replace")
        record = Recorded(method, path, query, headers, text)
        gh.requests.append(record)
        status, payload, extra = self.answer(method, path, query, text)
        record.status = status
        with gh._lock:
            gh.rate_remaining = max(0, gh.rate_remaining - 1)
            remaining = gh.rate_remaining
        base = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Request-Id": f"0000:{len(gh.requests):05d}:0000000:0000000:00000000",
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(int(time.time()) + 3600),
            "X-RateLimit-Used": str(5000 - remaining),
            "X-RateLimit-Resource": "core",
        }
        data = b"" if status == 204 or payload is None else json.dumps(payload).encode()
        self.send(status, data, base | extra)

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], text: str
    ) -> tuple[int, Any, dict[str, str]]:
        gh = self.github
        login = self.login()
        if login is None:
            message = (
                "Bad credentials"
                if self.headers.get("Authorization")
                else "Requires authentication"
            )
            return 401, {"message": message, "documentation_url": DOCS, "status": "401"}, {}
        fault = gh._take_fault(method, path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.status and not fault.after:
            return fault.status, fault.body, dict(fault.headers)
        try:
            body = json.loads(text) if text else None
        except ValueError:
            return (
                400,
                {"message": "Problems parsing JSON", "documentation_url": DOCS, "status": "400"},
                {},
            )
        try:
            result = gh.dispatch(method, path, query, body, login)
        except ApiFailure as failure:
            result = (failure.status, failure.body, {})
        except Exception:  # a bug in the fake: answer 500 and keep it for the test to see
            gh.crashes.append(traceback.format_exc())
            result = (500, {"message": "fake crashed", "documentation_url": DOCS}, {})
        if fault is not None and fault.status and fault.after:
            return fault.status, fault.body, dict(fault.headers)
        return result


def _node_id(kind: str, key: str) -> str:
    return base64.b64encode(f"{kind}:{key}".encode()).decode()


def _reaction_summary(url: str, reactions: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {name: sum(1 for r in reactions if r["content"] == name) for name in REACTIONS}
    return {"url": url, "total_count": len(reactions), **counts}
