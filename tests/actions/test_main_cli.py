"""`nightcrew action` in process: events, bad input, dry runs; the fake GitHub only for the
shards of one workflow run recording their night on the dashboard."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.actions.main import base_branch
from bot.actions.settings import settings_from_env
from bot.cli import main
from bot.dashboard import page, reading
from bot.errors import UserError
from bot.report.document import read_json
from tests.actions.test_workflow import parse_outputs
from tests.conftest import ROOT, git
from tests.fakes.github import FakeGitHub

TOKEN = "ghs_actionCliSecretToken0000"
WEBHOOKS = ROOT / "tests" / "fixtures" / "webhooks"

CORE = """\
def names(xs):
    return sorted(list(xs))


def check_all(items, seen):
    return all([seen.append(i) or i > 0 for i in items])
"""
TESTS = """\
from pkg.core import check_all, names


def test_names():
    assert names(["b", "a"]) == ["a", "b"]


def test_check_all_sees_every_item():
    seen = []
    assert not check_all([1, -1, 2], seen)
    assert seen == [1, -1, 2]
"""
FILES = {"pkg/__init__.py": "", "pkg/core.py": CORE, "tests/test_core.py": TESTS}


@pytest.fixture
def actions_env(tmp_path, monkeypatch):
    """An Actions-like environment with nothing inherited from the machine running the tests."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "INPUT_", "RUNNER_")) or name == "ANTHROPIC_API_KEY":
            monkeypatch.delenv(name)
    event = tmp_path / "event.json"
    shutil.copy(WEBHOOKS / "workflow_dispatch.payload.json", event)
    values = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo-org/octo-repo",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "RUNNER_TEMP": str(tmp_path / "runner-temp"),
        "INPUT_GITHUB_TOKEN": TOKEN,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def read(path: str) -> str:
    p = Path(path)
    return p.read_text(encoding="utf-8") if p.exists() else ""


# --- events -------------------------------------------------------------------------------------


@pytest.mark.parametrize("event", ["push", "release", "check_run", "pull_request_review_comment"])
def test_unhandled_event_exits_0_with_one_line(actions_env, monkeypatch, capsys, event):
    monkeypatch.setenv("GITHUB_EVENT_NAME", event)
    monkeypatch.setenv("GITHUB_EVENT_PATH", "/does/not/exist.json")  # not even read
    assert main(["action"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 1
    assert f"the `{event}` event is not handled" in lines[0]
    assert captured.err == ""
    assert read(actions_env["GITHUB_STEP_SUMMARY"]) == ""
    assert read(actions_env["GITHUB_OUTPUT"]) == ""


def test_no_event_name_is_bad_input(actions_env, monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_EVENT_NAME")
    assert main(["action"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nightcrew: error: GITHUB_EVENT_NAME: not set")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "GITHUB_EVENT_PATH: cannot read the event payload"),
        ("{not json", "is not JSON"),
        ("[1, 2]", "is not a JSON object"),
    ],
    ids=["missing", "not-json", "not-an-object"],
)
def test_bad_event_file_is_bad_input(actions_env, tmp_path, monkeypatch, capsys, content, message):
    event = tmp_path / "bad-event.json"
    if content is not None:
        event.write_text(content, encoding="utf-8")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    assert main(["action"]) == 2
    captured = capsys.readouterr()
    assert len(captured.err.splitlines()) == 1
    assert message in captured.err
    # In Actions: the token is masked first, the failure is an error annotation and summarised.
    out = captured.out.splitlines()
    assert out[0] == f"::add-mask::{TOKEN}"
    assert out[1].startswith("::error::Nightcrew stopped (bad input): GITHUB_EVENT_PATH")
    assert "Nightcrew stopped (bad input)" in read(actions_env["GITHUB_STEP_SUMMARY"])


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("INPUT_MAX_PRS", "lots", "input max-prs (INPUT_MAX_PRS): expected a whole number"),
        ("INPUT_DRY_RUN", "yes", "input dry-run (INPUT_DRY_RUN): expected true or false"),
        ("INPUT_SHARD", "3/2", "input shard (INPUT_SHARD): expected I/N with 1 ≤ I ≤ N"),
        ("INPUT_GITHUB_TOKEN", "", "input github-token (INPUT_GITHUB_TOKEN): empty"),
        ("GITHUB_REPOSITORY", "", "GITHUB_REPOSITORY: not set"),
    ],
)
def test_bad_inputs(actions_env, monkeypatch, capsys, name, value, message):
    monkeypatch.setenv(name, value)
    assert main(["action"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.splitlines()) == 1


def test_outside_actions_the_token_is_never_printed(actions_env, monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_ACTIONS")
    monkeypatch.setenv("INPUT_MAX_PRS", "lots")
    assert main(["action"]) == 2
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err
    assert "::add-mask::" not in captured.out


def test_the_anthropic_key_is_masked_too(actions_env, monkeypatch, capsys):
    monkeypatch.setenv("INPUT_ANTHROPIC_API_KEY", "sk-ant-cliSecret0000")
    monkeypatch.setenv("INPUT_MAX_PRS", "lots")
    main(["action"])
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [f"::add-mask::{TOKEN}", "::add-mask::sk-ant-cliSecret0000"]


# --- pure parts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config_base", "ref", "event", "expected"),
    [
        ("release", "refs/heads/main", {}, "release"),
        ("origin/release", "", {}, "release"),
        (None, "refs/heads/develop", {"repository": {"default_branch": "main"}}, "develop"),
        (None, "refs/tags/v1", {"repository": {"default_branch": "main"}}, "main"),
        (None, "", {"repository": {"default_branch": "trunk"}}, "trunk"),
    ],
)
def test_base_branch(config_base, ref, event, expected):
    settings = settings_from_env({"GITHUB_REF": ref})
    assert base_branch(config_base, settings, event) == expected


def test_base_branch_unknown():
    with pytest.raises(UserError, match="cannot tell which branch to open PRs against"):
        base_branch(None, settings_from_env({}), {"repository": None})


# --- a dry run, for real ------------------------------------------------------------------------


@pytest.fixture
def dry_run(actions_env, make_repo, monkeypatch, capsys):
    repo = make_repo("project", FILES)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo))
    monkeypatch.setenv("INPUT_DRY_RUN", "true")
    monkeypatch.setenv("INPUT_RECIPES", "unnecessary-copies")
    code = main(["action"])
    captured = capsys.readouterr()
    return {"code": code, "out": captured.out, "err": captured.err, "repo": repo, **actions_env}


def test_dry_run_completes_with_local_branches(dry_run):
    assert dry_run["code"] == 0, dry_run["err"]
    branches = git(dry_run["repo"], "branch", "--list", "nightcrew/*").split()
    assert len(branches) == 1  # names(): verified; check_all(): rejected by the tests
    assert "dry run: verified fixes become local branches and patches" in dry_run["out"]


def test_dry_run_outputs(dry_run):
    outputs = parse_outputs(read(dry_run["GITHUB_OUTPUT"]))
    assert set(outputs) == {"report", "prs", "found", "published"}
    assert outputs["report"] == str(Path(dry_run["RUNNER_TEMP"]) / "nightcrew" / "report.json")
    report = read_json(Path(outputs["report"]))
    assert report["summary"]["found"] == 2
    assert (outputs["found"], outputs["published"], outputs["prs"]) == ("2", "0", "[]")


def test_dry_run_summary(dry_run):
    summary = read(dry_run["GITHUB_STEP_SUMMARY"])
    assert "dry run: branches and patches only, no pushes, no PRs" in summary
    assert "| 2 | 1 | 1 | 0 | 0 | 0 |" in summary
    assert "### Rejected, and why" in summary
    assert "`pkg/core.py:6`" in summary


def test_dry_run_log_groups_and_annotations(dry_run):
    lines = dry_run["out"].splitlines()
    assert lines[0] == f"::add-mask::{TOKEN}"
    opened = [i for i, line in enumerate(lines) if line.startswith("::group::")]
    closed = [i for i, line in enumerate(lines) if line == "::endgroup::"]
    assert len(opened) == len(closed) >= 3
    assert all(o < c for o, c in zip(opened, closed, strict=True))
    assert all(c < o for c, o in zip(closed, opened[1:], strict=False))  # never nested
    titles = [lines[i].removeprefix("::group::") for i in opened]
    assert titles[0] == "Find: recipes, scope, findings"
    assert "Fix and verify, one finding at a time" in titles and titles[-1] == "Report"
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "::warning file=pkg/core.py,line=6,title=Nightcrew unnecessary-copies ruff%3AC419::"
    )
    assert "rejected" in warnings[0]


# --- the shards of one workflow run, publishing -------------------------------------------------


def test_the_shards_of_one_run_add_up_on_the_dashboard(actions_env, make_repo, monkeypatch, capsys):
    repo = make_repo("project", FILES)
    owner, name = actions_env["GITHUB_REPOSITORY"].split("/")
    with FakeGitHub(repo.parent / "project-origin.git", owner, name, TOKEN) as gh:
        git(repo, "remote", "set-url", "origin", gh.clone_url)
        for variable, value in {
            "GITHUB_WORKSPACE": str(repo),
            "GITHUB_API_URL": gh.api_url,
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_RUN_ATTEMPT": "3",
            "INPUT_RECIPES": "unnecessary-copies",
        }.items():
            monkeypatch.setenv(variable, value)
        for shard in ("2/2", "1/2"):  # the matrix jobs of run 4242, one after the other
            monkeypatch.setenv("INPUT_SHARD", shard)
            code = main(["action"])
            captured = capsys.readouterr()
            assert code == 0, captured.err
            assert "the dashboard issue was not updated" not in captured.out
        (issue,) = [i for i in gh.items.values() if page.is_dashboard(i["body"])]
        night = reading.parse(issue["body"]).night
        assert night is not None
        assert (night.run_id, night.run_attempt, night.shards) == ("4242", 3, ("1/2", "2/2"))
        assert night.counts["found"] == 2  # both findings are in pkg/core.py, in one shard
        (pull,) = gh.pulls()  # names(): verified and published; check_all(): rejected
        assert night.prs == (f"{gh.html_repo}/pull/{pull['number']}",)
        assert (
            "Sharded night (workflow run 4242, attempt 3): shards 1/2, 2/2 of 2 reported"
            in (issue["body"])
        )
        assert not gh.crashes
