"""The fake GitHub speaks like the real one: shapes, errors, pagination, refs, faults, auth."""

from __future__ import annotations

import base64
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import github
import pytest
from github import Auth, GithubException

from bot.github.api import ApiError
from bot.github.client import connect
from bot.github.pacing import Pacer, WaitBudget
from tests.conftest import git, init_repo
from tests.fakes.github import FakeGitHub

TOKEN = "ghs_FakeTestToken111111111111111111111"


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Path, FakeGitHub]]:
    workspace = init_repo(tmp_path / "ws", {"a.py": "x = 1\n"})
    with FakeGitHub(tmp_path / "ws-origin.git", "octo-org", "demo", TOKEN) as gh:
        yield workspace, gh
        assert not gh.crashes, gh.crashes[0]


def pygithub(gh: FakeGitHub, token: str = TOKEN, **kwargs: object) -> github.Github:
    return github.Github(
        base_url=gh.api_url,
        auth=Auth.Token(token),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        **kwargs,
    )


def push_branch(workspace: Path, branch: str, text: str = "x = 2\n") -> str:
    git(workspace, "checkout", "--quiet", "-b", branch)
    (workspace / "a.py").write_text(text, encoding="utf-8")
    git(workspace, "commit", "--quiet", "-am", f"change on {branch}")
    git(workspace, "push", "--quiet", "origin", branch)
    sha = git(workspace, "rev-parse", "HEAD").strip()
    git(workspace, "checkout", "--quiet", "main")
    return sha


def test_wrong_token_gets_githubs_401(setup: tuple[Path, FakeGitHub]) -> None:
    _, gh = setup
    with pytest.raises(github.BadCredentialsException) as caught:
        pygithub(gh, "ghs_wrong").get_repo("octo-org/demo").default_branch  # noqa: B018
    assert caught.value.status == 401
    assert caught.value.data == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }


def test_repo_urls_point_at_the_fake(setup: tuple[Path, FakeGitHub]) -> None:
    _, gh = setup
    repo = pygithub(gh).get_repo("octo-org/demo")
    assert repo.default_branch == "main"
    assert repo.html_url == f"{gh.url}/octo-org/demo"
    assert repo.url == f"{gh.api_url}/repos/octo-org/demo"
    assert repo.clone_url == gh.clone_url


def test_unknown_route_is_githubs_404(setup: tuple[Path, FakeGitHub]) -> None:
    _, gh = setup
    with pytest.raises(github.UnknownObjectException) as caught:
        pygithub(gh).get_repo("octo-org/demo").get_pull(99).title  # noqa: B018
    assert caught.value.status == 404
    assert caught.value.data["message"] == "Not Found"
    assert caught.value.data["documentation_url"].startswith("https://docs.github.com/rest")


def test_pagination_follows_link_headers(setup: tuple[Path, FakeGitHub]) -> None:
    _, gh = setup
    repo = pygithub(gh, per_page=3).get_repo("octo-org/demo")
    for i in range(7):
        repo.create_issue(title=f"issue {i}")
    titles = [i.title for i in repo.get_issues(state="all")]
    assert titles == [f"issue {i}" for i in reversed(range(7))]
    pages = [r.query.get("page") for r in gh.requests if r.method == "GET" and "issues" in r.path]
    assert pages == [None, ["2"], ["3"]]
    first = next(r for r in gh.requests if r.method == "GET" and r.path.endswith("/issues"))
    assert first.status == 200


def test_link_header_is_absolute_and_on_the_fake(setup: tuple[Path, FakeGitHub]) -> None:
    _, gh = setup
    import requests

    for i in range(4):
        gh.dispatch("POST", "/repos/octo-org/demo/issues", {}, {"title": f"t{i}"}, "hubot")
    answer = requests.get(
        f"{gh.api_url}/repos/octo-org/demo/issues?per_page=2&state=all",
        headers={"Authorization": f"token {TOKEN}"},
        timeout=10,
    )
    link = answer.headers["Link"]
    assert link == (
        f'<{gh.api_url}/repos/octo-org/demo/issues?per_page=2&state=all&page=2>; rel="next", '
        f'<{gh.api_url}/repos/octo-org/demo/issues?per_page=2&state=all&page=2>; rel="last"'
    )


def test_pulls_are_stateful_and_refs_come_from_origin(setup: tuple[Path, FakeGitHub]) -> None:
    workspace, gh = setup
    sha = push_branch(workspace, "nightcrew/x/fix-1")
    repo = pygithub(gh).get_repo("octo-org/demo")
    pull = repo.create_pull(base="main", head="nightcrew/x/fix-1", title="Fix", body="b")
    assert pull.number == 1 and pull.head.sha == sha and pull.mergeable is True
    assert pull.html_url == f"{gh.url}/octo-org/demo/pull/1"
    assert [p.number for p in repo.get_pulls(state="open", head="octo-org:nightcrew/x/fix-1")] == [
        1
    ]
    assert list(repo.get_pulls(state="open", head="octo-org:other")) == []
    assert list(repo.get_pulls(state="closed")) == []

    commits = list(repo.get_pull(1).get_commits())
    assert [c.sha for c in commits] == [sha]
    assert commits[0].commit.author.email == "human@example.invalid"

    # A push with real git moves the PR's head.
    newer = push_branch_again(workspace, "nightcrew/x/fix-1")
    assert repo.get_pull(1).head.sha == newer

    ref = repo.get_git_ref("heads/nightcrew/x/fix-1")
    assert ref.object.sha == newer
    matching = repo.get_git_matching_refs("heads/nightcrew/")
    assert [r.ref for r in matching] == ["refs/heads/nightcrew/x/fix-1"]

    ref.delete()
    assert gh.branch_sha("nightcrew/x/fix-1") is None
    assert repo.get_pull(1).state == "closed"  # GitHub closes a PR whose branch is deleted


def push_branch_again(workspace: Path, branch: str) -> str:
    git(workspace, "checkout", "--quiet", branch)
    (workspace / "b.py").write_text("y = 1\n", encoding="utf-8")
    git(workspace, "add", "b.py")
    git(workspace, "commit", "--quiet", "-m", "more")
    git(workspace, "push", "--quiet", "origin", branch)
    sha = git(workspace, "rev-parse", "HEAD").strip()
    git(workspace, "checkout", "--quiet", "main")
    return sha


def test_duplicate_pull_gets_githubs_exact_422(setup: tuple[Path, FakeGitHub]) -> None:
    workspace, gh = setup
    push_branch(workspace, "nightcrew/x/dup")
    repo = pygithub(gh).get_repo("octo-org/demo")
    repo.create_pull(base="main", head="nightcrew/x/dup", title="one")
    with pytest.raises(GithubException) as caught:
        repo.create_pull(base="main", head="octo-org:nightcrew/x/dup", title="two")
    assert caught.value.status == 422
    assert caught.value.data == {
        "message": "Validation Failed",
        "errors": [
            {
                "resource": "PullRequest",
                "code": "custom",
                "message": "A pull request already exists for octo-org:nightcrew/x/dup.",
            }
        ],
        "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
        "status": "422",
    }
    assert len(gh.open_pulls()) == 1


def test_pull_needs_an_existing_head_with_commits(setup: tuple[Path, FakeGitHub]) -> None:
    workspace, gh = setup
    repo = pygithub(gh).get_repo("octo-org/demo")
    with pytest.raises(GithubException) as caught:
        repo.create_pull(base="main", head="nope", title="t")
    assert caught.value.data["errors"] == [
        {"resource": "PullRequest", "field": "head", "code": "invalid"}
    ]
    git(workspace, "push", "--quiet", "origin", "main:refs/heads/same")
    with pytest.raises(GithubException) as caught:
        repo.create_pull(base="main", head="same", title="t")
    assert caught.value.data["errors"][0]["message"] == "No commits between main and same"


def test_conflicts_show_as_dirty(setup: tuple[Path, FakeGitHub]) -> None:
    workspace, gh = setup
    push_branch(workspace, "topic", "x = 'topic'\n")
    repo = pygithub(gh).get_repo("octo-org/demo")
    repo.create_pull(base="main", head="topic", title="t")
    (workspace / "a.py").write_text("x = 'main'\n", encoding="utf-8")
    git(workspace, "commit", "--quiet", "-am", "main moves")
    git(workspace, "push", "--quiet", "origin", "main")
    pull = repo.get_pull(1)
    assert pull.mergeable is False and pull.mergeable_state == "dirty"
    comparison = repo.compare("main", "topic")
    assert (comparison.status, comparison.ahead_by, comparison.behind_by) == ("diverged", 1, 1)


def test_labels_comments_reactions_permissions_and_rate_limit(
    setup: tuple[Path, FakeGitHub],
) -> None:
    _, gh = setup
    client = pygithub(gh)
    repo = client.get_repo("octo-org/demo")
    repo.create_label("nightcrew", "5319e7", "Proposed by Nightcrew")
    with pytest.raises(GithubException) as caught:
        repo.create_label("NightCrew", "5319e7")
    assert caught.value.data["errors"] == [
        {"resource": "Label", "code": "already_exists", "field": "name"}
    ]
    with pytest.raises(GithubException) as caught:
        repo.create_label("bad", "purple")
    assert caught.value.data["errors"] == [
        {"resource": "Label", "code": "invalid", "field": "color"}
    ]

    issue = repo.create_issue(title="Dashboard", body="b", labels=["nightcrew"])
    issue.add_to_labels("brand-new")  # GitHub creates unknown labels on the fly
    assert {label.name for label in repo.get_issue(issue.number).labels} == {
        "nightcrew",
        "brand-new",
    }
    comment = issue.create_comment("/nightcrew help")
    comment.create_reaction("eyes")
    issue.create_reaction("+1")
    with pytest.raises(GithubException):
        issue.create_reaction("thumbsup")
    assert [c.body for c in repo.get_issue(issue.number).get_comments()] == ["/nightcrew help"]
    assert gh.items[issue.number]["reactions"][0]["content"] == "+1"

    issue.edit(state="closed")
    assert [i.number for i in repo.get_issues(state="open")] == []
    assert [i.number for i in repo.get_issues(state="closed", labels=["nightcrew"])] == [1]

    assert repo.get_collaborator_permission("octocat") == "admin"
    assert repo.get_collaborator_permission("stranger") == "none"
    core = client.get_rate_limit().resources.core
    assert core.limit == 5000 and 0 < core.remaining < 5000


def test_requests_are_recorded_without_the_token(setup: tuple[Path, FakeGitHub]) -> None:
    _, gh = setup
    pygithub(gh).get_repo("octo-org/demo").create_issue(title="t", body="hello")
    post = gh.writes("POST", r"/repos/octo-org/demo/issues")
    assert len(post) == 1 and post[0].json() == {"title": "t", "body": "hello"}
    assert post[0].status == 201
    for request in gh.requests:
        assert "authorization" not in {k.lower() for k in request.headers}
        assert TOKEN not in repr(request)


def test_5xx_faults_are_counted_and_skippable(setup: tuple[Path, FakeGitHub]) -> None:
    _, gh = setup
    gh.fail("GET", r"/repos/octo-org/demo", 502, times=2, skip=1)
    repo_api = connect(TOKEN, gh.api_url, retries=3, backoff=0.0, pacer=Pacer(0.0)).repo(
        "octo-org/demo"
    )
    assert repo_api.default_branch == "main"  # the first request passes (skip=1)
    statuses = [r.status for r in gh.requests]
    assert statuses == [200]
    fresh = connect(TOKEN, gh.api_url, retries=3, backoff=0.0, pacer=Pacer(0.0)).repo(
        "octo-org/demo"
    )
    assert fresh.default_branch == "main"  # two 502s, retried by the one retry layer
    assert [r.status for r in gh.requests] == [200, 502, 502, 200]


def test_a_fault_after_the_effect_loses_only_the_answer(setup: tuple[Path, FakeGitHub]) -> None:
    _, gh = setup
    gh.fail("POST", r"/repos/octo-org/demo/issues", 502, after=True)
    repo = pygithub(gh).get_repo("octo-org/demo")
    with pytest.raises(GithubException) as caught:
        repo.create_issue(title="created anyway")
    assert caught.value.status == 502
    assert [i["title"] for i in gh.items.values()] == ["created anyway"]


def test_secondary_rate_limit_answers_like_github(setup: tuple[Path, FakeGitHub]) -> None:
    _, gh = setup
    gh.secondary_rate_limit("POST", r"/repos/octo-org/demo/issues", retry_after=42)
    repo_api = connect(TOKEN, gh.api_url, pacer=Pacer(0.0), budget=WaitBudget(0.0)).repo(
        "octo-org/demo"
    )
    with pytest.raises(ApiError) as caught:
        repo_api.create_issue("t", "b")
    assert caught.value.status == 403 and caught.value.retry_after == 42
    assert "secondary rate limit" in caught.value.message
    assert [r.status for r in gh.requests] == [403]  # no wait budget: raised at once
    assert gh.items == {}


def test_primary_rate_limit_carries_the_reset(setup: tuple[Path, FakeGitHub]) -> None:
    _, gh = setup
    gh.primary_rate_limit("GET", r"/repos/octo-org/demo/pulls", reset_in=600)
    repo_api = connect(TOKEN, gh.api_url, pacer=Pacer(0.0), budget=WaitBudget(0.0)).repo(
        "octo-org/demo"
    )
    with pytest.raises(ApiError) as caught:
        repo_api.list_pulls()
    assert caught.value.rate_limited
    assert caught.value.retry_after is not None and 590 <= caught.value.retry_after <= 600


def test_slow_answers_are_slow(setup: tuple[Path, FakeGitHub]) -> None:
    _, gh = setup
    gh.slow("GET", r"/repos/octo-org/demo", 0.5)
    started = time.monotonic()
    assert pygithub(gh).get_repo("octo-org/demo").default_branch == "main"
    assert time.monotonic() - started >= 0.5


def test_git_over_http_needs_the_token(setup: tuple[Path, FakeGitHub]) -> None:
    workspace, gh = setup
    git(workspace, "remote", "set-url", "origin", gh.clone_url)
    env = {"GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/bin:/bin"}
    denied = subprocess.run(
        ["git", "push", "origin", "main:refs/heads/copy"],
        cwd=workspace,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert denied.returncode != 0 and gh.branch_sha("copy") is None
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    allowed = subprocess.run(
        [
            "git",
            "-c",
            f"http.{gh.url}/.extraheader=AUTHORIZATION: basic {basic}",
            "push",
            "origin",
            "main:refs/heads/copy",
        ],
        cwd=workspace,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert allowed.returncode == 0, allowed.stderr
    assert gh.branch_sha("copy") == git(workspace, "rev-parse", "main").strip()
    assert next(r.status for r in gh.requests if r.kind == "git") == 401


def test_client_calls_the_bot_will_use(setup: tuple[Path, FakeGitHub]) -> None:
    _, gh = setup
    repo = connect(TOKEN, gh.api_url, retries=0, backoff=0.0, pacer=Pacer(0.0)).repo(
        "octo-org/demo"
    )
    issue = repo.create_issue("Nightcrew dashboard", "body", labels=["nightcrew"])
    assert (issue.number, issue.labels, issue.is_pull) == (1, ("nightcrew",), False)
    comment = repo.create_comment(1, "/nightcrew help")
    repo.react(1, "eyes", comment_id=comment.id)
    repo.react(1, "rocket")
    assert [r["content"] for r in gh.comments[1][0]["reactions"]] == ["eyes"]
    assert [r["content"] for r in gh.items[1]["reactions"]] == ["rocket"]
    assert repo.collaborator_permission("hubot") == "write"
    edited = repo.edit_issue(1, body="new body", state="closed")
    assert (edited.state, edited.body) == ("closed", "new body")
    assert repo.list_issues("open") == []
    assert [i.number for i in repo.list_issues("all", labels=["nightcrew"])] == [1]
    with pytest.raises(ApiError) as caught:
        repo.react(1, "thumbsup")
    assert caught.value.status == 422 and "Reaction" in str(caught.value)
