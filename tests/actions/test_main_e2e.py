"""`nightcrew action` end to end: a subprocess with an Actions-like environment, the demo
repository cloned from a bare `origin`, and the fake GitHub serving both the REST API and
git's smart HTTP (so pushes carry the token the way they do on a runner)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import github
import pytest

from bot.dashboard import page, reading
from bot.report.document import read_json
from tests.actions.test_workflow import parse_outputs
from tests.conftest import DEMO_REPO, ROOT, git, init_repo
from tests.fakes import webhooks
from tests.fakes.github import FakeGitHub

TOKEN = "ghs_e2eActionSecretToken0000000000000"
OWNER, NAME = "octo-org", "inventory"
PAYLOAD = ROOT / "tests" / "fixtures" / "webhooks" / "workflow_dispatch.payload.json"
PULLS = rf"/repos/{OWNER}/{NAME}/pulls"

pytestmark = pytest.mark.slow  # each test runs the demo repository's suite for real


@dataclass
class Site:
    repo: Path
    github: FakeGitHub
    tmp: Path
    runs: int = 0


@dataclass
class Run:
    code: int
    out: str
    err: str
    summary: str
    outputs: dict[str, str]
    report: dict

    def lines(self) -> list[str]:
        return self.out.splitlines()


def make_site(tmp: Path) -> Iterator[Site]:
    repo = init_repo(tmp / NAME, source=DEMO_REPO)
    with FakeGitHub(tmp / f"{NAME}-origin.git", OWNER, NAME, TOKEN) as github:
        # As on a runner: origin is GitHub over HTTPS, and checkout persisted no credentials.
        git(repo, "remote", "set-url", "origin", github.clone_url)
        yield Site(repo, github, tmp)
        assert github.crashes == []


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    yield from make_site(tmp_path)


def action(
    site: Site,
    event: str = "schedule",
    *,
    api_url: str | None = None,
    payload: dict | None = None,
    **inputs: str,
) -> Run:
    """Run `nightcrew action` the way action.yml does, with fresh summary/output files."""
    site.runs += 1
    run_dir = site.tmp / f"run-{site.runs}"
    run_dir.mkdir()
    event_path = run_dir / "event.json"
    if payload is None:
        shutil.copy(PAYLOAD, event_path)
    else:
        event_path.write_text(json.dumps(payload), encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_")) and k != "ANTHROPIC_API_KEY"
    }
    env |= {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": f"{OWNER}/{NAME}",
        "GITHUB_API_URL": api_url or site.github.api_url,
        "GITHUB_WORKSPACE": str(site.repo),
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_STEP_SUMMARY": str(run_dir / "summary.md"),
        "GITHUB_OUTPUT": str(run_dir / "output"),
        "RUNNER_TEMP": str(run_dir / "temp"),
        "INPUT_GITHUB_TOKEN": TOKEN,
        "INPUT_PYTHON_VERSION": "3.12",
        "INPUT_RECIPES": "unnecessary-copies",  # the same night whatever the weekday
    }
    env |= {"INPUT_" + k.upper(): v for k, v in inputs.items()}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "action"],
        cwd=site.repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    summary = run_dir / "summary.md"
    outputs = (
        parse_outputs((run_dir / "output").read_text(encoding="utf-8"))
        if (run_dir / "output").exists()
        else {}
    )
    report = read_json(Path(outputs["report"])) if outputs else {}
    return Run(
        done.returncode,
        done.stdout,
        done.stderr,
        summary.read_text(encoding="utf-8") if summary.exists() else "",
        outputs,
        report,
    )


def verified(report: dict) -> list[dict]:
    return [f for f in report["fixes"] if f["status"] == "verified"]


def pr_creations(github: FakeGitHub) -> int:
    return len(github.writes("POST", PULLS))


def dashboard_body(github: FakeGitHub) -> str:
    (body,) = [i["body"] for i in github.items.values() if page.is_dashboard(i["body"])]
    return body


# --- one night, then the same night again --------------------------------------------------------


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The demo repository's first night on GitHub, and a rerun; shared by the tests below."""
    sites = make_site(tmp_path_factory.mktemp("action-e2e"))
    site = next(sites)
    first = action(site)
    after_first = {
        "pulls": [dict(p) for p in site.github.pulls()],
        "creations": pr_creations(site.github),
        "dashboard": dashboard_body(site.github),
    }
    second = action(site)
    yield {"site": site, "first": first, "second": second, **after_first}
    next(sites, None)


def test_first_night_opens_one_pr_per_verified_fix(nights):
    first, github = nights["first"], nights["site"].github
    assert first.code == 0, first.err
    fixes = verified(first.report)
    assert len(fixes) >= 3  # the demo's planted copies
    pulls = nights["pulls"]
    assert len(pulls) == len(fixes) == nights["creations"]
    assert sorted(p["head"] for p in pulls) == sorted(f["branch"] for f in fixes)
    assert {p["base"] for p in pulls} == {"main"}  # GITHUB_REF, not the payload's "master"
    for pull in pulls:
        assert github.branch_sha(pull["head"]) == pull["head_sha"]  # pushed over HTTP
    urls = [f"{github.html_repo}/pull/{p['number']}" for p in pulls]
    assert sorted(f["url"] for f in fixes) == sorted(urls)
    # The demo's trap is rejected by its tests and proposes nothing.
    assert any(
        f["status"] == "rejected" and f["rule"] == "ruff:C419" for f in first.report["fixes"]
    )


def test_first_night_outputs(nights):
    first = nights["first"]
    assert set(first.outputs) == {"report", "prs", "found", "published"}
    assert sorted(json.loads(first.outputs["prs"])) == sorted(
        f["url"] for f in verified(first.report)
    )
    assert first.outputs["published"] == str(len(nights["pulls"]))
    assert first.outputs["found"] == str(len(first.report["findings"]))
    assert Path(first.outputs["report"]).parent.parent.name == "temp"  # under RUNNER_TEMP


def test_first_night_summary_and_annotations(nights):
    first = nights["first"]
    c = first.report["summary"]
    published = len(nights["pulls"])
    row = (
        f"| {c['found']} | {c['verified']} | {c['rejected']} | {published} | {c['skipped']} "
        f"| {c['errored']} |"
    )
    assert row in first.summary
    for pull in nights["pulls"]:
        assert f"[#{pull['number']}](" in first.summary
    assert "### Rejected, and why" in first.summary
    warnings = [line for line in first.lines() if line.startswith("::warning file=")]
    assert any("ruff%3AC419" in w and "rejected" in w for w in warnings)
    groups = [line for line in first.lines() if line.startswith("::group::")]
    assert len(groups) == first.lines().count("::endgroup::") >= 3


def test_rerun_opens_no_new_prs(nights):
    second, github = nights["second"], nights["site"].github
    assert second.code == 0, second.err
    assert pr_creations(github) == nights["creations"]
    assert len(github.open_pulls()) == len(nights["pulls"])
    assert second.outputs["published"] == "0"
    assert json.loads(second.outputs["prs"]) == []
    skipped = [f for f in second.report["fixes"] if f["reason"].startswith("already open as #")]
    assert len(skipped) == len(nights["pulls"])


def test_a_fix_the_tests_rejected_is_remembered_on_the_dashboard(nights):
    first, second = nights["first"], nights["second"]
    (trap,) = [f for f in first.report["fixes"] if f["rule"] == "ruff:C419"]
    assert trap["status"] == "rejected"
    assert [r["fingerprint"] for r in first.report["rejections_remembered"]] == [
        trap["fingerprint"]
    ]
    # The dashboard carries it from the first night to the second ...
    (remembered,) = reading.parse(nights["dashboard"]).rejections
    assert remembered.fingerprint == trap["fingerprint"] and remembered.base == first.report["base"]
    assert "## Rejected earlier" in nights["dashboard"]
    assert f"`{trap['path']}:{trap['line']}`" in nights["dashboard"]
    # ... which skips it without a test run for it, and says so everywhere.
    (again,) = [f for f in second.report["fixes"] if f["fingerprint"] == trap["fingerprint"]]
    assert (again["status"], again["reason_kind"]) == ("skipped", "rejected-earlier")
    assert again["reason"].startswith(f"rejected earlier, on {first.report['started_at'][:10]}")
    assert "test_audit_visits_every_item" in again["reason"]
    short = trap["fingerprint"][:8]
    assert [t for t in first.report["test_runs"] if t["purpose"].startswith(short)]
    assert [t for t in second.report["test_runs"] if t["purpose"].startswith(short)] == []
    assert [r["fingerprint"] for r in second.report["rejected_earlier"]] == [trap["fingerprint"]]
    assert "### Rejected earlier" in second.summary
    assert reading.parse(dashboard_body(nights["site"].github)).rejections == (remembered,)


def test_the_token_never_shows(nights):
    site = nights["site"]
    for run in (nights["first"], nights["second"]):
        lines = run.out.splitlines()
        assert lines[0] == f"::add-mask::{TOKEN}"  # read by the runner, never displayed
        assert TOKEN not in "\n".join(lines[1:])
        assert TOKEN not in run.err
        assert TOKEN not in run.summary
        assert TOKEN not in json.dumps(run.outputs)
        out_dir = Path(run.outputs["report"]).parent
        for path in out_dir.rglob("*"):
            if path.is_file():
                assert TOKEN not in path.read_text(encoding="utf-8", errors="replace"), path
    for pull in site.github.pulls():
        assert TOKEN not in (pull["body"] or "")
        assert TOKEN not in pull["title"]
        assert all(TOKEN not in body for body in site.github.comments_on(pull["number"]))
    for request in site.github.requests:
        assert TOKEN not in request.body
        assert TOKEN not in json.dumps(request.headers)
    assert TOKEN not in (site.repo / ".git" / "config").read_text(encoding="utf-8")


# --- other events, dry runs, faults -------------------------------------------------------------


def test_unhandled_event_exits_0_with_one_line(site):
    run = action(site, event="push")
    assert run.code == 0
    assert len(run.lines()) == 1
    assert "the `push` event is not handled" in run.out
    assert run.err == "" and run.summary == "" and run.outputs == {}
    assert site.github.requests == []


def test_dry_run_makes_no_requests_at_all(site):
    run = action(site, event="workflow_dispatch", dry_run="true")
    assert run.code == 0, run.err
    assert site.github.requests == []  # no API call and no push
    assert site.github.pulls() == []
    assert run.outputs["published"] == "0" and json.loads(run.outputs["prs"]) == []
    fixes = verified(run.report)
    assert fixes and all(f["branch"] and f["url"] is None for f in fixes)
    local = git(site.repo, "branch", "--list", "nightcrew/*").split()
    assert sorted(local) == sorted(f["branch"] for f in fixes)
    assert "dry run: branches and patches only, no pushes, no PRs" in run.summary
    assert "dry run: verified fixes become local branches and patches" in run.out


def test_a_refused_token_is_bad_input(site):
    wrong = "ghs_e2eWrongToken000000000000000000000"
    run = action(site, github_token=wrong)
    assert run.code == 2
    assert len(run.err.splitlines()) == 1
    assert "Bad credentials" in run.err and "github-token" in run.err
    assert wrong not in run.err and wrong not in run.summary
    assert [line for line in run.lines() if wrong in line] == [f"::add-mask::{wrong}"]
    assert site.github.pulls() == []


def test_secondary_rate_limit_is_a_completed_night_with_a_warning(site):
    # An hour is more than the night's wait budget (github.wait_budget, 600s): it stops.
    site.github.secondary_rate_limit("POST", PULLS, retry_after=3600, skip=1)
    run = action(site, max_prs="10")
    assert run.code == 0, run.err
    assert len(site.github.open_pulls()) == 1
    assert run.outputs["published"] == "1"
    warnings = [line for line in run.lines() if line.startswith("::warning::")]
    assert len(warnings) == 1 and "rate limit" in warnings[0]
    assert "### Verified, not published" in run.summary
    # Nothing is lost: the next night publishes the rest, without duplicates.
    site.github.clear_faults()
    again = action(site, max_prs="10")
    assert again.code == 0, again.err
    heads = [p["head"] for p in site.github.open_pulls()]
    assert len(heads) == len(set(heads)) == len(verified(run.report))


def test_max_prs_limits_new_prs(site):
    run = action(site, max_prs="1")
    assert run.code == 0, run.err
    assert len(site.github.pulls()) == 1
    assert run.outputs["published"] == "1"
    assert "limit: 1 new PRs per night" in run.summary


def test_github_unreachable_is_exit_1(site):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/api/v3"
    run = action(site, api_url=dead)
    assert run.code == 1
    assert "could not complete the night" in run.summary
    assert len(run.err.splitlines()) == 1
    assert "trying again in" in run.out  # the retries waited out are in the job's log
    assert TOKEN not in run.err + run.summary


def test_shards_publish_disjoint_prs_and_keep_each_others(site):
    # Each shard runs after the other at least once, whichever of them finds something.
    runs = [action(site, shard=shard) for shard in ("1/2", "2/2", "1/2")]
    assert [r.code for r in runs] == [0, 0, 0]
    opened = [f for r in runs for f in verified(r.report) if f["url"]]
    assert opened  # the demo's fixes, in one shard or both
    heads = [p["head"] for p in site.github.open_pulls()]
    assert sorted(heads) == sorted(f["branch"] for f in opened)  # no shard closed another's


def test_the_config_decides_labels_reviewers_assignees_draft_and_limits(site):
    config = (
        "version: 1\npr:\n  labels: [bot-cleanup]\n  reviewers: [octocat]\n"
        "  assignees: [hubot]\n  draft: true\n  max_new: 2\n"
    )
    (site.repo / ".github").mkdir(exist_ok=True)
    (site.repo / ".github" / "nightcrew.yml").write_text(config, encoding="utf-8")
    git(site.repo, "add", "--all")
    git(site.repo, "commit", "--quiet", "-m", "configure nightcrew")
    git(site.repo, "push", "--quiet", str(site.tmp / f"{NAME}-origin.git"), "main")
    run = action(site)
    assert run.code == 0, run.err
    pulls = site.github.pulls()
    assert len(pulls) == 2  # pr.max_new
    for pull in pulls:
        assert pull["draft"] is True
        assert {"bot-cleanup", "nightcrew", "performance"} <= set(pull["labels"])
        assert pull["reviewers"] == ["octocat"]
        assert pull["assignees"] == ["hubot"]


# --- the review bot, through the same entry point -------------------------------------------------


def say(site: Site, login: str, number: int, body: str) -> int:
    """``login`` comments on #number through the API, as a person would; the comment's id."""
    token = f"ghp_{login}_token000000000000000000"
    site.github.add_token(token, login)
    client = github.Github(base_url=site.github.api_url, auth=github.Auth.Token(token), retry=None)
    return client.get_repo(f"{OWNER}/{NAME}").get_issue(number).create_comment(body).id


def test_reviewers_steer_the_bot_through_the_action(site):
    assert action(site).code == 0
    number = site.github.open_pulls()[0]["number"]
    repository = f"{OWNER}/{NAME}"

    body = "/nightcrew explain"
    explain = webhooks.comment(body, number=number, comment_id=say(site, "octocat", number, body),
                               repository=repository)  # fmt: skip
    run = action(site, event="issue_comment", payload=explain)
    assert run.code == 0, run.out + run.err
    answer = site.github.comments_on(number)[-1]
    assert "Remove unnecessary data copies" in answer

    body = "/nightcrew ignore"
    stranger = webhooks.comment(body, number=number, comment_id=say(site, "mallory", number, body),
                                login="mallory", repository=repository)  # fmt: skip
    run = action(site, event="issue_comment", payload=stranger)
    assert run.code == 0, run.out + run.err
    assert "write access" in site.github.comments_on(number)[-1]
    assert site.github.pull(number)["state"] == "open"

    on_issue = webhooks.comment("/nightcrew help", number=number, comment_id=9003,
                                on_pull=False, repository=repository)  # fmt: skip
    before = len(site.github.writes())
    run = action(site, event="issue_comment", payload=on_issue)
    assert run.code == 0, run.out + run.err
    assert len(run.lines()) == 2 and "not for Nightcrew" in run.lines()[1]  # after the mask
    assert len(site.github.writes()) == before


def test_a_token_that_may_not_open_prs_fails_the_run(site):
    refused = {"message": "GitHub Actions is not permitted to create or approve pull requests."}
    site.github.fail("POST", PULLS, 403, times=10, body=refused)
    run = action(site)
    assert run.code == 2
    assert "contents: write, pull-requests: write" in run.err
    assert any(line.startswith("::error::") for line in run.lines())
    assert site.github.pulls() == []
    assert run.outputs["published"] == "0"  # the outputs and summary are still written


# --- state lives on GitHub: the same cases as the publisher's tests, through the action -----------


def test_a_pr_closed_unmerged_is_not_proposed_again(site):
    assert action(site).code == 0
    closed = site.github.open_pulls()[0]
    site.github.close_pull(closed["number"])
    run = action(site)
    assert run.code == 0, run.err
    assert pr_creations(site.github) == 4  # nothing new, nothing reopened
    assert site.github.pull(closed["number"])["state"] == "closed"
    ignored = [f for f in run.report["fixes"] if f["reason"].startswith("ignored")]
    assert len(ignored) == 1


def test_lost_answers_and_a_run_dying_before_its_prs_leave_no_duplicates(site):
    # Every PR creation fails: the branches are pushed, no PR exists (as after a kill).
    site.github.fail("POST", PULLS, 500, times=50)
    first = action(site)
    assert first.code == 0, first.err
    assert site.github.pulls() == []
    pushed = [b for b in site.github.branches() if b.startswith("nightcrew/")]
    assert len(pushed) == 4
    # The next night repairs them; GitHub's answers to two creations are lost on the way.
    site.github.clear_faults()
    site.github.fail("POST", PULLS, 502, times=2, after=True)
    second = action(site)
    assert second.code == 0, second.err
    pulls = site.github.pulls()
    assert sorted(p["head"] for p in pulls) == sorted(pushed)  # one PR per branch, no more
    assert action(site).code == 0
    assert len(site.github.pulls()) == 4


def test_ignore_rules_from_the_dashboard_reach_the_night(site):
    assert action(site).code == 0
    number = site.github.open_pulls()[0]["number"]
    body = "/nightcrew ignore path inventory/**"
    payload = webhooks.comment(body, number=number, comment_id=say(site, "octocat", number, body),
                               repository=f"{OWNER}/{NAME}")  # fmt: skip
    assert action(site, event="issue_comment", payload=payload).code == 0
    for pull in site.github.open_pulls():  # a maintainer closes them all by merging elsewhere
        site.github.close_pull(pull["number"])
    git(site.repo, "commit", "--quiet", "--allow-empty", "-m", "later")
    run = action(site)
    assert run.code == 0, run.err
    reasons = [f["reason"] for f in run.report["fixes"]]
    assert reasons and all("path inventory/**" in r for r in reasons), reasons
